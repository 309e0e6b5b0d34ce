"""Compiled derivatives (adlab.compiled): the trace's derivative program, generated once and run on later calls.

``adlab.compiled(adlab.grad(f))`` behaves like ``adlab.grad(f)``. On the first call for an
input *signature* (the arguments' structure, types, shapes and dtypes, and the values of
arguments that are not floats: an object by the values of its attributes, so changing
``model.w`` makes a new signature) it records f's trace, writes its adjoint program as Python
source with ``adlab.codegen``'s templates (``math`` on Python floats, NumPy on arrays),
compiles it and keeps it; later calls with that signature run the program instead of the
engine. Real inputs give real results, as on the engine: where ``math`` raises (log(0.0),
(-8.0) ** (1/3)) the call runs on the engine, which gives NumPy's inf or nan, never a complex
number. A trace is one path through f: every result f computed from the raw value of a traced
number (``x > 0``, ``bool(x)``, ``np.argsort(x)`` …) is re-checked by a *guard* in the
program, and a call whose comparisons come out differently is traced again, so a program is
only ever used on the path it was written for.

What the templates cannot write (custom primitives, checkpoint, scatter, derivatives nested
inside f) runs on the engine for that signature, with one warning per compiled function. A
program on large arrays is rewritten by ``adlab.optimize`` (no result changes by a bit; its
allocations, repeated work and needless broadcasts go).
"""

from __future__ import annotations

import enum
import functools
import math
import operator
import re
import types
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import codegen
from .codegen import CodegenError, _Constants, _pointwise, _RowSource, _summed_to, variable
from .core import api, numpy_api
from .core.api import _selected
from .core.primitive import Box, Level, raw, zeros_like
from .core.recording import check_function, check_outputs, check_real, check_tangent
from .core.tree import flatten, unflatten
from .optimize import optimize, value_type
from .trace import trace as record_trace

__all__ = ["compiled", "CompiledFallbackWarning", "PathChanged"]

SECTION_ROWS = 400          # rows per generated function: Python compiles short functions faster
MAX_SIGNATURES = 32         # signatures kept per compiled function (least recently used dropped)
MAX_PATHS = 8               # paths kept per signature; more misses in a row and the engine takes over
# adlab.optimize costs about 0.1-0.3 ms per statement to build and saves per call in proportion to
# the bytes the program moves: it runs on traces whose rows average this many bytes (2,048 float64s).
OPTIMIZE_BYTES_PER_ROW = 16 * 1024


class CompiledFallbackWarning(UserWarning):
    """adlab.compiled ran a function on the engine instead of generated code."""


class PathChanged(Exception):
    """A guard in a generated program saw a comparison come out differently from the traced call."""


class _NotCompilable(Exception):
    """A trace the generated code cannot reproduce; the message says why."""


class _EngineAnswers(Exception):
    """f returned what a trace cannot hold (None, a str, a complex number): the engine answers the call, with
    its own error where it has one (grad's "f returned None"), its result where it has none (a str in
    has_aux's auxiliary data, jvp of a function returning None)."""


def _checked_output(f):
    """f, refusing (with _EngineAnswers) a result that is not floats or arrays of them: the trace would
    raise its own error for it, naming the wrong transformation."""

    def checked(*inputs):
        result = f(*inputs)
        if result is None:
            raise _EngineAnswers("f returns None")
        leaves = flatten(result)[0]
        try:
            check_outputs(leaves, result, "trace")
            check_real(leaves, "trace")
        except TypeError:
            kinds = sorted({type(raw(leaf)).__name__ for leaf in leaves
                            if not isinstance(raw(leaf), (float, int, np.ndarray, np.generic))
                            or np.iscomplexobj(raw(leaf))})
            raise _EngineAnswers(f"f returns values that are not real floats or arrays ({', '.join(kinds)})") from None
        return result

    checked.__name__ = checked.__qualname__ = getattr(f, "__name__", "f")  # as the trace's messages name it
    return checked


# -- scalar templates: `math` on Python floats, the same formulas as the engine's rules -------

_SCALAR_TEMPLATES = {
    "exp": _pointwise("math_exp({0})", "{d} * {out}"),
    "log": _pointwise("math_log({0})", "{d} / {0}"),
    "log1p": _pointwise("math_log1p({0})", "{d} / (1.0 + {0})"),
    "expm1": _pointwise("math_expm1({0})", "{d} * ({out} + 1.0)"),
    "sqrt": _pointwise("math_sqrt({0})", "{d} / (2.0 * {out})"),
    "sin": _pointwise("math_sin({0})", "{d} * math_cos({0})"),
    "cos": _pointwise("math_cos({0})", "{d} * -math_sin({0})"),
    "tan": _pointwise("math_tan({0})", "{d} * (1.0 + {out} * {out})"),
    "arcsin": _pointwise("math_asin({0})", "{d} * (1.0 / math_sqrt(1.0 - {0} * {0}))"),
    "arccos": _pointwise("math_acos({0})", "{d} * -(1.0 / math_sqrt(1.0 - {0} * {0}))"),
    "arctan": _pointwise("math_atan({0})", "{d} * (1.0 / (1.0 + {0} * {0}))"),
    "sinh": _pointwise("math_sinh({0})", "{d} * math_cosh({0})"),
    "cosh": _pointwise("math_cosh({0})", "{d} * math_sinh({0})"),
    "tanh": _pointwise("math_tanh({0})", "{d} * (1.0 - {out} * {out})"),
    "abs": _pointwise("abs({0})", "{d} * np.sign({0})"),  # as the engine: 0 at 0, and a NumPy float
    "divide": _pointwise("{0} / {1}", "{d} / {1}", "-({d} * {out}) / {1}"),
    # The engine's convention (adlab/core/rules.py, above _log_or_zero; codegen.TEMPLATES["power"]):
    # ∂/∂x = y·x**(y−1), 0 where y = 0; ∂/∂y = x**y·ln x, ln x taken as 0 at x = 0 and nan for x < 0.
    # math.pow raises (ValueError, OverflowError) exactly where the engine's Python ** gives way to
    # NumPy's inf or nan (x < 0 with a fractional y, 0 ** -1, 10 ** 400): the call then runs on the
    # engine. Never Python's **, which gives a complex number for (-8.0) ** (1/3).
    "power": _pointwise("math_pow({0}, {1})", "{d} * ({1} * math_pow({0}, {1} - ({1} != 0)))",
                        "{d} * {out} * (math_log({0}) if {0} > 0 else 0.0 if {0} == 0 else math.nan)"),
}


