"""Checks for a reverse-mode `Value` class written by the student (micrograd-style), and a reference one.

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
   (fan-out), every leaf's ``.grad`` against ``adlab.grad`` of the same expression on floats;
5. ``backward()`` on a chain ``depth`` operations deep. The check measures recursion itself:
   it runs that sweep under a recursion limit set just above its own depth and counts how
   deep the calls nest (``sys.setprofile``), so a recursive topological sort is refused
   whatever limit the student set with ``sys.setrecursionlimit``.

A stub that raises NotImplementedError is "not answered yet"; any other exception of the
student's code is one line; the whole run has a time limit. Exercise 6.2 (the bank's
lesson06) calls ``value_class_verdict`` on the class its answer cell defines;
``check_reverse_value(exercise, Value)`` is the same check for a notebook cell, recorded in
the progress file. `ReferenceValue` is an engine-free reference with the same interface,
for demonstrations that must run whatever state the student's class is in.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys

import numpy as np

from .feedback import finish, is_placeholder, number_text
from .sandbox import CellProblem, time_limit

REQUIRED = ("__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
            "log", "exp", "backward")
TOLERANCE = 1e-9  # a rule is right or wrong, not rounded
OUT_GRAD = 2.0    # the local rules are checked with out.grad = 2, so a rule that forgets out.grad shows
SECONDS = 20.0    # the whole check of a class; a loop that never ends is stopped with one sentence
NESTING = 100     # calls nested deeper than this inside backward() of the deep chain: a recursive sort
_MARGIN = 300     # the chain's backward() runs with the recursion limit this many frames above the check
_ADLAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the adlab package's folder


# -- an engine-free reference (plain Python floats) ---------------------------------------


def _nothing():
    pass


def _one_number(data):
    """A ReferenceValue's data as a float, or a TypeError in one sentence."""
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if isinstance(data, ReferenceValue):
        raise TypeError("a ReferenceValue holds a plain number, and this is already a ReferenceValue: use it as it is.")
    if np.ndim(data) != 0:
        raise TypeError(f"a ReferenceValue holds one number, not an array of shape {np.shape(data)}: make one "
                        f"ReferenceValue per entry.")
    try:
        return float(data)
    except (TypeError, ValueError):
        raise TypeError(f"a ReferenceValue holds one number, not a {type(data).__name__} ({data!r}).") from None


