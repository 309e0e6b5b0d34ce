"""Runs in a staged program: a stretch of equations that repeats itself, written once as a ``for`` loop.

A loop in f, or a chain of layers, is staged as the same few equations over and over: W1's chain
of 1,000 operations is 200 times the same 5 equations forward, then 200 times the same few back.
Written line by line, a long program is as much bytecode, which one call reads from memory cold;
as loops it is a few lines, run as many times. A loop evaluates the same primitives in the same
order on the same values, so its results are the same bit for bit (tests/test_staging.py).

A *run* is ``count`` iterations of ``period`` equations (*slots*) where every iteration repeats the
one before: the same primitives, parameters, literals and value types, and Var arguments related
to the iteration the same way each time. An argument is

- ``Outside(var)``: a value from before the run, the same Var in every iteration;
- ``Slot(j)``: slot j of this iteration (an earlier slot);
- ``Carried(j)``: slot j of the previous iteration; the first iteration reads ``initial[j]``, a
  value from before the run (a loop's running value: an accumulated adjoint, a layer's input);
- ``FromRun(run, j, first, step)``: slot j of an earlier run, at iteration ``first + step·i`` in this
  run's iteration i, step −1, 0 or 1 (a backward sweep reads its forward sweep's values in reverse).

Guards, equations written into dead arrays and Vars nested in containers stay out of runs.
`adlab.program.to_python(..., loops=True)` writes the runs `find_runs` finds. This module reads a
program's equations only (a Var is known by identity), so `adlab.program` can import it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .program_literals import literal_key, params_key

MIN_COUNT = 4  # fewer iterations than this are written out: a loop would not be shorter
MAX_PERIOD = 64  # the longest loop body looked for, in equations


@dataclass(frozen=True)
class Outside:
    var: object  # a Var, or a literal value


@dataclass(frozen=True)
class Slot:
    slot: int


@dataclass(frozen=True)
class Carried:
    slot: int


@dataclass(frozen=True)
class FromRun:
    run: int
    slot: int
    first: int
    step: int


@dataclass
class Run:
    """Equations ``start … start + period·count − 1`` as ``count`` iterations of ``period`` slots."""

    start: int
    period: int
    count: int
    arguments: list  # per slot: one Outside/Slot/Carried/FromRun per argument of the slot's equation
    initial: dict  # carried slot: the value (Var or literal) its first reader reads before the run
    kept: set = field(default_factory=set)  # slots whose every iteration's value is kept in a list

    @property
    def end(self):
        return self.start + self.period * self.count


def find_runs(program, min_count=MIN_COUNT, max_period=MAX_PERIOD):
    """The runs of `program`, in order, and where each Var they define lives: {Var: (run, iteration, slot)}."""
    equations = program.equations
    if program.writes:  # arrays written into dead ones: short array programs, kept as they are
        return [], {}
    defined = {equation.out: k for k, equation in enumerate(equations)}
    variables = {id(var) for var in program.inputs} | {id(var) for var in defined}  # Vars, known by identity
    guard_positions = sorted({guard.after for guard in program.guards})
    runs, where = [], {}
    start = 0
    while start < len(equations):
        after = bisect.bisect_right(guard_positions, start)  # no guard inside a run: it ends at the next one
        limit = guard_positions[after] if after < len(guard_positions) else len(equations)
        run = _longest_run(program, variables, defined, where, start, limit, min_count, max_period)
        if run is None:
            start += 1
            continue
        for i in range(run.count):
            for j in range(run.period):
                where[equations[run.start + i * run.period + j].out] = (len(runs), i, j)
        runs.append(run)
        start = run.end
    _mark_kept(program, variables, runs, where)
    return runs, where


def _longest_run(program, variables, defined, where, start, limit, min_count, max_period):
    """The run starting at `start` that covers the most equations (at least min_count iterations), or None."""
    equations = program.equations
    best = None
    for period in range(1, min(max_period, (limit - start) // min_count) + 1):
        if equations[start + period].prim is not equations[start].prim or (best and period % best.period == 0):
            continue  # a multiple of a run's period covers no more than that run
        run = _run_of(program, variables, defined, where, start, period, limit)
        if run is not None and run.count >= min_count and (best is None or run.period * run.count > best.period * best.count):
            best = run
    return best


def _run_of(program, variables, defined, where, start, period, limit):
    """The run of this period from `start`, as many iterations as repeat the one before (None: not even two)."""
    equations, kinds = program.equations, program.kinds

    def relation(arg, iteration):
        """How an argument of an equation of `iteration` relates to the run (None: it cannot be in one)."""
        if id(arg) not in variables:
            return None if _holds_var(arg, variables) else Outside(("literal", literal_key(arg)))
        k = defined.get(arg)
        if k is not None and start <= k:
            before, slot = divmod(k - start, period)
            distance = iteration - before
            return Slot(slot) if distance == 0 else Carried(slot) if distance == 1 else None
        if arg in where:
            run, i, slot = where[arg]
            return FromRun(run, slot, i, 0)
        return Outside(arg)

    arguments, initial, steps = None, {}, {}
    count = 1
    while start + (count + 1) * period <= limit:
        i = count
        now_arguments = []
        for j in range(period):
            now, before = equations[start + i * period + j], equations[start + (i - 1) * period + j]
            if (now.prim is not before.prim or len(now.args) != len(before.args)
                    or _holds_var(now.params, variables) or params_key(now.params) != params_key(before.params)
                    or kinds.get(now.out) is not kinds.get(before.out)):
                return _finished(start, period, count, arguments, initial)
            slot_arguments = []
            for m, (a, b) in enumerate(zip(now.args, before.args)):
                if _kind(a, kinds, variables) is not _kind(b, kinds, variables):
                    return _finished(start, period, count, arguments, initial)
                ra, rb = relation(a, i), relation(b, i - 1)
                if ra is None or rb is None:
                    return _finished(start, period, count, arguments, initial)
                if type(ra) is Carried and i == 1:  # the first iteration reads the carried slot's initial value
                    if type(rb) is Slot or type(rb) is Carried:
                        return _finished(start, period, count, arguments, initial)
                    if ra.slot in initial and not _same_value(initial[ra.slot], b, variables):
                        return _finished(start, period, count, arguments, initial)
                    initial[ra.slot] = b
                elif type(ra) is FromRun and type(rb) is FromRun and (ra.run, ra.slot) == (rb.run, rb.slot):
                    step = ra.first - rb.first
                    if step not in (-1, 0, 1) or steps.setdefault((j, m), step) != step:
                        return _finished(start, period, count, arguments, initial)
                    ra = FromRun(ra.run, ra.slot, ra.first - step * i, step)  # the run's iteration 0 reads `first`
                elif ra != rb:
                    return _finished(start, period, count, arguments, initial)
                slot_arguments.append(ra)
            now_arguments.append(slot_arguments)
        arguments = now_arguments if arguments is None else arguments
        count += 1
    return _finished(start, period, count, arguments, initial)


def _finished(start, period, count, arguments, initial):
    if count < 2 or arguments is None:
        return None
    return Run(start, period, count, arguments, initial)


def _mark_kept(program, variables, runs, where):
    """Mark the slots some reader needs at an iteration other than the last: their values go into a list."""
    def read_outside_runs(var):
        if id(var) in variables and var in where:
            run, i, slot = where[var]
            if i != runs[run].count - 1:
                runs[run].kept.add(slot)

    in_runs = set()
    for run in runs:
        in_runs.update(range(run.start, run.end))
        for value in run.initial.values():
            read_outside_runs(value)
        for slot_arguments in run.arguments:
            for argument in slot_arguments:
                if type(argument) is FromRun:
                    source = runs[argument.run]
                    if not (argument.step == 0 and argument.first == source.count - 1):
                        source.kept.add(argument.slot)
    readers = [(equation.args, equation.params) for k, equation in enumerate(program.equations) if k not in in_runs]
    readers += [(guard.args, guard.kwargs) for guard in program.guards] + [list(program.outputs)]
    for value in readers:
        for var in _vars_in(value, variables):
            read_outside_runs(var)


def _vars_in(value, variables):
    """The Vars in a value (a Var, or a tuple, list or dict holding Vars)."""
    if id(value) in variables:
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _vars_in(item, variables)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _vars_in(item, variables)


def _holds_var(value, variables):
    return any(True for _ in _vars_in(value, variables))


def _kind(arg, kinds, variables):
    return kinds.get(arg) if id(arg) in variables else type(arg)


def _same_value(a, b, variables):
    if id(a) in variables or id(b) in variables:
        return a is b
    return literal_key(a) == literal_key(b)
