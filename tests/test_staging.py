"""Staged programs (adlab.staging): the engine's own derivative computation, recorded and written as Python.

A staged program runs the primitives' own evaluations in the order the engine ran them, so it must give
the engine's results exactly: the same values bit for bit, the same types and dtypes, nan and inf where
the engine has them, at ordinary and hostile points, and at a point other than the one it was staged at
(the masks that rules compute are equations, recomputed at each call).
"""

import math

import numpy as np
import pytest

import adlab
from adlab import staging
from adlab.core import rules
from adlab.program import PathChanged
from scalar_cases import SCALAR_CASES
from test_codegen import ARRAY_CASES

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def assert_identical(mine, theirs, where=""):
    """Same structure, types, dtypes, shapes and bits (nan where nan)."""
    if isinstance(theirs, (tuple, list)):
        assert type(mine) is type(theirs) and len(mine) == len(theirs), f"{where}: {mine!r} vs {theirs!r}"
        for k, (a, b) in enumerate(zip(mine, theirs)):
            assert_identical(a, b, f"{where}[{k}]")
        return
    assert type(mine) is type(theirs), f"{where}: type {type(mine)} vs {type(theirs)}"
    a, b = np.asarray(mine), np.asarray(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    assert np.array_equal(a, b, equal_nan=True), f"{where}: {mine!r} vs {theirs!r}"


def staged_value_and_grad(f, args):
    argnums = tuple(range(len(args)))
    fun = adlab.value_and_grad(f, argnums)
    program = staging.stage(fun, *args)
    return program, fun


def run(program, args):
    leaves = [leaf for arg in args for leaf in adlab.core.tree.flatten(arg)[0]]
    return adlab.core.tree.unflatten(program.out_def, list(program(*leaves)))


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_value_and_grad_is_the_engines(name):
    f, args = SCALAR_CASES[name]
    program, fun = staged_value_and_grad(f, args)
    assert_identical(run(program, args), fun(*args), name)
    moved = tuple(x * 0.9 + 0.05 for x in args)  # another point on the same path
    try:
        assert_identical(run(program, moved), fun(*moved), name)
    except PathChanged:
        pass  # a guard saw another path: the program refuses rather than answers wrongly


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_value_and_grad_is_the_engines(name):
    f, args = ARRAY_CASES[name]
    if np.ndim(f(*args)) != 0:
        f = (lambda g: lambda *a: np.sum(g(*a)))(f)
    program, fun = staged_value_and_grad(f, args)
    assert_identical(run(program, args), fun(*args), name)


HOSTILE = {  # f, the point it is staged at, points it is then run at (same path: the masks differ)
    "power": (lambda x, y: x ** y, (2.0, 3.0), [(-2.0, 2.0), (0.0, 0.0), (-8.0, 1 / 3), (-2.0, 0.5), (0.0, 2.0)]),
    "maximum": (np.maximum, (1.0, 2.0), [(2.0, 2.0), (3.0, 2.0), (nan := math.nan, 1.0)]),
    "minimum": (np.minimum, (1.0, 2.0), [(2.0, 2.0), (3.0, 2.0)]),
    "abs": (np.abs, (1.0,), [(0.0,), (-0.0,), (-3.0,), (math.inf,)]),
    "remainder": (lambda x, y: x % y, (5.0, 3.0), [(-5.0, 3.0), (5.0, -3.0), (7.5, 2.5)]),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), (0.5,), [(1.0,), (-1.0,), (2.0,), (-3.0,)]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_masks_are_recomputed_at_each_call(name):
    f, point, others = HOSTILE[name]
    point = tuple(np.float64(x) for x in point)  # NumPy floats: the program runs the primitives' own evaluations
    program, fun = staged_value_and_grad(f, point)
    for other in others:
        other = tuple(np.float64(x) for x in other)
        try:
            assert_identical(run(program, other), fun(*other), f"{name} at {other}")
        except PathChanged:
            # only a choice a rule makes by Python's if (power's "any y = 0") may refuse the point;
            # staged at the point itself, the program must then agree
            again, _ = staged_value_and_grad(f, other)
            assert_identical(run(again, other), fun(*other), f"{name} staged at {other}")


def test_array_masks_are_equations_not_constants():
    f = lambda x, y: np.sum(np.maximum(x, y) * np.abs(x))
    x, y = np.array([1.0, -2.0, 3.0]), np.array([0.5, -2.0, 4.0])
    program, fun = staged_value_and_grad(f, (x, y))
    names = {equation.prim.name for equation in program.equations}
    assert {"greater", "equal", "indicator", "sign"} <= names
    assert not program.guards
    other = (np.array([-1.0, 5.0, 0.0]), np.array([-1.0, 2.0, 1.0]))
    assert_identical(run(program, other), fun(*other))


def test_python_control_flow_becomes_a_guard():
    def f(x):
        return x * x if x > 0 else 1.0 - x

    program, fun = staged_value_and_grad(f, (2.0,))
    assert len(program.guards) == 1
    assert_identical(run(program, (3.0,)), fun(3.0))
    with pytest.raises(PathChanged):
        run(program, (-1.0,))


def test_a_constant_output_has_a_literal_output():
    program, fun = staged_value_and_grad(lambda x: 3.0, (1.0,))
    assert_identical(run(program, (5.0,)), fun(5.0))


def test_nested_derivatives_are_staged_too():
    f = lambda x: np.sin(x) * x ** 3
    second = adlab.grad(adlab.grad(f))
    program = staging.stage(second, 0.7)
    for x in (0.7, -1.3, 2.0):
        assert_identical(run(program, (x,)), second(x))


def test_the_program_reads_as_python_calling_the_primitives():
    program, _ = staged_value_and_grad(lambda x, y: x * y + np.sin(x), (1.0, 2.0))
    source = str(program)
    assert source.startswith("def staged(v0, v1):") and "sin_float(v0)" in source and "cos_float(v0)" in source
    compile(source, "<test>", "exec")
    arrays, _ = staged_value_and_grad(lambda x, y: np.sum(x * y + np.sin(x)), (np.ones(2), np.ones(2)))
    assert "sin_impl(v0)" in str(arrays) and "cos_impl(v0)" in str(arrays)


def test_on_python_floats_a_domain_error_raises_for_the_engine_to_answer():
    program, fun = staged_value_and_grad(np.log, (2.0,))
    with pytest.raises(ValueError):
        run(program, (-1.0,))
    program, fun = staged_value_and_grad(np.log, (np.float64(2.0),))  # a NumPy float: NumPy's nan, as the engine
    assert_identical(run(program, (np.float64(-1.0),)), fun(np.float64(-1.0)))


def test_no_staged_value_outlives_the_staging():
    kept = []

    def f(x):
        kept.append(x)
        return x * 2.0

    staging.stage(adlab.grad(f), 1.0)
    with pytest.raises(Exception, match="escaped"):
        kept[0] * 3.0


def test_non_differentiated_primitives_have_no_derivative():
    for prim in rules.NOT_DIFFERENTIATED:
        assert prim.joint_jvp is not None and prim.joint_vjp is not None
    x = 0.3
    assert adlab.grad(lambda x: x * rules.sign(x))(x) == 1.0
    assert adlab.jvp(lambda x: x * rules.indicator(rules.greater(x, 0.0), dtype=float), (x,), (1.0,)) == (0.3, 1.0)
