"""Lesson 13's exercises on the exercise framework (adlab.exercises.bank.lesson13), as two students meet them.

For 13.1 (the student's Value, extended for a network), 13.2 (their Variable, likewise), 13.3 (Neuron, Layer and
MLP on that Value) and 13.4 (the same network in NumPy, whose adlab gradient must equal the student's engine's),
and for "alice" and "bob": the instructor's answer cell is correct; the student copy's stub is not answered yet;
each wrong class or function is named by what is wrong, without an expected value; every cell refuses adlab.
The exercises have no numbers of their own: the checks run the student's code on the checker's inputs.
"""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest

from adlab.course import student_copy
from adlab.exercises.bank import get
from adlab.exercises.bank.lesson13 import (LESSON as LESSON_SIZES, SIZES, _NEW_RULES, _nn_checker, _value_checker,
                                           _variable_checker, checker_data, checker_weights, reference_scores)
from adlab.exercises.exercise import evaluate
from adlab.exercises.reference_value import ReferenceValue
from adlab.exercises.value_class import OUT_GRAD
from bank_support import leaks, lesson

LESSON = lesson("13_capstone.ipynb")
notebook, solutions, stubs, verdict = LESSON.notebook, LESSON.solutions, LESSON.stubs, LESSON.verdict
STUDENTS = ("alice", "bob")
IDS = ("13.1", "13.2", "13.3", "13.4")


INPUTS = {0.5, 1.5, -1.5, 2.0, 3.0, 4.0, -1.0}  # the checks' points: a message may name them


def new_rule_truths():
    """What 13.1's new-rule checks expect: each forward value, and each grad (with out.grad = 2 where the rule
    is checked alone, through backward() where the expression has several nodes)."""
    import adlab

    values = []
    for _, text, function, point, value in _NEW_RULES:
        scale = 1.0 if text in ("x.tanh() * x", "x ** 2 + x") else OUT_GRAD
        values += [value, scale * float(adlab.grad(function)(*point))]
    return [v for v in values if not float(v).is_integer() and v not in INPUTS]


def network_truths():
    """The checker's scores of both networks, the numbers 13.3's and 13.4's messages must not give away."""
    X, _ = checker_data()
    return np.concatenate([reference_scores(checker_weights(sizes=s), X, s) for s in (SIZES, LESSON_SIZES)])


# -- every exercise: the solution, the stub, two students ------------------------------------------


def test_every_exercise_of_the_lesson_has_one_answer_cell_and_a_check_cell_that_only_names_it():
    assert sorted(solutions()) == list(IDS)
    checks = [cell.source for cell in notebook().cells if "check" in cell.metadata.get("tags", [])]
    assert checks == [f'check("{exercise_id}")' for exercise_id in IDS]
    for exercise_id in IDS:
        cell = next(c for c in notebook().cells if c.source == solutions()[exercise_id])
        assert "solution" in cell.metadata.get("tags", [])
        assert get(exercise_id).inputs is None and get(exercise_id).by_hand


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("exercise_id", IDS)
def test_the_instructor_solution_is_correct_and_the_stub_waits(exercise_id, student):
    exercise = get(exercise_id)
    status, message = evaluate(exercise, solutions(), student=student)
    assert status == "correct", message
    status, message = evaluate(exercise, stubs(), student=student)
    assert status == "unanswered", message
    assert "not answered yet" in message


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_answer_cell_refuses_the_engine(exercise_id):
    mark, _, rest = solutions()[exercise_id].partition("\n")
    for cheat in ("import adlab", "from adlab.exercises import ReferenceValue"):
        status, message = verdict(exercise_id, f"{mark}\n{cheat}\n{rest}")
        assert status == "wrong" and "by hand" in message, message


def test_the_stubs_ask_for_every_piece():
    wanted = {"13.1": [f"Value.{m}" for m in ("__init__", "lift", "__add__", "__neg__", "__pow__", "log", "exp",
                                              "tanh", "relu", "__rtruediv__", "topological_order", "backward")],
              "13.2": [f"Variable.{m}" for m in ("__init__", "__add__", "__rsub__", "__neg__", "__pow__", "exp",
                                                 "log", "tanh", "relu")],
              "13.3": [f"{c}.{m}" for c in ("Neuron", "Layer", "MLP") for m in ("__init__", "__call__", "parameters")]}
    for exercise_id, names in wanted.items():
        stub = stubs()[exercise_id]
        assert "# YOUR CODE HERE" in stub and "### BEGIN SOLUTION" not in stub
        for name in names:
            assert f'raise NotImplementedError("write {name}")' in stub, (exercise_id, name)
    assert 'raise NotImplementedError("your code here")' in stubs()["13.4"]


# -- 13.1: the student's Value, for a network -------------------------------------------------------


def value_changed(old, new):
    return LESSON.changed("13.1", old, new)


