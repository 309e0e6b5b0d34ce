"""The lessons, the explorer and the %trace magics in a real browser: JupyterLab driven by Playwright in Chromium.

What nbval cannot see: whether outputs render (a graph as an <svg>, a trace as
an HTML table, widgets without "Error displaying widget") and whether the
explorer's panels fit a 1280-px window and move together. Every lesson is run
once, as a student copy, by tests/test_browser_audit.py (with these same checks,
`problems`); this file drives the explorer, the README's magics and an exercise.
Screenshots go to test-artifacts/. Deselect with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from browser_support import JupyterLab, cells, notebook_run, open_lab, problems, screenshot_whole_notebook

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
SEED_EXAMPLE = """\
import numpy as np
import adlab

def f(x1, x2):
    return x1 * x2 + x2 - np.log(x1)
"""



@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    server.copy(REPO / "lessons")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(browser, lab):
    page = open_lab(browser, lab)
    yield page
    page.close()


# -- the explorer, driven with the mouse and keyboard -------------------------------------------------

# The explorer's panels as the student sees them: the caption, the table's highlighted row, the graph's
# highlighted node, which table rows show an adjoint, and the boxes of the graph and its neighbours.
EXPLORER = """() => {
    const output = document.querySelector('.adlab-explorer').closest('.jp-OutputArea-output');
    // each panel is drawn over an invisible copy of its largest state (.adlab-reserve): read the shown ones
    const texts = Array.from(output.querySelectorAll('.adlab-shown')).map(e => e.textContent);
    const svg = output.querySelector('svg g.graph').ownerSVGElement, graphPanel = svg.closest('.widget-box');
    const highlighted = Array.from(svg.querySelectorAll('g.node')).filter(g => g.querySelector('[fill="#ffd27f"]'));
    const box = element => { const r = element.getBoundingClientRect();
                             return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
    svg.scrollIntoView({block: 'center'});
    return {
        caption: texts.find(text => / sweep.*step \\d+ of \\d+/.test(text)),
        tableRow: output.querySelector('.adlab-trace tr.adlab-current td').textContent,
        graphNodes: highlighted.map(g => g.querySelector('title').textContent),
        adjointShown: Array.from(output.querySelectorAll('.adlab-shown .adlab-trace tbody tr:not(.adlab-output)'))
            .map(tr => tr.querySelectorAll('td').length === 4 && tr.querySelectorAll('td')[3].textContent !== ''),
        firstRowValue: output.querySelector('.adlab-trace tbody tr td.adlab-value').textContent,
        output: box(output), graph: box(svg), graphPanelScrolls: graphPanel.scrollWidth > graphPanel.clientWidth + 1,
        table: box(output.querySelector('.adlab-trace table')),
        jacobian: box(output.querySelector('.adlab-jacobian')),
        // a node whose centre shows something else (another panel on top of it) is hidden
        coveredNodes: Array.from(svg.querySelectorAll('g.node')).filter(g => {
            const r = g.getBoundingClientRect();
            const seen = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
            return !seen || seen.closest('svg') !== svg;
        }).map(g => g.querySelector('title').textContent),
    };
}"""
# Under load the widgets may skip a step while playing, so a range of steps is awaited, not one.
CAPTION_STEP_BETWEEN = """([low, high]) => {
    const caption = document.querySelector('.adlab-explorer .adlab-stack > .adlab-shown').textContent;
    const step = Number((caption.match(/step (\\d+) of/) || [])[1]);
    return low <= step && step <= high;
}"""
SUBSCRIPTS = str.maketrans("₋₀₁₂₃₄₅₆₇₈₉", "-0123456789")


def row_index(name):
    """The Wengert index in a table cell (v−1), a graph node id (vm1) or the caption (v₋₁)."""
    return int(name.translate(SUBSCRIPTS).replace("−", "-").replace("m", "-").lstrip("v"))


def explorer_at(page, step, rows=6):
    """The explorer once it shows `step`: the caption, the table and the graph must all reach that row."""
    def agreed():
        state = page.evaluate(EXPLORER)
        caption = re.search(rf"step {step} of {rows}: row (v\S+?):", state["caption"] or "")
        return state, caption and [row_index(caption.group(1))] * 2 == [
            row_index(state["tableRow"].split(" =")[0]), *map(row_index, state["graphNodes"])]

    for _ in range(150):
        state, together = agreed()
        if together:
            return state
        page.wait_for_timeout(100)
    raise AssertionError(f"after 15 s the caption, table row and graph node disagree at step {step}: {state}")


def assert_graph_fits(state):
    """At 1280 px, with the file browser open, the whole graph is visible: no scrolling, nothing on top of it."""
    graph, output = state["graph"], state["output"]
    assert output["left"] - 1 <= graph["left"] and graph["right"] <= output["right"] + 1, state
    assert not state["graphPanelScrolls"] and not state["coveredNodes"], state
    for panel in (state["table"], state["jacobian"]):
        apart = (panel["right"] <= graph["left"] or graph["right"] <= panel["left"]
                 or panel["bottom"] <= graph["top"] or graph["bottom"] <= panel["top"])
        assert apart, f"a panel overlaps the graph: {panel} and {graph}"


def test_explorer_steps_play_reverse_and_sliders_in_the_browser(page, lab):
    path = lab.write_notebook("explorer.ipynb", [SEED_EXAMPLE + "\nadlab.explore(f, 3.0, -4.0)"])
    with notebook_run(page, path):
        assert page.evaluate("() => window.jupyterapp.shell.leftCollapsed") is False  # the file browser is open
        state = explorer_at(page, 6)
        assert row_index(state["tableRow"].split(" =")[0]) == 4
        assert_graph_fits(state)

        page.get_by_role("button", name="play the sweep").click()  # ▶ from the last step starts again at step 1
        page.wait_for_function(CAPTION_STEP_BETWEEN, arg=[1, 2], timeout=10_000)
        page.wait_for_function(CAPTION_STEP_BETWEEN, arg=[3, 5], timeout=10_000)
        page.get_by_role("button", name="pause the sweep").click()  # wherever it stopped, caption, table, graph agree
        steps = page.locator(".adlab-explorer .adlab-steps")
        explorer_at(page, int(steps.locator("output").text_content().split(" of ")[0]))

        step_slider = steps.locator("input[type=range]")
        step_slider.focus()
        page.keyboard.press("Home")
        assert row_index(explorer_at(page, 1)["tableRow"].split(" =")[0]) == -1
        page.keyboard.press("ArrowRight")
        explorer_at(page, 2)

        page.get_by_role("button", name="reverse").click()
        step_slider.focus()
        page.keyboard.press("Home")
        for step in (1, 2, 3):  # the adjoint column fills from the bottom: v̄₄, then v̄₃, …
            state = explorer_at(page, step)
            assert state["adjointShown"] == [False] * (6 - step) + [True] * step, state["adjointShown"]
            page.keyboard.press("ArrowRight")
        page.keyboard.press("End")
        state = explorer_at(page, 6)
        assert all(state["adjointShown"])
        assert_graph_fits(state)
        screenshot_whole_notebook(page, ARTIFACTS / "explorer-reverse.jpg")

        page.get_by_role("slider", name="x₁").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("""() => document.querySelector('.adlab-explorer .adlab-shown .adlab-trace td.adlab-value')
                                      .textContent !== '3'""", timeout=10_000)
        assert explorer_at(page, 6)["firstRowValue"] == "3.01"


# -- the README's %trace lines, pasted verbatim ------------------------------------------------------


def readme_magic_lines():
    """The lines of the README's "In class: %load_ext adlab" block, exactly as a reader copies them."""
    section = (REPO / "README.md").read_text().split("## In class: `%load_ext adlab`", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_magics_in_the_browser(page, lab):
    lines = readme_magic_lines()
    assert lines[0] == "%load_ext adlab" and len(lines) >= 5
    path = lab.write_notebook("magics.ipynb", [SEED_EXAMPLE] + lines)
    with notebook_run(page, path):
        shown = cells(page)[1:]
        screenshot_whole_notebook(page, ARTIFACTS / "readme-magics.jpg")
    # The lines end in "# comments": this needs %trace to ignore a trailing comment (issue 11, defect 1).
    report = [f"{line!r}: {problem}" for line, cell in zip(lines, shown) for problem in problems(cell)]
    for line, cell in zip(lines, shown):
        if line.startswith("%trace") and not re.search("--graph|--explore", line) and not cell["traceTables"]:
            report.append(f"{line!r}: no trace table")
        if "--explore" in line and not any("sweep" in text for text in cell["outputTexts"]):
            report.append(f"{line!r}: no explorer")
    assert not report, "\n".join(report)


# -- a lesson shows its stored tables and graphs before anything runs ---------------------------------------------

OPEN_WITHOUT_RUNNING = """async (path) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    const node = panel.content.node;
    const drawn = () => node.querySelectorAll('.jp-OutputArea-output svg g.graph').length;
    for (let waited = 0; waited < 10000 && drawn() === 0; waited += 200) {
        await new Promise(resolve => setTimeout(resolve, 200));
    }
    const shown = {graphs: drawn(), tables: node.querySelectorAll('.jp-OutputArea-output .adlab-trace > table').length};
    panel.context.model.dirty = false;
    panel.dispose();
    return shown;
}"""


def test_a_lesson_renders_before_it_runs_trusted_as_the_readme_and_adlab_lessons_leave_it(page, lab):
    """An untrusted notebook's SVG is stripped; the README's `jupyter trust` and `adlab lessons` sign them."""
    import subprocess
    import sys

    lesson = "lessons/01_evaluation_trace.ipynb"
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(lab.root / lesson)], check=True, capture_output=True)
    adlab_command = Path(sys.executable).with_name("adlab")
    subprocess.run([str(adlab_command), "lessons", str(lab.root / "ad-course")], check=True, capture_output=True)
    for path in (lesson, "ad-course/01_evaluation_trace.ipynb"):
        shown = page.evaluate(OPEN_WITHOUT_RUNNING, path)
        assert shown["graphs"] >= 3 and shown["tables"] >= 4, (path, shown)


