"""The sweep explorer: step through one sweep of f and watch the table, the DAG and J fill.

A sweep is walked one Wengert row at a time: the primal and forward sweeps go
v_{1-n} → v_l, the reverse sweep v_l → v_{1-n}. At every step the table shows
only what the sweep has computed so far, the DAG highlights the same row and
the edges its value travels along, and the Jacobian panel shows the column
(forward along e_i) or row (reverse from e_j) that this sweep fills. Every
number comes from `Trace.forward` / `Trace.reverse`; nothing here differentiates.

This module is the widget: its state (the sweep, the step, the caches) and how its controls drive the
panels. What each panel shows at a step, and the explorer's layout, are in `explorer_panels`; the
controls themselves (play/step buttons, sliders kept inside f's domain) in `explorer_controls`; the
saved view a notebook shows before its kernel runs in `explorer_saved_view`.

Shape: every panel is drawn over an invisible copy of its largest state in the
sweep (the table, Jacobian and caption at their longest; for the graph, an empty
box the size and shape of the largest step's drawing, at whose scale every step is
drawn), so nothing moves while the steps play. The table scrolls sideways rather
than being cut off; the graph shrinks with the cell to 3/4 of its size, then
scrolls.

Before running: the explorer is displayed as two outputs, a saved view (static
HTML that JupyterLab's and Notebook 7's sanitizer keeps: caption, table, Jacobian,
the graph as an <img> with a text alternative), then the widget. An untrusted
notebook shows the saved view; a trusted one shows it too, its stylesheet hiding
the widget's output until a kernel drives it (saved widget state restores
unreliably, and a view without a kernel is dead and marked with broken-link
icons); once the cell runs, the live widget replaces the saved view.
"""

from __future__ import annotations

import html
import math
import warnings
from collections import OrderedDict

import graphviz
import ipywidgets as widgets
import numpy as np

from ..core.tree import flatten, unflatten
from ..tracing import Trace, as_float
from .explorer_controls import StepControl, input_widget, read_input
from .explorer_panels import (CSS, PRECISION, caption_text, component_label, components_of, drawing_html, edges_used,
                              jacobian_html, panel, stack, svg_size, svg_sizes, trace_so_far)
from .explorer_saved_view import SAVED_NOTE, saved_view_html, summary
from .graph import SvgGraph, render, to_graphviz
from .tables import to_html

MODES = ("primal", "forward", "reverse")
CACHED_TRACES = 64  # primal traces kept per explorer: one per input point visited
MIN_GRAPH_SCALE = 0.75  # a graph shrinks with the cell to 3/4 of its size (11-pt labels stay 11 px), then scrolls
SIZED_STEPS = 24  # up to this many rows, the graph panel is sized to the largest step's drawing
SIZED_SMALL_STEPS = 400  # the same for a sweep whose steps draw small graphs: folded, or focused on the current row
FOCUS_RADIUS = 2  # "focus on the current row" draws the rows at most this many edges from it
CACHED_DRAWINGS = 256  # rendered graphs (dot takes most of a re-render): replaying a sweep costs no dot run


def explore(f, *args, fold=False):
    """Widgets to step through the sweeps of f at args (ints become floats); `fold=True` folds the graph's loops."""
    return Explorer(f, *args, fold=fold)


