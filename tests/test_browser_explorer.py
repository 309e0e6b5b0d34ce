"""The sweep explorer in Chromium: its shape at every width, keyboard use, an accessibility audit, and how a
saved explorer reads before any cell runs (trusted: the saved widgets; untrusted: the static HTML beside them).

JupyterLab driven by Playwright, as in tests/test_browser.py. Screenshots go to test-artifacts/explorer-*.png.
Deselect with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from browser_support import BROKEN_LINK_MARKS, axe_script, JupyterLab, notebook_run, open_lab
from notebook_runner import run_notebook

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
EXPLORER_CELL = """\
import numpy as np
import adlab

def f(x1, x2):
    return x1 * x2 + x2 - np.log(x1)

explorer = adlab.explore(f, 3.0, -4.0)
explorer.mode.value = "forward"
explorer.step.interval = 300  # milliseconds per step while playing (900 by default): a shorter test
explorer"""
ROWS = 6
# (window width, file browser open): JupyterLab's default 1024 with the file browser (a cell of about 590 px),
# 1024 without it (about 860 px, near the 800-px cell of a narrow screen), 1400 and 1920.
WIDTHS = [(1024, True), (1024, False), (1400, False), (1920, False)]



@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(browser, lab):
    page = open_lab(browser, lab)
    yield page
    page.close()



def serious_violations(page, selector):
    """axe-core's serious and critical findings inside the first element matching `selector`."""
    page.add_script_tag(path=str(axe_script()))
    return page.evaluate("""async (selector) => {
        const result = await axe.run(document.querySelector(selector));
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.html.slice(0, 120)).join(' | ')}`);
    }""", selector)


# -- what the page shows, measured in the browser --------------------------------------------------------------

# The explorer's output: its controls, panels and their boxes, the step the caption names, and what overflows.
STATE = """() => {
    const output = document.querySelector('.adlab-explorer').closest('.jp-OutputArea-output');
    const box = element => { if (!element) return null; const r = element.getBoundingClientRect();
        return {left: Math.round(r.left), top: Math.round(r.top), width: Math.round(r.width),
                height: Math.round(r.height)}; };
    const visible = element => { if (!element) return false; const r = element.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(element).visibility !== 'hidden'; };
    const steps = output.querySelector('.adlab-steps');
    const caption = output.querySelector('.adlab-stack > .adlab-shown');
    // an element wider than the output, with no ancestor (inside the output) that scrolls sideways to show it
    const outside = output.getBoundingClientRect();
    const unscrolled = Array.from(output.querySelectorAll('*')).filter(element => {
        const r = element.getBoundingClientRect();
        if (r.width === 0 || r.right <= outside.right + 1 && r.left >= outside.left - 1) return false;
        for (let up = element.parentElement; up && up !== output.parentElement; up = up.parentElement) {
            const overflow = getComputedStyle(up).overflowX;
            if ((overflow === 'auto' || overflow === 'scroll') && up.scrollWidth > up.clientWidth) return false;
        }
        return true;
    }).map(element => element.tagName + '.' + element.className);
    return {
        caption: caption.textContent,
        readout: steps.querySelector('output').textContent,
        stepValue: steps.querySelector('input[type=range]').value,
        controls: Array.from(output.querySelectorAll(
                '.adlab-control button, .adlab-control input, .adlab-graph-options input, select'))
            .filter(e => getComputedStyle(e).display !== 'none' && !e.closest('[style*="display: none"]'))
            .map(e => ({name: e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent)
                               || e.textContent, visible: visible(e), box: box(e)})),
        stepRange: box(steps.querySelector('input[type=range]')),
        output: box(output),
        layout: {steps: box(steps), caption: box(caption),
                 table: box(output.querySelector('.adlab-table-panel')),
                 jacobian: box(output.querySelector('.adlab-jacobian').closest('.adlab-stack')),
                 graph: box(output.querySelector('.adlab-graph-panel'))},
        unscrolled,
        active: document.activeElement ? (document.activeElement.getAttribute('aria-label')
                                          || document.activeElement.id || document.activeElement.tagName) : null,
    };
}"""


def state(page):
    return page.evaluate(STATE)


def step_of(caption):
    """The step number a caption names ("… step 3 of 6: row v₁ …")."""
    return int(caption.split("step ", 1)[1].split(" of", 1)[0])


