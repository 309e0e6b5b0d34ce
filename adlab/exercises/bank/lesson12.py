"""Lesson 12 · When the rules run out: what AD returns at kinks, where a differentiable function still gets no
derivative, stop_gradient, and a custom VJP of one's own.

12.1 and 12.3 give each student a function of their own numbers; the truth is the engine's own answer at them
(`adlab.grad` at the kink, through stop_gradient), so the exercise checks adlab's conventions as adlab applies
them. The lesson's worked examples are relu, abs and `x if x > 0 else -x` at 0, and `(w − stop_gradient(0.5·w
+ 1))²`: no draw is one of them. 12.4's β is the student's own; the lesson's custom primitives are logsumexp
and a gradient clip, not softplus.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import grad, stop_gradient, vjp
from ...core.interpreter import Primitive
from ..diagnose import DEFAULT, TIGHT, distinguishing_draw
from ..exercise import NOT_ANSWERED, Exercise
from ..sandbox import CellProblem, call_bounded
from . import register

# -- 12.1 · what AD returns at a kink, by hand ---------------------------------------------------------------


def kink_functions(a, b, c, p, q):
    """Exercise 12.1's two functions of the student's numbers: a maximum and an abs, and a Python branch."""

    def g1(x):
        return np.maximum(a * x, b * x) + c * np.abs(x)

    def g2(x):
        return p * x if x > 0 else q * x

    return g1, g2


def _kink_truth(a, b, c, p, q):
    g1, g2 = kink_functions(a, b, c, p, q)
    return [grad(g1)(0.0), grad(g2)(0.0)]


def _kink_mistakes(a, b, c, p, q):
    split, branch = 0.5 * (a + b), q
    return {"at a tie maximum splits the gradient half and half between its arguments; it does not pick the "
            "larger slope": [max(a, b), branch],
            "at a tie each argument of maximum gets half of the gradient, not all of it": [a + b, branch],
            "the tie is split 0.5 / 0.5, not given to the first argument of maximum": [a, branch],
            "adlab's abs has slope 0 at 0 (sign(0) = 0), not +1": [split + c, branch],
            "adlab's abs has slope 0 at 0 (sign(0) = 0), not −1": [split - c, branch],
            "at x = 0 the test x > 0 is False, so the else branch runs: AD differentiates the branch taken":
                [split, p],
            "a Python branch is not a maximum: AD differentiates the one branch that ran, nothing is averaged":
                [split, 0.5 * (p + q)]}


_SLOPES = (-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0)


def _kink_draw(rng):
    while True:
        a, b, c, p, q = (float(v) for v in rng.choice(_SLOPES, size=5))
        lesson = {a, b} == {1.0, 0.0} or (p, q) == (1.0, -1.0)  # relu and x if x > 0 else −x: the lesson's
        if a != b and p != q and not lesson:
            return {"a": a, "b": b, "c": c, "p": p, "q": q}


# -- 12.2 · where a differentiable function gets no derivative ---------------------------------------------


_CHOICE_EXPLAIN = ("h3: h₃(x) = √(x⁴) = x² has derivative 0 at 0, but AD applies the chain rule through √ at 0, "
                   "whose slope is inf, times the slope of x⁴ there, which is 0: inf·0 = nan. h₁ = x gets "
                   "0.5 + 0.5 = 1 from the two ties, and h₂ = x·|x| gets 0·0 + |0|·1 = 0: both right.")


# -- 12.3 · stop_gradient, by hand -------------------------------------------------------------------------


def stop_functions(a, b, c, w0, w1):
    """Exercise 12.3's loss with a held target, and its straight-through rounding."""

    def loss(w):
        return (w - stop_gradient(a * w + b)) ** 2

    def rounded(w):
        return c * (w + stop_gradient(np.round(w) - w))

    return loss, rounded


def _stop_truth(a, b, c, w0, w1):
    loss, rounded = stop_functions(a, b, c, w0, w1)
    return [grad(loss)(w0), rounded(w1), grad(rounded)(w1)]


