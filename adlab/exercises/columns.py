"""A trace column as an exercise: its truth, its rows' names, and what each row is given the student's rows.

``trace_column(f, "tangent", seed=(1, 0))`` gives the keyword arguments of a "numbers"
Exercise whose answer is a column of f's trace at the student's inputs. Besides the truth
it computes, for a tangent or adjoint column, what each row should hold *given the
student's own other rows* (the row's rule applied to them), so a slip in v̇₂ that carries
into v̇₄ is named once, where it happened.
"""

from __future__ import annotations

import numpy as np

from ..tracing import trace
from .feedback import row_name

_ACCENTS = {"value": None, "tangent": "dot", "adjoint": "bar"}


def trace_column(function, column, seed=(), rows="operations", arguments=None):
    """Exercise keywords (expected, entries, carried) for one column of function's trace at the inputs.

    rows: "operations" (v₁ … v_l) or "all" (inputs first). seed: the tangents ẋ (forward) or
    cotangents ȳ (reverse; () for ȳ = 1), or a function of the inputs that gives them (a
    per-student direction). arguments: the names of the inputs f takes, in order (all of them
    if not given; a seed drawn per student is an input, not an argument).
    """
    if column not in _ACCENTS:
        raise ValueError(f"column must be 'value', 'tangent' or 'adjoint', not {column!r}.")

    def traced(inputs):
        return trace(function, *(inputs[name] for name in arguments) if arguments else inputs.values())

    def swept(inputs):
        table = traced(inputs)
        sweep = seed(**inputs) if callable(seed) else seed
        if column == "tangent":
            return table.forward(*sweep)
        return table.reverse(*sweep) if column == "adjoint" else table

    def chosen(table):
        return [row for row in table.rows if rows == "all" or not row.is_input]

    def expected(**inputs):
        return [float(getattr(row, column)) for row in chosen(swept(inputs))]

    def entries(**inputs):
        return ["row " + row_name(row.index, _ACCENTS[column]) for row in chosen(traced(inputs))]

    def carried(yours, **inputs):
        table = swept(inputs)
        shown = [row.index for row in chosen(table)]
        own = {row.index: float(getattr(row, column)) for row in table.rows}  # rows not asked for: the truth
        own.update(zip(shown, np.asarray(yours, dtype=float).reshape(-1)))
        given = {}
        if column == "tangent":
            for row in table.rows:
                if not row.is_input:
                    given[row.index] = sum(p * own[o.index] for p, o in zip(table.local_partials(row.index),
                                                                           row.operands) if o.index is not None)
        else:
            given = {row.index: 0.0 for row in table.rows}
            for out, bar in zip(table.outputs, table.seed):
                given[out] += float(bar)
            for row in table.rows:
                if not row.is_input:
                    for p, o in zip(table.local_partials(row.index), row.operands):
                        if o.index is not None:
                            given[o.index] += p * own[row.index]
        return [given.get(index, own[index]) for index in shown]

    result = {"expected": expected, "entries": entries}
    if column != "value":
        result["carried"] = carried
    return result
