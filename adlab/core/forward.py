"""Forward mode: every traced value carries a tangent (the seed's ``Variable(val, dot)``)."""

from __future__ import annotations

from .primitive import Box, bind, escaped


class JVPBox(Box):
    """A primal value and its tangent, traced at one forward level."""

    __slots__ = ("tangent",)

    def __init__(self, value, trace, tangent):
        self.value = value
        self.trace = trace
        self.tangent = tangent


class JVPTrace:
    """One forward-mode level: each primitive call pushes tangents through its JVP rules."""

    __slots__ = ("level", "finished")

    def __init__(self, level):
        self.level = level
        self.finished = None  # once f has returned: which transformation of which f, for the error

    def process(self, prim, args, params):
        if self.finished:
            raise escaped(self)
        values, tangents, nested = [], [], False
        for arg in args:
            if type(arg) is JVPBox and arg.trace is self:
                tangents.append(arg.tangent)
                arg = arg.value
            else:
                tangents.append(None)
            nested = nested or isinstance(arg, Box)
            values.append(arg)
        out = bind(prim, *values, **params) if nested else prim.impl(*values, **params)
        return JVPBox(out, self, push_tangents(prim, values, tangents, out, params))


def missing_rule(prim, kind, position):
    method = "defjvp" if kind == "JVP" else "defvjp"
    return TypeError(
        f"primitive '{prim.name}' has no {kind} rule for argument {position}; "
        f"define it with {prim.name}.{method}(...) to differentiate through it."
    )


def push_tangents(prim, values, tangents, out, params):
    """The output tangent of one primitive call; None tangents are zero.

    Shared by forward mode and by the trace's forward sweep, so both show the same numbers.
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
        total = term if total is None else total + term
    return total
