"""Lesson 6 · Reverse mode from scratch: Table 3's adjoints by hand, a micrograd-style Value built in three steps,
a second sweep, an adjoint program written by hand, and when to choose source transformation."""

from __future__ import annotations

import math

import numpy as np

from ... import grad
from ..columns import trace_column
from ..diagnose import DEFAULT, TIGHT, diagnose_entries
from ..exercise import NOT_ANSWERED, Exercise
from ..feedback import Invalid, NotAnswered, as_array, is_placeholder, number_text
from .. import value_class
from ..random_graphs import check_random_graphs
from ..reference_value import ReferenceValue
from ..value_class import borrowed, staged_verdict, value_class_verdict
from ..value_class_basics import Stop, grad_of, parents_of, run_student_code
from . import register
from .shared import answer_class, eq5 as f


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


# -- 6.2a–c · the student's Value class, in three steps ------------------------------------------
# 6.2a: Value with data, grad, parents and the rules of + and *; 6.2b: topological_order() and backward()
# without recursion, on graphs of + and *; 6.2c: the remaining operations, and then the whole class, checked
# as one (adlab.exercises.value_class's value_class_verdict: every rule, Eq. 5, random graphs, a 5,000-deep chain).

_STEP_A_RULES = [rule for rule in value_class.RULES if rule[0] in ("__add__", "__mul__")] + [
    ("__add__", "x + 1", lambda x: x + 1, (2.0,)), ("__mul__", "x * 3", lambda x: x * 3, (2.0,))]
_STEP_B_GRAPHS = 12
_STEP_B_DEPTH = 5000


def _class_of(namespace, step):
    """(Value, None) for the class in the namespace, or (None, (status, message)) saying what is wrong."""
    return answer_class(namespace, "Value", "the answer cell must define it" if step == "6.2a"
                        else "the answer cell of exercise 6.2a must define it")


def _missing(Value, methods, step):
    missing = [m for m in methods if not callable(getattr(Value, m, None))]
    if not missing:
        return None
    listed = ", ".join(f"`{m}`" for m in missing)
    return "wrong", (f"your `Value` has no {listed}: {step}'s answer cell must define "
                     f"{'them' if len(missing) > 1 else 'it'} (run that cell again after changing an earlier step).")


def _records_its_graph(Value, name):
    """out = x * y (and x + y) must keep its parents and a callable _backward, micrograd's layout."""
    for text, function in (("x * y", lambda x, y: x * y), ("x + y", lambda x, y: x + y)):
        x, y = Value(2.0), Value(3.0)
        method = "__mul__" if "*" in text else "__add__"
        out = run_student_code(f"`{name}.{method}` (computing {text})", lambda: function(x, y))
        if not (hasattr(out, "data") and hasattr(out, "grad")):
            raise Stop("wrong", f"your `{name}.{method}` returned {type(out).__name__} for {text}, not a "
                                f"{name}: does it end with `return out`?")
        parents = parents_of(out)
        if parents is None or not (any(p is x for p in parents) and any(p is y for p in parents)):
            raise Stop("wrong", f"out = {text} does not record x and y as its parents: build it as "
                                f"{name}(…, (self, other), …), so that out._parents holds both.")
        if not callable(getattr(out, "_backward", None)):
            raise Stop("wrong", f"out = {text} has no `_backward` function: the operation must set "
                                f"out._backward = _backward before `return out`.")


def _step_a_checker(namespace):
    """Exercise 6.2a: a new Value, and the rules of + and * on their own (also x + x, x * x: fan-out)."""
    Value, problem = _class_of(namespace, "6.2a")
    if problem:
        return problem
    missing = _missing(Value, ("__add__", "__mul__"), "6.2a")
    if missing:
        return missing
    name = Value.__name__
    verdict = staged_verdict([lambda: value_class.check_new_value(Value, name), lambda: _records_its_graph(Value, name)]
                             + [lambda rule=rule: value_class.check_rule(Value, name, *rule) for rule in _STEP_A_RULES],
                             name)
    return verdict or ("correct", "correct: a new Value, and the rules of x + y, x * y, x + x, x * x, x + 1 and "
                                  "x * 3, each with out.grad = 2.")


