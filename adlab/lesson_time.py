"""How long a lesson takes, from one stated model applied to every lesson the same way.

The README's course map, the instructor guide's and each lesson's first cell state these minutes;
tests/test_lesson_time.py keeps them equal to what the model gives for the lesson as it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import nbformat

PROSE_WORDS_PER_MINUTE = 150  # technical prose with formulas, read to understand (not skimmed)
CODE_LINES_PER_MINUTE = 12  # code a student reads before running it
EXERCISE_MINUTES = {  # one exercise, by what the student must produce
    "choice": 2,  # a word or a whole number, from what the lesson just showed
    "numbers": 4,  # a few numbers, worked out by hand or with a line of code
    "function": 6,  # a function the check runs on its own points
    "custom": 10,  # the student's own class or program, checked as a whole
}
ROUND_TO = 5


@dataclass(frozen=True)
class LessonTime:
    """The model's parts for one lesson, in minutes, and their rounded sum."""

    reading: float
    code: float
    exercises: float
    running: float

    @property
    def minutes(self) -> int:
        total = self.reading + self.code + self.exercises + self.running
        return max(ROUND_TO, ROUND_TO * round(total / ROUND_TO))


def lesson_time(path) -> LessonTime:
    """The model applied to the instructor's copy of a lesson (its check cells name its exercises)."""
    from .course import exercise_id
    from .exercises.bank import get

    notebook = nbformat.read(path, as_version=4)
    words = sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type == "markdown")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    shown = [cell for cell in code if not {"solution", "check"} & set(cell.metadata.get("tags", []))]
    lines = sum(1 for cell in shown for line in cell.source.splitlines() if line.strip())
    checked = [exercise_id(cell.source) for cell in code if "check" in cell.metadata.get("tags", [])]
    exercises = sum(EXERCISE_MINUTES[get(ident).kind] for ident in checked if ident)
    return LessonTime(reading=words / PROSE_WORDS_PER_MINUTE, code=lines / CODE_LINES_PER_MINUTE,
                      exercises=exercises, running=_run_seconds(code) / 60)


def _run_seconds(cells) -> float:
    """The lesson's run time as its stored outputs recorded it."""
    return sum(cell_run_seconds(cell) for cell in cells)


def cell_run_seconds(cell) -> float:
    """A code cell's stored run time, from start to reply (0 where the notebook recorded none)."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    return (_when(end) - _when(start)).total_seconds() if start and end else 0.0


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(re.sub(r"Z$", "+00:00", stamp))
