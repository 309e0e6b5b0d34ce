"""The computation graph: nodes, edges and labels from the trace, size limits, grouping, and rendering without dot."""

import re
import shutil
import subprocess
import sys
import types

import graphviz
import numpy as np
import pytest

import adlab
from adlab.display import graph
from course import seed_example


def chain(x, n):
    for _ in range(n):
        x = np.sin(x) * 1.5 + x
    return x


def nodes(digraph):
    """node id -> attribute text, from the DOT body."""
    return {m.group(1): m.group(2) for line in digraph.body
            if (m := re.match(r"\s*(\w+) \[(.*)\]$", line)) and "->" not in line}


def edges(digraph):
    return [m.groups() for line in digraph.body if (m := re.match(r"\s*(\w+) -> (\w+)(?: \[(.*)\])?$", line))]


def label(attributes):
    found = re.search(r'label=(?:"((?:[^"\\]|\\.)*)"|(\w+))', attributes)
    return (found.group(1) or found.group(2)).split("\\n")


# -- structure and labels -----------------------------------------------------------


def test_seed_dag_has_inputs_operations_and_output():
    g = adlab.trace(seed_example, 2.0, 4.0).graph()
    assert isinstance(g, graphviz.Digraph) and g.graph_attr["rankdir"] == "LR"
    found = nodes(g)
    assert list(found) == ["vm1", "v0", "v1", "v2", "v3", "v4", "y0"]
    assert [(a, b) for a, b, _ in edges(g)] == [
        ("vm1", "v1"), ("v0", "v1"), ("vm1", "v2"), ("v1", "v3"), ("v0", "v3"), ("v3", "v4"), ("v2", "v4"), ("v4", "y0")]
    assert label(found["vm1"]) == ["v₋₁ = x₁", "= 2"]
    assert label(found["v1"]) == ["v₁ = v₋₁ × v₀", "= 8"]
    assert label(found["v4"]) == ["v₄ = v₃ − v₂", "= 11.307"]
    assert label(found["y0"]) == ["y", "= 11.307"]
    assert "shape=ellipse" in found["vm1"] and "shape=box" in found["v1"]


def test_labels_show_what_the_sweep_computed():
    forward = nodes(adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0).graph())
    assert label(forward["v4"]) == ["v₄ = v₃ − v₂", "= −17.099", "v̇₄ = 4"]
    assert label(forward["y0"]) == ["y", "= −17.099", "y\u0307 = 4"]
    reverse = nodes(adlab.trace(seed_example, 3.0, -4.0).reverse().graph())
    assert label(reverse["vm1"]) == ["v₋₁ = x₁", "= 3", "v̄₋₁ = −4.333"]
    assert label(reverse["v0"])[-1] == "v̄₀ = 4"
    plain = nodes(adlab.trace(seed_example, 3.0, -4.0).reverse().graph(show_values=False))
    assert label(plain["v2"]) == ["v₂ = ln(v₋₁)"] and label(plain["y0"]) == ["y"]


def test_edges_carry_the_engines_local_partials():
    t = adlab.trace(seed_example, 3.0, -4.0)
    labelled = {(a, b): label(attrs)[0] for a, b, attrs in edges(t.graph(partials=True)) if attrs}
    assert labelled == {
        ("vm1", "v1"): "∂v₁/∂v₋₁ = −4", ("v0", "v1"): "∂v₁/∂v₀ = 3", ("vm1", "v2"): "∂v₂/∂v₋₁ = 0.333",
        ("v1", "v3"): "∂v₃/∂v₁ = 1", ("v0", "v3"): "∂v₃/∂v₀ = 1", ("v3", "v4"): "∂v₄/∂v₃ = 1",
        ("v2", "v4"): "∂v₄/∂v₂ = −1",
    }
    assert all(attrs is None for *_, attrs in edges(t.graph()))


def test_highlight_marks_the_current_node_and_edges():
    g = adlab.trace(seed_example, 3.0, -4.0).reverse().graph(highlight=1, highlight_edges=[(1, 3)], rankdir="TB")
    marked = [node for node, attrs in nodes(g).items() if "#e65100" in attrs]
    assert marked == ["v1"] and g.graph_attr["rankdir"] == "TB"
    assert [(a, b) for a, b, attrs in edges(g) if attrs and "#e65100" in attrs] == [("v1", "v3")]


def test_nonfinite_values_mark_their_node():
    with np.errstate(all="ignore"):
        found = nodes(adlab.trace(lambda x: np.log(x) * 2.0, -1.0).graph())
    assert "#c62828" in found["v1"] and "#c62828" in found["v2"] and "#c62828" not in found["v0"]


# -- big graphs ---------------------------------------------------------------------


