"""nbgrader: the course folder nbgrader grades from, the students' copies collected into it, and the
preprocessors that make nbgrader write adlab's stubs and grade again in a fresh process.

``write_nbgrader_source`` writes the instructor lessons with nbgrader's cell metadata derived from the
``solution``/``check`` tags; ``collect_submissions`` copies the students' own copies from their homes
into ``submitted/`` (the copy a student works in is the copy nbgrader grades: see
adlab.course.student_copy). Nothing here imports nbgrader until nbgrader's own configuration file
calls ``nbgrader_preprocessors`` or ``autograde_preprocessors`` (that file imports them from
``adlab.classroom``, which keeps them there for the files already written).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .course import BEGIN, _digest, _new_version_path, _read_json, gradable, instructor_lesson_paths, stub_solutions

__all__ = ["NBGRADER_CONFIG", "NBGRADER_WRITTEN", "write_nbgrader_source", "collect_submissions", "home_student",
           "tljh_system_user", "nbgrader_preprocessors", "autograde_preprocessors"]

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
# so nothing a student's cell redefines or patches in the kernel changes a score. Its Execute reads
# each cell's reply in one-second slices, so no cell that calls `interact` waits out the timeout below.
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


TLJH_PREFIX = "jupyter-"  # The Littlest JupyterHub's system user, and home, of hub user NAME: jupyter-NAME
TLJH_LONGEST = 25  # longer system user names TLJH shortens (tljh.normalize.generate_system_username)


def tljh_system_user(hub_user):
    """The system user, and home folder name, The Littlest JupyterHub gives a hub user (as TLJH 2.0 makes it).

    ``jupyter-NAME``; a name longer than 25 characters is cut to 26 and given a hash, ``-`` and 5 hex digits.
    """
    name = TLJH_PREFIX + hub_user
    if len(name) <= TLJH_LONGEST:
        return name
    return f"{name[:26]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:5]}"


def home_student(home_name, hub_users=None):
    """The student id of a home folder: the hub user name, the one their numbers are drawn from.

    Given the hub's user names, the user whose home it is: named after them, or The Littlest
    JupyterHub's ``jupyter-NAME`` of them. Without them, the folder's name, less TLJH's ``jupyter-``.
    A ValueError (what is wrong, to follow the home's name) when the name cannot tell whose home it is.
    """
    if hub_users is not None:
        users = [user for user in hub_users if home_name in (user, tljh_system_user(user))]
        if not users:
            raise ValueError("not the home of a hub user listed: not collected.")
        if len(users) > 1:
            raise ValueError(f"the home of {' or '.join(users)}, which cannot be told apart: not collected; copy "
                             f"it into submitted/ by hand.")
        return users[0]
    if not home_name.startswith(TLJH_PREFIX):
        return home_name
    if len(home_name) > TLJH_LONGEST:
        raise ValueError("a home whose name The Littlest JupyterHub shortened (its hub user's name is 18 characters "
                         "or longer), so it does not say whose it is: not collected; give the hub's user names with "
                         "--hub-users FILE (deploy/tljh/README.md says how).")
    return home_name[len(TLJH_PREFIX):]


def collect_submissions(course_dir, homes, folder="course", assignments=None, hub_users=None):
    """Copy each student's own copy of each lesson from their home into nbgrader's ``submitted/``.

    For every home and every assignment in ``COURSE_DIR/source/`` (or those given):
    ``HOME/FOLDER/LESSON.ipynb`` becomes ``submitted/STUDENT/LESSON/LESSON.ipynb`` with a
    ``timestamp.txt`` from the notebook's modification time. STUDENT is the hub user name, the id
    their numbers are drawn from (``home_student``: the home's name, less The Littlest JupyterHub's
    ``jupyter-``; matched against ``hub_users`` when given). A submitted notebook that someone edited
    after adlab collected it is never overwritten. Returns (student, assignment, what happened), and
    (home's name, None, what) for a home whose name is not the student id, or that is not collected.
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
    report, homes_of = [], {}
    for home in map(Path, homes):
        name = home.resolve().name
        try:
            student = home_student(name, hub_users)
        except ValueError as error:
            report.append((name, None, str(error)))
            continue
        if student in homes_of:
            report.append((name, None, f"student {student}'s home, as {homes_of[student]} is: not collected "
                                       f"(give one home per student)."))
            continue
        homes_of[student] = home
        if student != name:
            report.append((name, None, f"The Littlest JupyterHub's home of hub user {student}: collected as student "
                                       f"{student}, the id their numbers are drawn from"))
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
    """nbgrader's Autograde preprocessors, with an Execute that never waits on a widget and adlab's
    fresh-process grading right after it.

    For nbgrader_config.py: ``c.Autograde.autograde_preprocessors = autograde_preprocessors()``.
    """
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute as NbgraderExecute

    from .exercises.grading import nbgrader_preprocessor
    from .notebook_execution import SlicedKernelManager

    class Execute(NbgraderExecute):
        """nbgrader's Execute (its ``c.Execute`` settings too), reading each cell's reply in one-second
        slices: a lost wake-up after an ``interact`` cell costs a second, not the cell's whole timeout."""

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("kernel_manager_class", SlicedKernelManager)
            super().__init__(*args, **kwargs)

    defaults = list(Autograde.class_traits()["autograde_preprocessors"].default())
    at = defaults.index(NbgraderExecute)
    return defaults[:at] + [Execute, nbgrader_preprocessor()] + defaults[at + 1:]
