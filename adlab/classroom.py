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

import csv
import io
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
from .exercises.feedback import PROGRESS_FILE, NotAProgressRecord, load_progress

# -- nbgitpuller links ----------------------------------------------------------------------


def repo_name(repo):
    """The folder nbgitpuller pulls into by default: the repository's last path part, without .git."""
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".git") else name


REPO_SCHEMES = ("https", "http", "git", "file")  # what a student's server can clone without a key of its own


def hub_link(hub, repo, branch=None, lesson=None, targetpath=None, app="lab"):
    """The nbgitpuller link for a JupyterHub: pulls `repo` into the student's home, then opens it.

    The same link nbgitpuller's link generator makes: ``HUB/hub/user-redirect/git-pull?repo=…``.
    ``lesson`` is a path inside the repository (a notebook opens in JupyterLab); ``targetpath``
    is the folder in the student's home (the repository's name by default). Anything that would
    make a link that cannot work raises ValueError with one sentence saying what to give instead.
    """
    hub = _hub_address(hub)
    _check_repo(repo)
    if branch is not None:
        _check_branch(branch)
    target = _relative_path(targetpath, "--targetpath", "a folder name in the student's home, e.g. course") \
        if targetpath is not None else repo_name(repo)
    path = target
    if lesson:
        path += "/" + _relative_path(lesson, "--lesson", "a path inside the repository, e.g. 01_evaluation_trace.ipynb")
    params = [("repo", repo), ("urlpath", f"{app}/tree/{path}")]
    if branch:
        params.append(("branch", branch))
    params.append(("targetpath", target))
    return hub + "/hub/user-redirect/git-pull?" + urlencode(params)


def _hub_address(hub):
    """The hub's own address (scheme, host, base path), from anything copied from a browser's address bar."""
    example = "copy it from the browser's address bar, e.g. https://hub.example.edu"
    if not re.match(r"https?://", hub):
        raise ValueError(f"the hub URL must start with http:// or https://, not {hub!r}; {example}.")
    parts = urlsplit(hub)
    if re.search(r"\s", hub) or not parts.hostname:
        raise ValueError(f"the hub URL {hub!r} is not an address (spaces, or no host); {example}.")
    _check_port(parts, f"the hub URL {hub!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"the hub URL {hub!r} holds a user name or password, which every student would see in "
                         f"the link; remove the part before @.")
    # an address copied from a student's browser: keep the hub's own address, before /hub/ or /user/
    return f"{parts.scheme}://{parts.netloc}" + re.sub(r"/(hub|user)(/.*)?$", "", parts.path.rstrip("/"))


def _check_port(parts, what):
    try:
        port = parts.port
    except ValueError:  # out of range, or not a number
        port = 0
    if port == 0:
        raise ValueError(f"{what} has the port {parts.netloc.rsplit(':', 1)[-1]!r}; a port is a number from 1 to "
                         f"65535 (or leave it out).")


def _check_repo(repo):
    """A repository address a student's server can clone: https://, http://, git:// or file://."""
    example = "e.g. https://github.com/you/ad-course"
    if not repo or re.search(r"\s", repo):
        raise ValueError(f"--repo {repo!r} is not a repository address; give the course repository's URL, {example}.")
    parts = urlsplit(repo)
    scp_like = re.match(r"[\w.-]+@([\w.-]+):/?(.*)", repo)  # git@github.com:you/course.git
    if parts.scheme == "ssh" or parts.scheme.startswith("git+") or scp_like:
        https = f"https://{scp_like[1]}/{scp_like[2]}" if scp_like else f"https://{parts.hostname}{parts.path}"
        raise ValueError(f"--repo {repo!r} is an SSH address, which students' servers cannot clone (they hold no "
                         f"key); give its https:// address, e.g. {https}.")
    if parts.scheme not in REPO_SCHEMES or "://" not in repo:
        if repo.startswith(("/", "~")):
            raise ValueError(f"--repo {repo!r} is a path; a repository on the hub's own machine is written "
                             f"file://{repo if repo.startswith('/') else '/ABSOLUTE/PATH'}.")
        if "://" not in repo:
            raise ValueError(f"--repo {repo!r} has no scheme; add https:// (https://{repo}).")
        raise ValueError(f"--repo {repo!r} starts with {parts.scheme}://, which nbgitpuller cannot pull; give an "
                         f"https:// address, {example}.")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"--repo {repo!r} has no host; give the course repository's URL, {example}.")
    _check_port(parts, f"--repo {repo!r}")
    page = re.search(r"/(-/)?(tree|blob)/", parts.path)
    if page:
        base = repo[:repo.index(page.group(0))]
        raise ValueError(f"--repo {repo!r} is a page of the repository, not its address; give {base} (and the branch "
                         f"with --branch).")


