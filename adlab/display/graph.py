"""The computation graph of a trace (its DAG) as a graphviz.Digraph, and a renderer that never crashes.

Nodes are the inputs (ellipses), the operations (boxes, labelled with their
rule, e.g. ``v₁ = v₋₁ × v₀``) and the outputs; edges run from each operand to
the row that uses it. Labels show the primal value and, after a sweep, the
tangent v̇ or the adjoint v̄; ``partials=True`` writes the local partial
∂v_i/∂v_j (from `Trace.local_partials`, i.e. the engine's own JVP rules) on
each edge.

Big graphs: text never shrinks below MIN_FONT_PX. A drawing is shown at its
natural size, or shrunk to fit its cell if that keeps its text readable and it
then fits FITS px (a lesson's graph); a longer one keeps its natural size and
scrolls inside its output. A switch above it ("Zoom: readable size ⇄ the whole
graph") shrinks the whole graph into the cell's width, and back. Three options
draw less:

- ``fold=True`` folds each run of repeated structure (the same sequence of
  primitives at least twice in a row: a loop's body, a layer) into one node,
  ``v₁ … v₃₀₀`` / ``100 × (sin, multiply, add)``; ``fold=False`` (the default)
  draws every operation;
- ``focus=row, radius=k`` draws only the rows at most k edges from v_row (a
  ``⋯`` marks where the graph goes on);
- ``collapse`` groups operations as you say, each group one node, either a
  function ``row -> group name or None`` (None keeps the row as it is), e.g.
  ``collapse=lambda row: f"step {(row.index - 1) // 4}"`` for a loop body of
  4 operations, or a mapping ``{group name: row indices}``, e.g.
  ``{"layer 1": range(3, 40)}``.

Inputs and outputs are never grouped. Edges between grouped nodes are merged
and labelled with how many they stand for (``×3``). Over ``max_nodes`` nodes,
the result is a one-node graph that says how many nodes there are and how to
draw fewer, instead of a hairball.

Accessible: every drawing carries a text alternative naming its nodes (the
SVG's <title> and <desc>, the <img>'s alt text, and a list under "The graph as
text"), colours come from Okabe and Ito's colour-blind-safe palette, and each
state differs by its line as well as its colour: the current row has a thick
double border (and the edges its value travels along are thick), a row whose
adjoint the reverse sweep has not reached yet a dotted one, a non-finite value
a dashed one.

Rendering: `render()` runs Graphviz's ``dot`` for SVG; when ``dot`` is not
installed it uses graphviz-anywidget (layout in the browser) if that package is
importable, else it shows the DOT source with one line on how to install
Graphviz. A graph from `to_graphviz` displays through `render()` by itself.
The SVG's HTML renders before any cell runs, also in an untrusted notebook
(a copy pulled onto a hub): JupyterLab and Notebook 7 sanitize untrusted HTML,
removing <svg>, <style> and <script>, so it holds an <img> of the SVG as a data
URI, which the sanitizer keeps, and the inline <svg>, shown instead by a <style>
that survives only where the HTML is trusted (a trusted notebook, a widget).
"""

from __future__ import annotations

import base64
import math
import re
from collections import Counter, deque
from html import escape

import graphviz
import numpy as np

from .notation import TEXT, RowFormatter, format_number

MAX_NODES = 200
MIN_FOLDED_ROWS = 4  # a repeated run of fewer operations stays as it is
MAX_FOLDED_BODY = 64  # the longest loop body `fold` looks for, in operations
MIN_FONT_PX = 10  # the smallest text (font size, px) a drawing may shrink to, to fit its cell
FITS = 900  # px: a drawing that fits this width without text under MIN_FONT_PX may shrink; wider ones keep full size
WIDE = 640  # px: a drawing wider than this gets the zoom switch
ALT_NODES = 12  # nodes the <img>'s alt text names; "The graph as text" lists them all
INSTALL_HINT = ("Graphviz's dot program is not installed, so this is the graph's DOT source. "
                "To draw it: apt-get install graphviz (or conda install graphviz).")

