"""The check of a reverse-mode `Value` class written by the student (micrograd-style, a graph of nodes).

``value_class_verdict(Value)`` runs the student's class, in this order, and returns
(status, message) for the first thing that is wrong, in one sentence that names the
operation, and never the value it expected:

0. the class must be the student's own: adlab's `ReferenceValue`, an alias or a subclass
   of it, or a class whose methods (or whose instances) come from adlab is refused;
1. a new ``Value(2.0)``: ``.data`` 2 and ``.grad`` 0 (a float, or a 0-d NumPy array);
2. each operation's local backward rule on its own: ``out = x * y``, ``out.grad = 2``,
   ``out._backward()``, then ``x.grad`` and ``y.grad`` (also ``x * x``, where x is used
   twice, and plain numbers: ``1 - x``, ``3 * x``, ``x / 4`` …);
3. ``backward()`` on the course's Eq. 5 at (3, −4);
4. ``backward()`` on random expression graphs whose values are used several times
   (fan-out), every leaf's ``.grad`` against ``adlab.grad`` of the same expression on floats
   (module `random_graphs`);
5. ``backward()`` on a chain ``depth`` operations deep. The check measures recursion itself:
   it runs that sweep under a recursion limit set just above its own depth and counts how
   deep the calls nest (``sys.setprofile``), so a recursive topological sort is refused
   whatever limit the student set with ``sys.setrecursionlimit``.

A stub that raises NotImplementedError is "not answered yet"; any other exception of the
student's code is one line (`value_class_basics`); the whole run has a time limit. Exercise
6.2 (the bank's lesson06) calls ``value_class_verdict`` on the class its answer cell defines,
and runs its steps 6.2a and 6.2b from the pieces below (`check_rule`, `check_chain` …);
``check_reverse_value(exercise, Value)`` is the same check for a notebook cell, recorded in
the progress file. The engine-free reference with the same interface, refused here, is
`reference_value.ReferenceValue`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys

import numpy as np

from .feedback import finish, is_placeholder, number_text
from .random_graphs import check_random_graphs
from .reference_value import ReferenceValue
from .sandbox import CellProblem, time_limit
from .value_class_basics import (Stop, exp_of, expected_gradient, grad_of, log_of, parents_of, point_text,
                                 run_student_code, scalar)

REQUIRED = ("__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
            "log", "exp", "backward")
TOLERANCE = 1e-9  # a rule is right or wrong, not rounded
OUT_GRAD = 2.0    # the local rules are checked with out.grad = 2, so a rule that forgets out.grad shows
SECONDS = 20.0    # the whole check of a class; a loop that never ends is stopped with one sentence
NESTING = 100     # calls nested deeper than this inside backward() of the deep chain: a recursive sort
_MARGIN = 300     # the chain's backward() runs with the recursion limit this many frames above the check
_ADLAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the adlab package's folder


# -- step 0: the student's own class, not adlab's --------------------------------------------------


def _from_adlab(thing):
    """True if a function (or a class) was written in adlab: its code lives in adlab's files, or its module
    is adlab's."""
    for attribute in ("__func__", "func", "fget"):  # staticmethod/classmethod, functools.partial, property
        inner = getattr(thing, attribute, None)
        if inner is not None and inner is not thing and _from_adlab(inner):
            return True
    code = getattr(thing, "__code__", None)
    filename = getattr(code, "co_filename", "") or ""
    if os.path.isabs(filename) and os.path.abspath(filename).startswith(_ADLAB + os.sep):
        return True
    module = getattr(thing, "__module__", None)
    return isinstance(module, str) and (module == "adlab" or module.startswith("adlab."))


def borrowed(Value):
    """One sentence if Value is not the student's own class (adlab's ReferenceValue, built on it, or with
    methods that come from adlab), else None."""
    if not isinstance(Value, type):
        return None
    name = Value.__name__
    own = "write the class yourself (the check runs your own rules, not adlab's)."
    if Value is ReferenceValue:
        return f"`{name}` is adlab's ReferenceValue itself (an alias, not a class of your own): {own}"
    if issubclass(Value, ReferenceValue):
        return f"your `{name}` is built on adlab's ReferenceValue (a subclass of it): {own}"
    for base in Value.__mro__[1:]:
        if base is not object and _from_adlab(base):
            return f"your `{name}` is built on adlab's `{base.__name__}`: {own}"
    for klass in Value.__mro__:
        if klass is object:
            continue
        for attribute, member in vars(klass).items():
            if _from_adlab(member):
                return f"your `{name}.{attribute}` comes from adlab: {own}"
    return None


