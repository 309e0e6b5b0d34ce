"""The computation graph of a trace (its DAG) as a graphviz.Digraph, and a renderer that never crashes.

Nodes are the inputs (ellipses), the operations (boxes, labelled with their
rule, e.g. ``v₁ = v₋₁ × v₀``) and the outputs; edges run from each operand to
the row that uses it. Labels show the primal value and, after a sweep, the
tangent v̇ or the adjoint v̄; ``partials=True`` writes the local partial
∂v_i/∂v_j (from `Trace.local_partials`, i.e. the engine's own JVP rules) on
each edge.

Big graphs: over ``max_nodes`` nodes, the result is a one-node graph that says
how many nodes there are and how to group them, instead of a hairball.
``collapse`` groups operations into one node each, either

- a function ``row -> group name or None`` (None keeps the row as it is), e.g.
  ``collapse=lambda row: f"step {(row.index - 1) // 4}"`` for a loop body of
  4 operations, or ``lambda row: row.op if row.op == "getitem" else None``;
- or a mapping ``{group name: row indices}``, e.g. ``{"layer 1": range(3, 40)}``.

Inputs and outputs are never grouped. Edges between grouped nodes are merged
and labelled with how many they stand for (``×3``).

Rendering: `render()` runs Graphviz's ``dot`` for SVG; when ``dot`` is not
installed it uses graphviz-anywidget (layout in the browser) if that package is
importable, else it shows the DOT source with one line on how to install
Graphviz. A graph from `to_graphviz` displays through `render()` by itself.
"""

from __future__ import annotations

from collections import Counter
from html import escape

import graphviz
import numpy as np

from .notation import TEXT, RowFormatter, format_number

MAX_NODES = 200
INSTALL_HINT = ("Graphviz's dot program is not installed, so this is the graph's DOT source. "
                "To draw it: apt-get install graphviz (or conda install graphviz).")
