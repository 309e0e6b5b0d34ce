"""The classroom commands (hub-link, course-repo, progress), slides, and every command in docs/teaching.md.

docs/teaching.md's ```bash and ```python blocks run here, in order, in one temporary folder
(with a copy of lesson 1 and a small class of student folders); a block marked
`<!-- run by tests/test_X.py -->` is run by that test instead, which reads it from the guide and runs
every line of it but those it names, with why, in its GUIDE_LINES_NOT_RUN (checked here). The
`%trace` lines of the live-session script run in an IPython shell.
"""

from __future__ import annotations

import importlib
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
from adlab.classroom import home_student, hub_link, tljh_system_user, write_course_repo, write_nbgrader_source
from adlab.course import MANIFEST, exercise_id as check_exercise, lesson_paths, write_student_copies
from classroom_support import exercise_lesson, new_exercise_cells, tagged

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
    assert set(git("ls-files").split()) == {lesson.name, "README.md", ".gitignore", ".adlab-released.json"}
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


def test_guide_blocks_run_by_other_tests_are_read_from_the_guide_and_run_but_for_the_lines_they_excuse():
    """A block marked `<!-- run by tests/X.py -->` is X's to run, as written: X reads each language of its
    blocks from the guide with classroom_support.guide_script, which gives it every line but those X's
    GUIDE_LINES_NOT_RUN names, each with why it is not run as written; each line named there is in X's blocks."""
    blocks = {}
    for language, code, runner in guide_blocks():
        if runner is not None:
            blocks.setdefault(runner, {}).setdefault(language, []).extend(code.splitlines())
    assert blocks, "the guide has no block marked as run by another test"
    for runner, lines in blocks.items():
        source = (ROOT / runner).read_text()
        for language in lines:
            assert f'guide_script(__file__, "{language}"' in source, \
                f"{runner} must read its {language} blocks from docs/teaching.md with guide_script(__file__, ...)"
        not_run = getattr(importlib.import_module(Path(runner).stem), "GUIDE_LINES_NOT_RUN", {})
        assert all(isinstance(why, str) and why.strip() for why in not_run.values()), f"{runner}: say why"
        excused = set(not_run) - {line for language in lines.values() for line in language}
        assert not excused, f"{runner}'s GUIDE_LINES_NOT_RUN names lines its guide blocks do not have: {excused}"


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


# -- adlab lessons: what the student wrote counts, nothing they edited is overwritten ---------------


def _instructor_lessons(folder, count=2):
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(path, folder / path.name)) for path in lesson_paths()[:count]]


def _change(path, edit):
    notebook = nbformat.read(path, as_version=4)
    edit(notebook)
    nbformat.write(notebook, path)


def _save_as_jupyterlab_does(notebook):
    """Open, run and save: outputs, counts and the metadata JupyterLab rewrites change; no source does."""
    notebook.metadata["kernelspec"] = {"name": "python3-hub", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python", "version": "3.12.1"}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                                   "version_minor": 0}}
    for count, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]


def _what(report):
    return {path.name: what for path, what in report}


