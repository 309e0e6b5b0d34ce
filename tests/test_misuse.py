"""The misuse battery: wrong uses a student plausibly makes, each pinned to its outcome.

Every row gets either the right result (`right(...)`) or an error whose message says what
to do (`error(Type, pattern)`, asserted on the message). No row may hang, crash deep inside
NumPy, or answer silently wrong. `test_battery_size` keeps the battery at 200 rows or more.
"""

import math
import time

import numpy as np
import pytest
import sympy as sp
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import adlab
import adlab.numpy as anp
from adlab import codegen, cost, numeric, symbolic
from adlab.core.interpreter import UnexpectedTracerError
from adlab.testing import check_grads, compare_gradient, compare_jacobian

G, VG, JVP, VJP = adlab.grad, adlab.value_and_grad, adlab.jvp, adlab.vjp


def f(x1, x2):
    """The course's Eq. 5."""
    return x1 * x2 + x2 - np.log(x1)


def right(expected, check=None):
    """The call succeeds; its result equals `expected` (leaf by leaf), or passes `check`."""

    def expect(thunk):
        result = thunk()
        if check is not None:
            assert check(result), result
            return
        structured = isinstance(expected, (tuple, dict))  # a list stands for an array
        results = adlab.core.tree.flatten(result)[0] if structured else [result]
        expecteds = adlab.core.tree.flatten(expected)[0] if structured else [expected]
        assert len(results) == len(expecteds), (result, expected)
        for r, e in zip(results, expecteds):
            np.testing.assert_allclose(np.asarray(r, dtype=float), np.asarray(e, dtype=float), rtol=1e-7, atol=1e-12)

    expect.outcome = "right result"
    return expect


def error(kind, pattern):
    """The call raises `kind` with a message matching `pattern` (which names what to do)."""

    def expect(thunk):
        with pytest.raises(kind, match=pattern):
            thunk()

    expect.outcome = "clear error"
    return expect


def leaked(transform=G, f=lambda x: x * x, at=3.0):
    """A traced value a student kept in a list while `transform(f)` ran."""
    kept = []

    def g(x):
        kept.append(x)
        return f(x)

    if transform is JVP:
        JVP(g, (at,), (1.0,))
    elif transform is VJP:
        VJP(g, at)
    else:
        transform(g)(at)
    return kept[0]


def into_numpy_array(x):
    out = np.zeros(2)
    out[0] = x
    return np.sum(out)


def assign_item(x):
    x[0] = 1.0
    return np.sum(x)


def add_in_place(x):
    x += 1.0
    return np.sum(x)


def rebind_scalar(x):
    x += 1.0
    return x * x


def dict_key(x):
    return {x: 1.0}[x] * x


def set_member(x):
    return len({x}) * x


def branch(x):
    if x > 0:
        return x * x
    return -x


def loop(x):
    while x < 10.0:
        x = x * 2.0
    return x


def softplus_primitive():
    p = adlab.primitive(lambda x: np.logaddexp(0.0, x), name="softplus")
    p.defjvp(lambda t, out, x: t / (1 + np.exp(-x)))
    p.defvjp(lambda g, out, x: g / (1 + np.exp(-x)))
    return p


def bare_primitive():
    return adlab.primitive(lambda x: 2.0 * x, name="double")


def wrong_shape_vjp():
    p = adlab.primitive(lambda x: 2.0 * x, name="double")
    p.defvjp(lambda g, out, x: 1.0)  # a scalar for an array argument
    return p


def wrong_shape_jvp():
    p = adlab.primitive(lambda x: 2.0 * x, name="double")
    p.defjvp(lambda t, out, x: 1.0)
    return p


def wrong_rule_sin():
    p = adlab.primitive(np.sin, name="wrong_sin")
    p.defjvp(lambda t, out, x: t * np.cos(x))
    p.defvjp(lambda g, out, x: g * np.sin(x))  # should be cos
    return p


def trace_eq5():
    return adlab.trace(f, 3.0, -4.0)


X2 = np.array([1.0, 2.0])
X3 = np.array([0.5, -1.0, 2.0])
ONES3 = np.ones(3)
x, y = sp.symbols("x y")

# -- the functional API ----------------------------------------------------------------------

