"""adlab.exercises.dual_numbers and dual_trace: a student's Variable(val, dot) checked operation by operation, and
along Table 2."""

import math
import re
import types

import numpy as np
import pytest

import adlab
from adlab.exercises.dual_numbers import check_dual_numbers, dual_numbers_verdict
from adlab.exercises.dual_trace import check_dual_trace, dual_trace_verdict
from course import seed_example


@pytest.fixture(autouse=True)
def in_a_student_folder(tmp_path, monkeypatch):
    """Checks record progress in the working directory: give each test its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return tmp_path


# -- a right class, as a student writes it, and typical slips ----------------------------


def lift(x):
    return x if isinstance(x, Variable) else Variable(x, 0.0)


class Variable:
    def __init__(self, val, dot=0):
        self.val = val
        self.dot = dot

    def __repr__(self):
        return f"Variable({self.val}, {self.dot})"

    def __add__(self, other):
        other = lift(other)
        return Variable(self.val + other.val, self.dot + other.dot)

    def __sub__(self, other):
        other = lift(other)
        return Variable(self.val - other.val, self.dot - other.dot)

    def __mul__(self, other):
        other = lift(other)
        return Variable(self.val * other.val, self.dot * other.val + self.val * other.dot)

    def __truediv__(self, other):
        other = lift(other)
        return Variable(self.val / other.val, (self.dot * other.val - self.val * other.dot) / other.val ** 2)

    def __radd__(self, other):
        return lift(other) + self

    def __rsub__(self, other):
        return lift(other) - self

    def __rmul__(self, other):
        return lift(other) * self

    def __rtruediv__(self, other):
        return lift(other) / self


def ln(v):
    return Variable(math.log(v.val), v.dot / v.val)


def sin(v):
    return Variable(math.sin(v.val), math.cos(v.val) * v.dot)


def exp(v):
    return Variable(math.exp(v.val), math.exp(v.val) * v.dot)


def variant(drop=(), **methods):
    """The right class with some methods replaced or dropped; results are built with the variant itself."""
    namespace = {name: value for name, value in vars(Variable).items()
                 if name not in ("__dict__", "__weakref__", *drop)}
    namespace.update(methods)
    cls = type("Variable", (), namespace)
    globals_ = Variable.__add__.__globals__

    def rebuilt(name):  # every method returns instances of cls, as the student's own class would
        method = namespace[name]
        return types.FunctionType(method.__code__, {**globals_, "Variable": cls, "lift": lambda x: x if hasattr(x, "val")
                                         else cls(x, 0.0)}, method.__name__, method.__defaults__, method.__closure__)

    for name in namespace:
        if callable(namespace[name]) and name not in ("__init__", "__repr__"):
            setattr(cls, name, rebuilt(name))
    return cls


def stub(self, other):
    raise NotImplementedError("your code here")


_CASE = re.compile(r"for (?:(?P<f>ln|sin|exp)\(Variable\((?P<fa>[-\d.]+), (?P<fda>[-\d.]+)\)\)"
                   r"|Variable\((?P<a>[-\d.]+), (?P<da>[-\d.]+)\) (?P<op>[-+*/]) (?:Variable\((?P<b>[-\d.]+), "
                   r"(?P<db>[-\d.]+)\)|(?P<c>[-\d.]+))"
                   r"|(?P<lc>[-\d.]+) (?P<lop>[-+*/]) Variable\((?P<la>[-\d.]+), (?P<lda>[-\d.]+)\))")
_OPS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y}


def expected_of(message):
    """The engine's (val, dot) for the case a message names ("for Variable(2, 1) * Variable(3, 0.5)", …)."""
    m = _CASE.search(message)
    assert m, f"no case named in {message!r}"
    g = {k: (float(v) if k not in ("f", "op", "lop") else v) for k, v in m.groupdict().items() if v is not None}
    if "f" in g:
        return adlab.jvp({"ln": np.log, "sin": np.sin, "exp": np.exp}[g["f"]], (g["fa"],), (g["fda"],))
    if "lop" in g:
        return adlab.jvp(lambda t: _OPS[g["lop"]](g["lc"], t), (g["la"],), (g["lda"],))
    if "c" in g:
        return adlab.jvp(lambda t: _OPS[g["op"]](t, g["c"]), (g["a"],), (g["da"],))
    return adlab.jvp(_OPS[g["op"]], (g["a"], g["b"]), (g["da"], g["db"]))


