"""What a wrong dual-number rule looks like, so a check can name the mistake instead of the answer.

For each operation of ``Variable(val, dot)`` (+, −, ×, /, ln, sin, exp, and the four
operators with a plain number on the left): the mistakes students make, each as (diagnosis, wrong
value, wrong tangent) at the operands checked. ``diagnosis`` finds the one a
student's wrong val or dot matches; the operation-by-operation check
(``dual_numbers``) and the row-by-row one (``dual_trace``) both use it.
"""

from __future__ import annotations

import math

import numpy as np

from .dual_running import close_enough

# For each operation: (diagnosis, wrong value, wrong tangent) from the operands (u, u̇) and (w, ẇ);
# None where the mistake leaves that part right. A student's wrong val or dot that matches one
# (and differs from the truth) is named by its diagnosis; the expected number is never said.

_ZERO = ("the tangent is 0: the new Variable got no tangent (`Variable(value)` alone leaves dot = 0); "
         "pass the tangent as the second argument")

_RULES = {
    "add": lambda u, du, w, dw: [
        ("the value is a difference: a sum's value is self.val + other.val", lambda: u - w, None),
        (_ZERO, None, lambda: 0.0),
        ("only self's tangent is passed on: a sum's tangent adds both, u̇ + ẇ", None, lambda: du),
        ("only other's tangent is passed on: a sum's tangent adds both, u̇ + ẇ", None, lambda: dw),
        ("the tangents are subtracted: a sum's tangent is u̇ + ẇ", None, lambda: du - dw),
        ("the tangent adds the values: a sum's tangent adds the tangents, self.dot + other.dot", None,
         lambda: u + w),
    ],
    "subtract": lambda u, du, w, dw: [
        ("the operands are reversed: x − y is self minus other (self.val − other.val, self.dot − other.dot)",
         lambda: w - u, lambda: dw - du),
        ("the value is a sum: a difference's value is self.val − other.val", lambda: u + w, None),
        (_ZERO, None, lambda: 0.0),
        ("the tangents are in the wrong order: a difference's tangent is u̇ − ẇ, self's first", None,
         lambda: dw - du),
        ("ẇ is added: a difference's tangent is u̇ − ẇ, with a minus sign", None, lambda: du + dw),
        ("other's tangent is missing: a difference's tangent is u̇ − ẇ", None, lambda: du),
    ],
    "multiply": lambda u, du, w, dw: [
        ("the value is not the product of the values, self.val * other.val", lambda: u + w, None),
        ("the product rule's second term is missing: (uw)' = u̇·w + u·ẇ, and only u̇·w is there", None,
         lambda: du * w),
        ("the product rule's first term is missing: (uw)' = u̇·w + u·ẇ, and only u·ẇ is there", None,
         lambda: u * dw),
        ("the product rule's two terms are subtracted: they add, u̇·w + u·ẇ", None, lambda: du * w - u * dw),
        ("the product rule's two terms are subtracted: they add, u̇·w + u·ẇ ", None, lambda: u * dw - du * w),
        ("each tangent is multiplied by its own value: u̇ goes with the other operand's value w, and ẇ with u",
         None, lambda: du * u + dw * w),
        ("the tangents are multiplied together: the product rule is u̇·w + u·ẇ", None, lambda: du * dw),
        (_ZERO, None, lambda: 0.0),
    ],
    "divide": lambda u, du, w, dw: [
        ("the operands are reversed: x / y is self divided by other", lambda: w / u, None),
        ("the quotient rule without the square: divide u̇·w − u·ẇ by w², not by w", None,
         lambda: (du * w - u * dw) / w),
        ("the quotient rule's numerator is reversed: it is u̇·w − u·ẇ, self's tangent first", None,
         lambda: (u * dw - du * w) / w ** 2),
        ("the quotient rule's numerator adds: it is u̇·w − u·ẇ, with a minus sign", None,
         lambda: (du * w + u * dw) / w ** 2),
        ("the quotient rule's second term is missing: (u/w)' = u̇/w − u·ẇ/w²", None, lambda: du / w),
        ("the division by w² is missing: (u/w)' = (u̇·w − u·ẇ)/w²", None, lambda: du * w - u * dw),
        ("the tangents are divided: the quotient rule is (u̇·w − u·ẇ)/w²", None, lambda: du / dw),
        (_ZERO, None, lambda: 0.0),
    ],
    "log": lambda u, du: [
        ("ln's tangent divides by the value: v̇ / v, not v̇ · v", None, lambda: du * u),
        ("the chain rule's factor v̇ is missing: the tangent of ln v is v̇ / v", None, lambda: 1 / u),
        ("the tangent uses ln v: the derivative of ln v is 1/v, so the tangent is v̇ / v", None,
         lambda: du * math.log(u)),
        ("the sign is flipped: the tangent of ln v is +v̇ / v", None, lambda: -du / u),
    ],
    "sin": lambda u, du: [
        ("the value is cos: the value of sin v is sin(v.val)", lambda: math.cos(u), None),
        ("sin's derivative is +cos (it is cos whose derivative is −sin)", None, lambda: -du * math.cos(u)),
        ("sin's derivative is cos, not sin", None, lambda: du * math.sin(u)),
        ("sin's derivative is cos, not sin", None, lambda: -du * math.sin(u)),
        ("the chain rule's factor v̇ is missing: the tangent of sin v is v̇ · cos v", None, lambda: math.cos(u)),
    ],
    "exp": lambda u, du: [
        ("the chain rule's factor v̇ is missing: the tangent of exp v is v̇ · e^v", None, lambda: math.exp(u)),
        ("exp's derivative is exp itself: the tangent is v̇ · e^v, not v̇", None, lambda: du),
        ("the tangent uses v instead of e^v: the tangent of exp v is v̇ · e^v", None, lambda: du * u),
    ],
}