# Okabe and Ito's colour-blind-safe palette: lines in its colours, fills in light tints of them.
BLUE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, GREY = "#0072b2", "#009e73", "#d55e00", "#cc79a7", "#6e6e6e"
_STYLES = {
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#cce9f8", "color": BLUE},
    "operation": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f4f4"},
    "group": {"shape": "box3d", "style": "filled", "fillcolor": "#f0d7e5", "color": REDDISH_PURPLE},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#b2e2d5", "color": BLUISH_GREEN},
}
CURRENT_FILL = "#ffd27f"  # light orange (Okabe–Ito's orange #e69f00, lightened)
_CURRENT = {"fillcolor": CURRENT_FILL, "color": VERMILLION, "penwidth": "3", "peripheries": "2"}
_CURRENT_EDGE = {"color": VERMILLION, "penwidth": "3"}
_NONFINITE = {"color": VERMILLION, "penwidth": "2"}
_PENDING = {"color": GREY}


class TraceGraph(graphviz.Digraph):
    """A graphviz.Digraph that shows itself through `render()`, so a missing ``dot`` is no error.

    ``title`` and ``description`` (one sentence per node) are its text alternative.
    """

    node_count = None   # nodes of the full drawing (before any size limit)
    over_limit = False  # True when this is the "too many nodes" notice instead of the graph
    title = "Computational graph"
    description = ()

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return render(self)._repr_mimebundle_(include=include, exclude=exclude, **kwargs)


