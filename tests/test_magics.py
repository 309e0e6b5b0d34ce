"""`%load_ext adlab` in a real IPython shell (no notebook server): what a class types, what it gets back."""

import inspect
import re

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.utils.capture import capture_output

import adlab
from adlab.display.explorer import Explorer
from adlab.display.graph import render, to_graphviz
from adlab.tracing import Trace

SEED = "x1*x2 + x2 - ln(x1) at x1=3, x2=-4"
TABLE_1_CELL = """\
v1 = x1 * x2
v2 = ln(x1)
v3 = v1 + x2
v3 - v2
"""


LOOP = """\
def loop(x):
    for _ in range(100):
        x = np.sin(x) * 1.5 + x
    return x
"""


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "adlab")
    shell.run_cell("import numpy as np\ndef f(x1, x2):\n    return x1*x2 + x2 - np.log(x1)\n")
    shell.run_cell(LOOP)
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


def shown(drawing):
    """What a graph shows: its SVG from dot, or the DOT source without it."""
    bundle = drawing._repr_mimebundle_()
    return bundle.get("image/svg+xml") or bundle["text/html"]


def test_graph_fold_draws_each_run_of_a_loop_body_as_one_node(shell):
    drawing = trace(shell, "--graph --fold loop at 1")
    expected = render(to_graphviz(adlab.trace(shell.user_ns["loop"], 1.0), fold=True))
    assert shown(drawing) == shown(expected)
    assert "100 × (sin, multiply, add)" in shown(drawing) and "v₁₅₀ =" not in shown(drawing)
    cell = trace(shell, "--graph --fold --reverse at x=1", "for _ in range(100):\n    x = np.sin(x) * 1.5 + x\nx\n")
    assert "100 × (sin, multiply, add)" in shown(cell)


@pytest.mark.parametrize("row", ["150", "v150", "v_150", "v₁₅₀"])
def test_graph_focus_draws_only_the_rows_near_one(shell, row):
    drawing = trace(shell, f"--graph --focus={row} --radius=1 loop at 1")
    expected = render(to_graphviz(adlab.trace(shell.user_ns["loop"], 1.0), focus=150, radius=1))
    assert shown(drawing) == shown(expected)
    # v₁₅₀ = v₁₄₉ + v₁₄₇ and the rows one edge from it; v₁₄₆, two edges away, is not drawn
    assert "v₁₅₀ = v₁₄₉ + v₁₄₇" in shown(drawing) and "v₁₄₆ =" not in shown(drawing)


def test_graph_focus_takes_the_radius_of_to_graphviz_by_default_and_an_input_row_too(shell):
    default = inspect.signature(to_graphviz).parameters["radius"].default
    t = adlab.trace(shell.user_ns["f"], 3.0, -4.0).reverse()
    for line in ("--graph --reverse --focus v-1 f at 3, -4", "--graph --reverse --focus=v₋₁ f at 3, -4",
                 "--graph --reverse --focus=-1 f at 3, -4"):
        assert shown(trace(shell, line)) == shown(render(to_graphviz(t, partials=True, focus=-1, radius=default)))
    assert shown(trace(shell, "--graph --focus=v3 --radius 0 f at 3, -4")) == shown(
        render(to_graphviz(adlab.trace(shell.user_ns["f"], 3.0, -4.0), focus=3, radius=0)))
    folded_and_focused = trace(shell, "--graph --fold --focus=v300 --radius=1 loop at 1")
    assert shown(folded_and_focused) == shown(
        render(to_graphviz(adlab.trace(shell.user_ns["loop"], 1.0), fold=True, focus=300, radius=1)))


def test_explore_fold_folds_the_explorers_graph(shell):
    explorer = trace(shell, "--explore --fold --reverse loop at 1")
    assert isinstance(explorer, Explorer) and explorer.fold.value and explorer.trace.mode == "reverse"
    assert "v₁ … v₃₀₀, 100 × (sin, multiply, add)" in explorer.digraph.description


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
    ("%%trace at x1=3\nv1 = (x1 * 2\nv1\n", "a '(' in 'v1 = (x1 * 2' (line 2 of the cell) is never closed"),
    ("%trace --graph --focus f at 3, -4", "nothing to trace before 'at' (--focus took 'f' as its row)"),
])
def test_mistakes_show_one_line(shell, source, message):
    assert message in usage_error(shell, source)