def _sweeps_small_graphs(Value, name, seed=0):
    """backward() on y = x1*x2 + x2 (x2 used twice) and on random graphs of + and * with fan-out."""
    point = (3.0, -4.0)
    x1, x2 = Value(point[0]), Value(point[1])
    y = run_student_code(f"`{name}` (computing x1*x2 + x2)", lambda: x1 * x2 + x2)
    run_student_code(f"`{name}.backward()`", y.backward)
    for label, leaf, truth in (("x1", x1, point[1]), ("x2", x2, point[0] + 1)):
        yours = grad_of(leaf, label, "y.backward()")
        if not math.isclose(yours, truth, rel_tol=value_class.TOLERANCE, abs_tol=value_class.TOLERANCE):
            why = ("backward() must set y.grad = 1, then call each node's _backward from the output back to the "
                   "inputs (reversed topological order)") if yours == 0 else \
                  ("6.2a's rules passed on their own, so look at backward(): it must set y.grad = 1, then call each "
                   "node's _backward exactly once, after every node that uses it (reversed topological order)")
            raise Stop("wrong", f"your `{name}.backward()` gives {label}.grad = {number_text(yours)} for "
                                f"y = x1*x2 + x2 at x1=3, x2=−4: {why}.")
    # 6.2a's class has + and * with the number on the right only (6.2c adds the rest)
    check_random_graphs(Value, name, np.random.default_rng(seed), _STEP_B_GRAPHS, n_operations=7,
                        ops=("+", "*"), constants_on_left=False)


def _step_b_checker(namespace):
    """Exercise 6.2b: topological_order() and backward() on 6.2a's class, without recursion."""
    Value, problem = _class_of(namespace, "6.2b")
    if problem:
        return problem
    missing = _missing(Value, ("topological_order", "backward"), "6.2b")
    if missing:
        return missing
    name = Value.__name__
    verdict = staged_verdict([lambda: _sweeps_small_graphs(Value, name),
                              lambda: value_class.check_chain(Value, name, _STEP_B_DEPTH)], name)
    return verdict or ("correct", f"correct: y = x1*x2 + x2, {_STEP_B_GRAPHS} random graphs of + and * with "
                                  f"fan-out, and a {_STEP_B_DEPTH:,}-deep chain, without recursion.")


def _value_checker(namespace):
    """Exercise 6.2c: the whole class (6.2a, 6.2b and 6.2c's operations), run by adlab.exercises.value_class's check."""
    Value, problem = _class_of(namespace, "6.2c")
    if problem:
        return problem
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
        return "invalid", ("the answer cells of exercises 6.2a–6.2c must define your class `Value`: this exercise "
                           "runs it (the check runs those cells first, then this one).")
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
                     + "\nYour class computed them: if the check of exercise 6.2a, 6.2b or 6.2c does not pass "
                       "yet, it names the rule to fix.")


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


# -- 6.5 · a reverse sweep written by hand (Lesson 3's exercise 3.4 until issue 22) -------------------


def g(x1, x2):
    """Exercise 6.5's function."""
    return np.sin(x1 * x2) + x1 / x2


def _sweep_points(rng, count=4):
    """(x₁, x₂), x₂ ≠ 0 and x₁ ≠ ±x₂ (so that a missing x̄₁ term and a missing x̄₂ term look different)."""
    values = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0)
    grid = [(a, b) for a in values for b in values if abs(a) != abs(b)]
    return {"points": [grid[int(i)] for i in rng.choice(len(grid), size=count, replace=False)]}


def _sweep_mistakes(**inputs):
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


# -- 6.6 · when source transformation is the better choice ----------------------------------------

SCENARIOS = {
    "A": "a fixed simulation kernel, written once, whose gradient is needed millions of times",
    "B": "a model written cell by cell in a notebook, with Python if/while on the data, changed every few minutes",
    "C": "derivative code that must run where the AD library is not available (another language, a device)",
}


