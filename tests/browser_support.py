"""A JupyterLab server and a Chromium page on it, for the browser tests (tests/test_browser.py).

The server runs on 127.0.0.1 with a random token, in a temporary root with its
own settings, so the tests never touch the repository or the user's Jupyter
files. Notebooks are driven through ``window.jupyterapp`` (exposed with
``--LabApp.expose_app_in_browser``): the same commands the menus run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's; `playwright install` downloads are not used
WIDTH, HEIGHT = 1280, 900
START_TIMEOUT = 90  # seconds for the server to answer
RUN_TIMEOUT = 180_000  # milliseconds for one notebook's Run All

# Settings a fresh user would not change, but a test needs: every cell rendered (no windowing,
# so every output is in the page), no news or update pop-ups over the notebook.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def unavailable(reason):
    """Skip on a developer's machine; in CI (CI set) a missing browser tool is a failure, not a silent skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI is set: the browser tests must run there")
    pytest.skip(reason)


@contextmanager
def chromium(args=()):
    """Debian's Chromium driven by Playwright (one Playwright per process at a time: hold it for a module)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(args))
        try:
            yield browser
        finally:
            browser.close()


def axe_script():
    """axe-core as the README's test command installs it: `npm install -g axe-core`."""
    try:
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = ""
    script = Path(root) / "axe-core" / "axe.min.js"
    if not root or not script.exists():
        unavailable(f"axe-core is not installed ({script} is missing: npm install -g axe-core)")
    return script


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The front ends students meet, as (command, its application class for configuration).
FRONT_ENDS = {"lab": ("lab", "LabApp"), "notebook7": ("notebook", "JupyterNotebookApp")}


class JupyterLab:
    """`jupyter lab` (or Notebook 7's `jupyter notebook`) in a temporary directory, stopped by its process id.

    Both expose the application to the page as ``window.jupyterapp``, and share JupyterLab's settings.
    """

    def __init__(self, directory: Path, front_end: str = "lab"):
        self.root = directory / "root"
        self.root.mkdir()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{free_port()}"
        settings = directory / "settings"
        for name, values in SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(directory / "config"),
                   JUPYTER_RUNTIME_DIR=str(directory / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(directory / "workspaces"))
        self.log = directory / "jupyterlab.log"
        command, app = FRONT_ENDS[front_end]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", command, "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.url.rsplit(':', 1)[1]}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", f"--{app}.expose_app_in_browser=True"],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=env)
        self._wait_until_up()

    def _wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter exited ({self._process.returncode}):\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer in {START_TIMEOUT} s:\n{self.log.read_text()}")

    def copy(self, directory: Path) -> Path:
        """Copy a directory (the lessons) into the server's root, so runs never change the original."""
        shutil.copytree(directory, self.root / directory.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        return self.root / directory.name

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """A new notebook of code cells, one per string; its path in the server's root."""
        notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [{"cell_type": "code", "id": f"cell{k}", "metadata": {}, "source": source,
                       "outputs": [], "execution_count": None} for k, source in enumerate(cells)]}
        (self.root / name).write_text(json.dumps(notebook))
        return name

    def stop(self):
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def open_lab(browser, lab: JupyterLab):
    """A 1280-px-wide page with JupyterLab loaded and its application object ready."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    return page


# The notebook open in Notebook 7 or JupyterLab's current panel, once its kernel answers: whether it is dirty,
# and which application shows it ("Jupyter Notebook" for Notebook 7).
NOTEBOOK_OPENED = """async () => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    if (!panel || !panel.context) return null;
    await panel.context.ready;
    await panel.sessionContext.ready;
    await panel.sessionContext.session.kernel.info;
    await new Promise(resolve => setTimeout(resolve, 1000));
    return {dirty: panel.context.model.dirty, app: app.name};
}"""


def wait_until_opened(page):
    """NOTEBOOK_OPENED once the page's application shows a notebook (a cell run earlier may wait on a busy machine)."""
    page.wait_for_function("window.jupyterapp !== undefined && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.context !== undefined", timeout=60_000)
    return page.evaluate(NOTEBOOK_OPENED)


RUN_ALL = """async ([path, timeout]) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    await panel.sessionContext.ready;
    app.shell.activateById(panel.id);
    const tooLate = new Promise((_, reject) => setTimeout(() => reject(new Error(
        `Run All took more than ${timeout} ms`)), timeout));
    await Promise.race([app.commands.execute('notebook:run-all-cells'), tooLate]);
    const kernel = panel.sessionContext.session.kernel;
    while (kernel.status !== 'idle') { await new Promise(resolve => setTimeout(resolve, 100)); }
    return panel.id;
}"""

CLOSE = """async (id) => {
    const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id);
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;  // closes without the "save changes?" dialog
    panel.dispose();
}"""

