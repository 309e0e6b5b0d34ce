"""Lesson 11 · Review: one question per idea of Lessons 1–10; each feedback names the lesson to revisit."""

from __future__ import annotations

import math

import numpy as np

from ... import cost, grad, jvp
from ...core.revolve import binomial_cost
from ..columns import trace_column
from ..diagnose import DEFAULT, EXACT, TIGHT
from ..exercise import Exercise
from . import register
from .shared import eq5 as f


def g(x):
    """Section 2's function, y = eˣ·sin x (the lesson's `g`)."""
    return np.exp(x) * np.sin(x)


def logistic(x, n):
    """Exercise 11.3's logistic map, l₀ = x, l_{k+1} = 4·l_k·(1 − l_k) (the lesson's `logistic`)."""
    l = x
    for _ in range(n):
        l = 4 * l * (1 - l)
    return l


def _pick(rng, values):
    return values[int(rng.integers(len(values)))]


# -- 11.1, 11.2, 11.5, 11.9, 11.11: choices, the same for everyone --------------------------------------

METHODS = ("manual", "numerical", "symbolic", "AD")


def _choice(exercise_id, answer, expected, choices, title, explain, hints):
    return Exercise(exercise_id, "choice", (answer,), title=title, expected=expected, choices=choices,
                    explain=explain, hints=hints)


# -- 11.3 · rows of the logistic map's trace -------------------------------------------------------------


def _depth(rng):
    """Deeper than Lesson 3's table (1–6), and not the depth this lesson used to ask about."""
    return {"depth": int(_pick(rng, (7, 8, 9, 11, 12, 13, 14, 15)))}


def _logistic_rows(depth):
    return cost.ops(lambda t: logistic(t, depth), 0.3)


def _logistic_mistakes(depth):
    return {
        "each pass of the loop leaves three rows (4·l, 1 − l and their product): one is missing "
        "(revisit Lesson 3, section 3: loops unroll into the trace)": 2 * depth,
        "the input x is not a row: count the operations only (revisit Lesson 1, section 1)": 3 * depth + 1,
        "that is how a formula grows, writing l_k out twice at every step; the trace holds each l_k once and both "
        "uses read that one row (revisit Lesson 3, section 2: expression swell)": 3 * (2 ** depth - 1),
        "the loop and the assignment leave no row: only the arithmetic in the loop's body does "
        "(revisit Lesson 3, section 3)": 4 * depth,
    }


# -- 11.4 · the tangent column of g ----------------------------------------------------------------------


def _point_g(rng):
    """x where sin, cos and eˣ·sin, eˣ·cos all differ (so every listed mistake shows), and not the worked 0.5."""
    return {"x": float(_pick(rng, (-1.0, -0.75, -0.25, 0.25, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5)))}


def _tangent_mistakes(x):
    e, s, c = math.exp(x), math.sin(x), math.cos(x)
    product = ("the product rule has two terms, v̇₃ = v̇₁·v₂ + v₁·v̇₂: one is missing, or you multiplied the two "
               "tangents (revisit Lesson 4, “A number that carries its derivative”)")
    return {
        product: [e, c, e * s],
        product + " ": [e, c, e * c],
        "sin's tangent is +v̇₀·cos v₀ (revisit Lesson 4, Exercise 4.2)": [e, -c, e * s - e * c],
        "sin's tangent is v̇₀·cos v₀, not sin v₀ (revisit Lesson 4, Exercise 4.2)": [e, s, 2 * e * s],
        "exp's tangent is v̇₀·e^v₀: exp is its own derivative (revisit Lesson 4, Exercise 4.2)":
            [1.0, c, s + e * c],
    }


# -- 11.6 · a reverse sweep from the tape -----------------------------------------------------------------


