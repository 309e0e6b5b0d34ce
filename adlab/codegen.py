"""Source transformation: derivative programs written out as Python source.

adlab's engine differentiates by operator overloading: every operation on a
traced value looks up its rule while f runs (course notes, seed 003). Source
code transformation instead reads the program once and writes a new one that
computes the derivatives itself. This module does that from a trace:

* ``tangent_program``: the forward (tangent) program, each ``v_i`` followed by
  its ``v_i_dot``: one Jacobian-vector product per call.
* ``adjoint_program``: the forward sweep, then the reverse sweep with one
  ``v_j_bar += ...`` (or ``-=``) per use of ``v_j``: one vector-Jacobian product per call.

Variable names follow the trace tables: inputs ``v_m1, v0`` (v_{-1}, v_0),
operations ``v1, v2 …``, tangents ``v1_dot``, adjoints ``v1_bar``. The
derivative of each primitive comes from ``TEMPLATES`` below, one entry of
source text per primitive, independent of the engine's own rules, so the
tests that compare both check one against the other.

A trace is one path through f: branches were decided and loops unrolled at
the traced inputs, so the generated code is f's derivative along that path
(exactly what AD computes there), not a translation of f's control flow.
"""

from __future__ import annotations

import html
import itertools
import linecache
import math
import weakref
from dataclasses import dataclass

import numpy as np

from .core import rules
from .tracing import Trace, trace as record_trace

__all__ = ["GeneratedCode", "Template", "TEMPLATES", "CodegenError", "tangent_program", "adjoint_program"]


class CodegenError(ValueError):
    """A trace that adlab.codegen cannot write as source."""


@dataclass(frozen=True)
class Template:
    """Source text for one primitive, with str.format placeholders.

    ``{0}``, ``{1}`` … are the arguments (variable names or literals) and
    ``{out}`` the result's name; ``{t}`` is the tangent of the argument a
    tangent term belongs to, ``{g}`` the result's adjoint; ``{p[name]}`` a
    parameter; ``{s0}``, ``{shape}`` the shapes of argument 0 and of the
    result. ``tangent`` has one term per argument (the terms of traced
    arguments are summed); ``adjoint`` one contribution per argument, added to
    its ``_bar`` (or a whole statement using ``{bar}``, the ``_bar`` name);
    the last entry serves any further arguments (stack, concatenate).
    ``elementwise`` operations broadcast: tangents are broadcast to the
    result's shape, adjoints summed back to the argument's. ``joint_tangent``
    replaces the terms for structural operations (stack), where ``{ts}``
    lists every argument's tangent, zeros for constants.
    """

    primal: str
    tangent: tuple = ()
    adjoint: tuple = ()
    elementwise: bool = False
    joint_tangent: str | None = None


def _pointwise(primal, *terms):
    """An elementwise operation, written once with ``{d}`` for the derivative flowing through.

    Forward mode multiplies an argument's tangent by the local partial, reverse
    mode the result's adjoint by the same partial: ``{d}`` becomes ``{t}`` or
    ``{g}``. A term of None marks an argument that is not differentiated.
    """
    forward = tuple(None if term is None else term.replace("{d}", "{t}") for term in terms)
    backward = tuple(None if term is None else term.replace("{d}", "{g}") for term in terms)
    return Template(primal, forward, backward, elementwise=True)


# The share of max(x, y) going to x: 1, 0, or 0.5 on ties (the engine's convention). {half} is 0.5 in the
# result's dtype (np.float32(0.5) for float32: 0.5 * (x == y) alone would make the share float64).
_TIE_X = "(({0} > {1}) + ({0} == {1}) * {half})"
_TIE_Y = "(({1} > {0}) + ({0} == {1}) * {half})"
# The share of a max/min reduction going to each element: ties split equally (counted in x's dtype, so
# float32 stays float32).
_SELECTED = "(({0} == {out_kept}) / np.sum({0} == {out_kept}{axis}, keepdims=True, dtype=np.result_type({0})))"

