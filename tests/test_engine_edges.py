"""Edges of the engine found by misuse from outside (issue "One definition of every derivative…", item 5).

Each edge gets the right result or one sentence that names the fix: binomial_cost for any n, counts given
as NumPy integers, schedule as a list, np.matrix inputs, functions that return text or a generator, and
dicts whose keys are of different types.
"""

import math
import re
import threading
import time
import warnings

import numpy as np
import pytest

import adlab
from adlab import checkpoint_loop, grad, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp
from adlab.core import revolve
from adlab.core.revolve import binomial_cost, schedule
from adlab.core.tree import flatten, unflatten

pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


def one_sentence(message):
    """One sentence: it ends with a full stop and no full stop inside is followed by a new sentence."""
    return message.endswith(".") and re.search(r"[.;:]\s+[A-Z]", message) is None


# -- binomial_cost: fast for any n, the same r as counting up -------------------------------------------


def old_repetitions(n_steps, snapshots):
    """The algorithm before this change, verbatim: count r up one at a time."""
    r = 0
    while revolve._choose(snapshots + r, snapshots) < n_steps:
        r += 1
    return r


def old_binomial_cost(n_steps, snapshots):
    if n_steps <= 1:
        return 0
    r = old_repetitions(n_steps, snapshots)
    return r * n_steps - revolve._choose(snapshots + r, snapshots + 1)


def old_split(n_steps, snapshots):
    r = old_repetitions(n_steps, snapshots)
    return min(revolve._choose(snapshots + r - 1, snapshots),
               n_steps - revolve._choose(snapshots + r - 2, snapshots - 1))


def test_binomial_cost_agrees_with_counting_r_up_for_every_n_up_to_2000_and_s_up_to_30():
    for s in range(1, 31):
        for n in range(0, 2001):
            assert revolve._repetitions(n, s) == old_repetitions(n, s), (n, s)
            assert binomial_cost(n, s) == old_binomial_cost(n, s), (n, s)
            if n >= 2 and s >= 2:
                assert revolve._split(n, s) == old_split(n, s), (n, s)


