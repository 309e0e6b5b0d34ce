"""W1 scalar graph: a chain of N scalar operations, build plus reverse sweep (d chain / dx).

The chain cycles y*0.9, y+x, tanh, exp, log from y = x = 0.5. It stays in (0, 1) and its
derivative converges, so every size has a finite, well-conditioned answer; the reference is
pure-Python forward mode (dual numbers) on floats. Reported: microseconds per operation with
Python's cyclic GC on (the default) and off, and one long chain run in a fresh subprocess for
wall time and peak memory (peak RSS).
"""

import json
import math
import subprocess
import sys
import time

from harness import REPO, Skip, attempt, check, fmt3, keep_freed_memory, load, measure, ratio, table

X0 = 0.5


def chain(x, n, tanh, exp, log):
    """n operations (n a multiple of 5), in the order y*0.9, y+x, tanh, exp, log."""
    y = x
    for _ in range(n // 5):
        y = log(exp(tanh(y * 0.9 + x)))
    return y


def reference(n, x=X0):
    """Value and derivative of the chain by forward mode on plain floats."""
    y, dy = x, 1.0
    for _ in range(n // 5):
        y, dy = y * 0.9 + x, dy * 0.9 + 1.0
        y = math.tanh(y)
        dy *= 1.0 - y * y
        y = math.exp(y)
        dy *= y
        dy /= y
        y = math.log(y)
    return y, dy


# Each builder takes n and returns a callable computing (value, d value / dx) from scratch.


def adlab_chain(n):
    adlab = load("adlab")
    import adlab.numpy as anp

    value_and_grad = adlab.value_and_grad(lambda x: chain(x, n, anp.tanh, anp.exp, anp.log))
    return lambda: value_and_grad(X0)


def micrograd_chain(n):
    Value = load("micrograd").engine.Value
    # Value.backward sorts the graph with a recursive DFS: one Python frame per node of the chain.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3 * n + 1000))

    def run():
        x = Value(X0)
        y = chain(x, n, Value.tanh, Value.exp, Value.log)
        y.backward()
        return y.data, x.grad

    return run


def autograd_chain(n):
    autograd = load("autograd")
    anp = autograd.numpy

    value_and_grad = autograd.value_and_grad(lambda x: chain(x, n, anp.tanh, anp.exp, anp.log))
    return lambda: value_and_grad(X0)


def torch_chain(n):
    torch = load("torch")

    def run():
        x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        y = chain(x, n, torch.tanh, torch.exp, torch.log)
        (dx,) = torch.autograd.grad(y, x)
        return y.item(), dx.item()

    return run


def jax_chain(n):
    jax = load("jax")
    jnp = jax.numpy

    value_and_grad = jax.value_and_grad(lambda x: chain(x, n, jnp.tanh, jnp.exp, jnp.log))
    return lambda: value_and_grad(X0)


CHAINS = {"adlab": adlab_chain, "micrograd": micrograd_chain, "autograd": autograd_chain,
          "torch": torch_chain, "jax": jax_chain}


def per_op(library, n, settings, expected, speed):
    """µs per operation with GC on and off; speed[library] remembers the last for estimates."""
    if library in speed and speed[library] * n * 1e-6 > settings.run_cap:
        raise Skip(f"skipped (about {speed[library] * n * 1e-6:.0f} s a run, over the {settings.run_cap:.0f} s cap)")
    run = CHAINS[library](n)
    on, result_on = measure(run, settings, gc_enabled=True)
    off, result_off = measure(run, settings, gc_enabled=False)
    speed[library] = on / n * 1e6
    where = f"W1 {library} N={n}"
    status = check(where, [float(v) for v in result_on], expected)
    status_off = check(where + " (GC off)", [float(v) for v in result_off], expected)
    return {"on": on / n * 1e6, "off": off / n * 1e6, "check": status if status_off.startswith("ok") else status_off}


def run(settings):
    sizes = (1000, 10_000) if settings.quick else (1000, 10_000, 100_000)
    speed, rows = {}, []
    for n in sizes:
        expected = reference(n)
        results = {lib: attempt(lib, f"W1 {lib} N={n}", per_op, lib, n, settings, expected, speed) for lib in CHAINS}
        base = results["adlab"] if isinstance(results["adlab"], dict) else {}
        for lib, r in results.items():
            if isinstance(r, str):
                rows.append([f"{n:,}", lib, "—", "—", "—", "—", r])
            else:
                rows.append([f"{n:,}", lib, fmt3(r["on"]), fmt3(r["off"]),
                             ratio(base.get("on"), r["on"]), ratio(base.get("off"), r["off"]), r["check"]])
    table("W1 scalar graph: chain of N operations, build + reverse sweep (µs per operation, median)",
          ["N", "library", "GC on", "GC off", "adlab/peer GC on", "adlab/peer GC off", "check / status"], rows,
          ["Check: value and dx against pure-Python forward mode, relative error."])
    long_chain(settings)


def long_chain(settings):
    """One long adlab chain in a fresh interpreter: wall time and peak RSS."""
    n = 100_000 if settings.quick else 1_000_000

    def body():
        load("adlab")  # Skip here if adlab is not installed
        out = subprocess.run([sys.executable, __file__, "adlab", str(n)], capture_output=True, text=True,
                             timeout=1800, cwd=REPO)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode)
        r = json.loads(out.stdout)
        status = check(f"W1 long chain N={n}", [r["value"], r["grad"]], reference(n))
        return [fmt3(r["wall"]), fmt3(r["wall"] / n * 1e6), f"{r['peak_mb']:.0f}",
                f"{r['peak_mb'] - r['start_mb']:.0f}", status]

    r = attempt("adlab", "W1 long chain", body)
    table(f"W1 long chain: one chain of N = {n:,} in a fresh process (GC on)",
          ["library", "N", "wall s", "µs/op", "peak RSS MB", "RSS growth MB", "check / status"],
          [["adlab", f"{n:,}", *(r if isinstance(r, list) else ["—"] * 4 + [r])]],
          ["RSS growth: peak resident memory minus the peak before the chain (after imports and a 1,000-op warm-up). "
           "Any library's: python benchmarks/w1_scalar.py LIBRARY N (prints JSON)."])


def peak_rss_mb():
    """This process's peak resident memory (Linux's VmHWM; ru_maxrss would include the parent's at fork)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def _long_chain_child(lib, n):
    keep_freed_memory()
    CHAINS[lib](1000)()
    start = peak_rss_mb()
    run = CHAINS[lib](n)
    t0 = time.perf_counter()
    value, grad = run()
    wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "value": float(value), "grad": float(grad),
                      "start_mb": start, "peak_mb": peak_rss_mb()}))


if __name__ == "__main__":
    _long_chain_child(sys.argv[1], int(sys.argv[2]))
