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
from .readable import number_text


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
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads takes f's arguments as a tuple: check_grads(f, ({args!r},)), "
                        f"with a comma for a single argument.")
    if isinstance(modes, str):
        modes = (modes,)
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


# -- feedback on hand-derived derivatives ----------------------------------------------


class Feedback:
    """The outcome of comparing an answer with the truth: the one check-result type of adlab.

    ``status`` is "correct" or "wrong" here (the exercises' `Result` adds "unanswered", "invalid" and
    "shown", an exercise id and hints); ``ok`` is True when it is "correct"; ``message`` says which
    entries are wrong and by how much, ``wrong`` lists ``(label, index, yours, true)`` for each.
    """

    def __init__(self, status, message, wrong=(), yours=None, true=None):
        self.status, self.message, self.wrong, self.yours, self.true = status, message, tuple(wrong), yours, true

    @property
    def ok(self):
        return self.status == "correct"

    def __repr__(self):
        return self.message


_SHOWN = 10  # wrong entries listed in a message; the rest are counted


def _wrong_entries(label, yours, true, rtol, atol):
    """The wrong entries of one block, as (label, index, yours, true) tuples."""
    bad = ~np.isclose(yours, true, rtol=rtol, atol=atol, equal_nan=True)
    indices = [tuple(int(i) for i in index) for index in np.argwhere(bad)]
    return [(label, index, yours[index], true[index]) for index in indices]


def _feedback(what, yours_blocks, true_blocks, labels, rtol, atol, shape_hint):
    """Compare block by block (one block per argument); shape problems first, in one sentence each."""
    for label, yours, true in zip(labels, yours_blocks, true_blocks):
        if yours.shape != true.shape:
            of = f" for {label}" if label else ""
            if yours.ndim == 2 and yours.T.shape == true.shape and np.allclose(yours.T, true, rtol=rtol, atol=atol):
                return Feedback("wrong", f"Your {what}{of} is the transpose of the true one: it needs one row per "
                                       f"output element and one column per input element, shape {true.shape}.")
            return Feedback("wrong", f"Your {what}{of} has shape {yours.shape} but the true one has shape {true.shape}"
                                   f"{shape_hint}.")
    wrong = [entry for label, yours, true in zip(labels, yours_blocks, true_blocks)
             for entry in _wrong_entries(label, yours, true, rtol, atol)]
    total = sum(int(t.size) for t in true_blocks)
    if not wrong:
        entries = f"All {total} entries of your {what} are" if total > 1 else f"Your {what} is"
        return Feedback("correct", f"{entries} right (within rtol={rtol}, atol={atol}).", yours=yours_blocks, true=true_blocks)
    lines = [f"{len(wrong)} of {total} entries of your {what} {'is' if len(wrong) == 1 else 'are'} wrong:"
             if total > 1 else f"Your {what} is wrong:"]
    for label, index, y, t in wrong[:_SHOWN]:
        where = " ".join(part for part in (f"{label}:" if label else "", f"at [{', '.join(map(str, index))}]:"
                                           if index else "") if part)
        lines.append(f"  {where + ' ' if where else ''}yours {number_text(y, 5)}, true {number_text(t, 5)} "
                     f"(off by {number_text(y - t, 5)})")
    if len(wrong) > _SHOWN:
        lines.append(f"  … and {len(wrong) - _SHOWN} more.")
    return Feedback("wrong", "\n".join(lines), wrong, yours_blocks, true_blocks)


def _blocks(value, count, what):
    """One float array per selected argument; `count` blocks expected when argnums is a tuple."""
    if count is None:
        return [_numbers(value, what)]
    if not isinstance(value, (tuple, list)) or len(value) != count:
        raise ValueError(f"with several argnums, give your {what} as a tuple of {count} parts, one per argument.")
    return [_numbers(v, what) for v in value]


def _numbers(value, what):
    if value is None:
        raise TypeError(f"your {what} is None: give it as numbers (did your function forget `return`?).")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"give your {what} as numbers (a float or an array of floats), or a function returning them, "
                        f"not {type(value).__name__} {value!r}: e.g. compare_gradient(2 * x, f, x).") from None


def _labels(argnums):
    return [""] if isinstance(argnums, int) else [f"argument {i}" for i in argnums]


def compare_gradient(yours, f, *args, argnums=0, rtol=1e-6, atol=1e-8):
    """Check a hand-derived gradient of a scalar f at args against adlab.grad, entry by entry.

    ``yours`` is the gradient (a number or an array shaped like the argument;
    a tuple of them for several argnums), or a function that returns it when
    called with args. Returns a Feedback; ``assert_gradient`` raises instead.
    """
    from .core.api import grad

    mine = yours(*args) if callable(yours) else yours
    true = grad(f, argnums=argnums)(*args)
    count = None if isinstance(argnums, int) else len(argnums)
    return _feedback("gradient", _blocks(mine, count, "gradient"), _blocks(true, count, "gradient"),
                     _labels(argnums), rtol, atol, ", the shape of the argument")


def compare_jacobian(yours, f, *args, argnums=0, rtol=1e-6, atol=1e-8):
    """Check a hand-derived Jacobian of f at args against adlab.jacrev, entry by entry.

    The Jacobian of f: R^n -> R^m has one row per output element and one
    column per input element (shape output shape + input shape). ``yours`` is
    that array (a tuple of them for several argnums), or a function returning
    it when called with args. Returns a Feedback; ``assert_jacobian`` raises.
    """
    from .core.api import jacrev

    mine = yours(*args) if callable(yours) else yours
    true = jacrev(f, argnums=argnums)(*args)
    if isinstance(true, dict) or (isinstance(argnums, int) and isinstance(true, (tuple, list))):
        raise ValueError("compare_jacobian needs f to return one array; stack several outputs with np.stack.")
    count = None if isinstance(argnums, int) else len(argnums)
    return _feedback("Jacobian", _blocks(mine, count, "Jacobian"), _blocks(true, count, "Jacobian"),
                     _labels(argnums), rtol, atol, " (output shape + input shape)")


def assert_gradient(yours, f, *args, argnums=0, rtol=1e-6, atol=1e-8):
    """compare_gradient, raising AssertionError with its message when an entry is wrong."""
    feedback = compare_gradient(yours, f, *args, argnums=argnums, rtol=rtol, atol=atol)
    if not feedback.ok:
        raise AssertionError(feedback.message)


def assert_jacobian(yours, f, *args, argnums=0, rtol=1e-6, atol=1e-8):
    """compare_jacobian, raising AssertionError with its message when an entry is wrong."""
    feedback = compare_jacobian(yours, f, *args, argnums=argnums, rtol=rtol, atol=atol)
    if not feedback.ok:
        raise AssertionError(feedback.message)
