"""The interpreter machinery: primitives, boxes, levels and `bind`, the one dispatch point of the engine.

A *primitive* is an elementary operation (multiply, sin, sum, ...) defined once:
its evaluation, one JVP rule and one VJP rule per argument, and a readable rule
for the trace tables (the table of them all is `rules`). A *box* is a value
being traced by one transformation (forward, reverse, batching) at one nesting
*level*. `bind(prim, *args)` finds the innermost level among the arguments and
lets that level `process` the call; the level calls `bind` again on the
unboxed values; once no boxes are left, the primitive's evaluation runs. Each kind of level is an interpreter of the
primitives (forward mode: `JVPLevel`, reverse mode: `ReverseLevel`, batching:
`BatchLevel`, SymPy: `adlab.symbolic.SymbolicLevel`), which is Autodidax's
"a transformation is an interpreter". Levels are also what keep nested
derivatives apart (no perturbation confusion): an inner `grad` treats boxes of
an outer one as constants.

Also here: the errors a level raises (a value that escaped its function, an
np.matrix, a missing rule) and the helpers every module applies to boxed and
plain values alike (`raw`, `shape`, `zeros_like`, `ones_like`).
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rule:
    """How a primitive reads in a trace table.

    Placeholders: ``{0}``, ``{1}`` are the argument names (``v_{-1}``),
    ``{t0}``, ``{t1}`` their tangents, ``{g}`` the output's adjoint and
    ``{p[name]}`` a parameter such as an axis. ``tangent`` has one term per
    argument (summed); ``adjoint`` one contribution per argument.
    """

    expr: str
    tangent: tuple = ()
    adjoint: tuple = ()


class Primitive:
    """An elementary operation known to the engine.

    ``jvps[i](t, out, *args, **params)`` is the tangent contributed by a
    tangent ``t`` of argument ``i``; ``vjps[i](g, out, *args, **params)`` is
    the cotangent of argument ``i`` given the output's cotangent ``g``. Both
    are written with primitives, so they can themselves be differentiated.
    ``joint_jvp(tangents, out, *args, **params)`` replaces the per-argument
    JVPs for structural operations (concatenate, stack) where adding one
    zero-padded contribution per argument would be wasteful; likewise
    ``joint_vjp(needed, g, out, *args, **params)`` returns the cotangents of
    the arguments at positions ``needed`` (None elsewhere) at once, where
    computing them together is cheaper (checkpointing: one recomputation, and
    no cotangent for a constant such as a weight matrix nobody asked about).
    ``shape_only`` lists the arguments whose values no VJP rule reads (only
    their shapes), and "out" if no VJP rule reads the output's value: the
    tape then keeps a shape in their place, so large intermediates are freed
    as hand-written backprop frees them.

    Two facts let the other tables derive from this one: ``ufunc``, the NumPy
    ufunc this primitive implements (so `np.tanh(x)` dispatches to it and
    `adlab.numpy.tanh` is it), and ``elementwise``, true when it applies
    entry by entry with broadcasting (so a batch of arguments is one call).
    """

    __slots__ = ("name", "impl", "jvps", "vjps", "joint_jvp", "joint_vjp", "rule", "shape_only", "ufunc",
                 "elementwise")

    def __init__(self, name, impl, jvps=(), vjps=(), rule=None, joint_jvp=None, joint_vjp=None, shape_only=(),
                 ufunc=None, elementwise=False):
        self.name = name
        self.ufunc = ufunc
        self.elementwise = elementwise
        self.shape_only = shape_only  # argument positions (and "out") whose VJPs need only the shape
        self.impl = impl
        self.jvps = jvps
        self.vjps = vjps
        self.joint_jvp = joint_jvp
        self.joint_vjp = joint_vjp
        self.rule = rule or Rule(f"{name}({{args}})")

    def defjvp(self, *jvps):
        """Set the JVP rules, one per argument (None for a non-differentiable one)."""
        self.jvps = self._checked(jvps, "defjvp", "t")
        return self

    def defvjp(self, *vjps):
        """Set the VJP rules, one per argument (None for a non-differentiable one)."""
        self.vjps = self._checked(vjps, "defvjp", "g")
        return self

    def _checked(self, rules, method, first):
        """Rules that can be called as the engine calls them, rule(first, out, *args), checked where they are given."""
        fewest, most = _positional_count(self.impl)
        names = ", ".join(["x", "y", "z"][:fewest] if fewest <= 3 else [f"x{i}" for i in range(fewest)])
        call = f"{first}, out, {names}" if names else f"{first}, out"
        if most is not None and len(rules) > most:
            raise TypeError(f"{self.name}.{method} got {len(rules)} rules for {most} argument(s); "
                            f"give one rule per argument, e.g. {self.name}.{method}(lambda {call}: ...).")
        for i, rule in enumerate(rules):
            if rule is None:
                continue
            if not callable(rule):
                raise TypeError(f"{self.name}.{method}: rule {i} is a {type(rule).__name__}, not a function; "
                                f"write {self.name}.{method}(lambda {call}: ...).")
            try:
                inspect.signature(rule).bind(*range(2 + fewest))
            except TypeError:
                raise TypeError(f"{self.name}.{method}: rule {i} takes {inspect.signature(rule)}, but the engine calls "
                                f"it with ({call}): the {'tangent' if first == 't' else 'cotangent'}, the output, "
                                f"then the primitive's arguments: write it as lambda {call}: … instead.") from None
            except ValueError:  # a builtin without a signature: trust it
                pass
        return tuple(rule if rule is None else _not_none(rule, f"{self.name}.{method}", i) for i, rule in enumerate(rules))

    @property
    def __name__(self):  # so a primitive reads like the function it wraps
        return self.name

    def __repr__(self):
        return f"<adlab primitive {self.name}>"


def _not_none(rule, where, i):
    """A user's rule that refuses to return None: a forgotten `return` would otherwise read as a zero derivative."""

    def checked(*args, **params):
        result = rule(*args, **params)
        if result is None:
            raise TypeError(f"{where}: rule {i} returned None; did it forget `return`? (use 0.0 * x for a zero "
                            f"derivative)")
        return result

    return checked


