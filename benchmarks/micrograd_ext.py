"""tanh, exp and log for micrograd's Value, written in micrograd's own closure style.

micrograd (github.com/karpathy/micrograd, micrograd/engine.py) builds each operation as a
method that creates the output Value and attaches a `_backward` closure accumulating into its
inputs' `.grad`; its `relu` is the model copied here. W1's chain needs tanh, exp and log, which
micrograd 0.1.0 lacks. They are monkeypatched onto Value rather than added in a subclass because
micrograd's operators build plain `Value` objects, so a subclass would not survive `y * 0.9`.
"""

import math

from micrograd.engine import Value


def tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += out.grad / self.data

    out._backward = _backward
    return out


Value.tanh, Value.exp, Value.log = tanh, exp, log
