"""Feedback on hand-derived gradients and Jacobians: which entries are wrong, and by how much."""

import numpy as np
import pytest

from adlab.testing import assert_gradient, assert_jacobian, compare_gradient, compare_jacobian


def seed_example(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


def polar(r_theta):
    r, theta = r_theta[0], r_theta[1]
    return np.stack([r * np.cos(theta), r * np.sin(theta), r * r])


point = np.array([2.0, 0.5])
r, theta = point
TRUE_J = np.array([[np.cos(theta), -r * np.sin(theta)],
                   [np.sin(theta), r * np.cos(theta)],
                   [2 * r, 0.0]])


def test_right_gradient():
    feedback = compare_gradient((-4.0 - 1 / 3, 4.0), seed_example, 3.0, -4.0, argnums=(0, 1))
    assert feedback.ok and feedback.wrong == ()
    assert repr(feedback) == "All 2 entries of your gradient are right (within rtol=1e-06, atol=1e-08)."
    assert_gradient((-4 - 1 / 3, 4.0), seed_example, 3.0, -4.0, argnums=(0, 1))


def test_wrong_gradient_entry_is_named_with_both_values():
    # a classic slip: d/dx1 of -ln(x1) taken as +1/x1
    feedback = compare_gradient((-4 + 1 / 3, 4.0), seed_example, 3.0, -4.0, argnums=(0, 1))
    assert not feedback.ok
    assert feedback.message == ("1 of 2 entries of your gradient is wrong:\n"
                                "  argument 0: yours −3.66667, true −4.33333 (off by 0.66667)")
    assert [(label, index) for label, index, _, _ in feedback.wrong] == [("argument 0", ())]


def test_scalar_gradient_and_a_gradient_function():
    assert compare_gradient(lambda x1, x2: x2 - 1 / x1, seed_example, 3.0, -4.0).ok
    feedback = compare_gradient(-4.0, seed_example, 3.0, -4.0)
    assert feedback.message == "Your gradient is wrong:\n  yours −4, true −4.33333 (off by 0.33333)"


def test_array_gradient_entries():
    def f(v):
        return np.sum(v ** 3)
    v = np.array([1.0, -2.0, 0.5])
    feedback = compare_gradient(np.array([3.0, 12.0, 0.5]), f, v)   # true 3v² = [3, 12, 0.75]
    assert feedback.message.splitlines()[1] == "  at [2]: yours 0.5, true 0.75 (off by −0.25)"


def test_right_jacobian():
    assert compare_jacobian(TRUE_J, polar, point).ok
    assert compare_jacobian(lambda p: TRUE_J, polar, point).ok
    assert_jacobian(TRUE_J, polar, point)


def test_wrong_jacobian_entries_at_i_j():
    mine = TRUE_J.copy()
    mine[0, 1] = r * np.sin(theta)      # sign slip
    mine[2, 0] = r                      # forgot the 2
    feedback = compare_jacobian(mine, polar, point)
    lines = feedback.message.splitlines()
    assert lines[0] == "2 of 6 entries of your Jacobian are wrong:"
    assert lines[1] == "  at [0, 1]: yours 0.95885, true −0.95885 (off by 1.9177)"
    assert lines[2] == "  at [2, 0]: yours 2, true 4 (off by −2)"
    with pytest.raises(AssertionError) as error:
        assert_jacobian(mine, polar, point)
    assert str(error.value) == feedback.message


def test_transposed_jacobian_is_recognised():
    feedback = compare_jacobian(TRUE_J.T, polar, point)
    assert not feedback.ok
    assert feedback.message.startswith("Your Jacobian is the transpose of the true one")
    assert "\n" not in feedback.message


def test_shape_mismatch_is_one_sentence():
    feedback = compare_jacobian(TRUE_J[:2], polar, point)
    assert feedback.message == ("Your Jacobian has shape (2, 2) but the true one has shape (3, 2) "
                                "(output shape + input shape).")
    feedback = compare_gradient(np.zeros(3), lambda v: np.sum(v * v), np.ones(2))
    assert feedback.message == "Your gradient has shape (3,) but the true one has shape (2,), the shape of the argument."
    with pytest.raises(AssertionError, match="has shape"):
        assert_gradient(np.zeros(3), lambda v: np.sum(v * v), np.ones(2))


def test_many_wrong_entries_are_counted_not_all_listed():
    n = 15
    feedback = compare_gradient(np.zeros(n), lambda v: np.sum(v * v), np.ones(n))
    lines = feedback.message.splitlines()
    assert lines[0] == "15 of 15 entries of your gradient are wrong:"
    assert len(lines) == 1 + 10 + 1 and lines[-1] == "  … and 5 more."
    assert len(feedback.wrong) == 15


def test_nan_is_wrong_unless_the_truth_is_nan_too():
    feedback = compare_gradient(np.array([np.nan, 2.0]), lambda v: np.sum(v * v), np.ones(2))
    assert [index for _, index, _, _ in feedback.wrong] == [(0,)]
    with np.errstate(invalid="ignore"):
        assert compare_gradient(np.nan, np.sqrt, -1.0).ok   # √ has no derivative at −1: both say nan


def test_jacobian_with_several_arguments():
    def f(a, b):
        return a * b
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    assert compare_jacobian((np.diag(b), np.diag(a)), f, a, b, argnums=(0, 1)).ok
    feedback = compare_jacobian((np.diag(b), np.diag(b)), f, a, b, argnums=(0, 1))
    assert feedback.message.splitlines()[1] == "  argument 1: at [0, 0]: yours 3, true 1 (off by 2)"
    with pytest.raises(ValueError, match="tuple of 2 parts"):
        compare_jacobian(np.diag(b), f, a, b, argnums=(0, 1))


def test_tolerances_decide_what_is_close_enough():
    approximately = -4.3333
    assert not compare_gradient(approximately, seed_example, 3.0, -4.0).ok
    assert compare_gradient(approximately, seed_example, 3.0, -4.0, rtol=1e-4).ok


def test_several_outputs_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="stack several outputs with np.stack"):
        compare_jacobian(np.eye(2), lambda v: (v[0], v[1]), point)
