"""Lesson 3's exercises (3.1–3.4) in the bank, as two students meet them.

For each exercise and for alice and bob: the instructor's answer cell (read from the lesson) is correct,
the student copy's stub is "not answered yet", every listed mistake (typed as an answer cell) is wrong, named
by its own phrase, and its message holds no expected value; alice's answers are refused for bob. Besides:
the engine is refused (all four are by hand), a lookup table of one student's test points is no answer, a
looping function "did not finish", the counts of 3.2 and 3.4 are exact and the engine's, and no text or stored
output under an exercise gives its answer. (Until issue 22, 3.4 was the hand-written reverse sweep: it is
Lesson 6's exercise 6.5 now.)
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from adlab.exercises.bank import get
from adlab.exercises.diagnose import EXACT, TIGHT
from bank_support import distinctive_forms, expected_values, leaks, lesson, listed_phrase, table_source, typed

LESSON = lesson("03_symbolic_differentiation.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
with_solution = LESSON.with_solution
IDS = ("3.1", "3.2", "3.3", "3.4")
STUDENTS = ("alice", "bob")
FUNCTIONS = ("3.1",)
NUMBERS = ("3.2", "3.4")


# -- the wrong functions, as a student would type them (one per listed mistake) ----------------------

_TANGENT = """
    l, l_dot = x, {start}
    for _ in range({passes}):
        l, l_dot = 4 * l * (1 - l), {factor} * l_dot
    return l, l_dot
