"""The sweep explorer: step through one sweep of f and watch the table, the DAG and J fill.

A sweep is walked one Wengert row at a time: the primal and forward sweeps go
v_{1-n} → v_l, the reverse sweep v_l → v_{1-n}. At every step the table shows
only what the sweep has computed so far, the DAG highlights the same row and
the edges its value travels along, and the Jacobian panel shows the column
(forward along e_i) or row (reverse from e_j) that this sweep fills. Every
number comes from `Trace.forward` / `Trace.reverse`; nothing here differentiates.
"""

from __future__ import annotations

import html
import math
import warnings
from collections import OrderedDict
from dataclasses import replace

import ipywidgets as widgets
import numpy as np

from ..core.tree import flatten, unflatten
from ..trace import Trace, as_float
from .graph import render, to_graphviz
from .notation import HTML, TEXT, format_number
from .tables import to_html

MODES = ("primal", "forward", "reverse")
CACHED_TRACES = 64  # primal traces kept per explorer: one per input point visited
CACHED_DRAWINGS = 256  # rendered graphs (dot takes most of a re-render): replaying a sweep costs no dot run
DOMAIN_PROBES = 16  # points tried between a start value and each end of its slider
DOMAIN_BISECTIONS = 12  # then halvings of the gap to the first point where f is undefined
PRECISION = 3


def explore(f, *args):
    """Widgets to step through the sweeps of f at args (ints become floats)."""
    return Explorer(f, *args)


class Explorer(widgets.VBox):
    """One sweep of f, stepped row by row, with table, DAG and Jacobian panel in step.

    Drive it from code as a student does with the mouse, by setting ``.value`` on:
    ``inputs[k]`` (x_{k+1}: a slider, or a text box of numbers for an array),
    ``mode`` ("primal", "forward", "reverse"), ``direction`` (forward: which
    input component e_i, as (input number, index) from 0: (1, ()) is x_2),
    ``output`` (reverse: which output component e_j, likewise) and
    ``step`` (how many rows the sweep has done, 1 to the number of rows, as
    the caption counts them). ``play`` animates ``step`` in the browser. ``trace`` is the current sweep; ``table``,
    ``graph``, ``jacobian``, ``caption`` and ``message`` are HTML panels, and
    ``digraph`` is the graphviz.Digraph drawn in ``graph``.
    """

    def __init__(self, f, *args):
        leaves, self._treedef = flatten(args)
        leaves = [as_float(x, f"x{k + 1}") for k, x in enumerate(leaves)]
        self.function = f
        self._traces, self._drawings = OrderedDict(), OrderedDict()
        self._primal = self.trace = self._record(leaves)
        self._seed = None  # the input or output component of the current sweep
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
                                          style={"button_width": "80px"})
        self.direction = widgets.Dropdown(options=list(zip(self._input_labels, self._input_components)),
                                          description="along")
        self.output = widgets.Dropdown(options=list(zip(self._output_labels, self._output_components)),
                                       description="from")
        last = len(self.trace)
        self.step = widgets.IntSlider(value=last, min=1, max=last, description="step")
        self.play = widgets.Play(value=last, min=1, max=last, interval=900, description="walk the sweep")
        widgets.jslink((self.play, "value"), (self.step, "value"))
        self.caption = widgets.HTML()
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.graph = widgets.HTML(layout=widgets.Layout(width="100%"))
        # the graph gets a row of its own and its SVG shrinks to the row's width: no node hides behind a panel
        self._graph_panel = widgets.Box([self.graph], layout=widgets.Layout(width="100%", overflow="auto"))
        self.jacobian = widgets.HTML(layout=widgets.Layout(max_width="28em", margin="0 0 0 1em"))
        self.digraph = None

        for box in self.inputs:
            box.observe(self._on_input, names="value")
        for choice in (self.mode, self.direction, self.output):
            choice.observe(self._on_sweep_choice, names="value")
        self.step.observe(lambda change: self._render(), names="value")

        super().__init__(children=[
            widgets.HBox(self.inputs, layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.mode, self.direction, self.output]),
            widgets.HBox([self.play, self.step, self.caption]),
            self.message,
            widgets.HBox([self.table, self.jacobian], layout=widgets.Layout(flex_flow="row wrap",
                                                                            align_items="flex-start")),
            self._graph_panel,
        ])
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
            self.step.max = self.play.max = last  # a clamped step.value re-renders once more
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
        mode, done = self.trace.mode, set(self.order[: self.step.value])
        row = self.trace[self.current]
        snapshot = _snapshot(self.trace, done)
        seed = self._seed_label()
        self.caption.value = _caption(mode, seed, row, self.step.value, len(self.trace))
        self.table.value = to_html(snapshot, precision=PRECISION, highlight=row.index)
        self.digraph = to_graphviz(snapshot, highlight=row.index, highlight_edges=_edges(row, mode))
        drawing = _cached(self._drawings, self.digraph.source, lambda: render(self.digraph), CACHED_DRAWINGS)
        if isinstance(drawing, widgets.DOMWidget):  # laid out in the browser (no dot): show that widget
            self._graph_panel.children = [drawing]
        else:
            self.graph.value = _as_html(drawing)
            self._graph_panel.children = [self.graph]
        self.jacobian.value = _jacobian_html(self._jacobian_entries(done), self._output_labels, self._input_labels,
                                             mode, seed)

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


