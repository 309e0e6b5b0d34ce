"""Classroom delivery: nbgitpuller links, the student-facing course repository, nbgrader sources, class progress.

adlab builds nothing that JupyterHub, nbgitpuller, nbgrader or Binder already do;
it only prepares what they consume:

- ``hub_link``: the nbgitpuller link a student clicks (``/hub/user-redirect/git-pull?…``);
- ``write_course_repo``: a git repository of student copies (no solutions) for nbgitpuller to pull;
- ``write_nbgrader_source``: an nbgrader course folder whose ``source/`` notebooks are the
  instructor lessons with nbgrader's cell metadata derived from the ``solution``/``check`` tags;
- ``collect_submissions``: the students' own copies, from their homes, into nbgrader's ``submitted/``
  (the copy a student works in is the copy nbgrader grades: see adlab.course.student_copy);
- ``progress_table``: a class table (student × exercise) from the students' ``.adlab-progress.json``.

Nothing here imports nbgrader or JupyterHub; ``nbgrader_preprocessors`` imports nbgrader when
nbgrader's own configuration file calls it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import nbformat

from .course import (BEGIN, _digest, _new_version_path, _read_json, exercises_of, gradable,
                     instructor_lesson_paths, lesson_paths, stub_solutions, student_copy)
from .exercises.feedback import PROGRESS_FILE, read_progress

# -- nbgitpuller links ----------------------------------------------------------------------


def repo_name(repo):
    """The folder nbgitpuller pulls into by default: the repository's last path part, without .git."""
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".git") else name


def hub_link(hub, repo, branch=None, lesson=None, targetpath=None, app="lab"):
    """The nbgitpuller link for a JupyterHub: pulls `repo` into the student's home, then opens it.

    The same link nbgitpuller's link generator makes: ``HUB/hub/user-redirect/git-pull?repo=…``.
    ``lesson`` is a path inside the repository (a notebook opens in JupyterLab); ``targetpath``
    is the folder in the student's home (the repository's name by default).
    """
    if not re.match(r"https?://", hub):
        raise ValueError(f"the hub URL must start with http:// or https://, not {hub!r}.")
    if re.search(r"\s", hub) or not urlsplit(hub).netloc:
        raise ValueError(f"the hub URL {hub!r} is not an address (spaces, or no host); copy it from the browser's "
                         f"address bar, e.g. https://hub.example.edu.")
    if not repo or re.search(r"\s", repo):
        raise ValueError(f"--repo {repo!r} is not a repository address; give the course repository's URL, "
                         f"e.g. https://github.com/you/ad-course.")
    # an address copied from a student's browser: keep the hub's own address, before /hub/ or /user/
    parts = urlsplit(hub)
    hub = f"{parts.scheme}://{parts.netloc}" + re.sub(r"/(hub|user)(/.*)?$", "", parts.path.rstrip("/"))
    target = targetpath or repo_name(repo)
    path = f"{target}/{lesson.strip('/')}" if lesson else target
    params = [("repo", repo), ("urlpath", f"{app}/tree/{path}")]
    if branch:
        params.append(("branch", branch))
    params.append(("targetpath", target))
    return hub.rstrip("/") + "/hub/user-redirect/git-pull?" + urlencode(params)


# -- the student-facing course repository ---------------------------------------------------

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
    repository is refused (everything committed here is published to every student). Only the
    files adlab writes are committed. An exercise once released is frozen: an update that changes
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


# -- nbgrader ---------------------------------------------------------------------------------

NBGRADER_CONFIG = '''\
# nbgrader's configuration for the adlab course, written by `adlab nbgrader-source`
# (adlab never overwrites this file: edit it freely).
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "adlab"

# The student versions get adlab's stubs, the same as `adlab lessons` writes: `name = ...` for an
# answer, a def whose body raises NotImplementedError for code. The check cells then say "not
# answered yet" (and under autograde raise, so an unanswered exercise scores 0), and Run All
# goes through a fresh copy. nbgrader's own stub would raise in the answer cell itself.
from adlab.classroom import nbgrader_preprocessors  # noqa: E402

c.GenerateAssignment.preprocessors = nbgrader_preprocessors()

# Grades the notebook cannot fake: after nbgrader has run a submission, every check cell is
# graded again in a fresh Python process from the answer cells' source (adlab.exercises.grading),
# so nothing a student's cell redefines or patches in the kernel changes a score.
from adlab.classroom import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()

# Lessons draw tables and graphs; give each cell time on a busy machine.
c.Execute.timeout = 300
'''


