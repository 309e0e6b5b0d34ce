"""What a check says: correct, wrong (and where), or not answered yet; and where it is recorded.

A check never raises for a student's mistake: it returns a `Result` that the
notebook shows in the check cell. Two exceptions, both on purpose: under
nbgrader (NBGRADER_EXECUTION is set) an answer that is not correct raises
AssertionError, since that is how nbgrader's Validate marks a test cell (the
grade itself is computed again in a fresh process: see grading.py); and a
check written wrongly by the lesson's author raises as any bug would.
"""

from __future__ import annotations

import html
import json
import decimal
import math
import numbers
import os
import re
import tempfile
import time

import numpy as np

from ..display.notation import TEXT  # plain-text names and numbers only: no display stack
from ..testing import Feedback
from ..readable import number_text  # noqa: F401 - the checks' modules import it from here

PROGRESS_FILE = ".adlab-progress.json"  # beside the notebook: the kernel's working directory


class NotAnswered(Exception):
    """Raised inside a check when the answer is still the student copy's placeholder."""


class Invalid(Exception):
    """Raised inside a check when the answer cannot be read (a string for a number, a wrong length)."""


class Result(Feedback):
    """The outcome of one exercise's check, shown in the check cell: adlab.testing's Feedback for an exercise.

    ``status`` is "correct", "wrong", "unanswered", "invalid" or "shown"; ``message``
    says what is wrong and where; ``hints`` are offered one at a time when
    the answer is not correct yet.
    """

    STYLES = {  # status: (symbol, border colour, background)
        "correct": ("✓", "#2e7d32", "#e8f5e9"),
        "wrong": ("✗", "#c62828", "#ffebee"),
        "invalid": ("✗", "#c62828", "#ffebee"),
        "unanswered": ("…", "#757575", "#f5f5f5"),
        "shown": ("ℹ", "#1565c0", "#e3f2fd"),
    }

    def __init__(self, exercise, status, message, hints=(), offer_answer=False):
        super().__init__(status, message)
        self.exercise = exercise
        if isinstance(hints, str):  # one hint given as a string is one hint, not one per character
            hints = (hints,)
        self.hints = tuple(hints)
        self.offer_answer = offer_answer and status in ("wrong", "invalid") and not graded()

    @property
    def headline(self):
        return f"Exercise {self.exercise}: " + self.message.splitlines()[0]

    def __repr__(self):
        symbol = self.STYLES[self.status][0]
        lines = [f"{symbol} {self.headline}", *self.message.splitlines()[1:]]
        if self.hints and self.status in ("wrong", "invalid", "unanswered"):
            lines.append(f"({len(self.hints)} hint{'s' if len(self.hints) > 1 else ''}: open them one at a time "
                         f"in the notebook, or print them with print(*check({self.exercise!r}).hints, sep='\\n'))")
        if self.offer_answer:
            lines.append(self.answer_offer)
        return "\n".join(lines)

    @property
    def answer_offer(self):
        return f'Stuck? show_answer("{self.exercise}") in a new cell shows the answer (and records that it was shown).'


    def _repr_html_(self):
        symbol, border, background = self.STYLES[self.status]
        first, *rest = self.message.splitlines()
        body = f"<b>{symbol} Exercise {html.escape(str(self.exercise))}:</b> {_html_text(first)}"
        if rest:
            body += ("<div style='margin:4px 0 0 0;white-space:pre-wrap;font-family:var(--jp-code-font-family,"
                     "monospace)'>" + _accents_in_text_font(_html_text("\n".join(rest))) + "</div>")
        if self.hints and self.status in ("wrong", "invalid", "unanswered"):
            body += _hints_html(self.hints)
        if self.offer_answer:
            body += f"<div style='margin-top:4px;color:#424242'>{html.escape(self.answer_offer)}</div>"
        return (f"<div class='adlab-check adlab-check-{self.status}' style='border-left:4px solid {border};"
                f"background:{background};padding:6px 10px;margin:4px 0;color:#212121'>{body}</div>")


def _html_text(text):
    """Feedback text as HTML: escaped, and each `name` in backticks (Markdown's code span) set as <code>."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html.escape(text))


_ACCENTED = re.compile(r"\w[\u0300-\u036f]+")  # a letter and its combining accents: v̇, v̄


def _accents_in_text_font(text):
    """Each accented name (row v̇₂) in the notebook's text font: a code font may draw the accent beside it."""
    return _ACCENTED.sub(lambda m: f"<span style='font-family:var(--jp-content-font-family,sans-serif)'>"
                                   f"{m.group(0)}</span>", text)


def _hints_html(hints):
    """Hints as nested <details>: hint k+1 can only be opened after hint k. No kernel needed."""
    inner = ""
    for number in range(len(hints), 0, -1):
        inner = (f"<details style='margin-top:4px'><summary style='cursor:pointer'>Hint {number}</summary>"
                 f"<div style='margin-left:1em'>{_html_text(hints[number - 1])}{inner}</div></details>")
    return inner


