"""Teaching latency: what a student waits for on the course's worked example (Eq. 5 at (3, −4)).

- Trace + table + DAG source: `adlab.trace(f, 3, -4).reverse()`, its HTML table and its Graphviz
  DOT source with the local partials on the edges (no layout). Target: under 20 ms.
- One explorer re-render: moving an input slider of the sweep explorer (reverse mode) to a point
  it has not seen, so the trace, table, Jacobian panel and DAG are all redone, with Graphviz's
  `dot` laying out the graph. Target: under 100 ms.

Checks: the adjoints against the closed form x̄ = (x2 − 1/x1, x1 + 1), and the table and the
graph showing x̄1 to three decimals.
"""

import itertools
import shutil

import numpy as np

from harness import Skip, attempt, check, load, measure, ms, table


def seed_example(x1, x2):
    """y = x1·x2 + x2 − ln(x1), in the order of the course's Table 1."""
    v1 = x1 * x2
    v2 = np.log(x1)
    v3 = v1 + x2
    return v3 - v2


def closed_form(x1, x2):
    return [x2 - 1 / x1, x1 + 1]


def shown(number):
    """How the tables and graphs print a number: three decimals, a real minus sign."""
    return f"{number:.3f}".replace("-", "−")


def trace_table_and_dag(settings):
    adlab = load("adlab")

    def run():
        swept = adlab.trace(seed_example, 3.0, -4.0).reverse()
        return swept, swept.to_html(), swept.graph(partials=True).source

    seconds, (swept, html, source) = measure(run, settings)
    status = check("teaching: trace + table + DAG", swept.input_adjoints, closed_form(3.0, -4.0))
    x1_bar = shown(swept.input_adjoints[0])
    if x1_bar not in html or x1_bar not in source:
        status = f"WRONG: x̄1 = {x1_bar} missing from the table or graph"
    return seconds, status


def explorer_rerender(settings):
    load("adlab")
    if shutil.which("dot") is None:
        raise Skip("skipped (Graphviz's dot not installed)")
    try:
        from adlab.display.explorer import Explorer
    except ModuleNotFoundError as error:
        raise Skip(f"skipped ({error.name} not installed)") from error
    explorer = Explorer(seed_example, 3.0, -4.0)
    explorer.mode.value = "reverse"
    fresh_points = (round(-4.0 + 0.1 * k, 1) for k in itertools.count(1))  # the x2 slider's step is 0.1

    def run():
        explorer.inputs[1].value = next(fresh_points)
        return explorer.inputs[1].value, explorer.trace.input_adjoints, explorer.table.value

    seconds, (x2, adjoints, html) = measure(run, settings)
    status = check("teaching: explorer re-render", adjoints, closed_form(3.0, x2))
    if shown(adjoints[0]) not in html:
        status = f"WRONG: x̄1 = {shown(adjoints[0])} missing from the explorer's table"
    return seconds, status


def run(settings):
    rows = []
    for what, body, target in (("trace + table + DAG source", trace_table_and_dag, "< 20 ms"),
                               ("explorer re-render, new input (dot)", explorer_rerender, "< 100 ms")):
        result = attempt("adlab", f"teaching: {what}", body, settings)
        if isinstance(result, str):
            rows.append([what, "—", target, result])
        else:
            seconds, status = result
            rows.append([what, ms(seconds), target, status])
    table("Teaching latency: the seed example (Eq. 5) at (3, −4), reverse mode (ms, median)",
          ["what", "adlab", "target", "check / status"], rows)
