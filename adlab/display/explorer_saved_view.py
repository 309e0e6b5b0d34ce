"""The sweep explorer's saved view: what a notebook shows before its kernel runs the cell.

JupyterLab and Notebook 7 draw a widget only from a live model, and never in an untrusted notebook.
So the explorer is displayed as two outputs: this static view (HTML the sanitizer keeps: no script,
no <svg>, the graph as an <img> with a text alternative), then the widget. Its stylesheet, dropped
when untrusted, hides it once the widget beside it is live, and hides the widget's output while
that is loading, failed or disconnected.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets

from .explorer_controls import input_text
from .explorer_panels import PRECISION, component_label, svg_size
from .graph import SvgGraph
from .notation import TEXT, RowFormatter

# The saved view's output (a .jp-OutputArea-child in JupyterLab and Notebook 7) and the widget's, right after it:
# the first hides once the widget is live; the second hides while it is not (loading, an error, disconnected).
SAVED_VIEW_CSS = """
.jp-OutputArea-child:has(.adlab-saved-ID):has(+ .jp-OutputArea-child .adlab-explorer-ID:not(.jupyter-widgets-disconnected)) {
  display: none; }
.jp-OutputArea-child:has(.adlab-saved-ID) + .jp-OutputArea-child:not(:has(.adlab-explorer-ID:not(.jupyter-widgets-disconnected))) {
  display: none; }
"""
SAVED_NOTE = "A saved view of the sweep explorer: run this cell to step through the sweep and move the sliders."


def summary(function, inputs):
    """One line naming the function and the point, and how to bring the explorer to life."""
    values = ", ".join(f"{component_label('x', (k, ()), always_number=True)} = {input_text(box)}"
                       for k, box in enumerate(inputs))
    name = getattr(function, "__name__", "f")
    return f"Sweep explorer of {name} at {values}: run this cell to step through the sweep."


def saved_view_html(model_id, summary_text, shown, function, trace):
    """The panels `shown` at one step as static HTML, with a stylesheet naming the widget `model_id` only."""
    drawing = shown["drawing"]
    if isinstance(drawing, SvgGraph):
        graph = _svg_image(drawing.svg, _graph_description(function, trace))
    elif isinstance(drawing, widgets.DOMWidget):
        graph = "<p>(The graph is drawn in the browser once this cell runs.)</p>"
    else:
        graph = shown["graph"]
    return (f'<div class="adlab-explorer-saved adlab-saved-{model_id}">'
            f"<style>{SAVED_VIEW_CSS.replace('ID', model_id)}</style>"
            f'<p><em>{html.escape(summary_text)}</em></p>'
            f'<p>{html.escape(shown["caption"])}</p>'
            f'<div tabindex="0" style="display:inline-block;vertical-align:top;max-width:100%;overflow-x:auto;'
            f'margin-right:24px">{shown["table"]}</div>'
            f'<div style="display:inline-block;vertical-align:top">{shown["jacobian"]}</div>'
            f'<div tabindex="0" style="overflow-x:auto;max-width:100%">{graph}</div></div>')


def _svg_image(svg, description):
    """The SVG as an <img> (a data URI) at its own size, never shrunk: the box around it scrolls instead."""
    width, height = svg_size(svg)
    dimensions = f' width="{width}" height="{height}"' if width else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img src="data:image/svg+xml;base64,{data}"{dimensions} style="max-width:none" '
            f'alt="{html.escape(description, quote=True)}">')


def _graph_description(function, trace):
    """A text alternative for the graph: every node's label, in the order the sweep computes them."""
    formatter = RowFormatter(trace, TEXT, PRECISION)
    rows = "; ".join(f"{formatter.name(row.index)} = "
                     f"{formatter.input_name(row.index) if row.is_input else formatter.expression(row)}"
                     for row in trace.rows)
    return f"Computation graph of {getattr(function, '__name__', 'f')}: {rows}."