def _stop_mistakes(a, b, c, w0, w1):
    gap = w0 - (a * w0 + b)
    value, slope = c * float(np.round(w1)), c
    return {"that is the derivative with the target moving too: stop_gradient makes a·w + b a constant, so its "
            "factor (1 − a) is not there": [2 * gap * (1 - a), value, slope],
            "stop_gradient holds only the target: the first w still carries the gradient": [0.0, value, slope],
            "the sign: d/dw (w − t)² = 2(w − t), with t held fixed": [-2 * gap, value, slope],
            "the factor 2 of the square is missing: d/dw (w − t)² = 2(w − t)": [gap, value, slope],
            "stop_gradient does not change values: w + (round(w) − w) is round(w)": [2 * gap, c * w1, slope],
            "that is the slope of round (0 almost everywhere); the straight-through estimator passes w's slope "
            "through, times c": [2 * gap, value, 0.0],
            "the factor c is missing from the slope: the function is c·(w + …)": [2 * gap, value, 1.0]}


def _stop_draw(rng):
    while True:
        a = float(rng.choice((-2.0, -1.0, 0.5, 2.0, 3.0)))
        b = float(rng.choice((-2.0, -1.0, 1.5, 2.0, 3.0)))
        c = float(rng.choice((-3.0, -2.0, 2.0, 3.0, 5.0)))
        w0 = float(rng.choice((-2.0, -1.5, 1.0, 2.5, 3.0, 4.0)))
        w1 = float(rng.choice((-1.3, -0.7, 0.3, 1.2, 1.7, 2.4, 2.8)))  # never x.5: round's ties are not the point
        if (a, b) != (0.5, 1.0):  # the lesson's target
            return {"a": a, "b": b, "c": c, "w0": w0, "w1": w1}


# -- 12.4 · a stable softplus with a custom VJP ------------------------------------------------------------


def softplus_reference(beta):
    """log(1 + exp(βx)) / β, written so that the engine evaluates it without overflow and differentiates it:
    the truth of 12.4's values and slopes comes from the engine."""

    def softplus(x):
        z = beta * x
        return (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))) / beta

    return softplus


SCALAR_POINTS = (-2000.0, -3.0, -0.4, 0.0, 0.7, 2.5, 2000.0)  # exp(βx) overflows at ±2000 for every β
ARRAY_POINT = (-2.0, 0.3, 1.5)
COTANGENT = 3.0  # the pullback's cotangent: a rule that forgets g is off by this factor


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _slope_mistakes(beta):
    """{phrase: the slope a wrong VJP rule gives, as a function of x} (for the cotangent 1)."""
    return {"the chain rule inside: the slope of exp(βx) brings a factor β, which the 1/β in front cancels; "
            "your rule has σ(x) where it needs σ(βx)": lambda x: _sigmoid(x),
            "the 1/β in front of the log cancels the β of the chain rule: your slope is β times too large":
                lambda x: beta * _sigmoid(beta * x),
            "the sign: the slope of softplus rises from 0 (x → −∞) to 1 (x → +∞); yours falls":
                lambda x: _sigmoid(-beta * x),
            "your rule multiplies g by the output softplus(x); the slope of softplus is the logistic σ(βx)":
                lambda x: softplus_reference(beta)(x)}


def _softplus_check(namespace, beta):
    found = namespace.get("softplus")
    if found is None or found is Ellipsis:
        return "unanswered", NOT_ANSWERED
    if not isinstance(found, Primitive):
        return "invalid", (f"`softplus` is a {type(found).__name__}, not an adlab primitive: put @adlab.primitive on "
                           f"the line above its def, and give it its VJP with softplus.defvjp(softplus_vjp).")
    if not any(rule is not None for rule in found.vjps):
        return "invalid", "`softplus` has no VJP rule yet: give it one with softplus.defvjp(softplus_vjp)."
    reference = softplus_reference(beta)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            problem = _softplus_values(found, reference, beta) or _softplus_slopes(found, reference, beta)
        except NotImplementedError:
            return "unanswered", NOT_ANSWERED
        except CellProblem as error:
            return error.status, str(error)
    if problem:
        return "wrong", problem
    return "correct", (f"correct: softplus's values and its VJP agree with the engine at {len(SCALAR_POINTS)} "
                       f"numbers (x = ±2000 too) and on an array, with a cotangent of {COTANGENT:g} as well.")


