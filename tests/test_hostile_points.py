"""Every primitive at hostile points, through the engine, adlab.compiled and the codegen programs.

The engine's rules (adlab/core/rules.py) are the one definition of every derivative: adlab.compiled
stages the engine's own computation (adlab.staging), and codegen's readable templates
(adlab.codegen.TEMPLATES, Lesson 6's teaching view) are checked against them here. Inside every domain
tests/test_codegen.py and tests/test_compiled.py compare them; here they must agree where the arithmetic
is awkward: negative bases, zeros (signed too), ties of max and min, ±inf, nan, overflow, empty arrays
and float32.

"Agree" means: the same structure, shapes and dtypes, nan in the same places, inf of the same sign in
the same places, other values equal to rounding, and never a complex number for real inputs. Each
point goes through:

* the engine: ``adlab.jvp``, ``adlab.vjp`` and, for a scalar output, ``adlab.value_and_grad`` (the
  reference);
* ``adlab.compiled`` of the same three, traced at the point itself (the first call traces, the second
  runs the cached program), and a program traced at an ordinary point first, then run at the hostile
  one, and the other way round (a program traced at a hostile point must be right elsewhere);
* the codegen programs ``tangent_program(f, *args)`` and ``adjoint_program(f, *args)`` built at the
  point, as tests/test_codegen.py builds them.

Where a path cannot be compared, the case says why (the ``codegen`` reasons below: primitives with no
codegen template, and a Python float that codegen's NumPy call makes an np.float64 beside float32);
max, min and logsumexp of an empty array have no value, and every path raises NumPy's ValueError.
"""

import math
import warnings

import numpy as np
import pytest

import adlab
import adlab.numpy as anp
from adlab.codegen import adjoint_program, tangent_program
from adlab.core import rules

# NumPy warns at these points (divide by zero, invalid value); adlab.compiled never falls back to the engine
# here (a CompiledFallbackWarning fails the test).
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"),
              pytest.mark.filterwarnings("error::adlab.compiler.CompiledFallbackWarning")]

inf, nan = math.inf, math.nan

# -- what "agree" means ------------------------------------------------------------------------------


