"""The evaluation trace (Wengert list): the engine's own tape, as rows a student can read.

Rows are numbered as in the literature: inputs v_{1-n} … v_0, then one row per
elementary operation v_1 … v_l. Tangents come from the same JVP rules forward
mode uses, adjoints from the same backward sweep `grad` uses; nothing here
knows a derivative rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .core.api import _as_tangent, _check_function, _Recording
from .core.forward import push_tangents
from .core.primitive import Rule, raw, shape, zeros_like
from .core.reverse import backward


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
    _recording: _Recording = field(default=None, repr=False, compare=False)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def record(cls, f, *args):
        _check_function(f, "trace")
        recording = _Recording(f, args, name="trace", keep_values=True)  # tables show every operand
        n = len(recording.inputs)
        out_rows = {row: i for i, row in enumerate(recording.out_rows) if row is not None}
        m = len(recording.out_values)
        rows = []
        for k, (prim, params, values, out, parents) in enumerate(recording.trace.tape):
            index = k - n + 1
            operands = tuple(Operand(p - n + 1 if p >= 0 else None, raw(v)) for p, v in zip(parents, values))
            label = f"x_{k + 1}" if prim is None else None
            if k in out_rows:
                label = "y" if m == 1 else f"y_{out_rows[k] + 1}"
            rows.append(Row(index, "input" if prim is None else prim.name, operands, dict(params), raw(out),
                            None if prim is None else prim.rule, label))
        outputs = tuple(None if row is None else row - n + 1 for row in recording.out_rows)
        name = getattr(f, "__name__", "f")
        return cls(name, tuple(rows), outputs, tuple(raw(v) for v in recording.out_values),
                   function=f, args=args, _recording=recording)

    # -- access -------------------------------------------------------------------------

    @property
    def n_inputs(self):
        return len(self._recording.inputs)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        """The row v_index (Wengert numbering: v_{-1}, v_0, v_1 …)."""
        position = index + self.n_inputs - 1
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
        row = self[index]
        if row.is_input:
            return ()
        prim, params, values, out, parents = self._recording.trace.tape[index + self.n_inputs - 1]
        partials = []
        for position, operand in enumerate(row.operands):
            if operand.index is None or shape(operand.value) != () or shape(out) != ():
                partials.append(None)
                continue
            tangents = [None] * len(values)
            tangents[position] = 1.0
            partials.append(raw(push_tangents(prim, values, tangents, out, params)))
        return tuple(partials)

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

    def explore(self):
        """Step through this trace's sweeps with widgets (see adlab.explore)."""
        from .display.explorer import explore

        return explore(self.function, *self.args)

    # -- sweeps --------------------------------------------------------------------------

    def forward(self, *tangents):
        """Forward sweep: every row's tangent v̇ for input tangents ẋ (one per input)."""
        inputs = [r for r in self.rows if r.is_input]
        if len(tangents) != len(inputs):
            raise ValueError(f"forward() needs one tangent per input ({len(inputs)}), got {len(tangents)}.")
        tape = self._recording.trace.tape
        n = len(inputs)
        tangent_of = [None] * len(tape)
        for k, (t, row) in enumerate(zip(tangents, inputs)):
            tangent_of[k] = _as_tangent(t, row.value, f"tangent of x_{k + 1}")
        for k in range(n, len(tape)):
            prim, params, values, out, parents = tape[k]
            arg_tangents = [None if parent < 0 else tangent_of[parent] for parent in parents]
            if any(t is not None for t in arg_tangents):
                tangent_of[k] = push_tangents(prim, values, arg_tangents, out, params)
        rows = tuple(replace(r, tangent=zeros_like(r.value) if t is None else raw(t), adjoint=None, contributions=())
                     for r, t in zip(self.rows, tangent_of))
        return replace(self, rows=rows, mode="forward", seed=tuple(tangents))

    def reverse(self, *cotangents):
        """Reverse sweep: every row's adjoint v̄ for output cotangents ȳ (default 1 for a scalar)."""
        if not cotangents:
            if len(self.outputs) != 1 or shape(self.output_values[0]) != ():
                raise ValueError("reverse() needs one cotangent per output, since f's output is not a single scalar.")
            cotangents = (1.0,)
        if len(cotangents) != len(self.outputs):
            raise ValueError(f"reverse() needs one cotangent per output ({len(self.outputs)}), got {len(cotangents)}.")
        n = self.n_inputs
        seeds = {}
        for i, (index, c, v) in enumerate(zip(self.outputs, cotangents, self.output_values)):
            c = _as_tangent(c, v, f"cotangent of output {i + 1}")
            if index is not None:
                row = index + n - 1
                seeds[row] = c if row not in seeds else seeds[row] + c
        terms = []
        adjoints = backward(self._recording.trace.tape, seeds, contributions=terms, keep_all=True)
        uses = [[] for _ in self.rows]
        for to_row, from_row, position, term in terms:
            uses[to_row].append(Contribution(from_row - n + 1, position, raw(term)))
        rows = tuple(replace(r, adjoint=zeros_like(r.value) if a is None else raw(a), tangent=None, contributions=tuple(u))
                     for r, a, u in zip(self.rows, adjoints, uses))
        return replace(self, rows=rows, mode="reverse", seed=tuple(cotangents))


def trace(f, *args):
    """Run f(*args) and return its evaluation trace (Wengert list).

    Each positional argument leaf (a float or an array) is one input row.
    """
    return Trace.record(f, *args)


__all__ = ["Contribution", "Operand", "Row", "Trace", "trace"]
