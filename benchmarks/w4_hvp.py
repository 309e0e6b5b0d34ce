"""W4 Hessian-vector product of f(x) = sum(tanh(x)**2) + 0.5 * x @ A @ x, A dense symmetric.

Each library's own HVP recipe against its own gradient, whose ratio says what the second
derivative costs: adlab.hvp (its default, reverse on forward), autograd.hessian_vector_product
(reverse over reverse), vjp(grad) in torch.func (reverse over reverse) and jvp(grad) in JAX
(forward over reverse).
References in closed form, with t = tanh(x):
grad = 2 t (1 - t²) + A x and H v = (2 - 6 t²)(1 - t²) v + A v.
"""

import functools

import numpy as np

from harness import attempt, check, load, measure, ms, ratio, table


def make_problem(n):
    rng = np.random.default_rng(n)
    A = rng.standard_normal((n, n))
    A += A.T  # symmetric; at n = 10,000 this is 800 MB of float64
    A *= 0.5 / np.sqrt(n)
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    t = np.tanh(x)
    return A, x, v, 2 * t * (1 - t * t) + A @ x, (2 - 6 * t * t) * (1 - t * t) * v + A @ v


def f(np_, A, x):
    return np_.sum(np_.tanh(x) ** 2) + 0.5 * (x @ A @ x)


# Each setup returns (gradient at x, HVP at x along v) as two callables.


def adlab_setup(A, x, v):
    adlab = load("adlab")
    import adlab.numpy as anp

    fa = functools.partial(f, anp, A)
    grad = adlab.grad(fa)
    return (lambda: grad(x)), (lambda: adlab.hvp(fa, (x,), (v,)))


def autograd_setup(A, x, v):
    autograd = load("autograd")
    fa = functools.partial(f, autograd.numpy, A)
    grad, hvp = autograd.grad(fa), autograd.hessian_vector_product(fa)  # hvp: reverse over reverse
    return (lambda: grad(x)), (lambda: hvp(x, v))


def torch_setup(A, x, v):
    torch = load("torch")
    tA, tx, tv = (torch.from_numpy(a) for a in (A, x, v))
    grad = torch.func.grad(functools.partial(f, torch, tA))
    # Reverse over reverse: torch.func's jvp(grad) gave the same numbers 5x slower at n = 10,000.
    return (lambda: grad(tx)), (lambda: torch.func.vjp(grad, tx)[1](tv)[0])


def jax_setup(A, x, v):
    jax = load("jax")
    jA, jx, jv = (jax.numpy.asarray(a) for a in (A, x, v))
    grad = jax.grad(functools.partial(f, jax.numpy, jA))
    return (lambda: jax.block_until_ready(grad(jx))), (lambda: jax.block_until_ready(jax.jvp(grad, (jx,), (jv,))[1]))


SETUPS = {"adlab": adlab_setup, "autograd": autograd_setup, "torch": torch_setup, "jax (eager)": jax_setup}


def measure_library(where, setup, problem, settings):
    A, x, v, expected_grad, expected_hvp = problem
    grad, hvp = setup(A, x, v)
    grad_seconds, g = measure(grad, settings)
    hvp_seconds, h = measure(hvp, settings)
    return grad_seconds, hvp_seconds, check(where, [g, h], [expected_grad, expected_hvp])


def run(settings):
    rows = []
    for n in (1000,) if settings.quick else (1000, 10_000):
        problem = make_problem(n)
        results = {}
        for name, setup in SETUPS.items():
            where = f"W4 {name} n={n}"
            results[name] = attempt(name, where, measure_library, where, setup, problem, settings)
        adlab = results["adlab"][1] if isinstance(results["adlab"], tuple) else None
        for name, r in results.items():
            if isinstance(r, str):
                rows.append([f"{n:,}", name, "—", "—", "—", "—", r])
            else:
                rows.append([f"{n:,}", name, ms(r[0]), ms(r[1]), f"{r[1] / r[0]:.2f}", ratio(adlab, r[1]), r[2]])
    table("W4 Hessian-vector product of sum(tanh(x)²) + ½ xᵀAx (ms, median)",
          ["n", "library", "gradient", "HVP", "HVP/gradient", "adlab/peer HVP", "check / status"], rows,
          ["Check: gradient and HVP against their closed forms, relative error.",
           "micrograd: n/a (scalar-only engine)."])