# The scalar templates call these as globals (math_exp(x)): one name lookup instead of two.
_MATH = {f"math_{name}": getattr(math, name) for name in
         ("exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
          "tanh", "pow")}


def _python_operand(operand, python_rows):
    """An operand that is a Python number wherever the program runs: a constant int or float, or a row
    computed on Python floats."""
    if operand.index is None:
        return type(operand.value) in (float, int)
    return operand.index in python_rows


_SCALAR_TEMPLATES.update({op: codegen.TEMPLATES[op] for op in ("add", "subtract", "multiply", "negative")})


class _ScalarRowSource:
    """A row on Python floats: the parts of codegen's _RowSource a scalar template needs, made
    cheaply (no shapes, parameters or broadcasting), since scalar traces are long."""

    shape = ()

    def __init__(self, row, constants):
        self.row = row
        self.template = _SCALAR_TEMPLATES[row.op]
        self.operands = [variable(o.index) if o.index is not None else codegen._operand_literal(o.value, constants)
                         for o in row.operands]
        self.shapes = [()] * len(self.operands)
        self.fields = {"out": variable(row.index), "g": variable(row.index, "_bar")}

    format, primal, tangent = _RowSource.format, _RowSource.primal, _RowSource.tangent

    def _block(self, position):
        return ""


def _row_sources(trace, constants):
    """Each row's source, keyed by index: `math` calls where every operand is a Python number (as the
    engine uses `math` or Python's operators there), NumPy's templates otherwise.

    The choice follows the operands' types, never the traced values: a row the engine computed with
    NumPy because `math` raised there (log(0.0) is np.float64(-inf)) is still a `math` row, whose call
    then raises where the engine's did and runs on the engine, so a program traced at an awkward point
    gives the same results and types as one traced anywhere else.
    """
    python_rows = {row.index for row in trace if row.is_input and type(row.value) is float}
    sources = {}
    for row in trace:
        if row.is_input:
            continue
        if row.op in _SCALAR_TEMPLATES and all(_python_operand(o, python_rows) for o in row.operands):
            sources[row.index] = _ScalarRowSource(row, constants)
            python_rows.add(row.index)
        else:
            sources[row.index] = _RowSource(row, constants)
    return sources


# -- guards ---------------------------------------------------------------------------------

_INFIX = {operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
          operator.eq: "==", operator.ne: "!="}


