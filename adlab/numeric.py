"""Numerical differentiation, done carefully, to compare with AD.

Finite differences estimate f'(x) from values of f near x (course notes,
section 2.1).  Two errors compete:

* truncation error, from the Taylor terms the formula drops: ~ C h**p for a
  method of order p, so it falls as h shrinks;
* round-off error, from subtracting two nearly equal floating-point values of
  f and dividing by h: ~ eps |f| / h, so it grows as h shrinks.

The best h balances them, h ~ eps**(1/(p+1)), and even then about
p/(p+1) of the 16 significant digits survive.  The complex step has no
subtraction, so it has no round-off trade-off, but it only works for
holomorphic code.  AD has neither error: compare them with
``error_vs_step`` and ``plot_error_vs_step``.

Cost of a Jacobian of f: R^n -> R^m, in evaluations of f (measured by
``gradient``/``jacobian``, which count the calls):

=================  ===========  ==========================
method             column-wise  element by element
=================  ===========  ==========================
forward/backward   n + 1        2mn
central            2n           2mn  (the notes' count)
complex            n            mn
=================  ===========  ==========================

Reverse-mode AD gets a whole gradient for a small constant times one
evaluation, whatever n is.

This module imports only NumPy and the standard library (matplotlib is
imported inside ``plot_error_vs_step``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np

__all__ = [
    "forward_difference", "backward_difference", "central_difference",
    "richardson", "complex_step", "derivative", "optimal_step", "ORDERS",
    "gradient", "jacobian", "FDResult",
    "error_vs_step", "ErrorVsStep", "plot_error_vs_step",
]

EPS = np.finfo(float).eps  # 2.2e-16: spacing of floats near 1

# Central stencils: f'(x) ~ sum_k w_k (f(x + k h) - f(x - k h)) / h, error O(h**order).
_CENTRAL_WEIGHTS = {
    2: (1 / 2,),
    4: (2 / 3, -1 / 12),
    6: (3 / 4, -3 / 20, 1 / 60),
    8: (4 / 5, -1 / 5, 4 / 105, -1 / 280),
}

# Order p of each method's truncation error, O(h**p).
ORDERS = {"forward": 1, "backward": 1, "central": 2, "central4": 4,
          "central6": 6, "central8": 8, "complex": 2}


class _NonFiniteError(ValueError):
    """f returned inf or nan (a ValueError, so callers can catch either)."""


# ---------------------------------------------------------------- checks


def _as_point(x):
    """A real, finite scalar x as a float."""
    if np.ndim(x) != 0:
        raise ValueError(f"x must be a single number, got shape {np.shape(x)}; "
                         "use gradient() or jacobian() for vectors.")
    if np.iscomplexobj(x):
        raise TypeError("x must be real; complex_step adds the imaginary part itself.")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"x must be finite, got {x}.")
    return x


def _as_vector(x):
    """A non-empty 1-D real vector as floats (integer input is fine)."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise TypeError("x must be real; complex_step adds the imaginary part itself.")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D vector, got shape {x.shape}.")
    x = x.astype(float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x must be finite, got {x}.")
    return x


def _check_step(h):
    """h as a positive finite float."""
    if np.ndim(h) != 0 or np.iscomplexobj(h):
        raise ValueError(f"step h must be one positive number, got {h!r}.")
    h = float(h)
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"step h must be a positive finite number, got {h}.")
    return h


def _check_method(method):
    if method not in ORDERS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(ORDERS)}.")
    return method


def _finite(y, x):
    """y as an array, refusing inf/nan: a finite difference of them is meaningless."""
    y = np.asarray(y)
    if not np.all(np.isfinite(y)):
        raise _NonFiniteError(f"f returned a non-finite value ({y}) at x = {x}; "
                              "choose x and h so that f is defined near x.")
    return y


def _value(f, x):
    if not callable(f):
        raise TypeError(f"the function comes first, then the point: f is a {type(f).__name__} ({f!r}), not a "
                        f"function; write e.g. derivative(np.sin, 1.0).")
    return _finite(f(x), x)


def _scalar(y):
    """0-d arrays become floats; vector-valued f keeps its array."""
    return float(y) if np.ndim(y) == 0 else y


# ------------------------------------------------------- one variable