def _refuse_borrowed_instance(thing, what):
    """A Stop if the object the student's class made is an instance of a class from adlab."""
    kind = type(thing)
    if kind is ReferenceValue or issubclass(kind, ReferenceValue) or _from_adlab(kind):
        raise Stop("wrong", f"{what} made an instance of adlab's `{kind.__name__}`: write the class yourself (the "
                            f"check runs your own rules, not adlab's).")


# -- steps 1 and 2: a new Value, and the rules one at a time ---------------------------------------

# (method, expression, function of the leaves, point); the fan-out cases come after the single-use ones
RULES = (
    ("__add__", "x + y", lambda x, y: x + y, (2.0, 3.0)),
    ("__sub__", "x - y", lambda x, y: x - y, (2.0, 3.0)),
    ("__mul__", "x * y", lambda x, y: x * y, (2.0, 3.0)),
    ("__truediv__", "x / y", lambda x, y: x / y, (2.0, 4.0)),
    ("log", "x.log()", lambda x: log_of(x), (2.0,)),
    ("exp", "x.exp()", lambda x: exp_of(x), (0.5,)),
    ("__add__", "x + x", lambda x: x + x, (2.0,)),
    ("__mul__", "x * x", lambda x: x * x, (2.0,)),
    ("__sub__", "x - x", lambda x: x - x, (2.0,)),
    ("__truediv__", "x / x", lambda x: x / x, (2.0,)),
    ("__radd__", "1 + x", lambda x: 1 + x, (2.0,)),
    ("__rsub__", "1 - x", lambda x: 1 - x, (2.0,)),
    ("__rmul__", "3 * x", lambda x: 3 * x, (2.0,)),
    ("__rtruediv__", "1 / x", lambda x: 1 / x, (2.0,)),
    ("__sub__", "x - 1", lambda x: x - 1, (2.0,)),
    ("__truediv__", "x / 4", lambda x: x / 4, (2.0,)),
)
_LEAVES = ("x", "y", "z")


def check_new_value(Value, name):
    x = run_student_code(f"`{name}(2.0)`", lambda: Value(2.0))
    _refuse_borrowed_instance(x, f"`{name}(2.0)`")
    data, grad = getattr(x, "data", None), getattr(x, "grad", None)
    if scalar(data) != 2.0:
        raise Stop("wrong", f"`{name}(2.0).data` is {data!r}; it should be 2.0 (keep the number in .data).")
    if isinstance(grad, np.ndarray) and grad.ndim > 0:
        raise Stop("wrong", f"`{name}(2.0).grad` is an array of shape {grad.shape}; a grad is one number: start it "
                            f"at 0.0 (a 0-d array such as np.zeros(()) is fine too).")
    if scalar(grad) is None:
        raise Stop("wrong", f"`{name}(2.0).grad` is {grad!r}; a new {name}'s grad must start at 0.")
    if scalar(grad) != 0.0:
        raise Stop("wrong", f"`{name}(2.0).grad` is {number_text(scalar(grad))}; a new {name}'s grad must start "
                            f"at 0.")