def _same(a, b):
    """Whether a re-computed guard value equals the recorded one (arrays element by element, nan = nan)."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return a == b or (a != a and b != b)


@dataclass(frozen=True)
class _Traced:
    """An argument of an observed call that is traced: the tape row it stands for."""

    row: int


@dataclass
class _Observation:
    """One result f computed from raw values while it was traced: where, from what, and what came out."""

    after_rows: int        # tape rows recorded before it
    func: object
    args: tuple
    kwargs: dict
    result: object


class _Observer:
    """Installed as numpy_api.observer while a trace is recorded; keeps every observation."""

    def __init__(self):
        self.observations = []
        self.levels = set()

    def __call__(self, func, args, kwargs, result):
        levels = []
        marked = self._mark((args, kwargs), levels)
        if not levels:
            return
        self.levels.update(levels)
        marked_args, marked_kwargs = marked
        self.observations.append(_Observation(len(levels[0].tape), func, marked_args, marked_kwargs, result))

    def _mark(self, value, levels):
        """value with each traced leaf replaced by _Traced(its row), the row at the outermost level."""
        if isinstance(value, Box):
            while isinstance(value.value, Box):
                value = value.value
            levels.append(value.level)
            return _Traced(value.index)
        if isinstance(value, (tuple, list)):
            return type(value)(self._mark(v, levels) for v in value)
        if isinstance(value, dict):
            return {k: self._mark(v, levels) for k, v in value.items()}
        return value


def _record_outputs(f, inputs, has_aux):
    """_record, plus f's output structure and the outputs a reverse sweep seeds (not aux); Nones if
    has_aux is set and f does not return a pair (the engine then says so)."""
    recorded, observations = _record(f, inputs)
    out_def = recorded._recording.out_def
    arranged = unflatten(out_def, list(range(len(recorded.outputs))))
    if has_aux and not (isinstance(arranged, (tuple, list)) and len(arranged) == 2):
        return None, None, None, None
    return recorded, observations, out_def, flatten(arranged[0] if has_aux else arranged)[0]


def _record(f, inputs):
    """The trace of f at inputs, with the observations made on its values, or _NotCompilable."""
    observer = _Observer()
    first_depth = Level().depth  # levels count up: a second new level means f made one of its own
    numpy_api.observer = observer
    try:
        recorded = record_trace(_checked_output(f), *inputs)
    finally:
        numpy_api.observer = None
    if Level().depth - first_depth > 2:
        raise _NotCompilable("f differentiates inside itself (a nested grad, jvp or hvp)")
    if observer.levels - {recorded._recording.level}:
        raise _NotCompilable("f compares values traced by another transformation")
    for prim, params, values, out, parents in recorded._recording.tape:
        if isinstance(out, Box) or any(isinstance(v, Box) for v in values):
            raise _NotCompilable("f uses a value traced by an enclosing transformation")
    return recorded, observer.observations


# -- program text ---------------------------------------------------------------------------

_NAME = re.compile(r"\b(?:v(?:_m)?\d+(?:_bar|_dot)?|s\d+|seed\d+)\b")
_ASSIGNED = re.compile(r"^((?:[A-Za-z_]\w*, )*[A-Za-z_]\w*) = ")


def _uses_and_defs(lines):
    """Names a block reads before it assigns them, and names it assigns."""
    uses, defs = {}, set()
    for line in lines:
        match = _ASSIGNED.match(line)
        for name in _NAME.findall(line[match.end():] if match else line):
            if name not in defs:
                uses[name] = None
        if match:
            defs.update(match.group(1).split(", "))
    return list(uses), defs


class _Writer:
    """Turns a trace, its observations and a choice of derivatives into program source."""

    def __init__(self, recorded, observations):
        self.trace = recorded
        self.n = recorded.n_inputs
        self.constants = _Constants()
        self.rows = [row for row in recorded if not row.is_input]
        self.reads = {row.index: row.inputs for row in self.rows}
        try:
            self.sources = _row_sources(recorded, self.constants)
        except CodegenError as error:
            raise _NotCompilable(str(error).split(": ", 1)[-1].split(";")[0]) from None
        self.guards = {}  # Wengert index of the last row before a guard -> guard statements
        for observation in observations:
            self.guards.setdefault(observation.after_rows - self.n, []).append(self._guard(observation))
        self.guard_reads = self._guard_rows()

    def _guard_rows(self):
        rows = set()
        for lines in self.guards.values():
            for line in lines:
                for name in _NAME.findall(line):
                    rows.add(-int(name[3:]) if name.startswith("v_m") else int(name[1:]))
        return rows

    def _value(self, value):
        """Source for a guard argument: a variable, a literal, or an object put in the namespace."""
        if isinstance(value, _Traced):
            return variable(value.row - self.n + 1)
        if isinstance(value, (tuple, list)):
            items = [self._value(v) for v in value]
            text = ", ".join(items) + ("," if isinstance(value, tuple) and len(items) == 1 else "")
            return f"({text})" if isinstance(value, tuple) else f"[{text}]"
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value) if not isinstance(value, float) or math.isfinite(value) else f"float('{value}')"
        return self._object(value)

    def _object(self, value):
        name = f"c{len(self.constants.values)}"
        self.constants.values[name] = value
        return name

    def _guard(self, observation):
        """`if <the comparison comes out differently>: raise PathChanged`."""
        args, kwargs, result = observation.args, observation.kwargs, observation.result
        if isinstance(result, (bool, np.bool_)) and not kwargs:
            if observation.func in _INFIX and len(args) == 2:
                test = f"{self._value(args[0])} {_INFIX[observation.func]} {self._value(args[1])}"
            elif observation.func is bool:
                test = self._value(args[0])
            else:
                test = None
            if test is not None:
                return f"if {'not ' if result else ''}({test}): raise PathChanged"
        call = ", ".join([self._value(a) for a in args] + [f"{key}={self._value(v)}" for key, v in kwargs.items()])
        return f"if not _same({self._object(observation.func)}({call}), {self._object(result)}): raise PathChanged"

    # which rows matter

    def computed_rows(self, outputs):
        """Rows on a path to an output or to a guard: the rest need not run."""
        needed = {i for i in outputs if i is not None} | self.guard_reads
        for row in reversed(self.rows):
            if row.index in needed:
                needed.update(self.reads[row.index])
        return needed

    def reverse_rows(self, seeded, wrt):
        """Rows whose adjoint is needed: on a path from an input in wrt to a seeded output."""
        active = set(wrt)
        for row in self.rows:
            if not active.isdisjoint(self.reads[row.index]):
                active.add(row.index)
        live = {i for i in seeded if i is not None}
        for row in reversed(self.rows):
            if row.index in live:
                live.update(self.reads[row.index])
        return live & active

    # blocks of statements

    def sections(self, computed):
        """The rows cut into sections of SECTION_ROWS computed rows: one generated function each."""
        sections, section, count = [], [], 0
        for row in self.rows:
            section.append(row)
            count += row.index in computed
            if count >= SECTION_ROWS:
                sections.append(section)
                section, count = [], 0
        return sections + [section]

    def forward_blocks(self, sections, computed, tangents=False):
        """Per section: the primal statements (and tangents), guards in place.

        Every tape row has a traced argument, so with tangents every computed row has one.
        """
        blocks = []
        for k, section in enumerate(sections):
            lines = list(self.guards.get(0, [])) if k == 0 else []
            for row in section:
                if row.index in computed:
                    source = self.sources[row.index]
                    lines.append(f"{variable(row.index)} = {source.primal()}")
                    if tangents:
                        lines.append(f"{variable(row.index, '_dot')} = {source.tangent()}")
                lines += self.guards.get(row.index, [])
            blocks.append(lines)
        return blocks

    def adjoint_lines(self, row, needed, started):
        """The row's contributions to its arguments' adjoints; `started` names the adjoints that have a value."""
        source = self.sources[row.index]
        lines = []
        for position, operand in enumerate(row.operands):
            if operand.index is None or operand.index not in needed:
                continue
            bar = variable(operand.index, "_bar")
            adjoint = source.template.adjoint
            template = adjoint[position] if position < len(adjoint) else adjoint[-1]
            block = source._block(position)
            if "{bar}" in template:  # updated in part, in place: start from an array of zeros we own
                if bar not in started:
                    dtype = np.result_type(operand.value, 0.0).name
                    lines.append(f"{bar} = np.zeros({np.shape(operand.value)!r}, dtype='{dtype}')")
                elif bar not in self.owned:
                    lines.append(f"{bar} = np.array({bar}, dtype='{np.result_type(operand.value, 0.0).name}')")
                self.owned.add(bar)
                lines.append(source.format(template, bar=bar, block=block))
            else:
                term = source.format(template, block=block)
                if source.template.elementwise and source.shapes[position] != source.shape:
                    term = _summed_to(term, source.shapes[position], source.shape)
                if bar in started:  # never +=: an adjoint may be the same array as another one
                    lines.append(f"{bar} = {bar} - {term[1:]}" if term.startswith("-") and " " not in term[1:]
                                 else f"{bar} = {bar} + {term}")
                    if np.ndim(operand.value):
                        self.owned.add(bar)
                    else:  # a sum of 0-d arrays is a NumPy scalar, which cannot be written into
                        self.owned.discard(bar)
                else:
                    lines.append(f"{bar} = {term}")
            started.add(bar)
        return lines

    def reverse_blocks(self, sections, seeds, needed):
        """Per section, listed in the forward sections' order (they run in the opposite one): seeds
        (in the last), then each needed row's contributions, rows in reverse order. Also returns
        the adjoints that got a value."""
        self.owned = set()
        started = set()
        seed_lines = []
        for k, index in seeds:
            bar = variable(index, "_bar")
            seed_lines.append(f"{bar} = {bar} + seed{k}" if bar in started else f"{bar} = seed{k}")
            started.add(bar)
        blocks = []
        for section in reversed(sections):
            block = [] if blocks else seed_lines
            for row in reversed(section):
                if row.index in needed and variable(row.index, "_bar") in started:
                    block += self.adjoint_lines(row, needed, started)
            blocks.append(block)
        return blocks[::-1], started


def _tuple(names):
    return f"({', '.join(names)}{',' if len(names) == 1 else ''})"


class _Block:
    """Statements of one generated function, with the names it reads before assigning and assigns."""

    def __init__(self, lines):
        self.lines = lines
        self.uses, self.defs = _uses_and_defs(lines)


def _pair_residuals(forward, reverse):
    """Values a forward section computes for its own reverse section travel as one tuple, s<k>.

    Without this every such value would be a local of the driver, and Python compiles a
    function's locals slowly; a tuple is one name.
    """
    for k, (fwd, rev) in enumerate(zip(forward, reverse)):
        shared = [name for name in rev.uses if name in fwd.defs]
        if shared:
            fwd.lines.append(f"s{k} = {_tuple(shared)}")
            fwd.defs.add(f"s{k}")
            rev.lines.insert(0, f"{', '.join(shared)}{',' if len(shared) == 1 else ''} = s{k}")
            rev.uses = [f"s{k}"] + [name for name in rev.uses if name not in fwd.defs]
            rev.defs.update(shared)


def _link(name, params, blocks, returned, prefix):
    """Source of one function per block and a driver `name(*params)` calling them in order.

    Values cross between blocks as the driver's locals: each block takes the names it reads
    before assigning them and returns those a later block, or `returned` (the driver's return
    expression), reads. Also gives the names the driver needs from its parameters.
    """
    analysed = [(block.uses, block.defs) for block in blocks]
    live = _NAME.findall(returned)
    outs = [None] * len(blocks)
    for k in range(len(blocks) - 1, -1, -1):
        uses, defs = analysed[k]
        outs[k] = [v for v in dict.fromkeys(live) if v in defs]
        live = uses + [v for v in live if v not in defs and v not in uses]
    source, driver = [], [f"def {name}({', '.join(params)}):"]
    for k, block in enumerate(blocks):
        uses, out = analysed[k][0], outs[k]
        source += [f"def {prefix}{k}({', '.join(uses)}):", *[f"    {line}" for line in block.lines],
                   f"    return {_tuple(out)}", ""]
        driver.append(f"    {_tuple(out) + ' = ' if out else ''}{prefix}{k}({', '.join(uses)})")
    return source + driver + [f"    return {returned}", ""], list(dict.fromkeys(live))


_programs = 0


def _compile(lines, constants):
    global _programs
    _programs += 1
    text = "\n".join(lines)
    namespace = {"np": np, "math": math, **_MATH, "PathChanged": PathChanged, "_same": _same,
                 "logsumexp": codegen.rules.logsumexp.impl, **constants.values}
    exec(compile(text, f"<adlab.compiled #{_programs}>", "exec"), namespace)
    return text, namespace


class Program:
    """Generated source and its entry points: forward(*inputs) -> (outputs, residuals) and, for an
    adjoint program, backward(residuals, *seeds) -> adjoints (None: zero)."""

    def __init__(self, source, namespace):
        self.source = source
        self.forward = namespace["forward"]
        self.backward = namespace.get("backward")

    def __repr__(self):
        return self.source


def _outputs(writer, suffix=""):
    names = []
    for index, value in zip(writer.trace.outputs, writer.trace.output_values):
        if index is not None:
            names.append(variable(index, suffix))
        else:
            names.append(writer._object(zeros_like(value) if suffix else value))
    return names


def _optimized(writer, blocks, keep, frozen_before=None, types=()):
    """The blocks (listed in the order they run) rewritten by adlab.optimize, if the trace's arrays
    are large enough to repay the build (OPTIMIZE_BYTES_PER_ROW); scalar traces never are."""
    moved = sum(row.value.nbytes for row in writer.rows if type(row.value) is np.ndarray)
    if moved < OPTIMIZE_BYTES_PER_ROW * len(writer.rows):
        return blocks
    values = {variable(row.index): row.value for row in writer.trace} | writer.constants.values
    known = {name: value_type(value) for name, value in values.items()} | dict(types)
    given = [variable(row.index) for row in writer.trace if row.is_input] + list(writer.constants.values)
    contiguous = [name for name in given if isinstance(values[name], np.ndarray) and values[name].flags.c_contiguous]
    lines = optimize([line for block in blocks for line in block], known, keep, frozen_before, contiguous)
    split, start = [], 0
    for block in blocks:
        split.append(lines[start:start + len(block)])
        start += len(block)
    return split


def adjoint_program(recorded, observations, seeded, wrt, seed_types=None):
    """The program for one trace: forward(inputs) -> (outputs, residuals), backward(residuals, seeds).

    ``seeded``: positions of the outputs that get a seed (has_aux's auxiliary outputs are only
    computed); ``wrt``: Wengert indices of the inputs whose adjoints backward returns.
    ``seed_types``: the seeds' value_type, when every call passes the same (value_and_grad); then
    backward runs once per forward and may write into the forward's arrays once they are dead.
    Otherwise (a pullback, run any number of times) it leaves them alone.
    """
    writer = _Writer(recorded, observations)
    computed = writer.computed_rows(recorded.outputs)
    seeds = [(k, recorded.outputs[k]) for k in seeded if recorded.outputs[k] is not None]
    needed = writer.reverse_rows([index for _, index in seeds], wrt) | set(wrt)
    sections = writer.sections(computed)
    forward = writer.forward_blocks(sections, computed)
    reverse, started = writer.reverse_blocks(sections, seeds, needed)
    bars = [variable(i, "_bar") if variable(i, "_bar") in started else "None" for i in wrt]
    keep = [variable(i) for i in recorded.outputs if i is not None] + [bar for bar in bars if bar != "None"]
    frozen_before = None if seed_types else sum(map(len, forward))
    types = {f"seed{k}": kind for (k, _), kind in zip(seeds, seed_types or ())}
    blocks = _optimized(writer, forward + reverse[::-1], keep, frozen_before, types)
    forward = [_Block(lines) for lines in blocks[:len(forward)]]
    reverse = [_Block(lines) for lines in blocks[len(forward):][::-1]]
    _pair_residuals(forward, reverse)
    seed_names = [f"seed{k}" for k, _ in seeds]
    backward, residuals = _link("backward", ["residuals", *seed_names], reverse[::-1], _tuple(bars), "r")
    residuals = [name for name in residuals if name not in seed_names]
    if residuals:
        backward.insert(backward.index(next(line for line in backward if line.startswith("def backward"))) + 1,
                        f"    {_tuple(residuals)} = residuals")
    inputs = [variable(1 - writer.n + k) for k in range(writer.n)]
    forward, _ = _link("forward", inputs, forward, f"{_tuple(_outputs(writer))}, {_tuple(residuals)}", "f")
    return Program(*_compile(forward + backward, writer.constants))


def tangent_program(recorded, observations):
    """forward(inputs, input tangents) -> (outputs, output tangents)."""
    writer = _Writer(recorded, observations)
    computed = writer.computed_rows(recorded.outputs)
    inputs = [variable(1 - writer.n + k) for k in range(writer.n)]
    returned = f"{_tuple(_outputs(writer))}, {_tuple(_outputs(writer, '_dot'))}"
    blocks = writer.forward_blocks(writer.sections(computed), computed, tangents=True)
    blocks = [_Block(lines) for lines in _optimized(writer, blocks, _NAME.findall(returned))]
    source, _ = _link("forward", inputs + [f"{x}_dot" for x in inputs], blocks, returned, "f")
    return Program(*_compile(source, writer.constants))


# -- the public transformation ----------------------------------------------------------------


# Keyed by identity: what they compute is their code, not state a call could change.
_BY_IDENTITY = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type, np.ufunc, enum.Enum)
_PLAIN = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis), range, slice)
_KEY_DEPTH = 16          # an argument's attributes are followed this deep for its key ...
_KEY_PARTS = 4096        # ... through at most this many values; beyond, the engine answers


def _static_key(x):
    """A leaf baked into the program, keyed by its value; None if it cannot be (traced, or no value to see).

    Numbers, strings and arrays are their value. An object (a model with weights as attributes, a
    dataclass) is keyed by its type and the keys of its attributes, followed into lists, dicts and
    further objects: f reads them while it is traced, and the program holds what it read, so a
    changed attribute (obj.w = 5.0) must make a new key and a new trace, not run the program of the
    old value. Functions, classes and modules are keyed by identity; a type with its own __eq__ and
    __hash__ by those. Anything else (a generator, a lock, an object too deep or too large to
    follow) gives None, and such calls run on the engine.
    """
    try:
        return _key(x, (), [_KEY_PARTS])
    except _NoKey:
        return None


class _NoKey(Exception):
    """A value the cache cannot key by value."""


def _key(x, path, budget):
    budget[0] -= 1
    if budget[0] < 0 or len(path) > _KEY_DEPTH or isinstance(x, Box):
        raise _NoKey
    kind = type(x)
    if kind in _PLAIN or isinstance(x, np.generic):
        return (kind, "nan") if x != x else (kind, x)  # nan != nan: one key for every nan
    if isinstance(x, np.ndarray):
        if x.dtype.hasobject:
            raise _NoKey
        return ("array", x.dtype, x.shape, x.tobytes())
    if isinstance(x, _BY_IDENTITY):
        return (kind, x)
    if id(x) in path:  # a cycle (an object holding itself): where it points back to
        return ("cycle", path.index(id(x)))
    inner = path + (id(x),)
    if isinstance(x, (tuple, list)):
        return (kind, tuple(_key(item, inner, budget) for item in x))
    if isinstance(x, dict):
        return (kind, tuple((_key(k, inner, budget), _key(v, inner, budget)) for k, v in x.items()))
    if isinstance(x, (set, frozenset)):
        return (kind, tuple(sorted((_key(item, inner, budget) for item in x), key=repr)))
    if isinstance(x, types.MethodType):  # obj.method: what it does depends on obj's state
        return (kind, _key(x.__func__, inner, budget), _key(x.__self__, inner, budget))
    if isinstance(x, functools.partial):
        return (kind, _key(x.func, inner, budget), _key(x.args, inner, budget), _key(x.keywords, inner, budget))
    if kind.__eq__ is not object.__eq__ and kind.__hash__ not in (None, object.__hash__) and _hashable(x):
        return (kind, x)  # the type's own idea of equal values (a frozen dataclass of numbers, a Fraction)
    state = _attributes(x)
    if state is None:
        raise _NoKey
    return (kind, tuple((name, _key(value, inner, budget)) for name, value in state))


def _hashable(x):
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _attributes(x):
    """An object's attributes (instance __dict__ and __slots__), sorted by name; None if it has neither."""
    names = list(getattr(x, "__dict__", None) or ())
    for klass in type(x).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        slots = [slots] if isinstance(slots, str) else slots
        names += [name for name in slots if name not in ("__dict__", "__weakref__")]
    if not names and not hasattr(x, "__dict__"):
        return None
    missing = object()
    state = [(name, getattr(x, name, missing)) for name in sorted(set(names))]
    return [(name, value) for name, value in state if value is not missing]


