"""Lesson 8 · Backpropagation is reverse mode: a batch's weight gradient as outer products, a layer's backward
pass, the deltas, one descent step, the sweeps, and un-broadcasting."""

from __future__ import annotations

import numpy as np

from ... import grad, trace, vjp
from ...cost import cost
from ..diagnose import DEFAULT, EXACT, mistakes_distinct
from ..exercise import NOT_ANSWERED, Exercise
from ..feedback import index_text
from ..sandbox import CellProblem, call_bounded
from . import register


def _nested(array):
    """An array as nested tuples: what my_numbers prints and returns (immutable: an answer cell cannot change it)."""
    array = np.asarray(array, dtype=float)
    return tuple(_nested(row) for row in array) if array.ndim > 1 else tuple(float(v) for v in array)


# Numbers the lesson itself prints (the worked example's trace, sweep and step, the training run, Table 3).
# A student's answer that printed the same way would look like a leak in the student copy: such draws are
# drawn again.
SHOWN = {"0.0176", "0.0182", "0.0331", "0.054", "0.0543", "0.0653", "0.1087", "0.109", "0.1306", "0.1308", "0.131",
         "0.1356", "0.155", "0.1552", "0.194", "0.1944", "0.2344", "0.258", "0.2582", "0.261", "0.310", "0.3103",
         "0.336", "0.3499", "0.3888", "0.389", "0.489", "0.511", "0.5308", "0.535", "0.635", "0.664", "4.0000",
         "4.3333"}


def _clear_of_shown(values):
    """No entry prints (to 3 or 4 decimals) as a number the lesson shows."""
    for value in np.abs(np.asarray(values, dtype=float)).reshape(-1):
        if {f"{value:.3f}", f"{value:.4f}", f"{value:.4f}".rstrip("0").rstrip(".")} & SHOWN:
            return False
    return True


def _separated(truth, mistakes, gap=0.01):
    """Every listed mistake differs from the truth by more than gap somewhere (so each is told apart)."""
    truth = np.asarray(truth, dtype=float)
    return all(np.asarray(wrong, dtype=float).shape == truth.shape
               and np.max(np.abs(np.asarray(wrong, dtype=float) - truth)) > gap for wrong in mistakes.values())


# -- 8.0 · a batch of two: one outer product per example, then one matrix product ----------------------


def _outer_mistakes(x_batch, delta):
    """The slips of 8.0a: dW as the sum of the two examples' outer products, with one step changed."""
    x_batch, delta = np.array(x_batch), np.array(delta)
    outer = [np.outer(x_batch[k], delta[k]) for k in range(2)]
    return {
        "transposed: row i of ∂L/∂W belongs to input i, column j to unit j "
        "(np.outer(x_k, δ_k), not np.outer(δ_k, x_k))": sum(np.outer(delta[k], x_batch[k]) for k in range(2)),
        "each example's input goes with its own delta: row k of x_batch with row k of delta":
            np.outer(x_batch[0], delta[1]) + np.outer(x_batch[1], delta[0]),
        "one example per row: example k is row k of x_batch and row k of delta, not column k":
            sum(np.outer(x_batch[:, k], delta[:, k]) for k in range(2)),
        "the batch adds up: each weight is used by both examples, so dW is the sum of their outer products "
        "(no division by 2)": (outer[0] + outer[1]) / 2,
        "dW has one outer product per example: example 2's is missing": outer[0],
        "dW has one outer product per example: example 1's is missing": outer[1],
    }


def _batch_dW(x_batch, delta):
    """∂L/∂W for the batch, from the engine: the VJP of z = x_batch W (+ b) by W with the cotangent δ."""
    x_batch, delta = np.array(x_batch), np.array(delta)
    _, pullback = vjp(lambda W: x_batch @ W, np.zeros((x_batch.shape[1], delta.shape[1])))
    return pullback(delta)[0]


def _batch_mistakes(x_batch, delta):
    x_batch, delta = np.array(x_batch), np.array(delta)
    return {
        "transposed: dW has W's shape, row i for input i, column j for unit j "
        "(x_batchᵀ·delta, not deltaᵀ·x_batch)": delta.T @ x_batch,
        "the product must sum over the examples, the index that x_batch and delta share as their rows: "
        "x_batchᵀ·delta, not x_batch·deltaᵀ": x_batch @ delta.T,
        "x_batch·delta pairs example k's inputs with the deltas of other examples: transpose x_batch, so that "
        "the product sums over the examples": x_batch @ delta,
        "x_batch * delta multiplies entry by entry; dW needs the matrix product that sums the examples' outer "
        "products": x_batch * delta,
        "the batch adds up: each weight is used by both examples, so dW sums their outer products "
        "(no division by 2)": x_batch.T @ delta / 2,
        "the sum has one outer product per example: example 2's is missing": np.outer(x_batch[0], delta[0]),
        "the sum has one outer product per example: example 1's is missing": np.outer(x_batch[1], delta[1]),
    }


