"""Batching: push a whole batch of tangents or cotangents through one sweep.

`jacfwd` sends the n basis directions through a single forward sweep and
`jacrev` the m basis cotangents through a single reverse sweep: the batch is a
leading axis, and each primitive has a rule saying how to apply it to batched
arguments (usually: the same primitive, with axes shifted by one). A
primitive without a rule is applied once per batch element, which is always
right, only slower.

Only tangents and cotangents are batched here, never primal values, which is
why this transformation is internal rather than a general `vmap`.
"""

from __future__ import annotations

from . import rules as r
from .arraybox import ArrayBox
from .interpreter import Level, escaped, shape


class BatchBox(ArrayBox):
    """A value whose raw array has a leading batch axis."""

    __slots__ = ()
    batch_axes = 1

    def __init__(self, value, level):
        self.value = value
        self.level = level


class BatchLevel(Level):
    """Batching as an interpreter: each primitive call is replaced by its batched form."""

    __slots__ = ("size",)

    def __init__(self, size):
        super().__init__()
        self.size = size

    def process(self, prim, args, params):
        if self.finished:
            raise escaped(self)
        values, batched = [], []
        for arg in args:
            ours = type(arg) is BatchBox and arg.level is self
            values.append(arg.value if ours else arg)
            batched.append(ours)
        rule = BATCH_RULES.get(prim, _one_by_one)
        return BatchBox(rule(self.size, prim, values, batched, **params), self)


def batched_call(f, batch):
    """f applied to every element of `batch` (a leading axis) in one pass; returns flat outputs.

    f takes one array and returns a list of arrays; each output gets the batch axis first.
    """
    size = shape(batch)[0]
    level = BatchLevel(size)
    try:
        outputs = f(BatchBox(batch, level))
    finally:
        level.finished = "a batched Jacobian sweep"
    return [o.value if type(o) is BatchBox and o.level is level else _broadcast(o, size) for o in outputs]


# -- helpers -------------------------------------------------------------------------


def _item_ndim(value, is_batched):
    return len(shape(value)) - (1 if is_batched else 0)


def _align(value, ndim):
    """(B, *s) -> (B, 1, …, 1, *s) with `ndim` axes after the batch, so it broadcasts per item."""
    value_shape = shape(value)
    missing = ndim - (len(value_shape) - 1)
    if missing <= 0:
        return value
    return r.reshape(value, newshape=value_shape[:1] + (1,) * missing + value_shape[1:])


def _broadcast(value, size):
    return r.broadcast_to(value, target_shape=(size,) + shape(value))


def _shift(axis, ndim):
    return tuple(a + 1 for a in r.normalize_axis(axis, ndim))


def _prefixed(index):
    return (slice(None),) + (index if isinstance(index, tuple) else (index,))


def _is_array_index(item):
    return not (item is None or item is Ellipsis or isinstance(item, (int, slice)))


def _keeps_batch_first(index):
    """True unless NumPy would move advanced-index axes in front of the batch axis.

    Beside an array index, an integer is an advanced index too; NumPy moves the
    advanced axes to the front when they are not next to each other.
    """
    items = index if isinstance(index, tuple) else (index,)
    if not any(_is_array_index(item) for item in items):
        return True
    positions = [i for i, item in enumerate(items) if _is_array_index(item) or isinstance(item, int)]
    return positions[-1] - positions[0] == len(positions) - 1


# -- rules ---------------------------------------------------------------------------


def _one_by_one(size, prim, values, batched, **params):
    """The fallback: apply the primitive to each batch element and stack the results."""
    results = [prim(*[r.getitem(v, index=i) if b else v for v, b in zip(values, batched)], **params)
               for i in range(size)]
    return r.stack(*results, axis=0)


def _elementwise(size, prim, values, batched, **params):
    ndim = max(_item_ndim(v, b) for v, b in zip(values, batched))
    return prim(*[_align(v, ndim) if b else v for v, b in zip(values, batched)], **params)


def _reduction(size, prim, values, batched, axis=None, keepdims=False):
    (x,) = values
    return prim(x, axis=_shift(axis, len(shape(x)) - 1), keepdims=keepdims)


def _per_axis(size, prim, values, batched, axis=None):
    """A computation along item axes (product_of_others): the same axes, moved past the batch axis."""
    (x,) = values
    return prim(x, axis=_shift(axis, len(shape(x)) - 1))


