"""Property tests: on random compositions, forward and reverse Jacobians agree (and match finite differences)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import adlab
from adlab.testing import check_grads

UNARY = {
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "arctan": np.arctan,
    # smooth everywhere: the stable form log1p(exp(-|a|)) + max(a, 0) has kinks at 0 in each term, where a
    # second-order check against finite differences fails by design (Hypothesis finds a = 0)
    "softplus_of_tanh": lambda a: np.log1p(np.exp(np.tanh(a) * 3.0)),
    "square": lambda a: a * a, "scale": lambda a: 0.5 * a, "negate": lambda a: -a,
    "sqrt1p": lambda a: np.sqrt(1.0 + a * a), "exp_bounded": lambda a: np.exp(np.tanh(a)),
    "reverse": lambda a: a[::-1], "roll": lambda a: np.concatenate([a[1:], a[:1]]),
    "cumulative": lambda a: np.stack([np.sum(a[: i + 1]) for i in range(len(a))]),
    "softmax": lambda a: adlab.softmax(a), "normalize": lambda a: a / np.sqrt(1.0 + np.sum(a * a)),
}
BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "divide_safe": lambda a, b: a / (1.5 + np.tanh(b)), "hypot": lambda a, b: np.sqrt(a * a + b * b + 1.0),
    "mix": lambda a, b: np.where(np.arange(len(a)) % 2 == 0, a, b),
    "outer_sum": lambda a, b: np.outer(a, b) @ np.tanh(a),
}

expressions = st.recursive(
    st.sampled_from(["x", "y"]),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=8,
)


def evaluate(expression, x, y):
    if expression == "x":
        return x
    if expression == "y":
        return y
    if len(expression) == 2:
        return UNARY[expression[0]](evaluate(expression[1], x, y))
    return BINARY[expression[0]](evaluate(expression[1], x, y), evaluate(expression[2], x, y))


points = st.lists(st.floats(-2.0, 2.0), min_size=6, max_size=6).map(lambda v: (np.array(v[:3]), np.array(v[3:])))


@settings(max_examples=60, deadline=None)
@given(expressions, points)
def test_forward_and_reverse_jacobians_agree(expression, point):
    f = lambda x, y: evaluate(expression, x, y)  # noqa: E731
    forward = adlab.jacfwd(f, argnums=(0, 1))(*point)
    reverse = adlab.jacrev(f, argnums=(0, 1))(*point)
    for a, b in zip(forward, reverse):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(expressions, points)
def test_random_compositions_match_finite_differences(expression, point):
    f = lambda x, y: evaluate(expression, x, y)  # noqa: E731
    check_grads(f, point, order=2, atol=1e-5, rtol=1e-5)
