"""Each convention at an awkward point (README, "Conventions"), pinned."""

import warnings

import numpy as np
import pytest

import adlab

quiet = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@quiet
@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("x", [0.0, np.zeros(2)], ids=["float", "array"])
def test_singular_derivatives_at_zero(mode, x):
    d = adlab.grad if mode == "rev" else (lambda f: lambda x: adlab.jvp(f, (x,), (np.ones_like(x),))[1])
    elementwise = lambda f: (lambda y: np.sum(f(y))) if mode == "rev" else f  # noqa: E731
    assert np.all(d(elementwise(np.sqrt))(x) == np.inf)
    assert np.all(d(elementwise(np.log))(x) == np.inf)
    assert np.all(d(elementwise(lambda y: 1.0 / y))(x) == -np.inf)
    assert np.all(d(elementwise(np.abs))(x) == 0.0)


def test_maximum_and_minimum_ties_split_the_gradient():
    assert adlab.grad(np.maximum, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert adlab.grad(np.minimum, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert adlab.jvp(np.maximum, (1.0, 1.0), (1.0, 0.0))[1] == 0.5


def test_max_reduction_ties_share_equally():
    np.testing.assert_array_equal(adlab.grad(np.max)(np.array([2.0, 1.0, 2.0])), [0.5, 0.0, 0.5])


def test_clip_passes_the_gradient_inside_and_on_the_bounds():
    np.testing.assert_array_equal(adlab.grad(lambda x: np.sum(np.clip(x, -1.0, 1.0)))(np.array([-2.0, -1.0, 0.0, 1.0, 2.0])),
                                  [0.0, 1.0, 1.0, 1.0, 0.0])


def test_where_sends_the_gradient_to_the_chosen_branch_only():
    g = adlab.grad(lambda x: np.sum(np.where(x > 0, x ** 2, 3.0 * x)))(np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_where_with_an_unsafe_branch_and_the_double_where_remedy():
    x = np.array([0.0, 4.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = adlab.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(x)
    assert np.isnan(naive[0]) and naive[1] == 0.25  # 0 · inf in the unchosen branch
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)  # not silent
    safe = adlab.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0)))(x)
    np.testing.assert_array_equal(safe, [0.0, 0.25])


def test_power_derivatives_at_zero_and_negative_bases():
    assert adlab.grad(lambda y: 0.0 ** y)(2.0) == 0.0
    assert adlab.grad(lambda x: x ** 0.0)(0.0) == 0.0 and adlab.grad(lambda x: x ** 1.0)(0.0) == 1.0
    with pytest.warns(RuntimeWarning):
        assert np.isnan(adlab.grad(lambda y: np.sum(np.array([-2.0]) ** y))(np.array([2.0]))[0])


def test_comparisons_and_sign_are_not_differentiated():
    assert adlab.grad(lambda x: x * float(x > 0) + np.sign(x))(3.0) == 1.0


def test_dtypes():
    assert isinstance(adlab.grad(lambda x: x * x)(1.5), float)
    assert adlab.grad(lambda x: np.sum(x * x))(np.ones(2)).dtype == np.float64
    assert adlab.grad(lambda x: np.sum(x * x))(np.ones(2, dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="pass floats"):
        adlab.grad(lambda x: x * x)(2)


def test_x_plus_equals_on_a_traced_array_is_an_error_and_on_a_scalar_rebinds():
    def f(x, y):
        x += y
        return np.sum(x)

    assert adlab.grad(f)(1.0, 2.0) == 1.0
    with pytest.raises(TypeError, match="immutable"):
        adlab.grad(f)(np.ones(2), 2.0)


# -- stop_gradient: the identity on values, zero derivative in both modes and at every nesting level ----------
# (every other primitive is checked against finite differences in tests/test_primitives.py; stop_gradient
# deliberately disagrees with them, so it is checked here against its own definition instead)


@pytest.mark.parametrize("x", [3.0, np.float32(3.0), np.array([1.0, -2.0]), np.ones((2, 3), dtype=np.float32)],
                         ids=["float", "np.float32", "array", "float32 matrix"])
def test_stop_gradient_passes_values_through(x):
    out = adlab.stop_gradient(x)
    assert type(out) is type(x) and np.array_equal(out, x)
    assert np.asarray(out).dtype == np.asarray(x).dtype


def test_stop_gradient_has_zero_derivative_in_both_modes():
    f = lambda x: x * adlab.stop_gradient(x)  # noqa: E731
    assert adlab.grad(f)(3.0) == 3.0
    assert adlab.jvp(f, (3.0,), (1.0,)) == (9.0, 3.0)
    assert adlab.jvp(adlab.stop_gradient, (3.0,), (1.0,)) == (3.0, 0.0)
    assert adlab.grad(adlab.stop_gradient)(3.0) == 0.0
    x = np.array([1.0, -2.0])
    _, pullback = adlab.vjp(lambda v: adlab.stop_gradient(v) * 2.0, x)
    np.testing.assert_array_equal(pullback(np.ones(2))[0], [0.0, 0.0])
    np.testing.assert_array_equal(adlab.jacfwd(lambda v: v + adlab.stop_gradient(v ** 2))(x), np.eye(2))
    np.testing.assert_array_equal(adlab.jacrev(lambda v: v + adlab.stop_gradient(v ** 2))(x), np.eye(2))


def test_stop_gradient_is_a_constant_at_every_nesting_level():
    f = lambda x: x ** 2 * adlab.stop_gradient(x)  # noqa: E731 - d/dx: 2x·c, d²/dx²: 2c, with c = x held fixed
    assert adlab.grad(f)(3.0) == 18.0
    assert adlab.grad(adlab.grad(f))(3.0) == 6.0
    assert adlab.hessian(f)(3.0) == 6.0
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(adlab.hessian(lambda v: np.sum(v ** 2 * adlab.stop_gradient(v)))(x), np.diag(2 * x))
    inner = lambda x, y: adlab.grad(lambda y: x * adlab.stop_gradient(y) + y)(y)  # noqa: E731 - = 1 for every x
    assert adlab.grad(inner)(2.0, 5.0) == 0.0
    assert adlab.grad(lambda x: adlab.grad(lambda y: adlab.stop_gradient(x * y))(1.0))(2.0) == 0.0


def test_stop_gradient_straight_through_and_a_fixed_target():
    ste = lambda x: x + adlab.stop_gradient(np.round(x) - x)  # noqa: E731 - round forward, identity backward
    assert ste(1.3) == 1.0 and adlab.grad(ste)(1.3) == 1.0
    x = np.array([0.4, 1.6])
    np.testing.assert_array_equal(ste(x), [0.0, 2.0])
    np.testing.assert_array_equal(adlab.grad(lambda v: np.sum(ste(v)))(x), [1.0, 1.0])
    loss = lambda w: (w - adlab.stop_gradient(0.5 * w + 1.0)) ** 2  # noqa: E731 - the target does not move
    assert adlab.grad(loss)(3.0) == 2.0 * (3.0 - 2.5)


def test_stop_gradient_is_a_row_of_the_trace_with_tangent_zero_and_no_adjoint():
    f = lambda x: x * adlab.stop_gradient(x)  # noqa: E731
    forward = adlab.trace(f, 3.0).forward(1.0)
    row = next(r for r in forward.rows if r.op == "stop_gradient")
    assert row.value == 3.0 and row.tangent == 0.0 and forward.output_tangents == (3.0,)
    assert "stop_gradient(v" in forward.to_html() and "0" in forward.to_markdown()
    backward = adlab.trace(f, 3.0).reverse()
    assert backward.input_adjoints == (3.0,)
    assert not any(c.row == row.index for r in backward.rows for c in r.contributions)


def test_stop_gradient_through_adlab_compiled():
    f = lambda x: np.sin(x) * adlab.stop_gradient(np.cos(x)) + adlab.stop_gradient(x) ** 2  # noqa: E731
    grad, compiled = adlab.grad(f), adlab.compiled(adlab.grad(f))
    for x in (0.3, 0.7, -1.2):  # the first call stages, the others run the program with this call's values
        assert compiled(x) == grad(x) and grad(x) == pytest.approx(np.cos(x) ** 2)  # stop_gradient(x)**2: 0
    assert compiled.cache_info()["traces"] == 1
    x = np.array([0.3, -1.2])
    g = adlab.compiled(adlab.grad(lambda v: np.sum(f(v))))
    np.testing.assert_array_equal(g(x), adlab.grad(lambda v: np.sum(f(v)))(x))
    np.testing.assert_array_equal(g(2 * x), adlab.grad(lambda v: np.sum(f(v)))(2 * x))
    h = adlab.compiled(adlab.hessian(f))
    assert h(0.5) == adlab.hessian(f)(0.5) and h(0.9) == adlab.hessian(f)(0.9)


def test_relu_at_zero_is_a_tie_and_a_branch_follows_the_path_taken():
    relu = lambda x: np.maximum(x, 0.0)
    assert adlab.grad(relu)(0.0) == 0.5 and adlab.jvp(relu, (0.0,), (1.0,))[1] == 0.5
    branch = lambda x: x if x > 0 else -x
    assert adlab.grad(branch)(0.0) == -1.0 and adlab.grad(branch)(1e-300) == 1.0