API = [
    ("grad of a number", lambda: G(3.0), error(TypeError, r"write grad\(f\)\(x\)")),
    ("grad of a gradient's value", lambda: G(G(np.sin)(2.0)), error(TypeError, r"got a float.*grad\(f\)\(x\)")),
    ("grad of a string", lambda: G("sin"), error(TypeError, r"got a str")),
    ("grad of None", lambda: G(None), error(TypeError, r"got a NoneType")),
    ("value_and_grad of a number", lambda: VG(3.0), error(TypeError, r"grad\(f\)\(x\)")),
    ("jacfwd of a number", lambda: adlab.jacfwd(1.0), error(TypeError, r"jacfwd takes the function")),
    ("jacrev of a number", lambda: adlab.jacrev(1.0), error(TypeError, r"jacrev takes the function")),
    ("hessian of a number", lambda: adlab.hessian(1.0), error(TypeError, r"hessian takes the function")),
    ("jvp of a number", lambda: JVP(1.0, (1.0,), (1.0,)), error(TypeError, r"jvp takes the function")),
    ("vjp of a number", lambda: VJP(1.0, 1.0), error(TypeError, r"vjp takes the function")),
    ("hvp of a number", lambda: adlab.hvp(1.0, (1.0,), (1.0,)), error(TypeError, r"hvp takes the function")),
    ("checkpoint of a number", lambda: adlab.checkpoint(1.0), error(TypeError, r"checkpoint takes the function")),
    ("grad called with a keyword", lambda: G(np.sin)(x=2.0), error(TypeError, r"pass the point by position")),
    ("jacfwd called with a keyword", lambda: adlab.jacfwd(np.sin)(x=2.0), error(TypeError, r"by position")),
    ("jacrev called with a keyword", lambda: adlab.jacrev(np.sin)(x=2.0), error(TypeError, r"by position")),
    ("grad called with nothing", lambda: G(np.sin)(), error(ValueError, r"does not select among the 0")),
    ("argnums a float", lambda: G(f, argnums=1.0), error(TypeError, r"argnums=1\.0 must be an int or a tuple")),
    ("argnums None", lambda: G(f, argnums=None), error(TypeError, r"argnums=None must be an int")),
    ("argnums a string", lambda: G(f, argnums="0"), error(TypeError, r"must be an int or a tuple of ints")),
    ("argnums True", lambda: G(f, argnums=True), error(TypeError, r"must be an int")),
    ("argnums a tuple with a float", lambda: G(f, argnums=(0, 1.0)), error(TypeError, r"tuple of ints")),
    ("argnums of jacrev a float", lambda: adlab.jacrev(f, argnums=0.0), error(TypeError, r"jacrev: argnums")),
    ("argnums repeated", lambda: G(f, argnums=(0, 0))(3.0, -4.0), error(ValueError, r"names an argument twice")),
    ("argnums out of range", lambda: G(f, argnums=2)(3.0, -4.0), error(ValueError, r"argnums=2 does not select")),
    ("argnums negative out of range", lambda: G(f, argnums=-3)(3.0, -4.0), error(ValueError, r"does not select")),
    ("argnums empty", lambda: G(f, argnums=())(3.0, -4.0), error(ValueError, r"does not select")),
    ("argnums negative", lambda: G(f, argnums=-1)(3.0, -4.0), right(4.0)),
    ("argnums a list", lambda: G(f, argnums=[0, 1])(3.0, -4.0), right((-4 - 1 / 3, 4.0))),
    ("argnums a NumPy int", lambda: G(f, argnums=np.int64(1))(3.0, -4.0), right(4.0)),
    ("integer inputs", lambda: G(f)(3, -4), error(TypeError, r"pass floats \(3\.0 instead of 3")),
    ("a boolean input", lambda: G(np.sin)(True), error(TypeError, r"boolean value.*pass floats")),
    ("an integer array", lambda: G(lambda v: np.sum(v * v))(np.arange(3)), error(TypeError, r"pass floats")),
    ("a complex input", lambda: G(np.sin)(1 + 2j), error(TypeError, r"pass floats")),
    ("a string input", lambda: G(np.sin)("1.0"), error(TypeError, r"is a str, not a number; pass floats")),
    ("a None input", lambda: G(np.sin)(None), error(TypeError, r"argument 0 is None, not a number; pass floats")),
    ("a list where an array is meant", lambda: G(lambda v: np.sum(v ** 2))([1.0, 2.0]),
     error(TypeError, r"'list'.*pass an array, np\.array")),
    ("a list summed", lambda: G(lambda v: np.sum(v))([1.0, 2.0]), error(TypeError, r"pass arrays, not lists")),
    ("a list times a number", lambda: G(lambda v: np.sum(v * 2.0))([1.0, 2.0]), error(TypeError, r"pass an array")),
    ("a tuple where an array is meant", lambda: G(lambda v: np.sum(v ** 2))((1.0, 2.0)),
     error(TypeError, r"'tuple'.*pass an array")),
    ("a list used as a list", lambda: G(lambda v: v[0] * v[1])([2.0, 3.0]), right([3.0, 2.0])),
    ("a dict of inputs", lambda: G(lambda p: p["a"] * p["b"])({"a": 2.0, "b": 3.0}), right({"a": 3.0, "b": 2.0})),
    ("a dict with a string in it", lambda: G(lambda p: p["a"] * 2.0)({"a": 3.0, "name": "w"}),
     error(TypeError, r"input 1 is a str, not a number")),
    ("int argument outside argnums", lambda: G(lambda v, n: v ** n)(2.0, 3), right(12.0)),
    ("a vector output", lambda: G(lambda v: v * 2.0)(ONES3), error(TypeError, r"shape \(3,\).*adlab\.jacrev")),
    ("a one-element array output", lambda: G(lambda v: v * 2.0)(np.ones(1)), error(TypeError, r"shape \(1,\)")),
    ("two outputs", lambda: G(lambda v: (v, v))(1.0), error(TypeError, r"2 values.*adlab\.vjp")),
    ("no return", lambda: G(lambda v: None)(1.0), error(TypeError, r"forget `return`")),
    ("a complex output", lambda: G(lambda v: v * 1j)(2.0), error(TypeError, r"output 0 is complex.*real arithmetic")),
    ("a complex output by exp", lambda: G(lambda v: np.exp(v * 1j))(2.0), error(TypeError, r"complex")),
    ("a complex value inside", lambda: G(lambda v: np.abs(v * 1j))(2.0), error(TypeError, r"write f with real arithmetic")),
    ("a complex value inside jvp", lambda: JVP(lambda v: np.abs(v * 1j), (2.0,), (1.0,)), error(TypeError, r"complex")),
    ("a boolean output", lambda: G(lambda v: v > 0)(2.0), error(TypeError, r"returned a boolean.*return a float")),
    ("an integer output", lambda: G(lambda v: 3)(2.0), error(TypeError, r"returned an int64.*return a float")),
    ("a comparison summed", lambda: G(lambda v: np.sum(v > 0))(X2), error(TypeError, r"return a float")),
    ("a constant output", lambda: G(lambda v: 3.0)(2.0), right(0.0)),
    ("value_and_grad of a constant", lambda: VG(lambda v: 3.0)(2.0), right((3.0, 0.0))),
    ("has_aux without a pair", lambda: G(lambda v: v, has_aux=True)(1.0), error(TypeError, r"return a pair")),
    ("has_aux with a pair", lambda: G(lambda v: (v * v, v + 1.0), has_aux=True)(2.0), right((4.0, 3.0))),
    ("vjp with a complex output", lambda: VJP(lambda v: v * 1j, 2.0), error(TypeError, r"vjp needs f to return real")),
    ("jacrev of a complex output", lambda: adlab.jacrev(lambda v: v * 1j)(2.0), error(TypeError, r"jacrev needs f")),
    ("jvp with bare values", lambda: JVP(np.sin, 1.0, 1.0), error(TypeError, r"jvp\(f, \(x,\), \(v,\)\)")),
    ("jvp with too many tangents", lambda: JVP(np.sin, (1.0,), (1.0, 2.0)), error(ValueError, r"same structure")),
    ("jvp tangent of the wrong shape", lambda: JVP(np.sin, (X2,), (ONES3,)), error(ValueError, r"tangent.*shape \(3,\)")),
    ("jvp with a complex tangent", lambda: JVP(np.sin, (1.0,), (1j,)), error(TypeError, r"not a float.*pass floats")),
    ("jvp with an integer tangent", lambda: JVP(np.sin, (1.0,), (1,)), right((math.sin(1.0), math.cos(1.0)))),
    ("jvp with a list of primals", lambda: JVP(np.sin, [1.0], [1.0]), right((math.sin(1.0), math.cos(1.0)))),
    ("jvp of integer primals", lambda: JVP(np.sin, (1,), (1.0,)), error(TypeError, r"pass floats")),
    ("vjp cotangent of the wrong shape", lambda: VJP(np.sin, X2)[1](ONES3), error(ValueError, r"cotangent.*shape")),
    ("vjp cotangent structure", lambda: VJP(np.sin, 1.0)[1]((1.0, 1.0)), error(ValueError, r"same structure")),
    ("vjp of two outputs with one cotangent", lambda: VJP(lambda v: (v, v), 1.0)[1](1.0),
     error(ValueError, r"one value per output")),
    ("vjp with a string cotangent", lambda: VJP(np.sin, 1.0)[1]("1"), error((TypeError, ValueError), r"cotangent")),
    ("vjp pullback called twice", lambda: [VJP(np.sin, 1.0)[1](1.0) for _ in range(2)][1], right((math.cos(1.0),))),
    ("jacfwd of integers", lambda: adlab.jacfwd(np.sin)(1), error(TypeError, r"pass floats")),
    ("jacrev of a scalar function", lambda: adlab.jacrev(np.sin)(1.0), right(math.cos(1.0))),
    ("hessian of a vector function", lambda: adlab.hessian(lambda v: np.sum(v ** 3))(X2), right(np.diag(6 * X2))),
    ("hvp with bare values", lambda: adlab.hvp(np.sin, 1.0, 1.0), error(TypeError, r"hvp\(f, \(x,\), \(v,\)\)")),
    ("hvp with an unknown method", lambda: adlab.hvp(np.sin, (1.0,), (1.0,), method="sideways"),
     error(ValueError, r"use 'forward-over-reverse' or 'reverse-on-forward'")),
    ("checkpoint closing over a traced value", lambda: G(lambda v: adlab.checkpoint(lambda u: v * u)(2.0))(3.0),
     error(TypeError, r"pass every traced value f uses as an argument")),
    ("checkpoint with keywords", lambda: G(lambda v: adlab.checkpoint(lambda u, k: u * k)(v, k=2.0))(3.0), right(2.0)),
    ("grad of grad of a non-scalar", lambda: G(G(lambda v: v * v))(X2), error(TypeError, r"jacrev")),
    ("nested grad", lambda: G(G(lambda v: v ** 3))(2.0), right(12.0)),
    ("grad of a float32 input", lambda: G(lambda v: v * v)(np.float32(2.0)), right(4.0)),
]

