"""adlab.codegen: the generated tangent and adjoint programs compile and give the engine's numbers."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlab
from adlab.codegen import TEMPLATES, CodegenError, adjoint_program, tangent_program
from scalar_cases import SCALAR_CASES


def seed_example(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


def engine_jvp(f, args, tangents):
    return adlab.jvp(f, tuple(args), tuple(tangents))


def engine_vjp(f, args, cotangent):
    out, pullback = adlab.vjp(f, *args)
    grads = pullback(cotangent)
    return out, grads if isinstance(grads, tuple) else (grads,)


def assert_matches_engine(f, *args, seed=0):
    """Both generated programs against adlab.jvp / adlab.vjp, along random directions."""
    rng = np.random.default_rng(seed)
    tangents = [float(rng.standard_normal()) if np.ndim(x) == 0 else rng.standard_normal(np.shape(x)) for x in args]
    out, out_tangent = engine_jvp(f, args, tangents)
    value, value_tangent = tangent_program(f, *args)(*args, *tangents)
    np.testing.assert_allclose(value, out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(value_tangent, out_tangent, rtol=1e-10, atol=1e-12)
    cotangent = float(rng.standard_normal()) if np.ndim(out) == 0 else rng.standard_normal(np.shape(out))
    _, grads = engine_vjp(f, args, cotangent)
    value, adjoints = adjoint_program(f, *args)(*args, cotangent)
    np.testing.assert_allclose(value, out, rtol=1e-12, atol=1e-12)
    assert len(adjoints) == len(grads)
    for mine, theirs in zip(adjoints, grads):
        assert np.shape(mine) == np.shape(theirs)
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


# -- the seed's worked example -----------------------------------------------------------


def test_seed_tangent_program_gives_table_2():
    code = tangent_program(seed_example, 3.0, -4.0)
    y, y_dot = code(3.0, -4.0, 0.0, 1.0)
    assert y == pytest.approx(-17.0986, abs=5e-5) and y_dot == 4.0  # the notes print ẏ = −4 (errata)
    assert code(3.0, -4.0, 1.0, 0.0)[1] == pytest.approx(-4 - 1 / 3)


def test_seed_adjoint_program_gives_table_3():
    y, (x1_bar, x2_bar) = adjoint_program(seed_example, 3.0, -4.0)(3.0, -4.0)
    assert y == pytest.approx(-17.0986, abs=5e-5)
    assert x1_bar == pytest.approx(-4.3333, abs=5e-5) and x2_bar == 4.0


def test_seed_programs_read_like_the_tables():
    tangent = tangent_program(seed_example, 3.0, -4.0).source
    assert "def seed_example_tangent(v_m1, v0, v_m1_dot, v0_dot):" in tangent
    assert "    v1 = v_m1 * v0\n    v1_dot = v_m1_dot * v0 + v_m1 * v0_dot\n" in tangent
    assert "    v3_dot = v_m1_dot / v_m1\n" in tangent
    assert tangent.rstrip().endswith("return v4, v4_dot")
    adjoint = adjoint_program(seed_example, 3.0, -4.0).source
    assert "def seed_example_adjoint(v_m1, v0, y_bar=1.0):" in adjoint
    forward, reverse = adjoint.split("# forward sweep")[1].split("# reverse sweep")
    assert "v4 = v2 - v3" in forward and "_bar" not in forward
    # one statement per use: v_{-1} is used twice (by v1 and v3), so two contributions, in sweep order
    assert reverse.index("v_m1_bar += v3_bar / v_m1") < reverse.index("v_m1_bar += v1_bar * v0")
    assert "v0_bar += v2_bar" in reverse and "v0_bar += v_m1 * v1_bar" in reverse
    assert "v3_bar -= v4_bar" in reverse


def test_generated_code_is_plain_numpy_and_inspectable():
    code = adjoint_program(seed_example, 3.0, -4.0)
    assert "adlab" not in code.source
    assert inspect.getsource(code.function) == code.source
    assert code._repr_markdown_().startswith("```python\n")
    assert "&gt;" not in code._repr_html_() and "<pre><code" in code._repr_html_()


def test_a_trace_or_a_function_and_arguments():
    trace = adlab.trace(seed_example, 3.0, -4.0)
    assert tangent_program(trace).source == tangent_program(seed_example, 3.0, -4.0).source
    with pytest.raises(TypeError, match="either a trace or a function"):
        tangent_program(trace, 3.0)


# -- every scalar primitive ------------------------------------------------------------------


def test_every_elementwise_template_has_a_case():
    elementwise = {name.split(" ")[0] for name, template in TEMPLATES.items() if template.elementwise}
    # "power by a constant" (x ** 2) is power's: see the constants case below; stop_gradient has its own test (SymPy
    # shares SCALAR_CASES and has no stop_gradient)
    assert elementwise == set(SCALAR_CASES) | {"stop_gradient"}


def test_stop_gradient_passes_the_value_and_no_derivative_in_both_programs():
    def f(x, y):
        return adlab.stop_gradient(x * y) * x + y

    tangent, adjoint = tangent_program(f, 2.0, 3.0), adjoint_program(f, 2.0, 3.0)
    assert "v2_dot = 0.0" in tangent.source and "v1_bar += v2_bar" not in adjoint.source
    assert tangent(2.0, 3.0, 1.0, 0.0) == (15.0, 6.0) and tangent(2.0, 3.0, 0.0, 1.0) == (15.0, 1.0)
    y, bars = adjoint(2.0, 3.0)
    assert (y, bars) == (15.0, tuple(adlab.grad(f, argnums=(0, 1))(2.0, 3.0))) == (15.0, (6.0, 1.0))


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_primitive(name):
    f, args = SCALAR_CASES[name]
    assert name in [row.op for row in adlab.trace(f, *args)]
    assert_matches_engine(f, *args)


@pytest.mark.parametrize("f, args", [
    (lambda x: np.abs(x), (0.0,)),                 # abs'(0) = 0
    (lambda x, y: np.maximum(x, y), (0.5, 0.5)),   # ties split 0.5 / 0.5
    (lambda x, y: np.minimum(x, y), (0.5, 0.5)),
    (lambda x: np.clip(x, -1.0, 1.0), (3.0,)),     # outside the bounds: 0
    (lambda x: np.clip(x, None, 1.0), (0.5,)),
    (lambda x, y: x ** y, (2.0, 3.0)),
    (lambda x: x ** 2 - 3.0 * x + 1 / x - (-4.0) * x, (1.5,)),   # constants of both signs
], ids=["abs-at-0", "max-tie", "min-tie", "clip-outside", "clip-high-only", "power-both", "constants"])
def test_conventions_at_awkward_points(f, args):
    assert_matches_engine(f, *args)


def every_scalar_primitive(x, y):
    """One composition that uses each scalar primitive, its values kept inside every domain."""
    u = np.tanh(x * y + np.sin(x) - np.cos(y)) / (2.0 + np.cosh(x))       # in (-1, 1)
    v = np.sqrt(1.0 + x * x) + np.log(2.0 + np.sinh(u)) + np.log1p(u * u)
    w = np.arcsin(u / 2) + np.arccos(-u / 3) + np.arctan(v) + np.expm1(u) + np.exp(-v)
    z = np.maximum(w, u) - np.minimum(v, w) + np.abs(u - 0.1) + np.tan(u / 2) + v ** u
    return np.where(z > 0, z, -z) + np.clip(z, -1.0, 1.0)


def test_one_composition_of_every_scalar_primitive():
    ops = {row.op for row in adlab.trace(every_scalar_primitive, 0.7, -1.3)}
    assert set(SCALAR_CASES) <= ops
    assert_matches_engine(every_scalar_primitive, 0.7, -1.3)


@settings(max_examples=40, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2))
def test_generated_code_matches_the_engine_anywhere(x, y):
    assert_matches_engine(every_scalar_primitive, x, y)


def logistic(x):
    for _ in range(10):
        x = 4 * x * (1 - x)
    return x


def test_a_loop_unrolls_into_straight_line_code():
    code = tangent_program(logistic, 0.3)
    assert "for " not in code.source and code.source.count("v_dot") == 0
    assert code.source.count("_dot = ") == 30
    assert_matches_engine(logistic, 0.3)


# -- array code --------------------------------------------------------------------------------

rng = np.random.default_rng(1)
W, x3, b2 = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(2)
A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 4))


def layer(W, x, b):
    return np.sum(np.tanh(W @ x + b))


def test_tanh_layer_emits_numpy_calls():
    source = adjoint_program(layer, W, x3, b2).source
    assert "v1 = v_m2 @ v_m1" in source and "np.tanh(v2)" in source
    assert "v_m2_bar += np.outer(v1_bar, v_m1)" in source and "v_m1_bar += v_m2.T @ v1_bar" in source
    assert_matches_engine(layer, W, x3, b2)


ARRAY_CASES = {
    "matmul 2-D @ 2-D": (lambda a, b: np.sum(np.sin(a @ b)), (A, B)),
    "matmul 1-D @ 2-D": (lambda v, b: np.sum(np.sin(v @ b)), (x3, B)),
    "matmul 1-D @ 1-D": (lambda u, v: u @ v, (x3, A[0])),
    "outer": (lambda u, v: np.sum(np.outer(u, v) ** 2), (x3, b2)),
    "broadcasting": (lambda a, v, c: np.sum((a * v + c) ** 2), (B, B[0], 0.5)),
    "broadcast_to": (lambda v: np.sum(np.broadcast_to(v, (2, 3)) * A[:2]), (x3,)),
    "reductions": (lambda a: np.sum(np.max(a, axis=0) * np.min(a, axis=1)) + np.mean(a, axis=1, keepdims=True)[1, 0],
                   (A,)),
    "max with ties": (lambda v: np.max(v * 0.0 + 1.0) + np.max(np.stack([v[0], v[0]])), (x3,)),
    "logsumexp": (lambda v: adlab.log_softmax(v)[1] + adlab.logsumexp(A * v, axis=1)[0], (x3,)),
    "transpose and reshape": (lambda a: np.sum(a.T[0] * np.reshape(a, (12,))[:3]) + np.transpose(a[None], (2, 0, 1))[1, 0, 2],
                              (B,)),
    "getitem": (lambda v: v[0] * v[1] + np.sum(v[::2] ** 2) + v[-1], (x3,)),
    "index array with repeats": (lambda v: np.sum(v[np.array([0, 2, 0, 0])] ** 3), (x3,)),
    "stack and concatenate": (lambda u, v: np.sum(np.stack([u, 2 * u]) @ v) + np.sum(np.concatenate([u, v]) ** 2),
                              (x3, A[1])),
    "where and clip on arrays": (lambda v: np.sum(np.where(v > 0, v, 0.1 * v) + np.clip(v, -0.5, 0.5)), (x3,)),
}


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_code(name):
    f, args = ARRAY_CASES[name]
    assert_matches_engine(f, *args)


def test_array_output_and_several_outputs():
    assert_matches_engine(lambda v: np.sin(v) * v, x3)
    def two(u, v):
        return np.sum(u * v), u[0] - v[0]
    out = two(x3, A[0])
    tangent = tangent_program(two, x3, A[0])
    (y1, y2), (t1, t2) = tangent(x3, A[0], np.ones(3), np.zeros(3))
    assert (y1, y2) == pytest.approx(out)
    assert (t1, t2) == pytest.approx(adlab.jvp(two, (x3, A[0]), (np.ones(3), np.zeros(3)))[1])
    _, grads = adjoint_program(two, x3, A[0])(x3, A[0], 1.0, 2.0)
    expected = adlab.vjp(two, x3, A[0])[1]((1.0, 2.0))
    for mine, theirs in zip(grads, expected):
        np.testing.assert_allclose(mine, theirs)


def test_unused_input_and_constant_output_get_zeros():
    def f(x, unused):
        return x * 2.0, 3.0
    y, adjoints = adjoint_program(f, np.ones(2), np.ones(3))(np.ones(2), np.ones(3), np.ones(2), 1.0)
    assert y[1] == 3.0
    np.testing.assert_array_equal(adjoints[0], [2.0, 2.0])
    np.testing.assert_array_equal(adjoints[1], np.zeros(3))
    _, tangents = tangent_program(f, np.ones(2), np.ones(3))(np.ones(2), np.ones(3), np.ones(2), np.ones(3))
    assert tangents[1] == 0.0


def test_dead_code_is_left_out_of_the_reverse_sweep():
    def f(x):
        np.sin(x)  # computed, never used
        return x * x
    reverse = adjoint_program(f, 2.0).source.split("# reverse sweep")[1]
    assert "v1_bar" not in reverse and "v2_bar" in reverse


def test_caller_arrays_are_not_modified():
    cotangent = np.ones(3)
    y_bar = cotangent.copy()
    adjoint_program(lambda v: np.sin(v) * v, x3)(x3, y_bar)
    np.testing.assert_array_equal(y_bar, cotangent)


# -- what it cannot write ----------------------------------------------------------------------


def test_primitive_without_a_template_is_named():
    with pytest.raises(CodegenError, match="no source template for the primitive 'prod'"):
        adjoint_program(lambda v: np.prod(v), x3)


def test_batched_matmul_is_refused_in_one_sentence():
    stack = rng.standard_normal((2, 3, 3))
    with pytest.raises(CodegenError, match="1-D and 2-D arrays only"):
        tangent_program(lambda s: np.sum(s @ A), stack)


def test_generated_programs_leave_the_line_cache_when_freed():
    import gc
    import linecache

    before = len(linecache.cache)
    for _ in range(50):
        tangent_program(lambda v: v * np.sin(v), 1.0)
        adjoint_program(lambda v: v * np.sin(v), 1.0)
    gc.collect()
    assert len(linecache.cache) <= before


def test_a_program_refuses_inputs_where_f_takes_another_path():
    """The program is the traced path: where f's comparisons go the other way it says so, never a wrong tangent."""
    def folded(x):
        return x * x if x > 0 else -x

    tangent = tangent_program(folded, 1.0)
    assert tangent(2.0, 1.0) == (4.0, 4.0)
    with pytest.raises(ValueError, match="at these inputs its comparisons take another one"):
        tangent(-1.0, 1.0)
    with pytest.raises(ValueError, match="adjoint program follows the path"):
        adjoint_program(folded, 1.0)(-3.0)
    assert tangent_program(lambda x: x * x, 1.0).same_path is None  # no comparison: nothing to check
