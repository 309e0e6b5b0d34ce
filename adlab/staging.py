"""Staging: record the engine's own derivative computation as a program, and write it out as Python.

This is how compiled derivatives are to be made (issue 21, item 1), as ``jax.make_jaxpr(jax.grad(f))``
makes JAX's: no second table of derivative rules, only the engine run under one more interpreter.

**The staging level.** `StagingLevel` is one more interpreter of the primitives, like forward mode
and reverse mode. Created *first*, it is the outermost level, so every primitive evaluated anywhere
inside — f's forward run and the reverse sweep's VJP rules alike, since the rules are written with
primitives — reaches it last, on values that carry no other level's boxes: it appends an equation
``(primitive, params, argument variables)`` to the program and returns a `StagedBox` for the result.
Unlike a jaxpr's abstract values, a staged box also carries the *concrete* value computed at the
point f is staged at (adlab traces at a point, as `adlab.trace` does), so shapes, dtypes and Python
types are known exactly and code that looks at values keeps working.

**Value-dependent choices inside rules** are primitives too: ``abs``'s sign, ``maximum``'s tie
share, ``clip``'s inside mask, ``power``'s "y = 0" and "x = 0" masks, ``max``'s hits, the floor in
``remainder``'s rule (``adlab.core.rules``, "values that rules read"). They are *not differentiated*
(their tangent and cotangents are zero: forward mode returns them without a tangent, reverse mode
records them and passes nothing back through them), but every level records them, so the staged
program computes them on each call instead of freezing the values of the staged call.

**Guards.** Where Python looks at a traced value (``if x > 0``, ``bool(mask.any())`` inside a rule,
``np.argsort(x)``), the result is a choice the program cannot re-make by arithmetic; each is a
*guard*: the equation that recomputes it from the program's variables and the value it had when
staged. A call whose guard comes out differently raises `PathChanged` and is staged again (the
cache keeps a few paths per signature). The staging level learns of these as every level does:
NumPy's functions on traced values call `Level.read` for each level whose boxes they read.

**The program** (`Program`) is data: ``inputs`` (variables), ``equations`` (each one primitive
applied to variables and literals, with its parameters), ``guards`` (an equation's position, a
function of variables, the value seen) and ``outputs`` (variables or literals). Passes over it are
functions from program to program: equations of literals folded, repeated equations shared, dead
equations removed, elementwise results written into arrays no longer needed (`optimized`).

**Writing Python** (`to_python`): each equation becomes one line, ``v7 = sin_impl(v3)``, calling
the primitive's own evaluation (``prim.impl``, the function the engine runs; a Python operator
where that evaluation *is* one, ``v8 = v7 * v5``), so the program computes exactly what the engine
computes, bit for bit, with the engine's conventions (real results for real inputs, Python floats
kept Python floats). On Python floats it calls the evaluation on floats the rule table names
(``on_floats``: ``math.sin``), which raises where the engine would ask NumPy for an inf or nan;
the caller then runs the engine. Guards become ``if`` lines that raise `PathChanged`. The compiled
source reuses dead variables' names (few locals in a long program) and is compiled once and kept.

**Caching by signature** stays as `adlab.compiled` does it: a program is kept per input signature
(structure, types, shapes, dtypes, and the values of non-float arguments) and per path.
"""

from __future__ import annotations

import itertools
import math
import operator
from dataclasses import dataclass, field

import numpy as np

from .core.arraybox import ArrayBox
from .core.interpreter import Box, Level, escaped, matrix_among
from .core.tree import flatten, unflatten

__all__ = ["Var", "Equation", "Guard", "Program", "PathChanged", "NotStageable", "StagingLevel", "StagedBox",
           "Staging", "stage", "split", "same", "to_python", "compile_program", "optimized", "folded", "shared_repeats",
           "without_dead_equations", "with_writes_into_dead_arrays"]


class PathChanged(Exception):
    """A guard of a staged program saw a choice come out differently from the staged call."""


class NotStageable(Exception):
    """What f does cannot be staged (it computes with values of a transformation around the staging)."""


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


class StagedBox(ArrayBox):
    """A value at the staging level: the variable that will hold it, and its value at the staged call."""

    __slots__ = ("var",)

    def __init__(self, value, level, var):
        self.value = value
        self.level = level
        self.var = var


