"""Compiled derivatives (adlab.compiled): the engine's own derivative computation, staged once and run on later calls.

``adlab.compiled(adlab.grad(f))`` behaves like ``adlab.grad(f)``. On the first call for an
input *signature* (the arguments' structure, types, shapes and dtypes, and the values of
arguments that are not floats: an object by the values of its attributes, so changing
``model.w`` makes a new signature) it stages the engine's own ``value_and_grad`` (or ``jvp``,
or ``vjp``) of f at that call with `adlab.staging`: f's run and the reverse sweep, with the
rules ``grad`` uses, recorded as a program (`adlab.program`), shortened by the passes of
`adlab.program_passes` and written as Python that calls each primitive's
own evaluation; later calls with that signature run the program instead of the engine, and get
the engine's results bit for bit (real results for real inputs, never a complex number). A
staged program is one path through f: every result f computed from the raw value of a traced
number (``x > 0``, ``bool(x)``, ``np.argsort(x)`` …) is re-checked by a *guard* in the
program, and a call whose comparisons come out differently is staged again, so a program is
only ever used on the path it was staged for.

What staging cannot follow (f computing with values of a transformation applied around the
compiled one) runs on the engine for that signature, with one warning per compiled function.
"""

from __future__ import annotations

import enum
import functools
import types
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import staging
from .core import api
from .core.interpreter import Box, raw
from .core.recording import check_function, check_outputs, check_real, check_tangent
from .core.tree import flatten, of_some_arguments, unflatten
from .program import PathChanged, Var, cyclic_gc_paused
from .program_passes import optimized, split, with_writes_into_dead_arrays

__all__ = ["compiled", "CompiledFallbackWarning", "PathChanged"]

MAX_SIGNATURES = 32         # signatures kept per compiled function (least recently used dropped)
MAX_PATHS = 8               # paths kept per signature; more misses in a row and the engine takes over


class CompiledFallbackWarning(UserWarning):
    """adlab.compiled ran a function on the engine instead of generated code."""


class _NotCompilable(Exception):
    """A call staging cannot follow (f computes with values of a transformation around it); the message says why."""


class _EngineAnswers(Exception):
    """f returned what a trace cannot hold (None, a str, a complex number): the engine answers the call, with
    its own error where it has one (grad's "f returned None"), its result where it has none (a str in
    has_aux's auxiliary data, jvp of a function returning None)."""


def _checked_output(f):
    """f, refusing (with _EngineAnswers) a result that is not floats or arrays of them: a jvp or vjp
    program has no place for it, and the engine answers with its own error or result."""

    def checked(*inputs):
        result = f(*inputs)
        if result is None:
            raise _EngineAnswers("f returns None")
        leaves = flatten(result)[0]
        try:
            check_outputs(leaves, result, "trace")
            check_real(leaves, "trace")
        except TypeError:
            kinds = sorted({type(raw(leaf)).__name__ for leaf in leaves
                            if not isinstance(raw(leaf), (float, int, np.ndarray, np.generic))
                            or np.iscomplexobj(raw(leaf))})
            raise _EngineAnswers(f"f returns values that are not real floats or arrays ({', '.join(kinds)})") from None
        return result

    checked.__name__ = checked.__qualname__ = getattr(f, "__name__", "f")  # as the trace's messages name it
    return checked


# -- staging -----------------------------------------------------------------------------------


def _staged(stage):
    """stage()'s program, optimised (a forward and backward pair comes optimised already); _NotCompilable
    where staging cannot follow f; None where the engine must answer (f raised, or its result does not suit
    the transformation: the engine says why)."""
    try:
        staged = stage()
    except staging.NotStageable as reason:
        raise _NotCompilable(str(reason)) from None
    except _EngineAnswers:
        raise
    except Exception:  # f's own error, or the transformation's refusal: the engine raises it again
        return None
    return tuple(staged) if isinstance(staged, tuple) else optimized(staged)


