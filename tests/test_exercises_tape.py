"""check_reverse_value: a student's micrograd-style Value, checked rule by rule, on fan-out and on a deep chain."""

import math
import textwrap
import time

import pytest

from adlab.course import stub_solutions
from adlab.exercises.tape import ReferenceValue, check_reverse_value


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
    namespace = {}
    exec(textwrap.dedent(source), namespace)
    return namespace["Value"]


def test_the_lesson_class_and_the_reference_pass_quickly():
    start = time.perf_counter()
    result = check_reverse_value("6.2", define(LESSON_CLASS))
    assert result.ok, result.message
    assert time.perf_counter() - start < 5  # well under 1 s on a quiet machine
    assert result.message == ("correct: every local rule, Eq. 5 at (3, −4), 12 random graphs with fan-out, "
                              "and a 5,000-deep chain.")
    assert check_reverse_value("6.2", ReferenceValue, seed=3).ok


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


class Recursive(ReferenceValue):
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


def test_a_recursive_topological_sort_fails_on_the_deep_chain():
    result = check_reverse_value("6.2", Recursive)
    assert result.status == "wrong"
    assert result.message == ("your backward() hit Python's recursion limit on a 5,000-deep chain: order the "
                              "nodes with a loop and an explicit stack, not recursion.")
    assert check_reverse_value("6.2", Recursive, depth=200).ok  # shallow graphs are fine


class Overwrites(ReferenceValue):
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
        "your `Overwrites.__add__` backward gives x.grad = 2 for out = x + x at x=2 with out.grad = 2; expected 4: "
        "x is used twice here (fan-out), so x.grad must receive both contributions; add each one with +=, "
        "never overwrite with =.")


class WrongMul(ReferenceValue):
    def __mul__(self, other):
        other = self.lift(other)
        out = WrongMul(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad      # should be other.data
            other.grad += self.data * out.grad
        out._backward = _backward
        return out


class ForgetsOutGrad(ReferenceValue):
    def __mul__(self, other):
        other = self.lift(other)
        out = ForgetsOutGrad(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data
            other.grad += self.data
        out._backward = _backward
        return out


def test_a_wrong_rule_is_named_with_the_operation_the_point_and_both_values():
    result = check_reverse_value("6.2", WrongMul)
    assert result.status == "wrong"
    assert result.message == ("your `WrongMul.__mul__` backward gives x.grad = 4 for out = x * y at x=2, y=3 "
                              "with out.grad = 2; expected 6.")
    assert len(result.message.splitlines()) == 1
    forgets = check_reverse_value("6.2", ForgetsOutGrad)
    assert "expected 6: the rule must multiply by out.grad (the chain rule)." in forgets.message


class CompositeSub(ReferenceValue):
    """micrograd writes x - y as x + (-y): two nodes; its rule shows through backward()."""

    def __sub__(self, other):
        return self + (-1.0) * self.lift(other)

    def __rsub__(self, other):
        return self.lift(other) + (-1.0) * self


def test_an_operation_made_of_several_nodes_is_checked_through_backward():
    assert check_reverse_value("6.2", CompositeSub).ok


class VisitsTwice(ReferenceValue):
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
    assert "on this random graph at x1=" in first
    assert program[0].startswith("  v1 = ") and any(line.startswith("  y = ") for line in program)
    assert program[-1].startswith("backward() must call each node's _backward exactly once")


class NoLog(ReferenceValue):
    log = None


class Crashes(ReferenceValue):
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
    instance = check_reverse_value("6.2", ReferenceValue(2.0))
    assert instance.status == "invalid" and "pass the class itself" in instance.message
    for result in (missing, crash, instance):
        assert len(result.message.splitlines()) == 1


class NoSeed(ReferenceValue):
    def backward(self):  # forgets self.grad = 1
        for node in reversed(self.topological_order()):
            node._backward()


def test_a_sweep_without_the_seed_is_told_where_to_start():
    result = check_reverse_value("6.2", NoSeed)
    assert result.status == "wrong"
    assert result.message.startswith("your `NoSeed.backward()` gives x1.grad = 0 for Eq. 5")
    assert "backward() must set y.grad = 1, then call each node's _backward from the output back" in result.message


def test_backward_twice_on_the_reference_accumulates_stale_adjoints():
    x1, x2 = ReferenceValue(3.0), ReferenceValue(-4.0)
    y = (x1 * x2 + x2) - x1.log()
    y.backward()
    assert (x1.grad, x2.grad) == pytest.approx((-13 / 3, 4.0))
    y.backward()  # the intermediates kept their adjoints: not simply doubled
    assert (x1.grad, x2.grad) == pytest.approx((-17.0, 15.0))
    y.zero_grad()
    y.backward()
    assert (x1.grad, x2.grad) == pytest.approx((-13 / 3, 4.0))



class OrderNotWritten(ReferenceValue):
    def topological_order(self):
        raise NotImplementedError("your code here")


def test_a_stub_called_by_backward_is_named():
    result = check_reverse_value("6.2", OrderNotWritten)
    assert result.status == "unanswered"
    assert result.message.startswith("not answered yet: `OrderNotWritten.backward()` still raises "
                                     "NotImplementedError (in `topological_order`)")