TEMPLATES = {
    "add": _pointwise("{0} + {1}", "{d}", "{d}"),
    "subtract": _pointwise("{0} - {1}", "{d}", "-{d}"),
    "multiply": _pointwise("{0} * {1}", "{d} * {1}", "{0} * {d}"),
    "divide": _pointwise("{0} / {1}", "{d} / {1}", "-{d} * {out} / {1}"),
    "negative": _pointwise("-{0}", "-{d}"),
    # The engine's convention (adlab/core/rules.py, above _log_or_zero): ∂/∂x = y·x**(y−1), but 0 where
    # y = 0 (there the exponent y − (y != 0) is 0 and y·x**0 = 0, even at x = 0 or nan); ∂/∂y = x**y·ln x
    # with ln x taken as 0 at x = 0, and nan where x < 0. The program computes in NumPy's arithmetic
    # (GeneratedCode passes Python floats as np.float64), so (-8.0) ** (1/3) is nan, never complex.
    "power": _pointwise("{0} ** {1}", "{d} * ({1} * {0} ** ({1} - ({1} != 0)))",
                        "{d} * {out} * np.log(np.where({0} == 0, 1.0, {0}))"),
    # x ** c for a constant c other than 0 (x ** 2): the rule without the case y = 0.
    "power by a constant": _pointwise("{0} ** {1}", "{d} * ({1} * {0} ** ({1} - 1))", None),
    # c ** y for a constant c: {log_base} is ln c as the engine takes it (math.log(c); 0.0 for c = 0; nan for c < 0).
    "power of a constant": _pointwise("{0} ** {1}", None, "{d} * {out} * {log_base}"),
    # x ** y for a Python float x: ln x with math, as the engine takes it, so it stays a Python float (np.log
    # would make it an np.float64, which turns a float32 y and its adjoint into float64).
    "power of a Python float": _pointwise(
        "{0} ** {1}", "{d} * ({1} * {0} ** ({1} - ({1} != 0)))",
        "{d} * {out} * (math.log({0}) if {0} > 0 else 0.0 if {0} == 0 else math.nan)"),
    "exp": _pointwise("np.exp({0})", "{d} * {out}"),
    "log": _pointwise("np.log({0})", "{d} / {0}"),
    "log1p": _pointwise("np.log1p({0})", "{d} / (1 + {0})"),
    "expm1": _pointwise("np.expm1({0})", "{d} * ({out} + 1)"),
    "sqrt": _pointwise("np.sqrt({0})", "{d} / (2 * {out})"),
    "sin": _pointwise("np.sin({0})", "{d} * np.cos({0})"),
    "cos": _pointwise("np.cos({0})", "-{d} * np.sin({0})"),
    "tan": _pointwise("np.tan({0})", "{d} * (1 + {out} ** 2)"),
    "arcsin": _pointwise("np.arcsin({0})", "{d} / np.sqrt(1 - {0} ** 2)"),
    "arccos": _pointwise("np.arccos({0})", "-{d} / np.sqrt(1 - {0} ** 2)"),
    "arctan": _pointwise("np.arctan({0})", "{d} / (1 + {0} ** 2)"),
    "sinh": _pointwise("np.sinh({0})", "{d} * np.cosh({0})"),
    "cosh": _pointwise("np.cosh({0})", "{d} * np.sinh({0})"),
    "tanh": _pointwise("np.tanh({0})", "{d} * (1 - {out} ** 2)"),
    "abs": _pointwise("np.abs({0})", "{d} * np.sign({0})"),
    "stop_gradient": _pointwise("{0}", None),  # the value passes, its derivative does not
    "maximum": _pointwise("np.maximum({0}, {1})", "{d} * " + _TIE_X, "{d} * " + _TIE_Y),
    "minimum": _pointwise("np.minimum({0}, {1})", "{d} * " + _TIE_Y, "{d} * " + _TIE_X),
    "where": _pointwise("np.where({0}, {1}, {2})", None, "np.where({0}, {d}, 0.0)", "np.where({0}, 0.0, {d})"),
    # Inside the bounds clip(x) == x and the derivative is 1; outside it is 0.
    "clip": _pointwise("np.clip({0}, {p[low]}, {p[high]})", "{d} * ({0} == {out})"),
    # Reductions: {reduced} is ", axis=…, keepdims=…" where not the default; {g_kept} is
    # the adjoint with the reduced axes back (size 1), ready to broadcast over them.
    "sum": Template("np.sum({0}{reduced})", ("np.sum({t}{reduced})",), ("np.broadcast_to({g_kept}, {s0})",)),
    "max": Template("np.max({0}{reduced})", (f"np.sum({{t}} * {_SELECTED}{{reduced}})",),
                    (f"{{g_kept}} * {_SELECTED}",)),
    "min": Template("np.min({0}{reduced})", (f"np.sum({{t}} * {_SELECTED}{{reduced}})",),
                    (f"{{g_kept}} * {_SELECTED}",)),
    "logsumexp": Template("logsumexp({0}{reduced})", ("np.sum({t} * np.exp({0} - {out_kept}){reduced})",),
                          ("{g_kept} * np.exp({0} - {out_kept})",)),
    # matmul by the dimensions of its arguments (matrix @ matrix, matrix @ vector, …).
    "matmul 2-D @ 2-D": Template("{0} @ {1}", ("{t} @ {1}", "{0} @ {t}"), ("{g} @ {1}.T", "{0}.T @ {g}")),
    "matmul 2-D @ 1-D": Template("{0} @ {1}", ("{t} @ {1}", "{0} @ {t}"), ("np.outer({g}, {1})", "{0}.T @ {g}")),
    "matmul 1-D @ 2-D": Template("{0} @ {1}", ("{t} @ {1}", "{0} @ {t}"), ("{1} @ {g}", "np.outer({0}, {g})")),
    "matmul 1-D @ 1-D": Template("{0} @ {1}", ("{t} @ {1}", "{0} @ {t}"), ("{g} * {1}", "{0} * {g}")),
    "outer": Template("np.outer({0}, {1})", ("np.outer({t}, {1})", "np.outer({0}, {t})"),
                      ("np.reshape({g} @ np.ravel({1}), {s0})", "np.reshape(np.ravel({0}) @ {g}, {s1})")),
    "transpose": Template("np.transpose({0}{axes})", ("np.transpose({t}{axes})",), ("np.transpose({g}{inverse_axes})",)),
    "reshape": Template("np.reshape({0}, {p[newshape]})", ("np.reshape({t}, {p[newshape]})",),
                        ("np.reshape({g}, {s0})",)),
    "broadcast_to": Template("np.broadcast_to({0}, {p[target_shape]})", ("np.broadcast_to({t}, {p[target_shape]})",),
                             ("{g_summed}",)),
    "getitem": Template("{0}[{index}]", ("{t}[{index}]",), ("{bar}[{index}] += {g}",)),
    # Integer-array indices may repeat an element: np.add.at adds once per repeat.
    "getitem with an index array": Template("{0}[{index}]", ("{t}[{index}]",),
                                            ("np.add.at({bar}, np.s_[{index}], {g})",)),
    "stack": Template("np.stack([{args}], axis={p[axis]})", adjoint=("{g}[{block}]",),
                      joint_tangent="np.stack([{ts}], axis={p[axis]})"),
    "concatenate": Template("np.concatenate([{args}], axis={p[axis]})", adjoint=("{g}[{block}]",),
                            joint_tangent="np.concatenate([{ts}], axis={p[axis]})"),
}


