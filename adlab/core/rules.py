"""The primitive table: evaluation, JVP, VJP and table rule of every operation.

Each rule is written with primitives (operators on traced values dispatch back
to this table), so rules are themselves differentiable: that is what makes
``grad(grad(f))`` and ``hessian`` work. ``t`` is an argument's tangent, ``g``
the output's cotangent, ``out`` the output value.
"""

from __future__ import annotations

import math
import operator
import sys

import numpy as np

from .interpreter import Primitive, Rule, raw, shape, zeros_like

# -- helpers -------------------------------------------------------------------------

_TABLE = []  # the primitives defined below, in order: PRIMITIVES at the end of the module


def _table_entry(name, impl, **definition):
    """A primitive of this table: made as Primitive(name, impl, ...) and listed in PRIMITIVES.

    A user's own Primitive (adlab.Primitive, with defjvp/defvjp) is not listed: the tables derived
    from PRIMITIVES (NumPy dispatch, adlab.numpy, batching) are adlab's.
    """
    prim = Primitive(name, impl, **definition)
    _TABLE.append(prim)
    return prim



def _scalar_fast(numpy_fn, math_fn):
    """Evaluate with `math` on Python floats (no ufunc overhead), NumPy otherwise.

    Where `math` raises (log(0), exp(1000)), NumPy answers with its usual inf/nan
    and warning, so traced and untraced code agree; as a Python float still, so a
    result's type never depends on its value (and a float32 array it meets stays
    float32, as NumPy keeps it beside a Python float but not beside an np.float64).
    """

    def impl(x):
        if type(x) is float:
            try:
                return math_fn(x)
            except (ValueError, OverflowError):
                return float(numpy_fn(x))
        return numpy_fn(x)

    impl.__name__ = numpy_fn.__name__
    impl.on_floats = math_fn  # on Python floats: impl's answer, or an exception where impl asks NumPy
    return impl


def _python_or_numpy(python_op, numpy_fn, never_complex=True):
    """Python's operator, except where Python raises for floats or gives a complex number and NumPy gives
    a real inf or nan: 1.0 / 0.0, 0.0 ** -1.0, 10.0 ** 400.0 (OverflowError), (-8.0) ** (1/3) (complex).

    Real inputs give real results (NumPy's and JAX's convention), never a complex number. Only Python
    numbers raise or give complex numbers, so the answer is a Python float then too, as _scalar_fast's.
    """

    def impl(x, y):
        try:
            result = python_op(x, y)
        except (ZeroDivisionError, OverflowError):
            return float(numpy_fn(np.float64(x), y))
        if type(result) is complex:  # (-8.0) ** (1/3) in Python; NumPy says nan
            return float(numpy_fn(np.float64(x), y))
        return result

    impl.on_floats = python_op if never_complex else None  # as _scalar_fast's: impl's answer or an exception
    return impl


def unbroadcast(g, like):
    """Sum a cotangent over the axes along which `like` (an argument) was broadcast."""
    if type(g) is float:  # a scalar output: every argument was a scalar too
        return g
    g_shape, target_shape = shape(g), shape(like)
    if g_shape == target_shape:
        return g
    extra = len(g_shape) - len(target_shape)
    if extra:
        g = sum_(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(target_shape) if n == 1 and g_shape[i + extra] != 1)
    if axes:
        g = sum_(g, axis=axes, keepdims=True)
    return g


def broadcast_like(t, out):
    """A tangent of a broadcast argument, spread to the output's shape."""
    if type(t) is float and type(out) is float:
        return t
    out_shape = shape(out)
    return t if shape(t) == out_shape else broadcast_to(t, target_shape=out_shape)


def normalize_axis(axis, ndim):
    """`axis` as a sorted tuple of non-negative axes (None: every axis)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def _restore_reduced(g, x_shape, axis, keepdims):
    """Give a reduction's cotangent back the reduced axes (as size 1), then its input shape."""
    if not keepdims:
        axes = normalize_axis(axis, len(x_shape))
        g = reshape(g, newshape=tuple(1 if i in axes else n for i, n in enumerate(x_shape)))
    return broadcast_to(g, target_shape=x_shape)


def reduced_count(x_shape, axis):
    """How many entries a reduction over `axis` combines into each result (mean's divisor)."""
    return math.prod(x_shape[a] for a in normalize_axis(axis, len(x_shape)))


