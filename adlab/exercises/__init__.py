"""Exercises that check themselves, cell by cell, without giving the answer away.

A lesson's answer cell starts with ``# Exercise 1.2`` and takes the student's own
numbers from ``my_numbers("1.2")``; the check cell under it is ``check("1.2")``. The
exercise itself (inputs per student, the truth computed by the engine, how close is
right, the mistakes it expects) is data in ``adlab.exercises.bank``. The check says
correct, not answered yet, or which entry is wrong and what the mistake looks like,
never the expected value; ``show_answer("1.2")`` shows it after a real attempt (not in
graded mode). Hints open one at a time. The older calls below (``check_column`` …)
take the expected value from the check cell and diagnose the same way. `check_dual_numbers` and `check_reverse_value` run a student's own
forward-mode `Variable` and reverse-mode `Value` classes on the checker's inputs. Results are kept in a small file beside the notebook
(`.adlab-progress.json`) for `adlab progress`; nothing is sent anywhere.

    # Exercise 1.2
    x1, x2 = my_numbers("1.2")
    tangents = [...]

    check("1.2")
"""

from .notebook import check, my_numbers, show_answer
from .checks import check_array, check_choice, check_column, check_function, check_number
from .dual_numbers import check_dual_numbers
from .dual_trace import check_dual_trace
from .feedback import Result
from .reference_value import ReferenceValue
from .value_class import check_reverse_value

__all__ = ["ReferenceValue", "Result", "check", "check_array", "check_choice", "check_column", "check_dual_numbers",
           "check_dual_trace", "check_function", "check_number", "check_reverse_value", "my_numbers", "show_answer"]
