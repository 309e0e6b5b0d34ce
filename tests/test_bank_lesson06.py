"""Lesson 6's exercises on the exercise framework (adlab.exercises.bank.lesson06), as two students meet them.

For 6.1 (Table 3's adjoint column by hand), 6.2a–6.2c (the student's Value class in three steps: + and *, the
sweep, the other operations), 6.3 (that class at the student's point), 6.4 (a second sweep, predicted by hand),
6.5 (a reverse sweep written by hand; Lesson 3's 3.4 until issue 22) and 6.6 (when source transformation is
the better choice), and for "alice" and "bob": the instructor's answer cell from the lesson is correct; the
student copy's stub is not answered yet; every listed mistake is wrong and its feedback holds no expected
value; one student's answer does not pass for the other; their numbers differ. The steps' mistakes are wrong
classes: adlab's reference under another name, a recursive sort (whatever the recursion limit), a rule that
overwrites, forgets out.grad or flips a sign, a sweep without its seed; each is caught by its own step's check
and by the whole class's (6.2c).
"""

from __future__ import annotations

import re
import sys

import nbformat
import numpy as np
import pytest

from adlab.course import student_copy
from adlab.exercises.bank import get
from adlab.exercises.bank.lesson06 import (SCENARIOS, WORKED, _gradient_checker, _point, _step_a_checker,
                                           _step_b_checker, _value_checker, f)
from adlab.exercises.diagnose import TIGHT, diagnose_entries
from adlab.exercises.exercise import evaluate
from adlab.exercises.reference_value import ReferenceValue
from bank_support import expected_values, leaks, lesson, listed_phrase, number_forms, table_source, typed

