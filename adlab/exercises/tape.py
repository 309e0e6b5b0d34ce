"""Checks for a reverse-mode `Value` class written by the student (micrograd-style), and a reference one.

``check_reverse_value(exercise, Value)`` runs the student's class, in this order, and
reports the first thing that is wrong in one sentence that names the operation:

1. a new ``Value(2.0)``: ``.data`` 2 and ``.grad`` 0;
2. each operation's local backward rule on its own: ``out = x * y``, ``out.grad = 2``,
   ``out._backward()``, then ``x.grad`` and ``y.grad`` (also ``x * x``, where x is used
   twice, and plain numbers: ``1 - x``, ``3 * x``, ``x / 4`` …);
3. ``backward()`` on the course's Eq. 5 at (3, −4): x̄ = (−4.333, 4);
4. ``backward()`` on random expression graphs whose values are used several times
   (fan-out), every leaf's ``.grad`` against ``adlab.grad`` of the same expression on floats;
5. ``backward()`` on a chain ``depth`` operations deep, which a recursive topological sort
   cannot walk within Python's recursion limit (1,000 frames).

A stub that raises NotImplementedError is "not answered yet"; any other exception of the
student's code is one line. `ReferenceValue` is an engine-free reference with the same
interface, for demonstrations that must run whatever state the student's class is in.
"""

from __future__ import annotations

import math

import numpy as np

from .feedback import finish, is_placeholder, number_text

REQUIRED = ("__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
            "log", "exp", "backward")
TOLERANCE = 1e-9  # a rule is right or wrong, not rounded
OUT_GRAD = 2.0    # the local rules are checked with out.grad = 2, so a rule that forgets out.grad shows


# -- an engine-free reference (plain Python floats) ---------------------------------------


def _nothing():
    pass


class ReferenceValue:
    """A number that remembers how it was made; ``backward()`` sweeps its graph without recursion.

    ``grad`` accumulates (``+=``), as in micrograd: call ``zero_grad()`` before sweeping
    the same graph again.
    """

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
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
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _Stop("wrong", f"after {what}, {name}.grad is {value!r}, not a number.") from None


def _at(names, point):
    return ", ".join(f"{n}={number_text(v)}" for n, v in zip(names, point))


def _expected_gradient(function, point):
    """The engine's gradient of function at point, one entry per argument (floats)."""
    import adlab  # the engine, only when a check runs

    grads = adlab.grad(function, argnums=tuple(range(len(point))))(*point)
    return [float(g) for g in grads]


def _check_new_value(Value, name):
    x = _run(f"`{name}(2.0)`", lambda: Value(2.0))
    data, grad = getattr(x, "data", None), getattr(x, "grad", None)
    if not _is_number(data) or float(data) != 2.0:
        raise _Stop("wrong", f"`{name}(2.0).data` is {data!r}; it should be 2.0 (keep the number in .data).")
    if not _is_number(grad) or float(grad) != 0.0:
        raise _Stop("wrong", f"`{name}(2.0).grad` is {grad!r}; a new {name}'s grad must start at 0.")


def _check_rule(Value, name, method, text, function, point):
    names = _LEAVES[:len(point)]
    used_twice = len(point) == 1 and text.count("x") == 2
    expected = _expected_gradient(function, point)
    leaves = [_run(f"`{name}(…)`", lambda v=v: Value(v)) for v in point]
    out = _run(f"`{name}.{method}` (computing {text})", lambda: function(*leaves))
    if not (hasattr(out, "data") and hasattr(out, "grad")):
        raise _Stop("wrong", f"your `{name}.{method}` returned {type(out).__name__} for {text}, not a {name}: "
                             f"does it end with `return out`?")
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
            why = ""
            if used_twice:
                why = (": x is used twice here (fan-out), so x.grad must receive both contributions; add each "
                       "one with +=, never overwrite with =")
            elif local and truth != 0 and math.isclose(yours, truth / scale, rel_tol=TOLERANCE):
                why = ": the rule must multiply by out.grad (the chain rule)"
            elif truth != 0 and math.isclose(yours, -truth, rel_tol=TOLERANCE):
                why = ": the sign is flipped"
            raise _Stop("wrong", f"your `{name}.{method}` backward gives {leaf_name}.grad = {number_text(yours)} "
                                 f"for out = {text} at {_at(names, point)}{how}; expected {number_text(truth)}{why}.")


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
            why = ""
            if yours == [0.0, 0.0]:
                why = (": backward() must set y.grad = 1, then call each node's _backward from the output back "
                       "to the inputs (reversed topological order)")
            raise _Stop("wrong", f"your `{name}.backward()` gives {leaf_name}.grad = {number_text(mine)} for Eq. 5, "
                                 f"y = x1*x2 + x2 − ln(x1), at x1=3, x2=−4; expected {number_text(truth)}{why}.")


# -- random expression graphs with fan-out ---------------------------------------------------

_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


