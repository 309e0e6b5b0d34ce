"""The sweep explorer's controls: the step control, the input sliders and text boxes.

The step and input sliders are native range inputs with labels, and the play and step buttons
have names (anywidget, with a few lines of JavaScript each): they work by keyboard, read out by
screen readers, and never show "NaN" at any width. An input slider spans the stretch around its
start value where f and its derivatives are finite, found by probing f itself, so no student
slides ln or sqrt out of its domain; an array input is a text box of its numbers.
"""

from __future__ import annotations

import math

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from .notation import format_number

DOMAIN_PROBES = 16  # points tried between a start value and each end of its slider
DOMAIN_BISECTIONS = 12  # then halvings of the gap to the first point where f is undefined


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


# -- inputs -------------------------------------------------------------------------------------------


def input_widget(label, x, defined):
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


def read_input(box, shape):
    if shape == ():
        return float(box.value)
    numbers = [float(s) for s in box.value.replace(",", " ").split()]
    if len(numbers) != math.prod(shape):
        raise ValueError(f"{box.description} needs {math.prod(shape)} numbers, got {len(numbers)}.")
    return np.reshape(numbers, shape)


def input_text(box):
    if isinstance(box, NumberSlider):
        return format_number(box.value, box.digits)[0]
    return f"({box.value})"
