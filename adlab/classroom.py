"""Classroom delivery: nbgitpuller links, the student-facing course repository, nbgrader sources, class progress.

adlab builds nothing that JupyterHub, nbgitpuller, nbgrader or Binder already do;
it only prepares what they consume:

- ``hub_link``: the nbgitpuller link a student clicks (``/hub/user-redirect/git-pull?…``);
- ``write_course_repo``: a git repository of student copies (no solutions) for nbgitpuller to pull;
- ``write_nbgrader_source``: an nbgrader course folder whose ``source/`` notebooks are the
  instructor lessons with nbgrader's cell metadata derived from the ``solution``/``check`` tags;
- ``progress_table``: a class table (student × exercise) from the students' ``.adlab-progress.json``.

Nothing here imports nbgrader or JupyterHub; ``nbgrader_preprocessors`` imports nbgrader when
nbgrader's own configuration file calls it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import nbformat

from .course import BEGIN, END, instructor_lesson_paths, lesson_paths, stub_solutions, student_copy
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


def write_course_repo(folder, lessons=None, message=None, branch="main"):
    """Write the student copies of the lessons into a git repository folder and commit them.

    The folder is created (``git init``) if needed. Returns (written paths, commit id or None
    when nothing changed). This is the instructor's repository: its files are simply replaced.
    """
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".git").exists():
        _git(folder, "init", "-q", "-b", branch)
    written = []
    for source in lessons or lesson_paths():
        source = Path(source)
        notebook = student_copy(nbformat.read(source, as_version=4))
        target = folder / source.name
        target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
        written.append(target)
    for name, text in (("README.md", COURSE_README), (".gitignore", COURSE_GITIGNORE)):
        if not (folder / name).exists():
            (folder / name).write_text(text, encoding="utf-8")
    _git(folder, "add", "-A")
    if not _git(folder, "status", "--porcelain").strip():
        return written, None
    _git(folder, "commit", "-q", "-m", message or "Course update: " + ", ".join(p.stem for p in written))
    return written, _git(folder, "rev-parse", "HEAD").strip()


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


def nbgrader_notebook(notebook, lesson_id="lesson"):
    """An instructor notebook as an nbgrader source notebook (a copy; the input is not changed).

    A code cell tagged ``solution`` becomes an autograded answer cell; a cell tagged ``check``
    becomes a locked test cell worth 1 point (or the points its author set in its ``nbgrader``
    metadata). Grade ids come from the exercise id in the check call (``check_number("1.2", …)``
    gives ``check_1_2`` and its answer cell ``answer_1_2``).
    """
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    seen = set()

    def unique(name):
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        return name

    cells = notebook.cells
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or not ({"solution", "check"} & set(tags)):
            continue
        old = cell.metadata.get("nbgrader", {})
        if "solution" in tags:
            if BEGIN not in cell.source or END not in cell.source:
                raise ValueError(f"{lesson_id}, cell {index}: a solution cell needs {BEGIN} … {END}.")
            following = next((c for c in cells[index + 1:] if "check" in c.get("metadata", {}).get("tags", [])),
                             None)
            exercise = _exercise_id(following.source) if following is not None else None
            meta = {"solution": True, "grade": False, "locked": False,
                    "grade_id": unique(f"answer_{exercise or index}")}
        else:
            exercise = _exercise_id(cell.source)
            meta = {"solution": False, "grade": True, "locked": True, "points": old.get("points", 1),
                    "grade_id": unique(f"check_{exercise or index}")}
        meta["schema_version"] = 3
        cell.metadata["nbgrader"] = meta
    return notebook


def _exercise_id(source):
    match = re.search(r"check\w*\(\s*(['\"])(.+?)\1", source)
    return re.sub(r"[^A-Za-z0-9_-]+", "_", match.group(2)).strip("_") if match else None


def write_nbgrader_source(course_dir, lessons=None):
    """Write an nbgrader course folder: ``source/LESSON/LESSON.ipynb`` per lesson, and nbgrader_config.py.

    Each lesson is one assignment, named after its file (``01_evaluation_trace``). Lessons
    without exercises are skipped (nothing to grade). Returns the written notebook paths.
    """
    course_dir = Path(course_dir).expanduser()
    course_dir.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    written = []
    for source in lessons or instructor_lesson_paths():
        source = Path(source)
        notebook = nbgrader_notebook(nbformat.read(source, as_version=4), source.stem)
        if not any("nbgrader" in cell.metadata for cell in notebook.cells):
            continue
        target = course_dir / "source" / source.stem / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
        written.append(target)
    return written


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
