"""The sweep explorer, driven as a student drives it: set a widget's value, read the panels."""

import math
import re
import shutil
import warnings

import ipywidgets as widgets
import numpy as np
import pytest

import adlab
from adlab.display import explorer as explorer_module
from adlab.display.explorer import Explorer
from adlab.display.explorer_panels import CSS, drawing_html, edges_used, svg_size, trace_so_far
from adlab.display.explorer_saved_view import SAVED_NOTE
from adlab.display.graph import SvgGraph, render, to_graphviz
from course import seed_example


def two_outputs(x1, x2):
    """f: R² → R², so J is 2×2: y1 = x1·x2, y2 = x1 + sin(x2)."""
    return x1 * x2, x1 + np.sin(x2)


def table_rows(explorer):
    """(css classes, text) per row of the table panel, tags stripped."""
    rows = re.findall(r"<tr(?: class=\"([^\"]*)\")?>(.*?)</tr>", explorer.table.value)
    return [(classes, re.sub(r"<[^>]+>", "", cells)) for classes, cells in rows[1:]]  # rows[0]: the header


def current_row(explorer):
    [text] = [text for classes, text in table_rows(explorer) if "adlab-current" in classes]
    return text


def highlighted(explorer):
    """Nodes and edges the DOT source draws highlighted (thick)."""
    lines = [line.strip() for line in explorer.digraph.source.splitlines() if "penwidth" in line]
    nodes = {line.split()[0] for line in lines if "->" not in line}
    edges = {tuple(line.split(" [")[0].split(" -> ")) for line in lines if "->" in line}
    return nodes, edges


def jacobian(explorer):
    """The Jacobian panel's entries, row by row, as text ('' where the sweep has not produced one)."""
    rows = re.findall(r"<tr>(.*?)</tr>", explorer.jacobian.value)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows[1:]]


def test_opens_on_the_whole_primal_trace():
    explorer = adlab.explore(seed_example, 3, -4)  # ints are fine: they become floats
    assert isinstance(explorer, widgets.VBox)
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    assert explorer.trace.mode == "primal" and explorer.order == [-1, 0, 1, 2, 3, 4]
    assert explorer.step.value == explorer.step.max == 6
    assert explorer.step.min == 1 and "step 6 of 6" in explorer.caption.value
    assert [box.value for box in explorer.inputs] == [3.0, -4.0]
    assert explorer.direction.layout.display == explorer.output.layout.display == "none"
    texts = [text for _, text in table_rows(explorer)]
    assert texts[-2].startswith("v4 = v3 − v2") and "−17.099" in texts[-2] and texts[-1].startswith("y = v4")
    assert current_row(explorer).startswith("v4")
    assert jacobian(explorer) == [["", ""]]


def test_forward_sweep_walks_down_one_row_at_a_time():
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.mode.value = "forward"
    explorer.direction.value = (1, ())  # along x2: ẋ = (0, 1), Table 2
    assert explorer.direction.layout.display is None and explorer.output.layout.display == "none"
    assert explorer.order == [-1, 0, 1, 2, 3, 4]

    explorer.step.value = 3
    assert explorer.current == 1
    names = [text.split(" =")[0] for _, text in table_rows(explorer)]
    assert names == ["v−1", "v0", "v1"]  # rows below the current one are not computed yet, nor is y
    assert current_row(explorer).endswith("0×(−4) + 1×3 = 3")
    assert highlighted(explorer) == ({"v1"}, {("vm1", "v1"), ("v0", "v1")})
    assert jacobian(explorer) == [["", ""]]
    assert "step 3 of 6: row v₁" in explorer.caption.value  # the slider and the caption count alike

    explorer.step.value = 6
    assert [text.split(" =")[0] for _, text in table_rows(explorer)] == ["v−1", "v0", "v1", "v2", "v3", "v4", "y"]
    assert highlighted(explorer) == ({"v4"}, {("v3", "v4"), ("v2", "v4")})
    assert jacobian(explorer) == [["", "4"]]  # ∂y/∂x2 = x1 + 1 = 4 (the source prints −4)