def optimal_step(method, x=0.0):
    """Rule-of-thumb best step for `method` at `x`: h = eps**(1/(p+1)) * max(1, |x|).

    Why: truncation ~ h**p falls and round-off ~ eps/h rises; they are equal
    near that h (constants of order 1 dropped).  Scaling by |x| keeps x + h
    distinguishable from x for large x.  Returns None for "complex", which has
    no round-off trade-off: any h below about 1e-8 * max(1, |x|) is as good.
    """
    p = ORDERS[_check_method(method)]
    if method == "complex":
        return None
    return EPS ** (1 / (p + 1)) * max(1.0, abs(_as_point(x)))


def forward_difference(f, x, h=None, fx=None):
    """(f(x + h) - f(x)) / h  (notes, Eq. 1): error O(h), 2 evaluations.

    Default h = sqrt(eps) * max(1, |x|), about 1.5e-8.  Pass `fx` = f(x) if you
    already have it; that is how a gradient costs n + 1 evaluations, not 2n.
    """
    x = _as_point(x)
    h = optimal_step("forward", x) if h is None else _check_step(h)
    f0 = _value(f, x) if fx is None else _finite(fx, x)
    return _scalar((_value(f, x + h) - f0) / h)


def backward_difference(f, x, h=None, fx=None):
    """(f(x) - f(x - h)) / h: error O(h), like the forward difference mirrored."""
    x = _as_point(x)
    h = optimal_step("backward", x) if h is None else _check_step(h)
    f0 = _value(f, x) if fx is None else _finite(fx, x)
    return _scalar((f0 - _value(f, x - h)) / h)


def central_difference(f, x, h=None, order=2):
    """Symmetric stencil of the given order (2, 4, 6 or 8): error O(h**order).

    order=2 is (f(x + h) - f(x - h)) / 2h (notes, Eq. 2): the even Taylor terms
    cancel, so the h error term vanishes.  Wider stencils cancel more terms and
    cost `order` evaluations.  Default h = eps**(1/(order+1)) * max(1, |x|).
    """
    if order not in _CENTRAL_WEIGHTS:
        raise ValueError(f"order must be one of 2, 4, 6, 8, got {order!r}.")
    x = _as_point(x)
    name = "central" if order == 2 else f"central{order}"
    h = optimal_step(name, x) if h is None else _check_step(h)
    total = sum(w * (_value(f, x + k * h) - _value(f, x - k * h))
                for k, w in enumerate(_CENTRAL_WEIGHTS[order], start=1))
    return _scalar(total / h)


def richardson(f, x, h=None, levels=3):
    """Richardson extrapolation of central differences at h, h/2, ..., h/2**levels.

    The central difference D(h) = f' + c1 h**2 + c2 h**4 + ...; combining
    (4**k D(h/2) - D(h)) / (4**k - 1) removes the h**(2k) term, level by level,
    giving error O(h**(2 levels + 2)) from a fairly large h (default
    0.1 * max(1, |x|)), where round-off is small.  Costs 2 (levels + 1) evaluations.
    """
    x = _as_point(x)
    h = 0.1 * max(1.0, abs(x)) if h is None else _check_step(h)
    if not (isinstance(levels, (int, np.integer)) and levels >= 0):
        raise ValueError(f"levels must be a whole number >= 0, got {levels!r}.")
    table = [central_difference(f, x, h / 2**k) for k in range(levels + 1)]
    for k in range(1, levels + 1):
        table = [(4**k * fine - coarse) / (4**k - 1) for coarse, fine in zip(table, table[1:])]
    return table[0]


def complex_step(f, x, h=1e-20):
    """Im f(x + ih) / h: error O(h**2) with no subtraction, so no round-off loss.

    Because nothing cancels, h can be tiny (1e-20) and the result is exact to
    machine precision.  It applies only when f is holomorphic (analytic) code
    that is real on the real axis and works on complex numbers: +, -, *, /,
    **, np.exp, np.sin, np.log, ...  It does NOT apply when f uses abs,
    np.real/np.imag, math.* (real-only), float(), stores values in a real
    array, or returns a real dtype; those raise TypeError here.  NumPy compares
    complex numbers by real part first without complaint, so branches such as
    `if z > 0` or np.maximum are not detected: they pick a branch like AD
    does, but are wrong at the kink.  Use central_difference for such f.
    """
    x = _as_point(x)
    h = _check_step(h)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            y = _value(f, x + 1j * h)
    except (TypeError, np.exceptions.ComplexWarning) as err:
        raise TypeError(f"f failed on complex input ({err}), so complex step does not apply; "
                        "use NumPy/cmath functions on complex values or use central_difference.") from err
    if not np.iscomplexobj(y):
        raise TypeError("f returned a real value for complex input, so it dropped the imaginary part "
                        "(abs, max, comparisons or a real dtype do this): f is not holomorphic and "
                        "complex step does not apply; use central_difference instead.")
    return _scalar(y.imag / h)