def test_over_max_nodes_returns_a_notice_instead_of_a_hairball():
    g = adlab.trace(lambda x: chain(x, 100), 1.0).graph()
    assert g.over_limit and g.node_count == 302
    assert list(nodes(g)) == ["notice"] and edges(g) == []
    text = " ".join(label(nodes(g)["notice"]))
    assert "302 nodes, more than max_nodes=200" in text and "collapse=" in text and "max_nodes=None" in text
    drawn = adlab.trace(lambda x: chain(x, 100), 1.0).graph(max_nodes=None)
    assert not drawn.over_limit and len(nodes(drawn)) == 302


def test_collapse_by_function_groups_each_loop_body():
    t = adlab.trace(lambda x: chain(x, 100), 1.0)
    g = t.graph(collapse=lambda row: f"step {(row.index - 1) // 3}")
    found = nodes(g)
    assert g.node_count == 1 + 100 + 1 and not g.over_limit
    assert list(found)[:3] == ["v0", "g0", "g1"] and list(found)[-1] == "y0"
    assert label(found["g0"]) == ["step 0", "3 operations (sin 1, multiply 1, add 1)"]
    assert "shape=box3d" in found["g0"]
    # x feeds both sin and + of step 0: two operand edges merge into one, labelled ×2
    assert [e for e in edges(g) if e[0] == "v0"] == [("v0", "g0", 'label="×2"')]
    assert ("g98", "g99", 'label="×2"') in edges(g) and ("g99", "y0", None) in edges(g)


def test_collapse_by_mapping_keeps_inputs_and_the_rest():
    t = adlab.trace(seed_example, 3.0, -4.0)
    g = t.graph(collapse={"product and log": [-1, 1, 2]}, highlight=2)
    found = nodes(g)
    assert list(found) == ["vm1", "v0", "v3", "v4", "g0", "y0"]
    assert label(found["g0"]) == ["product and log", "2 operations (multiply 1, log 1)"]
    assert "#e65100" in found["g0"]  # row 2 is inside the group
    assert [e for e in edges(g) if "g0" in e] == [("vm1", "g0", 'label="×2"'), ("v0", "g0", None),
                                                    ("g0", "v3", None), ("g0", "v4", None)]
    with pytest.raises(TypeError, match="collapse"):
        t.graph(collapse="by layer")


# -- rendering ----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_draws_svg_with_dot():
    drawn = graph.render(adlab.trace(seed_example, 3.0, -4.0).graph())
    assert isinstance(drawn, graph.SvgGraph) and "<svg" in drawn._repr_svg_()
    assert "v₁ = v₋₁ × v₀" in drawn._repr_mimebundle_()["image/svg+xml"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_as_html_shrinks_to_the_output_width():
    """Jupyter prefers the HTML: an inline <svg> no wider than its output, so wide graphs (partials) fit."""
    html = adlab.trace(seed_example, 3.0, -4.0).graph(partials=True)._repr_mimebundle_()["text/html"]
    assert html.startswith('<svg style="max-width:100%;height:auto" ') and "viewBox=" in html
    assert "<?xml" not in html and "∂v₁/∂v₋₁ = −4" in html


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH without Graphviz's executables, as on a machine where it was never installed."""
    monkeypatch.setenv("PATH", str(tmp_path))


def test_without_dot_render_shows_the_source_and_how_to_install(no_dot, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz_anywidget", None)  # not installed either
    g = adlab.trace(seed_example, 3.0, -4.0).graph()
    with pytest.raises(graphviz.ExecutableNotFound):
        g.pipe(format="svg")
    shown = graph.render(g)
    assert isinstance(shown, graph.DotSource) and shown.source == g.source
    bundle = g._repr_mimebundle_()  # what Jupyter calls: no exception
    assert "apt-get install graphviz" in bundle["text/html"] and "conda install graphviz" in bundle["text/plain"]
    assert "vm1 -&gt; v1" in bundle["text/html"] and "vm1 -> v1" in bundle["text/plain"]


def test_without_dot_render_uses_graphviz_anywidget_when_installed(no_dot, monkeypatch):
    drawn = []

    class Widget:
        def __init__(self, source):
            drawn.append(source)

        def _repr_mimebundle_(self, **kwargs):
            return {"application/vnd.jupyter.widget-view+json": {"model_id": "stub"}}

    monkeypatch.setitem(sys.modules, "graphviz_anywidget", types.SimpleNamespace(graphviz_widget=Widget))
    g = adlab.trace(seed_example, 3.0, -4.0).graph()
    assert isinstance(graph.render(g), Widget) and drawn == [g.source]
    assert "application/vnd.jupyter.widget-view+json" in g._repr_mimebundle_()


def test_import_adlab_loads_no_display_dependencies():
    code = ("import sys, adlab; t = adlab.trace(lambda x: x * 2.0, 1.0); t.to_markdown(); t._repr_html_(); "
            "print(sorted(m for m in ('graphviz', 'IPython', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
