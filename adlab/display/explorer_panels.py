"""What the sweep explorer's panels show at one step, and how the panels are laid out.

Each function here is a pure view of a sweep: the trace as the sweep has it after some rows, the
edges the current row uses, the caption, the Jacobian as far as the sweep has filled it, the
graph's drawing as HTML and its size. `explorer.Explorer` calls them at every step, and for the
invisible copies of each panel at its largest; `explorer_saved_view` reuses them for the saved view.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import replace

import ipywidgets as widgets
import numpy as np

from .notation import HTML, TEXT, format_number

PRECISION = 3


# -- the layout ---------------------------------------------------------------------------------------


def panel(classes, children):
    """A flex row (a Box) with these CSS classes; the explorer's stylesheet lays it out."""
    box = widgets.Box(children)
    for name in classes.split():
        box.add_class(name)
    return box


def stack(shown, reserve):
    """`shown` drawn over an invisible `reserve` (the same panel at its largest), so the pair never changes size."""
    return panel("adlab-stack", [shown, reserve])


CSS = """
.adlab-explorer { width: 100%; min-width: 0; }
.adlab-explorer .adlab-row, .adlab-explorer .adlab-panels { display: flex; flex-wrap: wrap; gap: 4px 24px;
  overflow: visible; }
.adlab-explorer .adlab-row { align-items: center; }
.adlab-explorer .adlab-row .adlab-number { width: 24em; max-width: 100%; }
.adlab-explorer .adlab-panels { align-items: flex-start; }
.adlab-explorer .adlab-table-panel { flex: 0 1 auto; min-width: 0; max-width: 100%; overflow-x: auto; }
.adlab-explorer .adlab-graph-panel { width: 100%; overflow: auto; }
.adlab-explorer .adlab-graph-panel svg { width: 100%; height: auto; max-width: none !important; display: block; }
.adlab-explorer .adlab-stack { display: grid; overflow: visible; }
.adlab-explorer .adlab-stack > * { grid-area: 1 / 1; min-width: 0; align-self: start; }
.adlab-explorer .adlab-reserve { visibility: hidden; }
.adlab-explorer .adlab-reserve td { font-weight: bold; }
.adlab-explorer .widget-html-content { line-height: 1.45; }
.adlab-explorer .adlab-saved-note { display: none; font-style: italic; margin: 4px 0; }
.adlab-explorer.jupyter-widgets-disconnected .adlab-saved-note { display: block; }
.adlab-explorer.jupyter-widgets-disconnected .adlab-live-only { display: none; }
.adlab-explorer.jupyter-widgets-disconnected::before, .adlab-explorer .jupyter-widgets-disconnected::before {
  content: none; display: none; }
"""

# -- labels ------------------------------------------------------------------------------------------


def components_of(values):
    """(leaf, index) for every scalar entry of a list of scalars and arrays."""
    return [(leaf, index) for leaf, v in enumerate(values) for index in np.ndindex(np.shape(v))]


def component_label(letter, component, always_number):
    """x₁, x₂[0, 1], y, y₂ … as in the table's labels."""
    leaf, index = component
    name = TEXT.var(letter, leaf + 1 if always_number else None)
    return name + (f"[{', '.join(map(str, index))}]" if index else "")



# -- the state of the sweep at one step ---------------------------------------------------------------


def trace_so_far(trace, done):
    """The trace as the sweep has it after the rows in done.

    Primal and forward sweeps compute an operation's value and tangent
    together, so operations not yet reached are left out; the input rows
    (x and its seed ẋ) are known before the sweep starts, and the lines
    y = v_k appear once every output row is there. A reverse sweep
    runs after the whole primal sweep: every value is there, but the adjoints
    of rows not yet reached are still unknown (None).
    """
    if trace.mode == "reverse":
        rows = tuple(r if r.index in done else replace(r, adjoint=None, contributions=()) for r in trace.rows)
        return replace(trace, rows=rows)
    rows = tuple(r for r in trace.rows if r.is_input or r.index in done)
    present = {r.index for r in rows}
    if all(i is None or i in present for i in trace.outputs):
        return replace(trace, rows=rows)
    return replace(trace, rows=rows, outputs=(), output_values=())  # the y lines come with the last output row


def edges_used(row, mode):
    """The edges the current step uses, as (from row, to row).

    Forward: the operands' values (and tangents) flow into this row. Reverse:
    v̄ of this row gathers one contribution from each later row that used it.
    """
    if mode == "reverse":
        return tuple((row.index, c.row) for c in row.contributions)
    return tuple((i, row.index) for i in row.inputs)


