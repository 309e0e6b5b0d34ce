"""NumPy on traced values: NumPy-signature functions, dispatch tables, and `ArrayBox`, the boxes' operators.

`np.sin(x)` on a traced x reaches `ArrayBox.__array_ufunc__`, `np.sum(x)` reaches
`ArrayBox.__array_function__`; both look the function up in the tables below.
The same functions are the `adlab.numpy` namespace, which skips NumPy's
dispatch machinery and is the fast path for scalar code.
"""

from __future__ import annotations

import builtins
import inspect
import operator

import numpy as np

from . import rules as r
from .primitive import Box, bind, raw, shape

# -- NumPy-signature functions -------------------------------------------------------


def _on_values_of(func, args, kwargs=None):
    """func(*args) on the raw values of traced arguments; each level that traces them is told (Level.read)."""
    result = func(*_raw_tree(args), **({k: _raw_tree(v) for k, v in kwargs.items()} if kwargs else {}))
    for level in _levels_in((args, kwargs)):
        level.read(func, args, kwargs or {}, result)
    return result


def _levels_in(tree, found=None):
    """The levels of the boxes in tree, boxes inside boxes included, each once."""
    found = [] if found is None else found
    if isinstance(tree, (list, tuple)):
        for item in tree:
            _levels_in(item, found)
    elif isinstance(tree, dict):
        for item in tree.values():
            _levels_in(item, found)
    else:
        while isinstance(tree, Box):
            if tree.level not in found:
                found.append(tree.level)
            tree = tree.value
    return found


def _identity(x):
    return x


def _constant(x):
    """Bounds, conditions and indices are not differentiated: use their values."""
    return _on_values_of(_identity, (x,)) if _contains_box([x]) else x