def _two_examples(rng):
    """A batch of two examples with two inputs each (whole numbers) and their deltas for two units (tenths).

    Both parts have the same answer, reached two ways. Drawn again until each listed mistake of 8.0a and of
    8.0b is told apart from the truth and from the others, and no answer prints as a number the lesson shows.
    """
    whole = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    tenths = np.array([v for v in range(-9, 10) if v != 0]) / 10
    while True:
        x_batch, delta = rng.choice(whole, size=(2, 2)), rng.choice(tenths, size=(2, 2))
        inputs = {"x_batch": _nested(x_batch), "delta": _nested(delta)}
        dW = _batch_dW(**inputs)
        if mistakes_distinct(dW, _outer_mistakes(**inputs)) and mistakes_distinct(dW, _batch_mistakes(**inputs)) \
                and _clear_of_shown(dW):
            return inputs


# -- 8.1 · the backward pass of a dense tanh layer --------------------------------------------------


def dense_tanh(x, W, b):
    """A dense layer with tanh: a = tanh(x @ W + b). x is (N, n_in), W is (n_in, n_out), b is (n_out,)."""
    return np.tanh(x @ W + b)


def _engine_backward(x, W, b, g):
    """(dW, db, dx) from the engine's VJP of dense_tanh with the cotangent g: one reverse sweep."""
    x, W, b, g = map(np.array, (x, W, b, g))
    _, pullback = vjp(dense_tanh, x, W, b)
    dx, dW, db = pullback(g)
    return {"dW": dW, "db": db, "dx": dx}


def _backward_mistakes(part, x, W, b, g):
    """The slips of 8.1, as the part they give (dW, db or dx)."""
    x, W, b, g = map(np.array, (x, W, b, g))
    z = x @ W + b
    a = np.tanh(z)
    delta = g * (1 - a ** 2)
    slips = {
        "δ = ∂L/∂z misses tanh′: before the products, multiply g entry by entry by 1 − a²": g,
        "tanh′ is 1 − a² with a = tanh z, the layer's output, not 1 − z²": g * (1 - z ** 2),
        "the square is on a alone: δ = g·(1 − a²), not g·(1 − a)²": g * (1 - a) ** 2,
    }
    if part == "dW":
        out = {phrase: x.T @ d for phrase, d in slips.items()}
        out["transposed: dW has W's shape, row i for input i, column j for unit j (xᵀδ, not δᵀx)"] = delta.T @ x
        out["the batch adds up: each weight is used by every example, so ∂L/∂W sums their contributions "
            "(no division by N)"] = x.T @ delta / len(x)
    elif part == "db":
        out = {phrase: d.sum(axis=0) for phrase, d in slips.items()}
        out["the batch adds up: each bias is used by every example, so ∂L/∂b sums δ over the examples "
            "(no division by N)"] = delta.mean(axis=0)
        out["∂L/∂b sums δ over all the examples, not only the first one"] = delta[0]
    else:
        out = {phrase: d @ W.T for phrase, d in slips.items()}
        out["∂L/∂x_ki = Σ_j δ_kj·W_ij: multiply δ by Wᵀ, not by W"] = delta @ W
    return out


def _layer(rng):
    """One small layer per student: x (3 × 2), W (2 × 2, not symmetric), b (2), g (3 × 2), one decimal each.

    W is square so that a transposed product keeps its shape and is diagnosed as a slip; draws where a
    listed mistake would give (nearly) the right numbers, or an answer prints as a number the lesson shows,
    are drawn again.
    """
    tenths = np.array([v for v in range(-10, 11) if v != 0]) / 10
    while True:
        x, W, g = rng.choice(tenths, size=(3, 2)), rng.choice(tenths, size=(2, 2)), rng.choice(tenths, size=(3, 2))
        b = rng.choice(np.arange(-5, 6) / 10, size=2)
        if abs(W[0, 1] - W[1, 0]) < 0.2:
            continue
        truth = _engine_backward(x, W, b, g)
        if all(_separated(truth[part], _backward_mistakes(part, x, W, b, g)) and _clear_of_shown(truth[part])
               for part in ("dW", "db", "dx")):
            return {"x": _nested(x), "W": _nested(W), "b": _nested(b), "g": _nested(g)}