def test_reverse_sweep_walks_up_and_fills_the_gradient_as_it_reaches_the_inputs():
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.mode.value = "reverse"
    assert explorer.output.layout.display is None and explorer.direction.layout.display == "none"
    assert explorer.order == [4, 3, 2, 1, 0, -1]

    explorer.step.value = 1
    assert explorer.current == 4 and current_row(explorer).startswith("v4")
    assert highlighted(explorer) == ({"v4"}, set())  # v̄4 = ȳ: the seed, no edge used yet
    assert jacobian(explorer) == [["", ""]]
    rows = [text for _, text in table_rows(explorer)]
    # only v̄4 is known after the first step: the other adjoints are still empty cells
    assert [row.endswith(f"v̄{i}") for i, row in zip(range(1, 4), rows[2:5])] == [True, True, True]
    assert rows[5].endswith("v\u03044 = y\u03041")  # v̄4 = ȳ = 1 (combining macrons, as the table writes them)

    explorer.step.value = 5
    assert explorer.current == 0
    # v̄0 gathers one contribution from each row that used v0: v3 = v1 + v0 and v1 = v−1 × v0
    assert highlighted(explorer) == ({"v0"}, {("v0", "v3"), ("v0", "v1")})
    assert jacobian(explorer) == [["", "4"]]

    explorer.step.value = 6
    assert jacobian(explorer) == [["−4.333", "4"]]  # one reverse sweep: the whole gradient


def test_vector_function_forward_fills_a_column_and_reverse_a_row():
    explorer = Explorer(two_outputs, 2.0, 0.0)
    explorer.mode.value = "forward"
    explorer.direction.value = (0, ())
    assert jacobian(explorer) == [["0", ""], ["1", ""]]  # column x1: (∂y1/∂x1, ∂y2/∂x1) = (x2, 1)
    explorer.direction.value = (1, ())
    assert jacobian(explorer) == [["", "2"], ["", "1"]]  # column x2: (x1, cos x2)

    explorer.mode.value = "reverse"
    explorer.output.value = (1, ())
    assert [label for label, _ in explorer.output.options] == ["y₁", "y₂"]
    assert jacobian(explorer) == [["", ""], ["1", "1"]]  # row y2
    assert "fills one <b>row</b>" in explorer.jacobian.value
    explorer.step.value = 1
    assert jacobian(explorer) == [["", ""], ["", ""]]


def test_the_swept_column_or_row_of_j_is_framed_not_only_shaded():
    """Readers who cannot tell the shading apart see a frame around what the sweep fills."""
    explorer = Explorer(two_outputs, 2.0, 0.0).select("forward", 1)
    cells = re.findall(r"<td style='([^']*)'", explorer.jacobian.value)
    framed = [("border-left:2px solid" in style and "border-right:2px solid" in style) for style in cells]
    assert framed == [False, True, False, True]  # column x2 of a 2×2 J
    explorer.select("reverse", 0)
    cells = re.findall(r"<td style='([^']*)'", explorer.jacobian.value)
    framed = [("border-top:2px solid" in style and "border-bottom:2px solid" in style) for style in cells]
    assert framed == [True, True, False, False]  # row y1
    assert "<caption" in explorer.jacobian.value and "<th scope='col'" in explorer.jacobian.value


def test_a_long_sweep_sizes_its_graph_panel_by_the_last_step():
    def chain(x):
        for _ in range(15):
            x = np.sin(x) * 1.1
        return x

    explorer = Explorer(chain, 0.5)
    assert len(explorer.trace) > explorer_module.SIZED_STEPS
    explorer.step.value = 3
    if shutil.which("dot"):
        width, height = svg_size(explorer._drawing_at(len(explorer.trace))[3].svg)
        assert explorer._reserve["graph"].value == f'<div style="width:100%;aspect-ratio:{width} / {height}"></div>'