def _transpose(size, prim, values, batched, axes=None):
    (x,) = values
    ndim = len(shape(x)) - 1
    order = tuple(range(ndim, 0, -1)) if axes is None else tuple(a % ndim + 1 for a in axes)
    return r.transpose(x, axes=(0,) + order)


def _reshape(size, prim, values, batched, newshape):
    return r.reshape(values[0], newshape=(size,) + tuple(newshape))


def _broadcast_to(size, prim, values, batched, target_shape):
    return r.broadcast_to(_align(values[0], len(target_shape)), target_shape=(size,) + tuple(target_shape))


def _joined(size, prim, values, batched, axis=0):
    """concatenate and stack: unbatched pieces are repeated along the batch axis."""
    pieces = [v if b else _broadcast(v, size) for v, b in zip(values, batched)]
    item_ndim = len(shape(pieces[0])) - 1 + (1 if prim is r.stack else 0)
    return prim(*pieces, axis=axis % item_ndim + 1)


def _getitem(size, prim, values, batched, index):
    if not _keeps_batch_first(index):
        return _one_by_one(size, prim, values, batched, index=index)
    return r.getitem(values[0], index=_prefixed(index))


def _scatter_add(size, prim, values, batched, index, target_shape):
    if not _keeps_batch_first(index):
        return _one_by_one(size, prim, values, batched, index=index, target_shape=target_shape)
    return r.scatter_add(values[0], index=_prefixed(index), target_shape=(size,) + tuple(target_shape))


def _set_at(size, prim, values, batched, index):
    x, value = values
    if not _keeps_batch_first(index):
        return _one_by_one(size, prim, values, batched, index=index)
    x = x if batched[0] else _broadcast(x, size)
    if batched[1]:
        selected = len(shape(r.getitem(x, index=_prefixed(index)))) - 1
        value = _align(value, selected)
    return r.set_at(x, value, index=_prefixed(index))


def _matmul(size, prim, values, batched):
    a, b = values
    a_ndim, b_ndim = _item_ndim(a, batched[0]), _item_ndim(b, batched[1])
    if batched[0] and batched[1]:
        if a_ndim == 1 and b_ndim == 1:
            return r.sum_(a * b, axis=-1)
        if a_ndim == 1:
            return r.squeeze(r.matmul(r.expand_dims(a, 1), b), 1)
        if b_ndim == 1:
            return r.squeeze(r.matmul(a, r.expand_dims(b, -1)), -1)
        ndim = max(a_ndim, b_ndim)
        return r.matmul(_align(a, ndim), _align(b, ndim))
    if batched[0]:  # (B, …) @ b
        if a_ndim == 1:
            return r.matmul(a, b) if b_ndim <= 2 else _one_by_one(size, prim, values, batched)
        return r.matmul(_align(a, b_ndim), b)
    if b_ndim == 1:  # a @ (B, k)
        if a_ndim == 1:
            return r.matmul(b, a)
        if a_ndim == 2:  # all items at once, as the columns of one matrix
            return r.swapaxes(r.matmul(a, r.transpose(b)), 0, -1)
        return _one_by_one(size, prim, values, batched)
    return r.matmul(a, _align(b, a_ndim)) if a_ndim > 1 else r.matmul(a, b)


def _outer(size, prim, values, batched):
    a, b = values
    column = r.reshape(a, newshape=(size, -1, 1) if batched[0] else (-1, 1))
    row = r.reshape(b, newshape=(size, 1, -1) if batched[1] else (1, -1))
    return column * row


def _clip(size, prim, values, batched, low, high):
    return r.clip(values[0], low=low, high=high)


BATCH_RULES = {prim: _elementwise for prim in r.PRIMITIVES if prim.elementwise}
BATCH_RULES.update({
    r.sum_: _reduction, r.prod: _reduction, r.max_: _reduction, r.min_: _reduction,
    r.logsumexp: _reduction, r.product_of_others: _per_axis, r.transpose: _transpose, r.reshape: _reshape,
    r.broadcast_to: _broadcast_to, r.concatenate: _joined, r.stack: _joined, r.getitem: _getitem,
    r.scatter_add: _scatter_add, r.set_at: _set_at, r.matmul: _matmul, r.outer: _outer, r.clip: _clip,
})