# Widget views render after the kernel is idle: wait until each widget output shows a view or its error.
WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]'))
    .every(output => output.querySelector('.jupyter-widgets') || output.textContent.includes('Error displaying widget'))"""

# ipywidgets marks a widget view with no kernel behind it by a red broken-link glyph (Font Awesome's \uf127, the
# ::before of .jupyter-widgets-disconnected), drawn over the widget's labels: a JavaScript function from an element
# to the marks shown inside it. Scripts that count them take it in: "const brokenLinkMarks = " + BROKEN_LINK_MARKS.
BROKEN_LINK_MARKS = """root => Array.from(root.querySelectorAll('*')).filter(element => {
    if (element.getClientRects().length === 0) return false;
    const before = getComputedStyle(element, '::before');
    return before.content.includes('\\uf127') && before.display !== 'none';
})"""

# What each code cell of the open notebook shows: its source, prompt and what its outputs contain.
CELLS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => {
        const outputs = cell.node.querySelectorAll('.jp-OutputArea-output');
        const stderr = Array.from(cell.node.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(o => o.textContent);
        return {
            source: cell.model.sharedModel.getSource(),
            tags: cell.model.getMetadata('tags') || [],
            executionCount: cell.model.executionCount,
            outputTexts: Array.from(outputs).map(o => o.textContent),
            stderr,
            errors: cell.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
            graphs: cell.node.querySelectorAll('.jp-OutputArea-output svg g.graph').length,
            // shown ones only: a graph's HTML keeps an <img> for untrusted copies, hidden where the <svg> shows
            svgImages: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output img[src^="data:image/svg"]'))
                .filter(img => img.getClientRects().length > 0).length,
            traceDivs: cell.node.querySelectorAll('.jp-OutputArea-output .adlab-trace').length,
            traceTables: cell.node.querySelectorAll('.jp-OutputArea-output .adlab-trace > table').length,
            rightAlignedTraceCells: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output .adlab-trace td'))
                .filter(td => getComputedStyle(td).textAlign !== 'left').length,
            // graphs wider than their output area with no scrolling box around them: partly hidden
            overflowingGraphs: Array.from(outputs).filter(output => {
                const box = output.getBoundingClientRect();
                const pictures = Array.from(output.querySelectorAll('.adlab-graph img, svg'))
                    .filter(picture => picture.tagName === 'IMG' || picture.querySelector('g.graph'));
                return pictures.some(picture => {
                    const r = picture.getBoundingClientRect();
                    if (!r.width || (r.right <= box.right + 1 && r.left >= box.left - 1)) return false;
                    const scroller = picture.closest('.adlab-graph-scroll, .adlab-graph-panel');
                    return !scroller || scroller.scrollWidth <= scroller.clientWidth
                        || scroller.getBoundingClientRect().right > box.right + 1;
                });
            }).length,
        };
    });
}"""


@contextmanager
def notebook_run(page, path: str):
    """Open the notebook, Run All, wait for its kernel to be idle and its widgets drawn; close it afterwards."""
    panel_id = page.evaluate(RUN_ALL, [path, RUN_TIMEOUT])
    try:
        page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)
        yield
    finally:
        page.evaluate(CLOSE, panel_id)


def problems(cell):
    """What is wrong with one code cell's outputs, as readable lines (empty when all is well)."""
    found = []
    expected_error = "raises-exception" in cell["tags"]
    if cell["executionCount"] is None:
        found.append("did not run")
    if not expected_error:
        found += [f"error: {error}" for error in cell["errors"]]
        found += [f"traceback on stderr: {text[:300]}" for text in cell["stderr"] if "Traceback" in text]
    found += ["Error displaying widget" for text in cell["outputTexts"] if "Error displaying widget" in text]
    found += ["a trace shown as plain text" for text in cell["outputTexts"] if text.startswith("<Trace of")]
    if cell["traceTables"] < cell["traceDivs"]:
        found.append("a trace table without an HTML <table>")
    if cell["rightAlignedTraceCells"]:
        found.append("trace table cells not left-aligned (JupyterLab's table style won over the table's own)")
    draws_graph = re.search(r"\.graph\(|--graph|explore\(|--explore", cell["source"])
    if draws_graph and not cell["graphs"]:
        found.append("no graph drawn as <svg> (DOT source or an <img> instead?)")
    if cell["svgImages"]:
        found.append("an SVG shown as <img>, not as an <svg> element")
    if cell["overflowingGraphs"]:
        found.append("a graph wider than its output area without a scrollbar (cut off)")
    return found


def cells(page) -> list[dict]:
    """Each code cell of the open notebook: source, tags, execution count and what its outputs hold."""
    return page.evaluate(CELLS)


def screenshot_whole_notebook(page, path: Path):
    """The open notebook top to bottom, as a JPEG (a PNG of a long lesson takes seconds longer to write).

    The page grows to the notebook's height for one picture: it scrolls inside .jp-WindowedPanel-outer,
    not the window.
    """
    height = page.evaluate("""() => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        const outer = notebook.node.querySelector('.jp-WindowedPanel-outer'), box = outer.getBoundingClientRect();
        const lastCell = notebook.widgets[notebook.widgets.length - 1].node.getBoundingClientRect();
        const contentHeight = lastCell.bottom - box.top + outer.scrollTop + 16;
        return box.top + contentHeight + (window.innerHeight - box.bottom);
    }""")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 8, 16_000)})
    try:
        page.evaluate("""() => { window.jupyterapp.shell.currentWidget.node
            .querySelector('.jp-WindowedPanel-outer').scrollTop = 0; }""")
        page.screenshot(path=str(path), type="jpeg", quality=85)
    finally:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