def sum(a, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    return r.sum_(a, axis=_axis(axis), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    return r.mean(a, axis=_axis(axis), keepdims=keepdims)


def prod(a, axis=None, keepdims=False):
    return r.prod(a, axis=_axis(axis), keepdims=keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    return r.max_(a, axis=_axis(axis), keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    return r.min_(a, axis=_axis(axis), keepdims=keepdims)


def logsumexp(a, axis=None, keepdims=False):
    """log(sum(exp(a))) computed stably (scipy.special.logsumexp)."""
    return r.logsumexp(a, axis=_axis(axis), keepdims=keepdims)


def softmax(a, axis=-1):
    """exp(a) / sum(exp(a)) along an axis, stably."""
    return r.exp(a - r.logsumexp(a, axis=_axis(axis), keepdims=True))


def log_softmax(a, axis=-1):
    """a - logsumexp(a) along an axis: the log-probabilities of a softmax."""
    return a - r.logsumexp(a, axis=_axis(axis), keepdims=True)


def var(a, axis=None, keepdims=False, ddof=0):
    centered = a - r.mean(a, axis=_axis(axis), keepdims=True)
    count = r._count(shape(a), _axis(axis)) - ddof
    return r.sum_(centered * centered, axis=_axis(axis), keepdims=keepdims) / count


def std(a, axis=None, keepdims=False, ddof=0):
    return r.sqrt(var(a, axis=axis, keepdims=keepdims, ddof=ddof))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def dot(a, b):
    a_ndim, b_ndim = len(shape(a)), len(shape(b))
    if a_ndim == 0 or b_ndim == 0:
        return r.multiply(a, b)
    if a_ndim > 2 or b_ndim > 2:
        raise TypeError("adlab supports np.dot on 1-D and 2-D values only; use np.matmul (@) for stacks of matrices.")
    return r.matmul(a, b)


def vdot(a, b):
    return r.sum_(r.multiply(reshape(a, -1), reshape(b, -1)))


def inner(a, b):
    if len(shape(a)) > 1 or len(shape(b)) > 1:
        raise TypeError("adlab supports np.inner on 1-D values only; use np.matmul (@) or np.dot instead.")
    return dot(a, b)


def outer(a, b):
    return r.outer(a, b)


def matmul(a, b):
    return r.matmul(a, b)


def transpose(a, axes=None):
    return r.transpose(a, axes=None if axes is None else tuple(axes))


def swapaxes(a, axis1, axis2):
    return r.swapaxes(a, axis1, axis2)


def moveaxis(a, source, destination):
    ndim = len(shape(a))
    sources = [int(i) % ndim for i in np.atleast_1d(source)]
    destinations = [int(i) % ndim for i in np.atleast_1d(destination)]
    order = [axis for axis in range(ndim) if axis not in sources]
    for dest, src in sorted(zip(destinations, sources)):
        order.insert(dest, src)
    return r.transpose(a, axes=tuple(order))


def reshape(a, newshape=None, order="C", *, shape=None):  # noqa: A002 - NumPy's names
    target = newshape if newshape is not None else shape
    if target is None:
        raise TypeError("reshape needs the new shape, e.g. np.reshape(x, (2, 3)).")
    if order != "C":
        raise TypeError("adlab's reshape supports order='C' only.")
    return r.reshape(a, newshape=tuple(target) if isinstance(target, (list, tuple)) else (target,))


def ravel(a, order="C"):
    return reshape(a, -1, order)


def squeeze(a, axis=None):
    return r.squeeze(a, axis=_axis(axis))


def expand_dims(a, axis):
    return r.expand_dims(a, _axis(axis))


def broadcast_to(array, shape, subok=False):  # noqa: A002
    return r.broadcast_to(array, target_shape=tuple(shape) if isinstance(shape, (list, tuple)) else (shape,))


def concatenate(arrays, axis=0):
    if axis is None:
        return r.concatenate(*[ravel(a) for a in arrays], axis=0)
    return r.concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    return r.stack(*arrays, axis=axis)


def hstack(tup):
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if len(shape(arrays[0])) == 1 else 1)


def vstack(tup):
    return concatenate([reshape(a, (1, -1)) if len(shape(a)) < 2 else a for a in tup], axis=0)


def atleast_1d(a):
    return reshape(a, (1,)) if len(shape(a)) == 0 else a


def where(condition, x=None, y=None):
    if x is None and y is None:
        return _on_values_of(np.where, (condition,))
    return r.where(_constant(condition), x, y)


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):  # noqa: A002
    if out is not None:
        raise TypeError(_NO_OUT)
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    return r.clip(a, low=_constant(low), high=_constant(high))


def copy(a, order="K", subok=False):
    """A traced value is never written into, so its copy is itself."""
    return a


def sort(a, axis=-1, kind=None, order=None):
    """Sorted along an axis, as indexing by argsort: each entry's derivative follows it."""
    if axis is None:
        return sort(reshape(a, -1))
    values = raw(a)
    positions = _on_values_of(np.argsort, (a,), {"axis": axis, "kind": kind})
    index = list(np.indices(np.shape(values), sparse=True))
    index[axis % np.ndim(values)] = positions
    return r.getitem(a, index=tuple(index))


def floor_divide(x, y):
    """⌊x / y⌋ is piecewise constant: computed on values, not differentiated (as floor is)."""
    return _on_values_of(np.floor_divide, (x, y))


def square(x):
    return r.multiply(x, x)


def reciprocal(x):
    return r.divide(1.0, x)


def positive(x):
    return x


def array(object, dtype=None):  # noqa: A002
    """np.array that also builds from a (nested) list of traced values, by stacking."""
    if isinstance(object, (list, tuple)) and _contains_box(object):
        return stack([array(item) if isinstance(item, (list, tuple)) else item for item in object])
    if isinstance(object, Box):
        return object
    return np.array(object, dtype=dtype)


asarray = array


def _contains_box(items):
    return builtins.any(isinstance(i, Box) or (isinstance(i, (list, tuple)) and _contains_box(i)) for i in items)


# -- dispatch tables -----------------------------------------------------------------

# Each primitive's own ufunc (see Primitive.ufunc), and three ufuncs written with primitives.
UFUNCS = {prim.ufunc: prim for prim in r.PRIMITIVES if prim.ufunc is not None} | {
    np.square: square, np.reciprocal: reciprocal, np.positive: positive,
}

# Functions whose result does not depend differentiably on their input: run on values.
CONSTANT_UFUNCS = {
    np.sign, np.floor, np.ceil, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.signbit, np.floor_divide,
}

FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.prod: prod, np.max: max, np.min: min, np.amax: max,
    np.amin: min, np.var: var, np.std: std, np.dot: dot, np.vdot: vdot, np.inner: inner,
    np.outer: outer, np.transpose: transpose, np.swapaxes: swapaxes, np.moveaxis: moveaxis,
    np.reshape: reshape, np.ravel: ravel, np.squeeze: squeeze, np.expand_dims: expand_dims,
    np.broadcast_to: broadcast_to, np.concatenate: concatenate, np.stack: stack,
    np.hstack: hstack, np.vstack: vstack, np.atleast_1d: atleast_1d, np.where: where,
    np.clip: clip, np.copy: copy, np.sort: sort,
}

CONSTANT_FUNCTIONS = {
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.zeros_like,
    np.ones_like, np.empty_like, np.full_like, np.allclose, np.isclose, np.array_equal,
    np.count_nonzero, np.nonzero, np.result_type, np.iscomplexobj, np.isrealobj, np.round,
    np.around, np.any, np.all,
}

_NO_OUT = "adlab cannot write into an existing array (out=): traced values are immutable; use the returned value."


def _raw_tree(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_raw_tree(i) for i in x)
    return raw(x)


def _no_rule(name):
    return TypeError(
        f"adlab has no derivative rule for numpy.{name}; write the function with supported "
        f"operations or register it with @adlab.primitive and its defjvp/defvjp rules."
    )


# -- box operators -------------------------------------------------------------------


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method != "__call__":
        raise _no_rule(f"{ufunc.__name__}.{method}")
    if kwargs.get("out") is not None:
        raise TypeError(_NO_OUT)
    if ufunc in CONSTANT_UFUNCS:
        return _on_values_of(ufunc, inputs, kwargs)
    op = UFUNCS.get(ufunc)
    if op is None:
        raise _no_rule(ufunc.__name__)
    if kwargs:
        raise TypeError(f"adlab does not support the keyword(s) {sorted(kwargs)} of numpy.{ufunc.__name__}; "
                        f"call it without them (mask with np.where, convert dtypes before differentiating).")
    return op(*inputs)


def _array_function(self, func, types, args, kwargs):
    if func in CONSTANT_FUNCTIONS:
        return _on_values_of(func, args, kwargs)
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


def _supported_keywords(name, implementation, args, kwargs):
    """kwargs without the harmless ones (out=None, a dtype= the value already has); a clear error for the rest."""
    kwargs = dict(kwargs)
    if kwargs.get("out", 0) is None:
        del kwargs["out"]
    if "out" in kwargs:
        raise TypeError(_NO_OUT)
    if "dtype" in kwargs and args and (kwargs["dtype"] is None or
                                       np.dtype(kwargs["dtype"]) == np.result_type(raw(args[0]))):
        del kwargs["dtype"]
    try:
        inspect.signature(implementation).bind(*args, **kwargs)
    except TypeError:
        parameters = inspect.signature(implementation).parameters
        unknown = [k for k in kwargs if k not in parameters] or list(kwargs)
        hint = _KEYWORD_HINTS.get(unknown[0], "call it without that keyword")
        raise TypeError(f"adlab's numpy.{name} does not take {unknown[0]}=; {hint}.") from None
    return kwargs


def _no_setitem(self, index, value):
    raise TypeError(
        "traced arrays are immutable, so x[...] = v (or x[...] += v) cannot be recorded; "
        "write y = adlab.numpy.set_at(x, index, v) (or add_at), or x.at[index].set(v), which return a new array."
    )


def _in_place(name, op):
    """`x op= v`: fine for a traced scalar (it rebinds, as for floats); an error for an array.

    NumPy's `x += v` writes into x, changing every alias of it; a traced array
    cannot be written into, and silently rebinding instead would make traced and
    untraced runs of the same code disagree.
    """

    def method(self, other):
        if shape(self) != ():
            raise TypeError(
                f"x {name}= v would write into a traced array, which is immutable; "
                f"write x = x {name} v instead (a new array)."
            )
        return op(self, other)

    return method


class LostDerivativeError(TypeError):
    """A traced value turned into a plain number (float(x), or NumPy storing it in an array)."""


def _no_conversion(kind):
    """float(x), int(x) and math.log(x) on a traced value would silently drop its derivative."""

    def method(self):
        raise LostDerivativeError(
            f"{kind}() of a traced value would drop its derivative (math.log(x), math.exp(x) and out[i] = x "
            f"into a NumPy array call it too); use NumPy on traced values, e.g. np.log(x), and build arrays "
            f"with np.stack([...]) or adlab.numpy.set_at."
        )

    return method


def _format(self, spec):
    """f"{x:.3f}" prints the value, as print(x) does."""
    return _on_values_of(format, (self, spec)) if spec else repr(self)


def _no_array(self, dtype=None, copy=None):
    raise TypeError(
        "a traced value cannot become a plain NumPy array (the derivative would be lost); "
        "build arrays from traced values with np.stack([...]) or adlab.numpy.array, and pass arrays, "
        "not lists, to grad/jvp/vjp (np.array([1.0, 2.0]))."
    )


def set_at(x, index, value):
    """A copy of x with x[index] = value: the functional form of item assignment."""
    return r.set_at(x, value, index=_constant(index))


def add_at(x, index, value):
    """A copy of x with value added at x[index] (repeated indices add up, like np.add.at)."""
    index = _constant(index)
    target = shape(np.empty(shape(x))[index])
    return x + r.scatter_add(r.broadcast_to(value, target_shape=target), index=index, target_shape=shape(x))


class _IndexUpdate:
    """`x.at[index].set(v)` / `.add(v)`: JAX's spelling of set_at / add_at."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def set(self, value):
        return set_at(self.array, self.index, value)

    def add(self, value):
        return add_at(self.array, self.index, value)


class _At:
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdate(self.array, index)


def _describe(self):
    value = raw(self)
    kind = type(self.level).__name__.replace("Level", "").lower()
    text = repr(float(value)) if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"
    escaped = f", escaped from {self.level.finished}" if self.level.finished else ""
    return f"Traced<{text}, {kind} level {self.level.depth}{escaped}>"


def _iterate(self):
    for i in range(len(self)):
        yield self[i]


def _len(self):
    s = shape(self)
    if not s:
        raise TypeError("len() of a traced scalar: it has no length.")
    return s[0]


def _no_hash(self):
    raise TypeError("a traced value cannot be a dict key or a set member (a NumPy array cannot either); "
                    "key by something that is not traced, such as a name or an index.")


def _power(a, b, modulo=None):
    if modulo is not None:
        raise TypeError("pow(x, y, mod) is for integers only; write x**y % mod for a traced value.")
    return bind(r.power, a, b)


def _no_plain_copy(name, instead):
    def method(self, *args):
        raise LostDerivativeError(f"x.{name}() of a traced value would drop its derivative; {instead}.")

    return method


def _on_values(func):
    """A method computed on values only (argmax, round): the result is not differentiated."""
    return lambda self, *args, **kwargs: _on_values_of(func, (self, *args), kwargs)


def _missing_attribute(self, name):
    """A NumPy array method adlab's traced values lack: say what to call instead."""
    if hasattr(np.ndarray, name) and not name.startswith("_"):
        func = getattr(np, name, None)
        if func in FUNCTIONS or func in UFUNCS or func in CONSTANT_FUNCTIONS:
            raise AttributeError(f"a traced value has no method .{name}(); call np.{name}(x) instead.")
        raise AttributeError(f"a traced value has no method .{name}(), and adlab has no derivative rule for "
                             f"numpy.{name}; write it with supported operations, or register it with @adlab.primitive.")
    raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _compare(op):
    def compare(self, other):
        result = op(raw(self), raw(other))
        for level in _levels_in((self, other)):
            level.read(op, (self, other), {}, result)
        return result

    return compare


def _astype(self, dtype):
    if np.dtype(dtype) == np.result_type(raw(self)):
        return self
    if np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError("adlab keeps a traced value's float dtype; convert inputs before tracing instead.")
    raise TypeError("casting a traced value to a non-float dtype drops its derivative; use raw values for that.")



class ArrayBox(Box):
    """A traced value that reads like a NumPy array: operators, methods and properties.

    Every arithmetic operator binds a primitive, so the level of the box decides
    what it means; comparisons and truth tests look at values only.
    """

    __slots__ = ()

    __add__ = lambda a, b: bind(r.add, a, b)
    __radd__ = lambda a, b: bind(r.add, b, a)
    __sub__ = lambda a, b: bind(r.subtract, a, b)
    __rsub__ = lambda a, b: bind(r.subtract, b, a)
    __mul__ = lambda a, b: bind(r.multiply, a, b)
    __rmul__ = lambda a, b: bind(r.multiply, b, a)
    __truediv__ = lambda a, b: bind(r.divide, a, b)
    __rtruediv__ = lambda a, b: bind(r.divide, b, a)
    __pow__ = _power
    __rpow__ = lambda a, b: bind(r.power, b, a)
    __matmul__ = lambda a, b: bind(r.matmul, a, b)
    __rmatmul__ = lambda a, b: bind(r.matmul, b, a)
    __mod__ = lambda a, b: bind(r.remainder, a, b)
    __rmod__ = lambda a, b: bind(r.remainder, b, a)
    __floordiv__ = floor_divide
    __rfloordiv__ = lambda a, b: floor_divide(b, a)
    __divmod__ = lambda a, b: (floor_divide(a, b), bind(r.remainder, a, b))
    __rdivmod__ = lambda a, b: (floor_divide(b, a), bind(r.remainder, b, a))
    __neg__ = lambda a: bind(r.negative, a)
    __pos__ = lambda a: a
    __abs__ = lambda a: bind(r.absolute, a)
    __getitem__ = lambda a, index: r.getitem(a, index=_constant(index))
    __iadd__ = _in_place("+", r.add)
    __isub__ = _in_place("-", r.subtract)
    __imul__ = _in_place("*", r.multiply)
    __itruediv__ = _in_place("/", r.divide)
    __ipow__ = _in_place("**", r.power)
    __imatmul__ = _in_place("@", r.matmul)
    __lt__ = _compare(operator.lt)
    __le__ = _compare(operator.le)
    __gt__ = _compare(operator.gt)
    __ge__ = _compare(operator.ge)
    __eq__ = _compare(operator.eq)
    __ne__ = _compare(operator.ne)
    __bool__ = lambda a: _on_values_of(bool, (a,))
    __round__ = _on_values(round)
    __hash__ = _no_hash
    __getattr__ = _missing_attribute
    __setitem__ = _no_setitem
    __array__ = _no_array
    __len__ = _len
    __iter__ = _iterate
    __float__ = _no_conversion("float")
    __int__ = _no_conversion("int")
    __complex__ = _no_conversion("complex")
    __index__ = _no_conversion("int")
    __repr__ = _describe
    __format__ = _format
    __array_ufunc__ = _array_ufunc
    __array_function__ = _array_function

    sum, mean, prod, max, min, var, std, dot = sum, mean, prod, max, min, var, std, dot  # noqa: A003
    squeeze, ravel, flatten, clip, copy, astype = squeeze, ravel, ravel, clip, copy, _astype
    reshape = lambda a, *s, **k: reshape(a, s[0] if len(s) == 1 else s, **k)
    transpose = lambda a, *axes: transpose(a, (axes[0] if len(axes) == 1 else axes) or None)
    argmax, argmin, argsort, round = (_on_values(np.argmax), _on_values(np.argmin),  # noqa: A003
                                      _on_values(np.argsort), _on_values(np.round))
    item = _no_plain_copy("item", "use x itself (a traced scalar), or x[i] for one entry")
    tolist = _no_plain_copy("tolist", "use list(x) for a list of traced entries")

    shape = property(lambda a: shape(a))
    ndim = property(lambda a: len(shape(a)))
    size = property(lambda a: int(np.prod(shape(a))))
    dtype = property(lambda a: np.result_type(raw(a)))
    T = property(lambda a: r.transpose(a))
    at = property(_At)
