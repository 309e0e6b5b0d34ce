"""Shared by the tests of the exercise bank (tests/test_bank_lessonNN.py): one harness for every lesson.

Each lesson's test file reads its notebook with `lesson("NN_name.ipynb")`, types answer cells as a student
would (`typed`, `Lesson.with_solution`, `Lesson.changed`), gets the check's verdict (`Lesson.verdict`) and
searches the message for the expected numbers (`leaks`). One copy of each, so that a check made stricter
here is stricter for every lesson; what only one lesson needs stays in its own file.
"""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache
from pathlib import Path

import nbformat
import numpy as np

from adlab.course import student_copy
from adlab.exercises.bank import get
from adlab.exercises.exercise import ANSWER_MARK, evaluate
from adlab.exercises.feedback import number_text
from adlab.exercises.grading import answer_cells

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


@lru_cache(maxsize=None)
def lesson(filename):
    """The lesson lessons/`filename` (one object per file, so its notebook is read once per test run)."""
    return Lesson(LESSONS / filename)


class Lesson:
    """One lesson's notebook as the bank's tests read it: the instructor's answer cells, the student copy's
    stubs, and the check's verdict on an answer cell typed in their place."""

    def __init__(self, path):
        self.path = Path(path)

    @lru_cache(maxsize=None)
    def notebook(self):
        """The instructor's notebook (read once: a test that changes it must change a copy)."""
        return nbformat.read(self.path, as_version=4)

    @lru_cache(maxsize=None)
    def solutions(self):
        """{exercise id: source} of the instructor's answer cells, found as the check and the grader find them."""
        return _handed_out(answer_cells(self.notebook().cells))

    @lru_cache(maxsize=None)
    def stubs(self):
        """{exercise id: source} of the student copy's answer cells (the stubs a student starts from)."""
        return _handed_out(answer_cells(student_copy(self.notebook()).cells))

    def verdict(self, exercise_id, source, student=None, inputs=None, **earlier):
        """(status, message) of exercise_id's check on `source`, as `student` (or at the given inputs).

        An exercise that runs earlier answer cells (Exercise.uses: 4.2 and 4.3 run 4.1's class, 6.3 runs
        6.2's) runs the instructor's unless they are given: verdict("4.3", source, "alice", **{"4.1": cell}).
        """
        sources = {used: earlier.get(used, self.solutions()[used]) for used in get(exercise_id).uses}
        sources[exercise_id] = source
        return evaluate(get(exercise_id), sources, student=student, inputs=inputs)

    def with_solution(self, exercise_id, body):
        """The instructor's answer cell with its BEGIN/END SOLUTION region replaced by `body` (indented alike)."""
        lines = self.solutions()[exercise_id].splitlines()
        begin = next(i for i, line in enumerate(lines) if line.strip() == "### BEGIN SOLUTION")
        end = next(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        return "\n".join(lines[:begin] + textwrap.indent(textwrap.dedent(body).strip("\n"), indent).splitlines()
                         + lines[end + 1:])

    def changed(self, exercise_id, old, new, count=1):
        """The instructor's answer cell with `old` replaced by `new`; `old` must occur exactly `count` times,
        so that a change to the lesson's cell shows here instead of leaving the test's mistake unmade."""
        source = self.solutions()[exercise_id]
        assert source.count(old) == count, (exercise_id, old, source.count(old))
        return source.replace(old, new)

    def below(self, exercise_id):
        """The source of the cell right under an exercise's check cell (where an answer must not be given)."""
        cells = self.notebook().cells
        index = next(i for i, c in enumerate(cells) if c.source.strip() == f'check("{exercise_id}")')
        return cells[index + 1].source if index + 1 < len(cells) else ""


def _handed_out(cells):
    """The answer cells, each checked to start with its `# Exercise N.k` line as handed out.

    The check and the grader also find a mark below a student's own comments; the lesson itself has none.
    """
    for exercise_id, source in cells.items():
        first = ANSWER_MARK.match(source.splitlines()[0])
        assert first and first.group(1) == exercise_id, f"answer cell {exercise_id} does not start with its mark"
    return cells


# -- answer cells as a student types them ---------------------------------------------------------------


def typed(exercise_id, values, *, numbers=None, dtype=float):
    """An answer cell that types these values for the exercise's answer names (one name: `values` is its
    value; several: one value each). `numbers="x1, x2"` first unpacks my_numbers as the lesson's cell does;
    dtype=None keeps whole numbers whole (`k = 3`, as a student types a count)."""
    names = get(exercise_id).answer
    values = [values] if len(names) == 1 else list(values)
    lines = [f"# Exercise {exercise_id}"]
    if numbers:
        lines.append(f'{numbers} = my_numbers("{exercise_id}")')
    lines += [f"{name} = {np.asarray(value, dtype=dtype).tolist()!r}" for name, value in zip(names, values)]
    return "\n".join(lines) + "\n"


def table_source(exercise_id, student, name, arguments, key):
    """A function `name(arguments)` that looks its answers up in a table of `student`'s test points by `key`
    (a function among the arguments is looked up by its name): right for that student only."""
    ex = get(exercise_id)
    inputs = ex.draw(student)
    reference = ex.reference(**inputs)
    table = {}
    for args in ex.points(**inputs):
        index = tuple(a.__name__ if callable(a) else a for a in args)
        table[index] = np.asarray(reference(*args), dtype=float).tolist()
    return f"# Exercise {exercise_id}\nTABLE = {table!r}\n\ndef {name}({arguments}):\n    return TABLE[{key}]\n"


def listed_phrase(exercise_id, start):
    """The bank's phrase that starts with `start` (exactly one), so a typed mistake names its listed one."""
    ex = get(exercise_id)
    phrases = [p for p in ex.mistakes(**ex.draw("alice")) if p.startswith(start)]
    exact = [p for p in phrases
             if p == start or p.rstrip() == start.rstrip() and p.endswith(" ") == start.endswith(" ")]
    chosen = exact if len(exact) == 1 else phrases
    assert len(chosen) == 1, (start, phrases)
    return chosen[0]


# -- what the check knows: the numbers its messages must not give away ---------------------------------


def reference_values(exercise_id, student):
    """A function exercise's reference at each of `student`'s test points (one float array a point)."""
    ex = get(exercise_id)
    inputs = ex.draw(student)
    reference = ex.reference(**inputs)
    return [np.asarray(reference(*args), dtype=float) for args in ex.points(**inputs)]


def expected_values(exercise_id, student):
    """Every number the check knows for this student: the truth, or the reference at every test point."""
    ex = get(exercise_id)
    if ex.kind == "function":
        return np.concatenate([value.reshape(-1) for value in reference_values(exercise_id, student)])
    return np.asarray(ex.truth(ex.draw(student)), dtype=float)


def number_forms(values):
    """How an expected number could be printed: 2, 3 and 4 decimals (with either minus sign, or none),
    scientific with 3 and 4 digits, the feedback's own format (number_text), and a count of 2+ digits.

    The union of what each lesson's tests looked for. Left out: non-finite values, and a bare one-digit
    whole number or 0 ("3", "−1", "0"): in any message as an operand, a row's index or "1 of 4".
    """
    forms = set()
    for value in np.asarray(values, dtype=float).reshape(-1):
        if not np.isfinite(value):
            continue
        texts = [f"{number:.{digits}f}" for number in (value, abs(value)) for digits in (2, 3, 4)]
        texts += [f"{value:.3e}", f"{value:.4e}", number_text(value)]
        if value.is_integer() and abs(value) >= 10:
            texts.append(str(int(value)))
        for text in texts:
            if re.fullmatch(r"[-−]?\d", text):
                continue
            forms.update((text, text.replace("-", "−")))
    return forms


def distinctive_forms(values):
    """The forms worth looking for in a whole notebook (its prose and stored outputs): those of 4 digits or
    more, less the decimals of a one-digit whole number (4.0000 is also a worked example's gradient entry;
    lessons 2, 3 and 11 never looked for those, lesson 8 does, with its own filter)."""
    values = np.asarray(values, dtype=float).reshape(-1)
    small = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 10)
    forms = number_forms(values[~small]) | {form for form in number_forms(values[small]) if "e" in form}
    return {form for form in forms if len(form.lstrip("−-").replace(".", "")) >= 4}


