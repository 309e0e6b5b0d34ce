"""`ArrayBox`: a traced value that reads like a NumPy array.

Every box (forward, reverse, batched, staged, symbolic) is an `ArrayBox`, so f
can be written as NumPy code: arithmetic operators bind primitives;
``x.sum()``, ``x.T`` and ``x.reshape(...)`` call `numpy_functions`;
``np.sin(x)`` goes through NumPy's hooks to `numpy_dispatch`; comparisons,
``bool(x)`` and formatting read values (`value_reads`). What NumPy would do
but a traced value cannot (write into itself, turn into a float) raises an
error that says what to write instead.
"""

from __future__ import annotations

import operator

import numpy as np

from . import numpy_functions as anp
from . import rules as r
from .interpreter import Box, bind, raw, shape
from .numpy_dispatch import CONSTANT_FUNCTIONS, FUNCTIONS, UFUNCS, array_function, array_ufunc
from .value_reads import as_constant, levels_in, on_values_of


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
    return on_values_of(format, (self, spec)) if spec else repr(self)


def _no_array(self, dtype=None, copy=None):
    raise TypeError(
        "a traced value cannot become a plain NumPy array (the derivative would be lost); "
        "build arrays from traced values with np.stack([...]) or adlab.numpy.array, and pass arrays, "
        "not lists, to grad/jvp/vjp (np.array([1.0, 2.0]))."
    )


class _IndexUpdate:
    """`x.at[index].set(v)` / `.add(v)`: JAX's spelling of set_at / add_at."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def set(self, value):
        return anp.set_at(self.array, self.index, value)

    def add(self, value):
        return anp.add_at(self.array, self.index, value)


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
    return lambda self, *args, **kwargs: on_values_of(func, (self, *args), kwargs)


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
        for level in levels_in((self, other)):
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
    __floordiv__ = anp.floor_divide
    __rfloordiv__ = lambda a, b: anp.floor_divide(b, a)
    __divmod__ = lambda a, b: (anp.floor_divide(a, b), bind(r.remainder, a, b))
    __rdivmod__ = lambda a, b: (anp.floor_divide(b, a), bind(r.remainder, b, a))
    __neg__ = lambda a: bind(r.negative, a)
    __pos__ = lambda a: a
    __abs__ = lambda a: bind(r.absolute, a)
    __getitem__ = lambda a, index: r.getitem(a, index=as_constant(index))
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
    __bool__ = lambda a: on_values_of(bool, (a,))
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
    __array_ufunc__ = array_ufunc
    __array_function__ = array_function

    sum, mean, prod, max, min = anp.sum, anp.mean, anp.prod, anp.max, anp.min  # noqa: A003
    var, std, dot, squeeze, ravel, flatten = anp.var, anp.std, anp.dot, anp.squeeze, anp.ravel, anp.ravel
    clip, copy, astype = anp.clip, anp.copy, _astype
    reshape = lambda a, *s, **k: anp.reshape(a, s[0] if len(s) == 1 else s, **k)
    transpose = lambda a, *axes: anp.transpose(a, (axes[0] if len(axes) == 1 else axes) or None)
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