"""


def tangent(factor="4 * (1 - 2 * l)", passes="n", start="1.0"):
    return _TANGENT.format(factor=factor, passes=passes, start=start)


FUNCTION_MISTAKES = {
    "3.1": {
        "update l and l̇ together": """
            l, l_dot = x, 1.0
            for _ in range(n):
                l = 4 * l * (1 - l)
                l_dot = 4 * (1 - 2 * l) * l_dot
            return l, l_dot
        """,
        "d/dl [4l(1 − l)] = 4(1 − l) − 4l": tangent(factor="4 * (1 - l)"),
        "the derivative of 4l(1 − l) keeps its factor 4": tangent(factor="(1 - 2 * l)"),
        "one pass too few": tangent(passes="n - 1"),
        "one pass too many": tangent(passes="n + 1"),
        "start from l̇₀ = dx/dx = 1": tangent(start="0.0"),
    },
}


# -- every exercise: solution, stub, another student's answers --------------------------------------


@pytest.mark.parametrize("exercise_id", [i for i in IDS if get(i).inputs is not None])
def test_alice_and_bob_get_different_inputs(exercise_id):
    ex = get(exercise_id)
    assert str(ex.draw("alice")) != str(ex.draw("bob"))


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_alices_count_is_refused_for_bob(exercise_id):
    ex = get(exercise_id)
    alice = ex.truth(ex.draw("alice"))
    assert alice != ex.truth(ex.draw("bob"))
    assert verdict(exercise_id, typed(exercise_id, alice, dtype=None), "alice")[0] == "correct"
    status, message = verdict(exercise_id, typed(exercise_id, alice, dtype=None), "bob")
    assert status == "wrong", message


TABLES = {  # a function that looks its answers up in a table of alice's test points
    "3.1": ("logistic_tangent", "x, n", "(x, n)"),
}


@pytest.mark.parametrize("exercise_id", FUNCTIONS)
def test_a_table_of_alices_points_is_no_answer_for_bob(exercise_id):
    source = table_source(exercise_id, "alice", *TABLES[exercise_id])
    assert verdict(exercise_id, source, "alice")[0] == "correct"  # the table is right where alice is tested
    status, message = verdict(exercise_id, source, "bob")
    assert status == "wrong", message


def test_the_old_fixed_points_are_no_answer():
    old = {(0.3, 1): None, (0.3, 6): None, (0.8, 4): None, (0.1, 10): None}
    reference = get("3.1").reference(**get("3.1").draw("alice"))
    table = {k: np.asarray(reference(*k), dtype=float).tolist() for k in old}
    source = f"# Exercise 3.1\nTABLE = {table!r}\n\ndef logistic_tangent(x, n):\n    return TABLE[(x, n)]\n"
    for student in STUDENTS:
        assert verdict("3.1", source, student)[0] == "wrong"


# -- the listed mistakes: wrong, named, and no expected value in the message -----------------------


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_every_listed_count_mistake_is_named_without_the_answer(exercise_id, student):
    ex = get(exercise_id)
    inputs = ex.draw(student)
    truth = ex.truth(inputs)
    assert truth not in ex.mistakes(**inputs).values() and len(set(ex.mistakes(**inputs).values())) == len(
        ex.mistakes(**inputs)), "every listed count differs from the truth and from the others"
    for phrase, wrong in ex.mistakes(**inputs).items():
        status, message = verdict(exercise_id, typed(exercise_id, wrong), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert str(truth) not in re.sub(r"\d+ of \d+", "", message), message


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", FUNCTIONS)
def test_every_listed_wrong_function_is_named_without_the_answer(exercise_id, student):
    ex = get(exercise_id)
    phrases = set(ex.mistakes(**ex.draw(student)))
    typed_phrases = {listed_phrase(exercise_id, start) for start in FUNCTION_MISTAKES[exercise_id]}
    assert typed_phrases == phrases, "every listed mistake has a typed answer here"
    values = expected_values(exercise_id, student)
    for start, body in FUNCTION_MISTAKES[exercise_id].items():
        phrase = listed_phrase(exercise_id, start)
        status, message = verdict(exercise_id, with_solution(exercise_id, body), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, values), (message, leaks(message, values))


@pytest.mark.parametrize("student", STUDENTS)
def test_the_wrong_choices_are_wrong(student):
    for choice in ("symbolic", "AD"):
        status, message = verdict("3.3", f"# Exercise 3.3\nhorner_method = {choice!r}\n", student)
        assert status == "wrong", message
        assert "both" not in message
    status, message = verdict("3.3", "# Exercise 3.3\nhorner_method = 'sympy'\n", student)
    assert status == "invalid", message


# -- by hand: the engine is refused ------------------------------------------------------------------


ENGINE_ANSWERS = {
    "3.1": "# Exercise 3.1\nimport adlab\nfrom adlab import symbolic\n\ndef logistic_tangent(x, n):\n"
           "    return adlab.jvp(lambda t: symbolic.logistic_map(t, n), (x,), (1.0,))\n",
    "3.2": "# Exercise 3.2\npasses = my_numbers('3.2')\nfrom adlab import cost\n\ndef p(x):\n    s = 1.0\n"
           "    for k in range(passes):\n        s = s * x + k\n    return np.exp(s)\n\np_rows = cost.ops(p, 0.5)\n",
    "3.3": "# Exercise 3.3\nfrom adlab import symbolic\nhorner_method = 'both'\n",
    "3.4": "# Exercise 3.4\nstart = my_numbers('3.4')\nfrom adlab import cost\n\ndef exp_by_halving(x):\n"
           "    if -0.01 < x < 0.01:\n        return 1 + x + x * x / 2\n    half = exp_by_halving(x / 2)\n"
           "    return half * half\n\nexp_rows = cost.ops(exp_by_halving, start)\n",
}


@pytest.mark.parametrize("exercise_id", IDS)
def test_by_hand_exercises_refuse_the_engine(exercise_id):
    assert get(exercise_id).by_hand
    for student in STUDENTS:
        status, message = verdict(exercise_id, ENGINE_ANSWERS[exercise_id], student)
        assert status == "wrong" and "by hand" in message, message


def test_the_engine_imported_inside_the_function_is_refused_too():
    source = with_solution("3.1", "from adlab import jvp, symbolic\n"
                                  "return jvp(lambda t: symbolic.logistic_map(t, n), (x,), (1.0,))")
    status, message = verdict("3.1", source, "bob")
    assert status == "wrong" and "by hand" in message, message


# -- tolerances -------------------------------------------------------------------------------------


def test_functions_are_compared_tightly_and_the_counts_exactly():
    assert get("3.1").tolerance == TIGHT
    for exercise_id in NUMBERS:
        assert get(exercise_id).tolerance == EXACT
        for student in STUDENTS:
            truth = get(exercise_id).truth(get(exercise_id).draw(student))
            for near in (truth + 0.4, truth - 0.01, truth + 1):
                assert verdict(exercise_id, typed(exercise_id, near), student)[0] in ("wrong", "invalid")
    almost = tangent(factor="4 * (1 - 2 * l) * (1 + 1e-9)")
    assert verdict("3.1", with_solution("3.1", almost), "alice")[0] == "wrong"


def test_the_count_is_the_engines_for_every_number_of_passes():
    from adlab import cost
    from adlab.exercises.bank.lesson03 import loop_program

    ex = get("3.2")
    for passes in range(3, 10):
        assert ex.truth({"passes": passes}) == cost.ops(loop_program(passes), 0.5) == 2 * passes + 1
    assert {ex.draw(s)["passes"] for s in (f"student{i}" for i in range(30))} <= set(range(3, 10))


# -- the notebook: check cells, hints, and the text under each exercise -----------------------------


def test_check_cells_are_only_the_id():
    checks = [c.source.strip() for c in notebook().cells if "check" in c.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]


@pytest.mark.parametrize("exercise_id", FUNCTIONS)
def test_hints_stop_before_the_numbers(exercise_id):
    ex = get(exercise_id)
    for student in STUDENTS:
        hints = " ".join(ex.hint_texts(ex.draw(student)))
        assert not leaks(hints, expected_values(exercise_id, student)), hints


def test_the_hints_of_3_2_to_3_4_do_not_say_the_answer():
    for exercise_id in NUMBERS:
        ex = get(exercise_id)
        for student in STUDENTS:
            truth = ex.truth(ex.draw(student))
            assert not re.search(rf"(?<!\d){truth}(?!\d)", " ".join(ex.hint_texts(ex.draw(student))))
    assert "both" not in " ".join(get("3.3").hint_texts({})).lower()


def test_no_text_or_output_below_an_exercise_gives_its_answer():
    outputs = []
    for cell in notebook().cells:
        for output in cell.get("outputs", []):
            outputs.append(str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", "")))
    for exercise_id in FUNCTIONS:
        text = LESSON.below(exercise_id) + "\n".join(outputs)
        for student in ("instructor", *STUDENTS):
            values = expected_values(exercise_id, student)
            found = sorted(set(leaks(text, values)) & distinctive_forms(values))
            assert not found, (exercise_id, student, found)
    below = LESSON.below("3.2") + LESSON.below("3.3") + LESSON.below("3.4")
    for student in ("instructor", *STUDENTS):
        for exercise_id in NUMBERS:
            truth = get(exercise_id).truth(get(exercise_id).draw(student))
            assert not re.search(rf"(?<![\d.]){truth} (rows|operations)", below)
    assert "both" not in LESSON.below("3.3").lower()


# -- a looping student function: "did not finish" -----------------------------------------------------


def test_a_looping_logistic_tangent_did_not_finish():
    ex = get("3.1")
    assert ex.seconds <= 5
    source = with_solution("3.1", "l = x\nwhile l == l:\n    l = 4 * l * (1 - l)\nreturn l, 1.0")
    status, message = verdict("3.1", source, "bob")
    assert status == "wrong" and "did not finish" in message, message


# -- 3.4: the recursion's rows ----------------------------------------------------------------------------


def test_the_recursion_count_is_the_engines_at_every_start():
    from adlab import cost
    from adlab.exercises.bank.lesson03 import _HALVING_STARTS, exp_by_halving, halvings

    ex = get("3.4")
    for start in _HALVING_STARTS:
        k = halvings(start)
        assert 6 <= k <= 10
        assert ex.truth({"x": start}) == cost.ops(exp_by_halving, start) == 2 * k + 4
        mistakes = ex.mistakes(x=start)
        assert len(set(mistakes.values()) | {2 * k + 4}) == len(mistakes) + 1, start
    assert 0.05 not in _HALVING_STARTS and 1.0 not in _HALVING_STARTS  # the lesson's worked examples
    starts = {ex.draw(s)["x"] for s in (f"student{i}" for i in range(40))}
    assert starts <= set(_HALVING_STARTS) and len(starts) > 5


def test_the_recursion_in_the_lesson_is_the_banks():
    from adlab.exercises.bank.lesson03 import exp_by_halving

    cell = next(c.source for c in notebook().cells if c.source.startswith("def exp_by_halving(x):"))
    namespace = {}
    exec(cell.split("\n\n\nprint")[0], namespace)
    for start in (0.05, 1.0, -2.5, 6.0):
        assert namespace["exp_by_halving"](start) == exp_by_halving(start)
