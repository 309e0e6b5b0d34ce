"""Lesson 10 · Hessian-vector products: H·v by hand, the two nestings, the price of H, one CG step."""

from __future__ import annotations

import numpy as np

from ... import grad, hessian, hvp, jvp
from ..diagnose import DEFAULT, EXACT, TIGHT
from ..exercise import Exercise
from . import register
from .shared import eq5 as f


def rosen(x):
    """The n-dimensional Rosenbrock function: a curved valley with its minimum 0 at x = (1, …, 1)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


# -- the functions exercise 10.3 is tested on ---------------------------------------------------


def f_array(x):
    """The course's f with x = (x1, x2) in one array."""
    return x[0] * x[1] + x[1] - np.log(x[0])


def softplus_sum(x):
    """A 5-dimensional function whose Hessian is full: every entry of H·v mixes all of v."""
    return np.sum(np.log1p(np.exp(x * np.arange(1.0, 6.0)))) * np.sum(x ** 2)


def tilted(x):
    """A little curvature under a large linear part: its gradient is about 1e8, its H·v about 1.

    A finite difference of the gradient subtracts two numbers near 1e8 and loses about eight of its
    sixteen digits, whatever its step; an exact HVP never sees the linear part.
    """
    return 1e8 * np.sum(x) + np.sum(np.cos(x))


class _Only:
    """What the answer cell sees as `adlab`: the functions the exercise allows, and a sentence for the others."""

    def __init__(self, exercise, **allowed):
        self._exercise, self._allowed = exercise, allowed

    def __getattr__(self, name):
        allowed = self.__dict__.get("_allowed", {})
        if name in allowed:
            return allowed[name]
        names = " and ".join(f"adlab.{n}" for n in allowed)
        raise AttributeError(f"exercise {self.__dict__.get('_exercise')} uses only {names}: adlab.{name} is not "
                             f"available when your cell is checked.")

    def __dir__(self):
        return sorted(self._allowed)


# -- 10.1: H·v by hand ------------------------------------------------------------------------


def _hv_truth(x1, x2, v1, v2):
    return np.array(hvp(f, (x1, x2), (v1, v2)), dtype=float)


def _hv_mistakes(x1, x2, v1, v2):
    return {"that is the gradient ∇f, not H·v: differentiate each entry of the gradient once more, then "
            "multiply by v": [x2 - 1 / x1, x1 + 1],
            "the sign of ∂²f/∂x₁²: −ln x₁ has first derivative −1/x₁ and second derivative +1/x₁²":
                [-v1 / x1 ** 2 + v2, v1],
            "∂²f/∂x₁² is 1/x₁² (the derivative of −1/x₁), not 1/x₁": [v1 / x1 + v2, v1],
            "the mixed derivative ∂²f/∂x₁∂x₂ = 1 is missing: it is in both rows of H": [v1 / x1 ** 2, 0.0]}


def _hv_inputs(rng):
    """A point with x₁ > 0 and a direction with both entries nonzero, where every listed mistake shows."""
    while True:
        x1 = float(rng.choice((0.5, 2.0, 2.5, 3.0, 4.0, 5.0)))
        x2 = float(rng.choice((-5.0, -4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0)))
        v1, v2 = (float(rng.choice((-3.0, -2.0, -1.0, 1.0, 2.0, 3.0))) for _ in range(2))
        inputs = {"x1": x1, "x2": x2, "v1": v1, "v2": v2}
        if (x1, x2, v1, v2) != (3.0, -4.0, 2.0, -1.0) and _separated(_hv_truth(**inputs), _hv_mistakes(**inputs)):
            return inputs


def _separated(truth, mistakes, tolerance=None):
    """Every mistake differs from the truth (3 decimals, at one entry at least) and from each other mistake."""
    tolerance = tolerance or DEFAULT
    answers = [np.asarray(truth, dtype=float)] + [np.asarray(m, dtype=float) for m in mistakes.values()]
    return all(not np.all(tolerance.close(a, b)) for i, a in enumerate(answers) for b in answers[i + 1:])


# -- 10.3: reverse-on-forward, built from grad and jvp ------------------------------------------