def is_basic_index(index):
    """An index of ints, slices, None and ... only (no arrays): it selects each entry at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class _EveryPosition:
    """`i in _EVERY_POSITION` for any argument position i, and for "out"."""

    def __contains__(self, position):
        return True

    def __bool__(self):
        return True


_EVERY_POSITION = _EveryPosition()


# -- values that rules read, not differentiated -------------------------------------
# Comparisons, signs and floors that derivative rules compute from values (maximum's tie share, abs's
# sign, power's "y = 0" mask). They are primitives so that every level sees them: a staged or traced
# gradient recomputes them at each call instead of freezing the values of one call. They have no
# derivative (zero almost everywhere): forward mode gives their results no tangent, reverse mode passes
# nothing back through them (`NOT_DIFFERENTIATED`, a rule that returns None: no contribution).


def _no_tangent(tangents, out, *args, **params):
    return None


def _no_cotangents(needed, g, out, *args, **params):
    return [None] * len(args)


def _not_differentiated(name, impl, expr):
    return _table_entry(name, impl, rule=Rule(expr), joint_jvp=_no_tangent, joint_vjp=_no_cotangents,
                     shape_only=_EVERY_POSITION, elementwise=True)


def _indicator_impl(condition, dtype):
    """True/False as 1/0 in `dtype`; dtype float means a Python float (beside which float32 stays float32)."""
    if dtype is float:
        return float(condition)
    return np.asarray(condition, dtype=dtype)


greater = _not_differentiated("greater", operator.gt, "({0} > {1})")
equal = _not_differentiated("equal", operator.eq, "({0} = {1})")
not_equal = _not_differentiated("not_equal", operator.ne, "({0} ≠ {1})")
greater_equal = _not_differentiated("greater_equal", operator.ge, "({0} ≥ {1})")
less_equal = _not_differentiated("less_equal", operator.le, "({0} ≤ {1})")
isnan = _not_differentiated("isnan", np.isnan, "isnan({0})")
logical_and = _not_differentiated("logical_and", np.logical_and, "({0} and {1})")
logical_or = _not_differentiated("logical_or", np.logical_or, "({0} or {1})")
logical_not = _not_differentiated("logical_not", np.logical_not, "not {0}")
sign = _not_differentiated("sign", np.sign, "sign({0})")
floor_divide = _not_differentiated("floor_divide", np.floor_divide, "⌊{0}/{1}⌋")
indicator = _not_differentiated("indicator", _indicator_impl, "[{0}]")


def float_dtype(*values):
    """The float dtype values compute in, as indicator's parameter: float for Python floats alone."""
    if all(type(raw(v)) in (float, int) for v in values):
        return float
    return np.result_type(*[raw(v) for v in values], 0.0)


def bracket(condition, *like):
    """[condition]: 1.0 where it holds, else 0.0, in the float dtype `like` computes in."""
    return indicator(condition, dtype=float_dtype(*like))


# -- elementwise arithmetic ----------------------------------------------------------

add = _table_entry(
    "add", operator.add,
    jvps=(lambda t, out, x, y: broadcast_like(t, out), lambda t, out, x, y: broadcast_like(t, out)),
    vjps=(lambda g, out, x, y: unbroadcast(g, x), lambda g, out, x, y: unbroadcast(g, y)),
    rule=Rule("{0} + {1}", ("{t0}", "{t1}"), ("{g}·1", "{g}·1")),
    shape_only=(0, 1, "out"),
    ufunc=np.add, elementwise=True,
)
subtract = _table_entry(
    "subtract", operator.sub,
    jvps=(lambda t, out, x, y: broadcast_like(t, out), lambda t, out, x, y: broadcast_like(-t, out)),
    vjps=(lambda g, out, x, y: unbroadcast(g, x), lambda g, out, x, y: unbroadcast(-g, y)),
    rule=Rule("{0} − {1}", ("{t0}", "−{t1}"), ("{g}·1", "{g}·(−1)")),
    shape_only=(0, 1, "out"),
    ufunc=np.subtract, elementwise=True,
)
multiply = _table_entry(
    "multiply", operator.mul,
    jvps=(lambda t, out, x, y: broadcast_like(t * y, out), lambda t, out, x, y: broadcast_like(x * t, out)),
    vjps=(lambda g, out, x, y: unbroadcast(g * y, x), lambda g, out, x, y: unbroadcast(g * x, y)),
    rule=Rule("{0} × {1}", ("{t0}·{1}", "{t1}·{0}"), ("{g}·{1}", "{g}·{0}")),
    shape_only=("out",),
    ufunc=np.multiply, elementwise=True,
)
divide = _table_entry(
    "divide", _python_or_numpy(operator.truediv, np.true_divide),
    jvps=(lambda t, out, x, y: broadcast_like(divide(t, y), out),
          lambda t, out, x, y: broadcast_like(-divide(t * out, y), out)),
    vjps=(lambda g, out, x, y: unbroadcast(divide(g, y), x),
          lambda g, out, x, y: unbroadcast(-divide(g * out, y), y)),
    rule=Rule("{0} / {1}", ("{t0}/{1}", "−{t1}·{0}/{1}²"), ("{g}/{1}", "−{g}·{0}/{1}²")),
    ufunc=np.divide, elementwise=True,
)
remainder = _table_entry(  # x mod y with the sign of y, as Python's % and np.remainder; x − y·⌊x/y⌋
    "remainder", _python_or_numpy(operator.mod, np.remainder),
    jvps=(lambda t, out, x, y: broadcast_like(t, out),
          lambda t, out, x, y: broadcast_like(-t * floor_divide(x, y), out)),
    vjps=(lambda g, out, x, y: unbroadcast(g, x),
          lambda g, out, x, y: unbroadcast(-g * floor_divide(x, y), y)),
    rule=Rule("{0} mod {1}", ("{t0}", "−{t1}·⌊{0}/{1}⌋"), ("{g}·1", "−{g}·⌊{0}/{1}⌋")),
    ufunc=np.remainder, elementwise=True,
)
negative = _table_entry(
    "negative", operator.neg,
    jvps=(lambda t, out, x: -t,), vjps=(lambda g, out, x: -g,),
    rule=Rule("−{0}", ("−{t0}",), ("−{g}",)),
    shape_only=(0, "out"),
    ufunc=np.negative, elementwise=True,
)


