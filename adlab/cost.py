"""What derivatives cost: operation counts, sweeps, time and tape memory, measured.

The course notes (seed 003) state, for f: R^n -> R^m,

* a full Jacobian takes n forward sweeps (one column each) or m reverse sweeps
  (one row each);
* one sweep costs c · ops(f), with c < 6 and typically 2-3;
* forward mode needs O(1) extra memory, reverse mode a tape of O(ops(f)).

``cost(f, *args)`` measures each of these for any function a student writes.
c is measured two ways. Counted: the derivative program is itself traced, so
``jvp_ops / ops`` is the ratio of elementary operations, the notes' sense of c,
and the same on every machine. Timed: the seconds of a JVP or VJP through the
engine over the seconds of plain f; in Python this ratio is much larger for
scalar code, because every traced operation pays the interpreter's overhead of
operator overloading. The same ratio for the source that ``adlab.codegen``
writes (no overloading) is reported too, when codegen can write f.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .core.api import jvp, vjp
from .core.interpreter import ones_like
from .core.recording import Recording
from .core.reverse import ShapeOnly
from .core.tree import flatten, tree_map
from .tracing import Trace, trace as record_trace

__all__ = ["Cost", "cost", "ops", "jvp_ops", "vjp_ops", "tape_bytes", "seconds_per_call"]


def ops(f_or_trace, *args):
    """ops(f): the number of elementary operations in f's trace at args (its rows that are not inputs)."""
    trace = f_or_trace if isinstance(f_or_trace, Trace) else record_trace(f_or_trace, *args)
    return len(trace.rows) - trace.n_inputs


def jvp_ops(f, *args):
    """Operations of one JVP of f at args: f's own and the tangents', counted by tracing the JVP.

    The tangents are inputs of that trace too, so no tangent operation is
    folded into a constant and missed.
    """
    tangents = tree_map(ones_like, args)

    def tangent_program(*primals_and_tangents):
        return jvp(f, primals_and_tangents[:len(args)], primals_and_tangents[len(args):])[1]

    return ops(tangent_program, *args, *tangents)


def vjp_ops(f, *args):
    """Operations of one VJP of f at args: the forward sweep and the reverse sweep, counted by tracing it."""
    cotangent = tree_map(ones_like, f(*args))

    def adjoint_program(*primals_and_cotangent):
        return vjp(f, *primals_and_cotangent[:-1])[1](primals_and_cotangent[-1])

    return ops(adjoint_program, *args, cotangent)


def _nbytes(value):
    return int(np.asarray(value).nbytes)


def tape_bytes(f_or_trace, *args):
    """Bytes of the numbers reverse mode's tape keeps for f at args: the tape `grad` records.

    Counted: every value a tape row keeps (inputs, results, constant arguments),
    once each, at its NumPy size (8 bytes per float64). An array no VJP rule
    reads is kept as its shape only (`Primitive.shape_only`: the input of
    tanh, the result of a matmul) and counts nothing, unlike in a trace table,
    which shows every value. Python's per-object overhead is not counted, so
    the number is what any implementation storing the same values would need.
    """
    f, args = (f_or_trace.function, f_or_trace.args) if isinstance(f_or_trace, Trace) else (f_or_trace, args)
    stored = {}
    for prim, params, values, out, parents in Recording(f, args, name="tape_bytes").tape:
        for value in (out, *values):
            if not isinstance(value, ShapeOnly):
                stored[id(value)] = value
    return sum(_nbytes(v) for v in stored.values())


def seconds_per_call(fn, min_time=0.02, repeat=5):
    """Seconds one call of fn() takes: the best of `repeat` batches, each lasting at least min_time.

    The best batch is the least disturbed by the rest of the machine (as timeit advises).
    """
    if not callable(fn):
        raise TypeError(f"seconds_per_call times a function called with no arguments, not a {type(fn).__name__}; "
                        f"write seconds_per_call(lambda: f(x)).")
    number = 1
    while True:
        elapsed = _batch(fn, number)
        if elapsed >= min_time:
            break
        number *= 2 if elapsed == 0 else max(2, math.ceil(1.2 * min_time / elapsed))
    return min([elapsed] + [_batch(fn, number) for _ in range(repeat - 1)]) / number


