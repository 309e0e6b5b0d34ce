"""Passes over a staged program as data: splitting it in two, and making it shorter.

Each is a function from program to program (`adlab.program`), so each can be read, tested and
dropped on its own. `split` makes a pullback's two programs: the forward run once, the reverse
sweep per cotangent. The others return a program that computes the same outputs, bit for bit,
with fewer equations: equations of literals folded, repeated equations shared, dead equations
removed, elementwise results written into arrays no longer needed (`optimized` runs them all).
"""

from __future__ import annotations

import math

import numpy as np

from .program import Equation, Guard, Program, Var, vars_of
from .program_literals import literal_key, params_key

__all__ = ["split", "optimized", "folded", "shared_repeats", "without_dead_equations", "with_writes_into_dead_arrays"]


# -- splitting a program ---------------------------------------------------------------------------


def split(program, known_inputs, known_outputs):
    """The program as two: what the first ``known_inputs`` inputs determine, then the rest.

    The first returns the first ``known_outputs`` outputs and the *residuals* (its variables the second
    reads); the second takes the residuals, then the remaining inputs, and returns the remaining
    outputs. A pullback: the forward run once, the reverse sweep per cotangent.
    """
    known = set(program.inputs[:known_inputs])
    first, second, position = [], [], {}
    for k, equation in enumerate(program.equations):
        position[k] = (len(first), len(second))
        if all(not isinstance(a, Var) or a in known for a in equation.args):
            known.add(equation.out)
            first.append(equation)
        else:
            second.append(equation)
    position[len(program.equations)] = (len(first), len(second))
    first_guards, second_guards = [], []
    for guard in program.guards:
        before_first, before_second = position[guard.after]
        if all(v in known for v in vars_of((guard.args, guard.kwargs))):
            first_guards.append(Guard(before_first, guard.func, guard.args, guard.kwargs, guard.expected))
        else:
            second_guards.append(Guard(before_second, guard.func, guard.args, guard.kwargs, guard.expected))
    read = set(vars_of([e.args for e in second] + [(g.args, g.kwargs) for g in second_guards]
                        + program.outputs[known_outputs:]))
    residuals = [v for v in program.inputs[:known_inputs] if v in read]
    residuals += [e.out for e in first if e.out in read]
    forward = Program(program.inputs[:known_inputs], first, first_guards,
                      program.outputs[:known_outputs] + residuals, kinds=program.kinds, layouts=program.layouts)
    backward = Program(residuals + program.inputs[known_inputs:], second, second_guards,
                       program.outputs[known_outputs:], kinds=program.kinds, layouts=program.layouts)
    return forward, backward, len(residuals)


# -- passes over the program as data ----------------------------------------------------------------
# Each takes a program and returns one that computes the same outputs, bit for bit, with fewer equations.


def optimized(program, writes=True):
    """Literals folded, repeated equations shared, equations no output or guard needs removed, and with
    ``writes``, elementwise results written into arrays no longer needed (not before `split`: the second
    part may run several times on the first part's arrays)."""
    program = without_dead_equations(shared_repeats(folded(program)))
    return with_writes_into_dead_arrays(program) if writes else program


def _rebuilt(program, kept_positions, substitute, equations):
    """program with `equations` (kept from positions kept_positions) and Vars replaced as `substitute` says."""
    new_position = {}
    count = 0
    for k in range(len(program.equations) + 1):
        new_position[k] = count
        if k in kept_positions:
            count += 1
    guards = [Guard(new_position[g.after], g.func, _replaced(g.args, substitute), _replaced(g.kwargs, substitute),
                    g.expected) for g in program.guards]
    outputs = [_replaced(v, substitute) for v in program.outputs]
    return Program(program.inputs, equations, guards, outputs, program.out_def, program.kinds, program.layouts)


def _replaced(value, substitute):
    if type(value) is Var:
        return substitute.get(value, value)
    if isinstance(value, (tuple, list)):
        return type(value)(_replaced(v, substitute) for v in value)
    if isinstance(value, dict):
        return {k: _replaced(v, substitute) for k, v in value.items()}
    return value


def _args_replaced(args, substitute):
    """An equation's arguments (Vars and literals, never nested) with Vars replaced as `substitute` says."""
    if not substitute:
        return args
    return tuple([substitute.get(a, a) if type(a) is Var else a for a in args])