def _positional_count(impl):
    """How many positional arguments impl needs, and takes at most (None: any number, or unknown)."""
    try:
        parameters = inspect.signature(impl).parameters.values()
    except (TypeError, ValueError):
        return 0, None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    return required, None if variadic else len(positional)


def primitive(impl=None, *, name=None, rule=None):
    """Turn a NumPy function into a new primitive; add rules with defjvp/defvjp.

    Example::

        @adlab.primitive
        def softplus(x):
            return np.logaddexp(0.0, x)

        sigmoid = lambda x: 1 / (1 + np.exp(-x))
        softplus.defjvp(lambda t, out, x: t * sigmoid(x))
        softplus.defvjp(lambda g, out, x: g * sigmoid(x))
    """
    if impl is None:
        return lambda f: primitive(f, name=name, rule=rule)
    if not callable(impl):
        raise TypeError(f"adlab.primitive wraps a function, not a {type(impl).__name__}; "
                        f"decorate the function's def with @adlab.primitive.")
    return Primitive(name or impl.__name__, impl, rule=rule)


_depths = itertools.count(1)


class Level:
    """One interpreter of the primitives at one nesting depth.

    ``process(prim, args, params)`` says what applying ``prim`` means at this
    level; ``depth`` grows with every new level, so the innermost (newest)
    level among a call's arguments handles it. ``finished`` is set once the
    function being transformed has returned, naming it for the error a leaked
    value then raises.
    """

    __slots__ = ("depth", "finished", "read_values")

    def __init__(self):
        self.depth = next(_depths)
        self.finished = None
        self.read_values = False

    def process(self, prim, args, params):
        raise NotImplementedError

    def read(self, func, args, kwargs, result):
        """f computed ``result`` from the values of this level's boxes (a comparison, bool(x), an index):
        f's path may depend on them. Not differentiated; a level that records a program keeps it (a guard)."""
        self.read_values = True