def _frozen(tree):
    """A key with its lists (a dict's keys in a container description) made tuples, so it hashes."""
    if isinstance(tree, (tuple, list)):
        return tuple(_frozen(part) for part in tree)
    return tree


def _leaf_count(treedef):
    """How many leaves a container description (adlab.core.tree) holds."""
    if treedef is None:
        return 1
    kind, children = treedef
    return sum(_leaf_count(child) for child in (children[1] if kind is dict else children))


def _input_part(leaf):
    """A float leaf's part of the signature's key (it is a program input); None for any other leaf."""
    kind = type(leaf)
    if kind is float:
        return float
    if (kind is np.ndarray or isinstance(leaf, np.floating)) and leaf.dtype.kind == "f":
        return kind, leaf.shape, leaf.dtype, leaf.flags.c_contiguous
    return None


class _Signature:
    """One call's arguments: float leaves (program inputs) apart from baked values, and the cache key.

    The key holds each float leaf's type, shape, dtype and whether it is in C order (a program
    may write into arrays computed from it, keeping their layout), every other leaf's value, the
    containers' structure and the keyword arguments; None when a leaf cannot be a key.
    """

    def __init__(self, args, kwargs):
        if not kwargs and self._all_inputs(args):
            return
        self.leaves, self.defs = [], []
        for arg in args:
            leaves, treedef = flatten(arg)
            self.leaves += leaves
            self.defs.append(treedef)
        self.treedef = (tuple, tuple(self.defs))  # as flatten(args) describes them
        self.inputs, parts = [], []
        for k, leaf in enumerate(self.leaves):
            part = _input_part(leaf)
            if part is not None:
                self.inputs.append(k)
                parts.append(part)
            else:
                parts.append(_static_key(leaf))
        if kwargs:
            kw_leaves, kw_def = flatten(kwargs)
            parts += [kw_def, *(_static_key(leaf) for leaf in kw_leaves)]
        self.key = None if None in parts else (self.treedef, tuple(parts))

    def _all_inputs(self, args):
        """The common call, every argument a float leaf (a program input), described without flattening."""
        parts = [_input_part(arg) for arg in args]
        if None in parts:
            return False
        self.leaves, self.defs, self.inputs = list(args), [None] * len(args), list(range(len(args)))
        self.treedef = (tuple, tuple(self.defs))
        self.key = (self.treedef, tuple(parts))
        return True

    def values(self):
        return [self.leaves[k] for k in self.inputs]

    def function(self, f, kwargs):
        """f as a function of the float leaves alone."""
        leaves = list(self.leaves)

        def of_inputs(*inputs):
            for k, value in zip(self.inputs, inputs):
                leaves[k] = value
            return f(*unflatten(self.treedef, leaves), **kwargs)

        of_inputs.__name__ = of_inputs.__qualname__ = getattr(f, "__name__", "f")  # messages name f, not this
        return of_inputs