def _staged_pullback(f, inputs, has_aux):
    """vjp of f as two programs: forward(inputs) -> outputs and residuals; backward(residuals, cotangents)."""
    with staging.Staging(getattr(f, "__name__", "f")) as stage:
        boxes = [stage.input(x) for x in inputs]
        out, pullback, *aux = api.vjp(f, *boxes, has_aux=has_aux)
        out_leaves = flatten(out)[0]
        cotangents = [stage.input(_seed_like(o)) for o in out_leaves]
        grads = pullback(unflatten(flatten(out)[1], cotangents))
        program = stage.program(((out, *aux) if has_aux else out, grads))
    n_outputs = len(flatten((out, *aux) if has_aux else out)[0])
    forward, backward, _ = split(optimized(program, writes=False), len(inputs), n_outputs)
    forward, backward = with_writes_into_dead_arrays(forward), with_writes_into_dead_arrays(backward)
    forward.out_def = flatten(_values((out, *aux) if has_aux else out))[1]
    forward.n_outputs = n_outputs
    backward.cotangent_like = [_seed_like(o) for o in out_leaves]
    return forward, backward


def _seed_like(x):
    """A cotangent of ones shaped and typed like x's value (the staged call's cotangent; any value would do)."""
    value = raw(x)
    return 1.0 if type(value) is float else np.ones(np.shape(value), np.result_type(value, 0.0))


def _values(tree):
    return unflatten(flatten(tree)[1], [raw(leaf) for leaf in flatten(tree)[0]])


# -- the public transformation ----------------------------------------------------------------


# Keyed by identity: what they compute is their code, not state a call could change.
_BY_IDENTITY = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type, np.ufunc, enum.Enum)
_PLAIN = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis), range, slice)
_KEY_DEPTH = 16          # an argument's attributes are followed this deep for its key ...
_KEY_PARTS = 4096        # ... through at most this many values; beyond, the engine answers


def _static_key(x):
    """A leaf baked into the program, keyed by its value; None if it cannot be (traced, or no value to see).

    Numbers, strings and arrays are their value. An object (a model with weights as attributes, a
    dataclass) is keyed by its type and the keys of its attributes, followed into lists, dicts and
    further objects: f reads them while it is traced, and the program holds what it read, so a
    changed attribute (obj.w = 5.0) must make a new key and a new trace, not run the program of the
    old value. Functions, classes and modules are keyed by identity; a type with its own __eq__ and
    __hash__ by those. Anything else (a generator, a lock, an object too deep or too large to
    follow) gives None, and such calls run on the engine.
    """
    try:
        return _key(x, (), [_KEY_PARTS])
    except _NoKey:
        return None


class _NoKey(Exception):
    """A value the cache cannot key by value."""


def _key(x, path, budget):
    budget[0] -= 1
    if budget[0] < 0 or len(path) > _KEY_DEPTH or isinstance(x, Box):
        raise _NoKey
    kind = type(x)
    if kind in _PLAIN or isinstance(x, np.generic):
        return (kind, "nan") if x != x else (kind, x)  # nan != nan: one key for every nan
    if isinstance(x, np.ndarray):
        if x.dtype.hasobject:
            raise _NoKey
        return ("array", x.dtype, x.shape, x.tobytes())
    if isinstance(x, _BY_IDENTITY):
        return (kind, x)
    if id(x) in path:  # a cycle (an object holding itself): where it points back to
        return ("cycle", path.index(id(x)))
    inner = path + (id(x),)
    if isinstance(x, (tuple, list)):
        return (kind, tuple(_key(item, inner, budget) for item in x))
    if isinstance(x, dict):
        return (kind, tuple((_key(k, inner, budget), _key(v, inner, budget)) for k, v in x.items()))
    if isinstance(x, (set, frozenset)):
        return (kind, tuple(sorted((_key(item, inner, budget) for item in x), key=repr)))
    if isinstance(x, types.MethodType):  # obj.method: what it does depends on obj's state
        return (kind, _key(x.__func__, inner, budget), _key(x.__self__, inner, budget))
    if isinstance(x, functools.partial):
        return (kind, _key(x.func, inner, budget), _key(x.args, inner, budget), _key(x.keywords, inner, budget))
    if kind.__eq__ is not object.__eq__ and kind.__hash__ not in (None, object.__hash__) and _hashable(x):
        return (kind, x)  # the type's own idea of equal values (a frozen dataclass of numbers, a Fraction)
    state = _attributes(x)
    if state is None:
        raise _NoKey
    return (kind, tuple((name, _key(value, inner, budget)) for name, value in state))


