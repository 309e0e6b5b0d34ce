"""W2 array: loss of an MLP 784-256-256-10, forward only and value + gradient of all six weights.

tanh hidden layers, mean softmax cross-entropy through a max-shifted log-sum-exp, batch 128,
fixed seed. The floor is the same formula in plain NumPy: its forward pass and a hand-written
backprop, which is the reference every library's loss and gradients are checked against (itself
checked by a directional finite difference). Peak memory of value + gradient is measured with
tracemalloc, which sees NumPy's allocations but not torch's or XLA's own allocators.
"""

import functools
import gc
import tracemalloc
from types import SimpleNamespace

import numpy as np

from harness import attempt, check, load, measure, ms, ratio, table

BATCH, LAYERS = 128, (784, 256, 256, 10)
WEIGHTS = tuple(range(6))  # argnums of W1, b1, W2, b2, W3, b3


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:], strict=True):
        params += [rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), 0.1 * rng.standard_normal(fan_out)]
    X = rng.standard_normal((BATCH, LAYERS[0]))
    Y = np.eye(LAYERS[-1])[rng.integers(0, LAYERS[-1], BATCH)]  # one-hot labels
    return params, X, Y


def loss(np_, W1, b1, W2, b2, W3, b3, X, Y):
    """The benchmark's formula, written once against a NumPy-like namespace np_."""
    h1 = np_.tanh(X @ W1 + b1)
    h2 = np_.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    m = np_.max(z, axis=1, keepdims=True)
    lse = m + np_.log(np_.sum(np_.exp(z - m), axis=1, keepdims=True))
    return np_.sum(lse - np_.sum(Y * z, axis=1, keepdims=True)) / X.shape[0]


def backprop(W1, b1, W2, b2, W3, b3, X, Y):
    """Loss and its six gradients, by hand, in plain NumPy: the floor and the reference."""
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    s = np.sum(e, axis=1, keepdims=True)
    value = np.sum(m + np.log(s) - np.sum(Y * z, axis=1, keepdims=True)) / X.shape[0]
    dz = (e / s - Y) / X.shape[0]
    da2 = (dz @ W3.T) * (1 - h2 * h2)
    da1 = (da2 @ W2.T) * (1 - h1 * h1)
    return value, (X.T @ da1, da1.sum(0), h1.T @ da2, da2.sum(0), h2.T @ dz, dz.sum(0))


def finite_difference_check(params, X, Y, grads, eps=1e-6):
    """Relative error of the backprop's directional derivative against a central difference."""
    rng = np.random.default_rng(1)
    d = [rng.standard_normal(p.shape) for p in params]
    plus = loss(np, *(p + eps * di for p, di in zip(params, d, strict=True)), X, Y)
    minus = loss(np, *(p - eps * di for p, di in zip(params, d, strict=True)), X, Y)
    exact = sum(float(np.sum(g * di)) for g, di in zip(grads, d, strict=True))
    return abs((plus - minus) / (2 * eps) - exact) / abs(exact)


# Each setup returns (forward, value_and_grad, tracemalloc sees its memory); both callables take
# no arguments and return the loss, resp. (loss, six gradients).


def numpy_setup(params, X, Y):
    return (lambda: loss(np, *params, X, Y)), (lambda: backprop(*params, X, Y)), True


def adlab_setup(params, X, Y):
    adlab = load("adlab")
    import adlab.numpy as anp

    value_and_grad = adlab.value_and_grad(functools.partial(loss, anp), argnums=WEIGHTS)
    return (lambda: loss(anp, *params, X, Y)), (lambda: value_and_grad(*params, X, Y)), True


def autograd_setup(params, X, Y):
    autograd = load("autograd")
    anp = autograd.numpy

    value_and_grad = autograd.value_and_grad(functools.partial(loss, anp), argnum=WEIGHTS)
    return (lambda: loss(anp, *params, X, Y)), (lambda: value_and_grad(*params, X, Y)), True