def caption_text(mode, seed, row, step, n_rows):
    where = f"step {step} of {n_rows}: row {TEXT.var('v', row.index)}"
    if mode == "forward":
        return f"Forward sweep along {seed} (ẋ = 1 there, 0 elsewhere), {where}: v and v̇ together, top to bottom."
    if mode == "reverse":
        return f"Reverse sweep from {seed} (ȳ = 1 there, 0 elsewhere), {where}: v̄ from later rows, bottom to top."
    return f"Primal sweep, {where}: each v from the rows above it."


# -- the Jacobian panel ---------------------------------------------------------------------------


def jacobian_html(entries, row_labels, column_labels, mode, seed):
    """J = ∂y/∂x as a table: the column or row this sweep fills is shaded and framed, entries not yet known blank.

    Inline styles only, so the saved (sanitized) view keeps them; the frame marks the swept column or row
    for readers who cannot tell the shading apart.
    """
    if mode == "forward":
        note = f"A forward sweep along {seed} fills one <b>column</b> of J: ∂y/∂{seed}."
    elif mode == "reverse":
        note = f"A reverse sweep from {seed} fills one <b>row</b> of J: ∂{seed}/∂x."
    else:
        note = "The primal sweep computes no derivative: a forward sweep fills a column of J, a reverse sweep a row."
    shaded_column = column_labels.index(seed) if mode == "forward" else None
    shaded_row = row_labels.index(seed) if mode == "reverse" else None
    frame = "2px solid #6b5200"
    head = "".join(f"<th scope='col' style='padding:2px 8px;text-align:center'>{label}</th>" for label in column_labels)
    body = []
    for j, (label, values) in enumerate(zip(row_labels, entries)):
        cells = []
        for i, value in enumerate(values):
            style = ""
            if i == shaded_column:
                style = (f"background:#fff3c4;border-left:{frame};border-right:{frame};"
                         + (f"border-top:{frame};" if j == 0 else "")
                         + (f"border-bottom:{frame};" if j == len(row_labels) - 1 else ""))
            elif j == shaded_row:
                style = (f"background:#fff3c4;border-top:{frame};border-bottom:{frame};"
                         + (f"border-left:{frame};" if i == 0 else "")
                         + (f"border-right:{frame};" if i == len(values) - 1 else ""))
            text = "" if value is None else HTML.number(*format_number(value, PRECISION))
            cells.append(f"<td style='{style}padding:2px 8px;text-align:right;min-width:3em'>{text}</td>")
        body.append(f"<tr><th scope='row' style='padding:2px 8px'>{label}</th>{''.join(cells)}</tr>")
    return (f"<div class='adlab-jacobian'><style>.adlab-jacobian .adlab-nonfinite "
            f"{{color:#b00020;font-weight:bold}}</style>"
            f"<table style='border-collapse:collapse;margin:0.5em 0'>"
            f"<caption style='caption-side:top;text-align:left;font-weight:bold'>Jacobian J = ∂y/∂x</caption>"
            f"<tr><td></td>{head}</tr>{''.join(body)}</table>"
            f"<div style='font-size:90%;max-width:24em'>{note}</div></div>")


# -- the graph panel --------------------------------------------------------------------------------


def drawing_html(drawing):
    """What `graph.render` drew, for an HTML widget: the SVG itself from dot (the explorer sizes and scrolls it;
    a live widget is never sanitized), else the drawing's HTML or the DOT source.

    The SVG takes keyboard focus (tabindex), so Tab reaches a graph wider than its panel and the arrow keys
    scroll it (axe-core's scrollable-region-focusable)."""
    bundle = drawing._repr_mimebundle_()
    svg = bundle.get("image/svg+xml")
    if svg:
        return svg.replace("<svg ", '<svg tabindex="0" ', 1)
    return bundle.get("text/html") or f"<pre>{html.escape(bundle['text/plain'])}</pre>"


_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"')


def svg_size(svg):
    """(width, height) in CSS pixels of an SVG from dot (whose sizes are in points), rounded up; (0, 0) if unknown."""
    sizes = svg_sizes(svg)
    return sizes[0] if sizes else (0, 0)


def svg_sizes(svgs):
    """`svg_size` of every <svg> in a text (dot writes one after another for an input of several graphs)."""
    return [tuple(math.ceil(float(points) * 4 / 3) for points in size.groups()) for size in _SVG_SIZE.finditer(svgs)]