WRONG_VALUES = {
    "Lesson 6's product rule": (value_changed("self.grad += other.data * out.grad",
                                              "self.grad += self.data * out.grad"), "Lesson 6's part"),
    "neg's sign": (value_changed("self.grad -= out.grad\n", "self.grad += out.grad\n"), "the sign is flipped"),
    "pow without n": (value_changed("self.grad += n * self.data ** (n - 1) * out.grad",
                                    "self.grad += self.data ** (n - 1) * out.grad"), "local partial of x ** 3"),
    "tanh forgets out.grad": (value_changed("self.grad += (1 - out.data ** 2) * out.grad",
                                            "self.grad += (1 - out.data ** 2)"), "must multiply by out.grad"),
    "tanh overwrites": (value_changed("self.grad += (1 - out.data ** 2) * out.grad",
                                      "self.grad = (1 - out.data ** 2) * out.grad"), "fan-out"),
    "relu lets everything through": (value_changed("(1.0 if self.data > 0 else 0.0)", "1.0"),
                                     "local partial of x.relu()"),
    "relu's forward": (value_changed("max(self.data, 0.0)", "abs(self.data)"), "the forward value (.data) is wrong"),
    "tanh's forward": (value_changed("math.tanh(self.data)", "math.sin(self.data)"),
                       "the forward value (.data) is wrong"),
    "no relu": (value_changed("    def relu(self):", "    def rectify(self):"), "has no `relu`"),
}


@pytest.mark.parametrize("mistake", list(WRONG_VALUES))
def test_a_wrong_value_class_is_named_without_an_expected_value(mistake):
    source, words = WRONG_VALUES[mistake]
    status, message = verdict("13.1", source)
    assert status == "wrong", message
    assert words in message, message
    assert "expected" not in message
    assert not leaks(message, new_rule_truths()), message


def test_13_1_without_a_class_or_with_something_else_says_so():
    assert _value_checker({})[0] == "invalid"
    assert _value_checker({"Value": ...})[0] == "unanswered"
    assert _value_checker({"Value": ReferenceValue(1.0)})[0] == "invalid"
    status, message = _value_checker({"Value": ReferenceValue})
    assert status == "wrong" and "adlab's ReferenceValue" in message, message


# -- 13.2: the student's Variable, for a network -----------------------------------------------------


def variable_changed(old, new):
    return LESSON.changed("13.2", old, new)


WRONG_VARIABLES = {
    "Lesson 4's product rule": (variable_changed("self.dot * other.val + self.val * other.dot",
                                                 "self.dot * other.dot"), "Lesson 4's part"),
    "tanh forgets dot": (variable_changed("(1 - value ** 2) * self.dot", "(1 - value ** 2)"),
                         "multiplied by the input's tangent"),
    "neg keeps the tangent": (variable_changed("Variable(-self.val, -self.dot)", "Variable(-self.val, self.dot)"),
                              "the sign is flipped"),
    "log's value": (variable_changed("Variable(math.log(self.val), self.dot / self.val)",
                                     "Variable(math.log10(self.val), self.dot / self.val)"), "the value is wrong"),
    "pow's tangent": (variable_changed("n * self.val ** (n - 1) * self.dot", "n * self.val ** n * self.dot"),
                      "the derivative of x ** 3"),
    "no exp": (variable_changed("    def exp(self):", "    def expo(self):"), "has no `exp`"),
}


@pytest.mark.parametrize("mistake", list(WRONG_VARIABLES))
def test_a_wrong_variable_class_is_named(mistake):
    source, words = WRONG_VARIABLES[mistake]
    status, message = verdict("13.2", source)
    assert status == "wrong", message
    assert words in message, message
    truths = [math.tanh(0.5), 2 * (1 - math.tanh(0.5) ** 2), math.log(0.5), math.exp(0.5), 2 * math.exp(0.5),
              math.tanh(-1.0), 2 * (1 - math.tanh(-1.0) ** 2), math.exp(-1.0), 2 * math.exp(-1.0)]
    assert not leaks(message, truths), message


def test_13_2_without_a_class_says_so():
    assert _variable_checker({})[0] == "invalid"
    assert _variable_checker({"Variable": ...})[0] == "unanswered"


# -- 13.3: Neuron, Layer, MLP ------------------------------------------------------------------------


def nn_changed(old, new, count=1):
    return LESSON.changed("13.3", old, new, count)


WRONG_NETWORKS = {
    "relu on the output": (nn_changed("relu=k < len(sizes) - 1", "relu=True"), "the output layer must be linear"),
    "no relu at all": (nn_changed("return z.relu() if self.relu else z", "return z"), "the hidden layers need relu"),
    "tanh units": (nn_changed("return z.relu() if self.relu else z", "return z.tanh() if self.relu else z"),
                   "not tanh"),
    "bias first": (nn_changed("return self.w + [self.b]", "return [self.b] + self.w"),
                   "each neuron's weights first, then its bias"),
    "no bias in parameters()": (nn_changed("return self.w + [self.b]", "return self.w"),
                                "`Neuron(3).parameters()` must list"),
    "a list of one": (nn_changed("return out[0] if len(out) == 1 else out", "return out"),
                      "a Layer with one neuron returns"),
    "floats, not Values": (nn_changed("self.w = [Value(random.uniform(-1, 1)) for _ in range(n_inputs)]",
                                      "self.w = [random.uniform(-1, 1) for _ in range(n_inputs)]"),
                           "every parameter must be a Value"),
}


