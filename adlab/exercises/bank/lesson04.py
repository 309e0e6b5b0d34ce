"""Lesson 4 · Forward mode from scratch: the student's own Variable(val, dot), Table 2 seeded with it,
a tangent column along ẋ = (1, 1) by hand, the number of sweeps a gradient takes, a dual number
a + bε pushed through a cubic by hand (ε² = 0), and what nesting an untagged dual number gives
(perturbation confusion) beside the true derivative."""

from __future__ import annotations

import numpy as np

from ... import cost, grad, jvp, trace
from ..columns import trace_column
from ..diagnose import EXACT, distinguishing_draw
from ..dual_numbers import dual_numbers_verdict
from ..dual_trace import dual_trace_verdict
from ..exercise import Exercise
from . import register
from .shared import eq5 as f

TABLE2_POINT = (3.0, -4.0)  # the notes' Table 2: the worked example stays at its numbers
TABLE2_SEED = (0.0, 1.0)




def loss(w):
    """Exercise 4.5's function (the lesson's loss): n weights in, one number out."""
    return np.sum(np.sin(w) * w**2)


# -- the student's class: the checks of exercises.dual_numbers and dual_trace, on what the answer cells defined ---


def _defined(namespace, names, kind):
    """(status, message) for the first name the answer cells did not define, else None."""
    for name in names:
        if name not in namespace:
            what = {"class": f"a class `{name}` (`class {name}:`)", "function": f"a function `{name}` "
                    f"(`def {name}(v):`)", "variable": f"a variable `{name}`"}[kind]
            return "invalid", f"no `{name}`: the answer cell must define {what}; check the spelling."
    return None


def _operators(namespace):
    """Exercise 4.1: + − × / between two Variables."""
    return _defined(namespace, ("Variable",), "class") or dual_numbers_verdict(namespace["Variable"])


def _functions(namespace):
    """Exercise 4.2: ln, sin, exp of a Variable (the class is exercise 4.1's)."""
    return (_defined(namespace, ("Variable",), "class") or _defined(namespace, ("ln", "sin", "exp"), "function")
            or dual_numbers_verdict(namespace["Variable"], ln=namespace["ln"], sin=namespace["sin"],
                                    exp=namespace["exp"], operators=False))


def _table2(namespace):
    """Exercise 4.3: the student's x1, x2 seed a sweep of Table 2, run row by row with their class and ln."""
    missing = (_defined(namespace, ("Variable",), "class") or _defined(namespace, ("ln",), "function")
               or _defined(namespace, ("x1", "x2"), "variable"))
    if missing:
        return missing
    sweep = trace(f, *TABLE2_POINT).forward(*TABLE2_SEED)
    return dual_trace_verdict(namespace["Variable"], (namespace["x1"], namespace["x2"]), sweep, ln=namespace["ln"])


def _mixed(namespace):
    """Exercise 4.6: the class again, now with a plain number on either side (and still Variable op Variable)."""
    return _defined(namespace, ("Variable",), "class") or dual_numbers_verdict(namespace["Variable"], mixed=True)


# -- exercise 4.4: a tangent column along ẋ = (1, 1), by hand ----------------------------------------


def _point(rng, x1_choices=(1.5, 2.0, 2.5, 3.0, 4.0, 5.0), x2_choices=(-5.0, -4.0, -3.0, -2.0, 2.0, 3.0, 4.0, 5.0)):
    """A readable point with x1 > 0 (the log), not Table 2's (3, −4) (the lesson prints its partials), where each
    listed mistake changes the column: x1 ≠ |x2|, and v̇₃ ≠ v̇₂ (else the notes' v₄ = v₂ − v₃ could not be told)."""
    while True:
        x1, x2 = float(rng.choice(x1_choices)), float(rng.choice(x2_choices))
        if (x1, x2) != TABLE2_POINT and x1 != abs(x2) and abs((x1 + x2 + 1) - 1 / x1) > 0.05 \
                and abs(x1 + x2) > 0.05:
            return {"x1": x1, "x2": x2}


def _column_mistakes(x1, x2):
    """The column (v̇₁, v̇₂, v̇₃, v̇₄) along ẋ = (1, 1) as the usual slips make it."""
    right = [x1 + x2, 1 / x1, x1 + x2 + 1, x1 + x2 + 1 - 1 / x1]
    return {
        "the product rule has two terms, v̇₋₁·v₀ + v̇₀·v₋₁, and both tangents are 1 here":
            [x2, 1 / x1, x2 + 1, x2 + 1 - 1 / x1],
        "the product rule has two terms, v̇₋₁·v₀ + v̇₀·v₋₁, and both tangents are 1 here ":
            [x1, 1 / x1, x1 + 1, x1 + 1 - 1 / x1],
        "the log's tangent is v̇₋₁·(1/v₋₁), not v̇₋₁·v₋₁": [right[0], x1, right[2], right[2] - x1],
        "v₃ = v₁ + v₀ passes both tangents on: v̇₃ = v̇₁ + v̇₀, and v̇₀ = 1 along (1, 1)":
            [right[0], right[1], right[0], right[0] - right[1]],
        "that is the notes' misprint (Table 1): v₄ = v₃ − v₂, so v̇₄ = v̇₃ − v̇₂": [*right[:3], right[1] - right[2]],
        "that is the sweep along ẋ = (0, 1), Table 2's seed: here both inputs move, ẋ₁ = ẋ₂ = 1":
            [x1, 0.0, x1 + 1, x1 + 1],
        "that is the sweep along ẋ = (1, 0): here both inputs move, ẋ₁ = ẋ₂ = 1":
            [x2, 1 / x1, x2, x2 - 1 / x1],
    }


