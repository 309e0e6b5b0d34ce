"""Lesson 6 · Reverse mode from scratch: Table 3's adjoints by hand, a micrograd-style Value, a second sweep."""

from __future__ import annotations

import math

import numpy as np

from ... import grad
from ..columns import trace_column
from ..diagnose import DEFAULT, diagnose_entries
from ..exercise import NOT_ANSWERED, Exercise
from ..feedback import Invalid, NotAnswered, as_array, is_placeholder, number_text
from ..tape import ReferenceValue, borrowed, value_class_verdict
from . import register
from .shared import eq5 as f


# The notes' points: Table 3's (3, −4) and Table 1's (2, 4). The lesson prints them as worked examples
# (Table 3 and its contributions, the two sweeps of section 3, the recap), so no student draws them; nor
# x1 = 2 or 3, since several answers depend on x1 alone (x̄₂ = x₁ + 1; after two sweeps, 4x₁ + 3).
WORKED = ((3.0, -4.0), (2.0, 4.0))


def _point(rng, x1_choices=(1.5, 2.5, 4.0, 5.0, 6.0), x2_choices=(-5.0, -4.0, -3.0, -2.0, 2.0, 3.0, 4.0, 5.0)):
    """A point where the numbers stay readable and every listed mistake shows: x1 > 0 and x1 ≠ 1 (the log and
    its partial 1/x1 differ from x1), x2 ≠ 0, x1 ≠ |x2| (a product's partials swapped show), not a worked point."""
    while True:
        x1, x2 = float(rng.choice(x1_choices)), float(rng.choice(x2_choices))
        if (x1, x2) not in WORKED and abs(x1 * x2) != 1 and x1 != abs(x2):
            return {"x1": x1, "x2": x2}


# -- 6.1 · the adjoint column of Table 3, by hand ------------------------------------------------


def _adjoint_mistakes(x1, x2):
    """Exercise 6.1 (column v̄₋₁ … v̄₄): a fan-out contribution forgotten (either one), the sign of v̄₂,
    ln's partial, the product's partials swapped, and Table 3's slip in v̄₃."""
    return {"a fan-out contribution is missing: the inputs are read by v₂ and v₃ too, not only by the product v₁; "
            "add one term per use": [x2, x1, 1.0, -1.0, 1.0, 1.0],
            "a fan-out contribution is missing: the product v₁ = v₋₁·v₀ reads both inputs too; add one term per use":
                [-1 / x1, 1.0, 1.0, -1.0, 1.0, 1.0],
            "v̄₂ = v̄₄·(−1): v₄ = v₃ − v₂ subtracts v₂, so its adjoint changes sign":
                [x2 + 1 / x1, x1 + 1, 1.0, 1.0, 1.0, 1.0],
            "ln's local partial is 1/v₋₁: v₂ = ln v₋₁ sends v̄₂·(1/v₋₁) to v₋₁, not v̄₂·v₋₁":
                [x2 - x1, x1 + 1, 1.0, -1.0, 1.0, 1.0],
            "the product v₁ = v₋₁·v₀ sends each factor the other one: v̄₁·v₀ to v₋₁ and v̄₁·v₋₁ to v₀":
                [x1 - 1 / x1, x2 + 1, 1.0, -1.0, 1.0, 1.0],
            "that is Table 3's slip: v₃ is used only once, by v₄, so v̄₃ = v̄₄·1 (one contribution)":
                [2 * x2 - 1 / x1, 2 * x1 + 2, 2.0, -1.0, 2.0, 1.0]}


# -- 6.2 · the student's Value class ----------------------------------------------------------


def _value_checker(namespace):
    """Exercise 6.2: the class the answer cell defines, run by adlab.exercises.tape's check."""
    if "Value" not in namespace:
        return "invalid", "no class `Value`: the answer cell must define it (`class Value:`; check the spelling)."
    Value = namespace["Value"]
    if is_placeholder(Value):
        return "unanswered", NOT_ANSWERED
    if not isinstance(Value, type):
        return "invalid", f"`Value` is a {type(Value).__name__}, not a class: define it with `class Value:`."
    return value_class_verdict(Value)


# -- 6.3 · the student's class at the student's point ---------------------------------------