def _shows(message, form, anywhere):
    """Whether `message` shows `form` as a number of its own: not as part of 10.25 or 0.251 for 0.25, since a
    message may echo the student's own number in full (4.1: "returned a tuple ((3.3000000000000003, -0.5))").
    With anywhere=True also inside a longer number (0.25 in 0.2517: more digits still give it away), the
    search lessons 5, 7 and 10 always made; a zero (0.00) still counts only as a number of its own there."""
    if form not in message:
        return False
    if anywhere and re.sub(r"[^0-9]", "", form.split("e")[0]).strip("0"):
        return True
    return re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", message) is not None


def leaks(message, values, anywhere=False):
    """The forms of `values` (number_forms) that `message` shows (see _shows for `anywhere`)."""
    return sorted(form for form in number_forms(values) if _shows(message, form, anywhere))


def assert_no_expected(message, values):
    """The message gives no expected value away, not even inside a longer number (leaks with anywhere=True)."""
    leaked = leaks(message, values, anywhere=True)
    assert not leaked, f"the message gives the expected value away ({leaked}): {message}"


def assert_every_listed_mistake_named(verdict, exercise_id, student, least=1):
    """Each listed mistake of a numbers exercise, typed as the answer, is wrong, named by its phrase, and the
    message gives no expected value away; the exercise lists at least `least` of them."""
    exercise = get(exercise_id)
    inputs = exercise.draw(student)
    truth = exercise.truth(inputs)
    mistakes = exercise.mistakes(**inputs)
    assert len(mistakes) >= least
    for phrase, wrong in mistakes.items():
        status, message = verdict(exercise_id, typed(exercise_id, wrong), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert_no_expected(message, truth)


def assert_mistakes_change_the_answer(exercise_id, students=60):
    """No listed mistake comes out right, within the tolerance, for any of `students` students' numbers."""
    exercise = get(exercise_id)
    for k in range(students):
        inputs = exercise.draw(f"student-{k}")
        truth = np.asarray(exercise.truth(inputs), dtype=float)
        for phrase, wrong in exercise.mistakes(**inputs).items():
            assert not np.all(exercise.tolerance.close(np.asarray(wrong, dtype=float), truth)), (inputs, phrase)
