"""Exercises that check themselves, cell by cell.

A lesson's check cell calls one of these with the exercise's id, the student's
answer and the engine's value; the result shows in the cell: correct, not
answered yet, or each wrong entry with yours and the expected value. Hints open
one at a time. Results are kept in a small file beside the notebook
(`.adlab-progress.json`) for `adlab progress`; nothing is sent anywhere.

    from adlab.exercises import check_column
    check_column("1.1", [-4, 0.333, -4, -4.333], adlab.trace(f, 3.0, -4.0).forward(1.0, 0.0))
"""

from .checks import check_array, check_choice, check_column, check_function, check_number
from .feedback import Result

__all__ = ["Result", "check_array", "check_choice", "check_column", "check_function", "check_number"]