def run_first_cell_as_a_student(page):
    """Select the first cell and press the toolbar's ▶ once the kernel is idle; press it again, as a student
    would, if the cell shows no sign of running after 20 s (a click while the page was still busy starting)."""
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=60_000)
    prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    for _ in range(3):
        prompt.click()
        page.locator('.jp-Toolbar [data-command="notebook:run-cell-and-select-next"]').first.click()
        try:
            page.wait_for_function("""() => /\\[(\\*|\\d+)\\]/.test(document.querySelector('.jp-Cell .jp-InputPrompt')
                .textContent)""", timeout=20_000)
            return
        except Exception:
            continue
    raise AssertionError(f"the first cell did not start running after three clicks on ▶: it shows {prompt.text_content()!r}")


def wait_for_step(page, step):
    page.wait_for_function("""(step) => {
        const caption = document.querySelector('.adlab-explorer .adlab-stack > .adlab-shown').textContent;
        return caption.includes(`step ${step} of`);
    }""", arg=step, timeout=15_000)


def show_file_browser(page, shown):
    page.evaluate("""(shown) => { const shell = window.jupyterapp.shell;
        if (shown) { shell.expandLeft(); } else { shell.collapseLeft(); } }""", shown)
    page.wait_for_timeout(300)


def assert_fits(found, where):
    assert found["stepRange"]["width"] >= 120, f"{where}: the step slider is {found['stepRange']['width']} px wide"
    hidden = [control["name"] for control in found["controls"] if not control["visible"]]
    assert not hidden, f"{where}: controls not visible: {hidden}"
    right = found["output"]["left"] + found["output"]["width"]
    outside = [c["name"] for c in found["controls"] if c["box"]["left"] + c["box"]["width"] > right + 1]
    assert not outside, f"{where}: controls beyond the output's right edge: {outside}"
    assert not found["unscrolled"], f"{where}: wider than the cell without a scrollbar: {found['unscrolled'][:5]}"


def play_and_watch(page, where):
    """Play from the last step; at every step seen, the readout is a number and the panels have not moved."""
    play = page.get_by_role("button", name="play the sweep")
    play.click()  # from the last step, play starts again at step 1; from another, it goes on from there
    seen = {}
    for _ in range(200):
        found = state(page)
        readout = found["readout"]
        assert readout.split(" of ")[0].isdigit(), f"{where}: the step readout is {readout!r} while playing"
        step = step_of(found["caption"])
        seen[step] = found["layout"]
        if step >= ROWS and len(seen) > 2:
            break
        page.wait_for_timeout(100)
    assert len(seen) >= 3, f"{where}: play showed only steps {sorted(seen)}"
    first = next(iter(seen.values()))
    moved = {step: layout for step, layout in seen.items() if layout != first}
    assert not moved, f"{where}: panels moved while playing: step {next(iter(seen))}: {first}, then {moved}"
    return first


