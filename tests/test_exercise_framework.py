"""The exercise framework as a student (and a student after marks without work) meets it.

Answer cells are re-run on their own, with a time limit and, by hand, without the engine;
feedback never carries the expected value; show_answer only after a real attempt and never in
graded mode; the progress file tolerates anything and no grade reads it.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from adlab.exercises import Result, check, my_numbers, show_answer
from adlab.exercises import notebook
from adlab.exercises.bank import get
from adlab.exercises.diagnose import EXACT, Tolerance, diagnose_entries
from adlab.exercises.exercise import Exercise, evaluate
from adlab.exercises.feedback import PROGRESS_FILE, read_progress, record
from adlab.exercises.student import generator, student_id

RIGHT_1_2 = """# Exercise 1.2
x1, x2 = my_numbers("1.2")
x1_dot, x2_dot = 1.0, 0.0
v1_dot = x1_dot * x2 + x2_dot * x1
v2_dot = x1_dot * (1 / x1)
v3_dot = v1_dot + x2_dot
v4_dot = v3_dot - v2_dot
tangents = [v1_dot, v2_dot, v3_dot, v4_dot]
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADLAB_PROGRESS", "1")
    monkeypatch.setenv("ADLAB_STUDENT", "alice")
    monkeypatch.delenv("ADLAB_GRADED", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(notebook, "_seen", {})
    monkeypatch.setattr(notebook, "_attempted", set())
    return tmp_path


def run_cell(source):
    """What the kernel's pre_run_cell event does when a cell runs."""
    notebook._remember(type("Info", (), {"raw_cell": source})())


def verdict(source, exercise="1.2", student="alice"):
    return evaluate(get(exercise), {exercise: source}, student=student)


# -- the student id and their numbers ---------------------------------------------------------


def test_the_student_id_comes_from_the_environment_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("ADLAB_STUDENT", "ada")
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert student_id() == "ada"
    monkeypatch.delenv("ADLAB_STUDENT")
    assert student_id() == "hubuser"
    monkeypatch.delenv("JUPYTERHUB_USER")
    monkeypatch.setenv("HOME", str(tmp_path))
    first = student_id()
    assert first.startswith("local-") and student_id() == first, "a local id is made once and kept"
    assert (tmp_path / ".adlab" / "student").read_text().strip() == first
    graded = tmp_path / "autograded" / "bob" / "01_evaluation_trace"
    graded.mkdir(parents=True)
    monkeypatch.chdir(graded)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert student_id() == "bob", "under nbgrader the student is the autograded folder's"


def test_numbers_are_the_students_own_and_stable():
    draws = [generator("1.2", s).integers(0, 10**9) for s in ("alice", "bob", "alice")]
    assert draws[0] == draws[2] != draws[1]


def test_my_numbers_prints_python_readable_numbers(folder, capsys):
    x1, x2 = my_numbers("1.2")
    printed = capsys.readouterr().out
    assert f"x1 = {x1!r}" in printed and "−" not in printed, "an ASCII minus: students paste these into code"
    with pytest.raises(ValueError, match="there is no exercise '9.99'"):
        my_numbers("9.99")


# -- running the answer cell on its own ------------------------------------------------------


def test_the_check_judges_the_answer_cell_not_the_kernels_globals(folder):
    run_cell(RIGHT_1_2)
    assert check("1.2").ok
    run_cell(RIGHT_1_2.replace("tangents = [v1_dot, v2_dot, v3_dot, v4_dot]", "tangents = ..."))
    assert check("1.2").status == "unanswered", "a global `tangents` left by an earlier run does not count"


def test_without_its_answer_cell_the_check_says_which_cell_to_run(folder):
    result = check("1.3")
    assert result.status == "unanswered" and "`# Exercise 1.3`" in result.message


def test_a_misnamed_or_failing_answer_is_one_sentence():
    status, message = verdict(RIGHT_1_2.replace("tangents =", "Tangents ="))
    assert status == "invalid" and message.startswith("no variable `tangents`") and "\n" not in message
    status, message = verdict("# Exercise 1.2\nx1, x2 = my_numbers('1.2')\ntangents = [1 / 0]")
    assert status == "wrong" and "ZeroDivisionError" in message and "Traceback" not in message
    status, message = verdict("# Exercise 1.2\ntangents = [helper(1)]")
    assert "uses `helper`, which it does not define" in message
    status, message = verdict("# Exercise 1.2\ntangents = [1, 2\n")
    assert "is not valid Python" in message


def test_a_looping_answer_cell_returns_within_its_limit():
    started = time.perf_counter()
    status, message = verdict("# Exercise 1.2\nwhile True:\n    pass")
    assert time.perf_counter() - started < get("1.2").seconds + 2
    assert status == "wrong" and "did not finish within" in message
    status, message = verdict("# Exercise 1.2\nimport time\ntime.sleep(1000)")
    assert "did not finish within" in message or "by hand" in message


def test_a_looping_student_function_returns_within_its_limit():
    exercise = Exercise("0.1", "function", ("f",), reference=lambda: np.sin, points=lambda: [(0.5,)], seconds=0.5)
    started = time.perf_counter()
    status, message = evaluate(exercise, {"0.1": "# Exercise 0.1\ndef f(x):\n    while True:\n        x += 1"})
    assert time.perf_counter() - started < 3 and status == "wrong" and "did not finish within 0.5 s" in message
    status, message = evaluate(exercise, {"0.1": "# Exercise 0.1\nimport time\ndef f(x):\n    time.sleep(60)"})
    assert "did not finish within 0.5 s" in message


@pytest.mark.parametrize("cheat", [
    "import adlab\ntangents = [r.tangent for r in adlab.trace(lambda a, b: a * b + b - np.log(a), x1, x2)"
    ".forward(1.0, 0.0).rows[2:]]",
    "from adlab import jvp\ntangents = ...",
    "tangents = __import__('adlab').grad",
    "import importlib\ntangents = importlib.import_module('adlab')",
    "import sys\ntangents = sys.modules['adlab']",
])
def test_a_by_hand_answer_cannot_call_the_engine(cheat):
    status, message = verdict("# Exercise 1.2\nx1, x2 = my_numbers('1.2')\n" + cheat)
    assert status == "wrong" and "is done by hand" in message


def test_nothing_of_adlab_is_reachable_from_my_numbers_in_a_by_hand_cell():
    status, message = verdict("# Exercise 1.2\ng = my_numbers.__globals__\ntangents = [1, 2, 3, 4]")
    assert status == "wrong" and "__globals__" in message


def test_a_redefined_check_or_a_patched_engine_changes_nothing_in_a_fresh_evaluation(folder, monkeypatch):
    import adlab

    monkeypatch.setattr(adlab, "trace", lambda *a, **k: None)  # what a cheating cell could do in the kernel
    status, _ = verdict(RIGHT_1_2.replace("v4_dot = v3_dot - v2_dot", "v4_dot = 0"))
    assert status == "wrong"


# -- feedback and its diagnoses -------------------------------------------------------------


@pytest.mark.parametrize("yours, phrase", [
    ([-2.0], "the sign is flipped"),
    ([2.004], "close, but not to 3 decimals"),
    ([4.0], "off by a factor of 2"),
    ([1.0], "off by a factor of 1/2"),
    ([7.0], "that is the value b should have"),
    ([9.0], "wrong"),
])
def test_each_common_diagnosis(yours, phrase):
    phrases = diagnose_entries(yours + [7.0], [2.0, 7.0], names=["a", "b"])
    assert phrases[0].startswith(phrase) and 1 not in phrases


def test_a_listed_mistake_that_explains_every_wrong_entry_wins_over_coincidences():
    truth, slip = [1.0, 2.0, 3.0], [1.0, -2.0, 5.0]
    phrases = diagnose_entries([1.0, -2.0, 5.0], truth, mistakes={"the listed slip": slip})
    assert phrases == {1: "the listed slip", 2: "the listed slip"}


def test_a_slip_carried_down_a_column_is_named_once():
    status, message = verdict(RIGHT_1_2.replace("x1_dot * (1 / x1)", "-x1_dot * (1 / x1)"))
    assert "row v̇₂: the sign is flipped" in message
    assert "row v̇₄: right for your other rows" in message


def test_tolerance_is_the_same_rule_for_every_entry():
    three = Tolerance(decimals=3)
    assert three.close(0.333, 1 / 3) and three.close(-4.333, -13 / 3)
    assert not three.close(0.33, 1 / 3) and not three.close(-4.33, -13 / 3), "0.33 and −4.33 alike"
    assert not EXACT.close(999, 1000) and EXACT.close(1000, 1000)


def test_one_hint_given_as_a_string_is_one_hint():
    assert Result("x", "wrong", "wrong.", hints="look at the sign").hints == ("look at the sign",)
    assert "result.hints" not in repr(Result("x", "wrong", "wrong.", hints=("a",)))


# -- show_answer, graded mode --------------------------------------------------------------


def test_feedback_html_sets_backticked_names_as_code_and_escapes_the_rest():
    """`Value` in a message reads as code in the notebook, not as literal backticks (the text form keeps them)."""
    result = Result("6.2", "invalid", "no class `Value`: define it (`class Value:`) <here>\nthen `x_bar`.",
                    hints=("use `y.backward()`",))
    shown = result._repr_html_()
    assert "no class <code>Value</code>: define it (<code>class Value:</code>) &lt;here&gt;" in shown
    assert "then <code>x_bar</code>." in shown and "use <code>y.backward()</code>" in shown and "`" not in shown
    assert "no class `Value`" in repr(result)


def test_feedback_detail_lines_set_accented_names_in_the_text_font():
    """The lines under the headline keep a code font (tables line up), where a combining accent can be drawn
    beside its letter ("v˙₂"): each accented name is set in the notebook's text font (issue 23)."""
    result = Result("1.1", "wrong", "2 of 4 entries wrong:\n  row v̇₂: yours 3\n  row v̄₋₁ and x₁: yours 0")
    detail = result._repr_html_().split("monospace)'>", 1)[1]
    text_font = "<span style='font-family:var(--jp-content-font-family,sans-serif)'>"
    assert f"row {text_font}v̇</span>₂: yours 3" in detail and f"row {text_font}v̄</span>₋₁ and x₁" in detail
    assert "v̇₂" in repr(result)  # the text form is unchanged


def test_show_answer_only_after_a_real_attempt_and_recorded(folder):
    refused = show_answer("1.2")
    assert refused.status == "invalid" and "try it first" in refused.message
    run_cell(RIGHT_1_2.replace("v4_dot = v3_dot - v2_dot", "v4_dot = v2_dot - v3_dot"))
    wrong = check("1.2")
    assert wrong.status == "wrong" and 'show_answer("1.2")' in repr(wrong)
    truth = get("1.2").truth(get("1.2").draw("alice"))
    shown = show_answer("1.2")
    assert shown.status == "shown" and all(f"{v:.4f}".rstrip("0").rstrip(".").replace("-", "−") in shown.message
                                           for v in truth)
    entry = read_progress(str(folder / PROGRESS_FILE))["exercises"]["1.2"]
    assert entry["shown"] is True and entry["attempts"] == 1 and entry["solved"] is False


def test_graded_mode_never_shows_an_answer(folder, monkeypatch):
    run_cell(RIGHT_1_2.replace("v4_dot = v3_dot - v2_dot", "v4_dot = 0.0"))
    check("1.2")
    monkeypatch.setenv("ADLAB_GRADED", "1")
    assert "not shown in graded mode" in show_answer("1.2").message
    assert "show_answer" not in repr(check("1.2"))


def test_choice_questions_explain_only_once_right():
    exercise = Exercise("0.2", "choice", ("mode",), expected="reverse", choices=("forward", "reverse"),
                        explain="one reverse sweep per output row")
    wrong = evaluate(exercise, {"0.2": "# Exercise 0.2\nmode = 'forward'"})
    right = evaluate(exercise, {"0.2": "# Exercise 0.2\nmode = 'Reverse.'"})
    assert wrong[0] == "wrong" and "reverse" not in wrong[1] and "row" not in wrong[1]
    assert right[0] == "correct" and "one reverse sweep" in right[1]


# -- the progress file ---------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    '{"exercises": {"1.2": {"attempts": "3", "status": "done"}}}',
    '{"exercises": {"1.2": {"t": "done"}}}',
    '{"exercises": {"1.2": "done"}}',
    '{"exercises": {"1.2": {"attempts": true, "solved": "yes"}}}',
    'not json at all',
    '[1, 2, 3]',
])
def test_any_progress_file_content_is_tolerated(folder, content, capsys):
    (folder / PROGRESS_FILE).write_text(content)
    for _ in range(2):
        record(Result("1.2", "wrong", "wrong."))
    entry = read_progress(str(folder / PROGRESS_FILE))["exercises"]["1.2"]
    assert entry["attempts"] >= 1 and entry["solved"] is False
    assert capsys.readouterr().out.count("adlab:") <= 1, "a bad entry is reported once"


