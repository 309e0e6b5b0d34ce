"""adlab.symbolic: traces and functions as SymPy expressions, agreement with AD, expression swell."""

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import adlab
from adlab import symbolic as sy
from scalar_cases import SCALAR_CASES


def seed_example(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


x1, x2 = sp.symbols("x1 x2", real=True)


def test_seed_trace_is_the_seed_formula():
    expr = sy.expression(adlab.trace(seed_example, 3.0, -4.0))
    assert sp.simplify(expr - (x1 * x2 + x2 - sp.log(x1))) == 0
    assert expr.free_symbols == {x1, x2}  # named after f's parameters


def test_symbols_can_be_chosen():
    a, b = sp.symbols("a b", real=True)
    assert sy.expression(adlab.trace(seed_example, 3.0, -4.0), "a b") == a * b + b - sp.log(a)
    assert sy.expression(adlab.trace(lambda *xs: xs[0] * xs[1], 1.0, 2.0)) == sp.Symbol("x_1", real=True) * sp.Symbol(
        "x_2", real=True)
    with pytest.raises(ValueError, match="2 input"):
        sy.expression(adlab.trace(seed_example, 3.0, -4.0), "a")


def test_from_function_runs_numpy_code_on_symbols():
    assert sy.from_function(seed_example) == sy.expression(adlab.trace(seed_example, 3.0, -4.0))
    assert sy.from_function(lambda x: np.square(x) + np.reciprocal(x), "x") == sp.Symbol("x", real=True) ** 2 + 1 / sp.Symbol(
        "x", real=True)


def test_from_function_symbols_cover_the_required_parameters_only():
    x = sp.Symbol("x", real=True)
    def two_steps(x, depth=2):
        return sy.logistic_map(x, depth)
    assert sy.from_function(two_steps) == 4 * (4 * x * (1 - x)) * (1 - 4 * x * (1 - x))


def test_np_where_on_a_symbol_is_piecewise():
    x = sp.Symbol("x", real=True)
    leaky_relu = sy.from_function(lambda x: np.where(x > 0, x, 0.1 * x))
    assert leaky_relu == sp.Piecewise((x, x > 0), (sp.Float(0.1) * x, True))
    assert [sy.evaluate(sp.diff(leaky_relu, x), [x], [v]) for v in (2.0, -2.0)] == [1.0, 0.1]


def test_compare_agrees_with_ad_on_the_seed():
    result = sy.compare(seed_example, 3.0, -4.0)
    assert result.gradient == (x2 - 1 / x1, x1 + 1)
    assert result.symbolic == pytest.approx((-4 - 1 / 3, 4.0), abs=1e-14)
    assert result.ad == pytest.approx(result.symbolic, abs=1e-14)
    assert result.max_difference < 1e-14
    assert "∂f/∂x1 = x2 - 1/x1" in repr(result)


# -- every primitive with a SymPy counterpart ------------------------------------------------



def test_every_sympy_counterpart_has_a_case():
    assert set(SCALAR_CASES) == {prim.name for prim in sy.SYMPY}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_symbolic_gradient_equals_ad(name):
    f, point = SCALAR_CASES[name]
    assert name in [row.op for row in adlab.trace(f, *point)]
    result = sy.compare(f, *point)
    assert result.symbolic == pytest.approx(result.ad, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("f, point", [
    (np.abs, (0.0,)),                            # sign(0) = 0, AD's abs'(0) = 0
    (np.maximum, (0.5, 0.5)),                    # Heaviside(0) = 1/2, AD's tie split
    (np.minimum, (0.5, 0.5)),
    (lambda x: np.clip(x, -1.0, 1.0), (3.0,)),  # outside the bounds
], ids=["abs-at-0", "max-tie", "min-tie", "clip-outside"])
def test_conventions_agree_at_awkward_points(f, point):
    result = sy.compare(f, *point)
    assert result.symbolic == pytest.approx(result.ad)


def test_where_follows_the_branch_the_trace_took():
    f = SCALAR_CASES["where"][0]
    assert sy.expression(adlab.trace(f, 0.3, -1.2), "x y") == sp.Symbol("x", real=True) * sp.Symbol("y", real=True)
    assert sy.expression(adlab.trace(f, -2.0, 1.0), "x y") == sp.Symbol("y", real=True) - sp.Symbol("x", real=True)


def test_integral_constants_read_as_integers():
    expr = sy.expression(adlab.trace(lambda x: 4.0 * x * (1 - x) + 0.5, 0.3), "x")
    x = sp.Symbol("x", real=True)
    assert expr == 4 * x * (1 - x) + sp.Float(0.5)


# -- what has no closed form ---------------------------------------------------------------


def with_a_loop_and_a_branch(x):
    y = x
    for _ in range(3):
        y = np.sin(y) + x
    if y > 0:
        return y * y
    return -y


def newton_sqrt(a):
    """√a by Newton's method: how many steps depends on a."""
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = (x + a / x) / 2
    return x


def test_control_flow_ad_differentiates_but_sympy_cannot_convert():
    for f, point, exact in [(newton_sqrt, 2.0, 0.5 / np.sqrt(2.0)), (with_a_loop_and_a_branch, 0.5, None)]:
        with pytest.raises(sy.SymbolicError, match="branches on the value of its input") as error:
            sy.from_function(f)
        assert error.value.__cause__ is not None and "truth value" in str(error.value.__cause__)
        derivative = adlab.grad(f)(point)
        if exact is not None:
            assert derivative == pytest.approx(exact)
        # the trace is the path taken at this point, and that path does have an expression
        assert sy.compare(f, point).symbolic == pytest.approx((derivative,))


def test_the_trace_of_a_branch_is_the_branch_taken():
    x = sp.Symbol("x", real=True)
    assert sy.expression(adlab.trace(with_a_loop_and_a_branch, 0.5)) == (x + sp.sin(x + sp.sin(x + sp.sin(x)))) ** 2
    assert sy.expression(adlab.trace(with_a_loop_and_a_branch, -0.5)) == -x - sp.sin(x + sp.sin(x + sp.sin(x)))


def test_array_code_is_refused_in_one_sentence():
    rng = np.random.default_rng(0)
    W, v = rng.standard_normal((2, 3)), rng.standard_normal(3)
    with pytest.raises(sy.SymbolicError, match="input x_2 is an array of shape"):
        sy.expression(adlab.trace(lambda a, v: a * np.sum(W @ v), 2.0, v))
    with pytest.raises(sy.SymbolicError, match="works on arrays"):
        sy.expression(adlab.trace(lambda a, b: np.sum(np.stack([a, b])), 1.0, 2.0))
    with pytest.raises(sy.SymbolicError, match="works on arrays"):
        sy.from_function(lambda a: np.sum(a))


def test_primitive_without_counterpart_is_named():
    softplus = adlab.primitive(lambda x: np.logaddexp(0.0, x), name="softplus")
    with pytest.raises(sy.SymbolicError, match="'softplus' has no SymPy counterpart"):
        sy.expression(adlab.trace(lambda x: softplus(x) * 2.0, 1.0))


def test_math_module_on_a_symbol_is_explained():
    import math

    with pytest.raises(sy.SymbolicError, match="needs a number"):
        sy.from_function(lambda x: math.sin(x))


# -- expression swell ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def swell():
    return sy.expression_swell(range(1, 7))


def test_swell_table_has_every_example_and_depth(swell):
    assert [(r.example, r.depth) for r in swell] == [(name, d) for name in sy.SWELL_EXAMPLES for d in range(1, 7)]
    text = repr(swell)
    assert text.splitlines()[0].split()[:3] == ["example", "depth", "f"] and len(text.splitlines()) == 19
    assert swell._repr_html_().count("<tr>") == 19


def test_ad_work_grows_linearly_with_depth(swell):
    per_layer = {"product rule": 3, "softplus layers": 5, "logistic map": 3}
    for row in swell:
        assert row.trace_ops == per_layer[row.example] * row.depth
        assert 1 < row.jvp_ops / row.trace_ops < 6 and 1 < row.vjp_ops / row.trace_ops < 6


def test_logistic_map_derivative_swells_exponentially_and_cse_undoes_it(swell):
    naive = [r.derivative_ops for r in swell if r.example == "logistic map"]
    cse = [r.cse_ops for r in swell if r.example == "logistic map"]
    assert all(b > 2.5 * a for a, b in zip(naive[1:], naive[2:]))       # each layer multiplies the size
    cse_growth = [b / a for a, b in zip(cse[1:], cse[2:])]
    assert cse_growth == sorted(cse_growth, reverse=True) and cse_growth[-1] < 1.5   # polynomial, not exponential
    assert naive[-1] > 20 * cse[-1]


def test_cse_never_grows_the_derivative_and_naive_swell_beats_ad(swell):
    for row in swell:
        assert row.cse_ops <= row.derivative_ops
    for name in sy.SWELL_EXAMPLES:
        deepest = [r for r in swell if r.example == name][-1]
        assert deepest.derivative_ops > deepest.vjp_ops


@pytest.mark.parametrize("name", list(sy.SWELL_EXAMPLES))
def test_swell_examples_symbolic_derivative_equals_ad(name):
    family, point = sy.SWELL_EXAMPLES[name]
    f = lambda x: family(x, 5)  # noqa: E731
    assert sy.compare(f, point).symbolic == pytest.approx((adlab.grad(f)(point),), rel=1e-12)


def test_plot_expression_swell(swell):
    figure = sy.plot_expression_swell(swell)
    axes = figure.get_axes()
    assert [ax.get_title() for ax in axes] == list(sy.SWELL_EXAMPLES)
    assert all(ax.get_yscale() == "log" for ax in axes)
    assert len(axes[0].get_lines()) == 5
    assert list(axes[2].get_lines()[0].get_ydata()) == [r.derivative_ops for r in swell if r.example == "logistic map"]


def test_import_adlab_loads_neither_sympy_nor_matplotlib():
    code = ("import sys, adlab, adlab.cost, adlab.codegen, adlab.testing; "
            "print('sympy' in sys.modules, 'matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
