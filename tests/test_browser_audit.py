"""Every lesson as a student first meets it, in JupyterLab in Chromium: the student copy that `adlab lessons`
writes, opened, saved untouched, then Run All, audited by axe-core and looked at in three window widths.

For each lesson, in one JupyterLab server and one page (each lesson runs once):

- opening it marks nothing changed, and saving it untouched (Ctrl+S) leaves the file byte for byte as it
  was: nbgitpuller and `adlab lessons` see no student change (tests/jupyterlab_format.py says what JupyterLab
  would rewrite, and test_lessons_are_stored_as_jupyterlab_saves_them checks the files without a browser);
- before running: no broken-image icon, no widget marked with the broken-link glyph (a saved view with no
  kernel) and no output reading `Ellipsis`;
- after Run All: every cell ran, no error, no "Error displaying widget", no `Ellipsis`, traces as HTML tables
  and graphs as <svg> (browser_support.problems);
- axe-core (from npm, injected into the page) finds no serious or critical violation in the notebook's cells
  and outputs: before running, and after Run All at each width;
- at 1024, 1400 and 1920 px: no element wider than its cell unless it scrolls, graph labels drawn at 9 px or more
  unless the graph scrolls, every explorer's controls shown with its readout a number ("3 of 6"), and
  no printed line that wraps (mid-expression, as Lesson 10's did: issue 23); screenshots in test-artifacts/audit/ (the whole lesson at
  1024 px, its top at each width).

This is the only test that runs every lesson in the browser (tests/test_browser.py drives the explorer,
the README's magics and an exercise): each lesson runs once, in one server and one page.

The audit covers the notebook's cells and what the course puts in them, not JupyterLab's own interface: not
the cell list itself (axe-core reports a critical violation there in every notebook: role=feed, whose cells
lack role=article), nor, inside the cells, the prompts, editors and toolbars that JupyterLab draws
(JUPYTERLAB_UI). Those are JupyterLab's to fix; no lesson can change them. Likewise ipywidgets' own slider
handles (IPYWIDGETS).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from browser_support import BROKEN_LINK_MARKS, CLOSE, HEIGHT, JupyterLab, axe_script, cells, open_lab, problems
from jupyterlab_format import differences, installed_kernelspec
from course import MAY_WRAP

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = REPO / "test-artifacts" / "audit"
WIDTHS = (1024, 1400, 1920)
RUN_TIMEOUT = 300_000  # milliseconds for one lesson's Run All

# JupyterLab's own interface inside the cells: prompts, editors, toolbars, collapsers. Not the course's to fix;
# axe-core is told to leave them out (and runs on the cells, not on JupyterLab's list of them).
JUPYTERLAB_UI = [".jp-InputArea-prompt", ".jp-OutputArea-prompt", ".jp-InputArea-editor", ".jp-Toolbar",
                 ".jp-Collapser", ".jp-cell-toolbar", ".jp-cell-menu"]

# ipywidgets' own controls, drawn the same in any notebook: (axe rule, why it is not the course's to fix).
IPYWIDGETS = {
    "aria-input-field-name": "ipywidgets 8 draws a slider's handle (noUiSlider) as role=slider without an accessible "
                             "name: its description label is not linked to the handle (noUiSlider issue 1223)",
}


# Printed lines that may wrap in a narrow window: what the exercise framework prints (a student's numbers), and
# source text printed to be copied, which keeps its long lines. Anything else a lesson prints must fit at 1024 px.




# -- without a browser: the files as JupyterLab saves them ----------------------------------------------


def test_lessons_are_stored_as_jupyterlab_saves_them():
    """Opening a lesson marks it changed, and saving it rewrites it, unless its kernelspec is the installed
    kernel's and it holds no whole float (see jupyterlab_format.py; `python tests/jupyterlab_format.py
    lessons/*.ipynb` fixes both after a re-execution)."""
    pytest.importorskip("jupyter_client")
    spec = installed_kernelspec()
    report = [f"{lesson.name}: {line}" for lesson in LESSONS for line in differences(lesson, spec)]
    assert not report, "\n".join(report)


# -- in the browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """A JupyterLab whose root holds the student copies, written and signed as `adlab lessons DIR` does."""
    from adlab.course import write_student_copies

    server = JupyterLab(tmp_path_factory.mktemp("audit"))
    write_student_copies(server.root / "copies", lessons=LESSONS)
    for path in (server.root / "copies").glob("*.ipynb"):
        _record_this_python(path)
    yield server
    server.stop()


def _record_this_python(path):
    """The lessons record the Python that executed them; JupyterLab rewrites that under another Python, which
    no file can prevent (see jupyterlab_format.py). The copies get this machine's version, as if executed here."""
    text = path.read_text(encoding="utf-8")
    version = ".".join(map(str, sys.version_info[:3]))
    path.write_text(re.sub(r'("pygments_lexer": "ipython3",\n\s*"version": ")[^"]*"', rf'\g<1>{version}"', text),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def page(browser, lab):
    page = open_lab(browser, lab)
    page.add_script_tag(path=str(axe_script()))
    yield page
    page.close()


OPEN = """async (path) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    await panel.sessionContext.ready;
    await panel.sessionContext.session.kernel.info;   // JupyterLab writes kernelspec and language_info now
    await new Promise(resolve => setTimeout(resolve, 1000));
    app.shell.activateById(panel.id);
    panel.content.node.setAttribute('data-audit', 'notebook');
    return {id: panel.id, dirty: panel.context.model.dirty};
}"""

WINDOWING_MODE = "() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode"

RUN_ALL = """async ([id, timeout]) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main')).find(w => w.id === id);
    const tooLate = new Promise((_, reject) => setTimeout(() => reject(new Error(
        `Run All took more than ${timeout} ms`)), timeout));
    await Promise.race([app.commands.execute('notebook:run-all-cells'), tooLate]);
    const kernel = panel.sessionContext.session.kernel;
    while (kernel.status !== 'idle') { await new Promise(resolve => setTimeout(resolve, 100)); }
}"""

WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll(
        '[data-audit] .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]'))
    .every(output => output.querySelector('.jupyter-widgets') || output.textContent.includes('Error displaying widget'))"""

# What a reader sees wrong in the cells: broken images, widgets marked with no kernel behind them (the broken-link
# glyph), `Ellipsis` outputs, errors, widgets that failed.
SEEN = """() => {
    const notebook = document.querySelector('[data-audit]');
    const panel = window.jupyterapp.shell.currentWidget;
    const brokenLinkMarks = """ + BROKEN_LINK_MARKS + """;
    const found = [];
    panel.content.widgets.forEach((cell, k) => {
        const where = `cell ${k} (${JSON.stringify(cell.model.sharedModel.getSource().slice(0, 40))}…)`;
        cell.node.querySelectorAll('img').forEach(img => {
            if (img.complete && img.naturalWidth === 0) {
                found.push({where, what: 'broken image', detail: (img.getAttribute('src') || '').slice(0, 60),
                            owner: img.closest('.jp-OutputArea-output')?.querySelector('.widget-play') ? 'explorer' : ''});
            }
        });
        if (cell.model.type !== 'code') return;
        const tags = cell.model.getMetadata('tags') || [];
        cell.node.querySelectorAll('.jp-OutputArea-output').forEach(output => {
            const text = output.textContent;
            if (/^\\s*Ellipsis\\s*$/m.test(text)) found.push({where, what: 'prints Ellipsis', detail: ''});
            if (text.includes('Error displaying widget')) found.push({where, what: 'Error displaying widget', detail: ''});
            const marks = brokenLinkMarks(output).length;
            if (marks) found.push({where, what: 'broken-link widget mark', detail: `(${marks}: a widget view with no kernel)`});
        });
        if (!tags.includes('raises-exception')) {
            cell.model.outputs.toJSON().filter(o => o.output_type === 'error')
                .forEach(o => found.push({where, what: 'error', detail: `${o.ename}: ${o.evalue}`.slice(0, 200)}));
        }
    });
    return found;
}"""

AUDIT = """async (exclude) => {
    const result = await axe.run({include: [['[data-audit] .jp-Cell']],
                                  exclude: exclude.map(s => ['[data-audit] ' + s])},
                                 {resultTypes: ['violations']});
    const owner = node => {
        const element = document.querySelector(node.target[0]);
        if (!element) return '';
        const output = element.closest('.jp-OutputArea-output');
        if (output && output.querySelector('.widget-play')) return 'explorer';
        if (element.closest('svg') && element.closest('svg').querySelector('g.graph')) return 'graph';
        if (element.closest('.jupyter-widgets')) return 'ipywidgets';
        return '';
    };
    return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').flatMap(v =>
        v.nodes.map(node => ({rule: v.id, impact: v.impact, help: v.help, target: node.target.join(' '),
                              html: node.html.slice(0, 160), owner: owner(node)})));
}"""

# Elements wider than their cell that do not scroll: each element whose box leaves its cell's box, unless an
# ancestor inside the cell scrolls sideways and itself fits the cell. SVG internals are judged by their <svg>.
TOO_WIDE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    const scrolls = element => ['auto', 'scroll'].includes(getComputedStyle(element).overflowX);
    const clips = element => getComputedStyle(element).overflowX !== 'visible';
    panel.content.widgets.forEach((cell, k) => {
        const box = cell.node.getBoundingClientRect();
        const inside = r => r.left >= box.left - 1 && r.right <= box.right + 1;
        for (const element of cell.node.querySelectorAll('.jp-OutputArea-output *, .jp-RenderedMarkdown *')) {
            if (element.closest('svg') && element.tagName.toLowerCase() !== 'svg') continue;
            if (getComputedStyle(element).visibility === 'hidden') continue;  // the explorer's invisible size reserve
            const r = element.getBoundingClientRect();
            if (r.width === 0 || inside(r)) continue;
            // fine inside a box that scrolls and fits the cell (a wide scrolling box may sit in another one)
            let clipper = element.parentElement, ok = false;
            for (; clipper && clipper !== cell.node; clipper = clipper.parentElement) {
                if (!clips(clipper)) continue;
                if (!scrolls(clipper)) break;  // clipped without a scrollbar: cut off
                if (inside(clipper.getBoundingClientRect())) { ok = true; break; }
            }
            if (!ok) {
                const output = element.closest('.jp-OutputArea-output');
                found.push({what: 'too wide', owner: output && output.querySelector('.widget-play') ? 'explorer' : '',
                            text: `cell ${k}: <${element.tagName.toLowerCase()} class="${element.getAttribute('class') || ''}">`
                                  + ` ${Math.round(r.width)} px wide, cell ${Math.round(box.width)} px`
                                  + (clipper && clipper !== cell.node ? ' (cut off, no scrollbar)' : '')});
                break;   // one per cell is enough to find it
            }
        }
    });
    return found;
}"""


# Graph labels drawn under MIN_LABEL_PX (font size times the drawing's scale) at default zoom, unless the graph's box scrolls (issue 23: text never
# shrinks below readable; a large graph scrolls instead); and explorers whose controls are hidden or whose
# step readout is not "k of n" (the slider giving numbers at every width).
MIN_LABEL_PX = 9
READABLE = r"""(minimum) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    const shown = element => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
    const scrolled = element => {
        for (let box = element.parentElement; box; box = box.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX) && box.scrollWidth > box.clientWidth + 1)
                return true;
            if (box.classList.contains('jp-OutputArea-output')) return false;
        }
        return false;
    };
    panel.content.widgets.forEach((cell, k) => {
        for (const svg of cell.node.querySelectorAll('.jp-OutputArea-output svg')) {
            if (!svg.querySelector('g.graph') || !shown(svg) || scrolled(svg)) continue;
            // the font size as drawn: the text's own size times the scale the SVG is drawn at (its screen matrix)
            const sizes = Array.from(svg.querySelectorAll('g.node text')).filter(shown).map(t => {
                const m = t.getScreenCTM();
                return parseFloat(getComputedStyle(t).fontSize) * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
            }).filter(size => size > 0);
            const smallest = Math.min(...sizes);
            if (sizes.length && smallest < minimum)
                found.push(`cell ${k}: graph labels ${smallest.toFixed(1)} px, under ${minimum} px, and it does not scroll`);
        }
        for (const steps of cell.node.querySelectorAll('.jp-OutputArea-output .adlab-steps')) {
            const controls = Array.from(steps.querySelectorAll('button, input[type=range]'));
            const hidden = controls.filter(c => !shown(c) || c.getBoundingClientRect().width < 8);
            const readout = steps.querySelector('output');
            if (hidden.length) found.push(`cell ${k}: ${hidden.length} explorer control(s) hidden or squeezed`);
            if (!readout || !/^\d+ of \d+$/.test(readout.textContent))
                found.push(`cell ${k}: the explorer's step readout is ${JSON.stringify(readout && readout.textContent)}`);
        }
    });
    return found;
}"""


# Printed lines that the output area wraps: a stream output taller than its lines.
WRAPPED = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    panel.content.widgets.forEach((cell, k) => {
        cell.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"] pre')
            .forEach(pre => {
                const lines = pre.textContent.replace(/\\n$/, '').split('\\n');
                const height = parseFloat(getComputedStyle(pre).lineHeight);
                const shown = Math.round(pre.getBoundingClientRect().height / height);
                if (shown > lines.length) {
                    const longest = lines.reduce((a, b) => a.length >= b.length ? a : b);
                    found.push({longest, text: `cell ${k}: ${shown - lines.length} wrapped, longest line `
                                               + `${longest.length} characters: ${JSON.stringify(longest.slice(0, 90))}`});
                }
            });
    });
    return found;
}"""


def wait_saved(path, before, timeout=15):
    """Wait until JupyterLab has written the file (its modification time moves)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.stat().st_mtime_ns != before:
            time.sleep(0.3)  # let the write finish
            return True
        time.sleep(0.1)
    return False


def whole_notebook(page, path, width):
    """A JPEG of the open notebook top to bottom at this window width (it scrolls inside the notebook, not the page)."""
    height = page.evaluate("""() => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        const outer = notebook.node.querySelector('.jp-WindowedPanel-outer'), box = outer.getBoundingClientRect();
        const last = notebook.widgets[notebook.widgets.length - 1].node.getBoundingClientRect();
        return box.top + (last.bottom - box.top + outer.scrollTop + 16) + (window.innerHeight - box.bottom);
    }""")
    page.set_viewport_size({"width": width, "height": min(int(height) + 8, 16_000)})
    page.evaluate("""() => { window.jupyterapp.shell.currentWidget.content.node
        .querySelector('.jp-WindowedPanel-outer').scrollTop = 0; }""")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), type="jpeg", quality=80)


def settle(page, width):
    page.set_viewport_size({"width": width, "height": HEIGHT})
    page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
    page.wait_for_timeout(400)  # widgets and JupyterLab's panels lay out again after a resize


@pytest.mark.browser
@pytest.mark.parametrize("lesson", LESSONS, ids=[path.stem for path in LESSONS])
def test_student_copy_opens_clean_runs_and_passes_the_audit(page, lab, lesson):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = lab.root / "copies" / lesson.name
    original = path.read_bytes()
    report = []

    opened = page.evaluate(OPEN, f"copies/{lesson.name}")
    try:
        if opened["dirty"]:
            report.append("marked changed (unsaved-changes dot) as soon as it opened")
        report += [f"before running, {s['where']}: {s['what']} {s['detail']}" for s in page.evaluate(SEEN)]
        report += [f"before running, {line}" for line in accessibility(page)]

        modified = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        if not wait_saved(path, modified):
            report.append("Ctrl+S did not save it")
        elif path.read_bytes() != original:
            report.append("saving it untouched changed the file: " + "; ".join(_changed_lines(original, path.read_bytes())))

        page.evaluate(RUN_ALL, [opened["id"], RUN_TIMEOUT])
        page.wait_for_function(WIDGETS_RENDERED, timeout=30_000)
        report += [f"after Run All, {s['where']}: {s['what']} {s['detail']}" for s in page.evaluate(SEEN)]
        assert page.evaluate(WINDOWING_MODE) == "none"  # every cell is in the page, so every output is checked
        report += [f"cell {k} ({cell['source'][:40]!r}…): {problem}"
                   for k, cell in enumerate(cells(page)) for problem in problems(cell)]

        for width in WIDTHS:
            settle(page, width)
            report += [f"at {width} px, {line}" for line in accessibility(page)]
            report += [f"at {width} px, {w['text']}" for w in page.evaluate(TOO_WIDE)]
            report += [f"at {width} px, {problem}" for problem in page.evaluate(READABLE, MIN_LABEL_PX)]
            report += [f"at {width} px, a printed line wraps mid-line: {w['text']}"
                       for w in page.evaluate(WRAPPED) if not MAY_WRAP.search(w["longest"])]
            page.screenshot(path=str(ARTIFACTS / f"{lesson.stem}-{width}-top.jpg"), type="jpeg", quality=80)
        whole_notebook(page, ARTIFACTS / f"{lesson.stem}-1024.jpg", 1024)
    finally:
        page.set_viewport_size({"width": 1280, "height": HEIGHT})
        page.evaluate(CLOSE, opened["id"])
    assert not report, "\n".join(report)


def accessibility(page):
    """axe-core's serious and critical violations in the open notebook's cells, one line each (IPYWIDGETS' waived)."""
    lines = []
    for v in page.evaluate(AUDIT, JUPYTERLAB_UI):
        if v["owner"] == "ipywidgets" and v["rule"] in IPYWIDGETS:
            continue
        lines.append(f"axe {v['impact']} {v['rule']} ({v['help']}): {v['target']} {v['html']}"
                     + (f" (in {v['owner']}'s output)" if v["owner"] else ""))
    return lines


def _changed_lines(before, after):
    """The first few lines that differ, for the failure message."""
    import difflib

    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line.strip() for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")][:6]