def graded():
    """Graded mode: under nbgrader, or switched on by the instructor (ADLAB_GRADED=1). No answers are shown."""
    return (os.environ.get("NBGRADER_EXECUTION", "").lower() in ("autograde", "validate")
            or os.environ.get("ADLAB_GRADED", "").strip().lower() in ("1", "true", "yes", "on"))


def finish(exercise, status, message, hints=(), offer_answer=False):
    """Build the Result, record it in the student's folder, and raise under nbgrader if it is not correct."""
    result = Result(exercise, status, message, hints, offer_answer=offer_answer)
    record(result)
    if os.environ.get("NBGRADER_EXECUTION", "").lower() in ("autograde", "validate") and not result.ok:
        raise AssertionError(repr(result))
    return result


# -- progress, kept in the student's folder (never sent anywhere) ---------------------------


def record(result, folder=None):
    """Add this attempt to the progress file; an unanswered check is not an attempt.

    Progress is a convenience for the student and `adlab progress`; no grade reads it.
    A folder we cannot write to never breaks a check.
    """
    if result.status == "unanswered":
        return
    _update(str(result.exercise), folder, lambda entry: entry.update(
        attempts=entry["attempts"] + 1, status="done" if result.ok else "wrong",
        solved=entry["solved"] or result.ok))


def record_shown(exercise, folder=None):
    """Note in the progress file that the answer was shown."""
    _update(str(exercise), folder, lambda entry: entry.update(shown=True))


