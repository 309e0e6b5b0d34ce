"""Lesson 4's exercises (4.1–4.8) in the bank, as two students meet them.

For each exercise and for alice and bob: the instructor's answer cell (read from the lesson) is correct, the
student copy's stub is "not answered yet", every listed mistake (typed as an answer cell: a wrong class, a wrong
seed, a wrong column, a wrong count, a dual number expanded wrongly, a nesting mispredicted) is wrong, named by its own phrase, and its message holds no expected value;
alice's answers are refused for bob. Besides: the class exercises run the earlier answer cells they use (4.2 and
4.3 need 4.1's class), 4.4, 4.5, 4.7 and 4.8 are by hand, no text under an exercise gives its answer, and 4.7's and
4.8's truths are what the lesson's own classes compute (the student's one-ε Variable, the tagged dual number).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import adlab
from adlab.exercises.bank import get
from adlab.exercises.bank.lesson04 import TABLE2_POINT, TABLE2_SEED, f
from adlab.exercises.exercise import evaluate
from bank_support import leaks, lesson, typed

LESSON = lesson("04_forward_mode.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
changed = LESSON.changed
IDS = ("4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8")
STUDENTS = ("alice", "bob")
NUMBERS = ("4.4", "4.5", "4.7", "4.8")


# -- what a class check knows: the case its message names, or Table 2 --------------------------------

_OPS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y}
_NUMBER = r"-?\d+(?:\.\d+)?"
_CASES = (
    (re.compile(rf"for (ln|sin|exp)\(Variable\(({_NUMBER}), ({_NUMBER})\)\)"),
     lambda g: adlab.jvp({"ln": np.log, "sin": np.sin, "exp": np.exp}[g[0]], (float(g[1]),), (float(g[2]),))),
    (re.compile(rf"for Variable\(({_NUMBER}), ({_NUMBER})\) ([-+*/]) Variable\(({_NUMBER}), ({_NUMBER})\)"),
     lambda g: adlab.jvp(_OPS[g[2]], (float(g[0]), float(g[3])), (float(g[1]), float(g[4])))),
    (re.compile(rf"for Variable\(({_NUMBER}), ({_NUMBER})\) ([-+*/]) ({_NUMBER})\b"),
     lambda g: adlab.jvp(lambda t: _OPS[g[2]](t, float(g[3])), (float(g[0]),), (float(g[1]),))),
    (re.compile(rf"for ({_NUMBER}) ([-+*/]) Variable\(({_NUMBER}), ({_NUMBER})\)"),
     lambda g: adlab.jvp(lambda t: _OPS[g[1]](float(g[0]), t), (float(g[2]),), (float(g[3]),))),
)


def case_truth(message):
    """The engine's (val, dot) for the case a class check's message names ("for Variable(2, 1) * Variable(3, 0.5)")."""
    for pattern, truth in _CASES:
        match = pattern.search(message)
        if match:
            return [float(v) for v in truth(match.groups())]
    raise AssertionError(f"no case named in {message!r}")


def table2_truth():
    sweep = adlab.trace(f, *TABLE2_POINT).forward(*TABLE2_SEED)
    return [float(row.value) for row in sweep.rows] + [float(row.tangent) for row in sweep.rows]


def expected_values(exercise_id, student, message):
    ex = get(exercise_id)
    if exercise_id in NUMBERS:
        return np.asarray(ex.truth(ex.draw(student)), dtype=float)
    if exercise_id == "4.3":
        return table2_truth()
    return case_truth(message)


# -- every exercise: the solution, the stub, the other student's answers ------------------------------


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", IDS)
def test_the_solution_is_correct_and_the_stub_waits(exercise_id, student):
    assert exercise_id in solutions(), f"no answer cell starts with '# Exercise {exercise_id}'"
    status, message = verdict(exercise_id, solutions()[exercise_id], student)
    assert status == "correct", message
    status, message = verdict(exercise_id, stubs()[exercise_id], student)
    assert status == "unanswered", message
    earlier = {used: stubs()[used] for used in get(exercise_id).uses}  # a fresh copy: nothing written yet
    status, message = verdict(exercise_id, stubs()[exercise_id], student, **earlier)
    assert status == "unanswered", message


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_alice_and_bob_get_different_inputs_and_alices_answer_is_refused_for_bob(exercise_id):
    ex = get(exercise_id)
    alice, bob = ex.draw("alice"), ex.draw("bob")
    assert str(alice) != str(bob)
    answer = ex.truth(alice)
    source = solutions()[exercise_id].split("### BEGIN SOLUTION")[0] + typed(exercise_id, answer).split("\n", 1)[1]
    assert verdict(exercise_id, source, "alice")[0] == "correct"
    status, message = verdict(exercise_id, source, "bob")
    assert status == "wrong", message
    assert not leaks(message, ex.truth(bob)), message


def test_the_class_exercises_are_the_same_for_everyone_and_say_which_cell_they_use():
    for exercise_id in ("4.1", "4.2", "4.3", "4.6"):
        assert get(exercise_id).kind == "custom" and get(exercise_id).inputs is None
    assert get("4.2").uses == ("4.1",) and get("4.3").uses == ("4.1", "4.2")
    assert get("4.1").uses == () and get("4.6").uses == ()  # 4.6's cell is the whole class again
    status, message = evaluate(get("4.3"), {"4.3": solutions()["4.3"]}, student="alice")
    assert status == "unanswered" and "run the answer cell of exercise 4.1 first" in message


# -- the student's class: each mistake as a wrong class, named without the expected value ------------

MUL = "self.dot * other.val + self.val * other.dot"
DIV = "(self.dot * other.val - self.val * other.dot) / other.val**2"
ADD = "return Variable(self.val + other.val, self.dot + other.dot)"
LIFT = "other = other if isinstance(other, Variable) else Variable(other)"

CLASS_MISTAKES = {
    "4.1": {
        "the product rule's second term is missing": ("4.1", MUL, "self.dot * other.val"),
        "the product rule's first term is missing": ("4.1", MUL, "self.val * other.dot"),
        "the product rule's two terms are subtracted": ("4.1", MUL, "self.dot * other.val - self.val * other.dot"),
        "the quotient rule without the square": ("4.1", DIV, "(self.dot * other.val - self.val * other.dot) / other.val"),
        "the quotient rule's numerator is reversed": ("4.1", DIV,
                                                      "(self.val * other.dot - self.dot * other.val) / other.val**2"),
        "ẇ is added": ("4.1", "self.dot - other.dot", "self.dot + other.dot"),
        "the tangent is 0": ("4.1", ADD, "return Variable(self.val + other.val)"),
        "it wrote into an operand instead of making a new object": (
            "4.1", ADD, "self.val, self.dot = self.val + other.val, self.dot + other.dot\n        return self"),
        "returned a tuple": ("4.1", ADD, "return self.val + other.val, self.dot + other.dot"),
    },
    "4.2": {
        "ln's tangent divides by the value": ("4.2", "v.dot / v.val", "v.dot * v.val"),
        "sin's derivative is +cos": ("4.2", "v.dot * np.cos(v.val)", "-v.dot * np.cos(v.val)"),
        "the chain rule's factor v̇ is missing: the tangent of exp v": ("4.2", "v.dot * np.exp(v.val)",
                                                                       "np.exp(v.val)"),
    },
    "4.6": {
        "it computes x − ": ("4.6", "return Variable(other) - self", "return self - Variable(other)"),
        "it computes x / ": ("4.6", "return Variable(other) / self", "return self / Variable(other)"),
        "calls itself without end": ("4.6", "return Variable(other) * self", "return other * self"),
        "a plain number is a constant: make it Variable(number, 0)": (
            "4.6", "else Variable(other)", "else Variable(other, 1.0)", 4),
        "raised AttributeError": ("4.6", LIFT, "pass", 4),
    },
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id, words", [(i, w) for i, mistakes in CLASS_MISTAKES.items() for w in mistakes])
def test_each_class_mistake_is_wrong_and_named(exercise_id, words, student):
    cell, old, new, *count = CLASS_MISTAKES[exercise_id][words]
    source = changed(cell, old, new, *count)
    if cell == exercise_id:
        status, message = verdict(exercise_id, source, student)
    else:
        status, message = verdict(exercise_id, solutions()[exercise_id], student, **{cell: source})
    assert status == "wrong", message
    assert words.replace("−", "-") in message.replace("−", "-"), message
    assert "expected" not in message
    operands = re.sub(r"for .*?\)(?= \(|: |;|,|\.$)", "for <the case>", message, count=1)  # inputs, not answers
    assert not leaks(operands, expected_values(exercise_id, student, message)), message


def test_a_wrong_class_shows_in_4_3_at_the_row_it_breaks():
    wrong_product = changed("4.1", MUL, "self.dot * other.val")
    status, message = verdict("4.3", solutions()["4.3"], "alice", **{"4.1": wrong_product})
    assert status == "wrong"
    assert "row v̇₁: your `Variable.__mul__` gives a wrong tangent: the product rule's second term is missing" in message
    assert "row v̇₃: right for the rows it reads" in message
    assert not leaks(message, table2_truth()), message


SEEDS = {  # exercise 4.3's answer cell as students get it wrong
    "not the seed this sweep needs": "x1 = Variable(3.0, 1.0)\nx2 = Variable(-4.0, 0.0)",  # ∂/∂x₁ instead
    "not the seed this sweep needs ": "x1 = Variable(3.0, 1.0)\nx2 = Variable(-4.0, 1.0)",  # both inputs move
    "x1 and x2 are swapped": "x1 = Variable(-4.0, 1.0)\nx2 = Variable(3.0, 0.0)",
    "value and tangent are swapped": "x1 = Variable(0.0, 3.0)\nx2 = Variable(1.0, -4.0)",
    "the point is given": "x1 = Variable(2.0, 0.0)\nx2 = Variable(-4.0, 1.0)",
}


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("words", SEEDS)
def test_each_seed_mistake_is_wrong_and_named(words, student):
    status, message = verdict("4.3", "# Exercise 4.3\n" + SEEDS[words], student)
    assert status == "wrong", message
    assert words.strip() in message and "expected" not in message
    assert "the value goes first" not in message or "value and tangent are swapped" in message
    assert not leaks(message, table2_truth()), message


def test_the_seed_rows_are_named_and_the_rows_after_them_follow():
    status, message = verdict("4.3", "# Exercise 4.3\n" + SEEDS["not the seed this sweep needs"], "alice")
    lines = message.splitlines()
    assert lines[0] == "6 of 12 entries wrong, running your Variable along the trace:"
    assert lines[1].startswith("  row v̇₋₁ (ẋ₁): not the seed") and lines[2].startswith("  row v̇₀ (ẋ₂): not the seed")
    assert all("right for the rows it reads" in line for line in lines[3:])


def test_inputs_that_are_not_variables_are_invalid():
    status, message = verdict("4.3", "# Exercise 4.3\nx1 = 3.0\nx2 = -4.0", "alice")
    assert status == "invalid" and "make it a Variable" in message
    status, message = verdict("4.3", "# Exercise 4.3\nx1 = Variable(3.0, 0.0)", "alice")
    assert status == "invalid" and "`x2`" in message


# -- 4.4 and 4.5: numbers, by hand ------------------------------------------------------------------


def many_students(count=60):
    return [f"student{k}" for k in range(count)] + list(STUDENTS) + ["instructor"]


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_every_listed_mistake_changes_the_answer_for_every_student(exercise_id):
    ex = get(exercise_id)
    for student in many_students():
        inputs = ex.draw(student)
        truth = np.asarray(ex.truth(inputs), dtype=float)
        for phrase, wrong in ex.mistakes(**inputs).items():
            assert not np.all(ex.tolerance.close(wrong, truth)), (student, inputs, phrase)


def test_4_4_never_draws_table_2s_point():
    assert all(tuple(get("4.4").draw(s).values()) != TABLE2_POINT for s in many_students(300))


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_each_listed_number_mistake_is_wrong_and_named(exercise_id, student):
    ex = get(exercise_id)
    inputs = ex.draw(student)
    head = solutions()[exercise_id].split("### BEGIN SOLUTION")[0]
    for phrase, wrong in ex.mistakes(**inputs).items():
        source = head + typed(exercise_id, wrong).split("\n", 1)[1]
        status, message = verdict(exercise_id, source, student)
        assert status == "wrong", (phrase, message)
        assert phrase.strip() in message, (phrase, message)
        assert not leaks(message, ex.truth(inputs)), message


@pytest.mark.parametrize("exercise_id", NUMBERS)
def test_the_engine_is_refused(exercise_id):
    head = solutions()[exercise_id].split("### BEGIN SOLUTION")[0]
    answer = {"4.4": "import adlab\ncolumn = [0.0, 0.0, 0.0, 0.0]",
              "4.5": "from adlab import cost\nn_sweeps = cost.cost(lambda w: w.sum(), w).forward_sweeps",
              "4.7": "import adlab\nvalue_part, eps_part = adlab.jvp(lambda x: x**3 + k * x, (a,), (b,))",
              "4.8": "from adlab import grad\nuntagged = 0.0\ntagged = grad(lambda x: x * grad(lambda y: x * y)(y0))(x0)",
              }[exercise_id]
    status, message = verdict(exercise_id, head + answer, "alice")
    assert status == "wrong" and "by hand" in message


def test_a_count_is_exact():
    n = get("4.5").draw("alice")["n"]
    status, message = verdict("4.5", f"# Exercise 4.5\nn_sweeps = {n} + 0.5", "alice")
    assert status == "wrong"
    assert verdict("4.5", f"# Exercise 4.5\nn_sweeps = {float(n)}", "alice")[0] == "correct"


# -- the notebook: check cells hold only an id, and no text under an exercise gives its answer -------


def test_check_cells_hold_only_the_id_and_answer_cells_come_first():
    cells = notebook().cells
    checks = [c for c in cells if "check" in c.metadata.get("tags", [])]
    assert [c.source.strip() for c in checks] == [f'check("{i}")' for i in IDS]
    for exercise_id in IDS:
        answer = next(k for k, c in enumerate(cells) if c.source.startswith(f"# Exercise {exercise_id}\n"))
        check = next(k for k, c in enumerate(cells) if c.source.strip() == f'check("{exercise_id}")')
        assert answer == check - 1 and "solution" in cells[answer].metadata.get("tags", [])


def test_no_text_below_an_exercise_gives_its_answer():
    cells = notebook().cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "−0.333" not in text and "-0.333" not in text  # 4.4 at the notes' point, once printed under it
    for exercise_id in NUMBERS:
        ex = get(exercise_id)
        check = next(k for k, c in enumerate(cells) if c.source.strip() == f'check("{exercise_id}")')
        below = cells[check + 1]
        assert below.cell_type == "markdown"
        assert not leaks(below.source, ex.truth(ex.draw("instructor"))), below.source
    assert "n = 50" not in text and "n_sweeps" not in text.split("Exercise 4.5")[1].split("Exercise 4.6")[0]


# -- 4.7 and 4.8: the truths are what the lesson's own classes compute ----------------------------------


def lesson_namespace():
    """The instructor's class of exercise 4.1 and ln, sin, exp of 4.2, then the lesson's cells that define
    `derivative`, `constant` and `Tagged` (run as the notebook runs them)."""
    namespace = {"np": np, "print": lambda *args, **kwargs: None}
    exec(solutions()["4.1"], namespace)
    exec(solutions()["4.2"], namespace)
    for marker in ("def eps_form(v):", "def derivative(g):", "class Tagged:"):
        exec(next(c.source for c in notebook().cells if marker in c.source), namespace)
    return namespace


def test_4_7_is_what_the_students_variable_gives_at_a_plus_b_epsilon():
    ns = lesson_namespace()
    Variable = ns["Variable"]
    for student in many_students(20):
        inputs = get("4.7").draw(student)
        x = Variable(inputs["a"], inputs["b"])
        p = x * x * x + Variable(inputs["k"], 0.0) * x
        assert np.allclose([p.val, p.dot], get("4.7").truth(inputs)), (student, inputs)
        assert inputs["b"] not in (0.0, 1.0)  # a seed b ≠ 1: "each ε comes with its b" is a mistake to see


def test_4_8_untagged_is_the_one_epsilon_nesting_and_tagged_the_true_derivative():
    ns = lesson_namespace()
    derivative, constant, tagged_derivative = ns["derivative"], ns["constant"], ns["tagged_derivative"]
    for student in many_students(20):
        inputs = get("4.8").draw(student)
        x0, y0 = inputs["x0"], inputs["y0"]
        untagged = derivative(lambda x: x * constant(derivative(lambda y: x * y)(y0)))(x0)
        tagged = tagged_derivative(lambda x: x * tagged_derivative(lambda y: x * y)(y0))(x0)
        assert np.allclose([untagged, tagged], get("4.8").truth(inputs)), (student, inputs)
        assert abs(untagged - tagged) > 0.1 and (x0, y0) != (1.0, 1.0)  # the confusion shows, not the classic


def test_the_lesson_shows_the_classic_confusion_with_the_students_class():
    ns = lesson_namespace()
    assert ns["derivative"](ns["bracket"])(1.0) == 2.0  # one shared ε: the classic wrong answer
    assert ns["tagged_derivative"](lambda x: x * ns["tagged_derivative"](lambda y: x + y)(1.0))(1.0) == 1.0
    assert adlab.grad(lambda x: x * adlab.grad(lambda y: x + y)(1.0))(1.0) == 1.0
    text = "\n".join(c.source for c in notebook().cells)
    assert "11.12" in text  # the review's exercise on nesting is linked, and 4.8 is not its copy
    assert get("11.12").answer != get("4.8").answer