def torch_setup(params, X, Y):
    torch = load("torch")
    tnp = SimpleNamespace(tanh=torch.tanh, exp=torch.exp, log=torch.log, sum=torch.sum, max=torch.amax)
    tparams = [torch.from_numpy(p).requires_grad_() for p in params]
    tX, tY = torch.from_numpy(X), torch.from_numpy(Y)

    def forward():
        with torch.no_grad():
            return loss(tnp, *tparams, tX, tY)

    def value_and_grad():
        value = loss(tnp, *tparams, tX, tY)
        return value.detach(), torch.autograd.grad(value, tparams)

    return forward, value_and_grad, False


def jax_setup(params, X, Y, jit):
    jax = load("jax")
    args = [jax.numpy.asarray(a) for a in (*params, X, Y)]
    forward = functools.partial(loss, jax.numpy)
    value_and_grad = jax.value_and_grad(forward, argnums=WEIGHTS)
    if jit:
        forward, value_and_grad = jax.jit(forward), jax.jit(value_and_grad)
    return (lambda: jax.block_until_ready(forward(*args)),
            lambda: jax.block_until_ready(value_and_grad(*args)), False)


SETUPS = {"NumPy, hand-written": numpy_setup, "adlab": adlab_setup, "autograd": autograd_setup,
          "torch": torch_setup, "jax (eager)": functools.partial(jax_setup, jit=False),
          "jax (jit)": functools.partial(jax_setup, jit=True)}


def traced_peak_mb(run):
    """Peak of NumPy's (tracemalloc-visible) allocations during run(), in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak / 2**20


def measure_library(name, setup, params, X, Y, reference, settings):
    forward, value_and_grad, traced = setup(params, X, Y)
    fwd, value = measure(forward, settings)
    vg, (vg_value, grads) = measure(value_and_grad, settings)
    ref_value, ref_grads = reference
    status = check(f"W2 {name}", [value, vg_value, *grads], [ref_value, ref_value, *ref_grads])
    peak = traced_peak_mb(value_and_grad) if traced else None
    return {"fwd": fwd, "vg": vg, "peak": peak, "check": status}


def run(settings):
    params, X, Y = make_data()
    ref_value, ref_grads = backprop(*params, X, Y)
    fd_error = finite_difference_check(params, X, Y, ref_grads)
    if fd_error > 1e-6:
        raise AssertionError(f"W2: the hand-written backprop disagrees with finite differences ({fd_error:.1e})")
    results = {name: attempt(name.split()[0], f"W2 {name}", measure_library, name, setup, params, X, Y,
                             (ref_value, ref_grads), settings)
               for name, setup in SETUPS.items()}

    floor = results["NumPy, hand-written"]
    adlab = results["adlab"] if isinstance(results["adlab"], dict) else {}
    rows = []
    for name, r in results.items():
        if isinstance(r, str):
            rows.append([name, *["—"] * 7, r])
            continue
        peak = "n/a (own allocator)" if r["peak"] is None else f"{r['peak']:.1f}"
        rows.append([name, ms(r["fwd"]), ms(r["vg"]), f"{r['vg'] / r['fwd']:.2f}", f"{r['vg'] / floor['vg']:.2f}",
                     ratio(adlab.get("vg"), r["vg"]), peak,
                     "—" if r["peak"] is None else f"{r['peak'] / floor['peak']:.2f}",
                     "reference" if r is floor else r["check"]])
    table("W2 array: MLP 784-256-256-10 loss, batch 128 (ms, median)",
          ["library", "forward", "value+grad", "grad/fwd", "v+g / NumPy", "adlab/peer v+g",
           "peak MB (v+g)", "peak / NumPy", "check / status"], rows,
          ["Check: loss (forward and value+grad) and the six gradients against the hand-written backprop, "
           f"relative error; the backprop itself agrees with a directional central difference to {fd_error:.0e}.",
           "micrograd: n/a (scalar-only engine)."])