# -- names and literals -----------------------------------------------------------------


def variable(index, suffix=""):
    """The Python name of v_index: v_m1, v0, v1 …; suffix "_dot" or "_bar"."""
    return (f"v_m{-index}" if index < 0 else f"v{index}") + suffix


class _Constants:
    """Arrays that appear as constants in the trace: named c0, c1 … in the source."""

    def __init__(self):
        self.values = {}

    def name(self, value):
        for name, known in self.values.items():
            if known is value:
                return name
        name = f"c{len(self.values)}"
        self.values[name] = value
        return name


def _literal(value, constants):
    """Python source for a constant: numbers and tuples inline, arrays by name."""
    if value is None or value is Ellipsis:
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.ndim == 0
                                                   and np.issubdtype(value.dtype, np.floating)):
        number = float(value)
        if np.isnan(number):
            return "np.nan"
        if np.isinf(number):
            return "np.inf" if number > 0 else "-np.inf"
        return repr(number)
    if isinstance(value, tuple):
        items = [_literal(v, constants) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(_literal(v, constants) for v in value)}]"
    if isinstance(value, slice):
        return f"slice({_literal(value.start, constants)}, {_literal(value.stop, constants)}, {_literal(value.step, constants)})"
    return constants.name(np.asarray(value))


def _operand_literal(value, constants):
    """A literal as an operand: negative numbers in parentheses, so `x - (-4.0)` reads right."""
    text = _literal(value, constants)
    return f"({text})" if text.startswith("-") else text


