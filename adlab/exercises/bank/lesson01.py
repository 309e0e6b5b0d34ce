"""Lesson 1 · The evaluation trace: a trace in Python's order, a forward and a reverse sweep by hand."""

from __future__ import annotations

import numpy as np

from ... import trace
from ..exercise import Exercise
from ..columns import trace_column
from . import register
from .shared import eq5 as f


def f_python_order(x1, x2):
    """Exercise 1.1's function: the same y, typed so that Python takes the log first."""
    return x2 - np.log(x1) + x1 * x2


def doubled(x1, x2):
    """Exercise 1.4's function: x1 is read twice by one product, and once more by sin."""
    return x1 * x1 * x2 + np.sin(x1)


def _point(rng, x1_choices=(1.5, 2.5, 4.0, 5.0, 6.0), x2_choices=(-5.0, -4.0, -3.0, -2.0, 2.0, 3.0, 4.0, 5.0)):
    """A point where the numbers stay readable: x1 > 0 (for the log), x2 ≠ 0, and x1·x2 ≠ ±1.

    x1 avoids the worked examples' 2 and 3, whose logs the lesson's tables print.
    """
    while True:
        x1, x2 = float(rng.choice(x1_choices)), float(rng.choice(x2_choices))
        if abs(x1 * x2) != 1 and x1 != abs(x2):
            return {"x1": x1, "x2": x2}


def _values_mistakes(x1, x2):
    """Exercise 1.1: the notes' order, and the left-to-right slip."""
    notes_order = [x1 * x2, np.log(x1), x1 * x2 + x2, x1 * x2 + x2 - np.log(x1)]
    return {"that is the notes' order (Table 1): here Python computes np.log(x1) first, since `x2 - np.log(x1)` "
            "is the left operand of the +": notes_order,
            "the subtraction is reversed: v₂ = v₀ − v₁ (x₂ minus the log), not v₁ − v₀":
                [np.log(x1), np.log(x1) - x2, x1 * x2, np.log(x1) - x2 + x1 * x2]}


def _tangent_mistakes(x1, x2):
    """Exercise 1.2 along ẋ = (1, 0): the product rule's half, the log's tangent, Table 2's v₄."""
    v1, v2 = x2, 1 / x1
    return {"the product rule has two terms, v̇₋₁·v₀ + v̇₀·v₋₁": [0.0, v2, 0.0, -v2],
            "the log's tangent is v̇₋₁·(1/v₋₁), not v̇₋₁·v₋₁ or ln": [v1, x1, v1, v1 - x1],
            "that is Table 2's misprint: v₄ = v₃ − v₂, so v̇₄ = v̇₃ − v̇₂": [v1, v2, v1, v2 - v1],
            "v₃ = v₁ + v₀ passes both tangents on: v̇₃ = v̇₁ + v̇₀": [v1, v2, v1 + 1, v1 + 1 - v2]}


def _adjoint_mistakes(x1, x2):
    """Exercise 1.3 (column v̄₋₁ … v̄₄): one use of an input forgotten (each input, each use), the sign of v̄₂.

    One slip per entry, so that a student who forgets one term of one input hears which term: a column
    with both inputs slipped is still named, entry by entry (diagnose_entries).
    """
    fan_out = "a fan-out contribution is missing: {input} is read by {uses}, so its adjoint adds one term per use; {term}"
    right = [x2 - 1 / x1, x1 + 1, 1.0, -1.0, 1.0, 1.0]
    x1_uses, x2_uses = "v₁ = v₋₁ × v₀ and v₂ = ln v₋₁", "v₁ = v₋₁ × v₀ and v₃ = v₁ + v₀"
    return {fan_out.format(input="x₁", uses=x1_uses, term="the log's term v̄₂/v₋₁ is missing"): [x2] + right[1:],
            fan_out.format(input="x₁", uses=x1_uses, term="the product's term v̄₁·v₀ is missing"): [-1 / x1] + right[1:],
            fan_out.format(input="x₂", uses=x2_uses, term="the product's term v̄₁·v₋₁ is missing"):
                right[:1] + [1.0] + right[2:],
            fan_out.format(input="x₂", uses=x2_uses, term="the sum's term v̄₃ is missing"): right[:1] + [x1] + right[2:],
            "v̄₂ = v̄₄·(−1): v₄ = v₃ − v₂ subtracts v₂, so its adjoint changes sign":
                [x2 + 1 / x1, x1 + 1, 1.0, 1.0, 1.0, 1.0]}


