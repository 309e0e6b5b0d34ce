"""adlab.optimize, the pass on program text: statements reuse dead arrays, share repeated work, drop needless
broadcasts, and no value changes. Then compiled array programs (staged, adlab.staging, with the passes over the
program as data): bit for bit what the engine computes, in every mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlab
from adlab import compiler
from adlab.optimize import optimize as optimize_program
from adlab.optimize import value_type
from test_codegen import ARRAY_CASES

M, V = ((3, 4), np.dtype("float64")), ((4,), np.dtype("float64"))


def optimize(lines, types, keep=(), frozen_before=None):
    """The pass on statements whose inputs (every name in types) are arrays in C order."""
    return optimize_program(lines, types, keep, frozen_before, contiguous=types)


# -- the pass on statements ------------------------------------------------------------------------


def test_a_dead_result_takes_the_next_elementwise_result():
    out = optimize(["v1 = x @ w", "v2 = v1 + b", "v3 = np.tanh(v2)", "v4 = v3 * 2.0"],
                  {"x": M, "w": ((4, 4), M[1]), "b": V, "v1": M, "v2": M, "v3": M, "v4": M}, keep=["v4"])
    assert out == ["v1 = x @ w", "v2 = np.add(v1, b, out=v1)", "v3 = np.tanh(v2, out=v2)",
                   "v4 = np.multiply(v3, 2.0, out=v3)"]


def test_inputs_live_values_and_kept_outputs_are_never_written():
    types = {"x": M, "v1": M, "v2": M, "v3": M}
    assert optimize(["v1 = np.exp(x)"], types, keep=["v1"]) == ["v1 = np.exp(x)"]            # x is an input
    assert optimize(["v1 = np.exp(x)", "v2 = np.sin(v1)", "v3 = v1 * v2"], types, keep=["v3"])[1] == "v2 = np.sin(v1)"
    assert optimize(["v1 = np.exp(x)", "v2 = np.sin(v1)"], types, keep=["v1", "v2"])[1] == "v2 = np.sin(v1)"


def test_an_alias_keeps_the_array_alive():
    out = optimize(["v1 = np.exp(x)", "a = v1", "v2 = np.sin(v1)", "v3 = a * 2.0"],
                  {"x": M, "v1": M, "v2": M, "v3": M}, keep=["v2", "v3"])
    assert out[2] == "v2 = np.sin(v1)"


@pytest.mark.parametrize("view", ["v1.T", "np.reshape(v1, (4, 3))", "v1[0]", "np.broadcast_to(v1, (2, 3, 4))",
                                  "np.transpose(v1)"])
def test_an_array_seen_through_a_view_is_never_written(view):
    out = optimize(["v1 = np.exp(x)", f"v2 = {view}", "v3 = np.sin(v1)", "v4 = np.sum(v2) + v3"],
                  {"x": M, "v1": M, "v3": M}, keep=["v4"])
    assert out[2] == "v3 = np.sin(v1)"


def test_an_array_read_elsewhere_in_the_statement_is_not_overwritten_first():
    types = {"x": M, "v1": M, "v2": M}
    out = optimize(["v1 = np.exp(x)", "v2 = v1 * (1 - v1 ** 2)"], types, keep=["v2"])
    assert out[1] == "v2 = np.multiply(v1, 1 - v1 ** 2, out=v1)"
    out = optimize(["v1 = np.exp(x)", "v2 = np.square(v1) * v1"], types, keep=["v2"])
    assert out[1] == "v2 = np.multiply(np.square(v1), v1, out=v1)"


def test_shape_and_dtype_must_match_the_result():
    f32 = ((3, 4), np.dtype("float32"))
    assert optimize(["v1 = np.exp(x)", "v2 = v1 * 2.0"], {"x": f32, "v1": f32, "v2": f32}, keep=["v2"])[1] \
        == "v2 = np.multiply(v1, 2.0, out=v1)"  # a Python float keeps float32
    assert optimize(["v1 = np.exp(x)", "v2 = v1 * y"], {"x": f32, "v1": f32, "y": M, "v2": M}, keep=["v2"])[1] \
        == "v2 = v1 * y"  # float32 * float64 is float64
    assert optimize(["v1 = np.exp(y)", "v2 = v1 + x"], {"x": M, "y": V, "v1": V, "v2": M}, keep=["v2"])[1] \
        == "v2 = v1 + x"  # (4,) + (3, 4) is (3, 4)
    assert optimize(["v1 = np.sum(x)", "v2 = v1 * 2.0"], {"x": M, "v1": ((), M[1]), "v2": ((), M[1])},
                   keep=["v2"])[1] == "v2 = v1 * 2.0"  # NumPy scalars are not buffers


def test_a_pullbacks_residuals_stay_intact():
    lines = ["v1 = np.exp(x)", "v1_bar = g * v1", "x_bar = np.multiply(v1_bar, 2.0)"]
    types = {"x": M, "v1": M, "g": M}
    assert optimize(lines, types, keep=["x_bar"])[1] == "v1_bar = np.multiply(g, v1, out=v1)"
    assert optimize(lines, types, keep=["x_bar"], frozen_before=1)[1] == "v1_bar = g * v1"


def test_a_type_the_trace_contradicts_turns_the_statement_off():
    # The trace says v2 has shape (4,): the pass believes the trace, not its own inference.
    assert optimize(["v1 = np.exp(x)", "v2 = v1 * 2.0"], {"x": M, "v1": M, "v2": V}, keep=["v2"])[1] == "v2 = v1 * 2.0"


def test_a_repeated_expression_is_computed_once():
    types = {"x": M, "m": ((3, 1), M[1]), "g": M}
    out = optimize(["v1 = g * (x == m) / np.sum(x == m, axis=1, keepdims=True)"], types, keep=["v1"])
    assert out == ["v1 = g * (_s0 := (x == m)) / _s0.sum(axis=1, keepdims=True)"]
    # nested repeats share the outer expression only; calls with side effects are never shared
    out = optimize(["v1 = np.exp(x * 2.0 + 1.0) + (x * 2.0 + 1.0)"], {"x": M}, keep=["v1"])
    assert out == ["v1 = np.exp((_s0 := (x * 2.0 + 1.0))) + _s0"]
    assert optimize(["v1 = np.sum(g) + np.sum(g)", "v2 = f(x) + f(x)"], types, keep=["v1", "v2"]) \
        == ["v1 = g.sum() + g.sum()", "v2 = f(x) + f(x)"]


def test_reductions_of_arrays_call_the_method():
    types = {"x": M, "s": ((), M[1]), "u": None}
    out = optimize(["v1 = np.sum(x, axis=(0,))", "v2 = np.max(np.exp(x), axis=1, keepdims=True)",
                   "v3 = np.sum(s)", "v4 = np.sum(u)", "v5 = np.sum(x, axis=0, dtype=int)"], types,
                  keep=["v1", "v2", "v3", "v4", "v5"])
    assert out == ["v1 = x.sum(axis=(0,))", "v2 = np.exp(x).max(axis=1, keepdims=True)", "v3 = np.sum(s)",
                   "v4 = np.sum(u)", "v5 = np.sum(x, axis=0, dtype=int)"]


def test_a_broadcast_that_the_reading_operation_would_do_itself_is_dropped():
    types = {"x": M, "s": ((1, 4), M[1]), "g": float}
    lines = lambda use: ["t = np.broadcast_to(s, (3, 4))", "u = t", use]  # noqa: E731
    assert optimize(lines("v = x * u"), types, keep=["v"])[0] == "t = s"
    assert optimize(lines("v = x * np.broadcast_to(g, (3, 4))"), types, keep=["v"])[2] == "v = x * np.broadcast_to(g, (3, 4))"
    for use in ("v = np.sum(u)", "v = -u", "v = u @ x.T", "v = f(u)"):  # the shape would change, or is unknown
        assert optimize(lines(use), types, keep=["v"])[0] == "t = np.broadcast_to(s, (3, 4))", use
    assert optimize(lines("v = x * u"), types, keep=["v", "u"])[0] == "t = np.broadcast_to(s, (3, 4))"  # returned


def test_value_types():
    assert value_type(1.0) is float and value_type(np.float32(1)) == ((), np.dtype("float32"))
    assert value_type(np.zeros((2, 1))) == ((2, 1), np.dtype("float64")) and value_type("x") is None
    assert value_type(np.ma.zeros(3)) is None  # subclasses are not modelled


# -- compiled programs: bit for bit what the engine computes ----------------------------------------


def _engine(transformation):
    return transformation


def run_all_modes(f, args, cotangent_seed=0, transform=adlab.compiled):
    """value_and_grad, vjp (its pullback twice) and jvp, compiled (transform=_engine: on the engine); the
    inputs are checked unchanged."""
    copies = [np.copy(a) for a in args]
    argnums = tuple(range(len(args)))
    rng = np.random.default_rng(cotangent_seed)
    tangents = tuple(rng.standard_normal(np.shape(a)) for a in args)
    out, pullback = transform(adlab.vjp)(f, *args)
    cotangent = rng.standard_normal(np.shape(out)) if np.ndim(out) else 1.0
    first = pullback(cotangent)
    results = [out, first, pullback(cotangent), transform(adlab.jvp)(f, args, tangents)]
    if np.ndim(out) == 0:
        results.append(transform(adlab.value_and_grad(f, argnums))(*args))
    for a, copy in zip(args, copies):
        assert np.array_equal(a, copy), "a compiled program wrote into its input"
    assert all(np.array_equal(a, b) for a, b in zip(first, results[2])), "a pullback's second call differs"
    return results


def assert_identical(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
    else:
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_every_array_primitive_gives_the_engines_bits(name):
    f, args = ARRAY_CASES[name]
    args = tuple(np.asarray(a, dtype=float) if np.ndim(a) else a for a in args)
    assert_identical(run_all_modes(f, args), run_all_modes(f, args, transform=_engine))


UNARY = {"tanh": np.tanh, "sin": np.sin, "bell": lambda a: np.exp(-a * a), "square": lambda a: a ** 2,
         "neg": lambda a: -a, "sum0": lambda a: np.sum(a, axis=0) if np.ndim(a) == 2 else a,
         "max1": lambda a: np.max(a, axis=1, keepdims=True) if np.ndim(a) == 2 else a,
         "T.T": lambda a: a.T.T if np.ndim(a) == 2 else a, "row": lambda a: a[0] if np.ndim(a) == 2 else a,
         "reshape": lambda a: np.reshape(np.reshape(a, (-1,)), np.shape(a)),
         "broadcast": lambda a: np.broadcast_to(a, (3, 4)) if np.ndim(a) < 2 else a}
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "ratio": lambda a, b: a / (1.0 + b * b),
          "matmul": lambda a, b: a @ np.ones((np.shape(a)[-1], 4)) * 0.1 + b if np.ndim(a) else a * b}


def random_program(steps):
    """f(x, y, s): each step applies an operation to values computed before (some of them many times)."""

    def f(x, y, s):
        pool = [x, y, s]
        for op, i, j in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            pool.append(UNARY[op](a) if op in UNARY else BINARY[op](a, b))
        return sum(np.sum(v) for v in pool[::2]) + np.sum(pool[-1] ** 2)

    return f


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 30),
                                st.integers(0, 30)), min_size=1, max_size=14),
       seed=st.integers(0, 2**16))
def test_random_array_programs_give_the_engines_bits(steps, seed):
    rng = np.random.default_rng(seed)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4), 0.7)
    f = random_program(steps)
    assert_identical(run_all_modes(f, args), run_all_modes(f, args, transform=_engine))


def test_the_mlp_program_writes_in_place_and_matches_the_engine():
    rng = np.random.default_rng(0)
    W1, b1, W2, X = rng.standard_normal((5, 8)), rng.standard_normal(8), rng.standard_normal((8, 3)), rng.standard_normal((6, 5))

    def loss(W1, b1, W2, X):
        h = np.tanh(X @ W1 + b1)
        z = h @ W2
        return np.sum(np.max(z, axis=1) + np.log(np.sum(np.exp(z - np.max(z, axis=1, keepdims=True)), axis=1)))

    compiled = adlab.compiled(adlab.value_and_grad(loss, argnums=(0, 1, 2)))
    result = compiled(W1, b1, W2, X)
    assert_identical(result, adlab.value_and_grad(loss, argnums=(0, 1, 2))(W1, b1, W2, X))
    source = _program_source(compiled)
    assert "np_tanh(v5, out=v5)" in source  # tanh written into its argument, which nothing reads later
    assert_identical(compiled(W1, b1, W2, X), result)  # a second call: nothing the first one wrote leaks into it


def _program_source(transformed):
    cache = next(c.cell_contents for c in transformed.__closure__ if isinstance(c.cell_contents, compiler._Compiled))
    return str(next(iter(cache.entries.values())).programs[0])


def test_a_view_kept_under_a_name_protects_its_base():
    def f(x):
        h = x * 2.0 + 1.0       # not needed by the reverse sweep: dead after its last read
        row = h[0]              # a view of h, read at the end
        scaled = h * 3.0        # h's last read: the one place it could be overwritten
        return np.sum(row * scaled)

    x = np.arange(12.0).reshape(3, 4) / 10
    run_all_modes(f, (x,))
    np.testing.assert_allclose(adlab.compiled(adlab.grad(f))(x), adlab.grad(f)(x), rtol=1e-14)
    np.testing.assert_allclose(adlab.compiled(adlab.value_and_grad(f))(x)[0], f(x), rtol=1e-14)


def test_an_output_the_reverse_sweep_also_reads_is_returned_intact():
    def f(W, x):
        h = np.tanh(x @ W)          # tanh's adjoint reads h: (1 - h²) could be written into it
        return np.sum(h ** 2), {"h": h}

    rng = np.random.default_rng(3)
    W, x = rng.standard_normal((4, 5)), rng.standard_normal((2, 4))
    (value, aux), grads = adlab.compiled(adlab.value_and_grad(f, argnums=(0, 1), has_aux=True))(W, x)
    np.testing.assert_array_equal(aux["h"], np.tanh(x @ W))
    engine = adlab.value_and_grad(f, argnums=(0, 1), has_aux=True)(W, x)
    for mine, theirs in zip(grads, engine[1]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13)


def test_arrays_not_in_c_order_are_not_written_into():
    """Written into a column-ordered array, `sin(x) + y` would keep that layout where NumPy gives a
    row-ordered result, and the sum after it would add in another order (found by a review)."""
    def f(x, y):
        h = np.sin(x) + y
        return np.sum(np.sum(h * h, axis=0))

    def g(x, y):
        return np.sum((x.T * 2.0 + y.T) ** 2)

    rng = np.random.default_rng(1)
    x, y = np.asfortranarray(rng.standard_normal((40, 30))), rng.standard_normal((40, 30))
    for function in (f, g):
        for args in ((x, y), (np.ascontiguousarray(x), y)):  # one signature each: the layout is in the key
            assert_identical(run_all_modes(function, args), run_all_modes(function, args, transform=_engine))


def test_a_type_the_program_computes_differently_from_the_trace_is_left_alone():
    def f(x, s):  # x float32, s a Python float: |s| must stay a Python float, or x + |s| is float64
        z = x * 2.0 + np.abs(s)
        return np.sum(z * z)

    x, s = np.linspace(-1, 1, 5, dtype=np.float32), 0.3
    value, grads = adlab.compiled(adlab.value_and_grad(f, (0, 1)))(x, s)
    engine = adlab.value_and_grad(f, (0, 1))(x, s)
    assert value.dtype == engine[0].dtype and value == engine[0]
    assert_identical(grads, engine[1])