LESSON = lesson("06_reverse_mode.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
STUDENTS = ("alice", "bob")
IDS = ("6.1", "6.2a", "6.2b", "6.2c", "6.3", "6.4", "6.5", "6.6")
STEPS = ("6.2a", "6.2b", "6.2c")
NUMERIC = ("6.1", "6.4")


# -- every exercise: the solution, the stub, two students ------------------------------------------


def test_every_exercise_of_the_lesson_has_one_answer_cell_and_a_check_cell_that_only_names_it():
    assert sorted(solutions()) == list(IDS)
    checks = [cell.source for cell in notebook().cells if "check" in cell.metadata.get("tags", [])]
    assert checks == [f'check("{exercise_id}")' for exercise_id in IDS]
    for exercise_id in IDS:
        cell = next(c for c in notebook().cells if c.source == solutions()[exercise_id])
        assert "solution" in cell.metadata.get("tags", [])
        if get(exercise_id).inputs is _point:
            assert solutions()[exercise_id].splitlines()[1] == f'x1, x2 = my_numbers("{exercise_id}")'


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", IDS)
def test_the_instructor_solution_is_correct_and_the_stub_waits(exercise_id, student):
    exercise = get(exercise_id)
    status, message = evaluate(exercise, solutions(), student=student)
    assert status == "correct", message
    status, message = evaluate(exercise, stubs(), student=student)
    assert status == "unanswered", message


@pytest.mark.parametrize("exercise_id", ("6.1", "6.3", "6.4"))
def test_two_students_get_different_numbers_and_never_a_worked_example_s(exercise_id):
    exercise = get(exercise_id)
    assert exercise.draw("alice") != exercise.draw("bob")
    for student in ["alice", "bob", "instructor", None] + [f"student{i}" for i in range(300)]:
        inputs = exercise.draw(student)
        assert (inputs["x1"], inputs["x2"]) not in WORKED
        assert inputs["x1"] > 0 and inputs["x1"] != 1 and inputs["x2"] != 0 and inputs["x1"] != abs(inputs["x2"])


@pytest.mark.parametrize("exercise_id", ("6.1", "6.3", "6.4"))
def test_every_listed_mistake_changes_the_answer_and_is_named_as_itself_for_every_student(exercise_id):
    exercise = get(exercise_id)
    tolerance = exercise.tolerance
    for student in [f"student{i}" for i in range(300)] + list(STUDENTS):
        inputs = exercise.draw(student)
        truth = np.asarray(exercise.truth(inputs), dtype=float).reshape(-1)
        mistakes = exercise.mistakes(**inputs)
        for phrase, wrong in mistakes.items():
            wrong = np.asarray(wrong, dtype=float).reshape(-1)
            differs = ~tolerance.close(wrong, truth)
            assert differs.any(), (student, phrase)
            assert np.all(np.abs(wrong - truth)[differs] > 0.01), (student, phrase)  # not a rounding away
            for answer in (wrong, np.round(wrong, 3)):
                named = diagnose_entries(answer, truth, tolerance, None, mistakes)
                assert sorted(named) == list(np.flatnonzero(differs)), (student, phrase, named)
                assert set(named.values()) == {phrase.strip()}, (student, phrase, named)


# -- 6.1 and 6.4: numbers by hand ---------------------------------------------------------------


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_each_listed_mistake_is_named_without_the_expected_value(exercise_id, student):
    exercise = get(exercise_id)
    inputs = exercise.draw(student)
    truth = exercise.truth(inputs)
    for phrase, wrong in exercise.mistakes(**inputs).items():
        status, message = verdict(exercise_id, typed(exercise_id, wrong, numbers="x1, x2"), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, truth), (message, leaks(message, truth))
    for wrong in (np.zeros_like(truth) + 0.123, np.asarray(truth) * 1.5 + 0.77):
        status, message = verdict(exercise_id, typed(exercise_id, wrong, numbers="x1, x2"), student)
        assert status == "wrong" and not leaks(message, truth), message


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_one_student_s_answer_does_not_pass_for_the_other(exercise_id):
    exercise = get(exercise_id)
    for student, other in (STUDENTS, STUDENTS[::-1]):
        theirs = exercise.truth(exercise.draw(other))
        status, message = verdict(exercise_id, typed(exercise_id, theirs, numbers="x1, x2"), student)
        assert status == "wrong", message
        assert not leaks(message, exercise.truth(exercise.draw(student)))


def test_exercises_6_1_and_6_4_are_by_hand():
    for exercise_id, name in (("6.1", "adjoints"), ("6.4", "twice")):
        source = (f'# Exercise {exercise_id}\nx1, x2 = my_numbers("{exercise_id}")\nimport adlab\n'
                  f'{name} = [0.0]')
        status, message = verdict(exercise_id, source, "alice")
        assert status == "wrong" and "is done by hand" in message and "adlab" in message


def test_6_1_is_table_3_s_adjoint_column_and_6_4_is_two_sweeps_of_the_reference_class():
    exercise = get("6.1")
    x1, x2 = exercise.draw("alice").values()
    assert np.allclose(exercise.truth({"x1": x1, "x2": x2}), [x2 - 1 / x1, x1 + 1, 1, -1, 1, 1])
    exercise = get("6.4")
    x1, x2 = exercise.draw("bob").values()
    assert np.allclose(exercise.truth({"x1": x1, "x2": x2}), [4 * x2 - 3 / x1, 4 * x1 + 3])


# -- 6.2a–6.2c: the student's own class, in three steps --------------------------------------------


def changed(step, old, new):
    """The instructor's cells of 6.2a–6.2c with one change in `step`'s: {step: source} to pass to verdict."""
    return {step: LESSON.changed(step, old, new)}


RECURSIVE_SORT = """    order, seen = [], set()

    def build(node):
        if node not in seen:
            seen.add(node)
            for parent in node._parents:
                build(parent)
            order.append(node)
    build(self)
    return order
"""

# mistake: (the changed cell, the words of the whole class's check, the words of the step's own check or None)
WRONG_CLASSES = {
    "overwrites": (changed("6.2a", "            self.grad += out.grad\n            other.grad += out.grad",
                           "            self.grad = out.grad\n            other.grad = out.grad"),
                   "fan-out", "fan-out"),
    "wrong product rule": (changed("6.2a", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
                           "the local partial of x * y", "the local partial of x * y"),
    "forgets out.grad": (changed("6.2c", "self.grad += out.grad / self.data", "self.grad += 1 / self.data"),
                         "the rule must multiply by out.grad", None),
    "sign of the log": (changed("6.2c", "self.grad += out.grad / self.data", "self.grad -= out.grad / self.data"),
                        "the sign is flipped", None),
    "no seed": (changed("6.2b", "    self.grad = 1.0\n", ""), "backward() must set y.grad = 1",
                "backward() must set y.grad = 1"),
    "not reversed": (changed("6.2b", "for node in reversed(order):", "for node in order:"),
                     "backward() must set y.grad = 1", "backward() must set y.grad = 1"),
    "no seen set": (changed("6.2b", "        elif node not in seen:", "        elif True:"),
                    "exactly once, after every node that uses it", "exactly once, after every node that uses it"),
    "recursive sort": (changed("6.2b", "    order, seen = [], set()\n", RECURSIVE_SORT), "recurses, one nested call",
                       "recurses, one nested call"),
    "data not kept": (changed("6.2a", "self.data = float(data)", "self.data = 0.0"), "keep the number in .data",
                      "keep the number in .data"),
}


def step_verdict(exercise_id, cells):
    """exercise_id's check with these answer cells in place of the instructor's (itself included)."""
    earlier = {step: source for step, source in cells.items() if step != exercise_id}
    return verdict(exercise_id, cells.get(exercise_id, solutions()[exercise_id]), **earlier)


@pytest.mark.parametrize("mistake", list(WRONG_CLASSES))
def test_a_wrong_class_is_named_without_an_expected_value(mistake):
    cells, words, step_words = WRONG_CLASSES[mistake]
    (step,) = cells
    checks = [("6.2c", words)] + ([(step, step_words)] if step_words else [])
    for exercise_id, expected_words in checks:
        status, message = step_verdict(exercise_id, cells)
        assert status == "wrong", (exercise_id, message)
        assert expected_words in message, (exercise_id, message)
        assert "expected" not in message
        assert not leaks(message, [-13 / 3, 4.0]), message  # Eq. 5's gradient at (3, −4), the check's own point
        assert not leaks(message, [-4.0, 4.0]), message  # y = x1*x2 + x2's gradient at (3, −4), 6.2b's point


def test_each_step_passes_only_what_it_asks_for():
    """6.2a does not need backward(), 6.2b not the other operations; a later step's stub waits."""
    stubbed = {step: stubs()[step] for step in STEPS}
    assert verdict("6.2a", solutions()["6.2a"])[0] == "correct"
    assert verdict("6.2b", solutions()["6.2b"], **{"6.2a": solutions()["6.2a"]})[0] == "correct"
    status, message = verdict("6.2b", stubbed["6.2b"], **{"6.2a": solutions()["6.2a"]})
    assert status == "unanswered" and "backward()" in message, message
    status, message = verdict("6.2c", stubbed["6.2c"], **{"6.2a": solutions()["6.2a"], "6.2b": solutions()["6.2b"]})
    assert status == "unanswered" and "__sub__" in message, message
    status, message = verdict("6.2b", solutions()["6.2b"], **{"6.2a": "# Exercise 6.2a\nx = 1\n"})
    assert status == "invalid" and "`Value`" in message, message  # 6.2b's cell stores its methods on 6.2a's class


def test_a_recursive_sort_is_refused_whatever_the_recursion_limit():
    cells, _, _ = WRONG_CLASSES["recursive sort"]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        for exercise_id in ("6.2b", "6.2c"):
            status, message = step_verdict(exercise_id, cells)
            assert status == "wrong" and "recurses, one nested call per level of the graph" in message, message
    finally:
        sys.setrecursionlimit(limit)
    sneaky = "# Exercise 6.2b\nimport sys\nsys.setrecursionlimit(100_000)\n" + cells["6.2b"].split("\n", 1)[1]
    status, message = verdict("6.2b", sneaky)
    assert status == "wrong" and "imports sys" in message


def test_adlab_s_reference_class_under_any_name_is_refused():
    for step in STEPS:
        for source in (f"# Exercise {step}\nfrom adlab.exercises import ReferenceValue as Value",
                       f"# Exercise {step}\nfrom adlab.exercises import reference_value\n"
                       f"class Value(reference_value.ReferenceValue):\n    pass"):
            status, message = verdict(step, source)
            assert status == "wrong" and "imports adlab" in message, message

    class Value(ReferenceValue):
        pass

    for checker in (_step_a_checker, _step_b_checker, _value_checker):
        for cls in (ReferenceValue, Value):
            status, message = checker({"Value": cls})
            assert status == "wrong" and "adlab's ReferenceValue" in message, message
        borrowed = type("Value", (), {name: member for name, member in vars(ReferenceValue).items()
                                      if not name.startswith("__") or name in ("__init__", "__add__", "__mul__")})
        status, message = checker({"Value": borrowed})
        assert status == "wrong" and "comes from adlab" in message, message


def test_a_grad_that_starts_as_a_0_d_array_is_accepted():
    cells = changed("6.2a", "self.grad = 0.0 ", "self.grad = np.zeros(())")
    for step in STEPS:
        assert step_verdict(step, cells)[0] == "correct", step


def test_6_2_without_a_class_or_with_something_else_says_so_in_one_sentence():
    assert _step_a_checker({}) == ("invalid", "no class `Value`: the answer cell must define it (`class Value:`; "
                                              "check the spelling).")
    for checker in (_step_b_checker, _value_checker):
        assert checker({}) == ("invalid", "no class `Value`: the answer cell of exercise 6.2a must define it "
                                          "(`class Value:`; check the spelling).")
    for checker in (_step_a_checker, _step_b_checker, _value_checker):
        status, message = checker({"Value": ReferenceValue(1.0)})
        assert status == "invalid" and message == ("`Value` is a ReferenceValue, not a class: define it with "
                                                   "`class Value:`.")
        assert checker({"Value": ...})[0] == "unanswered"
    status, message = _step_b_checker({"Value": type("Value", (), {})})
    assert status == "wrong" and "`topological_order`, `backward`" in message and "6.2b" in message, message


def test_the_steps_hints_guide_without_being_the_code():
    for step in STEPS:
        hints = " ".join(get(step).hint_texts({}))
        for code in ("self.grad +=", "other.grad +=", "stack.append", "order.append", "for node in reversed",
                     "= []", "seen.add"):
            assert code not in hints, (step, code)


# -- 6.3: the student's class at the student's numbers -------------------------------------------

HEAD_6_3 = '# Exercise 6.3\nx1, x2 = my_numbers("6.3")\n'
RUN_6_3 = "x1, x2 = Value(x1), Value(x2)\ny = f(x1, x2)\ny.backward()\n"


@pytest.mark.parametrize("student", STUDENTS)
def test_6_3_names_each_listed_mistake_without_the_expected_value(student):
    exercise = get("6.3")
    inputs = exercise.draw(student)
    truth = exercise.truth(inputs)
    for phrase, wrong in exercise.mistakes(**inputs).items():
        source = HEAD_6_3 + RUN_6_3 + f"x1.grad, x2.grad = {float(wrong[0])!r}, {float(wrong[1])!r}\n" \
            "x_bar = [x1.grad, x2.grad]"
        status, message = verdict("6.3", source, student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, truth), (message, leaks(message, truth))


@pytest.mark.parametrize("student", STUDENTS)
def test_6_3_runs_the_student_s_own_class(student):
    exercise = get("6.3")
    truth = exercise.truth(exercise.draw(student))
    wrong_log = changed("6.2c", "self.grad += out.grad / self.data", "self.grad += out.grad * self.data")
    status, message = verdict("6.3", solutions()["6.3"], student, **wrong_log)
    assert status == "wrong" and "log's rule must add out.grad / self.data" in message, message
    twice = HEAD_6_3 + RUN_6_3 + "y.backward()\nx_bar = [x1.grad, x2.grad]"
    status, message = verdict("6.3", twice, student)
    assert status == "wrong" and "that is what two sweeps give" in message, message
    for source in (HEAD_6_3 + "x_bar = [x2 - 1 / x1, x1 + 1]",  # the formula, not the class
                   HEAD_6_3 + RUN_6_3 + "x_bar = [x2.grad, x1.grad]",
                   HEAD_6_3 + "import adlab\nx_bar = [0.0, 0.0]"):
        status, message = verdict("6.3", source, student)
        assert status == "wrong", message
        assert not leaks(message, truth), message


def test_6_3_one_student_s_answer_does_not_pass_for_the_other():
    exercise = get("6.3")
    for student, other in (STUDENTS, STUDENTS[::-1]):
        x1, x2 = exercise.draw(other).values()
        at_their_point = f"# Exercise 6.3\nx1, x2 = {x1!r}, {x2!r}\n" + RUN_6_3 + "x_bar = [x1.grad, x2.grad]"
        status, message = verdict("6.3", at_their_point, student)
        assert status == "wrong" and "not your number" in message, message
        theirs = exercise.truth(exercise.draw(other))
        typed_theirs = HEAD_6_3 + RUN_6_3 + f"x_bar = {list(map(float, theirs))!r}"
        status, message = verdict("6.3", typed_theirs, student)
        assert status == "wrong", message


def test_6_3_without_the_class_or_with_a_placeholder_says_so():
    exercise = get("6.3")
    inputs = exercise.draw("alice")
    assert _gradient_checker({"x_bar": ...}, **inputs)[0] == "unanswered"
    assert _gradient_checker({"x_bar": [1.0, 2.0]}, **inputs)[0] == "invalid"
    status, message = _gradient_checker({"x_bar": [1.0, 2.0], "Value": ReferenceValue, "x1": ReferenceValue(1.0),
                                         "x2": ReferenceValue(2.0), "f": f}, **inputs)
    assert status == "wrong" and "adlab's ReferenceValue" in message


# -- the lesson's text -------------------------------------------------------------------------


def test_no_hint_and_no_student_copy_holds_an_answer():
    text = nbformat.writes(student_copy(notebook()))
    for exercise_id in ("6.1", "6.3", "6.4"):
        exercise = get(exercise_id)
        for student in STUDENTS + ("instructor",):
            inputs = exercise.draw(student)
            truth = np.asarray(exercise.truth(inputs), dtype=float)
            for hint in exercise.hint_texts(inputs):
                assert not leaks(hint, truth), hint
            distinctive = {form for form in number_forms(truth) if len(form.lstrip("−-").replace(".", "")) >= 4
                           and not float(form.replace("−", "-")).is_integer()}
            assert not [form for form in distinctive
                        if re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text)], (exercise_id, student)


# -- 6.5: the reverse sweep of g, by hand (Lesson 3's exercise 3.4 until issue 22) ---------------------

_SWEEP = ["v2_bar += v4_bar", "v3_bar += v4_bar", "v_m1_bar += v3_bar / v0", "v0_bar -= v3_bar * v3 / v0",
          "v1_bar += v2_bar * np.cos(v1)", "v_m1_bar += v1_bar * v0", "v0_bar += v_m1 * v1_bar"]


def sweep(**changes):
    """The reverse sweep with some lines changed (a line mapped to "" is left out)."""
    lines = [changes.get(line, line) for line in _SWEEP]
    return "\n".join(line for line in lines if line)


SWEEP_MISTAKES = {
    "v̄₋₁ misses its contribution from v₃": sweep(**{"v_m1_bar += v3_bar / v0": ""}),
    "v̄₋₁ misses its contribution from v₁": sweep(**{"v_m1_bar += v1_bar * v0": ""}),
    "v̄₀ misses its contribution from v₃": sweep(**{"v0_bar -= v3_bar * v3 / v0": ""}),
    "v̄₀ misses its contribution from v₁": sweep(**{"v0_bar += v_m1 * v1_bar": ""}),
    "v₃ = v₋₁/v₀ falls as v₀ grows": sweep(**{"v0_bar -= v3_bar * v3 / v0": "v0_bar += v3_bar * v3 / v0"}),
    "∂v₃/∂v₀ = −v₋₁/v₀²: the numerator v₋₁ stays": sweep(**{"v0_bar -= v3_bar * v3 / v0": "v0_bar -= v3_bar / v0**2"}),
    "sin's derivative is +cos": sweep(**{"v1_bar += v2_bar * np.cos(v1)": "v1_bar -= v2_bar * np.cos(v1)"}),
    "v₂ = sin v₁ passes its adjoint on times cos v₁": sweep(**{"v1_bar += v2_bar * np.cos(v1)": "v1_bar += v2_bar"}),
}


@pytest.mark.parametrize("student", STUDENTS)
def test_6_5_every_listed_wrong_sweep_is_named_without_the_answer(student):
    exercise = get("6.5")
    assert {listed_phrase("6.5", start) for start in SWEEP_MISTAKES} == set(exercise.mistakes(**exercise.draw(student)))
    values = expected_values("6.5", student)
    for start, body in SWEEP_MISTAKES.items():
        phrase = listed_phrase("6.5", start)
        status, message = verdict("6.5", LESSON.with_solution("6.5", body), student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, values), (message, leaks(message, values))


def test_6_5_a_table_of_alice_s_points_is_no_answer_for_bob_and_the_engine_is_refused():
    assert get("6.5").draw("alice") != get("6.5").draw("bob")
    source = table_source("6.5", "alice", "g_adjoint", "x1, x2, y_bar=1.0", "(x1, x2)")
    assert verdict("6.5", source, "alice")[0] == "correct"
    status, message = verdict("6.5", source, "bob")
    assert status == "wrong", message
    engine = ("# Exercise 6.5\nimport adlab\n\ndef g(x1, x2):\n    return np.sin(x1 * x2) + x1 / x2\n\n"
              "g_adjoint = adlab.grad(g, argnums=(0, 1))\n")
    status, message = verdict("6.5", engine, "alice")
    assert status == "wrong" and "by hand" in message, message


def test_6_5_is_compared_tightly_and_its_hints_stop_before_the_numbers():
    assert get("6.5").tolerance == TIGHT
    rounded = sweep(**{"v0_bar += v_m1 * v1_bar": "v0_bar += round(v_m1 * v1_bar, 5)"})
    assert verdict("6.5", LESSON.with_solution("6.5", rounded), "bob")[0] == "wrong"
    for student in STUDENTS:
        hints = " ".join(get("6.5").hint_texts(get("6.5").draw(student)))
        assert not leaks(hints, expected_values("6.5", student)), hints


# -- 6.6: when source transformation is the better choice ---------------------------------------------


def test_6_6_explains_once_right_and_names_every_wrong_choice():
    exercise = get("6.6")
    explain = exercise.explanation({})
    for answer in ("AC", "ac", " AC. "):
        status, message = verdict("6.6", f"# Exercise 6.6\nsource_wins = {answer!r}\n")
        assert status == "correct" and explain in message, message
    listed = {option: phrase for phrase, option in exercise.mistakes().items()}
    assert set(listed) == set(exercise.choices) - {"AC"}
    for option, phrase in listed.items():
        status, message = verdict("6.6", f"# Exercise 6.6\nsource_wins = {option!r}\n")
        assert status == "wrong" and phrase in message, message
        assert "AC" not in message and explain not in message and "A and C" not in message, message
    status, message = verdict("6.6", "# Exercise 6.6\nsource_wins = 'A and C'\n")
    assert status == "invalid", message
    assert "AC" not in " ".join(exercise.hint_texts({}))


def test_6_6_s_scenarios_are_the_lesson_s():
    text = next(c.source for c in notebook().cells if c.source.startswith("### Exercise 6.6"))
    for letter, scenario in SCENARIOS.items():
        assert f"**{letter}**" in text
    assert "AC" not in text and "A and C" not in text