# -- exercise 4.5: how many forward sweeps for a gradient -------------------------------------


def _weights(rng):
    return {"n": int(rng.choice((12, 20, 25, 30, 40, 60, 75, 80, 120, 200)))}


def _sweeps_mistakes(n):
    return {"one sweep gives the whole gradient of one output in reverse mode; a forward sweep gives one column "
            "of J, here a single ∂L/∂wᵢ": 1,
            "that is the count for Eq. 5, which has two inputs: count the inputs of `loss`": 2,
            "the value is computed together with the tangents in every forward sweep: no extra sweep for it": n + 1,
            "a sweep carries the value and the tangent together: count sweeps, not numbers": 2 * n}


# -- exercise 4.7: p(a + bε) for p(x) = x³ + k·x, by hand with ε² = 0 ----------------------------------


def cubic(x, k):
    """Exercise 4.7's polynomial p(x) = x³ + k·x."""
    return x**3 + k * x


def _dual_truth(a, b, k):
    """(value part, ε part) of p(a + bε): p(a) and p'(a)·b, the engine's forward sweep seeded with b."""
    value, tangent = jvp(lambda x: cubic(x, k), (a,), (b,))
    return [float(value), float(tangent)]


def _dual_mistakes(a, b, k):
    value, eps = a**3 + k * a, (3 * a**2 + k) * b
    return {
        "ε² = 0: the terms 3a·b²ε² and b³ε³ of (a + bε)³ vanish, they are not ε terms":
            [value, 3 * a**2 * b + 3 * a * b**2 + b**3 + k * b],
        "(a + bε)³ = (a + bε)(a + bε)(a + bε) has three cross terms a·a·bε, one with the ε of each factor":
            [value, a**2 * b + k * b],
        "each ε comes with its b: the ε part is p'(a)·b, not p'(a)": [value, 3 * a**2 + k],
        "k·x gives k·(a + bε) = k·a + k·bε: its k·bε belongs to the ε part": [value, 3 * a**2 * b],
        "k·x gives k·(a + bε) = k·a + k·bε: its k·a belongs to the value part": [a**3, eps],
    }


def _dual_draw(rng):
    return distinguishing_draw(rng, lambda r: {"a": float(r.choice((-2.0, -1.5, -1.0, 0.5, 1.5, 2.0, 2.5, 3.0))),
                                               "b": float(r.choice((-2.0, -1.0, 0.5, 2.0, 3.0))),
                                               "k": float(r.choice((-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 5.0)))},
                               _dual_truth, _dual_mistakes)


# -- exercise 4.8: d/dx [x · d/dy (x·y) at y₀] at x₀, with one shared ε and with two ---------------------


def _nested_truth(x0, y0):
    """[untagged, tagged]. Untagged: one ε for both derivatives, so inside the inner one x moves with y and the
    inner derivative is the derivative of x·y along (1, 1), a plain number u; the outer derivative of x·u is u.
    Tagged: the engine's nested grad, whose levels keep the two perturbations apart (true value 2·x₀)."""
    _, inner = jvp(lambda x, y: x * y, (x0, y0), (1.0, 1.0))
    untagged = grad(lambda x: x * float(inner))(x0)
    tagged = grad(lambda x: x * grad(lambda y: x * y)(y0))(x0)
    return [float(untagged), float(tagged)]


def _nested_mistakes(x0, y0):
    untagged, tagged = x0 + y0, 2 * x0
    cross = "(x₀ + ε)(y₀ + ε) has two cross terms, y₀·ε from x and x₀·ε from y, and one shared ε keeps both"
    return {
        "swapped: `untagged` is what one shared ε gives, `tagged` the true derivative": [tagged, untagged],
        cross: [x0, tagged],
        cross + " ": [y0, tagged],
        "without tags the inner derivative comes out as a plain number (its .dot), and x·(a number) has that "
        "number as its derivative": [2 * x0 + y0, tagged],
        "that is the value part x₀·(x₀ + y₀) of the untagged result: the derivative is its ε part":
            [x0 * (x0 + y0), tagged],
        "d/dy (x·y) = x still depends on x: for the outer derivative the inner result is not a constant":
            [untagged, x0],
        "that is the value x₀² of the outer function x·x, not its derivative": [untagged, x0**2],
    }