_STYLES = {
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#dbe9f6"},
    "operation": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f4f4"},
    "group": {"shape": "box3d", "style": "filled", "fillcolor": "#e8e0f0"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#d9f0d3"},
}
_HIGHLIGHT = {"color": "#e65100", "penwidth": "2.5"}
_NONFINITE = {"color": "#c62828", "penwidth": "2"}


class TraceGraph(graphviz.Digraph):
    """A graphviz.Digraph that shows itself through `render()`, so a missing ``dot`` is no error."""

    node_count = None   # nodes of the full drawing (before any size limit)
    over_limit = False  # True when this is the "too many nodes" notice instead of the graph

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return render(self)._repr_mimebundle_(include=include, exclude=exclude, **kwargs)


def to_graphviz(trace, show_values=True, partials=False, highlight=None, highlight_edges=(), rankdir="LR",
                max_nodes=MAX_NODES, collapse=None, precision=3):
    """The trace's DAG. `highlight`: a row index (or several); `highlight_edges`: (from, to) row index pairs."""
    formatter = RowFormatter(trace, TEXT, precision)
    group_of = _groups(trace, collapse)
    groups = {name: f"g{k}" for k, name in enumerate(dict.fromkeys(group_of[i] for i in sorted(group_of)))}
    node_of = {r.index: groups[group_of[r.index]] if r.index in group_of else _row_id(r.index) for r in trace.rows}
    node_count = len(trace.rows) - len(group_of) + len(groups) + len(trace.outputs)
    if max_nodes is not None and node_count > max_nodes:
        return _too_big(node_count, max_nodes, rankdir)

    graph = TraceGraph(name=trace.function_name, graph_attr={"rankdir": rankdir},
                       node_attr={"fontname": "Helvetica", "fontsize": "11"},
                       edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    graph.node_count = node_count
    highlighted = {node_of[i] for i in _indices(highlight)}
    for row in trace.rows:
        if row.index not in group_of:
            _row_node(graph, formatter, trace, row, show_values, _row_id(row.index) in highlighted)
    members = {name: [] for name in groups}
    for row in trace.rows:
        if row.index in group_of:
            members[group_of[row.index]].append(row)
    for name, node in groups.items():
        graph.node(node, _group_label(name, members[name]), **_style("group", node in highlighted))
    _edges(graph, trace, formatter, node_of, partials, {(node_of[a], node_of[b]) for a, b in highlight_edges})
    for k, index in enumerate(trace.outputs):
        node = f"y{k}"
        label = [formatter.output_name(k)]
        if show_values:
            label += _output_values(formatter, trace, k)
        graph.node(node, _label(label), **_style("output", False))
        if index is not None:
            graph.edge(node_of[index], node)
    return graph


def _row_id(index):
    return f"v{index}".replace("-", "m")


def _indices(highlight):
    if highlight is None:
        return ()
    return (highlight,) if isinstance(highlight, int) else tuple(highlight)


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


def _group_label(name, members):
    counts = Counter(r.op for r in members).most_common()
    kinds = ", ".join(f"{op} {n}" for op, n in counts[:3]) + (", …" if len(counts) > 3 else "")
    noun = "operation" if len(members) == 1 else "operations"
    return _label([name, f"{len(members)} {noun} ({kinds})"])


def _row_node(graph, formatter, trace, row, show_values, highlighted):
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
    finite = all(_finite(v) for v in (row.value, row.tangent, row.adjoint) if v is not None)
    style = _style("input" if row.is_input else "operation", highlighted)
    if not finite and not highlighted:
        style.update(_NONFINITE)
    graph.node(_row_id(row.index), _label(label), **style)


def _output_values(formatter, trace, k):
    lines = [f"= {formatter.value(trace.output_values[k])}"]
    if trace.mode == "forward":
        lines.append(f"{formatter.output_name(k, 'dot')} = {formatter.value(trace.output_tangents[k])}")
    elif trace.mode == "reverse":
        lines.append(f"{formatter.output_name(k, 'bar')} = {formatter.value(trace.seed[k])}")
    return lines


def _edges(graph, trace, formatter, node_of, partials, highlighted):
    """One edge per operand between plain rows (with ∂ labels); merged edges (×n) into and out of groups."""
    merged = Counter()
    for row in trace.rows:
        if row.is_input:
            continue
        local = trace.local_partials(row.index) if partials else ()
        for position, operand in enumerate(row.operands):
            if operand.index is None:
                continue
            source, target = node_of[operand.index], node_of[row.index]
            if source == target:
                continue
            if source != _row_id(operand.index) or target != _row_id(row.index):
                merged[source, target] += 1
                continue
            attrs = dict(_HIGHLIGHT) if (source, target) in highlighted else {}
            if partials and local[position] is not None:
                value = format_number(local[position], formatter.precision)[0]
                attrs["label"] = f"{formatter.notation.partial(formatter.name(row.index), formatter.name(operand.index))} = {value}"
            graph.edge(source, target, **attrs)
    for (source, target), count in merged.items():
        attrs = dict(_HIGHLIGHT) if (source, target) in highlighted else {}
        if count > 1:
            attrs["label"] = f"×{count}"
        graph.edge(source, target, **attrs)


def _style(kind, highlighted):
    style = dict(_STYLES[kind])
    if highlighted:
        style.update(_HIGHLIGHT, fillcolor="#ffd27f")
    return style


def _finite(value):
    array = np.asarray(value)
    return array.dtype.kind not in "fc" or bool(np.all(np.isfinite(array)))


def _label(lines):
    """Lines joined with DOT's centred line break; a backslash in a value must not start an escape."""
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


def _too_big(node_count, max_nodes, rankdir):
    graph = TraceGraph(name="too_big", graph_attr={"rankdir": rankdir})
    graph.node_count = node_count
    graph.over_limit = True
    graph.node("notice", _label([
        f"This graph has {node_count:,} nodes, more than max_nodes={max_nodes}.",
        "Group repeated structure: trace.graph(collapse=lambda row: group name or None)",
        "or draw every node: trace.graph(max_nodes=None)",
    ]), shape="note", fontname="Helvetica")
    return graph


# -- rendering --------------------------------------------------------------------


def render(digraph):
    """Something Jupyter displays: SVG from dot, else graphviz-anywidget, else the DOT source and how to get dot."""
    try:
        return SvgGraph(digraph.pipe(format="svg", encoding="utf-8"))
    except graphviz.ExecutableNotFound:
        pass
    try:
        from graphviz_anywidget import graphviz_widget
    except ImportError:
        return DotSource(digraph.source)
    return graphviz_widget(digraph.source)


class SvgGraph:
    """A graph drawn by dot; as HTML its picture shrinks to the width of the output (no scrolling, nothing cut off)."""

    def __init__(self, svg):
        self.svg = svg

    def _repr_svg_(self):
        return self.svg

    def _repr_html_(self):
        """The <svg> element inline (no XML prolog), scaled down, never up, keeping its aspect ratio."""
        element = self.svg[self.svg.index("<svg"):]
        return f'<svg style="max-width:100%;height:auto"{element[len("<svg"):]}'

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return {"text/html": self._repr_html_(), "image/svg+xml": self.svg, "text/plain": "<computation graph (SVG)>"}


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
