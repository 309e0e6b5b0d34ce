"""Lesson 9 · Memory and checkpointing: how the sweeps' memory grows, the √N rule, binomial checkpointing."""

from __future__ import annotations

import math
from collections import Counter

from ...core.revolve import binomial_cost, schedule
from ..diagnose import EXACT
from ..exercise import Exercise
from . import register

# t(n, s) the lesson prints (sections 3 and the closing paragraph): never a test point or a student's budget.
SHOWN = {(100, 2), (100, 5), (100, 10), (1000, 10), (1000, 32)}


# -- 9.2 · the √N rule ----------------------------------------------------------------------------


def _states(N, k):
    """States a sweep keeps with segments of k steps: the boundaries (rounded up) and one segment's steps."""
    return -(-N // k) + k


def _segments(N):
    """[best k, the states it keeps], found by trying every segment length."""
    best = min(range(1, N + 1), key=lambda k: _states(N, k))
    return [best, _states(N, best)]


def _segment_mistakes(N):
    root = math.isqrt(N)
    return {"the states kept are the boundaries N/k and one segment's k steps: count both": [root, root],
            "N/k + k is smallest where N/k and k are equal, at k = √N, not at half of N": [N // 2, 2 + N // 2]}


def _steps(rng):
    """N a perfect square (so √N is exact and the best k is unique), 400 … 14,400, not the notes' 10,000."""
    return {"N": int(rng.choice([m for m in range(20, 121, 10) if m != 100])) ** 2}


# -- 9.3 · t(n, s) as code ------------------------------------------------------------------------

# Every (n, s) with n a binomial C(s + r, s) (where a loop that stops one r late goes wrong), and n = 1.
# n stays small: a student's t(n, s) may count r up one at a time, as a first version does, and for s = 1
# that loop runs n times.
FIXED_POINTS = [(1, 1), (1, 3), (2, 1), (10, 2), (10, 3), (35, 3), (35, 4), (50, 1), (999, 10), (1001, 10),
                (2000, 20), (3003, 5), (4000, 2)]


def _budgets(rng):
    """Four more (n, s) per student: n up to 5,000, s up to 25 (and none the lesson prints)."""
    extra = []
    while len(extra) < 4:
        point = (int(rng.integers(3, 5001)), int(rng.integers(1, 26)))
        if point not in SHOWN and point not in FIXED_POINTS and point not in extra:
            extra.append(point)
    return {"budgets": extra}


def _repetitions(n, s, ahead=0):
    """The smallest r with C(s + r + ahead, s) ≥ n (ahead = 1: a loop that stops one r early)."""
    r = 0
    while math.comb(s + r + ahead, s) < n:
        r += 1
    return r


def _formula_mistakes():
    """Wrong versions of forward_steps, each one slip."""

    def one_r_early(n, s):
        r = _repetitions(n, s, ahead=1)
        return r * n - math.comb(s + r, s + 1)

    def second_binomial(n, s):
        r = _repetitions(n, s)
        return r * n - math.comb(s + r, s)

    def only_r(n, s):
        return _repetitions(n, s)

    def with_first_pass(n, s):
        return binomial_cost(n, s) + n

    return {"r is the smallest r with C(s + r, s) ≥ n, not the largest with C(s + r, s) < n: your loop stops "
            "one r early": one_r_early,
            "the term subtracted is C(s + r, s + 1), not C(s + r, s)": second_binomial,
            "that is r, the number of runs of the most recomputed step: return t = r·n − C(s + r, s + 1)": only_r,
            "t(n, s) counts the recomputed steps only, not the n steps of the first forward pass": with_first_pass}


# -- 9.4 · a memory budget ------------------------------------------------------------------------


def most_runs(n, s):
    """How often the most recomputed step runs forward in the engine's schedule (the formula's r)."""
    runs = Counter()
    for action, *where in schedule(n, s):
        if action == "advance":
            runs.update(range(where[0], where[1]))
    return max(runs.values(), default=0)


def _fewest(n, r_max, confirm=True):
    """The fewest states whose schedule runs no step more than r_max times: C(s + r, s) ≥ n, confirmed by the engine."""
    s = next(s for s in range(1, n + 1) if math.comb(s + r_max, s) >= n)
    if confirm and (most_runs(n, s) > r_max or (s > 1 and most_runs(n, s - 1) <= r_max)):
        raise AssertionError(f"the engine's schedule disagrees with C(s + r, s) ≥ n at n = {n}, r = {r_max}.")
    return s


def _budget_answer(n_steps, s, r_max):
    return [binomial_cost(n_steps, s), _fewest(n_steps, r_max)]


def _budget_mistakes(n_steps, s, r_max):
    t, fewest = binomial_cost(n_steps, s), _fewest(n_steps, r_max)
    return {
        "(a) counts the recomputed steps only, not the first forward pass's n": [t + n_steps, fewest],
        "(a): s counts every stored state, the initial one included: use your s as it is, not s + 1":
            [binomial_cost(n_steps, s + 1), fewest],
        "(a): s already includes the initial state: use your s as it is, not s − 1":
            [binomial_cost(n_steps, s - 1), fewest],
        "(b): with one state fewer some step runs more than r times: C(s + r, s) must reach n": [t, fewest - 1],
        "(b): use r = your r_max itself in C(s + r, s) ≥ n, not r + 1": [t, _fewest(n_steps, r_max + 1, confirm=False)],
        "(b): use r = your r_max itself in C(s + r, s) ≥ n, not r − 1": [t, _fewest(n_steps, r_max - 1, confirm=False)],
    }


def _budget(rng):
    """Steps n, a budget of s states for (a), a limit r_max on the runs of any step for (b)."""
    while True:
        n_steps = int(rng.choice([500, 800, 1200, 1500, 2000, 2500, 3000, 4000, 5000]))
        s, r_max = int(rng.choice([5, 8, 10, 12, 15, 20, 25, 30])), int(rng.choice([2, 3]))
        if (n_steps, s) not in SHOWN:
            return {"n_steps": n_steps, "s": s, "r_max": r_max}


register(
    Exercise(
        "9.1a", "choice", ("forward_memory",), title="how a forward sweep's memory grows",
        expected="constant", choices=("constant", "linear"),
        explain="A forward sweep keeps one value and one tangent at a time: nothing to remember for later.",
        hints=("Look at the measured table: what happens to the forward sweep's kB when the steps double?",
               "A forward sweep computes each step's tangent together with its value: once the next step is "
               "computed, does it need the old one again?")),
    Exercise(
        "9.1b", "choice", ("reverse_memory",), title="how a reverse sweep's memory grows",
        expected="linear", choices=("constant", "linear"),
        explain="The tape keeps, for every operation, what its VJP will read, until the sweep comes back.",
        hints=("Look at the measured table: what happens to the reverse sweep's kB when the steps double?",
               "The reverse sweep starts at the last step and needs every step's value on the way back: until "
               "then, each one stays on the tape.")),
    Exercise(
        "9.2", "numbers", ("best_k", "states_kept"), title="the √N rule",
        inputs=_steps, by_hand=True, tolerance=EXACT,
        expected=_segments,
        mistakes=_segment_mistakes,
        hints=("Minimize N/k + k over k: set its derivative −N/k² + 1 to zero.",
               "The states kept are the N/k segment boundaries plus the k steps of the segment being reversed.")),
    Exercise(
        "9.3", "function", ("forward_steps",), title="t(n, s) as code",
        inputs=_budgets, by_hand=True, tolerance=EXACT,
        reference=lambda budgets: binomial_cost,
        points=lambda budgets: FIXED_POINTS + budgets,
        mistakes=lambda budgets: _formula_mistakes(),
        hints=("Find r with a loop: start at r = 0, and increase it while math.comb(s + r, s) < n.",
               "Then return r·n − math.comb(s + r, s + 1). Try your function on the values printed in section 3: "
               "forward_steps(100, 10) must give the t(100, 10) shown there.")),
    Exercise(
        "9.4", "numbers", ("recomputed", "fewest_states"), title="a memory budget",
        inputs=_budget, by_hand=True, tolerance=EXACT,
        expected=_budget_answer,
        entries=lambda n_steps, s, r_max: ["(a) recomputed", "(b) fewest_states"],
        mistakes=_budget_mistakes,
        hints=("(a) is t(n, s) at your n and s: your forward_steps from 9.3, copied into this cell (it is checked "
               "on its own).",
               "(b): no step runs more than r_max times when C(s + r_max, s) ≥ n; find the smallest such s with a "
               "loop over s.")),
)
