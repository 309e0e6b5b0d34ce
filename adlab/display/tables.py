"""Evaluation-trace tables in the layout of the course's Tables 1–3, as HTML, Markdown and LaTeX.

Columns: "Forward Primal Trace | Output", then "Forward Tangent Trace | Output"
after a forward sweep or "Reverse Adjoint Trace | Output" after a reverse
sweep. Each cell pair is a rule in symbols and the same rule with numbers
(see `adlab.display.notation`).

Row order: by default rows are listed by index, v_{1-n} … v_l, then the
outputs, as Table 3 of the course does even for the reverse sweep (read it
bottom-up). ``order="sweep"`` lists a reverse trace in the order the sweep
computes it: ȳ first, then v̄_l down to the inputs.

Long traces fold: with more than ``max_rows`` rows, the first and last rows
are shown with one line that says how many are hidden (and the highlighted
row, if any, stays visible). ``max_rows=None`` shows every row.
"""

from __future__ import annotations

import unicodedata
from html import escape

from .notation import HTML, LATEX, MARKDOWN_TEXT, TEXT, RowFormatter

MAX_ROWS = 40
HEADERS = {
    "primal": ("Forward Primal Trace", "Output"),
    "forward": ("Forward Primal Trace", "Output", "Forward Tangent Trace", "Output"),
    "reverse": ("Forward Primal Trace", "Output", "Reverse Adjoint Trace", "Output"),
}
_SWEEP = {"forward": ("tangent", "output_tangent"), "reverse": ("adjoint", "output_adjoint")}
_CONTEXT_ROWS = 2  # rows shown either side of a highlighted row inside a fold

# Two classes per cell selector: JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`
# (right-aligned) would otherwise win, and the same table would read differently in an output and the explorer.
# No state is shown by colour alone (the colours are Okabe–Ito's, safe for colour-blind readers): the current row
# is also bold and framed, the inputs are set off by a rule below them, the outputs by a rule above, a NaN or inf
# is bold; the current row also carries aria-current for screen readers.
# Inline, not in CSS: an untrusted notebook (a copy pulled onto a hub) drops <style> but keeps style attributes,
# so the alignment and the current row's marks hold there too.
LEFT = "text-align:left"
CURRENT = ";font-weight:bold;background:rgba(230, 159, 0, 0.35)"
CSS = """\
.adlab-trace table { border-collapse: collapse; margin: 0.5em 0; }
.adlab-trace .adlab-table th, .adlab-trace .adlab-table td { padding: 2px 12px; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.25); }
.adlab-trace .adlab-table th { border-bottom: 2px solid rgba(128, 128, 128, 0.6); }
.adlab-trace caption { caption-side: bottom; font-style: italic; padding-top: 4px; text-align: left; }
.adlab-trace td.adlab-value { font-variant-numeric: tabular-nums; }
.adlab-trace .adlab-sweep { border-left: 2px solid rgba(128, 128, 128, 0.4); }
.adlab-trace tr.adlab-input td { background: rgba(86, 180, 233, 0.12); }
.adlab-trace tr.adlab-input + tr:not(.adlab-input) td { border-top: 2px solid rgba(128, 128, 128, 0.6); }
.adlab-trace tr.adlab-output td { border-top: 2px solid rgba(128, 128, 128, 0.6); }
.adlab-trace tr.adlab-current td { box-shadow: inset 0 2px 0 currentColor, inset 0 -2px 0 currentColor; }
.adlab-trace tr.adlab-fold td { text-align: center; font-style: italic; }
.adlab-trace .adlab-nonfinite { color: #a63c00; background: rgba(213, 94, 0, 0.15); font-weight: bold;
  padding: 0 2px; }
.adlab-trace .adlab-shape { opacity: 0.8; }
"""


# -- structure shared by the three formats ----------------------------------------


def _lines(trace, order):
    """("row", index) per Wengert row and ("output", k) per output, in display order."""
    rows = [("row", r.index) for r in trace.rows]
    outputs = [("output", k) for k in range(len(trace.outputs))]
    if order == "index":
        return rows + outputs
    if order == "sweep":
        return outputs + rows[::-1] if trace.mode == "reverse" else rows + outputs
    raise ValueError(f'order must be "index" or "sweep", not {order!r}.')