def _gradient_mistakes(x1, x2):
    """Exercise 6.3: what a class with one wrong rule (or a cell that sweeps twice) gives for x̄."""
    return {"a fan-out contribution is missing: x₁ is read by the product and by the log, x₂ by the product and "
            "by the sum; each rule must add to its parents' grad with +=, never overwrite it": [x2, x1],
            "the product's contributions are missing: __mul__'s rule must add to both parents' grads":
                [-1 / x1, 1.0],
            "the log's contribution has the wrong sign: look at __sub__'s rule for `other` (it subtracts out.grad) "
            "and at log's (it adds out.grad / self.data)": [x2 + 1 / x1, x1 + 1],
            "log's rule must add out.grad / self.data (the partial of ln v is 1/v)": [x2 - x1, x1 + 1],
            "__mul__'s rule must give each factor the other one: self.grad += other.data * out.grad, "
            "other.grad += self.data * out.grad": [x1 - 1 / x1, x2 + 1],
            "a fan-out contribution is lost: a rule overwrote a parent's grad (=) instead of adding to it (+=)":
                [-1 / x1, x1],
            "a fan-out contribution is lost: a rule overwrote a parent's grad (=) instead of adding to it (+=) ":
                [x2, 1.0],
            "that is what two sweeps give: y.backward() ran twice on the same graph and the grads kept the first "
            "sweep's adjoints (exercise 6.4); call it once": [4 * x2 - 3 / x1, 4 * x1 + 3]}


def _gradient(x1, x2):
    return [float(g) for g in grad(f, argnums=(0, 1))(x1, x2)]


def _gradient_checker(namespace, x1, x2):
    """Exercise 6.3: x_bar must be the grads that the student's own Value puts on x1 and x2 at their numbers."""
    if "x_bar" not in namespace:
        return "invalid", "no variable `x_bar`: the answer cell must define it (`x_bar = [x1.grad, x2.grad]`)."
    answer = namespace["x_bar"]
    if is_placeholder(answer):
        return "unanswered", NOT_ANSWERED
    Value = namespace.get("Value")
    if not isinstance(Value, type):
        return "invalid", ("exercise 6.2's answer cell must define your class `Value`: this exercise runs it "
                           "(the check runs that cell first, then this one).")
    refused = borrowed(Value)
    if refused:
        return "wrong", refused
    for label, leaf, number in (("x1", namespace.get("x1"), x1), ("x2", namespace.get("x2"), x2)):
        if not isinstance(leaf, Value):
            return "wrong", (f"`{label}` is a {type(leaf).__name__}, not a Value of your class: make the inputs "
                             f"Values (`{label} = Value({label})` after my_numbers), so that y.backward() fills "
                             f"their grads.")
        data = _number(getattr(leaf, "data", None))
        if data is None or not math.isclose(data, number, rel_tol=1e-12, abs_tol=1e-12):
            return "wrong", (f"`{label}.data` is {getattr(leaf, 'data', None)!r}, not your number {label} = "
                             f"{number_text(number)}: build the Values from my_numbers(\"6.3\").")
    try:
        mine, missing = as_array(answer, (2,), "`x_bar`")
    except NotAnswered:
        return "unanswered", NOT_ANSWERED
    except Invalid as error:
        return "invalid", str(error)
    if np.any(missing):
        return "unanswered", NOT_ANSWERED
    grads = [_number(getattr(namespace[label], "grad", None)) for label in ("x1", "x2")]
    if any(g is None for g in grads) or not np.allclose(mine, grads, rtol=1e-9, atol=1e-12):
        return "wrong", ("`x_bar` must hold what your class computed, [x1.grad, x2.grad], read after y.backward(): "
                         "this exercise checks your Value, not a formula.")
    truth = _gradient(x1, x2)
    names = ["x̄₁", "x̄₂"]
    phrases = diagnose_entries(mine, truth, DEFAULT, names, _gradient_mistakes(x1, x2))
    if not phrases:
        return "correct", f"correct: both entries, {DEFAULT.words()}: your Value gives f's gradient at your numbers."
    lines = [f"{names[i]}: {phrase}" for i, phrase in phrases.items()]
    count = f"{len(phrases)} of 2 entries wrong" if len(phrases) > 1 else "1 of 2 entries wrong"
    return "wrong", (f"{count} (checked {DEFAULT.words()})." + "".join("\n  " + line for line in lines)
                     + "\nYour class computed them: if exercise 6.2's check does not pass yet, it names the rule "
                       "to fix.")


def _number(value):
    try:
        return float(value) if np.ndim(value) == 0 and not isinstance(value, (bool, np.bool_, str)) else None
    except (TypeError, ValueError):
        return None


# -- 6.4 · a second sweep without zeroing ---------------------------------------------------


def _two_sweeps(x1, x2):
    """x1.grad and x2.grad after y.backward() twice on one graph, with the reference class (no zeroing)."""
    a, b = ReferenceValue(x1), ReferenceValue(x2)
    y = f(a, b)
    y.backward()
    y.backward()
    return [a.grad, b.grad]


