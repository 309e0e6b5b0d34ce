"""Check derivatives against finite differences, with messages that teach.

`check_grads` follows JAX's: forward mode is compared with central
differences along random directions; reverse mode through the inner-product
identity ⟨ȳ, J ẋ⟩ = ⟨Jᵀ ȳ, ẋ⟩, with J ẋ from central differences; and both
again on the derivative functions themselves, up to the requested order.
"""

from __future__ import annotations

import numpy as np

from .core.api import jvp, vjp
from .core.tree import flatten, unflatten


def _random_like(tree, rng):
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [float(rng.standard_normal()) if np.ndim(x) == 0 else rng.standard_normal(np.shape(x))
                               for x in leaves])


def _axpy(a, xs, ys):
    """ys + a·xs, leaf by leaf."""
    x_leaves, treedef = flatten(xs)
    return unflatten(treedef, [y + a * x for x, y in zip(x_leaves, flatten(ys)[0])])


def _inner(xs, ys):
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(flatten(xs)[0], flatten(ys)[0])))


def numerical_jvp(f, args, tangents, eps=1e-5):
    """(f(x + εẋ) − f(x − εẋ)) / 2ε, leaf by leaf: the JVP by central differences."""
    ahead = flatten(f(*_axpy(eps, tangents, args)))[0]
    behind = flatten(f(*_axpy(-eps, tangents, args)))[0]
    return [(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / (2 * eps) for a, b in zip(ahead, behind)]


def _assert_close(actual, expected, atol, rtol, what):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} but finite differences give {expected.shape}.")
    bad = ~(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    if np.any(bad):
        where = np.argwhere(bad)[0] if actual.ndim else ()
        at = f" at {tuple(int(i) for i in where)}" if actual.ndim else ""
        raise AssertionError(
            f"{what}{at}: AD gives {float(actual[tuple(where)])!r}, finite differences give {float(expected[tuple(where)])!r} "
            f"({int(bad.sum())} of {bad.size} entries differ by more than atol={atol}, rtol={rtol})."
        )


def check_jvp(f, args, tangents, eps=1e-5, atol=1e-6, rtol=1e-6, label="f"):
    """Forward mode against central differences along the direction `tangents`."""
    _, tangent_out = jvp(f, args, tangents)
    expected = numerical_jvp(f, args, tangents, eps)
    for i, (actual, numeric) in enumerate(zip(flatten(tangent_out)[0], expected)):
        _assert_close(actual, numeric, atol, rtol, f"forward mode (JVP) of {label}, output {i}")


def check_vjp(f, args, tangents, cotangents, eps=1e-5, atol=1e-6, rtol=1e-6, label="f"):
    """Reverse mode through ⟨ȳ, J ẋ⟩ = ⟨Jᵀȳ, ẋ⟩, with J ẋ by central differences."""
    _, pullback = vjp(f, *args)
    left = _inner(pullback(cotangents), tangents)
    right = _inner(cotangents, numerical_jvp(f, args, tangents, eps))
    _assert_close(left, right, atol, rtol, f"reverse mode (VJP) of {label}: ⟨Jᵀȳ, ẋ⟩ vs ⟨ȳ, J ẋ⟩")


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=1e-5, atol=1e-6, rtol=1e-6, seed=0):
    """Check f's derivatives at args in each mode up to `order`; raise AssertionError on a mismatch.

    ``modes`` holds "fwd" and/or "rev". Order 2 also checks the derivatives of
    f's JVP and VJP, which covers every rule's own derivative rules.
    """
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown mode(s) {sorted(unknown)}; use 'fwd' and/or 'rev'.")
    rng = np.random.default_rng(seed)
    _check(f, tuple(args), order, modes, eps, atol, rtol, rng, getattr(f, "__name__", "f"))


def _check(f, args, order, modes, eps, atol, rtol, rng, label):
    tangents = _random_like(args, rng)
    if "fwd" in modes:
        check_jvp(f, args, tangents, eps, atol, rtol, label)
        if order > 1:
            direction = _random_like(args, rng)
            _check(lambda *xs: jvp(f, xs, direction)[1], args, order - 1, modes, eps, atol, rtol, rng,
                   f"the JVP of {label}")
    if "rev" in modes:
        cotangents = _random_like(f(*args), rng)
        check_vjp(f, args, tangents, cotangents, eps, atol, rtol, label)
        if order > 1:
            _check(lambda *xs: vjp(f, *xs)[1](cotangents), args, order - 1, modes, eps, atol, rtol, rng,
                   f"the VJP of {label}")