def _index_source(index, constants):
    """An index as it is written between brackets: `1:`, `::2, 0`, `c0`."""
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for item in items:
        if isinstance(item, slice):
            bounds = ["" if b is None else _literal(b, constants) for b in (item.start, item.stop, item.step)]
            parts.append(":".join(bounds[:2]) + (f":{bounds[2]}" if bounds[2] else ""))
        elif item is Ellipsis:
            parts.append("...")
        else:
            parts.append(_literal(item, constants))
    if isinstance(index, tuple) and len(parts) == 1:
        return parts[0] + ","
    return ", ".join(parts)


def _summed_to(expr, target_shape, from_shape):
    """Source summing a broadcast value of from_shape back to target_shape (the adjoint of broadcasting)."""
    extra = len(from_shape) - len(target_shape)
    if extra:
        expr = f"np.sum({expr}, axis={tuple(range(extra))})"
    kept = tuple(i for i, n in enumerate(target_shape) if n == 1 and from_shape[i + extra] != 1)
    if kept:
        expr = f"np.sum({expr}, axis={kept}, keepdims=True)"
    return expr


def _zeros(value):
    """Source for zeros shaped like value, in its float dtype (as the engine's zeros_like: float32 stays float32)."""
    shape, dtype = np.shape(value), np.result_type(value, 0.0)
    if dtype == np.float64:
        return "0.0" if shape == () else f"np.zeros({shape})"
    return f"np.zeros({shape}, dtype='{dtype.name}')"


def _live_rows(trace):
    """Rows on a path to an output: only their adjoints can be nonzero."""
    live = {i for i in trace.outputs if i is not None}
    for row in reversed(trace.rows):
        if row.index in live:
            live.update(row.inputs)
    return live


# -- templates filled in ---------------------------------------------------------------


def _template_key(row):
    """The TEMPLATES entry for a row: its primitive, or a variant chosen by argument shapes."""
    if row.op == "matmul":
        dims = tuple(np.ndim(o.value) for o in row.operands)
        if any(d not in (1, 2) for d in dims):
            raise CodegenError(f"{variable(row.index)} = matmul of arrays with {dims[0]} and {dims[1]} dimensions: "
                               f"adlab.codegen writes matmul for 1-D and 2-D arrays only.")
        return f"matmul {dims[0]}-D @ {dims[1]}-D"
    if row.op == "getitem" and not rules.is_basic_index(row.params["index"]):
        return "getitem with an index array"
    if row.op == "power" and row.operands[1].index is None and _is_number(row.operands[1].value) \
            and row.operands[1].value != 0:
        return "power by a constant"
    if row.op == "power" and row.operands[0].index is None and _is_number(row.operands[0].value):
        return "power of a constant"
    if row.op == "power" and type(row.operands[0].value) is float:
        return "power of a Python float"
    return row.op


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