def loop(x):
    for _ in range(30):
        x = np.sin(x) * 1.5 + x
    return x


def folded_nodes(explorer):
    """The drawn graph's sentences (one per node) and the nodes drawn as the current row."""
    current = {line.strip().split()[0] for line in explorer.digraph.source.splitlines() if "class=current" in line}
    return explorer.digraph.description, current


def test_fold_draws_a_loop_as_one_node_while_the_sweep_steps_row_by_row():
    explorer = adlab.explore(loop, 1.0, fold=True)
    assert explorer.fold.value and len(explorer.trace) == 91 > explorer_module.SIZED_STEPS
    sentences, current = folded_nodes(explorer)  # the last step, v₉₀, is in the folded loop: that node is current
    assert sentences[1] == "v₁ … v₉₀, 30 × (sin, multiply, add)" and current == {"g0"}
    explorer.mode.value = "forward"
    explorer.step.value = 50  # row v₄₉: 16 bodies done (v₁ … v₄₈) and the 17th begun, its rows drawn as they are
    sentences, current = folded_nodes(explorer)
    assert sentences[2:] == ("v₁ … v₄₈, 16 × (sin, multiply, add)",) and current == {"v49"}
    assert sentences[1].startswith("v₄₉ = sin(v₄₈)") and current_row(explorer).startswith("v49 = sin(v48)")
    explorer.mode.value = "reverse"  # every row is there from the start: one folded node all the way up
    explorer.step.value = 45
    sentences, current = folded_nodes(explorer)
    assert "v₁ … v₉₀, 30 × (sin, multiply, add)" in sentences and current == {"g0"}
    unfolded = Explorer(loop, 1.0)
    assert not unfolded.fold.value and len(unfolded.digraph.description) == 92  # v₀ … v₉₀ and y


def test_a_folded_sweep_sizes_its_graph_panel_by_its_widest_step_not_its_last():
    """Part way through a body, its rows are drawn beside the folded node: wider than the last step's drawing."""
    if not shutil.which("dot"):
        pytest.skip("sizes come from dot's layout")
    explorer = Explorer(loop, 1.0, fold=True)
    explorer.mode.value = "forward"
    widths = [svg_size(render(explorer._digraph_at(step)[2]).svg)[0] for step in range(1, len(explorer.trace) + 1)]
    assert explorer._graph_width == max(widths) > widths[-1]


def drawn_rows(explorer):
    """The row nodes the graph draws (v₋₁ is vm1), without outputs, folded groups or ⋯ stubs."""
    return {line.split()[0] for line in explorer.digraph.source.splitlines()
            if re.match(r"\s*vm?\d+ \[", line)}


def expected_digraph(explorer, **options):
    """What to_graphviz draws of the sweep at the current step, as the explorer's panel should."""
    row = explorer.trace[explorer.current]
    snapshot = trace_so_far(explorer.trace, set(explorer.order[:explorer.step.value]))
    return to_graphviz(snapshot, highlight=row.index, highlight_edges=edges_used(row, explorer.trace.mode), **options)


def test_the_fold_box_folds_and_unfolds_the_graph_at_the_same_step():
    explorer = Explorer(loop, 1.0).select("forward")
    explorer.step.value = 50  # row v₄₉, part way through the loop
    assert not explorer.fold.value and explorer.fold.description == "fold loops"
    unfolded = explorer.digraph.source
    assert unfolded == expected_digraph(explorer).source

    explorer.fold.value = True
    assert explorer.step.value == 50 and explorer.current == 49
    assert explorer.digraph.source == expected_digraph(explorer, fold=True).source != unfolded
    assert "v₁ … v₄₈, 16 × (sin, multiply, add)" in explorer.digraph.description
    assert drawing_html(render(explorer.digraph)) in explorer.graph.value
    folded_from_the_start = Explorer(loop, 1.0, fold=True).select("forward")  # the same panel as fold=True gives
    assert explorer._reserve["graph"].value == folded_from_the_start._reserve["graph"].value
    assert explorer._graph_width == folded_from_the_start._graph_width

    explorer.fold.value = False
    assert explorer.digraph.source == unfolded and drawing_html(render(explorer.digraph)) in explorer.graph.value
    assert explorer._reserve["graph"].value == Explorer(loop, 1.0).select("forward")._reserve["graph"].value


