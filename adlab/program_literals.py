"""A staged program's literals: which ones read back from their repr, and the key under which equal ones meet.

The writer puts a literal that reads back into the source as its repr (`adlab.program`); the passes
share an equation that repeats an earlier one by these keys (`adlab.program_passes`), and the loop
finder compares iterations by them (`adlab.program_loops`).
"""

from __future__ import annotations

import math


def reads_back(value):
    """A value whose repr, read back, is the same value of the same type (a Python number, None, a tuple of them)."""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is tuple:
        return all(reads_back(v) for v in value)
    return False


def literal_key(value):
    """A key under which equal literals meet: by value where repr reads back, else by identity."""
    return ("value", type(value), repr(value)) if reads_back(value) else ("object", id(value))


def params_key(params):
    """An equation's parameters as a key: each by `literal_key`, in name order."""
    return tuple((name, literal_key(value)) for name, value in sorted(params.items()))