class UnexpectedTracerError(Exception):
    """A traced value was used after the transformation that made it had returned (JAX's name)."""


def escaped(level):
    """The error for computing with a value of a finished level: where it came from, what to do instead."""
    return UnexpectedTracerError(
        f"a traced value escaped from {level.finished}: it was kept (in a list, a global or an attribute) "
        f"while that function was being differentiated and used after it returned; return what you need "
        f"from the function instead (has_aux=True returns extra results alongside the derivative)."
    )


def matrix_refused(where):
    """The error for an np.matrix, whose * and ** are matrix products and whose reductions stay 2-D."""
    return TypeError(f"{where} is a NumPy matrix (np.matrix), which adlab does not trace (its * is a matrix "
                     f"product and its sums stay 2-D); convert it with np.asarray(A) and write A @ B for products.")


def matrix_among(prim, values):
    """The error to raise instead of NumPy's when an np.matrix (say, a closure's constant) reached `prim`; else None.

    Called only once NumPy has failed ("keepdims", "shapes not aligned"), so tracing pays nothing for it.
    """
    if any(isinstance(raw(v), np.matrix) for v in values):
        return matrix_refused(f"a value that {prim.name} got")
    return None


def missing_rule(prim, kind, position):
    """The error for differentiating through an argument the primitive has no `kind` ("JVP"/"VJP") rule for."""
    method = "defjvp" if kind == "JVP" else "defvjp"
    return TypeError(
        f"primitive '{prim.name}' has no {kind} rule for argument {position}; "
        f"define it with {prim.name}.{method}(...) to differentiate through it."
    )


class Box:
    """A value traced at one level; subclasses carry what their level needs.

    Only what `bind` needs lives here; `adlab.core.arraybox.ArrayBox` gives
    boxes NumPy's operators.
    """

    __slots__ = ("value", "level")
    batch_axes = 0  # leading axes of the value that are a batch, not the value's own shape


def bind(prim, *args, **params):
    """Apply a primitive: handled by the innermost level among the args, else evaluated."""
    top = None
    for arg in args:
        if isinstance(arg, Box) and (top is None or arg.level.depth > top.depth):
            top = arg.level
    if top is None:
        return prim.impl(*args, **params)
    return top.process(prim, args, params)


Primitive.__call__ = bind  # calling a primitive binds it: prim(x) is bind(prim, x)


def check_live(x):
    """Refuse a value whose level has finished (it escaped from its function); x otherwise."""
    box = x
    while isinstance(box, Box):
        if box.level.finished:
            raise escaped(box.level)
        box = box.value
    return x


def raw(x):
    """The plain value under every level of boxes."""
    while isinstance(x, Box):
        x = x.value
    return x


def shape(x):
    """Shape of a value, boxed or not, without tracing anything (batch axes excluded)."""
    batch_axes = 0
    while isinstance(x, Box):
        batch_axes += x.batch_axes
        x = x.value
    if type(x) is float:
        return ()
    try:
        x_shape = x.shape  # arrays, NumPy scalars, a tape's ShapeOnly: without np.shape's dispatch
    except AttributeError:
        x_shape = np.shape(x)  # Python ints, lists
    return x_shape[batch_axes:] if batch_axes else x_shape


def zeros_like(x):
    """A zero tangent or cotangent for x: its shape, its float dtype (0.0 for a Python float)."""
    value = raw(x)
    if isinstance(value, float):
        return 0.0
    return np.zeros(shape(x), dtype=np.result_type(value, 0.0))


def ones_like(x):
    """A seed of ones for x: its shape, its float dtype (1.0 for a Python float)."""
    value = raw(x)
    if isinstance(value, float):
        return 1.0
    return np.ones(shape(x), dtype=np.result_type(value, 0.0))