def _call(what, function, *args):
    try:
        return call_bounded(function, args, what, 5.0)
    except (NotImplementedError, CellProblem):
        raise
    except Exception as error:
        raise CellProblem(f"{what} raised {type(error).__name__}: {error}", "wrong") from None


def _softplus_values(found, reference, beta):
    for x in SCALAR_POINTS:
        value = np.asarray(_call(f"softplus({x:g})", found, x), dtype=float)
        truth = reference(x)
        if value.shape != ():
            return f"softplus({x:g}) has shape {value.shape}: for a number x it returns one number."
        if not np.isfinite(value):
            return (f"softplus({x:g}) is {float(value)}: log(1 + exp(βx)) overflows there (exp of a large number "
                    f"is inf); evaluate it stably, e.g. with np.logaddexp(0.0, beta * x) / beta.")
        if not TIGHT.close(value, truth):
            if TIGHT.close(value, truth * beta):
                return f"softplus({x:g}) is β times too large: softplus divides the log by β."
            if TIGHT.close(value, np.logaddexp(0.0, x)):
                return f"softplus({x:g}) is wrong: β is missing inside, log(1 + exp(βx)) / β."
            return f"softplus({x:g}) is wrong: it is log(1 + exp(βx)) / β, with your β."
    array = np.array(ARRAY_POINT)
    values = np.asarray(_call("softplus of an array", found, array), dtype=float)
    if values.shape != array.shape or not np.all(TIGHT.close(values, reference(array))):
        return "softplus of an array is wrong: it works entry by entry, as NumPy's functions do."
    return None


def _softplus_slopes(found, reference, beta):
    mistakes = _slope_mistakes(beta)
    for x in SCALAR_POINTS:
        slope = np.asarray(_call(f"adlab.grad(softplus)({x:g})", grad(found), x), dtype=float)
        truth = np.asarray(grad(reference)(x), dtype=float)
        if slope.shape != ():
            return f"the VJP rule's cotangent at x = {x:g} has shape {slope.shape}; x is one number."
        if TIGHT.close(slope, truth):
            continue
        if not np.isfinite(slope):
            return (f"the slope at x = {x:g} is {float(slope)}: your rule overflows there (exp(βx)/(1 + exp(βx)) "
                    f"is inf/inf at large x); write σ(βx) without overflow, e.g. (1 + np.tanh(beta * x / 2)) / 2.")
        for phrase, wrong in mistakes.items():
            if TIGHT.close(slope, wrong(x)):
                return f"the slope at x = {x:g} is wrong: {phrase}."
        return f"the slope at x = {x:g} is wrong (adlab.grad(softplus) there is your VJP rule with g = 1)."
    array = np.array(ARRAY_POINT)
    _, pullback = _call("adlab.vjp(softplus, x) of an array", vjp, found, array)
    cotangent = np.full(array.shape, COTANGENT)
    bars = np.asarray(_call("the pullback of softplus", pullback, cotangent)[0], dtype=float)
    truth = COTANGENT * np.asarray([grad(reference)(float(x)) for x in array])
    if bars.shape != array.shape:
        return f"on an array your VJP rule returns shape {bars.shape}; it must return x's shape {array.shape}."
    if not np.all(TIGHT.close(bars, truth)):
        if np.all(TIGHT.close(bars, truth / COTANGENT)):
            return (f"with a cotangent g = {COTANGENT:g} your rule returns what it returns for g = 1: multiply by "
                    f"g, the cotangent of softplus's output (the chain rule's outer factor).")
        return "on an array, with a cotangent of 3, your VJP rule is wrong: it works entry by entry, g times the slope."
    return None