def drag_step_slider(page, where):
    """Drag the step slider's thumb from the right end to the left: the readout gives a number at every move."""
    slider = page.locator(".adlab-explorer .adlab-steps input[type=range]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    box = {"left": box["x"], "top": box["y"], "width": box["width"], "height": box["height"]}
    y = box["top"] + box["height"] / 2
    page.mouse.move(box["left"] + box["width"] - 4, y)
    page.mouse.down()
    readouts = []
    for k in range(1, 9):
        page.mouse.move(box["left"] + box["width"] * (1 - k / 8) + 2, y)
        readouts.append(state(page)["readout"])
    page.mouse.up()
    assert all(r.split(" of ")[0].isdigit() for r in readouts), f"{where}: readouts while dragging: {readouts}"
    # the kernel answers each step; on a busy machine its last answer may come after the drag has ended
    for _ in range(50):
        if state(page)["readout"] == f"1 of {ROWS}":
            break
        page.wait_for_timeout(100)
    final = state(page)["readout"]
    assert final == f"1 of {ROWS}", f"{where}: dragged to the left end, the readout says {final!r}"
    wait_for_step(page, 1)


def test_explorer_keeps_its_shape_at_every_width_and_plays_by_keyboard(page, lab):
    path = lab.write_notebook("explorer.ipynb", [EXPLORER_CELL])
    ARTIFACTS.mkdir(exist_ok=True)
    with notebook_run(page, path):
        page.wait_for_selector(".adlab-explorer .adlab-steps button")
        assert page.locator(".adlab-explorer-saved").is_hidden()  # the live widget replaces the saved view
        for width, file_browser in WIDTHS:
            where = f"{width} px, file browser {'open' if file_browser else 'closed'}"
            page.set_viewport_size({"width": width, "height": 1000})
            show_file_browser(page, file_browser)
            page.evaluate("() => document.querySelector('.adlab-explorer').scrollIntoView()")
            assert_fits(state(page), where)
            layout = play_and_watch(page, where)
            drag_step_slider(page, where)  # stops playing, if it has not stopped at the end already
            assert state(page)["layout"] == layout, f"{where}: panels moved when the slider was dragged"
            page.screenshot(path=str(ARTIFACTS / f"explorer-{width}{'-files' if file_browser else ''}.png"))

        # the keyboard alone: Tab reaches the controls in order, Enter presses a button, arrows move the slider
        page.get_by_role("button", name="play the sweep").focus()
        page.keyboard.press("Tab")  # "step back"
        page.keyboard.press("Tab")  # "step forward"
        assert state(page)["active"] == "step forward"
        page.keyboard.press("Enter")
        wait_for_step(page, 2)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")  # step back
        wait_for_step(page, 1)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # the step slider
        page.keyboard.press("End")
        wait_for_step(page, ROWS)
        page.keyboard.press("ArrowLeft")
        wait_for_step(page, ROWS - 1)
        page.keyboard.press("Home")
        wait_for_step(page, 1)
        page.get_by_role("button", name="play the sweep").focus()
        page.keyboard.press("Enter")
        wait_for_step(page, 3)
        page.keyboard.press("Enter")  # pause
        assert page.get_by_role("button", name="play the sweep").get_attribute("aria-pressed") == "false"

        # the reverse sweep keeps its shape too, and an input slider moved by keyboard traces f again
        page.get_by_role("button", name="reverse").click()
        page.wait_for_function("""() => document.querySelector('.adlab-explorer .adlab-stack > .adlab-shown')
                                      .textContent.startsWith('Reverse sweep')""", timeout=15_000)
        play_and_watch(page, "reverse sweep")
        x1 = page.get_by_role("slider", name="x₁")
        x1.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("""() => document.querySelector('.adlab-explorer .adlab-shown .adlab-trace td.adlab-value')
                                      .textContent === '3.01'""", timeout=15_000)

        # the graph options are check boxes named for a screen reader; Space focuses the graph on the current row,
        # and the panels keep their (new) places while the focused sweep plays
        focus = page.get_by_role("checkbox", name="focus on the current row")
        assert page.get_by_role("checkbox", name="fold loops").is_visible() and not focus.is_checked()
        focus.focus()
        page.keyboard.press("Space")
        page.wait_for_function("""() => document.querySelector('.adlab-explorer .adlab-graph-panel svg desc')
                                      .textContent.startsWith('The rows at most 2 edges from')""", timeout=15_000)
        assert focus.is_checked()
        play_and_watch(page, "reverse sweep, focused on the current row")

        violations = serious_violations(page, ".adlab-explorer")
        assert not violations, "\n".join(violations)


# -- a saved explorer, opened before any cell runs -------------------------------------------------------------

OPEN_AND_LOOK = """async (path) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    app.shell.activateById(panel.id);
    const node = panel.content.node;
    const shown = element => element.getClientRects().length > 0;
    const ready = () => Array.from(node.querySelectorAll('.adlab-explorer-saved img')).some(shown);
    for (let waited = 0; waited < 30000 && !ready(); waited += 200) {
        await new Promise(resolve => setTimeout(resolve, 200));
    }
    await new Promise(resolve => setTimeout(resolve, 3000));  // the kernel starts, saved widget state is restored
    const outputs = Array.from(node.querySelectorAll('.jp-OutputArea-child')).filter(shown);
    const elements = outputs.flatMap(output => Array.from(output.querySelectorAll('*'))).filter(shown);
    const brokenLinkMarks = """ + BROKEN_LINK_MARKS + """;
    const brokenLinks = outputs.flatMap(brokenLinkMarks).length;
    return {
        texts: outputs.map(output => output.textContent),
        images: elements.filter(e => e.tagName === 'IMG').map(img => ({loaded: img.complete && img.naturalWidth > 0,
                                                                      alt: img.alt})),
        brokenLinks, tables: elements.filter(e => e.tagName === 'TABLE').length,
        controls: elements.filter(e => e.closest('.adlab-control')).length,
        panel: panel.id,
    };
}"""


def executed_explorer_notebook(tmp_path):
    """A notebook with one explorer cell, run by nbclient, which stores the widgets' state in it (as the lessons)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(EXPLORER_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run_notebook(notebook, str(tmp_path), timeout=120)
    assert notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return notebook


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
def test_a_saved_explorer_reads_before_running(page, lab, tmp_path, trusted):
    """One readable saved view, trusted or not: untrusted, the sanitized static HTML; trusted, the same (the
    widget's saved state is restored unreliably in JupyterLab 4, and a view without a kernel is dead), with the
    widget's own output hidden until the cell runs."""
    notebook = executed_explorer_notebook(tmp_path)
    notebook.metadata["adlab_test_copy"] = "trusted" if trusted else "untrusted"  # a signature is per content
    name = f"saved-{'trusted' if trusted else 'untrusted'}.ipynb"
    nbformat.write(notebook, lab.root / name)
    if trusted:
        subprocess.run([sys.executable, "-m", "jupyter", "trust", str(lab.root / name)], check=True,
                       capture_output=True)
    shown = page.evaluate(OPEN_AND_LOOK, name)
    page.screenshot(path=str(ARTIFACTS / f"explorer-saved-{'trusted' if trusted else 'untrusted'}.png"))
    violations = serious_violations(page, ".jp-NotebookPanel:not(.lm-mod-hidden) .adlab-explorer-saved")
    page.evaluate("""(id) => { const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id);
        panel.context.model.dirty = false; return panel.sessionContext.shutdown().then(() => panel.dispose()); }""",
                  shown["panel"])
    summary = json.dumps({k: v for k, v in shown.items() if k != "texts"}, ensure_ascii=False)
    assert not violations, "\n".join(violations)
    text = " ".join(shown["texts"])
    assert "Explorer(children" not in text and "Error displaying widget" not in text, shown["texts"]
    assert "Loading widget" not in text, shown["texts"]
    assert shown["brokenLinks"] == 0 and shown["controls"] == 0, summary  # no dead controls either
    assert "run this cell to step through the sweep" in text and "Forward sweep along x₁" in text, shown["texts"]
    assert shown["tables"] == 2, summary  # the trace and J
    [image] = shown["images"]
    assert image["loaded"] and image["alt"].startswith("Computation graph of f: v₋₁ = x₁; v₀ = x₂; v₁ = v₋₁ × v₀")
    if not trusted:  # the widget's output shows its text form: one line, no repr of the widget tree
        assert shown["texts"][-1] == "The live sweep explorer appears here when this cell runs.", shown["texts"]
    else:
        assert len(shown["texts"]) == 1, shown["texts"]  # the widget's output is hidden until it is live


def test_notebook_7_shows_the_saved_view_then_the_live_explorer(browser, lab, tmp_path):
    """Jupyter Notebook 7 (served by the same server at /notebooks/): untrusted, the saved view reads before
    running; run, the live explorer replaces it."""
    notebook = executed_explorer_notebook(tmp_path)
    notebook.metadata["adlab_test_copy"] = "notebook 7"
    nbformat.write(notebook, lab.root / "notebook7.ipynb")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{lab.url}/notebooks/notebook7.ipynb?token={lab.token}")
        saved = page.locator(".adlab-explorer-saved")
        saved.locator("img").wait_for(timeout=60_000)
        assert "Forward sweep along x₁" in saved.text_content()
        assert page.evaluate("() => document.querySelector('.adlab-explorer-saved img').naturalWidth") > 0
        run_first_cell_as_a_student(page)
        try:
            page.get_by_role("button", name="play the sweep").wait_for(timeout=60_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "explorer-notebook7-not-run.png"))
            shown = page.evaluate("() => Array.from(document.querySelectorAll('.jp-Cell'), cell => cell.innerText"
                                  ".slice(0, 300))")
            raise AssertionError(f"the run cell shows no live explorer after 60 s; the cells show: {shown}") from None
        wait_for_step(page, ROWS)
        page.locator(".adlab-explorer-saved").wait_for(state="hidden", timeout=15_000)
        page.get_by_role("button", name="step back").click()
        wait_for_step(page, ROWS - 1)
        page.screenshot(path=str(ARTIFACTS / "explorer-notebook7.png"))
    finally:
        page.close()
