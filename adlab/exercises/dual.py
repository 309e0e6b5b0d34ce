"""Checks for a student's own dual numbers: the course's ``Variable(val, dot)`` for forward mode.

``check_dual_numbers`` runs the student's class on random inputs, one operation
at a time, and compares ``.val`` and ``.dot`` with the engine (``adlab.jvp``);
it reports the first wrong thing in one line that names the method:

    your `Variable.__mul__` gives dot = 7 for Variable(2, 1) * Variable(3, 0.5); expected 4.5.

``check_dual_trace`` runs the student's class along the rows of a forward trace
(e.g. Table 2) from the student's seeded inputs, and compares every row's value
and tangent with the engine's.

A method whose body still raises NotImplementedError (the student copy's stub)
is "not written yet"; nothing the student's code raises ever reaches the
notebook as a traceback.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .feedback import finish, is_placeholder, number_text, row_name

RTOL = ATOL = 1e-9  # a rule is right or wrong, not rounded

# (method, symbol, the operation): Python's operator runs the student's method, as `x * y` would
_OPERATORS = (
    ("__add__", "+", operator.add),
    ("__sub__", "-", operator.sub),
    ("__mul__", "*", operator.mul),
    ("__truediv__", "/", operator.truediv),
)
_REFLECTED = {"__add__": "__radd__", "__sub__": "__rsub__", "__mul__": "__rmul__", "__truediv__": "__rtruediv__"}
_FUNCTIONS = (("ln", np.log), ("sin", np.sin), ("exp", np.exp))

_NOT_ANSWERED = ("not answered yet: write the bodies marked # YOUR CODE HERE (replace each "
                 "raise NotImplementedError), then run this cell again.")
_NOT_ANSWERED_INPUTS = "not answered yet: replace the ... with your Variables, then run this cell again."


class _Stop(Exception):
    """Ends a check early with (status, message)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class _NotWritten(Exception):
    """A student's method or function still raises NotImplementedError."""


# -- the operations, one at a time on random inputs -------------------------------------


def check_dual_numbers(exercise, Variable, ln=None, sin=None, exp=None, operators=True, mixed=False,
                       seed=0, trials=3, hints=()):
    """Run a student's ``Variable(val, dot)`` class and compare it with the engine.

    ``Variable`` is the student's class: ``Variable(val, dot)`` must keep ``.val``
    and ``.dot``. With ``operators`` (default) its ``+ - * /`` between two
    Variables are checked; ``ln``, ``sin``, ``exp`` are the student's module-level
    functions on a Variable (each checked when given); with ``mixed``, the
    operators with a plain number on either side (``x + 2``, ``2 * x``, ``2 / x``,
    i.e. ``__radd__``, ``__rsub__``, ``__rmul__``, ``__rtruediv__`` too).

    Inputs come from ``np.random.default_rng(seed)`` (``trials`` points per
    operation; operands of ``ln`` and divisors positive), expected values from
    ``adlab.jvp``. The first wrong thing is reported, naming the method.
    Status: "correct"; "wrong" for a wrong value, a wrong type or an exception;
    "invalid" when the class cannot be used at all (no ``.dot``, not a class);
    "unanswered" when no checked method is written yet, or when those written
    are right and some are still stubs (the message names them).
    """
    try:
        _require_class(Variable)
        cases = []
        if operators:
            cases += [(f"Variable.{method}", _operator_case(Variable, method, symbol, op))
                      for method, symbol, op in _OPERATORS]
        for name, reference in _FUNCTIONS:
            given = {"ln": ln, "sin": sin, "exp": exp}[name]
            if given is not None:
                cases.append((f"`{name}`", _function_case(Variable, name, given, reference)))
        if mixed:
            for method, symbol, op in _OPERATORS:
                cases.append((f"Variable.{method}", _mixed_case(Variable, method, symbol, op, left=False)))
                cases.append((f"Variable.{_REFLECTED[method]}", _mixed_case(Variable, method, symbol, op, left=True)))
        if not cases:
            raise ValueError("check_dual_numbers has nothing to check: pass operators=True, mixed=True or a function.")
        rng = np.random.default_rng(seed)
        written, open_ = [], []
        for label, case in cases:
            try:
                for _ in range(trials):
                    case(rng)
            except _NotWritten:
                open_.append(label)
            else:
                written.append(label)
    except _Stop as stop:
        return finish(exercise, stop.status, stop.message, hints)
    if not open_:
        return finish(exercise, "correct", f"correct: {_names(written)} match the engine at "
                                           f"{trials * len(written)} random points.", hints)
    if not written:
        return finish(exercise, "unanswered", _NOT_ANSWERED, hints)
    return finish(exercise, "unanswered", f"{_names(written)} {'is' if len(written) == 1 else 'are'} right; "
                                          f"still to write: {_names(open_)}.", hints)


