"""The course as a student gets it: lesson shape, stubs, student copies that run clean, no-clobber, installed lessons."""

import json
import re
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from course import combining_marks_in_code, too_long_printed_lines

from notebook_runner import run_notebook

from adlab.exercises.bank import get
from adlab.lesson_time import cell_run_seconds
from adlab.course import (MANIFEST, SAVED_WIDGET_NOTE, SAVED_WIDGET_TEXT, WIDGET_VIEW, lesson_paths, stub_solutions,
                          student_copy, with_saved_widget_notes, write_student_copies)

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def tagged(notebook, tag):
    return [cell for cell in notebook.cells if tag in cell.get("metadata", {}).get("tags", [])]


def test_the_package_finds_the_repository_lessons():
    assert [p.name for p in lesson_paths()] == [p.name for p in LESSONS]
    assert len(LESSONS) >= 6


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_the_shape_of_a_lesson(path):
    notebook = nbformat.read(path, as_version=4)
    opening = notebook.cells[0].source
    assert notebook.cells[0].cell_type == "markdown" and opening.startswith("# Lesson ")
    assert "minutes" in opening, "the opening says how long the lesson takes"
    assert "Recap" in "".join(c.source for c in notebook.cells[-3:] if c.cell_type == "markdown")
    solutions, checks = tagged(notebook, "solution"), tagged(notebook, "check")
    assert len(checks) >= 3 and len(solutions) >= 3
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    number = int(path.name[:2])
    answers = {cell.source.splitlines()[0] for cell in solutions}
    for cell in checks:  # nothing of the answer in sight: the exercise's id, and the exercise lives in the bank
        match = re.fullmatch(r'check\("((\d+)\.\d+[a-z]?)"\)', cell.source.strip())
        assert match and int(match.group(2)) == number, f"a check cell is only check(\"{number}.k\"), not {cell.source!r}"
        assert get(match.group(1)) and f"# Exercise {match.group(1)}" in answers, \
            f"exercise {match.group(1)} has no answer cell starting with '# Exercise {match.group(1)}'"
    assert "seed 0" not in "".join(c.source for c in notebook.cells if c.cell_type == "markdown").lower()
    widgets = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
               if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    assert widgets, "every lesson has something to play with: a widget (a slider, interact, an explorer)"


