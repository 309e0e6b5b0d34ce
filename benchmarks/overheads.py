"""Fixed overheads of adlab's engine: jacfwd of a one-element input against one jvp (W3 at
(n, m) = (1, 1000)), and HVP against gradient (W4 at n = 1,000).

Both pairs timed in interleaved rounds in this one process (each round times a batch of calls of
one, then of the other: warm caches, as in a loop), so the machine's load moves them alike; the
table gives the ratio of the medians and the median of the per-round ratios.
"""

import functools
import statistics

import numpy as np

import w3_jacobian
import w4_hvp
from harness import attempt, check, fmt3, load, per_call, table


def paired(first, second, rounds, calls=20):
    """Median seconds per call of each, and the median of first/second over rounds (one warm-up call each).

    A round times `calls` calls of first, then as many of second: warm caches, as in a loop that calls
    either, while the machine's load moves both alike.
    """
    first(), second()
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call(first, calls)[0])
        b.append(per_call(second, calls)[0])
    return statistics.median(a), statistics.median(b), statistics.median([x / y for x, y in zip(a, b)])


def jacfwd_row(rounds):
    adlab = load("adlab")
    import adlab.numpy as anp

    W, x, expected = w3_jacobian.make_problem(1, 1000)
    f = lambda x: anp.tanh(W @ x)  # noqa: E731
    jacfwd, v = adlab.jacfwd(f), np.ones_like(x)
    status = check("overheads jacfwd n=1", [jacfwd(x)], [expected])
    a, b, per_round = paired(lambda: jacfwd(x), lambda: adlab.jvp(f, (x,), (v,)), rounds)
    return ["jacfwd / one jvp, W3 (n, m) = (1, 1000)", f"{a * 1e6:.1f} µs / {b * 1e6:.1f} µs",
            fmt3(a / b), fmt3(per_round), "≤ 1.2", status]


def hvp_row(rounds):
    adlab = load("adlab")
    import adlab.numpy as anp

    A, x, v, grad_expected, hvp_expected = w4_hvp.make_problem(1000)
    fa = functools.partial(w4_hvp.f, anp, A)
    grad = adlab.grad(fa)
    status = check("overheads HVP n=1000", [grad(x), adlab.hvp(fa, (x,), (v,))], [grad_expected, hvp_expected])
    a, b, per_round = paired(lambda: adlab.hvp(fa, (x,), (v,)), lambda: grad(x), rounds)
    return ["HVP / gradient, W4 n = 1,000", f"{a * 1e3:.3f} ms / {b * 1e3:.3f} ms",
            fmt3(a / b), fmt3(per_round), "≤ 2.0", status]


def run(settings):
    rounds = 30 if settings.quick else 400
    rows = [attempt("adlab", "overheads jacfwd", jacfwd_row, rounds), attempt("adlab", "overheads HVP", hvp_row, rounds)]
    table("Fixed overheads (interleaved rounds)",
          ["pair", "medians", "ratio of medians", "median of per-round ratios", "target", "check / status"],
          [row if isinstance(row, list) else ["—"] * 5 + [row] for row in rows])
