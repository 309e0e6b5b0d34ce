"""Forward mode: every traced value carries a tangent (the seed's ``Variable(val, dot)``)."""

from __future__ import annotations

from .arraybox import ArrayBox
from .interpreter import Box, Level, bind, escaped, matrix_among, missing_rule


class JVPBox(ArrayBox):
    """A primal value and its tangent, traced at one forward level."""

    __slots__ = ("tangent",)

    def __init__(self, value, level, tangent):
        self.value = value
        self.level = level
        self.tangent = tangent


class JVPLevel(Level):
    """Forward mode as an interpreter: each primitive call pushes tangents through its JVP rules."""

    __slots__ = ()

    def process(self, prim, args, params):
        if self.finished:
            raise escaped(self)
        values, tangents, nested = [], [], False
        for arg in args:
            if type(arg) is JVPBox and arg.level is self:
                tangents.append(arg.tangent)
                arg = arg.value
            else:
                tangents.append(None)
            nested = nested or isinstance(arg, Box)
            values.append(arg)
        try:
            out = bind(prim, *values, **params) if nested else prim.impl(*values, **params)
            tangent = push_tangents(prim, values, tangents, out, params)
        except (TypeError, ValueError) as error:
            if (refusal := matrix_among(prim, (*values, *[t for t in tangents if t is not None]))) is not None:
                raise refusal from error
            raise
        if tangent is None:  # a primitive that is not differentiated (a comparison, a sign): no tangent
            return out
        return JVPBox(out, self, tangent)


def push_tangents(prim, values, tangents, out, params):
    """The output tangent of one primitive call; None tangents are zero, and None is returned for no tangent.

    Shared by forward mode and by a recording's forward sweep (`Recording.push`), so both show the same numbers.
    """
    if prim.joint_jvp is not None:
        return prim.joint_jvp(tangents, out, *values, **params)
    rules = prim.jvps
    total = None
    for position, tangent in enumerate(tangents):
        if tangent is None:
            continue
        rule = rules[position] if position < len(rules) else None
        if rule is None:
            raise missing_rule(prim, "JVP", position)
        term = rule(tangent, out, *values, **params)
        if term is not None:  # None: this argument is not differentiated (where's condition)
            total = term if total is None else total + term
    return total