# The derivatives of x ** y (JAX's, autograd's and PyTorch's convention; adlab.codegen.TEMPLATES["power"] and
# the scalar template in adlab.compiler write the same formulas, and tests/test_hostile_points.py compares them):
#   the value is NumPy's: real, nan for a negative base with a fractional exponent, inf for 0 ** negative;
#   ∂/∂x = y·x^(y−1), and 0 wherever y = 0 (x ** 0 = 1 for every x, 0 and nan included: there 0·x^(−1)
#   would be nan, which the rule replaces; elsewhere 0·x^(−1) is 0 already, and is left to be differentiated);
#   ∂/∂y = x^y·ln x, with ln x taken as 0 at x = 0 (so 0 for y > 0; 0·inf = nan for y < 0), and nan for
#   x < 0, even at an integer y: x ** y is not real at the fractional y nearby, so it has no y-derivative.


def _log_or_zero(x):
    """log(x), but 0 where x = 0: the y-derivative of x**y at x = 0 is 0 (for y > 0).

    Where x < 0 it stays log(x) = nan, with NumPy's warning: x**y has no real y-derivative there.
    """
    zero = equal(x, 0.0)
    if not np.any(zero):
        return log(x)
    if type(raw(x)) is float:  # a Python 0.0: so is its share (np.where would make a float64 array of it)
        return 0.0
    return where(zero, 0.0, log(where(zero, 1.0, x)))


def _power_slope(x, y):
    """∂(x**y)/∂x = y·x**(y−1), and 0 wherever y = 0: x**0 is constant, even where x**(−1) is inf or nan."""
    if type(y) in (int, float):  # a constant exponent, as in x**2
        if y == 0:
            return zeros_like(x)
        return y * x if y == 2 else y * power(x, y - 1)  # x**1 is x: one operation less, in every nesting
    zero = equal(y, 0.0)
    if not np.any(zero):
        return y * power(x, y - 1)
    # Where y = 0, y·x**(y−1) is 0 already unless x**(−1) is inf or nan (x = 0, x = nan): only there is the
    # slope set to 0, so second derivatives elsewhere stay those of y·x**(y−1) (d/dy = 1/x at y = 0).
    singular = logical_and(zero, logical_or(equal(x, 0.0), isnan(x)))
    if not np.any(singular):
        return y * power(x, y - 1)
    # y − [not singular] is y − 1, and 0 at the singular points, where the slope is then y·x**0 = 0
    return y * power(x, y - bracket(logical_not(singular), x, y))


power = _table_entry(
    "power", _python_or_numpy(operator.pow, np.power, never_complex=False),
    jvps=(lambda t, out, x, y: broadcast_like(t * _power_slope(x, y), out),
          lambda t, out, x, y: broadcast_like(t * out * _log_or_zero(x), out)),
    vjps=(lambda g, out, x, y: unbroadcast(g * _power_slope(x, y), x),
          lambda g, out, x, y: unbroadcast(g * out * _log_or_zero(x), y)),
    rule=Rule("{0}^{1}", ("{t0}·{1}·{0}^({1}−1)", "{t1}·{0}^{1}·ln({0})"),
              ("{g}·{1}·{0}^({1}−1)", "{g}·{0}^{1}·ln({0})")),
    ufunc=np.power, elementwise=True,
)


