"""`%load_ext adlab` in a real IPython shell (no notebook server): what a class types, what it gets back."""

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.utils.capture import capture_output

from adlab.display.explorer import Explorer
from adlab.trace import Trace

SEED = "x1*x2 + x2 - ln(x1) at x1=3, x2=-4"
TABLE_1_CELL = """\
v1 = x1 * x2
v2 = ln(x1)
v3 = v1 + x2
v3 - v2
"""


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "adlab")
    shell.run_cell("import numpy as np\ndef f(x1, x2):\n    return x1*x2 + x2 - np.log(x1)\n")
    yield shell
    shell.run_line_magic("unload_ext", "adlab")


def trace(shell, line, cell=None):
    if cell is None:
        return shell.run_line_magic("trace", line)
    return shell.run_cell_magic("trace", line, cell)


def usage_error(shell, source):
    """What a student sees when `source` is wrong: stderr, which must be one UsageError line."""
    with capture_output() as captured:
        result = shell.run_cell(source)
    assert isinstance(result.error_in_exec, UsageError)
    lines = captured.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("UsageError: ") and "Traceback" not in captured.stdout
    return lines[0].removeprefix("UsageError: ")


def test_an_expression_gives_its_primal_trace(shell):
    t = trace(shell, "x1*x2 + x2 - ln(x1) at x1=2, x2=4")
    assert isinstance(t, Trace) and t.mode == "primal"
    assert [r.op for r in t] == ["input", "input", "multiply", "add", "log", "subtract"]
    assert [type(r.value) for r in t if r.is_input] == [float, float]  # x1=2 means 2.0
    assert t.value == pytest.approx(11.307, abs=5e-4)  # Table 1, with v4 = v3 − v2 (errata)


def test_cell_body_reproduces_table_1_row_by_row(shell):
    t = trace(shell, "at x1=2, x2=4", TABLE_1_CELL)
    assert [r.op for r in t] == ["input", "input", "multiply", "log", "add", "subtract"]
    assert [round(r.value, 3) for r in t] == [2.0, 4.0, 8.0, 0.693, 12.0, 11.307]


@pytest.mark.parametrize("choice", ["x2", "dx2", "=x2", "x_2"])
def test_forward_along_an_input_is_table_2(shell, choice):
    separator = "" if choice.startswith("=") else " "
    t = trace(shell, f"--forward{separator}{choice} {SEED}")
    assert t.mode == "forward" and t.seed == (0.0, 1.0)
    assert t.output_tangents == (4.0,)  # ∂y/∂x2 = x1 + 1 (the source prints −4)


def test_reverse_is_table_3_and_a_cell_can_be_swept_too(shell):
    x1_bar, x2_bar = trace(shell, f"--reverse {SEED}").input_adjoints
    assert x1_bar == pytest.approx(-13 / 3) and x2_bar == 4.0
    t = trace(shell, "--reverse at x1=3, x2=-4", TABLE_1_CELL)
    assert [round(r.adjoint, 4) for r in t] == [-4.3333, 4.0, 1.0, -1.0, 1.0, 1.0]


def test_a_notebook_function_by_position_or_by_name(shell):
    by_position = trace(shell, "--forward x1 f at 3, -4")
    by_name = trace(shell, "--forward x1 f at x2=-4, x1=3")
    assert by_position.output_tangents == by_name.output_tangents == (pytest.approx(-4 - 1 / 3),)
    assert by_position.function is shell.user_ns["f"]


def test_several_outputs_and_arrays(shell):
    t = trace(shell, "--reverse=y2 (x * w, sum(x * x)) at x=[1, 2], w=3")
    assert t.rows[0].value.dtype == float
    np.testing.assert_array_equal(t.input_adjoints[0], [2.0, 4.0])  # ∂Σx²/∂x = 2x
    assert t.input_adjoints[1] == 0.0


def test_run_cell_displays_the_trace(shell):
    result = shell.run_cell(f"%trace --reverse {SEED}")
    assert isinstance(result.result, Trace) and "Reverse Adjoint Trace" in result.result._repr_html_()


def test_graph_shows_the_dag_with_the_sweep(shell):
    drawing = trace(shell, f"--graph --reverse {SEED}")
    bundle = drawing._repr_mimebundle_()
    shown = bundle.get("image/svg+xml") or bundle["text/html"]  # SVG from dot, or the DOT source without it
    assert "v₁ = v₋₁ × v₀" in shown and "v̄₋₁ = −4.333" in shown


