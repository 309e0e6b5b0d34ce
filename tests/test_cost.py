"""adlab.cost: operation counts, sweeps and tape memory exactly; times only for sanity."""

import numpy as np
import pytest

import adlab
from adlab import cost as ac


def seed_example(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


rng = np.random.default_rng(0)
W, x, b = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(2)


def layer(W, x, b):
    return np.tanh(W @ x + b)


def logistic(x):
    for _ in range(20):
        x = 4 * x * (1 - x)
    return x


def test_ops_counts_operation_rows():
    assert ac.ops(seed_example, 3.0, -4.0) == 4
    assert ac.ops(adlab.trace(seed_example, 3.0, -4.0)) == 4
    assert ac.ops(logistic, 0.3) == 60


def test_sweeps_for_the_full_jacobian_are_n_forward_and_m_reverse():
    report = ac.cost(layer, W, x, b, timing=False)
    assert (report.n, report.m) == (6 + 3 + 2, 2)
    assert (report.forward_sweeps, report.reverse_sweeps) == (11, 2)
    scalar = ac.cost(seed_example, 3.0, -4.0, timing=False)
    assert (scalar.forward_sweeps, scalar.reverse_sweeps) == (2, 1)


@pytest.mark.parametrize("f, args", [
    (seed_example, (3.0, -4.0)),
    (logistic, (0.3,)),
    (layer, (W, x, b)),
    (lambda v: np.sum(np.exp(v) / np.sum(np.exp(v)) * np.log1p(v * v)), (x,)),
], ids=["seed", "logistic", "layer", "softmax-ish"])
def test_counted_c_is_below_six(f, args):
    """The notes' bound: one sweep costs c·ops(f) with c < 6, counted in elementary operations."""
    ops = ac.ops(f, *args)
    assert 1 < ac.jvp_ops(f, *args) / ops < 6
    assert 1 < ac.vjp_ops(f, *args) / ops < 6


def test_jvp_and_vjp_counts_of_the_seed():
    # forward: 4 operations of f, and 7 for the tangents (v̇1 = v̇₋₁·v0 + v̇0·v₋₁ alone is three)
    assert ac.jvp_ops(seed_example, 3.0, -4.0) == 11
    # reverse: 4 of f, then the adjoint contributions and the sums where a value has two uses
    assert ac.vjp_ops(seed_example, 3.0, -4.0) == 10


def test_jvp_ops_sees_tangent_work_on_constants_too():
    """With constant tangents, 2·ẋ would be folded away; tangents are traced inputs, so it counts."""
    assert ac.jvp_ops(lambda v: 2.0 * v, 1.0) == 2


def test_tape_bytes_counts_each_stored_number_once():
    assert ac.tape_bytes(seed_example, 3.0, -4.0) == 6 * 8            # two inputs, four results
    assert ac.tape_bytes(lambda v: 2.0 * v, 1.0) == 3 * 8             # input, the constant 2.0, result
    # W, x, b and tanh's result (its VJP reads 1 − tanh²); W@x and +b are kept as shapes only
    assert ac.tape_bytes(layer, W, x, b) == (6 + 3 + 2 + 2) * 8
    assert ac.tape_bytes(logistic, 0.3) == ac.tape_bytes(adlab.trace(logistic, 0.3))


def test_tape_grows_with_ops_for_reverse_mode():
    short = ac.tape_bytes(lambda v: logistic(v), 0.3)
    longer = ac.tape_bytes(lambda v: logistic(logistic(v)), 0.3)
    assert longer > short


def test_report_without_timing_is_reproducible():
    report = ac.cost(seed_example, 3.0, -4.0, timing=False)
    assert report.f_seconds is None and report.jvp_c is None
    assert repr(report) == repr(ac.cost(seed_example, 3.0, -4.0, timing=False))
    text = repr(report)
    assert "11 = 2.75 × ops(f)" in text and "10 = 2.50 × ops(f)" in text and "48 bytes" in text
    assert "time" not in text
    html = report._repr_html_()
    assert html.startswith('<table class="adlab-report"><caption>Cost of seed_example&#x27;s derivatives</caption>')
    assert html.count("<tr>") == 7 and '<th scope="row" style="text-align:left">ops(f)</th>' in html


def test_report_with_timing_measures_positive_ratios():
    report = ac.cost(seed_example, 3.0, -4.0, min_time=0.002)
    for seconds in (report.f_seconds, report.jvp_seconds, report.vjp_seconds,
                    report.generated_jvp_seconds, report.generated_vjp_seconds):
        assert seconds > 0
    assert report.jvp_c > 0 and report.vjp_c > 0 and report.generated_jvp_c > 0 and report.generated_vjp_c > 0
    assert "c timed: adlab.jvp" in repr(report) and "generated VJP" in repr(report)


def test_no_generated_times_where_codegen_cannot_write_f():
    report = ac.cost(lambda v: np.prod(v), x, min_time=0.002)
    assert report.jvp_seconds > 0 and report.generated_jvp_seconds is None
    assert "generated" not in repr(report)


def test_seconds_per_call_repeats_batches():
    calls = []
    seconds = ac.seconds_per_call(lambda: calls.append(1), min_time=0.001, repeat=3)
    assert seconds > 0
    assert len(calls) >= 3
