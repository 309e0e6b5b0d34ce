"""A staged program as data, and written out as Python.

`adlab.staging` records a program; this module is what it records and how it runs: the data passes
read and rebuild (`adlab.program_passes`), and the Python it becomes.

**The program** (`Program`) is data: ``inputs`` (variables), ``equations`` (each one primitive
applied to variables and literals, with its parameters), ``guards`` (an equation's position, a
function of variables, the value seen) and ``outputs`` (variables or literals).

**Writing Python** (`to_python`): each equation becomes one line, ``v7 = sin_impl(v3)``, calling
the primitive's own evaluation (``prim.impl``, the function the engine runs; a Python operator
where that evaluation *is* one, ``v8 = v7 * v5``), so the program computes exactly what the engine
computes, bit for bit, with the engine's conventions (real results for real inputs, Python floats
kept Python floats). On Python floats it calls the evaluation on floats the rule table names
(``on_floats``: ``math.sin``), which raises where the engine would ask NumPy for an inf or nan;
the caller then runs the engine. Guards become ``if`` lines that raise `PathChanged`. The compiled
source reuses dead variables' names (few locals in a long program) and is compiled once and kept.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import operator
from dataclasses import dataclass, field

import numpy as np

from .program_literals import reads_back
from .program_loops import Carried, FromRun, Slot, find_runs

__all__ = ["Var", "Equation", "Guard", "Program", "PathChanged", "same", "to_python", "compile_program", "vars_of",
           "reads_back"]


class PathChanged(Exception):
    """A guard of a staged program saw a choice come out differently from the staged call."""


class Var:
    """A variable of a staged program: an input or one equation's result (one object per variable, so
    compared and hashed by identity, which keeps the passes' dictionaries fast)."""

    __slots__ = ("number",)

    def __init__(self, number):
        self.number = number

    def __repr__(self):
        return f"v{self.number}"


@dataclass(frozen=True)
class Equation:
    """``out = prim(*args, **params)``; an argument is a Var or a literal value."""

    out: Var
    prim: object
    args: tuple
    params: dict


@dataclass(frozen=True)
class Guard:
    """A choice Python made from staged values: ``func(*args, **kwargs)`` gave ``expected``.

    ``after`` is how many equations came before it (the values it reads exist from there on).
    """

    after: int
    func: object
    args: tuple
    kwargs: dict
    expected: object


@dataclass
class Program:
    """A staged program as data: its inputs, equations, guards and outputs (Vars or literals)."""

    inputs: list
    equations: list
    guards: list
    outputs: list
    out_def: object = None
    kinds: dict = field(default_factory=dict)  # each Var's type at the staged call (float, np.ndarray …)
    layouts: dict = field(default_factory=dict)  # an array Var's (shape, dtype, C order) at the staged call
    writes: dict = field(default_factory=dict)  # an equation's result Var: the argument Var it is written into
    _compiled: object = field(default=None, repr=False)

    def __str__(self):
        return to_python(self)

    def __call__(self, *inputs):
        """The output leaves at these inputs (PathChanged where a guard sees another path).

        On Python floats a program calls the primitives' evaluations on floats (`math`, Python's operators),
        which raise (ValueError, ArithmeticError) where the engine would ask NumPy for an inf or nan: the
        caller then runs the engine (`adlab.compiled` does).
        """
        if self._compiled is None:
            self._compiled = compile_program(self)
        return self._compiled(*inputs)


# -- guards -------------------------------------------------------------------------------------


def same(a, b):
    """Whether a recomputed guard value equals the staged one (arrays entry by entry, nan equal to nan)."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return a == b or (a != a and b != b)


# -- writing Python --------------------------------------------------------------------------------

# Primitives whose evaluation *is* a Python operator: written as that operator (the same call, read faster).
_INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.matmul: "@",
          operator.truediv: "/", operator.mod: "%",
          operator.gt: ">", operator.eq: "==", operator.ne: "!=", operator.ge: ">=", operator.le: "<=",
          operator.lt: "<"}


class _Namespace:
    """The names a program's source refers to: each primitive's evaluation and each non-literal constant."""

    def __init__(self):
        self.values = {"PathChanged": PathChanged, "same": same}
        self.names = {}
        self.var_names = {}  # a Var's name where names are reused (compiled source); repr(var) otherwise

    def function(self, prim, impl):
        """A name for impl, the primitive's evaluation (``sin_impl``) or its evaluation on floats (``sin_float``)."""
        name = f"{_identifier(prim.name)}_{'impl' if impl is prim.impl else 'float'}"
        existing = self.values.get(name)
        if existing is not None and existing is not impl:
            name = f"{name}{len(self.values)}"
        self.values[name] = impl
        return name

    def constant(self, value):
        """Source for a literal: its repr where that reads back the same value and type, else a name."""
        if reads_back(value):
            return repr(value)
        key = id(value)
        if key not in self.names:
            self.names[key] = f"c{len(self.names)}"
            self.values[self.names[key]] = value
        return self.names[key]

    def source(self, value):
        if isinstance(value, Var):
            return self.var_names.get(value) or repr(value)
        if isinstance(value, (tuple, list)) and any(isinstance(v, Var) for v in value):
            items = ", ".join(self.source(v) for v in value)
            return f"({items}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{items}]"
        if isinstance(value, dict) and any(isinstance(v, Var) for v in value.values()):
            return "{" + ", ".join(f"{self.constant(k)}: {self.source(v)}" for k, v in value.items()) + "}"
        return self.constant(value)