def test_an_unanswered_check_is_no_attempt(folder):
    run_cell("# Exercise 1.2\nx1, x2 = my_numbers('1.2')\ntangents = [..., ..., ..., ...]")
    assert check("1.2").status == "unanswered"
    assert not (folder / PROGRESS_FILE).exists()
    assert json.loads(json.dumps(read_progress(str(folder / PROGRESS_FILE)))) == {"version": 1, "exercises": {}}


def test_an_answer_cell_is_found_by_its_mark_below_a_students_own_comments():
    from adlab.exercises.exercise import answer_cell_id

    assert answer_cell_id("# Exercise 1.2\nx = 1") == "1.2"
    assert answer_cell_id("\n# my notes: done on paper first\n#   Exercise 5.3a  \nx = 1") == "5.3a"
    assert answer_cell_id("x = 1\n# Exercise 1.2") is None, "code above the mark: not the cell as handed out"
    assert answer_cell_id("# Exercise 12") is None


def test_none_is_not_a_placeholder_but_a_slip_named_in_one_sentence():
    status, message = verdict("# Exercise 1.2\nx1, x2 = my_numbers('1.2')\ntangents = [4, 3, 2, 1].sort()")
    assert status == "invalid" and message.startswith("`tangents` is None") and "\n" not in message


def test_the_older_checks_edges_get_a_verdict_or_one_sentence():
    """The checkers' own edges the issue found, each pinned."""
    from adlab.exercises import check_function, check_number

    huge = check_number("t", 10**400, 4.0)
    assert huge.status == "invalid" and "too large for a floating-point number" in huge.message
    assert check_number("t", float("nan"), float("nan")).ok, "nan where nan is right is right"
    close32 = check_number("t", np.float32(1 / 3) + np.float32(1e-3), 1 / 3, rtol=0, atol=1e-4)
    assert close32.status == "wrong" and "0.333" not in close32.message  # no "gives 0.3333 …; expected 0.3333"
    named = check_function("t", lambda f, x: f(x) + 1, lambda f, x: f(x), [(np.sin, 0.5)], name="shifted")
    assert "at (sin, 0.5)" in named.message, named.message
    assert Tolerance(decimals=3).close(4.5403, 2 * 1 * 2 + np.cos(1.0)) and not Tolerance(decimals=3).close(
        4.545, 2 * 1 * 2 + np.cos(1.0)), "1.4's 4.545 for 4.5403 was accepted by a relative tolerance"
