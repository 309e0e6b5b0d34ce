"""The functional API: signatures, argument structures, control flow, custom rules."""

import numpy as np
import pytest

import adlab
import adlab.numpy as anp
from adlab.testing import check_grads


def f(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


def test_grad_argnums():
    assert adlab.grad(f)(3.0, -4.0) == pytest.approx(-4 - 1 / 3)
    assert adlab.grad(f, argnums=1)(3.0, -4.0) == pytest.approx(4.0)
    assert adlab.grad(f, argnums=-1)(3.0, -4.0) == pytest.approx(4.0)
    g = adlab.grad(f, argnums=(0, 1))(3.0, -4.0)
    assert isinstance(g, tuple) and g == pytest.approx((-4 - 1 / 3, 4.0))


def test_value_and_grad_and_has_aux():
    value, g = adlab.value_and_grad(f, argnums=(1, 0))(3.0, -4.0)
    assert value == pytest.approx(-17.0986122887) and g == pytest.approx((4.0, -4 - 1 / 3))
    (value, aux), g = adlab.value_and_grad(lambda x: (x ** 2, {"x": x}), has_aux=True)(3.0)
    assert (value, aux, g) == (9.0, {"x": 3.0}, 6.0)
    g, aux = adlab.grad(lambda x: (x ** 2, x + 1), has_aux=True)(3.0)
    assert (g, aux) == (6.0, 4.0)


def test_vjp_returns_a_tuple_and_can_be_called_twice():
    out, pullback = adlab.vjp(f, 3.0, -4.0)
    assert out == pytest.approx(-17.0986122887)
    first, second = pullback(1.0), pullback(1.0)
    assert first == second == pytest.approx((-4 - 1 / 3, 4.0))
    assert pullback(2.0) == pytest.approx((2 * (-4 - 1 / 3), 8.0))


def test_jvp():
    out, tangent = adlab.jvp(f, (3.0, -4.0), (0.0, 1.0))
    assert out == pytest.approx(-17.0986122887) and tangent == pytest.approx(4.0)
    out, tangent = adlab.jvp(np.sin, (np.array([0.0, 1.0]),), (np.array([1.0, 2.0]),))
    np.testing.assert_allclose(tangent, np.cos([0.0, 1.0]) * [1.0, 2.0])


def test_pytree_arguments():
    params = {"w": np.array([1.0, 2.0]), "b": 0.5, "layers": [np.eye(2), (3.0,)]}

    def loss(p, x):
        h = p["layers"][0] @ (p["w"] * x) + p["b"]
        return np.sum(np.tanh(h)) * p["layers"][1][0]

    x = np.array([0.3, -0.2])
    g = adlab.grad(loss)(params, x)
    assert set(g) == {"w", "b", "layers"} and isinstance(g["layers"], list) and isinstance(g["layers"][1], tuple)
    check_grads(lambda w, b: loss({"w": w, "b": b, "layers": [np.eye(2), (3.0,)]}, x), (params["w"], 0.5))
    out, tangent = adlab.jvp(loss, (params, x), (adlab.grad(loss)(params, x), np.zeros(2)))
    assert tangent > 0  # moving along the gradient increases the loss


def test_jacobians_have_output_shape_then_input_shape():
    W = np.arange(6.0).reshape(3, 2)
    g = lambda x: np.tanh(W @ x)  # noqa: E731
    x = np.array([0.1, -0.2])
    expected = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    for jac in (adlab.jacfwd, adlab.jacrev):
        np.testing.assert_allclose(jac(g)(x), expected, rtol=1e-14)
        assert jac(lambda m: m * 2.0)(np.ones((2, 3))).shape == (2, 3, 2, 3)
        assert jac(np.sin)(0.5) == pytest.approx(np.cos(0.5))
    jx, jw = adlab.jacrev(lambda x, W: W @ x, argnums=(0, 1))(x, W)
    kx, kw = adlab.jacfwd(lambda x, W: W @ x, argnums=(0, 1))(x, W)
    np.testing.assert_allclose(jx, W) and np.testing.assert_allclose(kx, W)
    assert jw.shape == kw.shape == (3, 3, 2)
    np.testing.assert_allclose(jw, kw)


def test_jacobians_mix_one_element_empty_and_batched_leaves():
    """One-element inputs (jacfwd) and outputs (jacrev) take a plain sweep, the rest one batched sweep:
    every block agrees between the two modes and with central differences, whatever path made it."""
    def g(tree):
        a, b, c, d = tree["a"], tree["b"], tree["c"], tree["d"]
        return {"one": np.reshape(a * np.sum(b) + d, (1, 1)), "two": b[:2] * d + np.sum(c), "scalar": a[0] * d ** 2}

    point = {"a": np.array([0.7]), "b": np.array([1.0, -2.0, 0.5]), "c": np.zeros(0), "d": 1.5}
    forward, reverse = adlab.jacfwd(g)(point), adlab.jacrev(g)(point)
    values = g(point)
    for out in ("one", "two", "scalar"):
        for leaf in ("a", "b", "c", "d"):
            block = forward[out][leaf]
            assert block.shape == np.shape(values[out]) + np.shape(point[leaf])
            np.testing.assert_allclose(block, reverse[out][leaf], rtol=1e-14)
            for k in range(np.size(point[leaf])):
                step = np.zeros(np.size(point[leaf]))
                step[k] = 1e-6
                up, down = dict(point), dict(point)
                up[leaf] = np.reshape(np.ravel(point[leaf]) + step, np.shape(point[leaf]))
                down[leaf] = np.reshape(np.ravel(point[leaf]) - step, np.shape(point[leaf]))
                if leaf == "d":
                    up[leaf], down[leaf] = float(up[leaf]), float(down[leaf])
                slope = (np.asarray(g(up)[out]) - np.asarray(g(down)[out])) / 2e-6
                np.testing.assert_allclose(np.reshape(block, np.shape(values[out]) + (-1,))[..., k], slope, atol=1e-8)
    x32 = np.array([0.5], dtype=np.float32)
    assert adlab.jacfwd(np.sin)(x32).dtype == adlab.jacrev(lambda x: np.sum(np.sin(x)))(x32).dtype == np.float32


def test_jacobian_of_several_outputs():
    def two(x):
        return x ** 2, np.sum(x)

    x = np.array([1.0, 2.0])
    for jac in (adlab.jacfwd, adlab.jacrev):
        squares, total = jac(two)(x)
        np.testing.assert_allclose(squares, np.diag(2 * x))
        np.testing.assert_allclose(total, [1.0, 1.0])


def test_control_flow():
    def piecewise(x):
        if x > 0:
            return x ** 2
        return -x

    def newton_sqrt(a):
        x = a
        while abs(x * x - a) > 1e-12:
            x = 0.5 * (x + a / x)
        return x

    def power(x, n):
        return 1.0 if n == 0 else x * power(x, n - 1)

    assert adlab.grad(piecewise)(3.0) == 6.0 and adlab.grad(piecewise)(-3.0) == -1.0
    assert adlab.grad(newton_sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-10)
    assert adlab.grad(power)(2.0, 5) == pytest.approx(80.0)
    assert adlab.grad(lambda x: sum(x ** k for k in range(4)))(2.0) == pytest.approx(1 + 4 + 12)


def test_constant_and_unused_inputs_get_zero_gradients():
    assert adlab.grad(lambda x: 3.0)(1.0) == 0.0
    g = adlab.grad(lambda x, y: np.sum(x), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(g[1], np.zeros(3))
    assert adlab.jvp(lambda x: 2.0, (1.0,), (1.0,)) == (2.0, 0.0)
    for jacobian in (adlab.jacfwd, adlab.jacrev):  # zero derivatives are floats, even of an int output
        assert jacobian(lambda x: 3)(np.ones(2)).dtype == np.float64


def test_checkpoint_gives_the_same_derivatives_and_a_shorter_tape():
    def block(x):
        for _ in range(20):
            x = np.tanh(x) * 1.1
        return x

    saved = adlab.checkpoint(block)
    x = np.array([0.3, -0.5])
    loss = lambda x: np.sum(block(x) ** 2)  # noqa: E731
    loss_saved = lambda x: np.sum(saved(x) ** 2)  # noqa: E731
    np.testing.assert_allclose(adlab.grad(loss_saved)(x), adlab.grad(loss)(x), rtol=1e-14)
    np.testing.assert_allclose(adlab.hessian(loss_saved)(x), adlab.hessian(loss)(x), rtol=1e-12)
    assert len(adlab.trace(loss_saved, x)) < 5 < len(adlab.trace(loss, x))
    check_grads(loss_saved, (x,), order=2)


def test_checkpoint_of_several_arguments():
    layer = adlab.checkpoint(lambda x, W, b: np.tanh(x @ W + b))
    x, W, b = np.ones((2, 3)), np.full((3, 2), 0.1), np.array([0.0, 0.2])
    check_grads(lambda x, W, b: np.sum(layer(x, W, b) ** 2), (x, W, b), order=2)


def test_custom_primitive():
    @adlab.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    softplus.defjvp(lambda t, out, x: t * sigmoid(x))
    softplus.defvjp(lambda g, out, x: g * sigmoid(x))
    check_grads(softplus, (np.array([-30.0, 0.5, 40.0]),), order=2)
    assert adlab.grad(softplus)(0.0) == 0.5
    assert adlab.trace(softplus, 1.0)[1].op == "softplus"


def test_traced_values_behave_like_numpy():
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2 and x.dtype == np.float64
        assert (x > 0).dtype == bool and np.argmax(x) == 5 and np.shape(x) == (2, 3)
        y = x.T.reshape(6).sum() + x.mean(axis=0).max() + anp.set_at(x, (0, 0), 5.0).sum()
        return y + x.dot(np.ones(3)).prod() + float(np.zeros_like(x).sum())

    x = np.arange(1.0, 7.0).reshape(2, 3)
    check_grads(f, (x,), order=1)


def test_at_syntax_on_traced_values():
    # f = Σ [2x1, x1, x2] * [x0, x1 + x0, x2 + x0] = 3·x0·x1 + x1² + x2² + x0·x2
    f = lambda x: np.sum(x.at[0].set(2.0 * x[1]) * x.at[1:].add(x[0]))  # noqa: E731
    x0, x1, x2 = 1.0, 2.0, 3.0
    np.testing.assert_allclose(adlab.grad(f)(np.array([x0, x1, x2])), [3 * x1 + x2, 3 * x0 + 2 * x1, 2 * x2 + x0])


def test_repr_of_traced_values_has_no_memory_address():
    seen = []
    adlab.grad(lambda x: seen.append(repr(x)) or x * 2)(1.5)
    assert seen[0].startswith("Traced<1.5, reverse level ") and "0x" not in seen[0]


def test_numpy_scalars_and_arrays_on_the_left():
    g = adlab.grad(lambda x: np.float64(2.0) * x + np.array(3.0) * x + np.ones(2) @ (np.ones(2) * x))(1.0)
    assert g == pytest.approx(7.0)


def test_anp_namespace_matches_numpy_on_plain_values():
    x = np.linspace(0.1, 0.9, 5)
    for name in ["sin", "tanh", "exp", "log", "sqrt", "sum", "mean", "max", "cumsum", "pi"]:
        expected = getattr(np, name)
        got = getattr(anp, name)
        assert np.allclose(got(x) if callable(got) else got, expected(x) if callable(expected) else expected)


def test_polynomials_at_zero():
    poly = lambda x: sum(c * x ** k for k, c in enumerate([1.0, 2.0, 3.0]))  # noqa: E731
    assert adlab.grad(poly)(0.0) == 2.0
    np.testing.assert_array_equal(adlab.grad(lambda x: np.sum(poly(x)))(np.zeros(2)), [2.0, 2.0])
    assert adlab.grad(adlab.grad(adlab.grad(lambda x: x ** 2)))(0.0) == 0.0
    assert adlab.hessian(poly)(0.0) == 6.0
    check_grads(lambda x, y: x ** y, (np.array([0.5, 2.0]), np.array([0.0, 1.0])), order=2)


def test_copy_and_sort_carry_the_derivative():
    x = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(adlab.grad(lambda x: np.sum(np.copy(x) ** 2))(x), 2 * x)
    np.testing.assert_array_equal(adlab.grad(lambda x: np.sum(x.copy() * x))(x), 2 * x)
    np.testing.assert_array_equal(adlab.grad(lambda x: np.sort(x)[0])(x), [0.0, 1.0, 0.0])
    check_grads(lambda a: np.sort(a, axis=0) * np.arange(1.0, 4.0)[:, None], (np.array([[3., 1.], [1., 2.], [0., 5.]]),))
    with pytest.raises(TypeError, match="numpy.unique"):
        adlab.grad(lambda x: np.sum(np.unique(x)))(x)


def test_set_at_with_repeated_indices_keeps_the_last_write():
    f = lambda x: anp.set_at(x, [0, 0], x[1:3] * 2.0)  # noqa: E731  x[0] = 2·x[2] in the end
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [6.0, 2.0, 3.0])
    np.testing.assert_array_equal(adlab.grad(lambda x: f(x)[0])(x), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(adlab.jacrev(f)(x), adlab.jacfwd(f)(x))


def test_float32_stays_float32_everywhere():
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    for f in (lambda a: np.sum(a * a), np.max, lambda a: np.sum(np.maximum(a, 0.0)), lambda a: np.sum(np.clip(a, -1.0, 1.0)),
              lambda a: np.sum(anp.set_at(a, 0, a[1] ** 2)), lambda a: np.sum(a[np.array([0, 0, 2])])):
        assert adlab.grad(f)(x).dtype == np.float32
    assert adlab.jacfwd(np.sin)(x).dtype == adlab.jacrev(np.sin)(x).dtype == np.float32
    assert adlab.hessian(lambda a: np.sum(a ** 3))(x).dtype == np.float32


def test_jacfwd_runs_f_only_traced():
    """Functions that use traced-only syntax (x.at[...]) work in every transformation."""
    f = lambda x: x.at[0].set(x[1] ** 2)  # noqa: E731
    np.testing.assert_array_equal(adlab.jacfwd(f)(np.ones(3)), adlab.jacrev(f)(np.ones(3)))


def test_checkpoint_of_closures_constants_and_keywords():
    def leaky(w):
        return adlab.checkpoint(lambda h: np.tanh(w * h))(2.0 * w)

    with pytest.raises(TypeError, match="traced value it was not given.*pass every traced value"):
        adlab.grad(leaky)(0.3)
    honest = lambda w: adlab.checkpoint(lambda h, w: np.tanh(w * h))(2.0 * w, w)  # noqa: E731
    assert adlab.grad(honest)(0.3) == pytest.approx(4 * 0.3 * (1 - np.tanh(2 * 0.09) ** 2))
    assert adlab.grad(adlab.checkpoint(lambda x, n: x ** n))(2.0, 3) == 12.0
    assert adlab.grad(adlab.checkpoint(lambda x, scale=1.0: scale * x ** 2))(3.0, scale=2.0) == 12.0
    with pytest.raises(TypeError, match="returned a tuple"):
        adlab.grad(lambda x: adlab.checkpoint(lambda y: (y, y))(x)[0])(1.0)


def test_none_is_an_empty_node_and_a_missing_return_is_named():
    g = adlab.grad(lambda p: p["w"] * 2.0)({"w": 1.0, "unused": None})
    assert g == {"w": 2.0, "unused": None}
    with pytest.raises(TypeError, match="returned None; did it forget `return`"):
        adlab.grad(lambda x: None)(1.0)


def test_adlab_testing_after_a_plain_import_adlab():
    import subprocess
    import sys

    code = "import adlab, numpy as np; adlab.testing.check_grads(np.sin, (1.0,)); print('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "ok"
