"""Staged programs written with loops (adlab.program_loops): the same results, bit for bit, as the engine.

A run of repeated equations is written once as a ``for`` loop; every case here is staged (the engine's
own value_and_grad, or jvp), compiled with its runs as loops, and compared with the engine at the staged
point and at other points on the same path: same types, dtypes, shapes and bits.
"""

import random

import numpy as np
import pytest

import adlab
import adlab.numpy as anp
from adlab import staging
from adlab.program import PathChanged, compile_program, to_python
from adlab.program_loops import MIN_COUNT, Carried, FromRun, find_runs
from test_staging import assert_identical, run, staged_value_and_grad

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def chain(x):  # benchmarks/w1_scalar.py's chain, 50 operations
    y = x
    for _ in range(10):
        y = anp.log(anp.exp(anp.tanh(y * 0.9 + x)))
    return y


def outside_value(x, y):
    for _ in range(10):
        x = anp.tanh(x) * y + x
    return x


def previous_read_after_it_is_recomputed(x):
    y, total = x, 0.0
    for _ in range(8):
        before = y
        y = anp.sin(y)
        total = total + y * before  # reads the previous iteration's y after this iteration's
    return total


def guards_inside(x):
    for _ in range(12):
        x = x * 0.5 if x > 1.0 else x * 3.0
    return x


def nested(x):
    for _ in range(5):
        for _ in range(6):
            x = anp.sin(x) * 0.9
        x = x + 1.0
    return x


def kept_and_read_later(x):
    values = []
    for _ in range(9):
        x = anp.cos(x) + 0.5
        values.append(x)
    return values[2] * values[7] + values[-1]


def same_order_twice(x):
    ys = []
    for _ in range(8):
        x = anp.sin(x) + 0.1
        ys.append(x)
    total = 0.0
    for y in ys:  # the second loop reads the first's values in their own order (step +1)
        total = total * 0.5 + y * y
    return total


def layers(W, v):
    for _ in range(6):
        v = anp.tanh(W @ v)
    return anp.sum(v * v)


W0 = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [-0.1, 0.2, 0.7]])
CASES = {
    "chain": (chain, (0.5,)),
    "outside value": (outside_value, (0.3, 0.8)),
    "previous read after it is recomputed": (previous_read_after_it_is_recomputed, (0.7,)),
    "guards inside": (guards_inside, (5.0,)),
    "nested": (nested, (0.2,)),
    "kept and read later": (kept_and_read_later, (0.4,)),
    "same order twice": (same_order_twice, (0.3,)),
    "layers of arrays": (layers, (W0, np.array([0.1, -0.4, 0.9]))),
}
LOOPED = {"chain", "outside value", "previous read after it is recomputed", "nested", "kept and read later",
          "same order twice", "layers of arrays"}


def moved(args, factor):
    return tuple(a * factor for a in args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_program_with_loops_gives_the_engines_bits(name):
    f, args = CASES[name]
    program, fun = staged_value_and_grad(f, args)
    source = compile_program(program).source
    assert ("for i" in source) == (name in LOOPED), source
    for factor in (1.0, 0.97, 1.03):
        point = moved(args, factor)
        try:
            assert_identical(run(program, point), fun(*point), f"{name} at x{factor}")
        except PathChanged:
            assert name == "guards inside"


def test_the_w1_chain_is_two_loops_of_a_few_lines():
    def long_chain(x):
        y = x
        for _ in range(1000):
            y = anp.log(anp.exp(anp.tanh(y * 0.9 + x)))
        return y

    program, fun = staged_value_and_grad(long_chain, (0.5,))
    source = compile_program(program).source
    assert source.count("for i") == 2 and source.count("\n") < 40, source
    assert_identical(run(program, (0.61,)), fun(0.61))


def test_the_readable_program_stays_written_out():
    program, _ = staged_value_and_grad(chain, (0.5,))
    assert "for " not in str(program) and "for " not in to_python(program, reuse_names=True)


def test_compiled_jvp_and_grad_with_loops_are_the_engines():
    compiled_jvp = adlab.compiled(adlab.jvp)
    for x in (0.5, -0.2):
        assert_identical(compiled_jvp(chain, (x,), (1.0,)), adlab.jvp(chain, (x,), (1.0,)))
        assert_identical(adlab.compiled(adlab.grad(nested))(x), adlab.grad(nested)(x))


def test_runs_relate_their_arguments_as_the_module_says():
    program, _ = staged_value_and_grad(previous_read_after_it_is_recomputed, (0.7,))
    runs, where = find_runs(program)
    assert runs and all(run.count >= MIN_COUNT for run in runs)
    arguments = [a for run in runs for slot in run.arguments for a in slot]
    assert any(type(a) is Carried for a in arguments)
    program, _ = staged_value_and_grad(chain, (0.5,))
    runs, _ = find_runs(program)
    backward = [a for slot in runs[-1].arguments for a in slot if type(a) is FromRun]
    assert backward and all(a.step == -1 for a in backward)  # the reverse sweep reads the forward run backwards


OPS = ("sin", "tanh", "mul", "add", "sub", "square", "const_mul")


def random_body(rng):
    """A random loop body over (x, y): each step an operation of earlier values of this iteration or the carried."""
    steps = []
    for _ in range(rng.randint(1, 6)):
        steps.append((rng.choice(OPS), rng.randint(0, 10), rng.randint(0, 10), round(rng.uniform(-1.5, 1.5), 2)))
    return steps, rng.randint(MIN_COUNT, 12)


def make_function(steps, count):
    def f(x, y):
        a, b = x, y
        for _ in range(count):
            values = [a, b, x]
            for op, i, j, c in steps:
                u, v = values[i % len(values)], values[j % len(values)]
                values.append({"sin": lambda: anp.sin(u), "tanh": lambda: anp.tanh(u), "mul": lambda: u * v,
                               "add": lambda: u + v, "sub": lambda: u - v, "square": lambda: u * u,
                               "const_mul": lambda: u * c}[op]())
            a, b = values[-1], values[-2] if len(values) > 4 else b
        return a * 0.5 + b
    return f


@pytest.mark.parametrize("seed", range(40))
def test_random_loops_give_the_engines_bits(seed):
    rng = random.Random(seed)
    steps, count = random_body(rng)
    f = make_function(steps, count)
    args = (rng.uniform(-1, 1), rng.uniform(-1, 1))
    program, fun = staged_value_and_grad(f, args)
    for point in (args, moved(args, 0.9)):
        assert_identical(run(program, point), fun(*point), f"seed {seed}: {steps} x {count}")
    jvp_program = staging.stage(lambda x, y: adlab.jvp(f, (x, y), (1.0, -0.5)), *args)
    assert_identical(run(jvp_program, args), adlab.jvp(f, args, (1.0, -0.5)), f"seed {seed} jvp")
