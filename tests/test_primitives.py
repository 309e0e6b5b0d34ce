"""Every primitive against finite differences, in both modes, to second order, on several shapes."""

import numpy as np
import pytest

import adlab.numpy as anp
from adlab.testing import check_grads

SHAPES = [(), (2,), (3, 2), (1, 2)]
PAIRS = [((), ()), ((2,), (2,)), ((3, 2), (3, 2)), ((3, 2), (1, 2)), ((1, 2), (3, 1)), ((), (3, 2)), ((2,), (3, 2))]


def values(shape, low=-2.0, high=2.0, seed=0, away_from=None):
    """Deterministic inputs in [low, high], kept 0.2 away from a kink or pole if asked."""
    rng = np.random.default_rng(seed + 7 * len(shape) + sum(shape))
    x = rng.uniform(low, high, size=shape)
    if away_from is not None:
        x = np.where(np.abs(x - away_from) < 0.2, away_from + 0.3, x)
    return float(x) if shape == () else x


UNARY = {
    "negative": (lambda x: -x, {}),
    "exp": (np.exp, {}),
    "log": (np.log, {"low": 0.3, "high": 3.0}),
    "log1p": (np.log1p, {"low": -0.5, "high": 3.0}),
    "expm1": (np.expm1, {}),
    "sqrt": (np.sqrt, {"low": 0.3, "high": 3.0}),
    "sin": (np.sin, {}),
    "cos": (np.cos, {}),
    "tan": (np.tan, {"low": -1.2, "high": 1.2}),
    "arcsin": (np.arcsin, {"low": -0.8, "high": 0.8}),
    "arccos": (np.arccos, {"low": -0.8, "high": 0.8}),
    "arctan": (np.arctan, {}),
    "sinh": (np.sinh, {}),
    "cosh": (np.cosh, {}),
    "tanh": (np.tanh, {}),
    "abs": (np.abs, {"away_from": 0.0}),
    "square": (np.square, {}),
    "reciprocal": (np.reciprocal, {"low": 0.5, "high": 2.0}),
    "power_const": (lambda x: x ** 3, {}),
    "power_fractional": (lambda x: x ** 2.5, {"low": 0.3, "high": 3.0}),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), {"away_from": 1.0}),
    "anp_tanh": (anp.tanh, {}),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, shape):
    f, domain = UNARY[name]
    x = values(shape, **domain)
    if name == "clip":
        x = values(shape, away_from=-1.0) if np.ndim(x) == 0 else np.where(np.abs(x + 1) < 0.2, -0.7, x)
    check_grads(f, (x,), order=2)


BINARY = {
    "add": (lambda x, y: x + y, {}, {}),
    "subtract": (lambda x, y: x - y, {}, {}),
    "multiply": (lambda x, y: x * y, {}, {}),
    "divide": (lambda x, y: x / y, {}, {"low": 0.5, "high": 2.0}),
    "power": (lambda x, y: x ** y, {"low": 0.5, "high": 2.0}, {}),
    "maximum": (np.maximum, {}, {"low": 3.0, "high": 4.0}),
    "minimum": (np.minimum, {}, {"low": 3.0, "high": 4.0}),
    "np_add": (np.add, {}, {}),
    "np_multiply": (np.multiply, {}, {}),
    "np_power": (np.power, {"low": 0.5, "high": 2.0}, {}),
}


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, shapes):
    f, x_domain, y_domain = BINARY[name]
    x, y = values(shapes[0], seed=1, **x_domain), values(shapes[1], seed=2, **y_domain)
    check_grads(f, (x, y), order=2)
    check_grads(f, (y if name not in ("divide", "power", "np_power") else x, x), order=2)


def test_maximum_and_minimum_interleaved():
    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.0, -2.0, 0.5])
    check_grads(np.maximum, (x, y), order=2)
    check_grads(np.minimum, (x, y), order=2)


def test_where():
    x, y = values((3, 2), seed=3), values((3, 2), seed=4)
    condition = x > 0
    check_grads(lambda a, b: np.where(condition, a * b, np.sin(b)), (x, y), order=2)
    check_grads(lambda a: np.where(condition, a, 2.0), (x,), order=2)


REDUCTIONS = {
    "sum": lambda x, **k: np.sum(x, **k),
    "mean": lambda x, **k: np.mean(x, **k),
    "prod": lambda x, **k: np.prod(x, **k),
    "max": lambda x, **k: np.max(x, **k),
    "min": lambda x, **k: np.min(x, **k),
    "logsumexp": lambda x, **k: anp.logsumexp(x, **k),
    "var": lambda x, **k: np.var(x, **k),
    "std": lambda x, **k: np.std(x, **k),
}


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name, axis, keepdims):
    x = values((3, 2), seed=5, low=0.5, high=2.0)
    check_grads(lambda a: REDUCTIONS[name](a, axis=axis, keepdims=keepdims), (x,), order=2)


