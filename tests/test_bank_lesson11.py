"""Lesson 11's exercises in the bank, as two students meet them.

For every exercise of lessons/11_review.ipynb and for alice and bob: the instructor's answer cell
(read from the notebook by its `# Exercise 11.k` line) is correct, the student copy's stub is not
answered yet, every listed mistake is "wrong" with its own diagnosis (which names the lesson to
revisit) and without the expected value, and one student's numbers do not pass for the other.
Choice questions: every wrong option is "wrong" and says neither the answer nor the reason.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from adlab.course import student_copy
from adlab.exercises.bank import all_exercises, get
from adlab.exercises.diagnose import TIGHT
from bank_support import distinctive_forms, leaks, lesson, reference_values, typed

LESSON = lesson("11_review.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
STUDENTS = ("alice", "bob")
IDS = ["11.1a", "11.1b", "11.1c", "11.2", "11.3", "11.4", "11.5", "11.6", "11.7", "11.8", "11.9", "11.10",
       "11.11", "11.12", "11.13"]
CHOICES = [i for i in IDS if get(i).kind == "choice"]
NUMBERS = [i for i in IDS if get(i).kind == "numbers"]

# Exercise 11.6's listed mistakes, as a student would type them (the bank holds them as functions).
WRONG_BACKWARD = {
    "x is used twice": ["y_bar * s * e", "y_bar * e * np.cos(x)"],
    "recomputes": ["y_bar * (np.sin(x) * np.exp(x) + np.exp(x) * np.cos(x))",
                   "y_bar * (s * np.exp(x) + np.exp(x) * np.cos(x))",
                   "y_bar * (np.sin(x) * e + e * np.cos(x))"],
    "start from": ["s * e + e * np.cos(x)"],
    "sends each factor the other one": ["y_bar * (e * e + s * np.cos(x))"],
    "sin's partial is +cos x": ["y_bar * (s * e - e * np.cos(x))"],
    "exp's partial is eˣ itself": ["y_bar * (s + e * np.cos(x))"],
}


# -- every exercise ----------------------------------------------------------------------------------------


def test_the_lesson_holds_exactly_these_exercises_and_checks():
    assert [e.id for e in all_exercises() if e.id.startswith("11.")] == IDS
    assert list(solutions()) == IDS, "one answer cell per exercise, in order"
    checks = [c.source.strip() for c in notebook().cells if "check" in c.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS], "a check cell is only check(\"11.k\")"
    for cell in notebook().cells:
        if "solution" in cell.metadata.get("tags", []):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    imports = notebook().cells[1].source
    assert "from adlab.exercises import check, my_numbers, show_answer" in imports
    assert "check_" not in "".join(c.source for c in notebook().cells if c.cell_type == "code")


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_name_a_lesson_and_give_no_answer(exercise_id):
    ex = get(exercise_id)
    assert ex.hints
    for student in STUDENTS + ("instructor",):
        inputs = ex.draw(student)
        truth = reference_values(ex.id, student) if ex.kind == "function" else \
            (ex.truth(inputs) if ex.kind != "choice" else [])
        for hint in ex.hint_texts(inputs):
            assert re.search(r"Lesson \d+", hint), hint
            assert not leaks(hint, truth), (hint, leaks(hint, truth))
            if ex.kind == "choice":
                assert ex.truth(inputs).lower() not in re.findall(r'"([^"]*)"', hint.lower())


# -- numeric exercises -------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_every_mistake_changes_the_answer_and_is_named_with_a_lesson_without_the_answer(exercise_id):
    ex = get(exercise_id)
    for student in STUDENTS:
        inputs = ex.draw(student)
        truth = np.asarray(ex.truth(inputs), dtype=float)
        mistakes = ex.mistakes(**inputs)
        assert mistakes
        for phrase, wrong in mistakes.items():
            wrong = np.asarray(wrong, dtype=float)
            assert wrong.shape == truth.shape, phrase
            assert not np.all(ex.tolerance.close(wrong, truth)), f"{student}: the mistake changes nothing: {phrase}"
            assert "Lesson" in phrase, phrase
            status, message = verdict(exercise_id, typed(exercise_id, wrong), student)
            assert status == "wrong", (phrase, message)
            assert phrase.strip() in message, (phrase, message)
            assert not leaks(message, truth), (message, leaks(message, truth))


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_one_students_answer_does_not_pass_for_the_other(exercise_id):
    ex = get(exercise_id)
    alice, bob = ex.draw("alice"), ex.draw("bob")
    assert alice != bob, "alice and bob get the same numbers"
    for mine, other in (("alice", "bob"), ("bob", "alice")):
        theirs = ex.truth(ex.draw(other))
        status, message = verdict(exercise_id, typed(exercise_id, theirs), mine)
        assert status == "wrong", f"{other}'s answer passes for {mine}: {message}"
        assert not leaks(message, ex.truth(ex.draw(mine)))


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_the_answer_cell_is_checked_on_its_own_by_hand(exercise_id):
    """Counts and sweeps are worked out, not asked of the engine: importing adlab is refused."""
    ex = get(exercise_id)
    assert ex.by_hand
    source = solutions()[exercise_id].replace("### BEGIN SOLUTION", "import adlab\n### BEGIN SOLUTION")
    status, message = verdict(exercise_id, source, "alice")
    assert status == "wrong" and "by hand" in message, message


def test_counts_are_exact_the_forward_sweep_one_short_is_wrong():
    """The old check of 11.8 took 999 forward sweeps for 1000 (a relative tolerance on a count)."""
    for exercise_id in ("11.3", "11.7", "11.8", "11.10"):
        assert get(exercise_id).tolerance.exact, exercise_id
    ex = get("11.8")
    for student in STUDENTS:
        inputs = ex.draw(student)
        forward, reverse = ex.truth(inputs)
        one_short = forward * (inputs["n"] - 1) / inputs["n"]
        status, message = verdict("11.8", typed("11.8", [one_short, reverse]), student)
        assert status == "wrong" and "off by one sweep" in message and "Lesson 5" in message, message
        status, message = verdict("11.8", typed("11.8", [forward + 1, reverse]), student)
        assert status == "wrong", message


def test_the_perturbation_confusion_answer_is_named():
    ex = get("11.12")
    for student in STUDENTS:
        inputs = ex.draw(student)
        assert inputs["c"] != 1, "the worked example below the exercise has c = 1"
        status, message = verdict("11.12", typed("11.12", inputs["c"] + 1), student)
        assert status == "wrong" and "perturbation confusion" in message and "Lesson 4" in message, message


# -- the function exercise (11.6) ----------------------------------------------------------------------------


def backward_source(body):
    return f"# Exercise 11.6\ndef backward(x, e, s, y_bar):\n    return {body}\n"


def test_backward_mistakes_are_the_listed_ones():
    """The bodies typed here are the bank's mistakes: each bank mistake agrees with one of them everywhere."""
    ex = get("11.6")
    for student in STUDENTS:
        inputs = ex.draw(student)
        bodies = [(key, body) for key, listed in WRONG_BACKWARD.items() for body in listed]
        assert len(bodies) == len(ex.mistakes(**inputs))
        for phrase, wrong in ex.mistakes(**inputs).items():
            values = [wrong(*point) for point in ex.points(**inputs)]
            same = [key for key, body in bodies if np.allclose(
                values, [eval(body, {"np": np}, dict(zip(("x", "e", "s", "y_bar"), p))) for p in ex.points(**inputs)])]
            assert same and all(key in phrase for key in same), (phrase, same)


