"""Checks for numbers, arrays, trace columns, functions and choices.

Every check takes the exercise's id first, then the student's answer, then
what it should equal (computed by the engine). It returns a `Result` that names
each wrong entry and what the mistake looks like, never the expected value:
"row v̇₂: the sign is flipped". The lessons' own exercises use `check("N.k")`
(notebook.py), which keeps the expected value out of the notebook too.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from .diagnose import Tolerance, diagnose_entries, whole_answer_diagnosis
from .feedback import (Invalid, NotAnswered, as_array, as_number, as_sequence, finish, index_text, is_placeholder,
                       number_text, row_name)

RTOL = ATOL = 1e-3  # students type 0.333 for 1/3 and -4.333 for -13/3: three decimals are enough
_SHOWN = 8  # wrong entries listed; the rest are counted
_ACCENTS = {"value": None, "tangent": "dot", "adjoint": "bar"}


def check_number(exercise, answer, expected, name="your answer", rtol=RTOL, atol=ATOL, hints=()):
    """One number, e.g. ẏ or a count of operations."""
    return check_array(exercise, answer, expected, name=name, rtol=rtol, atol=atol, hints=hints)


def check_array(exercise, answer, expected, name="your answer", rtol=RTOL, atol=ATOL, hints=()):
    """An array (a gradient, a Jacobian J[i, j], a JVP), entry by entry: "J[1, 0]: yours …, expected …"."""
    expected = _expected_array(expected)
    entry_names = [name + index_text(index) if expected.ndim else name for index in np.ndindex(expected.shape)]
    return _compare(exercise, answer, expected, entry_names, name, rtol, atol, hints)


def check_column(exercise, answer, trace, column="tangent", rtol=RTOL, atol=ATOL, hints=()):
    """A column of a trace table: the values, tangents or adjoints, top to bottom.

    Give either every row (inputs first: v₋₁, v₀, v₁ …) or only the operation rows (v₁ … v_l).
    """
    if not hasattr(trace, "rows"):
        raise TypeError(f"check_column compares with a trace, not a {type(trace).__name__}: pass "
                        f"adlab.trace(f, ...).forward(...) or .reverse().")
    if column not in _ACCENTS:
        raise ValueError(f"column must be 'value', 'tangent' or 'adjoint', not {column!r}.")
    rows = list(trace.rows)
    if column != "value" and getattr(rows[-1], column) is None:
        raise ValueError(f"the trace has no {column}s: pass trace.forward(...) or trace.reverse(...).")
    if any(np.ndim(getattr(row, column)) for row in rows):
        raise ValueError("check_column compares scalar traces; use check_array for array values.")
    operations = [row for row in rows if not row.is_input]
    if not is_placeholder(answer) and not isinstance(answer, str):
        try:
            answer = as_sequence(answer, "your column")
        except Invalid as error:
            return finish(exercise, "invalid", str(error), hints)
    length = None if is_placeholder(answer) or isinstance(answer, str) else _length(answer)
    if length == len(rows):
        operations = rows
    elif length is not None and length != len(operations):
        first, last = operations[0], operations[-1]
        return finish(exercise, "invalid",
                      f"your column has {length} entr{'y' if length == 1 else 'ies'}; give the {len(operations)} rows "
                      f"{row_name(first.index, _ACCENTS[column])} … {row_name(last.index, _ACCENTS[column])} "
                      f"(or all {len(rows)}, inputs first).", hints)
    expected = np.array([float(getattr(row, column)) for row in operations])
    names = ["row " + row_name(row.index, _ACCENTS[column]) for row in operations]
    return _compare(exercise, answer, expected, names, "your column", rtol, atol, hints)


def check_function(exercise, function, reference, inputs, name=None, outputs=None, rtol=1e-9, atol=1e-9,
                   hints=()):
    """A function of the student's, run on each argument tuple in `inputs` against `reference`.

    Functions are checked tightly (rtol=1e-9): a formula is right or wrong, not rounded.
    A function that raises NotImplementedError (the student copy's stub) is not answered yet.
    Where `reference` returns several arrays (a tuple), each is compared in turn; ``outputs``
    names them in messages, e.g. ("dW", "db", "dx").
    """
    name = name or getattr(function, "__name__", "your function")
    if is_placeholder(function):
        return finish(exercise, "unanswered", _NOT_ANSWERED, hints)
    if not callable(function):
        return finish(exercise, "invalid", f"`{name}` is a {type(function).__name__}, not a function; "
                                           f"define it with def.", hints)
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"inputs is a list of points to run the function at, e.g. inputs=[(3.0, -4.0), (1.0, 2.0)] "
                        f"(or [2.0, 5.0] for one argument), not a {type(inputs).__name__}.")
    inputs = list(inputs)  # a generator would be used up by the first student who runs the check
    for args in inputs:
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        at = "at (" + ", ".join(_arg_text(a) for a in args) + ")"
        expected = reference(*_copied(args))  # on copies: a function that changes its argument in place changes
        try:                                  # neither the expected value nor the next check's inputs
            yours = function(*_copied(args))
        except NotImplementedError:
            return finish(exercise, "unanswered", _NOT_ANSWERED, hints)
        except Exception as error:  # the student's code failed: say so in one line, no traceback
            return finish(exercise, "wrong", f"your `{name}` raised {type(error).__name__} {at}: {error}", hints)
        problem = _first_difference(f"`{name}`", yours, expected, at, outputs, rtol, atol)
        if problem:
            return finish(exercise, "wrong", problem, hints)
    return finish(exercise, "correct", f"correct: `{name}` matches at all {len(inputs)} test points.", hints)


def _first_difference(name, yours, expected, at, outputs, rtol, atol):
    """One sentence on the first entry where yours differs from expected, or None.

    Several outputs of different shapes (or named by ``outputs``) are compared part by part; a tuple of
    numbers, like a gradient in two arguments, as one array.
    """
    if isinstance(expected, (tuple, list)) and (outputs or len({np.shape(part) for part in expected}) > 1):
        labels = list(outputs or [f"output {k}" for k in range(len(expected))])
        if not isinstance(yours, (tuple, list)) or len(yours) != len(expected):
            count = len(yours) if isinstance(yours, (tuple, list)) else 1
            return (f"your {name} returns {count} value{'s' if count != 1 else ''} {at}; expected "
                    f"{len(expected)} ({', '.join(labels)}).")
        for label, mine, truth in zip(labels, yours, expected):
            problem = _first_difference(f"{name}'s {label}", mine, truth, at, None, rtol, atol)
            if problem:
                return problem
        return None
    expected = np.asarray(expected, dtype=float)
    try:
        values, missing = as_array(yours, expected.shape, f"{name} {at}")
    except NotAnswered:
        return f"your {name} returned nothing {at}; did it forget `return`?"
    except Invalid as error:
        return f"your {error}"
    bad = missing | ~np.isclose(values, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not np.any(bad):
        return None
    index = tuple(np.argwhere(bad)[0])
    which = f" (entry {index_text(index)})" if expected.ndim else ""
    phrase = _phrase(values, expected, index, rtol, atol)
    return f"your {name} is wrong {at}{which}" + (f": {phrase}." if phrase != "wrong" else ".")


def _phrase(values, expected, index, rtol, atol, names=None):
    """The diagnosis of one wrong entry, judged with the check's own tolerance."""
    tolerance = Tolerance(decimals=None if atol <= 0 else -np.log10(atol), significant=None if rtol <= 0 else
                          1 - np.log10(rtol), exact=atol <= 0 and rtol <= 0)
    flat = int(np.ravel_multi_index(index, expected.shape)) if expected.ndim else 0
    return diagnose_entries(values, expected, tolerance, names).get(flat, "wrong")


def check_choice(exercise, answer, expected, choices=None, explain="", hints=()):
    """A word or a whole number: "forward" or "reverse", a count of sweeps. Case and spaces do not matter.

    ``explain`` is shown once the answer is right: the reason names the answer.
    """
    if is_placeholder(answer):
        return finish(exercise, "unanswered", _NOT_ANSWERED, hints)
    reason = f"\n{explain}" if explain else ""
    if isinstance(expected, str):
        if isinstance(answer, str):  # "forward." and "'forward'" mean "forward"
            answer = answer.strip().strip("'\"").rstrip(".!").strip()
        if not isinstance(answer, str):
            return finish(exercise, "invalid", f"your answer is {answer!r}; give one of "
                                               f"{', '.join(repr(c) for c in choices or (expected,))} (in quotes).",
                          hints)
        given = " ".join(answer.lower().split())
        if choices and given not in [c.lower() for c in choices]:
            return finish(exercise, "invalid", f"your answer {answer!r} is not one of "
                                               f"{', '.join(repr(c) for c in choices)}.", hints)
        if given == expected.lower():
            return finish(exercise, "correct", f"correct: {expected}.{reason}", hints)
        return finish(exercise, "wrong", "wrong: think it through once more (the hints help).", hints)
    try:
        value = as_number(answer, "your answer")
    except Invalid as error:
        return finish(exercise, "invalid", str(error), hints)
    if math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):  # 0.1 + 0.2 is 0.3
        return finish(exercise, "correct", f"correct: {number_text(expected)}.{reason}", hints)
    phrase = _phrase(np.array(value), np.array(float(expected)), (), 1e-9, 1e-12)
    return finish(exercise, "wrong", "wrong" + (f": {phrase}." if phrase != "wrong" else "."), hints)


