"""`%load_ext adlab`: the %trace / %%trace magics, so a class can trace anything in one line.

The magic only reads what the user typed, builds a function, and hands it to
the public API (`adlab.trace`, `Trace.forward/.reverse`, the display modules);
every mistake in what was typed becomes one UsageError line, never a traceback.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import re
import tokenize
import traceback

import numpy as np
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from .core.rules import PRIMITIVES, negative
from .trace import as_float, trace as record_trace

# Bare names an expression may use for elementary functions: numpy's, which adlab
# differentiates. They win over the notebook's names (a `from math import log`
# would otherwise turn the traced value into a constant). Every one-argument primitive
# ufunc by its name (sin, tanh, abs …; not negative, which is written -x), and a few more.
ELEMENTARY = {prim.name: getattr(np, prim.name) for prim in PRIMITIVES
              if prim.ufunc is not None and prim.ufunc.nin == 1 and prim is not negative} | {
    name: getattr(np, name) for name in ("square", "maximum", "minimum", "sum", "prod", "mean", "dot")
} | {"ln": np.log}
OPTIONS = "--forward X, --reverse, --reverse=Y, --graph, --explore"
USAGE = ("%trace [options] EXPRESSION at x1=3, x2=-4   |   %trace [options] FUNCTION at 3, -4   |   "
         "%%trace [options] at x1=3, x2=-4 (cell: statements ending with an expression); options: " + OPTIONS)
_ADLAB_DIR = os.path.dirname(os.path.abspath(__file__))
_CELL_FILE = "<%%trace cell>"
_TOO_LONG = ("this expression is too long for Python to compile in one piece (its compiler stops at a few thousand "
             "operations in one expression, fewer in a cell); split it into statements in a %%trace cell, or write "
             "a function with a loop and trace that: %trace f at x1=3.")
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@magics_class
class TraceMagics(Magics):
    """The magics `%load_ext adlab` adds; `displaced` keeps any same-named magics to restore on unload."""

    displaced = None

    @no_var_expand  # IPython's $name/{expr} expansion is quadratic in the line's length and mangles dict literals
    @line_cell_magic
    def trace(self, line, cell=None):
        """Trace an expression, a function or a cell at given inputs; show its table, DAG or explorer.

        Line magic, cell magic:

            %trace [options] EXPRESSION at x1=3, x2=-4
            %trace [options] FUNCTION at 3, -4          (or named: at x1=3, x2=-4)
            %%trace [options] at x1=3, x2=-4
            <statements ending with an expression: the output y>

        Options, before the expression:

            --forward X   forward sweep along input X: ẋ = 1 for X (ones for an array), 0 for
                          the others. X is the input's name (x2, or dx2), or x1, x2 … by position.
            --reverse     reverse sweep from the output, ȳ = 1 (ones for an array output).
            --reverse=Y   reverse sweep from output Y (y1, y2 …) when f returns several values.
            --graph       show the computation graph (DAG) instead of the table.
            --explore     open the sweep explorer: sliders, a step-by-step sweep, the Jacobian.

        Inputs are x_1, x_2 … in the order given; 3 means 3.0, a list becomes an array.
        A trailing # comment is ignored, as in Python.
        Expressions may use np, numpy's elementary functions by bare name (sin, cos, tan,
        exp, log or ln, sqrt, tanh, abs, maximum, sum, dot …) and any name in the notebook.

        The result is the trace (`t = %trace ...` keeps it: t.to_latex(), t.reverse()),
        the graph, or the explorer.

        Examples, Eq. 5 of the course notes (Tables 1-3):

            %trace x1*x2 + x2 - ln(x1) at x1=2, x2=4
            %trace --forward x2 x1*x2 + x2 - ln(x1) at x1=3, x2=-4
            %trace --reverse x1*x2 + x2 - ln(x1) at x1=3, x2=-4
            %trace --graph --reverse f at 3, -4
            %trace --explore f at 3, -4

            %%trace --reverse at x1=3, x2=-4
            v1 = x1 * x2
            v2 = ln(x1)
            v1 + x2 - v2
        """
        options, rest = _split_options(_without_comment(line))
        namespace = {"np": np, "numpy": np, **self.shell.user_ns, **ELEMENTARY}
        if cell is None:
            body, values_text = _split_at(rest, options)
        else:
            if not re.fullmatch(r"at\s+\S.*", rest, re.DOTALL):
                raise UsageError(f"write the inputs on the %%trace line: %%trace at x1=3, x2=-4 (got '{rest}').")
            body, values_text = cell, rest[2:]
        if re.search(r"(^|\s)--[A-Za-z]", values_text):
            raise UsageError(f"options go before the expression: %trace --reverse f at 3, -4 (got '{line.strip()}').")
        positional, named = _parse_values(values_text, namespace)
        if cell is None and _looks_like_function(body, named, namespace):
            f, args, names = _bind_function(body, positional, named, namespace)
        else:
            f, args, names = _compile(body, positional, named, namespace, as_cell=cell is not None)
        try:
            primal = record_trace(f, *args)
        except Exception as error:  # the user's code failed: say what and where, in one line
            raise UsageError(_describe(error)) from None
        return _show(primal, options, names)


def _without_comment(line):
    """The line without a trailing # comment (a # inside a string is kept), as Python reads it."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return line[:token.start[1]]
    except (tokenize.TokenError, SyntaxError):  # e.g. an unclosed bracket: reported when the line is read
        pass
    return line


