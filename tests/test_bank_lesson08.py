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
IDS = ("8.0a", "8.0b", "8.1a", "8.1b", "8.1c", "8.2", "8.3", "8.4", "8.5")
NUMERIC = tuple(i for i in IDS if i != "8.5")  # 8.5 is a function, checked by its own verdict (custom)
STUDENTS = ("alice", "bob")


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
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


@pytest.mark.parametrize("exercise_id", NUMERIC)
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
    assert get("8.0a").answer == ("dW",) and get("8.0b").answer == ("dW",)
    assert get("8.5").answer == ("unbroadcast",)


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
        for exercise_id in NUMERIC:
            ex = get(exercise_id)
            inputs = ex.draw(student)
            truth = np.asarray(ex.truth(inputs), dtype=float)
            for phrase, wrong in ex.mistakes(**inputs).items():
                assert np.max(np.abs(np.asarray(wrong, dtype=float) - truth)) > 2e-3, (exercise_id, student, phrase)


def test_no_hint_holds_a_students_number():
    for exercise_id in NUMERIC:
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
        for exercise_id in ("8.0a", "8.0b", "8.1a", "8.1b", "8.1c", "8.2", "8.3"):
            truth = get(exercise_id).truth(get(exercise_id).draw(student))
            forms = {f for f in number_forms(truth) if len(f.lstrip("−-").replace(".", "")) >= 4}
            assert not [f for f in forms if f in text and re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text)], \
                (exercise_id, student)
    prose = "".join(c.source for c in notebook().cells if c.cell_type == "markdown")
    exercise_84 = prose[prose.index("### Exercise 8.4"):prose.index("## 5 ·")]
    assert "337" not in exercise_84.split("Forward mode can get")[0]
    assert "compare_gradient" not in prose  # no engine shortcut suggested for a by-hand exercise



# -- 8.0 · a batch of two: the outer products, then the matrix product ----------------------------------


def test_8_0a_and_8_0b_are_one_batch_and_the_matrix_product_is_the_sum_of_the_outer_products():
    for student in STUDENTS + ("carol",):
        batch = get("8.0a").draw(student)
        assert get("8.0b").draw(student) == batch
        X, delta = np.array(batch["x_batch"]), np.array(batch["delta"])
        assert X.shape == (2, 2) and delta.shape == (2, 2)
        outer_sum = np.outer(X[0], delta[0]) + np.outer(X[1], delta[1])
        assert np.allclose(get("8.0a").truth(batch), outer_sum)  # the engine's ∂L/∂W is the sum
        assert np.allclose(get("8.0b").truth(batch), X.T @ delta)
    assert get("8.0a").draw("alice") != get("8.1a").draw("alice")


@pytest.mark.parametrize("student", STUDENTS)
def test_8_0_instructor_cells_are_right_and_stubs_wait(student):
    for exercise_id in ("8.0a", "8.0b"):
        assert verdict(exercise_id, solutions()[exercise_id], student)[0] == "correct"
        status, message = verdict(exercise_id, stubs()[exercise_id], student)
        assert status == "unanswered", message


def test_8_0a_with_one_example_forgotten_says_which():
    for left_out, kept in (("2", "dW = dW_1"), ("1", "dW = dW_2")):
        source = LESSON.changed("8.0a", "dW = dW_1 + dW_2", kept)
        status, message = verdict("8.0a", source, "alice")
        assert status == "wrong" and f"example {left_out}'s is missing" in message, message


def test_8_0b_as_the_sum_of_two_outer_products_is_right_too():
    source = LESSON.with_solution("8.0b", "dW = np.outer(x_batch[0], delta[0]) + np.outer(x_batch[1], delta[1])")
    assert verdict("8.0b", source, "bob")[0] == "correct"


# -- 8.5 · unbroadcast(g, shape) -----------------------------------------------------------------------

# Each listed slip as a student writes it: the start of its phrase, and the function's body.
WRONG_UNBROADCAST = {
    "NumPy lines shapes up from the right": """
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=-1)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g""",
    "an axis of length 1 stays in the result": """
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes) if axes else g""",
    "an axis where shape has length 1 was stretched": """
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g""",
    "broadcasting also adds axes in front": """
    g = np.asarray(g)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g""",
    "a broadcast value is used once per copy": """
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.mean(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.mean(axis=axis, keepdims=True)
    return g""",
    "a broadcast value is used in every copy": """
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g[0]
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = np.take(g, [0], axis=axis)
    return g""",
    "sum only over the broadcast axes": """
    return np.sum(g)""",
}