def _tapes(rng):
    """Three tapes recorded by g at distinct x, then one whose e and s were not computed from its x.

    The last one is how the check sees that `backward` reads the tape: a function that recomputes eˣ or
    sin x from x gets it wrong. ȳ is 1 once and something else otherwise (so a forgotten ȳ shows).
    """
    xs = [float(v) for v in rng.choice((-1.2, -0.8, -0.4, 0.3, 0.7, 1.1, 1.6, 2.0, 2.6, 3.0), 4, replace=False)]
    y_bars = [1.0] + [float(v) for v in rng.choice((-2.0, -1.5, -0.5, 0.5, 1.5, 2.0, 3.0), 3, replace=False)]
    tapes = [(x, math.exp(x), math.sin(x), y_bar) for x, y_bar in zip(xs[:3], y_bars[:3])]
    x = xs[3]
    e = float(_pick(rng, [v for v in (0.5, 1.5, 2.5, 4.0, 6.0) if abs(v - math.exp(x)) > 0.2]))
    s = float(_pick(rng, [v for v in (-0.6, -0.3, 0.2, 0.45) if abs(v - math.sin(x)) > 0.2]))
    tapes.append((x, e, s, y_bars[3]))
    return {"tapes": tuple(tapes)}


def _backward_reference(tapes):
    """x̄ from the tape, by the engine: t ↦ (e·exp(t − x))·(s + sin t − sin x) has, at t = x, the value e·s,
    the factors e and s, and the partials e and cos x: exactly the tape's v₁, v₂ and their rules."""

    def backward(x, e, s, y_bar):
        return y_bar * grad(lambda t: (e * np.exp(t - x)) * (s + np.sin(t) - np.sin(x)))(x)

    return backward


def _backward_mistakes(tapes):
    fan_out = ("x is used twice, by exp and by sin: x̄ adds both contributions, one per use "
               "(revisit Lesson 1, section 4, and Lesson 6, “Adjoints, row by row”)")
    tape = ("your function recomputes eˣ or sin x from x: a reverse sweep reads the stored values e and s from the "
            "tape (revisit Lesson 7, section 3, and Lesson 9, section 1)")
    return {
        fan_out: lambda x, e, s, y_bar: y_bar * s * e,
        fan_out + " ": lambda x, e, s, y_bar: y_bar * e * np.cos(x),
        tape: lambda x, e, s, y_bar: y_bar * (np.sin(x) * np.exp(x) + np.exp(x) * np.cos(x)),
        tape + " ": lambda x, e, s, y_bar: y_bar * (s * np.exp(x) + np.exp(x) * np.cos(x)),
        tape + "  ": lambda x, e, s, y_bar: y_bar * (np.sin(x) * e + e * np.cos(x)),
        "start from v̄₃ = ȳ: the cotangent scales every adjoint (revisit Lesson 5, “VJP”)":
            lambda x, e, s, y_bar: s * e + e * np.cos(x),
        "the product v₃ = v₁ × v₂ sends each factor the other one: v̄₁ = v̄₃·v₂ and v̄₂ = v̄₃·v₁ "
        "(revisit Lesson 6, “Adjoints, row by row”)": lambda x, e, s, y_bar: y_bar * (e * e + s * np.cos(x)),
        "sin's partial is +cos x (revisit Lesson 6, “Adjoints, row by row”)":
            lambda x, e, s, y_bar: y_bar * (s * e - e * np.cos(x)),
        "exp's partial is eˣ itself, the stored e (revisit Lesson 6, “Adjoints, row by row”)":
            lambda x, e, s, y_bar: y_bar * (s + e * np.cos(x)),
    }


# -- 11.7 · sweeps for (n, m) -----------------------------------------------------------------------------


def _shapes(rng):
    return {"n_weights": int(_pick(rng, (10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7))),
            "n_params": int(_pick(rng, (2, 3, 4, 5, 6))),
            "particles": int(_pick(rng, (100, 200, 400, 500, 1000))),
            "size": int(_pick(rng, (500, 1000, 2000, 5000))),
            "products": int(_pick(rng, (1, 2, 3, 4, 5, 8)))}


def _sweeps(n_weights, n_params, particles, size, products):
    """The cheaper mode's sweeps: min(n, m) for a full Jacobian (n forward or m reverse), one per JVP."""
    return [min(n_weights, 1), min(n_params, 3 * particles), min(products, size)]