class ReferenceValue:
    """A number that remembers how it was made; ``backward()`` sweeps its graph without recursion.

    ``grad`` accumulates (``+=``), as in micrograd: call ``zero_grad()`` before sweeping
    the same graph again.
    """

    def __init__(self, data, parents=(), op=""):
        self.data = _one_number(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op
        self._backward = _nothing

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"

    @classmethod
    def lift(cls, x):
        return x if isinstance(x, ReferenceValue) else cls(x)

    def __add__(self, other):
        other = self.lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = self.lift(other)
        out = type(self)(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self.lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self.lift(other)
        out = type(self)(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data ** 2 * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self.lift(other) + self

    def __rsub__(self, other):
        return self.lift(other) - self

    def __rmul__(self, other):
        return self.lift(other) * self

    def __rtruediv__(self, other):
        return self.lift(other) / self

    def __neg__(self):
        return self * -1.0

    def __pow__(self, other):
        raise TypeError("ReferenceValue has no ** (power): write x * x for x ** 2; it has + − × /, log and exp.")

    def __rpow__(self, other):
        raise TypeError("ReferenceValue has no ** (power): write 2 ** x as (x * math.log(2)).exp(); it has "
                        "+ − × /, log and exp.")

    def log(self):
        out = type(self)(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def topological_order(self):
        """Every node this one depends on, each after all of its parents; a loop with a stack."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents if id(parent) not in seen)
        return order

    def backward(self):
        """Set ``grad`` of every node in the graph: 1 for this one, then one reverse sweep."""
        order = self.topological_order()
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self):
        """Set ``grad`` to 0 on every node of this graph (before a second sweep)."""
        for node in self.topological_order():
            node.grad = 0.0


# -- the check -------------------------------------------------------------------------------


class _Stop(Exception):
    """The first thing that is wrong (or not answered yet): ends the check with this status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _run(what, action):
    """Run the student's code; a stub is not answered yet, any other exception is one line."""
    try:
        return action()
    except _Stop:
        raise
    except NotImplementedError as error:
        where = _innermost_function(error)
        inside = f" (in `{where}`)" if where and where.strip("_") not in what else ""
        raise _Stop("unanswered", f"not answered yet: {what} still raises NotImplementedError{inside}; "
                                  f"write it, then run this cell again.") from None
    except RecursionError:
        raise
    except Exception as error:  # the student's code failed: one line, no traceback
        raise _Stop("wrong", f"your {what} raised {type(error).__name__}: {error}") from None


def _innermost_function(error):
    """The name of the function that raised: `topological_order` when backward() calls a stub."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code.co_name if frame is not None else None


def _log(v):
    return np.log(v) if _is_number(v) or not hasattr(v, "log") else v.log()


def _exp(v):
    return np.exp(v) if _is_number(v) or not hasattr(v, "exp") else v.exp()


def _is_number(v):
    return isinstance(v, (int, float, np.number))


def _scalar(v):
    """v as a float if it is one real number (int, float, NumPy scalar or 0-d array), else None."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and (np.issubdtype(v.dtype, np.integer)
                                                     or np.issubdtype(v.dtype, np.floating)):
        return float(v)
    return None


# -- the student's own class, not adlab's ---------------------------------------------------


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
    """A _Stop if the object the student's class made is an instance of a class from adlab."""
    kind = type(thing)
    if kind is ReferenceValue or issubclass(kind, ReferenceValue) or _from_adlab(kind):
        raise _Stop("wrong", f"{what} made an instance of adlab's `{kind.__name__}`: write the class yourself (the "
                             f"check runs your own rules, not adlab's).")


# -- measuring recursion ---------------------------------------------------------------------


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


# -- the rules, one at a time ------------------------------------------------------------------

# (method, expression, function of the leaves, point); the fan-out cases come after the single-use ones
_RULES = (
    ("__add__", "x + y", lambda x, y: x + y, (2.0, 3.0)),
    ("__sub__", "x - y", lambda x, y: x - y, (2.0, 3.0)),
    ("__mul__", "x * y", lambda x, y: x * y, (2.0, 3.0)),
    ("__truediv__", "x / y", lambda x, y: x / y, (2.0, 4.0)),
    ("log", "x.log()", lambda x: _log(x), (2.0,)),
    ("exp", "x.exp()", lambda x: _exp(x), (0.5,)),
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


def _parents_of(node):
    for attribute in ("_parents", "_prev", "_children", "parents", "prev", "children"):
        parents = getattr(node, attribute, None)
        if parents is not None and not callable(parents):
            try:
                return tuple(parents)
            except TypeError:
                pass
    return None


def _grad_of(node, name, what):
    """A node's .grad as a float, or a _Stop that says what it is instead."""
    value = getattr(node, "grad", None)
    number = _scalar(value)
    if number is None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Stop("wrong", f"after {what}, {name}.grad is {value!r}, not a number.") from None
    return number


def _at(names, point):
    return ", ".join(f"{n}={number_text(v)}" for n, v in zip(names, point))


def _expected_gradient(function, point):
    """The engine's gradient of function at point, one entry per argument (floats)."""
    import adlab  # the engine, only when a check runs

    grads = adlab.grad(function, argnums=tuple(range(len(point))))(*point)
    return [float(g) for g in grads]


def _check_new_value(Value, name):
    x = _run(f"`{name}(2.0)`", lambda: Value(2.0))
    _refuse_borrowed_instance(x, f"`{name}(2.0)`")
    data, grad = getattr(x, "data", None), getattr(x, "grad", None)
    if _scalar(data) != 2.0:
        raise _Stop("wrong", f"`{name}(2.0).data` is {data!r}; it should be 2.0 (keep the number in .data).")
    if isinstance(grad, np.ndarray) and grad.ndim > 0:
        raise _Stop("wrong", f"`{name}(2.0).grad` is an array of shape {grad.shape}; a grad is one number: start it "
                             f"at 0.0 (a 0-d array such as np.zeros(()) is fine too).")
    if _scalar(grad) is None:
        raise _Stop("wrong", f"`{name}(2.0).grad` is {grad!r}; a new {name}'s grad must start at 0.")
    if _scalar(grad) != 0.0:
        raise _Stop("wrong", f"`{name}(2.0).grad` is {number_text(_scalar(grad))}; a new {name}'s grad must start "
                             f"at 0.")


def _check_rule(Value, name, method, text, function, point):
    names = _LEAVES[:len(point)]
    used_twice = len(point) == 1 and text.count("x") == 2
    expected = _expected_gradient(function, point)
    leaves = [_run(f"`{name}(…)`", lambda v=v: Value(v)) for v in point]
    out = _run(f"`{name}.{method}` (computing {text})", lambda: function(*leaves))
    if not (hasattr(out, "data") and hasattr(out, "grad")):
        raise _Stop("wrong", f"your `{name}.{method}` returned {type(out).__name__} for {text}, not a {name}: "
                             f"does it end with `return out`?")
    _refuse_borrowed_instance(out, f"your `{name}.{method}` ({text})")
    parents = _parents_of(out)
    local = (callable(getattr(out, "_backward", None)) and parents is not None
             and all(any(leaf is p for p in parents) for leaf in leaves)
             and all(any(p is leaf for leaf in leaves) or not _parents_of(p) for p in parents))
    if local:  # the rule alone: out.grad = 2, one call of out._backward()
        out.grad = OUT_GRAD
        _run(f"`{name}.{method}` backward rule", out._backward)
        scale, how = OUT_GRAD, f" with out.grad = {number_text(OUT_GRAD)}"
        what = f"the backward rule of {text}"
    else:  # an operation made of several nodes (x - y as x + (-y)): its rule shows through backward()
        _run(f"`{name}.backward()` (on {text})", out.backward)
        scale, how = 1.0, " after out.backward()"
        what = f"out.backward() on {text}"
    for leaf_name, leaf, truth in zip(names, leaves, expected):
        yours, truth = _grad_of(leaf, leaf_name, what), truth * scale
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
            raise _Stop("wrong", f"your `{name}.{method}` backward gives {leaf_name}.grad = {number_text(yours)} "
                                 f"for out = {text} at {_at(names, point)}{how}: {why}.")


def _eq5(x1, x2):
    v1 = x1 * x2
    v2 = _log(x1)
    v3 = v1 + x2
    return v3 - v2


def _check_eq5(Value, name):
    point = (3.0, -4.0)
    expected = _expected_gradient(_eq5, point)
    x1, x2 = Value(point[0]), Value(point[1])
    y = _run(f"`{name}` (computing Eq. 5)", lambda: _eq5(x1, x2))
    _run(f"`{name}.backward()`", y.backward)
    yours = [_grad_of(x1, "x1", "y.backward()"), _grad_of(x2, "x2", "y.backward()")]
    for leaf_name, mine, truth in zip(("x1", "x2"), yours, expected):
        if not math.isclose(mine, truth, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            if yours == [0.0, 0.0]:
                why = ("backward() must set y.grad = 1, then call each node's _backward from the output back "
                       "to the inputs (reversed topological order)")
            else:
                why = ("each rule passed on its own, so look at backward(): it must set y.grad = 1, then call "
                       "each node's _backward exactly once, after every node that uses it (reversed topological "
                       "order)")
            raise _Stop("wrong", f"your `{name}.backward()` gives {leaf_name}.grad = {number_text(mine)} for Eq. 5, "
                                 f"y = x1*x2 + x2 − ln(x1), at x1=3, x2=−4: {why}.")


# -- random expression graphs with fan-out ---------------------------------------------------

_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


def _random_program(rng, n_inputs=3, n_operations=8, ops=("+", "-", "*", "/", "*", "log", "exp"),
                    constants_on_left=True):
    """Instructions (op, a, b) over values numbered 0…; a or b may be a float constant. Built on floats.

    ``ops`` are drawn from (a repeat weighs one more); without ``constants_on_left`` a constant is always the
    right operand, so a class with no __radd__/__rmul__ yet (exercise 6.2b's) can run the program.
    """
    point = tuple(float(v) for v in np.round(rng.uniform(0.5, 2.0, n_inputs), 2))
    values = list(point)
    program = []
    while len(program) < n_operations:
        op = rng.choice(list(ops))
        recent = rng.random() < 0.5  # half the operands are among the last three values: deeper graphs
        a = int(rng.integers(max(0, len(values) - 3) if recent else 0, len(values)))
        if op in ("log", "exp"):
            ok = values[a] > 0.2 if op == "log" else abs(values[a]) < 3
            if ok:
                program.append((op, a, None))
                values.append(float(_log(values[a]) if op == "log" else _exp(values[a])))
            continue
        b = int(rng.integers(len(values))) if rng.random() < 0.75 else float(rng.choice([0.5, 2.0, 3.0]))
        if constants_on_left and rng.random() < 0.3 and not isinstance(b, int):
            a, b = b, a  # a constant on the left: 2.0 - v uses __rsub__
        left = values[a] if isinstance(a, int) else a
        right = values[b] if isinstance(b, int) else b
        if op == "/" and abs(right) < 0.5:
            continue
        result = _BINARY[op](left, right)
        if abs(result) > 50:
            continue
        program.append((op, a, b))
        values.append(float(result))
    used = {i for _, a, b in program for i in (a, b) if isinstance(i, int)}
    unused = [i for i in range(n_inputs, len(values)) if i not in used] or [len(values) - 1]
    return point, program, unused


def _run_program(program, unused, leaves):
    values = list(leaves)
    for op, a, b in program:
        left = values[a] if isinstance(a, int) else a
        if op == "log":
            values.append(_log(left))
        elif op == "exp":
            values.append(_exp(left))
        else:
            values.append(_BINARY[op](left, values[b] if isinstance(b, int) else b))
    out = values[unused[0]]
    for i in unused[1:]:
        out = out + values[i]
    return out


def _program_text(program, unused, n_inputs):
    def name(i):
        if not isinstance(i, int):
            return number_text(i)
        return f"x{i + 1}" if i < n_inputs else f"v{i - n_inputs + 1}"

    lines = []
    for k, (op, a, b) in enumerate(program):
        rule = f"{name(a)}.{op}()" if op in ("log", "exp") else f"{name(a)} {op} {name(b)}"
        lines.append(f"  v{k + 1} = {rule}")
    lines.append("  y = " + " + ".join(name(i) for i in unused))
    return lines


def _check_random_graphs(Value, name, rng, count, **program_options):
    """backward() on `count` random programs (`_random_program` with these options) against the engine."""
    for graph in range(count):
        point, program, unused = _random_program(rng, **program_options)
        expected = _expected_gradient(lambda *xs: _run_program(program, unused, xs), point)
        leaves = [Value(v) for v in point]
        y = _run(f"`{name}` (computing a random graph)", lambda: _run_program(program, unused, leaves))
        _run(f"`{name}.backward()` (on a random graph)", y.backward)
        for i, (leaf, truth) in enumerate(zip(leaves, expected)):
            yours = _grad_of(leaf, f"x{i + 1}", "y.backward()")
            if not math.isclose(yours, truth, rel_tol=1e-7, abs_tol=1e-9):
                uses = sum(1 for _, a, b in program for j in (a, b) if isinstance(j, int) and j == i)
                uses += sum(1 for j in unused if j == i)
                fan = f" (x{i + 1} is used {uses} times, so its grad is the sum of {uses} contributions)" \
                    if uses > 1 else ""
                raise _Stop("wrong", f"your `{name}.backward()` gives x{i + 1}.grad = {number_text(yours)} on this "
                                     f"random graph at {_at(['x1', 'x2', 'x3'], point)}, which is not its "
                                     f"derivative{fan}.\n"
                            + "\n".join(_program_text(program, unused, len(point)))
                            + ("\nEach rule must add to a parent's grad (+=, not =): a value used several times "
                               "gets one contribution per use." if uses > 1 else "")
                            + "\nbackward() must call each node's _backward exactly once, after every node that "
                              "uses it (reverse topological order).")


def _check_chain(Value, name, depth):
    x = _run(f"`{name}(0.5)`", lambda: Value(0.5))
    v = x
    for _ in range(depth):
        v = _run(f"`{name}` (building a {depth:,}-deep chain)", lambda v=v: v * 0.999 + x)
    expected = 1.0
    for _ in range(depth):
        expected = 0.999 * expected + 1.0
    recursive = (f"your `{name}.backward()` recurses, one nested call per level of the graph, on a {depth:,}-deep "
                 f"chain: order the nodes with a loop and an explicit stack, not recursion (raising the recursion "
                 f"limit only moves the wall).")
    try:
        with _measured_nesting() as nesting:
            _run(f"`{name}.backward()` (on a {depth:,}-deep chain)", v.backward)
    except RecursionError:
        raise _Stop("wrong", recursive) from None
    if nesting["deepest"] > NESTING:
        raise _Stop("wrong", recursive)
    yours = _grad_of(x, "x", "backward()")
    if not math.isclose(yours, expected, rel_tol=1e-7):
        raise _Stop("wrong", f"your `{name}.backward()` gives x.grad = {number_text(yours)} on a {depth:,}-deep chain "
                             f"(v = v*0.999 + x, repeated, from v = x = 0.5), which is not its derivative: each "
                             f"node's _backward must run exactly once, after every node that uses it.")


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
    quiet = io.StringIO()
    try:
        with np.errstate(all="ignore"), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \
                time_limit(SECONDS if seconds is None else seconds, f"checking your `{name}`"):
            _check_new_value(Value, name)
            for method, text, function, point in _RULES:
                _check_rule(Value, name, method, text, function, point)
            _check_eq5(Value, name)
            _check_random_graphs(Value, name, np.random.default_rng(seed), graphs)
            _check_chain(Value, name, depth)
    except _Stop as stop:
        return stop.status, stop.message
    except RecursionError:
        return "wrong", (f"your `{name}` hit Python's recursion limit: order the nodes with a loop and an explicit "
                         f"stack, not recursion.")
    except CellProblem as problem:  # the time limit
        return problem.status, str(problem)
    return "correct", (f"correct: every local rule, Eq. 5 at (3, −4), {graphs} random graphs with fan-out, and a "
                       f"{depth:,}-deep chain.")


def check_reverse_value(exercise, Value, seed=0, depth=5000, graphs=12, hints=()):
    """Check a student's reverse-mode `Value` class in a notebook cell: `value_class_verdict`, recorded.

    Returns a Result (shown in the cell); under nbgrader a wrong class raises, as every check does.
    """
    _settings("check_reverse_value", depth, graphs, seed)
    status, message = value_class_verdict(Value, seed=seed, depth=depth, graphs=graphs)
    return finish(exercise, status, message, hints)


__all__ = ["ReferenceValue", "borrowed", "check_reverse_value", "value_class_verdict"]
