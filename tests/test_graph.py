"""The computation graph: nodes, edges and labels from the trace, size limits, grouping, and rendering without dot."""

import base64
import dataclasses
import re
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser

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
    marked = [node for node, attrs in nodes(g).items() if 'class=current' in attrs]
    assert marked == ["v1"] and g.graph_attr["rankdir"] == "TB"
    # more than colour: a double border three points thick, and a thick edge
    assert all(f"{key}={value}" in nodes(g)["v1"] for key, value in
               {"peripheries": 2, "penwidth": 3, "color": '"#d55e00"', "fillcolor": '"#ffd27f"'}.items())
    assert [(a, b) for a, b, attrs in edges(g) if attrs and "penwidth=3" in attrs] == [("v1", "v3")]


def test_nonfinite_values_mark_their_node_with_a_dashed_line():
    with np.errstate(all="ignore"):
        found = nodes(adlab.trace(lambda x: np.log(x) * 2.0, -1.0).graph())
    assert [node for node, attrs in found.items() if "dashed" in attrs and "class=nonfinite" in attrs] == ["v1", "v2"]


def test_rows_the_reverse_sweep_has_not_reached_are_dotted():
    """The explorer's snapshot of a reverse sweep: adjoints not yet computed are None."""
    t = adlab.trace(seed_example, 3.0, -4.0).reverse()
    halfway = dataclasses.replace(t, rows=tuple(r if r.index >= 3 else dataclasses.replace(r, adjoint=None)
                                                for r in t.rows))
    g = halfway.graph(highlight=3)
    pending = [node for node, attrs in nodes(g).items() if "dotted" in attrs and "class=pending" in attrs]
    assert pending == ["vm1", "v0", "v1", "v2"] and "class=current" in nodes(g)["v3"]
    assert "v₁ = v₋₁ × v₀ = −12 (adjoint not computed yet)" in g.description


def test_colours_are_okabe_ito():
    found = nodes(adlab.trace(seed_example, 3.0, -4.0).graph())
    assert 'color="#0072b2"' in found["vm1"] and 'color="#009e73"' in found["y0"]


# -- big graphs ---------------------------------------------------------------------


def test_over_max_nodes_returns_a_notice_instead_of_a_hairball():
    g = adlab.trace(lambda x: chain(x, 100), 1.0).graph()
    assert g.over_limit and g.node_count == 302
    assert list(nodes(g)) == ["notice"] and edges(g) == []
    text = " ".join(label(nodes(g)["notice"]))
    assert "302 nodes, more than max_nodes=200" in text and "max_nodes=None" in text
    assert all(option in text for option in ("fold=True", "collapse=", "focus=row"))
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
    assert "class=current" in found["g0"]  # row 2 is inside the group
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


# -- folding repeated structure, and a focus view ----------------------------------------------------


def test_fold_folds_each_run_of_a_loop_body_into_one_node():
    t = adlab.trace(lambda x: chain(x, 100), 1.0)
    g = t.graph(fold=True)
    found = nodes(g)
    assert list(found) == ["v0", "g0", "y0"] and g.node_count == 3
    assert label(found["g0"]) == ["v₁ … v₃₀₀", "100 × (sin, multiply, add)"] and "shape=box3d" in found["g0"]
    assert edges(g) == [("v0", "g0", 'label="×2"'), ("g0", "y0", None)]
    assert g.description[1] == "v₁ … v₃₀₀, 100 × (sin, multiply, add)"


def test_fold_leaves_what_does_not_repeat():
    """A multiply before the loop and a log after it stay; a graph without repeats is drawn as without fold."""
    g = adlab.trace(lambda x: np.log(chain(x * 2.0, 5)), 1.0).graph(fold=True)
    found = nodes(g)
    assert list(found) == ["v0", "v1", "v17", "g0", "y0"]
    assert label(found["g0"]) == ["v₂ … v₁₆", "5 × (sin, multiply, add)"]
    assert ("v1", "g0", 'label="×2"') in edges(g) and ("g0", "v17", None) in edges(g)
    plain = adlab.trace(seed_example, 3.0, -4.0)
    assert plain.graph(fold=True).source == plain.graph().source
    with pytest.raises(ValueError, match="fold=True .* or collapse="):
        plain.graph(fold=True, collapse={"a": [1]})


