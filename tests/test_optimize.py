"""Passes over staged programs as data (adlab.program_passes): literals folded, repeats shared, dead equations
dropped, results written into dead arrays; then compiled array programs, bit for bit what the engine computes in
every mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlab
from adlab import compiler, program_passes, staging
from adlab.core import rules
from adlab.program import PathChanged
from test_codegen import ARRAY_CASES

# -- the passes, on programs -----------------------------------------------------------------------


def program_of(f, *args):
    return staging.stage(f, *args)


def prims(program):
    return [equation.prim.name for equation in program.equations]


def test_an_equation_of_literals_is_computed_once_when_staged():
    program = program_passes.folded(program_of(lambda x: x * rules.sin(np.float64(0.5)), np.float64(2.0)))
    assert prims(program) == ["multiply"] and program(np.float64(3.0)) == (3.0 * np.sin(0.5),)


def test_a_repeated_equation_is_shared():
    program = program_passes.shared_repeats(program_of(lambda x: np.sin(x) + np.sin(x), np.ones(3)))
    assert prims(program) == ["sin", "add"]
    program = program_passes.shared_repeats(program_of(lambda x: x * 0.0 + x * -0.0, 1.0))  # -0.0 is not 0.0
    assert prims(program) == ["multiply", "multiply", "add"]


def test_dead_equations_go_but_what_a_guard_reads_stays():
    def f(x):
        unused = np.exp(x) * 3.0  # noqa: F841
        checked = np.cos(x)
        return np.sin(x) if checked > 0 else x

    program = program_passes.without_dead_equations(program_of(f, 0.5))
    assert prims(program) == ["cos", "sin"] and len(program.guards) == 1
    with pytest.raises(PathChanged):
        program(3.0)


def written(f, *args):
    program = program_passes.with_writes_into_dead_arrays(program_of(f, *args))
    return {repr(out): repr(into) for out, into in program.writes.items()}, program


def test_a_dead_result_takes_the_next_elementwise_result():
    writes, program = written(lambda x, b: np.sum(np.tanh(x * 2.0 + b)), np.ones((3, 4)), np.ones(4))
    assert writes == {"v3": "v2", "v4": "v3"}  # x * 2.0 is a new array; + b and tanh go into it
    assert "np_add(v2, v1, out=v2)" in str(program)


def test_inputs_outputs_and_arrays_read_later_are_never_written():
    writes, _ = written(lambda x: (np.tanh(x), np.exp(x)), np.ones(3))
    assert writes == {}  # x is an input; tanh(x) an output

    def f(x):
        s = np.sin(x)
        return np.sum((s + 1.0) * s)

    writes, _ = written(f, np.ones(3))
    assert writes == {"v3": "v2"}  # s + 1.0 is not written into s, read by the product; the product into s + 1.0


@pytest.mark.parametrize("view", [lambda h: h.T, lambda h: np.reshape(h, (4, 3)), lambda h: h[0],
                                  lambda h: np.broadcast_to(h, (2, 3, 4))])
def test_an_array_seen_through_a_view_is_never_written_while_the_view_is_read(view):
    def f(x):
        h = x * 2.0
        seen = view(h)
        later = np.exp(h)  # h's last direct read: writing into it would change `seen`
        return np.sum(seen) + np.sum(later)

    x = np.arange(12.0).reshape(3, 4)
    _, program = written(f, x)
    h = program.equations[0].out
    assert h not in program.writes.values()
    assert program(x)[0] == f(x)


def test_shape_dtype_and_order_must_match_the_result():
    writes, _ = written(lambda x, y: np.sum(np.tanh(x * 2.0) + y), np.ones(4), np.ones((3, 4)))
    assert writes == {"v3": "v2"}  # tanh into x * 2.0; their (4,) array cannot hold the (3, 4) sum
    writes, _ = written(lambda x: np.sum(np.tanh(x * 2.0)), np.asfortranarray(np.ones((3, 4))))
    assert writes == {}  # results in Fortran order are left alone


# -- compiled programs: bit for bit what the engine computes ----------------------------------------


def _engine(transformation):
    """The engine's own transformation: adlab.compiled's counterpart in run_all_modes."""
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
