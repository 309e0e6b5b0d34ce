"""Checks for a forward trace computed with a student's own dual numbers ``Variable(val, dot)``.

``dual_trace_verdict`` runs the student's class along the rows of a forward trace
(e.g. Table 2) from the student's seeded inputs, and names each wrong row: a seed
that is not the direction asked for, a row whose rule is wrong (and how, from
``dual_mistakes``), or a row that is right for the rows it reads (the slip is above it).

It records nothing: the lessons' exercises call it from their bank checkers
(``check("4.3")``). ``check_dual_trace`` is the older call, a thin wrapper that
records the result and shows it in the cell. How the student's code is run (a time
limit, stubs, one line instead of a traceback) is in ``dual_running``.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .dual_mistakes import diagnosis, rule_mistakes
from .dual_running import (ATOL, RTOL, SECONDS, NotWritten, StopCheck, as_code, attribute_or_none, call_student,
                           engine_jvp, is_variable, require_class, require_method, short_text, val_and_dot)
from .feedback import finish, is_placeholder, number_text, row_name
from .sandbox import CellProblem, time_limit

_NOT_ANSWERED_INPUTS = "not answered yet: replace the ... with your Variables, then run this cell again."

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
_ROW_REFERENCES = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
                   "divide": operator.truediv, "log": np.log, "sin": np.sin, "exp": np.exp}

_SEED = ("not the seed this sweep needs: an input's tangent says how fast that input moves along the direction "
         "the exercise asks for")
_CARRIED = "right for the rows it reads: the slip is in a row above"


def dual_trace_verdict(Variable, inputs, trace, ln=None, sin=None, exp=None, rtol=RTOL, atol=ATOL,
                       seconds=SECONDS):
    """Run a student's Variable along each row of a forward trace, from the student's seeded inputs.

    ``inputs`` are the student's Variables, one per input of the trace (e.g.
    ``(x1, x2)`` with ``x1 = Variable(3.0, 0.0)``); ``trace`` is the engine's
    forward sweep (``adlab.trace(f, 3.0, -4.0).forward(0.0, 1.0)``), whose rows
    may use +, −, ×, /, ln, sin and exp (give the student's functions used).
    Every row v_i is recomputed with the student's class and its value and
    tangent compared with the engine's. Returns (status, message); a wrong row
    is named with what went wrong there (a seed that is not the direction asked
    for, the rule of the row's method, or a slip in a row above), never with the
    expected value. Inputs in the wrong order, or value and tangent swapped, are
    named as such. On success the message lists the student's whole column.
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
        with time_limit(seconds, "running your Variable class"):
            require_class(Variable)
            mine = _seeded_inputs(Variable, inputs, input_rows)
            results = {row.index: v for row, v in zip(input_rows, mine)}
            for row in trace.rows:
                if not row.is_input:
                    results[row.index] = _run_row(Variable, row, results, functions)
    except StopCheck as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    close = lambda a, b: math.isclose(a, b, rel_tol=rtol, abs_tol=atol)  # noqa: E731
    lines = []
    for row in trace.rows:
        v = results[row.index]
        got = val_and_dot(v)
        if row.is_input:  # its value was checked with the inputs
            if not close(got[1], float(row.tangent)):
                lines.append(f"row {row_name(row.index, 'dot')}{_input_note(row, 'dot')}: {_SEED}")
            continue
        operands = [val_and_dot(results[o.index]) if o.index is not None else (float(o.value), 0.0)
                    for o in row.operands]
        rule = _safe_row(row.op, operands)  # the row's rule applied to the student's own rows
        mistakes = rule_mistakes(row.op, operands)
        label = as_code(_ROW_OPERATIONS[row.op][1])
        for part, (accent, want) in enumerate(((None, row.value), ("dot", row.tangent))):
            if close(got[part], float(want)):
                continue
            name = f"row {row_name(row.index, accent)}"
            what = "value" if part == 0 else "tangent"
            if rule is not None and close(got[part], rule[part]):
                lines.append(f"{name}: {_CARRIED}" + (" (or in the seed)" if part == 1 else ""))
                continue
            phrase = diagnosis(got[part], rule[part], part, mistakes)[0] if rule is not None else None
            if phrase:
                lines.append(f"{name}: your {label} gives a wrong {what}: {phrase}")
            else:
                lines.append(f"{name}: yours {number_text(got[part])}: your {label} gets this row's {what} wrong "
                             f"(the rows it reads are right)")
    if lines:
        head = f"{len(lines)} of {2 * len(trace.rows)} entries wrong"
        return "wrong", f"{head}, running your Variable along the trace:" + "".join("\n  " + line for line in lines)
    y = results[trace.outputs[0]] if trace.outputs and trace.outputs[0] is not None else None
    summary = f"; y = {number_text(y.val)}, ẏ = {number_text(y.dot)}" if y is not None and len(trace.outputs) == 1 else ""
    # Columns headed "value" and "tangent" rather than rows named v̇ᵢ: these lines show in a code font, which
    # may draw a combining dot beside its letter.
    rows = [("row", "value", "tangent")] + [(row_name(row.index), number_text(results[row.index].val),
                                             number_text(results[row.index].dot)) for row in trace.rows]
    name_width, value_width = (max(len(row[k]) for row in rows) + 4 for k in (0, 1))
    table = [f"{name:<{name_width}}{value:<{value_width}}{tangent}" for name, value, tangent in rows]
    return "correct", (f"correct: your Variable gives every row's value and tangent{summary}."
                       + "".join("\n  " + line for line in table))


def check_dual_trace(exercise, Variable, inputs, trace, ln=None, sin=None, exp=None, rtol=RTOL, atol=ATOL,
                     hints=()):
    """``dual_trace_verdict`` shown in the cell as a Result, and recorded (the older call)."""
    status, message = dual_trace_verdict(Variable, inputs, trace, ln=ln, sin=sin, exp=exp, rtol=rtol, atol=atol)
    return finish(exercise, status, message, hints)


def _safe_row(op, operands):
    """(value, tangent) of the row's operation on the student's operands, or None if it cannot be computed."""
    if any(x is None or not math.isfinite(x) for pair in operands for x in pair):
        return None
    try:
        with np.errstate(all="ignore"):
            value, tangent = engine_jvp(_ROW_REFERENCES[op], [p[0] for p in operands], [p[1] for p in operands])
    except Exception:
        return None
    return (value, tangent) if math.isfinite(value) and math.isfinite(tangent) else None


def _input_note(row, accent):
    if not row.is_input or not row.label:
        return ""
    return f" ({'ẋ' if accent else 'x'}{_subscript(row.label[2:])})"


def _subscript(text):
    return text.translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _seeded_inputs(Variable, inputs, input_rows):
    """The student's inputs, one Variable per input row, at the trace's point (only the tangents are theirs)."""
    n = len(input_rows)
    names = [f"x{k + 1}" for k in range(n)]
    if is_placeholder(inputs):
        raise StopCheck("unanswered", _NOT_ANSWERED_INPUTS)
    if is_variable(inputs, Variable) and n == 1:
        inputs = (inputs,)
    try:
        inputs = tuple(inputs)
    except TypeError:
        raise StopCheck("invalid", f"give the inputs as a tuple of {n} Variables, "
                                   f"e.g. ({', '.join(names)}).") from None
    if len(inputs) != n:
        raise StopCheck("invalid", f"the trace has {n} input{'s' if n > 1 else ''}; give {n} Variables, "
                                   f"e.g. ({', '.join(names)}).")
    open_ = [name for name, v in zip(names, inputs) if is_placeholder(v)]
    if len(open_) == n:
        raise StopCheck("unanswered", _NOT_ANSWERED_INPUTS)
    if open_:
        raise StopCheck("unanswered", f"not answered yet: {', '.join(open_)} "
                                      f"{'is' if len(open_) == 1 else 'are'} still `...`.")
    for name, v in zip(names, inputs):
        if not is_variable(v, Variable):
            raise StopCheck("invalid", f"{name} is a {type(v).__name__} ({short_text(v)}); make it a Variable: "
                                       f"Variable(value, tangent).")
        if None in val_and_dot(v):
            raise StopCheck("invalid", f"{name} = Variable({short_text(attribute_or_none(v, 'val'))}, "
                                       f"{short_text(attribute_or_none(v, 'dot'))}): give two numbers.")
    values = [float(v.val) for v in inputs]
    points = [float(row.value) for row in input_rows]
    same = lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)  # noqa: E731
    if all(same(a, b) for a, b in zip(values, points)):
        return inputs
    where = ", ".join(f"x{_subscript(str(k + 1))} = {number_text(p)}" for k, p in enumerate(points))
    if n > 1 and all(same(a, b) for a, b in zip(sorted(values), sorted(points))):
        mixed = [name for name, a, b in zip(names, values, points) if not same(a, b)]
        which = " and ".join(mixed) if len(mixed) == 2 else "your inputs"
        raise StopCheck("wrong", f"{which} are swapped: each Variable goes with its own input "
                                 f"(x1 with x₁, x2 with x₂, …), and the trace is at {where}; give each its own "
                                 f"value, and its own tangent.")
    for name, v, point in zip(names, inputs, points):
        value, tangent = float(v.val), float(v.dot)
        if same(value, point):
            continue
        if same(tangent, point):
            raise StopCheck("wrong", f"{name} has val = {number_text(value)} and dot = {number_text(tangent)}, "
                                     f"but the trace is at {name} = {number_text(point)}: value and tangent are "
                                     f"swapped; Variable(value, tangent) takes the value first.")
        raise StopCheck("wrong", f"{name} has val = {number_text(value)}, but the trace is at {where}: the point is "
                                 f"given; only the tangents are yours to choose.")
    return inputs


def _run_row(Variable, row, results, functions):
    """The student's Variable for one row, computed by their method or function from their own earlier rows."""
    symbol, label = _ROW_OPERATIONS[row.op]
    arguments = [results[o.index] if o.index is not None else Variable(float(o.value), 0.0) for o in row.operands]
    names = [row_name(o.index) if o.index is not None else number_text(o.value) for o in row.operands]
    formula = f"{symbol}({names[0]})" if len(names) == 1 else f" {symbol} ".join(names)
    where = f"in row {row_name(row.index)} = {formula}"
    if row.op in functions:
        given = functions[row.op]
        if not callable(given):
            raise StopCheck("unanswered", f"row {row_name(row.index)} needs your `{label}`, which is not written yet.")
        thunk = lambda: given(*arguments)  # noqa: E731
    else:
        method, usage, op = _ROW_METHODS[row.op]
        require_method(Variable, method, usage)
        thunk = lambda: op(*arguments)  # noqa: E731
    try:
        out = call_student(label, thunk, where)
    except NotWritten:
        raise StopCheck("unanswered", f"row {row_name(row.index)} needs your {as_code(label)}, "
                                      f"which is not written yet.") from None
    if out is None:
        raise StopCheck("wrong", f"your {as_code(label)} returned nothing {where}; did it forget `return`?")
    if not is_variable(out, Variable):
        raise StopCheck("wrong", f"your {as_code(label)} returned a {type(out).__name__} ({short_text(out)}) "
                                 f"{where}, not a Variable; return Variable(value, tangent).")
    if None in val_and_dot(out):
        raise StopCheck("wrong", f"your {as_code(label)} returned Variable({short_text(attribute_or_none(out, 'val'))}, "
                                 f"{short_text(attribute_or_none(out, 'dot'))}) {where}; val and dot should be numbers.")
    return out


__all__ = ["check_dual_trace", "dual_trace_verdict"]
