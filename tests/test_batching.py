"""jacfwd and jacrev push all basis vectors through one batched sweep; each batching rule is
checked against sweeps that take one direction at a time (no batching involved)."""

import numpy as np
import pytest

import adlab
import adlab.numpy  # noqa: F401 - adlab.numpy.set_at below
from test_primitives import BINARY, MATRIX_SHAPES, PAIRS, REDUCTIONS, SHAPE_OPS, UNARY, values


def columns_one_at_a_time(f, args, k):
    x = args[k]
    out = f(*args)
    cols = []
    for e in np.eye(np.size(x)):
        tangents = tuple(e.reshape(np.shape(x)) if j == k else np.zeros(np.shape(a)) for j, a in enumerate(args))
        cols.append(np.reshape(adlab.jvp(f, args, tangents)[1], -1))
    return np.stack(cols, axis=-1).reshape(np.shape(out) + np.shape(x))


def rows_one_at_a_time(f, args, k):
    out, pullback = adlab.vjp(f, *args)
    rows = [np.reshape(pullback(e.reshape(np.shape(out)))[k], -1) for e in np.eye(np.size(out))]
    return np.stack(rows).reshape(np.shape(out) + np.shape(args[k]))


def assert_batched_jacobians_match(f, args):
    for k in range(len(args)):
        expected = columns_one_at_a_time(f, args, k)
        np.testing.assert_allclose(adlab.jacfwd(f, argnums=k)(*args), expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(rows_one_at_a_time(f, args, k), expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(adlab.jacrev(f, argnums=k)(*args), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    f, domain = UNARY[name]
    assert_batched_jacobians_match(f, (values((3, 2), **domain),))


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, shapes):
    f, x_domain, y_domain = BINARY[name]
    assert_batched_jacobians_match(f, (values(shapes[0], seed=1, **x_domain), values(shapes[1], seed=2, **y_domain)))


@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name, axis):
    assert_batched_jacobians_match(lambda a: REDUCTIONS[name](a, axis=axis), (values((3, 2), seed=5, low=0.5, high=2.0),))


@pytest.mark.parametrize("shapes", MATRIX_SHAPES + [((4, 5, 2, 3), (3,)), ((3,), (4, 5, 3, 2))], ids=str)
def test_matmul(shapes):
    assert_batched_jacobians_match(np.matmul, (values(shapes[0], seed=9), values(shapes[1], seed=10)))


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_and_indexing(name):
    assert_batched_jacobians_match(lambda a: SHAPE_OPS[name](a) * 1.5, (values((3, 2, 2), seed=15),))


def test_separated_advanced_indices_fall_back_to_one_by_one():
    f = lambda a: a[np.array([0, 2]), :, np.array([1, 0])] * 2.0  # noqa: E731
    assert_batched_jacobians_match(f, (values((3, 2, 2), seed=15),))


def test_structure_and_custom_primitives():
    @adlab.primitive
    def cube(x):
        return x ** 3

    cube.defjvp(lambda t, out, x: 3 * x ** 2 * t)
    cube.defvjp(lambda g, out, x: 3 * x ** 2 * g)  # no batching rule: applied item by item
    a, b = values((2, 3), seed=16), values((1, 3), seed=17)
    assert_batched_jacobians_match(lambda x, y: np.concatenate([x, cube(y)], axis=0), (a, b))
    assert_batched_jacobians_match(lambda x, y: np.stack([x, x * y], axis=-1), (a, b))
    assert_batched_jacobians_match(lambda x, y: np.outer(x, y), (a, b))
    assert_batched_jacobians_match(lambda x, y: np.where(x > 0, x, y), (a, b))


def test_empty_inputs_and_outputs():
    assert adlab.jacfwd(lambda x: x * 2)(np.zeros(0)).shape == (0, 0)
    assert adlab.jacrev(lambda x: np.sum(x) * np.ones(0))(np.ones(2)).shape == (0, 2)
    assert adlab.jacfwd(lambda x, y: x * np.sum(y), argnums=(0, 1))(np.ones(2), np.zeros(0))[1].shape == (2, 0)


@pytest.mark.parametrize("index", [(0, slice(None), [0, 1]), ([0, 1], slice(None), 0), (slice(None), 1, [0, 1])],
                         ids=str)
def test_an_integer_beside_an_array_index_is_advanced_too(index):
    """NumPy moves advanced axes to the front when an int and an array are separated by a slice."""
    assert_batched_jacobians_match(lambda a: a[index] * 2.0, (values((2, 3, 2), seed=21),))
    assert_batched_jacobians_match(lambda a: adlab.numpy.set_at(a, index, 7.0 * a[index]), (values((2, 3, 2), seed=22),))