def _adlab(**inputs):
    """The answer cell of 12.4 uses adlab.primitive: the check runs it with adlab itself."""
    import adlab

    return {"adlab": adlab}


def _softplus_draw(rng):
    return {"beta": float(rng.choice((0.5, 2.0, 3.0, 4.0)))}


register(
    Exercise(
        "12.1", "numbers", ("ad_slopes",), title="what AD returns at a kink, by hand",
        inputs=lambda rng: distinguishing_draw(rng, _kink_draw, _kink_truth, _kink_mistakes), by_hand=True,
        expected=_kink_truth, tolerance=DEFAULT,
        entries=lambda a, b, c, p, q: ["g₁'(0) as adlab returns it", "g₂'(0) as adlab returns it"],
        mistakes=_kink_mistakes, revisit="revisit section 1: ties, abs at 0 and branches",
        hints=("g₁ = maximum(a·x, b·x) + c·|x|: at x = 0 both arguments of maximum are 0, a tie. adlab splits a "
               "tie's gradient 0.5 / 0.5, and abs has slope 0 at 0.",
               "g₂: evaluate the test x > 0 at x = 0. Only the branch that runs is traced, and its slope is what AD "
               "returns.")),
    Exercise(
        "12.2", "choice", ("no_derivative",), title="a differentiable function, no derivative",
        expected="h3", choices=("h1", "h2", "h3"), revisit="revisit section 2",
        mistakes=lambda: {"h₁(x) = maximum(x, 0) + minimum(x, 0) = x: at 0 each tie sends half of the gradient, "
                          "0.5 + 0.5 = 1, the slope of x": "h1",
                          "h₂(x) = x·|x|: the product rule gives |x|·1 + x·sign(x), which is 0 at 0, the slope of "
                          "x·|x| there": "h2"},
        explain=_CHOICE_EXPLAIN,
        hints=("Each h is differentiable at 0. Trace each one at x = 0: what does each primitive's rule give there?",
               "Section 2: the slope of √u at u = 0 is inf. What does the chain rule multiply it by?")),
    Exercise(
        "12.3", "numbers", ("stopped",), title="through stop_gradient, by hand",
        inputs=lambda rng: distinguishing_draw(rng, _stop_draw, _stop_truth, _stop_mistakes), by_hand=True,
        expected=_stop_truth, tolerance=DEFAULT,
        entries=lambda a, b, c, w0, w1: ["L'(w₀) as adlab returns it", "s(w₁)", "s'(w₁) as adlab returns it"],
        mistakes=_stop_mistakes, revisit="revisit section 3: stop_gradient is the identity with slope 0",
        hints=("stop_gradient(v) has the value of v and slope 0: treat what it wraps as a number computed "
               "elsewhere.",
               "L(w) = (w − t)² with t = a·w₀ + b held fixed: L'(w₀) = 2(w₀ − t). s(w) = c·(w + d) with "
               "d = round(w₁) − w₁ held fixed.")),
    Exercise(
        "12.4", "custom", ("softplus",), title="a stable softplus with its own VJP",
        inputs=_softplus_draw, checker=_softplus_check, seconds=10.0, context=_adlab,
        variant_note="your β is the sharpness of your softplus",
        revisit="revisit section 4: adlab.primitive and defvjp",
        hints=("The value: np.logaddexp(0.0, beta * x) / beta is log(1 + exp(βx)) / β without overflow.",
               "The VJP rule gets (g, out, x) and returns g times the slope at x. The slope of log(1 + exp(βx)) / β "
               "is the logistic σ(βx) = 1 / (1 + exp(−βx)): the β of the chain rule cancels the 1/β.",
               "1 / (1 + np.exp(-beta * x)) overflows inside exp for large negative βx (to 1/inf = 0, with a "
               "warning); (1 + np.tanh(beta * x / 2)) / 2 is the same σ(βx) without overflow.")),
)