def _random_program(rng, n_inputs=3, n_operations=8):
    """Instructions (op, a, b) over values numbered 0…; a or b may be a float constant. Built on floats."""
    point = tuple(float(v) for v in np.round(rng.uniform(0.5, 2.0, n_inputs), 2))
    values = list(point)
    program = []
    while len(program) < n_operations:
        op = rng.choice(["+", "-", "*", "/", "*", "log", "exp"])
        recent = rng.random() < 0.5  # half the operands are among the last three values: deeper graphs
        a = int(rng.integers(max(0, len(values) - 3) if recent else 0, len(values)))
        if op in ("log", "exp"):
            ok = values[a] > 0.2 if op == "log" else abs(values[a]) < 3
            if ok:
                program.append((op, a, None))
                values.append(float(_log(values[a]) if op == "log" else _exp(values[a])))
            continue
        b = int(rng.integers(len(values))) if rng.random() < 0.75 else float(rng.choice([0.5, 2.0, 3.0]))
        if rng.random() < 0.3 and not isinstance(b, int):
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



def _check_random_graphs(Value, name, rng, count):
    for graph in range(count):
        point, program, unused = _random_program(rng)
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
                                     f"random graph at {_at(['x1', 'x2', 'x3'], point)}; expected "
                                     f"{number_text(truth)}{fan}.\n"
                            + "\n".join(_program_text(program, unused, len(point)))
                            + ("\nEach rule must add to a parent's grad (+=, not =): a value used several times "
                               "gets one contribution per use." if uses > 1 else "")
                            + "\nbackward() must call each node's _backward exactly once, after every node that "
                              "uses it (reverse topological order).")


def _check_chain(Value, name, depth):
    x = Value(0.5)
    v = x
    for _ in range(depth):
        v = v * 0.999 + x
    expected = 1.0
    for _ in range(depth):
        expected = 0.999 * expected + 1.0
    try:
        _run(f"`{name}.backward()` (on a {depth:,}-deep chain)", v.backward)
    except RecursionError:
        raise _Stop("wrong", f"your backward() hit Python's recursion limit on a {depth:,}-deep chain: order the "
                             f"nodes with a loop and an explicit stack, not recursion.") from None
    yours = _grad_of(x, "x", "backward()")
    if not math.isclose(yours, expected, rel_tol=1e-7):
        raise _Stop("wrong", f"your `{name}.backward()` gives x.grad = {number_text(yours)} on a {depth:,}-deep chain "
                             f"(v = v*0.999 + x, repeated, from v = x = 0.5); expected {number_text(expected)}.")


def check_reverse_value(exercise, Value, seed=0, depth=5000, graphs=12, hints=()):
    """Check a student's reverse-mode `Value` class: its rules, Eq. 5, random graphs with fan-out, a deep chain.

    ``Value`` is the class itself. It needs ``Value(number)`` with ``.data`` and ``.grad``
    (starting at 0); ``+ - * /`` with Values and plain numbers on either side; ``.log()`` and
    ``.exp()``; and ``backward()``, which sets ``.grad`` of every node the output depends on.
    Local rules are checked through ``out._backward()`` when a node has one (micrograd's
    layout) and through ``backward()`` otherwise. ``seed`` fixes the random graphs, ``depth``
    the length of the chain that a recursive topological sort cannot walk.
    """
    for setting, value in (("depth", depth), ("graphs", graphs), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"check_reverse_value: {setting} must be a whole number ≥ 0, not {value!r}.")
    if is_placeholder(Value):
        return finish(exercise, "unanswered", "not answered yet: write the class, then run this cell again.", hints)
    if not isinstance(Value, type):
        return finish(exercise, "invalid", f"pass the class itself (e.g. `Value`), not a {type(Value).__name__}.",
                      hints)
    name = Value.__name__
    missing = [method for method in REQUIRED if not callable(getattr(Value, method, None))]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        return finish(exercise, "wrong", f"your `{name}` has no {listed} method{'s' if len(missing) > 1 else ''}; "
                                         f"it needs all of {', '.join(REQUIRED)}.", hints)
    try:
        with np.errstate(all="ignore"):
            _check_new_value(Value, name)
            for method, text, function, point in _RULES:
                _check_rule(Value, name, method, text, function, point)
            _check_eq5(Value, name)
            _check_random_graphs(Value, name, np.random.default_rng(seed), graphs)
            _check_chain(Value, name, depth)
    except _Stop as stop:
        return finish(exercise, stop.status, stop.message, hints)
    except RecursionError:
        return finish(exercise, "wrong", f"your `{name}` hit Python's recursion limit: order the nodes with a loop "
                                         f"and an explicit stack, not recursion.", hints)
    return finish(exercise, "correct", f"correct: every local rule, Eq. 5 at (3, −4), {graphs} random graphs with "
                                       f"fan-out, and a {depth:,}-deep chain.", hints)


__all__ = ["ReferenceValue", "check_reverse_value"]