@pytest.mark.parametrize("student", STUDENTS)
def test_backward_mistakes_are_caught_with_a_lesson_and_without_the_answer(student):
    ex = get("11.6")
    inputs = ex.draw(student)
    truth = reference_values(ex.id, student)
    points = ex.points(**inputs)
    for key, listed in WRONG_BACKWARD.items():
        for body in listed:
            values = [eval(body, {"np": np}, dict(zip(("x", "e", "s", "y_bar"), p))) for p in points]
            assert not np.all(TIGHT.close(values, truth)), f"the mistake changes nothing: {body}"
            status, message = verdict("11.6", backward_source(body), student)
            assert status == "wrong", (body, message)
            assert key in message and "Lesson" in message, (body, message)
            assert not leaks(message, truth), (message, leaks(message, truth))


def test_backward_must_read_the_tape_and_may_not_call_the_engine():
    ex = get("11.6")
    inputs = ex.draw("alice")
    consistent = [p for p in ex.points(**inputs) if np.isclose(p[1], np.exp(p[0])) and np.isclose(p[2], np.sin(p[0]))]
    assert 0 < len(consistent) < len(ex.points(**inputs)), "real tapes, and one that is not g's at its x"
    assert len({p[3] for p in ex.points(**inputs)}) > 1, "ȳ varies"
    source = ("# Exercise 11.6\nimport adlab\ndef backward(x, e, s, y_bar):\n"
              "    return y_bar * adlab.grad(lambda t: np.exp(t) * np.sin(t))(x)\n")
    status, message = verdict("11.6", source, "alice")
    assert status == "wrong" and "by hand" in message, message
    assert get("11.6").draw("alice") != get("11.6").draw("bob")