def _unary(name, numpy_fn, math_fn, derivative, expr, factor, from_output=False):
    """An elementwise function f with f'(x) = derivative(x, out); factor is f' as text.

    ``from_output``: f' is computed from the output alone (exp, tanh), so the tape need not keep x;
    otherwise from x alone, so the tape need not keep the output.
    """
    return _table_entry(
        name, _scalar_fast(numpy_fn, math_fn) if math_fn else numpy_fn,
        jvps=(lambda t, out, x: t * derivative(x, out),),
        vjps=(lambda g, out, x: g * derivative(x, out),),
        rule=Rule(expr, (f"{{t0}}·{factor}",), (f"{{g}}·{factor}",)),
        shape_only=(0,) if from_output else ("out",),
        ufunc=numpy_fn, elementwise=True,
    )


exp = _unary("exp", np.exp, math.exp, lambda x, out: out, "exp({0})", "exp({0})", from_output=True)
log = _table_entry(
    "log", _scalar_fast(np.log, math.log),
    jvps=(lambda t, out, x: divide(t, x),), vjps=(lambda g, out, x: divide(g, x),),
    rule=Rule("ln({0})", ("{t0}·(1/{0})",), ("{g}·(1/{0})",)),
    shape_only=("out",),
    ufunc=np.log, elementwise=True,
)
log1p = _table_entry(
    "log1p", _scalar_fast(np.log1p, math.log1p),
    jvps=(lambda t, out, x: divide(t, 1.0 + x),), vjps=(lambda g, out, x: divide(g, 1.0 + x),),
    rule=Rule("ln(1 + {0})", ("{t0}/(1 + {0})",), ("{g}/(1 + {0})",)),
    shape_only=("out",),
    ufunc=np.log1p, elementwise=True,
)
expm1 = _unary("expm1", np.expm1, math.expm1, lambda x, out: out + 1.0, "exp({0}) − 1", "exp({0})", from_output=True)
sqrt = _table_entry(
    "sqrt", _scalar_fast(np.sqrt, math.sqrt),
    jvps=(lambda t, out, x: divide(t, 2.0 * out),), vjps=(lambda g, out, x: divide(g, 2.0 * out),),
    rule=Rule("√{0}", ("{t0}/(2√{0})",), ("{g}/(2√{0})",)),
    shape_only=(0,),
    ufunc=np.sqrt, elementwise=True,
)
sin = _unary("sin", np.sin, math.sin, lambda x, out: cos(x), "sin({0})", "cos({0})")
cos = _unary("cos", np.cos, math.cos, lambda x, out: -sin(x), "cos({0})", "(−sin({0}))")
tan = _unary("tan", np.tan, math.tan, lambda x, out: 1.0 + out * out, "tan({0})", "(1 + tan²({0}))", from_output=True)
arcsin = _unary("arcsin", np.arcsin, math.asin, lambda x, out: divide(1.0, sqrt(1.0 - x * x)),
                "arcsin({0})", "1/√(1 − {0}²)")
arccos = _unary("arccos", np.arccos, math.acos, lambda x, out: -divide(1.0, sqrt(1.0 - x * x)),
                "arccos({0})", "(−1/√(1 − {0}²))")
arctan = _unary("arctan", np.arctan, math.atan, lambda x, out: divide(1.0, 1.0 + x * x),
                "arctan({0})", "1/(1 + {0}²)")
sinh = _unary("sinh", np.sinh, math.sinh, lambda x, out: cosh(x), "sinh({0})", "cosh({0})")
cosh = _unary("cosh", np.cosh, math.cosh, lambda x, out: sinh(x), "cosh({0})", "sinh({0})")
tanh = _unary("tanh", np.tanh, math.tanh, lambda x, out: 1.0 - out * out, "tanh({0})", "(1 − tanh²({0}))", from_output=True)
absolute = _unary("abs", np.abs, abs, lambda x, out: sign(x), "|{0}|", "sign({0})")


def _tie_split(x, y):
    """Share of the gradient going to x in maximum(x, y): 1, 0, or 0.5 on ties, in the result's float dtype
    (a Python float beside a float32 array gets a float32 share, as it gets float32 values)."""
    dtype = np.result_type(raw(x), raw(y), 0.0)
    return indicator(greater(x, y), dtype=dtype) + 0.5 * indicator(equal(x, y), dtype=dtype)