class _RowSource:
    """One trace row's template with its placeholders filled in."""

    def __init__(self, row, constants):
        key = _template_key(row)
        if key not in TEMPLATES:
            raise CodegenError(f"{variable(row.index)} = {row.op}(…): adlab.codegen has no source template for "
                               f"the primitive '{row.op}'; add one to adlab.codegen.TEMPLATES to generate code for it.")
        self.row = row
        self.template = TEMPLATES[key]
        self.operands = [variable(o.index) if o.index is not None else _operand_literal(o.value, constants)
                         for o in row.operands]
        self.shapes = [np.shape(o.value) for o in row.operands]
        self.shape = np.shape(row.value)
        self.fields = self._fields(constants)

    def _fields(self, constants):
        row, params = self.row, self.row.params
        fields = {"out": variable(row.index), "g": variable(row.index, "_bar"), "shape": repr(self.shape),
                  "p": {k: _literal(v, constants) for k, v in params.items()},
                  "args": ", ".join(self.operands)}
        fields.update({f"s{i}": repr(s) for i, s in enumerate(self.shapes)})
        dtype = np.result_type(row.value)
        fields["half"] = "0.5" if dtype == np.float64 or dtype.kind != "f" else f"np.{dtype.name}(0.5)"
        if row.op == "power" and row.operands[0].index is None and _is_number(row.operands[0].value):
            base = float(row.operands[0].value)
            fields["log_base"] = ("0.0" if base == 0 else "np.nan" if base < 0 or base != base
                                  else f"math.log({_literal(base, constants)})")
        if "axis" in params and "keepdims" in params:
            axis, keepdims = fields["p"]["axis"], params["keepdims"]
            fields["axis"] = "" if params["axis"] is None else f", axis={axis}"
            fields["reduced"] = fields["axis"] + (", keepdims=True" if keepdims else "")
            dropped = not keepdims and params["axis"] is not None
            keep = (lambda name: f"np.expand_dims({name}, {axis})") if dropped else (lambda name: name)
            fields["g_kept"], fields["out_kept"] = keep(fields["g"]), keep(fields["out"])
        if row.op == "transpose":
            axes = params.get("axes")
            inverse = None if axes is None else tuple(int(a) for a in np.argsort([a % len(self.shape) for a in axes]))
            fields["axes"] = "" if axes is None else f", {_literal(tuple(axes), constants)}"
            fields["inverse_axes"] = "" if axes is None else f", {_literal(inverse, constants)}"
        if "index" in params:
            fields["index"] = _index_source(params["index"], constants)
        if "target_shape" in params:
            fields["g_summed"] = _summed_to(fields["g"], self.shapes[0], self.shape)
        return fields

    def format(self, text, **extra):
        return text.format(*self.operands, **self.fields, **extra)

    def primal(self):
        return self.format(self.template.primal)

    def tangent(self):
        """v̇ of this row: the sum of one term per traced argument."""
        operands = self.row.operands
        if self.template.joint_tangent is not None:
            ts = ", ".join(variable(o.index, "_dot") if o.index is not None else _zeros(o.value) for o in operands)
            return self.format(self.template.joint_tangent, ts=ts)
        terms = []
        for position, operand in enumerate(operands):
            if operand.index is None or self.template.tangent[position] is None:  # a constant, or not differentiated
                continue
            term = self.format(self.template.tangent[position], t=variable(operand.index, "_dot"))
            if self.template.elementwise and self.shapes[position] != self.shape:
                term = f"np.broadcast_to({term}, {self.shape})"
            terms.append(term)
        if not terms:  # stop_gradient: the value passes, no tangent does
            return _zeros(self.row.value)
        text = terms[0]
        for term in terms[1:]:  # a + -b reads as a - b
            text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
        return text

    def adjoint_statements(self):
        """One statement per traced argument, adding this row's contribution to the argument's _bar."""
        statements = []
        for position, operand in enumerate(self.row.operands):
            if operand.index is None:
                continue
            bar = variable(operand.index, "_bar")
            adjoint = self.template.adjoint
            template = adjoint[position] if position < len(adjoint) else adjoint[-1]
            if template is None:  # not differentiated: nothing passes back
                continue
            block = self._block(position)
            if "{bar}" in template:
                statements.append(self.format(template, bar=bar, block=block))
                continue
            term = self.format(template, block=block)
            if self.template.elementwise and self.shapes[position] != self.shape:
                term = _summed_to(term, self.shapes[position], self.shape)
            statements.append(f"{bar} -= {term[1:]}" if term.startswith("-") else f"{bar} += {term}")
        return statements

    def _block(self, position):
        """For stack and concatenate: the index of argument `position`'s part of the result."""
        if self.row.op not in ("stack", "concatenate"):
            return ""
        axis = self.row.params["axis"] % len(self.shape)
        if self.row.op == "stack":
            selector = str(position)
        else:
            start = sum(s[axis] for s in self.shapes[:position])
            selector = f"{start}:{start + self.shapes[position][axis]}"
        return ", ".join([":"] * axis + [selector])