# -- typing slips (issue "Every view readable…", item 7): one sentence that names the fix, never a traceback --

SLIPS = [
    ('%trace x² + 1 at x²=2',
     'x² is not a valid Python name: write x2 for a name or x**2 for a power.'),
    ('%trace 2*class at class=3',
     'class is a reserved word in Python, so it cannot name an input: pick another name, e.g. class_, and use '
     'it in the expression too.'),
    ('%trace x*2 at x=−3',
     "'−' (U+2212) is not Python's minus: type - instead, as in %trace x*2 at x=-3."),
    ('%trace x1*2; x1*3 at x1=1',
     "%trace takes one expression and 'x1*2; x1*3' is statements, which %%trace takes: write them one per line "
     'in a cell that starts %%trace at x1=1, the output last.'),
    ('%trace x1*2 at x1=None',
     'x1 = None is not a number: give x1 a number, e.g. x1=3.'),
    ("%trace x1*2 at x1='3'",
     "x1 = '3' is not a number but a string: write the number without quotes, e.g. x1=3."),
    ("%trace x1*2 at x1=[1, 'a']",
     "x1 = [1, 'a'] holds the string 'a', which is not a number: an array input takes numbers only, e.g. "
     'x1=[1, 2].'),
    ('%trace x1*2 at x1=[None, 1]',
     'x1 = [None, 1] holds None, which is not a number: an array input takes numbers only, e.g. x1=[1, 2].'),
    ('%trace x1*2 at x1=np.array([1 + 2j])',
     'x1 = array([1.+2.j]) holds complex numbers, not real numbers: an array input takes real numbers only, '
     'e.g. x1=[1, 2].'),
    ("%trace x1*2 at x1={'a': 1}",
     "x1 = {'a': 1} is not a number but a dict: give a number or a list of numbers, e.g. x1=3."),
    ('%trace x1*2 at x1=[[1, 2], [3]]',
     'x1 = [[1, 2], [3]] has rows of different lengths: an array input needs rows of one length, e.g. x1=[[1, '
     '2], [3, 4]].'),
    ('%trace x1*2 at x1=1j',
     'x1 = 1j is not a real number: adlab differentiates real inputs, so give a real one, e.g. x1=3.'),
    ('%trace f at None, 3',
     'input 1 = None is not a number: give input 1 a number, e.g. 3.'),
    ('%%trace at x1=3\n# only a comment\n',
     'the cell has nothing to trace, only comments or blank lines: write statements below the %%trace line, '
     'ending with the output expression.'),
    ('%%trace at x1=3\nyield x1\n',
     'yield (line 2 of the cell) makes the cell a generator, which %%trace cannot trace: compute the output '
     'and end the cell with it (or return it).'),
    ('%%trace at x1=3\ny = x1 * 2\n',
     'end the cell with an expression: the output y (or return it).'),
    ('%%trace at x1=3\ny = x1 * 2\nprint(y)\n',
     "the cell's output is None, so there is nothing to trace: end the cell with the output expression (or "
     'return it on every path).'),
    ('%trace (x1*2 at x1=3',
     "a '(' in '(x1*2' is never closed: add its ')'."),
    ('%trace x1*2) at x1=3',
     "'x1*2)' has a ')' that closes nothing: remove it, or add the '(' it closes."),
    ('%trace (x1*2] at x1=3',
     "in '(x1*2]', ']' closes a '(': make each bracket close with its partner, ( with ), [ with ]."),
    ('%trace x1^2 + 1 at x1=3',
     '^ is not a power in Python (it is bitwise xor): write ** instead, as in x1**2 + 1.'),
    ('%%trace at x1=3\nv = x1 ^ 2\nv\n',
     '^ (line 2 of the cell) is not a power in Python (it is bitwise xor): write ** instead, as in x1 ** 2.'),
    ('%trace log10(x) at x=2',
     "unknown function 'log10': write log(x) / log(10), which adlab differentiates."),
    ('%trace sigmoid(x) at x=2',
     "unknown function 'sigmoid': write 1 / (1 + exp(-x)), which adlab differentiates."),
    ('%trace foo(x) at x=2',
     "unknown function 'foo': define it first (def foo(x): ...), or use a function %trace knows by its bare "
     'name (sin, cos, tan, exp, log or ln, sqrt, tanh, abs …).'),
    ('%trace np.ln(x) at x=2',
     'NumPy has no np.ln: write np.log.'),
    ('%%trace at x1=3\nv = log2(x1)\nv\n',
     "unknown function 'log2' (line 2 of the cell): write log(x1) / log(2), which adlab differentiates."),
    ('%trace x1*2 x1=3',
     "say where to evaluate: put 'at' before the values, %trace x1*2 at x1=3."),
    ('%trace x**2 At x=3',
     "write 'at' in lower case before the values: %trace x**2 at x=3."),
    ('%trace x**2 where x=3',
     "write 'at', not 'where', before the values: %trace x**2 at x=3."),
    ('%trace x1*2 at x1=',
     "x1 has no value: write a number after '=', e.g. x1=3."),
    ('%trace x1*2 at x1',
     'x1 has no value: write a number after it, e.g. x1=3.'),
    ('%trace x1*2 at x1=3, x2=',
     "x2 has no value: write a number after '=', e.g. x2=3."),
    ('%trace x1*x2 at x1=3, x1=4',
     'x1 is given two values; give each input once (Python refuses a repeated keyword too).'),
    ('%trace x1*2 at x1=3, x2=4',
     "x2 is given a value but the expression does not use it: remove x2=4 after 'at', or use it in the "
     'expression.'),
    ('%trace x**2 at X=3',
     "X is given a value but the expression uses x instead: write x=3 after 'at' (Python's names are "
     'case-sensitive), or write X in the expression.'),
    ('%%trace at x1=3, x2=4\nx1 * 2\n',
     "x2 is given a value but the cell does not use it: remove x2=4 after 'at', or use it in the cell."),
    ('%trace 2x at x=3',
     '2x is not a product in Python: write 2*x, with * between the number and the name.'),
    ('%trace 2(x+1) at x=3',
     '2(x+1) is not a product in Python (it calls 2 as a function): write * before the bracket, as in 2*(x+1).'),
    ('%trace (x+1)(x-1) at x=3',
     '(x+1)(x-1) is not a product in Python (it calls (x+1) as a function): write * before the bracket, as in '
     '(x+1)*(x-1).'),
    ('%trace sqrt x at x=3',
     'sqrt x is not a call in Python: write sqrt(x).'),
    ('%trace x1 x2 at x1=3, x2=4',
     "'x1 x2' is not a product in Python: write x1*x2, with * between the factors."),
    ('%trace y = x**2 at x=3',
     '%trace takes an expression, not an assignment: write %trace x**2 at x=3 (an assignment belongs in a '
     '%%trace cell).'),
    ('%trace x1 × 2 at x1=3',
     "'×' (U+00D7) is not Python's times: type * instead, as in %trace x1 * 2 at x1=3."),
    ('%trace x1·2 at x1=3',
     "'·' (U+00B7) is not Python's times: type * instead, as in %trace x1*2 at x1=3."),
    ('%trace x1*2 at x1=“3”',
     '\'“\' (U+201C) is not Python\'s quote: type " instead, as in %trace x1*2 at x1="3".'),
    ('%trace x1*2 at x1=\xa03',
     'the character U+00A0 is a special space (copied from a web page or a PDF), not a space Python reads: '
     'retype it as an ordinary space.'),
    ('%trace (x+1)² at x=3',
     "'²' is not Python's power: write **2 instead, as in (x+1)**2."),
    ('%trace x₁*2 at x₁=3',
     'x₁ is not a valid Python name: write x1.'),
    ('%%trace at x1=3\nv = x1 − 1\nv\n',
     "'−' (U+2212) (line 2 of the cell) is not Python's minus: type - instead, as in v = x1 - 1."),
    ('%trace x1*2 at x1=3; x2=4',
     'separate the inputs with commas: at x1=3, x2=4.'),
    ('%trace x1*2 at x1=3,5',
     "x1=3,5 gives x1 the value 3 and leaves 5 without a name: write x1=3.5 for a decimal (Python's decimal "
     'mark is a point), or x1=[3, 5] for an array.'),
    ('%trace x1*2 at x1==3',
     "write one '=' between each input and its value ('==' compares): at x1=3."),
    ('%trace x1*2 at x1:3',
     "write '=' between each input and its value: at x1=3."),
    ('%trace x1*2 at (x1=3)',
     'write the values without brackets around them: at x1=3.'),
    ('%trace pi*x at x=2',
     "unknown name 'pi': write np.pi."),
    ('%trace e**x at x=2',
     "unknown name 'e': write np.e (or exp(x) for e to the power x)."),
    ('%trace x1*2 at x1=nan',
     "cannot evaluate the value of x1: NameError: name 'nan' is not defined; write np.nan."),
    ('%trace x*2 at x=3, y=x',
     "cannot evaluate the value of y: NameError: name 'x' is not defined; a value cannot use another input, so "
     "write y's number."),
    ('%trace print(x) at x=3',
     "'print(x)' gives None, so there is nothing to trace: trace an expression whose value is a number (print "
     'and other functions that only show a value give None).'),
    ('%trace lambda*2 at x=3',
     'lambda is a reserved word in Python, so it cannot be a name: pick another name (e.g. lam).'),
    ('%%trace at x1=3\nlambda = x1 * 2\nlambda\n',
     'lambda is a reserved word in Python (line 2 of the cell), so it cannot be a name: pick another name '
     '(e.g. lam).'),
    ('%%trace at x1=3\nfrom math import *\nx1\n',
     'from … import * cannot run inside %%trace (line 2 of the cell): run the import in a cell of its own '
     'first.'),
    ('%trace f() at 3, -4',
     'write the function without brackets, %trace f at 3, -4: %trace calls it with the values.'),
    ('%trace x*2 at 3',
     'name the inputs, e.g. %trace x*2 at x=3.'),
]


