"""Lesson 3 · Symbolic differentiation and source transformation: forward mode through a loop by hand, the rows
a loop leaves in the trace, what symbolic differentiation can follow, and an adjoint program written by hand."""

from __future__ import annotations

import numpy as np

from ... import cost, grad, jvp, symbolic
from ..diagnose import EXACT, TIGHT
from ..exercise import Exercise
from . import register


# -- 3.1 · the logistic map's tangent, carried through the loop ------------------------------------


_STARTS = (0.1, 0.15, 0.2, 0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65, 0.7, 0.8, 0.85, 0.9)  # no 0.25, 0.5, 0.75:
# their orbits reach the fixed point 3/4 or the value 1/2, where 1 − 2l = 0 hides a wrong tangent


def _logistic_points(rng, count=5):
    """(x, n): five different starts, n from 1 to 12 (one n of at most 3, so a short loop is tested too)."""
    starts = [float(x) for x in rng.choice(_STARTS, size=count, replace=False)]
    depths = [int(rng.integers(1, 4))] + [int(n) for n in rng.integers(4, 13, size=count - 1)]
    return {"cases": [(x, n) for x, n in zip(starts, rng.permutation(depths).tolist())]}


def logistic_jvp(x, n):
    """The engine's forward mode on the logistic map: (l_n, dl_n/dx)."""
    return jvp(lambda t: symbolic.logistic_map(t, n), (x,), (1.0,))


def _logistic_mistakes(**inputs):
    def sequential(x, n):
        l, l_dot = x, 1.0
        for _ in range(n):
            l = 4 * l * (1 - l)
            l_dot = 4 * (1 - 2 * l) * l_dot
        return l, l_dot

    def stepped(factor, start=1.0, passes=lambda n: n):
        def tangent(x, n):
            l, l_dot = x, start
            for _ in range(passes(n)):
                l, l_dot = 4 * l * (1 - l), factor(l) * l_dot
            return l, l_dot
        return tangent

    return {"update l and l̇ together: the factor 4(1 − 2l) must use the old l, before the step": sequential,
            "d/dl [4l(1 − l)] = 4(1 − l) − 4l = 4(1 − 2l): the product rule has two terms":
                stepped(lambda l: 4 * (1 - l)),
            "the derivative of 4l(1 − l) keeps its factor 4": stepped(lambda l: 1 - 2 * l),
            "one pass too few: the loop runs n times (l₀ = x, and each pass gives the next l)":
                stepped(lambda l: 4 * (1 - 2 * l), passes=lambda n: n - 1),
            "one pass too many: the loop runs n times (l₀ = x, and each pass gives the next l)":
                stepped(lambda l: 4 * (1 - 2 * l), passes=lambda n: n + 1),
            "start from l̇₀ = dx/dx = 1": stepped(lambda l: 4 * (1 - 2 * l), start=0.0)}


# -- 3.2 · the rows a loop leaves in the trace ------------------------------------------------------


def loop_program(passes):
    """Exercise 3.2's p, with this student's number of passes (the answer cell prints the same code)."""
    def p(x):
        s = 1.0
        for k in range(passes):
            s = s * x + k
        return np.exp(s)
    return p


def _rows_mistakes(passes):
    return {"np.exp records a row too (it acts on a traced value)": 2 * passes,
            "each pass records two rows, the * and the +": passes + 1,
            "the first pass counts too: 1.0·x and + 0 act on a traced value, so each records a row": 2 * passes - 1,
            "inputs are not rows, and return records nothing: count the operations only": 2 * passes + 2}


# -- 3.3 · which method can differentiate a loop ---------------------------------------------------


def horner(x):
    """Exercise 3.3's polynomial, evaluated by a loop (the lesson's cell)."""
    coefficients = (2.0, -3.0, 0.5, 1.0)
    y = 0.0
    for c in coefficients:
        y = y * x + c
    return y


def _horner_method():
    """'both' if SymPy gets one closed-form expression for horner (its loop count does not depend on x)."""
    try:
        symbolic.from_function(horner)
    except symbolic.SymbolicError:
        return "AD"
    return "both"


# -- 3.4 · a reverse sweep written by hand ----------------------------------------------------------


def g(x1, x2):
    """Exercise 3.4's function."""
    return np.sin(x1 * x2) + x1 / x2


def _adjoint_points(rng, count=4):
    """(x₁, x₂), x₂ ≠ 0 and x₁ ≠ ±x₂ (so that a missing x̄₁ term and a missing x̄₂ term look different)."""
    values = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0)
    grid = [(a, b) for a in values for b in values if abs(a) != abs(b)]
    return {"points": [grid[int(i)] for i in rng.choice(len(grid), size=count, replace=False)]}