def _identifier(name):
    return "".join(c if c.isalnum() else "_" for c in name)


def _equation_source(equation, names, kinds, writes):
    args = [names.source(a) for a in equation.args]
    target = writes.get(equation.out)
    if target is not None:  # into a dead array of the same shape and dtype: the ufunc the evaluation calls
        ufunc = equation.prim.ufunc
        names.values[f"np_{ufunc.__name__}"] = ufunc
        return f"{names.source(equation.out)} = np_{ufunc.__name__}({', '.join(args)}, out={names.source(target)})"
    impl = equation.prim.impl
    on_floats = getattr(impl, "on_floats", None)
    if on_floats is not None and not equation.params and all(
            (kinds.get(a) if isinstance(a, Var) else type(a)) in (float, int) for a in equation.args):
        impl = on_floats  # Python floats only: the fast evaluation, which raises where impl would ask NumPy
    symbol = _INFIX.get(impl)
    if symbol is not None and len(args) == 2 and not equation.params:
        return f"{names.source(equation.out)} = {args[0]} {symbol} {args[1]}"
    if equation.prim.impl is operator.neg and not equation.params:
        return f"{names.source(equation.out)} = -{args[0]}"
    params = [f"{key}={names.source(value)}" for key, value in equation.params.items()]
    function = names.function(equation.prim, impl)
    return f"{names.source(equation.out)} = {function}({', '.join(args + params)})"


def _guard_source(guard, names):
    args = [names.source(a) for a in guard.args] + [f"{k}={names.source(v)}" for k, v in guard.kwargs.items()]
    expected = guard.expected
    if isinstance(expected, (bool, np.bool_)) and not guard.kwargs:
        if guard.func is bool and len(args) == 1:
            test = args[0]
        elif guard.func in _INFIX and len(args) == 2:
            test = f"{args[0]} {_INFIX[guard.func]} {args[1]}"
        else:
            test = f"{names.constant(guard.func)}({', '.join(args)})"
        return f"if {'not ' if expected else ''}({test}): raise PathChanged"
    return f"if not same({names.constant(guard.func)}({', '.join(args)}), {names.constant(expected)}): raise PathChanged"


def to_python(program, names=None, reuse_names=False, loops=False):
    """The program as the source of one Python function, ``staged(v0, v1, …)``, returning its output leaves.

    With ``reuse_names`` a variable's name is given to a later one once it is dead, so a long program has
    few local variables (CPython reads the first 256 with shorter instructions). With ``loops`` each run
    of repeated equations is written once, as a ``for`` loop (`adlab.program_loops`).
    """
    names = names or _Namespace()
    runs, where = find_runs(program) if loops else ([], {})
    if reuse_names:
        in_runs = {k for run in runs for k in range(run.start, run.end)}
        names.var_names = _reused_names(program, in_runs)
    for var, (number, iteration, slot) in where.items():  # what code outside the runs calls their values
        run = runs[number]
        names.var_names[var] = (f"l{number}_{slot}" if iteration == run.count - 1
                                else f"s{number}_{slot}[{iteration}]")
    run_at = {run.start: (number, run) for number, run in enumerate(runs)}
    lines = [f"def staged({', '.join(names.source(v) for v in program.inputs)}):"]
    guards = sorted(program.guards, key=lambda guard: guard.after)
    next_guard = 0
    position = 0
    while position <= len(program.equations):
        while next_guard < len(guards) and guards[next_guard].after == position:
            lines.append("    " + _guard_source(guards[next_guard], names))
            next_guard += 1
        if position in run_at:
            number, run = run_at[position]
            lines += _run_source(program, runs, number, names)
            position = run.end
            continue
        if position < len(program.equations):
            lines.append("    " + _equation_source(program.equations[position], names, program.kinds, program.writes))
        position += 1
    outputs = ", ".join(names.source(v) for v in program.outputs)
    lines.append(f"    return ({outputs}{',' if len(program.outputs) == 1 else ''})")
    return "\n".join(lines)


