"""Lesson 2's exercises (2.1–2.6) in the bank, as two students meet them.

For each exercise and for alice and bob: the instructor's answer cell (read from the lesson) is correct,
the student copy's stub is "not answered yet", every listed mistake (typed as an answer cell) is wrong, named
by its own phrase, and its message holds no expected value; alice's answers are refused for bob. Besides:
the engine is refused where the work is by hand, a lookup table of one student's test points is no answer,
a looping function "did not finish", the best step of 2.5 is the stated model's, and no text or stored output
under an exercise gives its answer.
"""

from __future__ import annotations

import numpy as np
import pytest

from adlab.exercises.bank import get
from adlab.exercises.diagnose import EXACT, TIGHT
from bank_support import distinctive_forms, expected_values, leaks, lesson, listed_phrase, table_source, typed

LESSON = lesson("02_manual_and_numerical.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
with_solution = LESSON.with_solution
IDS = ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6")
STUDENTS = ("alice", "bob")
FUNCTIONS = ("2.1", "2.2", "2.6")
NUMBERS = ("2.3", "2.4", "2.5")


# -- the wrong functions, as a student would type them (one per listed mistake) ----------------------

FUNCTION_MISTAKES = {
    "2.1": {
        "e^(x₁x₂) needs the chain rule's inner derivative": """
            e = np.exp(x1 * x2)
            return 2 * x1 * np.sin(x2) + e, x1**2 * np.cos(x2) + e
        """,
        "∂/∂x₂ sin x₂ = +cos x₂": """
            e = np.exp(x1 * x2)
            return 2 * x1 * np.sin(x2) + x2 * e, -x1**2 * np.cos(x2) + x1 * e
        """,
        "the two entries are swapped": """
            e = np.exp(x1 * x2)
            return x1**2 * np.cos(x2) + x1 * e, 2 * x1 * np.sin(x2) + x2 * e
        """,
        "∂/∂x₁ x₁² = 2x₁": """
            e = np.exp(x1 * x2)
            return x1 * np.sin(x2) + x2 * e, x1**2 * np.cos(x2) + x1 * e
        """,
        "for ∂/∂x₁, x₂ is a constant": """
            e = np.exp(x1 * x2)
            return 2 * x1 * np.cos(x2) + x2 * e, x1**2 * np.cos(x2) + x1 * e
        """,
    },
    "2.2": {
        "f(x) itself is evaluated too": "return n",
        "f(x) is the same point for every partial derivative": "return 2 * n",
    },
    "2.6": {
        "the finer estimate D_c(h/2) gets the weight 4": "return (4 * central(f, x, h) - central(f, x, h / 2)) / 3",
        "D_R(h) combines the steps h and h/2, not 2h and h": "return (4 * central(f, x, h) - central(f, x, 2 * h)) / 3",
        "the weights 4 and −1 add up to 3: divide by 3": "return 4 * central(f, x, h / 2) - central(f, x, h)",
        "the weights 4 and −1 add up to 3: divide by 3, not by 4":
            "return (4 * central(f, x, h / 2) - central(f, x, h)) / 4",
        "that is the central difference at h/2 alone": "return central(f, x, h / 2)",
    },
}


# -- every exercise: solution, stub, another student's answers --------------------------------------


@pytest.mark.parametrize("exercise_id", [i for i in IDS if get(i).inputs is not None])
def test_alice_and_bob_get_different_inputs(exercise_id):
    ex = get(exercise_id)
    assert str(ex.draw("alice")) != str(ex.draw("bob"))


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_alices_answer_is_refused_for_bob(exercise_id):
    ex = get(exercise_id)
    if ex.inputs is None:
        pytest.skip("the same for everyone")
    alice = ex.truth(ex.draw("alice"))
    assert verdict(exercise_id, typed(exercise_id, alice), "alice")[0] == "correct"
    status, message = verdict(exercise_id, typed(exercise_id, alice), "bob")
    assert status == "wrong", message


TABLES = {  # a function that looks its answers up in a table of alice's test points
    "2.1": ("my_grad_g", "x1, x2", "(x1, x2)"),
    "2.2": ("forward_evaluations", "n", "(n,)"),
    "2.6": ("richardson", "f, x, h", "(f.__name__, x, h)"),
}


@pytest.mark.parametrize("exercise_id", FUNCTIONS)
def test_a_table_of_alices_points_is_no_answer_for_bob(exercise_id):
    source = table_source(exercise_id, "alice", *TABLES[exercise_id])
    assert verdict(exercise_id, source, "alice")[0] == "correct"  # the table is right where alice is tested
    status, message = verdict(exercise_id, source, "bob")
    assert status == "wrong", message


def test_forward_evaluations_is_tested_at_many_sizes_drawn_per_student():
    ex = get("2.2")
    old_table = "# Exercise 2.2\ndef forward_evaluations(n):\n    return {1: 2, 2: 3, 10: 11, 100: 101}[n]\n"
    for student in STUDENTS:
        sizes = [n for (n,) in ex.points(**ex.draw(student))]
        assert len(set(sizes)) >= 8 and max(sizes) >= 500 and min(sizes) >= 2
        assert verdict("2.2", old_table, student)[0] == "wrong"  # the four points of the old check
    draws = {tuple(ex.draw(s)["n_values"]) for s in ("alice", "bob", "carol", "dave", "erin")}
    assert len(draws) == 5


# -- the listed mistakes: wrong, named, and no expected value in the message -----------------------


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_every_listed_numeric_mistake_is_named_without_the_answer(exercise_id, student):
    ex = get(exercise_id)
    inputs = ex.draw(student)
    truth = ex.truth(inputs)
    mistakes = ex.mistakes(**inputs)
    assert mistakes
    for phrase, wrong in mistakes.items():
        status, message = verdict(exercise_id, typed(exercise_id, wrong), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, truth), (message, leaks(message, truth))


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


# -- by hand: the engine is refused ------------------------------------------------------------------


ENGINE_ANSWERS = {
    "2.1": "# Exercise 2.1\nimport adlab\n\ndef g(x1, x2):\n    return x1**2 * np.sin(x2) + np.exp(x1 * x2)\n\n"
           "my_grad_g = adlab.grad(g, argnums=(0, 1))\n",
    "2.2": "# Exercise 2.2\nfrom adlab import numeric\n\ndef forward_evaluations(n):\n"
           "    return numeric.gradient(lambda x: np.sum(x**2), np.ones(n), method='forward').evaluations\n",
    "2.3": "# Exercise 2.3\nm, n = my_numbers('2.3')\nfrom adlab import numeric\n"
           "jacobian_evaluations = numeric.jacobian(lambda x: np.ones(m) * np.sum(x), np.ones(n), "
           "elementwise=True).evaluations\n",
    "2.4": "# Exercise 2.4\nfrom adlab.numeric import ORDERS\n"
           "p_forward, p_central = ORDERS['forward'], ORDERS['central']\n",
    "2.5": "# Exercise 2.5\nx1, x2 = my_numbers('2.5')\nimport adlab\nh_best, k = 1e-7, -7\n",
    "2.6": "# Exercise 2.6\nfrom adlab import numeric\n\ndef richardson(f, x, h):\n"
           "    return numeric.richardson(f, x, h, levels=1)\n",
}


@pytest.mark.parametrize("exercise_id", IDS)
def test_by_hand_exercises_refuse_the_engine(exercise_id):
    assert get(exercise_id).by_hand
    for student in STUDENTS:
        status, message = verdict(exercise_id, ENGINE_ANSWERS[exercise_id], student)
        assert status == "wrong" and "by hand" in message, message


def test_the_engine_imported_inside_the_function_is_refused_too():
    source = with_solution("2.1", "import adlab\nreturn adlab.grad(g, argnums=(0, 1))(x1, x2)")
    status, message = verdict("2.1", source, "alice")
    assert status == "wrong" and "by hand" in message, message


# -- tolerances -------------------------------------------------------------------------------------


def test_functions_are_compared_tightly_and_counts_exactly():
    for exercise_id in ("2.1", "2.6"):
        assert get(exercise_id).tolerance == TIGHT
    for exercise_id in ("2.2", "2.3", "2.4"):
        assert get(exercise_id).tolerance == EXACT
    almost = with_solution("2.1", """
        e = np.exp(x1 * x2)
        return (2 * x1 * np.sin(x2) + x2 * e) * (1 + 1e-7), x1**2 * np.cos(x2) + x1 * e
    """)
    assert verdict("2.1", almost, "alice")[0] == "wrong"
    rounded = with_solution("2.6", "return round((4 * central(f, x, h / 2) - central(f, x, h)) / 3, 6)")
    assert verdict("2.6", rounded, "bob")[0] == "wrong"


# -- 2.5: the stated error model decides, and exactly one k per student --------------------------------


def test_the_best_step_is_the_stated_models():
    ex = get("2.5")
    eps = np.finfo(float).eps
    for student in ("alice", "bob", *(f"student{i}" for i in range(40))):
        inputs = ex.draw(student)
        x1, x2 = inputs["x1"], inputs["x2"]
        value = x1 * x2 + x2 - np.log(x1)
        h = np.sqrt(2 * eps * abs(value) * x1**2)  # |f''| = 1/x1²
        k = int(np.floor(np.log10(h)))
        h_truth, k_truth = ex.truth(inputs)
        assert abs(h_truth - h) <= 1e-12 * h and k_truth == k == int(np.round(np.log10(h)))
        assert 1.1 <= h / 10.0**k <= 2.9, "no tie between two powers of ten"
        assert (x1, x2) != (3.0, -4.0), "the lesson's worked point is not an exercise"
        for wrong_k in (k - 1, k + 1):
            assert verdict("2.5", typed("2.5", [h, wrong_k]), student)[0] == "wrong"


def test_at_the_worked_point_the_model_gives_minus_seven_not_minus_eight():
    worked = {"x1": 3.0, "x2": -4.0}
    h, k = get("2.5").truth(worked)
    assert 2.5e-7 < h < 2.7e-7 and k == -7
    assert verdict("2.5", typed("2.5", [h, -7]), "alice", inputs=worked)[0] == "correct"
    assert verdict("2.5", typed("2.5", [h, -8]), "alice", inputs=worked)[0] == "wrong"


def test_the_prose_of_2_5_says_which_k_is_accepted():
    cells = notebook().cells
    index = next(i for i, c in enumerate(cells) if c.source.startswith("### Exercise 2.5"))
    assert "exactly" in cells[index].source and "one $k$ is accepted" in cells[index].source


# -- the notebook: check cells, hints, and the text under each exercise -----------------------------


def test_check_cells_are_only_the_id():
    checks = [c.source.strip() for c in notebook().cells if "check" in c.metadata.get("tags", [])]
    assert checks == [f'check("{i}")' for i in IDS]


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_stop_before_the_numbers(exercise_id):
    ex = get(exercise_id)
    for student in STUDENTS:
        inputs = ex.draw(student)
        hints = " ".join(ex.hint_texts(inputs))
        assert not leaks(hints, expected_values(exercise_id, student)), hints


@pytest.mark.parametrize("exercise_id", IDS)
def test_no_text_or_output_below_an_exercise_gives_its_answer(exercise_id):
    outputs = []
    for cell in notebook().cells:
        for output in cell.get("outputs", []):
            outputs.append(str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", "")))
    text = LESSON.below(exercise_id) + "\n".join(outputs)
    for student in ("instructor", *STUDENTS):
        values = expected_values(exercise_id, student)
        found = sorted(set(leaks(text, values)) & distinctive_forms(values))
        assert not found, (exercise_id, student, found)
    below = LESSON.below(exercise_id)
    if exercise_id == "2.2":
        assert "n + 1" not in below and "n+1" not in below
    if exercise_id == "2.3":
        assert "2mn" not in below.replace(" ", "")


# -- a looping student function: "did not finish" -----------------------------------------------------


def test_a_looping_richardson_did_not_finish():
    ex = get("2.6")
    assert ex.seconds <= 5
    source = with_solution("2.6", "while True:\n    pass")
    status, message = verdict("2.6", source, "alice")
    assert status == "wrong" and "did not finish" in message, message