# A plain number on the left, c op x (u = c with u̇ = 0, w = x): the reflected methods' own mistakes.
_REFLECTED_RULES = {
    "__add__": lambda c, a, da: [(_ZERO, None, lambda: 0.0)],
    "__sub__": lambda c, a, da: [
        ("the sign is flipped: the tangent of c − x is −ẋ", None, lambda: da),
        (_ZERO, None, lambda: 0.0),
    ],
    "__mul__": lambda c, a, da: [
        ("the number multiplies the tangent too: the tangent of c · x is c · ẋ", None, lambda: da),
        ("the tangent of c · x is c · ẋ, not c · x", None, lambda: c * a),
        (_ZERO, None, lambda: 0.0),
    ],
    "__truediv__": lambda c, a, da: [
        ("the sign is flipped: the derivative of c / x is −c / x², so the tangent is −c · ẋ / x²", None,
         lambda: c * da / a ** 2),
        ("the square is missing: the derivative of c / x is −c / x², so the tangent is −c · ẋ / x²", None,
         lambda: -c * da / a),
        ("the division by x² is missing: the tangent of c / x is −c · ẋ / x²", None, lambda: -c * da),
        ("the factor c is missing: the tangent of c / x is −c · ẋ / x²", None, lambda: -da / a ** 2),
        (_ZERO, None, lambda: 0.0),
    ],
}


def rule_mistakes(kind, operands):
    """[(diagnosis, wrong val or None, wrong dot or None)] for an operation on [(value, tangent), …]."""
    flat = [float(x) for pair in operands for x in pair]
    out = []
    for phrase, val, dot in _RULES[kind](*flat):
        out.append((phrase, finite_or_none(val), finite_or_none(dot)))
    return out


def reflected_mistakes(method, c, a, da):
    """The same for `c op x`, a plain number c on the left of Variable(a, da): the reflected method's own mistakes."""
    rules = _REFLECTED_RULES[method](c, a, da)
    return [(phrase, finite_or_none(val), finite_or_none(dot)) for phrase, val, dot in rules]


def finite_or_none(thunk):
    """thunk() as a float, or None where it fails or is not finite there (that mistake cannot be told apart)."""
    if thunk is None:
        return None
    try:
        with np.errstate(all="ignore"):
            value = float(thunk())
    except (ArithmeticError, ValueError):
        return None
    return value if math.isfinite(value) else None


def diagnosis(got, want, part, mistakes):
    """(phrase, ambiguous): the listed mistake that gives `got` for part 0 (val) or 1 (dot), else a common one.

    The phrase is None when nothing fits; ambiguous when two different listed mistakes fit here.
    """
    found = []
    for mistake in mistakes:
        wrong = mistake[1 + part]
        if (wrong is not None and close_enough(got, wrong) and not close_enough(wrong, want)
                and mistake[0].strip() not in found):
            found.append(mistake[0].strip())
    if found:
        return found[0], len(found) > 1
    if want != 0 and close_enough(got, -want):
        return "the sign is flipped", False
    if want != 0 and close_enough(got, 2 * want):
        return "twice the right one: is a term counted twice?", False
    if want != 0 and close_enough(got, want / 2):
        return "half the right one", False
    return None, False