def _scenario_mistakes():
    only_a = ("C too: the derivative program is plain code that needs no AD library at run time, so it can be "
              "shipped, or translated line by line, where the library cannot go")
    only_c = ("A too: written once, the derivative program runs without any overloading or rule lookups, and it "
              "can be compiled; paid for once, over millions of calls")
    why_not_b = ("a transformer must see the whole program before it runs, and run again after every change; "
                 "with Python if/while on the data, written interactively, operator overloading simply follows "
                 "the path each run takes")
    return {only_a: "A", only_c: "C", f"not B: {why_not_b}": "B",
            f"B is operator overloading's case: {why_not_b}": "AB",
            f"B fits operator overloading better: {why_not_b}": "BC", f"not all three: {why_not_b}": "ABC"}


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
        "6.2a", "custom", ("Value",), title="a Value that records + and *",
        checker=_step_a_checker, by_hand=True,
        revisit="revisit section 2 and the table of local partials in section 1",
        hints=("out = x + y changes at rate 1 with x and at rate 1 with y (the table in section 1): each parent's "
               "grad grows by out.grad times its local partial.",
               "For a product, each factor's local partial is the data of the other factor.",
               "Always add (+=), never assign: the same Value can be both parents, as in x * x, and must receive "
               "both contributions.")),
    Exercise(
        "6.2b", "custom", ("Value",), title="the sweep, without recursion",
        checker=_step_b_checker, by_hand=True, uses=("6.2a",),
        revisit="revisit section 2: a loop with an explicit stack of (node, parents_done) pairs",
        hints=("A node may join the order only when all of its parents are in it already. Keep a stack of "
               "(node, parents_done) pairs and a set of the nodes you have seen, so that a shared parent is "
               "visited once.",
               "Popping a node whose parents are not done yet: push it back, marked done, then push each of its "
               "parents. Popping a node marked done: its parents are in the order, so it can follow them.",
               "backward(): the output's grad is ȳ = 1, and a node's _backward may run only after every node "
               "that uses it: walk the order from its end.")),
    Exercise(
        "6.2c", "custom", ("Value",), title="the other operations, and the whole class",
        checker=_value_checker, by_hand=True, uses=("6.2a", "6.2b"),
        revisit="revisit the table of local partials in section 1",
        hints=("Subtraction: the local partials are 1 and −1. Division a / b: 1/b and −a/b² (section 1's table).",
               "log: the partial of ln v is 1/v, with v the parent's data; exp: the partial is the output itself, "
               "out.data.",
               "Every rule multiplies by out.grad and adds to the parents' grads with +=.")),
    Exercise(
        "6.3", "custom", ("x_bar",), title="your class at your own point",
        inputs=_point, uses=("6.2a", "6.2b", "6.2c"), by_hand=True, context=lambda **inputs: {"f": f},
        checker=_gradient_checker, expected=_gradient, mistakes=_gradient_mistakes,
        revisit="revisit section 2, and the checks of exercises 6.2a–6.2c",
        hints=("Make the inputs Values of your class: x1, x2 = Value(x1), Value(x2); then y = f(x1, x2), "
               "y.backward() once, and x_bar = [x1.grad, x2.grad].",
               "Predict first from x̄₁ = x₂ − 1/x₁ and x̄₂ = x₁ + 1 at your numbers: if your class disagrees, "
               "the checks of exercises 6.2a–6.2c say which rule is wrong.")),
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
    Exercise(
        "6.5", "function", ("g_adjoint",), title="write the reverse sweep",
        inputs=_sweep_points, by_hand=True, tolerance=TIGHT,
        reference=lambda points: grad(g, argnums=(0, 1)),
        points=lambda points: points,
        mistakes=_sweep_mistakes,
        revisit="revisit f_adjoint in section 5: one += line per use",
        hints=("Go from v₄ back: v₄ = v₂ + v₃ gives v2_bar += v4_bar and v3_bar += v4_bar. "
               "Then v₃ = v₋₁/v₀, v₂ = sin v₁, v₁ = v₋₁·v₀.",
               "For v₃ = v₋₁/v₀: ∂v₃/∂v₋₁ = 1/v₀ and ∂v₃/∂v₀ = −v₋₁/v₀² = −v₃/v₀. "
               "For v₂ = sin v₁: ∂v₂/∂v₁ = cos v₁.",
               "Both inputs are used twice (in v₁ and in v₃): each gets two lines.")),
    Exercise(
        "6.6", "choice", ("source_wins",), title="when to choose source transformation",
        by_hand=True, choices=("A", "B", "C", "AB", "AC", "BC", "ABC"),
        expected="AC", mistakes=lambda: _scenario_mistakes(),
        explain=("A and C. A: the derivative program is written once and then runs as plain code, without a "
                 "Python call and a rule lookup per operation, and a compiler can optimize it; over millions of "
                 "calls that pays. C: the written-out program needs no AD library to run, so it can go where the "
                 "library cannot. B is operator overloading's home ground: it differentiates whatever path each "
                 "run takes, with no step before it, while a transformer must read the whole program first (and "
                 "adlab.codegen, working from one trace, even freezes the branch taken)."),
        revisit="revisit section 5: what each implementation needs, and when it does its work",
        hints=("When does each do its work: source transformation once, before the program runs; operator "
               "overloading at every run, operation by operation?",
               "What does each need at run time, and what must it see in advance?")),
)
