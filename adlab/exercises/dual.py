"""Checks for a student's own dual numbers: the course's ``Variable(val, dot)`` for forward mode.

``dual_numbers_verdict`` runs the student's class on random inputs, one operation
at a time, and compares ``.val`` and ``.dot`` with the engine (``adlab.jvp``); it
returns (status, message), the message naming the first wrong thing in one line:
the method, the operands, and what the mistake looks like, never the expected value:

    your `Variable.__mul__` gives a wrong tangent (dot) for Variable(2, 1) * Variable(3, 0.5):
    the product rule's second term is missing …

``dual_trace_verdict`` runs the student's class along the rows of a forward trace
(e.g. Table 2) from the student's seeded inputs, and names each wrong row: a seed
that is not the direction asked for, a row whose rule is wrong (and how), or a row
that is right for the rows it reads (the slip is above it).

Neither records anything: the lessons' exercises call them from their bank checkers
(``check("4.1")``). ``check_dual_numbers`` and ``check_dual_trace`` are the older
calls, thin wrappers that record the result and show it in the cell.

A method whose body still raises NotImplementedError (the student copy's stub)
is "not written yet"; nothing the student's code raises ever reaches the
notebook as a traceback, and code that never finishes is stopped after a time limit.
"""

from __future__ import annotations

import math
import operator
import re

import numpy as np

from .feedback import finish, is_placeholder, number_text, row_name
from .sandbox import CellProblem, time_limit

RTOL = ATOL = 1e-9  # a rule is right or wrong, not rounded
SECONDS = 10.0  # for a whole check of the student's class

# (method, symbol, the operation): Python's operator runs the student's method, as `x * y` would
_OPERATORS = (
    ("__add__", "+", operator.add),
    ("__sub__", "-", operator.sub),
    ("__mul__", "*", operator.mul),
    ("__truediv__", "/", operator.truediv),
)
_REFLECTED = {"__add__": "__radd__", "__sub__": "__rsub__", "__mul__": "__rmul__", "__truediv__": "__rtruediv__"}
_KIND = {"__add__": "add", "__sub__": "subtract", "__mul__": "multiply", "__truediv__": "divide"}
_FUNCTIONS = (("ln", np.log), ("sin", np.sin), ("exp", np.exp))
_FUNCTION_KIND = {"ln": "log", "sin": "sin", "exp": "exp"}

_NOT_ANSWERED = ("not answered yet: write the bodies marked # YOUR CODE HERE (replace each "
                 "raise NotImplementedError), then run this cell again.")
_NOT_ANSWERED_INPUTS = "not answered yet: replace the ... with your Variables, then run this cell again."


class _Stop(Exception):
    """Ends a check early with (status, message)."""

    def __init__(self, status, message, ambiguous=False):
        super().__init__(message)
        self.status, self.message = status, message
        self.ambiguous = ambiguous  # the diagnosis fits more than one mistake here: another point may tell


class _NotWritten(Exception):
    """A student's method or function still raises NotImplementedError."""


# -- what a wrong rule looks like ------------------------------------------------------------
#
# For each operation: (diagnosis, wrong value, wrong tangent) from the operands (u, u̇) and (w, ẇ);
# None where the mistake leaves that part right. A student's wrong val or dot that matches one
# (and differs from the truth) is named by its diagnosis; the expected number is never said.

_ZERO = ("the tangent is 0: the new Variable got no tangent (`Variable(value)` alone leaves dot = 0); "
         "pass the tangent as the second argument")

