"""The evaluation trace (Wengert list): the engine's own tape, as rows a student can read.

Rows are numbered as in the literature: inputs v_{1-n} … v_0, then one row per
elementary operation v_1 … v_l. Tangents come from the same JVP rules forward
mode uses, adjoints from the same backward sweep `grad` uses; nothing here
knows a derivative rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .core.interpreter import Primitive, Rule, raw, shape, zeros_like
from .core.recording import Recording, check_tangent
from .core.tree import flatten


def wengert_index(position, n_inputs):
    """The row at tape position `position` is v_index: inputs v_{1-n} … v_0, then v_1 … v_l."""
    return position - n_inputs + 1


def tape_position(index, n_inputs):
    """Where v_index sits on the tape (and in `Trace.rows`): the inverse of wengert_index."""
    return index + n_inputs - 1


@dataclass(frozen=True)
class Operand:
    """One argument of a row: a row index (traced) or a constant value."""

    index: int | None
    value: object


@dataclass(frozen=True)
class Contribution:
    """One term of an adjoint: v̄_j gets `value` from row `row`, where v_j is argument `position`."""

    row: int
    position: int
    value: object


@dataclass(frozen=True)
class Row:
    """One line of the Wengert list."""

    index: int                    # v_index: 1-n..0 for inputs, 1..l for operations
    op: str                       # primitive name, or "input"
    operands: tuple               # Operand per argument, in argument order
    params: dict
    value: object
    rule: Rule | None             # how the primitive reads in a table (None for inputs)
    label: str | None = None      # "x_1" for inputs; "y" or "y_1" for outputs
    tangent: object = None        # set by Trace.forward
    adjoint: object = None        # set by Trace.reverse
    contributions: tuple = ()     # Contribution per use of this value, in sweep order
    primitive: Primitive | None = field(default=None, repr=False, compare=False)  # None for inputs

    @property
    def name(self):
        return f"v_{{{self.index}}}" if self.index < 0 else f"v_{self.index}"

    @property
    def inputs(self):
        """Indices of the rows this row reads."""
        return tuple(o.index for o in self.operands if o.index is not None)

    @property
    def is_input(self):
        return self.op == "input"

    @property
    def shape(self):
        return shape(self.value)


@dataclass(frozen=True)
class Trace:
    """The Wengert list of one call ``f(*args)``, optionally with tangents or adjoints.

    ``forward(*tangents)`` and ``reverse(*cotangents)`` return a new Trace with
    every row's tangent (one JVP) or adjoint (one VJP) filled in.
    """

    function_name: str
    rows: tuple
    outputs: tuple                 # row index per output leaf (None for a constant output)
    output_values: tuple
    mode: str = "primal"           # "primal", "forward" or "reverse"
    seed: tuple = ()               # the tangents or cotangents of the sweep
    function: object = field(default=None, repr=False, compare=False)
    args: tuple = field(default=(), repr=False, compare=False)
    _recording: Recording = field(default=None, repr=False, compare=False)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def record(cls, f, *args):
        if not callable(f):  # a trace is of one call: the function and its point together
            raise TypeError(f"trace takes the function first, then the point, but got a {type(f).__name__} ({f!r}) "
                            f"for the function; write trace(f, 3.0, -4.0).")
        recording = Recording(f, args, name="trace", keep_values=True)  # tables show every operand
        if recording.out_def == flatten(None)[1]:
            raise TypeError(f"{getattr(f, '__name__', 'f')} returned None, so there is nothing to trace; "
                            f"did it forget `return`?")
        n = len(recording.inputs)
        out_rows = {row: i for i, row in enumerate(recording.out_rows) if row is not None}
        m = len(recording.out_values)
        rows = []
        for k, (prim, params, values, out, parents) in enumerate(recording.tape):
            operands = tuple(Operand(wengert_index(p, n) if p >= 0 else None, raw(v)) for p, v in zip(parents, values))
            label = f"x_{k + 1}" if prim is None else None
            if k in out_rows:
                label = "y" if m == 1 else f"y_{out_rows[k] + 1}"
            rows.append(Row(wengert_index(k, n), "input" if prim is None else prim.name, operands, dict(params),
                            raw(out), None if prim is None else prim.rule, label, primitive=prim))
        outputs = tuple(None if row is None else wengert_index(row, n) for row in recording.out_rows)
        name = getattr(f, "__name__", "f")
        return cls(name, tuple(rows), outputs, tuple(raw(v) for v in recording.out_values),
                   function=f, args=args, _recording=recording)

    # -- access -------------------------------------------------------------------------

    @property
    def n_inputs(self):
        return len(self._recording.inputs)

    @property
    def reads_values(self):
        """Whether f computed anything from its traced values (a comparison, bool(x), an index): then the
        trace is f's program only at inputs that take the same path."""
        return self._recording.level.read_values

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        """The row v_index (Wengert numbering: v_{-1}, v_0, v_1 …)."""
        if not isinstance(index, (int, np.integer)) or isinstance(index, (bool, np.bool_)):
            raise TypeError(f"index a trace by the row's number, t[1] for v_1 (t[-1] for v_{{-1}}), not {index!r}.")
        position = tape_position(index, self.n_inputs)
        if not 0 <= position < len(self.rows):
            raise IndexError(f"this trace has rows v_{{{1 - self.n_inputs}}} … v_{len(self.rows) - self.n_inputs}, not v_{index}.")
        return self.rows[position]

    @property
    def value(self):
        """f's output (a tuple when f returns several values)."""
        return self.output_values[0] if len(self.output_values) == 1 else self.output_values

    @property
    def output_tangents(self):
        """ẏ per output after a forward sweep."""
        self._swept("forward", "tangents", "t.forward(*tangents)")
        return tuple(zeros_like(v) if i is None else self[i].tangent for i, v in zip(self.outputs, self.output_values))

    @property
    def input_adjoints(self):
        """x̄ per input after a reverse sweep."""
        self._swept("reverse", "adjoints", "t.reverse()")
        return tuple(r.adjoint for r in self.rows if r.is_input)

    def _swept(self, mode, what, call):
        """Refuse to read a sweep's results from a trace that has not had that sweep."""
        if self.mode != mode:
            raise ValueError(f"this is a {self.mode} trace, with no {what}: a sweep returns a new trace, "
                             f"so write t = {call} first.")

    def __repr__(self):
        ops = len(self.rows) - self.n_inputs
        return (f"<Trace of {self.function_name}: {self.n_inputs} input(s), {ops} operation(s), "
                f"{len(self.outputs)} output(s), {self.mode}>")

    def local_partials(self, index):
        """∂v_index/∂(each operand) at this point, from the primitive's JVP rule.

        One value per operand; None for constants and for non-scalar values,
        whose local derivative is a Jacobian rather than a number.
        """
        if self[index].is_input:
            return ()
        return self._recording.local_partials(tape_position(index, self.n_inputs))

    # -- views (adlab.display, loaded on first use) -------------------------------------

    def to_html(self, precision=3, **options):
        """See adlab.display.tables.to_html for the options (highlight, max_rows, order)."""
        from .display.tables import to_html

        return to_html(self, precision=precision, **options)

    def _repr_html_(self):
        return self.to_html()

    def to_markdown(self, precision=3, **options):
        """See adlab.display.tables.to_markdown for the options (highlight, max_rows, order)."""
        from .display.tables import to_markdown

        return to_markdown(self, precision=precision, **options)

    def to_latex(self, precision=3, **options):
        """See adlab.display.tables.to_latex for the options (highlight, max_rows, order)."""
        from .display.tables import to_latex

        return to_latex(self, precision=precision, **options)

    def graph(self, **options):
        """The computation graph as a graphviz.Digraph (see adlab.display.graph.to_graphviz)."""
        from .display.graph import to_graphviz

        return to_graphviz(self, **options)

    # -- sweeps --------------------------------------------------------------------------

    def forward(self, *tangents):
        """Forward sweep: every row's tangent v̇ for input tangents ẋ (one per input)."""
        inputs = [r for r in self.rows if r.is_input]
        if len(tangents) != len(inputs):
            raise ValueError(f"forward() needs one tangent per input ({len(inputs)}), got {len(tangents)}.")
        checked = [check_tangent(t, row.value, f"tangent of x_{k + 1}") for k, (t, row) in enumerate(zip(tangents, inputs))]
        rows = tuple(replace(r, tangent=zeros_like(r.value) if t is None else raw(t), adjoint=None, contributions=())
                     for r, t in zip(self.rows, self._recording.push(checked)))
        return replace(self, rows=rows, mode="forward", seed=tuple(tangents))

    def reverse(self, *cotangents):
        """Reverse sweep: every row's adjoint v̄ for output cotangents ȳ (default 1 for a scalar)."""
        if not cotangents:
            if len(self.outputs) != 1 or shape(self.output_values[0]) != ():
                raise ValueError("reverse() needs one cotangent per output, since f's output is not a single scalar.")
            cotangents = (1.0,)
        if len(cotangents) != len(self.outputs):
            raise ValueError(f"reverse() needs one cotangent per output ({len(self.outputs)}), got {len(cotangents)}.")
        seeds = {i: check_tangent(c, v, f"cotangent of output {i + 1}")
                 for i, (c, v) in enumerate(zip(cotangents, self.output_values))}
        adjoints, terms = self._recording.sweep_back(seeds)
        n = self.n_inputs
        uses = [[] for _ in self.rows]
        for to_row, from_row, position, term in terms:
            uses[to_row].append(Contribution(wengert_index(from_row, n), position, raw(term)))
        rows = tuple(replace(r, adjoint=zeros_like(r.value) if a is None else raw(a), tangent=None, contributions=tuple(u))
                     for r, a, u in zip(self.rows, adjoints, uses))
        return replace(self, rows=rows, mode="reverse", seed=tuple(cotangents))

    def forward_along(self, k, index=None):
        """The forward sweep along input k: ẋ_k = 1 (everywhere in an array, or only at `index`), other ẋ = 0.

        One sweep fills column k of the Jacobian (its entry `index`'s column for an array input).
        """
        return self.forward(*unit_seeds([r.value for r in self.rows if r.is_input], k, index))

    def reverse_from(self, k, index=None):
        """The reverse sweep from output k: ȳ_k = 1 (everywhere in an array, or only at `index`), other ȳ = 0."""
        return self.reverse(*unit_seeds(self.output_values, k, index, "output"))


