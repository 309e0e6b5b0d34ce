"""A recording: one reverse-mode evaluation of f kept for later sweeps, and the checks of f and its inputs.

`grad`, `vjp` and `jacrev` pull cotangents back through a recording once;
`adlab.trace` keeps one (with every value) and asks it for the sweeps its
tables show: `push` (tangents of every row, forward), `sweep_back`
(adjoints of every row, with each contribution) and `local_partials`.
"""

from __future__ import annotations

import numpy as np

from .arraybox import LostDerivativeError
from .forward import push_tangents
from .interpreter import check_live, matrix_refused, raw, shape, zeros_like
from .reverse import ReverseBox, ReverseLevel, backward
from .tree import flatten, tree_map, unflatten


def check_differentiable(x, where):
    value = raw(check_live(x))
    if type(value) is float or (type(value) is np.ndarray and value.dtype.kind == "f"):  # the usual case, at once
        return
    if isinstance(value, np.matrix):
        raise matrix_refused(where)
    if not isinstance(value, (float, int, complex, np.ndarray, np.generic)):
        raise TypeError(f"{where} is a {type(value).__name__}, not a number; pass floats or arrays of floats.")
    dtype = np.result_type(value)
    if not np.issubdtype(dtype, np.floating):
        kind = "a boolean" if dtype == bool else f"an {dtype}" if dtype.kind in "iu" else f"a {dtype}"
        raise TypeError(
            f"{where} is {kind} value, but only float inputs can be differentiated; "
            f"pass floats (3.0 instead of 3, or np.asarray(x, dtype=float))."
        )


def check_tangent(t, x, what):
    """Check a tangent or cotangent against the value it goes with; ints become floats."""
    if type(t) is np.ndarray and t.dtype.kind == "f" and type(x) is np.ndarray and t.shape == x.shape:
        return t  # the usual case, at once
    if isinstance(raw(t), np.matrix):
        raise matrix_refused(f"the {what}")
    if shape(t) != shape(x):
        raise ValueError(f"the {what} has shape {shape(t)} but its value has shape {shape(x)}; they must match.")
    if not isinstance(raw(t), (float, int, complex, np.ndarray, np.generic)):
        raise TypeError(f"the {what} is a {type(raw(t)).__name__}, not a number; pass floats or arrays of floats.")
    if isinstance(t, (int, np.integer)):  # bool is an int too
        return float(t)
    if isinstance(t, np.ndarray) and np.issubdtype(t.dtype, np.integer):
        return t.astype(float)
    if not np.issubdtype(np.result_type(raw(t)), np.floating):
        raise TypeError(f"the {what} is not a float (it is {np.result_type(raw(t))}); pass floats.")
    return t


def check_constants(constants, name):
    """Refuse an np.matrix among the arguments f is not differentiated in (they reach f as they are).

    ``constants`` are (label, value) pairs, e.g. ("argument 1", A) or ("keyword argument W", W).
    """
    for label, value in constants:
        if any(isinstance(leaf, np.matrix) for leaf in flatten(value)[0]):
            raise matrix_refused(f"{name}'s {label}")


def check_outputs(out_leaves, out, name, has_aux=None):
    """Refuse an output that is not a number or an array of numbers (a str, a generator, …), in one sentence."""
    for i, o in enumerate(out_leaves):
        value = raw(o)
        if type(value) is float or (type(value) is np.ndarray and value.dtype.kind in "fc"):  # the usual case
            continue
        where = "f's output" if o is out else f"f's output {i}"
        if isinstance(value, np.matrix):
            raise matrix_refused(where)
        if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind not in "SUV":  # not text or bytes
            continue
        if isinstance(value, (int, float, complex)) and not isinstance(value, (np.ndarray, np.generic)):
            continue
        kind = type(value).__name__
        what = f"it returned {_a(kind)}" if o is out else f"its output {i} is {_a(kind)}"
        if kind == "generator":
            fix = "build an array instead, e.g. np.array([... for ...]) or np.stack([...])"
        else:
            fix = "return the float (or array of floats) computed from the inputs"
        if has_aux is False and i > 0 and isinstance(out, (tuple, list)):
            fix += ", or pass has_aux=True if the values after the first are extra results, not outputs"
        raise TypeError(f"{name} needs f to return a number or an array of numbers (or a tuple, list or dict "
                        f"of them), but {what}; {fix}.")


