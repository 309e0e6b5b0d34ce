"""W3 Jacobian of y = tanh(W x), W of shape (m, n): forward mode against reverse mode.

Forward mode costs one sweep per input direction (n), reverse mode one per output (m), so
jacfwd should win when n < m and jacrev when n > m; the table shows which mode wins at each
shape for each library. Reference: the closed form J = diag(1 - tanh(W x)**2) W.
"""

import numpy as np

from harness import Skip, attempt, check, load, measure, ms, ratio, table

SHAPES = ((1, 1000), (10, 1000), (100, 100), (1000, 10), (1000, 1))  # (n inputs, m outputs)
MODES = ("jacfwd", "jacrev")


def make_problem(n, m):
    rng = np.random.default_rng(n * 10_000 + m)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    return W, x, (1 - np.tanh(W @ x) ** 2)[:, None] * W


# Each setup returns {mode: callable returning the (m, n) Jacobian, or why the mode is missing}.


def adlab_setup(W, x):
    adlab = load("adlab")
    import adlab.numpy as anp

    f = lambda x: anp.tanh(W @ x)  # noqa: E731
    jacfwd, jacrev = adlab.jacfwd(f), adlab.jacrev(f)
    return {"jacfwd": lambda: jacfwd(x), "jacrev": lambda: jacrev(x)}


def autograd_setup(W, x):
    autograd = load("autograd")
    f = lambda x: autograd.numpy.tanh(W @ x)  # noqa: E731
    jacobian = autograd.jacobian(f)  # reverse mode, one VJP per output
    basis = np.eye(x.size)

    def jacfwd():  # autograd has forward mode (make_jvp) but no jacfwd: one JVP per input, as a user would write it
        jvp_at_x = autograd.make_jvp(f)(x)
        return np.stack([jvp_at_x(e)[1] for e in basis], axis=-1)

    return {"jacfwd": jacfwd, "jacrev": lambda: jacobian(x)}


def torch_setup(W, x):
    torch = load("torch")
    tW, tx = torch.from_numpy(W), torch.from_numpy(x)
    f = lambda x: torch.tanh(tW @ x)  # noqa: E731
    jacfwd, jacrev = torch.func.jacfwd(f), torch.func.jacrev(f)
    return {"jacfwd": lambda: jacfwd(tx), "jacrev": lambda: jacrev(tx)}


def jax_setup(W, x):
    jax = load("jax")
    jW, jx = jax.numpy.asarray(W), jax.numpy.asarray(x)
    f = lambda x: jax.numpy.tanh(jW @ x)  # noqa: E731
    jacfwd, jacrev = jax.jacfwd(f), jax.jacrev(f)
    return {"jacfwd": lambda: jax.block_until_ready(jacfwd(jx)),
            "jacrev": lambda: jax.block_until_ready(jacrev(jx))}


SETUPS = {"adlab": adlab_setup, "autograd": autograd_setup, "torch": torch_setup, "jax (eager)": jax_setup}


def measure_mode(where, job, expected, settings):
    """(median seconds, check cell) of one mode; job is its callable or why it is missing."""
    if isinstance(job, str):
        raise Skip(job)
    seconds, jacobian = measure(job, settings)
    return seconds, check(where, [jacobian], [expected])


def run(settings):
    rows = []
    for n, m in SHAPES:
        W, x, expected = make_problem(n, m)
        results = {}
        for name, setup in SETUPS.items():
            modes = attempt(name, f"W3 {name} n={n} m={m}", setup, W, x)
            for mode in MODES:
                where = f"W3 {name} {mode} n={n} m={m}"
                job = modes if isinstance(modes, str) else modes[mode]
                results.setdefault(name, {})[mode] = attempt(name, where, measure_mode, where, job, expected, settings)
        theory = "jacfwd" if n < m else "jacrev" if n > m else "either"
        timed = {name: {mode: r[0] for mode, r in res.items() if isinstance(r, tuple)} for name, res in results.items()}
        best = {name: min(t.values(), default=None) for name, t in timed.items()}
        for name, res in results.items():
            t = timed[name]
            status = "; ".join(dict.fromkeys(r[1] if isinstance(r, tuple) else r for r in res.values()))
            rows.append([f"({n}, {m})", theory, name, *(ms(t[mode]) if mode in t else "—" for mode in MODES),
                         min(t, key=t.get) if len(t) == 2 else "—", ratio(best["adlab"], best[name]), status])
    table("W3 Jacobian of tanh(W x), W of shape (m, n) (ms, median)",
          ["(n, m)", "theory", "library", "jacfwd", "jacrev", "faster", "adlab best/peer best", "check / status"],
          rows, ["theory: the mode that needs fewer sweeps (n inputs for jacfwd, m outputs for jacrev). "
                 "Check: against diag(1 - tanh(W x)²) W, relative error.",
                 "micrograd: n/a (scalar-only engine)."])