def _update(exercise, folder, change):
    if os.environ.get("ADLAB_PROGRESS", "1") == "0":
        return
    path = os.path.join(folder or os.getcwd(), PROGRESS_FILE)
    try:
        progress = load_progress(path)
    except FileNotFoundError:
        progress = _empty_progress()
    except NotAProgressRecord:
        progress = _empty_progress()  # damaged or edited by hand: it starts again, as its entries would
    except OSError as error:  # there but unreadable: replacing it would lose the student's record
        _report_unreadable_once(path, error)
        return
    try:
        entry = _clean_entry(exercise, progress["exercises"].get(exercise))
        change(entry)
        entry["last"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        progress["exercises"][exercise] = entry
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".adlab-progress-")
        with os.fdopen(handle, "w") as out:
            json.dump(progress, out, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        pass


def _clean_entry(exercise, entry):
    """A progress entry with the types a check writes; anything else (edited by hand) is reported once and reset."""
    clean = {"attempts": 0, "solved": False}
    if entry is None:
        return clean
    if not isinstance(entry, dict):
        _report_once(exercise)
        return clean
    attempts, solved = entry.get("attempts", 0), entry.get("solved", False)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0 or not isinstance(solved, bool):
        _report_once(exercise)
        return clean
    return {**{k: v for k, v in entry.items() if k in ("status", "shown", "last")}, "attempts": attempts,
            "solved": solved}


_reported = set()


def _report_once(exercise):
    if exercise not in _reported:
        _reported.add(exercise)
        print(f"(adlab: the progress entry of exercise {exercise} in {PROGRESS_FILE} was not one a check writes; "
              f"it starts again from this attempt.)")


class NotAProgressRecord(ValueError):
    """The file is not a progress record as a check writes it (damaged, or edited by hand)."""


def load_progress(path):
    """The progress file's contents; OSError if it cannot be read, NotAProgressRecord if it is not one."""
    with open(path, encoding="utf-8") as handle:
        try:
            progress = json.load(handle)
        except ValueError:  # not JSON, or not UTF-8 text
            raise NotAProgressRecord(f"{path} is not JSON") from None
    if not (isinstance(progress, dict) and isinstance(progress.get("exercises"), dict)):
        raise NotAProgressRecord(f"{path} holds no exercises record")
    return progress


def read_progress(path):
    """The progress file's contents; an empty record if it is missing or unreadable."""
    try:
        return load_progress(path)
    except (OSError, ValueError):
        return _empty_progress()


def _empty_progress():
    return {"version": 1, "exercises": {}}


_unreadable_reported = set()


def _report_unreadable_once(path, error):
    if path not in _unreadable_reported:
        _unreadable_reported.add(path)
        print(f"(adlab: cannot read {path} ({error.strerror or error}), so your attempts are not recorded; it is left "
              f"as it is: give yourself read and write permission on it, e.g. chmod u+rw {PROGRESS_FILE}.)")


# -- reading answers ----------------------------------------------------------------------


def is_placeholder(answer):
    """The student copy's `...`, or nothing at all (a function that returns nothing)."""
    return answer is Ellipsis or answer is None


def as_number(answer, what):
    """A float from a student's answer, or Invalid/NotAnswered with one sentence that says what to type."""
    if is_placeholder(answer):
        raise NotAnswered
    if isinstance(answer, (bool, np.bool_)):
        raise Invalid(f"{what} is {answer}, a truth value; give a number.")
    if isinstance(answer, str):
        raise Invalid(f"{what} is the text {answer!r}; type the number itself, without quotes (e.g. 4.0 or -1/3).")
    if isinstance(answer, (int, float, np.integer, np.floating, numbers.Real, decimal.Decimal)):
        try:
            return float(answer)  # Fraction(-13, 3), Decimal and SymPy's Rational are numbers too
        except OverflowError:
            raise Invalid(f"{what} is too large for a floating-point number (beyond 1.8e308); check its "
                          f"exponent.") from None
    if isinstance(answer, (complex, np.complexfloating)):
        raise Invalid(f"{what} is the complex number {answer!r}; give a real number"
                      f"{' (its .real)' if answer.imag == 0 else ''}.")
    if isinstance(answer, np.ndarray) and answer.size == 1 and np.issubdtype(answer.dtype, np.number):
        return as_number(answer.reshape(())[()], what)
    if getattr(answer, "is_number", False) is True and hasattr(answer, "evalf"):  # a SymPy expression such as sqrt(2)
        try:
            return float(answer)
        except (TypeError, ValueError):
            pass
    if hasattr(answer, "value") and not callable(answer):
        raise Invalid(f"{what} is a {type(answer).__name__}; give its number (e.g. its .value).")
    raise Invalid(f"{what} is a {type(answer).__name__}, not a number; give a number such as 4.0.")


def as_array(answer, shape, what):
    """(values, missing): a float array of the given shape, and where the student left `...` in it."""
    if is_placeholder(answer):
        raise NotAnswered
    shape = tuple(shape)
    if shape == ():  # one number: say what a number is, not what an array is
        if isinstance(answer, (list, tuple)) and len(answer) == 1:
            raise Invalid(f"{what} is a list with one number; give the number itself, e.g. 4.0 rather than [4.0].")
        if not isinstance(answer, (list, tuple, np.ndarray)):
            return np.array(as_number(answer, what)), np.array(False)
    if isinstance(answer, str):
        raise Invalid(f"{what} is the text {answer!r}; give numbers, e.g. a list [1.0, 2.0], without quotes.")
    answer = as_sequence(answer, what)
    try:
        items = np.asarray(answer, dtype=object)
    except ValueError:
        raise Invalid(f"{what} has rows of different lengths; give shape {shape}.") from None
    if items.ndim < len(shape) and any(isinstance(item, (list, tuple, np.ndarray)) for item in items.reshape(-1)):
        raise Invalid(f"{what} has rows of different lengths; give shape {shape} ({_shape_words(shape)}).")
    if items.shape != tuple(shape):
        if items.size == math.prod(shape) and items.ndim != len(shape):
            raise Invalid(f"{what} has shape {items.shape} but needs shape {tuple(shape)} "
                          f"({_shape_words(shape)}).")
        raise Invalid(f"{what} has {_count_words(items.shape)} but needs shape {tuple(shape)} ({_shape_words(shape)}).")
    flat = items.reshape(-1)
    if all(is_placeholder(item) for item in flat):
        raise NotAnswered
    values = np.full(flat.shape, np.nan)
    missing = np.zeros(flat.shape, dtype=bool)
    for k, item in enumerate(flat):
        if is_placeholder(item):
            missing[k] = True
        else:
            values[k] = as_number(item, what + (index_text(np.unravel_index(k, shape)) if shape else ""))
    return values.reshape(shape), missing.reshape(shape)


def as_sequence(answer, what):
    """A list from a generator, map or range; Invalid for an unordered dict or set, or an object that is no list."""
    if isinstance(answer, (dict, set, frozenset)):
        raise Invalid(f"{what} is a {type(answer).__name__}, which has no order; give a list of numbers, "
                      f"e.g. [1.0, 2.0].")
    if isinstance(answer, (list, tuple, np.ndarray, numbers.Number, decimal.Decimal)):
        return answer
    if hasattr(answer, "__next__") or isinstance(answer, range):  # a generator or map: its items, in order
        return list(answer)
    value = " (e.g. its .value)" if hasattr(answer, "value") and not callable(answer) else ""
    raise Invalid(f"{what} is a {type(answer).__name__}, not numbers; give a list of numbers{value}, "
                  f"e.g. [1.0, 2.0].")


def _shape_words(shape):
    if len(shape) == 1:
        return f"{shape[0]} numbers"
    if len(shape) == 2:
        return f"{shape[0]} rows of {shape[1]} numbers"
    return "nested lists of that shape"


def _count_words(shape):
    if len(shape) == 0:
        return "one number"
    if len(shape) == 1:
        return f"{shape[0]} entr{'y' if shape[0] == 1 else 'ies'}"
    return f"shape {shape}"


def index_text(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def row_name(index, accent=None):
    """v_2 as a table prints it: v₂, v̇₋₁ (accent "dot") or v̄₀ (accent "bar")."""
    return TEXT.var("v", index, accent)
