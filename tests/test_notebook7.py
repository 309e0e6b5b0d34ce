"""Lesson 1 and its explorer in Jupyter Notebook 7, the other front end students meet, driven in Chromium.

Notebook 7 is built from JupyterLab's packages and exposes the same application object
(``window.jupyterapp``), so the lesson is driven by the same commands as in JupyterLab: the student copy
that `adlab lessons` writes is opened, saved untouched (the file must not change), run top to bottom, and
then its outputs are read: no error, trace tables as HTML tables, graphs as <svg>, and an explorer whose
step slider moves the sweep on. Screenshot: test-artifacts/notebook7-lesson1.jpg.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browser_support import HEIGHT, WIDGETS_RENDERED, WIDTH, JupyterLab, chromium, wait_until_opened

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons" / "01_evaluation_trace.ipynb"
ARTIFACTS = REPO / "test-artifacts"



@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("notebook", minversion="7")
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def notebook7(browser, tmp_path_factory):
    from adlab.course import write_student_copies

    server = JupyterLab(tmp_path_factory.mktemp("notebook7"), front_end="notebook7")
    write_student_copies(server.root / "copies", lessons=[LESSON])
    yield server
    server.stop()


RUN_ALL = """async (timeout) => {
    const app = window.jupyterapp, panel = app.shell.currentWidget;
    const tooLate = new Promise((_, reject) => setTimeout(() => reject(new Error(
        `Run All took more than ${timeout} ms`)), timeout));
    await Promise.race([app.commands.execute('notebook:run-all-cells'), tooLate]);
    const kernel = panel.sessionContext.session.kernel;
    while (kernel.status !== 'idle') { await new Promise(resolve => setTimeout(resolve, 100)); }
}"""

SHOWN = """() => {
    const panel = window.jupyterapp.shell.currentWidget, node = panel.content.node;
    const errors = panel.content.widgets.filter(cell => cell.model.type === 'code'
            && !(cell.model.getMetadata('tags') || []).includes('raises-exception'))
        .flatMap(cell => cell.model.outputs.toJSON().filter(o => o.output_type === 'error')
            .map(o => `${o.ename}: ${o.evalue}`));
    return {
        errors,
        widgetErrors: Array.from(node.querySelectorAll('.jp-OutputArea-output'))
            .filter(o => o.textContent.includes('Error displaying widget')).length,
        tables: node.querySelectorAll('.jp-OutputArea-output .adlab-trace > table').length,
        graphs: node.querySelectorAll('.jp-OutputArea-output svg g.graph').length,
        explorers: node.querySelectorAll('.jp-OutputArea-output .adlab-explorer .adlab-steps').length,
        windowing: panel.content.notebookConfig.windowingMode,
    };
}"""

# The first explorer's step readout ("3 of 6"), once it is on screen.
READOUT = """() => {
    const steps = document.querySelector('.adlab-explorer .adlab-steps');
    steps.scrollIntoView({block: 'center'});
    return steps.querySelector('output').textContent;
}"""


def step_shown(page):
    match = re.search(r"(\d+) of (\d+)", page.evaluate(READOUT))
    return (int(match.group(1)), int(match.group(2))) if match else None


def wait_for_step(page, step, timeout=15, among=None):
    """Wait until the caption shows this step (or any step `among` these: playing may skip one under load)."""
    steps = among or [step]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = step_shown(page)
        if shown and shown[0] in steps:
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"the explorer did not reach step {step} in {timeout} s: it shows {step_shown(page)}")


def test_lesson_1_and_its_explorer_run_and_render_in_notebook_7(notebook7, browser):
    path = notebook7.root / "copies" / LESSON.name
    original = path.read_bytes()
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto(f"{notebook7.url}/notebooks/copies/{LESSON.name}?token={notebook7.token}")
        opened = wait_until_opened(page)
        assert opened["app"] == "Jupyter Notebook", opened  # Notebook 7, not JupyterLab
        assert not opened["dirty"], "Notebook 7 marks the untouched lesson changed as soon as it opens"

        modified = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 15
        while path.stat().st_mtime_ns == modified and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        assert path.stat().st_mtime_ns != modified, "Ctrl+S did not save the lesson"
        assert path.read_bytes() == original, "saving the untouched lesson in Notebook 7 changed the file"

        page.evaluate(RUN_ALL, 300_000)
        page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)
        shown = page.evaluate(SHOWN)
        assert not shown["errors"] and not shown["widgetErrors"], shown
        assert shown["tables"] >= 4 and shown["graphs"] >= 3 and shown["explorers"] >= 1, shown

        last = step_shown(page)[1]
        wait_for_step(page, last)  # an explorer opens at the sweep's last step
        page.locator(".adlab-explorer .adlab-steps input[type=range]").first.focus()
        page.keyboard.press("Home")
        wait_for_step(page, 1)
        page.keyboard.press("End")
        wait_for_step(page, last)
        # ▶ walks the sweep again from step 1. (The arrow keys do not step here: Notebook 7 hands ArrowRight on
        # the slider to its notebook:move-cursor-heading-below-or-expand shortcut, and focus leaves.)
        page.get_by_role("button", name="play the sweep").first.click()
        wait_for_step(page, 2, among=range(2, last))

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook7-explorer.png"))
        height = page.evaluate("""() => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const outer = notebook.node.querySelector('.jp-WindowedPanel-outer') || notebook.node;
            const box = outer.getBoundingClientRect();
            const last = notebook.widgets[notebook.widgets.length - 1].node.getBoundingClientRect();
            const height = box.top + (last.bottom - box.top + outer.scrollTop + 16) + (window.innerHeight - box.bottom);
            outer.scrollTop = 0;
            return height;
        }""")
        page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 8, 16_000)})
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "notebook7-lesson1.jpg"), type="jpeg", quality=80)
    finally:
        page.evaluate("""async () => { const panel = window.jupyterapp.shell.currentWidget;
            if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); } }""")
        page.close()
