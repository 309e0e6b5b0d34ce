"""The sweep explorer: step through one sweep of f and watch the table, the DAG and J fill.

A sweep is walked one Wengert row at a time: the primal and forward sweeps go
v_{1-n} → v_l, the reverse sweep v_l → v_{1-n}. At every step the table shows
only what the sweep has computed so far, the DAG highlights the same row and
the edges its value travels along, and the Jacobian panel shows the column
(forward along e_i) or row (reverse from e_j) that this sweep fills. Every
number comes from `Trace.forward` / `Trace.reverse`; nothing here differentiates.

Shape: every panel is drawn over an invisible copy of its largest state in the
sweep (the table, Jacobian and caption at their longest; for the graph, an empty
box the size and shape of the largest step's drawing, at whose scale every step is
drawn), so nothing moves while the steps play. The table scrolls sideways rather
than being cut off; the graph shrinks with the cell to 3/4 of its size, then
scrolls. The step and input sliders are native range inputs with labels, and the
play and step buttons have names (anywidget): they work by keyboard, read out by
screen readers, and never show "NaN" at any width.

Before running: the explorer is displayed as two outputs, a saved view (static
HTML that JupyterLab's and Notebook 7's sanitizer keeps: caption, table, Jacobian,
the graph as an <img> with a text alternative), then the widget. An untrusted
notebook shows the saved view; a trusted one shows it too, its stylesheet hiding
the widget's output until a kernel drives it (saved widget state restores
unreliably, and a view without a kernel is dead and marked with broken-link
icons); once the cell runs, the live widget replaces the saved view.
"""

from __future__ import annotations

import base64
import html
import math
import re
import warnings
from collections import OrderedDict
from dataclasses import replace

import anywidget
import graphviz
import ipywidgets as widgets
import numpy as np
import traitlets

from ..core.tree import flatten, unflatten
from ..tracing import Trace, as_float
from .graph import SvgGraph, render, to_graphviz
from .notation import HTML, TEXT, RowFormatter, format_number
from .tables import to_html

MODES = ("primal", "forward", "reverse")
CACHED_TRACES = 64  # primal traces kept per explorer: one per input point visited
MIN_GRAPH_SCALE = 0.75  # a graph shrinks with the cell to 3/4 of its size (11-pt labels stay 11 px), then scrolls
SIZED_STEPS = 24  # up to this many rows, the graph panel is sized to the largest step's drawing
CACHED_DRAWINGS = 256  # rendered graphs (dot takes most of a re-render): replaying a sweep costs no dot run
DOMAIN_PROBES = 16  # points tried between a start value and each end of its slider
DOMAIN_BISECTIONS = 12  # then halvings of the gap to the first point where f is undefined
PRECISION = 3


def explore(f, *args):
    """Widgets to step through the sweeps of f at args (ints become floats)."""
    return Explorer(f, *args)