def _check_branch(branch):
    """Refuse what git never accepts in a branch name (git check-ref-format), in one sentence."""
    if (not branch or branch.startswith(("-", "/")) or branch.endswith(("/", ".", ".lock")) or ".." in branch
            or "@{" in branch or "//" in branch or re.search(r"[\s~^:?*\[\\\x00-\x1f\x7f]", branch)):
        raise ValueError(f"--branch {branch!r} is not a branch name git accepts; give the branch as git shows it, "
                         f"e.g. main.")


def _relative_path(path, option, example):
    """A path below the course folder, with / between parts: never absolute, never climbing out with .."""
    if "\\" in path:
        raise ValueError(f"{option} {path!r} has a backslash; separate folders with /, {example}.")
    if path.startswith(("/", "~")):
        raise ValueError(f"{option} {path!r} is an absolute path; give {example}.")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{option} {path!r} climbs out with ..; give {example}.")
    if not parts or re.search(r"[\x00-\x1f\x7f]", path):
        raise ValueError(f"{option} {path!r} names no file or folder; give {example}.")
    return "/".join(parts)


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

STATUSES = ("done", "wrong", "shown", "not tried")
SHORT = {"not tried": "-"}
LEGEND = "done: solved; wrong: tried, not solved; shown: the answer was shown (solved or not); -: not tried\n"


def read_student_progress(folder, problems=None):
    """{exercise id: {"attempts", "solved", "shown"}} merged over every .adlab-progress.json under a folder.

    ``problems``, if given, collects (path, what is wrong) for every file that cannot be read or
    is not a progress record (skipped), and for a folder whose subfolders' files are merged into
    one row (a class folder given in place of its students' folders looks like this).
    """
    folder = Path(folder)
    paths = [path for path in sorted(folder.rglob(PROGRESS_FILE)) if ".ipynb_checkpoints" not in path.parts]
    inside = sorted({path.relative_to(folder).parts[0] for path in paths if path.parent != folder})
    if len(inside) > 1:
        named = ", ".join(inside[:4] + ["…"] * (len(inside) > 4))
        _problem(problems, folder, f"holds progress files in {len(inside)} subfolders ({named}), counted "
                                   f"as one student; if they are students' folders, give them one by one "
                                   f"(adlab progress {str(folder).rstrip('/')}/*)")
    merged = {}
    for path in paths:
        try:
            exercises = load_progress(path)["exercises"]
        except NotAProgressRecord:
            if path.stat().st_size:  # an empty file records nothing yet
                _problem(problems, path, "is not a progress record (damaged or edited by hand); its exercises "
                                         "are not counted")
            continue
        except OSError as error:
            _problem(problems, path, f"cannot be read ({error.strerror or error}); its exercises are not counted")
            continue
        if any(not isinstance(entry, dict) for entry in exercises.values()):
            _problem(problems, path, "has entries that are not a progress record (edited by hand); they are not "
                                     "counted")
        for exercise, entry in exercises.items():
            if not isinstance(entry, dict):
                continue
            old = merged.setdefault(exercise, {"attempts": 0, "solved": False, "shown": False})
            attempts = entry.get("attempts", 0)
            old["attempts"] += attempts if type(attempts) is int and attempts > 0 else 0  # a count a check wrote
            old["solved"] = old["solved"] or entry.get("solved") is True or entry.get("status") == "done"
            old["shown"] = old["shown"] or entry.get("shown") is True
    return merged


def _problem(problems, path, what):
    if problems is not None:
        problems.append((path, what))


