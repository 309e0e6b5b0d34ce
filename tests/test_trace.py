"""The evaluation trace: the seed's worked example pinned, and the engine's numbers."""

import numpy as np
import pytest

import adlab
from adlab.testing import check_grads
from course import seed_example


def test_table1_primal_trace_at_2_4():
    t = adlab.trace(seed_example, 2.0, 4.0)
    assert [r.index for r in t] == [-1, 0, 1, 2, 3, 4]
    assert [r.op for r in t] == ["input", "input", "multiply", "log", "add", "subtract"]
    assert [r.inputs for r in t] == [(), (), (-1, 0), (-1,), (1, 0), (3, 2)]
    assert [r.label for r in t] == ["x_1", "x_2", None, None, None, "y"]
    assert [r.name for r in t][:3] == ["v_{-1}", "v_0", "v_1"]
    assert [round(r.value, 3) for r in t] == [2.0, 4.0, 8.0, 0.693, 12.0, 11.307]
    assert t.value == pytest.approx(11.307, abs=5e-4) and t.outputs == (4,)


def test_table2_forward_tangent_trace_at_3_minus4_along_x2():
    t = adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0)
    assert [round(r.value, 4) for r in t] == [3.0, -4.0, -12.0, 1.0986, -16.0, -17.0986]
    assert [r.tangent for r in t] == [0.0, 1.0, 3.0, 0.0, 4.0, 4.0]
    assert t.output_tangents == (4.0,)  # the source prints ẏ = −4 (errata)


def test_table3_reverse_adjoint_trace_at_3_minus4():
    t = adlab.trace(seed_example, 3.0, -4.0).reverse()
    assert [round(r.adjoint, 4) for r in t] == [-4.3333, 4.0, 1.0, -1.0, 1.0, 1.0]
    x1, x2 = t.input_adjoints
    assert x1 == pytest.approx(-4.3333, abs=5e-5) and x2 == 4.0
    # x̄1 = v̄2·(1/v−1) + v̄1·v0 and x̄2 = v̄3·1 + v̄1·v−1: one contribution per use, in sweep order
    assert [(c.row, c.position, round(c.value, 4)) for c in t[-1].contributions] == [(2, 0, -0.3333), (1, 0, -4.0)]
    assert [(c.row, c.position, c.value) for c in t[0].contributions] == [(3, 1, 1.0), (1, 1, 3.0)]
    assert t[4].contributions == ()


def test_local_partials_come_from_the_rules():
    t = adlab.trace(seed_example, 3.0, -4.0)
    assert t.local_partials(1) == (-4.0, 3.0)
    assert t.local_partials(2) == pytest.approx((1 / 3,))
    assert t.local_partials(4) == (1.0, -1.0)
    assert t.local_partials(-1) == ()


def mixed(x, W, b):
    h = np.tanh(W @ x + b)
    return np.sum(h * h) + np.max(h), h[::2]


def test_trace_sweeps_equal_jvp_and_vjp():
    rng = np.random.default_rng(0)
    args = (rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(4))
    tangents = tuple(rng.standard_normal(np.shape(a)) for a in args)
    t = adlab.trace(mixed, *args)
    out, tangent_out = adlab.jvp(mixed, args, tangents)
    forward = t.forward(*tangents)
    assert forward.output_tangents[0] == tangent_out[0]
    np.testing.assert_array_equal(forward.output_tangents[1], tangent_out[1])
    cotangents = (1.5, rng.standard_normal(2))
    _, pullback = adlab.vjp(mixed, *args)
    for ours, theirs in zip(t.reverse(*cotangents).input_adjoints, pullback(cotangents)):
        np.testing.assert_array_equal(ours, theirs)


def test_constants_are_operands_without_a_row():
    t = adlab.trace(lambda x: 2.0 * x + 1.0, 3.0)
    assert [(o.index, o.value) for o in t[1].operands] == [(None, 2.0), (0, 3.0)]
    assert t[2].inputs == (1,) and t.forward(1.0).output_tangents == (2.0,)


def test_trace_of_several_outputs_and_constant_outputs():
    t = adlab.trace(lambda x: (x * 2.0, 5.0, x), 1.5)
    assert t.outputs == (1, None, 0) and t.value == (3.0, 5.0, 1.5)
    assert [r.label for r in t] == ["y_3", "y_1"]
    assert t.forward(1.0).output_tangents == (2.0, 0.0, 1.0)
    assert t.reverse(1.0, 1.0, 1.0).input_adjoints == (3.0,)
    with pytest.raises(ValueError, match="one cotangent per output"):
        t.reverse()


def test_trace_indexing_and_errors():
    t = adlab.trace(seed_example, 2.0, 4.0)
    assert t[4].value == t.value and len(t) == 6 and t.n_inputs == 2
    assert "2 input(s), 4 operation(s)" in repr(t)
    with pytest.raises(IndexError, match="v_5"):
        t[5]
    with pytest.raises(ValueError, match="one tangent per input"):
        t.forward(1.0)
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(\)"):
        t.forward(np.ones(2), 0.0)


def test_seed_example_gradient_checks():
    check_grads(seed_example, (3.0, -4.0), order=3)


def test_a_trace_knows_whether_f_looked_at_its_values():
    """Level.read: a comparison, bool(x) or an index computed from traced values marks the path as value-dependent,
    seen through inner levels too (core keeps no hook for the layers above it)."""
    from adlab.core import arraybox, numpy_dispatch, numpy_functions, value_reads

    assert not any(hasattr(module, "observer") for module in (value_reads, numpy_functions, numpy_dispatch, arraybox))
    assert not adlab.trace(lambda x: x * x + 1.0, 2.0).reads_values
    assert adlab.trace(lambda x: x * x if x > 0 else -x, 2.0).reads_values
    assert adlab.trace(lambda x: np.sort(x)[0] * x[1], np.array([2.0, 1.0])).reads_values
    assert not adlab.trace(adlab.grad(lambda x: np.abs(x) * x), 2.0).reads_values  # abs's rule: a sign primitive
    assert adlab.trace(adlab.grad(lambda x: x * x if x > 1.0 else x), 2.0).reads_values  # through grad's level