def _require_class(Variable):
    if is_placeholder(Variable):
        raise _Stop("unanswered", _NOT_ANSWERED)
    if not isinstance(Variable, type):
        raise _Stop("invalid", f"`Variable` is a {type(Variable).__name__}, not a class; define it with "
                               f"`class Variable:`.")
    try:
        v = Variable(2.0, 1.0)
    except NotImplementedError:
        raise _Stop("unanswered", _NOT_ANSWERED) from None
    except Exception as error:
        raise _Stop("wrong", f"`Variable(2, 1)` raised {_error_text(error)}.") from None
    for attribute in ("val", "dot"):
        if not hasattr(v, attribute):
            raise _Stop("invalid", f"`Variable(2, 1)` has no `.{attribute}`: `__init__(self, val, dot=0)` should "
                                   f"set `self.val = val` and `self.dot = dot`.")
    try:
        values = float(v.val), float(v.dot)
    except (TypeError, ValueError):
        values = None
    if values != (2.0, 1.0):
        raise _Stop("invalid", f"`Variable(2, 1)` has val = {v.val!r} and dot = {v.dot!r}; "
                               f"`__init__` should keep them as given (2 and 1).")


def _draw(rng, positive=False):
    """A short decimal: readable in a message, typed back by a student to try it."""
    x = round(float(rng.uniform(0.5, 4.0)), 1)
    return x if positive or rng.random() < 0.5 else -x


def _draw_dot(rng):
    return round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 2.0)), 1)


def _operator_case(Variable, method, symbol, op):
    def case(rng):
        _require_method(Variable, method, f"x {symbol} y")
        a, b = _draw(rng), _draw(rng, positive=(method == "__truediv__"))
        da, db = _draw_dot(rng), _draw_dot(rng)
        x, y = Variable(a, da), Variable(b, db)
        where = f"for Variable({_num(a)}, {_num(da)}) {symbol} Variable({_num(b)}, {_num(db)})"
        out = _call(f"Variable.{method}", lambda: op(x, y), where)
        _unchanged(f"Variable.{method}", ((x, "x", a, da), (y, "y", b, db)), where)
        _compare(f"Variable.{method}", Variable, out, _engine_jvp(op, (a, b), (da, db)), where)
    return case


def _mixed_case(Variable, method, symbol, op, left):
    """`x op c` (left=False, the method itself) or `c op x` (left=True, the reflected method)."""
    name = _REFLECTED[method] if left else method

    def case(rng):
        usage = f"{symbol.join(('2', 'x') if left else ('x', '2'))}".replace(symbol, f" {symbol} ")
        _require_method(Variable, name, usage)
        a, da = _draw(rng, positive=(left and method == "__truediv__")), _draw_dot(rng)
        c = float(rng.integers(2, 6))
        x = Variable(a, da)
        if left:
            where = f"for {_num(c)} {symbol} Variable({_num(a)}, {_num(da)})"
            out = _call(f"Variable.{name}", lambda: op(c, x), where)
            expected = _engine_jvp(lambda t: op(c, t), (a,), (da,))
        else:
            where = f"for Variable({_num(a)}, {_num(da)}) {symbol} {_num(c)}"
            out = _call(f"Variable.{name}", lambda: op(x, c), where)
            expected = _engine_jvp(lambda t: op(t, c), (a,), (da,))
        _unchanged(f"Variable.{name}", ((x, "x", a, da),), where)
        _compare(f"Variable.{name}", Variable, out, expected, where)
    return case


