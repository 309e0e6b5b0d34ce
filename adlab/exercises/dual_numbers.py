"""Checks for a student's own dual numbers, operation by operation: the course's ``Variable(val, dot)``.

``dual_numbers_verdict`` runs the student's class on random inputs, one operation
at a time, and compares ``.val`` and ``.dot`` with the engine (``adlab.jvp``); it
returns (status, message), the message naming the first wrong thing in one line:
the method, the operands, and what the mistake looks like (from ``dual_mistakes``),
never the expected value:

    your `Variable.__mul__` gives a wrong tangent (dot) for Variable(2, 1) * Variable(3, 0.5):
    the product rule's second term is missing …

It records nothing: the lessons' exercises call it from their bank checkers
(``check("4.1")``). ``check_dual_numbers`` is the older call, a thin wrapper that
records the result and shows it in the cell. How the student's code is run (a time
limit, stubs, one line instead of a traceback) is in ``dual_running``.
"""

from __future__ import annotations

import operator

import numpy as np

from .dual_mistakes import diagnosis, finite_or_none, reflected_mistakes, rule_mistakes
from .dual_running import (NOT_ANSWERED, SECONDS, NotWritten, StopCheck, as_code, as_float, attribute_or_none,
                           call_student, close_enough, engine_jvp, is_variable, require_class, require_method,
                           short_text, val_and_dot)
from .feedback import finish, is_placeholder, number_text
from .sandbox import CellProblem, time_limit

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
            require_class(Variable)
            for label, case in cases:
                try:
                    first = None  # a wrong result that fits two mistakes: another point may say which
                    for _ in range(trials):
                        try:
                            case(rng)
                        except StopCheck as stop:
                            if not stop.ambiguous:
                                raise
                            first = first or stop
                    if first is not None:
                        raise first
                except NotWritten:
                    open_.append(label)
                else:
                    written.append(label)
    except StopCheck as stop:
        return stop.status, stop.message
    except CellProblem as problem:  # the time limit
        return problem.status, str(problem)
    points = trials * len(written)
    open_ = list(dict.fromkeys(open_))  # a method checked twice (x + y, x + 2) is named once
    written = [label for label in dict.fromkeys(written) if label not in open_]
    if not open_:
        return "correct", f"correct: {_names(written)} match the engine at {points} random points."
    if not written:
        return "unanswered", NOT_ANSWERED
    return "unanswered", (f"{_names(written)} {'is' if len(written) == 1 else 'are'} right; "
                          f"still to write: {_names(open_)}.")


def check_dual_numbers(exercise, Variable, ln=None, sin=None, exp=None, operators=True, mixed=False,
                       seed=0, trials=3, hints=()):
    """``dual_numbers_verdict`` shown in the cell as a Result, and recorded (the older call)."""
    status, message = dual_numbers_verdict(Variable, ln=ln, sin=sin, exp=exp, operators=operators, mixed=mixed,
                                           seed=seed, trials=trials)
    return finish(exercise, status, message, hints)


# -- the cases: one operation on random inputs ---------------------------------------------


def _draw(rng, positive=False):
    """A short decimal: readable in a message, typed back by a student to try it."""
    x = round(float(rng.uniform(0.5, 4.0)), 1)
    return x if positive or rng.random() < 0.5 else -x


def _draw_dot(rng):
    return round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 2.0)), 1)


def _operator_case(Variable, method, symbol, op):
    def case(rng):
        require_method(Variable, method, f"x {symbol} y")
        a, b = _draw(rng), _draw(rng, positive=(method == "__truediv__"))
        da, db = _draw_dot(rng), _draw_dot(rng)
        x, y = Variable(a, da), Variable(b, db)
        where = f"for Variable({_num(a)}, {_num(da)}) {symbol} Variable({_num(b)}, {_num(db)})"
        out = call_student(f"Variable.{method}", lambda: op(x, y), where)
        _unchanged(f"Variable.{method}", ((x, "x", a, da), (y, "y", b, db)), where)
        _not_an_operand(f"Variable.{method}", out, (x, y), where)
        _compare(f"Variable.{method}", Variable, out, engine_jvp(op, (a, b), (da, db)), where,
                 rule_mistakes(_KIND[method], ((a, da), (b, db))))
    return case