def _fold(lines, max_rows, highlight):
    """The lines to show, with (“fold”, hidden lines) markers where rows are left out."""
    if max_rows is None or len(lines) <= max_rows:
        return list(lines)
    head = max(max_rows // 2, 1)
    keep = set(range(head)) | set(range(len(lines) - (max_rows - head), len(lines)))
    if highlight is not None and ("row", highlight) in lines:
        at = lines.index(("row", highlight))
        keep |= set(range(max(at - _CONTEXT_ROWS, 0), min(at + _CONTEXT_ROWS + 1, len(lines))))
    shown, hidden = [], []
    for position, line in enumerate(lines):
        if position in keep:
            if hidden:
                shown.append(("fold", hidden))
                hidden = []
            shown.append(line)
        else:
            hidden.append(line)
    return shown + ([("fold", hidden)] if hidden else [])


def _cells(formatter, mode, line):
    """(symbols, numbers) per column pair of one line."""
    kind, i = line
    if kind == "row":
        pairs = [formatter.primal(i)]
        if mode in _SWEEP:
            pairs.append(getattr(formatter, _SWEEP[mode][0])(i))
    else:
        pairs = [formatter.output_primal(i)]
        if mode in _SWEEP:
            pairs.append(getattr(formatter, _SWEEP[mode][1])(i))
    return [cell for pair in pairs for cell in pair]


def _fold_text(formatter, hidden, notation):
    """`⋮ 9,960 rows hidden (v_18 … v_9977); max_rows=None shows every row`."""
    rows = [i for kind, i in hidden if kind == "row"]
    count = len(hidden)
    text = notation.literal("⋮ ") + notation.words(f"{count:,} row{'s' if count != 1 else ''} hidden")
    if rows:
        text += (notation.literal(" (") + formatter.name(min(rows)) + notation.literal(" … ")
                 + formatter.name(max(rows)) + notation.literal(")"))
    return text + notation.words("; max_rows=None shows every row")


def _caption(formatter, trace, notation):
    """Where the trace was taken and which sweep it shows, e.g. `f at (x₁, x₂) = (3, −4); reverse sweep, ȳ = 1`."""
    inputs = [r for r in trace.rows if r.is_input]
    text = f"{notation.words(trace.function_name)} at " + _assignment(
        [formatter.input_name(r.index) for r in inputs], [formatter.value(r.value) for r in inputs], notation)
    if trace.mode == "forward":
        text += notation.words("; forward sweep, ") + _assignment(
            [formatter.input_name(r.index, "dot") for r in inputs], [formatter.value(t) for t in trace.seed], notation)
    elif trace.mode == "reverse":
        text += notation.words("; reverse sweep, ") + _assignment(
            [formatter.output_name(k, "bar") for k in range(len(trace.outputs))],
            [formatter.value(c) for c in trace.seed], notation)
    return text


def _assignment(names, values, notation, limit=6):
    """`x₁ = 3` or `(x₁, x₂) = (3, −4)`, cut after `limit` entries."""
    if len(names) == 1:
        return f"{names[0]}{notation.literal(' = ')}{values[0]}"
    more = [notation.literal("…")] if len(names) > limit else []
    comma = notation.literal(", ")
    return (f"{notation.literal('(')}{comma.join(names[:limit] + more)}{notation.literal(') = (')}"
            f"{comma.join(values[:limit] + more)}{notation.literal(')')}")


# -- formats ----------------------------------------------------------------------


def to_html(trace, precision=3, highlight=None, max_rows=MAX_ROWS, order="index"):
    """An HTML table that renders without MathJax; `highlight` marks row v_highlight (a sweep's current row)."""
    formatter = RowFormatter(trace, HTML, precision)
    headers = HEADERS[trace.mode]
    # A table wider than the output scrolls inside its own box, which the keyboard can reach (tabindex) and a
    # screen reader names by the caption: the output area around it would scroll without either.
    label = escape(_caption(RowFormatter(trace, TEXT, precision), trace, TEXT))
    out = [f'<div class="adlab-trace" role="region" tabindex="0" aria-label="{label}" style="overflow-x:auto">'
           f'<style>{CSS}</style><table class="adlab-table">',
           f"<caption>{_caption(formatter, trace, HTML)}</caption><thead><tr>"]
    out += [f'<th scope="col"{_sweep_class(j)} style="{LEFT}">{escape(h)}</th>' for j, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for line in _fold(_lines(trace, order), max_rows, highlight):
        if line[0] == "fold":
            out.append(f'<tr class="adlab-fold"><td colspan="{len(headers)}">'
                       f"{_fold_text(formatter, line[1], HTML)}</td></tr>")
            continue
        classes = _row_classes(formatter, line, highlight)
        out.append(f'<tr class="{classes}">' if classes else "<tr>")
        current = ' aria-current="step"' if "adlab-current" in classes else ""  # said by a screen reader
        style = LEFT + (CURRENT if current else "")
        for j, cell in enumerate(_cells(formatter, trace.mode, line)):
            kind = "adlab-value" if j % 2 else "adlab-rule"
            out.append(f'<td class="{kind}{" adlab-sweep" if j == 2 else ""}"{current if j == 0 else ""} '
                       f'style="{style}">{cell}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _sweep_class(column):
    return ' class="adlab-sweep"' if column == 2 else ""


def _row_classes(formatter, line, highlight):
    kind, i = line
    classes = []
    if kind == "output":
        classes.append("adlab-output")
    elif formatter.row(i).is_input:
        classes.append("adlab-input")
    if kind == "row" and i == highlight:
        classes.append("adlab-current")
    return " ".join(classes)


def plain_table(caption, headers, rows, row_headers=True, numeric=()):
    """A small report table (cost, expression swell) as accessible HTML: a caption, header cells with scope,
    text left-aligned and the columns listed in `numeric` right-aligned.

    Alignment is inline, so it holds against JupyterLab's right-aligned table cells and in an untrusted
    notebook, where <style> elements are removed. With `row_headers`, each row's first cell names it.
    """
    def style(column):
        return ("text-align:right;font-variant-numeric:tabular-nums" if column in numeric
                else "text-align:left")

    head = "".join(f'<th scope="col" style="{style(j)}">{escape(h)}</th>' for j, h in enumerate(headers))
    body = []
    for row in rows:
        cells = []
        for j, value in enumerate(row):
            tag, scope = ("th", ' scope="row"') if row_headers and j == 0 else ("td", "")
            cells.append(f'<{tag}{scope} style="{style(j)}">{escape(str(value))}</{tag}>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table class="adlab-report"><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def to_markdown(trace, precision=3, max_rows=MAX_ROWS, order="index"):
    """A pipe table like the course's: rules as $…$ math, numbers as plain text, caption below."""
    symbols = RowFormatter(trace, LATEX, precision)
    numbers = RowFormatter(trace, MARKDOWN_TEXT, precision)
    headers = HEADERS[trace.mode]
    out = ["| " + " | ".join(f"**{h}**" for h in headers) + " |", "|" + " --- |" * len(headers)]
    for line in _fold(_lines(trace, order), max_rows, None):
        if line[0] == "fold":
            fold = _fold_text(numbers, line[1], MARKDOWN_TEXT)
            out.append("| " + " | ".join([fold] + [""] * (len(headers) - 1)) + " |")
            continue
        cells = [f"${s}$" for s in _cells(symbols, trace.mode, line)[::2]]
        values = _cells(numbers, trace.mode, line)[1::2]
        row = [c for pair in zip(cells, values) for c in pair]
        out.append("| " + " | ".join(_markdown_cell(c) for c in row) + " |")
    # Printed, the caption is read in a code font, which may draw a combining accent beside its letter; its
    # accented names (ȳ, ẋ) have one-character forms, which NFC picks.
    caption = unicodedata.normalize("NFC", _caption(RowFormatter(trace, TEXT, precision), trace, TEXT))
    out += ["", f"*{_markdown_cell(caption)}*"]
    return "\n".join(out) + "\n"


def _markdown_cell(text):
    """A pipe would end the cell and `<lambda>` would read as an HTML tag."""
    return text.replace("|", r"\|").replace("<", "&lt;")


def to_latex(trace, precision=3, max_rows=MAX_ROWS, order="index"):
    """A `tabular` (every cell in math mode) for slides and handouts; the caption is a comment above it."""
    formatter = RowFormatter(trace, LATEX, precision)
    headers = HEADERS[trace.mode]
    out = [f"% {_caption(formatter, trace, LATEX)}",
           rf"\begin{{tabular}}{{{'l' * len(headers)}}}", r"\hline",
           " & ".join(headers) + r" \\", r"\hline"]
    for line in _fold(_lines(trace, order), max_rows, None):
        if line[0] == "fold":
            out.append(rf"\multicolumn{{{len(headers)}}}{{c}}{{${_fold_text(formatter, line[1], LATEX)}$}} \\")
            continue
        if line == ("output", 0) and order == "index":
            out.append(r"\hline")
        out.append(" & ".join(f"${c}$" for c in _cells(formatter, trace.mode, line)) + r" \\")
    out += [r"\hline", r"\end{tabular}"]
    return "\n".join(out) + "\n"