def test_focus_draws_the_neighbourhood_of_a_row():
    t = adlab.trace(lambda x: chain(x, 100), 1.0)
    g = t.graph(focus=150, radius=1)  # v₁₅₀ = v₁₄₉ + v₁₄₇, read by v₁₅₁ = sin(v₁₅₀) and v₁₅₃ = v₁₅₂ + v₁₅₀
    found = nodes(g)
    rows = [node for node in found if not node.endswith(("_before", "_after"))]
    assert rows == ["v147", "v149", "v150", "v151", "v153"] and g.node_count == 5
    assert "class=current" in found["v150"] and label(found["v150"]) == ["v₁₅₀ = v₁₄₉ + v₁₄₇", "= 3.142"]
    # where the graph goes on, a ⋯ stub: v₁₄₇ reads v₁₄₅, v₁₅₃ reads v₁₅₂, …
    assert ("v147_before", "v147", 'color="#6e6e6e" style=dashed') in edges(g)
    assert ("v153", "v153_after", 'color="#6e6e6e" style=dashed') in edges(g)
    assert g.description[0] == "The rows at most 1 edge from v₁₅₀, 5 of 301"
    assert [node for node in nodes(t.graph(focus=300, radius=0)) if "_" not in node] == ["v300", "y0"]
    with pytest.raises(ValueError, match="focus=999 is not a row of this trace: give a row number from 0 to 300"):
        t.graph(focus=999)
    with pytest.raises(ValueError, match="radius=-1 must be a whole number"):
        t.graph(focus=3, radius=-1)


# -- text alternative and the HTML that renders untrusted ----------------------------------------------


def test_the_graph_names_its_nodes_for_screen_readers():
    g = adlab.trace(seed_example, 3.0, -4.0).reverse().graph()
    assert g.title == "Computational graph of seed_example"
    assert g.description[:3] == ("v₋₁ = x₁ = 3, v̄₋₁ = −4.333", "v₀ = x₂ = −4, v̄₀ = 4", "v₁ = v₋₁ × v₀ = −12, v̄₁ = 1")
    assert g.description[-1] == "y = v₄ = −17.099, y\u0304 = 1"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_carries_a_title_and_description():
    drawn = graph.render(adlab.trace(seed_example, 3.0, -4.0).graph())
    svg = drawn._repr_svg_()
    assert svg.startswith("<svg ") and 'role="img">\n<title>Computational graph of seed_example</title><desc>' in svg
    assert "<desc>v₋₁ = x₁ = 3; v₀ = x₂ = −4; v₁ = v₋₁ × v₀ = −12; " in svg and "<!--" not in svg
    assert drawn.alt == ("Computational graph of seed_example: v₋₁ = x₁ = 3; v₀ = x₂ = −4; v₁ = v₋₁ × v₀ = −12; "
                         "v₂ = ln(v₋₁) = 1.099; v₃ = v₁ + v₀ = −16; v₄ = v₃ − v₂ = −17.099; y = v₄ = −17.099.")
    big = graph.render(adlab.trace(lambda x: chain(x, 10), 1.0).graph())
    assert big.alt.endswith("; and 20 more, listed under “The graph as text”.")  # 31 rows + y, 12 named


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_html_holds_an_image_for_untrusted_notebooks_and_the_inline_svg_for_trusted_ones():
    """Jupyter shows the HTML: an <img> of the SVG (kept by the sanitizer), the <svg> beside it hidden
    until the trusted-only <style> shows it, at natural size in a box that scrolls, and the nodes as text."""
    drawn = graph.render(adlab.trace(seed_example, 3.0, -4.0).graph(partials=True))
    html = drawn._repr_mimebundle_()["text/html"]
    image = re.search(r'<img class="adlab-graph-static" src="data:image/svg\+xml;base64,([^"]+)" '
                      r'width="(\d+)" height="(\d+)" alt="([^"]+)"', html)
    assert base64.b64decode(image.group(1)).decode() == drawn.svg
    assert (int(image.group(2)), int(image.group(3))) == (drawn.width, drawn.height) and drawn.width > graph.WIDE
    assert image.group(4).startswith("Computational graph of seed_example: v₋₁ = x₁ = 3;")
    assert '<div class="adlab-graph-live" hidden="hidden"><svg style="width:100%;' in html
    assert '<div class="adlab-graph-scroll" tabindex="0" style="overflow:auto;max-width:100%">' in html
    # the zoom switch: open, it holds a spacer as wide as the narrowest readable drawing; the ∂ labels
    # are 10 pt, 13.3 px at full size, so it may shrink to MIN_FONT_PX / 13.3 of it
    assert abs(drawn.readable_width - drawn.width * graph.MIN_FONT_PX / (10 * 4 / 3)) < 2  # rounded
    assert drawn.readable_width < graph.FITS
    assert f'<details open="open" class="adlab-graph-zoom"><summary>{graph.ZOOM_SUMMARY}</summary>' \
           f'<div style="width:{drawn.readable_width}px;height:0"></div></details>' in html
    long = graph.render(adlab.trace(lambda x: chain(x, 13), 1.0).graph())
    assert long.readable_width == long.width > graph.FITS  # too long to fit any cell readably: full size
    assert "<li>v₁ = v₋₁ × v₀ = −12</li>" in html and "∂v₁/∂v₋₁ = −4" in html
    small = graph.render(adlab.trace(lambda x: x * 2.0, 1.0).graph())._repr_html_()
    assert small.count("<img") == 1 and "adlab-graph-zoom" not in small  # no zoom for what fits any cell
    assert '<div class="adlab-graph-scroll" style=' in small  # nor a tab stop: it never scrolls
    assert 'style="display:inline-block;vertical-align:top"><div style="width:' in small  # but a readable floor
    assert drawn._repr_mimebundle_()["image/svg+xml"] == drawn.svg


