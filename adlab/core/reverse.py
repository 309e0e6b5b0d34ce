"""Reverse mode: a flat tape (the Wengert list) swept backwards with a loop.

A tape row is ``(prim, params, args, out, parents)``: the primitive, its
parameters, the argument values one level down, the output value, and
``parents``, for each argument the row it came from (-1 for a constant).
Rows hold values and row numbers in tuples, never boxes, so the tape has no
reference cycles and little for Python's garbage collector to chase; sweeping
it is a loop, so a million-row chain needs no recursion.
"""

from __future__ import annotations

import numpy as np

from .arraybox import ArrayBox
from .interpreter import Box, Level, bind, escaped, matrix_among, missing_rule


class ReverseBox(ArrayBox):
    """A value traced at one reverse level, known by its row on the tape."""

    __slots__ = ("index",)

    def __init__(self, value, level, index):
        self.value = value
        self.level = level
        self.index = index


class ShapeOnly:
    """Stands on the tape for an array whose VJPs need only its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, array):
        self.shape, self.dtype = array.shape, array.dtype


class ReverseLevel(Level):
    """Reverse mode as an interpreter: each primitive call is evaluated and recorded as a tape row.

    With ``keep_values`` off, arguments a primitive declares ``shape_only`` are
    kept as their shapes (see Primitive); a trace for tables keeps every value.
    """

    __slots__ = ("tape", "keep_values")

    def __init__(self, keep_values=False):
        super().__init__()
        self.tape = []
        self.keep_values = keep_values

    def new_input(self, value):
        self.tape.append((None, {}, (), value, ()))
        return ReverseBox(value, self, len(self.tape) - 1)

    def process(self, prim, args, params):
        if self.finished:
            raise escaped(self)
        if len(args) == 1:  # unary: the argument is ours, since this level is the innermost
            values = (args[0].value,)
            parents = (args[0].index,)
        elif len(args) == 2:  # binary, spelled out: this is the hot path of scalar code
            a, b = args
            a_ours = type(a) is ReverseBox and a.level is self
            b_ours = type(b) is ReverseBox and b.level is self
            values = (a.value if a_ours else a, b.value if b_ours else b)
            parents = (a.index if a_ours else -1, b.index if b_ours else -1)
        else:
            ours = [type(a) is ReverseBox and a.level is self for a in args]
            values = tuple([a.value if mine else a for a, mine in zip(args, ours)])
            parents = tuple([a.index if mine else -1 for a, mine in zip(args, ours)])
        for value in values:
            if isinstance(value, Box):  # traced at an outer level too
                out = bind(prim, *values, **params)
                break
        else:
            try:
                out = prim.impl(*values, **params) if params else prim.impl(*values)
            except (TypeError, ValueError) as error:
                if (refusal := matrix_among(prim, values)) is not None:
                    raise refusal from error
                raise
        stored = out
        if prim.shape_only and type(out) is not float and not self.keep_values:  # scalars cost nothing to keep
            values = tuple(ShapeOnly(v) if i in prim.shape_only and type(v) is np.ndarray else v
                           for i, v in enumerate(values))
            if "out" in prim.shape_only and type(out) is np.ndarray:
                stored = ShapeOnly(out)
        tape = self.tape
        tape.append((prim, params, values, stored, parents))
        return ReverseBox(out, self, len(tape) - 1)


def backward(tape, seeds, contributions=None, keep_all=False):
    """Sweep the tape from the end; return the adjoints (None means zero).

    ``seeds`` maps rows to output cotangents. An operation row's adjoint is
    dropped once it has been passed on, as hand-written backprop does, unless
    ``keep_all``; input rows keep theirs. When ``contributions`` is a list,
    each term ``(to_row, from_row, position, value)`` is appended to it as it
    is added, which is what a trace table shows for a value used several times.
    """
    adjoints = [None] * len(tape)
    for row, cotangent in seeds.items():
        adjoints[row] = cotangent if adjoints[row] is None else adjoints[row] + cotangent
    for row in range(len(tape) - 1, -1, -1):
        g = adjoints[row]
        if g is None:
            continue
        prim, params, args, out, parents = tape[row]
        if prim is None:  # an input row
            continue
        if not keep_all:
            adjoints[row] = None
        joint = None if prim.joint_vjp is None else prim.joint_vjp(
            [position for position, parent in enumerate(parents) if parent >= 0], g, out, *args, **params)
        rules = prim.vjps
        position = -1
        for parent in parents:
            position += 1
            if parent < 0:
                continue
            if joint is not None:
                term = joint[position]
            else:
                try:
                    rule = rules[position]
                except IndexError:
                    rule = None
                if rule is None:
                    raise missing_rule(prim, "VJP", position)
                try:
                    term = rule(g, out, *args, **params) if params else rule(g, out, *args)
                except (TypeError, ValueError) as error:
                    if (refusal := matrix_among(prim, (g, out, *args))) is not None:
                        raise refusal from error
                    raise
            if term is None:  # a value that is not differentiated (a mask): nothing passes back
                continue
            if contributions is not None:
                contributions.append((parent, row, position, term))
            previous = adjoints[parent]
            adjoints[parent] = term if previous is None else previous + term
    return adjoints
