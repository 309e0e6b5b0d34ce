"""What every step of the check of a student's `Value` class is built from (`value_class`, `random_graphs`).

A step runs the student's code through `run_student_code` (a stub is "not answered yet", any other exception
one line) and raises `Stop` with (status, message) on the first thing that is wrong; it reads what the class
made with `grad_of` and `parents_of`, and compares it with `expected_gradient`, the engine's on floats. The
bank's lessons 6 and 13 build their own steps from the same pieces.
"""

from __future__ import annotations

import numpy as np

from .feedback import number_text


class Stop(Exception):
    """The first thing that is wrong (or not answered yet): ends the check with this status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def run_student_code(what, action):
    """Run the student's code; a stub is not answered yet, any other exception is one line."""
    try:
        return action()
    except Stop:
        raise
    except NotImplementedError as error:
        where = _innermost_function(error)
        inside = f" (in `{where}`)" if where and where.strip("_") not in what else ""
        raise Stop("unanswered", f"not answered yet: {what} still raises NotImplementedError{inside}; "
                                 f"write it, then run this cell again.") from None
    except RecursionError:
        raise
    except Exception as error:  # the student's code failed: one line, no traceback
        raise Stop("wrong", f"your {what} raised {type(error).__name__}: {error}") from None


def _innermost_function(error):
    """The name of the function that raised: `topological_order` when backward() calls a stub."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code.co_name if frame is not None else None


def log_of(v):
    """ln v: NumPy's on a number, the class's own ``v.log()`` on a Value (one expression runs on both)."""
    return np.log(v) if _is_number(v) or not hasattr(v, "log") else v.log()


def exp_of(v):
    """exp v: NumPy's on a number, the class's own ``v.exp()`` on a Value."""
    return np.exp(v) if _is_number(v) or not hasattr(v, "exp") else v.exp()


def _is_number(v):
    return isinstance(v, (int, float, np.number))


def scalar(v):
    """v as a float if it is one real number (int, float, NumPy scalar or 0-d array), else None."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and (np.issubdtype(v.dtype, np.integer)
                                                     or np.issubdtype(v.dtype, np.floating)):
        return float(v)
    return None


def parents_of(node):
    """The nodes a student's node was made from, under any of micrograd's usual names, or None."""
    for attribute in ("_parents", "_prev", "_children", "parents", "prev", "children"):
        parents = getattr(node, attribute, None)
        if parents is not None and not callable(parents):
            try:
                return tuple(parents)
            except TypeError:
                pass
    return None


def grad_of(node, name, what):
    """A node's .grad as a float, or a Stop that says what it is instead."""
    value = getattr(node, "grad", None)
    number = scalar(value)
    if number is None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise Stop("wrong", f"after {what}, {name}.grad is {value!r}, not a number.") from None
    return number


def point_text(names, point):
    """``x=2, y=3``: where a message says the check evaluated."""
    return ", ".join(f"{n}={number_text(v)}" for n, v in zip(names, point))


def expected_gradient(function, point):
    """The engine's gradient of function at point, one entry per argument (floats)."""
    import adlab  # the engine, only when a check runs

    grads = adlab.grad(function, argnums=tuple(range(len(point))))(*point)
    return [float(g) for g in grads]


__all__ = ["Stop", "exp_of", "expected_gradient", "grad_of", "log_of", "parents_of", "point_text",
           "run_student_code", "scalar"]