# -- choice exercises ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", CHOICES)
def test_a_wrong_choice_says_neither_the_answer_nor_why(exercise_id):
    ex = get(exercise_id)
    assert ex.inputs is None, "a conceptual question is the same for everyone"
    expected, explain = ex.truth({}), ex.explanation({})
    assert explain and re.search(r"Lessons? \d+", explain)
    (name,) = ex.answer
    wrong_options = [c for c in ex.choices if c.lower() != expected.lower()]
    assert wrong_options
    for option in wrong_options:
        for student in STUDENTS:
            status, message = verdict(exercise_id, f"# Exercise {exercise_id}\n{name} = {option!r}\n", student)
            assert status == "wrong", (option, message)
            assert repr(expected) not in message and f'"{expected}"' not in message, message
            assert explain not in message and explain[:40] not in message, message
    status, message = verdict(exercise_id, f"# Exercise {exercise_id}\n{name} = 'none of these'\n", "alice")
    assert status == "invalid", message


# -- the notebook around the exercises ------------------------------------------------------------------------


def test_no_cell_outside_the_answer_cells_holds_an_answer():
    """Prose, stored outputs and the student copy: no distinctive expected number, for three students."""
    copy = student_copy(notebook())
    shown = []  # what a reader sees: sources, printed text and plain-text results (not the tables' CSS)
    for cell in copy.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        shown.append(cell.source)
        for output in cell.get("outputs", []):
            shown.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    text = "\n".join(shown)
    found = []
    for exercise_id in NUMBERS:
        ex = get(exercise_id)
        for student in STUDENTS + ("instructor",):
            truth = ex.truth(ex.draw(student))
            distinctive = distinctive_forms(truth)
            hits = [f for f in distinctive if re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d,])", text)]
            if hits:
                found.append((exercise_id, student, hits))
    assert not found, found


def test_the_dual_number_answer_is_the_engine_s_forward_sweep_and_its_slips_are_named():
    """11.13: the value and ε-part of (x₀ + ε)³ − 2(x₀ + ε) are f and f′ at x₀; dropping ε² = 0 is named."""
    ex = get("11.13")
    for student in STUDENTS:
        x0 = ex.draw(student)["x0"]
        assert np.allclose(ex.truth(ex.draw(student)), [x0 ** 3 - 2 * x0, 3 * x0 ** 2 - 2])
        kept = [x0 ** 3 - 2 * x0, 3 * x0 ** 2 + 3 * x0 - 1]   # 3x₀ε² and ε³ kept as if ε² were ε
        status, message = verdict("11.13", typed("11.13", kept), student)
        assert status == "wrong" and "ε² = 0" in message and "Lesson 4" in message, message


def test_review_feedback_sends_cost_and_source_transformation_to_their_new_lessons():
    """Lesson 3 no longer holds 'What AD costs' (now Lesson 7) or source transformation (now Lesson 6)."""
    texts = []
    for exercise_id in IDS:
        ex = get(exercise_id)
        inputs = ex.draw("alice")
        texts += ex.hint_texts(inputs)
        if ex.kind == "choice":
            texts.append(ex.explanation({}))
        elif ex.kind == "numbers":
            texts += list(ex.mistakes(**inputs))
        else:
            texts += list(ex.mistakes(**inputs))
    for text in texts:
        for section in re.findall(r"Lesson 3, sections? ([\d–, and]+)", text):
            assert not re.search(r"[45]", section), text
    assert any("Lesson 7, “What one sweep costs”" in text for text in texts)


def test_the_hvp_feedback_agrees_with_lesson_10s_recommendation():
    """Lesson 10 is the one place that recommends a nesting (adlab.hvp's default, reverse-on-forward)."""
    ex = get("11.11")
    text = ex.explanation({}) + " ".join(ex.hint_texts({}))
    assert "reverse-on-forward" in text and "default" in text and "Lesson 10" in text
    recap = next(c.source for c in notebook().cells if c.source.startswith("## Recap"))
    assert "reverse-on-forward" in recap and "Forward over reverse gives" not in recap