def _adjoint_mistakes(**inputs):
    def terms(x1, x2):
        c = np.cos(x1 * x2)
        return c * x2, 1 / x2, c * x1, -x1 / x2**2  # x̄₁ from v₁ and from v₃; x̄₂ from v₁ and from v₃

    def build(change):
        def adjoint(x1, x2):
            a1, a3, b1, b3 = change(x1, x2, *terms(x1, x2))
            return a1 + a3, b1 + b3
        return adjoint

    return {"v̄₋₁ misses its contribution from v₃ = v₋₁/v₀: x₁ is used by v₁ and by v₃, so v_m1_bar gets two lines":
                build(lambda x1, x2, a1, a3, b1, b3: (a1, 0.0, b1, b3)),
            "v̄₋₁ misses its contribution from v₁ = v₋₁·v₀: x₁ is used by v₁ and by v₃, so v_m1_bar gets two lines":
                build(lambda x1, x2, a1, a3, b1, b3: (0.0, a3, b1, b3)),
            "v̄₀ misses its contribution from v₃ = v₋₁/v₀: x₂ is used by v₁ and by v₃, so v0_bar gets two lines":
                build(lambda x1, x2, a1, a3, b1, b3: (a1, a3, b1, 0.0)),
            "v̄₀ misses its contribution from v₁ = v₋₁·v₀: x₂ is used by v₁ and by v₃, so v0_bar gets two lines":
                build(lambda x1, x2, a1, a3, b1, b3: (a1, a3, 0.0, b3)),
            "v₃ = v₋₁/v₀ falls as v₀ grows: ∂v₃/∂v₀ = −v₋₁/v₀², with a minus":
                build(lambda x1, x2, a1, a3, b1, b3: (a1, a3, b1, -b3)),
            "∂v₃/∂v₀ = −v₋₁/v₀²: the numerator v₋₁ stays":
                build(lambda x1, x2, a1, a3, b1, b3: (a1, a3, b1, b3 / x1)),
            "sin's derivative is +cos: v̄₁ = v̄₂·cos v₁":
                build(lambda x1, x2, a1, a3, b1, b3: (-a1, a3, -b1, b3)),
            "v₂ = sin v₁ passes its adjoint on times cos v₁, not unchanged":
                build(lambda x1, x2, a1, a3, b1, b3: (x2, a3, x1, b3))}


register(
    Exercise(
        "3.1", "function", ("logistic_tangent",), title="the logistic map's tangent, the way AD computes it",
        inputs=_logistic_points, by_hand=True, tolerance=TIGHT, seconds=5.0,
        reference=lambda cases: logistic_jvp,
        points=lambda cases: cases,
        mistakes=_logistic_mistakes,
        hints=("d/dl [4 l (1 − l)] = 4 (1 − 2l): multiply the tangent by it at each step.",
               "Update l and l̇ together (l, l_dot = …, …), so that l̇ uses the old l, not the new one.")),
    Exercise(
        "3.2", "numbers", ("p_rows",), title="loops unroll into the trace",
        inputs=lambda rng: {"passes": int(rng.integers(3, 10))}, by_hand=True, tolerance=EXACT,
        variant_note="the number of passes of p's loop",
        expected=lambda passes: cost.ops(loop_program(passes), 0.5),
        mistakes=_rows_mistakes,
        hints=("The engine records every arithmetic operation whose operand depends on x, and nothing else.",
               "Count what one pass of the loop records, multiply by the passes, then add what comes after the "
               "loop.")),
    Exercise(
        "3.3", "choice", ("horner_method",), title="which method can differentiate it?",
        by_hand=True, choices=("symbolic", "AD", "both"),
        expected=lambda: _horner_method(),
        explain=lambda: ("the loop runs 4 times whatever x is, so it unrolls into one formula, "
                         f"{symbolic.from_function(horner)}, which SymPy differentiates; AD differentiates any "
                         "program. Only branches and loop counts that depend on the value of x (newton_sqrt) "
                         "leave SymPy without one formula."),
        hints=("Does the number of passes through the loop depend on x?",)),
    Exercise(
        "3.4", "function", ("g_adjoint",), title="write the reverse sweep",
        inputs=_adjoint_points, by_hand=True, tolerance=TIGHT,
        reference=lambda points: grad(g, argnums=(0, 1)),
        points=lambda points: points,
        mistakes=_adjoint_mistakes,
        hints=("Go from v₄ back: v₄ = v₂ + v₃ gives v2_bar += v4_bar and v3_bar += v4_bar. "
               "Then v₃ = v₋₁/v₀, v₂ = sin v₁, v₁ = v₋₁·v₀.",
               "For v₃ = v₋₁/v₀: ∂v₃/∂v₋₁ = 1/v₀ and ∂v₃/∂v₀ = −v₋₁/v₀² = −v₃/v₀. "
               "For v₂ = sin v₁: ∂v₂/∂v₁ = cos v₁.",
               "Both inputs are used twice (in v₁ and in v₃): each gets two lines.")),
)