_RULES = {
    "add": lambda u, du, w, dw: [
        ("the value is a difference: a sum's value is self.val + other.val", lambda: u - w, None),
        (_ZERO, None, lambda: 0.0),
        ("only self's tangent is passed on: a sum's tangent adds both, u̇ + ẇ", None, lambda: du),
        ("only other's tangent is passed on: a sum's tangent adds both, u̇ + ẇ", None, lambda: dw),
        ("the tangents are subtracted: a sum's tangent is u̇ + ẇ", None, lambda: du - dw),
        ("the tangent adds the values: a sum's tangent adds the tangents, self.dot + other.dot", None,
         lambda: u + w),
    ],
    "subtract": lambda u, du, w, dw: [
        ("the operands are reversed: x − y is self minus other (self.val − other.val, self.dot − other.dot)",
         lambda: w - u, lambda: dw - du),
        ("the value is a sum: a difference's value is self.val − other.val", lambda: u + w, None),
        (_ZERO, None, lambda: 0.0),
        ("the tangents are in the wrong order: a difference's tangent is u̇ − ẇ, self's first", None,
         lambda: dw - du),
        ("ẇ is added: a difference's tangent is u̇ − ẇ, with a minus sign", None, lambda: du + dw),
        ("other's tangent is missing: a difference's tangent is u̇ − ẇ", None, lambda: du),
    ],
    "multiply": lambda u, du, w, dw: [
        ("the value is not the product of the values, self.val * other.val", lambda: u + w, None),
        ("the product rule's second term is missing: (uw)' = u̇·w + u·ẇ, and only u̇·w is there", None,
         lambda: du * w),
        ("the product rule's first term is missing: (uw)' = u̇·w + u·ẇ, and only u·ẇ is there", None,
         lambda: u * dw),
        ("the product rule's two terms are subtracted: they add, u̇·w + u·ẇ", None, lambda: du * w - u * dw),
        ("the product rule's two terms are subtracted: they add, u̇·w + u·ẇ ", None, lambda: u * dw - du * w),
        ("each tangent is multiplied by its own value: u̇ goes with the other operand's value w, and ẇ with u",
         None, lambda: du * u + dw * w),
        ("the tangents are multiplied together: the product rule is u̇·w + u·ẇ", None, lambda: du * dw),
        (_ZERO, None, lambda: 0.0),
    ],
    "divide": lambda u, du, w, dw: [
        ("the operands are reversed: x / y is self divided by other", lambda: w / u, None),
        ("the quotient rule without the square: divide u̇·w − u·ẇ by w², not by w", None,
         lambda: (du * w - u * dw) / w),
        ("the quotient rule's numerator is reversed: it is u̇·w − u·ẇ, self's tangent first", None,
         lambda: (u * dw - du * w) / w ** 2),
        ("the quotient rule's numerator adds: it is u̇·w − u·ẇ, with a minus sign", None,
         lambda: (du * w + u * dw) / w ** 2),
        ("the quotient rule's second term is missing: (u/w)' = u̇/w − u·ẇ/w²", None, lambda: du / w),
        ("the division by w² is missing: (u/w)' = (u̇·w − u·ẇ)/w²", None, lambda: du * w - u * dw),
        ("the tangents are divided: the quotient rule is (u̇·w − u·ẇ)/w²", None, lambda: du / dw),
        (_ZERO, None, lambda: 0.0),
    ],
    "log": lambda u, du: [
        ("ln's tangent divides by the value: v̇ / v, not v̇ · v", None, lambda: du * u),
        ("the chain rule's factor v̇ is missing: the tangent of ln v is v̇ / v", None, lambda: 1 / u),
        ("the tangent uses ln v: the derivative of ln v is 1/v, so the tangent is v̇ / v", None,
         lambda: du * math.log(u)),
        ("the sign is flipped: the tangent of ln v is +v̇ / v", None, lambda: -du / u),
    ],
    "sin": lambda u, du: [
        ("the value is cos: the value of sin v is sin(v.val)", lambda: math.cos(u), None),
        ("sin's derivative is +cos (it is cos whose derivative is −sin)", None, lambda: -du * math.cos(u)),
        ("sin's derivative is cos, not sin", None, lambda: du * math.sin(u)),
        ("sin's derivative is cos, not sin", None, lambda: -du * math.sin(u)),
        ("the chain rule's factor v̇ is missing: the tangent of sin v is v̇ · cos v", None, lambda: math.cos(u)),
    ],
    "exp": lambda u, du: [
        ("the chain rule's factor v̇ is missing: the tangent of exp v is v̇ · e^v", None, lambda: math.exp(u)),
        ("exp's derivative is exp itself: the tangent is v̇ · e^v, not v̇", None, lambda: du),
        ("the tangent uses v instead of e^v: the tangent of exp v is v̇ · e^v", None, lambda: du * u),
    ],
}


