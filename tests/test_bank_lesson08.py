"""Lesson 8's exercises in the bank: the instructor's cells are right, stubs wait, each listed slip is caught
without the answer, another student's numbers fail, and the leaks of the old lesson stay closed."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from adlab.course import student_copy
from adlab.exercises.bank import get
from bank_support import leaks, lesson, number_forms, typed

LESSON = lesson("08_backpropagation.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
IDS = ("8.1a", "8.1b", "8.1c", "8.2", "8.3", "8.4")
STUDENTS = ("alice", "bob")


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", IDS)
def test_every_listed_mistake_is_wrong_and_named_without_the_answer(exercise_id, student):
    ex = get(exercise_id)
    inputs = ex.draw(student)
    truth = np.asarray(ex.truth(inputs), dtype=float)
    named = 0
    for phrase, wrong in ex.mistakes(**inputs).items():
        wrong = np.asarray(wrong, dtype=float)
        assert wrong.shape == truth.shape and not np.allclose(wrong, truth, atol=1e-3), phrase  # it changes the result
        status, message = verdict(exercise_id, typed(exercise_id, wrong), student)
        assert status == "wrong", (phrase, message)
        assert not leaks(message, truth), (phrase, message, leaks(message, truth))
        assert "expected" not in message
        named += phrase.strip() in message or "transposed" in message
    assert named >= len(ex.mistakes(**inputs)) - 1, "the listed diagnoses reach the student"


@pytest.mark.parametrize("exercise_id", IDS)
def test_another_students_answer_fails_and_the_numbers_differ(exercise_id):
    ex = get(exercise_id)
    alice, bob = ex.draw("alice"), ex.draw("bob")
    assert str(alice) != str(bob)
    status, message = verdict(exercise_id, typed(exercise_id, ex.truth(alice)), "bob")
    assert status == "wrong", message
    assert verdict(exercise_id, typed(exercise_id, ex.truth(alice)), "alice")[0] == "correct"


def test_the_three_parts_of_8_1_are_one_layer_and_8_3_steps_at_8_2s_example():
    for student in STUDENTS + ("carol",):
        layer = get("8.1a").draw(student)
        assert get("8.1b").draw(student) == layer == get("8.1c").draw(student)
        example = get("8.2").draw(student)
        assert {k: v for k, v in get("8.3").draw(student).items() if k != "eta"} == example
        x = np.array(layer["x"])
        assert x.shape == (3, 2) and np.array(layer["W"]).shape == (2, 2)


def test_each_part_of_8_1_has_its_own_id_and_check_cell():
    checks = [c.source.strip() for c in notebook().cells if "check" in c.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]
    assert sorted(solutions()) == sorted(IDS)
    assert get("8.1a").answer == ("dW",) and get("8.1b").answer == ("db",) and get("8.1c").answer == ("dx",)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_engine_is_refused_by_hand(exercise_id):
    ex = get(exercise_id)
    assert ex.by_hand
    name = ex.answer[0]
    status, message = verdict(exercise_id, f"# Exercise {exercise_id}\nimport adlab\n{name} = 1.0", "alice")
    assert status == "wrong" and "by hand" in message


def test_8_1_by_the_engines_vjp_is_refused():
    source = """# Exercise 8.1a
x, W, b, g = map(np.array, my_numbers("8.1a"))
import adlab
_, pullback = adlab.vjp(lambda x, W, b: np.tanh(x @ W + b), x, W, b)
dW = pullback(g)[1]"""
    status, message = verdict("8.1a", source, "alice")
    assert status == "wrong" and "by hand" in message
    sneaky = "# Exercise 8.1a\nx, W, b, g = map(np.array, my_numbers('8.1a'))\n" \
             "dW = __import__('adlab').vjp(lambda W: np.tanh(x @ W + b), W)[1](g)[0]"
    assert verdict("8.1a", sneaky, "alice")[0] == "wrong"


def test_an_answer_cell_that_uses_the_lessons_globals_is_told_to_compute_them():
    source = "# Exercise 8.2\nx1, x2, label = my_numbers('8.2')\ndeltas = list(swept_deltas)"
    status, message = verdict("8.2", source, "alice")
    assert status == "invalid" and "does not define" in message


def test_8_2_and_8_3_never_draw_the_worked_example_and_8_4_never_the_trained_network():
    for k in range(60):
        student = f"student{k}"
        inputs = get("8.2").draw(student)
        assert (inputs["x1"], inputs["x2"], inputs["label"]) != (1.0, -0.5, 1.0)
        assert get("8.3").draw(student)["eta"] != 1.0  # a missing η would go unnoticed
        sizes = get("8.4").draw(student)["sizes"]
        assert sizes != [2, 16, 16, 1] and sizes[-1] >= 2
        assert get("8.4").truth({"sizes": sizes})[1] != 337


def test_over_many_students_every_mistake_changes_the_answer():
    for k in range(40):
        student = f"student{k}"
        for exercise_id in IDS:
            ex = get(exercise_id)
            inputs = ex.draw(student)
            truth = np.asarray(ex.truth(inputs), dtype=float)
            for phrase, wrong in ex.mistakes(**inputs).items():
                assert np.max(np.abs(np.asarray(wrong, dtype=float) - truth)) > 2e-3, (exercise_id, student, phrase)


def test_no_hint_holds_a_students_number():
    for exercise_id in IDS:
        ex = get(exercise_id)
        for student in STUDENTS:
            inputs = ex.draw(student)
            truth = ex.truth(inputs)
            text = " ".join(ex.hint_texts(inputs))
            assert not leaks(text, truth), (exercise_id, leaks(text, truth))


def test_the_lesson_shows_no_students_answer_and_the_check_cells_hold_only_an_id():
    text = nbformat.writes(student_copy(notebook()))
    for k in range(20):
        student = f"student{k}"
        for exercise_id in ("8.1a", "8.1b", "8.1c", "8.2", "8.3"):
            truth = get(exercise_id).truth(get(exercise_id).draw(student))
            forms = {f for f in number_forms(truth) if len(f.lstrip("−-").replace(".", "")) >= 4}
            assert not [f for f in forms if f in text and re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text)], \
                (exercise_id, student)
    prose = "".join(c.source for c in notebook().cells if c.cell_type == "markdown")
    exercise_84 = prose[prose.index("### Exercise 8.4"):prose.index("## 5 ·")]
    assert "337" not in exercise_84.split("Forward mode can get")[0]
    assert "compare_gradient" not in prose  # no engine shortcut suggested for a by-hand exercise