def exercise_status(entry):
    """done, wrong, shown or not tried, for an exercise's merged progress entry (None if it has none).

    "shown" wins over "done": a progress file does not say whether the answer was shown before or
    after the student solved it, so the instructor sees every exercise whose answer was seen.
    """
    if entry and entry["shown"]:
        return "shown"
    if entry and entry["solved"]:
        return "done"
    return "wrong" if entry and entry["attempts"] else "not tried"


def lesson_of(exercise):
    """The lesson an exercise id belongs to: "7.2a" → "7"."""
    return exercise.split(".", 1)[0]


def course_exercises(found=()):
    """Every exercise of the course in course order, and the other ids in ``found`` at the end of their lesson."""
    from .exercises.bank import all_exercises

    position = {exercise.id: k for k, exercise in enumerate(all_exercises())}

    def order(exercise):
        lesson = lesson_of(exercise)
        return ((0, int(lesson), "") if lesson.isdigit() else (1, 0, lesson),
                (0, position[exercise], []) if exercise in position else (1, 0, _natural(exercise)))

    return sorted(set(position) | set(found), key=order)


def _natural(key):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def progress_table(folders, names=None, problems=None, lesson=None):
    """(exercises, rows): every exercise of the course (or of one lesson), one row per student folder.

    A row is (student, {exercise: "done" | "wrong" | "shown" | "not tried"}): done, solved;
    wrong, tried and never solved; shown, the answer was shown (see ``exercise_status``); not
    tried, no check has run on an answer. The student is the folder's name unless ``names``
    are given. ``problems`` collects what ``read_student_progress`` finds wrong.
    """
    students = [(name, read_student_progress(folder, problems))
                for name, folder in zip(names or [Path(f).resolve().name for f in folders], folders)]
    exercises = course_exercises({exercise for _, progress in students for exercise in progress})
    if lesson is not None:
        exercises = [exercise for exercise in exercises if lesson_of(exercise) == str(lesson)]
    rows = [(name, {exercise: exercise_status(progress.get(exercise)) for exercise in exercises})
            for name, progress in students]
    return exercises, rows


def format_progress_table(exercises, rows, style="text"):
    """The class table as text, one table per lesson and a count per student, or as CSV (one wide table).

    Text: each lesson's table ("-" for not tried, so that activity stands out) has a student's done
    count in its last column and, under it, how many students are done, wrong, shown and not tried
    on each exercise; the last table counts each student's exercises by status.
    """
    counts = [(name, [sum(status == s for status in cells.values()) for s in STATUSES]) for name, cells in rows]
    if style == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student", *exercises, *STATUSES])
        for (name, cells), (_, numbers) in zip(rows, counts):
            writer.writerow([name, *(cells[e] for e in exercises), *numbers])
        return out.getvalue()
    lessons = {}
    for exercise in exercises:
        lessons.setdefault(lesson_of(exercise), []).append(exercise)
    tables = []
    for lesson, ids in lessons.items():
        body = [[_printable(name), *(SHORT.get(cells[e], cells[e]) for e in ids),
                 f"{sum(cells[e] == 'done' for e in ids)}/{len(ids)}"] for name, cells in rows]
        footer = [[status, *(str(sum(cells[e] == status for _, cells in rows)) for e in ids)] for status in STATUSES]
        tables.append(f"Lesson {_printable(lesson)}\n" + _aligned(["student", *map(_printable, ids), "done"], body,
                                                                   footer))
    body = [[_printable(name), *map(str, numbers)] for name, numbers in counts]
    tables.append(f"Per student ({len(exercises)} exercise{'s' * (len(exercises) != 1)})\n"
                  + _aligned(["student", *STATUSES], body))
    return LEGEND + "\n" + "\n".join(tables)


def _aligned(header, body, footer=()):
    """Columns padded to their widest cell, a rule under the header and above the footer."""
    table = [header, *body, *footer]
    widths = [max(len(row[k]) for row in table if k < len(row)) for k in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, rule)
    if footer:
        lines.insert(len(lines) - len(footer), rule)
    return "\n".join(lines) + "\n"


def _printable(name):
    """A name or id on one line of the table: control characters (a newline) written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