def _sweeps_mistakes(n_weights, n_params, particles, size, products):
    return {
        "that is forward mode's count, one sweep per weight: a gradient is one row of J, and one reverse sweep "
        "gives a row (revisit Lesson 5, “Reverse mode fills J one row per sweep”, and Lesson 8, “One sweep per "
        "step”)": [n_weights, n_params, 1],
        "that is reverse mode's count, one sweep per output coordinate: with fewer inputs than outputs, forward "
        "mode's columns are cheaper (revisit Lesson 7, “Growing n and m”)": [1, 3 * particles, 1],
        "a full Jacobian takes one sweep per column (forward) or per row (reverse), not one "
        "(revisit Lesson 5, “Forward mode fills J one column per sweep” and “Reverse mode fills J one row per "
        "sweep”)": [1, 1, products],
        "each product Jv is one forward sweep seeded with ẋ = v: J is never formed "
        "(revisit Lesson 5, “JVP”)": [1, n_params, size],
    }


# -- 11.8 · the counted constant c -------------------------------------------------------------------------


def _eq5_cost():
    return cost.cost(f, 3.0, -4.0, timing=False)


def _loss_shape(rng):
    """n inputs of the loss, and ops(L) a multiple of 4 (Eq. 5's ops), so the counts are whole numbers."""
    return {"n": int(_pick(rng, (200, 500, 1000, 2000, 4000))),
            "ops_L": int(_pick(rng, (1000, 2000, 3000, 6000, 8000)))}


def _gradient_ops(n, ops_L):
    eq5 = _eq5_cost()
    return [n * (eq5.jvp_ops / eq5.ops) * ops_L, 1 * (eq5.vjp_ops / eq5.ops) * ops_L]


def _gradient_ops_mistakes(n, ops_L):
    eq5 = _eq5_cost()
    c_forward, c_reverse = eq5.jvp_ops / eq5.ops, eq5.vjp_ops / eq5.ops
    return {
        "off by one sweep: forward mode needs one sweep per input, all n of them (revisit Lesson 5, “Forward "
        "mode fills J one column per sweep”)":
            [(n - 1) * c_forward * ops_L, c_reverse * ops_L],
        "the sweeps are swapped: forward mode needs one sweep per input, reverse mode one per output "
        "(revisit Lesson 5, “What each mode costs”)": [c_forward * ops_L, n * c_reverse * ops_L],
        "the constants are swapped: a forward sweep costs the JVP's count, a reverse sweep the VJP's "
        "(revisit Lesson 7, “What one sweep costs”)": [n * c_reverse * ops_L, c_forward * ops_L],
        "c is a ratio, one sweep's operations over ops(f) (divide Eq. 5's counts by its ops) "
        "(revisit Lesson 7, “What one sweep costs”)": [n * eq5.jvp_ops * ops_L, eq5.vjp_ops * ops_L],
        "a sweep of L costs c × ops(L), not c (revisit Lesson 7, “What one sweep costs”)": [n * c_forward, c_reverse],
    }


# -- 11.10 · checkpointing, t(n, s) ------------------------------------------------------------------------


def _steps(rng):
    """n off the breakpoints C(s + r, s) (6, 10, 15 for s = 2; 4, 10, 20 for s = 3), where t(n, s) is the same
    for r and r + 1: there a too large r would go unnoticed."""
    s = int(_pick(rng, (2, 3)))
    return {"n": int(_pick(rng, (5, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19))), "s": s}


def _smallest_r(n, s):
    r = 0
    while math.comb(s + r, s) < n:
        r += 1
    return r


def _t(n, s, r_shift=0, lower=1):
    """t(n, s) with the slips a student may make: r off by r_shift, C(s + r, s + lower)."""
    r = _smallest_r(n, s) + r_shift
    return r * n - math.comb(s + r, s + lower)


