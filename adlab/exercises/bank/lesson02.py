"""Lesson 2 · Manual and numerical differentiation: a gradient by hand, what finite differences cost, their
order, their best step, and Richardson extrapolation."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ... import grad, numeric
from ..diagnose import EXACT, TIGHT, Tolerance
from ..exercise import Exercise
from . import register
from .shared import eq5 as f


def g(x1, x2):
    """Exercise 2.1's function."""
    return x1**2 * np.sin(x2) + np.exp(x1 * x2)


def _distinct(rng, values, count):
    """`count` different values of `values`, as Python numbers, in the order drawn."""
    return [values[int(i)] for i in rng.choice(len(values), size=count, replace=False)]


# -- 2.1 · a gradient by hand -------------------------------------------------------------------


def _gradient_points(rng, count=5):
    """Points (x₁, x₂) with x₁ ≠ ±x₂ and both non-zero, so that no listed slip agrees with the truth by chance."""
    grid = [(a, b) for a in (-1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0) for b in (-1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
            if abs(a) != abs(b)]
    return {"points": _distinct(rng, grid, count)}


def _gradient_mistakes(**inputs):
    def parts(x1, x2):
        return 2 * x1 * np.sin(x2), x1**2 * np.cos(x2), np.exp(x1 * x2)

    def no_inner(x1, x2):
        a, b, e = parts(x1, x2)
        return a + e, b + e

    def cos_sign(x1, x2):
        a, b, e = parts(x1, x2)
        return a + x2 * e, -b + x1 * e

    def swapped(x1, x2):
        a, b, e = parts(x1, x2)
        return b + x1 * e, a + x2 * e

    def power(x1, x2):
        a, b, e = parts(x1, x2)
        return a / 2 + x2 * e, b + x1 * e

    def sin_also(x1, x2):
        a, b, e = parts(x1, x2)
        return 2 * x1 * np.cos(x2) + x2 * e, b + x1 * e

    return {"e^(x₁x₂) needs the chain rule's inner derivative: ∂/∂x₁ of x₁x₂ is x₂, and ∂/∂x₂ of it is x₁": no_inner,
            "∂/∂x₂ sin x₂ = +cos x₂": cos_sign,
            "the two entries are swapped: return (∂g/∂x₁, ∂g/∂x₂) in that order": swapped,
            "∂/∂x₁ x₁² = 2x₁: the factor 2 is missing": power,
            "for ∂/∂x₁, x₂ is a constant: sin x₂ is a constant factor, not differentiated": sin_also}


# -- 2.2 · the evaluations of a forward-difference gradient --------------------------------------


def _sizes(rng):
    """Eight different n: small, middle and large, different for every student (a table of them is no answer)."""
    small = rng.choice(np.arange(2, 20), size=3, replace=False)
    middle = rng.choice(np.arange(20, 500), size=3, replace=False)
    large = rng.choice(np.arange(500, 3000), size=2, replace=False)
    return {"n_values": [int(n) for n in rng.permutation(np.concatenate([small, middle, large]))]}


@lru_cache(maxsize=None)
def _counted(n):
    return numeric.gradient(lambda x: np.sum(x**2), np.ones(n), method="forward").evaluations


def counted_forward_evaluations(n):
    """The engine's count: the calls of f that numeric.gradient(method="forward") makes, counted one by one."""
    return _counted(int(n))  # the same n gives the same count: counted once per process


# -- 2.3 · the evaluations of an entry-by-entry central-difference Jacobian ------------------------


def _shape(rng):
    """m outputs, n inputs, both at least 3 and different: then 2mn, 2n, 2m, mn and mn + 1 all differ."""
    while True:
        m, n = int(rng.integers(3, 7)), int(rng.integers(3, 9))
        if m != n:
            return {"m": m, "n": n}


def entrywise_evaluations(m, n):
    """The calls of F: R^n -> R^m that numeric.jacobian(..., elementwise=True) makes (the notes' way)."""
    weights = np.arange(1.0, m + 1.0)

    def F(x):
        return weights * np.sum(np.sin(x))

    return numeric.jacobian(F, np.ones(n), method="central", elementwise=True).evaluations


def _jacobian_mistakes(m, n):
    return {"that is column by column (perturbing x_j moves all m outputs at once); the notes compute each "
            "entry J_ij on its own": 2 * n,
            "that is one central difference per output; the notes compute every entry J_ij on its own": 2 * m,
            "each entry's central difference takes two evaluations, F(x + h·e_j) and F(x − h·e_j)": m * n,
            "the central difference has no F(x) term: F(x + h·e_j) and F(x − h·e_j) only": m * n + 1}


# -- 2.5 · the forward difference's best step, from the stated error model ------------------------


def _best_step(x1, x2):
    """The model's minimum, h* = √(2ε|f|/|f''|), along x₁ of Eq. 5 at (x1, x2); f'' from the engine."""
    along = lambda t: f(t, x2)  # noqa: E731 - f as a function of x₁ alone
    value, second = f(x1, x2), grad(grad(along))(x1)
    return float(np.sqrt(2 * numeric.EPS * abs(value) / abs(second)))


def _nearest_power(h):
    return int(np.round(np.log10(h)))


def _step_point(rng):
    """A point where h* = a × 10^k with 1.1 ≤ a ≤ 2.9: the nearest power of ten is 10^k, no tie (and not (3, −4),
    the lesson's worked point)."""
    while True:
        x1 = float(rng.choice((0.5, 1.5, 2.0, 2.5, 3.0, 4.0)))
        x2 = float(rng.choice((-5.0, -4.0, -3.0, -2.0, 2.0, 3.0, 4.0, 5.0)))
        if (x1, x2) == (3.0, -4.0):
            continue
        h = _best_step(x1, x2)
        if 1.1 <= h / 10.0 ** np.floor(np.log10(h)) <= 2.9 and _told_apart(_step_truth(x1, x2),
                                                                          _step_mistakes(x1, x2)):
            return {"x1": x1, "x2": x2}


def _told_apart(truth, mistakes, tolerance=Tolerance(decimals=None, significant=4)):
    """Every listed mistake differs from the truth and from every other mistake (so each is named rightly)."""
    answers = [np.asarray(truth, dtype=float)] + [np.asarray(m, dtype=float) for m in mistakes.values()]
    return all(not np.all(tolerance.close(a, b)) and not np.all(tolerance.close(b, a))
               for i, a in enumerate(answers) for b in answers[i + 1:])


def _step_truth(x1, x2):
    h = _best_step(x1, x2)
    return [h, _nearest_power(h)]


def _step_mistakes(x1, x2):
    eps, value, second = numeric.EPS, abs(f(x1, x2)), 1 / x1**2
    first = abs(x2 - 1 / x1)
    right = _best_step(x1, x2)

    def pair(h):
        return [h, _nearest_power(h)]

    return {"that is √ε alone, the rule of thumb for |f| ≈ |f''| ≈ 1: minimise the stated model with your own "
            "|f| and |f''|": pair(np.sqrt(eps)),
            "the factor 2 is missing: the derivative of the error, |f''|/2 − ε|f|/h², is zero where "
            "h² = 2ε|f|/|f''|": pair(np.sqrt(eps * value / second)),
            "the minimum is where h² (not h) equals 2ε|f|/|f''|: take the square root": pair(2 * eps * value / second),
            "the truncation term holds f'' (the second derivative), not f'": pair(np.sqrt(2 * eps * value / first)),
            "the round-off term is ε|f|/h: |f| at your point scales it": pair(np.sqrt(2 * eps / second)),
            "k is the power of ten nearest h* on a log scale: h* = a × 10^k with 1 ≤ a < 3.16 is nearer 10^k "
            "than 10^(k+1)": [right, _nearest_power(right) + 1]}


# -- 2.6 · Richardson extrapolation -------------------------------------------------------------


_RICHARDSON_FUNCTIONS = (np.sin, np.cos, np.exp, np.log, np.arctan, np.tanh)


def _richardson_points(rng, count=4):
    """(f, x, h) with four different functions (NumPy's own: nothing of the engine reaches the student's code)."""
    points = []
    for function in _distinct(rng, list(_RICHARDSON_FUNCTIONS), count):
        x = float(rng.choice((0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5)))
        h = float(rng.choice((0.05, 0.1, 0.2, 0.25)))
        points.append((function, x, h))
    return {"cases": points}


def one_level(f, x, h):
    """The engine's Richardson extrapolation, one level."""
    return numeric.richardson(f, x, h, levels=1)


def _central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def _richardson_mistakes(**inputs):
    return {"the finer estimate D_c(h/2) gets the weight 4, the coarser D_c(h) the weight −1":
                lambda f, x, h: (4 * _central(f, x, h) - _central(f, x, h / 2)) / 3,
            "D_R(h) combines the steps h and h/2, not 2h and h":
                lambda f, x, h: (4 * _central(f, x, h) - _central(f, x, 2 * h)) / 3,
            "the weights 4 and −1 add up to 3: divide by 3":
                lambda f, x, h: 4 * _central(f, x, h / 2) - _central(f, x, h),
            "the weights 4 and −1 add up to 3: divide by 3, not by 4":
                lambda f, x, h: (4 * _central(f, x, h / 2) - _central(f, x, h)) / 4,
            "that is the central difference at h/2 alone: combine it with D_c(h)":
                lambda f, x, h: _central(f, x, h / 2)}


register(
    Exercise(
        "2.1", "function", ("my_grad_g",), title="a gradient by hand",
        inputs=_gradient_points, by_hand=True, tolerance=TIGHT,
        reference=lambda points: grad(g, argnums=(0, 1)),
        points=lambda points: points,
        mistakes=_gradient_mistakes,
        hints=("Treat the other variable as a constant. The chain rule gives ∂/∂x₁ e^(x₁x₂) = x₂·e^(x₁x₂).",
               "∂/∂x₂ (x₁² sin x₂) = x₁² cos x₂, and ∂/∂x₂ e^(x₁x₂) = x₁·e^(x₁x₂).")),
    Exercise(
        "2.2", "function", ("forward_evaluations",), title="the evaluations of a forward-difference gradient",
        inputs=_sizes, by_hand=True, tolerance=EXACT,
        reference=lambda n_values: counted_forward_evaluations,
        points=lambda n_values: [(n,) for n in n_values],
        mistakes=lambda n_values: {
            "f(x) itself is evaluated too: once, and every partial derivative shares it": lambda n: n,
            "f(x) is the same point for every partial derivative: evaluate it once, not once per input "
            "(two per input is the central difference's count)": lambda n: 2 * n},
        hints=("How many different points does the forward difference evaluate f at, for n inputs?",
               "n perturbed points x + h·eᵢ, plus x itself, whose value every partial derivative shares.")),
    Exercise(
        "2.3", "numbers", ("jacobian_evaluations",), title="the evaluations of an entry-by-entry Jacobian",
        inputs=_shape, by_hand=True, tolerance=EXACT,
        expected=entrywise_evaluations,
        mistakes=_jacobian_mistakes,
        hints=("How many entries does an m × n Jacobian have?",
               "Each entry takes one central difference of its own: F(x + h·e_j) and F(x − h·e_j).")),
    Exercise(
        "2.4", "numbers", ("p_forward", "p_central"), title="the order, read off a table",
        by_hand=True, tolerance=EXACT,
        expected=lambda: [numeric.ORDERS["forward"], numeric.ORDERS["central"]],
        mistakes=lambda: {
            "swapped: p_forward is the forward difference's order, p_central the central difference's": [2, 1],
            "that is the factor by which the error falls; p is its power of ten (the error falls by 10^p)":
                [10, 100],
            "that is the number of evaluations of f, not the order": [2, 2]},
        hints=("Compare two rows: by how many powers of ten does each column's error fall when h does?",
               "From h = 0.1 to 0.01 the central4 error falls by about 10⁴: p = 4 (at 10⁻³ round-off has begun to "
               "take over). Do the same for the other two columns.")),
    Exercise(
        "2.5", "numbers", ("h_best", "k"), title="the forward difference's best step",
        inputs=_step_point, by_hand=True, tolerance=Tolerance(decimals=None, significant=4),
        variant_note="along x₁ of Eq. 5, x₂ fixed",
        expected=_step_truth,
        mistakes=_step_mistakes,
        hints=("Along x₁ with x₂ fixed, Eq. 5 is f(x₁) = x₁x₂ + x₂ − ln x₁: work out its value and its second "
               "derivative at your point.",
               "The model E(h) = h|f''|/2 + ε|f|/h is smallest where dE/dh = 0: solve |f''|/2 − ε|f|/h² = 0 for h.",
               "Then k: take log₁₀ of your h* and round it to the nearest whole number.")),
    Exercise(
        "2.6", "function", ("richardson",), title="Richardson from central differences",
        inputs=_richardson_points, by_hand=True, tolerance=TIGHT, seconds=5.0,
        reference=lambda cases: one_level,
        points=lambda cases: cases,
        mistakes=_richardson_mistakes,
        hints=("Call central twice: once with step h, once with step h/2 (not 2h).",
               "The finer estimate gets the weight 4, the coarser the weight −1, and the weights' sum divides.")),
)