def _selection(name, numpy_fn, share, relation):
    """maximum or minimum: the gradient goes to the argument chosen; `share(x, y)` is x's part."""
    return _table_entry(
        name, numpy_fn,
        jvps=(lambda t, out, x, y: broadcast_like(t * share(x, y), out),
              lambda t, out, x, y: broadcast_like(t * share(y, x), out)),
        vjps=(lambda g, out, x, y: unbroadcast(g * share(x, y), x),
              lambda g, out, x, y: unbroadcast(g * share(y, x), y)),
        rule=Rule(f"{name[:3]}({{0}}, {{1}})",
                  (f"{{t0}}·[{{0}} {relation} {{1}}]", f"{{t1}}·[{{1}} {relation} {{0}}]"),
                  (f"{{g}}·[{{0}} {relation} {{1}}]", f"{{g}}·[{{1}} {relation} {{0}}]")),
        shape_only=("out",),
        ufunc=numpy_fn, elementwise=True,
    )


maximum = _selection("maximum", np.maximum, _tie_split, "≥")
minimum = _selection("minimum", np.minimum, lambda x, y: _tie_split(y, x), "≤")


def _where_impl(condition, x, y):
    return np.where(condition, x, y)


def _condition_not_differentiated(t_or_g, out, c, x, y):
    return None  # where's condition is a mask (rules record theirs): no tangent, no cotangent


where = _table_entry(
    "where", _where_impl,
    jvps=(_condition_not_differentiated, lambda t, out, c, x, y: broadcast_like(where(c, t, 0.0), out),
          lambda t, out, c, x, y: broadcast_like(where(c, 0.0, t), out)),
    vjps=(_condition_not_differentiated, lambda g, out, c, x, y: unbroadcast(where(c, g, 0.0), x),
          lambda g, out, c, x, y: unbroadcast(where(c, 0.0, g), y)),
    rule=Rule("where({0}, {1}, {2})", ("", "{t1}·[{0}]", "{t2}·[not {0}]"),
              ("", "{g}·[{0}]", "{g}·[not {0}]")),
    shape_only=(1, 2, "out"),
    elementwise=True,
)


def _inside(x, low, high):
    """[low ≤ x ≤ high], an array in x's float dtype (a bound of None is no bound)."""
    dtype = np.result_type(raw(x), 0.0)
    if low is None and high is None:
        return np.ones(shape(x), dtype=dtype)
    above = None if low is None else greater_equal(x, low)
    below = None if high is None else less_equal(x, high)
    inside = below if above is None else above if below is None else logical_and(above, below)
    return indicator(inside, dtype=dtype)


def _clip_impl(x, low, high):
    return np.clip(x, low, high)


clip = _table_entry(
    "clip", _clip_impl,
    jvps=(lambda t, out, x, low, high: t * _inside(x, low, high),),
    vjps=(lambda g, out, x, low, high: g * _inside(x, low, high),),
    rule=Rule("clip({0}, {p[low]}, {p[high]})", ("{t0}·[inside]",), ("{g}·[inside]",)),
    shape_only=("out",),
)

# -- reductions ----------------------------------------------------------------------


def _sum_impl(x, axis=None, keepdims=False):
    if type(x) is np.ndarray:  # np.sum's own work, without its dispatch layer (a third of its time on small arrays)
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


sum_ = _table_entry(
    "sum", _sum_impl,
    jvps=(lambda t, out, x, axis=None, keepdims=False: sum_(t, axis=axis, keepdims=keepdims),),
    vjps=(lambda g, out, x, axis=None, keepdims=False: _restore_reduced(g, shape(x), axis, keepdims),),
    rule=Rule("Σ {0}", ("Σ {t0}",), ("{g}",)),
    shape_only=(0, "out"),
)


def mean(x, axis=None, keepdims=False):
    """Mean as sum / count, so it needs no rules of its own."""
    return sum_(x, axis=axis, keepdims=keepdims) / reduced_count(shape(x), axis)


