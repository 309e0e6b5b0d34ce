"""adlab.compiled: generated derivative programs against the engine, the hand-written floor and peers.

W1 (the scalar chain of w1_scalar.py, value and d/dx) and W2 (the MLP of w2_mlp.py, value and the
six weight gradients), each candidate timed in interleaved rounds in this one process (round k
times every candidate once before round k + 1 starts), so a change in the machine's load moves
every row alike; the table shows medians over the rounds. W1 is timed with the cyclic GC off
around each call (micrograd's best case). Build time: the first call of a compiled function
(record the trace, write and compile the program), per operation of the chain, and JAX's
first jit call (trace and XLA compile) beside it.
"""

import functools
import gc
import statistics
import time

import w1_scalar
import w2_mlp
from harness import Skip, attempt, check, fmt3, load, ms, table

X0 = w1_scalar.X0


def _timed(run, gc_off):
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        start = time.perf_counter()
        result = run()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def interleaved(candidates, rounds, gc_off):
    """{name: (median seconds, last result)}; each candidate called once per round, after one warm-up call.

    The order rotates from round to round: whichever candidate runs right after another inherits
    its heap and caches, which moved a ratio of two equal programs by 4 % with a fixed order.
    """
    results = {name: [[], run()] for name, run in candidates.items()}
    names = list(candidates)
    for k in range(rounds):
        for name in names[k % len(names):] + names[:k % len(names)]:
            seconds, results[name][1] = _timed(candidates[name], gc_off)
            results[name][0].append(seconds)
    return {name: (statistics.median(times), result) for name, (times, result) in results.items()}


def first_call(make):
    """Seconds of the first call of make()'s callable (building it included), and the callable."""
    gc.collect()
    start = time.perf_counter()
    run = make()
    run()
    return time.perf_counter() - start, run


# -- W1 -------------------------------------------------------------------------------------------


def adlab_chain_function(n):
    import adlab.numpy as anp

    return lambda x: w1_scalar.chain(x, n, anp.tanh, anp.exp, anp.log)


def w1_candidates(n):
    adlab = load("adlab")
    f = adlab_chain_function(n)
    engine = adlab.value_and_grad(f)
    compiled = adlab.compiled(adlab.value_and_grad(f))
    build, _ = first_call(lambda: functools.partial(compiled, X0))
    candidates = {"adlab engine": lambda: engine(X0), "adlab compiled": lambda: compiled(X0),
                  "Python floats, hand-written": lambda: w1_scalar.reference(n)}
    builds = {"adlab compiled": build}
    try:
        candidates["micrograd"] = w1_scalar.micrograd_chain(n)
    except Skip:
        pass
    if n <= 10_000:  # jit of a 1e5-op chain: minutes of XLA compile time
        try:
            jax = load("jax")
            jnp = jax.numpy
            jitted = jax.jit(jax.value_and_grad(lambda x: w1_scalar.chain(x, n, jnp.tanh, jnp.exp, jnp.log)))
            x = jnp.asarray(X0)
            builds["jax (jit)"], _ = first_call(lambda: lambda: jax.block_until_ready(jitted(x)))
            candidates["jax (jit)"] = lambda: jax.block_until_ready(jitted(x))
        except Skip:
            pass
    return candidates, builds


def run_w1(settings):
    sizes = (1000, 10_000) if settings.quick else (1000, 10_000, 100_000)
    rows, build_rows = [], []
    for n in sizes:
        expected = w1_scalar.reference(n)
        made = attempt("adlab", f"compiled W1 N={n}", w1_candidates, n)
        if isinstance(made, str):
            rows.append([f"{n:,}", "adlab", made] + ["—"] * 4)
            continue
        candidates, builds = made
        rounds = 3 if settings.quick else (9 if n <= 10_000 else 5)
        timings = interleaved(candidates, rounds, gc_off=True)
        floor = timings["Python floats, hand-written"][0]
        compiled = timings["adlab compiled"][0]
        for name, (seconds, result) in timings.items():
            status = check(f"compiled W1 {name} N={n}", [float(v) for v in result], expected)
            rows.append([f"{n:,}", name, fmt3(seconds / n * 1e6), fmt3(seconds / floor),
                         fmt3(compiled / seconds), status])
        for name, seconds in builds.items():
            per_call = timings[name][0]
            build_rows.append([f"{n:,}", name, ms(seconds), fmt3(seconds / n * 1e6), ms(per_call)])
    table("Compiled W1: value and d/dx of the scalar chain, GC off (µs per operation, median of interleaved rounds)",
          ["N", "candidate", "µs/op", "/ floor", "compiled / this", "check / status"], rows,
          ["floor: the chain's value and derivative written by hand on Python floats with `math` "
           "(forward mode, w1_scalar.reference). compiled / this: adlab compiled's time over this row's."])
    table("Compiled W1: build time (first call: record, write and compile; JAX: trace and XLA compile)",
          ["N", "candidate", "first call ms", "µs per operation", "later calls ms"], build_rows)


# -- W2 -------------------------------------------------------------------------------------------


def run_w2(settings):
    params, X, Y = w2_mlp.make_data()
    reference = w2_mlp.backprop(*params, X, Y)
    adlab = load("adlab")
    import adlab.numpy as anp

    loss = functools.partial(w2_mlp.loss, anp)
    engine = adlab.value_and_grad(loss, argnums=w2_mlp.WEIGHTS)
    compiled = adlab.compiled(adlab.value_and_grad(loss, argnums=w2_mlp.WEIGHTS))
    builds = {"adlab compiled": first_call(lambda: lambda: compiled(*params, X, Y))[0]}
    candidates = {"NumPy, hand-written": lambda: w2_mlp.backprop(*params, X, Y),
                  "adlab engine": lambda: engine(*params, X, Y), "adlab compiled": lambda: compiled(*params, X, Y)}
    try:
        jax = load("jax")
        args = [jax.numpy.asarray(a) for a in (*params, X, Y)]
        jitted = jax.jit(jax.value_and_grad(functools.partial(w2_mlp.loss, jax.numpy), argnums=w2_mlp.WEIGHTS))
        builds["jax (jit)"] = first_call(lambda: lambda: jax.block_until_ready(jitted(*args)))[0]
        candidates["jax (jit)"] = lambda: jax.block_until_ready(jitted(*args))
    except Skip:
        pass
    timings = interleaved(candidates, 5 if settings.quick else 100, gc_off=False)
    floor = timings["NumPy, hand-written"][0]
    rows = []
    for name, (seconds, (value, grads)) in timings.items():
        status = check(f"compiled W2 {name}", [value, *grads], [reference[0], *reference[1]])
        build = ms(builds[name]) if name in builds else "—"
        rows.append([name, ms(seconds), fmt3(seconds / floor), build, status])
    table("Compiled W2: MLP 784-256-256-10 value + six gradients, batch 128 (ms, median of interleaved rounds)",
          ["candidate", "value+grad", "/ NumPy", "first call (build)", "check / status"], rows)


def run(settings):
    run_w1(settings)
    run_w2(settings)