# JupyterLab 4's sanitizer for untrusted HTML (@jupyterlab/apputils Sanitizer, on sanitize-html), the part
# the graph uses: these tags and attributes survive, with non-empty values only ("alt" may be empty).
SANITIZER_TAGS = {"div", "img", "details", "summary", "p", "ul", "li"}
SANITIZER_ATTRIBUTES = {"*": {"class", "style", "hidden", "title"}, "img": {"src", "width", "height", "alt"},
                        "details": {"open"}}
TRUSTED_ONLY = {"tabindex"}  # removed from untrusted copies, where nothing depends on it


class UntrustedView(HTMLParser):
    """The tags and attributes of a graph's HTML outside what only trusted HTML shows (<style>, the <svg>)."""

    def __init__(self):
        super().__init__()
        self.found, self.depth_hidden = [], 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth_hidden or tag == "style" or "adlab-graph-live" in attributes.get("class", ""):
            self.depth_hidden += tag not in ("img",)  # void elements never end
            return
        self.found.append((tag, attributes))

    def handle_endtag(self, tag):
        if self.depth_hidden:
            self.depth_hidden -= 1


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_what_untrusted_notebooks_show_is_in_the_sanitizers_allow_list():
    html = graph.render(adlab.trace(seed_example, 3.0, -4.0).graph(partials=True))._repr_html_()
    view = UntrustedView()
    view.feed(html)
    tags = {tag for tag, _ in view.found}
    assert tags == SANITIZER_TAGS and not view.depth_hidden
    for tag, attributes in view.found:
        for name, value in attributes.items():
            if name in TRUSTED_ONLY:
                continue
            assert name in SANITIZER_ATTRIBUTES["*"] | SANITIZER_ATTRIBUTES.get(tag, set()), (tag, name)
            assert value, f"<{tag} {name}> has no value: the sanitizer would remove it"
    live = html[html.index('<div class="adlab-graph-live"'):]
    assert live.startswith('<div class="adlab-graph-live" hidden="hidden"><svg ')  # stays hidden, stripped


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