_LAYER_HINTS = {
    "dW": ("δ = ∂L/∂z = g * (1 - a**2), entry by entry (a is given in the cell). Everything else comes from δ.",
           "∂L/∂W_ij = Σ_k x_ki·δ_kj: a sum over the batch index k. Which matrix product sums over k? "
           "dW must have W's shape, (n_in, n_out)."),
    "db": ("δ = ∂L/∂z = g * (1 - a**2), entry by entry.",
           "z_kj = Σ_i x_ki W_ij + b_j uses b_j once per example k: ∂L/∂b_j = Σ_k δ_kj, a sum down each column "
           "of δ (which axis is that?)."),
    "dx": ("δ = ∂L/∂z = g * (1 - a**2), entry by entry.",
           "∂L/∂x_ki = Σ_j δ_kj·W_ij: a matrix product again, shaped like x, (N, n_in). Which of W and Wᵀ "
           "makes the shapes fit?"),
}


def _layer_part(part, letter, title):
    return Exercise(
        f"8.1{letter}", "numbers", (part,), title=title,
        inputs=_layer, inputs_of="8.1a", by_hand=True,
        expected=lambda x, W, b, g: _engine_backward(x, W, b, g)[part],
        mistakes=lambda x, W, b, g: _backward_mistakes(part, x, W, b, g),
        hints=_LAYER_HINTS[part])


# -- 8.2, 8.3 · the tiny network: deltas and one step of gradient descent --------------------------

W1 = np.array([[0.4, -0.6],
               [0.3, 0.8]])
b1 = np.array([0.1, 0.2])
W2 = np.array([0.9, -0.5])
b2 = -0.1
WORKED = (1.0, -0.5, 1.0)  # the lesson's own example x = (1, −0.5), t = 1: its sweep is shown, so never drawn


def _network():
    """The tiny network's parameters, as the lesson defines them (copies: an answer cell may change its own)."""
    return {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2}


def tiny_loss_at(example, label):
    """The lesson's tiny_loss for one training example (x, t): a function of the parameters only."""
    def tiny_loss(W1, b1, W2, b2):
        z1 = example @ W1 + b1
        a1 = np.tanh(z1)
        z2 = a1 @ W2 + b2
        p = np.tanh(z2)
        return 0.5 * (p - label) ** 2
    return tiny_loss


def _deltas(x1, x2, label):
    """[δ⁽²⁾, δ⁽¹⁾₁, δ⁽¹⁾₂]: the adjoints of the pre-activation rows z⁽²⁾ (v₅) and z⁽¹⁾ (v₂), one reverse sweep."""
    swept = trace(tiny_loss_at(np.array([x1, x2]), label), W1, b1, W2, b2).reverse()
    return [float(swept[5].adjoint), *map(float, swept[2].adjoint)]


def _by_hand(x1, x2, label, output_tanh=True, hidden_tanh=True, through_W2=True, half=True):
    """The deltas by backpropagation, with one step left out where asked (for the mistakes)."""
    z1 = np.array([x1, x2]) @ W1 + b1
    a1 = np.tanh(z1)
    p = np.tanh(a1 @ W2 + b2)
    delta_2 = (p - label) * (1 if half else 2) * ((1 - p ** 2) if output_tanh else 1)
    delta_1 = delta_2 * (W2 if through_W2 else 1) * ((1 - a1 ** 2) if hidden_tanh else 1)
    return [delta_2, *delta_1]


def _delta_mistakes(x1, x2, label):
    return {
        "δ⁽²⁾ misses the output tanh's derivative: ∂L/∂z⁽²⁾ = (p − t)·(1 − p²)":
            _by_hand(x1, x2, label, output_tanh=False),
        "the hidden deltas miss tanh′: δ⁽¹⁾ = g ⊙ (1 − (a⁽¹⁾)²), where g = ∂L/∂a⁽¹⁾":
            _by_hand(x1, x2, label, hidden_tanh=False),
        "the hidden layer's g = ∂L/∂a⁽¹⁾ is δ⁽²⁾·W⁽²⁾: each hidden unit reaches the output through its own weight":
            _by_hand(x1, x2, label, through_W2=False),
        "L = ½(p − t)² gives ∂L/∂p = p − t: the ½ cancels the 2": _by_hand(x1, x2, label, half=False),
        "∂L/∂p is p − t, not t − p": [-d for d in _deltas(x1, x2, label)],
    }