def _doubled_mistakes(x1, x2):
    """Exercise 1.4: the product x1·x1 sends two contributions, and sin sends one more."""
    return {"one contribution is missing: v₁ = v₋₁ × v₋₁ reads v₋₁ twice, so it sends v̄₁·v₋₁ twice":
                x1 * x2 + np.cos(x1),
            "the contribution of v₃ = sin v₋₁ (v̄₃·cos v₋₁) is missing": 2 * x1 * x2,
            "sin's derivative is +cos": 2 * x1 * x2 - np.cos(x1)}


register(
    Exercise(
        "1.1", "numbers", ("values",), title="a trace in Python's order",
        inputs=_point, by_hand=True,
        **trace_column(f_python_order, "value"),
        mistakes=_values_mistakes,
        hints=("Python reads `a - b + c` as `(a - b) + c`, and works out the left operand of each operator before "
               "the right one. x₂ and x₁ are inputs (rows v₀ and v₋₁), so the first operation is np.log(x1).",
               "Four operations, in this order: a log, a subtraction, a product and the final sum. "
               "Your v₄ must equal y = x₁x₂ + x₂ − ln x₁ at your numbers.")),
    Exercise(
        "1.2", "numbers", ("tangents",), title="a forward sweep along x₁",
        inputs=_point, by_hand=True, variant_note="the direction is ẋ = (1, 0)",
        **trace_column(f, "tangent", seed=(1.0, 0.0)),
        mistakes=_tangent_mistakes,
        hints=("Start from v̇₋₁ = ẋ₁ = 1 and v̇₀ = ẋ₂ = 0. The product rule gives v̇₁ = v̇₋₁·v₀ + v̇₀·v₋₁.",
               "For the log, v̇₂ = v̇₋₁·(1/v₋₁). A sum or a difference passes tangents straight through: "
               "v̇₃ = v̇₁ + v̇₀ and v̇₄ = v̇₃ − v̇₂.")),
    Exercise(
        "1.3", "numbers", ("adjoints",), title="a reverse sweep by hand",
        inputs=_point, by_hand=True, variant_note="ȳ = 1",
        **trace_column(f, "adjoint", rows="all"),
        mistakes=_adjoint_mistakes,
        hints=("Bottom up: v̄₄ = ȳ = 1; v₄ = v₃ − v₂ gives v̄₃ = v̄₄·1 and v̄₂ = v̄₄·(−1); "
               "v₃ = v₁ + v₀ gives v̄₁ = v̄₃·1.",
               "x₂ = v₀ is used by v₃ and by v₁: x̄₂ = v̄₃·1 + v̄₁·v₋₁. x₁ = v₋₁ is used by v₂ and by v₁: "
               "x̄₁ = v̄₂·(1/v₋₁) + v̄₁·v₀.")),
    Exercise(
        "1.4", "numbers", ("x1_bar",), title="a value used twice by one operation",
        inputs=lambda rng: _point(rng, (0.5, 1.0, 1.5, 2.0, 2.5), (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)),
        by_hand=True, variant_note="ȳ = 1",
        expected=lambda x1, x2: trace(doubled, x1, x2).reverse().input_adjoints[0],
        entries=lambda x1, x2: ["x̄₁"],
        mistakes=_doubled_mistakes,
        hints=("Python's order: v₁ = v₋₁ × v₋₁, v₂ = v₁ × v₀, v₃ = sin v₋₁, v₄ = v₂ + v₃.",
               "Bottom up: v̄₄ = 1, v̄₃ = v̄₄·1, v̄₂ = v̄₄·1, v̄₁ = v̄₂·v₀.",
               "v₁ = v₋₁ × v₋₁ reads v₋₁ as both operands, so it sends two contributions, v̄₁·v₋₁ each; "
               "v₃ = sin v₋₁ sends v̄₃·cos v₋₁. Add all three.")),
)
