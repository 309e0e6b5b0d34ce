"""Lesson 5's exercises (5.1–5.8) on the exercise framework: the instructor's answers pass, stubs wait,
every listed mistake is caught and named without the expected value, the numbers are each student's own,
and 5.3's cotangent makes every fan-out contribution count (the issue: with r = (0, 1) an answer that forgot
fan-out entirely was accepted). 5.7 (transpose a linear program) takes each listed slip as a student types it
in the sweep; 5.8 (the colours of a band) names n, k + 1 and 2k."""

import numpy as np
import pytest

from adlab.exercises.bank import get
from adlab.exercises.diagnose import DEFAULT, mistakes_distinct
from adlab.exercises.exercise import evaluate
from bank_support import assert_no_expected, expected_values, lesson, listed_phrase, typed

LESSON = lesson("05_jacobians.ipynb")
NOTEBOOK, SOLUTIONS, STUBS = LESSON.notebook(), LESSON.solutions(), LESSON.stubs()
IDS = ("5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8")
NUMERIC = ("5.1", "5.2", "5.3", "5.4", "5.8")
PER_STUDENT = NUMERIC + ("5.7",)  # their answer cells start from my_numbers
CHOICES = {"5.5": ("forward", "reverse"), "5.6": (1000, 2, 0)}  # 5.6: wrong counts to try
STUDENTS = ("alice", "bob")
MANY = [f"student{k}" for k in range(60)]


def truth(exercise_id, student):
    exercise = get(exercise_id)
    return exercise.truth(exercise.draw(student))


# -- the notebook -------------------------------------------------------------------------------------


def test_one_answer_cell_per_exercise_and_checks_only_by_id():
    assert sorted(SOLUTIONS) == list(IDS)
    checks = [cell.source.strip() for cell in NOTEBOOK.cells if "check" in cell.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]
    for exercise_id, source in SOLUTIONS.items():
        second = source.splitlines()[1]
        if exercise_id in PER_STUDENT:
            assert second.endswith(f'my_numbers("{exercise_id}")'), second
        else:
            assert "my_numbers" not in source


def test_no_old_check_and_no_stored_answer_in_the_lesson():
    text = "\n".join(cell.source for cell in NOTEBOOK.cells)
    for old in ("check_array", "check_choice", "check_column", "0.8776, 0.4794"):
        assert old not in text
    # the instructor's own answers appear nowhere outside their answer and check cells
    shown = "\n".join(str(output) for cell in NOTEBOOK.cells if cell.cell_type == "code"
                      and not {"solution", "check"} & set(cell.metadata.get("tags", []))
                      for output in cell.get("outputs", []))
    for exercise_id in ("5.1", "5.2", "5.3"):
        values = np.asarray(truth(exercise_id, "instructor"), dtype=float).reshape(-1)
        leaked = [f"{v:.4f}" for v in values if f"{v:.4f}" in shown and abs(v) > 0.01 and abs(abs(v) - 1) > 1e-9]
        assert not leaked, f"exercise {exercise_id}'s answer is printed by a later cell: {leaked}"


# -- every exercise, for two students -----------------------------------------------------------------


def _mistakes(exercise_id, student):
    exercise = get(exercise_id)
    inputs = exercise.draw(student)
    return exercise, inputs, exercise.truth(inputs), exercise.mistakes(**inputs)


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_every_listed_mistake_is_wrong_named_and_keeps_the_answer(exercise_id, student):
    exercise, inputs, expected, mistakes = _mistakes(exercise_id, student)
    assert mistakes
    for phrase, wrong in mistakes.items():
        assert not np.all(exercise.tolerance.close(wrong, expected)), f"{phrase!r} does not change the answer"
        for answer in (np.asarray(wrong, dtype=float), np.round(np.asarray(wrong, dtype=float), 3)):
            status, message = evaluate(exercise, {exercise_id: typed(exercise_id, answer)}, student=student)
            assert status == "wrong", (phrase, message)
            named = phrase.strip() in message or (phrase.startswith("transposed") and "transposed" in message)
            assert named, f"{phrase!r} is not named: {message}"
            assert_no_expected(message, expected)


# -- 5.3: the cotangent makes every contribution count ---------------------------------------------------


def _column(inputs, answer):
    return evaluate(get("5.3"), {"5.3": typed("5.3", answer)}, inputs=inputs)