def _run_source(program, runs, number, names):
    """A run as a ``for`` loop: its slots' variables ``l{run}_{slot}``, a carried slot's initial value set
    before the loop (or copied into ``c{run}_{slot}`` where a later slot of the body reads it), the values
    read at other iterations kept in the lists ``s{run}_{slot}``, an earlier run's values read once per
    iteration into ``f{run}_{k}``."""
    run = runs[number]
    equations = program.equations
    readers = {}  # carried slot: the slots that read it
    for j, arguments in enumerate(run.arguments):
        for argument in arguments:
            if type(argument) is Carried:
                readers.setdefault(argument.slot, set()).add(j)
    copied = {slot for slot, reading in readers.items() if max(reading) > slot}  # read after it is recomputed
    counter = f"i{number}"

    def carried_name(slot):
        return f"{'c' if slot in copied else 'l'}{number}_{slot}"

    def from_run_source(argument):
        source = runs[argument.run]
        if argument.step == 0:
            if argument.first == source.count - 1:
                return f"l{argument.run}_{argument.slot}"
            return f"s{argument.run}_{argument.slot}[{argument.first}]"
        index = f"{argument.first} {'+' if argument.step > 0 else '-'} {counter}" if argument.first else counter
        return f"s{argument.run}_{argument.slot}[{index}]"

    lines = [f"    s{number}_{slot} = [None] * {run.count}" for slot in sorted(run.kept)]
    lines += [f"    {carried_name(slot)} = {names.source(value)}" for slot, value in sorted(run.initial.items())]
    lines.append(f"    for {counter} in range({run.count}):")
    read = {}  # an earlier run's value read in the body: loaded once per iteration, into f{run}_{k}
    for arguments in run.arguments:
        for argument in arguments:
            if type(argument) is FromRun and argument not in read:
                source = from_run_source(argument)
                if "[" in source:
                    read[argument] = f"f{number}_{len(read)}"
                    lines.append(f"        {read[argument]} = {source}")
    for j in range(run.period):
        equation = equations[run.start + run.period + j]  # iteration 1's: it shows every kind of argument
        local = {equation.out: f"l{number}_{j}"}
        for arg, argument in zip(equation.args, run.arguments[j]):
            if type(argument) is Slot:
                local[arg] = f"l{number}_{argument.slot}"
            elif type(argument) is Carried:
                local[arg] = carried_name(argument.slot)
            elif type(argument) is FromRun:
                local[arg] = read.get(argument) or from_run_source(argument)
        saved = {var: names.var_names.get(var) for var in local}
        names.var_names.update(local)
        try:
            lines.append("        " + _equation_source(equation, names, program.kinds, program.writes))
        finally:
            for var, name in saved.items():
                if name is None:
                    names.var_names.pop(var, None)
                else:
                    names.var_names[var] = name
        if j in run.kept:
            lines.append(f"        s{number}_{j}[{counter}] = l{number}_{j}")
    lines += [f"        c{number}_{slot} = l{number}_{slot}" for slot in sorted(copied)]
    return lines


def _reused_names(program, in_runs=frozenset()):
    """A name per Var, r0, r1, …, a dead Var's name reused: the last reads counted by equation (a guard reads
    before the equation it precedes), outputs read at the end. The equations at positions `in_runs` are
    written as loops, with names of their own: they take none."""
    end = len(program.equations)
    last = {}
    for k, equation in enumerate(program.equations):
        for var in vars_of(equation.args):
            last[var] = k
    for guard in program.guards:
        for var in vars_of((guard.args, guard.kwargs)):
            last[var] = max(last.get(var, -1), guard.after)
    for var in vars_of(program.outputs):
        last[var] = end
    names, free, count = {}, set(), itertools.count()
    for var in program.inputs:
        names[var] = f"r{next(count)}"
    guards_before = {}
    for guard in program.guards:
        guards_before.setdefault(guard.after, []).append((guard.args, guard.kwargs))
    for k, equation in enumerate(program.equations):
        for var in vars_of([equation.args, guards_before.get(k, ())]):
            if last.get(var) == k and var in names:
                free.add(names[var])
        if k in in_runs:
            continue
        names[equation.out] = free.pop() if free else f"r{next(count)}"
        if equation.out not in last:  # never read (an equation kept for nothing): its name is free again
            free.add(names[equation.out])
    return names


_count = itertools.count(1)


@contextlib.contextmanager
def cyclic_gc_paused():
    """Python's cyclic garbage collector off while a program is built, then as it was.

    Building a program makes objects by the hundred thousand (equations, names, source lines,
    bytecode) and no garbage cycles; the collector, triggered by the allocations, would scan
    all of them again each time a generation fills up, so a long trace's build time would grow
    faster than the trace (benchmarks/RESULTS.md, compiled W1's build time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compile_program(program):
    """The program as a Python function of its input leaves (the source is kept as its ``source``)."""
    with cyclic_gc_paused():
        names = _Namespace()
        source = to_python(program, names, reuse_names=True, loops=True)
        namespace = dict(names.values)
        exec(compile(source, f"<adlab.compiled #{next(_count)}>", "exec"), namespace)
    function = namespace["staged"]
    function.source = source
    return function


def vars_of(value):
    """The Vars in a value (an argument, a tuple, list or dict of them), in order."""
    if isinstance(value, Var):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from vars_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from vars_of(item)