class Explorer(widgets.VBox):
    """One sweep of f, stepped row by row, with table, DAG and Jacobian panel in step.

    Drive it from code as a student does with the mouse or keyboard, by setting ``.value`` on:
    ``inputs[k]`` (x_{k+1}: a slider, or a text box of numbers for an array),
    ``mode`` ("primal", "forward", "reverse"), ``direction`` (forward: which
    input component e_i, as (input number, index) from 0: (1, ()) is x_2),
    ``output`` (reverse: which output component e_j, likewise) and
    ``step`` (how many rows the sweep has done, 1 to the number of rows, as
    the caption counts them; its play button walks the steps in the browser).
    ``trace`` is the current sweep; ``table``, ``graph``, ``jacobian``, ``caption``
    and ``message`` are HTML panels, and ``digraph`` is the graphviz.Digraph drawn in ``graph``.
    """

    def __init__(self, f, *args):
        leaves, self._treedef = flatten(args)
        leaves = [as_float(x, f"x{k + 1}") for k, x in enumerate(leaves)]
        self.function = f
        self._traces, self._drawings = OrderedDict(), OrderedDict()
        self._primal = self.trace = self._record(leaves)
        self._seed = None  # the input or output component of the current sweep
        self._reserved_for = None  # the sweep whose largest panels the reserve copies hold
        self._graph_width = 0  # pixels: the widest step's drawing, to which every step is scaled alike
        self._input_shapes = [np.shape(x) for x in leaves]
        self._input_components = _components(leaves)
        self._output_components = _components(self._primal.output_values)
        if not self._input_components or not self._output_components:
            side = "inputs" if not self._input_components else "outputs"
            raise ValueError(f"explore needs at least one number in f's {side} to sweep, but they are empty "
                             f"(no arguments, or empty arrays); give a point with numbers, e.g. explore(f, 3.0).")
        self._input_labels = [_label("x", c, always_number=True) for c in self._input_components]
        self._output_labels = [_label("y", c, always_number=len(self._primal.outputs) > 1)
                               for c in self._output_components]

        self.inputs = [_input_widget(_label("x", (k, ()), always_number=True), x,
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
        last = len(self.trace)
        self.step = StepControl(value=last, min=1, max=last)
        self.caption, self.message, self.table, self.jacobian, self.graph = (widgets.HTML() for _ in range(5))
        self._reserve = {name: widgets.HTML() for name in ("caption", "table", "jacobian", "graph")}
        for name in self._reserve:
            getattr(self, name).add_class("adlab-shown")
            self._reserve[name].add_class("adlab-reserve")
        self._graph_stack = _stack(self.graph, self._reserve["graph"])
        self._graph_panel = _panel("adlab-graph-panel", [self._graph_stack])
        self.digraph = None

        for box in self.inputs:
            box.observe(self._on_input, names="value")
        for choice in (self.mode, self.direction, self.output):
            choice.observe(self._on_sweep_choice, names="value")
        self.step.observe(lambda change: self._render(), names="value")

        super().__init__(children=[
            widgets.HTML(f"<style>{CSS}</style><div class='adlab-saved-note'>{SAVED_NOTE}</div>"),
            _panel("adlab-row adlab-live-only", self.inputs),
            _panel("adlab-row adlab-live-only", [self.mode, self.direction, self.output]),
            self.step,
            _stack(self.caption, self._reserve["caption"]),
            self.message,
            _panel("adlab-panels", [_panel("adlab-table-panel", [_stack(self.table, self._reserve["table"])]),
                                    _stack(self.jacobian, self._reserve["jacobian"])]),
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
            leaves = [_read_input(box, shape) for box, shape in zip(self.inputs, self._input_shapes)]
            primal = self._record(leaves)
            if _components(primal.output_values) != self._output_components:
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
            "caption": _caption(mode, seed, row, step, len(self.trace)),
            "table": to_html(snapshot, precision=PRECISION, highlight=row.index),
            "digraph": digraph, "drawing": drawing,
            "graph": None if isinstance(drawing, widgets.DOMWidget) else _as_html(drawing),
            "jacobian": _jacobian_html(self._jacobian_entries(done), self._output_labels, self._input_labels,
                                       mode, seed),
        }

    def _digraph_at(self, step):
        """(current row, the trace as the sweep has it, its graphviz.Digraph) after `step` rows."""
        row = self.trace[self.order[step - 1]]
        snapshot = _snapshot(self.trace, set(self.order[:step]))
        return row, snapshot, to_graphviz(snapshot, highlight=row.index, highlight_edges=_edges(row, self.trace.mode))

    def _drawing_at(self, step):
        """`_digraph_at(step)` and what `render` drew of it."""
        row, snapshot, digraph = self._digraph_at(step)
        return row, snapshot, digraph, _cached(self._drawings, digraph.source, lambda: render(digraph), CACHED_DRAWINGS)

    def _graph_reserve(self, last):
        """An empty box with the largest step's drawing's size and shape, so the graph panel never changes size.

        Up to SIZED_STEPS rows every step is laid out to measure it (one run of dot for all of them); a longer
        sweep reserves the size of its last step. Every step is then drawn at the scale of that box.
        """
        self._graph_width = 0
        layout = self._graph_stack.layout
        layout.width = layout.max_width = layout.min_width = None
        if isinstance(last["drawing"], widgets.DOMWidget):
            return ""
        if not isinstance(last["drawing"], SvgGraph):
            return last["graph"]
        sizes = [_svg_size(last["drawing"].svg)]
        if len(self.trace) <= SIZED_STEPS:
            sources = "\n".join(self._digraph_at(step)[2].source for step in range(1, len(self.trace)))
            try:  # dot lays out every graph of its input and writes one SVG after another
                sizes += _svg_sizes(graphviz.pipe("dot", "svg", sources.encode("utf-8")).decode("utf-8"))
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

    def _scaled(self, drawing, drawn_html):
        """The step's drawing at the scale of the largest one: its width as a share of the reserved box's."""
        width = _svg_size(drawing.svg)[0] if isinstance(drawing, SvgGraph) else 0
        if not (width and self._graph_width):
            return drawn_html
        return f'<div style="width:{100 * width / self._graph_width:.4f}%">{drawn_html}</div>'

    def _captions(self):
        mode, seed, n_rows = self.trace.mode, self._seed_label(), len(self.trace)
        return [_caption(mode, seed, self.trace[index], step, n_rows) for step, index in enumerate(self.order, 1)]

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
        values = ", ".join(f"{_label('x', (k, ()), always_number=True)} = {_input_text(box)}"
                           for k, box in enumerate(self.inputs))
        name = getattr(self.function, "__name__", "f")
        return f"Sweep explorer of {name} at {values}: run this cell to step through the sweep."

    def saved_view(self):
        """The explorer's panels at this step as HTML that JupyterLab's sanitizer keeps (no script, no <svg>: the
        graph is an <img> of its SVG), with a stylesheet (dropped when untrusted) that hides it beside a live widget."""
        shown = self._panels_at(self.step.value)
        drawing = shown["drawing"]
        if isinstance(drawing, SvgGraph):
            graph = _svg_image(drawing.svg, _graph_description(self.function, self.trace))
        elif isinstance(drawing, widgets.DOMWidget):
            graph = "<p>(The graph is drawn in the browser once this cell runs.)</p>"
        else:
            graph = shown["graph"]
        return (f'<div class="adlab-explorer-saved adlab-saved-{self.model_id}">'
                f"<style>{SAVED_VIEW_CSS.replace('ID', self.model_id)}</style>"
                f'<p><em>{html.escape(self._summary())}</em></p>'
                f'<p>{html.escape(shown["caption"])}</p>'
                f'<div style="display:inline-block;vertical-align:top;max-width:100%;overflow-x:auto;'
                f'margin-right:24px">{shown["table"]}</div>'
                f'<div style="display:inline-block;vertical-align:top">{shown["jacobian"]}</div>'
                f'<div style="overflow-x:auto;max-width:100%">{graph}</div></div>')


def _cached(cache, key, compute, size):
    """compute() once per key, keeping the `size` most recently used results."""
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = compute()
        if len(cache) > size:
            cache.popitem(last=False)
    return cache[key]


# -- controls: native range inputs and buttons with names, so keyboard and screen readers reach them -----

_CONTROL_CSS = """
.adlab-control { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin: 2px 0;
  font-size: var(--jp-widgets-font-size, 13px); color: var(--jp-widgets-label-color, inherit); }
.adlab-control label { min-width: 3em; text-align: right; }
.adlab-control input[type=range] { flex: 1 1 12em; min-width: 10em; max-width: 28em; margin: 0; height: 1.6em;
  accent-color: #0b61a4; }
.adlab-control output { font-variant-numeric: tabular-nums; min-width: 5em; white-space: nowrap; }
.adlab-control button { min-width: 2.4em; height: 2em; padding: 0 10px; border: 1px solid #767676;
  border-radius: 3px; background: var(--jp-layout-color2, #eee); color: inherit; font: inherit; cursor: pointer; }
.adlab-control button[aria-disabled=true] { opacity: 0.45; cursor: default; }
.adlab-control button:focus-visible, .adlab-control input:focus-visible { outline: 2px solid #0b61a4;
  outline-offset: 2px; }
"""

_COMMON_JS = """
let serial = 0;
function element(tag, properties, attributes = {}) {
  const node = Object.assign(document.createElement(tag), properties);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}
// Arrow and page keys move a range by hand: JupyterLab takes arrow keys inside outputs for itself, so the
// browser's own stepping never happens there. `move(steps)` gets +1/−1 per key (±10 for Page Up/Down).
const KEY_STEPS = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10};
function steppedByKeys(range, move) {
  range.addEventListener("keydown", event => {
    if (!(event.key in KEY_STEPS)) return;
    event.preventDefault();
    event.stopPropagation();
    move(KEY_STEPS[event.key]);
  });
}
function labelledRange(text) {
  const id = `adlab-range-${Date.now().toString(36)}-${serial++}`;
  return [element("label", {textContent: text, htmlFor: id}), element("input", {type: "range", id}),
          element("output", {htmlFor: id}, {"aria-hidden": "true"})];
}
"""

_STEP_ESM = _COMMON_JS + """
function render({ model, el }) {
  el.classList.add("adlab-control", "adlab-steps");
  const play = element("button", {type: "button"});
  const back = element("button", {type: "button", textContent: "◀"}, {"aria-label": "step back", title: "step back"});
  const next = element("button", {type: "button", textContent: "▶"},
                       {"aria-label": "step forward", title: "step forward"});
  const [label, range, readout] = labelledRange("step");
  range.step = 1;
  let timer = null;
  const value = () => model.get("value"), low = () => model.get("min"), high = () => model.get("max");
  function show() {
    range.min = low(); range.max = high(); range.value = value();
    const text = `${value()} of ${high()}`;
    readout.textContent = text;
    range.setAttribute("aria-valuetext", `step ${text}`);
    back.setAttribute("aria-disabled", String(value() <= low()));
    next.setAttribute("aria-disabled", String(value() >= high()));
    play.textContent = timer ? "❚❚ pause" : "▶ play";
    play.setAttribute("aria-label", timer ? "pause the sweep" : "play the sweep");
    play.setAttribute("aria-pressed", String(timer !== null));
  }
  function go(step) {
    step = Math.min(high(), Math.max(low(), step));
    if (step !== value()) { model.set("value", step); model.save_changes(); }
    show();
  }
  function stop() { clearInterval(timer); timer = null; show(); }
  play.addEventListener("click", () => {
    if (timer) return stop();
    if (value() >= high()) go(low());  // from the end, play starts the sweep again
    timer = setInterval(() => (value() >= high() ? stop() : go(value() + 1)), model.get("interval"));
    show();
  });
  back.addEventListener("click", () => { stop(); go(value() - 1); });
  next.addEventListener("click", () => { stop(); go(value() + 1); });
  range.addEventListener("input", () => { const step = Number(range.value); stop(); go(step); });
  steppedByKeys(range, steps => { stop(); go(value() + steps); });
  model.on("change:value", show); model.on("change:min", show); model.on("change:max", show);
  el.append(play, back, next, label, range, readout);
  show();
  return () => clearInterval(timer);
}
export default { render };
"""

_NUMBER_ESM = _COMMON_JS + """
function render({ model, el }) {
  el.classList.add("adlab-control", "adlab-number");
  const [label, range, readout] = labelledRange(model.get("description"));
  const digits = () => model.get("digits");
  const text = number => number.toFixed(digits()).replace("-", "−");
  function show() {
    range.min = model.get("min"); range.max = model.get("max"); range.step = model.get("step");
    range.value = model.get("value");
    readout.textContent = text(model.get("value"));
    range.setAttribute("aria-valuetext", text(model.get("value")));
  }
  // the readout follows the drag; f is traced again once the slider is let go (or a key moved it)
  range.addEventListener("input", () => { readout.textContent = text(Number(range.value));
                                          range.setAttribute("aria-valuetext", readout.textContent); });
  range.addEventListener("change", () => { model.set("value", Number(range.value)); model.save_changes(); });
  steppedByKeys(range, steps => {
    const step = model.get("step"), low = model.get("min"), high = model.get("max");
    const onGrid = low + Math.round((model.get("value") + steps * step - low) / step) * step;
    const moved = Math.min(high, Math.max(low, onGrid));
    model.set("value", Number(moved.toFixed(model.get("digits") + 2)));
    model.save_changes();
  });
  model.on("change:value", show); model.on("change:min", show); model.on("change:max", show);
  el.append(label, range, readout);
  show();
}
export default { render };
"""


class StepControl(anywidget.AnyWidget):
    """The sweep's step: play/pause, step back and forward buttons and a step slider, all named and keyboard-operable.

    ``value`` is kept within [min, max]; lowering ``max`` below it moves it to ``max``.
    """

    _esm = _STEP_ESM
    _css = _CONTROL_CSS
    value = traitlets.Int(1).tag(sync=True)
    min = traitlets.Int(1).tag(sync=True)
    max = traitlets.Int(1).tag(sync=True)
    interval = traitlets.Int(900).tag(sync=True)  # milliseconds per step while playing

    @traitlets.validate("value")
    def _within_range(self, proposal):
        return min(max(proposal["value"], self.min), self.max)

    @traitlets.observe("min", "max")
    def _clamp(self, change):
        self.value = self.value


class NumberSlider(anywidget.AnyWidget):
    """A labelled slider for one input number; ``value`` changes when the slider is let go or a key moves it."""

    _esm = _NUMBER_ESM
    _css = _CONTROL_CSS
    value = traitlets.Float(0.0).tag(sync=True)
    min = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(1.0).tag(sync=True)
    step = traitlets.Float(0.1).tag(sync=True)
    digits = traitlets.Int(2).tag(sync=True)  # decimals in the readout
    description = traitlets.Unicode().tag(sync=True)


def _panel(classes, children):
    """A flex row (a Box) with these CSS classes; the explorer's stylesheet lays it out."""
    box = widgets.Box(children)
    for name in classes.split():
        box.add_class(name)
    return box


def _stack(shown, reserve):
    """`shown` drawn over an invisible `reserve` (the same panel at its largest), so the pair never changes size."""
    return _panel("adlab-stack", [shown, reserve])


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
# The saved view's output (a .jp-OutputArea-child in JupyterLab and Notebook 7) and the widget's, right after it:
# the first hides once the widget is live; the second hides while it is not (loading, an error, disconnected).
SAVED_VIEW_CSS = """
.jp-OutputArea-child:has(.adlab-saved-ID):has(+ .jp-OutputArea-child .adlab-explorer-ID:not(.jupyter-widgets-disconnected)) {
  display: none; }
.jp-OutputArea-child:has(.adlab-saved-ID) + .jp-OutputArea-child:not(:has(.adlab-explorer-ID:not(.jupyter-widgets-disconnected))) {
  display: none; }
"""
SAVED_NOTE = "A saved view of the sweep explorer: run this cell to step through the sweep and move the sliders."


# -- inputs -------------------------------------------------------------------------------------------


def _input_widget(label, x, defined):
    """A slider around a scalar's value, within f's domain (`defined`); for an array, a text box of its numbers."""
    if np.shape(x) == ():
        low, high, step = _slider_range(x, defined)
        return NumberSlider(value=x, min=low, max=high, step=step, description=label,
                            digits=max(0, -math.floor(math.log10(step))))
    return widgets.Text(value=", ".join(repr(float(v)) for v in np.ravel(x)),
                        description=f"{label} {np.shape(x)}", continuous_update=False,
                        tooltip="numbers separated by commas, in row-major order")


def _slider_range(x, defined):
    """(low, high, step): x ± max(5, 2|x|), pulled in to the stretch around x where `defined` holds.

    Probing f itself finds the domain of any f (ln, sqrt, arcsin, 1/(1 − x), …)
    without a table of primitives; if f is undefined at x already, the range stays.
    """
    span = max(5.0, 2 * abs(x))
    low, high = math.floor(x - span), math.ceil(x + span)
    if defined(x):
        low, high = _defined_until(defined, x, low), _defined_until(defined, x, high)
    step = 10.0 ** (math.floor(math.log10(max(high - low, 1e-12))) - 2)
    digits = max(0, -math.floor(math.log10(step)))
    low = min(round(math.ceil(low / step) * step, digits), x)  # ends on the step grid, inside the stretch
    high = max(round(math.floor(high / step) * step, digits), x)
    return low, high, step


def _defined_until(defined, start, end):
    """The point nearest `end` reached from `start` before f stops being defined: coarse steps, then bisection."""
    good = start
    for k in range(1, DOMAIN_PROBES + 1):
        point = start + (end - start) * k / DOMAIN_PROBES
        if not defined(point):
            break
        good = point
    else:
        return end
    bad = point
    for _ in range(DOMAIN_BISECTIONS):
        middle = (good + bad) / 2
        good, bad = (middle, bad) if defined(middle) else (good, middle)
    return good


def _read_input(box, shape):
    if shape == ():
        return float(box.value)
    numbers = [float(s) for s in box.value.replace(",", " ").split()]
    if len(numbers) != math.prod(shape):
        raise ValueError(f"{box.description} needs {math.prod(shape)} numbers, got {len(numbers)}.")
    return np.reshape(numbers, shape)


def _components(values):
    """(leaf, index) for every scalar entry of a list of scalars and arrays."""
    return [(leaf, index) for leaf, v in enumerate(values) for index in np.ndindex(np.shape(v))]


def _label(letter, component, always_number):
    """x₁, x₂[0, 1], y, y₂ … as in the table's labels."""
    leaf, index = component
    name = TEXT.var(letter, leaf + 1 if always_number else None)
    return name + (f"[{', '.join(map(str, index))}]" if index else "")


# -- the state of the sweep at one step ---------------------------------------------------------------


def _snapshot(trace, done):
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


def _edges(row, mode):
    """The edges the current step uses, as (from row, to row).

    Forward: the operands' values (and tangents) flow into this row. Reverse:
    v̄ of this row gathers one contribution from each later row that used it.
    """
    if mode == "reverse":
        return tuple((row.index, c.row) for c in row.contributions)
    return tuple((i, row.index) for i in row.inputs)


def _caption(mode, seed, row, step, n_rows):
    where = f"step {step} of {n_rows}: row {TEXT.var('v', row.index)}"
    if mode == "forward":
        return f"Forward sweep along {seed} (ẋ = 1 there, 0 elsewhere), {where}: v and v̇ together, top to bottom."
    if mode == "reverse":
        return f"Reverse sweep from {seed} (ȳ = 1 there, 0 elsewhere), {where}: v̄ from later rows, bottom to top."
    return f"Primal sweep, {where}: each v from the rows above it."


# -- the Jacobian panel ---------------------------------------------------------------------------


def _jacobian_html(entries, row_labels, column_labels, mode, seed):
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


def _as_html(drawing):
    """What `graph.render` drew, for an HTML widget: the SVG itself from dot (the explorer sizes and scrolls it;
    a live widget is never sanitized), else the drawing's HTML or the DOT source."""
    bundle = drawing._repr_mimebundle_()
    return bundle.get("image/svg+xml") or bundle.get("text/html") or f"<pre>{html.escape(bundle['text/plain'])}</pre>"


_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"')


def _svg_size(svg):
    """(width, height) in CSS pixels of an SVG from dot (whose sizes are in points), rounded up; (0, 0) if unknown."""
    sizes = _svg_sizes(svg)
    return sizes[0] if sizes else (0, 0)


def _svg_sizes(svgs):
    """`_svg_size` of every <svg> in a text (dot writes one after another for an input of several graphs)."""
    return [tuple(math.ceil(float(points) * 4 / 3) for points in size.groups()) for size in _SVG_SIZE.finditer(svgs)]


def _svg_image(svg, description):
    """The SVG as an <img> (a data URI) at its own size, never shrunk: the box around it scrolls instead."""
    width, height = _svg_size(svg)
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


def _input_text(box):
    if isinstance(box, NumberSlider):
        return format_number(box.value, box.digits)[0]
    return f"({box.value})"