@pytest.mark.parametrize("student", STUDENTS + ("instructor",))
def test_the_old_accepted_answer_without_fan_out_is_now_wrong(student):
    """The issue's answer: each input given only one of its two contributions (any one)."""
    inputs = get("5.3").draw(student)
    r, theta, a, b = inputs.values()
    assert a != 0 and b != 0 and theta != 0.5
    rest = [a * r, a, b * r, b]
    for x1_bar in (a * np.cos(theta), b * np.sin(theta)):
        for x2_bar in (b * r * np.cos(theta), -a * r * np.sin(theta)):
            status, message = _column(inputs, [x1_bar, x2_bar, *rest])
            assert status == "wrong", message
            assert "one contribution per use" in message, message
            assert "row v̄₋₁" in message and "row v̄₀" in message


def test_every_draw_keeps_each_mistake_visible_and_named():
    """Over many students: both weights nonzero, never the lesson's point, and each mistake named as itself."""
    exercise = get("5.3")
    for student in MANY:
        inputs = exercise.draw(student)
        assert inputs["y1_bar"] != 0 and inputs["y2_bar"] != 0 and inputs["theta"] != 0.5
        expected = np.asarray(exercise.truth(inputs), dtype=float)
        mistakes = exercise.mistakes(**inputs)
        assert len(mistakes) == 9
        for phrase, wrong in mistakes.items():
            differs = ~DEFAULT.close(wrong, expected)
            assert differs.any(), (student, phrase)
            status, message = _column(inputs, wrong)
            assert status == "wrong" and phrase in message, (student, phrase, message)


def test_a_slip_carried_into_a_later_row_is_named_where_it_happened():
    inputs = get("5.3").draw("alice")
    r, theta, a, b = inputs.values()
    v3_bar = -b * r  # the sign of v̄₃ slipped; v̄₀ then follows from it correctly
    x2_bar = v3_bar * np.cos(theta) - a * r * np.sin(theta)
    status, message = _column(inputs, [b * np.sin(theta) + a * np.cos(theta), x2_bar, a * r, a, v3_bar, b])
    assert status == "wrong"
    assert "row v̄₃: the sign is flipped" in message
    assert "row v̄₀: right for your other rows" in message


def test_other_draws_keep_their_mistakes_apart():
    for exercise_id in ("5.1", "5.2", "5.4", "5.8"):
        exercise = get(exercise_id)
        for student in MANY[:20]:
            inputs = exercise.draw(student)
            assert mistakes_distinct(exercise.truth(inputs), exercise.mistakes(**inputs), exercise.tolerance)
            if "theta" in inputs:
                assert inputs["theta"] != 0.5
            if "v1" in inputs:
                assert (inputs["v1"], inputs["v2"]) != (1.0, 1.0)



# -- 5.7 · transpose a linear program -------------------------------------------------------------------


_SWEEP = ["t_bar += e * y2_bar", "t_bar += c * y1_bar", "x1_bar += d * y1_bar", "x1_bar += a * t_bar",
          "x2_bar += b * t_bar"]


def sweep(*lines):
    """The answer cell of 5.7 with these lines between the markers (the lesson's own, by default)."""
    return LESSON.with_solution("5.7", "\n".join(lines or _SWEEP))


TRANSPOSE_SLIPS = {
    "the transposed lines must run last line first": sweep(*reversed(_SWEEP)),
    "t is read by lines 2 and 3: t̄ adds one contribution per use (+=, not =), and the one from line 3":
        sweep("t_bar += e * y2_bar", "t_bar = c * y1_bar", *_SWEEP[2:]),
    "t is read by lines 2 and 3: t̄ adds one contribution per use (+=, not =), and the one from line 2":
        sweep("t_bar = c * y1_bar", "t_bar = e * y2_bar", *_SWEEP[2:]),
    "x₁ is read by lines 1 and 2: x̄₁ adds one contribution per use (+=, not =), and the one from line 2":
        sweep(*_SWEEP[:2], "x1_bar += d * y1_bar", "x1_bar = a * t_bar", "x2_bar += b * t_bar"),
    "x₁ is read by lines 1 and 2: x̄₁ adds one contribution per use (+=, not =), and the one from line 1":
        sweep(*_SWEEP[:3], "x2_bar += b * t_bar"),
    "line 1's coefficients went to the wrong inputs":
        sweep(*_SWEEP[:3], "x1_bar += b * t_bar", "x2_bar += a * t_bar"),
    "line 2's coefficients went to the wrong variables":
        sweep("t_bar += e * y2_bar", "t_bar += d * y1_bar", "x1_bar += c * y1_bar", *_SWEEP[3:]),
    "that is J·r, the program run forwards":
        sweep("t_bar = a * y1_bar + b * y2_bar", "x1_bar, x2_bar = c * t_bar + d * y1_bar, e * t_bar"),
}