def unbroadcast_cell(body):
    return "# Exercise 8.5\ndef unbroadcast(g, shape):" + body + "\n"


def reference_numbers(student):
    from adlab.exercises.bank.lesson08 import _unbroadcast_points, broadcast_adjoint

    inputs = get("8.5").draw(student)
    points = _unbroadcast_points(**inputs)
    return np.concatenate([broadcast_adjoint(g, shape).reshape(-1) for g, shape in points])


@pytest.mark.parametrize("student", STUDENTS)
def test_8_5_instructor_function_is_right_and_the_stub_waits(student):
    assert verdict("8.5", solutions()["8.5"], student) == \
        ("correct", "correct: `unbroadcast` gives the engine's adjoint at every test point.")
    status, message = verdict("8.5", stubs()["8.5"], student)
    assert status == "unanswered", message


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("slip", list(WRONG_UNBROADCAST))
def test_8_5_names_each_slip_without_the_answer(slip, student):
    from adlab.exercises.bank.lesson08 import UNBROADCAST_SLIPS

    phrase = next(p for p in UNBROADCAST_SLIPS if p.startswith(slip))
    status, message = verdict("8.5", unbroadcast_cell(WRONG_UNBROADCAST[slip]), student)
    assert status == "wrong" and phrase in message, message
    assert not leaks(message, reference_numbers(student)), message


def test_8_5_every_listed_slip_is_wrong_somewhere_and_right_where_nothing_is_broadcast():
    from adlab.exercises.bank.lesson08 import UNBROADCAST_SLIPS, _unbroadcast_points, broadcast_adjoint

    assert len(WRONG_UNBROADCAST) == len(UNBROADCAST_SLIPS)
    for student in STUDENTS + ("carol", "dave"):
        points = _unbroadcast_points(**get("8.5").draw(student))
        for phrase, wrong in UNBROADCAST_SLIPS.items():
            outcomes = [np.shape(wrong(g, s)) == np.shape(broadcast_adjoint(g, s))
                        and np.allclose(wrong(g, s), broadcast_adjoint(g, s)) for g, s in points]
            assert not all(outcomes), phrase


def test_8_5_other_wrong_functions_get_a_shape_or_an_entry_never_a_value():
    for student in STUDENTS:
        truth = reference_numbers(student)
        unchanged = verdict("8.5", unbroadcast_cell("\n    return g"), student)
        assert unchanged[0] == "wrong" and "shape" in unchanged[1], unchanged
        off = verdict("8.5", unbroadcast_cell("\n    return 1.5 * np.sum(g) + 0 * np.asarray(g)[..., :0].sum()"),
                      student)
        assert off[0] == "wrong" and not leaks(off[1], truth), off
        scaled = LESSON.changed("8.5", "    return g\n", "    return 1.01 * g + 0.3\n")
        status, message = verdict("8.5", scaled, student)
        assert status == "wrong" and "entry" in message and not leaks(message, truth), message
        broken = verdict("8.5", unbroadcast_cell("\n    return g.sum(axis=5)"), student)
        assert broken[0] == "wrong" and "raised" in broken[1] and "Traceback" not in broken[1], broken


def test_8_5_points_differ_between_students_and_reach_every_kind_of_broadcast():
    from adlab.exercises.bank.lesson08 import _unbroadcast_points

    alice, bob = (get("8.5").draw(s) for s in STUDENTS)
    assert alice != bob
    for k in range(30):
        inputs = get("8.5").draw(f"student{k}")
        assert inputs["B"] != inputs["h"]
        shapes = [(g.shape, shape) for g, shape in _unbroadcast_points(**inputs)]
        B, h = inputs["B"], inputs["h"]
        assert ((B, h), (h,)) in shapes and ((B, h), (B, 1)) in shapes and ((B, h), ()) in shapes
        assert ((h, h), (h,)) in shapes and any(len(g) == 3 for g, _ in shapes)


def test_8_5_refuses_the_engine():
    sneaky = unbroadcast_cell("\n    return __import__('adlab').core.rules.unbroadcast(g, np.zeros(shape))")
    status, message = verdict("8.5", sneaky, "alice")
    assert status == "wrong" and "by hand" in message, message
