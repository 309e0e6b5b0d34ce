"""Class progress: a table (student × exercise) from the students' own ``.adlab-progress.json`` files.

Each student's folder is read as it is (a damaged or hand-edited file is skipped and reported, never
fatal); the table is text, one table per lesson with counts per status, or CSV.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .exercises.feedback import PROGRESS_FILE, NotAProgressRecord, load_progress

__all__ = ["STATUSES", "LEGEND", "read_student_progress", "exercise_status", "lesson_of", "course_exercises",
           "progress_table", "format_progress_table"]

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
