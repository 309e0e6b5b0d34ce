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
