"""Running a student's dual-number class ``Variable(val, dot)`` safely, for the checks that use it.

``dual_numbers`` (operation by operation) and ``dual_trace`` (row by row along a
forward trace) both run the student's class through these: ``require_class`` and
``require_method`` say what is missing before anything runs; ``call_student`` runs
one of the student's methods or functions; ``engine_jvp`` gives the engine's answer
to compare with; and the readers (``val_and_dot``, ``attribute_or_none``,
``as_float``, ``short_text``) look at what the student's code returned without trusting it.

A method whose body still raises NotImplementedError (the student copy's stub)
is "not written yet" (``NotWritten``); nothing the student's code raises ever
reaches the notebook as a traceback (a check ends with ``StopCheck`` and one line),
and code that never finishes is stopped after ``SECONDS``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .feedback import is_placeholder, number_text

RTOL = ATOL = 1e-9  # a rule is right or wrong, not rounded
SECONDS = 10.0  # for a whole check of the student's class

NOT_ANSWERED = ("not answered yet: write the bodies marked # YOUR CODE HERE (replace each "
                "raise NotImplementedError), then run this cell again.")


class StopCheck(Exception):
    """Ends a check early with (status, message)."""

    def __init__(self, status, message, ambiguous=False):
        super().__init__(message)
        self.status, self.message = status, message
        self.ambiguous = ambiguous  # the diagnosis fits more than one mistake here: another point may tell


class NotWritten(Exception):
    """A student's method or function still raises NotImplementedError."""


def close_enough(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


# -- before anything runs: is there a class, and the method asked for --------------------


def require_class(Variable):
    if is_placeholder(Variable):
        raise StopCheck("unanswered", NOT_ANSWERED)
    if not isinstance(Variable, type):
        raise StopCheck("invalid", f"`Variable` is a {type(Variable).__name__}, not a class; define it with "
                                   f"`class Variable:`.")
    try:
        v = Variable(2.0, 1.0)
    except NotImplementedError:
        raise StopCheck("unanswered", NOT_ANSWERED) from None
    except Exception as error:
        raise StopCheck("wrong", f"`Variable(2, 1)` raised {_error_text(error)}.") from None
    for attribute in ("val", "dot"):
        if not _has(v, attribute):
            raise StopCheck("invalid", f"`Variable(2, 1)` has no `.{attribute}`: `__init__(self, val, dot=0)` "
                                       f"should set `self.val = val` and `self.dot = dot`.")
    try:
        values = float(v.val), float(v.dot)
    except Exception:
        values = None
    if values != (2.0, 1.0):
        raise StopCheck("invalid", f"`Variable(2, 1)` has val = {attribute_or_none(v, 'val')!r} and "
                                   f"dot = {attribute_or_none(v, 'dot')!r}; "
                                   f"`__init__` should keep them as given (2 and 1).")


def require_method(Variable, method, usage):
    if getattr(Variable, method, None) is None:
        raise StopCheck("invalid", f"your Variable has no `{method}`: define `def {method}(self, other):` "
                                   f"inside the class, so that `{usage}` works.")


# -- running the student's code, and the engine's ---------------------------------------


def call_student(label, thunk, where):
    """thunk(), which runs the student's `label`; a failure ends the check with one line naming it `where`."""
    try:
        return thunk()
    except NotImplementedError:
        raise NotWritten from None
    except RecursionError:
        raise StopCheck("wrong", f"your {as_code(label)} calls itself without end {where} (RecursionError): with a "
                                 f"plain number, `other * self` inside `__rmul__` asks Python for "
                                 f"`self.__rmul__(other)` again; make the number a Variable first, "
                                 f"`Variable(other)`.") from None
    except Exception as error:  # the student's code failed: one line, no traceback
        text = str(error).splitlines()[0] if str(error) else ""
        number = isinstance(error, AttributeError) and re.match(r"'(int|float)' object has no attribute '(val|dot)'",
                                                                 text)
        advice = (" (a plain number has no .val or .dot: make it a Variable with tangent 0 first, "
                  "`Variable(other)`)") if number else ""
        raise StopCheck("wrong", f"your {as_code(label)} raised {type(error).__name__} {where}"
                                 + (f": {text}{advice}" if text else ".")) from None


def engine_jvp(f, primals, tangents):
    """(value, tangent) of f from the engine's forward mode, as floats."""
    from ..core.api import jvp

    value, tangent = jvp(f, tuple(float(p) for p in primals), tuple(float(t) for t in tangents))
    return float(value), float(tangent)


# -- reading what the student's code gave, without trusting it ----------------------------


def attribute_or_none(x, attribute):
    """x.attribute, or None (a student's property that raises is a missing attribute)."""
    try:
        return getattr(x, attribute, None)
    except Exception:
        return None


def _has(x, attribute):
    try:
        return hasattr(x, attribute)
    except Exception:
        return False


def val_and_dot(x):
    """(x.val, x.dot) as floats, None for either that is missing or not a number."""
    return as_float(attribute_or_none(x, "val")), as_float(attribute_or_none(x, "dot"))


def is_variable(x, Variable):
    """An instance of the class, or of an earlier run of the same class cell (same name, val and dot)."""
    return isinstance(x, Variable) or (type(x).__name__ == Variable.__name__
                                       and _has(x, "val") and _has(x, "dot"))


def as_float(x):
    if isinstance(x, (bool, np.bool_)) or x is None:
        return None
    try:
        return float(x)
    except Exception:
        return None


def short_text(x):
    number = as_float(x)
    if number is not None:
        return number_text(number)
    try:
        text = repr(x)
    except Exception:
        text = f"a {type(x).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def as_code(label):
    return label if label.startswith("`") else f"`{label}`"


def _error_text(error):
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
