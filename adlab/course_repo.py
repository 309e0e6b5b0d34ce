"""The student-facing course repository: the student copies of the lessons (no solutions), committed for
nbgitpuller to pull.

An exercise once released is frozen (students may have answered it): an update that changes or removes
one is refused before anything is written, and the record of what was released is committed with it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import nbformat

from .course import _read_json, exercises_of, lesson_paths, student_copy

__all__ = ["COURSE_README", "COURSE_GITIGNORE", "RELEASED", "LESSON_NAME", "ReleasedExerciseChanged",
           "course_lessons", "write_course_repo"]

COURSE_README = """# Automatic differentiation with adlab: your lessons

These notebooks are yours: answer the exercises in the cells that say `# YOUR CODE HERE`
and run the check cell below each one. When your instructor updates the course, opening the
course link again brings the new material in; your answers are kept (nbgitpuller never
overwrites a change you made).
"""
COURSE_GITIGNORE = ".adlab-progress.json\n.adlab-lessons.json\n.ipynb_checkpoints/\n__pycache__/\n"
RELEASED = ".adlab-released.json"  # in the course repository: every exercise as it was released, frozen
LESSON_NAME = re.compile(r"[0-9][0-9]_\w+\.ipynb")


class ReleasedExerciseChanged(ValueError):
    """An update would change or remove an exercise students already have; nothing was written."""


def course_lessons(folder=None):
    """(lesson notebooks, names skipped): the ``NN_name.ipynb`` notebooks of a lessons folder, and the others.

    Without a folder, the lessons adlab carries (the instructor versions in a clone).
    """
    if folder is None:
        return lesson_paths(), []
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of lessons; give the folder that holds the "
                                f"NN_name.ipynb notebooks (e.g. lessons).")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    lessons = [p for p in notebooks if LESSON_NAME.fullmatch(p.name)]
    if not lessons:
        raise FileNotFoundError(f"{folder} holds no lesson: a lesson is a notebook named NN_name.ipynb "
                                f"(e.g. 01_evaluation_trace.ipynb).")
    return lessons, [p.name for p in notebooks if p not in lessons]


def write_course_repo(folder, lessons=None, message=None, branch="main"):
    """Write the student copies of the lessons into a git repository folder and commit them.

    The folder is created (``git init``) if needed; a folder that holds files but is not a git
    repository is refused (everything committed here is published to every student), and so is one
    where a file adlab would write has changes not committed (a hand edit is never overwritten). Only
    the files adlab writes are committed. An exercise once released is frozen: an update that changes
    or removes its answer cell or its check cell raises ReleasedExerciseChanged before anything is
    written (prose, new exercises and new lessons are fine). Returns (written paths, commit id or
    None when nothing changed); the default commit message names the lessons that changed.
    """
    folder = Path(folder).expanduser().resolve()
    if folder.is_dir() and any(folder.iterdir()) and not (folder / ".git").exists():
        raise ValueError(f"{folder} holds files and is not a git repository: everything course-repo commits there "
                         f"is published to every student, so give a new or empty folder (or the course repository "
                         f"course-repo made before).")
    copies = [(Path(source), student_copy(nbformat.read(source, as_version=4), Path(source).stem))
              for source in lessons or lesson_paths()]
    if (folder / ".git").exists():
        _refuse_uncommitted(folder, [source.name for source, _ in copies] + [RELEASED])
    released = _released(folder)
    problems = []
    for source, notebook in copies:
        now = exercises_of(notebook)
        for exercise, cells in released.get(source.name, {}).items():
            problems.extend(_release_problem(source.stem, exercise, cells, now.get(exercise)))
    if problems:
        raise ReleasedExerciseChanged("\n".join(problems))
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".git").exists():
        _git(folder, "init", "-q", "-b", branch)
    written = []
    for source, notebook in copies:
        target = folder / source.name
        target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
        written.append(target)
        released.setdefault(source.name, {}).update(exercises_of(notebook))
    (folder / RELEASED).write_text(json.dumps(released, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    for name, text in (("README.md", COURSE_README), (".gitignore", COURSE_GITIGNORE)):
        if not (folder / name).exists():
            (folder / name).write_text(text, encoding="utf-8")
    _git(folder, "add", "--", *(p.name for p in written), RELEASED, "README.md", ".gitignore")
    changed = _git(folder, "diff", "--cached", "--name-only").split()
    if not changed:
        return written, None
    lessons_changed = [p.stem for p in written if p.name in changed]
    _git(folder, "commit", "-q", "-m",
         message or "Course update: " + (", ".join(lessons_changed) or "README and settings"))
    return written, _git(folder, "rev-parse", "HEAD").strip()


def _refuse_uncommitted(folder, names):
    """Raise ValueError naming the files course-repo would write that hold changes not committed (edited by hand)."""
    status = _git(folder, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--", *names)
    edited = sorted(entry[3:] for entry in status.split("\0") if entry)
    if edited:
        files, git = " ".join(edited), f"git -C {shlex.quote(str(folder))}"
        raise ValueError(f"{', '.join(edited)} in {folder} {'has' if len(edited) == 1 else 'have'} changes that are "
                         f"not committed, which this update would overwrite; commit them ({git} add -- {files}, then "
                         f"{git} commit) or put them aside ({git} stash push --include-untracked -- {files}), then "
                         f"run course-repo again; nothing was written.")


def _released(folder):
    """{lesson file: {exercise: {"answer", "check"}}} released so far: the committed record, else the lessons there."""
    record = _read_json(folder / RELEASED)
    if isinstance(record, dict):
        return {lesson: {e: cells for e, cells in exercises.items()
                         if isinstance(cells, dict) and {"answer", "check"} <= set(cells)}
                for lesson, exercises in record.items() if isinstance(exercises, dict)}
    released = {}  # a course repository from before the record: its lessons are what students have
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []:
        try:
            released[path.name] = exercises_of(nbformat.read(path, as_version=4))
        except Exception:  # not a notebook: nothing released there that adlab can read
            continue
    return released


def _release_problem(lesson, exercise, released, now):
    fix = (f"students may have answered it, so a released exercise stays as it is: give the changed exercise a new "
           f"exercise id (e.g. {exercise}b, with its own answer and check cells) and leave {exercise} unchanged; "
           f"nothing was written.")
    if now is None:
        return [f"{lesson}: exercise {exercise} was released and this update removes it; {fix}"]
    cells = [name for name in ("answer", "check") if now[name] != released[name]]
    if not cells:
        return []
    what = " and its ".join(f"{name} cell" for name in cells)
    return [f"{lesson}: exercise {exercise} was released and this update changes its {what}; {fix}"]


def _git(folder, *args):
    identity = []
    if args[0] == "commit" and not subprocess.run(["git", "-C", str(folder), "config", "user.email"],
                                                  capture_output=True, text=True).stdout.strip():
        identity = ["-c", "user.name=adlab", "-c", "user.email=adlab@localhost"]
    result = subprocess.run(["git", *identity, "-C", str(folder), *args], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {folder}: {result.stderr.strip()}")
    return result.stdout