def test_the_focus_box_draws_the_current_rows_neighbourhood_and_follows_the_step():
    explorer = Explorer(loop, 1.0).select("forward")
    assert not explorer.focus.value and explorer.focus.description == "focus on the current row"
    explorer.step.value = 50  # v₄₉ = sin(v₄₈), v₄₈ = v₄₇ + v₄₅: v₅₀ and on are not computed yet
    explorer.focus.value = True
    assert drawn_rows(explorer) == {"v45", "v47", "v48", "v49"}
    assert explorer.digraph.source == expected_digraph(explorer, focus=49, radius=2).source
    assert highlighted(explorer)[0] == {"v49"}
    assert explorer.digraph.description[0] == "The rows at most 2 edges from v₄₉, 4 of 50"
    explorer.step.value = 51  # v₅₀ = v₄₉ × 1.5
    assert drawn_rows(explorer) == {"v48", "v49", "v50"}
    explorer.mode.value = "reverse"  # from the last row up, v₉₀ = v₈₉ + v₈₇: the output y is drawn beside it
    explorer.step.value = 1
    assert drawn_rows(explorer) == {"v84", "v86", "v87", "v88", "v89", "v90"} and "y0" in explorer.digraph.source
    explorer.focus.value = False
    assert len(drawn_rows(explorer)) == 91


def test_focus_on_an_input_row_draws_that_input():
    """At the first step of a primal sweep the current row is x₁'s, and nothing uses it yet."""
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.focus.value = True
    explorer.step.value = 1
    assert drawn_rows(explorer) == {"vm1"} and highlighted(explorer)[0] == {"vm1"}
    assert "v₋₁ = x₁" in explorer.digraph.description[1] and "v₋₁ = x₁" in explorer.graph.value
    explorer.step.value = 3  # v₁ = v₋₁ × v₀ uses it
    assert drawn_rows(explorer) == {"vm1", "v0", "v1"}


def test_a_focused_sweep_sizes_its_graph_panel_by_its_widest_step():
    """Longer than SIZED_STEPS rows, but each step draws a few nodes: every step is measured, not only the last
    (a reverse sweep ends at the input, whose neighbourhood is narrower than those inside the loop)."""
    if not shutil.which("dot"):
        pytest.skip("sizes come from dot's layout")
    explorer = Explorer(loop, 1.0).select("reverse")
    explorer.focus.value = True
    widths = [svg_size(render(explorer._digraph_at(step)[2]).svg)[0] for step in range(1, len(explorer.trace) + 1)]
    assert len(explorer.trace) > explorer_module.SIZED_STEPS and explorer._graph_width == max(widths) > widths[-1]


def test_the_drawing_cache_serves_each_choice_its_own_drawing(monkeypatch):
    """At step 3 a focus of radius 2 takes in every row drawn so far: the same DOT source as without focus, but
    its text alternative says it is a focus. Folding a graph with nothing to fold draws the very same graph."""
    monkeypatch.setattr(explorer_module, "render",
                        lambda digraph: SvgGraph("<svg/>", digraph.title, digraph.description))
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.step.value = 3
    choices = [(False, False), (False, True), (True, True), (True, False), (False, False)]
    for fold, focus in choices:
        explorer.fold.value, explorer.focus.value = fold, focus
        drawing = explorer._drawing_at(3)[3]
        assert drawing.description == explorer.digraph.description, (fold, focus)
        assert drawing.description[0].startswith("The rows at most 2 edges") == focus


