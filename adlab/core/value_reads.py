"""When f looks at the numbers under its traced values: compute on the raw values, and tell each level.

A comparison (``x > 0``), ``bool(x)``, an index or ``np.argmax(x)`` is not
differentiated: it runs on the plain values under the boxes. But f's path
may now depend on those values, so every level tracing them is told
(`Level.read`): a trace marks itself value-dependent, a staged program keeps
a guard. `numpy_functions`, `numpy_dispatch` and `arraybox` all read values
this one way.
"""

from __future__ import annotations

from .interpreter import Box, raw


def on_values_of(func, args, kwargs=None):
    """func(*args) on the raw values of traced arguments; each level that traces them is told (Level.read)."""
    result = func(*raw_tree(args), **({k: raw_tree(v) for k, v in kwargs.items()} if kwargs else {}))
    for level in levels_in((args, kwargs)):
        level.read(func, args, kwargs or {}, result)
    return result


def levels_in(tree, found=None):
    """The levels of the boxes in tree, boxes inside boxes included, each once."""
    found = [] if found is None else found
    if isinstance(tree, (list, tuple)):
        for item in tree:
            levels_in(item, found)
    elif isinstance(tree, dict):
        for item in tree.values():
            levels_in(item, found)
    else:
        while isinstance(tree, Box):
            if tree.level not in found:
                found.append(tree.level)
            tree = tree.value
    return found


def _identity(x):
    return x


def as_constant(x):
    """Bounds, conditions and indices are not differentiated: use their values."""
    return on_values_of(_identity, (x,)) if contains_box([x]) else x


def raw_tree(x):
    """x with every traced value in it (inside lists and tuples too) replaced by its raw value."""
    if isinstance(x, (list, tuple)):
        return type(x)(raw_tree(i) for i in x)
    return raw(x)


def contains_box(items):
    """True when a traced value is among items, or inside a list or tuple among them."""
    return any(isinstance(i, Box) or (isinstance(i, (list, tuple)) and contains_box(i)) for i in items)
