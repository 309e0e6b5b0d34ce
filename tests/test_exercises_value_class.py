"""The check of a student's micrograd-style Value (adlab.exercises.value_class): rule by rule, on fan-out, on a deep
chain where recursion is measured, the student's own class only, and never the expected value.

`value_class_verdict` is the check's core (status, message), which exercise 6.2 runs; `check_reverse_value`
is the same check for a notebook cell, recorded. The wrong classes below are built on `Own`, a copy of
ReferenceValue's source compiled outside adlab (as a student's class would be): a subclass of adlab's own
ReferenceValue is refused before any rule runs.
"""

import inspect
import math
import sys
import textwrap
import time
import types

import numpy as np
import pytest

from adlab.course import stub_solutions
from adlab.exercises import value_class
from adlab.exercises.feedback import PROGRESS_FILE
from adlab.exercises.reference_value import ReferenceValue
from adlab.exercises.value_class import borrowed, check_reverse_value, value_class_verdict


@pytest.fixture(autouse=True)
def in_a_student_folder(tmp_path, monkeypatch):
    """Checks record progress in the working directory: give each test its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return tmp_path


# The lesson's class as the instructor writes it: scaffold outside the markers, rules and backward() inside.
LESSON_CLASS = '''
import math

class Value:
    """A number that remembers how it was made."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._op = op
        self._backward = lambda: None

    @staticmethod
    def lift(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value.lift(other)
        out = Value(self.data + other.data, (self, other), "+")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += out.grad
            other.grad += out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = Value.lift(other)
        out = Value(self.data - other.data, (self, other), "-")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += out.grad
            other.grad -= out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value.lift(other)
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = Value.lift(other)
        out = Value(self.data / other.data, (self, other), "/")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data ** 2 * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def __radd__(self, other):
        return Value.lift(other) + self

    def __rsub__(self, other):
        return Value.lift(other) - self

    def __rmul__(self, other):
        return Value.lift(other) * self

    def __rtruediv__(self, other):
        return Value.lift(other) / self

    def log(self):
        out = Value(math.log(self.data), (self,), "log")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += out.grad / self.data
            ### END SOLUTION
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")
        def _backward():
            ### BEGIN SOLUTION
            self.grad += out.data * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def backward(self):
        ### BEGIN SOLUTION
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION
'''


def define(source):
    namespace = {"np": np}
    exec(compile(textwrap.dedent(source), "your answer cell", "exec"), namespace)
    return namespace["Value"]


def _own_copy():
    """ReferenceValue's own source, compiled outside adlab: a correct class that is not adlab's."""
    namespace = {"math": math, "np": np, "_nothing": lambda: None, "_one_number": float}
    exec(compile(inspect.getsource(ReferenceValue), "a student's notebook", "exec"), namespace)
    return namespace["ReferenceValue"]


Own = _own_copy()


def test_the_lesson_class_and_a_copy_of_the_reference_pass_quickly():
    start = time.perf_counter()
    result = check_reverse_value("6.2", define(LESSON_CLASS))
    assert result.ok, result.message
    assert time.perf_counter() - start < 5  # well under 1 s on a quiet machine
    assert result.message == ("correct: every local rule, Eq. 5 at (3, −4), 12 random graphs with fan-out, "
                              "and a 5,000-deep chain.")
    assert check_reverse_value("6.2", Own, seed=3).ok


def test_the_core_returns_status_and_message_and_records_nothing(in_a_student_folder):
    assert value_class_verdict(define(LESSON_CLASS)) == (
        "correct", "correct: every local rule, Eq. 5 at (3, −4), 12 random graphs with fan-out, and a 5,000-deep "
                   "chain.")
    assert value_class_verdict(WrongMul)[0] == "wrong"
    assert not (in_a_student_folder / PROGRESS_FILE).exists()
    check_reverse_value("6.2", WrongMul)  # the wrapper records
    assert (in_a_student_folder / PROGRESS_FILE).exists()


def test_the_student_copy_of_the_class_is_not_answered_yet():
    stubbed = define(stub_solutions(LESSON_CLASS))
    result = check_reverse_value("6.2", stubbed)
    assert result.status == "unanswered"
    assert result.message.startswith("not answered yet: `Value.__add__` backward rule still raises")
    assert check_reverse_value("6.2", ...).status == "unanswered"
    assert check_reverse_value("6.2", None).status == "unanswered"


def test_rules_written_but_backward_not_yet():
    source = LESSON_CLASS.replace("        ### BEGIN SOLUTION\n        order", "        raise NotImplementedError\n"
                                  "        ### BEGIN SOLUTION\n        order")
    result = check_reverse_value("6.2", define(source))
    assert result.status == "unanswered" and "`Value.backward()` still raises NotImplementedError" in result.message


# -- the student's own class, not adlab's -------------------------------------------------------


class Subclass(ReferenceValue):
    pass


def _methods_from_adlab():
    class Copied(Own):
        pass
    Copied.__add__ = ReferenceValue.__add__  # one rule taken from adlab
    return Copied


def _code_from_adlab():
    class Rebuilt(Own):
        pass
    rule = ReferenceValue.__mul__
    Rebuilt.__mul__ = types.FunctionType(rule.__code__, {"__builtins__": __builtins__}, "__mul__")  # its code, copied
    return Rebuilt


class MakesReference(Own):
    def __new__(cls, *args, **kwargs):
        return ReferenceValue(*args, **kwargs)


@pytest.mark.parametrize("Value, words", [
    (ReferenceValue, "`ReferenceValue` is adlab's ReferenceValue itself (an alias, not a class of your own)"),
    (Subclass, "your `Subclass` is built on adlab's ReferenceValue (a subclass of it)"),
    (_methods_from_adlab(), "your `Copied.__add__` comes from adlab"),
    (_code_from_adlab(), "your `Rebuilt.__mul__` comes from adlab"),
    (MakesReference, "`MakesReference(2.0)` made an instance of adlab's `ReferenceValue`"),
])
def test_adlab_s_reference_under_any_name_is_refused(Value, words):
    status, message = value_class_verdict(Value)
    assert status == "wrong"
    assert message.startswith(words), message
    assert message.endswith("write the class yourself (the check runs your own rules, not adlab's).")
    assert check_reverse_value("6.2", Value).status == "wrong"


def test_borrowed_names_nothing_in_a_class_of_the_student_s_own():
    assert borrowed(define(LESSON_CLASS)) is None
    assert borrowed(Own) is None
    assert borrowed(WrongMul) is None


# -- recursion, measured by the check --------------------------------------------------------


class Recursive(Own):
    def topological_order(self):  # micrograd's build_topo
        order, seen = [], set()

        def build(node):
            if node not in seen:
                seen.add(node)
                for parent in node._parents:
                    build(parent)
                order.append(node)
        build(self)
        return order


RECURSES = ("your `Recursive.backward()` recurses, one nested call per level of the graph, on a 5,000-deep chain: "
            "order the nodes with a loop and an explicit stack, not recursion (raising the recursion limit only "
            "moves the wall).")


def test_a_recursive_topological_sort_fails_on_the_deep_chain():
    result = check_reverse_value("6.2", Recursive)
    assert result.status == "wrong"
    assert result.message == RECURSES
    assert check_reverse_value("6.2", Recursive, depth=20).ok  # shallow graphs are fine
    assert not check_reverse_value("6.2", Recursive, depth=200).ok  # the nesting is measured, not the limit hit


def test_a_recursive_sort_is_refused_whatever_the_recursion_limit():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        assert value_class_verdict(Recursive) == ("wrong", RECURSES)
        assert sys.getrecursionlimit() == 100_000  # the check puts the student's limit back
    finally:
        sys.setrecursionlimit(limit)


class CatchesRecursion(Recursive):
    """Recursion first, a loop when the recursion limit is hit: still a recursive sort on deep graphs."""

    def topological_order(self):
        try:
            return Recursive.topological_order(self)
        except RecursionError:
            return Own.topological_order(self)


def test_recursion_that_falls_back_to_a_loop_is_still_measured():
    status, message = value_class_verdict(CatchesRecursion)
    assert status == "wrong" and "recurses, one nested call per level" in message


class ResetsTheLimit(Recursive):
    def backward(self):
        sys.setrecursionlimit(100_000)  # raised inside backward(), under the check's own limit
        Recursive.backward(self)


def test_a_limit_raised_inside_backward_is_caught_by_the_nesting_probe():
    limit = sys.getrecursionlimit()
    try:
        status, message = value_class_verdict(ResetsTheLimit)
    finally:
        sys.setrecursionlimit(limit)
    assert status == "wrong" and "recurses, one nested call per level" in message
    assert sys.getprofile() is None


# -- wrong rules: named, diagnosed, never the expected value ---------------------------------


class Overwrites(Own):
    """Every rule assigns (=) instead of adding (+=): right until a value is used twice."""

    def __add__(self, other):
        other = self.lift(other)
        out = Overwrites(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self.lift(other)
        out = Overwrites(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


def test_overwriting_instead_of_adding_is_caught_as_fan_out():
    result = check_reverse_value("6.2", Overwrites)
    assert result.status == "wrong"
    assert result.message == (
        "your `Overwrites.__add__` backward gives x.grad = 2 for out = x + x at x=2 with out.grad = 2: x is used "
        "twice here (fan-out), so x.grad must receive both contributions; add each one with +=, never overwrite "
        "with =.")


class WrongMul(Own):
    def __mul__(self, other):
        other = self.lift(other)
        out = WrongMul(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad      # should be other.data
            other.grad += self.data * out.grad
        out._backward = _backward
        return out


class ForgetsOutGrad(Own):
    def __mul__(self, other):
        other = self.lift(other)
        out = ForgetsOutGrad(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data
            other.grad += self.data
        out._backward = _backward
        return out


def test_a_wrong_rule_is_named_with_the_operation_and_the_point_but_not_the_expected_value():
    result = check_reverse_value("6.2", WrongMul)
    assert result.status == "wrong"
    assert result.message == ("your `WrongMul.__mul__` backward gives x.grad = 4 for out = x * y at x=2, y=3 "
                              "with out.grad = 2: x.grad must receive out.grad × ∂out/∂x, the local partial of "
                              "x * y (see the table of local partials).")
    assert len(result.message.splitlines()) == 1
    assert "6" not in result.message and "expected" not in result.message
    forgets = check_reverse_value("6.2", ForgetsOutGrad)
    assert forgets.message.endswith(": the rule must multiply by out.grad (the chain rule).")
    assert "6" not in forgets.message


class CompositeSub(Own):
    """micrograd writes x - y as x + (-y): two nodes; its rule shows through backward()."""

    def __sub__(self, other):
        return self + (-1.0) * self.lift(other)

    def __rsub__(self, other):
        return self.lift(other) + (-1.0) * self


def test_an_operation_made_of_several_nodes_is_checked_through_backward():
    assert check_reverse_value("6.2", CompositeSub).ok


class VisitsTwice(Own):
    def topological_order(self):  # no "seen" set: a node used twice is swept twice
        order, stack = [], [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        return order


def test_a_sweep_that_visits_a_shared_node_twice_is_caught_on_a_random_graph():
    result = check_reverse_value("6.2", VisitsTwice, depth=10)
    assert result.status == "wrong"
    first, *program = result.message.splitlines()
    assert first.startswith("your `VisitsTwice.backward()` gives x")
    assert "on this random graph at x1=" in first and "which is not its derivative" in first
    assert "expected" not in result.message
    assert program[0].startswith("  v1 = ") and any(line.startswith("  y = ") for line in program)
    assert program[-1].startswith("backward() must call each node's _backward exactly once")


class NoLog(Own):
    log = None


class Crashes(Own):
    def exp(self):
        out = Crashes(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad * undefined_name  # noqa: F821
        out._backward = _backward
        return out


def test_missing_methods_a_crash_and_an_instance_each_get_one_line():
    missing = check_reverse_value("6.2", NoLog)
    assert missing.status == "wrong" and missing.message.startswith("your `NoLog` has no `log` method;")
    crash = check_reverse_value("6.2", Crashes)
    assert crash.status == "wrong"
    assert crash.message == "your `Crashes.exp` backward rule raised NameError: name 'undefined_name' is not defined"
    instance = check_reverse_value("6.2", Own(2.0))
    assert instance.status == "invalid" and "pass the class itself" in instance.message
    for result in (missing, crash, instance):
        assert len(result.message.splitlines()) == 1


class NoSeed(Own):
    def backward(self):  # forgets self.grad = 1
        for node in reversed(self.topological_order()):
            node._backward()


class SweepsInOrder(Own):
    def backward(self):  # the output first, then the order not reversed: v1 is swept before v3 fills its grad
        self.grad = 1.0
        self._backward()
        for node in self.topological_order()[:-1]:
            node._backward()


def test_a_sweep_without_the_seed_or_in_the_wrong_order_is_told_where_to_look():
    result = check_reverse_value("6.2", NoSeed)
    assert result.status == "wrong"
    assert result.message.startswith("your `NoSeed.backward()` gives x1.grad = 0 for Eq. 5")
    assert "backward() must set y.grad = 1, then call each node's _backward from the output back" in result.message
    order = value_class_verdict(SweepsInOrder)
    assert order[0] == "wrong" and "each rule passed on its own, so look at backward()" in order[1]
    for message in (result.message, order[1]):
        assert "4.333" not in message and "−4.3333" not in message and "expected" not in message


class ZeroDimensional(Own):
    def __init__(self, data, parents=(), op=""):
        super().__init__(data, parents, op)
        self.data, self.grad = np.asarray(float(data)), np.zeros(())


class OneEntryGrad(Own):
    def __init__(self, data, parents=(), op=""):
        super().__init__(data, parents, op)
        self.grad = np.zeros(1)


def test_a_grad_that_starts_as_a_0_d_array_is_accepted_and_an_array_is_told_in_one_sentence():
    assert value_class_verdict(ZeroDimensional)[0] == "correct"
    status, message = value_class_verdict(OneEntryGrad)
    assert status == "wrong"
    assert message == ("`OneEntryGrad(2.0).grad` is an array of shape (1,); a grad is one number: start it at 0.0 "
                       "(a 0-d array such as np.zeros(()) is fine too).")


class Endless(Own):
    def backward(self):
        while True:
            pass


def test_a_class_that_never_finishes_is_stopped(monkeypatch):
    monkeypatch.setattr(value_class, "SECONDS", 1.0)
    status, message = value_class_verdict(Endless)
    assert status == "wrong"
    assert message == ("checking your `Endless` did not finish within 1 s: look for a loop that never ends (or a "
                       "sleep), fix it, then run the check again.")


class Prints(Own):
    def backward(self):
        print("sweeping")
        Own.backward(self)


def test_the_student_s_prints_do_not_reach_the_check_s_output(capsys):
    assert value_class_verdict(Prints)[0] == "correct"
    assert capsys.readouterr().out == ""


class OrderNotWritten(Own):
    def topological_order(self):
        raise NotImplementedError("your code here")


def test_a_stub_called_by_backward_is_named():
    result = check_reverse_value("6.2", OrderNotWritten)
    assert result.status == "unanswered"
    assert result.message.startswith("not answered yet: `OrderNotWritten.backward()` still raises "
                                     "NotImplementedError (in `topological_order`)")
