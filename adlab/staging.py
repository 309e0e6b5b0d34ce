"""Staging: record the engine's own derivative computation as a program.

This is how compiled derivatives are to be made (issue 21, item 1), as ``jax.make_jaxpr(jax.grad(f))``
makes JAX's: no second table of derivative rules, only the engine run under one more interpreter.
This module is that interpreter; the program it records, and its Python, are `adlab.program`'s; the
passes over the program, `adlab.program_passes`'s.

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

**Caching by signature** stays as `adlab.compiled` does it: a program is kept per input signature
(structure, types, shapes, dtypes, and the values of non-float arguments) and per path.
"""

from __future__ import annotations

import itertools

import numpy as np

from .core.arraybox import ArrayBox
from .core.interpreter import Box, Level, escaped, matrix_among
from .core.tree import flatten, unflatten
from .program import Equation, Guard, Program, Var

__all__ = ["NotStageable", "StagingLevel", "StagedBox", "Staging", "stage"]


class NotStageable(Exception):
    """What f does cannot be staged (it computes with values of a transformation around the staging)."""


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


# -- staging in steps ------------------------------------------------------------------------------


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
