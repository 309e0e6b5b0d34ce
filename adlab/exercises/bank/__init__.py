"""Every exercise of the course, one module per lesson (lesson01.py …), as data.

The lessons' check cells hold only an id (``check("1.2")``); what the exercise's answer is,
how close is right and which mistakes it expects live here, computed from each student's
own inputs with the engine. The instructor's solutions are not here: they are in the
instructor notebooks, which the package installed for students does not carry.
"""

from __future__ import annotations

import importlib
import pkgutil

EXERCISES = {}


def register(*exercises):
    """Add exercises (a lesson module calls this once at import)."""
    for exercise in exercises:
        if exercise.id in EXERCISES:
            raise ValueError(f"exercise {exercise.id} is defined twice.")
        EXERCISES[exercise.id] = exercise


def _load(lesson=None):
    """Import the lesson modules: only ``lesson``'s ("9" loads lesson09) when given, else all of them.

    A check loads only its own lesson's module: lesson 3's imports SymPy, which takes seconds.
    """
    modules = [m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("lesson")]
    if lesson is not None and f"lesson{lesson:0>2}" in modules:
        modules = [f"lesson{lesson:0>2}"]
    for name in modules:
        importlib.import_module(f"{__name__}.{name}")


def get(exercise_id):
    """The Exercise with this id; one sentence if there is none."""
    key = str(exercise_id).strip()
    _load(key.split(".", 1)[0])
    if key not in EXERCISES:
        _load()
    if key not in EXERCISES:
        raise ValueError(f"there is no exercise {exercise_id!r}; the ids are written in the lesson as "
                         f"'1.2', '5.3' (in quotes).")
    return EXERCISES[key]


def all_exercises():
    """Every exercise, in course order."""
    _load()
    return sorted(EXERCISES.values(), key=lambda e: _order(e.id))


def _order(exercise_id):
    lesson, rest = exercise_id.split(".", 1)
    number = "".join(c for c in rest if c.isdigit())
    return int(lesson), int(number or 0), rest[len(number):]