def _twice_mistakes(x1, x2):
    """Exercise 6.4: doubled, one sweep only, y.grad accumulated to 2, the leaves taken as zeroed."""
    return {"not simply doubled: in the second sweep v₁, v₂ and v₃ still hold their adjoints from the first, "
            "and pass them down again": [2 * (x2 - 1 / x1), 2 * (x1 + 1)],
            "that is one sweep's gradient: the second backward() adds to what the first left in every grad":
                [x2 - 1 / x1, x1 + 1],
            "backward() sets y.grad = 1.0 again (=, not +=): the output does not keep its old adjoint, only the "
            "other nodes do": [5 * x2 - 4 / x1, 5 * x1 + 4],
            "x1.grad and x2.grad keep their first-sweep values too: the second sweep adds to them":
                [3 * x2 - 2 / x1, 3 * x1 + 2]}


register(
    Exercise(
        "6.1", "numbers", ("adjoints",), title="the adjoint column of Table 3",
        inputs=_point, by_hand=True, variant_note="ȳ = 1",
        **trace_column(f, "adjoint", rows="all"),
        mistakes=_adjoint_mistakes,
        revisit="revisit section 1: one contribution per use, with the table of local partials",
        hints=("Go from the bottom up. v₄ = v₃ − v₂ gives v̄₃ = v̄₄·1 and v̄₂ = v̄₄·(−1); v₃ = v₁ + v₀ gives "
               "v̄₁ = v̄₃·1.",
               "v₂ = ln v₋₁ gives v₋₁ the contribution v̄₂·(1/v₋₁). The product v₁ = v₋₁·v₀ gives each factor the "
               "other one: v̄₁·v₀ to v₋₁ and v̄₁·v₋₁ to v₀.",
               "x₁ = v₋₁ is used twice (by v₁ and v₂), and so is x₂ = v₀ (by v₁ and v₃): add both contributions, "
               "e.g. v̄₀ = v̄₃·1 + v̄₁·v₋₁.")),
    Exercise(
        "6.2", "custom", ("Value",), title="build the Value class",
        checker=_value_checker, by_hand=True,
        revisit="revisit section 2: += in every rule, and a loop with an explicit stack",
        hints=("Each rule adds into the parents, times out.grad: for out = self * other, "
               "self.grad += other.data * out.grad and other.grad += self.data * out.grad. "
               "Always +=: the same Value may be a parent twice (x * x).",
               "topological_order(): order, seen, stack = [], set(), [(self, False)]. While the stack is not empty, "
               "pop (node, parents_done). If parents_done, append node to order. Otherwise, if node is not seen "
               "yet: mark it seen, push (node, True), then push (parent, False) for each of its parents.",
               "backward(): order = self.topological_order(); self.grad = 1.0; then for node in reversed(order): "
               "node._backward().")),
    Exercise(
        "6.3", "custom", ("x_bar",), title="your class at your own point",
        inputs=_point, uses=("6.2",), by_hand=True, context=lambda **inputs: {"f": f},
        checker=_gradient_checker, expected=_gradient, mistakes=_gradient_mistakes,
        revisit="revisit section 2, and exercise 6.2's check",
        hints=("Make the inputs Values of your class: x1, x2 = Value(x1), Value(x2); then y = f(x1, x2), "
               "y.backward() once, and x_bar = [x1.grad, x2.grad].",
               "Predict first from x̄₁ = x₂ − 1/x₁ and x̄₂ = x₁ + 1 at your numbers: if your class disagrees, "
               "exercise 6.2's check says which rule is wrong.")),
    Exercise(
        "6.4", "numbers", ("twice",), title="predict the second sweep",
        inputs=_point, by_hand=True, variant_note="two sweeps, ȳ = 1 each, nothing zeroed",
        expected=_two_sweeps, entries=lambda x1, x2: ["x1.grad", "x2.grad"],
        mistakes=_twice_mistakes, revisit="revisit section 3, Calling backward() twice",
        hints=("After the first sweep every node holds its adjoint: v̄₄, v̄₃, v̄₂, v̄₁ and the inputs' x̄. The "
               "second backward() sets y.grad = 1.0 again (an assignment); every other node starts from what it "
               "holds.",
               "Sweep again from the bottom: v̄₃ = (its old value) + v̄₄·1, v̄₂ = (its old value) + v̄₄·(−1), "
               "v̄₁ = (its old value) + v̄₃·1, with this sweep's v̄₄ and v̄₃.",
               "Then x̄₂ = (its old value) + v̄₃·1 + v̄₁·x₁ and x̄₁ = (its old value) + v̄₂/x₁ + v̄₁·x₂, with the "
               "second sweep's v̄₁, v̄₂, v̄₃.")),
)