def _example(rng):
    """A training example x = (x1, x2) (halves) and its target t = ±1, and a step size η for 8.3.

    Drawn again where a delta is too small to tell a sign apart, two deltas are alike, a listed mistake of
    8.2 or 8.3 gives (nearly) the right numbers, or an answer prints as a number the lesson shows; never the
    lesson's own example.
    """
    halves = [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]
    while True:
        x1, x2, t = float(rng.choice(halves)), float(rng.choice(halves)), float(rng.choice([-1.0, 1.0]))
        eta = float(rng.choice([0.1, 0.2, 0.25, 0.5]))
        if (x1, x2, t) == WORKED:
            continue
        deltas = np.array(_deltas(x1, x2, t))
        if np.min(np.abs(deltas)) < 0.01 or np.min(np.abs(np.subtract.outer(deltas, deltas)) + np.eye(3)) < 0.01:
            continue
        stepped = _step(x1, x2, t, eta)
        if _separated(deltas, _delta_mistakes(x1, x2, t)) and _separated(stepped, _step_mistakes(x1, x2, t, eta),
                                                                        gap=0.005) \
                and _clear_of_shown(deltas) and _clear_of_shown(stepped):
            return {"x1": x1, "x2": x2, "label": t, "eta": eta}


def _step(x1, x2, label, eta):
    """W⁽¹⁾ after one step of gradient descent, from the engine's gradient."""
    return W1 - eta * grad(tiny_loss_at(np.array([x1, x2]), label))(W1, b1, W2, b2)


def _step_mistakes(x1, x2, label, eta):
    example = np.array([x1, x2])
    delta_1 = np.array(_by_hand(x1, x2, label)[1:])
    dW1 = np.outer(example, delta_1)
    return {
        "gradient descent moves against the gradient: W − η·∂L/∂W, not W + η·∂L/∂W": W1 + eta * dW1,
        "∂L/∂W⁽¹⁾_ij = x_i·δ⁽¹⁾_j: row i belongs to input x_i, column j to hidden unit j "
        "(np.outer(x, δ⁽¹⁾), not np.outer(δ⁽¹⁾, x))": W1 - eta * dW1.T,
        "the step is η·∂L/∂W⁽¹⁾: the step size η is missing": W1 - dW1,
        "that is ∂L/∂W⁽¹⁾ itself: the answer is the new weights, W⁽¹⁾ − η·∂L/∂W⁽¹⁾": dW1,
        "δ⁽¹⁾ misses the hidden tanh's derivative (1 − (a⁽¹⁾)²)":
            W1 - eta * np.outer(example, _by_hand(x1, x2, label, hidden_tanh=False)[1:]),
        "δ⁽¹⁾ misses the output tanh's derivative (1 − p²), carried from δ⁽²⁾":
            W1 - eta * np.outer(example, _by_hand(x1, x2, label, output_tanh=False)[1:]),
    }


# -- 8.4 · the sweeps of one gradient ---------------------------------------------------------------


def _network_loss(sizes):
    """A network of dense tanh layers with these sizes and a scalar loss (MSE on a few points), and its parameters."""
    rng = np.random.default_rng(0)
    params = [[rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), np.zeros(n_out)]
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    X, Y = rng.standard_normal((4, sizes[0])), rng.standard_normal((4, sizes[-1]))

    def loss(params):
        a = X
        for W, b in params:
            a = np.tanh(a @ W + b)
        return 0.5 * np.mean((a - Y) ** 2)

    return loss, params


def _sweeps(sizes):
    """[reverse sweeps, forward sweeps] for the whole gradient of the loss: the engine's cost table (m, n)."""
    loss, params = _network_loss(sizes)
    counted = cost(loss, params, timing=False)
    return [counted.reverse_sweeps, counted.forward_sweeps]