@pytest.mark.parametrize("mistake", list(WRONG_NETWORKS))
def test_a_wrong_network_is_named_without_an_expected_value(mistake):
    source, words = WRONG_NETWORKS[mistake]
    status, message = verdict("13.3", source)
    assert status == "wrong", message
    assert words in message, message
    assert not leaks(message, network_truths()), message


def test_13_3_runs_the_student_s_own_value():
    wrong_relu, _ = WRONG_VALUES["relu lets everything through"]
    status, message = verdict("13.3", solutions()["13.3"], **{"13.1": wrong_relu})
    assert status == "wrong" and "the forward values are right, so look at the backward rules" in message, message
    status, message = verdict("13.3", solutions()["13.3"], **{"13.1": stubs()["13.1"]})
    assert status == "unanswered" and "your `Value` (exercise 13.1) still raises" in message, message


def test_13_3_without_the_classes_says_so():
    assert _nn_checker({})[0] == "invalid"
    assert _nn_checker({"Neuron": ..., "Layer": ..., "MLP": ...})[0] == "invalid"


# -- 13.4: the same network for adlab ----------------------------------------------------------------


def network_changed(old, new):
    return LESSON.changed("13.4", old, new)


WRONG_FUNCTIONS = {
    "relu on the output": (network_changed("if k < len(sizes) - 2:", "if True:"), "the output layer must be linear"),
    "bias first": (network_changed("a = a @ block[:, :n_in].T + block[:, n_in]",
                                   "a = a @ block[:, 1:].T + block[:, 0]"),
                   "each neuron's weights first, then its bias"),
    "a column": (network_changed("return a[:, 0]", "return a[:, :1].T"), "returned shape"),
    "floats": (network_changed("return a[:, 0]", "return np.array([float(s) for s in a[:, 0]])"),
               "adlab could not differentiate your `network`"),
}


@pytest.mark.parametrize("mistake", list(WRONG_FUNCTIONS))
def test_a_wrong_network_function_is_named_without_an_expected_value(mistake):
    source, words = WRONG_FUNCTIONS[mistake]
    status, message = verdict("13.4", source)
    assert status == "wrong", message
    assert words in message, message
    assert not leaks(message, network_truths()), message


def test_13_4_accepts_a_column_of_scores_and_compares_with_the_student_s_engine():
    column = network_changed("return a[:, 0]", "return a")
    assert verdict("13.4", column)[0] == "correct"
    wrong_relu, _ = WRONG_VALUES["relu lets everything through"]
    status, message = verdict("13.4", solutions()["13.4"], **{"13.1": wrong_relu})
    assert status == "wrong" and "your engine's gradient of the hinge loss differs from adlab's" in message, message


# -- the lesson's text -------------------------------------------------------------------------------


def test_no_student_copy_holds_a_solution_and_the_package_is_ignored_by_git():
    text = nbformat.writes(student_copy(notebook()))
    for line in ("self.grad += (1 - out.data ** 2) * out.grad", "block[:, :n_in].T", "return self.w + [self.b]",
                 "(1 - value ** 2) * self.dot"):
        assert line not in text
    from pathlib import Path

    assert "lessons/myad/" in (Path(__file__).resolve().parents[1] / ".gitignore").read_text().splitlines()


# -- the package the lesson writes ---------------------------------------------------------------------


def test_the_lesson_writes_its_package_from_the_answer_cells_and_runs_twice(tmp_path):
    """Run the instructor's lesson twice in one folder: the package's files are the answer cells as run (nn.py
    below its import line), the second run rewrites them, nothing else appears, and the tests run without pytest."""
    import subprocess
    import sys

    from notebook_runner import run_notebook

    for _ in range(2):
        run = nbformat.from_dict(nbformat.reads(nbformat.writes(notebook()), as_version=4))
        run_notebook(run, tmp_path)
        errors = [o for cell in run.cells for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, errors
    package = tmp_path / "myad"
    assert sorted(p.name for p in package.iterdir() if p.name != "__pycache__") == \
        ["__init__.py", "nn.py", "test_value.py", "value.py", "variable.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".adlab-progress.json", "myad"]   # the checks' record
    assert (package / "value.py").read_text() == solutions()["13.1"].rstrip() + "\n"
    assert (package / "variable.py").read_text() == solutions()["13.2"].rstrip() + "\n"
    assert (package / "nn.py").read_text() == "from .value import Value\n\n\n" + solutions()["13.3"].rstrip() + "\n"
    done = subprocess.run([sys.executable, "-m", "myad.test_value"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "3 passed", done.stdout + done.stderr
    printed = "".join(o.get("text", "") for cell in run.cells for o in cell.get("outputs", []))
    assert "training accuracy after 200 steps: 100 % of the 100 points" in printed
    assert "agree to 1e-10 in every one: True" in printed
