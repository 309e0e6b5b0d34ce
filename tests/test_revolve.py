"""Binomial checkpointing: the least recomputation (Griewank & Walther's t(n, s)), at most s states, same gradients."""

import functools
import tracemalloc

import numpy as np
import pytest

import adlab
from adlab.core.interpreter import Box
from adlab.core.revolve import _split, binomial_cost, checkpoint_loop, schedule


def test_the_issue_s_example_1000_steps_10_states_is_3636_forward_steps():
    assert binomial_cost(1000, 10) == 3636


@functools.lru_cache(maxsize=None)
def least_cost(n, s):
    """The optimum by brute force over every first split (dynamic programming)."""
    if n <= 1:
        return 0
    if s == 1:
        return n * (n - 1) // 2
    return min(m + least_cost(n - m, s - 1) + least_cost(m, s) for m in range(1, n))


def test_the_formula_is_the_optimum_found_by_brute_force():
    assert all(binomial_cost(n, s) == least_cost(n, s) for n in range(80) for s in range(1, 9))


def test_the_engine_s_split_attains_the_formula_for_every_n_to_2000_and_s_to_20():
    """The schedule recurses on `_split`; if every split attains t, the whole schedule does (by induction)."""
    for s in range(2, 21):
        for n in range(2, 2001):
            m = _split(n, s)
            assert 1 <= m < n and m + binomial_cost(n - m, s - 1) + binomial_cost(m, s) == binomial_cost(n, s), (n, s)


def walk(n, s):
    """Forward steps, the most states stored at once, and the order steps are reversed, by the schedule."""
    advanced, stored, most, reversed_steps = 0, 1, 1, []
    for action, *where in schedule(n, s):
        advanced += where[1] - where[0] if action == "advance" else 0
        stored += {"store": 1, "free": -1}.get(action, 0)
        most = max(most, stored)
        if action == "reverse":
            reversed_steps.append(where[0])
    return advanced, most, reversed_steps


@pytest.mark.parametrize("n, s", [(1000, 10), (2000, 20), (2000, 1), (37, 3), (5, 9)])
def test_the_schedule_reverses_every_step_once_in_order_within_its_budget(n, s):
    advanced, most, reversed_steps = walk(n, s)
    assert advanced == binomial_cost(n, s) and most <= s
    assert reversed_steps == list(range(n - 1, -1, -1))


def counting(step):
    """step, counting plain calls (the primal run and recomputation) and traced ones (recorded steps)."""
    calls = {"plain": 0, "recorded": 0}

    def counted(x, *args):
        calls["recorded" if isinstance(x, Box) else "plain"] += 1
        return step(x, *args)

    return counted, calls


@pytest.mark.parametrize("n, s", [(n, s) for n in (0, 1, 2, 3, 7, 20, 41) for s in (1, 2, 3, 6)] + [(1000, 10)])
def test_the_engine_runs_exactly_t_forward_steps_and_records_each_step_once(n, s):
    step, calls = counting(lambda x: np.sin(x) * 1.01)
    adlab.grad(lambda x: checkpoint_loop(step, x, n, snapshots=s))(0.4)
    assert calls == {"plain": n + binomial_cost(n, s), "recorded": n}  # the primal run, then the reverse sweep


def tanh_layer(x, W):
    return np.tanh(W @ x)


def unrolled(x, W, n):
    for _ in range(n):
        x = tanh_layer(x, W)
    return x


@pytest.fixture(scope="module")
def layer():
    rng = np.random.default_rng(0)
    return rng.standard_normal(30), rng.standard_normal((30, 30)) / np.sqrt(30)


def test_gradients_match_the_unrolled_loop_in_every_argument(layer):
    x, W = layer
    loss = lambda x, W: np.sum(checkpoint_loop(tanh_layer, x, 100, W, snapshots=10) ** 2)  # noqa: E731
    plain = lambda x, W: np.sum(unrolled(x, W, 100) ** 2)  # noqa: E731
    for mine, truth in zip(adlab.grad(loss, argnums=(0, 1))(x, W), adlab.grad(plain, argnums=(0, 1))(x, W)):
        np.testing.assert_allclose(mine, truth, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(adlab.jvp(loss, (x, W), (x, W))[1], adlab.jvp(plain, (x, W), (x, W))[1], rtol=1e-12)


def test_second_derivatives_and_constants_that_are_not_floats():
    def step(v, k):
        return v * np.sin(v) + 0.1 * k

    def plain(x):
        for _ in range(6):
            x = step(x, 2)
        return x

    def checkpointed(x):
        return checkpoint_loop(step, x, 6, 2, snapshots=2)

    assert adlab.grad(checkpointed)(0.9) == pytest.approx(adlab.grad(plain)(0.9), rel=1e-12)
    assert adlab.hessian(checkpointed)(0.9) == pytest.approx(adlab.hessian(plain)(0.9), rel=1e-12)


def test_memory_holds_the_stored_states_not_the_whole_loop():
    """100 steps of a 1 MB state: the plain tape keeps every state, revolve with 5 keeps about 5."""
    x = np.linspace(0.1, 1.0, 125_000)  # 1 MB of float64
    step = lambda v: np.sin(v) + 0.5  # noqa: E731

    def peak_megabytes(f):
        tracemalloc.start()
        adlab.grad(f)(x)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 1e6

    plain = peak_megabytes(lambda v: np.sum(unrolled_with(step, v, 100)))
    revolved = peak_megabytes(lambda v: np.sum(checkpoint_loop(step, v, 100, snapshots=5)))
    assert plain > 100 and revolved < 5 + 10, (plain, revolved)  # 5 states and a step's own few arrays


def unrolled_with(step, x, n):
    for _ in range(n):
        x = step(x)
    return x


@pytest.mark.parametrize("call, words", [
    (lambda: checkpoint_loop(np.sin, 1.0, 10, snapshots=0), "snapshots must be a whole number ≥ 1"),
    (lambda: checkpoint_loop(np.sin, 1.0, -1), "n_steps must be a whole number ≥ 0"),
    (lambda: checkpoint_loop(np.sin, 1.0, 2.5, snapshots=2), "n_steps must be a whole number ≥ 0"),
    (lambda: checkpoint_loop(3.0, 1.0, 10), "first argument is the step function"),
])
def test_a_wrong_budget_or_step_gets_one_sentence(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call()


def test_a_constant_nobody_differentiates_gets_no_cotangent(layer):
    """grad in x only: W's cotangent (a 30×30 outer product per step) is never computed."""
    x, W = layer
    calls = {"recorded with W traced": 0}

    def step(v, W):
        calls["recorded with W traced"] += isinstance(W, Box)
        return tanh_layer(v, W)

    adlab.grad(lambda x: np.sum(checkpoint_loop(step, x, 20, W, snapshots=4)))(x)
    assert calls == {"recorded with W traced": 0}
    adlab.grad(lambda W: np.sum(checkpoint_loop(step, x, 20, W, snapshots=4)))(W)
    assert calls == {"recorded with W traced": 20}


def test_a_budget_of_a_thousand_states_needs_no_deep_recursion():
    """The schedule's parts wait on a list, not on Python's call stack (which stops near 1,000 frames)."""
    import numpy as np

    def plain(x):
        for _ in range(1000):
            x = x + 0.1 * np.sin(x)
        return x

    assert len(schedule(1000, 999)) > 1000
    looped = adlab.grad(lambda x: adlab.checkpoint_loop(lambda x: x + 0.1 * np.sin(x), x, 1000, snapshots=999))
    assert looped(1.0) == pytest.approx(adlab.grad(plain)(1.0), rel=1e-12)
