"""Lesson 9's exercises in the bank: the instructor's cells are right, stubs wait, each listed slip is caught
without the answer, another student's numbers fail, and the leaks of the old lesson stay closed."""

from __future__ import annotations

import re
import time

import nbformat
import numpy as np
import pytest

from adlab.core.revolve import binomial_cost
from adlab.course import student_copy
from adlab.exercises.bank import get
from bank_support import leaks, lesson, typed

LESSON = lesson("09_checkpointing.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
IDS = ("9.1a", "9.1b", "9.2", "9.3", "9.4")
NUMERIC = ("9.2", "9.4")
STUDENTS = ("alice", "bob")


def test_each_exercise_has_its_own_answer_cell_and_a_check_cell_with_only_its_id():
    checks = [c.source.strip() for c in notebook().cells if "check" in c.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]
    assert sorted(solutions()) == sorted(IDS)


@pytest.mark.parametrize("exercise_id", ("9.1a", "9.1b"))
def test_the_memory_choices(exercise_id):
    name = get(exercise_id).answer[0]
    right, wrong = ("constant", "linear") if exercise_id == "9.1a" else ("linear", "constant")
    assert verdict(exercise_id, f"# Exercise {exercise_id}\n{name} = {right.upper()!r}", "alice")[0] == "correct"
    status, message = verdict(exercise_id, f"# Exercise {exercise_id}\n{name} = {wrong!r}", "alice")
    assert status == "wrong" and right not in message
    assert verdict(exercise_id, f"# Exercise {exercise_id}\n{name} = 'quadratic'", "alice")[0] == "invalid"


def test_the_explanation_of_9_1_comes_after_both_checks():
    cells = notebook().cells
    heading = next(i for i, c in enumerate(cells) if "### Exercise 9.1" in c.source)
    last_check = next(i for i, c in enumerate(cells) if c.source.strip() == 'check("9.1b")')
    explained = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "grows in proportion" in c.source)
    assert heading < last_check < explained
    between = "".join(c.source for c in cells[heading - 1:last_check] if c.cell_type == "markdown")
    assert "grows in proportion" not in between and "does not:" not in between


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_every_listed_mistake_is_wrong_and_named_without_the_answer(exercise_id, student):
    ex = get(exercise_id)
    inputs = ex.draw(student)
    truth = np.asarray(ex.truth(inputs), dtype=float)
    for phrase, wrong in ex.mistakes(**inputs).items():
        assert not np.array_equal(np.asarray(wrong, dtype=float), truth), phrase  # it changes the result
        status, message = verdict(exercise_id, typed(exercise_id, wrong, dtype=None), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, truth), (phrase, message)
        assert "expected" not in message


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_another_students_answer_fails_and_the_numbers_differ(exercise_id):
    ex = get(exercise_id)
    alice, bob = ex.draw("alice"), ex.draw("bob")
    assert alice != bob
    assert verdict(exercise_id, typed(exercise_id, ex.truth(alice), dtype=None), "alice")[0] == "correct"
    status, message = verdict(exercise_id, typed(exercise_id, ex.truth(alice), dtype=None), "bob")
    assert status == "wrong", message


def test_9_2_is_not_passed_by_a_global_another_cell_left_behind():
    source = "# Exercise 9.2\nN = my_numbers('9.2')\nbest_k = fewest\nstates_kept = states[fewest]"
    status, message = verdict("9.2", source, "alice")
    assert status == "invalid" and "`fewest`" in message and "does not define" in message


