"""Shared by the classroom tests (hub, nbgrader, progress): a lesson with exercises, answers, requirements,
and the blocks of docs/teaching.md a test runs (`guide_script`).

The lessons grow exercises as their authors write them. The tests use the first lesson in
lessons/ that has at least two exercises; until one has, lesson 1 with two exercises appended
in the lessons' own style (a `solution` cell with nbgrader's markers, then a `check` cell).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from adlab.course import lesson_paths

WRONG = "-12345.0"
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "teaching.md"


def guide_script(runner, language, not_run=None, instead=None):
    """What `runner` runs of docs/teaching.md's ```language blocks marked `<!-- run by tests/RUNNER -->`.

    Their lines in order, as the guide has them, so the test runs what an instructor reads, except each
    line `not_run` names ({line: why the test does not run it as written}): left out, or replaced by
    ``instead[line]``. tests/test_classroom.py checks that each runner reads its blocks this way and that
    every line its GUIDE_LINES_NOT_RUN names is still in them.
    """
    marker = f"<!-- run by tests/{Path(runner).name} -->"
    blocks = re.findall(rf"{re.escape(marker)}\n```{language}\n(.*?)```", GUIDE.read_text(), re.S)
    assert blocks, f"docs/teaching.md has no {language} block marked {marker}"
    not_run, instead = not_run or {}, instead or {}
    assert set(instead) <= set(not_run), "a line run otherwise than written must be in not_run, with why"
    script = []
    for line in (line for block in blocks for line in block.splitlines()):
        if line not in not_run:
            script.append(line)
        elif line in instead:
            script.append(instead[line])
    return "\n".join(script) + "\n"


def require(condition, what):
    """Skip when a component is missing; under CI (the CI variable set) fail instead."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI needs it (see README.md's test command)")
    pytest.skip(f"{what} is missing")


def require_command(name):
    path = shutil.which(name) or shutil.which(name, path=str(Path(os.sys.executable).parent))
    require(path, f"the command {name}")
    return path


def tagged(cell, tag):
    return tag in cell.get("metadata", {}).get("tags", [])


def exercises(notebook):
    return sum(tagged(cell, "check") for cell in notebook.cells)


FIXTURE_CELLS = [
    ("markdown", [], "## Exercises\n\n**Exercise 1.1.** What is $\\partial y/\\partial x_2$ at $(3, -4)$?"),
    ("code", ["solution"], "### BEGIN SOLUTION\ndy_dx2 = 3.0 + 1\n### END SOLUTION"),
    ("code", ["check"], "from adlab.exercises import check_function, check_number\n\n"
                        "check_number(\"1.1\", dy_dx2, adlab.grad(f, argnums=1)(3.0, -4.0))"),
    ("markdown", [], "**Exercise 1.2.** Write $\\partial y/\\partial x_1$ as a function."),
    ("code", ["solution"], "def df_dx1(x1, x2):\n    \"\"\"∂y/∂x1 of the worked example, by hand.\"\"\"\n"
                           "    ### BEGIN SOLUTION\n    return x2 - 1 / x1\n    ### END SOLUTION"),
    ("code", ["check"], "check_function(\"1.2\", df_dx1, adlab.grad(f), [(3.0, -4.0), (2.0, 4.0)])"),
]


def exercise_lesson(folder):
    """An instructor lesson with at least two exercises, written into folder; its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in lesson_paths():
        if exercises(nbformat.read(path, as_version=4)) >= 2:
            return Path(shutil.copy(path, folder / path.name))
    source = lesson_paths()[0]
    notebook = nbformat.read(source, as_version=4)
    for kind, tags, text in FIXTURE_CELLS:
        cell = nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    target = folder / source.name
    nbformat.write(notebook, target)
    return target


def answer(student, instructor, k, right=True, note=""):
    """Answer the k-th exercise (0-based) of a student copy in place: the instructor's solution, or a wrong one."""
    solutions = [i for i, cell in enumerate(instructor.cells) if tagged(cell, "solution")]
    index = solutions[k]
    cell = student.cells[index]
    assert tagged(cell, "solution")
    if right:
        text = instructor.cells[index].source
    else:
        text = re.sub(r"raise NotImplementedError\([^)]*\)", f"return {WRONG}", cell.source)
        text = re.sub(r"(?<![\w.])\.\.\.(?![\w.])", WRONG, text)
    cell.source = (f"# {note}\n" if note else "") + text
    return index


def check_cell_after(notebook, index):
    return next(i for i in range(index + 1, len(notebook.cells)) if tagged(notebook.cells[i], "check"))


def new_exercise_cells(exercise="2.1"):
    """An exercise added by an update: a bank exercise's markdown, answer and check cells, as new cells."""
    lesson = next(p for p in lesson_paths() if p.name.startswith(f"{int(exercise.split('.')[0]):02d}_"))
    cells = nbformat.read(lesson, as_version=4).cells
    check = next(i for i, c in enumerate(cells) if tagged(c, "check") and f'"{exercise}"' in c.source)
    added = [nbformat.v4.new_markdown_cell(f"**Exercise {exercise}** (added in an update).")]
    for cell in cells[check - 1:check + 1]:
        new = nbformat.v4.new_code_cell(cell.source)
        new.metadata["tags"] = list(cell.metadata["tags"])
        added.append(new)
    return added
