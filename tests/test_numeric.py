"""Tests for adlab.numeric: convergence orders, complex step, evaluation counts, error study."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adlab import numeric as nm

FUNCTIONS = {  # name: (f, f')
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
}


def counting(f):
    """f plus our own call counter, independent of the library's."""
    def wrapped(x):
        wrapped.calls += 1
        return f(x)
    wrapped.calls = 0
    return wrapped


def observed_order(method, f, x, exact, steps):
    """Slope of log(error) against log(h): the empirical order of accuracy."""
    errors = [abs(nm.derivative(f, x, method, h) - exact) for h in steps]
    return np.polyfit(np.log(steps), np.log(errors), 1)[0]


# ----------------------------------------------------------- convergence

# Step ranges where truncation error dominates round-off for sin/exp near x = 0.7.
ORDER_CASES = [
    ("forward", 1, (1e-4, 1e-2)),
    ("backward", 1, (1e-4, 1e-2)),
    ("central", 2, (1e-3, 1e-1)),
    ("central4", 4, (1e-2, 1e-1)),
    ("central6", 6, (3e-2, 2e-1)),
    ("central8", 8, (5e-2, 3e-1)),
    ("complex", 2, (1e-3, 1e-1)),
]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("method, order, hrange", ORDER_CASES)
def test_method_converges_at_its_order(method, order, hrange, name):
    f, df = FUNCTIONS[name]
    x = 0.7
    steps = np.geomspace(*hrange, 8)
    slope = observed_order(method, f, x, df(x), steps)
    assert slope == pytest.approx(order, abs=0.25), f"{method} on {name}: slope {slope:.2f}"