def _nested_draw(rng):
    return distinguishing_draw(rng, lambda r: {"x0": float(r.choice((-3.0, -2.0, -1.5, 1.5, 2.5, 3.0, 4.0))),
                                               "y0": float(r.choice((-2.0, -1.0, 0.5, 2.0, 3.0, 5.0)))},
                               _nested_truth, _nested_mistakes)


register(
    Exercise(
        "4.1", "custom", ("Variable",), title="the four operators",
        checker=_operators,
        hints=("Each tangent follows the rule for derivatives: (u + w)' = u' + w', so the sum's dot is "
               "self.dot + other.dot.",
               "Product rule: (uw)' = u'w + uw'. Quotient rule: (u/w)' = (u'w − uw')/w², with a minus sign and "
               "w squared.",
               "Return Variable(value, tangent): a new object. Do not change self or other.")),
    Exercise(
        "4.2", "custom", ("ln", "sin", "exp"), title="ln, sin and exp",
        checker=_functions, uses=("4.1",),
        hints=("Chain rule: the tangent of g(v) is g'(v) · v̇. The value is just g(v.val).",
               "ln' = 1/v, sin' = cos (with a plus sign: it is cos' that is −sin), exp' = exp.")),
    Exercise(
        "4.3", "custom", ("x1", "x2"), title="seed your own sweep (Table 2)",
        checker=_table2, uses=("4.1", "4.2"),
        hints=("Variable(value, tangent): the value first, and x1 is x₁.",
               "The tangent of an input xᵢ is ∂xᵢ/∂x₂, how fast it moves when x₂ does. What is that for x₂ itself? "
               "For x₁?")),
    Exercise(
        "4.4", "numbers", ("column",), title="the tangent column along ẋ = (1, 1)",
        inputs=_point, by_hand=True, variant_note="the direction is ẋ = (1, 1)",
        **trace_column(f, "tangent", seed=(1.0, 1.0)),
        mistakes=_column_mistakes,
        hints=("Start from v̇₋₁ = ẋ₁ = 1 and v̇₀ = ẋ₂ = 1. The product rule gives v̇₁ = v̇₋₁·v₀ + v̇₀·v₋₁: both "
               "terms count here.",
               "v̇₂ = v̇₋₁ / v₋₁ (the log); v̇₃ = v̇₁ + v̇₀; v̇₄ = v̇₃ − v̇₂.")),
    Exercise(
        "4.5", "numbers", ("n_sweeps",), title="how many sweeps for a gradient",
        inputs=_weights, by_hand=True, tolerance=EXACT,
        expected=lambda n: cost.cost(loss, np.linspace(-1.0, 1.0, n), timing=False).forward_sweeps,
        entries=lambda n: ["`n_sweeps`"],
        mistakes=_sweeps_mistakes,
        hints=("What does one sweep seeded with ẋ = eᵢ give? How many such eᵢ are there?",)),
    Exercise(
        "4.6", "custom", ("Variable",), title="plain numbers beside Variables (stretch)",
        checker=_mixed,
        hints=("At the top of each method: if other is not a Variable, make it Variable(other) (its dot is 0).",
               "x.__rsub__(2) computes 2 − x, not x − 2: the number is on the left. Variable(other) - self says it.",
               "Inside __rmul__, `other * self` with a plain number asks Python for self.__rmul__(other) again: "
               "write Variable(other) * self.")),
    Exercise(
        "4.7", "numbers", ("value_part", "eps_part"), title="a dual number through a cubic, by hand",
        inputs=_dual_draw, by_hand=True, variant_note="p(x) = x³ + k·x, at a + bε",
        expected=_dual_truth,
        entries=lambda **inputs: ["`value_part`", "`eps_part` (the coefficient of ε)"],
        mistakes=_dual_mistakes,
        hints=("Expand (a + bε)³ as (a + bε)(a + bε)(a + bε): every term that has ε twice or more is 0. Then "
               "k·(a + bε) = k·a + k·bε.",
               "The ε part should be p'(a)·b: the derivative of x³ + k·x, times the b the ε came with.")),
    Exercise(
        "4.8", "numbers", ("untagged", "tagged"), title="perturbation confusion, predicted",
        inputs=_nested_draw, by_hand=True, variant_note="the outer point is x₀, the inner y₀",
        expected=_nested_truth,
        entries=lambda **inputs: ["`untagged`", "`tagged`"],
        mistakes=_nested_mistakes,
        hints=("Untagged: x = x₀ + ε and y = y₀ + ε share one ε. Multiply them out, keep the ε part (that is the "
               "inner .dot, a plain number u), then differentiate x·u in x.",
               "Tagged: by calculus, d/dy (x·y) = x, so the outer function is x·x; differentiate it at x₀.")),
)
