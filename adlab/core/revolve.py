"""Binomial checkpointing (revolve; Griewank & Walther 2000): reverse a loop of n steps keeping s states.

Reverse mode needs every intermediate state of a loop, in reverse order. Storing
all n costs O(n) memory; storing s of them and recomputing the rest costs time.
Griewank and Walther showed the least recomputation possible with s stored states
(the initial one included) is

    t(n, s) = r·n − C(s + r, s + 1),  r the smallest integer with C(s + r, s) ≥ n,

forward steps, and that splitting the loop at the right place, recursively,
attains it. `checkpoint_loop` runs exactly that schedule in its reverse sweep.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .api import jvp, vjp
from .interpreter import Primitive
from .tree import of_some_arguments


def _choose(n, k):
    return math.comb(n, k) if 0 <= k <= n else 0


def _repetitions(n_steps, snapshots):
    """r: the smallest r with C(s + r, s) ≥ n, i.e. how many times the worst step is recomputed.

    C(s + r, s) grows with r, so r is found by doubling an upper bound, then halving the interval:
    O(log r) binomials, fast for any n (counting r up one at a time takes n steps when s = 1).
    """
    if _choose(snapshots, snapshots) >= n_steps:  # C(s, s) = 1: nothing to reverse more than once
        return 0
    low, high = 0, 1  # C(s + low, s) < n; double high until C(s + high, s) ≥ n
    while _choose(snapshots + high, snapshots) < n_steps:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        if _choose(snapshots + middle, snapshots) < n_steps:
            low = middle
        else:
            high = middle
    return high


def binomial_cost(n_steps, snapshots):
    """t(n, s): the fewest forward steps that reverse n steps with s stored states (the first one included)."""
    n_steps, snapshots = _check_budget(n_steps, snapshots)
    if n_steps <= 1:
        return 0
    r = _repetitions(n_steps, snapshots)
    return r * n_steps - _choose(snapshots + r, snapshots + 1)


def _split(n_steps, snapshots):
    """Where to put the next stored state: m steps ahead, so both parts are reversed at least cost.

    t(·, s) is convex and piecewise linear, with slope r between C(s + r − 1, s) and C(s + r, s). A split
    is optimal when each part stays on its own piece: the left part (m steps, s states) on slope r − 1,
    C(s + r − 2, s) ≤ m ≤ C(s + r − 1, s), and the right part (n − m steps, s − 1 states) on slope r,
    C(s + r − 2, s − 1) ≤ n − m ≤ C(s + r − 1, s − 1); the costs then add up to t(n, s) by Pascal's rule.
    We take the largest such m.
    """
    r = _repetitions(n_steps, snapshots)
    return min(_choose(snapshots + r - 1, snapshots), n_steps - _choose(snapshots + r - 2, snapshots - 1))


def schedule(n_steps, snapshots):
    """The revolve schedule as a list of actions, in order (what `checkpoint_loop`'s reverse sweep runs).

    ``("restore", i)`` takes stored state i as the current one; ``("advance", i, j)`` runs steps i … j−1
    forward; ``("store", j)`` keeps the current state j; ``("reverse", i)`` records step i and sweeps it
    backwards; ``("free", j)`` drops stored state j. State 0 is stored from the start. The list has
    O(n) actions; `checkpoint_loop` itself takes them one at a time, so its memory stays O(s).
    """
    n_steps, snapshots = _check_budget(n_steps, snapshots)
    return list(_actions(0, n_steps, snapshots))


def _actions(start, n_steps, snapshots):
    """The schedule's actions, one at a time. Reversing n steps from a stored state: advance to the split,
    store it, reverse the right part with one state fewer, free it, reverse the left part. The parts wait on
    a stack (not Python's recursion, which a budget of 1,000 states would exhaust)."""
    pending = [(start, n_steps, snapshots)]  # parts still to reverse, and ("free", j) between them
    while pending:
        part = pending.pop()
        if part[0] == "free":
            yield part
            continue
        start, n_steps, snapshots = part
        if n_steps == 1:
            yield ("restore", start)
            yield ("reverse", start)
        elif n_steps > 1 and snapshots == 1:
            for ahead in range(n_steps - 1, -1, -1):
                yield ("restore", start)
                if ahead:
                    yield ("advance", start, start + ahead)
                yield ("reverse", start + ahead)
        elif n_steps > 1:
            middle = start + _split(n_steps, snapshots)
            yield ("restore", start)
            yield ("advance", start, middle)
            yield ("store", middle)
            pending += [(start, middle - start, snapshots), ("free", middle),
                        (middle, start + n_steps - middle, snapshots - 1)]


def _count(value, name, least, meaning=""):
    """A count (of steps, of stored states) as a Python int: any integer, NumPy's included; nothing else."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = operator.index(value)  # a Python int: NumPy's int64 would overflow in r·n
        if value >= least:
            return value
        raise ValueError(f"{name} must be a whole number ≥ {least}{meaning}, not {value!r}.")
    raise ValueError(f"{name} must be a whole number ≥ {least}{meaning} given as an int or a NumPy integer, "
                     f"not {value!r} (a {type(value).__name__}).")


def _check_budget(n_steps, snapshots):
    """n_steps and snapshots as Python ints, or one sentence saying what they must be."""
    return (_count(n_steps, "n_steps", 0),
            _count(snapshots, "snapshots", 1, " (the initial state counts)"))


def checkpoint_loop(step, x, n_steps, *args, snapshots=None):
    """``x`` after ``n_steps`` applications of ``x = step(x, *args)``, reversed by binomial checkpointing.

    The primal run keeps nothing but the result. Its reverse sweep keeps at most ``snapshots`` states
    of x at a time (default ⌈√n⌉) and runs exactly ``binomial_cost(n_steps, snapshots)`` extra forward
    steps, recording one step at a time: memory O(s) instead of O(n), gradients unchanged. Differentiable
    in x and in every float argument in ``args`` (constants of the loop, e.g. a weight matrix); traced
    values step uses must be passed in ``args``.
    """
    if not callable(step):
        raise TypeError(f"checkpoint_loop's first argument is the step function x -> step(x, *args), "
                        f"not a {type(step).__name__}.")
    n_steps = _count(n_steps, "n_steps", 0)
    if snapshots is None:  # ⌈√n⌉, at least 1
        snapshots = math.isqrt(max(n_steps, 1) - 1) + 1
    n_steps, snapshots = _check_budget(n_steps, snapshots)

    def loop(x, *args):
        for _ in range(n_steps):
            x = step(x, *args)
        return x

    def joint_jvp(tangents, out, *values):  # forward mode keeps nothing anyway: push through the loop
        moving = [i for i, t in enumerate(tangents) if t is not None]
        loop_of_moving = of_some_arguments(loop, values, moving)
        return jvp(loop_of_moving, tuple(values[i] for i in moving), tuple(tangents[i] for i in moving))[1]

    def joint_vjp(needed, g, out, x, *args):
        constant_positions = [i - 1 for i in needed if i > 0]  # the loop's constants the sweep asks about
        stored, current, x_bar = {0: x}, None, g
        args_bar = {i: None for i in constant_positions}
        for action, *where in _actions(0, n_steps, snapshots):  # one at a time: memory O(s), not O(n)
            if action == "restore":
                current = stored[where[0]]
            elif action == "advance":
                for _ in range(where[1] - where[0]):
                    current = step(current, *args)
            elif action == "store":
                stored[where[0]] = current
            elif action == "free":
                del stored[where[0]]
            else:  # reverse one step: record it, sweep it back
                one_step = of_some_arguments(step, (current, *args), [0] + [1 + i for i in constant_positions])
                cotangents = vjp(one_step, current, *[args[i] for i in constant_positions])[1](x_bar)
                x_bar = cotangents[0]
                for i, c in zip(constant_positions, cotangents[1:]):
                    args_bar[i] = c if args_bar[i] is None else args_bar[i] + c
        return [x_bar] + [args_bar.get(i) for i in range(len(args))]

    prim = Primitive(f"checkpoint_loop({getattr(step, '__name__', 'step')}, {n_steps} steps, {snapshots} states)",
                     loop, joint_jvp=joint_jvp, joint_vjp=joint_vjp)
    return prim(x, *args)