def _function_case(Variable, name, given, reference):
    def case(rng):
        if is_placeholder(given):
            raise _NotWritten
        if not callable(given):
            raise _Stop("invalid", f"`{name}` is a {type(given).__name__}, not a function; define it with "
                                   f"`def {name}(v):`.")
        a, da = _draw(rng, positive=(name == "ln")), _draw_dot(rng)
        x = Variable(a, da)
        where = f"for {name}(Variable({_num(a)}, {_num(da)}))"
        out = _call(f"`{name}`", lambda: given(x), where)
        _unchanged(f"`{name}`", ((x, "its argument", a, da),), where)
        _compare(f"`{name}`", Variable, out, _engine_jvp(reference, (a,), (da,)), where)
    return case


def _engine_jvp(f, primals, tangents):
    """(value, tangent) of f from the engine's forward mode, as floats."""
    from ..core.api import jvp

    value, tangent = jvp(f, tuple(primals), tuple(tangents))
    return float(value), float(tangent)


def _require_method(Variable, method, usage):
    if getattr(Variable, method, None) is None:
        raise _Stop("invalid", f"your Variable has no `{method}`: define `def {method}(self, other):` "
                               f"inside the class, so that `{usage}` works.")


def _call(label, thunk, where):
    try:
        return thunk()
    except NotImplementedError:
        raise _NotWritten from None
    except Exception as error:  # the student's code failed: one line, no traceback
        text = str(error).splitlines()[0] if str(error) else ""
        raise _Stop("wrong", f"your {_code(label)} raised {type(error).__name__} {where}"
                             + (f": {text}" if text else ".")) from None


def _unchanged(label, operands, where):
    for v, what, val, dot in operands:
        if _as_float(getattr(v, "val", None)) != val or _as_float(getattr(v, "dot", None)) != dot:
            raise _Stop("wrong", f"your {_code(label)} changed {what} {where} (from Variable({_num(val)}, "
                                 f"{_num(dot)}) to Variable({_text(v.val)}, {_text(v.dot)})); "
                                 f"return a new Variable and leave the operands as they were.")


def _compare(label, Variable, out, expected, where):
    """out must be a Variable whose val and dot match (value, tangent)."""
    if out is None:
        raise _Stop("wrong", f"your {_code(label)} returned nothing {where}; did it forget `return`?")
    if out is NotImplemented:
        raise _Stop("wrong", f"your {_code(label)} returned NotImplemented {where}; return a Variable.")
    if not _is_variable(out, Variable):
        raise _Stop("wrong", f"your {_code(label)} returned a {type(out).__name__} ({_text(out)}) {where}, "
                             f"not a Variable; return Variable(value, tangent).")
    for attribute, want in zip(("val", "dot"), expected):
        got = _as_float(getattr(out, attribute, None))
        if got is None:
            raise _Stop("wrong", f"your {_code(label)} returned a Variable whose {attribute} is "
                                 f"{_text(getattr(out, attribute, None))} {where}; it should be a number.")
        if not math.isclose(got, want, rel_tol=RTOL, abs_tol=ATOL):
            raise _Stop("wrong", f"your {_code(label)} gives {attribute} = {number_text(got)} {where}; "
                                 f"expected {number_text(want)}.")


# -- a whole forward trace (e.g. Table 2), with the student's class ---------------------

_ROW_OPERATIONS = {  # trace primitive: (symbol, where the student's code is)
    "add": ("+", "Variable.__add__"),
    "subtract": ("−", "Variable.__sub__"),
    "multiply": ("×", "Variable.__mul__"),
    "divide": ("/", "Variable.__truediv__"),
    "log": ("ln", "ln"),
    "sin": ("sin", "sin"),
    "exp": ("exp", "exp"),
}