def _hashable(x):
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _attributes(x):
    """An object's attributes (instance __dict__ and __slots__), sorted by name; None if it has neither."""
    names = list(getattr(x, "__dict__", None) or ())
    for klass in type(x).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        slots = [slots] if isinstance(slots, str) else slots
        names += [name for name in slots if name not in ("__dict__", "__weakref__")]
    if not names and not hasattr(x, "__dict__"):
        return None
    missing = object()
    state = [(name, getattr(x, name, missing)) for name in sorted(set(names))]
    return [(name, value) for name, value in state if value is not missing]


def _frozen(tree):
    """A key with its lists (a dict's keys in a container description) made tuples, so it hashes."""
    if isinstance(tree, (tuple, list)):
        return tuple(_frozen(part) for part in tree)
    return tree


def _input_part(leaf):
    """A float leaf's part of the signature's key (it is a program input); None for any other leaf."""
    kind = type(leaf)
    if kind is float:
        return float
    if (kind is np.ndarray or isinstance(leaf, np.floating)) and leaf.dtype.kind == "f":
        return kind, leaf.shape, leaf.dtype, leaf.flags.c_contiguous
    return None


class _Signature:
    """One call's arguments: float leaves (program inputs) apart from baked values, and the cache key.

    The key holds each float leaf's type, shape, dtype and whether it is in C order (a program
    may write into arrays computed from it, keeping their layout), every other leaf's value, the
    containers' structure and the keyword arguments; None when a leaf cannot be a key.
    """

    def __init__(self, args, kwargs):
        if not kwargs and self._all_inputs(args):
            return
        self.leaves, self.defs = [], []
        for arg in args:
            leaves, treedef = flatten(arg)
            self.leaves += leaves
            self.defs.append(treedef)
        self.treedef = (tuple, tuple(self.defs))  # as flatten(args) describes them
        self.inputs, parts = [], []
        for k, leaf in enumerate(self.leaves):
            part = _input_part(leaf)
            if part is not None:
                self.inputs.append(k)
                parts.append(part)
            else:
                parts.append(_static_key(leaf))
        if kwargs:
            kw_leaves, kw_def = flatten(kwargs)
            parts += [kw_def, *(_static_key(leaf) for leaf in kw_leaves)]
        self.key = None if None in parts else (self.treedef, tuple(parts))

    def _all_inputs(self, args):
        """The common call, every argument a float leaf (a program input), described without flattening."""
        parts = [_input_part(arg) for arg in args]
        if None in parts:
            return False
        self.leaves, self.defs, self.inputs = list(args), [None] * len(args), list(range(len(args)))
        self.treedef = (tuple, tuple(self.defs))
        self.key = (self.treedef, tuple(parts))
        return True

    def values(self):
        return [self.leaves[k] for k in self.inputs]

    def function(self, f, kwargs):
        """f as a function of the float leaves alone."""
        def of_leaves(*leaves):
            return f(*unflatten(self.treedef, leaves), **kwargs)

        of_leaves.__name__ = of_leaves.__qualname__ = getattr(f, "__name__", "f")  # messages name f, not this
        return of_some_arguments(of_leaves, self.leaves, self.inputs)


@dataclass
class _Entry:
    """What one signature runs: its programs, one per path seen (most recent first), or the engine."""

    layout: object
    programs: list
    engine: bool = False
    misses: int = 0