def _prod_impl(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_partial(out, x, axis, keepdims):
    """∂prod/∂x_i = product of the others; exact even where some x_i are 0.

    Where x has no zeros this is out / x, differentiable again. With zeros, the
    product of the others is computed directly, not differentiated (second
    derivatives of prod at exact zeros are not supported).
    """
    if np.all(not_equal(x, 0.0)):
        return _restore_reduced(out, shape(x), axis, keepdims) / x
    return product_of_others(x, axis=axis)


def _product_of_others_impl(x_raw, axis):
    """Each entry's product of the other entries along `axis`, by prefix and suffix products (exact at zeros)."""
    x_shape = np.shape(x_raw)
    axes = normalize_axis(axis, len(x_shape))
    moved = np.moveaxis(x_raw, axes, list(range(-len(axes), 0))) if axes else x_raw
    flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
    left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, list(range(-len(axes), 0)), axes) if axes else others


product_of_others = _table_entry("product_of_others", _product_of_others_impl, rule=Rule("Π_others({0})"),
                              joint_jvp=_no_tangent, joint_vjp=_no_cotangents, shape_only=_EVERY_POSITION)


def _weighted_reduction(name, impl, weights, rule):
    """A reduction whose derivative weighs each reduced entry: ẏ = Σ w·ẋ, x̄ = ȳ·w (prod, max, logsumexp)."""
    return _table_entry(
        name, impl,
        jvps=(lambda t, out, x, axis=None, keepdims=False:
              sum_(t * weights(out, x, axis, keepdims), axis=axis, keepdims=keepdims),),
        vjps=(lambda g, out, x, axis=None, keepdims=False:
              _restore_reduced(g, shape(x), axis, keepdims) * weights(out, x, axis, keepdims),),
        rule=rule,
    )


prod = _weighted_reduction("prod", _prod_impl, _prod_partial, Rule("Π {0}", ("Σ {t0}·Π_others",), ("{g}·Π_others",)))


def _extreme(name, numpy_fn):
    """max or min over axes; ties share the gradient equally (as JAX does)."""

    def selected(out, x, axis, keepdims):
        if not keepdims and axis is not None:
            out = expand_dims(out, normalize_axis(axis, len(shape(x))))
        hits = indicator(equal(x, out), dtype=np.result_type(raw(x), 0.0))
        return hits / sum_(hits, axis=axis, keepdims=True)

    def impl(x, axis=None, keepdims=False):
        return numpy_fn(x, axis=axis, keepdims=keepdims)

    return _weighted_reduction(name, impl, selected, Rule(f"{name} {{0}}", ("{t0} at the " + name,), ("{g} at the " + name,)))


max_ = _extreme("max", np.max)
min_ = _extreme("min", np.min)


def _logsumexp_impl(x, axis=None, keepdims=False):
    x = np.asarray(x)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_weights(out, x, axis, keepdims):
    return exp(x - _restore_reduced(out, shape(x), axis, keepdims))


logsumexp = _weighted_reduction("logsumexp", _logsumexp_impl, _softmax_weights,
                                Rule("ln Σ exp({0})", ("Σ {t0}·softmax({0})",), ("{g}·softmax({0})",)))

# -- linear algebra ------------------------------------------------------------------


def _swap_last(x):
    return swapaxes(x, -1, -2)


def _matmul_vjp_left(g, out, a, b):
    a_ndim, b_ndim = len(shape(a)), len(shape(b))
    if a_ndim == 1 and b_ndim == 1:
        return g * b
    if b_ndim == 1:
        return unbroadcast(expand_dims(g, -1) * b, a)
    if a_ndim == 1:
        if b_ndim == 2:  # vector @ matrix: its cotangent is one matrix-vector product
            return matmul(b, g)
        return unbroadcast(squeeze(matmul(b, expand_dims(g, -1)), -1), a)
    return unbroadcast(matmul(g, _swap_last(b)), a)


def _matmul_vjp_right(g, out, a, b):
    a_ndim, b_ndim = len(shape(a)), len(shape(b))
    if a_ndim == 1 and b_ndim == 1:
        return g * a
    if a_ndim == 1:
        return unbroadcast(expand_dims(a, -1) * expand_dims(g, -2), b)
    if b_ndim == 1:
        if a_ndim == 2:  # matrix @ vector: likewise
            return matmul(g, a)
        return unbroadcast(squeeze(matmul(_swap_last(a), expand_dims(g, -1)), -1), b)
    return unbroadcast(matmul(_swap_last(a), g), b)


matmul = _table_entry(
    "matmul", np.matmul,
    jvps=(lambda t, out, a, b: matmul(t, b), lambda t, out, a, b: matmul(a, t)),
    vjps=(_matmul_vjp_left, _matmul_vjp_right),
    rule=Rule("{0} @ {1}", ("{t0} @ {1}", "{0} @ {t1}"), ("{g} @ {1}ᵀ", "{0}ᵀ @ {g}")),
    shape_only=("out",),
    ufunc=np.matmul,
)