def test_explore_opens_the_explorer_on_the_chosen_sweep(shell):
    explorer = trace(shell, f"--explore --forward x2 {SEED}")
    assert isinstance(explorer, Explorer)
    assert explorer.mode.value == "forward" and explorer.direction.value == (1, ())
    assert explorer.trace.output_tangents == (4.0,)
    explorer = trace(shell, "--explore --reverse=y2 (x1, x1 * x2) at x1=3, x2=-4")
    assert explorer.mode.value == "reverse" and explorer.output.value == (1, ())
    assert explorer.trace.input_adjoints == (-4.0, 3.0)


@pytest.mark.parametrize("source, message", [
    ("%trace x1*x2 + at x1=3, x2=-4", "syntax error in 'x1*x2 +'"),
    ("%trace x1*x3 at x1=3", "unknown name 'x3'"),
    ("%trace x1*x2 at x1=3", "unknown name 'x2': give it a value after 'at'"),
    ("%trace f at 3", "missing a required argument: 'x2'"),
    ("%trace x1*x2", "say where to evaluate"),
    ("%trace --backward f at 3, -4", "unknown option --backward"),
    ("%trace --forward f at 3, -4", "nothing to trace before 'at' (--forward took 'f' as its input)"),
    ("%trace --forward x3 f at 3, -4", "no such input; the inputs are x1, x2"),
    ("%trace --forward x1 --reverse f at 3, -4", "choose one sweep"),
    ("%trace f at 3, -4 --reverse", "options go before the expression"),
    ("%trace --reverse (x, x*x) at x=2", "f returns 2 values: choose one, e.g. --reverse=y1"),
    ("%trace f at 3, 'four'", "input 2 = 'four' is not a number"),
    ("%trace x*2 at 3", "name the inputs"),
    ("%trace np.array([x, x]) at x=1", "TypeError: a traced value cannot become a plain NumPy array"),
    ("%%trace at x1=3\ny = x1 * 2\n", "end the cell with an expression"),
    ("%%trace at x1=3\nv1 = x1 * 2\nv1 + x9\n", "unknown name 'x9' in line 3 of the cell: give it a value"),
    ("%%trace at x1=3\nv1 = (x1 * 2\nv1\n", "syntax error in 'v1 = (x1 * 2' (line 2 of the cell)"),
])
def test_mistakes_show_one_line(shell, source, message):
    assert message in usage_error(shell, source)


def test_an_operation_without_derivative_rules_is_one_line(shell):
    shell.run_cell("import adlab\nclamp = adlab.primitive(lambda x: np.clip(x, 0.0, 1.0), name='clamp')")
    assert "primitive 'clamp' has no JVP rule" in usage_error(shell, "%trace --forward x clamp(x) at x=0.5")


def test_errors_inside_a_notebook_function_say_where(shell):
    shell.run_cell("def g(x):\n    y = x * 2\n    return y / undefined_name\n")
    assert usage_error(shell, "%trace g at 1").startswith("unknown name 'undefined_name' in g, line 3: ")


def test_help_documents_the_syntax(shell):
    help_text = shell.find_line_magic("trace").__doc__
    for example in ("%trace x1*x2 + x2 - ln(x1) at x1=2, x2=4", "--forward X", "--reverse=Y", "--graph",
                    "--explore", "%%trace"):
        assert example in help_text


def test_unload_removes_the_magics_and_restores_what_they_replaced():
    shell = InteractiveShell.instance()

    @magics_class
    class Other(Magics):
        @line_magic
        def trace(self, line):
            return "someone else's %trace"

    shell.register_magics(Other)
    shell.run_line_magic("load_ext", "adlab")
    assert shell.find_cell_magic("trace") is not None
    assert isinstance(shell.run_line_magic("trace", SEED), Trace)
    shell.run_line_magic("unload_ext", "adlab")
    assert shell.find_cell_magic("trace") is None and "TraceMagics" not in shell.magics_manager.registry
    assert shell.run_line_magic("trace", "") == "someone else's %trace"
    del shell.magics_manager.magics["line"]["trace"]
    del shell.magics_manager.registry["Other"]