def _mixed_case(Variable, method, symbol, op, left):
    """`x op c` (left=False, the method itself) or `c op x` (left=True, the reflected method)."""
    name = _REFLECTED[method] if left else method
    constant = ("a plain number is a constant: make it Variable(number, 0), with tangent 0, not 1 "
                "(`Variable(other)` does it, since dot defaults to 0)")

    def case(rng):
        usage = f"{symbol.join(('2', 'x') if left else ('x', '2'))}".replace(symbol, f" {symbol} ")
        require_method(Variable, name, usage)
        a, da = _draw(rng, positive=(left and method == "__truediv__")), _draw_dot(rng)
        c = float(rng.integers(2, 6))
        x = Variable(a, da)
        if left:
            where = f"for {_num(c)} {symbol} Variable({_num(a)}, {_num(da)})"
            out = call_student(f"Variable.{name}", lambda: op(c, x), where)
            expected = engine_jvp(lambda t: op(c, t), (a,), (da,))
            mistakes = []
            if method in ("__sub__", "__truediv__"):  # the number on the wrong side: x − 2 for 2 − x
                mistakes.append((f"it computes x {symbol} {_num(c)}: `x.{name}({_num(c)})` is Python's way of "
                                 f"asking for {_num(c)} {symbol} x, the plain number on the left (other {symbol} self)",
                                 *engine_jvp(lambda t: op(t, c), (a,), (da,))))
            mistakes.append((constant, None, finite_or_none(lambda: engine_jvp(op, (c, a), (1.0, da))[1])))
            mistakes += reflected_mistakes(method, c, a, da)
        else:
            where = f"for Variable({_num(a)}, {_num(da)}) {symbol} {_num(c)}"
            out = call_student(f"Variable.{name}", lambda: op(x, c), where)
            expected = engine_jvp(lambda t: op(t, c), (a,), (da,))
            mistakes = [(constant, None, finite_or_none(lambda: engine_jvp(op, (a, c), (da, 1.0))[1]))]
            mistakes += rule_mistakes(_KIND[method], ((a, da), (c, 0.0)))
        _unchanged(f"Variable.{name}", ((x, "x", a, da),), where)
        _not_an_operand(f"Variable.{name}", out, (x,), where)
        _compare(f"Variable.{name}", Variable, out, expected, where, mistakes)
    return case


def _function_case(Variable, name, given, reference):
    def case(rng):
        if is_placeholder(given):
            raise NotWritten
        if not callable(given):
            raise StopCheck("invalid", f"`{name}` is a {type(given).__name__}, not a function; define it with "
                                       f"`def {name}(v):`.")
        a, da = _draw(rng, positive=(name == "ln")), _draw_dot(rng)
        x = Variable(a, da)
        where = f"for {name}(Variable({_num(a)}, {_num(da)}))"
        out = call_student(f"`{name}`", lambda: given(x), where)
        _unchanged(f"`{name}`", ((x, "its argument", a, da),), where)
        _not_an_operand(f"`{name}`", out, (x,), where)
        _compare(f"`{name}`", Variable, out, engine_jvp(reference, (a,), (da,)), where,
                 rule_mistakes(_FUNCTION_KIND[name], ((a, da),)))
    return case


# -- what each case checks of the result ------------------------------------------------


def _unchanged(label, operands, where):
    for v, what, val, dot in operands:
        if val_and_dot(v) != (val, dot):
            raise StopCheck("wrong", f"your {as_code(label)} changed {what} {where}: it wrote into an operand "
                                     f"instead of making a new object; return a new Variable(value, tangent) and "
                                     f"leave the operands as they were.")


def _not_an_operand(label, out, operands, where):
    if any(out is v for v in operands):
        raise StopCheck("wrong", f"your {as_code(label)} returned one of its operands itself {where}, not a new "
                                 f"Variable; return Variable(value, tangent) with the result's value and tangent.")


def _compare(label, Variable, out, expected, where, mistakes=()):
    """out must be a Variable whose val and dot match (value, tangent); a mismatch is diagnosed, not shown."""
    if out is None:
        raise StopCheck("wrong", f"your {as_code(label)} returned nothing {where}; did it forget `return`?")
    if out is NotImplemented:
        raise StopCheck("wrong", f"your {as_code(label)} returned NotImplemented {where}; return a Variable.")
    if not is_variable(out, Variable):
        raise StopCheck("wrong", f"your {as_code(label)} returned a {type(out).__name__} ({short_text(out)}) "
                                 f"{where}, not a Variable; return Variable(value, tangent).")
    for part, (attribute, want) in enumerate(zip(("val", "dot"), expected)):
        got = as_float(attribute_or_none(out, attribute))
        if got is None:
            raise StopCheck("wrong", f"your {as_code(label)} returned a Variable whose {attribute} is "
                                     f"{short_text(attribute_or_none(out, attribute))} {where}; it should be a number.")
        if not close_enough(got, want):
            what = "value (val)" if attribute == "val" else "tangent (dot)"
            phrase, ambiguous = diagnosis(got, want, part, mistakes)
            if phrase:
                raise StopCheck("wrong", f"your {as_code(label)} gives a wrong {what} {where}: {phrase}.", ambiguous)
            advice = ("the value of the result is the operation on the values alone" if attribute == "val" else
                      "work this case out by hand with the rule from the lesson's table, and compare with "
                      "your code term by term")
            raise StopCheck("wrong", f"your {as_code(label)} gives a wrong {what} {where} "
                                     f"(yours: {number_text(got)}): {advice}.")


def _num(x):
    """A drawn input as the student would type it (real minus signs stay out of code)."""
    return f"{x:g}"


def _names(labels):
    labels = [as_code(label) for label in labels]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


__all__ = ["check_dual_numbers", "dual_numbers_verdict"]