def _cached(cache, key, compute, size):
    """compute() once per key, keeping the `size` most recently used results."""
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = compute()
        if len(cache) > size:
            cache.popitem(last=False)
    return cache[key]


# -- inputs -------------------------------------------------------------------------------------------


def _input_widget(label, x, defined):
    """A slider around a scalar's value, within f's domain (`defined`); for an array, a text box of its numbers."""
    if np.shape(x) == ():
        low, high, step = _slider_range(x, defined)
        return widgets.FloatSlider(value=x, min=low, max=high, step=step, description=label,
                                   continuous_update=False)
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
    """J = ∂y/∂x as a table: the column or row this sweep fills is shaded, entries not yet known blank."""
    if mode == "forward":
        note = f"A forward sweep along {seed} fills one <b>column</b> of J: ∂y/∂{seed}."
    elif mode == "reverse":
        note = f"A reverse sweep from {seed} fills one <b>row</b> of J: ∂{seed}/∂x."
    else:
        note = "The primal sweep computes no derivative: a forward sweep fills a column of J, a reverse sweep a row."
    shaded_column = column_labels.index(seed) if mode == "forward" else None
    shaded_row = row_labels.index(seed) if mode == "reverse" else None
    head = "".join(f"<th style='padding:2px 8px'>{label}</th>" for label in column_labels)
    body = []
    for j, (label, values) in enumerate(zip(row_labels, entries)):
        cells = []
        for i, value in enumerate(values):
            style = "background:#fff3c4;" if i == shaded_column or j == shaded_row else ""
            text = "" if value is None else HTML.number(*format_number(value, PRECISION))
            cells.append(f"<td style='{style}padding:2px 8px;text-align:right;min-width:3em'>{text}</td>")
        body.append(f"<tr><th style='padding:2px 8px'>{label}</th>{''.join(cells)}</tr>")
    return (f"<div class='adlab-jacobian'><style>.adlab-jacobian .adlab-nonfinite "
            f"{{color:#c62828;font-weight:bold}}</style><b>Jacobian J = ∂y/∂x</b>"
            f"<table style='border-collapse:collapse'><tr><th></th>{head}</tr>{''.join(body)}</table>"
            f"<div style='font-size:90%'>{note}</div></div>")


# -- the graph panel --------------------------------------------------------------------------------


def _as_html(drawing):
    """What `graph.render` drew (scalable SVG from dot, or the DOT source without it), for an HTML widget."""
    bundle = drawing._repr_mimebundle_()
    return bundle.get("text/html") or bundle.get("image/svg+xml") or f"<pre>{html.escape(bundle['text/plain'])}</pre>"