@pytest.mark.parametrize("student", STUDENTS)
def test_transpose_solution_is_right_and_the_stub_waits(student):
    assert LESSON.verdict("5.7", SOLUTIONS["5.7"], student)[0] == "correct"
    assert LESSON.verdict("5.7", sweep(), student)[0] == "correct"
    status, message = LESSON.verdict("5.7", STUBS["5.7"], student)
    assert status == "unanswered", message


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("slip", list(TRANSPOSE_SLIPS))
def test_each_transposition_slip_is_named_without_the_answer(slip, student):
    status, message = LESSON.verdict("5.7", TRANSPOSE_SLIPS[slip], student)
    assert status == "wrong", message
    assert listed_phrase("5.7", slip) in message, message
    assert_no_expected(message, expected_values("5.7", student))


def test_every_draw_keeps_the_transposition_slips_apart():
    exercise = get("5.7")
    for student in MANY:
        inputs = exercise.draw(student)
        assert len(set(inputs.values())) == 5 and 0.0 not in inputs.values()
        for slip, source in list(TRANSPOSE_SLIPS.items())[:3]:
            status, message = LESSON.verdict("5.7", source, student)
            assert status == "wrong" and slip in message, (student, message)


def test_another_students_transpose_is_refused():
    alice, bob = (get("5.7").draw(s) for s in STUDENTS)
    assert alice != bob
    fixed = sweep(*[_with_numbers(line, alice) for line in _SWEEP])  # alice's numbers typed in
    assert LESSON.verdict("5.7", fixed, "alice")[0] == "correct"
    status, message = LESSON.verdict("5.7", fixed, "bob")
    assert status == "wrong", message
    assert_no_expected(message, expected_values("5.7", "bob"))


def _with_numbers(line, coefficients):
    for name, value in coefficients.items():
        line = line.replace(f" {name} *", f" {value!r} *")
    return line


def test_transposing_by_hand_refuses_the_engine():
    mark, _, rest = SOLUTIONS["5.7"].partition("\n")
    status, message = LESSON.verdict("5.7", f"{mark}\nimport adlab\n{rest}", "alice")
    assert status == "wrong" and "by hand" in message, message


# -- 5.8 · the colours of a band ----------------------------------------------------------------------------


@pytest.mark.parametrize("student", STUDENTS)
def test_colours_solution_stub_and_slips(student):
    n, k = get("5.8").draw(student).values()
    assert 4 <= k and 2 * k + 1 < n
    assert LESSON.verdict("5.8", SOLUTIONS["5.8"], student)[0] == "correct"
    assert LESSON.verdict("5.8", STUBS["5.8"], student)[0] == "unanswered"
    for start, wrong in (("that is n", "n"), ("k + 1 counts", "k + 1"), ("2k leaves out", "2 * k")):
        status, message = LESSON.verdict("5.8", LESSON.changed("5.8", "2 * k + 1", wrong), student)
        assert status == "wrong" and listed_phrase("5.8", start) in message, message
        assert_no_expected(message, [2 * k + 1])
    status, message = LESSON.verdict("5.8", LESSON.changed("5.8", "2 * k + 1", "2 * k + 2"), student)
    assert status == "wrong" and "off by one" in message, message


def test_the_colour_count_is_the_engines_and_differs_between_students():
    exercise = get("5.8")
    alice, bob = (exercise.draw(s) for s in STUDENTS)
    for inputs in (alice, bob):
        assert exercise.truth(inputs) == 2 * inputs["k"] + 1
    assert alice["k"] != bob["k"]
    status, message = LESSON.verdict("5.8", typed("5.8", 2 * alice["k"] + 1, dtype=None), "bob")
    assert status == "wrong", message
    mark, _, rest = SOLUTIONS["5.8"].partition("\n")
    status, message = LESSON.verdict("5.8", f"{mark}\nimport adlab\n{rest}", "alice")
    assert status == "wrong" and "by hand" in message, message


def test_the_band_rule_is_not_given_away():
    """5.8's answer is a rule in k: no cell but its answer cell (not in the student copy) states it."""
    text = "\n".join(cell.source for cell in NOTEBOOK.cells if "solution" not in cell.metadata.get("tags", []))
    squeezed = text.replace(" ", "").replace("{", "").replace("}", "")
    for rule in ("2k+1", "2*k+1", "k*2+1", "2\\cdotk+1"):
        assert rule not in squeezed, rule