def one_sentence(message):
    """A single sentence: it ends once, with a period, and no new sentence starts inside it."""
    return message.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", message)


@pytest.mark.parametrize("source, message", SLIPS, ids=[source.replace("\n", "⏎") for source, _ in SLIPS])
def test_every_typing_slip_gets_one_sentence_naming_the_fix(shell, source, message):
    said = usage_error(shell, source)  # one UsageError line on stderr, no traceback
    assert said == message
    assert one_sentence(said)


# --fold, --focus=N and --radius=K: what goes with what, and a row that is not there.
GRAPH_OPTION_SLIPS = [
    ('%trace --fold f at 3, -4',
     '--fold folds the graph, so it goes with --graph (or --explore): %trace --graph --fold f at 3, -4.'),
    ('%%trace --fold at x1=3\nx1 * 2\n',
     '--fold folds the graph, so it goes with --graph (or --explore): %%trace --graph --fold at x1=3.'),
    ('%trace --focus=3 f at 3, -4',
     '--focus draws part of the graph, so it goes with --graph: %trace --graph --focus=3 f at 3, -4.'),
    ('%trace --explore --focus=3 --reverse f at 3, -4',
     '--focus draws part of the graph, so it goes with --graph, not --explore (the explorer draws every row): '
     '%trace --graph --focus=3 --reverse f at 3, -4.'),
    ('%trace --graph --radius=1 f at 3, -4',
     '--radius says how many edges from the --focus row to draw, so it needs --focus: add --focus=N for row vN, '
     'e.g. --focus=v3.'),
    ('%trace --graph --focus=3 --radius=two f at 3, -4',
     '--radius=two is not a whole number of edges: write 0 or more, e.g. --radius=1.'),
    ('%trace --graph --focus=3 --radius=-1 f at 3, -4',
     '--radius=-1 is not a whole number of edges: write 0 or more, e.g. --radius=1.'),
    ('%trace --graph --focus=3 --radius',
     '--radius needs a whole number of edges: --radius 1 (or --radius=1).'),
    ('%trace --graph --focus --fold f at 3, -4',
     '--focus needs a row of the graph: --focus v3 (or --focus=3).'),
    ('%trace --graph --focus=9 f at 3, -4',
     "--focus=9: no such row; the graph's rows are v₋₁ … v₄, e.g. --focus=v4 for v₄."),
    ('%trace --graph --focus=x1 f at 3, -4',
     "--focus=x1: no such row; the graph's rows are v₋₁ … v₄, e.g. --focus=v4 for v₄."),
    ('%%trace --graph --focus=v5 at x1=3\nv = x1 * 2\nv + 1\n',
     "--focus=v5: no such row; the graph's rows are v₀ … v₂, e.g. --focus=v2 for v₂."),
    ('%trace --graph --fold=yes f at 3, -4',
     '--fold takes no value.'),
    ('%trace --graph --fold --fold f at 3, -4',
     '--fold is given twice: give it once.'),
    ('%trace --graph --focus=1 --focus=2 f at 3, -4',
     '--focus is given twice: give it once.'),
]


