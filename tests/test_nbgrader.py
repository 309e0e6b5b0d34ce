"""The instructor lessons as nbgrader source notebooks, graded by real nbgrader.

`adlab nbgrader-source` derives nbgrader's cell metadata from the lessons' tags; nbgrader's
generate_assignment then writes a student version that is the student copy `adlab lessons` writes
(same cells, ids and nbgrader metadata). Four students work in that copy in their homes; `adlab
collect` copies the homes into submitted/ and autograde scores them: all right, two wrong,
untouched, and one who redefines the checks instead of answering (graded in a fresh process, so 0).
The commands are docs/teaching.md's ("Grading with nbgrader"), read from the guide and run as written
in one bash, but for the homes collect reads (GUIDE_LINES_NOT_RUN).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from adlab.course import gradable, student_copy, write_student_copies
from classroom_support import answer, exercise_lesson, guide_script, require, tagged

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)
GUIDE_COLLECT = "adlab collect . /home/*"
GUIDE_LINES_NOT_RUN = {  # the lines of the guide's block this test does not run as written, and why
    GUIDE_COLLECT: "run with the test's homes, HOMES/*, in place of this machine's /home/*",
}


def nbgrader(command, course, log):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               JUPYTER_CONFIG_DIR=str(course / ".jupyter"), ADLAB_PROGRESS="0")
    started = time.perf_counter()
    result = subprocess.run(command.split(), cwd=course, env=env, capture_output=True, text=True, timeout=300)
    log.append((command, time.perf_counter() - started))
    assert result.returncode == 0 and "ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def test_metadata_from_tags(tmp_path):
    lesson = exercise_lesson(tmp_path)
    notebook = gradable(nbformat.read(lesson, as_version=4))
    solutions = [c.metadata["nbgrader"] for c in notebook.cells if tagged(c, "solution")]
    checks = [c.metadata["nbgrader"] for c in notebook.cells if tagged(c, "check")]
    assert solutions and all(m["solution"] and not m["grade"] and not m["locked"] for m in solutions)
    assert all(m["grade"] and m["locked"] and m["points"] == 1 and not m["solution"] for m in checks)
    ids = [m["grade_id"] for m in solutions + checks]
    assert len(set(ids)) == len(ids) and all(m["schema_version"] == 3 for m in solutions + checks)
    assert all(i.startswith("check_") for i in ids[len(solutions):])
    untagged = [c for c in notebook.cells if not tagged(c, "solution") and not tagged(c, "check")]
    assert not any("nbgrader" in c.metadata for c in untagged)


CHEAT = """import adlab.exercises
check = lambda *args, **kwargs: None                  # the locked check cells now do nothing
adlab.exercises.check = check
import IPython
IPython.get_ipython().showtraceback = lambda *a, **k: None   # and errors are never shown
"""


def test_generate_and_autograde_with_real_nbgrader(tmp_path):
    """The copies students work in, collected from their homes, autograde: all right (full marks), two wrong
    (exactly those lost), untouched (0, no error), and one who redefines the checks and silences errors instead
    of answering (0: the grade comes from a fresh process)."""
    require(shutil.which("nbgrader", path=BIN), "nbgrader (pip install nbgrader)")
    homes = tmp_path / "home"
    script = guide_script(__file__, "bash", GUIDE_LINES_NOT_RUN,
                          instead={GUIDE_COLLECT: GUIDE_COLLECT.replace("/home/*", f'"{homes}"/*')})
    assignment = re.search(r"^nbgrader generate_assignment (\S+)$", script, re.M).group(1)
    course = tmp_path / re.search(r"^cd (\S+)$", script, re.M).group(1)
    lesson = ROOT / "lessons" / f"{assignment}.ipynb"
    instructor = nbformat.read(lesson, as_version=4)
    checks = [i for i, c in enumerate(instructor.cells) if tagged(c, "check")]
    n = len(checks)
    assert n >= 4

    # Four students, each in the copy `adlab lessons` writes into their home (as the hub link pulls it).
    def work(student, edit):
        folder = homes / student / "course"
        write_student_copies(folder, [lesson], sign=False)
        notebook = nbformat.read(folder / lesson.name, as_version=4)
        edit(notebook)
        nbformat.write(notebook, folder / lesson.name)

    work("ada", lambda nb: [answer(nb, instructor, k, right=True) for k in range(n)])
    work("bob", lambda nb: [answer(nb, instructor, k, right=k not in (1, 2)) for k in range(n)])
    work("cy", lambda nb: None)
    work("dee", lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell(CHEAT)))

    # The guide's block: nbgrader-source, generate_assignment, collect, autograde.
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"), ADLAB_PROGRESS="0")
    started = time.perf_counter()
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    seconds = time.perf_counter() - started
    assert result.returncode == 0 and "ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert f"ada {assignment}: collected" in result.stdout

    # The release nbgrader wrote is the student copy: the same cells, ids, sources and nbgrader metadata.
    release = nbformat.read(course / "release" / assignment / lesson.name, as_version=4)
    ours = student_copy(instructor, assignment)
    assert "BEGIN SOLUTION" not in nbformat.writes(release)
    assert len(release.cells) == len(ours.cells)
    for theirs, mine in zip(release.cells, ours.cells):
        assert (theirs.id, theirs.cell_type, theirs.source) == (mine.id, mine.cell_type, mine.source)
        for key in ("nbgrader", "deletable", "editable", "tags"):
            assert theirs.metadata.get(key) == mine.metadata.get(key), (key, theirs.source[:60])

    from nbgrader.api import Gradebook

    grade_ids = [cell.metadata["nbgrader"]["grade_id"] for cell in release.cells
                 if cell.metadata.get("nbgrader", {}).get("grade")]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: [gradebook.find_grade(g, lesson.stem, assignment, student).score for g in grade_ids]
                  for student in ("ada", "bob", "cy", "dee")}
        totals = {student: gradebook.find_submission(assignment, student).score for student in scores}
        manual = {student: gradebook.find_submission(assignment, student).needs_manual_grade for student in scores}
        max_score = gradebook.find_assignment(assignment).max_score
    assert len(grade_ids) == n and max_score == n
    assert scores["ada"] == [1] * n, scores
    assert scores["bob"] == [0 if k in (1, 2) else 1 for k in range(n)], scores
    assert scores["cy"] == [0] * n and scores["dee"] == [0] * n, scores
    assert totals == {"ada": n, "bob": n - 2, "cy": 0, "dee": 0}
    assert not any(manual.values()), manual
    graded = nbformat.read(course / "autograded" / "dee" / assignment / lesson.name, as_version=4)
    outputs = [o for i in checks for o in graded.cells[i + 1].outputs]  # the cheat cell shifted every cell by one
    assert outputs and all(o.output_type == "error" for o in outputs), outputs
    print(f"\nnbgrader on {lesson.name}: {totals} of {max_score}; the guide's block {seconds:.1f} s")