_NOT_ANSWERED = "not answered yet: replace the ... (or the stub) with your answer, then run this cell again."


def _compare(exercise, answer, expected, entry_names, name, rtol, atol, hints):
    try:
        values, missing = as_array(answer, expected.shape, name)
    except NotAnswered:
        return finish(exercise, "unanswered", _NOT_ANSWERED, hints)
    except Invalid as error:
        return finish(exercise, "invalid", str(error), hints)
    wrong = ~missing & ~np.isclose(values, expected, rtol=rtol, atol=atol, equal_nan=True)
    flat_names = np.array(entry_names, dtype=object).reshape(expected.shape)
    whole = whole_answer_diagnosis(np.where(missing, expected, values), expected,
                                   Tolerance(decimals=None if atol <= 0 else -np.log10(atol)))
    lines = [whole] if whole and wrong.any() else \
        [f"{flat_names[i]}: {_phrase(np.where(missing, expected, values), expected, i, rtol, atol, entry_names)}"
         for i in map(tuple, np.argwhere(wrong))]
    open_entries = [flat_names[i] for i in map(tuple, np.argwhere(missing))]
    total = expected.size
    if not lines and not open_entries:
        what = f"all {total} entries" if total > 1 else number_text(expected)
        return finish(exercise, "correct", f"correct: {what}.", hints)
    parts = []
    if lines:
        parts.append(f"{len(lines)} of {total} entries wrong" if total > 1 else "wrong")
    if open_entries:
        parts.append(f"{len(open_entries)} not answered yet ({', '.join(open_entries[:_SHOWN])}"
                     f"{', …' if len(open_entries) > _SHOWN else ''})")
    shown = lines[:_SHOWN] + ([f"… and {len(lines) - _SHOWN} more"] if len(lines) > _SHOWN else [])
    return finish(exercise, "wrong" if lines else "unanswered", "; ".join(parts) + "." + "".join(
        "\n  " + line for line in shown), hints)


def _expected_array(expected):
    """The check cell's expected value as floats; a None in it is the check's mistake, not the student's."""
    if any(item is None for item in np.asarray(expected, dtype=object).reshape(-1)):
        raise ValueError("the expected value contains None; compute every entry in the check cell.")
    return np.asarray(expected, dtype=float)


def _copied(args):
    try:
        return copy.deepcopy(args)
    except Exception:  # something that cannot be copied is passed as it is
        return args


def _length(answer):
    try:
        return len(answer)
    except TypeError:
        return None


def _arg_text(value):
    if np.ndim(value) == 0 and isinstance(value, (int, float, np.number)):
        return number_text(value)
    if isinstance(value, np.ndarray):
        return f"array of shape {np.shape(value)}"
    return getattr(value, "__name__", type(value).__name__)  # a test function by its name: np.sin, along_x1