def test_array_input_and_output_components():
    def scale(x, a):
        return a * x

    explorer = Explorer(scale, np.array([1.0, 2.0]), 3.0)
    assert isinstance(explorer.inputs[0], widgets.Text) and explorer.inputs[0].value == "1.0, 2.0"
    assert [label for label, _ in explorer.direction.options] == ["x₁[0]", "x₁[1]", "x₂"]
    assert [label for label, _ in explorer.output.options] == ["y[0]", "y[1]"]
    explorer.mode.value = "forward"
    explorer.direction.value = (1, ())
    assert jacobian(explorer) == [["", "", "1"], ["", "", "2"]]  # ∂(a·x)/∂a = x

    explorer.inputs[0].value = "5, 7"
    assert jacobian(explorer) == [["", "", "5"], ["", "", "7"]]
    explorer.inputs[0].value = "5, 7, 9"
    assert "needs 2 numbers, got 3" in explorer.message.value
    assert jacobian(explorer) == [["", "", "5"], ["", "", "7"]]  # the last good sweep stays


def test_moving_a_slider_retraces_and_revisited_points_come_from_the_cache():
    calls = []

    def counted(x1, x2):
        calls.append((x1, x2))
        return seed_example(x1, x2)

    explorer = Explorer(counted, 3.0, -4.0)
    calls.clear()  # the sliders' domain probes
    explorer.inputs[0].value, explorer.inputs[1].value = 2.0, 4.0  # Table 1's point
    assert "ln(2) = 0.693" in table_rows(explorer)[3][1] and "11.307" in table_rows(explorer)[-1][1]
    at_2_4 = explorer.trace
    explorer.inputs[0].value = 3.0
    explorer.inputs[0].value = 2.0
    assert explorer.trace is at_2_4
    assert calls == [(2.0, -4.0), (2.0, 4.0), (3.0, 4.0)]  # f ran once per new point


def test_errors_from_f_are_shown_and_the_last_sweep_stays():
    def refuses_one_point(x):
        if x == 2.25:  # a point the slider's domain probe does not visit
            raise ValueError("x must not be 2.25")
        return np.sqrt(x)

    explorer = Explorer(refuses_one_point, 4.0)
    explorer.inputs[0].value = 2.25
    assert "ValueError: x must not be 2.25" in explorer.message.value
    assert explorer.trace.value == 2.0
    explorer.inputs[0].value = 9.0
    assert explorer.message.value == "" and explorer.trace.value == 3.0


def test_a_sweep_without_rules_is_reported_not_raised():
    clamp = adlab.primitive(lambda x: np.clip(x, 0.0, 1.0), name="clamp")
    explorer = Explorer(lambda x: clamp(x) * 2.0, 0.5)
    explorer.mode.value = "forward"
    assert "no JVP rule" in explorer.message.value and explorer.trace.mode == "primal"


def test_control_flow_changes_the_number_of_rows_and_the_step_range_follows():
    def piecewise(x):
        return x * x * x if x > 0 else -x

    explorer = Explorer(piecewise, 2.0)
    assert explorer.step.max == 3
    explorer.inputs[0].value = -2.0
    assert explorer.step.max == explorer.step.value == 2
    assert [text.split(" =")[0] for _, text in table_rows(explorer)] == ["v0", "v1", "y"]


def test_adlab_explore_opens_the_explorer():
    explorer = adlab.explore(seed_example, 3.0, -4.0)
    assert isinstance(explorer, Explorer) and explorer.trace.value == pytest.approx(-17.0986, abs=1e-4)


def test_graph_panel_shows_whatever_render_gives(monkeypatch):
    explorer = Explorer(seed_example, 3.0, -4.0)
    assert "v₁ = v₋₁ × v₀" in explorer.graph.value  # SVG from dot, or the DOT source without it

    monkeypatch.setattr(explorer_module, "render", lambda digraph: widgets.HTML("laid out in the browser"))
    explorer = Explorer(seed_example, 3.0, -4.0)
    [drawing] = explorer.children[-1].children
    assert isinstance(drawing, widgets.HTML) and drawing.value == "laid out in the browser"