class _Compiled:
    """The cache of programs for one function: staged whole (call), or under jvp or vjp."""

    def __init__(self, f, has_aux=False):
        self.f, self.has_aux = f, has_aux
        self.entries = OrderedDict()
        self.stats = dict(hits=0, traces=0, path_changes=0, engine_calls=0, evicted=0)
        self.warned = False

    def cache_info(self):
        """Signatures and programs held (bounded by MAX_SIGNATURES × MAX_PATHS), and counts of calls."""
        programs = sum(len(entry.programs) for entry in self.entries.values())
        return dict(signatures=len(self.entries), programs=programs, **self.stats)

    def _fall_back(self, reason):
        if not self.warned:
            self.warned = True
            name = getattr(self.f, "__name__", "f")
            warnings.warn(f"adlab.compiled: {name} runs on the engine, not generated code: {reason}.",
                          CompiledFallbackWarning, stacklevel=4)

    def _engine(self, engine):
        self.stats["engine_calls"] += 1
        return engine()

    def run(self, signature, kwargs, layout, build, call, engine):
        """call(program, layout) on the signature's program for this path; traces a new one when none fits.

        layout() computes, once per signature, what call needs besides the program (None: the
        engine must answer, to raise its error for a misuse); build(f_of_inputs, inputs, layout)
        records and writes a program (None if f's result does not suit the transformation);
        engine() computes the result without generated code.
        """
        key = signature.key
        try:
            entry = self.entries.get(key) if key is not None else None
        except TypeError:  # a dict among the arguments: its keys are a list in the key
            key = signature.key = _frozen(key)
            entry = self.entries.get(key)
        if key is None or (entry is not None and entry.engine):
            return self._engine(engine)
        if entry is None:
            arrangement = layout()
            if arrangement is None:
                return engine()
            entry = self.entries[key] = _Entry(arrangement, [])
            if len(self.entries) > MAX_SIGNATURES:
                self.entries.popitem(last=False)
                self.stats["evicted"] += 1
        else:
            self.entries.move_to_end(key)
        for position, program in enumerate(entry.programs):
            try:
                result = call(program, entry.layout)
            except PathChanged:
                continue
            except (ArithmeticError, ValueError):  # math raised where the engine gives inf or nan
                return self._engine(engine)
            if position:
                entry.programs.insert(0, entry.programs.pop(position))
            entry.misses = 0
            self.stats["hits"] += 1
            return result
        if entry.programs:
            self.stats["path_changes"] += 1
            entry.misses += 1
            if entry.misses > MAX_PATHS:
                entry.engine, entry.programs = True, []
                self._fall_back(f"its comparisons came out differently on {MAX_PATHS} calls in a row")
                return self._engine(engine)
        try:
            with cyclic_gc_paused():
                program = build(signature.function(self.f, kwargs), signature.values(), entry.layout)
        except _NotCompilable as reason:
            entry.engine = True
            self._fall_back(str(reason))
            return self._engine(engine)
        except _EngineAnswers as reason:
            result = self._engine(engine)  # raises the engine's error where f's result is wrong for it
            entry.engine, entry.programs = True, []  # the engine accepts it (a str in aux): it keeps the signature
            self._fall_back(str(reason))
            return result
        if program is None:  # the engine answers (with its error); programs of other paths are kept
            if not entry.programs:
                del self.entries[key]
            return engine()
        self.stats["traces"] += 1
        entry.programs.insert(0, program)
        del entry.programs[MAX_PATHS:]
        try:
            return call(program, entry.layout)
        except (ArithmeticError, ValueError, PathChanged):
            return self._engine(engine)

    # the transformations

    def call(self, args, kwargs):
        signature = _Signature(args, kwargs)

        def engine():
            return self.f(*args, **kwargs)

        def build(f_of_inputs, inputs, layout):
            program = _staged(lambda: staging.stage(f_of_inputs, *inputs))
            if program is not None:
                _refuse_text(program.outputs)
            return program

        def call(program, layout):
            return unflatten(program.out_def, list(program(*signature.values())))

        return self.run(signature, kwargs, lambda: True, build, call, engine)

    def jvp(self, primals, tangents):
        def engine():
            return api.jvp(self.f, primals, tangents)

        if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
            return engine()
        signature = _Signature(primals, {})
        tangent_leaves, tangent_def = flatten(tuple(tangents))
        if tangent_def != signature.treedef or len(signature.inputs) != len(signature.leaves):
            return engine()
        tangent_leaves = [check_tangent(t, x, f"tangent of input {i}")
                          for i, (t, x) in enumerate(zip(tangent_leaves, signature.leaves))]

        def build(f_of_inputs, inputs, layout):
            f_checked, n = _checked_output(f_of_inputs), len(inputs)

            def jvp_of_inputs(*leaves):
                return api.jvp(f_checked, leaves[:n], leaves[n:])

            return _staged(lambda: staging.stage(jvp_of_inputs, *inputs, *tangent_leaves))

        def call(program, layout):
            return unflatten(program.out_def, list(program(*signature.leaves, *tangent_leaves)))

        return self.run(signature, {}, lambda: True, build, call, engine)

    def vjp(self, primals):
        has_aux = self.has_aux

        def engine():
            return api.vjp(self.f, *primals, has_aux=has_aux)

        signature = _Signature(primals, {})
        if len(signature.inputs) != len(signature.leaves):
            return engine()

        def build(f_of_inputs, inputs, layout):
            return _staged(lambda: _staged_pullback(_checked_output(f_of_inputs), inputs, has_aux))

        def call(program, layout):
            forward, backward = program
            everything = forward(*signature.leaves)
            outputs, residuals = everything[:forward.n_outputs], everything[forward.n_outputs:]
            everything = unflatten(forward.out_def, list(outputs))
            out, aux = everything if has_aux else (everything, None)
            out_leaves, out_def = flatten(out)

            def pullback(cotangent):
                leaves, cotangent_def = flatten(cotangent)
                if cotangent_def != out_def:
                    raise ValueError("the cotangent must have the same structure as f's output (one value per output).")
                leaves = [check_tangent(c, o, f"cotangent of output {i}") for i, (c, o) in enumerate(zip(leaves, out_leaves))]
                if any(_input_part(c) != _input_part(o) for c, o in zip(leaves, backward.cotangent_like)):
                    return engine()[1](cotangent)  # another type or dtype than the staged one: the engine answers
                try:
                    bars = backward(*residuals, *leaves)
                except (ArithmeticError, ValueError, PathChanged):  # math raised, or a cotangent's choice changed
                    return engine()[1](cotangent)
                return unflatten(signature.treedef, list(bars))

            return (out, pullback, aux) if has_aux else (out, pullback)

        return self.run(signature, {}, lambda: True, build, call, engine)