def assert_no_expected_value(message):
    """Neither the expected val nor the expected dot of the named case, at 2, 3 or 4 decimals."""
    for value in expected_of(message):
        for decimals in (2, 3, 4):
            text = f"{float(value):.{decimals}f}"
            for form in (text, text.replace("-", "−")):
                assert form not in message, f"{form} (expected) in {message!r}"


def test_a_right_class_and_functions_pass():
    result = check_dual_numbers("4.1", Variable)
    assert result.status == "correct", result.message
    assert "`Variable.__add__`, `Variable.__sub__`, `Variable.__mul__` and `Variable.__truediv__`" in result.message
    result = check_dual_numbers("4.2", Variable, ln=ln, sin=sin, exp=exp, operators=False)
    assert result.status == "correct", result.message
    assert check_dual_numbers("4.6", Variable, operators=False, mixed=True).ok


def test_product_rule_with_a_sign_slip_is_named():
    Slip = variant(__mul__=lambda self, other: Variable(self.val * other.val,
                                                        self.dot * other.val - self.val * other.dot))
    result = check_dual_numbers("4.1", Slip)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__mul__` gives a wrong tangent (dot) for Variable(")
    assert ") * Variable(" in result.message and "the product rule's two terms are subtracted" in result.message
    assert "expected" not in result.message and "\n" not in result.message
    assert_no_expected_value(result.message)


def test_quotient_rule_wrong_is_named():
    Wrong = variant(__truediv__=lambda self, other: Variable(
        self.val / other.val, (self.val * other.dot - self.dot * other.val) / other.val ** 2))  # numerator swapped
    result = check_dual_numbers("4.1", Wrong)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__truediv__` gives a wrong tangent (dot) for Variable(")
    assert ") / Variable(" in result.message and "numerator is reversed" in result.message
    assert_no_expected_value(result.message)


def test_sin_with_minus_cos_is_named():
    result = check_dual_numbers("4.2", Variable, ln=ln, sin=lambda v: Variable(math.sin(v.val), -math.cos(v.val) * v.dot),
                                exp=exp, operators=False)
    assert result.status == "wrong"
    assert result.message.startswith("your `sin` gives a wrong tangent (dot) for sin(Variable(")
    assert "sin's derivative is +cos" in result.message
    assert_no_expected_value(result.message)


def test_forgot_the_dot_in_add():
    Forgot = variant(__add__=lambda self, other: Variable(self.val + other.val))
    result = check_dual_numbers("4.1", Forgot)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__add__` gives a wrong tangent (dot) for Variable(")
    assert "the tangent is 0: the new Variable got no tangent" in result.message


def test_stubs_only_are_not_answered_yet():
    Stubs = variant(__add__=stub, __sub__=stub, __mul__=stub, __truediv__=stub)
    result = check_dual_numbers("4.1", Stubs)
    assert result.status == "unanswered"
    assert result.message.startswith("not answered yet")

    def stub_function(v):
        raise NotImplementedError("write ln")

    result = check_dual_numbers("4.2", Stubs, ln=stub_function, sin=stub_function, exp=stub_function,
                                operators=False)
    assert result.status == "unanswered" and result.message.startswith("not answered yet")
    assert check_dual_numbers("4.1", ...).status == "unanswered"


def test_partly_written_names_what_is_still_to_write():
    Partly = variant(__mul__=stub, __truediv__=stub)
    result = check_dual_numbers("4.1", Partly)
    assert result.status == "unanswered"
    assert result.message == ("`Variable.__add__` and `Variable.__sub__` are right; "
                              "still to write: `Variable.__mul__` and `Variable.__truediv__`.")


def test_partly_written_with_a_mistake_is_wrong():
    Partly = variant(__add__=lambda self, other: Variable(self.val + other.val, self.dot), __truediv__=stub)
    result = check_dual_numbers("4.1", Partly)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__add__` gives a wrong tangent (dot) for Variable(")
    assert "only self's tangent is passed on" in result.message


def test_returning_a_float_is_named():
    Floats = variant(__sub__=lambda self, other: self.val - other.val)
    result = check_dual_numbers("4.1", Floats)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__sub__` returned a float (")
    assert "not a Variable; return Variable(value, tangent)." in result.message


def test_returning_nothing_is_named():
    Nothing = variant(__add__=lambda self, other: None)
    result = check_dual_numbers("4.1", Nothing)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__add__` returned nothing for Variable(")


def test_an_exception_is_one_line_naming_the_method():
    def divide(self, other):
        return Variable(self.val / other.val, (self.dot * other.val - self.val * other.dot) / 0.0)

    result = check_dual_numbers("4.1", variant(__truediv__=divide))
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__truediv__` raised ZeroDivisionError for Variable(")
    assert result.message.endswith(": float division by zero")
    assert "\n" not in result.message and "Traceback" not in repr(result)


def test_a_missing_method_says_what_to_define():
    NoDivide = variant(drop=("__truediv__",))
    result = check_dual_numbers("4.1", NoDivide)
    assert result.status == "invalid"
    assert result.message == ("your Variable has no `__truediv__`: define `def __truediv__(self, other):` inside the "
                              "class, so that `x / y` works.")


def test_a_class_without_dot_or_not_a_class():
    class NoDot:
        def __init__(self, val, dot=0):
            self.val = val

    result = check_dual_numbers("4.1", NoDot)
    assert result.status == "invalid" and "has no `.dot`" in result.message
    assert check_dual_numbers("4.1", 3.0).status == "invalid"


def test_changing_an_operand_in_place_is_named():
    def add_in_place(self, other):
        self.val += other.val
        self.dot += other.dot
        return self

    result = check_dual_numbers("4.1", variant(__add__=add_in_place))
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__add__` changed x for Variable(")
    assert "return a new Variable" in result.message and " to Variable(" not in result.message


def test_mixing_with_plain_numbers():
    NoRadd = variant(drop=("__radd__",))
    result = check_dual_numbers("4.6", NoRadd, operators=False, mixed=True)
    assert result.status == "invalid" and "`__radd__`" in result.message and "`2 + x` works" in result.message

    Strict = variant(__add__=lambda self, other: Variable(self.val + other.val, self.dot + other.dot))
    result = check_dual_numbers("4.6", Strict, operators=False, mixed=True)
    assert result.status == "wrong"
    assert result.message.startswith("your `Variable.__add__` raised AttributeError for Variable(")
    assert ") + " in result.message

    Stubbed = variant(__radd__=stub, __rsub__=stub, __rmul__=stub, __rtruediv__=stub)
    result = check_dual_numbers("4.6", Stubbed, operators=False, mixed=True)
    assert result.status == "unanswered"
    assert "still to write: `Variable.__radd__`, `Variable.__rsub__`, `Variable.__rmul__` and " \
           "`Variable.__rtruediv__`" in result.message


def test_the_same_inputs_every_run():
    Slip = variant(__mul__=lambda self, other: Variable(self.val * other.val, self.dot * other.val))
    assert check_dual_numbers("4.1", Slip).message == check_dual_numbers("4.1", Slip).message
    assert check_dual_numbers("4.1", Slip).message != check_dual_numbers("4.1", Slip, seed=1).message


# -- Table 2, run with the student's class -----------------------------------------------


@pytest.fixture(scope="module")
def table2():
    return adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0)


def test_table_2_with_a_right_class(table2):
    result = check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2, ln=ln)
    assert result.status == "correct", result.message
    lines = result.message.splitlines()
    assert lines[0] == "correct: your Variable gives every row's value and tangent; y = −17.0986, ẏ = 4."
    assert [line.split() for line in lines[1:3]] == [["row", "value", "tangent"], ["v₋₁", "3", "0"]]
    assert lines[-1].split() == ["v₄", "−17.0986", "4"] and len(lines) == 1 + 1 + 6
    # one column for values, one for tangents, each starting where its heading does
    for heading in ("value", "tangent"):
        column = lines[1].index(heading)
        assert all(line[column - 1] == " " != line[column] for line in lines[2:]), lines


def test_table_2_with_the_wrong_seed_names_the_input_rows(table2):
    result = check_dual_trace("4.3", Variable, (Variable(3.0, 1.0), Variable(-4.0, 0.0)), table2, ln=ln)
    assert result.status == "wrong"
    assert result.message.startswith("6 of 12 entries wrong, running your Variable along the trace:")
    assert "row v̇₋₁ (ẋ₁): not the seed this sweep needs" in result.message
    assert "row v̇₀ (ẋ₂): not the seed this sweep needs" in result.message
    assert "row v̇₄: right for the rows it reads: the slip is in a row above (or in the seed)" in result.message
    assert "expected" not in result.message and "yours" not in result.message


def test_table_2_with_the_inputs_swapped_says_so(table2):
    result = check_dual_trace("4.3", Variable, (Variable(-4.0, 1.0), Variable(3.0, 0.0)), table2, ln=ln)
    assert result.status == "wrong"
    assert result.message.startswith("x1 and x2 are swapped: each Variable goes with its own input")
    assert "the value goes first" not in result.message and "x₁ = 3, x₂ = −4" in result.message


def test_table_2_with_value_and_tangent_swapped(table2):
    result = check_dual_trace("4.3", Variable, (Variable(0.0, 3.0), Variable(1.0, -4.0)), table2, ln=ln)
    assert result.status == "wrong"
    assert result.message.startswith("x1 has val = 0 and dot = 3, but the trace is at x1 = 3: value and tangent "
                                     "are swapped")


def test_table_2_with_a_sign_slip_in_the_product_rule(table2):
    Slip = variant(__mul__=lambda self, other: Variable(self.val * other.val,
                                                        self.dot * other.val - self.val * other.dot))
    result = check_dual_trace("4.3", Slip, (Slip(3.0, 0.0), Slip(-4.0, 1.0)), table2, ln=ln)
    assert result.status == "wrong"
    assert "row v̇₁: your `Variable.__mul__` gives a wrong tangent: the product rule's two terms are subtracted" \
        in result.message
    assert "row v̇₃: right for the rows it reads" in result.message and "expected" not in result.message


def test_table_2_not_answered_yet(table2):
    result = check_dual_trace("4.3", Variable, (..., ...), table2, ln=ln)
    assert result.status == "unanswered" and result.message.startswith("not answered yet: replace the ...")
    assert check_dual_trace("4.3", Variable, ..., table2, ln=ln).status == "unanswered"
    result = check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), ...), table2, ln=ln)
    assert result.status == "unanswered" and "x2 is still `...`" in result.message
    Stubs = variant(__mul__=stub)
    result = check_dual_trace("4.3", Stubs, (Stubs(3.0, 0.0), Stubs(-4.0, 1.0)), table2, ln=ln)
    assert result.status == "unanswered"
    assert result.message == "row v₁ needs your `Variable.__mul__`, which is not written yet."