def _split_options(line):
    """Leading --options, and the rest of the line."""
    options = {}
    rest = line.strip()
    while rest.startswith("--"):
        match = re.match(r"--([\w-]+)(?:=(\S*))?(\s+|$)", rest)
        if not match:
            raise UsageError(f"cannot read the option in '{rest.split()[0]}'; the options are {OPTIONS}.")
        name, value = match.group(1), match.group(2)
        rest = rest[match.end():]
        if name == "forward" and not value:
            value, _, rest = rest.partition(" ")
            rest = rest.lstrip()
            if not value:
                raise UsageError("--forward needs an input: --forward x2 (or --forward=x2).")
        elif name in ("graph", "explore") and value is not None:
            raise UsageError(f"--{name} takes no value.")
        elif name not in ("forward", "reverse", "graph", "explore"):
            raise UsageError(f"unknown option --{name}; the options are {OPTIONS}.")
        if name in options:
            raise UsageError(f"--{name} is given twice; a trace has one sweep: give it once "
                             f"(another input is another %trace).")
        options[name] = value
    if "forward" in options and "reverse" in options:
        raise UsageError("choose one sweep: --forward X or --reverse.")
    if "graph" in options and "explore" in options:
        raise UsageError("choose one view: --graph or --explore.")
    return options, rest


def _split_at(text, options):
    """EXPRESSION at VALUES: split at the last ` at `."""
    if re.match(r"at\s", text):
        hint = f" (--forward took '{options['forward']}' as its input)" if "forward" in options else ""
        raise UsageError(f"nothing to trace before 'at'{hint}: {USAGE}")
    match = re.fullmatch(r"(.*\S)\s+at\s+(\S.*)", text, re.DOTALL)
    if not match:
        raise UsageError(f"say where to evaluate: {USAGE}" if text else USAGE)
    return match.group(1), match.group(2)


def _parse_values(text, namespace):
    """`x1=3, x2=-4` or `3, -4`: Python call syntax, values evaluated in the notebook."""
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        raise UsageError(f"cannot read the input values '{text}': write x1=3, x2=-4 (or 3, -4 for a function).")

    def value(node, name):
        try:
            v = eval(compile(ast.Expression(node), "<%trace values>", "eval"), namespace)
        except Exception as error:
            raise UsageError(f"cannot evaluate the value of {name}: {type(error).__name__}: {error}") from None
        try:
            return as_float(v, name)
        except TypeError as error:
            raise UsageError(str(error)) from None

    names = [k.arg for k in call.keywords]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"{repeated[0]} is given two values; give each input once (Python refuses a repeated keyword too).")
    positional = [value(node, f"input {k + 1}") for k, node in enumerate(call.args)]
    named = {k.arg: value(k.value, k.arg) for k in call.keywords}
    return positional, named


