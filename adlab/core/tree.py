"""Nested containers of arrays ("pytrees"): tuples, lists, dicts and None around leaves; and f as a function of
some of its arguments, the others held at their values."""

from __future__ import annotations

import functools


def flatten(tree):
    """Leaves in a fixed order, and a description to rebuild the container."""
    leaves = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves):
    if tree is None:  # an empty node, as in JAX: nothing to differentiate
        return (type(None), ())
    if isinstance(tree, (tuple, list)):
        return (type(tree), tuple(_flatten_into(item, leaves) for item in tree))
    if isinstance(tree, dict):
        keys = _ordered_keys(tree)
        return (dict, (keys, tuple(_flatten_into(tree[k], leaves) for k in keys)))
    leaves.append(tree)
    return None


def _ordered_keys(tree):
    """A dict's keys in a fixed order: sorted, as JAX does, so {"b": .., "a": ..} and {"a": .., "b": ..} flatten alike.

    Keys of different types ({"a": 1.0, 0: 2.0}) cannot be compared with each other: they are sorted by
    type name first (int before str), then by key; keys that still cannot be compared keep the dict's order.
    """
    try:
        return sorted(tree)
    except TypeError:
        pass
    try:
        return sorted(tree, key=lambda k: (type(k).__name__, type(k).__module__, k))
    except TypeError:
        return list(tree)


def unflatten(treedef, leaves):
    """Rebuild a container from `flatten`'s description and new leaves."""
    return _build(treedef, iter(leaves))


def _build(treedef, leaves):
    if treedef is None:
        return next(leaves)
    kind, children = treedef
    if kind is type(None):
        return None
    if kind is dict:
        keys, subtrees = children
        return {k: _build(sub, leaves) for k, sub in zip(keys, subtrees)}
    items = [_build(sub, leaves) for sub in children]
    if kind is list or kind is tuple:
        return kind(items)
    return kind(*items) if hasattr(kind, "_fields") else kind(items)  # namedtuples take fields


def tree_map(fn, tree, *others):
    leaves, treedef = flatten(tree)
    other_leaves = [flatten(o)[0] for o in others]
    return unflatten(treedef, [fn(*items) for items in zip(leaves, *other_leaves)])


def of_some_arguments(f, values, positions, kwargs=None):
    """f as a function of the arguments at ``positions`` alone; the others, and ``kwargs``, keep ``values``.

    This is how every transformation differentiates with respect to some arguments (``argnums``) only.
    """
    kwargs = kwargs or {}

    @functools.wraps(f)
    def of_some(*moved):
        full = list(values)
        for i, value in zip(positions, moved):
            full[i] = value
        return f(*full, **kwargs)

    return of_some