def check_rule(Value, name, method, text, function, point):
    names = _LEAVES[:len(point)]
    used_twice = len(point) == 1 and text.count("x") == 2
    expected = expected_gradient(function, point)
    leaves = [run_student_code(f"`{name}(…)`", lambda v=v: Value(v)) for v in point]
    out = run_student_code(f"`{name}.{method}` (computing {text})", lambda: function(*leaves))
    if not (hasattr(out, "data") and hasattr(out, "grad")):
        raise Stop("wrong", f"your `{name}.{method}` returned {type(out).__name__} for {text}, not a {name}: "
                            f"does it end with `return out`?")
    _refuse_borrowed_instance(out, f"your `{name}.{method}` ({text})")
    parents = parents_of(out)
    local = (callable(getattr(out, "_backward", None)) and parents is not None
             and all(any(leaf is p for p in parents) for leaf in leaves)
             and all(any(p is leaf for leaf in leaves) or not parents_of(p) for p in parents))
    if local:  # the rule alone: out.grad = 2, one call of out._backward()
        out.grad = OUT_GRAD
        run_student_code(f"`{name}.{method}` backward rule", out._backward)
        scale, how = OUT_GRAD, f" with out.grad = {number_text(OUT_GRAD)}"
        what = f"the backward rule of {text}"
    else:  # an operation made of several nodes (x - y as x + (-y)): its rule shows through backward()
        run_student_code(f"`{name}.backward()` (on {text})", out.backward)
        scale, how = 1.0, " after out.backward()"
        what = f"out.backward() on {text}"
    for leaf_name, leaf, truth in zip(names, leaves, expected):
        yours, truth = grad_of(leaf, leaf_name, what), truth * scale
        if not math.isclose(yours, truth, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            if used_twice:
                why = (f"{leaf_name} is used twice here (fan-out), so {leaf_name}.grad must receive both "
                       f"contributions; add each one with +=, never overwrite with =")
            elif local and truth != 0 and math.isclose(yours, truth / scale, rel_tol=TOLERANCE):
                why = "the rule must multiply by out.grad (the chain rule)"
            elif truth != 0 and math.isclose(yours, -truth, rel_tol=TOLERANCE):
                why = "the sign is flipped"
            else:
                why = (f"{leaf_name}.grad must receive out.grad × ∂out/∂{leaf_name}, the local partial of {text} "
                       f"(see the table of local partials)")
            raise Stop("wrong", f"your `{name}.{method}` backward gives {leaf_name}.grad = {number_text(yours)} "
                                f"for out = {text} at {point_text(names, point)}{how}: {why}.")


# -- step 3: Eq. 5 ---------------------------------------------------------------------------------


def _eq5(x1, x2):
    v1 = x1 * x2
    v2 = log_of(x1)
    v3 = v1 + x2
    return v3 - v2


def _check_eq5(Value, name):
    point = (3.0, -4.0)
    expected = expected_gradient(_eq5, point)
    x1, x2 = Value(point[0]), Value(point[1])
    y = run_student_code(f"`{name}` (computing Eq. 5)", lambda: _eq5(x1, x2))
    run_student_code(f"`{name}.backward()`", y.backward)
    yours = [grad_of(x1, "x1", "y.backward()"), grad_of(x2, "x2", "y.backward()")]
    for leaf_name, mine, truth in zip(("x1", "x2"), yours, expected):
        if not math.isclose(mine, truth, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            if yours == [0.0, 0.0]:
                why = ("backward() must set y.grad = 1, then call each node's _backward from the output back "
                       "to the inputs (reversed topological order)")
            else:
                why = ("each rule passed on its own, so look at backward(): it must set y.grad = 1, then call "
                       "each node's _backward exactly once, after every node that uses it (reversed topological "
                       "order)")
            raise Stop("wrong", f"your `{name}.backward()` gives {leaf_name}.grad = {number_text(mine)} for Eq. 5, "
                                f"y = x1*x2 + x2 − ln(x1), at x1=3, x2=−4: {why}.")

# -- step 5: a deep chain, on which recursion is measured ------------------------------------------


def _frame_depth():
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@contextlib.contextmanager
def _measured_nesting(margin=_MARGIN):
    """Count how deep Python calls nest inside (``state["deepest"]``), under a recursion limit `margin`
    frames above here: whatever limit the student set, a recursive sort shows (or stops) within it."""
    state = {"depth": 0, "deepest": 0}

    def probe(frame, event, arg):
        if event == "call":
            state["depth"] += 1
            if state["depth"] > state["deepest"]:
                state["deepest"] = state["depth"]
        elif event == "return":
            state["depth"] -= 1

    limit, previous = sys.getrecursionlimit(), sys.getprofile()
    sys.setrecursionlimit(min(limit, _frame_depth() + margin))
    sys.setprofile(probe)
    try:
        yield state
    finally:
        sys.setprofile(previous)
        sys.setrecursionlimit(limit)


def check_chain(Value, name, depth):
    x = run_student_code(f"`{name}(0.5)`", lambda: Value(0.5))
    v = x
    for _ in range(depth):
        v = run_student_code(f"`{name}` (building a {depth:,}-deep chain)", lambda v=v: v * 0.999 + x)
    expected = 1.0
    for _ in range(depth):
        expected = 0.999 * expected + 1.0
    recursive = (f"your `{name}.backward()` recurses, one nested call per level of the graph, on a {depth:,}-deep "
                 f"chain: order the nodes with a loop and an explicit stack, not recursion (raising the recursion "
                 f"limit only moves the wall).")
    try:
        with _measured_nesting() as nesting:
            run_student_code(f"`{name}.backward()` (on a {depth:,}-deep chain)", v.backward)
    except RecursionError:
        raise Stop("wrong", recursive) from None
    if nesting["deepest"] > NESTING:
        raise Stop("wrong", recursive)
    yours = grad_of(x, "x", "backward()")
    if not math.isclose(yours, expected, rel_tol=1e-7):
        raise Stop("wrong", f"your `{name}.backward()` gives x.grad = {number_text(yours)} on a {depth:,}-deep chain "
                            f"(v = v*0.999 + x, repeated, from v = x = 0.5), which is not its derivative: each "
                            f"node's _backward must run exactly once, after every node that uses it.")


# -- the whole check -------------------------------------------------------------------------------


def _settings(who, depth, graphs, seed):
    for setting, value in (("depth", depth), ("graphs", graphs), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{who}: {setting} must be a whole number ≥ 0, not {value!r}.")


def value_class_verdict(Value, seed=0, depth=5000, graphs=12, seconds=None):
    """(status, message) for a student's reverse-mode `Value` class; nothing is recorded.

    ``Value`` is the class itself. It needs ``Value(number)`` with ``.data`` and ``.grad``
    (starting at 0); ``+ - * /`` with Values and plain numbers on either side; ``.log()`` and
    ``.exp()``; and ``backward()``, which sets ``.grad`` of every node the output depends on.
    Local rules are checked through ``out._backward()`` when a node has one (micrograd's
    layout) and through ``backward()`` otherwise. ``seed`` fixes the random graphs, ``depth``
    the length of the chain on which recursion is measured, ``seconds`` the time limit of the
    whole run (SECONDS if None). status is "correct", "wrong", "unanswered" or "invalid"; the message never
    holds an expected value.
    """
    _settings("value_class_verdict", depth, graphs, seed)
    if is_placeholder(Value):
        return "unanswered", "not answered yet: write the class, then run this cell again."
    if not isinstance(Value, type):
        return "invalid", f"pass the class itself (e.g. `Value`), not a {type(Value).__name__}."
    name = Value.__name__
    refused = borrowed(Value)
    if refused:
        return "wrong", refused
    missing = [method for method in REQUIRED if not callable(getattr(Value, method, None))]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        return "wrong", (f"your `{name}` has no {listed} method{'s' if len(missing) > 1 else ''}; "
                         f"it needs all of {', '.join(REQUIRED)}.")
    stages = ([lambda: check_new_value(Value, name)]
              + [lambda rule=rule: check_rule(Value, name, *rule) for rule in RULES]
              + [lambda: _check_eq5(Value, name),
                 lambda: check_random_graphs(Value, name, np.random.default_rng(seed), graphs),
                 lambda: check_chain(Value, name, depth)])
    return staged_verdict(stages, name, seconds) or (
        "correct", f"correct: every local rule, Eq. 5 at (3, −4), {graphs} random graphs with fan-out, and a "
                   f"{depth:,}-deep chain.")


def staged_verdict(stages, name, seconds=None):
    """Run a check's stages (each raises Stop at the first thing wrong) quietly and under the time limit.

    Returns the (status, message) of the first stage that fails, or None when all pass. Exercise 6.2's
    steps run their own stages through it too.
    """
    quiet = io.StringIO()
    try:
        with np.errstate(all="ignore"), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \
                time_limit(SECONDS if seconds is None else seconds, f"checking your `{name}`"):
            for stage in stages:
                stage()
    except Stop as stop:
        return stop.status, stop.message
    except RecursionError:
        return "wrong", (f"your `{name}` hit Python's recursion limit: order the nodes with a loop and an explicit "
                         f"stack, not recursion.")
    except CellProblem as problem:  # the time limit
        return problem.status, str(problem)
    return None


def check_reverse_value(exercise, Value, seed=0, depth=5000, graphs=12, hints=()):
    """Check a student's reverse-mode `Value` class in a notebook cell: `value_class_verdict`, recorded.

    Returns a Result (shown in the cell); under nbgrader a wrong class raises, as every check does.
    """
    _settings("check_reverse_value", depth, graphs, seed)
    status, message = value_class_verdict(Value, seed=seed, depth=depth, graphs=graphs)
    return finish(exercise, status, message, hints)


__all__ = ["NESTING", "OUT_GRAD", "REQUIRED", "RULES", "SECONDS", "TOLERANCE", "borrowed", "check_chain",
           "check_new_value", "check_reverse_value", "check_rule", "value_class_verdict"]