def test_lessons_compare_sources_not_outputs_or_metadata(tmp_path):
    first, second = _instructor_lessons(tmp_path / "instructor")
    students = tmp_path / "ad-course"
    write_student_copies(students, [first, second], sign=False)
    _change(students / first.name, _save_as_jupyterlab_does)  # opened, run, saved: nothing written
    _change(students / second.name, _save_as_jupyterlab_does)
    again = _what(write_student_copies(students, [first, second], sign=False))
    assert again == {first.name: "up to date", second.name: "up to date"}  # nothing new upstream: nothing touched
    assert nbformat.read(students / first.name, as_version=4).metadata["kernelspec"]["name"] == "python3-hub"

    _change(first, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nAn update."))
    _change(second, lambda nb: nb.cells[-1].__setitem__("source", nb.cells[-1].source + "\n\nAn update."))
    report = _what(write_student_copies(students, [first, second], sign=False))
    assert report == {first.name: "updated (you had not changed it)", second.name: "updated (you had not changed it)"}
    assert "An update." in nbformat.read(students / first.name, as_version=4).cells[0].source
    assert not list(students.glob("*new version*"))


def test_a_new_version_only_when_both_changed_and_never_over_an_edited_one(tmp_path):
    first, second = _instructor_lessons(tmp_path / "instructor")
    students = tmp_path / "ad-course"
    write_student_copies(students, [first, second], sign=False)
    _change(students / first.name, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMine."))
    _change(students / second.name, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMine."))
    # nothing new upstream: up to date, said once and again, and nothing written beside
    for _ in range(2):
        assert set(_what(write_student_copies(students, [first, second], sign=False)).values()) == {"up to date"}
    assert not list(students.glob("*new version*"))

    # upstream changes only the outputs of lesson 2 and the prose of lesson 1
    _change(second, lambda nb: next(c for c in nb.cells if c.cell_type == "code" and c.outputs).__setitem__(
        "outputs", [nbformat.v4.new_output("stream", name="stdout", text="new output\n")]))
    _change(first, lambda nb: nb.cells[-1].__setitem__("source", nb.cells[-1].source + "\n\nUpdate 1."))
    report = _what(write_student_copies(students, [first, second], sign=False))
    assert report[second.name] == "up to date"
    assert report[first.name] == f"kept your changes; the new version is {first.stem} (new version).ipynb"
    beside = students / f"{first.stem} (new version).ipynb"
    assert "Update 1." in nbformat.read(beside, as_version=4).cells[-1].source
    assert "Mine." in nbformat.read(students / first.name, as_version=4).cells[0].source
    assert _what(write_student_copies(students, [first, second], sign=False))[first.name] == "up to date"

    # the student edits the new version; the next update goes to "(new version 2)"
    _change(beside, lambda nb: nb.cells[1].__setitem__("source", nb.cells[1].source + "\n\nMy merge."))
    _change(first, lambda nb: nb.cells[-1].__setitem__("source", nb.cells[-1].source + "\n\nUpdate 2."))
    report = _what(write_student_copies(students, [first, second], sign=False))
    assert report[first.name] == f"kept your changes; the new version is {first.stem} (new version 2).ipynb"
    assert "My merge." in nbformat.read(beside, as_version=4).cells[1].source
    assert "Update 2." in nbformat.read(students / f"{first.stem} (new version 2).ipynb", 4).cells[-1].source

    # an untouched new version is simply brought up to date
    _change(first, lambda nb: nb.cells[-1].__setitem__("source", nb.cells[-1].source + "\n\nUpdate 3."))
    report = _what(write_student_copies(students, [first, second], sign=False))
    assert report[first.name] == f"kept your changes; the new version is {first.stem} (new version 2).ipynb"
    assert not (students / f"{first.stem} (new version 3).ipynb").exists()


@pytest.mark.parametrize("manifest", [b"\xff\xfe not utf-8", b"[1, 2]", b'{"01_evaluation_trace.ipynb": 7}',
                                      b'"text"'])
def test_a_damaged_lessons_record_is_unknown_not_a_traceback(tmp_path, manifest, capsys):
    students = tmp_path / "ad-course"
    first, = _instructor_lessons(tmp_path / "instructor", 1)
    write_student_copies(students, [first], sign=False)
    _change(students / first.name, lambda nb: nb.cells[0].__setitem__("source", "# Mine"))
    (students / MANIFEST).write_bytes(manifest)
    report = _what(write_student_copies(students, [first], sign=False))
    assert report[first.name].startswith("kept your changes")  # unknown: the student's file is theirs
    assert nbformat.read(students / first.name, as_version=4).cells[0].source == "# Mine"
    assert json.loads((students / MANIFEST).read_text())  # rewritten, readable again


# -- course-repo: never publishes what it should not, and a released exercise is frozen ------------------


def _git(folder, *args):
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


def test_course_repo_refuses_a_folder_with_files_that_is_not_a_repository(tmp_path, capsys):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "grades-private.csv").write_text("student,grade\nada,4\n")
    lesson = exercise_lesson(tmp_path / "lessons")
    assert cli.main(["course-repo", str(folder), "--lessons", str(lesson.parent)]) == 1
    error = capsys.readouterr().err
    assert "is not a git repository" in error and error.count("\n") == 1
    assert not (folder / ".git").exists() and sorted(p.name for p in folder.iterdir()) == ["grades-private.csv"]

    # in the course repository itself, only adlab's files are committed
    written, _ = write_course_repo(tmp_path / "repo", lessons=[lesson])
    (tmp_path / "repo" / "grades-private.csv").write_text("student,grade\n")
    _change(lesson, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMore prose."))
    assert write_course_repo(tmp_path / "repo", lessons=[lesson])[1]
    assert "grades-private.csv" not in _git(tmp_path / "repo", "ls-files")


def test_course_repo_lessons_option_skipped_names_and_message(tmp_path, capsys):
    lessons = tmp_path / "my-lessons"
    first, second = _instructor_lessons(lessons)
    (lessons / "scratch.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (lessons / "1_short.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    assert cli.main(["course-repo", str(tmp_path / "course"), "--lessons", str(lessons)]) == 0
    out = capsys.readouterr().out
    assert "skipped (not a lesson: a lesson is named NN_name.ipynb): 1_short.ipynb, scratch.ipynb" in out
    assert _git(tmp_path / "course", "log", "-1", "--format=%s").strip() == \
        f"Course update: {first.stem}, {second.stem}"
    _change(second, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMore prose."))
    assert cli.main(["course-repo", str(tmp_path / "course"), "--lessons", str(lessons)]) == 0
    assert _git(tmp_path / "course", "log", "-1", "--format=%s").strip() == f"Course update: {second.stem}"
    assert cli.main(["course-repo", str(tmp_path / "course"), "--lessons", str(tmp_path / "nowhere")]) == 1
    assert "is not a folder of lessons" in capsys.readouterr().err


def _exercise_cells(notebook):
    return [i for i, cell in enumerate(notebook.cells) if tagged(cell, "check")]


def test_a_released_exercise_is_frozen(tmp_path, capsys):
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "course"
    _, first = write_course_repo(course, lessons=[lesson])
    released = json.loads((course / ".adlab-released.json").read_text())[lesson.name]
    instructor = nbformat.read(lesson, as_version=4)
    checks = _exercise_cells(instructor)
    assert len(released) == len(checks) >= 2
    original = lesson.read_bytes()

    def refused(edit, words):
        lesson.write_bytes(original)
        _change(lesson, edit)
        head = _git(course, "rev-parse", "HEAD")
        files = {p.name: p.read_bytes() for p in course.iterdir() if p.is_file()}
        assert cli.main(["course-repo", str(course), "--lessons", str(lesson.parent)]) == 1
        error = capsys.readouterr().err
        assert words in error and "new exercise id" in error and lesson.stem in error, error
        assert _git(course, "rev-parse", "HEAD") == head, "nothing committed"
        assert {p.name: p.read_bytes() for p in course.iterdir() if p.is_file()} == files, "nothing written"

    exercise = check_exercise(instructor.cells[checks[0]].source)
    refused(lambda nb: nb.cells[checks[0]].__setitem__("source", nb.cells[checks[0]].source + "  # stricter"),
            f"exercise {exercise} was released and this update changes its check cell")
    answer_cell = checks[1] - 1
    refused(lambda nb: nb.cells[answer_cell].__setitem__("source", nb.cells[answer_cell].source.replace(
        "### BEGIN SOLUTION", "given = 1.0\n### BEGIN SOLUTION", 1)),
            f"exercise {check_exercise(instructor.cells[checks[1]].source)} was released and this update changes "
            f"its answer cell")
    refused(lambda nb: nb.cells.__delitem__(checks[0]), f"exercise {exercise} was released and this update removes it")

    # prose, a better solution inside the markers, and a new exercise are accepted
    lesson.write_bytes(original)

    def update(nb):
        nb.cells[0].source += "\n\nClarified."
        solution = nb.cells[checks[0] - 1]
        solution.source = solution.source.replace("### END SOLUTION", "# a note only the instructor sees\n"
                                                  "### END SOLUTION", 1)
        nb.cells.extend(new_exercise_cells())

    _change(lesson, update)
    assert cli.main(["course-repo", str(course), "--lessons", str(lesson.parent)]) == 0
    assert _git(course, "rev-parse", "HEAD").strip() != first
    assert "2.1" in json.loads((course / ".adlab-released.json").read_text())[lesson.name]


def test_an_older_course_repository_counts_its_lessons_as_released(tmp_path, capsys):
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "course"
    write_course_repo(course, lessons=[lesson])
    _git(course, "rm", "-q", ".adlab-released.json")  # as an adlab from before the record left it
    _git(course, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "before the record")
    checks = _exercise_cells(nbformat.read(lesson, as_version=4))
    _change(lesson, lambda nb: nb.cells[checks[0]].__setitem__("source", nb.cells[checks[0]].source + " # changed"))
    assert cli.main(["course-repo", str(course), "--lessons", str(lesson.parent)]) == 1
    assert "was released" in capsys.readouterr().err


def test_course_repo_never_overwrites_a_hand_edit_in_the_course_folder(tmp_path, capsys):
    lessons = tmp_path / "lessons"
    first, second = _instructor_lessons(lessons)
    course = tmp_path / "course"
    write_course_repo(course, lessons=[first, second])
    _change(first, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMore prose."))
    _change(second, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nMore prose."))
    _change(course / first.name, lambda nb: nb.cells[0].__setitem__("source", "Fixed by hand."))
    (course / second.name).unlink()  # a deleted lesson is a change too: course-repo would bring it back
    (course / "notes.md").write_text("mine\n")  # a file course-repo does not write is no reason to refuse
    head = _git(course, "rev-parse", "HEAD")
    files = {p.name: p.read_bytes() for p in course.iterdir() if p.is_file()}

    assert cli.main(["course-repo", str(course), "--lessons", str(lessons)]) == 1
    error = capsys.readouterr().err
    names = " ".join(sorted([first.name, second.name]))
    assert error == (f"adlab course-repo: {', '.join(sorted([first.name, second.name]))} in {course.resolve()} have "
                     f"changes that are not committed, which this update would overwrite; commit them (git -C "
                     f"{course.resolve()} add -- {names}, then git -C {course.resolve()} commit) or put them aside "
                     f"(git -C {course.resolve()} stash push --include-untracked -- {names}), then run course-repo "
                     f"again; nothing was written.\n")
    assert _git(course, "rev-parse", "HEAD") == head, "nothing committed"
    assert {p.name: p.read_bytes() for p in course.iterdir() if p.is_file()} == files, "nothing written"

    # put aside as the message says, the update goes in; the hand edit is in the stash
    _git(course, "stash", "push", "-q", "--include-untracked", "--", first.name, second.name)
    assert cli.main(["course-repo", str(course), "--lessons", str(lessons)]) == 0
    assert "Fixed by hand." not in (course / first.name).read_text() and (course / second.name).exists()
    assert "Fixed by hand." in _git(course, "stash", "show", "-p")
    assert (course / "notes.md").read_text() == "mine\n"


def test_course_repo_never_overwrites_an_untracked_file_where_a_lesson_goes(tmp_path, capsys):
    lessons = tmp_path / "lessons"
    first, second = _instructor_lessons(lessons)
    course = tmp_path / "course"
    write_course_repo(course, lessons=[first])
    shutil.copy(second, course / second.name)  # the instructor version, copied in by hand: not to be lost
    assert cli.main(["course-repo", str(course), "--lessons", str(lessons)]) == 1
    assert capsys.readouterr().err.startswith(f"adlab course-repo: {second.name} in {course.resolve()} has changes "
                                              f"that are not committed")
    assert (course / second.name).read_bytes() == second.read_bytes()


# -- nbgrader-source and collect: nothing a person edited is overwritten -------------------------------


def test_nbgrader_source_never_overwrites_the_instructors_edits(tmp_path):
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "grading"
    target = course / "source" / lesson.stem / lesson.name
    assert write_nbgrader_source(course, [lesson]) == [(target, "written")]
    assert write_nbgrader_source(course, [lesson]) == [(target, "up to date")]
    _change(lesson, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nUpdate 1."))
    assert write_nbgrader_source(course, [lesson]) == [(target, "updated")]  # not edited: replaced
    _change(target, lambda nb: nb.cells[0].__setitem__("source", "# My own wording"))
    mine = target.read_bytes()
    _change(lesson, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nUpdate 2."))
    (path, what), = write_nbgrader_source(course, [lesson])
    assert path == course / f"{lesson.stem} (new version).ipynb" and "has your edits: kept" in what
    assert target.read_bytes() == mine and "Update 2." in nbformat.read(path, as_version=4).cells[0].source
    assert write_nbgrader_source(course, [lesson]) == [(target, "up to date (your edits are kept)")]
    assert target.read_bytes() == mine and len(list(course.glob("*new version*"))) == 1
    _change(path, lambda nb: nb.cells[0].__setitem__("source", "# merging"))
    _change(lesson, lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + "\n\nUpdate 3."))
    (path2, _), = write_nbgrader_source(course, [lesson])
    assert path2 == course / f"{lesson.stem} (new version 2).ipynb"
    assert nbformat.read(path, as_version=4).cells[0].source == "# merging" and target.read_bytes() == mine
    assert not list((course / "source").rglob("*new version*")), "nbgrader never sees a new version as a notebook"


def test_collect_copies_the_homes_and_never_overwrites_an_edited_submission(tmp_path, capsys):
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "grading"
    write_nbgrader_source(course, [lesson])
    homes = tmp_path / "home"
    for name in ("ada", "bob"):
        write_student_copies(homes / name / "course", [lesson], sign=False)
    (homes / "cy").mkdir()
    old = homes / "dee" / "course" / lesson.name
    old.parent.mkdir(parents=True)
    old.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])))
    assert cli.main(["collect", str(course), *sorted(map(str, homes.iterdir()))]) == 0
    out = capsys.readouterr().out
    assert f"ada {lesson.stem}: collected\n" in out and f"bob {lesson.stem}: collected\n" in out
    assert f"cy {lesson.stem}: no course/{lesson.name}" in out and "carries no grading metadata" in out
    submitted = course / "submitted" / "ada" / lesson.stem / lesson.name
    assert submitted.read_bytes() == (homes / "ada" / "course" / lesson.name).read_bytes()
    assert (submitted.parent / "timestamp.txt").read_text().endswith("UTC")

    _change(homes / "ada" / "course" / lesson.name, lambda nb: nb.cells[0].__setitem__("source", "# later"))
    _change(homes / "bob" / "course" / lesson.name, lambda nb: nb.cells[0].__setitem__("source", "# later"))
    regraded = course / "submitted" / "bob" / lesson.stem / lesson.name
    _change(regraded, lambda nb: nb.cells[1].__setitem__("source", "# fixed by the instructor"))
    assert cli.main(["collect", str(course), str(homes / "ada"), str(homes / "bob")]) == 0
    out = capsys.readouterr().out
    assert f"ada {lesson.stem}: collected" in out and "bob" in out and "was edited after it was collected: kept" in out
    assert nbformat.read(submitted, as_version=4).cells[0].source == "# later"
    assert nbformat.read(regraded, as_version=4).cells[1].source == "# fixed by the instructor"
    assert cli.main(["collect", str(tmp_path / "empty"), str(homes / "ada")]) == 1
    assert "run adlab nbgrader-source" in capsys.readouterr().err


def _answer_by_hand(notebook, exercise_id, student):
    """The answer a student types after working it out by hand: their own numbers' answer, as a literal."""
    from adlab.exercises.bank import get
    from adlab.exercises.exercise import answer_cell_id

    exercise = get(exercise_id)
    value = exercise.truth(exercise.draw(student))
    cell = next(c for c in notebook.cells if c.cell_type == "code" and answer_cell_id(c.source) == exercise_id)
    cell.source = f"# Exercise {exercise_id}\n{exercise.answer[0]} = {float(value)!r}\n"


def test_collect_on_the_littlest_jupyterhub_grades_each_student_with_their_hub_user_names_numbers(tmp_path, capsys):
    """TLJH's home of hub user NAME is /home/jupyter-NAME (shortened with a hash for long names); the student
    id, and so the numbers grading checks, is NAME, the JUPYTERHUB_USER their kernel drew them from."""
    from adlab.exercises.bank import get
    from adlab.exercises.exercise import evaluate
    from adlab.exercises.grading import answer_cells

    # TLJH's own examples (the-littlest-jupyterhub, tests/test_normalize.py): shortened from 26 characters on
    assert tljh_system_user("abcdefghijklmnopq") == "jupyter-abcdefghijklmnopq"
    assert tljh_system_user("abcdefghijklmnopqr") == "jupyter-abcdefghijklmnopqr-e375e"
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "grading"
    write_nbgrader_source(course, [lesson])
    long_name = "averyveryverylongname"
    homes = {name: tmp_path / "home" / tljh_system_user(name) for name in ("ada", long_name)}
    for name, home in homes.items():
        write_student_copies(home / "course", [lesson], sign=False)
        _change(home / "course" / lesson.name, lambda nb: _answer_by_hand(nb, "1.4", name))
    assert sorted(p.name for p in homes.values()) == ["jupyter-ada", "jupyter-averyveryverylongn-b39a8"]

    assert cli.main(["collect", str(course), *sorted(map(str, homes.values()))]) == 0
    out = capsys.readouterr().out
    assert "jupyter-ada: The Littlest JupyterHub's home of hub user ada: collected as student ada" in out
    assert f"ada {lesson.stem}: collected\n" in out
    assert "jupyter-averyveryverylongn-b39a8: a home whose name The Littlest JupyterHub shortened" in out
    assert "--hub-users FILE" in out
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["ada"]

    # Graded as nbgrader grades it (the student is the submitted folder's name): ada's own numbers, right.
    submitted = course / "submitted" / "ada" / lesson.stem / lesson.name
    sources = answer_cells(nbformat.read(submitted, as_version=4).cells)
    assert evaluate(get("1.4"), sources, student=submitted.parents[1].name)[0] == "correct"
    assert evaluate(get("1.4"), sources, student="jupyter-ada")[0] == "wrong"  # the home's name: other numbers

    # The hub's user names, listed from JupyterHub's database as deploy/tljh/README.md says: every home matched.
    from jupyterhub import orm

    database = tmp_path / "jupyterhub.sqlite"
    session = orm.new_session_factory(f"sqlite:///{database}")()
    session.add_all([orm.User(name=name) for name in ("prof", "ada", long_name)])
    session.commit()
    session.close()
    readme = (ROOT / "deploy" / "tljh" / "README.md").read_text()
    listing, = [line.strip() for line in readme.splitlines() if "jupyterhub.sqlite" in line]
    listing = listing.removeprefix("sudo ").replace("/opt/tljh/state/jupyterhub.sqlite", str(database))
    listing = listing.replace("~/hub-users.txt", str(tmp_path / "hub-users.txt"))
    subprocess.run(["bash", "-euo", "pipefail", "-c", listing], check=True, timeout=60)
    (tmp_path / "home" / "ubuntu").mkdir()  # the server's own account: no hub user's
    assert cli.main(["collect", str(course), *sorted(map(str, (tmp_path / "home").iterdir())),
                     "--hub-users", str(tmp_path / "hub-users.txt")]) == 0
    out = capsys.readouterr().out
    assert f"ada {lesson.stem}: already collected" in out and f"{long_name} {lesson.stem}: collected\n" in out
    assert "ubuntu: not the home of a hub user listed: not collected" in out
    submitted = course / "submitted" / long_name / lesson.stem / lesson.name
    sources = answer_cells(nbformat.read(submitted, as_version=4).cells)
    assert evaluate(get("1.4"), sources, student=submitted.parents[1].name)[0] == "correct"


def test_collect_takes_one_home_per_student_and_a_readable_list_of_hub_users(tmp_path, capsys):
    lesson = exercise_lesson(tmp_path / "lessons")
    course = tmp_path / "grading"
    write_nbgrader_source(course, [lesson])
    for name in ("ada", "jupyter-ada"):
        write_student_copies(tmp_path / name / "course", [lesson], sign=False)
    assert cli.main(["collect", str(course), str(tmp_path / "ada"), str(tmp_path / "jupyter-ada")]) == 0
    out = capsys.readouterr().out
    assert f"jupyter-ada: student ada's home, as {tmp_path / 'ada'} is: not collected" in out
    assert out.count(": collected") == 1
    with pytest.raises(ValueError, match="the home of ada or jupyter-ada, which cannot be told apart"):
        home_student("jupyter-ada", ["ada", "jupyter-ada"])
    (tmp_path / "users.txt").write_text("\n  \n")
    for listing, words in ((tmp_path / "users.txt", "names no hub user"), (tmp_path / "none.txt", "cannot read")):
        assert cli.main(["collect", str(course), str(tmp_path / "ada"), "--hub-users", str(listing)]) == 1
        error = capsys.readouterr().err
        assert words in error and "one a line" in error and error.count("\n") == 1


# -- a student's folder that mixes two versions of a lesson --------------------------------------------


def test_an_answer_cell_from_another_version_says_so_and_how_to_get_the_new_one():
    from adlab.exercises.bank import get
    from adlab.exercises.exercise import evaluate

    exercise = get("1.4")
    stale = "# Exercise 1.4\nx1, x2 = my_numbers(\"1.4\")\ny_adj = 1.0\nx1_adj = 2 * x1 * x2\n"
    status, message = evaluate(exercise, {"1.4": stale}, student="ada")
    assert status == "invalid" and "\n" not in message
    assert message.startswith("exercise 1.4 reads `x1_bar`, which your answer cell does not define")
    assert "`x1_adj`" in message and "different versions of the lesson" in message
    assert "course link again" in message and "adlab lessons" in message
    assert "NameError" not in message