outer = _table_entry(
    "outer", np.outer,
    jvps=(lambda t, out, a, b: outer(t, b), lambda t, out, a, b: outer(a, t)),
    vjps=(lambda g, out, a, b: reshape(matmul(g, reshape(b, newshape=(-1,))), newshape=shape(a)),
          lambda g, out, a, b: reshape(matmul(reshape(a, newshape=(-1,)), g), newshape=shape(b))),
    rule=Rule("{0} ⊗ {1}", ("{t0} ⊗ {1}", "{0} ⊗ {t1}"), ("{g} @ {1}", "{0} @ {g}")),
    shape_only=("out",),
)

# -- shape and structure -------------------------------------------------------------


def _transpose_impl(x, axes=None):
    return x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes)


def _inverse_axes(axes, ndim):
    return None if axes is None else tuple(np.argsort([a % ndim for a in axes]))


transpose = _table_entry(
    "transpose", _transpose_impl,
    jvps=(lambda t, out, x, axes=None: transpose(t, axes=axes),),
    vjps=(lambda g, out, x, axes=None: transpose(g, axes=_inverse_axes(axes, len(shape(x)))),),
    rule=Rule("{0}ᵀ", ("{t0}ᵀ",), ("{g}ᵀ",)),
    shape_only=(0, "out"),
)