@pytest.mark.parametrize("levels", [1, 2])
def test_richardson_raises_the_order_by_two_per_level(levels):
    x, exact = 0.7, np.cos(0.7)
    steps = np.geomspace(0.1, 0.5, 6)
    errors = [abs(nm.richardson(np.sin, x, h, levels) - exact) for h in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(2 * levels + 2, abs=0.4)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_richardson_beats_central_difference(name):
    f, df = FUNCTIONS[name]
    x = 1.0
    exact = df(x)
    h = 0.1
    assert abs(nm.richardson(f, x, h, levels=3) - exact) < 1e-4 * abs(nm.central_difference(f, x, h) - exact)
    # ... and even the central difference at its best step
    assert abs(nm.richardson(f, x) - exact) < 0.1 * abs(nm.central_difference(f, x) - exact)


def test_default_steps_give_expected_accuracy():
    x, exact = 1.0, np.cos(1.0)
    assert abs(nm.forward_difference(np.sin, x) - exact) < 1e-7
    assert abs(nm.backward_difference(np.sin, x) - exact) < 1e-7
    assert abs(nm.central_difference(np.sin, x) - exact) < 1e-9
    assert abs(nm.central_difference(np.sin, x, order=4) - exact) < 1e-12


def test_default_step_scales_with_x():
    assert nm.optimal_step("forward", 0.0) == pytest.approx(np.sqrt(nm.EPS))
    assert nm.optimal_step("central", 1e6) == pytest.approx(nm.EPS ** (1 / 3) * 1e6)
    assert nm.optimal_step("central4", -2.0) == pytest.approx(nm.EPS ** (1 / 5) * 2)
    assert nm.optimal_step("complex") is None
    # at large x the scaled default still gives a good derivative
    assert nm.central_difference(np.log, 1e6) == pytest.approx(1e-6, rel=1e-8)


@settings(max_examples=50, deadline=None)
@given(coeffs=st.lists(st.floats(-10, 10), min_size=3, max_size=3), x=st.floats(-3, 3))
def test_central_difference_is_exact_for_quadratics(coeffs, x):
    a, b, c = coeffs
    f = lambda t: a * t**2 + b * t + c
    assert nm.central_difference(f, x, h=0.5) == pytest.approx(2 * a * x + b, abs=1e-12)


# ----------------------------------------------------------- complex step


@pytest.mark.parametrize("x", [-2.0, 0.3, 1.0, 5.0])
def test_complex_step_exact_to_round_off(x):
    f = lambda t: np.exp(t) * np.sin(t)
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    assert abs(nm.complex_step(f, x) - exact) <= 1e-15 * abs(exact) + 1e-300


def test_complex_step_beats_best_central_difference():
    f = lambda t: np.exp(t) / np.sqrt(np.sin(t) ** 3 + np.cos(t) ** 3)  # Squire & Trapp's example
    exact = nm.richardson(f, 1.5, 0.05, levels=4)
    assert abs(nm.complex_step(f, 1.5) - exact) < 1e-12 * abs(exact)
    assert abs(nm.central_difference(f, 1.5) - exact) > 1e-12 * abs(exact)


@pytest.mark.parametrize("f", [
    np.abs,                              # returns a real dtype
    lambda z: np.sqrt(z.real ** 2 + 1),  # drops the imaginary part
    lambda z: max(z, 0.0),               # Python cannot compare complex numbers
    lambda z: float(z) ** 2,             # float() of a complex
    lambda z: __import__("math").exp(z),  # math.* is real-only
    lambda z: np.array([z, 1.0], dtype=float)[0],  # stored in a real array
], ids=["abs", "real", "max", "float", "math", "real-array"])
def test_complex_step_refuses_non_holomorphic_functions(f):
    with pytest.raises(TypeError, match="complex step does not apply"):
        nm.complex_step(f, 0.5)


def test_complex_step_error_says_imaginary_part_was_dropped():
    with pytest.raises(TypeError, match="dropped the imaginary part.*not holomorphic.*central_difference"):
        nm.complex_step(np.abs, 0.5)


def test_complex_gradient_refuses_non_holomorphic_function():
    with pytest.raises(TypeError, match="complex step does not apply"):
        nm.gradient(lambda v: np.sum(np.abs(v)), [1.0, 2.0], method="complex")


# ----------------------------------------------------------- gradients, Jacobians, counts


def seed_f(v):
    """The notes' example y = x1 x2 + x2 - ln x1."""
    return v[0] * v[1] + v[1] - np.log(v[0])


def seed_grad(v):
    return np.array([v[1] - 1 / v[0], v[0] + 1])


def vector_f(v):
    """R^3 -> R^2."""
    return np.array([v[0] * v[1] * v[2], np.sin(v[0]) + v[2] ** 2])


def vector_jac(v):
    return np.array([[v[1] * v[2], v[0] * v[2], v[0] * v[1]],
                     [np.cos(v[0]), 0.0, 2 * v[2]]])


@pytest.mark.parametrize("method, tol", [("forward", 1e-6), ("backward", 1e-6), ("central", 1e-9),
                                         ("central4", 1e-11), ("complex", 1e-15)])
def test_gradient_of_seed_example(method, tol):
    x = np.array([3.0, -4.0])
    result = nm.gradient(seed_f, x, method=method)
    np.testing.assert_allclose(result.value, [-4 - 1 / 3, 4.0], rtol=tol, atol=tol)
    assert result.method == method
    assert result.value.shape == (2,)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("method, cost", [("forward", lambda n: n + 1), ("backward", lambda n: n + 1),
                                          ("central", lambda n: 2 * n), ("central4", lambda n: 4 * n),
                                          ("complex", lambda n: n)])
def test_gradient_evaluation_counts(method, cost, n):
    f = counting(lambda v: np.sum(np.exp(v) * v))
    x = np.linspace(-1, 1, n)
    result = nm.gradient(f, x, method=method)
    assert f.calls == cost(n)
    assert result.evaluations == cost(n)
    np.testing.assert_allclose(result.value, np.exp(x) * (1 + x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("m, n", [(1, 1), (2, 3), (4, 2), (3, 5)])
@pytest.mark.parametrize("method, columnwise, entrywise", [
    ("central", lambda m, n: 2 * n, lambda m, n: 2 * m * n),
    ("forward", lambda m, n: n + 1, lambda m, n: 2 * m * n),
    ("complex", lambda m, n: n, lambda m, n: m * n),
])
def test_jacobian_evaluation_counts(method, columnwise, entrywise, m, n):
    A = np.arange(1.0, m * n + 1).reshape(m, n) / (m * n)
    f = counting(lambda v: np.sin(A @ v))
    x = np.linspace(0.1, 0.9, n)
    exact = np.cos(A @ x)[:, None] * A
    for elementwise, cost in [(False, columnwise), (True, entrywise)]:
        f.calls = 0
        result = nm.jacobian(f, x, method=method, elementwise=elementwise)
        assert (f.calls, result.evaluations) == (cost(m, n), cost(m, n)), f"elementwise={elementwise}"
        assert result.value.shape == (m, n)
        np.testing.assert_allclose(result.value, exact, rtol=1e-6, atol=1e-9)


def test_jacobian_matches_analytic_and_elementwise_agrees():
    x = np.array([0.5, -1.5, 2.0])
    column = nm.jacobian(vector_f, x)
    entry = nm.jacobian(vector_f, x, elementwise=True)
    np.testing.assert_allclose(column.value, vector_jac(x), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(column.value, entry.value)  # same formula, same numbers
    assert (column.evaluations, entry.evaluations) == (6, 12)


def test_gradient_and_jacobian_accept_integers_and_per_component_steps():
    result = nm.gradient(seed_f, [3, -4], h=[1e-6, 1e-5])
    np.testing.assert_allclose(result.value, seed_grad(np.array([3.0, -4.0])), rtol=1e-8)
    np.testing.assert_array_equal(result.step, [1e-6, 1e-5])
    assert nm.jacobian(vector_f, np.array([1, 2, 3])).value.dtype == float


def test_default_vector_steps_scale_per_component():
    result = nm.gradient(lambda v: np.sum(v**2), [0.0, 1e4])
    np.testing.assert_allclose(result.step, [nm.EPS ** (1 / 3), nm.EPS ** (1 / 3) * 1e4])
    np.testing.assert_allclose(result.value, [0.0, 2e4], atol=1e-6)


# ----------------------------------------------------------- bad input


@pytest.mark.parametrize("h", [0.0, -1e-3, np.nan, np.inf, 1j])
def test_bad_step_is_refused(h):
    with pytest.raises(ValueError, match="step h must be"):
        nm.central_difference(np.sin, 1.0, h)
    with pytest.raises(ValueError, match="step h must be"):
        nm.gradient(seed_f, [3.0, -4.0], h=h)


def test_non_finite_function_values_are_reported():
    with pytest.raises(ValueError, match="non-finite"):
        nm.forward_difference(lambda t: np.log(t) if t > 0 else np.nan, 0.0)
    with pytest.raises(ValueError, match="non-finite"), np.errstate(divide="ignore"):
        nm.gradient(lambda v: 1 / v[0], [0.0, 1.0])
    with pytest.raises(ValueError, match="non-finite"):
        nm.complex_step(lambda z: z / 0 if z.imag == 0 else np.nan + 0j, 1.0)


def test_other_bad_input_is_refused_with_clear_errors():
    with pytest.raises(ValueError, match="unknown method 'centre'"):
        nm.gradient(seed_f, [3.0, -4.0], method="centre")
    with pytest.raises(ValueError, match="order must be one of"):
        nm.central_difference(np.sin, 1.0, order=3)
    with pytest.raises(ValueError, match="single number.*gradient"):
        nm.central_difference(np.sin, [1.0, 2.0])
    with pytest.raises(ValueError, match="1-D vector"):
        nm.gradient(seed_f, np.ones((2, 2)))
    with pytest.raises(ValueError, match="use jacobian"):
        nm.gradient(vector_f, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one per component"):
        nm.gradient(seed_f, [3.0, -4.0], h=[1e-6, 1e-6, 1e-6])
    with pytest.raises(TypeError, match="must be a function"):
        nm.gradient(3.0, [1.0])
    with pytest.raises(TypeError, match="must be real"):
        nm.complex_step(np.sin, 1 + 1j)
    with pytest.raises(ValueError, match="levels"):
        nm.richardson(np.sin, 1.0, 0.1, levels=-1)


# ----------------------------------------------------------- error analysis and plot


@pytest.fixture(scope="module")
def study():
    f = lambda t: np.exp(t) * np.sin(t)
    x = 1.0
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    return nm.error_vs_step(f, x, exact, methods=("forward", "central", "central4", "complex"),
                            steps=np.logspace(-16, 0, 81))


@pytest.mark.parametrize("method", ["forward", "central", "central4"])
def test_error_vs_step_has_a_v_shape_with_bottom_near_optimal_h(study, method):
    err = study.errors[method]
    h_opt = study.optimal_steps[method]
    best = np.nanargmin(err)
    assert abs(np.log10(study.steps[best] / h_opt)) < 1.5  # bottom within ~30x of theory
    near = np.argmin(abs(np.log(study.steps / h_opt)))
    assert err[near] < 30 * err[best]
    assert err[0] > 1e3 * err[best]   # round-off arm at h = 1e-16
    assert err[-1] > 1e3 * err[best]  # truncation arm at h = 1


def test_error_vs_step_optimal_steps_follow_the_theory(study):
    assert study.optimal_steps["forward"] == pytest.approx(nm.EPS ** (1 / 2))
    assert study.optimal_steps["central"] == pytest.approx(nm.EPS ** (1 / 3))
    assert study.optimal_steps["central4"] == pytest.approx(nm.EPS ** (1 / 5))
    assert study.optimal_steps["complex"] is None


def test_error_vs_step_complex_step_has_no_round_off_arm(study):
    err = study.errors["complex"]
    small = study.steps < 1e-8
    assert np.all(err[small] <= 4 * nm.EPS * abs(study.exact))
    assert err[-1] > 1e-3  # O(h**2) truncation at h = 1


def test_error_vs_step_records_nan_where_f_is_undefined():
    data = nm.error_vs_step(np.log, 0.5, 2.0, methods=("central",), steps=[1e-3, 1.0])
    assert data.errors["central"][0] < 1e-5
    assert np.isnan(data.errors["central"][1])  # x - h = -0.5 is outside log's domain


def test_plot_has_one_line_per_method(study):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = nm.plot_error_vs_step(study)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    labels = [line.get_label().split(":")[0] for line in ax.lines]
    assert labels == list(study.errors)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.collections) == 3  # optimal-h markers, none for complex step
    # zero errors are lifted to a positive floor so the log plot shows them
    assert all(np.all(line.get_ydata() > 0) for line in ax.lines)
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_plot_draws_on_a_given_axes(study):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert nm.plot_error_vs_step(study, ax=ax) is fig
    assert len(ax.lines) == len(study.errors)


def test_importing_numeric_imports_only_numpy_and_stdlib():
    code = ("import sys, adlab.numeric; "
            "bad = [m for m in ('matplotlib', 'scipy', 'sympy', 'hypothesis') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__import__("pathlib").Path(__file__).parents[1])
    assert out.stdout.strip() == "[]"