class StagingLevel(Level):
    """Staging as an interpreter: each primitive is evaluated and appended to the program as an equation."""

    __slots__ = ("equations", "guards", "numbers", "kinds", "layouts")

    def __init__(self):
        super().__init__()
        self.equations, self.guards, self.kinds, self.layouts = [], [], {}, {}
        self.numbers = itertools.count()

    def new_input(self, value):
        var = Var(next(self.numbers))
        self.kinds[var] = type(value)
        self._layout(var, value)
        return StagedBox(value, self, var)

    def _layout(self, var, value):
        if type(value) is np.ndarray:
            self.layouts[var] = (value.shape, value.dtype, value.flags.c_contiguous)

    def process(self, prim, args, params):
        if self.finished:
            raise escaped(self)
        values, operands = [], []
        for arg in args:
            if type(arg) is StagedBox and arg.level is self:
                values.append(arg.value)
                operands.append(arg.var)
            elif isinstance(arg, Box):  # the staging level is the innermost here: this box is of an outer level
                raise NotStageable("f computes with a value of a transformation applied around the staging")
            else:
                values.append(arg)
                operands.append(arg)
        try:
            out = prim.impl(*values, **params)
        except (TypeError, ValueError) as error:
            if (refusal := matrix_among(prim, values)) is not None:
                raise refusal from error
            raise
        var = Var(next(self.numbers))
        self.kinds[var] = type(out)
        self._layout(var, out)
        self.equations.append(Equation(var, prim, tuple(operands), dict(params)))
        return StagedBox(out, self, var)

    def read(self, func, args, kwargs, result):
        """A result computed from the values of staged boxes becomes a guard: the program re-checks it."""
        super().read(func, args, kwargs, result)
        found = []
        marked = self._mark((args, kwargs), found)
        if found:
            self.guards.append(Guard(len(self.equations), func, marked[0], marked[1], result))

    def _mark(self, value, found):
        """value with each staged leaf (under any inner levels' boxes) replaced by its Var."""
        if isinstance(value, Box):
            while isinstance(value, Box) and value.level is not self:
                value = value.value
            if isinstance(value, Box):
                found.append(value)
                return value.var
            return value
        if isinstance(value, (tuple, list)):
            return type(value)(self._mark(v, found) for v in value)
        if isinstance(value, dict):
            return {k: self._mark(v, found) for k, v in value.items()}
        return value


def stage(fun, *args):
    """The program of fun(*args): every primitive fun evaluates, and every choice it makes from values.

    The float leaves of args are the program's inputs; fun's output leaves its outputs (``out_def``
    their structure). Run it as ``program(*leaves)``.
    """
    leaves, in_def = flatten(args)
    with Staging(getattr(fun, "__name__", "f")) as staging:
        result = fun(*unflatten(in_def, [staging.input(x) for x in leaves]))
    return staging.program(result)


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
        if _reads_back(value):
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


def _reads_back(value):
    """A value whose repr, read back, is the same value of the same type (a Python number, None, a tuple of them)."""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is tuple:
        return all(_reads_back(v) for v in value)
    return False


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


def to_python(program, names=None, reuse_names=False):
    """The program as the source of one Python function, ``staged(v0, v1, …)``, returning its output leaves.

    With ``reuse_names`` a variable's name is given to a later one once it is dead, so a long program has
    few local variables (CPython reads the first 256 with shorter instructions).
    """
    names = names or _Namespace()
    if reuse_names:
        names.var_names = _reused_names(program)
    lines = [f"def staged({', '.join(names.source(v) for v in program.inputs)}):"]
    guards = sorted(program.guards, key=lambda guard: guard.after)
    next_guard = 0
    for position in range(len(program.equations) + 1):
        while next_guard < len(guards) and guards[next_guard].after == position:
            lines.append("    " + _guard_source(guards[next_guard], names))
            next_guard += 1
        if position < len(program.equations):
            lines.append("    " + _equation_source(program.equations[position], names, program.kinds, program.writes))
    outputs = ", ".join(names.source(v) for v in program.outputs)
    lines.append(f"    return ({outputs}{',' if len(program.outputs) == 1 else ''})")
    return "\n".join(lines)


def _reused_names(program):
    """A name per Var, r0, r1, …, a dead Var's name reused: the last reads counted by equation (a guard reads
    before the equation it precedes), outputs read at the end."""
    end = len(program.equations)
    last = {}
    for k, equation in enumerate(program.equations):
        for var in _vars_of(equation.args):
            last[var] = k
    for guard in program.guards:
        for var in _vars_of((guard.args, guard.kwargs)):
            last[var] = max(last.get(var, -1), guard.after)
    for var in _vars_of(program.outputs):
        last[var] = end
    names, free, count = {}, set(), itertools.count()
    for var in program.inputs:
        names[var] = f"r{next(count)}"
    guards_before = {}
    for guard in program.guards:
        guards_before.setdefault(guard.after, []).append((guard.args, guard.kwargs))
    for k, equation in enumerate(program.equations):
        for var in _vars_of([equation.args, guards_before.get(k, ())]):
            if last.get(var) == k and var in names:
                free.add(names[var])
        names[equation.out] = free.pop() if free else f"r{next(count)}"
        if equation.out not in last:  # never read (an equation kept for nothing): its name is free again
            free.add(names[equation.out])
    return names


