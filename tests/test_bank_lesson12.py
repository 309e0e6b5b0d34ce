"""Lesson 12's exercises (12.1–12.4) in the bank, as two students meet them.

For each exercise and for alice and bob: the instructor's answer cell (read from the lesson) is correct, the
student copy's stub is "not answered yet", every listed mistake is wrong, named by its own phrase, and its
message holds no expected value; alice's answers are refused for bob where their numbers differ. 12.1 and
12.3 are by hand and refuse the engine; 12.4's check catches an overflowing value or slope, a rule without g,
a plain function (no primitive) and a primitive without a VJP, and its slopes are the engine's.
"""

from __future__ import annotations

import numpy as np
import pytest

import adlab
from adlab.exercises.bank import get
from adlab.exercises.bank.lesson12 import SCALAR_POINTS, kink_functions, softplus_reference, stop_functions
from bank_support import (assert_every_listed_mistake_named, assert_mistakes_change_the_answer, assert_no_expected, lesson,
                          typed)

LESSON = lesson("12_kinks_and_custom_rules.ipynb")
NOTEBOOK, SOLUTIONS, STUBS, verdict = LESSON.notebook(), LESSON.solutions(), LESSON.stubs(), LESSON.verdict
IDS = ("12.1", "12.2", "12.3", "12.4")
NUMERIC = ("12.1", "12.3")
STUDENTS = ("alice", "bob")


def test_the_lesson_has_one_answer_cell_per_exercise_and_checks_only_by_id():
    assert sorted(SOLUTIONS) == list(IDS)
    checks = [cell.source.strip() for cell in NOTEBOOK.cells if "check" in cell.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]
    for exercise_id in NUMERIC + ("12.4",):
        assert SOLUTIONS[exercise_id].splitlines()[1].endswith(f'my_numbers("{exercise_id}")')


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", IDS)
def test_the_instructors_answer_is_right_and_the_stub_waits(exercise_id, student):
    assert verdict(exercise_id, SOLUTIONS[exercise_id], student)[0] == "correct"
    status, message = verdict(exercise_id, STUBS[exercise_id], student)
    assert status == "unanswered" and "not answered yet" in message, message


@pytest.mark.parametrize("exercise_id", NUMERIC + ("12.4",))
def test_students_get_their_own_numbers(exercise_id):
    exercise = get(exercise_id)
    assert exercise.draw("alice") != exercise.draw("bob")
    assert exercise.draw("alice") == exercise.draw("alice")


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_alices_answer_is_wrong_for_bob(exercise_id):
    exercise = get(exercise_id)
    alices = exercise.truth(exercise.draw("alice"))
    status, message = verdict(exercise_id, typed(exercise_id, alices), "bob")
    assert status == "wrong", message
    assert_no_expected(message, exercise.truth(exercise.draw("bob")))


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_every_listed_mistake_is_wrong_and_named_without_the_answer(exercise_id, student):
    assert_every_listed_mistake_named(verdict, exercise_id, student, least=5)


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_every_listed_mistake_changes_the_answer_for_many_students(exercise_id):
    assert_mistakes_change_the_answer(exercise_id)


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_by_hand_exercises_refuse_the_engine(exercise_id):
    mark, _, rest = SOLUTIONS[exercise_id].partition("\n")
    status, message = verdict(exercise_id, f"{mark}\nimport adlab\n{rest}", "alice")
    assert status == "wrong" and "by hand" in message, message


# -- 12.1: the truth is adlab's own answer at the kink ---------------------------------------------------------


def test_12_1_the_truth_is_the_conventions_applied_to_the_students_numbers():
    for k in range(40):
        inputs = get("12.1").draw(f"student-{k}")
        g1, g2 = kink_functions(**inputs)
        assert get("12.1").truth(inputs) == [0.5 * (inputs["a"] + inputs["b"]), inputs["q"]]
        assert adlab.grad(g1)(0.0) == 0.5 * (inputs["a"] + inputs["b"]) and adlab.grad(g2)(0.0) == inputs["q"]
        assert inputs["a"] != inputs["b"] and inputs["p"] != inputs["q"]


# -- 12.2: the choice ---------------------------------------------------------------------------------------------


def test_12_2_the_claim_holds_and_the_other_options_are_named():
    with np.errstate(all="ignore"):
        h = {"h1": lambda x: np.maximum(x, 0.0) + np.minimum(x, 0.0), "h2": lambda x: x * np.abs(x),
             "h3": lambda x: np.sqrt(x ** 4)}
        slopes = {name: adlab.grad(f)(0.0) for name, f in h.items()}
    assert slopes["h1"] == 1.0 and slopes["h2"] == 0.0 and np.isnan(slopes["h3"])
    for option in ("h1", "h2"):
        status, message = verdict("12.2", f'# Exercise 12.2\nno_derivative = "{option}"\n', "alice")
        assert status == "wrong" and "h3" not in message, message
    assert verdict("12.2", '# Exercise 12.2\nno_derivative = "h4"\n', "alice")[0] == "invalid"


# -- 12.3: through stop_gradient ----------------------------------------------------------------------------------


def test_12_3_rounding_never_meets_a_tie():
    for k in range(40):
        inputs = get("12.3").draw(f"student-{k}")
        assert abs(inputs["w1"] - np.floor(inputs["w1"]) - 0.5) > 0.1
        loss, rounded = stop_functions(**inputs)
        assert rounded(inputs["w1"]) == inputs["c"] * np.round(inputs["w1"])


