"""Nested transformations: every combination of modes, no perturbation confusion."""

import itertools

import numpy as np
import pytest

import adlab


def d_grad(f):
    return adlab.grad(f)


def d_jvp(f):
    return lambda x: adlab.jvp(f, (x,), (1.0,))[1]


def d_jacfwd(f):
    return adlab.jacfwd(f)


def d_jacrev(f):
    return adlab.jacrev(f)


def d_vjp(f):
    return lambda x: adlab.vjp(f, x)[1](1.0)[0]


DERIVATIVES = {"grad": d_grad, "jvp": d_jvp, "jacfwd": d_jacfwd, "jacrev": d_jacrev, "vjp": d_vjp}
COMBINATIONS = list(itertools.product(DERIVATIVES, repeat=2))


@pytest.mark.parametrize("outer,inner", COMBINATIONS)
def test_no_perturbation_confusion_sum(outer, inner):
    """d/dx [x · d/dy (x + y) at y=1] at x=1 is 1; confusing the two perturbations gives 2."""
    D, E = DERIVATIVES[outer], DERIVATIVES[inner]
    assert float(D(lambda x: x * E(lambda y: x + y)(1.0))(1.0)) == 1.0


@pytest.mark.parametrize("outer,inner", COMBINATIONS)
def test_no_perturbation_confusion_product(outer, inner):
    """d/dx [x · d/dy (x · y) at y=2] at x=1 is 2 (it is d/dx x² = 2x); confusion gives 3."""
    D, E = DERIVATIVES[outer], DERIVATIVES[inner]
    assert float(D(lambda x: x * E(lambda y: x * y)(2.0))(1.0)) == 2.0


@pytest.mark.parametrize("first,second,third", list(itertools.product(["grad", "jvp"], repeat=3)))
def test_third_derivative(first, second, third):
    f = DERIVATIVES[first](DERIVATIVES[second](DERIVATIVES[third](np.sin)))
    assert np.isclose(f(0.7), -np.cos(0.7), rtol=1e-14)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i, i + 1] += -400 * x[i]
        H[i + 1, i] += -400 * x[i]
        H[i + 1, i + 1] += 200
    return H


X = np.array([0.3, -0.8, 1.2, 0.5])


@pytest.mark.parametrize("outer", [adlab.jacfwd, adlab.jacrev])
@pytest.mark.parametrize("inner", [adlab.jacfwd, adlab.jacrev, adlab.grad])
def test_hessians_in_every_mode_combination(outer, inner):
    np.testing.assert_allclose(outer(inner(rosenbrock))(X), rosenbrock_hessian(X), rtol=1e-12)


def test_hessian():
    np.testing.assert_allclose(adlab.hessian(rosenbrock)(X), rosenbrock_hessian(X), rtol=1e-12)


def test_hvp_both_ways_agree_with_the_hessian():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    expected = rosenbrock_hessian(X) @ v
    forward_over_reverse = adlab.hvp(rosenbrock, (X,), (v,), method="forward-over-reverse")
    reverse_on_forward = adlab.hvp(rosenbrock, (X,), (v,))
    np.testing.assert_allclose(forward_over_reverse, expected, rtol=1e-12)
    np.testing.assert_allclose(reverse_on_forward, expected, rtol=1e-12)


def test_hvp_default_skips_the_gradient_it_would_discard(monkeypatch):
    """Reverse-on-forward (the default) multiplies by A three times for f = ½ xᵀAx + ...: x·A and v·A forward,
    one product back. Forward-over-reverse also computes the gradient's own A·x̄, which hvp throws away."""
    from adlab.core import rules

    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    products = []
    impl = rules.matmul.impl
    monkeypatch.setattr(rules.matmul, "impl", lambda a, b: products.append(a is A or b is A) or impl(a, b))

    def f(x):
        return 0.5 * (x @ A @ x) + np.sum(np.tanh(x) ** 2)

    def with_A(method):
        products.clear()
        result = adlab.hvp(f, (x,), (v,), **method)
        return result, sum(products)

    default, fewer = with_A({})
    other, more = with_A({"method": "forward-over-reverse"})
    np.testing.assert_allclose(default, other, rtol=1e-13)
    assert (fewer, more) == (3, 4)


def test_hvp_of_several_arguments():
    def f(x, y):
        return np.sum(np.sin(x) * y ** 2)

    x, y = np.array([0.1, 0.7]), np.array([1.5, -0.4])
    vx, vy = np.array([1.0, 0.0]), np.array([0.5, 2.0])
    hx, hy = adlab.hvp(f, (x, y), (vx, vy), method="forward-over-reverse")
    gx, gy = adlab.hvp(f, (x, y), (vx, vy))
    np.testing.assert_allclose(hx, -np.sin(x) * y ** 2 * vx + 2 * np.cos(x) * y * vy, rtol=1e-12)
    np.testing.assert_allclose(hy, 2 * np.cos(x) * y * vx + 2 * np.sin(x) * vy, rtol=1e-12)
    np.testing.assert_allclose(gx, hx, rtol=1e-12)
    np.testing.assert_allclose(gy, hy, rtol=1e-12)


def test_grad_of_jvp_and_jvp_of_grad():
    f = lambda x: np.sum(np.exp(x) * x)  # noqa: E731
    x, v = np.array([0.2, -0.4]), np.array([1.0, 3.0])
    jvp_of_grad = adlab.jvp(adlab.grad(f), (x,), (v,))[1]
    grad_of_jvp = adlab.grad(lambda y: adlab.jvp(f, (y,), (v,))[1])(x)
    np.testing.assert_allclose(jvp_of_grad, (2 + x) * np.exp(x) * v, rtol=1e-12)
    np.testing.assert_allclose(grad_of_jvp, jvp_of_grad, rtol=1e-12)


def test_closure_over_an_outer_traced_value():
    """An inner derivative treats the outer variable as a constant."""
    def f(x):
        g = adlab.grad(lambda y: np.sin(x * y))
        return g(2.0)  # x·cos(2x)

    x = 0.3
    assert np.isclose(adlab.grad(f)(x), np.cos(2 * x) - 2 * x * np.sin(2 * x), rtol=1e-13)