def _looks_like_function(body, named, namespace):
    """`f` or `module.f` naming a callable (not an input), or a lambda."""
    if body.lstrip().startswith("lambda"):
        return True
    if not _DOTTED_NAME.fullmatch(body) or body.split(".")[0] in named:
        return False
    try:
        return callable(eval(body, namespace))
    except Exception:
        return False


def _bind_function(body, positional, named, namespace):
    """The notebook's function, its positional arguments, and a name per input."""
    try:
        f = eval(body, namespace)
    except SyntaxError as error:
        raise UsageError(f"syntax error in '{body}': {error.msg}.") from None
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # builtins and primitives: positional values only
        if named:
            raise UsageError(f"{body} has no signature to match names against: give values by position.") from None
        return f, positional, [None] * len(positional)
    try:
        bound = signature.bind(*positional, **named)
    except TypeError as error:
        raise UsageError(f"{body}{signature}: {error}.") from None
    if bound.kwargs:
        raise UsageError(f"{body}: keyword-only arguments ({', '.join(bound.kwargs)}) cannot be traced inputs.")
    params = [p.name for p in signature.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = params[: len(bound.args)] + [None] * (len(bound.args) - len(params))
    return f, bound.args, names


def _compile(body, positional, named, namespace, as_cell):
    """f(inputs) from an expression, or from a cell whose last expression is the output."""
    if positional and not as_cell and re.fullmatch(r"[A-Za-z_][\w.]*", body.strip()):
        name = body.strip()  # "%trace g at 3": g is meant as a function
        try:
            found = eval(name, namespace)
        except Exception:
            raise UsageError(f"{name} is not defined: define the function first (def {name}(x): ...), or "
                             f"write an expression with named inputs, e.g. %trace x**2 at x=3.") from None
        raise UsageError(f"{name} is a {type(found).__name__}, not a function: %trace FUNCTION at 3, -4 needs a "
                         f"function; write an expression with named inputs instead, e.g. %trace x**2 at x=3.")
    if positional or not named:
        where = "%%trace at x1=3, x2=-4" if as_cell else f"%trace {body} at x1=3, x2=-4"
        raise UsageError(f"name the inputs, e.g. {where}." if positional else f"give the inputs values: {where}.")
    names = list(named)
    filename = _CELL_FILE if as_cell else "<%trace>"
    try:
        if not as_cell:  # compiled as Python compiles it, so as long an expression as Python allows
            compile(body.strip(), filename, "eval")  # one expression, or a SyntaxError
            source = f"def f({', '.join(names)}):\n    return (\n{body.strip()}\n    )\n"
            scope = dict(namespace)
            exec(compile(source, filename, "exec"), scope)
            return scope["f"], [named[n] for n in names], names
        # a cell's line 1 is the %%trace line: number the body from 2, as the notebook shows it
        statements = ast.increment_lineno(ast.parse(body, filename, mode="exec"), 1).body
    except SyntaxError as error:
        where = f" (line {error.lineno + 1} of the cell)" if as_cell else ""
        raise UsageError(f"syntax error in '{(error.text or body).strip()}'{where}: {error.msg}.") from None
    except (RecursionError, MemoryError):
        raise UsageError(_TOO_LONG) from None
    if isinstance(statements[-1], ast.Expr):
        statements[-1] = ast.copy_location(ast.Return(statements[-1].value), statements[-1])
    if not any(isinstance(node, ast.Return) for s in statements for node in ast.walk(s)):
        raise UsageError("end the cell with an expression: the output y (or return it).")
    module = ast.parse(f"def f({', '.join(names)}): pass")
    module.body[0].body = statements
    scope = dict(namespace)
    try:
        exec(compile(ast.fix_missing_locations(module), filename, "exec"), scope)
    except (RecursionError, MemoryError):
        raise UsageError(_TOO_LONG) from None
    return scope["f"], [named[n] for n in names], names


def _describe(error):
    """One line for an error in the user's code: what, where (in a cell or a function), and the detail."""
    if isinstance(error, NameError) and getattr(error, "name", None):
        what, detail = f"unknown name '{error.name}'", f"give it a value after 'at' ({error.name}=…) or define it first"
    else:
        what, detail = type(error).__name__, str(error)
    user_frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                   if not frame.filename.startswith(_ADLAB_DIR) and os.sep + "numpy" + os.sep not in frame.filename]
    if user_frames and user_frames[-1].filename != "<%trace>":
        frame = user_frames[-1]
        what += f" in line {frame.lineno} of the cell" if frame.filename == _CELL_FILE else \
            f" in {frame.name}, line {frame.lineno}"
    return f"{what}: {detail}"


