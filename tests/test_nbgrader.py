"""The instructor lessons as nbgrader source notebooks, graded by real nbgrader.

`adlab nbgrader-source` derives nbgrader's cell metadata from the lessons' tags; nbgrader's
generate_assignment then writes a student version with adlab's stubs (the same as `adlab
lessons`), and autograde scores a submission with one right and one wrong answer: the right
one gets its point, the wrong one and the unanswered ones (the check raises under autograde) 0.
The commands are those of docs/teaching.md ("Grading with nbgrader").
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

from adlab import cli
from adlab.classroom import nbgrader_notebook, write_nbgrader_source
from adlab.course import student_copy
from classroom_support import answer, exercise_lesson, require, tagged

BIN = str(Path(sys.executable).parent)
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "teaching.md"


def guide_commands():
    """The commands of docs/teaching.md's grading block (the one marked as run by this test)."""
    text = GUIDE.read_text()
    block = re.search(r"<!-- run by tests/test_nbgrader.py -->\n```bash\n(.*?)```", text, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


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
    notebook = nbgrader_notebook(nbformat.read(lesson, as_version=4))
    solutions = [c.metadata["nbgrader"] for c in notebook.cells if tagged(c, "solution")]
    checks = [c.metadata["nbgrader"] for c in notebook.cells if tagged(c, "check")]
    assert solutions and all(m["solution"] and not m["grade"] and not m["locked"] for m in solutions)
    assert all(m["grade"] and m["locked"] and m["points"] == 1 and not m["solution"] for m in checks)
    ids = [m["grade_id"] for m in solutions + checks]
    assert len(set(ids)) == len(ids) and all(m["schema_version"] == 3 for m in solutions + checks)
    assert all(i.startswith("check_") for i in ids[len(solutions):])
    untagged = [c for c in notebook.cells if not tagged(c, "solution") and not tagged(c, "check")]
    assert not any("nbgrader" in c.metadata for c in untagged)


def test_generate_and_autograde_with_real_nbgrader(tmp_path):
    require(shutil.which("nbgrader", path=BIN), "nbgrader (pip install nbgrader)")
    lesson = exercise_lesson(tmp_path / "lessons")
    assignment = lesson.stem
    commands = guide_commands()
    assert [c.split()[:2] for c in commands] == [["adlab", "nbgrader-source"], ["cd", "grading"],
                                                  ["nbgrader", "generate_assignment"], ["nbgrader", "autograde"]]
    course = tmp_path / commands[1].split()[1]
    assert cli.main([commands[0].split()[1], str(tmp_path / commands[0].split()[2])]) == 0
    if lesson.name not in [p.name for p in (course / "source").glob("*/*.ipynb")] or \
            nbformat.read(course / "source" / assignment / lesson.name, as_version=4).cells != \
            nbgrader_notebook(nbformat.read(lesson, as_version=4)).cells:  # the lessons have too few exercises yet
        written = write_nbgrader_source(course, lessons=[lesson])
        assert written == [course / "source" / assignment / lesson.name]
    log = []
    generate, autograde = (c.replace("01_evaluation_trace", assignment) for c in commands[2:])
    nbgrader(generate, course, log)

    # The student version: adlab's stubs where the solutions were, everything else as in the lesson.
    instructor = nbformat.read(lesson, as_version=4)
    release = nbformat.read(course / "release" / assignment / lesson.name, as_version=4)
    ours = student_copy(instructor)
    assert "BEGIN SOLUTION" not in nbformat.writes(release)
    for theirs, mine in zip(release.cells, ours.cells):
        assert theirs.source == mine.source
    checks = [i for i, c in enumerate(instructor.cells) if tagged(c, "check")]

    # A submission: exercise 1 right, exercise 2 wrong, the others left as handed out.
    submission = nbformat.read(course / "release" / assignment / lesson.name, as_version=4)
    answer(submission, instructor, 0, right=True)
    answer(submission, instructor, 1, right=False)
    folder = course / "submitted" / "ada" / assignment
    folder.mkdir(parents=True)
    nbformat.write(submission, folder / lesson.name)
    nbgrader(autograde, course, log)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {cell.metadata["nbgrader"]["grade_id"]:
                  gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], lesson.stem, assignment, "ada").score
                  for cell in release.cells if cell.metadata.get("nbgrader", {}).get("grade")}
        total = gradebook.find_submission(assignment, "ada").score
        max_score = gradebook.find_assignment(assignment).max_score
    ids = list(scores)
    assert len(ids) == len(checks) >= 2
    assert scores[ids[0]] == 1 and scores[ids[1]] == 0, scores
    assert all(scores[i] == 0 for i in ids[2:]), scores
    assert (total, max_score) == (1, len(checks))
    print(f"\nnbgrader on {lesson.name}: scores {scores}, total {total}/{max_score}; "
          + ", ".join(f"{c.split()[1]} {t:.1f} s" for c, t in log))