def swapaxes(x, axis1, axis2):
    """swapaxes as a transpose, so it needs no rules of its own."""
    axes = list(range(len(shape(x))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes=tuple(axes))


def _reshape_impl(x, newshape):
    return np.reshape(x, newshape)


reshape = _table_entry(
    "reshape", _reshape_impl,
    jvps=(lambda t, out, x, newshape: reshape(t, newshape=newshape),),
    vjps=(lambda g, out, x, newshape: reshape(g, newshape=shape(x)),),
    rule=Rule("reshape({0}, {p[newshape]})", ("reshape({t0})",), ("reshape({g})",)),
    shape_only=(0, "out"),
)


def squeeze(x, axis=None):
    """squeeze as a reshape."""
    x_shape = shape(x)
    axes = normalize_axis(axis, len(x_shape)) if axis is not None else tuple(
        i for i, n in enumerate(x_shape) if n == 1)
    if any(x_shape[a] != 1 for a in axes):
        raise ValueError(f"cannot squeeze axis {axis} of a value with shape {x_shape}: its size is not 1.")
    return reshape(x, newshape=tuple(n for i, n in enumerate(x_shape) if i not in axes))


def expand_dims(x, axis):
    """expand_dims as a reshape."""
    return reshape(x, newshape=np.expand_dims(np.empty(shape(x), dtype=bool), axis).shape)


def _broadcast_to_impl(x, target_shape):
    return np.broadcast_to(x, target_shape)


broadcast_to = _table_entry(
    "broadcast_to", _broadcast_to_impl,
    jvps=(lambda t, out, x, target_shape: broadcast_to(t, target_shape=target_shape),),
    vjps=(lambda g, out, x, target_shape: unbroadcast(g, x),),
    rule=Rule("broadcast({0}, {p[target_shape]})", ("broadcast({t0})",), ("Σ {g} over broadcast axes",)),
    shape_only=(0, "out"),
)


def _concatenate_impl(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(position):
    def rule(g, out, *xs, axis=0):
        sizes = [shape(x)[axis] for x in xs]
        start = sum(sizes[:position])
        index = [slice(None)] * len(shape(out))
        index[axis] = slice(start, start + sizes[position])
        return getitem(g, index=tuple(index))

    return rule


def _joint_tangents(tangents, values):
    return [zeros_like(v) if t is None else t for t, v in zip(tangents, values)]


class _Positional:
    """Rules for any number of arguments, alike but for their position (concatenate, stack)."""

    def __init__(self, make_rule):
        self.make_rule = make_rule

    def __len__(self):
        return sys.maxsize

    def __getitem__(self, position):
        return self.make_rule(position)


concatenate = _table_entry(
    "concatenate", _concatenate_impl,
    joint_jvp=lambda ts, out, *xs, axis=0: concatenate(*_joint_tangents(ts, xs), axis=axis),
    vjps=_Positional(_concatenate_vjp),
    rule=Rule("concatenate({args})", (), ("{g}[block]",)),
    shape_only=_EVERY_POSITION,
)


def _stack_impl(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _stack_vjp(position):
    def rule(g, out, *xs, axis=0):
        index = [slice(None)] * len(shape(out))
        index[axis] = position
        return getitem(g, index=tuple(index))

    return rule


stack = _table_entry(
    "stack", _stack_impl,
    joint_jvp=lambda ts, out, *xs, axis=0: stack(*_joint_tangents(ts, xs), axis=axis),
    vjps=_Positional(_stack_vjp),
    rule=Rule("stack({args})", (), ("{g}[slice]",)),
    shape_only=_EVERY_POSITION,
)


def _getitem_impl(x, index):
    return x[index]


def _scatter_add_impl(g, index, target_shape):
    out = np.zeros(target_shape, dtype=np.result_type(g, 0.0))
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


getitem = _table_entry(
    "getitem", _getitem_impl,
    jvps=(lambda t, out, x, index: getitem(t, index=index),),
    vjps=(lambda g, out, x, index: scatter_add(g, index=index, target_shape=shape(x)),),
    rule=Rule("{0}[{p[index]}]", ("{t0}[{p[index]}]",), ("{g} into [{p[index]}]",)),
    shape_only=(0, "out"),
)
scatter_add = _table_entry(
    "scatter_add", _scatter_add_impl,
    jvps=(lambda t, out, g, index, target_shape: scatter_add(t, index=index, target_shape=target_shape),),
    vjps=(lambda h, out, g, index, target_shape: getitem(h, index=index),),
    rule=Rule("zeros{p[target_shape]} with {0} added at [{p[index]}]",
              ("{t0} added at [{p[index]}]",), ("{g}[{p[index]}]",)),
    shape_only=(0, "out"),
)


def _set_at_impl(x, value, index):
    out = np.array(x, dtype=np.result_type(x, value, 0.0))
    out[index] = value
    return out


def _set_at_value_vjp(g, out, x, v, index):
    """Each written entry gets its cotangent; with repeated indices only the last write counts."""
    written = getitem(g, index=index)
    if not is_basic_index(index):
        x_shape = shape(x)
        selected = np.empty(x_shape, dtype=bool)[index].shape
        order = np.arange(math.prod(selected)).reshape(selected)
        last = np.full(x_shape, -1)
        last[index] = order
        kept = last[index] == order
        if not np.all(kept):
            written = written * kept
    return unbroadcast(written, v)


set_at = _table_entry(
    "set_at", _set_at_impl,
    jvps=(lambda t, out, x, v, index: set_at(t, 0.0, index=index),
          lambda t, out, x, v, index: set_at(np.zeros(shape(out), dtype=np.result_type(raw(out))), t, index=index)),
    vjps=(lambda g, out, x, v, index: set_at(g, 0.0, index=index), _set_at_value_vjp),
    rule=Rule("{0} with [{p[index]}] = {1}", ("{t0} with [{p[index]}] = 0", "{t1} at [{p[index]}]"),
              ("{g} with [{p[index]}] = 0", "{g}[{p[index]}]")),
    shape_only=(0, 1, "out"),
)

# -- stop_gradient: the identity on values, a constant to every derivative -------------------------------
# Unlike the values rules read (NOT_DIFFERENTIATED, which f never calls), f calls stop_gradient itself: it is
# in f's trace, as a row "stop_gradient(v₃)" with tangent 0 and no adjoint contribution. Forward mode gives
# its result no tangent and reverse mode passes nothing back through it, at every level, so grad(grad(f)) and
# hessian see a constant there too. It has rules of its own (not _no_tangent), so it stays out of
# NOT_DIFFERENTIATED.


def _stop_gradient_impl(x):
    return x


def _stopped_tangent(tangents, out, x):
    return None  # no tangent: the result is a constant at this level


def _stopped_cotangents(needed, g, out, x):
    return [None]  # nothing passes back to x


stop_gradient = _table_entry("stop_gradient", _stop_gradient_impl,
                          rule=Rule("stop_gradient({0})", ("0",), ("",)),
                          joint_jvp=_stopped_tangent, joint_vjp=_stopped_cotangents,
                          shape_only=_EVERY_POSITION, elementwise=True)

# -- the registry ---------------------------------------------------------------------

# Every primitive defined above, in order. The other tables (NumPy dispatch, adlab.numpy,
# batching, the magics' bare names) are derived from it; tests/test_registry.py checks that
# each primitive is covered by, or explicitly excluded from, every table kept elsewhere.
PRIMITIVES = tuple(_TABLE)
# The primitives that rules use to read values (masks, signs, floors): no derivative of their own.
NOT_DIFFERENTIATED = frozenset(prim for prim in PRIMITIVES if prim.joint_jvp is _no_tangent)