def test_replaying_a_sweep_draws_each_graph_once(monkeypatch):
    drawn = []
    monkeypatch.setattr(explorer_module, "render", lambda digraph: drawn.append(digraph.source) or SvgGraph("<svg/>"))
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.mode.value = "reverse"
    for _ in range(2):
        for step in range(1, 7):
            explorer.step.value = step
    assert len(drawn) == len(set(drawn)) == 1 + 6  # the primal graph, then one per reverse step


def test_every_panel_keeps_the_size_of_its_largest_state_while_the_steps_play():
    """Under each panel an invisible copy of it at its largest: the table, caption and Jacobian at the last step
    (bold, as the current row is), the graph as an empty box the size of the largest step's drawing."""
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.mode.value = "forward"
    explorer.step.value = 2
    reserve = explorer._reserve
    assert reserve["table"].value.count("<tr") == 8 and explorer.table.value.count("<tr") == 3  # header + rows
    assert len(reserve["caption"].value) == max(map(len, explorer._captions())) and len(explorer._captions()) == 6
    assert "−4.333" in reserve["jacobian"].value and "−4.333" not in explorer.jacobian.value
    stacks = [w for w in _all_widgets(explorer) if "adlab-stack" in w._dom_classes]
    assert [[c._dom_classes for c in stack.children] for stack in stacks] == [[("adlab-shown",), ("adlab-reserve",)]] * 4
    if shutil.which("dot"):
        sizes = [svg_size(render(explorer._digraph_at(step)[2]).svg)
                 for step in range(1, 7)]
        width, height = map(max, zip(*sizes))
        assert reserve["graph"].value == f'<div style="width:100%;aspect-ratio:{width} / {height}"></div>'
        assert min(h for _, h in sizes) < height  # steps differ in size: the box holds the largest
        layout = explorer._graph_stack.layout  # it shrinks with the cell, to 3/4 of its size, then scrolls
        assert (layout.width, layout.max_width, layout.min_width) == ("100%", f"{width}px", f"{math.ceil(width * 0.75)}px")
        share = 100 * sizes[1][0] / width  # step 2 drawn at the scale of the widest step
        assert explorer.graph.value.startswith(f'<div style="width:{share:.4f}%"><svg ')


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_the_graph_has_a_row_of_its_own_that_scrolls_before_its_labels_get_small():
    explorer = Explorer(seed_example, 3.0, -4.0)
    assert explorer.children[-1] is explorer._graph_panel and "adlab-graph-panel" in explorer._graph_panel._dom_classes
    assert ".adlab-graph-panel { width: 100%; overflow: auto; }" in CSS
    assert explorer_module.MIN_GRAPH_SCALE == 0.75  # 11-pt labels (14.7 px) stay 11 px at the least


def test_the_step_control_stays_within_its_range():
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.step.value = 99
    assert explorer.step.value == 6
    explorer.step.value = 0
    assert explorer.step.value == 1 and "step 1 of 6" in explorer.caption.value


def test_input_sliders_are_labelled_and_read_to_their_step():
    x1, x2 = Explorer(seed_example, 3.0, -4.0).inputs
    assert (x1.description, x1.step, x1.digits) == ("x₁", 0.01, 2)
    assert (x2.description, x2.step, x2.digits) == ("x₂", 0.1, 1)
    assert "aria-valuetext" in x1._esm and "<label" not in x1._esm and 'element("label"' in x1._esm


# -- the saved form: a static view beside the widget ----------------------------------------------------------