def test_9_2_never_the_notes_number_and_always_a_unique_best_k():
    for k in range(50):
        N = get("9.2").draw(f"student{k}")["N"]
        assert N != 10_000
        states = {k: -(-N // k) + k for k in range(1, N + 1)}
        best = min(states.values())
        assert [k for k, v in states.items() if v == best] == [get("9.2").truth({"N": N})[0]]


WRONG_FORWARD_STEPS = {  # how a student might get t(n, s) wrong, written as they would write it
    "one r early": """
def forward_steps(n, s):
    r = 0
    while math.comb(s + r + 1, s) < n:
        r += 1
    return r * n - math.comb(s + r, s + 1)""",
    "C(s + r, s + 1), not C(s + r, s)": """
def forward_steps(n, s):
    r = 0
    while math.comb(s + r, s) < n:
        r += 1
    return r * n - math.comb(s + r, s)""",
    "that is r": """
def forward_steps(n, s):
    r = 0
    while math.comb(s + r, s) < n:
        r += 1
    return r""",
    "not the n steps of the first forward pass": """
def forward_steps(n, s):
    r = 0
    while math.comb(s + r, s) < n:
        r += 1
    return r * n - math.comb(s + r, s + 1) + n""",
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("slip", WRONG_FORWARD_STEPS)
def test_9_3_names_each_slip_without_the_answer(slip, student):
    ex = get("9.3")
    inputs = ex.draw(student)
    status, message = verdict("9.3", "# Exercise 9.3" + WRONG_FORWARD_STEPS[slip], student)
    assert status == "wrong" and slip in message, message
    at = re.search(r"at \((\d+), (\d+)\)", message)
    value = binomial_cost(int(at.group(1)), int(at.group(2)))
    assert not leaks(message, [value])
    phrases = ex.mistakes(**inputs)
    assert any(slip in phrase for phrase in phrases)


def test_9_3_each_listed_wrong_function_differs_from_the_engine_at_some_point():
    for student in STUDENTS + ("carol", "dave"):
        ex = get("9.3")
        inputs = ex.draw(student)
        points = ex.points(**inputs)
        for phrase, wrong in ex.mistakes(**inputs).items():
            assert any(wrong(n, s) != binomial_cost(n, s) for n, s in points), phrase


def test_9_3_is_not_passed_by_the_engines_binomial_cost():
    imported = "# Exercise 9.3\nfrom adlab.core.revolve import binomial_cost\n" \
               "def forward_steps(n, s):\n    return binomial_cost(n, s)"
    status, message = verdict("9.3", imported, "alice")
    assert status == "wrong" and "by hand" in message
    borrowed = "# Exercise 9.3\ndef forward_steps(n, s):\n    return binomial_cost(n, s)"  # the lesson imports it
    status, message = verdict("9.3", borrowed, "alice")
    assert status == "wrong" and "binomial_cost" in message
    assert "binomial_cost" not in get("9.3").draw("alice")  # nothing of the engine in the answer's namespace


def test_9_3_test_points_stay_small_and_differ_between_students():
    ex = get("9.3")
    for k in range(50):
        points = ex.points(**ex.draw(f"student{k}"))
        assert all(1 <= n <= 5000 and 1 <= s <= 25 for n, s in points)  # a student's count-up loop stays quick
        assert not {(100, 2), (100, 5), (100, 10), (1000, 10), (1000, 32)} & set(points)  # printed by the lesson
    assert ex.draw("alice") != ex.draw("bob")
    started = time.perf_counter()
    assert verdict("9.3", solutions()["9.3"], "alice")[0] == "correct"
    assert time.perf_counter() - started < 2


def test_9_4_never_a_budget_the_lesson_prints_and_its_truth_is_the_engines_schedule():
    from adlab.exercises.bank.lesson09 import most_runs

    for k in range(30):
        inputs = get("9.4").draw(f"student{k}")
        assert (inputs["n_steps"], inputs["s"]) not in {(1000, 10), (1000, 32), (100, 10)}
    inputs = get("9.4").draw("alice")
    t, fewest = get("9.4").truth(inputs)
    assert t == binomial_cost(inputs["n_steps"], inputs["s"])
    assert most_runs(inputs["n_steps"], fewest) <= inputs["r_max"] < most_runs(inputs["n_steps"], fewest - 1)


@pytest.mark.parametrize("exercise_id", ("9.2", "9.3", "9.4"))
def test_the_engine_is_refused_by_hand(exercise_id):
    name = get(exercise_id).answer[0]
    source = f"# Exercise {exercise_id}\nfrom adlab.core.revolve import binomial_cost\n{name} = 1"
    status, message = verdict(exercise_id, source, "alice")
    assert status == "wrong" and "by hand" in message


def test_no_hint_or_stored_output_holds_a_students_answer():
    text = nbformat.writes(student_copy(notebook()))
    for exercise_id in NUMERIC:
        ex = get(exercise_id)
        for student in STUDENTS:
            inputs = ex.draw(student)
            assert not leaks(" ".join(ex.hint_texts(inputs)), ex.truth(inputs))
    hints = " ".join(get("9.3").hint_texts(get("9.3").draw("alice")))
    assert "3636" not in hints and "222" not in hints
    checks = [c for c in student_copy(notebook()).cells if "check" in c.metadata.get("tags", [])]
    assert all(not c.outputs for c in checks)
    assert "10,000" not in text and "10{,}000" not in text