# Issue 20: at most 150 MB per lesson's kernel, taken as MiB (2**20 bytes). VmHWM is the kernel's own peak;
# ru_maxrss would not do, since Linux carries it over through exec from the process that forked the kernel
# (under a hub: the jupyterhub-singleuser server, ~165 MiB).
KERNEL_LIMIT_MIB = 150
PEAK_PROBE = "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0])"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_fresh_student_copy_runs_clean_and_every_check_waits_for_an_answer(path, tmp_path):
    notebook = student_copy(nbformat.read(path, as_version=4))
    for cell in tagged(notebook, "solution"):
        assert "### BEGIN SOLUTION" not in cell.source and "# YOUR CODE HERE" in cell.source
    probe = nbformat.v4.new_code_cell(PEAK_PROBE)  # the kernel's own memory peak, after Run All
    notebook.cells.append(probe)
    run_notebook(notebook, tmp_path)
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {number}: {output.get('ename')}: {output.get('evalue')}"
            assert "Traceback" not in output.get("text", ""), f"cell {number} printed a traceback"
    for cell in tagged(notebook, "check"):
        shown = " ".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        assert "not answered yet" in shown, f"a check in a fresh copy says: {shown[:200]!r}"
    assert not (tmp_path / ".adlab-progress.json").exists(), "running a fresh copy records no attempt"
    assert not too_long_printed_lines(notebook), "printed lines wrap at 1024 px (tests/test_browser_audit.py)"
    peak_mib = int("".join(o.get("text", "") for o in probe.outputs)) / 1024
    print(f"{path.stem}: kernel peak {peak_mib:.1f} MiB")
    assert peak_mib <= KERNEL_LIMIT_MIB, f"{path.stem}'s kernel peaked at {peak_mib:.1f} MiB (limit {KERNEL_LIMIT_MIB})"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_line_a_lesson_prints_fits_the_narrowest_window(path):
    assert not too_long_printed_lines(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_combining_accent_in_what_a_code_font_shows(path):
    """Code names v1_bar and v1_dot, not v̄₁ and v̇₁, in code, comments and printed text (student copy too)."""
    lesson = nbformat.read(path, as_version=4)
    for notebook in (lesson, student_copy(lesson)):
        assert not combining_marks_in_code(notebook), combining_marks_in_code(notebook)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_stored_widget_says_to_run_its_cell(path):
    """Before running, a stored widget shows no broken-link glyphs and says what to do (trusted or not)."""
    for k, cell in enumerate(nbformat.read(path, as_version=4).cells):
        outputs = cell.get("outputs", [])
        for before, output in zip([None, *outputs], outputs):
            if WIDGET_VIEW not in output.get("data", {}):
                continue
            saved_view = before is not None and 'class="adlab-' in before.get("data", {}).get("text/html", "")
            assert saved_view, f"{path.name} cell {k}: a stored widget without a saved view or note before it"
            assert "children=" not in output["data"]["text/plain"], (path.name, k, output["data"]["text/plain"])


# A cell that took longer than this when the lessons were stored (a 2-core VM) takes about 2 s or more on a
# classroom machine: it shows a progress bar (adlab.display.progress_bar) instead of a still [*].
LONG_CELL_SECONDS = 1.5
PROGRESS_DONE = re.compile(r": \d+ of \d+, done$")  # the line a finished progress bar leaves


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_long_cell_shows_progress(path):
    cells = nbformat.read(path, as_version=4).cells
    assert any(cell_run_seconds(cell) for cell in cells if cell.cell_type == "code"), f"{path.name} stores no run times"
    silent = [(k, round(cell_run_seconds(cell), 1)) for k, cell in enumerate(cells)
              if cell.cell_type == "code" and cell_run_seconds(cell) > LONG_CELL_SECONDS
              and not any(PROGRESS_DONE.search(str(o.get("data", {}).get("text/plain", ""))) for o in cell.outputs)]
    assert not silent, f"{path.name}: cells (index, seconds) that run long with no progress bar: {silent}"


def test_the_saved_widget_note_goes_before_each_view_once():
    view = {"output_type": "display_data", "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": "m"}, "text/plain": "interactive(children=(IntSlider(…"}}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("interact(f, n=3)")])
    notebook.cells[0].outputs = [nbformat.from_dict(view)]
    twice = with_saved_widget_notes(with_saved_widget_notes(notebook))
    note, widget = twice.cells[0].outputs
    assert note.data["text/plain"] == SAVED_WIDGET_NOTE and "jupyter-widgets-disconnected::before" in note.data["text/html"]
    assert widget.data["text/plain"] == SAVED_WIDGET_TEXT and widget.data[WIDGET_VIEW] == {"model_id": "m"}


def test_stubs_keep_names_signatures_and_docstrings():
    source = '''x = 1
### BEGIN SOLUTION
v_dot = [-4.0, 1 / 3]
a, b = 1, 2
def grad_f(x1, x2=0.0):
    """The gradient."""
    return x2 - 1 / x1, x1 + 1
class Variable(object):
    """A dual number."""
    def __add__(self, other):
        return Variable(self.val + other.val, self.dot + other.dot)
print(v_dot)
### END SOLUTION
done = True'''
    assert stub_solutions(source) == '''x = 1
# YOUR CODE HERE
v_dot = ...
a, b = ..., ...
def grad_f(x1, x2=0.0):
    """The gradient."""
    raise NotImplementedError("write grad_f")
class Variable(object):
    """A dual number."""

    def __add__(self, other):
        raise NotImplementedError("write Variable.__add__")
done = True'''


def test_a_region_inside_a_method_becomes_a_raise_at_its_indent():
    source = "class Value:\n    def backward(self):\n        ### BEGIN SOLUTION\n        for v in order:\n" \
             "            v.step()\n        ### END SOLUTION\n"
    stub = stub_solutions(source)
    assert stub == ("class Value:\n    def backward(self):\n        # YOUR CODE HERE\n"
                    '        raise NotImplementedError("your code here")')
    namespace = {}
    exec(stub, namespace)  # still valid Python
    with pytest.raises(NotImplementedError):
        namespace["Value"]().backward()


