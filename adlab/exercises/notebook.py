"""The three calls a lesson's exercise cells make: my_numbers, check, show_answer.

An answer cell starts with ``# Exercise 1.2`` and, for a numeric exercise, takes the
student's own inputs from ``my_numbers("1.2")``. The check cell under it is ``check("1.2")``:
no answer in sight. The check finds the answer cell's source in the kernel's history and
runs it on its own (exercise.evaluate), so what it judges is exactly what the cell says.
The expected value is shown only by ``show_answer``, after a real attempt, never in graded
mode, and the progress file records that it was shown.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from .bank import get
from .exercise import _as_numbers, answer_cell_id, evaluate
from .feedback import Result, finish, graded, number_text, read_progress, record_shown, PROGRESS_FILE

_attempted = set()  # exercises answered in this kernel (the progress file may be switched off)
_seen = {}  # exercise id -> the source of its answer cell, as last run in this kernel


def my_numbers(exercise_id):
    """Your own inputs for an exercise (another student's differ); prints them, returns them in order."""
    exercise = get(exercise_id)
    inputs = exercise.draw()
    if not inputs:
        raise ValueError(f"exercise {exercise.id} has no numbers of its own: it is the same for everyone.")
    print(f"Your numbers for exercise {exercise.id}: {numbers_text(exercise, inputs)}")
    return _as_numbers(inputs)


def numbers_text(exercise, inputs):
    """"x1 = 2.0, x2 = -4.0 (ẋ = (1, 0))": an exercise's inputs as the student's answer cell prints them."""
    text = ", ".join(f"{name} = {_plain(value)}" for name, value in inputs.items())
    return text + (f" ({exercise.variant_note})" if exercise.variant_note else "")


def check(exercise_id):
    """Check your answer to an exercise: correct, not answered yet, or what looks wrong and where."""
    exercise = get(exercise_id)
    inputs = exercise.draw()  # once: a draw that keeps every listed mistake visible may try many
    status, message = evaluate(exercise, answer_sources(), inputs=inputs)
    if status != "unanswered":
        _attempted.add(exercise.id)
    return finish(exercise.id, status, message, exercise.hint_texts(inputs), offer_answer=True)


def show_answer(exercise_id):
    """The expected answer, after at least one real attempt; recorded as shown. Never in graded mode."""
    exercise = get(exercise_id)
    if graded():
        return Result(exercise.id, "invalid", "answers are not shown in graded mode.")
    if exercise.id not in _attempted and not _attempted_before(exercise.id):
        return Result(exercise.id, "invalid", "try it first: run your answer and its check once, then ask "
                                              "for the answer if you are stuck.")
    record_shown(exercise.id)
    inputs = exercise.draw()
    return Result(exercise.id, "shown", answer_text(exercise, inputs))


def answer_sources(history=()):
    """{exercise id: source} of the latest run of each answer cell (`# Exercise N.k` on its first line).

    Cells are seen as they run (IPython's pre_run_cell event: it sees cells run without history,
    as nbval runs them); ``history`` adds sources seen elsewhere, latest last.
    """
    sources = dict(_seen)
    for source in history:
        exercise = answer_cell_id(source)
        if exercise:
            sources[exercise] = source
    return sources


def _remember(info):
    exercise = answer_cell_id(getattr(info, "raw_cell", "") or "")
    if exercise:
        _seen[exercise] = info.raw_cell


def _watch_cells():
    """Start remembering answer cells as they run (once per kernel; nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and _remember not in shell.events.callbacks.get("pre_run_cell", []):
        shell.events.register("pre_run_cell", _remember)


_watch_cells()


def _attempted_before(exercise_id):
    entry = read_progress(os.path.join(os.getcwd(), PROGRESS_FILE))["exercises"].get(exercise_id)
    return isinstance(entry, dict) and isinstance(entry.get("attempts"), int) and entry["attempts"] > 0


def answer_text(exercise, inputs):
    if exercise.kind == "numbers" or exercise.kind == "custom" and exercise.expected is not None:
        from .exercise import _entry_names

        truth = np.asarray(exercise.truth(inputs), dtype=float)
        answered = [None] * (len(exercise.answer) if exercise.kind == "numbers" else 1)
        shown = exercise if exercise.kind == "numbers" else replace(exercise, answer=exercise.answer[-1:])
        names = _entry_names(shown, truth, inputs, answered)
        lines = [f"{name} = {number_text(value)}" for name, value in zip(names, truth.reshape(-1))]
        return "the answer, " + exercise.tolerance.words() + ":\n" + "\n".join("  " + line for line in lines)
    if exercise.kind == "choice":
        truth = exercise.truth(inputs)
        explain = exercise.explanation(inputs)
        shown = truth if isinstance(truth, str) else number_text(truth)
        return f"the answer: {shown}." + (f"\n{explain}" if explain else "")
    if exercise.kind == "function":
        lines = []
        reference = exercise.reference(**inputs)
        for args in exercise.points(**inputs):
            args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
            value = np.asarray(reference(*args), dtype=float).reshape(-1)
            lines.append(f"at ({', '.join(_plain(a) for a in args)}): "
                         + ", ".join(number_text(v) for v in value))
        return "what the function should return at the test points:\n" + "\n".join("  " + l for l in lines)
    return "this exercise has no single value to show: open its hints in order; the last one gives the method."


def _plain(value):
    """A number as Python reads it back (an ASCII minus: the student may paste it into code)."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))  # a count reads as a count: n = 800
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if hasattr(value, "tolist"):
        return repr(value.tolist())
    return getattr(value, "__name__", repr(value))