_RULES = {
    "forward": forward_difference,
    "backward": backward_difference,
    "central": central_difference,
    "central4": partial(central_difference, order=4),
    "central6": partial(central_difference, order=6),
    "central8": partial(central_difference, order=8),
    "complex": complex_step,
}


def derivative(f, x, method="central", h=None):
    """f'(x) by the named method (see ORDERS); h=None picks the method's default."""
    rule = _RULES[_check_method(method)]
    return rule(f, x) if h is None else rule(f, x, h)


# ------------------------------------------------------- many variables


@dataclass(frozen=True)
class FDResult:
    """A finite-difference estimate and what it cost.

    value: the gradient (n,) or Jacobian (m, n); evaluations: calls of f,
    counted, not computed from a formula; step: the h used for each x_j.
    """
    value: np.ndarray
    evaluations: int
    method: str
    step: np.ndarray


class _CountedFunction:
    """f with a call counter; outputs are flattened to 1-D vectors."""

    def __init__(self, f, scalar_output=False):
        if not callable(f):
            raise TypeError(f"f must be a function, got {type(f).__name__}.")
        self.f, self.scalar_output = f, scalar_output
        self.calls, self.output_size = 0, None

    def __call__(self, x):
        self.calls += 1
        y = np.ravel(_finite(self.f(x), x))
        if self.scalar_output and y.size != 1:
            raise ValueError(f"gradient() needs f to return one number, got {y.size}; "
                             "use jacobian() for vector-valued f.")
        self.output_size = y.size
        return y


def _vector_steps(method, x, h):
    """One step per component of x: the method's default, or h broadcast."""
    if h is None:
        if method == "complex":
            return np.full(x.shape, 1e-20)
        return np.array([optimal_step(method, xj) for xj in x])
    try:
        steps = np.broadcast_to(np.asarray(h), x.shape)
    except ValueError:
        raise ValueError(f"h must be one number or one per component of x ({x.size}), "
                         f"got shape {np.shape(h)}.") from None
    return np.array([_check_step(s) for s in steps])


def _slice(f, x, j, i=None):
    """t -> f(x + t e_j) (or its i-th output): each rule works on such 1-D slices."""
    def g(t):
        z = x.astype(np.result_type(x, t))
        z[j] += t
        y = f(z)
        return y if i is None else y[i]
    return g


def _columnwise(f, x, method, steps):
    """Jacobian column by column: moving x_j moves all m outputs at once."""
    rule = _RULES[method]
    if method in ("forward", "backward"):
        rule = partial(rule, fx=f(x))  # f(x) shared by all n columns
    columns = [rule(_slice(f, x, j), 0.0, steps[j]) for j in range(x.size)]
    return np.stack(columns, axis=1)


def _elementwise(f, x, method, steps):
    """Jacobian entry by entry, each a separate 1-D problem (the notes' 2mn)."""
    rule = _RULES[method]

    def entry(i, j):
        return rule(_slice(f, x, j, i), 0.0, steps[j])

    first = entry(0, 0)  # its evaluations also tell us m
    m, n = f.output_size, x.size
    return np.array([[first if i == j == 0 else entry(i, j) for j in range(n)]
                     for i in range(m)])


def gradient(f, x, method="central", h=None):
    """Gradient of scalar f at vector x, with the number of f evaluations it took.

    method: "forward"/"backward" (n + 1 evaluations), "central" (2n),
    "central4/6/8" (4n/6n/8n) or "complex" (n).  h: one step or one per
    component; default per component as in optimal_step.
    """
    counted = _CountedFunction(f, scalar_output=True)
    x = _as_vector(x)
    steps = _vector_steps(_check_method(method), x, h)
    value = _columnwise(counted, x, method, steps)[0]
    return FDResult(value, counted.calls, method, steps)