@pytest.mark.parametrize("source, words", [
    ("### BEGIN SOLUTION\nx = 1\n", "without its"),
    ("x = 1\n### END SOLUTION\n", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_unbalanced_markers_are_the_authors_error(source, words):
    with pytest.raises(ValueError, match=words):
        stub_solutions(source)


def test_student_copies_clear_only_solution_and_check_outputs():
    notebook = nbformat.read(LESSONS[0], as_version=4)
    copy = student_copy(notebook)
    for before, after in zip(notebook.cells, copy.cells):
        tags = before.get("metadata", {}).get("tags", [])
        if before.cell_type == "code" and ("solution" in tags or "check" in tags):
            assert after.outputs == []
        elif before.cell_type == "code":
            assert after.outputs == before.outputs  # tables and graphs show before anything runs
    assert notebook != copy and tagged(notebook, "check")[0].outputs, "the instructor version is not changed"


def _edit(path, text):
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += text
    nbformat.write(notebook, path)


def test_adlab_lessons_never_overwrites_what_a_student_changed(tmp_path):
    source_folder = tmp_path / "instructor"
    source_folder.mkdir()
    first, second = source_folder / LESSONS[0].name, source_folder / LESSONS[1].name
    first.write_bytes(LESSONS[0].read_bytes())
    second.write_bytes(LESSONS[1].read_bytes())
    students = tmp_path / "ad-course"

    assert [what for _, what in write_student_copies(students, [first, second])] == ["written", "written"]
    assert [what for _, what in write_student_copies(students, [first, second])] == ["up to date", "up to date"]

    _edit(students / first.name, "\n\nMy own note.")            # the student writes in lesson one
    _edit(first, "\n\nAn update from the instructor.")          # the instructor updates both lessons
    _edit(second, "\n\nAn update from the instructor.")
    report = dict((path.name, what) for path, what in write_student_copies(students, [first, second]))

    assert report[first.name].startswith("kept your changes")
    mine = nbformat.read(students / first.name, as_version=4).cells[0].source
    assert "My own note." in mine and "An update" not in mine
    beside = students / f"{first.stem} (new version).ipynb"
    assert "An update from the instructor." in nbformat.read(beside, as_version=4).cells[0].source
    assert report[second.name] == "updated (you had not changed it)"
    assert "An update" in nbformat.read(students / second.name, as_version=4).cells[0].source
    assert set(json.loads((students / MANIFEST).read_text())) == {first.name, second.name}


def test_the_command_prints_what_it_did(tmp_path):
    adlab_command = Path(sys.executable).with_name("adlab")
    done = subprocess.run([str(adlab_command), "lessons", str(tmp_path / "course")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.count(": written") == len(LESSONS)
    again = subprocess.run([str(adlab_command), "lessons", str(tmp_path / "course")],
                           capture_output=True, text=True, check=True)
    assert again.stdout.count(": up to date") == len(LESSONS)


def test_the_lessons_travel_inside_the_installed_package(tmp_path):
    """`pip install adlab[course]` then `adlab lessons DIR` works without the repository, and the package carries
    the student copies only: the solutions stay in the repository (nbgrader-source says so)."""
    source = tmp_path / "source"  # a clean tree: a build/ folder left in the clone keeps files since deleted
    for name in ("adlab", "lessons"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    for name in ("pyproject.toml", "README.md", "setup.py"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path / "wheel"), str(source)], check=True, capture_output=True)
    wheel, = (tmp_path / "wheel").glob("adlab-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import adlab, sys; from adlab.cli import main; print(adlab.__file__, file=sys.stderr); "
            f"sys.exit(main(['lessons', {str(tmp_path / 'course')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(str(site)), "the wheel's adlab was imported, not the repository's"
    assert sorted(p.name for p in (tmp_path / "course").glob("*.ipynb")) == [p.name for p in LESSONS]
    shipped = sorted((site / "adlab" / "lessons").glob("*.ipynb"))
    assert [p.name for p in shipped] == [p.name for p in LESSONS], "the wheel carries every lesson"
    for path, instructor in zip(shipped, sorted((source / "lessons").glob("*.ipynb"))):  # as the student copy
        assert path.read_text(encoding="utf-8") == nbformat.writes(student_copy(nbformat.read(instructor, 4))) + "\n"
        assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8")
    code = f"import sys; from adlab.cli import main; sys.exit(main(['nbgrader-source', {str(tmp_path / 'g')!r}]))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 1 and "not part of the installed package: run this from a clone" in done.stderr
