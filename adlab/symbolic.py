"""Symbolic differentiation with SymPy, side by side with AD.

A trace is a straight-line program; inlining every intermediate v_i into the
rows that use it gives one SymPy expression (``expression``). ``from_function``
instead runs f on symbols, which works while f's control flow does not depend
on the values (a branch on a symbol has no answer). Differentiating the
expression symbolically and evaluating it agrees with AD (``compare``) but the
expressions swell: ``expression_swell`` measures it for the course notes'
three examples, and ``sympy.cse`` shows that sharing the repeated parts again
brings the derivative back to a straight-line program the size of AD's.

Both run the same interpreter, ``SymbolicLevel``: a level of the engine, like
forward mode's or reverse mode's, whose ``process`` applies a primitive's SymPy
counterpart (``SYMPY``) instead of its JVP or VJP rules. Only scalar code
converts: one symbol per input number. Imported on demand; ``import adlab``
does not load SymPy, and neither does importing this module: SymPy (about 35 MB
of a kernel's memory) loads when an expression is first built, so the exercise
bank can import it in every lesson for free.
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass
from functools import cache, partial

import numpy as np

from .core import rules as r
from .core.api import grad
from .core.arraybox import ArrayBox
from .core.interpreter import Level, bind
from .cost import jvp_ops, ops, vjp_ops
from .tracing import Trace, trace as record_trace

__all__ = [
    "SYMPY", "sympy_rules", "ARRAY_PRIMITIVES", "SymbolicBox", "SymbolicLevel", "SymbolicError", "Comparison",
    "SwellRow", "SwellTable",
    "expression", "from_function", "gradient", "evaluate", "compare",
    "product_chain", "softplus_layers", "logistic_map", "SWELL_EXAMPLES",
    "expression_swell", "plot_expression_swell",
]


class SymbolicError(ValueError):
    """f (or its trace) has no closed-form SymPy expression; the message says why."""


def _clip(x, low=None, high=None):
    import sympy as sp

    if low is not None:
        x = sp.Max(x, low)
    return x if high is None else sp.Min(x, high)


def _where(condition, x, y):
    """A branch written as data: a Piecewise expression, or the branch taken where the condition is a known bool."""
    import sympy as sp

    return sp.Piecewise((x, condition), (y, True))


@cache
def sympy_rules():
    """The SymPy counterpart of each scalar primitive: the SymPy level's rule table (``SYMPY``)."""
    import sympy as sp

    return {
        r.add: operator.add, r.subtract: operator.sub, r.multiply: operator.mul, r.divide: operator.truediv,
        r.negative: operator.neg, r.power: operator.pow,
        r.exp: sp.exp, r.log: sp.log, r.log1p: lambda x: sp.log(1 + x), r.expm1: lambda x: sp.exp(x) - 1,
        r.sqrt: sp.sqrt, r.sin: sp.sin, r.cos: sp.cos, r.tan: sp.tan,
        r.arcsin: sp.asin, r.arccos: sp.acos, r.arctan: sp.atan, r.sinh: sp.sinh, r.cosh: sp.cosh, r.tanh: sp.tanh,
        r.absolute: sp.Abs, r.maximum: sp.Max, r.minimum: sp.Min, r.clip: _clip, r.where: _where,
    }


