"""Run a student's answer cell on its own: fresh names, a time limit, and (by hand) no engine.

A check does not read the kernel's variables: it runs the source of the answer cell
again in a namespace that holds only what the exercise gives (its inputs, NumPy, the
lesson's functions). So a global left by another cell, a check redefined in the notebook
or a patched engine changes nothing, and a "by hand" exercise can refuse the engine.
The same function runs in the student's kernel (feedback) and in a fresh process (grading).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import math
import signal
import threading

import numpy as np

# What a "by hand" answer may import: arithmetic, not differentiation.
BY_HAND_MODULES = {"math", "cmath", "numpy", "fractions", "decimal", "statistics", "itertools", "functools",
                   "operator", "collections", "random"}


class CellProblem(Exception):
    """The answer cell could not give an answer; the message is one sentence for the student."""

    def __init__(self, message, status="invalid"):
        super().__init__(message)
        self.status = status


class TimeLimit(BaseException):
    """Raised inside student code that runs past its time limit (BaseException: `except Exception` cannot eat it)."""


@contextlib.contextmanager
def time_limit(seconds, what):
    """Stop the code inside after `seconds` with one sentence, and leave the kernel usable.

    Uses a timer signal where it can (the kernel's main thread); elsewhere the code runs unbounded.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise TimeLimit

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeLimit:
        raise CellProblem(f"{what} did not finish within {seconds:g} s: look for a loop that never ends "
                          f"(or a sleep), fix it, then run the check again.", "wrong") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded_import(exercise):
    """An __import__ that refuses every module outside BY_HAND_MODULES, naming the exercise."""
    real = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] not in BY_HAND_MODULES:
            raise CellProblem(f"exercise {exercise} is done by hand: your answer cell imports {name}; work it out "
                              f"with arithmetic (math, numpy) and what the exercise gives you.", "wrong")
        return real(name, globals, locals, fromlist, level)

    return _import


def fresh_namespace(given, exercise=None, by_hand=False):
    """A namespace with NumPy, math and the names the exercise gives; by hand, imports are guarded."""
    namespace = {"np": np, "math": math, **given}
    if by_hand:
        namespace["__builtins__"] = {**vars(builtins), "__import__": guarded_import(exercise)}
    return namespace


def run_source(source, namespace, what="your answer cell", seconds=10.0):
    """Execute a cell's source in namespace (its printed output is swallowed); CellProblem on failure."""
    source = _python(source)
    try:
        code = compile(source, what, "exec")
    except SyntaxError as error:
        line = f" (line {error.lineno})" if error.lineno else ""
        raise CellProblem(f"{what} is not valid Python{line}: {error.msg}; fix it and run it again.") from None
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with time_limit(seconds, what):
            try:
                exec(code, namespace)
            except CellProblem:
                raise
            except NameError as error:
                name = getattr(error, "name", None) or str(error)
                raise CellProblem(f"{what} uses `{name}`, which it does not define: an answer cell is checked on "
                                  f"its own, so compute everything it needs inside it.") from None
            except NotImplementedError:
                raise CellProblem("not answered yet", "unanswered") from None
            except Exception as error:
                raise CellProblem(f"{what} raised {type(error).__name__}: {error}", "wrong") from None
    return namespace


def call_bounded(function, args, what, seconds=5.0):
    """Call a student's function with a time limit; CellProblem if it loops, sleeps or raises."""
    with time_limit(seconds, what):
        return function(*args)


def _python(source):
    """A notebook cell's source as plain Python: IPython's magics and shell escapes translated."""
    if "%" not in source and "!" not in source:
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)