@dataclass
class _Entry:
    """What one signature runs: its programs, one per path seen (most recent first), or the engine."""

    layout: object
    programs: list
    engine: bool = False
    misses: int = 0


class _Compiled:
    """The cache of programs for one function and one transformation."""

    def __init__(self, f, argnums=0, has_aux=False):
        self.f, self.argnums, self.has_aux = f, argnums, has_aux
        self.engine_value_and_grad = api.value_and_grad(f, argnums, has_aux)
        self.entries = OrderedDict()
        self.stats = dict(hits=0, traces=0, path_changes=0, engine_calls=0, evicted=0)
        self.warned = False

    def cache_info(self):
        """Signatures and programs held (bounded by MAX_SIGNATURES × MAX_PATHS), and counts of calls."""
        programs = sum(len(entry.programs) for entry in self.entries.values())
        return dict(signatures=len(self.entries), programs=programs, **self.stats)

    def _fall_back(self, reason):
        if not self.warned:
            self.warned = True
            name = getattr(self.f, "__name__", "f")
            warnings.warn(f"adlab.compiled: {name} runs on the engine, not generated code: {reason}.",
                          CompiledFallbackWarning, stacklevel=4)

    def _engine(self, engine):
        self.stats["engine_calls"] += 1
        return engine()

    def run(self, signature, kwargs, layout, build, call, engine):
        """call(program, layout) on the signature's program for this path; traces a new one when none fits.

        layout() computes, once per signature, what call needs besides the program (None: the
        engine must answer, to raise its error for a misuse); build(f_of_inputs, inputs, layout)
        records and writes a program (None if f's result does not suit the transformation);
        engine() computes the result without generated code.
        """
        key = signature.key
        try:
            entry = self.entries.get(key) if key is not None else None
        except TypeError:  # a dict among the arguments: its keys are a list in the key
            key = signature.key = _frozen(key)
            entry = self.entries.get(key)
        if key is None or (entry is not None and entry.engine):
            return self._engine(engine)
        if entry is None:
            arrangement = layout()
            if arrangement is None:
                return engine()
            entry = self.entries[key] = _Entry(arrangement, [])
            if len(self.entries) > MAX_SIGNATURES:
                self.entries.popitem(last=False)
                self.stats["evicted"] += 1
        else:
            self.entries.move_to_end(key)
        for position, program in enumerate(entry.programs):
            try:
                result = call(program, entry.layout)
            except PathChanged:
                continue
            except (ArithmeticError, ValueError):  # math raised where the engine gives inf or nan
                return self._engine(engine)
            if position:
                entry.programs.insert(0, entry.programs.pop(position))
            entry.misses = 0
            self.stats["hits"] += 1
            return result
        if entry.programs:
            self.stats["path_changes"] += 1
            entry.misses += 1
            if entry.misses > MAX_PATHS:
                entry.engine, entry.programs = True, []
                self._fall_back(f"its comparisons came out differently on {MAX_PATHS} calls in a row")
                return self._engine(engine)
        try:
            program = build(signature.function(self.f, kwargs), signature.values(), entry.layout)
        except _NotCompilable as reason:
            entry.engine = True
            self._fall_back(str(reason))
            return self._engine(engine)
        except _EngineAnswers as reason:
            result = self._engine(engine)  # raises the engine's error where f's result is wrong for it
            entry.engine, entry.programs = True, []  # the engine accepts it (a str in aux): it keeps the signature
            self._fall_back(str(reason))
            return result
        if program is None:
            del self.entries[key]
            return engine()
        self.stats["traces"] += 1
        entry.programs.insert(0, program)
        del entry.programs[MAX_PATHS:]
        try:
            return call(program, entry.layout)
        except (ArithmeticError, ValueError, PathChanged):
            return self._engine(engine)

    # the transformations

    def value_and_grad(self, args, kwargs):
        argnums, has_aux = self.argnums, self.has_aux
        signature = _Signature(args, kwargs)

        def engine():
            return self.engine_value_and_grad(*args, **kwargs)

        def layout():
            """The leaves argnums selects (None if one is not a float: the engine says why), and where."""
            nums = _selected(argnums, len(args), "grad", kwargs)
            first = [0]
            for treedef in signature.defs:
                first.append(first[-1] + _leaf_count(treedef))
            selected = [k for i in nums for k in range(first[i], first[i + 1])]
            if any(args[i] is None for i in nums) or not set(selected) <= set(signature.inputs):
                return None
            position = {leaf: k for k, leaf in enumerate(signature.inputs)}
            n = len(signature.inputs)
            return dict(selected=[position[k] for k in selected], wrt=[position[k] - n + 1 for k in selected],
                        in_def=(list, tuple(signature.defs[i] for i in nums)))

        def build(f_of_inputs, inputs, layout):
            recorded, observations, out_def, seeded = _record_outputs(f_of_inputs, inputs, has_aux)
            if recorded is None:
                return None
            value = recorded.output_values[seeded[0]] if len(seeded) == 1 else None
            if value is None or np.shape(value) != () or np.result_type(value).kind != "f":
                return None
            seed = 1.0 if np.result_type(value) == np.float64 else np.ones((), np.result_type(value))
            program = adjoint_program(recorded, observations, seeded, layout["wrt"], [value_type(seed)])
            # a constant output (f = lambda x: 3.0, or a constant branch) takes no seed: every gradient is 0
            program.out_def, program.seeds = out_def, [seed] if recorded.outputs[seeded[0]] is not None else []
            return program

        def call(program, layout):
            values = signature.values()
            outputs, residuals = program.forward(*values)
            bars = program.backward(residuals, *program.seeds)
            grads = unflatten(layout["in_def"], [zeros_like(values[k]) if bar is None else bar
                                                 for k, bar in zip(layout["selected"], bars)])
            return (unflatten(program.out_def, outputs),
                    grads[0] if isinstance(argnums, (int, np.integer)) else tuple(grads))

        return self.run(signature, kwargs, layout, build, call, engine)

    def jvp(self, primals, tangents):
        def engine():
            return api.jvp(self.f, primals, tangents)

        if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
            return engine()
        signature = _Signature(primals, {})
        tangent_leaves, tangent_def = flatten(tuple(tangents))
        if tangent_def != signature.treedef or len(signature.inputs) != len(signature.leaves):
            return engine()
        tangent_leaves = [check_tangent(t, x, f"tangent of input {i}")
                          for i, (t, x) in enumerate(zip(tangent_leaves, signature.leaves))]

        def build(f_of_inputs, inputs, layout):
            recorded, observations = _record(f_of_inputs, inputs)
            program = tangent_program(recorded, observations)
            program.out_def = recorded._recording.out_def
            return program

        def call(program, layout):
            outputs, output_tangents = program.forward(*signature.leaves, *tangent_leaves)
            return unflatten(program.out_def, outputs), unflatten(program.out_def, output_tangents)

        return self.run(signature, {}, lambda: True, build, call, engine)

    def vjp(self, primals):
        has_aux = self.has_aux

        def engine():
            return api.vjp(self.f, *primals, has_aux=has_aux)

        signature = _Signature(primals, {})
        if len(signature.inputs) != len(signature.leaves):
            return engine()
        n = len(signature.leaves)

        def build(f_of_inputs, inputs, layout):
            recorded, observations, out_def, seeded = _record_outputs(f_of_inputs, inputs, has_aux)
            if recorded is None:
                return None
            program = adjoint_program(recorded, observations, seeded, list(range(1 - n, 1)))
            program.out_def = out_def
            program.seeded = [k for k in seeded if recorded.outputs[k] is not None]
            program.all_seeded = seeded
            return program

        def call(program, layout):
            outputs, residuals = program.forward(*signature.leaves)
            everything = unflatten(program.out_def, outputs)
            out, aux = everything if has_aux else (everything, None)
            out_leaves, out_def = flatten(out)

            def pullback(cotangent):
                leaves, cotangent_def = flatten(cotangent)
                if cotangent_def != out_def:
                    raise ValueError("the cotangent must have the same structure as f's output (one value per output).")
                leaves = [check_tangent(c, o, f"cotangent of output {i}") for i, (c, o) in enumerate(zip(leaves, out_leaves))]
                seeds = [c for c, k in zip(leaves, program.all_seeded) if k in program.seeded]
                try:
                    bars = program.backward(residuals, *seeds)
                except (ArithmeticError, ValueError):
                    return engine()[1](cotangent)
                return unflatten(signature.treedef, [zeros_like(x) if b is None else b
                                                     for x, b in zip(signature.leaves, bars)])

            return (out, pullback, aux) if has_aux else (out, pullback)

        return self.run(signature, {}, lambda: True, build, call, engine)


