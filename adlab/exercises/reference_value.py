"""An engine-free reverse-mode `Value` (plain Python floats), micrograd's interface: `ReferenceValue`.

Lesson 6's demonstrations (section 3) use it so that they run whatever state the student's own class is
in; the check of the student's class (`value_class`) refuses it, an alias of it and anything built on it,
since a student must write their own.
"""

from __future__ import annotations

import math

import numpy as np


def _nothing():
    pass


def _one_number(data):
    """A ReferenceValue's data as a float, or a TypeError in one sentence."""
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if isinstance(data, ReferenceValue):
        raise TypeError("a ReferenceValue holds a plain number, and this is already a ReferenceValue: use it as it is.")
    if np.ndim(data) != 0:
        raise TypeError(f"a ReferenceValue holds one number, not an array of shape {np.shape(data)}: make one "
                        f"ReferenceValue per entry.")
    try:
        return float(data)
    except (TypeError, ValueError):
        raise TypeError(f"a ReferenceValue holds one number, not a {type(data).__name__} ({data!r}).") from None


class ReferenceValue:
    """A number that remembers how it was made; ``backward()`` sweeps its graph without recursion.

    ``grad`` accumulates (``+=``), as in micrograd: call ``zero_grad()`` before sweeping
    the same graph again.
    """

    def __init__(self, data, parents=(), op=""):
        self.data = _one_number(data)
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

    def __pow__(self, other):
        raise TypeError("ReferenceValue has no ** (power): write x * x for x ** 2; it has + − × /, log and exp.")

    def __rpow__(self, other):
        raise TypeError("ReferenceValue has no ** (power): write 2 ** x as (x * math.log(2)).exp(); it has "
                        "+ − × /, log and exp.")

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


__all__ = ["ReferenceValue"]