def test_the_saved_view_comes_first_then_the_widget(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw: shown.append(bundle))
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer._ipython_display_()
    saved, widget = shown
    assert saved == {"text/html": explorer.saved_view(), "text/plain": explorer._summary()}
    assert widget["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    assert widget["text/plain"] == "The live sweep explorer appears here when this cell runs."
    assert f"adlab-explorer-{explorer.model_id}" in explorer._dom_classes
    # its stylesheet names this explorer only: another explorer's widget leaves it alone
    css = re.search(r"<style>(.*?)</style>", saved["text/html"], re.S).group(1)
    assert css.count(f".adlab-saved-{explorer.model_id}") == 2 and css.count(f".adlab-explorer-{explorer.model_id}") == 2


def test_the_saved_view_reads_without_what_a_sanitizer_drops():
    explorer = Explorer(seed_example, 3.0, -4.0).select("reverse")
    explorer.step.value = 3
    assert explorer._summary() == "Sweep explorer of seed_example at x₁ = 3, x₂ = −4: run this cell to step through the sweep."
    static = explorer.saved_view()
    # JupyterLab's sanitizer drops <style>, <svg> and <script>: the saved view needs none of them to read well
    readable = re.sub(r"<style>.*?</style>", "", static, flags=re.S)
    assert "<svg" not in static and "<script" not in static
    assert "Reverse sweep from y (ȳ = 1 there, 0 elsewhere), step 3 of 6: row v₂" in readable
    assert "run this cell to step through the sweep" in readable and readable.count("<table") == 2
    if shutil.which("dot"):
        [image] = re.findall(r"<img [^>]*>", static)
        assert 'src="data:image/svg+xml;base64,' in image and 'style="max-width:none"' in image
        assert re.search(r'alt="Computation graph of seed_example: v₋₁ = x₁; v₀ = x₂; v₁ = v₋₁ × v₀; .*v₄ = v₃ − v₂\."',
                         image)


def test_a_saved_view_hides_its_controls_and_the_broken_link_marks():
    explorer = Explorer(seed_example, 3.0, -4.0)
    note = explorer.children[0].value
    assert SAVED_NOTE in note and "adlab-explorer" in explorer._dom_classes
    live_only = [w for w in _all_widgets(explorer) if "adlab-live-only" in w._dom_classes]
    assert explorer.step in live_only and len(live_only) == 4  # inputs, sweep choice, graph options, steps
    assert [explorer.fold, explorer.focus] in [list(getattr(w, "children", ())) for w in live_only]
    assert ".adlab-explorer.jupyter-widgets-disconnected .adlab-live-only { display: none; }" in note
    assert ".adlab-explorer .jupyter-widgets-disconnected::before" in note


# -- sliders stay inside f's domain, for any f -------------------------------------------------------


def slider_range(f, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # probing the domain warns about nothing
        [slider] = Explorer(f, x).inputs
    return slider.min, slider.max


def test_log_slider_stays_above_zero():
    low, high = slider_range(np.log, 3.0)
    assert 0 < low <= 0.05 and high == 9


def test_sqrt_slider_stays_where_its_derivative_is_finite():
    low, high = slider_range(np.sqrt, 4.0)  # sqrt(0) = 0, but sqrt'(0) = inf
    assert 0 < low <= 0.1 and high == 12  # the first point of a 0.1 grid


def test_arcsin_slider_stays_inside_minus_one_to_one():
    low, high = slider_range(np.arcsin, 0.5)
    assert -1 < low <= -0.98 and 0.98 <= high < 1


def test_a_function_that_refuses_points_gets_a_slider_that_avoids_them():
    def positive_only(x):
        if x <= 0:
            raise ValueError("x must be positive")
        return x * 2.0

    low, high = slider_range(positive_only, 1.0)
    assert 0 < low <= 0.05 and high == 6


def test_the_seed_examples_x1_slider_stays_where_ln_x1_is_defined_and_x2_keeps_its_range():
    x1, x2 = Explorer(seed_example, 3.0, -4.0).inputs
    assert 0 < x1.min <= 0.05 and x1.max == 9 and (x2.min, x2.max) == (-12, 4)


def test_where_f_is_undefined_at_the_start_the_range_stays():
    with np.errstate(all="ignore"):
        [slider] = Explorer(np.log, -1.0).inputs
    assert (slider.min, slider.max) == (-6, 4)