def assert_agree(mine, theirs, where):
    """Same structure, dtype, shape, nan and ±inf pattern; finite values equal to rounding; not complex."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(mine, (tuple, list)) and len(mine) == len(theirs), \
            f"{where}: structure {mine!r} vs {theirs!r}"
        for k, (a, b) in enumerate(zip(mine, theirs)):
            assert_agree(a, b, f"{where}[{k}]")
        return
    a, b = np.asarray(mine), np.asarray(theirs)
    assert not np.iscomplexobj(a), f"{where}: a complex number {mine!r} for real inputs (reference {theirs!r})"
    assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} vs {b.dtype} ({mine!r} vs {theirs!r})"
    assert a.shape == b.shape, f"{where}: shape {a.shape} vs {b.shape}"
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{where}: nan pattern {mine!r} vs {theirs!r}"
    assert np.array_equal(np.isposinf(a), np.isposinf(b)) and np.array_equal(np.isneginf(a), np.isneginf(b)), \
        f"{where}: inf pattern {mine!r} vs {theirs!r}"
    finite = np.isfinite(b)
    rtol = 1e-6 if b.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(a[finite], b[finite], rtol=rtol, atol=rtol * 1e-3, err_msg=where)


def ones_like(x):
    """A tangent or cotangent of ones shaped and typed like x (1.0 for a Python float)."""
    if type(x) is float:
        return 1.0
    return np.ones_like(x) if isinstance(x, np.ndarray) else type(x)(1)


def as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)


def engine_results(f, args):
    tangents = tuple(ones_like(x) for x in args)
    out, out_tangent = adlab.jvp(f, args, tangents)
    cotangent = ones_like(out)
    _, pullback = adlab.vjp(f, *args)
    results = {"jvp": (out, out_tangent), "vjp": (out, as_tuple(pullback(cotangent)))}
    if np.shape(out) == ():
        results["value_and_grad"] = adlab.value_and_grad(f, argnums=tuple(range(len(args))))(*args)
    return results, tangents, cotangent


def compiled_results(transforms, f, args, tangents, cotangent, wanted):
    jvp, vjp, value_and_grad = transforms
    results = {"jvp": jvp(f, args, tangents)}
    out, pullback = vjp(f, *args)
    results["vjp"] = (out, as_tuple(pullback(cotangent)))
    if "value_and_grad" in wanted:
        results["value_and_grad"] = value_and_grad(*args)
    return results


def fresh_compiled(f, n):
    return (adlab.compiled(adlab.jvp), adlab.compiled(adlab.vjp),
            adlab.compiled(adlab.value_and_grad(f, argnums=tuple(range(n)))))


def check_point(f, args, ordinary, codegen=None):
    """f at args through every path, against the engine; `ordinary` is a point of the same types and
    shapes inside every domain. codegen: None to compare the codegen programs, or why they cannot be."""
    label = f"at {args!r}"
    expected, tangents, cotangent = engine_results(f, args)
    # compiled, traced at the point: the first call traces, the second runs what the first cached
    transforms = fresh_compiled(f, len(args))
    for call in ("first", "second"):
        got = compiled_results(transforms, f, args, tangents, cotangent, expected)
        for kind, value in expected.items():
            assert_agree(got[kind], value, f"compiled {kind} {label} ({call} call)")
    # ... and the same program at the ordinary point: a program traced at a hostile point is right elsewhere
    ordinary_expected, ordinary_tangents, ordinary_cotangent = engine_results(f, ordinary)
    got = compiled_results(transforms, f, ordinary, ordinary_tangents, ordinary_cotangent, ordinary_expected)
    for kind, value in ordinary_expected.items():
        assert_agree(got[kind], value, f"compiled {kind} at {ordinary!r}, traced {label}")
    # compiled, traced at the ordinary point, then run at the hostile one
    transforms = fresh_compiled(f, len(args))
    compiled_results(transforms, f, ordinary, ordinary_tangents, ordinary_cotangent, ordinary_expected)
    got = compiled_results(transforms, f, args, tangents, cotangent, expected)
    for kind, value in expected.items():
        assert_agree(got[kind], value, f"compiled {kind} {label}, traced at {ordinary!r}")
    if codegen is not None:
        return
    out, out_tangent = expected["jvp"]
    assert_agree(tangent_program(f, *args)(*args, *tangents), (out, out_tangent), f"codegen tangent program {label}")
    value, bars = adjoint_program(f, *args)(*args, cotangent)
    assert_agree((value, bars), expected["vjp"], f"codegen adjoint program {label}")


def check_points(f, points, ordinary, codegen=None):
    for args in points:
        check_point(f, args, ordinary, codegen)


# -- elementwise primitives: Python floats one point at a time, and arrays of every point -----------------

UNARY_POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 2.0, 1000.0, -1000.0, inf, -inf, nan]

UNARY = {
    "negative": lambda x: -x,
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs,
    "clip": lambda x: np.clip(x, -1.0, 1.0),          # -1 and 1 are on the bounds: derivative 1 there
    "clip above only": lambda x: np.clip(x, None, 1.0),
    # power with one argument constant (codegen's "power by a constant", and the engine's shortcuts for it)
    "power by 2": lambda x: x ** 2, "power by 0.5": lambda x: x ** 0.5, "power by -1.0": lambda x: x ** -1.0,
    "power by 0.0": lambda x: x ** 0.0, "power by 1/3": lambda x: x ** (1 / 3),
    "2.0 to the power x": lambda x: 2.0 ** x, "0.0 to the power x": lambda x: 0.0 ** x,
    "-8.0 to the power x": lambda x: (-8.0) ** x,
    "stop_gradient": lambda x: x * adlab.stop_gradient(x),  # the identity, a constant to every derivative
}

BINARY_VALUES = [0.0, -0.0, 0.5, 1.0, -2.0, 3.0, inf, -inf, nan]
# x ** y: the points of the issue first, then every pair of the values above
POWER_PAIRS = [(-2.0, 2.0), (0.0, 0.0), (-8.0, 1 / 3), (-2.0, 0.5), (0.0, -1.0), (0.0, 0.5), (0.0, 2.0), (-2.0, 3.0),
               (-0.0, -1.0), (10.0, 400.0), (-10.0, 401.0), (0.5, -inf), (nan, 0.0), (1.0, nan), (-inf, 1 / 3)]
BINARY_PAIRS = [(x, y) for x in BINARY_VALUES for y in BINARY_VALUES]

BINARY = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y,
    "power": lambda x, y: x ** y,
    "maximum": np.maximum,   # ties (x == y, 0.0 and -0.0, inf and inf) split the gradient 0.5 / 0.5
    "minimum": np.minimum,
    "remainder": lambda x, y: x % y,
    "where": lambda x, y: np.where(x > y, x * y, y - x),  # the comparison is the path: nan compares False
    "where with an unsafe branch": lambda x, y: np.where(x > 0, np.sqrt(x), y),  # 0 · inf = nan: the double-where case
}

# remainder has no codegen template (tests/test_registry.py, NO_TEMPLATE): codegen raises CodegenError for it;
# adlab.compiled stages it like every primitive.
NO_CODEGEN = {"remainder": "no codegen template for remainder (NO_TEMPLATE in tests/test_registry.py)",
              "stop_gradient": "no codegen template for stop_gradient (NO_TEMPLATE in tests/test_registry.py)"}
# A Python float beside a float32 array: NumPy keeps float32 for a Python float but not for an np.float64.
# The engine computes np.sqrt(x) of a Python float with math.sqrt (a Python float), and so does
# adlab.compiled; a codegen program writes np.sqrt, whose np.float64 promotes the array: only its dtype differs.
PYTHON_FLOAT_INTO_NUMPY = {"where with an unsafe branch": "codegen's np.sqrt of a Python float is an np.float64, "
                                                          "which promotes the float32 array beside it"}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_primitive_at_python_floats(name):
    check_points(UNARY[name], [(x,) for x in UNARY_POINTS], (0.3,), NO_CODEGEN.get(name))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_primitive_at_python_floats(name):
    pairs = BINARY_PAIRS + (POWER_PAIRS if name == "power" else [])
    check_points(BINARY[name], pairs, (0.3, 0.7), NO_CODEGEN.get(name))


ELEMENTWISE_DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_primitive_at_float32_scalars(name):
    check_points(UNARY[name], [(np.float32(x),) for x in UNARY_POINTS], (np.float32(0.3),), NO_CODEGEN.get(name))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_primitive_at_float32_scalars(name):
    pairs = [(np.float32(x), np.float32(y)) for x, y in BINARY_PAIRS[::3] + (POWER_PAIRS if name == "power" else [])]
    check_points(BINARY[name], pairs, (np.float32(0.3), np.float32(0.7)), NO_CODEGEN.get(name))


@pytest.mark.parametrize("dtype", ELEMENTWISE_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_primitive_on_arrays(name, dtype):
    f, reason = UNARY[name], NO_CODEGEN.get(name)
    x = np.array(UNARY_POINTS, dtype=dtype)
    check_point(f, (x,), (np.full(x.shape, 0.3, dtype),), reason)
    check_point(f, (np.zeros(0, dtype),), (np.zeros(0, dtype),), reason)  # empty: empty results, the dtype kept
    summed = lambda x: np.sum(f(x))  # noqa: E731 - value_and_grad needs a scalar output
    check_point(summed, (x,), (np.full(x.shape, 0.3, dtype),), reason)
    check_point(summed, (np.zeros(0, dtype),), (np.zeros(0, dtype),), reason)


@pytest.mark.parametrize("dtype", ELEMENTWISE_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_primitive_on_arrays(name, dtype):
    f, reason = BINARY[name], NO_CODEGEN.get(name)
    pairs = BINARY_PAIRS + (POWER_PAIRS if name == "power" else [])
    x, y = (np.array(column, dtype=dtype) for column in zip(*pairs))
    ordinary = (np.full(x.shape, 0.3, dtype), np.full(x.shape, 0.7, dtype))
    check_point(f, (x, y), ordinary, reason)
    check_point(lambda x, y: np.sum(f(x, y)), (x, y), ordinary, reason)
    check_point(f, (np.zeros(0, dtype), np.zeros(0, dtype)), (np.zeros(0, dtype), np.zeros(0, dtype)), reason)
    # a hostile Python float against the array, on either side: its adjoint is summed back to one number
    for s in (0.0, -2.0, nan):
        check_point(lambda x, s: np.sum(f(x, s)), (x, s), (ordinary[0], 0.3), reason)
        mixed = PYTHON_FLOAT_INTO_NUMPY.get(name) if dtype == np.float32 else None
        check_point(lambda s, y: np.sum(f(s, y)), (s, y), (0.3, ordinary[1]), reason or mixed)


# -- the points, spelled out ------------------------------------------------------------------------


def test_power_follows_one_convention_everywhere():
    """Real inputs give real results (NumPy's and JAX's convention): nan where x ** y is not real, never complex."""
    f = lambda x, y: x ** y  # noqa: E731
    both = (0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # ∂f/∂y at a negative base is nan (ln x is not real), also at an integer y
        assert np.isnan(adlab.grad(f, argnums=1)(-2.0, 2.0))
        assert np.isnan(adjoint_program(f, -2.0, 2.0)(-2.0, 2.0)[1][1])
        assert np.isnan(adlab.compiled(adlab.grad(f, argnums=1))(-2.0, 2.0))
        # ∂f/∂x where y = 0 is 0 (x ** 0 = 1 for every x), at x = 0 too
        assert adlab.grad(f)(0.0, 0.0) == 0.0
        assert adjoint_program(f, 0.0, 0.0)(0.0, 0.0)[1][0] == 0.0
        assert adlab.compiled(adlab.grad(f))(0.0, 0.0) == 0.0
        # a fractional power of a negative base: nan, and no complex number is computed or cached
        grad = adlab.compiled(adlab.grad(f, argnums=both))
        for point in [(-8.0, 1 / 3), (-2.0, 0.5), (-8.0, 1 / 3), (2.0, 0.5), (-2.0, 0.5)]:
            mine, theirs = grad(*point), adlab.grad(f, argnums=both)(*point)
            assert_agree(mine, theirs, f"compiled grad at {point}")
        value, grads = adlab.compiled(adlab.value_and_grad(f))(-2.0, 0.5)
        assert not isinstance(value, complex) and np.isnan(value) and np.isnan(grads)


def test_the_three_power_rules_are_the_same_formulas():
    """The engine's, codegen's and the compiler's scalar rule, side by side at points where each case applies."""
    f = lambda x, y: x ** y  # noqa: E731
    for point, expected in [((0.0, 0.0), (1.0, (0.0, 0.0))), ((nan, 0.0), (1.0, (0.0, nan))),
                            ((0.0, 2.0), (0.0, (0.0, 0.0))), ((0.0, -1.0), (inf, (-inf, nan))),
                            ((-2.0, 2.0), (4.0, (-4.0, nan))), ((2.0, 3.0), (8.0, (12.0, 8.0 * math.log(2.0))))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            engine = adlab.value_and_grad(f, argnums=(0, 1))(*point)
            compiled = adlab.compiled(adlab.value_and_grad(f, argnums=(0, 1)))
            compiled(0.3, 0.7)  # the program is traced at an ordinary point, then run here
            generated = adjoint_program(f, 0.3, 0.7)(*point)
            for name, result in (("engine", engine), ("compiled", compiled(*point)), ("codegen", generated)):
                assert_agree(result, expected, f"{name} at {point}")


# -- reductions ------------------------------------------------------------------------------------------

REDUCTION_POINTS = [
    np.array([2.0, 1.0, 2.0]),             # a tie at the maximum: 0.5 each
    np.array([-inf, 0.0, -inf]),           # a tie at the minimum, at -inf
    np.array([inf, 1.0, inf]),
    np.array([nan, 1.0, 2.0]),             # max is nan: no entry equals it, so 0 / 0 = nan
    np.array([-inf, -inf, -inf]),          # logsumexp = -inf; exp(x - out) = exp(nan)
    np.array([0.0, -0.0, 0.0]),
]

REDUCTIONS = {
    "sum": lambda x: np.sum(x),
    "sum over an axis": lambda x: np.sum(np.reshape(x, (3, 1)) * x, axis=0),
    "max": lambda x: np.max(x),
    "min": lambda x: np.min(x),
    "max over an axis, kept": lambda x: np.max(np.reshape(x, (1, 3)), axis=1, keepdims=True),
    "logsumexp": lambda x: adlab.logsumexp(x),
    "prod": lambda x: np.prod(x),
    "mean": lambda x: np.mean(x),
}
# prod has no codegen template; compiled stages it like every primitive.
REDUCTION_NO_CODEGEN = {"prod": "no codegen template for prod (NO_TEMPLATE in tests/test_registry.py)"}
PROD_POINTS = [np.array([0.0, 2.0, 3.0]), np.array([0.0, 0.0, 3.0]), np.array([inf, 0.0, 1.0])]  # zeros: the partials


@pytest.mark.parametrize("dtype", ELEMENTWISE_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(name, dtype):
    f = REDUCTIONS[name]
    points = REDUCTION_POINTS + (PROD_POINTS if name == "prod" else [])
    ordinary = (np.array([0.3, -0.2, 0.7], dtype),)
    check_points(f, [(x.astype(dtype),) for x in points], ordinary, REDUCTION_NO_CODEGEN.get(name))


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min", "logsumexp"])
def test_reduction_of_an_empty_array(name):
    """sum and prod of nothing are 0 and 1 (gradient: empty); max, min and logsumexp have no value there,
    and every path raises NumPy's ValueError."""
    f, empty = REDUCTIONS[name], np.zeros(0)
    if name in ("sum", "prod", "mean"):
        check_point(f, (empty,), (empty,), REDUCTION_NO_CODEGEN.get(name))
        return
    for attempt in (lambda: adlab.grad(f)(empty), lambda: adlab.compiled(adlab.grad(f))(empty),
                    lambda: adlab.compiled(adlab.jvp)(f, (empty,), (empty,)),
                    lambda: tangent_program(f, empty), lambda: adjoint_program(f, empty)):
        with pytest.raises(ValueError, match="zero-size array"):
            attempt()


# -- linear algebra and structure -------------------------------------------------------------------------

HOSTILE_VECTOR = np.array([inf, 0.0, nan, -2.0])
HOSTILE_MATRIX = np.array([[0.0, inf], [-inf, 1.0], [nan, -0.0], [2.0, 0.0]])

STRUCTURAL = {  # name: (f, hostile args, reason codegen cannot be compared or None)
    "matmul 1-D @ 1-D": (lambda u, v: u @ v, (HOSTILE_VECTOR, np.array([0.0, 1.0, 1.0, inf])), None),
    "matmul 2-D @ 1-D": (lambda a, v: a @ v, (HOSTILE_MATRIX.T, HOSTILE_VECTOR), None),
    "matmul 1-D @ 2-D": (lambda v, a: v @ a, (HOSTILE_VECTOR, HOSTILE_MATRIX), None),
    "matmul 2-D @ 2-D": (lambda a, b: a @ b, (HOSTILE_MATRIX, HOSTILE_MATRIX.T), None),
    "matmul of empty": (lambda a, b: a @ b, (np.zeros((2, 0)), np.zeros((0, 3))), None),
    "outer": (lambda u, v: np.outer(u, v), (HOSTILE_VECTOR, np.array([0.0, inf])), None),
    "transpose": (lambda a: np.transpose(a) * 2.0, (HOSTILE_MATRIX,), None),
    "reshape": (lambda a: np.reshape(a, (2, 4)) * a[0, 0], (HOSTILE_MATRIX,), None),
    "reshape of empty": (lambda a: np.reshape(a, (0, 3)) * 2.0, (np.zeros((3, 0)),), None),
    "broadcast_to": (lambda v: np.broadcast_to(v, (2, 4)) * HOSTILE_VECTOR, (HOSTILE_VECTOR,), None),
    "concatenate": (lambda u, v: np.concatenate([u, v, u]) * 2.0, (HOSTILE_VECTOR, np.zeros(0)), None),
    "stack": (lambda u, v: np.stack([u, v]) * u, (HOSTILE_VECTOR, -HOSTILE_VECTOR), None),
    "getitem": (lambda v: v[1:] * v[0] + v[::-1][:3], (HOSTILE_VECTOR,), None),
    "getitem with an index array": (lambda v: v[np.array([0, 2, 0, 3])] * 2.0, (HOSTILE_VECTOR,), None),
    "getitem of nothing": (lambda v: v[2:2] * 2.0, (HOSTILE_VECTOR,), None),
    "scatter_add": (lambda v: anp.add_at(np.zeros(4), np.array([0, 0, 3]), v[:3] * 2.0), (HOSTILE_VECTOR,),
                    "no codegen template for scatter_add (NO_TEMPLATE in tests/test_registry.py)"),
    "set_at": (lambda v: anp.set_at(v * 2.0, 1, v[0] * v[2]), (HOSTILE_VECTOR,),
               "no codegen template for set_at (NO_TEMPLATE in tests/test_registry.py)"),
}


@pytest.mark.parametrize("dtype", ELEMENTWISE_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_and_linear_algebra(name, dtype):
    f, args, reason = STRUCTURAL[name]
    args = tuple(a.astype(dtype) for a in args)
    ordinary = tuple(np.full(a.shape, 0.3, dtype) for a in args)
    check_point(f, args, ordinary, reason)
    check_point(lambda *a: np.sum(f(*a)), args, ordinary, reason)


# -- coverage: every primitive of the registry is reached above ---------------------------------------------


def test_every_primitive_is_reached():
    functions = [(f, (0.3,)) for f in UNARY.values()] + [(f, (0.3, 0.7)) for f in BINARY.values()]
    functions += [(f, (np.array([0.3, -0.2, 0.7]),)) for f in REDUCTIONS.values()]
    functions += [(f, args) for f, args, _ in STRUCTURAL.values()]
    reached = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for f, args in functions:
            reached |= {row.op for row in adlab.trace(f, *args)}
        # the masks, signs and floors rules compute (rules.NOT_DIFFERENTIATED) are rows of a gradient's trace,
        # at points where they matter: ties, zeros, a zero exponent
        for f in UNARY.values():
            reached |= {row.op for row in adlab.trace(adlab.grad(f), 0.0)}
        for f in BINARY.values():
            reached |= {row.op for row in adlab.trace(adlab.grad(f, argnums=(0, 1)), 0.0, 0.0)}
        for f in REDUCTIONS.values():
            reached |= {row.op for row in adlab.trace(adlab.grad(lambda x: np.sum(f(x))), np.array([0.0, 0.0, 0.7]))}
    assert reached >= {prim.name for prim in rules.PRIMITIVES}, \
        f"not at a hostile point: {sorted({prim.name for prim in rules.PRIMITIVES} - reached)}"
