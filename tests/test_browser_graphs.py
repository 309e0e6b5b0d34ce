"""Stored graphs in a real browser: before anything runs, trusted or not, at 1024, 1400 and 1920 px.

A notebook pulled onto a hub is untrusted: JupyterLab and Notebook 7 sanitize its HTML outputs (no
<svg>, <style> or <script>) and ignore image/svg+xml. These tests write notebooks whose outputs are
graphs as `render` stores them, open them without running a cell and measure what a student sees:
the picture drawn (no broken image, no stray text), node text at least MIN_LABEL_PX tall at default
zoom, every element wider than its cell inside a box that scrolls, the zoom switch, and an axe-core
audit of the graphs. Screenshots go to test-artifacts/. Deselect with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import adlab
from adlab.course import lesson_paths, write_student_copies
from adlab.display import graph
from browser_support import axe_script, JupyterLab, open_lab, screenshot_whole_notebook

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
WIDTHS = (1024, 1400, 1920)
MIN_LABEL_PX = 9


def chain(x, n):
    for _ in range(n):
        x = np.sin(x) * 1.5 + x
    return x


def seed_example(x1, x2):
    return x1 * x2 + x2 - np.log(x1)


# What each stored cell "ran": a lesson-sized graph, a 40- and a 400-operation chain drawn in full,
# the 400 folded, and a focus view (the operation counts are the rows after the input).
GRAPHS = {
    "seed": "adlab.trace(f, 3.0, -4.0).reverse().graph(partials=True)",
    "ops40": "adlab.trace(lambda x: chain(x, 13), 1.0).graph()  # 39 operations + 1 input",
    "ops400": "t400 = adlab.trace(lambda x: chain(x, 133), 1.0).reverse(); t400.graph(max_nodes=None)",
    "folded": "t400.graph(fold=True)",
    "focus": "t400.graph(focus=200, radius=2)",
}


def graph_cells():
    """Code cells that hold the graphs of GRAPHS as stored outputs (never run in the test's server)."""
    t400 = adlab.trace(lambda x: chain(x, 133), 1.0).reverse()
    drawings = {"seed": adlab.trace(seed_example, 3.0, -4.0).reverse().graph(partials=True),
                "ops40": adlab.trace(lambda x: chain(x, 13), 1.0).graph(), "ops400": t400.graph(max_nodes=None),
                "folded": t400.graph(fold=True), "focus": t400.graph(focus=200, radius=2)}
    cells = []
    for k, (name, source) in enumerate(GRAPHS.items()):
        bundle = drawings[name]._repr_mimebundle_()
        output = nbformat.v4.new_output("execute_result", data=bundle, execution_count=k + 1)
        cells.append(nbformat.v4.new_code_cell(source, outputs=[output], execution_count=k + 1))
    return cells


def graph_notebook(cells, name):
    """The cells as a notebook whose closing words name it: a signature is kept by content, so two equal
    notebooks would be trusted together."""
    return nbformat.v4.new_notebook(cells=cells + [nbformat.v4.new_markdown_cell(f"The {name} copy.")], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """A JupyterLab with the graph notebook twice: untrusted as a hub copy, and signed (trusted)."""
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    cells = graph_cells()
    nbformat.write(graph_notebook(cells, "untrusted"), server.root / "untrusted.ipynb")
    nbformat.write(graph_notebook(cells, "trusted"), server.root / "trusted.ipynb")
    # Lesson 1 as nbgitpuller leaves it: never signed here. Jupyter trusts a notebook whose content it has signed
    # before (other tests sign student copies), so a closing cell makes this content its own.
    copy, _ = write_student_copies(server.root / "hub-copy", lesson_paths()[:1], sign=False)[0]
    notebook = nbformat.read(copy, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("A hub copy, never signed."))
    nbformat.write(notebook, copy)
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(server.root / "trusted.ipynb")],
                   check=True, capture_output=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(browser, lab):
    page = open_lab(browser, lab)
    yield page
    page.close()


OPEN = """async (path) => {
    const app = window.jupyterapp;
    for (const widget of Array.from(app.shell.widgets('main'))) { widget.dispose(); }
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    app.shell.activateById(panel.id);
    const pictures = () => Array.from(panel.content.node.querySelectorAll('.jp-OutputArea-output .adlab-graph img'));
    for (let waited = 0; waited < 20000; waited += 100) {
        const images = pictures();
        if (images.length && images.every(img => img.complete)) break;
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    return {trusted: panel.content.model.cells.get(0).trusted};
}"""

# Per stored graph, what the student sees: which form shows (the inline <svg> or the <img>), whether its
# image loaded, the smallest label text in px, whether the picture scrolls, and the elements wider than
# their cell with no scrolling box between them and the cell.
MEASURE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const decode = img => new DOMParser().parseFromString(new TextDecoder().decode(
        Uint8Array.from(atob(img.src.split(',')[1]), c => c.charCodeAt(0))), 'image/svg+xml').documentElement;
    return Array.from(panel.content.node.querySelectorAll('.jp-OutputArea-output .adlab-graph')).map(graph => {
        const output = graph.closest('.jp-OutputArea-output'), cell = output.getBoundingClientRect();
        const img = graph.querySelector('img.adlab-graph-static'), live = graph.querySelector('.adlab-graph-live');
        const svg = live.querySelector('svg'), scroll = graph.querySelector('.adlab-graph-scroll');
        const visible = element => element && element.getClientRects().length > 0
            && getComputedStyle(element).visibility !== 'hidden';
        let labelPx = null;
        if (visible(svg)) {  // the brief's measure: the rendered height of each label's text
            labelPx = Math.min(...Array.from(svg.querySelectorAll('text')).map(t => t.getBoundingClientRect().height));
        } else if (visible(img)) {  // inside an <img>: the font size times the image's scale
            const drawing = decode(img), scale = img.getBoundingClientRect().width / drawing.viewBox.baseVal.width;
            labelPx = Math.min(...Array.from(drawing.querySelectorAll('text')).map(
                t => parseFloat(t.getAttribute('font-size')))) * scale;
        }
        const scrolledAway = element => {
            for (let box = element.parentElement; box && box !== output; box = box.parentElement) {
                const overflow = getComputedStyle(box).overflowX;
                if ((overflow === 'auto' || overflow === 'scroll') && box.scrollWidth > box.clientWidth
                    && box.getBoundingClientRect().right <= cell.right + 1) return true;
            }
            return false;
        };
        const tooWide = Array.from(output.querySelectorAll('*')).filter(element => {
            const box = element.getBoundingClientRect();
            return box.width > 0 && (box.right > cell.right + 1 || box.left < cell.left - 1) && !scrolledAway(element);
        }).map(element => `${element.tagName.toLowerCase()}.${element.getAttribute('class')}`);
        return {
            shown: visible(svg) ? 'svg' : visible(img) ? 'img' : 'nothing',
            imageLoaded: img.complete && img.naturalWidth > 0,
            strayText: !visible(svg) && visible(live),
            labelPx, cellWidth: cell.width, pictureWidth: (visible(svg) ? svg : img).getBoundingClientRect().width,
            naturalWidth: Number(img.getAttribute('width')),
            scrolls: scroll.scrollWidth > scroll.clientWidth + 1, tooWide: tooWide.slice(0, 5),
            alt: img.getAttribute('alt'),
        };
    });
}"""

# Whether each image on the page (outside the graphs too) drew: a broken one has naturalWidth 0.
BROKEN_IMAGES = """() => Array.from(window.jupyterapp.shell.currentWidget.content.node.querySelectorAll('img'))
    .filter(img => img.complete && img.naturalWidth === 0).length"""


def measure_at_widths(page, name):
    """MEASURE at each window width, with a screenshot of the top of the notebook at each."""
    found = {}
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(300)  # JupyterLab lays the panels out again on resize
            found[width] = dict(zip(GRAPHS, page.evaluate(MEASURE)))
            page.screenshot(path=str(ARTIFACTS / f"graphs-{name}-{width}.jpg"), type="jpeg", quality=80)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    (ARTIFACTS / f"graphs-{name}-measured.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    return found


def readable_problems(found, form):
    report = []
    for width, graphs in found.items():
        for name, shown in graphs.items():
            where = f"{name} at {width} px"
            if shown["shown"] != form:
                report.append(f"{where}: shows {shown['shown']}, not the {form}")
            if not shown["imageLoaded"]:
                report.append(f"{where}: the <img> did not load (a broken-image icon)")
            if shown["strayText"]:
                report.append(f"{where}: the stripped <svg>'s text is visible")
            if shown["labelPx"] is None or shown["labelPx"] < MIN_LABEL_PX:
                report.append(f"{where}: label text {shown['labelPx']} px, under {MIN_LABEL_PX} px")
            if shown["tooWide"]:
                report.append(f"{where}: wider than the cell without a scrollbar: {shown['tooWide']}")
            if name in ("ops40", "ops400") and not shown["scrolls"]:
                report.append(f"{where}: a graph wider than its cell that does not scroll")
            if shown["naturalWidth"] <= shown["cellWidth"] - 60 and abs(shown["pictureWidth"] - shown["naturalWidth"]) > 1:
                report.append(f"{where}: drawn {shown['pictureWidth']} px wide, not its full "
                              f"{shown['naturalWidth']} px, in a cell {shown['cellWidth']} px wide")
    return report


def test_an_untrusted_notebook_shows_its_graphs_before_running(page, lab):
    """The hub's case: the <img> of the SVG, readable at every width, scrolling where it is wide."""
    assert page.evaluate(OPEN, "untrusted.ipynb") == {"trusted": False}
    found = measure_at_widths(page, "untrusted")
    assert page.evaluate(BROKEN_IMAGES) == 0
    assert not readable_problems(found, "img"), "\n".join(readable_problems(found, "img"))
    alt = found[1400]["seed"]["alt"]
    assert alt.startswith("Computational graph of seed_example: v₋₁ = x₁ = 3, v̄₋₁ = −4.333;") and "y = v₄" in alt
    more = 400 + 1 - graph.ALT_NODES  # 400 rows and the output y
    assert f"and {more} more, listed under “The graph as text”" in found[1400]["ops400"]["alt"]