def __getattr__(name):
    """``adlab.symbolic.SYMPY``, the rule table, built (and SymPy imported) when first asked for."""
    if name == "SYMPY":
        return sympy_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Primitives with no place in a scalar expression: they exist for arrays (or, like x mod y, have
# no closed form SymPy differentiates); the SymPy level refuses them in one sentence.
ARRAY_PRIMITIVES = {
    r.remainder, r.sum_, r.prod, r.max_, r.min_, r.logsumexp, r.matmul, r.outer, r.transpose, r.reshape,
    r.broadcast_to, r.concatenate, r.stack, r.getitem, r.scatter_add, r.set_at,
}


def _number(value):
    """A constant of the trace as SymPy: integers exact (4.0 reads as 4), other floats as Float."""
    if isinstance(value, (bool, np.bool_)) or np.asarray(value).dtype == bool:
        return bool(value)
    if np.ndim(value) != 0:
        raise SymbolicError(f"the constant array of shape {np.shape(value)} has no place in a scalar expression; "
                            f"adlab.symbolic converts code on numbers, not arrays.")
    import sympy as sp

    number = float(value)
    return sp.Integer(int(number)) if number.is_integer() else sp.Float(number)


def _symbols(names):
    import sympy as sp

    return tuple(sp.Symbol(name, real=True) for name in names)


def _default_symbols(f, count):
    """f's parameter names when they match its inputs one to one, else x_1 … x_n."""
    try:
        parameters = [p.name for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    names = parameters if len(parameters) == count else [f"x_{k + 1}" for k in range(count)]
    return _symbols(names)


def _as_symbols(symbols, count, f):
    if symbols is None:
        return _default_symbols(f, count)
    if isinstance(symbols, str):
        symbols = _symbols(symbols.replace(",", " ").split())
    symbols = tuple(symbols)
    if len(symbols) != count:
        raise ValueError(f"{count} input(s) need {count} symbol(s), got {len(symbols)}.")
    return symbols


def _single(items):
    return items[0] if len(items) == 1 else tuple(items)


# -- from a trace ---------------------------------------------------------------------


def expression(trace, symbols=None):
    """The SymPy expression of a trace's output: every v_i inlined into the rows that use it.

    ``symbols`` (SymPy symbols, or names as one string) stand for the inputs;
    by default f's parameter names, else x_1 … x_n. A tuple for several outputs.
    The trace followed one path through f's branches, so the expression is f
    only where f takes that path.
    """
    if not isinstance(trace, Trace):
        raise TypeError("expression() takes a trace (adlab.trace(f, *args)); for a function use from_function().")
    inputs = [row for row in trace if row.is_input]
    symbols = _as_symbols(symbols, len(inputs), trace.function)
    values = {}
    for position, (row, symbol) in enumerate(zip(inputs, symbols)):
        if row.shape != ():
            raise SymbolicError(f"input x_{position + 1} is an array of shape {row.shape}; adlab.symbolic "
                                f"converts scalar traces only (one symbol per input number).")
        values[row.index] = symbol
    level = SymbolicLevel()
    values = {index: SymbolicBox(symbol, level) for index, symbol in values.items()}
    for row in trace:
        if not row.is_input:
            values[row.index] = _convert(row, values)
    return _single([_number(v) if i is None else values[i].value for i, v in zip(trace.outputs, trace.output_values)])


def _convert(row, values):
    """One row replayed at the SymPy level: its primitive bound to its operands' expressions."""
    name = f"v_{row.index}"
    if row.shape != () or any(np.ndim(o.value) != 0 for o in row.operands):
        raise SymbolicError(f"{name} = {row.op}(…) works on arrays; adlab.symbolic converts scalar traces only.")
    if row.primitive not in sympy_rules():
        raise SymbolicError(f"{name} = {row.op}(…): the primitive '{row.op}' has no SymPy counterpart in "
                            f"adlab.symbolic.SYMPY, so the trace has no closed-form expression.")
    return bind(row.primitive, *[values[o.index] if o.index is not None else o.value for o in row.operands],
                **row.params)


# -- from a function ------------------------------------------------------------------


_BRANCH = ("{name} branches on the value of its input (if, while, a comparison, min or max), which a symbol "
           "does not have: SymPy needs one closed-form expression for every input, while AD only follows "
           "the branch taken at the numbers it is given.")


class SymbolicBox(ArrayBox):
    """A SymPy expression traced at a SymPy level: Python operators and NumPy functions bind primitives.

    Comparisons give SymPy relations, which have no truth value: `if x > 0`
    on a symbol fails, and from_function turns that into a SymbolicError.
    """

    __slots__ = ()

    def __init__(self, value, level):
        self.value = value
        self.level = level

    def __float__(self):
        raise SymbolicError("f needs a number here (float(), int() or the math module), but its input is a symbol; "
                            "use NumPy functions such as np.sin, which adlab.symbolic maps to SymPy.")

    __int__ = __index__ = __float__


class SymbolicLevel(Level):
    """SymPy as an interpreter: each primitive call becomes its SymPy counterpart's expression (SYMPY).

    Forward mode pushes tangents through JVP rules, reverse mode records a
    tape; this level builds an expression, to be differentiated by SymPy's rules.
    """

    __slots__ = ()

    def process(self, prim, args, params):
        rule = sympy_rules().get(prim)
        if rule is None:
            if prim in ARRAY_PRIMITIVES:
                raise SymbolicError(f"{prim.name}(…) works on arrays; adlab.symbolic converts code on numbers only.")
            raise SymbolicError(f"the primitive '{prim.name}' has no SymPy counterpart in adlab.symbolic.SYMPY.")
        values = [a.value if type(a) is SymbolicBox and a.level is self else _constant(a) for a in args]
        return SymbolicBox(rule(*values, **{k: _constant(v) for k, v in params.items()}), self)


def _constant(x):
    """A constant as SymPy: numbers via _number; SymPy objects (a comparison of symbols) and None as they are."""
    import sympy as sp

    return x if x is None or isinstance(x, sp.Basic) else _number(x)


def from_function(f, *symbols):
    """The SymPy expression of f, by calling f on symbols (f's parameter names by default).

    f may use Python arithmetic and NumPy functions on numbers; a loop with a
    fixed count unrolls, and np.where becomes a Piecewise expression. A Python
    branch on the input's value has no closed form: that raises SymbolicError,
    though AD differentiates f (along the branch taken) without trouble.
    """
    if len(symbols) == 1 and isinstance(symbols[0], str):
        symbols = _symbols(symbols[0].replace(",", " ").split())
    if not symbols:
        required = [p for p in inspect.signature(f).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
        symbols = _symbols([p.name for p in required])
    name = getattr(f, "__name__", "f")
    level = SymbolicLevel()
    try:
        result = f(*[SymbolicBox(s, level) for s in symbols])
    except TypeError as error:
        if "truth value" in str(error):
            raise SymbolicError(_BRANCH.format(name=name)) from error
        raise
    finally:
        level.finished = f"adlab.symbolic.from_function({name})"
    items = result if isinstance(result, (tuple, list)) else (result,)
    return _single([item.value if type(item) is SymbolicBox and item.level is level else _constant(item)
                    for item in items])


# -- derivatives and values -----------------------------------------------------------


def gradient(expr, symbols):
    """∂expr/∂s for each symbol s, by SymPy's rules, with no simplification and no shared subexpressions."""
    import sympy as sp

    if isinstance(symbols, (str, sp.Symbol)):
        symbols = (symbols,)
    by_name = {s.name: s for s in getattr(expr, "free_symbols", ())}
    # "x" names expr's own symbol x; sp.Symbol("x") would be another symbol (its assumptions differ) with derivative 0
    return tuple(sp.diff(expr, by_name.get(s, sp.Symbol(s)) if isinstance(s, str) else s) for s in symbols)


def evaluate(expr, symbols, values):
    """expr at symbols = values, as a float.

    Only SymPy expressions and numbers: sympify would run a string as Python code.
    """
    import sympy as sp

    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        expr = sp.Float(expr)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"evaluate takes a SymPy expression, not a {type(expr).__name__}; build one from symbols "
                        f"(x = sympy.Symbol('x'); x**2) or with adlab.symbolic.from_function(f).")
    if len(symbols) != len(values):
        raise ValueError(f"evaluate needs one value per symbol: {len(symbols)} symbol(s), {len(values)} value(s).")
    return float(expr.evalf(subs=dict(zip(symbols, values))))


@dataclass(frozen=True)
class Comparison:
    """A symbolic gradient and AD's at one point."""

    expression: object
    symbols: tuple
    gradient: tuple             # SymPy expressions, one per input
    symbolic: tuple             # their values at the point
    ad: tuple                   # adlab.grad's values
    point: tuple

    @property
    def max_difference(self):
        return max(abs(s - a) for s, a in zip(self.symbolic, self.ad))

    def __repr__(self):
        lines = [f"f = {self.expression}"]
        for s, d, value, ad in zip(self.symbols, self.gradient, self.symbolic, self.ad):
            lines.append(f"∂f/∂{s} = {d}")
            lines.append(f"    symbolic {value!r}, AD {ad!r}")
        lines.append(f"largest difference: {self.max_difference:.3g}")
        return "\n".join(lines)


def compare(f, *args, symbols=None):
    """f's gradient at args by SymPy (trace → expression → diff → evaluate) and by adlab.grad."""
    trace = record_trace(f, *args)
    if len(trace.outputs) != 1:
        raise SymbolicError("compare() needs f to return one number, since it compares gradients.")
    inputs = [row for row in trace if row.is_input]
    symbols = _as_symbols(symbols, len(inputs), f)
    expr = expression(trace, symbols)
    derivatives = gradient(expr, symbols)
    point = tuple(float(row.value) for row in inputs)
    symbolic = tuple(evaluate(d, symbols, point) for d in derivatives)
    ad = grad(f, argnums=tuple(range(len(args))))(*args)
    return Comparison(expr, symbols, derivatives, symbolic, tuple(float(a) for a in ad), point)


# -- expression swell -----------------------------------------------------------------


def product_chain(x, depth):
    """h_0 = x, h_k = h_{k-1}·sin(k x): the product rule applied `depth` times."""
    h = x
    for k in range(1, depth + 1):
        h = h * np.sin(k * x)
    return h


def softplus_layers(x, depth, w=0.5, b=0.25):
    """`depth` soft-ReLU layers s ← log(1 + exp(w s + b)), starting from s = x."""
    s = x
    for _ in range(depth):
        s = np.log(1 + np.exp(w * s + b))
    return s


def logistic_map(x, depth):
    """l_0 = x, l_{k+1} = 4 l_k (1 − l_k), iterated `depth` times."""
    l = x  # noqa: E741 - the map's own name
    for _ in range(depth):
        l = 4 * l * (1 - l)
    return l


# name: (f(x, depth), the point x at which the trace is recorded)
SWELL_EXAMPLES = {
    "product rule": (product_chain, 0.7),
    "softplus layers": (softplus_layers, 0.7),
    "logistic map": (logistic_map, 0.3),
}


def _cse_ops(expr):
    """Operations of expr written as a straight-line program: sympy.cse's assignments plus what remains."""
    import sympy as sp

    assignments, reduced = sp.cse(expr)
    return sum(sp.count_ops(value) for _, value in assignments) + sum(sp.count_ops(e) for e in reduced)


@dataclass(frozen=True)
class SwellRow:
    """One example at one depth: sizes in elementary operations."""

    example: str
    depth: int
    f_ops: int            # SymPy expression of f (sympy.count_ops)
    derivative_ops: int   # its naive symbolic derivative
    cse_ops: int          # the derivative after sympy.cse
    trace_ops: int        # ops(f): rows of AD's trace
    jvp_ops: int          # AD forward sweep: f and its tangent
    vjp_ops: int          # AD reverse mode: forward and reverse sweeps


_COLUMNS = (("example", "example"), ("depth", "depth"), ("f_ops", "f (SymPy)"), ("derivative_ops", "f′ naive"),
            ("cse_ops", "f′ after cse"), ("trace_ops", "AD trace"), ("jvp_ops", "AD forward"),
            ("vjp_ops", "AD reverse"))


class SwellTable(list):
    """Rows of expression_swell, shown as a table of operation counts."""

    def __repr__(self):
        cells = [[label for _, label in _COLUMNS]] + [[str(getattr(r, field)) for field, _ in _COLUMNS] for r in self]
        widths = [max(len(row[k]) for row in cells) for k in range(len(_COLUMNS))]
        lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
                 for row in cells]
        return "\n".join(lines)

    def _repr_html_(self):
        from .display.tables import plain_table

        rows = [[getattr(r, field) for field, _ in _COLUMNS] for r in self]
        return plain_table("Operations: symbolic derivative against AD", [label for _, label in _COLUMNS], rows,
                           row_headers=False, numeric=range(1, len(_COLUMNS)))


def expression_swell(depths=range(1, 7), examples=None):
    """Sizes of the symbolic derivative and of AD's work, for each example at each depth.

    Each example is traced at its point; the trace's expression (``expression``)
    is differentiated by SymPy as is, then compressed by ``sympy.cse``; the AD
    columns count the operations of the trace and of one forward and one
    reverse sweep.
    """
    depths = list(depths)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in depths):
        raise ValueError(f"depths are how many times each example is nested: whole numbers ≥ 0, not {depths!r}.")
    import sympy as sp

    examples = SWELL_EXAMPLES if examples is None else examples
    x = sp.Symbol("x", real=True)
    table = SwellTable()
    for name, (family, point) in examples.items():
        for depth in depths:
            f = partial(family, depth=depth)
            f.__name__ = name
            trace = record_trace(f, point)
            expr = expression(trace, [x])
            derivative = sp.diff(expr, x)
            table.append(SwellRow(name, depth, int(sp.count_ops(expr)), int(sp.count_ops(derivative)),
                                  _cse_ops(derivative), ops(trace), jvp_ops(f, point), vjp_ops(f, point)))
    return table