_ROW_METHODS = {
    "add": ("__add__", "x + y", operator.add),
    "subtract": ("__sub__", "x - y", operator.sub),
    "multiply": ("__mul__", "x * y", operator.mul),
    "divide": ("__truediv__", "x / y", operator.truediv),
}


def check_dual_trace(exercise, Variable, inputs, trace, ln=None, sin=None, exp=None, rtol=RTOL, atol=ATOL,
                     hints=()):
    """Run a student's Variable along each row of a forward trace, from the student's seeded inputs.

    ``inputs`` are the student's Variables, one per input of the trace (e.g.
    ``(x1, x2)`` with ``x1 = Variable(3.0, 0.0)``); ``trace`` is the engine's
    forward sweep (``adlab.trace(f, 3.0, -4.0).forward(0.0, 1.0)``), whose rows
    may use +, −, ×, /, ln, sin and exp (give the student's functions used).
    Every row v_i is recomputed with the student's class and its value and
    tangent compared with the engine's; a wrong input tangent shows as a wrong
    seed. On success the message lists the student's whole column.
    """
    if getattr(trace, "mode", None) != "forward":
        raise ValueError("check_dual_trace needs a forward sweep: pass adlab.trace(f, ...).forward(...).")
    functions = {"log": ln, "sin": sin, "exp": exp}
    for row in trace.rows:
        if not row.is_input and row.op not in _ROW_OPERATIONS:
            raise ValueError(f"check_dual_trace knows +, −, ×, /, ln, sin and exp; row v_{row.index} is {row.op}.")
        if row.op in functions and functions[row.op] is None:
            raise ValueError(f"row v_{row.index} uses {_ROW_OPERATIONS[row.op][0]}: pass the student's function.")
    input_rows = [row for row in trace.rows if row.is_input]
    try:
        _require_class(Variable)
        mine = _seeded_inputs(Variable, inputs, input_rows)
        results = {row.index: v for row, v in zip(input_rows, mine)}
        for row in trace.rows:
            if not row.is_input:
                results[row.index] = _run_row(Variable, row, results, functions)
    except _Stop as stop:
        return finish(exercise, stop.status, stop.message, hints)
    lines = []
    for row in trace.rows:
        v = results[row.index]
        for attribute, accent, want in (("val", None, row.value), ("dot", "dot", row.tangent)):
            got = _as_float(getattr(v, attribute))
            if not math.isclose(got, float(want), rel_tol=rtol, abs_tol=atol):
                lines.append(f"row {row_name(row.index, accent)}{_input_note(row, accent)}: yours {number_text(got)}, "
                             f"expected {number_text(float(want))}")
    if lines:
        head = f"{len(lines)} of {2 * len(trace.rows)} entries wrong"
        return finish(exercise, "wrong", f"{head}, running your Variable along the trace:"
                      + "".join("\n  " + line for line in lines), hints)
    y = results[trace.outputs[0]] if trace.outputs and trace.outputs[0] is not None else None
    summary = f"; y = {number_text(y.val)}, ẏ = {number_text(y.dot)}" if y is not None and len(trace.outputs) == 1 else ""
    left = [f"{row_name(row.index)} = {number_text(results[row.index].val)}" for row in trace.rows]
    width = max(map(len, left)) + 4
    table = [f"{text:<{width}}{row_name(row.index, 'dot')} = {number_text(results[row.index].dot)}"
             for text, row in zip(left, trace.rows)]
    return finish(exercise, "correct", f"correct: your Variable gives every row's value and tangent{summary}."
                  + "".join("\n  " + line for line in table), hints)


def _input_note(row, accent):
    if not row.is_input or not row.label:
        return ""
    return f" ({'ẋ' if accent else 'x'}{row.label[2:].translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))})"