class Explorer(widgets.VBox):
    """One sweep of f, stepped row by row, with table, DAG and Jacobian panel in step.

    Drive it from code as a student does with the mouse or keyboard, by setting ``.value`` on:
    ``inputs[k]`` (x_{k+1}: a slider, or a text box of numbers for an array),
    ``mode`` ("primal", "forward", "reverse"), ``direction`` (forward: which
    input component e_i, as (input number, index) from 0: (1, ()) is x_2),
    ``output`` (reverse: which output component e_j, likewise) and
    ``step`` (how many rows the sweep has done, 1 to the number of rows, as
    the caption counts them; its play button walks the steps in the browser),
    ``fold`` and ``focus`` (check boxes: fold loops; draw only the current row's neighbourhood).
    ``trace`` is the current sweep; ``table``, ``graph``, ``jacobian``, ``caption``
    and ``message`` are HTML panels, and ``digraph`` is the graphviz.Digraph drawn in ``graph``.

    ``fold=True`` draws each run of repeated operations (a loop's body, a layer) as one node, as
    `to_graphviz(fold=True)` does, so a long loop's graph stays readable: the sweep still steps
    row by row (the table shows each row), and the graph highlights the folded node while the
    current row is in it. A primal or forward sweep folds what it has computed so far: the node
    counts the repeats as the loop runs. The "fold loops" box folds and unfolds while exploring.

    The "focus on the current row" box (off at first) draws only the rows at most FOCUS_RADIUS edges
    from the current row, as `to_graphviz(focus=row, radius=FOCUS_RADIUS)` does, and follows the row
    as the sweep steps: a long graph's neighbourhood of the step at a readable size.
    """

    def __init__(self, f, *args, fold=False):
        leaves, self._treedef = flatten(args)
        leaves = [as_float(x, f"x{k + 1}") for k, x in enumerate(leaves)]
        self.function = f
        self._traces, self._drawings = OrderedDict(), OrderedDict()
        self._primal = self.trace = self._record(leaves)
        self._seed = None  # the input or output component of the current sweep
        self._reserved_for = None  # the sweep whose largest panels the reserve copies hold
        self._graph_width = 0  # pixels: the widest step's drawing, to which every step is scaled alike
        self._input_shapes = [np.shape(x) for x in leaves]
        self._input_components = components_of(leaves)
        self._output_components = components_of(self._primal.output_values)
        if not self._input_components or not self._output_components:
            side = "inputs" if not self._input_components else "outputs"
            raise ValueError(f"explore needs at least one number in f's {side} to sweep, but they are empty "
                             f"(no arguments, or empty arrays); give a point with numbers, e.g. explore(f, 3.0).")
        self._input_labels = [component_label("x", c, always_number=True) for c in self._input_components]
        self._output_labels = [component_label("y", c, always_number=len(self._primal.outputs) > 1)
                               for c in self._output_components]

        self.inputs = [input_widget(component_label("x", (k, ()), always_number=True), x,
                                     lambda point, k=k: self._defined_at(leaves, k, point))
                       for k, x in enumerate(leaves)]
        self.mode = widgets.ToggleButtons(options=MODES, value="primal", description="sweep",
                                          tooltips=["values only", "values and tangents, top to bottom",
                                                    "adjoints, bottom to top"],
                                          style={"button_width": "80px"})
        self.direction = widgets.Dropdown(options=list(zip(self._input_labels, self._input_components)),
                                          description="along", layout=widgets.Layout(width="auto"))
        self.output = widgets.Dropdown(options=list(zip(self._output_labels, self._output_components)),
                                       description="from", layout=widgets.Layout(width="auto"))
        # check boxes: a check mark shows the state, and the description is the name a screen reader announces
        # (a described Checkbox shows no tooltip, so the description says it all)
        self.fold = widgets.Checkbox(value=fold, description="fold loops", indent=False,
                                     layout=widgets.Layout(width="auto"))
        self.focus = widgets.Checkbox(value=False, description="focus on the current row", indent=False,
                                      layout=widgets.Layout(width="auto"))
        last = len(self.trace)
        self.step = StepControl(value=last, min=1, max=last)
        self.caption, self.message, self.table, self.jacobian, self.graph = (widgets.HTML() for _ in range(5))
        self._reserve = {name: widgets.HTML() for name in ("caption", "table", "jacobian", "graph")}
        for name in self._reserve:
            getattr(self, name).add_class("adlab-shown")
            self._reserve[name].add_class("adlab-reserve")
        self._graph_stack = stack(self.graph, self._reserve["graph"])
        self._graph_panel = panel("adlab-graph-panel", [self._graph_stack])
        self.digraph = None

        for box in self.inputs:
            box.observe(self._on_input, names="value")
        for choice in (self.mode, self.direction, self.output):
            choice.observe(self._on_sweep_choice, names="value")
        for choice in (self.fold, self.focus):
            choice.observe(self._on_graph_choice, names="value")
        self.step.observe(lambda change: self._render(), names="value")

        super().__init__(children=[
            widgets.HTML(f"<style>{CSS}</style><div class='adlab-saved-note'>{SAVED_NOTE}</div>"),
            panel("adlab-row adlab-live-only", self.inputs),
            panel("adlab-row adlab-live-only", [self.mode, self.direction, self.output]),
            panel("adlab-row adlab-live-only adlab-graph-options", [self.fold, self.focus]),
            self.step,
            stack(self.caption, self._reserve["caption"]),
            self.message,
            panel("adlab-panels", [panel("adlab-table-panel", [stack(self.table, self._reserve["table"])]),
                                   stack(self.jacobian, self._reserve["jacobian"])]),
            self._graph_panel,
        ])
        self.step.add_class("adlab-live-only")
        self.add_class("adlab-explorer")
        self.add_class(f"adlab-explorer-{self.model_id}")  # the saved view beside it finds its own widget
        self._show_seed_choice()
        self._render()

    # -- the controls ------------------------------------------------------------------------

    def _on_input(self, change):
        try:
            leaves = [read_input(box, shape) for box, shape in zip(self.inputs, self._input_shapes)]
            primal = self._record(leaves)
            if components_of(primal.output_values) != self._output_components:
                raise ValueError("f's outputs change shape at these inputs; the explorer keeps the shapes it started with.")
        except Exception as error:  # whatever f or a text box raises is shown, and the last sweep stays
            self._show_error(error)
            return
        self._primal = primal
        self._sweep()

    def select(self, mode, k=0):
        """Show the `mode` sweep along input k (forward) or from output k (reverse), from its first entry."""
        if mode == "forward":
            self.direction.value = (k, (0,) * len(self._input_shapes[k]))
        elif mode == "reverse":
            self.output.value = (k, (0,) * np.ndim(self._primal.output_values[k]))
        self.mode.value = mode
        return self

    def _on_sweep_choice(self, change):
        self._show_seed_choice()
        self._sweep()

    def _on_graph_choice(self, change):
        """Fold or focus: the same step drawn again, in a graph panel sized anew for the sweep drawn this way."""
        self._reserved_for = None
        self._render()

    def _show_seed_choice(self):
        """Show only the choice this mode uses: an input direction (forward) or an output (reverse)."""
        self.direction.layout.display = None if self.mode.value == "forward" else "none"
        self.output.layout.display = None if self.mode.value == "reverse" else "none"

    def _show_error(self, error):
        self.message.value = f"<span style='color:#b00020'>{html.escape(f'{type(error).__name__}: {error}')}</span>"

    def _defined_at(self, leaves, k, point):
        """Whether f's outputs and their derivatives along x_{k+1} are finite with x_{k+1} = point, the others as given.

        The sliders stay where this holds, so no student slides ln or sqrt out of its domain.
        """
        leaves = [point if j == k else x for j, x in enumerate(leaves)]
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                primal = Trace.record(self.function, *unflatten(self._treedef, leaves))
                swept = primal.forward_along(k)
        except Exception:  # f refusing the point (a ValueError, a domain check) is undefined too
            return False
        return all(np.all(np.isfinite(v)) for v in (*swept.output_values, *swept.output_tangents))

    # -- the sweep -----------------------------------------------------------------------------

    def _record(self, leaves):
        """The primal trace at these input values; a point visited before comes from the cache."""
        key = tuple((np.shape(x), np.asarray(x).tobytes()) for x in leaves)
        return _cached(self._traces, key, lambda: Trace.record(self.function, *unflatten(self._treedef, leaves)),
                       CACHED_TRACES)

    def _sweep(self):
        """The sweep the controls ask for; if it fails (a primitive without a rule), the last one stays."""
        primal, mode = self._primal, self.mode.value
        seed = {"forward": self.direction.value, "reverse": self.output.value}.get(mode)
        try:
            if mode == "forward":
                trace = primal.forward_along(*seed)
            elif mode == "reverse":
                trace = primal.reverse_from(*seed)
            else:
                trace = primal
        except Exception as error:
            self._show_error(error)
            return
        self.message.value = ""
        self.trace, self._seed = trace, seed
        last = len(trace)
        if self.step.max != last:  # control flow in f can change the number of rows
            self.step.max = last  # a clamped step.value re-renders once more
        self._render()

    @property
    def order(self):
        """Row indices in the order the current sweep visits them."""
        indices = [row.index for row in self.trace]
        return indices[::-1] if self.trace.mode == "reverse" else indices

    @property
    def current(self):
        """The row the sweep is at now (its Wengert index)."""
        return self.order[self.step.value - 1]

    # -- drawing ---------------------------------------------------------------------------------

    def _render(self):
        if self._reserved_for is not self.trace:  # each panel's largest state in this sweep, drawn invisibly
            last = self._panels_at(len(self.trace))
            for name in ("table", "jacobian"):
                self._reserve[name].value = last[name]
            self._reserve["caption"].value = max(self._captions(), key=len)
            self._reserve["graph"].value = self._graph_reserve(last)
            self._reserved_for = self.trace
        shown = self._panels_at(self.step.value)
        for name in ("caption", "table", "jacobian"):
            getattr(self, name).value = shown[name]
        self.digraph = shown["digraph"]
        if isinstance(shown["drawing"], widgets.DOMWidget):  # laid out in the browser (no dot): show that widget
            self._graph_panel.children = [shown["drawing"]]
        else:
            self.graph.value = self._scaled(shown["drawing"], shown["graph"])
            self._graph_panel.children = [self._graph_stack]

    def _panels_at(self, step):
        """What each panel shows after `step` rows of the current sweep."""
        mode, done = self.trace.mode, set(self.order[:step])
        row, snapshot, digraph, drawing = self._drawing_at(step)
        seed = self._seed_label()
        return {
            "caption": caption_text(mode, seed, row, step, len(self.trace)),
            "table": to_html(snapshot, precision=PRECISION, highlight=row.index),
            "digraph": digraph, "drawing": drawing,
            "graph": None if isinstance(drawing, widgets.DOMWidget) else drawing_html(drawing),
            "jacobian": jacobian_html(self._jacobian_entries(done), self._output_labels, self._input_labels,
                                      mode, seed),
        }

    def _digraph_at(self, step):
        """(current row, the trace as the sweep has it, its graphviz.Digraph) after `step` rows."""
        row = self.trace[self.order[step - 1]]
        snapshot = trace_so_far(self.trace, set(self.order[:step]))
        edges = edges_used(row, self.trace.mode)
        focus = row.index if self.focus.value else None
        return row, snapshot, to_graphviz(snapshot, highlight=row.index, highlight_edges=edges, fold=self.fold.value,
                                          focus=focus, radius=FOCUS_RADIUS)

    def _drawing_at(self, step):
        """`_digraph_at(step)` and what `render` drew of it.

        Drawings are cached by all that `render` reads: the source alone is not enough, since a focus that takes
        in the whole graph draws the same source with another text alternative ("the rows at most 2 edges …").
        """
        row, snapshot, digraph = self._digraph_at(step)
        key = (digraph.source, digraph.title, digraph.description)
        return row, snapshot, digraph, _cached(self._drawings, key, lambda: render(digraph), CACHED_DRAWINGS)

    def _graph_reserve(self, last):
        """An empty box with the largest step's drawing's size and shape, so the graph panel never changes size.

        Every step is laid out to measure it (one run of dot for all of them) when that is quick, see
        `_steps_to_measure`; otherwise the box has the size of the last step. Every step is then drawn at the scale
        of that box.
        """
        self._graph_width = 0
        layout = self._graph_stack.layout
        layout.width = layout.max_width = layout.min_width = None
        if isinstance(last["drawing"], widgets.DOMWidget):
            return ""
        if not isinstance(last["drawing"], SvgGraph):
            return last["graph"]
        sizes = [svg_size(last["drawing"].svg)]
        steps = self._steps_to_measure(last["digraph"])
        if steps:
            sources = "\n".join(digraph.source for digraph in steps)
            try:  # dot lays out every graph of its input and writes one SVG after another
                sizes += svg_sizes(graphviz.pipe("dot", "svg", sources.encode("utf-8")).decode("utf-8"))
            except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
                pass  # the last step's size, then
        width, height = (max(dimension) for dimension in zip(*sizes))
        if not width:
            return last["graph"]
        self._graph_width = width
        # the box shrinks with the cell (to MIN_GRAPH_SCALE of its size, then the panel scrolls), keeping its shape
        layout.width, layout.max_width = "100%", f"{width}px"
        layout.min_width = f"{math.ceil(width * MIN_GRAPH_SCALE)}px"
        return f'<div style="width:100%;aspect-ratio:{width} / {height}"></div>'

    def _steps_to_measure(self, last):
        """The digraphs of every step before the `last` one's, if dot lays them all out quickly, else none.

        Up to SIZED_STEPS rows, all of them; up to SIZED_SMALL_STEPS rows, all of them when folded to at most
        SIZED_STEPS nodes (a sweep part way through a loop's body draws the body's rows beside the folded node,
        so its last step need not be its largest), or when focused and every step draws at most SIZED_STEPS nodes
        (a row that many rows use has a large neighbourhood).
        """
        rows, focused = len(self.trace), self.focus.value
        folded_small = self.fold.value and last.node_count <= SIZED_STEPS
        if rows > SIZED_SMALL_STEPS or (rows > SIZED_STEPS and not (focused or folded_small)):
            return []
        steps = [self._digraph_at(step)[2] for step in range(1, rows)]
        if rows > SIZED_STEPS and focused and max(digraph.node_count for digraph in steps) > SIZED_STEPS:
            return []
        return steps

    def _scaled(self, drawing, drawn_html):
        """The step's drawing at the scale of the largest one: its width as a share of the reserved box's."""
        width = svg_size(drawing.svg)[0] if isinstance(drawing, SvgGraph) else 0
        if not (width and self._graph_width):
            return drawn_html
        return f'<div style="width:{100 * width / self._graph_width:.4f}%">{drawn_html}</div>'

    def _captions(self):
        mode, seed, n_rows = self.trace.mode, self._seed_label(), len(self.trace)
        return [caption_text(mode, seed, self.trace[index], step, n_rows) for step, index in enumerate(self.order, 1)]

    def _seed_label(self):
        if self.trace.mode == "forward":
            return self._input_labels[self._input_components.index(self._seed)]
        if self.trace.mode == "reverse":
            return self._output_labels[self._output_components.index(self._seed)]
        return ""

    def _jacobian_entries(self, done):
        """J as the sweep has filled it so far: None where it has produced nothing (yet)."""
        entries = [[None] * len(self._input_components) for _ in self._output_components]
        if self.trace.mode == "forward":
            i = self._input_components.index(self._seed)
            for j, (leaf, index) in enumerate(self._output_components):
                row = self.trace.outputs[leaf]
                if row is None or row in done:  # a constant output needs no sweep: its tangent is 0
                    entries[j][i] = np.asarray(self.trace.output_tangents[leaf])[index]
        elif self.trace.mode == "reverse":
            j = self._output_components.index(self._seed)
            input_rows = [row.index for row in self.trace if row.is_input]
            for i, (leaf, index) in enumerate(self._input_components):
                if input_rows[leaf] in done:
                    entries[j][i] = np.asarray(self.trace.input_adjoints[leaf])[index]
        return entries

    # -- the saved form: what a notebook shows before this cell runs ------------------------------------------

    def _ipython_display_(self):
        """Two outputs: the saved view (static HTML), then the widget. Until the widget is live, the saved view shows.

        JupyterLab and Notebook 7 draw a widget only from a live model (or from widget state saved in the
        notebook, restored unreliably: "Error displaying widget: model not found"), and never in an untrusted
        notebook, where they show the safest format instead. So the saved view is an output of its own: untrusted,
        the sanitizer keeps it; trusted, its stylesheet hides it once the widget after it is connected to a kernel,
        and hides the widget's output while that is loading, failed or disconnected.
        """
        from IPython.display import display

        display({"text/html": self.saved_view(), "text/plain": self._summary()}, raw=True)
        display(self._repr_mimebundle_(), raw=True)

    def _repr_mimebundle_(self, **kwargs):
        """The widget view (e.g. inside another widget); its text form says how to bring it to life."""
        return {**super()._repr_mimebundle_(**kwargs),
                "text/plain": "The live sweep explorer appears here when this cell runs."}

    def _summary(self):
        return summary(self.function, self.inputs)

    def saved_view(self):
        """The explorer's panels at this step as HTML that JupyterLab's sanitizer keeps (no script, no <svg>: the
        graph is an <img> of its SVG), with a stylesheet (dropped when untrusted) that hides it beside a live widget."""
        return saved_view_html(self.model_id, self._summary(), self._panels_at(self.step.value), self.function,
                               self.trace)


def _cached(cache, key, compute, size):
    """compute() once per key, keeping the `size` most recently used results."""
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = compute()
        if len(cache) > size:
            cache.popitem(last=False)
    return cache[key]