def _sweep_mistakes(sizes):
    pairs = list(zip(sizes[:-1], sizes[1:]))
    weights = sum(a * b for a, b in pairs)
    n_params = weights + sum(b for _, b in pairs)
    return {
        "swapped: reverse mode gets one Jacobian row per sweep and forward mode one column per sweep; the loss has "
        "one row, and one column per parameter": [n_params, 1],
        "the biases are parameters too: each layer has n_in·n_out weights and n_out biases": [1, weights],
        "a layer has one bias per unit it computes (n_out of them), not one per input": [1, weights + sum(
            a for a, _ in pairs)],
        "the loss is one number, whatever the number of output units: one reverse sweep": [sizes[-1], n_params],
        "forward mode needs one sweep per parameter (every weight and bias entry), not one per unit":
            [1, sum(sizes[1:])],
        "one reverse sweep runs back through every layer: not one sweep per layer": [len(pairs), n_params],
    }


def _sizes(rng):
    """Layer sizes n_in → h₁ → h₂ → n_out, with two or three output units (the loss is still one number).

    n_in ≠ n_out, so that biases counted per input (a listed slip) give another count than biases per unit.
    """
    hidden = [3, 4, 5, 6, 8, 10, 12]
    while True:
        sizes = [int(rng.choice([2, 3, 4])), int(rng.choice(hidden)), int(rng.choice(hidden)), int(rng.choice([2, 3]))]
        if sizes[0] != sizes[-1]:
            return {"sizes": sizes}


# -- 8.5 · un-broadcasting: the adjoint of a broadcast input -------------------------------------------


def broadcast_adjoint(g, shape):
    """The engine's adjoint of an input of `shape` broadcast to g's shape: the VJP of t ↦ t + zeros, at g."""
    g = np.array(g, dtype=float)
    _, pullback = vjp(lambda t: t + np.zeros(g.shape), np.zeros(shape))
    return np.asarray(pullback(g)[0], dtype=float)


def _added_and_stretched(g, shape):
    """(axes broadcasting added in front, axes of length 1 in `shape` that it stretched), as axes of g."""
    extra = g.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    return tuple(range(extra)), stretched


def _sum_then(g, shape, added=np.sum, stretched=np.sum, keepdims=True, front=True):
    """un-broadcasting with one step changed (for the slips): how the added and the stretched axes are reduced."""
    g = np.array(g, dtype=float)
    extra = g.ndim - len(shape)
    if extra:
        axes = tuple(range(extra)) if front else tuple(range(len(shape), g.ndim))
        g = added(g, axis=axes) if added is not None else g
    if g.ndim == len(shape):
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if axes and stretched is not None:
            g = stretched(g, axis=axes, keepdims=keepdims)
    return g


def _first(g, axis, keepdims=False):
    """Index 0 along these axes: one copy's adjoint instead of the sum over the copies."""
    g = np.asarray(g)
    kept = g[tuple(slice(0, 1) if i in axis else slice(None) for i in range(g.ndim))]
    return kept if keepdims else kept.reshape([n for i, n in enumerate(kept.shape) if i not in axis])


# The slips of 8.5, each a whole wrong function, tried in this order on the student's result where it is wrong.
UNBROADCAST_SLIPS = {
    "NumPy lines shapes up from the right, so the axes broadcasting adds are the first ones: sum over "
    "axis 0 (for a bias, over the examples), not over the last axes": lambda g, shape: _sum_then(g, shape,
                                                                                                  front=False),
    "an axis of length 1 stays in the result: sum over it with keepdims=True, so that a (B, 1) column's "
    "adjoint is (B, 1), not (B,)": lambda g, shape: _sum_then(g, shape, keepdims=False),
    "an axis where shape has length 1 was stretched by broadcasting too: sum over it as well (with "
    "keepdims=True)": lambda g, shape: _sum_then(g, shape, stretched=None),
    "broadcasting also adds axes in front (a bias of shape (h,) acts as (1, h)): sum g over those first, "
    "until it has as many axes as shape": lambda g, shape: _sum_then(g, shape, added=None),
    "a broadcast value is used once per copy, and the adjoint adds one contribution per use (fan-out): "
    "sum over the copies, not their mean": lambda g, shape: _sum_then(g, shape, added=np.mean,
                                                                      stretched=np.mean),
    "a broadcast value is used in every copy: add all the copies' adjoints, not only the first one's":
        lambda g, shape: _sum_then(g, shape, added=lambda a, axis: _first(a, axis),
                                   stretched=lambda a, axis, keepdims: _first(a, axis, keepdims=True)),
    "sum only over the broadcast axes: the result keeps the input's shape": lambda g, shape: np.sum(g),
}


