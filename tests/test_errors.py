"""Bad input gets one clear sentence that says what to do."""

import numpy as np
import pytest

import adlab


def test_grad_of_a_non_scalar_names_jacrev_and_vjp():
    with pytest.raises(TypeError, match=r"returned shape \(3,\).*adlab\.jacrev.*adlab\.vjp"):
        adlab.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match=r"returned 2 values.*adlab\.jacrev"):
        adlab.grad(lambda x: (x, x))(1.0)


@pytest.mark.parametrize("bad", [3, True, np.arange(3), np.array([True, False]), 1 + 2j])
def test_non_float_arguments(bad):
    with pytest.raises(TypeError, match="pass floats"):
        adlab.grad(lambda x: np.sum(x * 2.0))(bad)
    with pytest.raises(TypeError, match="pass floats"):
        adlab.jvp(lambda x: x, (bad,), (np.zeros(np.shape(bad)),))


def test_non_float_arguments_outside_argnums_are_fine():
    assert adlab.grad(lambda x, n: x ** n)(2.0, 3) == 12.0


def test_numpy_function_without_a_rule():
    with pytest.raises(TypeError, match=r"numpy\.cumsum.*@adlab\.primitive"):
        adlab.grad(lambda x: np.sum(np.cumsum(x)))(np.ones(3))
    with pytest.raises(TypeError, match=r"numpy\.arctan2.*defjvp/defvjp"):
        adlab.grad(lambda x: np.arctan2(x, 1.0))(1.0)
    with pytest.raises(TypeError, match=r"numpy\.add\.reduce"):
        adlab.grad(lambda x: np.add.reduce(x))(np.ones(3))


def test_custom_primitive_without_rules():
    double = adlab.primitive(lambda x: 2 * x, name="double")
    with pytest.raises(TypeError, match=r"'double' has no VJP rule.*double\.defvjp"):
        adlab.grad(double)(1.0)
    with pytest.raises(TypeError, match=r"'double' has no JVP rule.*double\.defjvp"):
        adlab.jvp(double, (1.0,), (1.0,))


def test_assignment_into_a_traced_array():
    def assign(x):
        x[0] = 1.0
        return np.sum(x)

    def add_into_item(x):
        x[0] += 1.0
        return np.sum(x)

    def add_into_array(x):
        x += 1.0
        return np.sum(x)

    for f in (assign, add_into_item):
        with pytest.raises(TypeError, match=r"immutable.*set_at.*x\.at\[index\]\.set"):
            adlab.grad(f)(np.ones(2))
    with pytest.raises(TypeError, match=r"x \+= v would write into a traced array.*x = x \+ v"):
        adlab.grad(add_into_array)(np.ones(2))


def test_accumulating_into_a_traced_scalar_rebinds_like_a_float():
    def total(x):
        s = 0.0
        for k in range(1, 4):
            s += k * x
            s *= 1.0
        return s

    assert adlab.grad(total)(2.0) == 6.0


def test_wrong_tangent_and_cotangent_shapes():
    with pytest.raises(ValueError, match=r"tangent of input 0 has shape \(3,\) but its value has shape \(2,\)"):
        adlab.jvp(np.sin, (np.ones(2),), (np.ones(3),))
    _, pullback = adlab.vjp(np.sin, np.ones(2))
    with pytest.raises(ValueError, match=r"cotangent of output 0 has shape \(\) but its value has shape \(2,\)"):
        pullback(1.0)
    with pytest.raises(ValueError, match="same structure"):
        pullback((np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match="same structure as primals"):
        adlab.jvp(np.sin, (1.0,), (1.0, 2.0))


def test_plain_numpy_array_from_traced_values():
    with pytest.raises(TypeError, match=r"np\.stack.*adlab\.numpy\.array"):
        adlab.grad(lambda x: np.sum(np.array([x, x])))(1.0)
    with pytest.raises(TypeError, match="cannot become a plain NumPy array"):
        adlab.grad(lambda x: np.sum(np.asarray(x)))(np.ones(2))


def test_out_argument():
    with pytest.raises(TypeError, match="out="):
        adlab.grad(lambda x: np.sum(np.sin(x, out=np.empty(2))))(np.ones(2))


def test_api_misuse():
    with pytest.raises(ValueError, match="argnums=2 does not select"):
        adlab.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match=r"jvp\(f, \(x,\), \(v,\)\)"):
        adlab.jvp(np.sin, 1.0, 1.0)
    with pytest.raises(TypeError, match=r"hvp\(f, \(x,\), \(v,\)\)"):
        adlab.hvp(np.sin, 1.0, 1.0)
    with pytest.raises(ValueError, match="unknown method"):
        adlab.hvp(np.sin, (1.0,), (1.0,), method="sideways")
    with pytest.raises(TypeError, match="pair"):
        adlab.grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(ValueError, match="unknown mode"):
        from adlab.testing import check_grads
        check_grads(np.sin, (1.0,), modes=("forward",))


def test_check_grads_reports_where_a_wrong_rule_fails():
    wrong = adlab.primitive(np.sin, name="wrong_sin")
    wrong.defjvp(lambda t, out, x: t * np.cos(x))
    wrong.defvjp(lambda g, out, x: g * np.sin(x))  # a student's mistake: should be cos
    from adlab.testing import check_grads
    check_grads(wrong, (np.array([0.3, 1.0]),), modes=("fwd",), order=1)
    with pytest.raises(AssertionError, match=r"reverse mode \(VJP\) of wrong_sin"):
        check_grads(wrong, (np.array([0.3, 1.0]),), modes=("rev",), order=1)


def test_float_int_and_math_functions_on_traced_values():
    import math

    for f in (math.log, math.exp, float, int):
        with pytest.raises(TypeError, match=r"would drop its derivative.*np\.log\(x\)"):
            adlab.grad(lambda x: f(x) * x)(2.0)
    shown = []
    adlab.grad(lambda x: shown.append(f"{x:.2f}") or x * x)(2.0)
    assert shown == ["2.00"]


def test_inputs_that_are_not_numbers_and_bad_argnums():
    with pytest.raises(TypeError, match="input 1 is a str, not a number"):
        adlab.grad(lambda p: p["a"] * 2.0)({"a": 3.0, "name": "w"})
    assert adlab.grad(lambda x, y: x * y, argnums=np.int64(1))(2.0, 3.0) == 2.0
    with pytest.raises(ValueError, match="names an argument twice"):
        adlab.grad(lambda x, y: x * y, argnums=(0, 0))(2.0, 3.0)
    with pytest.raises(TypeError, match="tangent of input 0 is not a float"):
        adlab.jvp(np.sin, (1.0,), (1j,))
    with pytest.raises(TypeError, match="pass arrays, not lists"):
        adlab.grad(lambda x: np.sum(x))([1.0, 2.0])


def test_writing_a_traced_value_into_a_numpy_array_names_the_remedy():
    def f(x):
        out = np.zeros(3)
        out[0] = x
        return np.sum(out)

    with pytest.raises(ValueError) as raised:  # NumPy's own error, raised from adlab's
        adlab.grad(f)(1.0)
    assert "out[i] = x" in str(raised.value.__cause__) and "adlab.numpy.set_at" in str(raised.value.__cause__)
