"""Lesson 3 · Symbolic differentiation and control flow: forward mode through a loop by hand, the rows a loop
leaves in the trace, what symbolic differentiation can follow, and the rows a recursion leaves in the trace."""

from __future__ import annotations

import numpy as np

from ... import cost, jvp, symbolic
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


# -- 3.4 · the rows a value-dependent recursion leaves in the trace ---------------------------------


def exp_by_halving(x):
    """Exercise 3.4's recursion (the lesson's cell): e^x = (e^(x/2))², halving until |x| < 0.01."""
    if -0.01 < x < 0.01:
        return 1 + x + x * x / 2       # Taylor's polynomial near 0
    half = exp_by_halving(x / 2)
    return half * half


_HALVING_STARTS = (-6.0, -4.0, -2.5, -1.5, -0.9, -0.6, -0.4, 0.4, 0.6, 0.9, 1.5, 2.5, 4.0, 6.0)
# not 0.05 and 1.0, the lesson's worked examples; |x| ≥ 0.4, so at least 6 halvings (every listed slip shows)


def halvings(x):
    """How many times exp_by_halving halves x before -0.01 < x < 0.01 (its recursion depth)."""
    count = 0
    while not -0.01 < x < 0.01:
        x, count = x / 2, count + 1
    return count


def _recursion_rows(x):
    """AD's trace of exp_by_halving at x: its operations (inputs not counted), from the engine."""
    return cost.ops(exp_by_halving, x)


def _recursion_mistakes(x):
    k = halvings(x)
    return {"the base case records rows too: 1 + x + x * x / 2 is four operations on a traced value": 2 * k,
            "each call that recurses records two rows: x / 2 on the way down and half * half on the way back":
                k + 4,
            "one halving too few: the recursion stops at the first x with −0.01 < x < 0.01, not before": 2 * k + 2,
            "one halving too many: the recursion stops at the first x with −0.01 < x < 0.01": 2 * k + 6,
            "1 + x records a row too (one operand is traced): the base case has four rows": 2 * k + 3,
            "a comparison records no row: −0.01 < x < 0.01 only chooses the branch, it computes no value":
                3 * k + 5,
            "calls are not rows: count the operations each call does on a traced value": k + 1}


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
        "3.4", "numbers", ("exp_rows",), title="recursion unrolls into the trace",
        inputs=lambda rng: {"x": float(rng.choice(_HALVING_STARTS))}, by_hand=True, tolerance=EXACT,
        variant_note="the start of exp_by_halving",
        expected=_recursion_rows,
        mistakes=_recursion_mistakes,
        revisit="revisit the trace of exp_by_halving at x = 0.05 in section 3",
        hints=("First find the depth: how many times is x halved before −0.01 < x < 0.01? (Halve your x on "
               "paper, or with a small loop of your own.)",
               "Each call that recurses does two operations on a traced value, x / 2 and half * half; the last "
               "call does the base case's operations instead. Comparisons record nothing.")),
)