def _input_index(choice, names):
    """The input a --forward choice names: its name, x<k> / x_<k> by position, either with a leading d."""
    for candidate in (choice, choice[1:] if choice.startswith("d") else None):
        if candidate in names:
            return names.index(candidate)
        match = re.fullmatch(r"x_?(\d+)", candidate or "")
        if match and 1 <= int(match.group(1)) <= len(names):
            return int(match.group(1)) - 1
    given = ", ".join(n or f"x{k + 1}" for k, n in enumerate(names))
    raise UsageError(f"--forward {choice}: no such input; the inputs are {given}.")


def _output_index(choice, n_outputs):
    if choice is None:
        if n_outputs != 1:
            raise UsageError(f"f returns {n_outputs} values: choose one, e.g. --reverse=y1 (y1 … y{n_outputs}).")
        return 0
    match = re.fullmatch(r"y_?(\d+)", choice)
    if not match or not 1 <= int(match.group(1)) <= n_outputs:
        raise UsageError(f"--reverse={choice}: no such output; f's outputs are y1 … y{n_outputs}.")
    return int(match.group(1)) - 1


def _sweep(primal, mode, seed):
    """The forward sweep seeded with ones on input `seed`, the reverse one from output `seed`, or no sweep."""
    if mode == "forward":
        return primal.forward_along(seed)
    if mode == "reverse":
        return primal.reverse_from(seed)
    return primal


def _show(primal, options, names):
    """The sweep the options ask for, as a table (the Trace itself), a graph or the explorer."""
    if "forward" in options:
        mode, seed = "forward", _input_index(options["forward"], names)
    elif "reverse" in options:
        mode, seed = "reverse", _output_index(options["reverse"], len(primal.outputs))
    else:
        mode, seed = "primal", None
    try:
        swept = _sweep(primal, mode, seed)
    except Exception as error:  # e.g. a primitive of the user's without a JVP or VJP rule
        raise UsageError(_describe(error)) from None
    if "graph" in options:
        from .display.graph import render, to_graphviz

        return render(to_graphviz(swept, partials=mode != "primal"))
    if "explore" in options:
        from .display.explorer import Explorer

        return Explorer(primal.function, *primal.args).select(mode, seed)
    return swept


def load_ipython_extension(ipython):
    """Register %trace / %%trace, remembering any magics of the same names it displaces."""
    magics = TraceMagics(ipython)
    tables = ipython.magics_manager.magics
    magics.displaced = {kind: {name: tables[kind][name] for name in ours if name in tables[kind]}
                        for kind, ours in magics.magics.items()}
    ipython.register_magics(magics)


def unload_ipython_extension(ipython):
    """Remove what load_ipython_extension registered, and put back what it displaced."""
    manager = ipython.magics_manager
    magics = manager.registry.pop(TraceMagics.__name__, None)
    if magics is None:
        return
    for kind, ours in magics.magics.items():
        table = manager.magics[kind]
        for name, func in ours.items():
            if table.get(name) == func:
                del table[name]
                if name in magics.displaced[kind]:
                    table[name] = magics.displaced[kind][name]