# -- 12.4: a stable softplus with a custom VJP ------------------------------------------------------------------


def with_solution(body):
    return LESSON.with_solution("12.4", body)


def softplus_cell(value, slope):
    """12.4's answer cell with the given value and slope expressions (in x, beta, g, out)."""
    return (f'# Exercise 12.4\nbeta = my_numbers("12.4")\n\n\n@adlab.primitive\ndef softplus(x):\n'
            f'    return {value}\n\n\ndef softplus_vjp(g, out, x):\n    return {slope}\n\n\n'
            f'softplus.defvjp(softplus_vjp)\n')


STABLE, SIGMA = "np.logaddexp(0.0, beta * x) / beta", "g * 0.5 * (1.0 + np.tanh(0.5 * beta * x))"


def expected_12_4(student):
    """Every number 12.4's check knows for this student: values and slopes at its points. (Less the value at
    x = 2000, which is 2000 itself to double precision: a message naming that point names it.)"""
    beta = get("12.4").draw(student)["beta"]
    reference = softplus_reference(beta)
    values = [reference(x) for x in SCALAR_POINTS if abs(x) < 1000]
    slopes = [adlab.grad(reference)(x) for x in SCALAR_POINTS]
    return np.array(values + slopes + [3.0 * s for s in slopes])


MISTAKES_12_4 = {
    "overflows there": ("np.log(1.0 + np.exp(beta * x)) / beta", SIGMA),
    "β times too large: softplus divides": ("np.logaddexp(0.0, beta * x)", SIGMA),
    "β is missing inside": ("np.logaddexp(0.0, x)", SIGMA),
    "your rule has σ(x) where it needs σ(βx)": (STABLE, "g * 0.5 * (1.0 + np.tanh(0.5 * x))"),
    "your slope is β times too large": (STABLE, "g * beta * 0.5 * (1.0 + np.tanh(0.5 * beta * x))"),
    "the sign": (STABLE, "g * 0.5 * (1.0 - np.tanh(0.5 * beta * x))"),
    "multiplies g by the output": (STABLE, "g * out"),
    "your rule overflows there": (STABLE, "g * np.exp(beta * x) / (1.0 + np.exp(beta * x))"),
    "multiply by g": (STABLE, "0.5 * (1.0 + np.tanh(0.5 * beta * x))"),
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("phrase", MISTAKES_12_4)
def test_12_4_each_slip_is_named_without_the_answer(phrase, student):
    value, slope = MISTAKES_12_4[phrase]
    status, message = verdict("12.4", softplus_cell(value, slope), student)
    assert status == "wrong" and phrase in message, message
    assert_no_expected(message, expected_12_4(student))


@pytest.mark.parametrize("student", STUDENTS)
def test_12_4_the_textbook_sigmoid_is_right_too(student):
    assert verdict("12.4", softplus_cell(STABLE, "g / (1.0 + np.exp(-beta * x))"), student)[0] == "correct"
    stable = "np.maximum(beta * x, 0.0) / beta + np.log1p(np.exp(-np.abs(beta * x))) / beta"
    assert verdict("12.4", softplus_cell(stable, SIGMA), student)[0] == "correct"


def test_12_4_alices_beta_is_wrong_for_bob():
    alice, bob = (get("12.4").draw(s)["beta"] for s in STUDENTS)
    assert alice != bob
    fixed = softplus_cell(STABLE, SIGMA).replace('beta = my_numbers("12.4")', f"beta = {alice!r}")
    assert verdict("12.4", fixed, "alice")[0] == "correct"
    status, message = verdict("12.4", fixed, "bob")
    assert status == "wrong", message
    assert_no_expected(message, expected_12_4("bob"))


def test_12_4_a_plain_function_or_a_primitive_without_a_vjp_is_refused_with_the_fix():
    plain = softplus_cell(STABLE, SIGMA).replace("@adlab.primitive\n", "").replace("softplus.defvjp(softplus_vjp)\n",
                                                                                    "")
    status, message = verdict("12.4", plain, "alice")
    assert status == "invalid" and "@adlab.primitive" in message, message
    bare = softplus_cell(STABLE, SIGMA).replace("softplus.defvjp(softplus_vjp)\n", "")
    status, message = verdict("12.4", bare, "alice")
    assert status == "invalid" and "defvjp" in message, message


def test_12_4_a_stub_left_in_either_function_is_not_answered_yet():
    stub = '(_ for _ in ()).throw(NotImplementedError("your code here"))'  # a raise, as an expression
    assert verdict("12.4", softplus_cell(STABLE, stub), "alice")[0] == "unanswered"
    assert verdict("12.4", softplus_cell(stub, SIGMA), "alice")[0] == "unanswered"


def test_12_4_the_slopes_it_checks_are_the_engines_and_the_logistic():
    for beta in (0.5, 2.0, 3.0, 4.0):
        reference = softplus_reference(beta)
        for x in SCALAR_POINTS:
            assert np.isfinite(reference(x))
            assert adlab.grad(reference)(x) == pytest.approx(0.5 * (1.0 + np.tanh(0.5 * beta * x)), abs=1e-12)


def test_no_text_under_an_exercise_gives_its_answer():
    for exercise_id in NUMERIC:
        below = LESSON.below(exercise_id)
        for student in STUDENTS:
            truth = np.asarray(get(exercise_id).truth(get(exercise_id).draw(student)), dtype=float)
            for value in truth[np.abs(truth) >= 10]:
                assert f"{value:g}" not in below
    assert "h3" not in LESSON.below("12.2")
