"""adlab.compiled: generated derivative programs give the engine's results, on every path f takes."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlab
import adlab.numpy  # noqa: F401 - adlab.numpy.set_at
from adlab import compiler
from adlab.compiler import CompiledFallbackWarning
from scalar_cases import SCALAR_CASES
from test_codegen import ARRAY_CASES


def assert_same(mine, theirs, rtol=1e-12):
    """Equal structure, shapes and values (to rounding: the templates order a few products differently)."""
    if isinstance(theirs, (tuple, list)):
        assert type(mine) is type(theirs) and len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert_same(a, b, rtol)
    elif isinstance(theirs, dict):
        assert mine.keys() == theirs.keys()
        for k in theirs:
            assert_same(mine[k], theirs[k], rtol)
    else:
        assert np.shape(mine) == np.shape(theirs)
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-13)


def all_modes_match(f, *args, seed=0):
    """grad, value_and_grad, jvp and vjp, compiled and not, at args (argnums: every argument)."""
    argnums = tuple(range(len(args)))
    rng = np.random.default_rng(seed)
    tangents = tuple(float(rng.standard_normal()) if np.ndim(x) == 0 else rng.standard_normal(np.shape(x))
                     for x in args)
    out, out_tangent = adlab.jvp(f, args, tangents)
    assert_same(adlab.compiled(adlab.jvp)(f, args, tangents), (out, out_tangent))
    cotangent = 1.0 if np.ndim(out) == 0 else rng.standard_normal(np.shape(out))
    value, pullback = adlab.compiled(adlab.vjp)(f, *args)
    assert_same(value, out)
    assert_same(pullback(cotangent), adlab.vjp(f, *args)[1](cotangent))
    if np.ndim(out) == 0:
        assert_same(adlab.compiled(adlab.value_and_grad(f, argnums))(*args), adlab.value_and_grad(f, argnums)(*args))


# -- every primitive, scalars and arrays ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_primitive(name):
    f, args = SCALAR_CASES[name]
    all_modes_match(f, *args)


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_primitive(name):
    f, args = ARRAY_CASES[name]
    all_modes_match(f, *args)


def test_scalar_code_calls_the_engines_evaluations_on_floats():
    f = adlab.compiled(adlab.grad(lambda x: np.tanh(np.exp(x) * 0.5)))
    f(0.3)
    (program,) = next(iter(compiler_entries(f))).programs
    source = str(program)
    assert "exp_float(v0)" in source and "tanh_float(" in source and "np." not in source
    assert type(f(0.4)) is float


def compiler_entries(transformed):
    """The cache entries behind a compiled function (through the closure adlab.compiled made)."""
    cache = next(c.cell_contents for c in transformed.__closure__ if isinstance(c.cell_contents, compiler._Compiled))
    return cache.entries.values()


# -- paths: branches and loops -------------------------------------------------------------------


def branchy(x, y):
    z = x * y
    if z > 1.0:
        z = np.sin(z) * x
    else:
        z = np.exp(-z) + y
    while z < 3.0:  # the loop count depends on the values
        z = z * 1.5 + 0.25
    return z / y


def test_a_changed_branch_or_loop_count_is_traced_again():
    grad = adlab.compiled(adlab.grad(branchy, argnums=(0, 1)))
    points = [(0.5, 1.5), (2.0, 1.5), (0.5, 1.5), (0.1, 0.2), (2.0, 1.5), (0.6, 1.5)]
    for point in points:
        assert_same(grad(*point), adlab.grad(branchy, argnums=(0, 1))(*point))
    info = grad.cache_info()
    assert info["signatures"] == 1 and info["traces"] == 3 and info["path_changes"] == 2
    assert info["hits"] == 3 and info["engine_calls"] == 0


def test_a_mask_from_a_comparison_is_checked_too():
    def relu_sum(x):
        return np.sum(np.where(x > 0, x, 0.1 * x) ** 2)

    grad = adlab.compiled(adlab.grad(relu_sum))
    for x in (np.array([1.0, -2.0, 3.0]), np.array([1.0, -2.0, 4.0]), np.array([-1.0, 2.0, 3.0])):
        assert_same(grad(x), adlab.grad(relu_sum)(x))
    assert grad.cache_info()["traces"] == 2


def test_argsort_and_integer_arguments_are_part_of_the_path():
    def f(x, n):
        y = np.sort(x)
        for _ in range(n):
            y = np.tanh(y) * x
        return np.sum(y[:2])

    grad = adlab.compiled(adlab.grad(f))
    for x, n in ((np.array([3.0, 1.0, 2.0]), 2), (np.array([1.0, 3.0, 2.0]), 2), (np.array([3.0, 1.0, 2.0]), 3)):
        assert_same(grad(x, n), adlab.grad(f)(x, n))
    assert grad.cache_info()["signatures"] == 2  # n = 2 and n = 3


OPS = ["sin", "tanh", "scale", "add_x", "mul_y", "branch", "loop"]


def random_program(steps):
    """A function of (x, y) from a list of steps, some of them branches and loops on the values."""

    def f(x, y):
        v = x
        for op, c in steps:
            if op == "sin":
                v = np.sin(v)
            elif op == "tanh":
                v = np.tanh(v * c)
            elif op == "scale":
                v = v * c
            elif op == "add_x":
                v = v + x
            elif op == "mul_y":
                v = v * y
            elif op == "branch":
                v = np.cos(v) * y if v > c else v - x * c
            elif op == "loop":
                count = 0
                while v < c and count < 4:
                    v = v + 0.5 * np.tanh(x) + 0.3
                    count += 1
        return v * y

    return f


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.floats(-1.0, 1.0)), min_size=1, max_size=12),
       points=st.lists(st.tuples(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0)), min_size=2, max_size=5))
def test_random_programs_with_branches_and_loops(steps, points):
    f = random_program(steps)
    grad = adlab.compiled(adlab.value_and_grad(f, argnums=(0, 1)))
    jvp = adlab.compiled(adlab.jvp)
    for x, y in points + points[:1]:
        assert_same(grad(x, y), adlab.value_and_grad(f, argnums=(0, 1))(x, y), rtol=1e-10)
        assert_same(jvp(f, (x, y), (1.0, -0.5)), adlab.jvp(f, (x, y), (1.0, -0.5)), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(threshold=st.floats(-1.0, 1.0), seeds=st.lists(st.integers(0, 2**16), min_size=2, max_size=4))
def test_random_array_programs_with_masks(threshold, seeds):
    def f(W, x):
        h = np.tanh(x @ W)
        if np.sum(h) > threshold:
            h = np.where(h > 0, h, 0.0) * 2.0
        return np.sum(h ** 2) + np.max(h)

    grad = adlab.compiled(adlab.grad(f, argnums=(0, 1)))
    for seed in seeds:
        rng = np.random.default_rng(seed)
        W, x = rng.standard_normal((3, 4)), rng.standard_normal(3)
        assert_same(grad(W, x), adlab.grad(f, argnums=(0, 1))(W, x), rtol=1e-10)


# -- the API ----------------------------------------------------------------------------------------


def test_has_aux_argnums_and_containers():
    def loss(params, x, scale):
        h = np.tanh(x @ params["W"] + params["b"])
        return np.sum(h ** 2) * scale, {"h": h, "n": 3}

    params = {"W": np.ones((2, 3)) * 0.1, "b": np.arange(3.0)}
    x = np.array([0.5, -1.0])
    for transform in (adlab.grad, adlab.value_and_grad):
        for argnums in (0, (0, 1), (0, 2)):
            engine = transform(loss, argnums=argnums, has_aux=True)
            assert_same(adlab.compiled(engine)(params, x, 2.0), engine(params, x, 2.0))


def test_vjp_with_several_outputs_and_has_aux():
    def f(x, y):
        return (np.sin(x) * y, x + y), y * 2.0

    vjp = adlab.compiled(adlab.vjp)
    (out, pullback, aux), (out_e, pullback_e, aux_e) = vjp(f, 0.3, 1.2, has_aux=True), adlab.vjp(f, 0.3, 1.2, has_aux=True)
    assert_same((out, aux), (out_e, aux_e))
    assert_same(pullback((1.0, -2.0)), pullback_e((1.0, -2.0)))


def test_unused_input_constant_output_and_float32():
    f = lambda x, y: np.float32(2.0) * x  # noqa: E731
    x, y = np.ones(3, dtype=np.float32), np.ones(2, dtype=np.float32)
    assert_same(adlab.compiled(adlab.vjp)(f, x, y)[1](np.ones(3, np.float32)), adlab.vjp(f, x, y)[1](np.ones(3, np.float32)))
    g = adlab.compiled(adlab.grad(lambda x, y: np.sum(x * 2.0), argnums=(0, 1)))
    gx, gy = g(x, y)
    assert gx.dtype == np.float32 and np.array_equal(gy, np.zeros(2, np.float32))
    assert_same(adlab.compiled(adlab.jvp)(lambda x: 3.0, (1.0,), (1.0,)), adlab.jvp(lambda x: 3.0, (1.0,), (1.0,)))


def test_only_functions_are_accepted():
    with pytest.raises(TypeError, match="adlab.compiled takes a function"):
        adlab.compiled(3.0)


def _hvp_of(f):
    return lambda x, v: adlab.hvp(f, (x,), (v,))


def _bits(a, b):
    if isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_bits(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("make, args", [
    (lambda f: adlab.jacfwd(adlab.grad(f)), (np.array([0.3, -0.5, 0.8]),)),
    (lambda f: adlab.jacrev(adlab.grad(f)), (np.array([0.3, -0.5, 0.8]),)),
    (lambda f: adlab.hessian(f), (np.array([0.3, -0.5, 0.8]),)),
    (lambda f: adlab.jacrev(lambda x: np.tanh(x) * np.maximum(x, 0.1)), (np.array([0.3, -0.5, 0.8]),)),
    (_hvp_of, (np.array([0.3, -0.5, 0.8]), np.array([1.0, 2.0, -1.0]))),
    (lambda f: adlab.grad(adlab.grad(lambda s: np.sin(s) * s ** 3 * np.abs(s))), (0.7,)),
])
def test_any_composition_of_transformations_is_staged_whole(make, args):
    fun = make(lambda x: np.sum(np.tanh(x) ** 3 * x[0] * np.abs(x)))
    staged = adlab.compiled(fun)
    first, again = staged(*args), staged(*args)
    assert _bits(first, fun(*args)) and _bits(again, fun(*args))
    moved = tuple(a * 1.1 for a in args)  # the same path, and the masks (abs, maximum) recomputed
    assert _bits(staged(*moved), fun(*moved))
    info = staged.cache_info()
    assert info["programs"] == 1 and info["hits"] == 2 and info["engine_calls"] == 0


def test_errors_are_the_engines():
    grad = adlab.compiled(adlab.grad(lambda x: x * 2.0))
    with pytest.raises(TypeError, match="only float inputs"):
        grad(3)
    with pytest.raises(TypeError, match="return a scalar"):
        adlab.compiled(adlab.grad(lambda x: x * 2.0))(np.ones(2))


def test_inside_another_transformation_the_engine_runs():
    inner = adlab.compiled(adlab.grad(lambda x: np.sin(x) * x))
    assert_same(adlab.grad(inner)(0.7), adlab.grad(adlab.grad(lambda x: np.sin(x) * x))(0.7))
    assert inner.cache_info()["programs"] == 0


def test_domain_errors_of_math_fall_back_to_the_engine():
    grad = adlab.compiled(adlab.value_and_grad(lambda x: np.log(x) + np.sqrt(x)))
    grad(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mine, theirs = grad(-1.0), adlab.value_and_grad(lambda x: np.log(x) + np.sqrt(x))(-1.0)
    assert np.isnan(mine[0]) and np.isnan(theirs[0]) and type(mine[0]) is type(theirs[0])
    assert grad.cache_info()["engine_calls"] == 1


# -- what the engine computes is staged: custom primitives, checkpoints, updates, nested derivatives ---


@adlab.primitive
def softplus(x):
    return np.logaddexp(0.0, x)


softplus.defjvp(lambda t, out, x: t / (1 + np.exp(-x)))
softplus.defvjp(lambda g, out, x: g / (1 + np.exp(-x)))


@pytest.mark.parametrize("f", [
    lambda x: softplus(x) * 2.0,
    lambda x: adlab.checkpoint(lambda y: np.sin(y) * y)(x),
    lambda x: np.sum(adlab.numpy.set_at(np.zeros(3), 1, x) * 2.0),
    lambda x: adlab.grad(lambda y: np.sin(y) * x)(x),  # a derivative inside f
])
def test_whatever_the_engine_differentiates_is_staged(f):
    grad = adlab.compiled(adlab.grad(f))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompiledFallbackWarning)
        assert_same(grad(0.4), adlab.grad(f)(0.4))
        assert_same(grad(0.5), adlab.grad(f)(0.5))
    assert grad.cache_info()["programs"] == 1 and grad.cache_info()["hits"] == 1


def test_a_value_of_an_enclosing_transformation_runs_on_the_engine():
    def outer(y):
        inner = adlab.compiled(adlab.grad(lambda x: np.sin(x) * y))
        with pytest.warns(CompiledFallbackWarning, match="runs on the engine"):
            return inner(0.3)

    assert_same(adlab.grad(outer)(0.7), adlab.grad(lambda y: np.cos(0.3) * y)(0.7))


# -- the cache is bounded ---------------------------------------------------------------------------


def test_signatures_and_paths_are_bounded(monkeypatch):
    monkeypatch.setattr(compiler, "MAX_SIGNATURES", 4)
    monkeypatch.setattr(compiler, "MAX_PATHS", 3)
    grad = adlab.compiled(adlab.grad(lambda x: np.sum(np.sin(x))))
    for n in range(1, 10):
        grad(np.ones(n))
    info = grad.cache_info()
    assert info["signatures"] == 4 and info["evicted"] == 5

    def steps(x):  # a new loop count on every call
        while x < 100.0:
            x = x * 1.1 + 1.0
        return x

    grad = adlab.compiled(adlab.grad(steps))
    with pytest.warns(CompiledFallbackWarning, match="came out differently"):
        for start in range(10):
            assert_same(grad(float(start * 9)), adlab.grad(steps)(float(start * 9)))
    assert grad.cache_info()["programs"] == 0 and grad.cache_info()["engine_calls"] > 0


# -- long programs ----------------------------------------------------------


def test_long_programs_match_the_engine():
    def f(x, y):
        first = np.sin(x)
        v = x
        for k in range(600):
            v = np.tanh(v * 0.9 + y) if k % 3 else v * first
        return v + first * y

    all_modes_match(f, 0.4, -0.3)


# -- jacfwd of a one-element input: one plain sweep, the batched sweep's results ----------------------


@pytest.mark.parametrize("x", [0.5, np.float64(0.5), np.array([0.5]), np.array([[0.5]])])
def test_jacfwd_of_one_element_matches_jacrev(x):
    def f(x):
        return np.sin(x) * np.array([1.0, 2.0, 3.0]).reshape((3,) + (1,) * np.ndim(x)), np.sum(x) * 0.0 + 1.0

    forward, reverse = adlab.jacfwd(f)(x), adlab.jacrev(f)(x)
    for a, b in zip(forward, reverse):
        assert type(a) is np.ndarray and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-14)
    np.testing.assert_allclose(adlab.jacfwd(adlab.jacfwd(lambda x: f(x)[0]))(x),
                               adlab.jacrev(adlab.jacrev(lambda x: f(x)[0]))(x), rtol=1e-14)


def test_a_power_that_would_be_complex_falls_back_to_the_engine():
    f = lambda x, y: x ** y  # noqa: E731
    grad = adlab.compiled(adlab.value_and_grad(f, argnums=(0, 1)))
    assert_same(grad(2.0, 0.5), adlab.value_and_grad(f, argnums=(0, 1))(2.0, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, grads = grad(-2.0, 0.5)
    assert type(value) is not complex and np.isnan(value)


def test_a_zero_dimensional_adjoint_added_to_twice_stays_writable():
    def f(s):  # a[None] twice: the adjoint of a is written into, added to, and written into again
        a = s * 1.5
        return np.sum(a[None] * 2.0) + a * a + np.sum(a[None] * 3.0)

    assert_same(adlab.compiled(adlab.value_and_grad(f))(np.float64(0.5)), adlab.value_and_grad(f)(np.float64(0.5)))


# -- constant outputs, None, and arguments that are objects (the issue "One definition of every derivative") --


@pytest.mark.parametrize("make, args", [
    (lambda: adlab.grad(lambda x: 3.0), (1.0,)),
    (lambda: adlab.value_and_grad(lambda x: 2.0), (np.ones(3),)),
    (lambda: adlab.value_and_grad(lambda x: np.float64(2.0)), (np.ones(3),)),
    (lambda: adlab.value_and_grad(lambda x, y: np.float32(1.5), argnums=(0, 1)), (np.ones(2, np.float32), 1.0)),
    (lambda: adlab.grad(lambda x: (1.0, x * 2.0), has_aux=True), (1.0,)),
    (lambda: adlab.value_and_grad(lambda x: (0.5, {"x": x}), has_aux=True), (np.arange(3.0),)),
], ids=["grad", "value_and_grad-array", "numpy-scalar", "float32-argnums", "has_aux", "has_aux-array"])
def test_a_constant_output_gives_zero_gradients(make, args):
    grad = adlab.compiled(make())
    for _ in range(2):  # traced, then the cached program
        assert_same(grad(*args), make()(*args))


def test_the_constant_branch_of_a_piecewise_function():
    def f(x):
        return x * x if x > 0 else 1.0

    grad = adlab.compiled(adlab.grad(f))
    for x in (1.0, -1.0, 2.0, -3.0):
        assert_same(grad(x), adlab.grad(f)(x))
    assert grad.cache_info()["traces"] == 2 and grad.cache_info()["engine_calls"] == 0


@pytest.mark.parametrize("transform", [adlab.grad, adlab.value_and_grad])
def test_f_returning_none_gets_the_engines_sentence(transform):
    def f(x):
        x * 2.0  # no return

    with pytest.raises(TypeError) as engine:
        transform(f)(1.0)
    with pytest.raises(TypeError) as mine:
        adlab.compiled(transform(f))(1.0)
    assert str(mine.value) == str(engine.value) and "of_inputs" not in str(mine.value)
    assert "returned None" in str(mine.value)


def test_a_branch_returning_none_keeps_the_other_branchs_program():
    grad = adlab.compiled(adlab.grad(lambda x: x * x if x > 0 else None))
    assert grad(1.0) == 2.0
    with pytest.raises(TypeError, match="returned None"):
        grad(-1.0)
    assert grad(2.0) == 4.0 and grad.cache_info()["traces"] == 1 and grad.cache_info()["hits"] == 1


def test_jvp_and_vjp_of_none_and_a_str_in_aux_are_the_engines():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompiledFallbackWarning)
        assert adlab.compiled(adlab.jvp)(lambda x: None, (1.0,), (1.0,)) == adlab.jvp(lambda x: None, (1.0,), (1.0,))
        assert adlab.compiled(adlab.vjp)(lambda x: None, 1.0)[0] is None
        with pytest.raises(TypeError, match="^grad needs f to return a number"):
            adlab.compiled(adlab.grad(lambda x: "a"))(1.0)
    aux = adlab.compiled(adlab.grad(lambda x: (x * 2.0, "label"), has_aux=True))
    with pytest.warns(CompiledFallbackWarning, match="not real floats or arrays"):
        assert aux(1.0) == (2.0, "label")
    assert aux(2.0) == (2.0, "label") and aux.cache_info()["engine_calls"] == 2


class Model:
    """A plain object holding its parameters as attributes: the program reads them while f is traced."""

    def __init__(self, w, b):
        self.w, self.b = w, b
        self.activation = np.tanh

    def __call__(self, x):
        return np.sum(self.activation(x * self.w + self.b))


def test_an_object_argument_is_keyed_by_its_values_not_its_identity():
    def f(x, model):
        return model(x) * model.b

    grad = adlab.compiled(adlab.grad(f))
    model, x = Model(np.array([1.0, 2.0]), 0.5), np.array([0.3, -0.2])
    assert_same(grad(x, model), adlab.grad(f)(x, model))
    model.w = np.array([5.0, -1.0])                     # a new attribute value: a new trace, not the stale program
    assert_same(grad(x, model), adlab.grad(f)(x, model))
    model.w[0] = 7.0                                     # changed in place
    assert_same(grad(x, model), adlab.grad(f)(x, model))
    model.b = 2.0
    assert_same(grad(x, model), adlab.grad(f)(x, model))
    assert grad.cache_info()["traces"] == 4
    assert_same(grad(x, Model(np.array([7.0, -1.0]), 2.0)), adlab.grad(f)(x, model))  # equal values: the same program
    assert grad.cache_info()["traces"] == 4 and grad.cache_info()["hits"] == 1


def test_an_attribute_read_only_by_python_control_flow_is_part_of_the_key():
    class Config:
        squared = True

    def f(x, config):
        return x * x if config.squared else x * 3.0

    grad, config = adlab.compiled(adlab.grad(f)), Config()
    assert grad(2.0, config) == 4.0
    config.squared = False
    assert grad(2.0, config) == 3.0


def test_an_argument_with_no_value_to_key_by_runs_on_the_engine():
    rng = np.random.default_rng(0)  # its state is not in Python attributes: no key, so never a baked draw
    grad = adlab.compiled(adlab.grad(lambda x, rng: x * rng.standard_normal()))
    first, second = grad(1.0, rng), grad(1.0, rng)
    assert first != second and grad.cache_info()["programs"] == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_building_a_program_leaves_the_garbage_collector_as_it_was(enabled):
    """The build pauses Python's cyclic collector (a long trace would be rescanned again and again), and only that."""
    import gc

    seen = []
    f = adlab.compiled(adlab.grad(lambda x: (seen.append(gc.isenabled()), x * x)[1]))
    (gc.enable if enabled else gc.disable)()
    try:
        assert f(3.0) == 6.0 and f(4.0) == 8.0
        assert gc.isenabled() == enabled
        assert seen == [False]  # f ran once, while the program was built, with the collector paused
    finally:
        gc.enable()