# A plain number on the left, c op x (u = c with u̇ = 0, w = x): the reflected methods' own mistakes.
_REFLECTED_RULES = {
    "__add__": lambda c, a, da: [(_ZERO, None, lambda: 0.0)],
    "__sub__": lambda c, a, da: [
        ("the sign is flipped: the tangent of c − x is −ẋ", None, lambda: da),
        (_ZERO, None, lambda: 0.0),
    ],
    "__mul__": lambda c, a, da: [
        ("the number multiplies the tangent too: the tangent of c · x is c · ẋ", None, lambda: da),
        ("the tangent of c · x is c · ẋ, not c · x", None, lambda: c * a),
        (_ZERO, None, lambda: 0.0),
    ],
    "__truediv__": lambda c, a, da: [
        ("the sign is flipped: the derivative of c / x is −c / x², so the tangent is −c · ẋ / x²", None,
         lambda: c * da / a ** 2),
        ("the square is missing: the derivative of c / x is −c / x², so the tangent is −c · ẋ / x²", None,
         lambda: -c * da / a),
        ("the division by x² is missing: the tangent of c / x is −c · ẋ / x²", None, lambda: -c * da),
        ("the factor c is missing: the tangent of c / x is −c · ẋ / x²", None, lambda: -da / a ** 2),
        (_ZERO, None, lambda: 0.0),
    ],
}


def _mistakes(kind, operands):
    """[(diagnosis, wrong val or None, wrong dot or None)] for an operation on [(value, tangent), …]."""
    flat = [float(x) for pair in operands for x in pair]
    out = []
    for phrase, val, dot in _RULES[kind](*flat):
        out.append((phrase, _safe(val), _safe(dot)))
    return out