def _hvp_inputs(rng):
    """Test points of one's own: a point and a direction for the 2-d f, and for the two 5-d functions.

    At the 2-d point already, the gradient, H(v)·v and H(x)·x must differ from H(x)·v.
    """
    while True:
        x = [float(rng.choice((0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0))),
             float(rng.choice((-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0)))]
        v = [float(rng.choice((0.5, 1.0, 2.0, 3.0))), float(rng.choice((-2.0, -1.0, 1.0, 2.0)))]
        x5 = [float(a) for a in rng.choice(np.arange(-1.0, 1.01, 0.25), 5)]
        v5 = [float(a) for a in rng.choice((-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0), 5)]
        (x1, x2), (v1, v2) = x, v
        hv = np.array([v1 / x1 ** 2 + v2, v1])  # the 2-d f's H·v, and what the listed mistakes give there
        others = [(x2 - 1 / x1, x1 + 1), (1 / v1 + v2, v1), (1 / x1 + x2, x1)]
        if x5 != v5 and all(not np.all(TIGHT.close(other, hv)) for other in others):
            return {"x": x, "v": v, "x5": x5, "v5": v5}


def _hvp_points(x, v, x5, v5):
    x, v, x5, v5 = (np.array(a, dtype=float) for a in (x, v, x5, v5))
    return [(f_array, x, v), (softplus_sum, x5, v5), (tilted, x5, v5)]


def _central(h):
    def hvp_by_finite_differences(g, x, v):
        gradient = grad(g)
        return (gradient(x + h * v) - gradient(x - h * v)) / (2 * h)
    return hvp_by_finite_differences


def _forward(h):
    def hvp_by_finite_differences(g, x, v):
        gradient = grad(g)
        return (gradient(x + h * v) - gradient(x)) / h
    return hvp_by_finite_differences


def _hvp_mistakes(**inputs):
    exact = "close, but a finite difference of the gradient is not exact: build H·v from adlab.grad of a jvp"
    mistakes = {"that is the gradient ∇g, not H·v: take the jvp's tangent, [1] (its [0] is g's value, whose "
                "gradient is ∇g)": lambda g, x, v: grad(g)(x),
                "that is H·v at the point v (the notes' misprint 'set x = v'): the tangent is v, the point stays x":
                    lambda g, x, v: hvp(g, (v,), (v,)),
                "that is H·x: the tangent of the jvp is v, not the point x": lambda g, x, v: hvp(g, (x,), (x,))}
    for h in (1e-4, 1e-5, 1e-6):
        mistakes[f"{exact} (yours matches a central difference with step {h:g})"] = _central(h)
    for h in (1e-6, 1e-7, 1e-8):
        mistakes[f"{exact} (yours matches a forward difference with step {h:g})"] = _forward(h)
    return mistakes


# -- 10.4: the price of the whole Hessian --------------------------------------------------------


def _count_mistakes(n):
    return {"that counts H's entries, n²: one HVP gives a whole column of H at once": n * n,
            "that counts the distinct entries of a symmetric H: one HVP gives a whole column at once":
                n * (n + 1) // 2,
            "symmetry does not halve the count: H·V with fewer than n directions leaves part of H undetermined":
                n // 2,
            "one HVP gives one column, H·e_j, not the whole of H": 1}


# -- 10.5: one CG step ---------------------------------------------------------------------------


def _cg_parts(x1, x2):
    x0 = np.array([x1, x2])
    r0 = -np.asarray(grad(rosen)(x0), dtype=float)
    H = np.asarray(hessian(rosen)(x0), dtype=float)
    return x0, r0, H


def _cg_truth(x1, x2):
    x0, r0, H = _cg_parts(x1, x2)
    return (r0 @ r0) / (r0 @ H @ r0) * r0


def _cg_mistakes(x1, x2):
    x0, r0, H = _cg_parts(x1, x2)
    alpha0 = (r0 @ r0) / (r0 @ H @ r0)
    H_at_r0 = np.asarray(hessian(rosen)(r0), dtype=float)
    return {"the sign is flipped: b = −∇f(x₀), so r₀ = b points downhill": -alpha0 * r0,
            "that is r₀ itself: the step moves along r₀ by α₀, p₁ = α₀·r₀": r0,
            "α₀ is upside down: α₀ = (r₀·r₀) / (r₀·H r₀)": (r0 @ H @ r0) / (r0 @ r0) * r0,
            "that is α₀·H r₀ (what the residual loses), not the step α₀·r₀": alpha0 * (H @ r0),
            "that is the full Newton step (CG run to the end): the exercise asks for the first iterate only":
                np.linalg.solve(H, r0),
            "that uses H at the point r₀ (the notes' misprint 'set x = v'): the HVP is at x₀, along r₀":
                (r0 @ r0) / (r0 @ H_at_r0 @ r0) * r0}