# What an untrusted lesson shows before running: its trace tables (left-aligned), its graphs as loaded images,
# the explorers' saved views, and no text of a stripped <svg> or of a widget's repr.
LESSON_BEFORE_RUNNING = r"""() => {
    const node = window.jupyterapp.shell.currentWidget.content.node;
    const trusted = node.querySelectorAll('.jp-OutputArea-output.jp-mod-trusted').length;
    const shown = element => element.getClientRects().length > 0;
    const cells = Array.from(node.querySelectorAll('.adlab-trace td')).filter(shown);
    const images = Array.from(node.querySelectorAll('.jp-OutputArea-output .adlab-graph img')).filter(shown);
    const texts = Array.from(node.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText);
    return {
        tables: Array.from(node.querySelectorAll('.adlab-trace table')).filter(shown).length,
        rightAligned: cells.filter(td => getComputedStyle(td).textAlign !== 'left').length,
        graphs: images.length, unloaded: images.filter(img => !(img.complete && img.naturalWidth > 0)).length,
        trusted, savedExplorers: Array.from(node.querySelectorAll('.adlab-explorer-saved')).filter(shown).length,
        strayText: texts.filter(t => /<svg|Explorer\(children|digraph \{/.test(t)).length,
    };
}"""


def test_an_untrusted_lesson_copy_shows_its_tables_graphs_and_explorers_before_running(page, lab):
    """Issue 20's hub copy: lesson 1 as `adlab lessons` writes it, unsigned, opened and never run."""
    path = f"hub-copy/{lesson_paths()[0].name}"
    assert page.evaluate(OPEN, path) == {"trusted": False}
    try:
        page.set_viewport_size({"width": 1280, "height": 4000})
        page.wait_for_function("() => Array.from(document.querySelectorAll('.jp-OutputArea-output .adlab-graph img'))"
                               ".some(img => img.complete && img.getClientRects().length)", timeout=20_000)
        seen = page.evaluate(LESSON_BEFORE_RUNNING)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    screenshot_whole_notebook(page, ARTIFACTS / "lesson01-untrusted-before-running.jpg")
    assert seen["tables"] >= 3 and seen["graphs"] >= 1 and seen["savedExplorers"] >= 1, seen
    assert seen["trusted"] == seen["rightAligned"] == seen["unloaded"] == seen["strayText"] == 0, seen
    assert page.evaluate(BROKEN_IMAGES) == 0