# -- values that escaped their function ------------------------------------------------------

ESCAPED = [
    ("leaked value times 2", lambda: leaked() * 2, error(UnexpectedTracerError, r"escaped from grad\(g\)")),
    ("leaked value into np.sin", lambda: np.sin(leaked()), error(UnexpectedTracerError, r"return what you need")),
    ("leaked value into another grad", lambda: G(lambda v: v * v)(leaked()), error(UnexpectedTracerError, r"escaped")),
    ("leaked value returned by another grad", lambda: G(lambda v, k=leaked(): k)(1.0),
     error(UnexpectedTracerError, r"escaped from grad")),
    ("leaked value as a constant in another grad", lambda: G(lambda v, k=leaked(): v * k)(1.0),
     error(UnexpectedTracerError, r"has_aux=True")),
    ("leaked value into value_and_grad", lambda: VG(lambda v: v)(leaked()), error(UnexpectedTracerError, r"escaped")),
    ("leaked value from jvp", lambda: leaked(JVP) + 1.0, error(UnexpectedTracerError, r"escaped from jvp\(g\)")),
    ("leaked value from vjp", lambda: leaked(VJP) + 1.0, error(UnexpectedTracerError, r"escaped from vjp\(g\)")),
    ("leaked value from jacrev", lambda: leaked(adlab.jacrev) ** 2, error(UnexpectedTracerError, r"escaped from jacrev")),
    ("leaked value from jacfwd", lambda: leaked(adlab.jacfwd) - 1.0, error(UnexpectedTracerError, r"escaped from jacfwd")),
    ("leaked array", lambda: np.sum(leaked(f=lambda v: np.sum(v * v), at=X2)), error(UnexpectedTracerError, r"escaped")),
    ("leaked value into jvp", lambda: JVP(np.sin, (leaked(),), (1.0,)), error(UnexpectedTracerError, r"escaped")),
    ("leaked value into a trace", lambda: adlab.trace(np.sin, leaked()), error(UnexpectedTracerError, r"escaped")),
    ("leaked value printed", lambda: repr(leaked()), right(None, lambda r: "escaped from grad(g)" in r)),
    ("leaked value formatted", lambda: f"{leaked():.2f}", right(None, lambda r: r == "3.00")),
]

# -- traced values meeting Python and NumPy --------------------------------------------------