_count = itertools.count(1)


def compile_program(program):
    """The program as a Python function of its input leaves (the source is kept as its ``source``)."""
    names = _Namespace()
    source = to_python(program, names, reuse_names=True)
    namespace = dict(names.values)
    exec(compile(source, f"<adlab.staging #{next(_count)}>", "exec"), namespace)
    function = namespace["staged"]
    function.source = source
    return function


# -- staging in steps, and splitting a program -----------------------------------------------------


class Staging:
    """A staging level while it records: ``input(value)`` makes a program input, ``program(outputs)`` ends it.

    For programs whose later inputs depend on what the first part computed (a pullback's cotangent is
    shaped like f's output); `stage` is this in one step.
    """

    def __init__(self, name="f"):
        self.level = StagingLevel()
        self.inputs = []
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.level.finished = f"stage({self.name})"
        return False

    def input(self, value):
        box = self.level.new_input(value)
        self.inputs.append(box.var)
        return box

    def program(self, result):
        out_leaves, out_def = flatten(result)
        outputs = []
        for leaf in out_leaves:
            if type(leaf) is StagedBox and leaf.level is self.level:
                outputs.append(leaf.var)
            elif isinstance(leaf, Box):
                raise NotStageable("f returned a value of a transformation applied around the staging")
            else:
                outputs.append(leaf)
        return Program(list(self.inputs), self.level.equations, self.level.guards, outputs, out_def, self.level.kinds,
                       self.level.layouts)


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
        if all(v in known for v in _vars_of((guard.args, guard.kwargs))):
            first_guards.append(Guard(before_first, guard.func, guard.args, guard.kwargs, guard.expected))
        else:
            second_guards.append(Guard(before_second, guard.func, guard.args, guard.kwargs, guard.expected))
    read = set(_vars_of([e.args for e in second] + [(g.args, g.kwargs) for g in second_guards]
                        + program.outputs[known_outputs:]))
    residuals = [v for v in program.inputs[:known_inputs] if v in read]
    residuals += [e.out for e in first if e.out in read]
    forward = Program(program.inputs[:known_inputs], first, first_guards,
                      program.outputs[:known_outputs] + residuals, kinds=program.kinds, layouts=program.layouts)
    backward = Program(residuals + program.inputs[known_inputs:], second, second_guards,
                       program.outputs[known_outputs:], kinds=program.kinds, layouts=program.layouts)
    return forward, backward, len(residuals)


def _vars_of(value):
    if isinstance(value, Var):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _vars_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _vars_of(item)


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


def _literal_key(value):
    """A key under which equal literals meet: by value where repr reads back, else by identity."""
    return ("value", type(value), repr(value)) if _reads_back(value) else ("object", id(value))


def _params_key(params):
    return tuple((name, _literal_key(value)) for name, value in sorted(params.items()))


def shared_repeats(program):
    """An equation that repeats an earlier one (same primitive, arguments and parameters) reads its result."""
    substitute, seen, equations, kept = {}, {}, [], set()
    for k, equation in enumerate(program.equations):
        args = _args_replaced(equation.args, substitute)
        key = (equation.prim, tuple(a if isinstance(a, Var) else _literal_key(a) for a in args),
               _params_key(equation.params))
        if key in seen:
            substitute[equation.out] = seen[key]
            continue
        seen[key] = equation.out
        equations.append(Equation(equation.out, equation.prim, args, equation.params))
        kept.add(k)
    return _rebuilt(program, kept, substitute, equations)


def without_dead_equations(program):
    """Only the equations an output or a guard reads, directly or not."""
    needed = set(_vars_of(program.outputs)) | set(_vars_of([(g.args, g.kwargs) for g in program.guards]))
    kept = set()
    for k in range(len(program.equations) - 1, -1, -1):
        equation = program.equations[k]
        if equation.out in needed:
            kept.add(k)
            needed.update(_vars_of(equation.args))
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
        for var in _vars_of((guard.args, guard.kwargs)):
            last_read[root(var)] = max(last_read.get(root(var), -1), guard.after - 0.5)
    for var in set(program.inputs) | set(_vars_of(program.outputs)):
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