def test_a_trusted_notebook_shows_the_inline_svg(page, lab):
    """Signed (or run): the inline <svg>, whose text is real text, measured as the brief asks."""
    assert page.evaluate(OPEN, "trusted.ipynb") == {"trusted": True}
    found = measure_at_widths(page, "trusted")
    screenshot_whole_notebook(page, ARTIFACTS / "graphs-trusted-whole.jpg")
    assert not readable_problems(found, "svg"), "\n".join(readable_problems(found, "svg"))


ZOOM = """async ([name, index]) => {
    const graph = window.jupyterapp.shell.currentWidget.content.node.querySelectorAll('.adlab-graph')[index];
    const picture = () => Array.from(graph.querySelectorAll('img.adlab-graph-static, .adlab-graph-live svg'))
        .find(element => element.getClientRects().length > 0);
    const scroll = graph.querySelector('.adlab-graph-scroll');
    const state = () => ({width: picture().getBoundingClientRect().width, box: scroll.clientWidth,
                          scrolls: scroll.scrollWidth > scroll.clientWidth + 1});
    const summary = graph.querySelector('.adlab-graph-zoom > summary');
    const before = state();
    summary.click();
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const zoomedOut = state();
    summary.click();
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return {before, zoomedOut, after: state()};
}"""


@pytest.mark.parametrize("path", ["untrusted.ipynb", "trusted.ipynb"])
def test_the_zoom_switch_fits_the_whole_graph_and_back(page, lab, path):
    page.evaluate(OPEN, path)
    zoom = page.evaluate(ZOOM, ["ops40", list(GRAPHS).index("ops40")])
    assert zoom["before"]["scrolls"] and zoom["before"]["width"] > zoom["before"]["box"], zoom
    assert not zoom["zoomedOut"]["scrolls"] and zoom["zoomedOut"]["width"] <= zoom["zoomedOut"]["box"] + 1, zoom
    assert zoom["after"] == zoom["before"], zoom