def plot_expression_swell(table=None, depths=range(1, 9)):
    """One log-scale panel per example: symbolic derivative sizes against AD's, over depth.

    Returns a matplotlib Figure without pyplot, so nothing is shown twice in a notebook.
    """
    from matplotlib.figure import Figure

    table = expression_swell(depths) if table is None else table
    examples = list(dict.fromkeys(row.example for row in table))
    figure = Figure(figsize=(4.5 * len(examples), 3.8), layout="constrained")
    axes = figure.subplots(1, len(examples), squeeze=False)
    lines = (("derivative_ops", "f' symbolic, naive", "o-"), ("cse_ops", "f' symbolic after cse", "s-"),
             ("vjp_ops", "AD reverse sweep", "^--"), ("jvp_ops", "AD forward sweep", "v--"),
             ("trace_ops", "AD trace of f", "x:"))
    for ax, example in zip(axes[0], examples):
        rows = [row for row in table if row.example == example]
        for field, label, style in lines:
            ax.plot([r.depth for r in rows], [getattr(r, field) for r in rows], style, label=label)
        ax.set_yscale("log")
        ax.set_title(example)
        ax.set_xlabel("depth n")
    axes[0][0].set_ylabel("operations")
    axes[0][0].legend(fontsize="small")
    return figure