def test_instances_of_an_earlier_run_of_the_class_cell_are_accepted(table2):
    Rerun = variant()  # the student ran the class cell again after making x1, x2
    result = check_dual_trace("4.3", Rerun, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2, ln=ln)
    assert result.ok, result.message


def test_table_2_with_floats_or_an_exception(table2):
    result = check_dual_trace("4.3", Variable, (3.0, -4.0), table2, ln=ln)
    assert result.status == "invalid" and result.message.startswith("x1 is a float (3); make it a Variable")

    def bad_ln(v):
        return math.log(v.val)

    result = check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2, ln=bad_ln)
    assert result.status == "wrong"
    assert result.message.startswith("your `ln` returned a float (1.0986) in row v₂ = ln(v₋₁)")

    def raising_ln(v):
        return Variable(math.log(v.val), v.dot / 0.0)

    result = check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2, ln=raising_ln)
    assert result.status == "wrong"
    assert result.message == "your `ln` raised ZeroDivisionError in row v₂ = ln(v₋₁): float division by zero"


def test_an_authors_mistake_raises(table2):
    with pytest.raises(ValueError, match="forward sweep"):
        check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2.reverse(), ln=ln)
    with pytest.raises(ValueError, match="pass the student's function"):
        check_dual_trace("4.3", Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2)


