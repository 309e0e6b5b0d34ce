"""adlab.exercises: every check names the wrong entry, says "not answered yet" for a stub, never raises."""

import json

import numpy as np
import pytest

import adlab
from adlab.exercises import check_array, check_choice, check_column, check_function, check_number
from adlab.exercises.feedback import PROGRESS_FILE, read_progress
from course import seed_example


@pytest.fixture(autouse=True)
def in_a_student_folder(tmp_path, monkeypatch):
    """Checks record progress in the working directory: give each test its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("ADLAB_PROGRESS", raising=False)  # on, as for a student
    return tmp_path


@pytest.fixture(scope="module")
def table2_along_x1():
    return adlab.trace(seed_example, 3.0, -4.0).forward(1.0, 0.0)


def test_the_tangent_column_of_table_2_rounded_as_a_student_types_it(table2_along_x1):
    result = check_column("1.1", [-4, 0.333, -4, -4.333], table2_along_x1)
    assert result.ok and result.status == "correct"
    assert check_column("1.1", [1, 0, -4, 0.333, -4, -4.333], table2_along_x1).ok  # inputs included


def test_a_wrong_row_is_named_and_diagnosed_without_the_expected_value(table2_along_x1):
    result = check_column("1.1", [-4, -0.333, -4, -4.333], table2_along_x1)
    assert result.status == "wrong"
    assert "row v̇₂: the sign is flipped" in result.message
    assert result.message.startswith("1 of 4 entries wrong")
    assert "0.333" not in result.message and "expected" not in result.message


def test_placeholders_are_not_answered_yet_whole_or_in_part(table2_along_x1):
    assert check_column("1.1", ..., table2_along_x1).status == "unanswered"
    assert check_column("1.1", [..., ..., ..., ...], table2_along_x1).status == "unanswered"
    partial = check_column("1.1", [-4, 0.333, ..., ...], table2_along_x1)
    assert partial.status == "unanswered" and "2 not answered yet (row v̇₃, row v̇₄)" in partial.message


def test_adjoint_column_names_rows_with_a_bar():
    reverse = adlab.trace(seed_example, 3.0, -4.0).reverse()
    result = check_column("6.2", [1, 1, -1, 1], reverse, "adjoint")
    assert result.status == "wrong" and result.message.startswith("2 of 4 entries wrong")
    assert "row v̄₂: the sign is flipped" in result.message and "row v̄₃: the sign is flipped" in result.message
    assert check_column("6.2", [1, -1, 1, 1], reverse, "adjoint").ok


@pytest.mark.parametrize("answer, words", [
    ("4", "is the text '4'; give numbers"),
    ([1, 2], "has 2 entries; give the 4 rows v̇₁ … v̇₄ (or all 6, inputs first)"),
    ([-4, "0.333", -4, -4.333], "[1] is the text '0.333'"),
    ([-4, True, -4, -4.333], "a truth value"),
])
def test_an_answer_of_the_wrong_kind_gets_one_sentence(table2_along_x1, answer, words):
    result = check_column("1.1", answer, table2_along_x1)
    assert result.status == "invalid" and words in result.message
    assert len(result.message.splitlines()) == 1


def test_a_jacobian_entry_by_entry_and_its_transpose():
    J = np.array([[0.8776, -0.9589], [0.4794, 1.7552]])
    assert check_array("5.1", [[0.8776, -0.9589], [0.4794, 1.7552]], J, name="J").ok
    wrong = check_array("5.1", J.T, J, name="J")
    assert "transposed" in wrong.message and "0.4794" not in wrong.message and "0.9589" not in wrong.message
    flat = check_array("5.1", J.ravel(), J, name="J")
    assert flat.status == "invalid" and "shape (4,) but needs shape (2, 2) (2 rows of 2 numbers)" in flat.message


def test_a_number_with_the_default_tolerance():
    assert check_number("1.2", -17.099, -17.0986).ok
    assert not check_number("1.2", -17.2, -17.0986).ok
    assert check_number("1.2", None, 4.0).status == "unanswered"


def test_choices_words_and_whole_numbers():
    assert check_choice("5.4", " Reverse ", "reverse", choices=("forward", "reverse")).ok
    off_menu = check_choice("5.4", "backward", "reverse", choices=("forward", "reverse"))
    assert off_menu.status == "invalid" and "'forward', 'reverse'" in off_menu.message
    wrong = check_choice("5.5", 1000, 1, explain="One reverse sweep gives the whole gradient.")
    assert wrong.status == "wrong" and "1000" not in wrong.message and "expected" not in wrong.message
    assert "One reverse sweep" not in wrong.message  # the reason names the answer: shown once it is right
    assert check_choice("5.5", ..., 1).status == "unanswered"


def test_a_function_is_run_on_the_checkers_inputs():
    truth = adlab.grad(seed_example, argnums=(0, 1))
    points = [(3.0, -4.0), (2.0, 4.0), (0.5, 1.5)]

    def slip(x1, x2):
        return x2 + 1 / x1, x1 + 1

    assert check_function("2.1", lambda x1, x2: (x2 - 1 / x1, x1 + 1), truth, points).ok
    wrong = check_function("2.1", slip, truth, points)
    assert wrong.status == "wrong"
    assert "your `slip` is wrong at (3, −4) (entry [0])." in wrong.message and "4.333" not in wrong.message
    shapes = check_function("2.1", lambda x1, x2: [1.0, 2.0, 3.0], truth, points, name="g")
    assert "your `g` at (3, −4) has 3 entries but needs shape (2,)" in shapes.message


def test_a_function_of_several_outputs_is_compared_output_by_output():
    def layer_backward(x, W, g):
        return np.outer(g, x), W.T @ g

    def transposed(x, W, g):
        return np.outer(x, g), W.T @ g

    rng = np.random.default_rng(0)
    inputs = [(rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2))]
    assert check_function("8.1", layer_backward, layer_backward, inputs, outputs=("dW", "dx")).ok
    wrong = check_function("8.1", transposed, layer_backward, inputs, outputs=("dW", "dx"))
    assert wrong.status == "wrong" and "your `transposed`'s dW at (array of shape (3,), array of shape (2, 3), " \
        "array of shape (2,)) has shape (3, 2) but needs shape (2, 3)" in wrong.message
    one = check_function("8.1", lambda x, W, g: W.T @ g, layer_backward, inputs, name="backward", outputs=("dW", "dx"))
    assert "your `backward` returns 1 value at (" in one.message and "expected 2 (dW, dx)" in one.message


def test_a_function_stub_crash_or_missing_return():
    def stub(x):
        raise NotImplementedError("write stub")

    def crash(x):
        return 1 / 0

    def silent(x):
        2 * x

    reference = lambda x: 2 * x  # noqa: E731
    assert check_function("2.2", stub, reference, [(1.0,)]).status == "unanswered"
    crashed = check_function("2.2", crash, reference, [(1.0,)])
    assert crashed.status == "wrong" and "raised ZeroDivisionError at (1): division by zero" in crashed.message
    assert "did it forget `return`?" in check_function("2.2", silent, reference, [(1.0,)]).message
    assert "not a function" in check_function("2.2", 3.0, reference, [(1.0,)]).message


def test_hints_open_one_at_a_time_and_only_while_not_correct(table2_along_x1):
    wrong = check_column("1.1", [0, 0, 0, 0], table2_along_x1, hints=("Start at the inputs.", "v̇₁ = v̇₋₁·v₀ + v̇₀·v₋₁"))
    page = wrong._repr_html_()
    assert page.count("<details") == 2 and page.index("Hint 1") < page.index("Hint 2")
    assert page.index("Start at the inputs.") < page.index("<summary style='cursor:pointer'>Hint 2")
    right = check_column("1.1", [-4, 0.333, -4, -4.333], table2_along_x1, hints=("Start at the inputs.",))
    assert "<details" not in right._repr_html_()


def test_each_answered_check_is_recorded_beside_the_notebook(table2_along_x1, in_a_student_folder):
    check_column("1.1", ..., table2_along_x1)
    assert not (in_a_student_folder / PROGRESS_FILE).exists()  # running a fresh copy is not an attempt
    check_column("1.1", [0, 0, 0, 0], table2_along_x1)
    check_column("1.1", [-4, 0.333, -4, -4.333], table2_along_x1)
    check_choice("5.5", 2, 1)
    progress = read_progress(in_a_student_folder / PROGRESS_FILE)["exercises"]
    assert progress["1.1"]["attempts"] == 2 and progress["1.1"]["status"] == "done" and progress["1.1"]["solved"]
    assert progress["5.5"] == {**progress["5.5"], "attempts": 1, "status": "wrong", "solved": False}
    json.loads((in_a_student_folder / PROGRESS_FILE).read_text())  # plain JSON an instructor can read


def test_a_folder_that_cannot_be_written_never_breaks_a_check(table2_along_x1, in_a_student_folder):
    in_a_student_folder.chmod(0o500)
    try:
        assert check_column("1.1", [-4, 0.333, -4, -4.333], table2_along_x1).ok
    finally:
        in_a_student_folder.chmod(0o700)


def test_under_nbgrader_an_answer_that_is_not_correct_fails_the_cell(table2_along_x1, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check_column("1.1", [-4, 0.333, -4, -4.333], table2_along_x1).ok
    with pytest.raises(AssertionError, match="row v̇₂: wrong"):
        check_column("1.1", [-4, 0, -4, -4.333], table2_along_x1)
    with pytest.raises(AssertionError, match="not answered yet"):
        check_column("1.1", ..., table2_along_x1)


def test_a_check_written_wrongly_by_the_author_raises(table2_along_x1):
    with pytest.raises(ValueError, match="column must be"):
        check_column("1.1", [1], table2_along_x1, "tangents")
    with pytest.raises(ValueError, match="no adjoints"):
        check_column("1.1", [1], table2_along_x1, "adjoint")