def jacobian(f, x, method="central", h=None, elementwise=False):
    """Jacobian (m, n) of f: R^n -> R^m at x, with the number of f evaluations.

    Column-wise (default) perturbs one input at a time and reads all outputs:
    2n evaluations for central differences.  elementwise=True computes each
    entry J[i, j] on its own, as the notes count it: 2mn for central.  Outputs
    of f are flattened, so m = f(x).size.
    """
    counted = _CountedFunction(f)
    x = _as_vector(x)
    steps = _vector_steps(_check_method(method), x, h)
    build = _elementwise if elementwise else _columnwise
    return FDResult(build(counted, x, method, steps), counted.calls, method, steps)


# ------------------------------------------------------- error analysis


@dataclass(frozen=True)
class ErrorVsStep:
    """Absolute error |estimate - exact| of each method at each step h.

    errors[method][k] belongs to steps[k] (nan where f was not finite);
    optimal_steps[method] is the rule-of-thumb best h (None for "complex").
    """
    x: float
    exact: float
    steps: np.ndarray
    errors: dict
    optimal_steps: dict


def error_vs_step(f, x, exact, methods=("forward", "central", "central4", "complex"),
                  steps=None):
    """Error of each method over a sweep of steps h (default 1e-16 .. 1).

    `exact` is the true f'(x), e.g. from AD.  Plotted log-log the finite
    differences trace a V: truncation error falls with h on the right,
    round-off error rises on the left, and the bottom sits near
    optimal_step(method, x).  Complex step has no left arm.
    """
    x = _as_point(x)
    try:
        exact = float(exact)
    except (TypeError, ValueError):
        raise TypeError(f"exact is the true value f'(x) as a number (e.g. np.cos(1.0), or adlab.grad(f)(x)), "
                        f"not {exact!r}.") from None
    if not np.isfinite(exact):
        raise ValueError(f"exact must be a finite number, got {exact}.")
    steps = np.logspace(-16, 0, 65) if steps is None else np.asarray(steps, dtype=float).ravel()
    steps = np.array([_check_step(h) for h in steps])
    errors = {}
    for method in map(_check_method, methods):
        errors[method] = np.array([_abs_error(_RULES[method], f, x, h, exact) for h in steps])
    optimal = {m: optimal_step(m, x) for m in errors}
    return ErrorVsStep(x, exact, steps, errors, optimal)


def _abs_error(rule, f, x, h, exact):
    """|rule(f, x, h) - exact|, or nan if a step left the domain of f."""
    try:
        with np.errstate(all="ignore"):
            return abs(float(rule(f, x, h)) - exact)
    except _NonFiniteError:
        return np.nan


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def plot_error_vs_step(data, ax=None):
    """Log-log plot of an ErrorVsStep: one line per method, optimal h marked.

    Returns the matplotlib Figure (never calls plt.show(), so it works with any
    backend; display it or call fig.savefig).  Zero errors, common for complex
    step, are drawn at eps*|exact|/2 so they stay on the log axis.
    """
    from matplotlib.figure import Figure  # lazy: matplotlib is optional

    if ax is None:
        fig = Figure(figsize=(7, 4.5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    floor = 0.5 * EPS * max(abs(data.exact), np.finfo(float).tiny)
    shown = {m: np.maximum(err, floor) for m, err in data.errors.items()}  # nan stays a gap
    colors = {}
    for method, err in shown.items():
        p = str(ORDERS[method]).translate(_SUPERSCRIPTS)
        (line,) = ax.loglog(data.steps, err, label=f"{method}: O(h{p})")
        colors[method] = line.get_color()
    label = "optimal h ≈ ε^(1/(p+1))"
    for method, h_opt in data.optimal_steps.items():
        if h_opt is not None:  # none for complex step: any small h will do
            k = np.argmin(np.abs(np.log(data.steps / h_opt)))
            ax.scatter([h_opt], [shown[method][k]], s=60, color=colors[method],
                       edgecolor="black", zorder=3, label=label)
            label = None
    values = np.concatenate(list(shown.values()))
    if np.isfinite(values).any():
        ax.set_ylim(top=1e3 * np.nanmax(values))  # room for the notes at the top
    ax.set_xlabel("step size h")
    ax.set_ylabel("absolute error |estimate − exact|")
    ax.set_title(f"Derivative error vs step at x = {data.x:g}")
    ax.text(0.02, 0.97, "← round-off ∝ ε/h", transform=ax.transAxes, va="top")
    ax.text(0.98, 0.97, "truncation ∝ hᵖ →", transform=ax.transAxes, va="top", ha="right")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    return fig
