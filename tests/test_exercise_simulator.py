"""A student simulator over every exercise of the course, as two students would meet it.

For each exercise in adlab.exercises.bank and each of two students: the student copy's stub is
"not answered yet"; the instructor's answer cell (from the lesson) is correct; for numeric
exercises another student's answer is refused where the numbers differ, every listed mistake
is caught, and no feedback before show_answer contains the expected value. The student copies
hold no exercise's expected answer for either student.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nbformat
import numpy as np
import pytest

from adlab.course import lesson_paths, student_copy
from adlab.exercises.bank import all_exercises
from adlab.exercises.exercise import evaluate
from adlab.exercises.grading import answer_cells
from adlab.exercises.feedback import number_text

STUDENTS = ("alice", "bob")


@lru_cache(maxsize=None)
def lessons():
    return {path.name[:2].lstrip("0"): nbformat.read(path, as_version=4) for path in lesson_paths()}


@lru_cache(maxsize=None)
def instructor_sources():
    sources = {}
    for notebook in lessons().values():
        sources.update(answer_cells(notebook.cells))
    return sources


@lru_cache(maxsize=None)
def stub_sources():
    sources = {}
    for notebook in lessons().values():
        sources.update(answer_cells(student_copy(notebook).cells))
    return sources


def exercise_ids():
    return [e.id for e in all_exercises()]


def exercise(exercise_id):
    return {e.id: e for e in all_exercises()}[exercise_id]


def number_forms(values):
    """The ways an expected number could be printed: 2, 3 and 4 decimals and the feedback's own format."""
    forms = set()
    for value in np.asarray(values, dtype=float).reshape(-1):
        if not np.isfinite(value) or float(value).is_integer():
            continue  # whole numbers (0, 1, counts) are too common to search for
        for text in (f"{value:.2f}", f"{value:.3f}", f"{value:.4f}", number_text(value)):
            forms.add(text)
            forms.add(text.replace("-", "−"))
    return forms


def leaks(message, truth):
    return sorted(form for form in number_forms(truth) if re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", message))


def answer_source(ex, inputs, values):
    """An answer cell that types these values for ex's answer names."""
    lines = [f"# Exercise {ex.id}"]
    values = [values] if len(ex.answer) == 1 else list(values)
    for name, value in zip(ex.answer, values):
        lines.append(f"{name} = {np.asarray(value, dtype=float).tolist()!r}")
    return "\n".join(lines)


def with_sources(ex, source):
    sources = dict(instructor_sources())
    sources[ex.id] = source
    return sources


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", exercise_ids())
def test_the_stub_waits_and_the_solution_is_correct(exercise_id, student):
    ex = exercise(exercise_id)
    assert exercise_id in instructor_sources(), f"no answer cell starts with '# Exercise {exercise_id}'"
    status, message = evaluate(ex, instructor_sources(), student=student)
    assert status == "correct", message
    stubbed = dict(stub_sources())
    status, message = evaluate(ex, stubbed, student=student)
    assert status == "unanswered", message


@pytest.mark.parametrize("exercise_id", [e.id for e in all_exercises() if e.kind == "numbers"])
def test_numeric_feedback_diagnoses_without_the_answer(exercise_id):
    ex = exercise(exercise_id)
    for student, other in (STUDENTS, STUDENTS[::-1]):
        inputs = ex.draw(student)
        truth = np.asarray(ex.truth(inputs), dtype=float)
        wrong_answers = [np.zeros_like(truth) + 0.123, truth * 1.5 + 0.77]
        wrong_answers += [np.asarray(v, dtype=float) for v in (ex.mistakes(**inputs) if ex.mistakes else {}).values()]
        for wrong in wrong_answers:
            parts = wrong if len(ex.answer) == 1 else list(wrong)
            status, message = evaluate(ex, with_sources(ex, answer_source(ex, inputs, parts)), student=student)
            assert status == "wrong", (wrong, message)
            assert not leaks(message, truth), (message, leaks(message, truth))
        if ex.inputs is not None and not callable(ex.inputs):
            continue
        theirs = np.asarray(ex.truth(ex.draw(other)), dtype=float)
        if str(ex.draw(other)) != str(inputs) and (theirs.shape != truth.shape
                                                   or not np.allclose(theirs, truth, atol=2e-3)):
            values = theirs if len(ex.answer) == 1 else list(theirs)
            status, message = evaluate(ex, with_sources(ex, answer_source(ex, inputs, values)), student=student)
            assert status == "wrong", f"{other}'s answer passes for {student}: {message}"


@pytest.mark.parametrize("exercise_id", [e.id for e in all_exercises() if callable(e.inputs)])
def test_two_students_get_different_numbers_and_answers(exercise_id):
    ex = exercise(exercise_id)
    alice, bob = (ex.draw(s) for s in STUDENTS)
    assert str(alice) != str(bob), f"exercise {exercise_id} gives alice and bob the same numbers"
    if ex.kind == "numbers":
        mine, theirs = (np.asarray(ex.truth(d), dtype=float) for d in (alice, bob))
        assert mine.shape != theirs.shape or not np.allclose(mine, theirs), "the same answer for both"


def test_no_student_copy_holds_an_answer():
    found = []
    for number, notebook in lessons().items():
        text = nbformat.writes(student_copy(notebook))
        for ex in all_exercises():
            if ex.id.split(".")[0] != number or ex.kind != "numbers":
                continue
            for student in STUDENTS:
                truth = np.asarray(ex.truth(ex.draw(student)), dtype=float)
                distinctive = {f for f in number_forms(truth) if len(f.lstrip("−-").replace(".", "")) >= 4}
                hits = [f for f in distinctive if re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text)]
                if hits:
                    found.append((ex.id, student, hits))
    assert not found, found


