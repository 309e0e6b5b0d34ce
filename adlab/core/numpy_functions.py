"""NumPy's functions on traced values, written with primitives: the part of `adlab.numpy` adlab writes itself.

Each function takes NumPy's signature (``np.sum(a, axis=None, keepdims=False)``)
and calls the primitives of `rules`, so every one is differentiable however
deeply it is nested. `numpy_dispatch` sends ``np.sum(x)`` on a traced x here;
`adlab.numpy` exports these names directly, which skips NumPy's dispatch.
"""

from __future__ import annotations

import numpy as np

from . import rules as r
from .interpreter import Box, raw, shape
from .value_reads import as_constant, contains_box, on_values_of

NO_OUT = "adlab cannot write into an existing array (out=): traced values are immutable; use the returned value."


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
    count = r.reduced_count(shape(a), _axis(axis)) - ddof
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
        return on_values_of(np.where, (condition,))
    return r.where(as_constant(condition), x, y)


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):  # noqa: A002
    if out is not None:
        raise TypeError(NO_OUT)
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    return r.clip(a, low=as_constant(low), high=as_constant(high))


def copy(a, order="K", subok=False):
    """A traced value is never written into, so its copy is itself."""
    return a


def sort(a, axis=-1, kind=None, order=None):
    """Sorted along an axis, as indexing by argsort: each entry's derivative follows it."""
    if axis is None:
        return sort(reshape(a, -1))
    values = raw(a)
    positions = on_values_of(np.argsort, (a,), {"axis": axis, "kind": kind})
    index = list(np.indices(np.shape(values), sparse=True))
    index[axis % np.ndim(values)] = positions
    return r.getitem(a, index=tuple(index))


def floor_divide(x, y):
    """⌊x / y⌋ is piecewise constant: computed on values, not differentiated (as floor is)."""
    return on_values_of(np.floor_divide, (x, y))


def square(x):
    return r.multiply(x, x)


def reciprocal(x):
    return r.divide(1.0, x)


def positive(x):
    return x


def array(object, dtype=None):  # noqa: A002
    """np.array that also builds from a (nested) list of traced values, by stacking."""
    if isinstance(object, (list, tuple)) and contains_box(object):
        return stack([array(item) if isinstance(item, (list, tuple)) else item for item in object])
    if isinstance(object, Box):
        return object
    return np.array(object, dtype=dtype)


asarray = array


def set_at(x, index, value):
    """A copy of x with x[index] = value: the functional form of item assignment."""
    return r.set_at(x, value, index=as_constant(index))


def add_at(x, index, value):
    """A copy of x with value added at x[index] (repeated indices add up, like np.add.at)."""
    index = as_constant(index)
    target = shape(np.empty(shape(x))[index])
    return x + r.scatter_add(r.broadcast_to(value, target_shape=target), index=index, target_shape=shape(x))