def _unbroadcast_points(B, h, seed):
    """(g, shape) pairs: a bias, a column, a row, a scalar, nothing broadcast, a square g (where the wrong
    axis keeps the shape), 3-D arrays; B ≠ h and the numbers (tenths) are the student's own."""
    rng = np.random.default_rng(seed)
    cases = [((B, h), (h,)), ((B, h), (B, 1)), ((B, h), (1, h)), ((B, h), ()), ((B, h), (B, h)),
             ((h, h), (h,)), ((h, h), (h, 1)), ((h, h), (1, h)), ((2, B, h), (B, h)), ((2, B, h), (1, h)),
             ((2, B, h), (2, 1, h)), ((2, B, h), (B, 1)), ((h,), (1,)), ((B, 1), (B, 1)), ((B, h), (1, 1))]
    tenths = np.array([v for v in range(-19, 20) if v != 0]) / 10
    return [(rng.choice(tenths, size=g_shape), shape) for g_shape, shape in cases]


def _unbroadcast_inputs(rng):
    """The student's own sizes B ≠ h (2 … 5) and the seed of their numbers."""
    while True:
        B, h = int(rng.choice([2, 3, 4, 5])), int(rng.choice([2, 3, 4, 5]))
        if B != h:
            return {"B": B, "h": h, "seed": int(rng.integers(1, 10 ** 6))}


def _at(g, shape):
    return f"at (g of shape {tuple(np.shape(g))}, shape {tuple(shape)})"


def _unbroadcast_verdict(namespace, B, h, seed):
    """Exercise 8.5: the student's unbroadcast against the engine's VJP of a broadcast, point by point."""
    function = namespace.get("unbroadcast")
    if function is None:
        return "invalid", "no `unbroadcast`: the answer cell must define a function `unbroadcast(g, shape)`."
    if not callable(function):
        return "invalid", f"`unbroadcast` is a {type(function).__name__}, not a function; define it with def."
    tolerance = DEFAULT
    for g, shape in _unbroadcast_points(B, h, seed):
        at = _at(g, shape)
        truth = broadcast_adjoint(g, shape)
        try:
            yours = call_bounded(function, (g.copy(), tuple(shape)), f"your `unbroadcast` {at}", 10.0)
        except NotImplementedError:
            return "unanswered", NOT_ANSWERED
        except CellProblem as problem:
            return problem.status, str(problem)
        except Exception as error:  # the student's code failed: one line, no traceback
            return "wrong", f"your `unbroadcast` raised {type(error).__name__} {at}: {error}"
        if yours is None:
            return "wrong", f"your `unbroadcast` returned nothing {at}; did it forget `return`?"
        try:
            mine = np.asarray(yours, dtype=float)
        except (TypeError, ValueError):
            return "invalid", f"your `unbroadcast` returned a {type(yours).__name__} {at}, not an array of numbers."
        if mine.shape == truth.shape and np.all(tolerance.close(mine, truth)):
            continue
        for phrase, wrong in UNBROADCAST_SLIPS.items():
            try:
                theirs = np.asarray(wrong(g.copy(), shape), dtype=float)
            except Exception:
                continue
            slip_is_wrong = theirs.shape != truth.shape or not np.all(tolerance.close(theirs, truth))
            if slip_is_wrong and theirs.shape == mine.shape and np.all(tolerance.close(mine, theirs)):
                return "wrong", f"your `unbroadcast` is wrong {at}: {phrase}."
        if mine.shape != truth.shape:
            return "wrong", (f"your `unbroadcast` returns an array of shape {mine.shape} {at}: the adjoint of an "
                             f"input has that input's shape, here {tuple(shape)}.")
        first = np.flatnonzero(~tolerance.close(mine, truth).reshape(-1))[0]
        entry = f" (entry {index_text(np.unravel_index(first, truth.shape))})" if truth.ndim else ""
        return "wrong", f"your `unbroadcast` is wrong {at}{entry} (checked {tolerance.words()})."
    return "correct", "correct: `unbroadcast` gives the engine's adjoint at every test point."


