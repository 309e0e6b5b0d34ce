"""Lesson 7 · Which mode when: the constant c, sweeps, the tape, the crossover, from counted operations.

Every answer here is a count or a ratio of counts (adlab.cost with timing off): the same on every
machine, so it can be checked. Timed numbers are shown in the lesson but are never an answer.
Counts are checked exactly, ratios to 3 decimals. The lesson's own numbers (Eq. 5, the table for
sizes 4, 16, 64, the tape for K = 10, 100, 1000 steps, `wide` with M = 20 groups) are worked
examples: no exercise draws them. Nor do Speelpenning's product's sizes n = 10, 100, 1000 (7.6).
"""

from __future__ import annotations

import numpy as np

from ...cost import jvp_ops, ops, tape_bytes, vjp_ops
from ..diagnose import EXACT
from ..exercise import Exercise
from . import register
from .lesson05 import _drawn

POINT = (1.5, 0.5)  # where Exercise 7.1 counts (the counts do not depend on it: no branches)


def counts(function, *args):
    """Print the three operation counts of adlab.cost: f, one JVP, one VJP (the lesson's helper)."""
    print(f"ops(f) = {ops(function, *args)},  JVP operations = {jvp_ops(function, *args)},  "
          f"VJP operations = {vjp_ops(function, *args)}")


# -- 7.1 · c read off a measurement, for a function of the student's own -----------------------------------


def _formula(text, function):
    function.__name__ = function.__qualname__ = text  # my_numbers prints an input by its name: the formula
    return function


# Each has a different pair (JVP operations / ops, VJP operations / ops), and JVP ≠ VJP operations.
FUNCTIONS = (
    _formula("np.log(x1) * np.cos(x2) + x2", lambda x1, x2: np.log(x1) * np.cos(x2) + x2),
    _formula("x1 * x2 / (x1 + x2)", lambda x1, x2: x1 * x2 / (x1 + x2)),
    _formula("np.sqrt(x1 * x1 + x2 * x2)", lambda x1, x2: np.sqrt(x1 * x1 + x2 * x2)),
    _formula("np.tanh(x1 * x2) - x1", lambda x1, x2: np.tanh(x1 * x2) - x1),
    _formula("np.exp(-x1 * x2) * np.cos(x1)", lambda x1, x2: np.exp(-x1 * x2) * np.cos(x1)),
    _formula("np.sin(x1) * np.sin(x2) / x2", lambda x1, x2: np.sin(x1) * np.sin(x2) / x2),
    _formula("x1 ** 3 * np.log(x2)", lambda x1, x2: x1 ** 3 * np.log(x2)),
    _formula("np.sin(x1 * x2) + np.cos(x1 + x2)", lambda x1, x2: np.sin(x1 * x2) + np.cos(x1 + x2)),
)


def _counted(h):
    return ops(h, *POINT), jvp_ops(h, *POINT), vjp_ops(h, *POINT)


def _c_truth(h):
    f, forward, reverse = _counted(h)
    return [forward / f, reverse / f]


def _c_mistakes(h):
    f, forward, reverse = _counted(h)
    return {"forward and reverse are swapped: c_forward comes from the JVP, c_reverse from the VJP":
                [reverse / f, forward / f],
            "the ratio is upside down: c = (derivative program's operations) / ops(f), at least 1":
                [f / forward, f / reverse],
            "c counts the whole derivative program, f's own operations included, not only the extra ones":
                [(forward - f) / f, (reverse - f) / f]}


def _function(rng):
    return {"h": FUNCTIONS[int(rng.integers(len(FUNCTIONS)))]}


# -- 7.2b, 7.3a · sweeps for sizes of the student's own ---------------------------------------------------


def _model(rng):
    return {"n": int(rng.choice((3, 5, 6, 7, 8, 9, 11, 12))), "m": int(rng.choice((2000, 5000, 20_000, 50_000)))}


def _climate_mistakes(n, m):
    return {"that is reverse mode's count, one sweep per output (a row of J each)": m,
            "a sweep gives a whole column of J, not one entry": n * m,
            "one sweep gives one column of J (a JVP), not the whole Jacobian": 1}


def _square_mistakes(N):
    return {"the batch is one pass, but it does the arithmetic of one sweep per basis tangent": 1,
            "a sweep gives a whole column of J, not one entry": N * N,
            "that counts both modes: forward mode alone fills J": 2 * N}


# -- 7.4 · the tape of orbit -------------------------------------------------------------------------------


def orbit(x, steps):
    """The lesson's loop: x ← x + 0.1 sin x, three operations per step."""
    for _ in range(steps):
        x = x + 0.1 * np.sin(x)
    return x


_STEPS = (150, 200, 250, 300, 400, 500, 600, 750, 1500, 2000, 2500, 3000)  # not 10, 100, 1000: the lesson's table


