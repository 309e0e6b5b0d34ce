"""The course's worked example, shared by the tests that pin its tables; what a printed line may be; and what
may not appear in a code font."""

import re
import unicodedata

import numpy as np


def seed_example(x1, x2):
    """Eq. 5 of the course notes, in the order of its Table 1: y = x1·x2 + x2 − ln(x1)."""
    v1 = x1 * x2
    v2 = np.log(x1)
    v3 = v1 + x2
    return v3 - v2


# A printed line of about 75 characters or more wraps in JupyterLab at 1024 px (tests/test_browser_audit.py measures it
# in the browser); this finds such lines without one. Per-student numbers and Markdown tables may wrap.
PRINTED_LINE_LIMIT = 72  # 75 characters wrapped once in the browser: a margin
MAY_WRAP = re.compile(r"^Your numbers for exercise |^\| |\$ & \$")


def too_long_printed_lines(notebook):
    """(cell number, line) for each printed line over PRINTED_LINE_LIMIT characters; ("widget", line) for a line
    printed inside a saved widget's output (an `interact` callback's print)."""
    printed = [(number, output) for number, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])]
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    printed += [("widget", output) for model in state.values() for output in model.get("state", {}).get("outputs", [])]
    return [(where, line) for where, output in printed
            if output.get("output_type") == "stream" and output.get("name") == "stdout"
            for line in output["text"].splitlines() if len(line) > PRINTED_LINE_LIMIT and not MAY_WRAP.search(line)]


def _shown_in_a_code_font(cell):
    """The texts of a code cell that JupyterLab shows in its code font: the source, printed text, text/plain
    results and errors (also inside a saved widget's outputs)."""
    yield "source", cell.get("source", "")
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            yield "printed", output["text"]
        elif output.get("output_type") == "error":
            yield "error", "\n".join([f"{output['ename']}: {output['evalue']}", *output.get("traceback", [])])
        elif "text/plain" in output.get("data", {}):
            yield "text/plain", output["data"]["text/plain"]


def combining_marks_in_code(notebook):
    """(where, line) for each line shown in a code font that holds a combining mark (v̄ is v and U+0304): a code
    font may draw the mark beside its letter, "v¯" (issue 23). Markdown cells and HTML outputs may keep them."""
    cells = [(f"cell {number}", cell) for number, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    cells += [("a saved widget", {"outputs": model.get("state", {}).get("outputs", [])})
              for model in state.values()]
    return [(f"{where}, {kind}", line) for where, cell in cells
            for kind, text in _shown_in_a_code_font(cell)
            for line in text.splitlines() if any(unicodedata.combining(c) for c in line)]