register(
    Exercise(
        "8.0a", "numbers", ("dW",), title="a batch of two: the sum of two outer products",
        inputs=_two_examples, by_hand=True,
        expected=_batch_dW,
        mistakes=_outer_mistakes,
        hints=("One example k: z_kj = Σ_i x_ki·W_ij + b_j, so ∂L/∂W_ij gets x_ki·δ_kj from it.",
               "That is an outer product: entry (i, j) is input i of example k times delta j of example k, "
               "np.outer(x_batch[k], delta[k]). Row k of x_batch and row k of delta belong to example k.",
               "Each weight is used by both examples: dW is example 1's outer product plus example 2's.")),
    Exercise(
        "8.0b", "numbers", ("dW",), title="a batch of two: one matrix product",
        inputs=_two_examples, inputs_of="8.0a", by_hand=True,
        expected=_batch_dW,
        mistakes=_batch_mistakes,
        hints=("dW_ij = Σ_k x_ki·δ_kj: the same sum as in 8.0a, entry by entry.",
               "Which product of x_batch (or x_batchᵀ) and delta (or deltaᵀ) sums over k, the row index of both? "
               "Its shape must be W's: (inputs, units).")),
    _layer_part("dW", "a", "the backward pass of a dense tanh layer: ∂L/∂W"),
    _layer_part("db", "b", "the backward pass of a dense tanh layer: ∂L/∂b"),
    _layer_part("dx", "c", "the backward pass of a dense tanh layer: ∂L/∂x"),
    Exercise(
        "8.2", "numbers", ("deltas",), title="the deltas, by backpropagation",
        inputs=lambda rng: {k: v for k, v in _example(rng).items() if k != "eta"}, by_hand=True,
        expected=_deltas,
        entries=lambda x1, x2, label: ["δ⁽²⁾", "δ⁽¹⁾₁", "δ⁽¹⁾₂"],
        mistakes=_delta_mistakes,
        context=lambda x1, x2, label: _network(),
        hints=("Run the forward pass at your example first: a⁽¹⁾ = tanh(x W⁽¹⁾ + b⁽¹⁾), p = tanh(a⁽¹⁾·W⁽²⁾ + b⁽²⁾).",
               "δ⁽²⁾ = ∂L/∂z⁽²⁾ = (p − t)·(1 − p²): the loss's derivative, then the output tanh's.",
               "The hidden layer's g is ∂L/∂a⁽¹⁾ = δ⁽²⁾·W⁽²⁾ (a vector of two). Then δ⁽¹⁾ = g ⊙ (1 − (a⁽¹⁾)²). "
               "Give [δ⁽²⁾, δ⁽¹⁾₁, δ⁽¹⁾₂].")),
    Exercise(
        "8.3", "numbers", ("W1_new",), title="one step of gradient descent, by hand",
        inputs=_example, inputs_of="8.2", by_hand=True,
        expected=_step,
        mistakes=_step_mistakes,
        context=lambda x1, x2, label, eta: _network(),
        hints=("First the deltas at your example, as in 8.2 (this cell is checked on its own: compute them here).",
               "∂L/∂W⁽¹⁾_ij = x_i·δ⁽¹⁾_j: the activation coming in (here the data x) times the delta going out, "
               "np.outer(x, δ⁽¹⁾).",
               "Then W1_new = W1 − η·∂L/∂W⁽¹⁾, with your η. Row i belongs to input x_i, column j to hidden unit j.")),
    Exercise(
        "8.4", "numbers", ("sweeps",), title="count the sweeps",
        inputs=_sizes, by_hand=True, tolerance=EXACT,
        expected=_sweeps,
        entries=lambda sizes: ["reverse sweeps", "forward sweeps"],
        mistakes=_sweep_mistakes,
        hints=("The loss is f: Rⁿ → R¹ with n = the number of parameters: its Jacobian is one row of n entries.",
               "Reverse mode: one sweep per row. Forward mode: one sweep per column, one column per parameter.",
               "A layer from n_in to n_out units has n_in·n_out weights and n_out biases; add up the layers.")),
    Exercise(
        "8.5", "custom", ("unbroadcast",), title="un-broadcasting, as a function",
        inputs=_unbroadcast_inputs, by_hand=True,
        checker=_unbroadcast_verdict,
        hints=("g has the shape of the broadcast result; the answer must have `shape`. NumPy lines the two shapes "
               "up from the right: which axes of g have no partner in shape, and which have a partner of length 1?",
               "Every copy is a use, and the adjoint adds one contribution per use: sum, never mean, and over the "
               "broadcast axes only.",
               "First sum g over axis 0 until g.ndim == len(shape) (those axes were added in front); then, for "
               "each axis where shape has 1 and g does not, g = g.sum(axis=axis, keepdims=True).")),
)
