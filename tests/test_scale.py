"""Long chains: the reverse sweep is a loop, and memory grows with the tape, not worse."""

import gc
import tracemalloc

import numpy as np
import pytest

import adlab
import adlab.numpy as anp


def chain(x, n):
    """n scalar operations cycling y*0.9, y+x, tanh, exp, log (the benchmark's W1 chain)."""
    y = x
    for i in range(n):
        step = i % 5
        if step == 0:
            y = y * 0.9
        elif step == 1:
            y = y + x
        elif step == 2:
            y = anp.tanh(y)
        elif step == 3:
            y = anp.exp(y)
        else:
            y = anp.log(y)
    return y


def chain_derivative(x, n):
    """The same chain's derivative by hand, in forward order, with plain floats."""
    y, dy = x, 1.0
    for i in range(n):
        step = i % 5
        if step == 0:
            y, dy = y * 0.9, dy * 0.9
        elif step == 1:
            y, dy = y + x, dy + 1.0
        elif step == 2:
            y = np.tanh(y)
            dy = dy * (1 - y * y)
        elif step == 3:
            y = np.exp(y)
            dy = dy * y
        else:
            dy, y = dy / y, np.log(y)
    return dy


def test_a_million_operations_without_recursion_error():
    n = 1_000_000
    assert adlab.grad(chain)(0.5, n) == pytest.approx(chain_derivative(0.5, n), rel=1e-12)


def peak_bytes(n):
    gc.collect()
    tracemalloc.start()
    adlab.grad(chain)(0.5, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_is_proportional_to_the_tape():
    small, large = peak_bytes(20_000), peak_bytes(80_000)
    assert large / small == pytest.approx(4.0, rel=0.25)
    assert large / 80_000 < 1000  # bytes per operation


def test_the_tape_keeps_only_what_the_vjps_read():
    """Pre-activations are freed as in hand-written backprop: add and tanh keep shapes, not values."""
    from adlab.core.recording import Recording
    from adlab.core.reverse import ShapeOnly

    x, W, b = np.ones((4, 3)), np.full((3, 5), 0.1), np.zeros(5)
    recording = Recording(lambda W, b: np.sum(np.tanh(x @ W + b)), (W, b))
    rows = {prim.name: (values, out) for prim, _, values, out, _ in recording.tape if prim is not None}
    assert all(isinstance(v, np.ndarray) for v in rows["matmul"][0])  # the VJPs multiply by these ...
    assert isinstance(rows["matmul"][1], ShapeOnly)  # ... but never read the product
    assert isinstance(rows["add"][0][0], ShapeOnly) and isinstance(rows["add"][1], ShapeOnly)
    assert isinstance(rows["tanh"][0][0], ShapeOnly) and isinstance(rows["tanh"][1], np.ndarray)  # 1 − tanh²
    assert adlab.trace(lambda W: np.tanh(x @ W), W)[2].operands[0].value.shape == (4, 5)  # tables keep all