def _batch(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Cost:
    """The cost of f's derivatives at one point: counts, and times relative to f (None if not timed)."""

    function_name: str
    n: int                       # input elements: forward sweeps for the full Jacobian
    m: int                       # output elements: reverse sweeps for the full Jacobian
    ops: int                     # elementary operations of f
    jvp_ops: int                 # operations of f plus its tangents (one forward sweep)
    vjp_ops: int                 # operations of f's forward and reverse sweeps (one VJP)
    tape_bytes: int              # numbers reverse mode keeps on its tape
    f_seconds: float | None = None
    jvp_seconds: float | None = None            # adlab.jvp (operator overloading)
    vjp_seconds: float | None = None            # adlab.vjp and one pullback
    generated_jvp_seconds: float | None = None  # adlab.codegen's tangent program
    generated_vjp_seconds: float | None = None  # adlab.codegen's adjoint program

    @property
    def forward_sweeps(self):
        return self.n

    @property
    def reverse_sweeps(self):
        return self.m

    @property
    def jvp_c(self):
        """Measured c of a JVP: its time over one evaluation of f."""
        return _ratio(self.jvp_seconds, self.f_seconds)

    @property
    def vjp_c(self):
        """Measured c of a VJP: its time over one evaluation of f."""
        return _ratio(self.vjp_seconds, self.f_seconds)

    @property
    def generated_jvp_c(self):
        return _ratio(self.generated_jvp_seconds, self.f_seconds)

    @property
    def generated_vjp_c(self):
        return _ratio(self.generated_vjp_seconds, self.f_seconds)

    def rows(self):
        """(quantity, value, meaning) triples: the table this report shows."""
        rows = [
            ("ops(f)", str(self.ops), "elementary operations in the trace"),
            ("n, m", f"{self.n}, {self.m}", "input and output elements"),
            ("full Jacobian", f"{self.n} forward or {self.m} reverse sweep(s)",
             "forward fills a column per sweep, reverse a row"),
            ("JVP operations", f"{self.jvp_ops} = {self.jvp_ops / self.ops:.2f} × ops(f)" if self.ops else str(self.jvp_ops),
             "c counted: f and its tangents"),
            ("VJP operations", f"{self.vjp_ops} = {self.vjp_ops / self.ops:.2f} × ops(f)" if self.ops else str(self.vjp_ops),
             "c counted: forward and reverse sweeps"),
            ("tape memory", f"{self.tape_bytes} bytes", "values reverse mode keeps (forward mode keeps none)"),
        ]
        if self.f_seconds is not None:
            rows += [
                ("time of f", _format_seconds(self.f_seconds), "one plain evaluation"),
                ("time of a JVP", _timed(self.jvp_seconds, self.jvp_c), "c timed: adlab.jvp"),
                ("time of a VJP", _timed(self.vjp_seconds, self.vjp_c), "c timed: adlab.vjp and its pullback"),
            ]
            if self.generated_jvp_seconds is not None:
                rows += [
                    ("generated JVP", _timed(self.generated_jvp_seconds, self.generated_jvp_c),
                     "c timed: adlab.codegen.tangent_program"),
                    ("generated VJP", _timed(self.generated_vjp_seconds, self.generated_vjp_c),
                     "c timed: adlab.codegen.adjoint_program"),
                ]
        return rows

    def __repr__(self):
        rows = self.rows()
        widths = [max(len(row[k]) for row in rows) for k in range(2)]
        lines = [f"Cost of {self.function_name}'s derivatives"]
        lines += [f"  {q:<{widths[0]}}  {v:<{widths[1]}}  {meaning}" for q, v, meaning in rows]
        return "\n".join(lines)

    def _repr_html_(self):
        from .display.tables import plain_table

        return plain_table(f"Cost of {self.function_name}'s derivatives", ("quantity", "value", "meaning"),
                           self.rows())


def _ratio(a, b):
    return None if a is None or not b else a / b


def _format_seconds(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _timed(seconds, c):
    return f"{_format_seconds(seconds)} = {c:.1f} × f"


def cost(f, *args, timing=True, min_time=0.02):
    """Measure what f's derivatives cost at args: a Cost table.

    With ``timing=False`` only the counts are reported; they are the same on
    every machine, unlike times (which vary from run to run: do not print
    them where output must be reproducible).
    """
    trace = record_trace(f, *args)
    n = sum(int(np.size(x)) for x in flatten(args)[0])
    m = sum(int(np.size(y)) for y in trace.output_values)
    counts = dict(function_name=trace.function_name, n=n, m=m, ops=ops(trace), jvp_ops=jvp_ops(f, *args),
                  vjp_ops=vjp_ops(f, *args), tape_bytes=tape_bytes(trace))
    if not timing:
        return Cost(**counts)
    tangents = tree_map(ones_like, args)
    cotangent = tree_map(ones_like, f(*args))
    times = dict(
        f_seconds=seconds_per_call(lambda: f(*args), min_time),
        jvp_seconds=seconds_per_call(lambda: jvp(f, args, tangents), min_time),
        vjp_seconds=seconds_per_call(lambda: vjp(f, *args)[1](cotangent), min_time),
    )
    times.update(_generated_seconds(trace, min_time))
    return Cost(**counts, **times)


def _generated_seconds(trace, min_time):
    """Times of the tangent and adjoint programs adlab.codegen writes for this trace; none if it cannot."""
    from .codegen import CodegenError, adjoint_program, tangent_program

    try:
        tangent, adjoint = tangent_program(trace), adjoint_program(trace)
    except CodegenError:
        return {}
    inputs = [row.value for row in trace if row.is_input]
    input_tangents = [ones_like(x) for x in inputs]
    cotangents = [ones_like(y) for y in trace.output_values]
    return dict(
        generated_jvp_seconds=seconds_per_call(lambda: tangent.function(*inputs, *input_tangents), min_time),
        generated_vjp_seconds=seconds_per_call(lambda: adjoint.function(*inputs, *cotangents), min_time),
    )