@pytest.mark.parametrize("exercise_id", [e.id for e in all_exercises() if e.kind == "function"])
def test_function_feedback_gives_no_reference_value(exercise_id):
    """A student's function that is off everywhere: the verdict names the point, never what it should return."""
    ex = exercise(exercise_id)
    for student in STUDENTS:
        inputs = ex.draw(student)
        reference = ex.reference(**inputs)
        truth = np.concatenate([np.asarray(reference(*(args if isinstance(args, (tuple, list)) else (args,))),
                                           dtype=float).reshape(-1) for args in ex.points(**inputs)])
        name = ex.answer[0]
        source = (f"# Exercise {ex.id}\nimport numpy as np\n"
                  f"def {name}(*args):\n    return {np.round(truth[0] * 1.5 + 0.77, 6)!r}")
        status, message = evaluate(ex, with_sources(ex, source), student=student)
        assert status in ("wrong", "invalid"), message
        assert not leaks(message, truth), (message, leaks(message, truth))


@pytest.mark.parametrize("exercise_id", [e.id for e in all_exercises() if e.by_hand])
def test_every_by_hand_exercise_refuses_the_engine(exercise_id):
    ex = exercise(exercise_id)
    mark, _, rest = instructor_sources()[exercise_id].partition("\n")
    for cheat in ("import adlab", "from adlab import grad", "from adlab.cost import cost"):
        status, message = evaluate(ex, with_sources(ex, f"{mark}\n{cheat}\n{rest}"), student="alice")
        assert status == "wrong" and "by hand" in message, message


@pytest.mark.parametrize("exercise_id", [e.id for e in all_exercises() if e.kind == "choice"])
def test_choices_explain_only_once_right(exercise_id):
    ex = exercise(exercise_id)
    inputs = ex.draw("alice")
    truth, name = ex.truth(inputs), ex.answer[0]
    explain = ex.explanation(inputs)
    status, message = evaluate(ex, with_sources(ex, f"# Exercise {ex.id}\n{name} = {truth!r}"), student="alice")
    assert status == "correct" and explain in message
    listed = {option: phrase for phrase, option in (ex.mistakes(**inputs) if ex.mistakes else {}).items()}
    wrong_options = [c for c in ex.choices if c.lower() != str(truth).lower()] if isinstance(truth, str) \
        else [truth + 1, truth - 1]
    for wrong in wrong_options:
        status, message = evaluate(ex, with_sources(ex, f"# Exercise {ex.id}\n{name} = {wrong!r}"), student="alice")
        assert status == "wrong", message
        assert (not explain or explain not in message) and not re.search(rf"\b{re.escape(str(truth))}\b", message)
        if wrong in listed:
            assert listed[wrong].strip() in message, message
        if ex.revisit:
            assert ex.revisit in message