def _cg_inputs(rng):
    """A start where CG's first step has positive curvature and entries large enough for 3 decimals."""
    while True:
        x1 = float(rng.choice((-1.5, -1.2, -1.0, -0.8, -0.5, 0.5, 0.8, 1.2, 1.5)))
        x2 = float(rng.choice((-0.5, 0.0, 0.5, 1.0, 1.5, 2.0)))
        if (x1, x2) == (-1.2, 1.0):  # the classic start: the lesson's demonstration prints its step
            continue
        x0, r0, H = _cg_parts(x1, x2)
        if r0 @ H @ r0 <= 0:
            continue
        truth = _cg_truth(x1, x2)
        if np.min(np.abs(truth)) >= 0.02 and _separated(truth, _cg_mistakes(x1, x2)):
            return {"x1": x1, "x2": x2}


register(
    Exercise(
        "10.1", "numbers", ("Hv",), title="an HVP by hand",
        inputs=_hv_inputs, by_hand=True, variant_note="the point is (x1, x2), the direction v = (v1, v2)",
        expected=_hv_truth,
        mistakes=_hv_mistakes,
        hints=("H·v = v₁ × (column 1 of H) + v₂ × (column 2 of H); or: entry i of H·v is row i of H times v.",
               "H = ((1/x₁², 1), (1, 0)) at your point: x₂ does not appear in H. Put in your x₁, v₁ and v₂.")),
    Exercise(
        "10.2", "choice", ("nesting",), title="which nesting is which",
        expected="forward-over-reverse", choices=("forward-over-reverse", "reverse-on-forward"),
        explain="The outer call is jvp (forward mode), applied over grad (reverse mode): forward-over-reverse. "
                "Reverse-on-forward is the other way round, grad of a jvp.",
        hints=("Read from the outside in: which transformation is applied last, to the result of the other?",)),
    Exercise(
        "10.3", "function", ("hvp_by_hand",), title="reverse-on-forward, built by hand",
        inputs=_hvp_inputs, by_hand=True, tolerance=TIGHT,
        context=lambda **inputs: {"adlab": _Only("10.3", grad=grad, jvp=jvp)},
        reference=lambda **inputs: (lambda g, x, v: hvp(g, (x,), (v,))),
        points=_hvp_points,
        mistakes=_hvp_mistakes,
        hints=("Inside hvp_by_hand, define `def directional(x): return adlab.jvp(g, (x,), (v,))[1]`, a function "
               "of x only: ∇g(x)·v.",
               "Then return adlab.grad(directional)(x). adlab.jvp returns (value, tangent); you want the "
               "tangent, [1].")),
    Exercise(
        "10.4", "numbers", ("hvps_for_hessian",), title="the price of the whole Hessian",
        inputs=lambda rng: {"n": int(rng.choice((200, 300, 500, 800, 1000, 1500, 2000, 4000, 5000, 10000)))},
        by_hand=True, tolerance=EXACT,
        expected=lambda n: n,
        entries=lambda n: ["the number of HVPs"],
        mistakes=_count_mistakes,
        hints=("What does H·e_j give you, for the unit vector e_j?",)),
    Exercise(
        "10.5", "numbers", ("p1",), title="one CG step, with one HVP",
        inputs=_cg_inputs,
        context=lambda **inputs: {"rosen": rosen, "adlab": _Only("10.5", grad=grad, hvp=hvp)},
        expected=_cg_truth,
        mistakes=_cg_mistakes,
        hints=("Do what the 2×2 example did, with the engine: r0 = -adlab.grad(rosen)(x0); then H·r0 is "
               "adlab.hvp(rosen, (x0,), (r0,)), the one HVP.",
               "alpha0 = (r0 @ r0) / (r0 @ H_r0), and p1 = alpha0 * r0: two numbers.")),
)
