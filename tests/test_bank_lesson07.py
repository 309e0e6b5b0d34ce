"""Lesson 7's exercises (7.1–7.6, with 7.2a/b and 7.3a/b) on the exercise framework: the instructor's answers
pass, stubs wait, every listed mistake is caught and named without the expected value, the numbers are each
student's own, and every answer is a count or a ratio of counts (never a time)."""

import numpy as np
import pytest

from adlab.cost import jvp_ops, ops, tape_bytes, vjp_ops
from adlab.exercises.bank import get
from adlab.exercises.bank import lesson07
from adlab.exercises.diagnose import EXACT
from adlab.exercises.exercise import evaluate
from bank_support import assert_no_expected, lesson, typed

LESSON = lesson("07_which_mode.ipynb")
NOTEBOOK, SOLUTIONS, STUBS = LESSON.notebook(), LESSON.solutions(), LESSON.stubs()
IDS = ("7.1", "7.2a", "7.2b", "7.3a", "7.3b", "7.4", "7.5", "7.6")
NUMERIC = ("7.1", "7.2b", "7.3a", "7.4", "7.5", "7.6")
COUNTS = ("7.2b", "7.3a", "7.4", "7.6")  # whole numbers, checked exactly
CHOICES = {"7.2a": ("reverse",), "7.3b": ("forward", "reverse")}  # wrong choices to try
STUDENTS = ("alice", "bob")


# -- the notebook -------------------------------------------------------------------------------------


def test_one_answer_cell_per_exercise_and_checks_only_by_id():
    assert sorted(SOLUTIONS) == list(IDS)
    checks = [cell.source.strip() for cell in NOTEBOOK.cells if "check" in cell.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]
    for exercise_id, source in SOLUTIONS.items():
        second = source.splitlines()[1]
        if exercise_id in NUMERIC:
            assert second.split("#")[0].rstrip().endswith(f'my_numbers("{exercise_id}")'), second
        else:
            assert "my_numbers" not in source


def test_no_old_check_in_the_lesson():
    text = "\n".join(cell.source for cell in NOTEBOOK.cells)
    for old in ("check_array", "check_choice", "check_number", "tape_bytes(lambda"):
        assert old not in text


# -- every exercise, for two students -----------------------------------------------------------------


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_every_listed_mistake_is_wrong_named_and_keeps_the_answer(exercise_id, student):
    exercise = get(exercise_id)
    inputs = exercise.draw(student)
    expected, mistakes = exercise.truth(inputs), exercise.mistakes(**inputs)
    assert len(mistakes) >= 3
    for phrase, wrong in mistakes.items():
        assert not np.all(exercise.tolerance.close(wrong, expected)), f"{phrase!r} does not change the answer"
        for answer in (np.asarray(wrong, dtype=float), np.round(np.asarray(wrong, dtype=float), 3)):
            status, message = evaluate(exercise, {exercise_id: typed(exercise_id, answer)}, student=student)
            assert status == "wrong", (phrase, message)
            assert phrase.strip() in message, f"{phrase!r} is not named: {message}"
            assert_no_expected(message, expected)


# -- counts, exactly; ratios of counts; the lesson's own numbers are never an exercise's ------------------


def test_counts_are_exact_and_ratios_have_a_stated_tolerance():
    for exercise_id in COUNTS:
        assert get(exercise_id).tolerance == EXACT
    for exercise_id in ("7.1", "7.5"):
        assert get(exercise_id).tolerance.decimals == 3
    inputs = get("7.4").draw("alice")
    truth = get("7.4").truth(inputs)
    status, _ = evaluate(get("7.4"), {"7.4": typed("7.4", truth + 1)}, student="alice")
    assert status == "wrong"


def test_the_truth_is_counted_by_the_engine():
    h = get("7.1").draw("alice")["h"]
    f, forward, reverse = ops(h, 1.5, 0.5), jvp_ops(h, 1.5, 0.5), vjp_ops(h, 1.5, 0.5)
    assert get("7.1").truth({"h": h}) == [forward / f, reverse / f]
    K = get("7.4").draw("alice")["K"]
    assert get("7.4").truth({"K": K}) == tape_bytes(lambda x: lesson07.orbit(x, K), 0.5) == 24 * K + 16


def test_no_draw_is_a_worked_example():
    for student in [f"student{k}" for k in range(40)]:
        assert get("7.4").draw(student)["K"] not in (10, 100, 1000)
        assert get("7.5").draw(student)["M"] != 20 and 4000 % get("7.5").draw(student)["M"] == 0
        assert get("7.1").draw(student)["h"].__name__ != "np.exp(x1) * np.sin(x2) / x1"
        assert get("7.6").draw(student)["n"] not in (10, 100, 1000)


def test_wides_counts_do_not_depend_on_M():
    """7.5 tells the student the counts printed for M = 20 hold for their M: the engine agrees."""
    counted = {lesson07._wide_counts(M) for M in (8, 10, 16, 20, 25, 40, 50)}
    assert len(counted) == 1


def test_the_function_menu_gives_distinct_ratios():
    pairs = [tuple(round(c, 3) for c in lesson07._c_truth(h)) for h in lesson07.FUNCTIONS]
    assert len(set(pairs)) == len(pairs)
    assert all(forward != reverse for forward, reverse in pairs)


# -- 7.6 · Speelpenning's product ----------------------------------------------------------------------------


def test_the_products_counts_come_from_the_engine_and_match_the_loop():
    """(a) two multiplications per product in the reverse sweep, (b) n JVPs of four operations per product."""
    for student in STUDENTS:
        n = get("7.6").draw(student)["n"]
        xs = lesson07._product_point(n)
        f = ops(lesson07.speelpenning, xs)
        assert f == n - 1
        assert get("7.6").truth({"n": n}) == [vjp_ops(lesson07.speelpenning, xs) - f,
                                              n * jvp_ops(lesson07.speelpenning, xs)] == [2 * (n - 1),
                                                                                          4 * n * (n - 1)]


@pytest.mark.parametrize("student", STUDENTS)
def test_7_6_the_solution_is_correct_and_the_stub_waits(student):
    assert evaluate(get("7.6"), {"7.6": SOLUTIONS["7.6"]}, student=student)[0] == "correct"
    status, message = evaluate(get("7.6"), {"7.6": STUBS["7.6"]}, student=student)
    assert status == "unanswered", message
    assert "not answered yet" in message


def test_7_6_another_students_answer_is_refused():
    exercise = get("7.6")
    alice, bob = exercise.draw("alice"), exercise.draw("bob")
    assert alice != bob
    answer = typed("7.6", exercise.truth(alice), dtype=None)
    assert evaluate(exercise, {"7.6": answer}, student="alice")[0] == "correct"
    status, message = evaluate(exercise, {"7.6": answer}, student="bob")
    assert status == "wrong", message
    assert_no_expected(message, exercise.truth(bob))


def test_7_6_is_by_hand_and_refuses_the_engine():
    source = ('# Exercise 7.6\nn = my_numbers("7.6")\nfrom adlab.cost import vjp_ops\n'
              "reverse_multiplications = 1\nforward_operations = 1")
    status, message = evaluate(get("7.6"), {"7.6": source}, student="alice")
    assert status == "wrong" and "by hand" in message
