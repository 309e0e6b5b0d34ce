"""Exercises that check themselves, cell by cell.

A lesson's check cell calls one of these with the exercise's id, the student's
answer and the engine's value; the result shows in the cell: correct, not
answered yet, or each wrong entry with yours and the expected value. Hints open
one at a time. `check_dual_numbers` and `check_reverse_value` run a student's own
forward-mode `Variable` and reverse-mode `Value` classes on the checker's inputs. Results are kept in a small file beside the notebook
(`.adlab-progress.json`) for `adlab progress`; nothing is sent anywhere.

    from adlab.exercises import check_column
    check_column("1.1", [-4, 0.333, -4, -4.333], adlab.trace(f, 3.0, -4.0).forward(1.0, 0.0))
"""

from .checks import check_array, check_choice, check_column, check_function, check_number
from .dual import check_dual_numbers, check_dual_trace
from .feedback import Result
from .tape import ReferenceValue, check_reverse_value

__all__ = ["ReferenceValue", "Result", "check_array", "check_choice", "check_column", "check_dual_numbers",
           "check_dual_trace", "check_function", "check_number", "check_reverse_value"]
