"""How ``np.sin(x)`` and ``np.sum(x)`` on a traced x reach adlab: NumPy's two hooks and the tables they read.

NumPy hands a call with a non-array argument to that argument's
``__array_ufunc__`` for a ufunc (``np.sin(x)``, ``np.add(x, y)``, ``a + x``
for a NumPy array a) and to its ``__array_function__`` for any other function
(``np.sum``, ``np.where``). `ArrayBox` sets both hooks to the functions below,
which look the NumPy function up: a primitive, or a function of
`numpy_functions`, if adlab differentiates it; the raw values if its result
has no derivative (``np.sign``, ``np.argmax``); an error naming it otherwise.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import numpy_functions as anp
from . import rules as r
from .interpreter import raw
from .numpy_functions import NO_OUT
from .value_reads import on_values_of

# Each primitive's own ufunc (see Primitive.ufunc), and three ufuncs written with primitives.
UFUNCS = {prim.ufunc: prim for prim in r.PRIMITIVES if prim.ufunc is not None} | {
    np.square: anp.square, np.reciprocal: anp.reciprocal, np.positive: anp.positive,
}

# Functions whose result does not depend differentiably on their input: run on values.
CONSTANT_UFUNCS = {
    np.sign, np.floor, np.ceil, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.signbit, np.floor_divide,
}

FUNCTIONS = {
    np.sum: anp.sum, np.mean: anp.mean, np.prod: anp.prod, np.max: anp.max, np.min: anp.min, np.amax: anp.max,
    np.amin: anp.min, np.var: anp.var, np.std: anp.std, np.dot: anp.dot, np.vdot: anp.vdot, np.inner: anp.inner,
    np.outer: anp.outer, np.transpose: anp.transpose, np.swapaxes: anp.swapaxes, np.moveaxis: anp.moveaxis,
    np.reshape: anp.reshape, np.ravel: anp.ravel, np.squeeze: anp.squeeze, np.expand_dims: anp.expand_dims,
    np.broadcast_to: anp.broadcast_to, np.concatenate: anp.concatenate, np.stack: anp.stack,
    np.hstack: anp.hstack, np.vstack: anp.vstack, np.atleast_1d: anp.atleast_1d, np.where: anp.where,
    np.clip: anp.clip, np.copy: anp.copy, np.sort: anp.sort,
}

CONSTANT_FUNCTIONS = {
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.zeros_like,
    np.ones_like, np.empty_like, np.full_like, np.allclose, np.isclose, np.array_equal,
    np.count_nonzero, np.nonzero, np.result_type, np.iscomplexobj, np.isrealobj, np.round,
    np.around, np.any, np.all,
}


def _no_rule(name):
    """The error for a NumPy function adlab cannot differentiate."""
    return TypeError(
        f"adlab has no derivative rule for numpy.{name}; write the function with supported "
        f"operations or register it with @adlab.primitive and its defjvp/defvjp rules."
    )


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """`ArrayBox.__array_ufunc__`: ``np.sin(x)``, ``np.add(x, y)``, ``np.greater(x, 0)`` on a traced value."""
    if method != "__call__":
        raise _no_rule(f"{ufunc.__name__}.{method}")
    if kwargs.get("out") is not None:
        raise TypeError(NO_OUT)
    if ufunc in CONSTANT_UFUNCS:
        return on_values_of(ufunc, inputs, kwargs)
    op = UFUNCS.get(ufunc)
    if op is None:
        raise _no_rule(ufunc.__name__)
    if kwargs:
        raise TypeError(f"adlab does not support the keyword(s) {sorted(kwargs)} of numpy.{ufunc.__name__}; "
                        f"call it without them (mask with np.where, convert dtypes before differentiating).")
    return op(*inputs)


def array_function(self, func, types, args, kwargs):
    """`ArrayBox.__array_function__`: ``np.sum(x)``, ``np.where(c, x, y)``, ``np.argmax(x)`` on a traced value."""
    if func in CONSTANT_FUNCTIONS:
        return on_values_of(func, args, kwargs)
    implementation = FUNCTIONS.get(func)
    if implementation is None:
        raise _no_rule(getattr(func, "__name__", str(func)))
    if kwargs:
        kwargs = _supported_keywords(func.__name__, implementation, args, kwargs)
    return implementation(*args, **kwargs)


# What to write instead of a NumPy keyword adlab's version of a function does not take.
_KEYWORD_HINTS = {
    "where": "mask the values first, e.g. np.sum(np.where(mask, x, 0.0))",
    "initial": "combine the result with it afterwards, e.g. np.maximum(np.max(x), 0.0)",
    "dtype": "a traced value keeps its float dtype, so drop dtype= (or convert the inputs before differentiating)",
}


_signature = functools.lru_cache(maxsize=None)(inspect.signature)  # read once per function, not per call


def _supported_keywords(name, implementation, args, kwargs):
    """kwargs without the harmless ones (out=None, a dtype= the value already has); a clear error for the rest."""
    kwargs = dict(kwargs)
    if kwargs.get("out", 0) is None:
        del kwargs["out"]
    if "out" in kwargs:
        raise TypeError(NO_OUT)
    if "dtype" in kwargs and args and (kwargs["dtype"] is None or
                                       np.dtype(kwargs["dtype"]) == np.result_type(raw(args[0]))):
        del kwargs["dtype"]
    try:
        _signature(implementation).bind(*args, **kwargs)
    except TypeError:
        parameters = _signature(implementation).parameters
        unknown = [k for k in kwargs if k not in parameters] or list(kwargs)
        hint = _KEYWORD_HINTS.get(unknown[0], "call it without that keyword")
        raise TypeError(f"adlab's numpy.{name} does not take {unknown[0]}=; {hint}.") from None
    return kwargs