@pytest.mark.parametrize("source, message", GRAPH_OPTION_SLIPS,
                         ids=[source.replace("\n", "⏎") for source, _ in GRAPH_OPTION_SLIPS])
def test_every_misuse_of_fold_and_focus_gets_one_sentence(shell, source, message):
    said = usage_error(shell, source)
    assert said == message
    assert one_sentence(said)


def test_a_notebook_function_with_a_slip_inside_says_where(shell):
    shell.run_cell("def g(x):\n    y = x ^ 2\n    return y\n")
    said = usage_error(shell, "%trace g at 3")
    assert said == "^ is not a power in Python (it is bitwise xor) in g, line 2: write ** instead, as in x**2."


@pytest.mark.parametrize("line, value", [
    ("sin(x) at x=0.5", np.sin(0.5)),  # numpy's elementary functions by bare name, no np. needed
    ("ln(x) + log(x) at x=2", 2 * np.log(2)),
    ("np.sin(x) at x=0.5", np.sin(0.5)),
    ("f(x1, x2) at x1=3, x2=-4", 3 * -4 - 4 - np.log(3)),  # the notebook's f, called in an expression
    ("x1 * len('−') at x1=3", 3.0),  # a look-alike inside a string is the student's text, not a slip
    ("θ**2 at θ=3", 9.0),  # Greek letters are Python names
    ("x1 * 2 at x1 = 3", 6.0),
])
def test_what_looks_like_a_slip_but_is_not_still_traces(shell, line, value):
    assert trace(shell, line).value == pytest.approx(value)