def unit_seeds(values, k, index=None, kind="input"):
    """Sweep seeds shaped like `values`: ones for values[k] (or a single 1 at `index` of it), zeros elsewhere."""
    what = "input" if kind == "input" else "output"
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)) or not 0 <= k < len(values):
        raise IndexError(f"{what} {k!r} does not exist: this trace has {len(values)} {what}(s), numbered 0 … "
                         f"{len(values) - 1}.")
    if index is not None:
        size = np.shape(values[k])
        entry = index if isinstance(index, tuple) else (index,)
        if len(entry) != len(size) or not all(
                isinstance(i, (int, np.integer)) and -n <= i < n for i, n in zip(entry, size)):
            where = "a single number, so leave index out" if not size else f"shaped {size}"
            raise IndexError(f"index={index!r} is not an entry of {what} {k}, which is {where}.")
    seeds = []
    for i, value in enumerate(values):
        if np.ndim(value) == 0:
            seeds.append(1.0 if i == k else 0.0)
            continue
        seed = np.ones(np.shape(value)) if i == k and index is None else np.zeros(np.shape(value))
        if i == k and index is not None:
            seed[index] = 1.0
        seeds.append(seed)
    return seeds


def as_float(value, name="the input"):
    """An input as the engine differentiates it: students type 3 for 3.0 and [1, 2] for an array.

    Float arrays pass unchanged; booleans and non-numbers raise TypeError naming `name`.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} is a boolean; inputs must be numbers or arrays of numbers.")
    if isinstance(value, float) or isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} = {value!r} is not a number or an array of numbers.") from None
    return float(array) if array.ndim == 0 else array


def trace(f, *args):
    """Run f(*args) and return its evaluation trace (Wengert list).

    Each positional argument leaf (a float or an array) is one input row.
    """
    return Trace.record(f, *args)


__all__ = ["Contribution", "Operand", "Row", "Trace", "trace", "unit_seeds", "as_float", "wengert_index", "tape_position"]