# The 400-operation graph is left out: the same markup as the 40's, ten times over (and ten times the time).
AXE = """async (skip) => {
    const graphs = Array.from(window.jupyterapp.shell.currentWidget.content.node.querySelectorAll('.adlab-graph'))
        .filter((graph, k) => k !== skip);
    const result = await axe.run(graphs);
    return {
        violations: result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(
            v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')}`),
        passed: result.passes.map(rule => rule.id),
    };
}"""



@pytest.mark.parametrize("path", ["untrusted.ipynb", "trusted.ipynb"])
def test_the_graphs_pass_an_axe_core_audit(page, lab, path):
    page.evaluate(OPEN, path)
    page.evaluate("""() => document.querySelectorAll('.adlab-graph-text').forEach(d => { d.open = true; })""")
    page.add_script_tag(path=str(axe_script()))
    audit = page.evaluate(AXE, list(GRAPHS).index("ops400"))
    assert not audit["violations"], "\n".join(audit["violations"])
    # the text alternative of the form shown was checked: the <img>'s alt, or the <svg>'s <title>
    assert ("image-alt" if path == "untrusted.ipynb" else "svg-img-alt") in audit["passed"], audit["passed"]


def test_notebook_7_shows_the_untrusted_graphs(browser, lab):
    """The other front-end students meet: the same sanitizer, so the same <img>."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{lab.url}/notebooks/untrusted.ipynb?token={lab.token}")
        page.wait_for_selector(".jp-OutputArea-output .adlab-graph img", timeout=60_000)
        page.wait_for_function("""() => Array.from(document.querySelectorAll('.adlab-graph img'))
                                     .every(img => img.complete)""", timeout=20_000)
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-OutputArea-output .adlab-graph')).map(
            graph => ({loaded: graph.querySelector('img').naturalWidth > 0,
                       visible: graph.querySelector('img').getClientRects().length > 0,
                       stray: graph.querySelector('.adlab-graph-live').getClientRects().length > 0}))""")
        page.screenshot(path=str(ARTIFACTS / "graphs-untrusted-notebook7.jpg"), type="jpeg", quality=80)
    finally:
        page.close()
    assert shown == [{"loaded": True, "visible": True, "stray": False}] * len(GRAPHS), shown