@pytest.mark.parametrize("shape", [(), (2,)], ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "logsumexp"])
def test_reductions_of_small_shapes(name, shape):
    check_grads(REDUCTIONS[name], (values(shape, seed=6, low=0.5, high=2.0),), order=2)


def test_prod_with_a_zero():
    x = np.array([2.0, 0.0, 3.0])
    check_grads(np.prod, (x,), order=1)


def test_softmax_helpers():
    x = values((3, 4), seed=8)
    check_grads(lambda a: anp.softmax(a, axis=1), (x,), order=2)
    check_grads(lambda a: anp.log_softmax(a, axis=0), (x,), order=2)


MATRIX_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4))]


@pytest.mark.parametrize("shapes", MATRIX_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = values(shapes[0], seed=9), values(shapes[1], seed=10)
    check_grads(lambda x, y: x @ y, (a, b), order=2)
    check_grads(np.matmul, (a, b), order=1)


@pytest.mark.parametrize("shapes", MATRIX_SHAPES[:4] + [((), (3,))], ids=str)
def test_dot(shapes):
    a, b = values(shapes[0], seed=11), values(shapes[1], seed=12)
    check_grads(np.dot, (a, b), order=2)


def test_outer_inner_vdot():
    a, b = values((3,), seed=13), values((2, 2), seed=14)
    check_grads(np.outer, (a, b), order=2)
    check_grads(np.inner, (a, a * 2), order=2)
    check_grads(np.vdot, (b, b + 1), order=2)


SHAPE_OPS = {
    "transpose": lambda x: np.transpose(x),
    "transpose_axes": lambda x: np.transpose(x, (1, 0, 2)),
    "T": lambda x: x.T,
    "reshape": lambda x: np.reshape(x, (-1,)),
    "reshape_method": lambda x: x.reshape(3, 4),
    "ravel": lambda x: np.ravel(x),
    "squeeze": lambda x: np.squeeze(x[:1], axis=0),
    "expand_dims": lambda x: np.expand_dims(x, 1),
    "broadcast_to": lambda x: np.broadcast_to(x[:1], (4, 2, 2)),
    "swapaxes": lambda x: np.swapaxes(x, 0, 2),
    "moveaxis": lambda x: np.moveaxis(x, 0, -1),
    "basic_index": lambda x: x[1:, 0],
    "ellipsis_index": lambda x: x[..., None, 1],
    "negative_step": lambda x: x[::-1, :, ::2],
    "integer_array_index": lambda x: x[np.array([0, 2, 0])],
    "integer_arrays_index": lambda x: x[np.array([0, 2, 0]), np.array([1, 1, 0])],
    "boolean_mask": lambda x: x[np.array([True, False, True])],
    "iterate": lambda x: sum(row * (i + 1) for i, row in enumerate(x)),
    "set_at": lambda x: anp.set_at(x, (0, 1), x[2, 0] * 3.0),
    "add_at_repeated": lambda x: anp.add_at(x, np.array([0, 0, 1]), x[2]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_and_indexing(name):
    x = values((3, 2, 2), seed=15)
    check_grads(lambda a: SHAPE_OPS[name](a) * np.sin(a).sum(), (x,), order=2)


def test_concatenate_stack_hstack_vstack():
    a, b, c = values((2, 3), seed=16), values((1, 3), seed=17), values((2, 3), seed=18)
    check_grads(lambda x, y: np.concatenate([x, y, x * y], axis=0), (a, b), order=2)
    check_grads(lambda x, z: np.stack([x, np.sin(z)], axis=1), (a, c), order=2)
    check_grads(lambda x, z: np.concatenate([x, z], axis=1), (a, c), order=2)
    check_grads(lambda x, z: np.hstack([x, z]), (a, c), order=1)
    check_grads(lambda x, y: np.vstack([x, y]), (a, b), order=1)
    check_grads(lambda x: np.concatenate([x, 2.0 * np.ones((1, 3))]), (a,), order=2)
    check_grads(lambda x: np.concatenate([x, x], axis=None), (a,), order=1)


def test_array_from_traced_scalars():
    check_grads(lambda x, y: anp.array([[x, y * x], [np.sin(y), 1.0]]) @ anp.array([x, y]), (0.7, -1.3), order=2)