VALUES = [
    ("float of a traced value", lambda: G(lambda v: float(v) * v)(2.0), error(TypeError, r"would drop its derivative")),
    ("int of a traced value", lambda: G(lambda v: int(v) * v)(2.0), error(TypeError, r"use NumPy on traced values")),
    ("math.log of a traced value", lambda: G(lambda v: math.log(v))(2.0), error(TypeError, r"np\.log\(x\)")),
    ("math.exp of a traced value", lambda: G(lambda v: math.exp(v))(2.0), error(TypeError, r"np\.log\(x\)")),
    ("complex of a traced value", lambda: G(lambda v: complex(v).real)(2.0), error(TypeError, r"drop its derivative")),
    ("x.item()", lambda: G(lambda v: v.item())(np.ones(1)), error(TypeError, r"x\.item\(\).*use x itself")),
    ("x.tolist()", lambda: G(lambda v: v.tolist()[0])(X2), error(TypeError, r"use list\(x\)")),
    ("list(x)", lambda: G(lambda v: list(v)[0] * 2.0)(X2), right([2.0, 0.0])),
    ("x.cumsum()", lambda: G(lambda v: v.cumsum()[0])(X2), error(AttributeError, r"no derivative rule for numpy\.cumsum")),
    ("x.argmax()", lambda: G(lambda v: v[v.argmax()])(X2), right([0.0, 1.0])),
    ("x.argmin()", lambda: G(lambda v: v[v.argmin()])(X2), right([1.0, 0.0])),
    ("x.argsort()", lambda: G(lambda v: v[v.argsort()[0]])(X2), right([1.0, 0.0])),
    ("x.round()", lambda: G(lambda v: np.sum(v.round() * v))(np.array([1.4, 2.6])), right([1.0, 3.0])),
    ("x.sort() in place", lambda: G(lambda v: v.sort())(X2), error(AttributeError, r"call np\.sort\(x\) instead")),
    ("x.cumprod()", lambda: G(lambda v: v.cumprod())(X2), error(AttributeError, r"@adlab\.primitive")),
    ("x.nonzero()", lambda: G(lambda v: np.sum(v[v.nonzero()]))(X2), error(AttributeError, r"np\.nonzero\(x\)")),
    ("a misspelt attribute", lambda: G(lambda v: v.sahpe)(X2), error(AttributeError, r"has no attribute 'sahpe'")),
    ("x.shape, x.ndim, x.size", lambda: G(lambda v: v[0] * (v.shape[0] + v.ndim + v.size))(X2), right([5.0, 0.0])),
    ("x.T of a vector", lambda: G(lambda v: np.sum(v.T))(X2), right([1.0, 1.0])),
    ("x.astype(int)", lambda: G(lambda v: v.astype(int))(2.0), error(TypeError, r"non-float dtype drops")),
    ("x.astype(float32)", lambda: G(lambda v: v.astype(np.float32))(2.0), error(TypeError, r"convert inputs before")),
    ("x.astype(float)", lambda: G(lambda v: v.astype(float) * v)(2.0), right(4.0)),
    ("x[i] = v", lambda: G(assign_item)(X2), error(TypeError, r"x\.at\[index\]\.set\(v\)")),
    ("x += v on an array", lambda: G(add_in_place)(X2), error(TypeError, r"write x = x \+ v instead")),
    ("x += v on a scalar", lambda: G(rebind_scalar)(2.0), right(6.0)),
    ("a traced value into a NumPy array", lambda: G(into_numpy_array)(2.0),
     error(ValueError, r"out\[i\] = x.*adlab\.numpy\.set_at")),
    ("np.array of traced values", lambda: G(lambda v: np.sum(np.array([v, v])))(2.0), error(TypeError, r"np\.stack")),
    ("np.asarray of a traced value", lambda: G(lambda v: np.asarray(v))(2.0), error(TypeError, r"np\.stack")),
    ("anp.array of traced values", lambda: G(lambda v: np.sum(anp.array([v, 2.0 * v])))(2.0), right(3.0)),
    ("set_at", lambda: G(lambda v: np.sum(anp.set_at(v, 0, 5.0)))(X2), right([0.0, 1.0])),
    ("x.at[i].add", lambda: G(lambda v: np.sum(v.at[0].add(v[1])))(X2), right([1.0, 2.0])),
    ("a traced dict key", lambda: G(dict_key)(2.0), error(TypeError, r"cannot be a dict key.*not traced")),
    ("a traced set member", lambda: G(set_member)(2.0), error(TypeError, r"set member")),
    ("round(x)", lambda: G(lambda v: round(v) * v)(2.3), right(2.0)),
    ("round(x, 1)", lambda: G(lambda v: round(v, 1) * v)(2.34), right(2.3)),
    ("x // 2.0", lambda: G(lambda v: v // 2.0 + v)(5.3), right(1.0)),
    ("7.0 // x", lambda: G(lambda v: 7.0 // v + v)(2.0), right(1.0)),
    ("x % 2.0", lambda: G(lambda v: v % 2.0)(5.3), right(1.0)),
    ("7.0 % x", lambda: G(lambda v: 7.0 % v)(2.0), right(-3.0)),
    ("x % y in both", lambda: G(lambda a, b: a % b, argnums=(0, 1))(7.5, 2.0), right((1.0, -3.0))),
    ("x % 2.0 value", lambda: VG(lambda v: v % 2.0)(-5.5), right((0.5, 1.0))),
    ("divmod(x, 2.0)", lambda: G(lambda v: divmod(v, 2.0)[1])(5.3), right(1.0)),
    ("np.mod", lambda: G(lambda v: np.mod(v, 2.0))(5.3), right(1.0)),
    ("np.remainder of arrays", lambda: G(lambda v: np.sum(np.remainder(v, 2.0)))(np.array([3.5, -1.0])), right([1.0, 1.0])),
    ("np.floor_divide", lambda: G(lambda v: np.floor_divide(v, 2.0) * v)(5.0), right(2.0)),
    ("x % 2.0 in a second derivative", lambda: G(G(lambda v: (v % 2.0) ** 2))(5.5), right(2.0)),
    ("jacfwd of x % 2.0", lambda: adlab.jacfwd(lambda v: v % 2.0)(X3), right(np.eye(3))),
    ("jacrev of x % 2.0", lambda: adlab.jacrev(lambda v: v % 2.0)(X3), right(np.eye(3))),
    ("pow(x, 2, 5)", lambda: G(lambda v: pow(v, 2, 5))(1.0), error(TypeError, r"write x\*\*y % mod")),
    ("pow(x, 2)", lambda: G(lambda v: pow(v, 2))(3.0), right(6.0)),
    ("abs(x)", lambda: G(lambda v: abs(v))(-3.0), right(-1.0)),
    ("len of a traced scalar", lambda: G(lambda v: len(v) * v)(2.0), error(TypeError, r"traced scalar: it has no length")),
    ("iterating a traced scalar", lambda: G(lambda v: sum(v))(2.0), error(TypeError, r"no length")),
    ("sum() of an array", lambda: G(lambda v: sum(v))(X2), right([1.0, 1.0])),
    ("max() of an array", lambda: G(lambda v: max(v))(X2), right([0.0, 1.0])),
    ("a Python branch", lambda: G(branch)(2.0), right(4.0)),
    ("a while loop", lambda: G(loop)(3.0), right(4.0)),
    ("a comparison with a traced value", lambda: G(lambda v: v * (v == 2.0))(2.0), right(1.0)),
    ("bool of a traced value", lambda: G(lambda v: v * 2.0 if v else v)(2.0), right(2.0)),
    ("print-formatting", lambda: G(lambda v: (f"{v:.1f}", v * v)[1])(2.0), right(4.0)),
    ("math.isfinite of a traced value", lambda: G(lambda v: math.isfinite(v) * v)(2.0), error(TypeError, r"np\.log")),
    ("a traced scalar as an index", lambda: G(lambda v: X2[v])(1.0), error(TypeError, r"derivative would be lost")),
    ("range(x)", lambda: G(lambda v: sum(range(v)) * v)(2.0), error(TypeError, r"drop its derivative")),
]

# -- NumPy dispatch ---------------------------------------------------------------------------

NUMPY = [
    ("np.sum with dtype=float", lambda: G(lambda v: np.sum(v, dtype=float))(X2), right([1.0, 1.0])),
    ("np.mean with dtype=np.float64", lambda: G(lambda v: np.mean(v, dtype=np.float64))(X2), right([0.5, 0.5])),
    ("np.sum with another dtype", lambda: G(lambda v: np.sum(v, dtype=np.float32))(X2), error(TypeError, r"drop dtype=")),
    ("np.sum with dtype=None", lambda: G(lambda v: np.sum(v, dtype=None))(X2), right([1.0, 1.0])),
    ("np.mean with where=", lambda: G(lambda v: np.mean(v, where=v > 0))(X2), error(TypeError, r"np\.where\(mask, x, 0\.0\)")),
    ("np.sum with where=", lambda: G(lambda v: np.sum(v, where=v > 1))(X2), error(TypeError, r"does not take where=")),
    ("np.max with initial=", lambda: G(lambda v: np.max(v, initial=0.0))(X2), error(TypeError, r"np\.maximum\(np\.max")),
    ("np.min with initial=", lambda: G(lambda v: np.min(v, initial=0.0))(X2), error(TypeError, r"initial=")),
    ("np.sum with out=", lambda: G(lambda v: np.sum(v, out=np.empty(())))(X2), error(TypeError, r"out=")),
    ("np.sum with out=None", lambda: G(lambda v: np.sum(v, out=None))(X2), right([1.0, 1.0])),
    ("np.sin with out=", lambda: G(lambda v: np.sum(np.sin(v, out=np.empty(2))))(X2), error(TypeError, r"out=")),
    ("np.sin with where=", lambda: G(lambda v: np.sum(np.sin(v, where=v > 1)))(X2), error(TypeError, r"call it without")),
    ("np.exp with dtype=", lambda: G(lambda v: np.sum(np.exp(v, dtype=np.float32)))(X2), error(TypeError, r"keyword")),
    ("np.prod with keepdims", lambda: G(lambda v: np.sum(np.prod(v, keepdims=True)))(X2), right([2.0, 1.0])),
    ("np.std with ddof", lambda: G(lambda v: np.std(v, ddof=1))(X2), right([-math.sqrt(0.5), math.sqrt(0.5)])),
    ("np.sum with an axis list", lambda: G(lambda v: np.sum(np.sum(v, axis=[0])))(X2), right([1.0, 1.0])),
    ("np.sum with a bad axis", lambda: G(lambda v: np.sum(v, axis=3))(X2), error(np.exceptions.AxisError, r"out of bounds")),
    ("np.cumsum", lambda: G(lambda v: np.sum(np.cumsum(v)))(X2), error(TypeError, r"numpy\.cumsum.*@adlab\.primitive")),
    ("np.arctan2", lambda: G(lambda v: np.arctan2(v, 1.0))(1.0), error(TypeError, r"numpy\.arctan2.*defjvp/defvjp")),
    ("np.add.reduce", lambda: G(lambda v: np.add.reduce(v))(X2), error(TypeError, r"numpy\.add\.reduce")),
    ("np.linalg.norm", lambda: G(lambda v: np.linalg.norm(v))(X2), error(TypeError, r"no derivative rule for numpy\.norm")),
    ("np.linalg.inv", lambda: G(lambda m: np.sum(np.linalg.inv(m)))(np.eye(2)), error(TypeError, r"numpy\.inv")),
    ("np.einsum", lambda: G(lambda v: np.einsum("i,i", v, v))(X2), error(TypeError, r"numpy\.einsum")),
    ("np.real", lambda: G(lambda v: np.real(v))(1.0), error(TypeError, r"no derivative rule")),
    ("np.argmax", lambda: G(lambda v: v[np.argmax(v)])(X2), right([0.0, 1.0])),
    ("np.round", lambda: G(lambda v: np.round(v) * v)(2.4), right(2.0)),
    ("np.sign", lambda: G(lambda v: np.sign(v) * v)(-2.0), right(-1.0)),
    ("np.floor", lambda: G(lambda v: np.floor(v) + v)(2.5), right(1.0)),
    ("np.where with one argument", lambda: G(lambda v: np.sum(v[np.where(v > 1.5)]))(X2), right([0.0, 1.0])),
    ("np.where with a traced condition", lambda: G(lambda v: np.where(v > 0, v, -v))(-2.0), right(-1.0)),
    ("np.dot of 3-D arrays", lambda: G(lambda v: np.sum(np.dot(v, v)))(np.ones((2, 2, 2))),
     error(TypeError, r"use np\.matmul")),
    ("np.inner of matrices", lambda: G(lambda v: np.sum(np.inner(v, v)))(np.ones((2, 2))), error(TypeError, r"1-D values only")),
    ("np.reshape without a shape", lambda: G(lambda v: np.sum(np.reshape(v)))(X2), error(TypeError, r"missing 1 required positional argument: 'shape'")),
    ("reshape with order F", lambda: G(lambda v: np.sum(np.reshape(v, (2,), order="F")))(X2), error(TypeError, r"order='C'")),
    ("reshape to a wrong size", lambda: G(lambda v: np.sum(v.reshape(3)))(X2), error(ValueError, r"cannot reshape")),
    ("operands that do not broadcast", lambda: G(lambda v: np.sum(v + ONES3))(X2), error(ValueError, r"broadcast")),
    ("matmul with a scalar", lambda: G(lambda v: np.sum(v @ 2.0))(X2), error(ValueError, r"matmul")),
    ("np.sqrt(-1)", lambda: np.isnan(G(lambda v: np.sqrt(v))(-1.0)), right(True)),
    ("x.at[i].set", lambda: G(lambda v: np.sum(v.at[1].set(0.0)))(X2), right([1.0, 0.0])),
    ("anp.add_at repeated", lambda: G(lambda v: np.sum(anp.add_at(v, [0, 0], 1.0) * v))(X2), right([4.0, 4.0])),
    ("np.copy", lambda: G(lambda v: np.sum(np.copy(v) * v))(X2), right(2 * X2)),
    ("np.unique", lambda: G(lambda v: np.sum(np.unique(v)))(X2), error(TypeError, r"numpy\.unique")),
    ("np.concatenate of a scalar", lambda: G(lambda v: np.sum(np.concatenate([v, X2])))(X2), right([1.0, 1.0])),
    ("softmax along an axis", lambda: G(lambda v: adlab.softmax(v)[0])(np.zeros(2)), right([0.25, -0.25])),
]

# -- custom primitives ------------------------------------------------------------------------

PRIMITIVES = [
    ("defvjp with a one-argument rule", lambda: softplus_primitive().defvjp(lambda g: g),
     error(TypeError, r"rule 0 takes \(g\).*lambda g, out, x")),
    ("defjvp with a one-argument rule", lambda: softplus_primitive().defjvp(lambda t: t),
     error(TypeError, r"lambda t, out, x")),
    ("defvjp without out", lambda: softplus_primitive().defvjp(lambda g, x: g), error(TypeError, r"\(g, out, x\)")),
    ("defvjp with too many rules", lambda: softplus_primitive().defvjp(lambda g, out, x: g, lambda g, out, x: g),
     error(TypeError, r"2 rules for 1 argument")),
    ("defvjp with a number", lambda: softplus_primitive().defvjp(1.0), error(TypeError, r"not a function")),
    ("defjvp with a string", lambda: softplus_primitive().defjvp("cos"), error(TypeError, r"not a function")),
    ("primitive of a number", lambda: adlab.primitive(3.0), error(TypeError, r"wraps a function")),
    ("defvjp with a varargs rule", lambda: softplus_primitive().defvjp(lambda *a: a[0]).name, right(None, lambda r: r == "softplus")),
    ("defvjp with None", lambda: G(softplus_primitive().defvjp(None))(1.0), error(TypeError, r"no VJP rule.*defvjp")),
    ("grad of a primitive without rules", lambda: G(bare_primitive())(1.0),
     error(TypeError, r"'double' has no VJP rule.*double\.defvjp")),
    ("jvp of a primitive without rules", lambda: JVP(bare_primitive(), (1.0,), (1.0,)), error(TypeError, r"no JVP rule")),
    ("jacfwd of a primitive without rules", lambda: adlab.jacfwd(bare_primitive())(X2), error(TypeError, r"defjvp")),
    ("a VJP rule of the wrong shape", lambda: G(lambda v: np.sum(wrong_shape_vjp()(v)))(X2),
     error(ValueError, r"shape \(\) for input 0, whose shape is \(2,\).*defvjp")),
    ("a JVP rule of the wrong shape", lambda: JVP(wrong_shape_jvp(), (X2,), (X2,)), error(ValueError, r"defjvp")),
    ("a custom primitive used", lambda: G(softplus_primitive())(0.0), right(0.5)),
    ("a custom primitive twice differentiated", lambda: G(G(softplus_primitive()))(0.0), right(0.25)),
    ("check_grads with a bare argument", lambda: check_grads(np.sin, 1.0), error(TypeError, r"check_grads\(f, \(1\.0,\)\)")),
    ("check_grads with an unknown mode", lambda: check_grads(np.sin, (1.0,), modes=("forward",)),
     error(ValueError, r"use 'fwd' and/or 'rev'")),
    ("check_grads with a mode string", lambda: check_grads(np.sin, (1.0,), modes="fwd"), right(None, lambda r: r is None)),
    ("check_grads of a wrong rule", lambda: check_grads(wrong_rule_sin(), (X2,), modes=("rev",), order=1),
     error(AssertionError, r"reverse mode \(VJP\) of wrong_sin")),
    ("check_grads of a custom primitive", lambda: check_grads(softplus_primitive(), (np.array([-3.0, 0.5]),), order=2),
     right(None, lambda r: r is None)),
    ("compare_gradient with a string", lambda: compare_gradient("2x", lambda v: v * v, 3.0),
     error(TypeError, r"give your gradient as numbers.*compare_gradient\(2 \* x, f, x\)")),
    ("compare_gradient with None", lambda: compare_gradient(None, lambda v: v * v, 3.0), error(TypeError, r"forget `return`")),
    ("compare_gradient of the wrong shape", lambda: compare_gradient(np.ones(3), lambda v: np.sum(v * v), X2).message,
     right(None, lambda r: "shape (3,) but the true one has shape (2,)" in r)),
    ("compare_gradient wrong entry", lambda: compare_gradient(np.array([2.0, 5.0]), lambda v: np.sum(v * v), X2).message,
     right(None, lambda r: "at [1]: yours 5, true 4" in r)),
    ("compare_gradient several argnums as one", lambda: compare_gradient(1.0, f, 3.0, -4.0, argnums=(0, 1)),
     error(ValueError, r"as a tuple of 2 parts")),
    ("compare_jacobian transposed", lambda: compare_jacobian(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]),
                                                             lambda v: np.stack([v[0], v[1], v[0] * v[1]]), X2).message,
     right(None, lambda r: "transpose" in r)),
    ("compare_jacobian of two outputs", lambda: compare_jacobian(np.eye(2), lambda v: (v, v), X2),
     error(ValueError, r"stack several outputs with np\.stack")),
]

# -- the trace object -------------------------------------------------------------------------

TRACES = [
    ("trace of integers", lambda: adlab.trace(f, 3, -4), error(TypeError, r"pass floats")),
    ("trace of a number", lambda: adlab.trace(3.0, 1.0), error(TypeError, r"trace takes the function")),
    ("trace with a missing argument", lambda: adlab.trace(f, 3.0), error(TypeError, r"missing 1 required positional")),
    ("trace of a complex function", lambda: adlab.trace(lambda v: v * 1j, 2.0), error(TypeError, r"real arithmetic")),
    ("forward with no tangents", lambda: trace_eq5().forward(), error(ValueError, r"one tangent per input \(2\), got 0")),
    ("forward with one tangent of two", lambda: trace_eq5().forward(1.0), error(ValueError, r"one tangent per input")),
    ("forward with a misshapen tangent", lambda: trace_eq5().forward(X2, 0.0), error(ValueError, r"shape \(2,\)")),
    ("forward with a string tangent", lambda: trace_eq5().forward("1", 0.0), error((TypeError, ValueError), r"tangent")),
    ("forward with integer tangents", lambda: trace_eq5().forward(0, 1).output_tangents, right((4.0,))),
    ("reverse with two cotangents", lambda: trace_eq5().reverse(1.0, 2.0), error(ValueError, r"one cotangent per output \(1\)")),
    ("reverse of a vector output", lambda: adlab.trace(lambda v: v * 2.0, X2).reverse(), error(ValueError, r"needs one cotangent")),
    ("reverse with a misshapen cotangent", lambda: trace_eq5().reverse(X2), error(ValueError, r"shape")),
    ("adjoints before reverse", lambda: trace_eq5().input_adjoints, error(ValueError, r"t = t\.reverse\(\)")),
    ("adjoints after a reverse left unassigned", lambda: [t := trace_eq5(), t.reverse(), t.input_adjoints],
     error(ValueError, r"a sweep returns a new trace")),
    ("tangents before forward", lambda: trace_eq5().output_tangents, error(ValueError, r"t = t\.forward")),
    ("tangents of a reverse trace", lambda: trace_eq5().reverse().output_tangents, error(ValueError, r"reverse trace")),
    ("adjoints after reverse", lambda: trace_eq5().reverse().input_adjoints, right((-4 - 1 / 3, 4.0))),
    ("a row past the end", lambda: trace_eq5()[9], error(IndexError, r"rows v_\{-1\} … v_4, not v_9")),
    ("a row before the inputs", lambda: trace_eq5()[-5], error(IndexError, r"not v_-5")),
    ("the first input row", lambda: trace_eq5()[-1].label, right(None, lambda r: r == "x_1")),
    ("local partials of an input", lambda: trace_eq5().local_partials(0), right(None, lambda r: r == ())),
    ("trace of a constant function", lambda: adlab.trace(lambda v: 3.0, 1.0).reverse().input_adjoints, right((0.0,))),
    ("trace of a leaked value", lambda: adlab.trace(lambda v, k=leaked(): v * k, 1.0), error(UnexpectedTracerError, r"escaped")),
]

# -- numeric, symbolic, codegen, cost ----------------------------------------------------------

OTHERS = [
    ("central_difference with h = 0", lambda: numeric.central_difference(np.sin, 1.0, h=0.0), error(ValueError, r"positive")),
    ("central_difference with h < 0", lambda: numeric.central_difference(np.sin, 1.0, h=-1e-3), error(ValueError, r"positive")),
    ("central_difference with two steps", lambda: numeric.central_difference(np.sin, 1.0, h=[1e-3, 1e-4]),
     error(ValueError, r"one positive number")),
    ("derivative with an unknown method", lambda: numeric.derivative(np.sin, 1.0, method="centre"),
     error(ValueError, r"choose one of forward")),
    ("derivative at a vector", lambda: numeric.derivative(np.sin, X2), error(ValueError, r"use gradient\(\) or jacobian\(\)")),
    ("derivative at infinity", lambda: numeric.derivative(np.sin, np.inf), error(ValueError, r"must be finite")),
    ("derivative at a complex point", lambda: numeric.derivative(np.sin, 1j), error(TypeError, r"must be real")),
    ("derivative where f is nan", lambda: numeric.derivative(np.log, -1.0), error(ValueError, r"non-finite.*choose x and h")),
    ("complex step of abs", lambda: numeric.complex_step(np.abs, 1.0), error(TypeError, r"use central_difference")),
    ("complex step of math.sin", lambda: numeric.complex_step(math.sin, 1.0), error(TypeError, r"use central_difference")),
    ("gradient at a scalar", lambda: numeric.gradient(lambda v: np.sum(v * v), 1.0), error(ValueError, r"1-D vector")),
    ("gradient at an empty vector", lambda: numeric.gradient(lambda v: np.sum(v), np.array([])), error(ValueError, r"non-empty")),
    ("jacobian with an unknown method", lambda: numeric.jacobian(np.sin, X2, method="side"), error(ValueError, r"choose one of")),
    ("forward difference", lambda: abs(numeric.forward_difference(np.sin, 1.0) - math.cos(1.0)) < 1e-6, right(True)),
    ("symbolic evaluate of a string", lambda: symbolic.evaluate("__import__('os').getpid()", [], []),
     error(TypeError, r"takes a SymPy expression, not a str")),
    ("symbolic evaluate of a plain string formula", lambda: symbolic.evaluate("x**2", [x], [3.0]),
     error(TypeError, r"sympy\.Symbol")),
    ("symbolic evaluate with missing values", lambda: symbolic.evaluate(x * y, [x, y], [1.0]),
     error(ValueError, r"one value per symbol")),
    ("symbolic evaluate of a number", lambda: symbolic.evaluate(2.5, [], []), right(2.5)),
    ("symbolic evaluate", lambda: symbolic.evaluate(x ** 2, [x], [3.0]), right(9.0)),
    ("symbolic of a branch", lambda: symbolic.from_function(branch), error(symbolic.SymbolicError, r"branches on the value")),
    ("symbolic of an array trace", lambda: symbolic.expression(adlab.trace(lambda v: np.sum(v * v), X2)),
     error(symbolic.SymbolicError, r"converts scalar traces only")),
    ("symbolic of x % 2", lambda: symbolic.compare(lambda v: v % 2.0, 3.5),
     error(symbolic.SymbolicError, r"'remainder' has no SymPy counterpart")),
    ("codegen of a trace and arguments", lambda: codegen.tangent_program(trace_eq5(), 3.0),
     error(TypeError, r"either a trace or a function")),
    ("codegen of x % 2", lambda: codegen.tangent_program(lambda v: v % 2.0, 3.5),
     error(codegen.CodegenError, r"no source template for the primitive 'remainder'")),
    ("a generated program called short", lambda: codegen.tangent_program(f, 3.0, -4.0)(3.0, -4.0),
     error(TypeError, r"missing 2 required positional")),
    ("a generated adjoint", lambda: codegen.adjoint_program(f, 3.0, -4.0)(3.0, -4.0)[1], right((-4 - 1 / 3, 4.0))),
    ("cost with integer inputs", lambda: cost.cost(f, 3, -4, timing=False), error(TypeError, r"pass floats")),
    ("cost of a number", lambda: cost.cost(3.0, 1.0, timing=False), error(TypeError, r"takes the function")),
    ("ops of a function", lambda: cost.ops(f, 3.0, -4.0), right(4)),
]

CASES = API + ESCAPED + VALUES + NUMPY + PRIMITIVES + TRACES + OTHERS


@pytest.mark.parametrize("thunk, expect", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_misuse(thunk, expect):
    expect(thunk)


# -- the %trace magics ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "adlab")
    shell.run_cell("import numpy as np\ndef f(x1, x2):\n    return x1*x2 + x2 - np.log(x1)\n"
                   "def two(x):\n    return x, 2 * x\nimport math\n")
    yield shell
    shell.run_line_magic("unload_ext", "adlab")
    InteractiveShell.clear_instance()


def is_trace(mode, value=None, ops=None):
    def check(t):
        return (isinstance(t, adlab.Trace) and t.mode == mode and (value is None or np.allclose(t.value, value))
                and (ops is None or len(t) - t.n_inputs == ops))

    return check


LONG_SUM = " + ".join(["x1"] * 2000)
TOO_LONG_SUM = " + ".join(["x1"] * 100_000)

MAGICS = [
    ("a trailing comment", "x1*x2 + x2 - ln(x1) at x1=2, x2=4   # the primal trace (Table 1)", None,
     is_trace("primal", 8 + 4 - math.log(2))),
    ("a comment after --forward", "--forward x2 x1*x2 + x2 - ln(x1) at x1=3, x2=-4   # ẏ = 4", None, is_trace("forward")),
    ("a comment after --reverse", "--reverse x1*x2 + x2 - ln(x1) at x1=3, x2=-4  # adjoints (Table 3)", None,
     is_trace("reverse")),
    ("a comment on a function line", "f at 3, -4  # a function", None, is_trace("primal")),
    ("a # inside a string", "x1 * len('#') at x1=3  # a comment", None, is_trace("primal", 3.0)),
    ("a comment on the cell line", "at x1=3  # the input", "x1 * x1", is_trace("primal", 9.0)),
    ("a dict literal", "{'a': x1}['a'] * 2 at x1=3", None, is_trace("primal", 6.0)),
    ("a dollar sign in a string", "x1 * len('$x1') at x1=3", None, is_trace("primal", 9.0)),
    ("a lambda", "lambda x: x * x at 3", None, is_trace("primal", 9.0)),
    ("a list input", "np.sum(x1 ** 2) at x1=[1, 2]", None, is_trace("primal", 5.0)),
    ("a 2,000-term sum", f"{LONG_SUM} at x1=1", None, is_trace("primal", 2000.0, 1999)),
    ("--forward=x2", "--forward=x2 x1*x2 at x1=3, x2=-4", None, is_trace("forward")),
    ("a repeated input", "x1 at x1=3, x1=4", None, r"x1 is given two values; give each input once"),
    ("a repeated function input", "f at x1=3, x1=4, x2=1", None, r"x1 is given two values"),
    ("a 100,000-term sum", f"{TOO_LONG_SUM} at x1=1", None, r"too long for Python to compile.*%trace f at"),
    ("a 3,000-term sum", " + ".join(["x1"] * 3000) + " at x1=1", None, r"split it into statements"),
    ("a deep cell", "at x1=1", " + ".join(["x1"] * 1500), r"too long for Python to compile"),
    ("no at", "x1 * x2", None, r"say where to evaluate"),
    ("nothing before at", "at x1=3", None, r"nothing to trace before 'at'"),
    ("an empty line", "", None, r"%trace \[options\] EXPRESSION"),
    ("an unknown option", "--backward f at 3, -4", None, r"unknown option --backward"),
    ("--forward without an input", "--forward", None, r"--forward needs an input"),
    ("--forward of an unknown input", "--forward x9 f at 3, -4", None, r"no such input; the inputs are x1, x2"),
    ("--reverse of an unknown output", "--reverse=y3 two at 3", None, r"no such output; f's outputs are y1 … y2"),
    ("--reverse of two outputs", "--reverse two at 3", None, r"choose one, e\.g\. --reverse=y1"),
    ("both sweeps", "--forward x1 --reverse f at 3, -4", None, r"choose one sweep"),
    ("both views", "--graph --explore f at 3, -4", None, r"choose one view"),
    ("--graph with a value", "--graph=yes f at 3, -4", None, r"--graph takes no value"),
    ("options after the expression", "f at 3, -4 --reverse", None, r"options go before the expression"),
    ("values that do not parse", "x1 * 2 at x1=", None, r"x1 has no value: write a number after '='"),
    ("values with a star", "f at *[3, -4]", None, r"cannot read the input values"),
    ("a value that fails", "x1 * 2 at x1=undefined_name", None, r"cannot evaluate the value of x1: NameError"),
    ("a boolean value", "x1 * 2 at x1=True", None, r"x1 = True is a boolean, not a number"),
    ("a string value", "x1 * 2 at x1='three'", None, r"is not a number but a string: write the number without quotes"),
    ("positional values for an expression", "x1 * 2 at 3", None, r"name the inputs, e\.g\."),
    ("a syntax error", "x1 * * 2 at x1=3", None, r"syntax error in"),
    ("two statements", "x1 = 2 at x1=3", None, r"%trace takes an expression, not an assignment"),
    ("an unknown name", "x1 * z at x1=3", None, r"unknown name 'z': give it a value after 'at'"),
    ("math.log of an input", "math.log(x1) at x1=3", None, r"would drop its derivative"),
    ("a function short of an argument", "f at 3", None, r"missing a required argument: 'x2'"),
    ("a function with an unknown keyword", "f at 3, -4, x3=4", None, r"unexpected keyword argument 'x3'"),
    ("integer-only expression", "x1 > 0 at x1=3", None, None),
    ("a cell without at", "x1=3", "x1 * 2", r"write the inputs on the %%trace line"),
    ("a cell without an output", "at x1=3", "v = x1 * 2", r"end the cell with an expression"),
    ("a cell syntax error", "at x1=3", "v = x1 *\nv", r"line 2 of the cell"),
    ("a cell error", "at x1=3", "v = x1 * 2\nw = v + z\nw", r"unknown name 'z'.*line 3 of the cell"),
]


@pytest.mark.parametrize("line, cell, expect", [case[1:] for case in MAGICS], ids=[case[0] for case in MAGICS])
def test_trace_magic_misuse(shell, line, cell, expect):
    start = time.perf_counter()
    if callable(expect):
        result = shell.run_line_magic("trace", line) if cell is None else shell.run_cell_magic("trace", line, cell)
        assert expect(result), result
    elif expect is None:  # a comparison: a trace whose output is a constant
        result = shell.run_line_magic("trace", line)
        assert isinstance(result, adlab.Trace)
    else:
        with pytest.raises(UsageError, match=expect):
            shell.run_line_magic("trace", line) if cell is None else shell.run_cell_magic("trace", line, cell)
    assert time.perf_counter() - start < 5.0  # refused or done at once, never a hang


def outcomes():
    counts = {"right result": 0, "clear error": 0}
    for _, _, expect in CASES:
        counts[expect.outcome] += 1
    for _, _, _, expect in MAGICS:
        counts["clear error" if isinstance(expect, str) else "right result"] += 1
    return counts


def test_battery_size():
    assert len({case[0] for case in CASES + MAGICS}) == len(CASES) + len(MAGICS)  # every row distinct
    assert sum(outcomes().values()) >= 200