def _a(noun):
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def check_function(f, name, usage=None):
    """Catch grad(3.0) and grad(grad(f)(2.0)) where they are written, not when the result is called.

    ``usage`` is the call to write instead; the default fits a transformation, ``grad(f)(x)``.
    """
    if not callable(f):
        usage = usage or f"{name}(f)(x): the derivative is a function, called with the point"
        raise TypeError(f"{name} takes the function to differentiate, but got a {type(f).__name__} ({f!r}); "
                        f"write {usage}.")


def split_aux(result, has_aux, name):
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"{name}(..., has_aux=True) needs f to return a pair (output, auxiliary data).")
    return result[0], result[1]


def traced_call(f, args, level, name):
    """f(*args) under `level`, finishing the level when f returns (so leaked values are caught later).

    Two Python and NumPy errors whose real cause is tracing get adlab's explanation.
    """
    try:
        return f(*args)
    except ValueError as error:
        if isinstance(error.__cause__, LostDerivativeError):  # NumPy's "setting an array element"
            raise ValueError(f"{error.__cause__}") from error.__cause__
        raise
    except TypeError as error:
        if any(isinstance(a, (list, tuple)) for a in args) and any(w in str(error) for w in ("'list'", "'tuple'", "sequence")):
            raise TypeError(f"{error}: {name} treats a Python list or tuple as separate scalar inputs (as JAX does); "
                            f"pass an array, np.array([1.0, 2.0]), to use array operations on it.") from error
        raise
    finally:
        level.finished = f"{name}({getattr(f, '__name__', 'f')})"


def misshapen(kind, what, where, value, like):
    return (f"a {kind} rule gave a {what} of shape {shape(value)} for {where}, whose shape is {shape(like)}; "
            f"a custom rule must return one value shaped like its argument (or output) - check your "
            f"def{kind.lower()} rules.")


COMPLEX_INSIDE = ("f computes with complex numbers (x * 1j, then abs or a comparison), which adlab does not "
                   "differentiate: its rules are for real functions; write f with real arithmetic.")


def check_real(values, name):
    for i, value in enumerate(values):
        if np.iscomplexobj(raw(value)):
            raise TypeError(f"{name} needs f to return real floats, but output {i} is complex; adlab differentiates "
                            f"real functions only: write f with real arithmetic (real and imaginary parts as two floats).")