def _refuse_text(outputs):
    """_EngineAnswers for an output that is not a number, an array or None (a str, perhaps made from a traced
    value's repr, which no guard re-checks): the engine answers such calls."""
    kinds = sorted({type(v).__name__ for v in outputs if not isinstance(v, (Var, float, int, np.ndarray,
                                                                            np.generic, type(None)))})
    if kinds:
        raise _EngineAnswers(f"f returns values that are not real floats or arrays ({', '.join(kinds)})")


class _PerFunction:
    """jvp(f, primals, tangents) or vjp(f, *primals): one cache per f, for the last MAX_SIGNATURES functions."""

    def __init__(self):
        self.caches = OrderedDict()

    def cache(self, f, has_aux=False):
        key = (f, has_aux)
        if key not in self.caches:
            self.caches[key] = _Compiled(f, has_aux=has_aux)
            if len(self.caches) > MAX_SIGNATURES:
                self.caches.popitem(last=False)
        self.caches.move_to_end(key)
        return self.caches[key]

    def cache_info(self):
        """Per-function caches summed: signatures, programs and counts of calls."""
        infos = [cache.cache_info() for cache in self.caches.values()]
        return {"functions": len(infos), **{k: sum(i[k] for i in infos) for k in (infos[0] if infos else {})}}


def compiled(transformed):
    """A function that runs a staged program of `transformed`: same arguments, same results.

    ``adlab.compiled(adlab.grad(f, argnums, has_aux))``, ``adlab.compiled(adlab.value_and_grad(…))``, and
    any other function (``adlab.jacfwd(f)``, ``adlab.hessian(f)``, ``lambda x, v: adlab.hvp(f, (x,), (v,))``,
    ``adlab.grad(adlab.grad(f))``) is staged whole, its float arguments the program's inputs;
    ``adlab.compiled(adlab.jvp)`` and ``adlab.compiled(adlab.vjp)`` return a ``jvp(f, primals, tangents)``
    and a ``vjp(f, *primals, has_aux=False)`` (a pullback is a second program). Programs are cached per
    signature and path (``.cache_info()`` reports the bounded cache); see the module docstring.
    """
    if transformed is api.jvp:
        caches = _PerFunction()

        def jvp(f, primals, tangents):
            check_function(f, "jvp", "jvp(f, (x,), (v,)): the function, then its point and tangent")
            return caches.cache(f).jvp(primals, tangents)

        jvp.cache_info = caches.cache_info
        return jvp
    if transformed is api.vjp:
        caches = _PerFunction()

        def vjp(f, *primals, has_aux=False):
            check_function(f, "vjp", "vjp(f, x) for the output and its VJP function")
            return caches.cache(f, has_aux).vjp(primals)

        vjp.cache_info = caches.cache_info
        return vjp
    if not callable(transformed):
        raise TypeError(f"adlab.compiled takes a function, such as adlab.grad(f), adlab.jacfwd(f) or adlab.jvp, "
                        f"but got a {type(transformed).__name__}; e.g. adlab.compiled(adlab.grad(f)).")
    cache = _Compiled(transformed)

    @functools.wraps(transformed)
    def staged_f(*args, **kwargs):
        return cache.call(args, kwargs)

    staged_f.cache_info = cache.cache_info
    return staged_f
