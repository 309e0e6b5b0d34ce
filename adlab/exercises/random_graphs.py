"""Random expression graphs with fan-out, on which the check of a student's `Value` compares ``backward()``
with the engine (`value_class`'s step 4; exercise 6.2b runs it on graphs of + and * only).

A graph is a short program over the inputs x1, x2, x3: each instruction (op, a, b) adds one value v1, v2 …,
and y is the sum of the values no instruction reads. Half the time an instruction reads one of the last three
values (deeper graphs), and a value is often read several times (fan-out), so a rule that overwrites a grad
instead of adding to it shows, and so does a sweep that visits a node twice.
"""

from __future__ import annotations

import math

import numpy as np

from .feedback import number_text
from .value_class_basics import Stop, exp_of, expected_gradient, grad_of, log_of, point_text, run_student_code

_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


def _random_program(rng, n_inputs=3, n_operations=8, ops=("+", "-", "*", "/", "*", "log", "exp"),
                    constants_on_left=True):
    """Instructions (op, a, b) over values numbered 0…; a or b may be a float constant. Built on floats.

    ``ops`` are drawn from (a repeat weighs one more); without ``constants_on_left`` a constant is always the
    right operand, so a class with no __radd__/__rmul__ yet (exercise 6.2b's) can run the program.
    """
    point = tuple(float(v) for v in np.round(rng.uniform(0.5, 2.0, n_inputs), 2))
    values = list(point)
    program = []
    while len(program) < n_operations:
        op = rng.choice(list(ops))
        recent = rng.random() < 0.5  # half the operands are among the last three values: deeper graphs
        a = int(rng.integers(max(0, len(values) - 3) if recent else 0, len(values)))
        if op in ("log", "exp"):
            ok = values[a] > 0.2 if op == "log" else abs(values[a]) < 3
            if ok:
                program.append((op, a, None))
                values.append(float(log_of(values[a]) if op == "log" else exp_of(values[a])))
            continue
        b = int(rng.integers(len(values))) if rng.random() < 0.75 else float(rng.choice([0.5, 2.0, 3.0]))
        if constants_on_left and rng.random() < 0.3 and not isinstance(b, int):
            a, b = b, a  # a constant on the left: 2.0 - v uses __rsub__
        left = values[a] if isinstance(a, int) else a
        right = values[b] if isinstance(b, int) else b
        if op == "/" and abs(right) < 0.5:
            continue
        result = _BINARY[op](left, right)
        if abs(result) > 50:
            continue
        program.append((op, a, b))
        values.append(float(result))
    used = {i for _, a, b in program for i in (a, b) if isinstance(i, int)}
    unused = [i for i in range(n_inputs, len(values)) if i not in used] or [len(values) - 1]
    return point, program, unused


def _run_program(program, unused, leaves):
    values = list(leaves)
    for op, a, b in program:
        left = values[a] if isinstance(a, int) else a
        if op == "log":
            values.append(log_of(left))
        elif op == "exp":
            values.append(exp_of(left))
        else:
            values.append(_BINARY[op](left, values[b] if isinstance(b, int) else b))
    out = values[unused[0]]
    for i in unused[1:]:
        out = out + values[i]
    return out


def _program_text(program, unused, n_inputs):
    def name(i):
        if not isinstance(i, int):
            return number_text(i)
        return f"x{i + 1}" if i < n_inputs else f"v{i - n_inputs + 1}"

    lines = []
    for k, (op, a, b) in enumerate(program):
        rule = f"{name(a)}.{op}()" if op in ("log", "exp") else f"{name(a)} {op} {name(b)}"
        lines.append(f"  v{k + 1} = {rule}")
    lines.append("  y = " + " + ".join(name(i) for i in unused))
    return lines


def check_random_graphs(Value, name, rng, count, **program_options):
    """backward() on `count` random programs (`_random_program` with these options) against the engine."""
    for graph in range(count):
        point, program, unused = _random_program(rng, **program_options)
        expected = expected_gradient(lambda *xs: _run_program(program, unused, xs), point)
        leaves = [Value(v) for v in point]
        y = run_student_code(f"`{name}` (computing a random graph)", lambda: _run_program(program, unused, leaves))
        run_student_code(f"`{name}.backward()` (on a random graph)", y.backward)
        for i, (leaf, truth) in enumerate(zip(leaves, expected)):
            yours = grad_of(leaf, f"x{i + 1}", "y.backward()")
            if not math.isclose(yours, truth, rel_tol=1e-7, abs_tol=1e-9):
                uses = sum(1 for _, a, b in program for j in (a, b) if isinstance(j, int) and j == i)
                uses += sum(1 for j in unused if j == i)
                fan = f" (x{i + 1} is used {uses} times, so its grad is the sum of {uses} contributions)" \
                    if uses > 1 else ""
                raise Stop("wrong", f"your `{name}.backward()` gives x{i + 1}.grad = {number_text(yours)} on this "
                                    f"random graph at {point_text(['x1', 'x2', 'x3'], point)}, which is not its "
                                    f"derivative{fan}.\n"
                           + "\n".join(_program_text(program, unused, len(point)))
                           + ("\nEach rule must add to a parent's grad (+=, not =): a value used several times "
                              "gets one contribution per use." if uses > 1 else "")
                           + "\nbackward() must call each node's _backward exactly once, after every node that "
                             "uses it (reverse topological order).")


__all__ = ["check_random_graphs"]
