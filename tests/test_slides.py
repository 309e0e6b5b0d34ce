"""A lesson's slides with the network off: RISE in JupyterLab, in Chromium, math typeset.

docs/teaching.md says to present with RISE (reveal.js from the jupyterlab-rise package, MathJax
from JupyterLab) after choosing a theme whose fonts are built in; this test does what the guide
says: it runs the guide's settings block (`mkdir`, `cd`, `test -e` or write the theme) in a
temporary home, starts JupyterLab on 127.0.0.1 with those settings, and opens lesson 1's slides
in a Chromium that cannot reach anything else (host names do not resolve, and every request not
to 127.0.0.1 is aborted and recorded: one is a failure, since the slides asked the internet for it). It checks the title slide and the next
one: reveal.js shows them, their math is MathJax output and no `$…$` is left in their text.
Screenshots: test-artifacts/slides_01_*.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from browser_support import chromium, JupyterLab
from classroom_support import guide_script

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons" / "01_evaluation_trace.ipynb"
ARTIFACTS = REPO / "test-artifacts"
SLIDE_TIMEOUT = 90_000  # milliseconds for RISE to load and typeset a slide on a busy machine
# Chromium's own resolver knows only 127.0.0.1: a request that slipped past the route still goes nowhere.
NO_NETWORK = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

# The slide on screen: its text (markdown cells only: code may hold `$` or `_{`), its math and its size.
PRESENT_SLIDE = """() => {
    const slide = document.querySelector('.reveal .slides section.present:not(.stack)');
    const box = slide.getBoundingClientRect();
    const markdown = Array.from(slide.querySelectorAll('.jp-MarkdownOutput'));
    return {
        heading: (slide.querySelector('h1, h2, h3') || {}).textContent || '',
        markdownText: markdown.map(m => m.innerText).join('\\n'),
        math: slide.querySelectorAll('.jp-MarkdownOutput mjx-container').length,
        left: box.left, right: box.right, width: box.width, height: box.height, windowWidth: window.innerWidth,
        revealReady: document.querySelector('.reveal.ready') !== null,
    };
}"""

SHOWS_HEADING = """(heading) => {
    const slide = document.querySelector('.reveal .slides section.present:not(.stack)');
    return slide !== null && (slide.querySelector('h1, h2, h3') || {}).textContent?.includes(heading);
}"""

# Slides move in with a transition: the slide is in place once its box, inside the window, stays put
# between two polls.
IN_PLACE = """() => {
    const slide = document.querySelector('.reveal .slides section.present:not(.stack)');
    if (!slide) return false;
    const box = slide.getBoundingClientRect();
    const key = [box.left, box.top, box.width, box.height].map(Math.round).join();
    const steady = window.slidesTestLastBox === key;
    window.slidesTestLastBox = key;
    return steady && box.left >= 0 && box.right <= window.innerWidth + 1 && box.height > 0;
}"""

# Typesetting is asynchronous: wait until the slide shows math and no TeX delimiters are left.
TYPESET = """() => {
    const slide = document.querySelector('.reveal .slides section.present:not(.stack)');
    if (!slide) return false;
    const markdown = Array.from(slide.querySelectorAll('.jp-MarkdownOutput'));
    return markdown.some(m => m.querySelector('mjx-container'))
        && !markdown.some(m => /\\$|\\\\\\(|\\\\\\[/.test(m.innerText));
}"""

RAW_TEX = re.compile(r"\$|\\\(|\\\[|\\(?:ln|frac|dots|bar|dot|times)\b")


def first_slides(notebook, count=2):
    """Heading and source of the lesson's first horizontal slides, each up to its first subslide."""
    slides, current = [], None
    for cell in notebook.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind == "slide":
            current = [cell]
            slides.append(current)
        elif kind == "subslide":
            current = None
        elif current is not None:
            current.append(cell)
    return [(s[0].source.splitlines()[0].lstrip("#").strip(), "\n".join(c.source for c in s)) for s in slides[:count]]


@pytest.fixture(scope="module")
def browser():
    with chromium(args=NO_NETWORK) as launched:
        yield launched


def test_lesson_slides_offline_with_math(browser, tmp_path):
    expected = first_slides(nbformat.read(LESSON, as_version=4))
    assert len(expected) == 2 and all("$" in source for _, source in expected)  # there is math to typeset

    # The guide's settings block, in a home of its own; JupyterLab then reads the settings it wrote.
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_CONFIG_DIR", "JUPYTERLAB_"))}
    env["HOME"] = str(home)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", guide_script(__file__, "bash")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    settings = home / ".jupyter" / "lab" / "user-settings"
    assert json.loads((settings / "jupyterlab-rise" / "plugin.jupyterlab-settings").read_text())["theme"]
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "settings").symlink_to(settings)

    lab = JupyterLab(tmp_path / "lab")
    blocked = []
    try:
        (lab.root / "lessons").mkdir()
        shutil.copy(LESSON, lab.root / "lessons")
        context = browser.new_context(viewport={"width": 1280, "height": 800})

        def local_only(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        try:
            page = context.new_page()
            page.goto(f"{lab.url}/rise/lessons/{LESSON.name}?token={lab.token}")
            seen = []
            for number, (heading, _) in enumerate(expected):
                if number:
                    page.keyboard.press("Escape")  # command mode: the arrow keys move between slides
                    page.keyboard.press("ArrowRight")
                page.wait_for_function(SHOWS_HEADING, arg=heading[:20], timeout=SLIDE_TIMEOUT)
                page.wait_for_function(TYPESET, timeout=SLIDE_TIMEOUT)
                page.wait_for_function(IN_PLACE, polling=250, timeout=SLIDE_TIMEOUT)
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"slides_01_{number + 1}.png"))
                seen.append(page.evaluate(PRESENT_SLIDE))
        finally:
            context.close()
    finally:
        lab.stop()

    assert not blocked, f"the slides asked the network for {blocked}"
    for (heading, _), slide in zip(expected, seen):
        assert slide["revealReady"], "reveal.js did not start"
        assert heading[:20] in slide["heading"].replace("\n", " "), (heading, slide["heading"])
        assert slide["width"] > 600 and slide["height"] > 200, slide  # on screen, not a collapsed element
        assert 0 <= slide["left"] and slide["right"] <= slide["windowWidth"] + 1, slide
        assert slide["math"] >= 2, slide
        assert not RAW_TEX.search(slide["markdownText"]), slide["markdownText"]