def _safe(thunk):
    if thunk is None:
        return None
    try:
        with np.errstate(all="ignore"):
            value = float(thunk())
    except (ArithmeticError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _diagnosis(got, want, part, mistakes):
    """(phrase, ambiguous): the listed mistake that gives `got` for part 0 (val) or 1 (dot), else a common one.

    The phrase is None when nothing fits; ambiguous when two different listed mistakes fit here.
    """
    found = []
    for mistake in mistakes:
        wrong = mistake[1 + part]
        if wrong is not None and _close(got, wrong) and not _close(wrong, want) and mistake[0].strip() not in found:
            found.append(mistake[0].strip())
    if found:
        return found[0], len(found) > 1
    if want != 0 and _close(got, -want):
        return "the sign is flipped", False
    if want != 0 and _close(got, 2 * want):
        return "twice the right one: is a term counted twice?", False
    if want != 0 and _close(got, want / 2):
        return "half the right one", False
    return None, False


def _close(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


# -- the operations, one at a time on random inputs -------------------------------------


def dual_numbers_verdict(Variable, ln=None, sin=None, exp=None, operators=True, mixed=False, seed=0, trials=3,
                         seconds=SECONDS):
    """Run a student's ``Variable(val, dot)`` class and compare it with the engine: (status, message).

    ``Variable`` is the student's class: ``Variable(val, dot)`` must keep ``.val``
    and ``.dot``. With ``operators`` (default) its ``+ - * /`` between two
    Variables are checked; ``ln``, ``sin``, ``exp`` are the student's module-level
    functions on a Variable (each checked when given); with ``mixed``, the
    operators with a plain number on either side (``x + 2``, ``2 * x``, ``2 / x``,
    i.e. ``__radd__``, ``__rsub__``, ``__rmul__``, ``__rtruediv__`` too).

    Inputs come from ``np.random.default_rng(seed)`` (``trials`` points per
    operation; operands of ``ln`` and divisors positive), expected values from
    ``adlab.jvp``. The first wrong thing is reported, naming the method and what
    the mistake looks like (never the expected value).
    Status: "correct"; "wrong" for a wrong value, a wrong type, an exception or
    code that does not finish within ``seconds``; "invalid" when the class cannot
    be used at all (no ``.dot``, not a class); "unanswered" when no checked method
    is written yet, or when those written are right and some are still stubs (the
    message names them). Nothing is recorded.
    """
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
    try:
        with time_limit(seconds, "running your Variable class"):
            _require_class(Variable)
            for label, case in cases:
                try:
                    first = None  # a wrong result that fits two mistakes: another point may say which
                    for _ in range(trials):
                        try:
                            case(rng)
                        except _Stop as stop:
                            if not stop.ambiguous:
                                raise
                            first = first or stop
                    if first is not None:
                        raise first
                except _NotWritten:
                    open_.append(label)
                else:
                    written.append(label)
    except _Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:  # the time limit
        return problem.status, str(problem)
    points = trials * len(written)
    open_ = list(dict.fromkeys(open_))  # a method checked twice (x + y, x + 2) is named once
    written = [label for label in dict.fromkeys(written) if label not in open_]
    if not open_:
        return "correct", f"correct: {_names(written)} match the engine at {points} random points."
    if not written:
        return "unanswered", _NOT_ANSWERED
    return "unanswered", (f"{_names(written)} {'is' if len(written) == 1 else 'are'} right; "
                          f"still to write: {_names(open_)}.")


def check_dual_numbers(exercise, Variable, ln=None, sin=None, exp=None, operators=True, mixed=False,
                       seed=0, trials=3, hints=()):
    """``dual_numbers_verdict`` shown in the cell as a Result, and recorded (the older call)."""
    status, message = dual_numbers_verdict(Variable, ln=ln, sin=sin, exp=exp, operators=operators, mixed=mixed,
                                           seed=seed, trials=trials)
    return finish(exercise, status, message, hints)


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
        if not _has(v, attribute):
            raise _Stop("invalid", f"`Variable(2, 1)` has no `.{attribute}`: `__init__(self, val, dot=0)` should "
                                   f"set `self.val = val` and `self.dot = dot`.")
    try:
        values = float(v.val), float(v.dot)
    except Exception:
        values = None
    if values != (2.0, 1.0):
        raise _Stop("invalid", f"`Variable(2, 1)` has val = {_get(v, 'val')!r} and dot = {_get(v, 'dot')!r}; "
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
        _not_an_operand(f"Variable.{method}", out, (x, y), where)
        _compare(f"Variable.{method}", Variable, out, _engine_jvp(op, (a, b), (da, db)), where,
                 _mistakes(_KIND[method], ((a, da), (b, db))))
    return case


def _mixed_case(Variable, method, symbol, op, left):
    """`x op c` (left=False, the method itself) or `c op x` (left=True, the reflected method)."""
    name = _REFLECTED[method] if left else method
    constant = ("a plain number is a constant: make it Variable(number, 0), with tangent 0, not 1 "
                "(`Variable(other)` does it, since dot defaults to 0)")

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
            mistakes = []
            if method in ("__sub__", "__truediv__"):  # the number on the wrong side: x − 2 for 2 − x
                mistakes.append((f"it computes x {symbol} {_num(c)}: `x.{name}({_num(c)})` is Python's way of "
                                 f"asking for {_num(c)} {symbol} x, the plain number on the left (other {symbol} self)",
                                 *_engine_jvp(lambda t: op(t, c), (a,), (da,))))
            mistakes.append((constant, None, _safe(lambda: _engine_jvp(op, (c, a), (1.0, da))[1])))
            mistakes += [(phrase, _safe(val), _safe(dot)) for phrase, val, dot in _REFLECTED_RULES[method](c, a, da)]
        else:
            where = f"for Variable({_num(a)}, {_num(da)}) {symbol} {_num(c)}"
            out = _call(f"Variable.{name}", lambda: op(x, c), where)
            expected = _engine_jvp(lambda t: op(t, c), (a,), (da,))
            mistakes = [(constant, None, _safe(lambda: _engine_jvp(op, (a, c), (da, 1.0))[1]))]
            mistakes += _mistakes(_KIND[method], ((a, da), (c, 0.0)))
        _unchanged(f"Variable.{name}", ((x, "x", a, da),), where)
        _not_an_operand(f"Variable.{name}", out, (x,), where)
        _compare(f"Variable.{name}", Variable, out, expected, where, mistakes)
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
        _not_an_operand(f"`{name}`", out, (x,), where)
        _compare(f"`{name}`", Variable, out, _engine_jvp(reference, (a,), (da,)), where,
                 _mistakes(_FUNCTION_KIND[name], ((a, da),)))
    return case


def _engine_jvp(f, primals, tangents):
    """(value, tangent) of f from the engine's forward mode, as floats."""
    from ..core.api import jvp

    value, tangent = jvp(f, tuple(float(p) for p in primals), tuple(float(t) for t in tangents))
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
    except RecursionError:
        raise _Stop("wrong", f"your {_code(label)} calls itself without end {where} (RecursionError): with a "
                             f"plain number, `other * self` inside `__rmul__` asks Python for `self.__rmul__(other)` "
                             f"again; make the number a Variable first, `Variable(other)`.") from None
    except Exception as error:  # the student's code failed: one line, no traceback
        text = str(error).splitlines()[0] if str(error) else ""
        number = isinstance(error, AttributeError) and re.match(r"'(int|float)' object has no attribute '(val|dot)'",
                                                                 text)
        advice = (" (a plain number has no .val or .dot: make it a Variable with tangent 0 first, "
                  "`Variable(other)`)") if number else ""
        raise _Stop("wrong", f"your {_code(label)} raised {type(error).__name__} {where}"
                             + (f": {text}{advice}" if text else ".")) from None


def _unchanged(label, operands, where):
    for v, what, val, dot in operands:
        if _as_float(_get(v, "val")) != val or _as_float(_get(v, "dot")) != dot:
            raise _Stop("wrong", f"your {_code(label)} changed {what} {where}: it wrote into an operand instead of "
                                 f"making a new object; return a new Variable(value, tangent) and leave the operands "
                                 f"as they were.")


def _not_an_operand(label, out, operands, where):
    if any(out is v for v in operands):
        raise _Stop("wrong", f"your {_code(label)} returned one of its operands itself {where}, not a new Variable; "
                             f"return Variable(value, tangent) with the result's value and tangent.")


def _compare(label, Variable, out, expected, where, mistakes=()):
    """out must be a Variable whose val and dot match (value, tangent); a mismatch is diagnosed, not shown."""
    if out is None:
        raise _Stop("wrong", f"your {_code(label)} returned nothing {where}; did it forget `return`?")
    if out is NotImplemented:
        raise _Stop("wrong", f"your {_code(label)} returned NotImplemented {where}; return a Variable.")
    if not _is_variable(out, Variable):
        raise _Stop("wrong", f"your {_code(label)} returned a {type(out).__name__} ({_text(out)}) {where}, "
                             f"not a Variable; return Variable(value, tangent).")
    for part, (attribute, want) in enumerate(zip(("val", "dot"), expected)):
        got = _as_float(_get(out, attribute))
        if got is None:
            raise _Stop("wrong", f"your {_code(label)} returned a Variable whose {attribute} is "
                                 f"{_text(_get(out, attribute))} {where}; it should be a number.")
        if not _close(got, want):
            what = "value (val)" if attribute == "val" else "tangent (dot)"
            phrase, ambiguous = _diagnosis(got, want, part, mistakes)
            if phrase:
                raise _Stop("wrong", f"your {_code(label)} gives a wrong {what} {where}: {phrase}.", ambiguous)
            advice = ("the value of the result is the operation on the values alone" if attribute == "val" else
                      "work this case out by hand with the rule from the lesson's table, and compare with "
                      "your code term by term")
            raise _Stop("wrong", f"your {_code(label)} gives a wrong {what} {where} (yours: {number_text(got)}): "
                                 f"{advice}.")


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
            _require_class(Variable)
            mine = _seeded_inputs(Variable, inputs, input_rows)
            results = {row.index: v for row, v in zip(input_rows, mine)}
            for row in trace.rows:
                if not row.is_input:
                    results[row.index] = _run_row(Variable, row, results, functions)
    except _Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    close = lambda a, b: math.isclose(a, b, rel_tol=rtol, abs_tol=atol)  # noqa: E731
    lines = []
    for row in trace.rows:
        v = results[row.index]
        got = _as_float(_get(v, "val")), _as_float(_get(v, "dot"))
        if row.is_input:  # its value was checked with the inputs
            if not close(got[1], float(row.tangent)):
                lines.append(f"row {row_name(row.index, 'dot')}{_input_note(row, 'dot')}: {_SEED}")
            continue
        operands = [(_as_float(_get(results[o.index], "val")), _as_float(_get(results[o.index], "dot")))
                    if o.index is not None else (float(o.value), 0.0) for o in row.operands]
        rule = _safe_row(row.op, operands)  # the row's rule applied to the student's own rows
        mistakes = _mistakes(row.op, operands)
        label = _code(_ROW_OPERATIONS[row.op][1])
        for part, (accent, want) in enumerate(((None, row.value), ("dot", row.tangent))):
            if close(got[part], float(want)):
                continue
            name = f"row {row_name(row.index, accent)}"
            what = "value" if part == 0 else "tangent"
            if rule is not None and close(got[part], rule[part]):
                lines.append(f"{name}: {_CARRIED}" + (" (or in the seed)" if part == 1 else ""))
                continue
            phrase = _diagnosis(got[part], rule[part], part, mistakes)[0] if rule is not None else None
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
            value, tangent = _engine_jvp(_ROW_REFERENCES[op], [p[0] for p in operands], [p[1] for p in operands])
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
    for name, v in zip(names, inputs):
        if not _is_variable(v, Variable):
            raise _Stop("invalid", f"{name} is a {type(v).__name__} ({_text(v)}); make it a Variable: "
                                   f"Variable(value, tangent).")
        if _as_float(_get(v, "val")) is None or _as_float(_get(v, "dot")) is None:
            raise _Stop("invalid", f"{name} = Variable({_text(_get(v, 'val'))}, {_text(_get(v, 'dot'))}): "
                                   f"give two numbers.")
    values = [float(v.val) for v in inputs]
    points = [float(row.value) for row in input_rows]
    same = lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)  # noqa: E731
    if all(same(a, b) for a, b in zip(values, points)):
        return inputs
    where = ", ".join(f"x{_subscript(str(k + 1))} = {number_text(p)}" for k, p in enumerate(points))
    if n > 1 and all(same(a, b) for a, b in zip(sorted(values), sorted(points))):
        mixed = [name for name, a, b in zip(names, values, points) if not same(a, b)]
        which = " and ".join(mixed) if len(mixed) == 2 else "your inputs"
        raise _Stop("wrong", f"{which} are swapped: each Variable goes with its own input (x1 with x₁, x2 with x₂, …), "
                             f"and the trace is at {where}; give each its own value, and its own tangent.")
    for name, v, point in zip(names, inputs, points):
        value, tangent = float(v.val), float(v.dot)
        if same(value, point):
            continue
        if same(tangent, point):
            raise _Stop("wrong", f"{name} has val = {number_text(value)} and dot = {number_text(tangent)}, but the "
                                 f"trace is at {name} = {number_text(point)}: value and tangent are swapped; "
                                 f"Variable(value, tangent) takes the value first.")
        raise _Stop("wrong", f"{name} has val = {number_text(value)}, but the trace is at {where}: the point is given; "
                             f"only the tangents are yours to choose.")
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
    if _as_float(_get(out, "val")) is None or _as_float(_get(out, "dot")) is None:
        raise _Stop("wrong", f"your {_code(label)} returned Variable({_text(_get(out, 'val'))}, "
                             f"{_text(_get(out, 'dot'))}) {where}; val and dot should be numbers.")
    return out


# -- small helpers -------------------------------------------------------------------


def _get(x, attribute):
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


def _is_variable(x, Variable):
    """An instance of the class, or of an earlier run of the same class cell (same name, val and dot)."""
    return isinstance(x, Variable) or (type(x).__name__ == Variable.__name__
                                       and _has(x, "val") and _has(x, "dot"))


def _as_float(x):
    if isinstance(x, (bool, np.bool_)) or x is None:
        return None
    try:
        return float(x)
    except Exception:
        return None


def _num(x):
    """A drawn input as the student would type it (real minus signs stay out of code)."""
    return f"{x:g}"


def _text(x):
    number = _as_float(x)
    if number is not None:
        return number_text(number)
    try:
        text = repr(x)
    except Exception:
        text = f"a {type(x).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _code(label):
    return label if label.startswith("`") else f"`{label}`"


def _names(labels):
    labels = [_code(label) for label in labels]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _error_text(error):
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


__all__ = ["check_dual_numbers", "check_dual_trace", "dual_numbers_verdict", "dual_trace_verdict"]