def test_under_nbgrader_a_wrong_class_fails_the_test_cell(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    Forgot = variant(__add__=lambda self, other: Variable(self.val + other.val))
    with pytest.raises(AssertionError, match="Variable.__add__"):
        check_dual_numbers("4.1", Forgot)


# -- the verdicts: (status, message), nothing recorded, each mistake named without the expected value -----


@pytest.mark.parametrize("method, body, words", [
    ("__mul__", lambda self, other: Variable(self.val * other.val, self.dot * other.val),
     "the product rule's second term is missing"),
    ("__mul__", lambda self, other: Variable(self.val * other.val, self.val * other.dot),
     "the product rule's first term is missing"),
    ("__mul__", lambda self, other: Variable(self.val * other.val, self.dot * other.dot),
     "the tangents are multiplied together"),
    ("__truediv__", lambda self, other: Variable(self.val / other.val,
                                                 (self.dot * other.val - self.val * other.dot) / other.val),
     "the quotient rule without the square"),
    ("__truediv__", lambda self, other: Variable(self.val / other.val, self.dot / other.val),
     "the quotient rule's second term is missing"),
    ("__sub__", lambda self, other: Variable(self.val - other.val, self.dot + other.dot), "ẇ is added"),
    ("__sub__", lambda self, other: Variable(other.val - self.val, other.dot - self.dot), "the operands are reversed"),
    ("__add__", lambda self, other: Variable(self.val + other.val, self.val + other.val), "the tangent adds the values"),
])
def test_each_rule_mistake_is_named_without_the_expected_value(tmp_path, method, body, words):
    status, message = dual_numbers_verdict(variant(**{method: body}))
    assert status == "wrong" and words in message, message
    assert message.startswith(f"your `Variable.{method}` gives a wrong ")
    assert "expected" not in message and "yours" not in message
    assert_no_expected_value(message)
    assert not (tmp_path / ".adlab-progress.json").exists(), "a verdict records nothing"


@pytest.mark.parametrize("name, function, words", [
    ("ln", lambda v: Variable(math.log(v.val), v.dot * v.val), "ln's tangent divides by the value"),
    ("ln", lambda v: Variable(math.log(v.val), 1 / v.val), "the chain rule's factor v̇ is missing"),
    ("sin", lambda v: Variable(math.sin(v.val), v.dot * math.sin(v.val)), "sin's derivative is cos, not sin"),
    ("exp", lambda v: Variable(math.exp(v.val), math.exp(v.val)), "the chain rule's factor v̇ is missing"),
    ("exp", lambda v: Variable(math.exp(v.val), v.dot), "exp's derivative is exp itself"),
])
def test_each_function_mistake_is_named(name, function, words):
    given = {"ln": ln, "sin": sin, "exp": exp, name: function}
    status, message = dual_numbers_verdict(Variable, operators=False, **given)
    assert status == "wrong" and message.startswith(f"your `{name}` gives a wrong tangent (dot) for {name}(Variable(")
    assert words in message
    assert_no_expected_value(message)


@pytest.mark.parametrize("methods, words", [
    ({"__rsub__": lambda self, other: self - lift(other)}, "it computes x − "),
    ({"__rtruediv__": lambda self, other: self / lift(other)}, "it computes x / "),
    ({"__rtruediv__": lambda self, other: Variable(other / self.val, other * self.dot / self.val ** 2)},
     "the sign is flipped"),
    ({"__add__": lambda self, other: Variable(self.val + (other.val if hasattr(other, "val") else other),
                                              self.dot + (other.dot if hasattr(other, "dot") else 1.0))},
     "a plain number is a constant"),
])
def test_reflected_mistakes_are_named(methods, words):
    status, message = dual_numbers_verdict(variant(**methods), operators=False, mixed=True)
    assert status == "wrong" and words.replace("−", "-") in message.replace("−", "-"), message
    assert_no_expected_value(message)


def test_a_reflected_method_that_calls_itself_is_named():
    Loop = variant(__rmul__=lambda self, other: other * self)
    status, message = dual_numbers_verdict(Loop, operators=False, mixed=True)
    assert status == "wrong" and "calls itself without end" in message and "Variable(other)" in message


def test_a_class_that_never_finishes_is_stopped():
    def forever(self, other):
        while True:
            pass

    status, message = dual_numbers_verdict(variant(__add__=forever), seconds=0.5)
    assert status == "wrong" and "did not finish within 0.5 s" in message


def test_the_trace_verdict_records_nothing(tmp_path, table2):
    status, message = dual_trace_verdict(Variable, (Variable(3.0, 0.0), Variable(-4.0, 1.0)), table2, ln=ln)
    assert status == "correct" and message.startswith("correct: your Variable gives every row's value and tangent")
    assert not (tmp_path / ".adlab-progress.json").exists()