def test_binomial_cost_of_a_trillion_steps_returns_at_once():
    n = 10**12
    result = {}
    worker = threading.Thread(target=lambda: result.update(t=binomial_cost(n, 1)), daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(5.0)
    assert "t" in result, "binomial_cost(10**12, 1) did not return in 5 s"
    assert time.perf_counter() - started < 5.0
    assert result["t"] == n * (n - 1) // 2  # s = 1: step i is recomputed n − 1 − i times
    for s in (2, 3, 10, 100, 10**6):
        r = revolve._repetitions(n, s)
        assert math.comb(s + r, s) >= n > math.comb(s + r - 1, s)
        assert binomial_cost(n, s) == r * n - math.comb(s + r, s + 1)
    assert binomial_cost(10**100, 7) > 0  # any n


def test_the_schedule_still_attains_binomial_cost():
    for n in range(0, 40):
        for s in range(1, 7):
            advanced = sum(j - i for action, *where in schedule(n, s) if action == "advance" for i, j in [where])
            assert advanced == binomial_cost(n, s), (n, s)


# -- counts: NumPy integers are whole numbers; anything else is refused in one sentence --------------------


def counting_step():
    calls = []

    def step(x):
        calls.append(1)
        return np.sin(x) * 0.99

    return step, calls


@pytest.mark.parametrize("n", [np.int64(100), np.int32(100), np.uint16(100)])
def test_checkpoint_loop_takes_numpy_integers_with_the_default_of_the_square_root(n):
    step, calls = counting_step()
    g_numpy = grad(lambda x: checkpoint_loop(step, x, n))(0.5)
    numpy_calls = len(calls)
    calls.clear()
    g_int = grad(lambda x: checkpoint_loop(step, x, 100))(0.5)
    assert len(calls) == numpy_calls  # the same schedule: ⌈√100⌉ = 10 states, not 1
    assert numpy_calls == 100 + binomial_cost(100, 10) + 100  # primal run, recomputation, one recording per step
    assert binomial_cost(100, 10) < binomial_cost(100, 1) / 10
    assert g_numpy == g_int


def test_numpy_integer_snapshots_and_counts_everywhere():
    step, calls = counting_step()
    g = grad(lambda x: checkpoint_loop(step, x, np.int64(20), snapshots=np.int64(3)))(0.5)
    assert len(calls) == 20 + binomial_cost(20, 3) + 20
    assert g == pytest.approx(grad(lambda x: checkpoint_loop(step, x, 20, snapshots=20))(0.5))
    assert schedule(np.int64(4), np.int8(2)) == schedule(4, 2)
    big = binomial_cost(np.int64(10**12), np.int64(1))  # a Python int: no int64 overflow in r·n
    assert type(big) is int and big == 10**12 * (10**12 - 1) // 2


@pytest.mark.parametrize("call, words", [
    (lambda: checkpoint_loop(np.sin, 0.5, 2.5), "n_steps must be a whole number ≥ 0 given as an int or a NumPy integer, not 2.5"),
    (lambda: checkpoint_loop(np.sin, 0.5, 10.0), "n_steps must be a whole number ≥ 0 given as an int"),
    (lambda: checkpoint_loop(np.sin, 0.5, np.float64(3.0)), "n_steps must be a whole number ≥ 0 given as an int"),
    (lambda: checkpoint_loop(np.sin, 0.5, True), "n_steps must be a whole number ≥ 0 given as an int"),
    (lambda: checkpoint_loop(np.sin, 0.5, "5"), "n_steps must be a whole number ≥ 0 given as an int"),
    (lambda: checkpoint_loop(np.sin, 0.5, -1), "n_steps must be a whole number ≥ 0, not -1."),
    (lambda: checkpoint_loop(np.sin, 0.5, np.int64(-3)), "n_steps must be a whole number ≥ 0, not -3."),
    (lambda: checkpoint_loop(np.sin, 0.5, 5, snapshots=0), "snapshots must be a whole number ≥ 1"),
    (lambda: checkpoint_loop(np.sin, 0.5, 5, snapshots=2.5), "snapshots must be a whole number ≥ 1 (the initial state "
                                                             "counts) given as an int"),
    (lambda: binomial_cost(10, 1.5), "snapshots must be a whole number ≥ 1"),
    (lambda: binomial_cost(-2, 1), "n_steps must be a whole number ≥ 0, not -2."),
    (lambda: schedule(4.0, 2), "n_steps must be a whole number ≥ 0 given as an int"),
])
def test_a_count_that_is_not_a_whole_number_is_refused_in_one_sentence(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(words)
    assert one_sentence(str(info.value))


# -- schedule is a list --------------------------------------------------------------------------------------


def test_schedule_is_a_list_with_a_length():
    actions = schedule(4, 2)
    assert isinstance(actions, list)
    assert len(actions) == 17
    assert actions == [("restore", 0), ("advance", 0, 2), ("store", 2), ("restore", 2), ("advance", 2, 3),
                       ("reverse", 3), ("restore", 2), ("reverse", 2), ("free", 2), ("restore", 0),
                       ("advance", 0, 1), ("store", 1), ("restore", 1), ("reverse", 1), ("free", 1),
                       ("restore", 0), ("reverse", 0)]
    assert schedule(0, 3) == [] and schedule(4, 2) == actions  # a fresh list each time, the same actions
    assert schedule(1, 1) == [("restore", 0), ("reverse", 0)]


# -- np.matrix: refused in one sentence that says to convert it ----------------------------------------------


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)  # NumPy's own advice, the same as ours
    M = np.matrix([[1.0, 2.0], [3.0, 4.0]])
x2 = np.array([1.0, 2.0])


@pytest.mark.parametrize("call, where", [
    (lambda: grad(lambda A: np.sum(A * A))(M), "grad's input 0"),
    (lambda: value_and_grad(lambda A: np.sum(A @ x2))(M), "grad's input 0"),
    (lambda: jvp(lambda A: A @ A, (M,), (M,)), "jvp's input 0"),
    (lambda: vjp(lambda A: A @ x2, M), "vjp's input 0"),
    (lambda: jacfwd(lambda A: A * 2.0)(M), "jacfwd's input 0"),
    (lambda: jacrev(lambda A: A * 2.0)(M), "jacrev's input 0"),
    (lambda: hessian(lambda A: np.sum(A * A))(M), "jacfwd's input 0"),  # hessian is jacfwd(jacrev(f))
    (lambda: hvp(lambda A: np.sum(A * A), (M,), (M,)), "hvp's input 0"),
    (lambda: grad(lambda x, A: np.sum(A * x))(x2, M), "grad's argument 1"),  # NumPy's "shapes not aligned" before
    (lambda: grad(lambda x, A=None: np.sum(A @ x))(x2, A=M), "grad's keyword argument A"),
    (lambda: jacfwd(lambda x, A: A @ x)(x2, M), "jacfwd's argument 1"),
    (lambda: jvp(lambda v: v * 2.0, (x2,), (np.matrix(x2),)), "the tangent of input 0"),
    (lambda: vjp(lambda v: v * 2.0, x2)[1](np.matrix(x2)), "the cotangent of output 0"),
    (lambda: grad(lambda x: np.sum(M @ x))(x2), "a value that"),  # a closure's matrix: caught where NumPy fails
    (lambda: grad(lambda x: np.sum(x @ M))(x2), "a value that"),
    (lambda: jvp(lambda x: np.sum(M * x), (x2,), (x2,)), "a value that"),
    (lambda: jacrev(lambda x: M * x)(x2), "a value that"),
])
def test_np_matrix_is_refused_in_one_sentence_that_says_to_convert_it(call, where):
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert where in message and "np.matrix" in message and "np.asarray(A)" in message, message
    assert "not aligned" not in message and "keepdims" not in message
    assert one_sentence(message), message


def test_the_same_values_as_arrays_are_differentiated():
    A = np.asarray(M)
    assert np.allclose(grad(lambda A: np.sum(A * A))(A), 2 * A)
    assert np.allclose(grad(lambda x, A: np.sum(A @ x))(x2, A), A.sum(axis=0))


# -- f must return numbers -------------------------------------------------------------------------------------


def a_generator(x):
    return (x * k for k in range(3))


@pytest.mark.parametrize("call, what, fix", [
    (lambda: grad(lambda x: "abc")(1.0), "but it returned a str", "return the float"),
    (lambda: grad(a_generator)(1.0), "but it returned a generator", "np.array([... for ...])"),
    (lambda: grad(lambda x: object())(1.0), "but it returned an object", "return the float"),
    (lambda: grad(lambda x: np.str_("abc"))(1.0), "but it returned a str_", "return the float"),
    (lambda: value_and_grad(lambda x: "abc")(1.0), "but it returned a str", "return the float"),
    (lambda: grad(lambda x: (x * x, "label"))(1.0), "but its output 1 is a str", "pass has_aux=True"),
    (lambda: vjp(lambda x: "abc", 1.0), "but it returned a str", "return the float"),
    (lambda: jvp(a_generator, (1.0,), (1.0,)), "but it returned a generator", "np.array([... for ...])"),
    (lambda: jacrev(lambda x: "abc")(1.0), "but it returned a str", "return the float"),
    (lambda: jacfwd(lambda x: {"y": x, "name": "abc"})(1.0), "but its output 0 is a str", "return the float"),
    (lambda: hessian(a_generator)(1.0), "but it returned a generator", "np.array"),
])
def test_f_that_returns_text_or_a_generator_is_told_to_return_numbers(call, what, fix):
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert "needs f to return a number or an array of numbers" in message and what in message and fix in message
    assert "data type" not in message and "Cannot interpret" not in message
    assert one_sentence(message), message


def test_numbers_of_every_kind_still_come_back():
    assert grad(lambda x: (x * x, "label"), has_aux=True)(3.0) == (6.0, "label")  # aux may be anything
    assert vjp(lambda x: 10**400, 1.0)[0] == 10**400  # a Python int too large for NumPy is still a number
    assert jvp(lambda x: (x, 3, np.int64(2), None), (1.0,), (1.0,))[1][0] == 1.0
    with pytest.raises(TypeError, match="returned None; did it forget `return`"):
        grad(lambda x: None)(1.0)


# -- dicts whose keys are of different types ------------------------------------------------------------------


def test_a_dict_with_keys_of_different_types_is_differentiated():
    g = grad(lambda d: d["a"] * d[1] + d[(0, 1)])({"a": 2.0, 1: 3.0, (0, 1): 1.0})
    assert g == {"a": 3.0, 1: 2.0, (0, 1): 1.0}
    out, tangent = jvp(lambda d: d["a"] * d[1], ({1: 3.0, "a": 2.0},), ({"a": 1.0, 1: 0.0},))
    assert (out, tangent) == (6.0, 3.0)  # tangents in another insertion order still match their primals
    jacobian = jacrev(lambda d: d["w"] * d[0])({0: 2.0, "w": np.array([1.0, 2.0])})
    assert list(jacobian) == [0, "w"]
    assert np.allclose(jacobian[0], [1.0, 2.0]) and np.allclose(jacobian["w"], np.diag([2.0, 2.0]))


def test_dict_order_is_sorted_as_before_and_stable_across_insertion_orders():
    assert flatten({"b": 1, "a": 2, "c": 3})[0] == [2, 1, 3]  # homogeneous keys: sorted, as before
    assert flatten({3: "x", 1: "y", 2.5: "z"})[0] == ["y", "z", "x"]  # comparable mixed numbers: sorted too
    mixed = {"a": 1, 2: 2, 1: 3, "0": 4, (1,): 5}
    leaves, treedef = flatten(mixed)
    assert leaves == [3, 2, 4, 1, 5]  # by type name (int, str, tuple), then by key
    assert flatten(dict(reversed(list(mixed.items())))) == (leaves, treedef)
    assert unflatten(treedef, leaves) == mixed
    odd = {object(): 1.0, object(): 2.0}  # keys that cannot be compared at all keep the dict's order
    assert flatten(odd)[0] == [1.0, 2.0]
    assert unflatten(flatten(odd)[1], [5.0, 6.0]) == dict(zip(odd, [5.0, 6.0]))
