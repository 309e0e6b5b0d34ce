"""The classroom commands (hub-link, course-repo, progress), slides, and every command in docs/teaching.md.

docs/teaching.md's ```bash and ```python blocks run here, in order, in one temporary folder
(with a copy of lesson 1 and a small class of student folders); a block marked
`<!-- run by tests/test_X.py -->` is run by that test instead, and each of its commands must
appear there. The `%trace` lines of the live-session script run in an IPython shell.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from adlab import cli
from adlab.classroom import format_progress_table, hub_link, progress_table, write_course_repo
from adlab.course import lesson_paths
from classroom_support import exercise_lesson, tagged

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teaching.md"
BIN = Path(sys.executable).parent


# -- hub links ---------------------------------------------------------------------------------


def test_hub_link_is_nbgitpullers_link(capsys):
    assert cli.main(["hub-link", "--hub", "https://hub.example.edu/", "--repo",
                     "https://github.com/adlab-course/course.git", "--branch", "main",
                     "--lesson", "01_evaluation_trace.ipynb"]) == 0
    link = capsys.readouterr().out.strip()
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert parse_qs(parts.query) == {"repo": ["https://github.com/adlab-course/course.git"], "branch": ["main"],
                                     "urlpath": ["lab/tree/course/01_evaluation_trace.ipynb"],
                                     "targetpath": ["course"]}
    bare = parse_qs(urlsplit(hub_link("http://127.0.0.1:8000", "file:///srv/course")).query)
    assert bare == {"repo": ["file:///srv/course"], "urlpath": ["lab/tree/course"], "targetpath": ["course"]}
    assert cli.main(["hub-link", "--hub", "hub.example.edu", "--repo", "x"]) == 2
    assert "http" in capsys.readouterr().err


# -- the course repository -----------------------------------------------------------------------


def test_course_repo_has_student_copies_and_commits(tmp_path, capsys):
    lesson = exercise_lesson(tmp_path / "lessons")
    written, commit = write_course_repo(tmp_path / "course", lessons=[lesson])
    assert commit and written == [tmp_path / "course" / lesson.name]
    text = written[0].read_text()
    assert "BEGIN SOLUTION" not in text and "# YOUR CODE HERE" in text
    git = lambda *args: subprocess.run(["git", "-C", str(tmp_path / "course"), *args], capture_output=True,
                                       text=True, check=True).stdout
    assert set(git("ls-files").split()) == {lesson.name, "README.md", ".gitignore"}
    assert ".adlab-progress.json" in (tmp_path / "course" / ".gitignore").read_text()
    assert write_course_repo(tmp_path / "course", lessons=[lesson])[1] is None  # nothing changed
    assert git("status", "--porcelain") == ""


def test_nbgrader_source_command(tmp_path, capsys):
    assert cli.main(["nbgrader-source", str(tmp_path / "grading")]) == 0
    out = capsys.readouterr().out
    graded = [p for p in lesson_paths() if any(tagged(c, "check") for c in nbformat.read(p, as_version=4).cells)]
    for path in graded:
        source = tmp_path / "grading" / "source" / path.stem / path.name
        assert str(source) in out
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            graded = tagged(cell, "check") or tagged(cell, "solution") and cell.cell_type == "code"
            assert ("nbgrader" in cell.metadata) == graded
    config = tmp_path / "grading" / "nbgrader_config.py"
    config.write_text(config.read_text() + "# mine\n")
    assert cli.main(["nbgrader-source", str(tmp_path / "grading")]) == 0
    assert config.read_text().endswith("# mine\n")  # the instructor's config is kept


# -- progress ------------------------------------------------------------------------------------


def write_progress(folder, exercises):
    folder.mkdir(parents=True, exist_ok=True)
    entries = {e: {"attempts": a, "status": "done" if solved else "wrong", "solved": solved}
               for e, (a, solved) in exercises.items()}
    (folder / ".adlab-progress.json").write_text(json.dumps({"version": 1, "exercises": entries}))


def make_class(root):
    """Four students: progress in their lesson folders (one has two folders), one has tried nothing."""
    write_progress(root / "ada" / "course", {"1.1": (1, True), "1.2": (3, False), "10.1": (1, True)})
    write_progress(root / "ada" / "old-copy" / "lessons", {"1.2": (1, True)})  # solved later elsewhere
    write_progress(root / "grace" / "course", {"1.1": (2, False), "2.1": (1, True)})
    write_progress(root / "alan", {"1.1": (1, True)})
    (root / "emmy" / "course").mkdir(parents=True)
    (root / "broken" / "course").mkdir(parents=True)
    (root / "broken" / "course" / ".adlab-progress.json").write_text("{not json")
    return [root / name for name in ("ada", "alan", "broken", "emmy", "grace")]


def test_progress_table_of_a_class(tmp_path, capsys):
    students = make_class(tmp_path / "class")
    exercises, rows = progress_table(students)
    assert exercises == ["1.1", "1.2", "2.1", "10.1"]  # natural order
    table = {name: [cells[e] for e in exercises] for name, cells in rows}
    assert table == {"ada": ["done", "done", "not tried", "done"],
                     "alan": ["done", "not tried", "not tried", "not tried"],
                     "broken": ["not tried"] * 4, "emmy": ["not tried"] * 4,
                     "grace": ["wrong", "not tried", "done", "not tried"]}
    assert cli.main(["progress", *map(str, students)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].split() == ["student", "1.1", "1.2", "2.1", "10.1", "done"]
    assert lines[2].split() == ["ada", "done", "done", "not", "tried", "done", "3/4"]
    assert lines[-1].split() == ["done", "2/5", "1/5", "1/5", "1/5"]
    assert text == format_progress_table(exercises, rows)
    assert cli.main(["progress", "--csv", *map(str, students)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["student,1.1,1.2,2.1,10.1", "ada,done,done,not tried,done"]
    assert cli.main(["progress", str(tmp_path / "nobody")]) == 1
    assert cli.main(["progress", str(tmp_path / "class" / "emmy")]) == 0
    assert "no progress recorded yet" in capsys.readouterr().out


# -- the guide -----------------------------------------------------------------------------------


def guide_blocks():
    """(language, code, the test that runs it or None) for each fenced block of the guide."""
    text = GUIDE.read_text()
    pattern = re.compile(r"(?:<!-- run by (tests/\S+) -->\n)?```(\w+)\n(.*?)```", re.S)
    return [(m.group(2), m.group(3), m.group(1)) for m in pattern.finditer(text)]


def test_guide_course_map_names_real_lessons():
    text = GUIDE.read_text()
    rows = re.findall(r"^\| `(\d\d_\w+)` \| (\d+) \|", text, re.M)
    assert sorted(stem for stem, _ in rows) == sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    for stem, minutes in rows:
        path = ROOT / "lessons" / f"{stem}.ipynb"
        assert path.exists(), stem
        first = nbformat.read(path, as_version=4).cells[0].source
        assert re.search(rf"about {minutes} minutes", first), (stem, minutes)


def test_guide_blocks_run_by_other_tests_name_their_commands():
    for language, code, runner in guide_blocks():
        if runner is None:
            continue
        source = (ROOT / runner).read_text()
        for line in code.splitlines():
            line = line.split("#")[0].strip()
            if language == "bash" and line:
                program = line.split()[0]
                assert program in source or line in source, (runner, line)
            elif language == "python" and line and not line.startswith("c = get_config"):
                assert line.split("=")[0].strip() in source, (runner, line)


def test_guide_commands_run(tmp_path):
    """Each ```bash block of the guide, in order, in one folder; ```python blocks too; then the results."""
    (tmp_path / "lessons").mkdir()
    shutil.copy(ROOT / "lessons" / "01_evaluation_trace.ipynb", tmp_path / "lessons")
    make_class(tmp_path / "class")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", ADLAB_PROGRESS="0")
    outputs = []
    for language, code, runner in guide_blocks():
        if runner is not None or language not in ("bash", "python"):
            continue
        if language == "python":
            exec(compile(code, str(GUIDE), "exec"), {"__name__": "guide"})  # in tmp_path: see the chdir below
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{code}\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout)
    joined = "\n".join(outputs)
    assert (tmp_path / "my-lessons" / "01_evaluation_trace.ipynb").exists()
    assert (tmp_path / "course" / ".git").exists() and "Course update" in joined
    assert "https://hub.example.edu/hub/user-redirect/git-pull?repo=" in joined
    assert re.search(r"^grace\s+wrong", joined, re.M)
    slides = (tmp_path / "lessons" / "01_evaluation_trace.slides.html").read_text()
    assert "reveal" in slides and "Lesson 1" in slides
    assert (tmp_path / "table3.tex").read_text().count(r"\begin{tabular}") == 1


@pytest.fixture(autouse=True)
def _in_tmp(request, tmp_path, monkeypatch):
    if request.node.name == "test_guide_commands_run":
        monkeypatch.chdir(tmp_path)


# -- slides --------------------------------------------------------------------------------------


def test_lesson_slides_have_a_section_per_slide(tmp_path):
    lesson = ROOT / "lessons" / "01_evaluation_trace.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    slides = sum(c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in notebook.cells)
    result = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "slides", str(lesson), "--output-dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "01_evaluation_trace.slides.html").read_text()
    # reveal.js: one outer <section> per slide (sub-slides nest inside)
    outer = len(re.findall(r"<section>\s*<section>", html))
    assert outer >= max(1, slides), (outer, slides)
    for cell in notebook.cells:
        if cell.metadata.get("slideshow", {}).get("slide_type") == "slide" and cell.cell_type == "markdown":
            heading = cell.source.splitlines()[0].lstrip("#").strip()
            assert heading.split("·")[-1].strip()[:20] in html


# -- the session script's %trace lines ------------------------------------------------------------


def test_live_session_magics_run():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    text = GUIDE.read_text()
    script = text[text.index("## A 50-minute live session"):text.index("## Misconceptions")]
    lines = re.findall(r"`(%[^`]+)`", script)
    assert sum(line.startswith("%trace") for line in lines) >= 5
    shell = InteractiveShell.instance()
    try:
        for line in lines:
            if line.startswith("%trace") and "…" in line:
                continue
            name, _, rest = line[1:].partition(" ")
            with capture_output() as captured:
                value = shell.run_line_magic(name, rest)
            assert "Error" not in captured.stdout + captured.stderr, (line, captured.stderr)
            if name == "trace":
                assert value is not None, line
    finally:
        shell.run_line_magic("unload_ext", "adlab")