def test_a_cell_that_only_looks_unfinished_still_traces(shell):
    assert trace(shell, "at x1=3", "# Table 1, first row\nv1 = x1 * 2  # a comment\nv1\n").value == 6.0


def test_an_operation_without_derivative_rules_is_one_line(shell):
    shell.run_cell("import adlab\nclamp = adlab.primitive(lambda x: np.clip(x, 0.0, 1.0), name='clamp')")
    assert "primitive 'clamp' has no JVP rule" in usage_error(shell, "%trace --forward x clamp(x) at x=0.5")


def test_errors_inside_a_notebook_function_say_where(shell):
    shell.run_cell("def g(x):\n    y = x * 2\n    return y / undefined_name\n")
    assert usage_error(shell, "%trace g at 1").startswith("unknown name 'undefined_name' in g, line 3: ")


def test_help_documents_the_syntax(shell):
    help_text = shell.find_line_magic("trace").__doc__
    radius = inspect.signature(to_graphviz).parameters["radius"].default
    for example in ("%trace x1*x2 + x2 - ln(x1) at x1=2, x2=4", "--forward X", "--reverse=Y", "--graph",
                    "--explore", "%%trace", "--fold", "--focus=N", f"--radius=K    … at most K edges from it "
                    f"(default {radius}"):
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