nbgrader_notebook = gradable  # an instructor lesson as nbgrader's source notebook (adlab.course.gradable)
NBGRADER_WRITTEN = ".adlab-nbgrader.json"  # in the nbgrader course folder: what adlab last wrote into source/


def write_nbgrader_source(course_dir, lessons=None):
    """Write an nbgrader course folder: ``source/LESSON/LESSON.ipynb`` per lesson, and nbgrader_config.py.

    Each lesson is one assignment, named after its file (``01_evaluation_trace``). Lessons
    without exercises are skipped (nothing to grade). A source notebook the instructor has edited
    since adlab wrote it is never overwritten: the new version goes beside the course folder's
    ``source/``, as ``COURSE_DIR/LESSON (new version).ipynb`` (numbered when that one was edited
    too), outside nbgrader's assignments. Returns (path, what happened) per lesson.
    """
    course_dir = Path(course_dir).expanduser()
    course_dir.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    record_path = course_dir / NBGRADER_WRITTEN
    record = _read_json(record_path)
    record = {k: v for k, v in record.items() if isinstance(v, str)} if isinstance(record, dict) else {}
    report = []
    for source in lessons or instructor_lesson_paths():
        source = Path(source)
        notebook = gradable(nbformat.read(source, as_version=4), source.stem)
        if not any("nbgrader" in cell.metadata for cell in notebook.cells):
            continue
        text = nbformat.writes(notebook) + "\n"
        target = course_dir / "source" / source.stem / source.name
        key = target.relative_to(course_dir).as_posix()
        current = _digest(target.read_text(encoding="utf-8", errors="replace")) if target.exists() else None
        if current is None or current == record.get(key):  # new, or as adlab wrote it: nobody edited it
            what = "written" if current is None else "up to date" if current == _digest(text) else "updated"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        elif current == _digest(text) or record.get(key) == _digest(text):  # the lesson has not changed since
            what = "up to date" if current == _digest(text) else "up to date (your edits are kept)"
        else:
            beside = _new_version_path(course_dir / source.name, text, record)
            beside.write_text(text, encoding="utf-8")
            record[beside.name] = record[key] = _digest(text)
            report.append((beside, f"{key} has your edits: kept; the new version is {beside.name} "
                                   f"(merge what you want from it into {key})"))
            continue
        record[key] = _digest(text)
        report.append((target, what))
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def collect_submissions(course_dir, homes, folder="course", assignments=None):
    """Copy each student's own copy of each lesson from their home into nbgrader's ``submitted/``.

    For every home (the student's id is the home folder's name, as on the hub: the same id their
    numbers are drawn from) and every assignment in ``COURSE_DIR/source/`` (or those given):
    ``HOME/FOLDER/LESSON.ipynb`` becomes ``submitted/STUDENT/LESSON/LESSON.ipynb`` with a
    ``timestamp.txt`` from the notebook's modification time. A submitted notebook that someone
    edited after adlab collected it is never overwritten. Returns (student, assignment, what happened).
    """
    course_dir = Path(course_dir).expanduser()
    if assignments is None:
        assignments = sorted(p.name for p in (course_dir / "source").glob("*") if (p / f"{p.name}.ipynb").is_file())
    if not assignments:
        raise FileNotFoundError(f"{course_dir / 'source'} holds no assignment: run adlab nbgrader-source "
                                f"{course_dir} first.")
    record_path = course_dir / ".adlab-collected.json"
    record = _read_json(record_path)
    record = {k: v for k, v in record.items() if isinstance(v, str)} if isinstance(record, dict) else {}
    report = []
    for home in map(Path, homes):
        student = home.resolve().name
        for assignment in assignments:
            found = home / folder / f"{assignment}.ipynb"
            target = course_dir / "submitted" / student / assignment / f"{assignment}.ipynb"
            key = target.relative_to(course_dir).as_posix()
            if not found.is_file():
                report.append((student, assignment, f"no {folder}/{found.name} in {home}: nothing to collect"))
                continue
            text = found.read_text(encoding="utf-8", errors="replace")
            if target.exists():
                there = _digest(target.read_text(encoding="utf-8", errors="replace"))
                if there == _digest(text):
                    report.append((student, assignment, "already collected"))
                    continue
                if record.get(key) != there:
                    report.append((student, assignment, f"{key} was edited after it was collected: kept, not "
                                                        f"collected again (move it away to collect anew)"))
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
            stamp = datetime.fromtimestamp(found.stat().st_mtime, timezone.utc)
            (target.parent / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
            record[key] = _digest(text)
            graded = '"grade_id"' in text
            report.append((student, assignment, "collected" if graded else
                           "collected, but it carries no grading metadata (a copy from before adlab made gradable "
                           "copies): nbgrader will score it 0; give the student the current copy"))
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def nbgrader_preprocessors():
    """nbgrader's GenerateAssignment preprocessors, with ClearSolutions writing adlab's stubs.

    For nbgrader_config.py: ``c.GenerateAssignment.preprocessors = nbgrader_preprocessors()``.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions as NbgraderClearSolutions

    class ClearSolutions(NbgraderClearSolutions):
        """nbgrader's ClearSolutions, but a region becomes adlab's stub (a name = ..., a def that raises)."""

        def _replace_solution_region(self, cell, language):
            if cell.cell_type != "code" or language != "python" or BEGIN not in cell.source:
                return super()._replace_solution_region(cell, language)
            cell.source = stub_solutions(cell.source)
            return True

    return [ClearSolutions if p is NbgraderClearSolutions else p
            for p in GenerateAssignment.class_traits()["preprocessors"].default()]


def autograde_preprocessors():
    """nbgrader's Autograde preprocessors with adlab's fresh-process grading right after Execute.

    For nbgrader_config.py: ``c.Autograde.autograde_preprocessors = autograde_preprocessors()``.
    """
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from .exercises.grading import nbgrader_preprocessor

    defaults = list(Autograde.class_traits()["autograde_preprocessors"].default())
    at = defaults.index(Execute) + 1
    return defaults[:at] + [nbgrader_preprocessor()] + defaults[at:]


# -- class progress, from the students' own folders -----------------------------------------


def read_student_progress(folder, unreadable=None):
    """{exercise id: entry} merged over every .adlab-progress.json under a student's folder.

    A file that is not a progress record is skipped; its path is added to ``unreadable`` if given.
    """
    merged = {}
    for path in sorted(Path(folder).rglob(PROGRESS_FILE)):
        if ".ipynb_checkpoints" in path.parts:
            continue
        exercises = read_progress(str(path))["exercises"]
        if unreadable is not None and (not exercises and path.stat().st_size > 0 and not _empty_record(path)
                                       or any(not isinstance(entry, dict) for entry in exercises.values())):
            unreadable.append(path)
        for exercise, entry in exercises.items():
            if not isinstance(entry, dict):
                continue
            old = merged.setdefault(exercise, {"attempts": 0, "solved": False})
            old["attempts"] += int(entry.get("attempts", 0) or 0)
            old["solved"] = old["solved"] or bool(entry.get("solved")) or entry.get("status") == "done"
    return merged


def _empty_record(path):
    try:
        return json.loads(path.read_text()).get("exercises") == {}
    except (OSError, ValueError, AttributeError):
        return False


def _natural(key):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def progress_table(folders, names=None, unreadable=None):
    """(exercises, rows): one row (student, {exercise: "done" | "wrong" | "not tried"}) per folder.

    "done": solved at least once; "wrong": tried, never solved; "not tried": no check run
    on an answer yet. The student is the folder's name unless ``names`` are given.
    """
    students = [(name, read_student_progress(folder, unreadable))
                for name, folder in zip(names or [Path(f).resolve().name for f in folders], folders)]
    exercises = sorted({e for _, progress in students for e in progress}, key=_natural)
    rows = []
    for name, progress in students:
        cells = {}
        for exercise in exercises:
            entry = progress.get(exercise)
            cells[exercise] = "not tried" if not entry else ("done" if entry["solved"] else "wrong")
        rows.append((name, cells))
    return exercises, rows


def format_progress_table(exercises, rows, style="text"):
    """The class table as aligned text (with a done count per student and per exercise) or CSV."""
    if style == "csv":
        lines = [",".join(["student", *exercises])]
        lines += [",".join([_csv(name), *(cells[e] for e in exercises)]) for name, cells in rows]
        return "\n".join(lines) + "\n"
    header = ["student", *exercises, "done"]
    body = [[name, *(cells[e] for e in exercises),
             f"{sum(v == 'done' for v in cells.values())}/{len(exercises)}"] for name, cells in rows]
    footer = ["done", *(f"{sum(cells[e] == 'done' for _, cells in rows)}/{len(rows)}" for e in exercises), ""]
    table = [header, *body, footer]
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.insert(len(text) - 1, "  ".join("-" * w for w in widths))
    return "\n".join(text) + "\n"


def _csv(text):
    return f'"{text}"' if any(c in text for c in ',"\n') else text