def _seeded_inputs(Variable, inputs, input_rows):
    n = len(input_rows)
    names = [f"x{k + 1}" for k in range(n)]
    if is_placeholder(inputs):
        raise _Stop("unanswered", _NOT_ANSWERED_INPUTS)
    if _is_variable(inputs, Variable) and n == 1:
        inputs = (inputs,)
    try:
        inputs = tuple(inputs)
    except TypeError:
        raise _Stop("invalid", f"give the inputs as a tuple of {n} Variables, e.g. ({', '.join(names)}).") from None
    if len(inputs) != n:
        raise _Stop("invalid", f"the trace has {n} input{'s' if n > 1 else ''}; give {n} Variables, "
                               f"e.g. ({', '.join(names)}).")
    open_ = [name for name, v in zip(names, inputs) if is_placeholder(v)]
    if len(open_) == n:
        raise _Stop("unanswered", _NOT_ANSWERED_INPUTS)
    if open_:
        raise _Stop("unanswered", f"not answered yet: {', '.join(open_)} {'is' if len(open_) == 1 else 'are'} still `...`.")
    for name, v, row in zip(names, inputs, input_rows):
        if not _is_variable(v, Variable):
            raise _Stop("invalid", f"{name} is a {type(v).__name__} ({_text(v)}); make it a Variable: "
                                   f"Variable(value, tangent).")
        if _as_float(getattr(v, "val", None)) is None or _as_float(getattr(v, "dot", None)) is None:
            raise _Stop("invalid", f"{name} = Variable({_text(v.val)}, {_text(v.dot)}): give two numbers.")
        if not math.isclose(float(v.val), float(row.value), rel_tol=1e-9, abs_tol=1e-9):
            raise _Stop("wrong", f"{name} has val = {number_text(v.val)}, but the trace is at "
                                 f"{name} = {number_text(row.value)}: the value goes first, Variable(value, tangent).")
    return inputs


def _run_row(Variable, row, results, functions):
    symbol, label = _ROW_OPERATIONS[row.op]
    arguments = [results[o.index] if o.index is not None else Variable(float(o.value), 0.0) for o in row.operands]
    names = [row_name(o.index) if o.index is not None else number_text(o.value) for o in row.operands]
    formula = f"{symbol}({names[0]})" if len(names) == 1 else f" {symbol} ".join(names)
    where = f"in row {row_name(row.index)} = {formula}"
    if row.op in functions:
        given = functions[row.op]
        if not callable(given):
            raise _Stop("unanswered", f"row {row_name(row.index)} needs your `{label}`, which is not written yet.")
        thunk = lambda: given(*arguments)  # noqa: E731
    else:
        method, usage, op = _ROW_METHODS[row.op]
        _require_method(Variable, method, usage)
        thunk = lambda: op(*arguments)  # noqa: E731
    try:
        out = _call(label, thunk, where)
    except _NotWritten:
        raise _Stop("unanswered", f"row {row_name(row.index)} needs your {_code(label)}, which is not written yet.") from None
    if out is None:
        raise _Stop("wrong", f"your {_code(label)} returned nothing {where}; did it forget `return`?")
    if not _is_variable(out, Variable):
        raise _Stop("wrong", f"your {_code(label)} returned a {type(out).__name__} ({_text(out)}) {where}, "
                             f"not a Variable; return Variable(value, tangent).")
    if _as_float(getattr(out, "val", None)) is None or _as_float(getattr(out, "dot", None)) is None:
        raise _Stop("wrong", f"your {_code(label)} returned Variable({_text(getattr(out, 'val', None))}, "
                             f"{_text(getattr(out, 'dot', None))}) {where}; val and dot should be numbers.")
    return out


# -- small helpers -------------------------------------------------------------------


def _is_variable(x, Variable):
    """An instance of the class, or of an earlier run of the same class cell (same name, val and dot)."""
    return isinstance(x, Variable) or (type(x).__name__ == Variable.__name__
                                       and hasattr(x, "val") and hasattr(x, "dot"))


def _as_float(x):
    if isinstance(x, (bool, np.bool_)) or x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _num(x):
    """A drawn input as the student would type it (real minus signs stay out of code)."""
    return f"{x:g}"


def _text(x):
    number = _as_float(x)
    if number is not None:
        return number_text(number)
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _code(label):
    return label if label.startswith("`") else f"`{label}`"


def _names(labels):
    labels = [_code(label) for label in labels]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _error_text(error):
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


__all__ = ["check_dual_numbers", "check_dual_trace"]