def folded(program):
    """Equations of literals alone computed now: their result is a literal (the same evaluation, done once)."""
    substitute, equations, kept = {}, [], set()
    for k, equation in enumerate(program.equations):
        args = _args_replaced(equation.args, substitute)
        if not any(isinstance(a, Var) for a in args):
            substitute[equation.out] = equation.prim.impl(*args, **equation.params)
            continue
        equations.append(Equation(equation.out, equation.prim, args, equation.params))
        kept.add(k)
    return _rebuilt(program, kept, substitute, equations)


def shared_repeats(program):
    """An equation that repeats an earlier one (same primitive, arguments and parameters) reads its result."""
    substitute, seen, equations, kept = {}, {}, [], set()
    for k, equation in enumerate(program.equations):
        args = _args_replaced(equation.args, substitute)
        key = (equation.prim, tuple(a if isinstance(a, Var) else literal_key(a) for a in args),
               params_key(equation.params))
        if key in seen:
            substitute[equation.out] = seen[key]
            continue
        seen[key] = equation.out
        equations.append(Equation(equation.out, equation.prim, args, equation.params))
        kept.add(k)
    return _rebuilt(program, kept, substitute, equations)


def without_dead_equations(program):
    """Only the equations an output or a guard reads, directly or not."""
    needed = set(vars_of(program.outputs)) | set(vars_of([(g.args, g.kwargs) for g in program.guards]))
    kept = set()
    for k in range(len(program.equations) - 1, -1, -1):
        equation = program.equations[k]
        if equation.out in needed:
            kept.add(k)
            needed.update(vars_of(equation.args))
    equations = [e for k, e in enumerate(program.equations) if k in kept]
    return _rebuilt(program, kept, {}, equations)


def _fresh(prim):
    """Whether prim's evaluation returns a new array (a ufunc's result), never a view of an argument."""
    return prim.ufunc is not None


def _writable(prim):
    """An elementwise ufunc whose evaluation on arrays is that ufunc: its result may go into a dead argument.
    (power is left out: ``x ** 2`` on an array is NumPy's square, not ``np.power``.)"""
    return prim.ufunc is not None and prim.elementwise and prim.ufunc is not np.power


def with_writes_into_dead_arrays(program):
    """Each elementwise result written into an argument array no later equation, guard or output reads.

    Bit for bit the same: the same ufunc, into an array of the result's shape and dtype, in C order, that
    the program made itself (never an input or an output, nor an array a view of which is read later).
    """
    layouts, parent = program.layouts, {}

    def root(var):  # the variables that may share memory form one group (views: reshape, getitem, …)
        while parent.get(var, var) is not var:
            var = parent[var]
        return var

    for equation in program.equations:
        if not _fresh(equation.prim):
            for arg in equation.args:
                if type(arg) is Var and arg in layouts:
                    parent[root(arg)] = root(equation.out)
    last_read = {}  # group -> the last position reading it (equation k at k, a guard before equation k at k - 0.5)
    for k, equation in enumerate(program.equations):
        for arg in equation.args:
            if type(arg) is Var:
                last_read[root(arg)] = k
    for guard in program.guards:
        for var in vars_of((guard.args, guard.kwargs)):
            last_read[root(var)] = max(last_read.get(root(var), -1), guard.after - 0.5)
    for var in set(program.inputs) | set(vars_of(program.outputs)):
        last_read[root(var)] = math.inf
    producers = {equation.out: equation for equation in program.equations}
    writes = {}
    for k, equation in enumerate(program.equations):
        layout = layouts.get(equation.out)
        if (not _writable(equation.prim) or equation.params or layout is None or not layout[0] or not layout[2]
                or any(type(a) is Var and a in layouts and not layouts[a][2] for a in equation.args)):
            continue
        for arg in equation.args:
            producer = producers.get(arg) if type(arg) is Var else None
            if (producer is not None and _fresh(producer.prim) and layouts.get(arg) == layout
                    and last_read.get(root(arg)) == k):
                writes[equation.out] = arg
                break
    return Program(program.inputs, program.equations, program.guards, program.outputs, program.out_def,
                   program.kinds, program.layouts, writes)