# -- an exercise answered wrong, as a student sees it -----------------------------------------------

SIGN_SLIP = "v2_dot = -x1_dot * (1 / x1)   # the log's tangent with its sign flipped"


def test_a_wrong_answer_is_diagnosed_in_the_browser_and_the_answer_shown_only_when_asked(page, lab):
    """A student copy of lesson 1 with a sign slip in 1.2: the check names the row and the slip, shows no
    expected number, and offers show_answer; a cell added below it shows the answer when run."""
    import nbformat

    from adlab.course import student_copy
    from adlab.exercises.bank import get
    from adlab.exercises.feedback import number_text

    copy = student_copy(nbformat.read(REPO / "lessons" / "01_evaluation_trace.ipynb", as_version=4))
    answer = next(k for k, cell in enumerate(copy.cells) if cell.source.startswith("# Exercise 1.2"))
    copy.cells[answer].source = (copy.cells[answer].source.split("# YOUR CODE HERE")[0]
                                 + "v1_dot = x1_dot * x2 + x2_dot * x1\n" + SIGN_SLIP + "\n"
                                 + "v3_dot = v1_dot + x2_dot\nv4_dot = v3_dot - v2_dot\n"
                                 + "tangents = [v1_dot, v2_dot, v3_dot, v4_dot]")
    copy.cells.insert(answer + 2, nbformat.v4.new_code_cell('show_answer("1.2")'))
    (lab.root / "student").mkdir(exist_ok=True)
    nbformat.write(copy, lab.root / "student" / "lesson1.ipynb")
    exercise = get("1.2")
    truth = exercise.truth(exercise.draw(os.environ["ADLAB_STUDENT"]))  # the lab's kernels inherit the id
    with notebook_run(page, "student/lesson1.ipynb"):
        shown = cells(page)
        check_text = " ".join(shown[[c["source"] for c in shown].index('check("1.2")')]["outputTexts"])
        answer_text = " ".join(shown[[c["source"] for c in shown].index('show_answer("1.2")')]["outputTexts"])
        page.evaluate("""() => { const cells = window.jupyterapp.shell.currentWidget.content.widgets;
            cells.find(c => c.model.sharedModel.getSource() === 'check("1.2")').node.scrollIntoView(); }""")
        page.screenshot(path=str(ARTIFACTS / "exercise-1.2-wrong.png"))
    assert "row v̇₂: the sign is flipped" in check_text and "row v̇₄: right for your other rows" in check_text
    assert 'show_answer("1.2")' in check_text
    numbers = [number_text(abs(v)) for v in truth if not float(v).is_integer()]
    assert numbers and not [n for n in numbers if n[:-1] in check_text], (numbers, check_text)  # nor to 3 decimals
    assert all(n in answer_text for n in numbers), (numbers, answer_text)