def _tape_truth(K):
    return tape_bytes(lambda x: orbit(x, K), 0.5)


def _tape_mistakes(K):
    return {"the input x and the constant 0.1 are kept too, once each, whatever K": 3 * K * 8,
            "one of the two numbers kept once is missing: the input x and the constant 0.1": 3 * K * 8 + 8,
            "each step is three operations (sin, the product by 0.1, the sum), one float64 each": 2 * K * 8 + 16,
            "a float64 is 8 bytes, not 4": (3 * K + 2) * 4,
            "that counts numbers, not bytes: each number is a float64 of 8 bytes": 3 * K + 2}


# -- 7.5 · the crossover of wide with M groups --------------------------------------------------------------


CELLS = 4000
WEIGHTS = np.random.default_rng(0).uniform(0.5, 1.5, size=CELLS)  # the lesson's weights


def wide(x, M):
    """The lesson's `wide` (Rⁿ → R^M), with its number of groups M an argument."""
    n = x.size
    cells = np.broadcast_to(x[:, None], (n, -(-CELLS // n))).reshape(-1)[:CELLS]
    for _ in range(3):
        cells = cells + WEIGHTS * np.tanh(cells)
    return np.sum(cells.reshape(M, CELLS // M), axis=1)


_X20 = np.linspace(-1.0, 1.0, 20)


def _wide_counts(M):
    function = lambda x: wide(x, M)  # noqa: E731
    return jvp_ops(function, _X20), vjp_ops(function, _X20)


def _crossover_truth(M):
    forward, reverse = _wide_counts(M)
    return M * reverse / forward


def _crossover_mistakes(M):
    forward, reverse = _wide_counts(M)
    return {"the ratio is upside down: n × (JVP operations) = M × (VJP operations)": M * forward / reverse,
            "that is the crossover of the lesson's wide, with 20 groups: use your M": 20 * reverse / forward,
            "M is missing: reverse mode runs one sweep per output, M of them": reverse / forward}


# -- 7.6 · Speelpenning's product: the reverse sweep and n forward sweeps, by hand -------------------------


def speelpenning(xs):
    """The lesson's product x₁·x₂·…·xₙ as a loop over scalars: n − 1 multiplications."""
    product = xs[0]
    for x in xs[1:]:
        product = product * x
    return product


_SIZES = (20, 25, 30, 40, 50, 60, 75, 80, 200, 250, 500)  # not 10, 100, 1000: the lesson's table


def _product_point(n):
    return [float(x) for x in np.linspace(0.5, 1.5, n)]


def _product_truth(n):
    """(multiplications of the reverse sweep, operations of n forward sweeps), counted by the engine."""
    xs = _product_point(n)
    f = ops(speelpenning, xs)
    return [vjp_ops(speelpenning, xs) - f, n * jvp_ops(speelpenning, xs)]


def _product_mistakes(n):
    return {"the loop multiplies n − 1 times, not n: the product starts from x₁": [2 * n, 4 * n * n],
            "a product has two factors, and the reverse sweep sends an adjoint to each: v̄·b to a and v̄·a to b":
                [n - 1, 4 * n * (n - 1)],
            "that is the whole VJP: the reverse sweep alone leaves out the forward sweep's own multiplications":
                [3 * (n - 1), 4 * n * (n - 1)],
            "forward mode runs one sweep per input, n sweeps, for the whole gradient": [2 * (n - 1), 4 * (n - 1)],
            "a JVP runs f's own multiplication too, beside its three tangent operations": [2 * (n - 1),
                                                                                           3 * n * (n - 1)],
            "that is finite differences' n + 1 evaluations of f, not forward mode's n JVPs":
                [2 * (n - 1), (n + 1) * (n - 1)]}


register(
    Exercise(
        "7.1", "numbers", ("c_forward", "c_reverse"), title="read c off a measurement",
        inputs=lambda rng: _drawn(rng, _function, _c_truth, _c_mistakes), by_hand=True,
        context=lambda h: {"counts": counts, "ops": ops, "jvp_ops": jvp_ops, "vjp_ops": vjp_ops},
        expected=_c_truth,
        entries=lambda h: ["c_forward", "c_reverse"],
        mistakes=_c_mistakes, revisit="revisit section 1: c = (operations of one JVP or VJP) / ops(f)",
        hints=("c is the derivative program's operations over f's own: JVP operations / ops(h) for forward mode, "
               "VJP operations / ops(h) for reverse mode.",
               "Take the three counts from the line your answer cell prints; ops(h) is the first.")),
    Exercise(
        "7.2a", "choice", ("cheaper_mode",), title="the cheaper mode for a climate model",
        expected="forward", choices=("forward", "reverse"), revisit="revisit section 2 and Lesson 5, section 7",
        mistakes=lambda: {"reverse mode runs one sweep per output, a row of J each: compare how many parameters "
                          "and how many temperatures there are": "reverse"},
        explain="Forward: one sweep per parameter (a column of J each), a handful of them, against one reverse "
                "sweep per temperature (a row each), thousands of them.",
        hints=("Forward mode fills one column of J per sweep, reverse mode one row. How many of each does J have?",)),
    Exercise(
        "7.2b", "numbers", ("sweeps",), title="the sweeps it takes",
        inputs=lambda rng: _drawn(rng, _model, lambda n, m: n, _climate_mistakes, EXACT), by_hand=True,
        expected=lambda n, m: n, tolerance=EXACT,
        entries=lambda n, m: ["sweeps"],
        mistakes=_climate_mistakes, revisit="revisit section 2 and Lesson 5, section 7",
        hints=("J is m × n, one row per temperature and one column per parameter. The cheaper mode fills it "
               "one column per sweep.",)),
    Exercise(
        "7.3a", "numbers", ("forward_sweeps",), title="jacfwd's work on a square function",
        inputs=lambda rng: _drawn(rng, lambda rng: {"N": int(rng.choice((12, 24, 30, 36, 40, 48, 60, 80)))},
                                  lambda N: N, _square_mistakes, EXACT),
        by_hand=True, expected=lambda N: N, tolerance=EXACT,
        entries=lambda N: ["forward_sweeps"],
        mistakes=_square_mistakes, revisit="revisit section 2",
        hints=("Forward mode gives one column of J per sweep. How many columns does an N × N Jacobian have?",)),
    Exercise(
        "7.3b", "choice", ("square_cheaper",), title="which mode for a square function",
        expected="either", choices=("forward", "reverse", "either"), revisit="revisit section 2's step rows",
        mistakes=lambda: {"forward mode runs n sweeps and reverse mode m, each about c·ops(f) with c about 2–3 in "
                          "both: compare them when n = m": "forward",
                          "reverse mode runs m sweeps and forward mode n, each about c·ops(f) with c about 2–3 in "
                          "both: compare them when n = m": "reverse"},
        explain="About equal: n = m sweeps each, and both c are 2–3 (exactly equal counts for `step`). If memory "
                "is tight, forward mode wins the tie: it keeps no tape (section 3).",
        hints=("Compare n·c·ops(f) with m·c·ops(f) when n = m.",
               "In the table, `step` costs the same number of operations in both columns.")),
    Exercise(
        "7.4", "numbers", ("tape",), title="predict the tape",
        inputs=lambda rng: _drawn(rng, lambda rng: {"K": int(rng.choice(_STEPS))}, _tape_truth, _tape_mistakes,
                                  EXACT),
        by_hand=True, expected=_tape_truth, tolerance=EXACT,
        entries=lambda K: ["tape bytes"],
        mistakes=_tape_mistakes, revisit="revisit section 3's table",
        hints=("Each step is 3 operations, and each operation's value is one float64 of 8 bytes.",
               "Compare the table's bytes for K = 1000 with 3 × 1000 × 8: what is stored once, whatever K?")),
    Exercise(
        "7.5", "numbers", ("n_crossover",), title="predict the crossover",
        inputs=lambda rng: _drawn(rng, lambda rng: {"M": int(rng.choice((8, 10, 16, 25, 40, 50)))},
                                  _crossover_truth, _crossover_mistakes),
        by_hand=True, expected=_crossover_truth,
        entries=lambda M: ["n at the crossover"],
        mistakes=_crossover_mistakes, revisit="revisit section 5",
        hints=("Solve n × (JVP operations) = M × (VJP operations) for n.",
               "The two counts are printed by counts(wide, x20) above; summing into M groups instead of 20 does "
               "not change them.")),
    Exercise(
        "7.6", "numbers", ("reverse_multiplications", "forward_operations"), title="Speelpenning's product",
        inputs=lambda rng: _drawn(rng, lambda rng: {"n": int(rng.choice(_SIZES))}, _product_truth,
                                  _product_mistakes, EXACT),
        by_hand=True, expected=_product_truth, tolerance=EXACT,
        entries=lambda n: ["(a) multiplications of the reverse sweep", "(b) operations of n forward sweeps"],
        mistakes=_product_mistakes, revisit="revisit section 6's table, and section 1 for a product's tangent",
        hints=("(a) The loop is n − 1 products p = p·x. Going back through one of them, the reverse sweep "
               "sends p̄·x to the old p and p̄·(old p) to x (Lesson 6's rule for a product).",
               "(b) One JVP runs each product once and its tangent (section 1: three operations for a product), "
               "and the whole gradient takes one JVP per input.")),
)