# -- programs -----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class GeneratedCode:
    """Generated source and the function compiled from it; call it like the function.

    The program is the path f took where it was traced. If f looked at its values on the way (a
    comparison, ``bool(x)``), each call first checks that f takes the same path at the new inputs,
    and refuses with one sentence where it does not; a program of f without such looks runs as is.

    A call passes Python floats to the program as ``np.float64``, so its arithmetic is NumPy's, as the
    engine's is: ``1.0 / 0.0`` is inf and ``(-8.0) ** (1/3)`` nan (with NumPy's warning), not a
    ZeroDivisionError or a complex number; except beside a float32 argument, which a Python float
    leaves float32 and an np.float64 would not. (``function`` itself takes the arguments as they are.)
    """

    source: str
    function: object
    kind: str          # "tangent" or "adjoint"
    trace: Trace
    same_path: object = None  # inputs -> bool, where f's path may depend on its values

    def __call__(self, *args):
        if self.same_path is not None and not self.same_path(args[: self.trace.n_inputs]):
            raise ValueError(
                f"this {self.kind} program follows the path {self.trace.function_name} took where it was traced, "
                f"and at these inputs its comparisons take another one: generate it again there "
                f"(codegen.{self.kind}_program(f, …)), or use adlab.compiled, which re-traces by itself.")
        defaults = self.function.__defaults__ or ()  # ȳ = 1.0 when left out: passed, so it is converted too
        missing = self.function.__code__.co_argcount - len(args)
        if 0 < missing <= len(defaults):
            args = (*args, *defaults[len(defaults) - missing:])
        return self.function(*_numpy_floats(args))

    def __repr__(self):
        return self.source

    def _repr_markdown_(self):
        return f"```python\n{self.source}```"

    def _repr_html_(self):
        return f"<pre><code class=\"language-python\">{html.escape(self.source)}</code></pre>"