def to_graphviz(trace, show_values=True, partials=False, highlight=None, highlight_edges=(), rankdir="LR",
                max_nodes=MAX_NODES, collapse=None, precision=3, fold=False, focus=None, radius=2):
    """The trace's DAG. `highlight`: a row index (or several); `highlight_edges`: (from, to) row index pairs.

    `fold=True` folds repeated runs of operations, `focus=row` draws only the rows within `radius`
    edges of v_row (and highlights it), `collapse` groups rows as you say (see the module's docstring).
    """
    if fold and collapse is not None:
        raise ValueError("choose one way to group rows: fold=True (repeated runs, found for you) "
                         "or collapse=... (the groups you name).")
    formatter = RowFormatter(trace, TEXT, precision)
    kept = _focus(trace, formatter, focus, radius)
    if focus is not None and highlight is None:
        highlight = focus
    group_of, counts = _folds(trace, formatter) if fold else (_groups(trace, collapse), {})
    group_of = {i: name for i, name in group_of.items() if i in kept}
    groups = {name: f"g{k}" for k, name in enumerate(dict.fromkeys(group_of[i] for i in sorted(group_of)))}
    node_of = {r.index: groups[group_of[r.index]] if r.index in group_of else _row_id(r.index)
               for r in trace.rows if r.index in kept}
    outputs = [(k, index) for k, index in enumerate(trace.outputs)
               if (index is None and focus is None) or index in kept]
    node_count = len(kept) - len(group_of) + len(groups) + len(outputs)
    if max_nodes is not None and node_count > max_nodes:
        return _too_big(node_count, max_nodes, rankdir)

    graph = TraceGraph(name=trace.function_name, graph_attr={"rankdir": rankdir},
                       node_attr={"fontname": "Helvetica", "fontsize": "11"},
                       edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    graph.node_count = node_count
    graph.title = f"Computational graph of {trace.function_name}"
    described = []
    if focus is not None:
        edges = "edge" if radius == 1 else "edges"
        described.append(f"The rows at most {radius} {edges} from {formatter.name(focus)}, "
                         f"{len(kept)} of {len(trace.rows)}")
    highlighted = {node_of[i] for i in _indices(highlight) if i in node_of}
    for row in trace.rows:
        if row.index in kept and row.index not in group_of:
            described.append(_row_node(graph, formatter, trace, row, show_values,
                                       _row_id(row.index) in highlighted))
    members = {name: [] for name in groups}
    for row in trace.rows:
        if row.index in group_of:
            members[group_of[row.index]].append(row)
    for name, node in groups.items():
        lines = _group_label(name, members[name], counts.get(name))
        graph.node(node, _label(lines), **_style("group", current=node in highlighted))
        described.append(_sentence(lines))
    _edges(graph, trace, formatter, node_of, partials, {(node_of.get(a), node_of.get(b)) for a, b in highlight_edges})
    for k, index in outputs:
        node = f"y{k}"
        label = [formatter.output_name(k)]
        if show_values:
            label += _output_values(formatter, trace, k)
        graph.node(node, _label(label), **_style("output"))
        source = "a constant" if index is None else formatter.name(index)
        described.append(_sentence([f"{label[0]} = {source}"] + label[1:]))
        if index is not None:
            graph.edge(node_of[index], node)
    graph.description = tuple(described)
    return graph


def _row_id(index):
    return f"v{index}".replace("-", "m")


def _indices(highlight):
    if highlight is None:
        return ()
    return (highlight,) if isinstance(highlight, (int, np.integer)) else tuple(highlight)


def _groups(trace, collapse):
    """Row index -> group name for every grouped operation row."""
    if collapse is None:
        return {}
    if callable(collapse):
        names = {r.index: collapse(r) for r in trace.rows if not r.is_input}
    elif hasattr(collapse, "items"):
        names = {i: name for name, indices in collapse.items() for i in indices}
    else:
        raise TypeError("collapse must be a function row -> group name, or a mapping {group name: row indices}.")
    inputs = {r.index for r in trace.rows if r.is_input}
    return {i: str(name) for i, name in names.items() if name is not None and i not in inputs}


def _folds(trace, formatter):
    """Each run of a repeated sequence of primitives as one group: (row index -> group name, name -> repeats line).

    Left to right, a run is the longest stretch that repeats one body at least twice (the shortest
    such body); runs of fewer than MIN_FOLDED_ROWS operations stay unfolded.
    """
    operations = [r for r in trace.rows if not r.is_input]
    ops = [r.op for r in operations]
    group_of, counts, start = {}, {}, 0
    while start < len(ops):
        covered, body = 0, 0
        for length in range(1, min(MAX_FOLDED_BODY, (len(ops) - start) // 2) + 1):
            end = start + length
            while end < len(ops) and ops[end] == ops[end - length]:
                end += 1
            repeats = (end - start) // length
            if repeats >= 2 and repeats * length > covered:
                covered, body = repeats * length, length
        if covered < MIN_FOLDED_ROWS:
            start += 1
            continue
        run = operations[start:start + covered]
        name = f"{formatter.name(run[0].index)} … {formatter.name(run[-1].index)}"
        counts[name] = f"{covered // body} × ({', '.join(ops[start:start + body])})"
        group_of.update((r.index, name) for r in run)
        start += covered
    return group_of, counts


def _focus(trace, formatter, focus, radius):
    """The row indices to draw: all, or those at most `radius` edges (either way) from v_focus."""
    indices = [r.index for r in trace.rows]
    if focus is None:
        return set(indices)
    if not isinstance(focus, (int, np.integer)) or isinstance(focus, (bool, np.bool_)) or focus not in indices:
        raise ValueError(f"focus={focus!r} is not a row of this trace: give a row number from "
                         f"{indices[0]} to {indices[-1]}, e.g. focus={indices[-1]} for {formatter.name(indices[-1])}.")
    if not isinstance(radius, (int, np.integer)) or isinstance(radius, (bool, np.bool_)) or radius < 0:
        raise ValueError(f"radius={radius!r} must be a whole number of edges, 0 or more (radius=2 draws "
                         f"the neighbours' neighbours).")
    neighbours = {i: set() for i in indices}
    for row in trace.rows:
        for operand in row.inputs:
            neighbours[row.index].add(operand)
            neighbours[operand].add(row.index)
    distance, queue = {int(focus): 0}, deque([int(focus)])
    while queue:
        index = queue.popleft()
        if distance[index] < radius:
            for other in neighbours[index] - distance.keys():
                distance[other] = distance[index] + 1
                queue.append(other)
    return set(distance)


def _group_label(name, members, repeats=None):
    if repeats is not None:
        return [name, repeats]
    counts = Counter(r.op for r in members).most_common()
    kinds = ", ".join(f"{op} {n}" for op, n in counts[:3]) + (", …" if len(counts) > 3 else "")
    noun = "operation" if len(members) == 1 else "operations"
    return [name, f"{len(members)} {noun} ({kinds})"]


def _row_node(graph, formatter, trace, row, show_values, current):
    """Draw one row; returns the sentence that describes it."""
    if row.is_input:
        label = [f"{formatter.name(row.index)} = {formatter.input_name(row.index)}"]
    else:
        label = [f"{formatter.name(row.index)} = {formatter.expression(row)}"]
    if show_values:
        label.append(f"= {formatter.value(row.value)}")
        if row.tangent is not None:
            label.append(f"{formatter.name(row.index, 'dot')} = {formatter.value(row.tangent)}")
        if row.adjoint is not None:
            label.append(f"{formatter.name(row.index, 'bar')} = {formatter.value(row.adjoint)}")
    nonfinite = not all(_finite(v) for v in (row.value, row.tangent, row.adjoint) if v is not None)
    pending = trace.mode == "reverse" and row.adjoint is None  # the reverse sweep has not reached it yet
    graph.node(_row_id(row.index), _label(label), **_style(
        "input" if row.is_input else "operation", current=current, nonfinite=nonfinite, pending=pending))
    notes = [note for note, state in (("current row", current), ("not finite", nonfinite),
                                      ("adjoint not computed yet", pending)) if state]
    return _sentence(label) + (f" ({', '.join(notes)})" if notes else "")


def _output_values(formatter, trace, k):
    lines = [f"= {formatter.value(trace.output_values[k])}"]
    if trace.mode == "forward":
        lines.append(f"{formatter.output_name(k, 'dot')} = {formatter.value(trace.output_tangents[k])}")
    elif trace.mode == "reverse":
        lines.append(f"{formatter.output_name(k, 'bar')} = {formatter.value(trace.seed[k])}")
    return lines


def _edges(graph, trace, formatter, node_of, partials, highlighted):
    """One edge per operand between plain rows (with ∂ labels); merged edges (×n) into and out of groups.

    An edge from or to a row outside the focus ends in a ``⋯`` stub, one per drawn node and direction.
    """
    merged, stubs = Counter(), set()
    for row in trace.rows:
        if row.is_input:
            continue
        local = trace.local_partials(row.index) if partials and row.index in node_of else ()
        for position, operand in enumerate(row.operands):
            if operand.index is None:
                continue
            source, target = node_of.get(operand.index), node_of.get(row.index)
            if source is None or target is None:
                if (source, target) != (None, None):
                    stubs.add((source, "after") if target is None else (target, "before"))
                continue
            if source == target:
                continue
            if source != _row_id(operand.index) or target != _row_id(row.index):
                merged[source, target] += 1
                continue
            attrs = dict(_CURRENT_EDGE) if (source, target) in highlighted else {}
            if partials and local[position] is not None:
                value = format_number(local[position], formatter.precision)[0]
                attrs["label"] = f"{formatter.notation.partial(formatter.name(row.index), formatter.name(operand.index))} = {value}"
            graph.edge(source, target, **attrs)
    for (source, target), count in merged.items():
        attrs = dict(_CURRENT_EDGE) if (source, target) in highlighted else {}
        if count > 1:
            attrs["label"] = f"×{count}"
        graph.edge(source, target, **attrs)
    for node, side in sorted(stubs):  # "after": node's value goes on to rows not drawn; "before": it reads some
        stub = f"{node}_{side}"
        graph.node(stub, "⋯", shape="plaintext", fontsize="14")
        graph.edge(*((node, stub) if side == "after" else (stub, node)), style="dashed", color=GREY)


def _style(kind, current=False, nonfinite=False, pending=False):
    """Graphviz attributes for a node of this kind and state; each state changes the line, not only the colour."""
    style = dict(_STYLES[kind])
    classes = []
    if pending:
        style.update(_PENDING, style=style["style"] + ",dotted")
        classes.append("pending")
    if nonfinite:
        style.update(_NONFINITE, style=style["style"] + ",dashed")
        classes.append("nonfinite")
    if current:
        style.update(_CURRENT)
        classes.append("current")
    if classes:
        style["class"] = " ".join(classes)
    return style


def _finite(value):
    array = np.asarray(value)
    return array.dtype.kind not in "fc" or bool(np.all(np.isfinite(array)))


def _label(lines):
    """Lines joined with DOT's centred line break; a backslash in a value must not start an escape."""
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


def _sentence(lines):
    """A node's label lines as one line of text: "v₁ = v₋₁ × v₀ = 8, v̄₁ = −4"."""
    return "".join(line if k == 0 else (" " if line.startswith("=") else ", ") + line for k, line in enumerate(lines))


def _too_big(node_count, max_nodes, rankdir):
    graph = TraceGraph(name="too_big", graph_attr={"rankdir": rankdir})
    graph.node_count = node_count
    graph.over_limit = True
    lines = [
        f"This graph has {node_count:,} nodes, more than max_nodes={max_nodes}.",
        "Fold repeated structure: trace.graph(fold=True), or group rows: trace.graph(collapse=lambda row: name or None);",
        "look around one row: trace.graph(focus=row, radius=2); or draw every node: trace.graph(max_nodes=None)",
    ]
    graph.node("notice", _label(lines), shape="note", fontname="Helvetica")
    graph.title = "A computational graph too big to draw"
    graph.description = tuple(lines)
    return graph


# -- rendering --------------------------------------------------------------------

# Only where HTML is trusted (a trusted notebook, a widget) does this <style> survive: there the inline
# <svg> (real text, searchable) replaces the <img> that untrusted HTML keeps. `:has(svg)` keeps an
# untrusted copy of the same graph elsewhere on the page (its <svg> removed) showing its <img>.
_TRUSTED_STYLE = ("<style>.adlab-graph:has(.adlab-graph-live > svg) .adlab-graph-static {display: none !important}\n"
                  ".adlab-graph .adlab-graph-live:has(> svg) {display: block}</style>")
ZOOM_SUMMARY = "Zoom: readable size ⇄ the whole graph in the width of the cell"


def render(digraph):
    """Something Jupyter displays: SVG from dot, else graphviz-anywidget, else the DOT source and how to get dot."""
    try:
        svg = digraph.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        pass
    else:
        return SvgGraph(svg, getattr(digraph, "title", TraceGraph.title), getattr(digraph, "description", ()))
    try:
        from graphviz_anywidget import graphviz_widget
    except ImportError:
        return DotSource(digraph.source)
    return graphviz_widget(digraph.source)


class SvgGraph:
    """A graph drawn by dot, at its natural size, with its text alternative.

    As HTML (what JupyterLab and Notebook 7 show) it scrolls where it is wider than the
    output and renders in trusted and untrusted notebooks alike (see the module's docstring).
    """

    def __init__(self, svg, title=TraceGraph.title, description=()):
        self.title, self.description = title, tuple(description)
        self.svg = _accessible_svg(svg, title, self.description)
        self.width, self.height = (_css_px(self.svg, name) for name in ("width", "height"))  # None: not given

    @property
    def readable_width(self):
        """The narrowest the picture may be drawn (px): full size, or down to MIN_FONT_PX text if that fits FITS."""
        sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)"', self.svg)]
        box = re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', self.svg)
        if not sizes or not box:
            return self.width
        smallest_px = min(sizes) * self.width / float(box.group(1))  # at full size
        narrowest = math.ceil(self.width * min(1.0, MIN_FONT_PX / smallest_px))
        return narrowest if narrowest <= FITS else self.width

    @property
    def alt(self):
        """The <img>'s alt text: the title and the first ALT_NODES nodes."""
        shown = "; ".join(self.description[:ALT_NODES])
        more = len(self.description) - ALT_NODES
        rest = f"; and {more} more, listed under “The graph as text”" if more > 0 else ""
        return f"{self.title}: {shown}{rest}." if shown else f"{self.title}."

    def _repr_svg_(self):
        return self.svg

    def _repr_html_(self):
        """The picture in a box that scrolls, a zoom switch when it is wide, and the nodes as text.

        A drawing shrinks to fit its cell down to MIN_FONT_PX text if it then fits FITS px, else it
        keeps its full size; past that the box scrolls. No script or stylesheet does this (the
        sanitizer removes both): the picture fills an inline-block as wide as the cell allows, and a
        spacer as wide as the smallest readable picture keeps the block from getting narrower. The
        spacer sits in the open zoom switch: closing it lets the whole graph shrink into the cell.
        """
        source = "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")
        fill = "width:100%;height:auto;max-width:none;display:block"
        spacer = zoom = ""
        if self.width:
            spacer = f'<div style="width:{self.readable_width}px;height:0"></div>'
            zoom = spacer
        if self.width and self.width > WIDE:
            zoom = (f'<details open="open" class="adlab-graph-zoom"><summary>{escape(ZOOM_SUMMARY)}</summary>'
                    f'{spacer}</details>')
        size = "".join(f'{name}="{value}" ' for name, value in (("width", self.width), ("height", self.height))
                       if value)
        static = f'<img class="adlab-graph-static" src="{source}" {size}alt="{escape(self.alt)}" style="{fill}">'

        inline = self.svg.replace("<svg ", f'<svg style="{fill}" ', 1)
        live = f'<div class="adlab-graph-live" hidden="hidden">{inline}</div>'
        focusable = 'tabindex="0" ' if zoom.startswith("<details") else ""  # a box that may scroll: keys scroll it
        picture = (f'<div class="adlab-graph-scroll" {focusable}style="overflow:auto;max-width:100%">'
                   f'<div style="display:inline-block;vertical-align:top">{zoom}{static}{live}</div></div>')
        items = "".join(f"<li>{escape(line)}</li>" for line in self.description)
        text = (f'<details class="adlab-graph-text"><summary>The graph as text</summary><p>{escape(self.title)}'
                f'</p><ul>{items}</ul></details>') if items else ""
        return f'<div class="adlab-graph">{_TRUSTED_STYLE}{picture}{text}</div>'

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return {"text/html": self._repr_html_(), "image/svg+xml": self.svg, "text/plain": f"<{self.title} (SVG)>"}


def _css_px(svg, name):
    """The root <svg>'s width or height in CSS px (dot writes points), or None when it has none."""
    found = re.match(rf'<svg\b[^>]*?\s{name}="([\d.]+)(pt|px)?"', svg)
    if not found:
        return None
    return round(float(found.group(1)) * (4 / 3 if found.group(2) == "pt" else 1))


def _accessible_svg(svg, title, description):
    """dot's SVG from its <svg> element on (no XML prolog, no comments), named and described for screen readers."""
    svg = re.sub(r"<!--.*?-->\n?", "", svg[svg.index("<svg"):], flags=re.S)
    end = svg.index(">")
    closed = svg[end - 1] == "/"  # <svg .../>: an empty drawing
    head, body = svg[:end - 1 if closed else end].rstrip(), "</svg>" if closed else svg[end + 1:]
    desc = f"<desc>{escape('; '.join(description), quote=False)}</desc>" if description else ""
    return f'{head} role="img">\n<title>{escape(title, quote=False)}</title>{desc}{body}'


class DotSource:
    """The last resort without dot: the DOT source, and one line on how to install Graphviz."""

    def __init__(self, source):
        self.source = source

    def __repr__(self):
        return f"{INSTALL_HINT}\n{self.source}"

    def _repr_html_(self):
        return f"<div><p><em>{escape(INSTALL_HINT)}</em></p><pre>{escape(self.source)}</pre></div>"

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}


__all__ = ["MAX_NODES", "DotSource", "SvgGraph", "TraceGraph", "render", "to_graphviz"]