class Recording:
    """One reverse-mode evaluation of f: its tape, inputs and outputs, ready to sweep.

    ``tape`` is the level's list of rows ``(prim, params, args, out, parents)``
    (see `adlab.core.reverse`): inputs first, one row per input, then one row
    per primitive call. ``out_rows`` gives each output leaf's row (None for an
    output that does not depend on the inputs). ``keep_values`` keeps every
    value on the tape, as tables need; otherwise, as `grad` does, a row keeps
    only what its VJP rules read.
    """

    def __init__(self, f, primals, has_aux=False, name="vjp", keep_values=False):
        leaves, self.in_def = flatten(primals)
        for i, x in enumerate(leaves):
            check_differentiable(x, f"{name}'s input {i}")
        self.level = ReverseLevel(keep_values)
        self.inputs = [self.level.new_input(x) for x in leaves]
        result = traced_call(f, unflatten(self.in_def, self.inputs), self.level, name)
        out, aux = split_aux(result, has_aux, name)
        out_leaves, self.out_def = flatten(out)
        check_outputs(out_leaves, out, name, has_aux if name in ("grad", "vjp") else None)  # those take has_aux
        for o in out_leaves:
            if not self._ours(o):
                check_live(o)  # a value leaked from an earlier call
        self.out_rows = [o.index if self._ours(o) else None for o in out_leaves]
        self.out_values = [self._value(o) for o in out_leaves]
        check_real(self.out_values, name)
        self.out = unflatten(self.out_def, self.out_values)
        self.aux = None if aux is None else tree_map(self._value, aux)  # aux is not differentiated

    @property
    def tape(self):
        return self.level.tape

    def _ours(self, x):
        return type(x) is ReverseBox and x.level is self.level

    def _value(self, x):
        return x.value if self._ours(x) else x

    def _row_seeds(self, seeds):
        """{output leaf: cotangent} as {tape row: cotangent}; outputs sharing a row add up."""
        row_seeds = {}
        for leaf, cotangent in seeds.items():
            row = self.out_rows[leaf]
            if row is not None:
                row_seeds[row] = cotangent if row not in row_seeds else row_seeds[row] + cotangent
        return row_seeds

    def pull(self, seeds):
        """Input cotangents (flat) for output cotangents given as {output leaf: cotangent}."""
        adjoints = backward(self.tape, self._row_seeds(seeds))
        cotangents = []
        for i, box in enumerate(self.inputs):
            adjoint = adjoints[box.index]
            if adjoint is not None and shape(adjoint) != shape(box.value):
                raise ValueError(misshapen("VJP", "cotangent", f"input {i}", adjoint, box.value))
            if adjoint is not None and np.iscomplexobj(raw(adjoint)):
                raise TypeError(COMPLEX_INSIDE)
            cotangents.append(zeros_like(box.value) if adjoint is None else adjoint)
        return cotangents

    def pullback(self, *cotangents):
        if len(cotangents) != 1:
            raise TypeError(f"the function vjp returns takes one cotangent shaped like f's output, but got "
                            f"{len(cotangents)}; for several outputs pass them as one tuple: vjp_fn((g1, g2)).")
        leaves, cot_def = flatten(cotangents[0])
        if cot_def != self.out_def:
            raise ValueError("the cotangent must have the same structure as f's output (one value per output).")
        leaves = [check_tangent(c, o, f"cotangent of output {i}") for i, (c, o) in enumerate(zip(leaves, self.out_values))]
        return unflatten(self.in_def, self.pull(dict(enumerate(leaves))))

    def sweep_back(self, seeds):
        """Every row's adjoint (None: zero) and each term added to it, for {output leaf: cotangent}.

        The terms are ``(to_row, from_row, position, value)`` in sweep order: what a
        table shows for a value used several times.
        """
        terms = []
        adjoints = backward(self.tape, self._row_seeds(seeds), contributions=terms, keep_all=True)
        return adjoints, terms

    def push(self, input_tangents):
        """Every row's tangent (None: zero) for one tangent per input: a forward sweep along the tape.

        The JVP rules are forward mode's own (`push_tangents`), applied to the recorded values.
        """
        tape = self.tape
        tangents = [None] * len(tape)
        tangents[:len(input_tangents)] = input_tangents
        for row in range(len(input_tangents), len(tape)):
            prim, params, values, out, parents = tape[row]
            arg_tangents = [None if parent < 0 else tangents[parent] for parent in parents]
            if any(t is not None for t in arg_tangents):
                tangents[row] = push_tangents(prim, values, arg_tangents, out, params)
        return tangents

    def local_partials(self, row):
        """∂(row's output)/∂(each argument), from the JVP rules: None for constants, non-scalars and arguments that
        have no JVP rule."""
        prim, params, values, out, parents = self.tape[row]
        partials = []
        for position, parent in enumerate(parents):
            if parent < 0 or shape(values[position]) != () or shape(out) != ():
                partials.append(None)
                continue
            if prim.joint_jvp is None and (position >= len(prim.jvps) or prim.jvps[position] is None):
                partials.append(None)  # a custom primitive with a VJP rule only (a gradient clip): no partial
                continue
            tangents = [None] * len(values)
            tangents[position] = 1.0
            partials.append(raw(push_tangents(prim, values, tangents, out, params)))
        return tuple(partials)