def _numpy_floats(args):
    """Python floats as np.float64 (NumPy's arithmetic: inf and nan, not exceptions and complex numbers),
    unless an argument is a narrower float, which a Python float leaves as it is (NumPy's promotion)."""
    if any(isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f" and a.dtype.itemsize < 8 for a in args):
        return args
    return [np.float64(a) if type(a) is float else a for a in args]


_compiled = itertools.count()


def _as_trace(f_or_trace, args):
    if isinstance(f_or_trace, Trace):
        if args:
            raise TypeError("pass either a trace or a function and its arguments, not a trace and arguments.")
        return f_or_trace
    return record_trace(f_or_trace, *args)


def _python_name(name):
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return name if name.isidentifier() and name != "_lambda_" else "f"


def _rows(trace, constants):
    return [(row, _RowSource(row, constants)) for row in trace if not row.is_input]


def _header(trace, constants):
    """Comment lines naming the inputs, outputs and constant arrays."""
    inputs = ", ".join(f"{r.label} = {variable(r.index)}" for r in trace if r.is_input)
    outputs = ", ".join(f"{trace[i].label} = {variable(i)}" for i in trace.outputs if i is not None)
    lines = [f"    # {inputs}" + (f"; {outputs}" if outputs else "")]
    lines += [f"    # {name}: a constant array of shape {value.shape}" for name, value in constants.values.items()]
    return lines


def _output_source(trace, suffix, constants):
    """The returned values (suffix "") or tangents (suffix "_dot"), as one expression."""
    items = []
    for index, value in zip(trace.outputs, trace.output_values):
        if index is not None:
            items.append(variable(index, suffix))
        else:
            items.append(_zeros(value) if suffix else _literal(value, constants))
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def _compile(source, name, constants, kind, trace):
    filename = f"<adlab.codegen {kind} #{next(_compiled)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the lines
    namespace = {"np": np, "math": math, "logsumexp": rules.logsumexp.impl, **constants.values}
    exec(compile(source, filename, "exec"), namespace)
    function = namespace[name]
    weakref.finalize(function, linecache.cache.pop, filename, None)  # the lines live as long as the program
    return GeneratedCode(source, function, kind, trace, _path_check(trace))


def _path_check(trace):
    """A check that f takes the traced path at new inputs, or None where f never looked at its values.

    Only where f computed something from its values (Trace.reads_values) can the path change, and only
    then do calls pay for a new trace.
    """
    f, args = trace.function, trace.args
    leaves = all(isinstance(a, (float, np.ndarray)) for a in args) and len(args) == trace.n_inputs
    if f is None or not leaves or not trace.reads_values:
        return None
    path = _operations(trace)
    return lambda inputs: _operations(record_trace(f, *inputs)) == path


def _operations(trace):
    """Each row's primitive, arguments and shapes, and the constants it was given (a mask from x > 0, an
    index from np.argsort(x) is a constant the program holds: where it would differ, so does the path)."""
    return [(row.op, row.inputs, tuple(map(np.shape, (o.value for o in row.operands))),
             tuple(_constant_key(o.value) for o in row.operands if o.index is None),
             tuple((name, _constant_key(value)) for name, value in row.params.items())) for row in trace]


def _constant_key(value):
    """A constant, comparable with == (numbers and arrays as their bytes: nan equals nan)."""
    if isinstance(value, (tuple, list)):
        return type(value), tuple(_constant_key(v) for v in value)
    if isinstance(value, slice):
        return slice, _constant_key((value.start, value.stop, value.step))
    if isinstance(value, (bool, int, float, complex, np.ndarray, np.generic)):
        array = np.asarray(value)
        return type(value), array.dtype.str, array.shape, array.tobytes()
    return value


def tangent_program(f_or_trace, *args):
    """Forward-mode source: returns (y, ẏ) for inputs x and tangents ẋ; one JVP per call.

    Give a trace, or f and the arguments to trace it at. The program's
    arguments are the inputs v_m1, v0 … then their tangents v_m1_dot, v0_dot ….
    """
    trace = _as_trace(f_or_trace, args)
    constants = _Constants()
    rows = _rows(trace, constants)
    inputs = [variable(r.index) for r in trace if r.is_input]
    name = f"{_python_name(trace.function_name)}_tangent"
    body = []
    for row, source in rows:
        body.append(f"    {variable(row.index)} = {source.primal()}")
        body.append(f"    {variable(row.index, '_dot')} = {source.tangent()}")
    body.append(f"    return {_output_source(trace, '', constants)}, {_output_source(trace, '_dot', constants)}")
    signature = ", ".join(inputs + [f"{x}_dot" for x in inputs])
    source = "\n".join([f"def {name}({signature}):", *_header(trace, constants), *body]) + "\n"
    return _compile(source, name, constants, "tangent", trace)


def adjoint_program(f_or_trace, *args):
    """Reverse-mode source: returns (y, (x̄_1, x̄_2 …)) for inputs x and output adjoints ȳ; one VJP per call.

    The forward sweep computes and keeps every v_i; the reverse sweep starts
    every adjoint at zero, seeds the outputs with ȳ and then, row by row from
    the last, adds each row's contribution to the adjoints of its arguments.
    Rows with no path to an output are skipped: their adjoints stay zero.
    ȳ defaults to 1.0 when f returns one number.

    An adjoint starts as the number 0.0 even for an array, and its first
    ``+=`` makes a new array of the right shape (every contribution has its
    argument's full shape); only an adjoint updated in part (``v0_bar[1:] +=``)
    starts as np.zeros.
    """
    trace = _as_trace(f_or_trace, args)
    constants = _Constants()
    rows = _rows(trace, constants)
    inputs = [variable(r.index) for r in trace if r.is_input]
    outputs = [(index, np.shape(value)) for index, value in zip(trace.outputs, trace.output_values)]
    seeds = ["y_bar"] if len(outputs) == 1 else [f"y{k + 1}_bar" for k in range(len(outputs))]
    name = f"{_python_name(trace.function_name)}_adjoint"
    body = ["    # forward sweep"]
    body += [f"    {variable(row.index)} = {source.primal()}" for row, source in rows]
    live = _live_rows(trace)
    updated_in_part = {row.inputs[0] for row in trace if row.op == "getitem" and row.index in live}
    body.append("    # reverse sweep: adjoints start at 0, then one term per use")
    body += [f"    {variable(row.index, '_bar')} = {_zeros(row.value) if row.index in updated_in_part else '0.0'}"
             for row in reversed(trace.rows) if row.index in live]
    body += [f"    {variable(index, '_bar')} += {seed}" for (index, _), seed in zip(outputs, seeds) if index is not None]
    for row, source in reversed(rows):
        if row.index in live:
            body += [f"    {statement}" for statement in source.adjoint_statements()]
    input_bars = ", ".join(variable(r.index, "_bar") if r.index in live else _zeros(r.value)
                           for r in trace if r.is_input)
    body.append(f"    return {_output_source(trace, '', constants)}, ({input_bars}{',' if len(inputs) == 1 else ''})")
    default = "=1.0" if len(outputs) == 1 and outputs[0][1] == () else ""
    signature = ", ".join(inputs + [f"{seed}{default}" for seed in seeds])
    source = "\n".join([f"def {name}({signature}):", *_header(trace, constants), *body]) + "\n"
    return _compile(source, name, constants, "adjoint", trace)