class _PerFunction:
    """jvp(f, primals, tangents) or vjp(f, *primals): one cache per f, for the last MAX_SIGNATURES functions."""

    def __init__(self):
        self.caches = OrderedDict()

    def cache(self, f, has_aux=False):
        key = (f, has_aux)
        if key not in self.caches:
            self.caches[key] = _Compiled(f, has_aux=has_aux)
            if len(self.caches) > MAX_SIGNATURES:
                self.caches.popitem(last=False)
        self.caches.move_to_end(key)
        return self.caches[key]

    def cache_info(self):
        """Per-function caches summed: signatures, programs and counts of calls."""
        infos = [cache.cache_info() for cache in self.caches.values()]
        return {"functions": len(infos), **{k: sum(i[k] for i in infos) for k in (infos[0] if infos else {})}}


def compiled(transformed):
    """A transformation that runs generated derivative code: same arguments, same results.

    ``adlab.compiled(adlab.grad(f, argnums, has_aux))`` and ``adlab.compiled(adlab.value_and_grad(…))``
    return the transformed function; ``adlab.compiled(adlab.jvp)`` and ``adlab.compiled(adlab.vjp)``
    return a ``jvp(f, primals, tangents)`` and a ``vjp(f, *primals, has_aux=False)``. Programs are
    cached per signature and path (``.cache_info()`` reports the bounded cache); see the module docstring.
    """
    if transformed is api.jvp:
        caches = _PerFunction()

        def jvp(f, primals, tangents):
            check_function(f, "jvp")
            return caches.cache(f).jvp(primals, tangents)

        jvp.cache_info = caches.cache_info
        return jvp
    if transformed is api.vjp:
        caches = _PerFunction()

        def vjp(f, *primals, has_aux=False):
            check_function(f, "vjp")
            return caches.cache(f, has_aux).vjp(primals)

        vjp.cache_info = caches.cache_info
        return vjp
    spec = getattr(transformed, "transformation", None)
    if spec is None or getattr(transformed, "__wrapped__", None) is not spec[1]:
        raise TypeError("adlab.compiled takes adlab.grad(f) or adlab.value_and_grad(f) (with their argnums and "
                        "has_aux), or adlab.jvp or adlab.vjp themselves; e.g. adlab.compiled(adlab.grad(f)).")
    kind, f, argnums, has_aux = spec
    cache = _Compiled(f, argnums, has_aux)

    if kind == "value_and_grad":
        @functools.wraps(f)
        def value_and_grad_f(*args, **kwargs):
            return cache.value_and_grad(args, kwargs)

        value_and_grad_f.cache_info = cache.cache_info
        return value_and_grad_f

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        (value, grads) = cache.value_and_grad(args, kwargs)
        return (grads, value[1]) if has_aux else grads

    grad_f.cache_info = cache.cache_info
    return grad_f