def _checkpoint_mistakes(n, s):
    return {
        "reversing step k reruns the k − 1 steps before it, not k (revisit Lesson 9, section 2)":
            [n * (n + 1) // 2, binomial_cost(n, s)],
        "x₀ counts as one of the s states (revisit Lesson 9, section 3)":
            [binomial_cost(n, 2), binomial_cost(n, s + 1)],
        "r is the smallest integer with C(s + r, s) ≥ n: yours is one too large (revisit Lesson 9, section 3)":
            [_t(n, 1, 1), _t(n, s, 1)],
        "r is the smallest integer with C(s + r, s) ≥ n: yours does not reach n (revisit Lesson 9, section 3)":
            [_t(n, 1, -1), _t(n, s, -1)],
        "the subtracted binomial is C(s + r, s + 1), not C(s + r, s) (revisit Lesson 9, section 3)":
            [_t(n, 1, 0, 0), _t(n, s, 0, 0)],
    }


# -- 11.12 · perturbation confusion -------------------------------------------------------------------------


def _nested_point(rng):
    """c ≠ 1 (the worked example below the exercise has c = 1), x₀ ≠ 1 (so the value x₀·c is not the answer)."""
    return {"c": float(_pick(rng, (-3.0, -2.0, 2.0, 3.0, 4.0, 5.0))),
            "y0": float(_pick(rng, (-1.0, 0.5, 1.0, 2.0))),
            "x0": float(_pick(rng, (1.5, 2.0, 2.5, 3.0, 4.0)))}


def _nested(c, y0, x0):
    return grad(lambda x: x * grad(lambda y: x + c * y)(y0))(x0)


def _nested_mistakes(c, y0, x0):
    return {
        "that is what a dual number without levels gives (perturbation confusion): inside the inner derivative, "
        "x belongs to the outer one and is a constant (revisit Lesson 4, perturbation confusion with your own "
        "Variable, and the cell below)": c + 1,
        "that is the outer function's value x·c at x₀, not its derivative (revisit Lesson 10, section 2)": c * x0,
        "the inner derivative d/dy (x + c·y) is c, not 1 (revisit Lesson 4, “A number that carries its "
        "derivative”)": 1.0,
    }



# -- 11.13 · a dual number by hand ------------------------------------------------------------------------


def cubic(x):
    """Exercise 11.13's function, x³ − 2x."""
    return x ** 3 - 2 * x


def _dual(x0):
    """(x₀ + ε)³ − 2(x₀ + ε) with ε² = 0: the value and the ε-part, which is one forward sweep with ẋ = 1."""
    value, tangent = jvp(cubic, (x0,), (1.0,))
    return [float(value), float(tangent)]


def _dual_mistakes(x0):
    value = x0 ** 3 - 2 * x0
    return {
        "the ε-part of (x₀ + ε)³ keeps the binomial's middle term 3x₀²ε whole: only the terms with ε² and ε³ "
        "vanish (revisit Lesson 4, dual numbers: ε² = 0)": [value, x0 ** 2 - 2],
        "−2·(x₀ + ε) adds −2ε to the ε-part (revisit Lesson 4, dual numbers)": [value, 3 * x0 ** 2],
        "ε² = 0, so the terms 3x₀ε² and ε³ of (x₀ + ε)³ are zero: they add nothing to the ε-part "
        "(revisit Lesson 4, dual numbers: ε² = 0)": [value, 3 * x0 ** 2 + 3 * x0 + 1 - 2],
        "the value part and the ε-part are swapped: in a + bε, a is the value (revisit Lesson 4, dual numbers)":
            [3 * x0 ** 2 - 2, value],
    }


def _dual_point(rng):
    """x₀ where every listed mistake differs from the answer and from each other (to 3 decimals)."""
    while True:
        x0 = float(_pick(rng, (-2.5, -2.0, -1.5, 0.5, 1.5, 2.0, 2.5, 3.0)))
        answers = [np.array(_dual(x0))] + [np.array(m, dtype=float) for m in _dual_mistakes(x0).values()]
        if all(not np.all(DEFAULT.close(a, b)) for i, a in enumerate(answers) for b in answers[i + 1:]):
            return {"x0": x0}


register(
    _choice("11.1a", "method_a", "AD", METHODS, "which method: training a network",
            "Reverse-mode AD gives the whole gradient in one sweep, for a few times the cost of the loss, exact to "
            "round-off, and it follows loops and value-dependent branches. Finite differences would need 10⁶ + 1 "
            "evaluations per step, and no single formula follows `if`s that depend on values. (Lessons 3, 7 and 8.)",
            ("Ask of each method what it needs (a formula, the program, only values) and what a gradient of 10⁶ "
             "inputs costs with it. Revisit Lesson 7, “What one sweep costs”, and Lesson 8, “One sweep per step”.",
             "Finite differences need one more run of the loss per weight, and a formula cannot follow `if`s "
             "that depend on values (revisit Lesson 3, section 3: control flow).")),
    _choice("11.1b", "method_b", "numerical", METHODS, "which method: a program without its source",
            "Finite differences need only values of f: two runs for a forward difference, with h near √ε ≈ 10⁻⁸ "
            "and about half the digits. Without the source there is no formula for a computer algebra system and "
            "no program whose operations AD could follow. (Lesson 2.)",
            ("You have neither a formula nor a program you can trace: only numbers in, numbers out. Which method "
             "needs nothing else? Revisit Lesson 2, section 2 (numerical differentiation).",
             "AD follows a program's operations as they run, and symbolic differentiation rewrites a formula "
             "(revisit Lesson 1, section 1, for the trace AD follows, and Lesson 3, section 1).")),
    _choice("11.1c", "method_c", "symbolic", METHODS, "which method: a derivative as a formula",
            "Only symbolic differentiation returns a formula: AD returns numbers at one point. By hand, 40 terms "
            "invite slips; a computer algebra system applies the exact rules (Eq. 3, 4), and common-subexpression "
            "elimination keeps the result from swelling. (Lesson 3.)",
            ("Which methods return a formula, and which return numbers at one point? Revisit Lesson 3, "
             "section 1 (symbolic differentiation).",
             "A slip of the pen is the risk of one of the four (revisit Lesson 2, section 1, and Lesson 3, "
             "section 2 on `cse`).")),
    _choice("11.2", "dominant_error", "round-off", ("truncation", "round-off"), "truncation or round-off",
            "f(x + h) and f(x) share all but their last few digits, and the subtraction cancels the rest: an error "
            "of about ε·|f|/h = 2.2·10⁻¹⁶ × 17 / 10⁻¹³ ≈ 0.04, which grows as h shrinks (the table: 3.5e-02). "
            "Truncation, about h·|f″|/2 = h/18, is what you see at h = 0.1 (0.0056) and is negligible at 10⁻¹³. "
            "The best forward step lies between, near √ε ≈ 10⁻⁸. (Lesson 2.)",
            ("Which of the two errors grows as h gets smaller, and which shrinks? Revisit Lesson 2, section 3 "
             "(truncation against round-off).",
             "Truncation is about h·|f″|/2; the other error is about ε·|f|/h. Which is larger at h = 10⁻¹³? "
             "(Lesson 2, section 4: the best step.)")),
    Exercise(
        "11.3", "numbers", ("logistic_rows",), title="expression swell",
        inputs=_depth, by_hand=True, tolerance=EXACT,
        expected=_logistic_rows,
        entries=lambda depth: [f"the rows of l_{depth}'s trace"],
        mistakes=_logistic_mistakes,
        hints=("Count the operations of one pass of the loop: the loop itself and the assignment leave no row, "
               "the arithmetic in its body does. Revisit Lesson 3, section 3 (loops unroll into the trace).",
               "The trace holds each l_k once, as a number, and both uses of l_k read that one row; a formula "
               "writes it out twice (revisit Lesson 3, section 2: expression swell).")),
    Exercise(
        "11.4", "numbers", ("tangents",), title="the tangent column",
        inputs=_point_g, by_hand=True, variant_note="ẋ = 1",
        **trace_column(g, "tangent", seed=(1.0,)),
        mistakes=_tangent_mistakes,
        hints=("Start from v̇₀ = ẋ = 1. exp: v̇₁ = v̇₀·e^v₀; sin: v̇₂ = v̇₀·cos v₀. Revisit Lesson 4, “A number that "
               "carries its derivative”, and Lesson 1, section 3.",
               "Product rule: v̇₃ = v̇₁·v₂ + v₁·v̇₂, with v₁ = eˣ and v₂ = sin x at your x (revisit Lesson 4, "
               "Exercise 4.1).")),
    _choice("11.5", "never_read", "y", ("x", "exp(x)", "sin(x)", "y"), "what the tape keeps",
            "The sweep starts from ȳ = 1 and never needs y's value. The product v₃ = v₁ × v₂ sends its adjoint "
            "times v₂ to v₁ and times v₁ to v₂, so it reads both factors; exp sends its adjoint times eˣ, and eˣ is "
            "its own output v₁; sin sends its adjoint times cos x, which needs x. So a minimal tape keeps x, eˣ and "
            "sin x: three float64s, 24 bytes. adlab's tape, whose bytes Lesson 7 counts, is simpler: it keeps every "
            "operation's result and the input, y included, 8 bytes each (32 bytes for g). (Lesson 6 for the rules, "
            "Lessons 7 and 9 for the tape.)",
            ("Write each row's VJP rule: what does the product send to each of its factors, and what do exp and "
             "sin send to x? Revisit Lesson 6, “Adjoints, row by row”.",
             "A value that no rule reads need not be kept (revisit Lesson 7, “Memory”, and Lesson 9, "
             "section 1: the tape).")),
    Exercise(
        "11.6", "function", ("backward",), title="a reverse sweep from the tape",
        inputs=_tapes, by_hand=True, tolerance=TIGHT,
        reference=_backward_reference,
        points=lambda tapes: tapes,
        mistakes=_backward_mistakes,
        hints=("Bottom up: v̄₃ = ȳ; the product v₃ = v₁ × v₂ gives v̄₁ = v̄₃·v₂ and v̄₂ = v̄₃·v₁, and v₁ = e, "
               "v₂ = s are on the tape. Revisit Lesson 6, “Adjoints, row by row”.",
               "x is used twice, by exp and by sin, so x̄ adds two contributions: v̄₁ times exp's partial (eˣ, "
               "which the tape holds as e) and v̄₂ times sin's (cos x). Revisit Lesson 1, section 4.")),
    Exercise(
        "11.7", "numbers", ("sweeps",), title="sweeps for (n, m)",
        inputs=_shapes, by_hand=True, tolerance=EXACT,
        expected=_sweeps,
        entries=lambda **inputs: ["(a) the loss's gradient", "(b) the particles' Jacobian", "(c) the products Jv"],
        mistakes=_sweeps_mistakes,
        hints=("A full Jacobian takes n forward sweeps (one column each) or m reverse sweeps (one row each): "
               "the cheaper mode is the one with fewer. Revisit Lesson 5, “Forward mode fills J one column per "
               "sweep” and “Reverse mode fills J one row per sweep”, and Lesson 7, “Growing n and m”.",
               "A JVP is one forward sweep seeded with ẋ = v, whatever n and m (revisit Lesson 5, “JVP”).")),
    Exercise(
        "11.8", "numbers", ("gradient_ops",), title="the counted constant c",
        inputs=_loss_shape, by_hand=True, tolerance=EXACT,
        context=lambda **inputs: {"eq5": _eq5_cost()},
        expected=_gradient_ops,
        entries=lambda **inputs: ["(a) by forward mode", "(b) by reverse mode"],
        mistakes=_gradient_ops_mistakes,
        hints=("c is one sweep's operations over ops(f), read off Eq. 5's counts above: one c for a forward "
               "sweep (JVP), one for a reverse sweep (VJP). Revisit Lesson 7, “What one sweep costs”.",
               "Forward mode needs one sweep per input, reverse mode one per output; each sweep of L costs "
               "c × ops(L) (revisit Lesson 5, “What each mode costs”).")),
    _choice("11.9", "mode_for_long_loop", "forward", ("forward", "reverse"), "memory",
            "With n = m = 1 both modes need one sweep and cost about the same (c ≈ 2–3). But reverse mode's tape "
            "grows with the steps, O(ops(f)). Count it for Lesson 7's loop, x ← x + 0.1·sin x: adlab's tape keeps "
            "one float64 per operation, 3 operations per step, so 24 bytes per step, 240 MB for 10⁷ steps. A "
            "minimal tape keeps only what the VJP rules read: sin's rule reads x (for cos x), the product with the "
            "constant 0.1 reads only 0.1, the sum nothing; so 8 bytes per step, 80 MB, still growing with the "
            "steps (and far more as Python objects). Forward mode carries one tangent beside one value and "
            "forgets each step: O(1). Checkpointing could rescue reverse mode, by recomputing. (Lessons 7 and 9.)",
            ("With one input and one output both modes need one sweep: compare what each must keep in memory "
             "while it runs. Revisit Lesson 7, “Memory” (the tape grows with ops(f)).",
             "Which mode keeps a tape that grows with the number of steps, and which forgets each step? "
             "(Lesson 9, section 1.)")),
    Exercise(
        "11.10", "numbers", ("checkpoint_steps",), title="checkpointing, a small case",
        inputs=_steps, by_hand=True, tolerance=EXACT,
        expected=lambda n, s: [binomial_cost(n, 1), binomial_cost(n, s)],
        entries=lambda n, s: [f"t({n}, 1)", f"t({n}, {s})"],
        mistakes=_checkpoint_mistakes,
        hints=("s = 1 keeps only x₀: reversing step k means running steps 1 … k − 1 again from x₀; add these up "
               "over every step. Revisit Lesson 9, section 2.",
               "For your s find r first, the smallest integer with C(s + r, s) ≥ n; then t = r·n − C(s + r, s + 1). "
               "Revisit Lesson 9, section 3.")),
    _choice("11.11", "hvp_cost", "a few gradients", ("a few gradients", "n gradients", "n² gradients"),
            "the price of an HVP",
            "An HVP is one gradient of a JVP (reverse-on-forward, adlab.hvp's default, the nesting Lesson 10 "
            "recommends for adlab) or one JVP of the gradient (forward-over-reverse): either way a small factor on "
            "top of the gradient's cost, whatever n. Lesson 10 counted both on Rosenbrock at about two gradients, "
            "reverse-on-forward the fewer: so a few seconds here. Forming the whole Hessian is what costs n HVPs "
            "(10⁶ of them, and 8 TB to store), which is why Newton–CG asks only for HVPs. (Lesson 10.)",
            ("An HVP nests one sweep in another: a gradient of a JVP, or a JVP of the gradient. What does one sweep "
             "cost, relative to the function it differentiates? Revisit Lesson 10, sections 2–4, and Lesson 5, "
             "“What each mode costs”.",
             "Tell one product Hv from the whole Hessian, n of them (revisit Lesson 10, section 4: what an HVP "
             "costs).")),
    Exercise(
        "11.12", "numbers", ("adlab_value",), title="perturbation confusion",
        inputs=_nested_point, by_hand=True,
        expected=_nested,
        entries=lambda **inputs: ["the number adlab returns"],
        mistakes=_nested_mistakes,
        hints=("Work it out by calculus first: what is d/dy (x + c·y), and then the derivative in x of x times "
               "that? Revisit Lesson 10, section 2 (derivatives of derivatives).",
               "adlab gives each grad its own level: inside the inner grad, x belongs to the outer level and counts "
               "as a constant (revisit Lesson 4: a dual number with one ε for every derivative has no levels).")),
    Exercise(
        "11.13", "numbers", ("dual",), title="a dual number by hand",
        inputs=_dual_point, by_hand=True,
        expected=_dual,
        entries=lambda x0: ["the value part", "the ε-part"],
        mistakes=_dual_mistakes,
        hints=("Multiply out with ε² = 0: (a + bε)(c + dε) = ac + (ad + bc)ε. Revisit Lesson 4, dual numbers.",
               "Expand (x₀ + ε)³ by the binomial theorem and drop every term with ε² or ε³; then add −2x₀ − 2ε "
               "(Lesson 4).")),
)
