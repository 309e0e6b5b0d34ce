"""`%load_ext adlab`: the %trace / %%trace magics, so a class can trace anything in one line.

The magic only reads what the user typed, builds a function, and hands it to
the public API (`adlab.trace`, `Trace.forward/.reverse`, the display modules);
every mistake in what was typed becomes one UsageError line, never a traceback.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import os
import re
import tokenize
import traceback
import warnings

import numpy as np
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from .core.rules import PRIMITIVES, negative
from .display.notation import TEXT
from .slips import (CONSTANTS, check_characters, check_code, check_input, diagnose_values, free_names, parses,
                    syntax_hint)
from .tracing import as_float, trace as record_trace

# Bare names an expression may use for elementary functions: numpy's, which adlab
# differentiates. They win over the notebook's names (a `from math import log`
# would otherwise turn the traced value into a constant). Every one-argument primitive
# ufunc by its name (sin, tanh, abs …; not negative, which is written -x), and a few more.
ELEMENTARY = {prim.name: getattr(np, prim.name) for prim in PRIMITIVES
              if prim.ufunc is not None and prim.ufunc.nin == 1 and prim is not negative} | {
    name: getattr(np, name) for name in ("square", "maximum", "minimum", "sum", "prod", "mean", "dot")
} | {"ln": np.log}
OPTIONS = "--forward X, --reverse, --reverse=Y, --graph, --explore, --fold, --focus=N, --radius=K"
USAGE = ("%trace [options] EXPRESSION at x1=3, x2=-4   |   %trace [options] FUNCTION at 3, -4   |   "
         "%%trace [options] at x1=3, x2=-4 (cell: statements ending with an expression); options: " + OPTIONS)
_ADLAB_DIR = os.path.dirname(os.path.abspath(__file__))
_CELL_FILE = "<%%trace cell>"
_TOO_LONG = ("this expression is too long for Python to compile in one piece (its compiler stops at a few thousand "
             "operations in one expression, fewer in a cell); split it into statements in a %%trace cell, or write "
             "a function with a loop and trace that: %trace f at x1=3.")
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_FUNCTION = "_adlab_traced_f"  # the generated function's name while it is defined: a notebook's f stays callable in it


# Options that always take a value, and what to say when it is missing.
_NEEDS_VALUE = {"forward": "--forward needs an input: --forward x2 (or --forward=x2).",
                "focus": "--focus needs a row of the graph: --focus v3 (or --focus=3).",
                "radius": "--radius needs a whole number of edges: --radius 1 (or --radius=1)."}
# A row as the graph writes it (v₋₁, v₃) or as a table copies it (v−1): read as v-1, v3.
_ROW_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₋−", "0123456789--")


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

        With --graph, to draw less of a big graph (--fold with --explore too):

            --fold        fold each run of repeated operations (a loop's body, a layer) into one
                          node, e.g. v₁ … v₃₀₀ / 100 × (sin, multiply, add).
            --focus=N     draw only the rows near row N (5 or v5 for v₅, -1 or v-1 for v₋₁) …
            --radius=K    … at most K edges from it (default 2; 0 draws the row alone).

        Inputs are x_1, x_2 … in the order given; 3 means 3.0, a list becomes an array.
        A trailing # comment is ignored, as in Python. A typing slip (x² for x**2, a − or × copied
        from a table, ^ for a power, a missing 'at', an input the expression does not use …) gets
        one sentence that names the fix.
        Expressions may use np, numpy's elementary functions by bare name (sin, cos, tan,
        exp, log or ln, sqrt, tanh, abs, maximum, sum, dot …) and any name in the notebook.

        The result is the trace (`t = %trace ...` keeps it: t.to_latex(), t.reverse()),
        the graph, or the explorer.

        Examples, Eq. 5 of the course notes (Tables 1-3):

            %trace x1*x2 + x2 - ln(x1) at x1=2, x2=4
            %trace --forward x2 x1*x2 + x2 - ln(x1) at x1=3, x2=-4
            %trace --reverse x1*x2 + x2 - ln(x1) at x1=3, x2=-4
            %trace --graph --reverse f at 3, -4
            %trace --graph --focus=v3 --radius=1 f at 3, -4
            %trace --explore f at 3, -4

            %%trace --reverse at x1=3, x2=-4
            v1 = x1 * x2
            v2 = ln(x1)
            v1 + x2 - v2
        """
        options, rest = _split_options(_without_comment(line), "%trace" if cell is None else "%%trace")
        namespace = {"np": np, "numpy": np, **self.shell.user_ns, **ELEMENTARY}
        if cell is None:
            check_characters(rest, shown="%trace " + _without_comment(line).strip())
            body, values_text = _split_at(rest, options)
        else:
            if not re.fullmatch(r"at\s+\S.*", rest, re.DOTALL):
                raise UsageError(f"write the inputs on the %%trace line: %%trace at x1=3, x2=-4 (got '{rest}').")
            check_characters(rest, shown="%%trace " + _without_comment(line).strip())
            check_characters(cell, in_cell=True)
            body, values_text = cell, rest[2:]
        if re.search(r"(^|\s)--[A-Za-z]", values_text):
            raise UsageError(f"options go before the expression: %trace --reverse f at 3, -4 (got '{line.strip()}').")
        positional, named, sources = _parse_values(values_text, namespace)
        context = None  # the function is the notebook's
        if cell is None and _looks_like_function(body, named, namespace):
            f, args, names = _bind_function(body, positional, named, namespace)
        else:
            f, args, names = _compile(body, positional, named, namespace, as_cell=cell is not None,
                                      sources=sources)
            context = "cell" if cell is not None else body.strip()
        try:
            primal = record_trace(f, *args)
        except Exception as error:  # the user's code failed: say what and where, in one line
            raise UsageError(_describe(error, context)) from None
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


def _split_options(line, magic):
    """Leading --options, and the rest of the line (`magic` names the line's magic in a suggested fix)."""
    options = {}
    rest = line.strip()
    while rest.startswith("--"):
        match = re.match(r"--([\w-]+)(?:=(\S*))?(\s+|$)", rest)
        if not match:
            raise UsageError(f"cannot read the option in '{rest.split()[0]}'; the options are {OPTIONS}.")
        name, value = match.group(1), match.group(2)
        rest = rest[match.end():]
        if name in _NEEDS_VALUE and not value:  # --forward x2 as well as --forward=x2
            if not rest.startswith("--"):
                value, _, rest = rest.partition(" ")
                rest = rest.lstrip()
            if not value:
                raise UsageError(_NEEDS_VALUE[name])
        elif name in ("graph", "explore", "fold") and value is not None:
            raise UsageError(f"--{name} takes no value.")
        elif name not in ("forward", "reverse", "graph", "explore", "fold", "focus", "radius"):
            raise UsageError(f"unknown option --{name}; the options are {OPTIONS}.")
        if name == "radius" and not value.isdecimal():
            raise UsageError(f"--radius={value} is not a whole number of edges: write 0 or more, e.g. --radius=1.")
        if name in options:
            if name in ("forward", "reverse"):
                raise UsageError(f"--{name} is given twice; a trace has one sweep: give it once "
                                 f"(another input is another %trace).")
            raise UsageError(f"--{name} is given twice: give it once.")
        options[name] = value
    if "forward" in options and "reverse" in options:
        raise UsageError("choose one sweep: --forward X or --reverse.")
    if "graph" in options and "explore" in options:
        raise UsageError("choose one view: --graph or --explore.")
    if "radius" in options and "focus" not in options:
        raise UsageError("--radius says how many edges from the --focus row to draw, so it needs --focus: "
                         "add --focus=N for row vN, e.g. --focus=v3.")
    if "fold" in options and "graph" not in options and "explore" not in options:
        raise UsageError(f"--fold folds the graph, so it goes with --graph (or --explore): "
                         f"{magic} --graph {line.strip()}.")
    if "focus" in options and "graph" not in options:
        instead = ", not --explore (the explorer draws every row)" if "explore" in options else ""
        fixed = re.sub(r"--explore(\s+|$)", "", line.strip())
        raise UsageError(f"--focus draws part of the graph, so it goes with --graph{instead}: {magic} --graph {fixed}.")
    return options, rest


def _split_at(text, options):
    """EXPRESSION at VALUES: split at the last ` at `."""
    if re.match(r"at\s", text):
        as_its = {"forward": "input", "focus": "row"}
        given = [name for name in options if name in as_its]  # in the order typed: the last one took the expression
        hint = f" (--{given[-1]} took '{options[given[-1]]}' as its {as_its[given[-1]]})" if given else ""
        raise UsageError(f"nothing to trace before 'at'{hint}: {USAGE}")
    match = re.fullmatch(r"(.*\S)\s+at\s+(\S.*)", text, re.DOTALL)
    if not match:
        if not text:
            raise UsageError(USAGE)
        other = re.fullmatch(r"(.*\S)\s+(at|where|for|with|when|@|:)\s+([A-Za-z_]\w*\s*=(?!=).*)", text,
                             re.DOTALL | re.IGNORECASE)
        if other:
            word = "'at' in lower case" if other.group(2).lower() == "at" else f"'at', not '{other.group(2)}',"
            raise UsageError(f"write {word} before the values: %trace {other.group(1)} at {other.group(3)}.")
        values = re.fullmatch(r"(.*[\w)\]])\s+([A-Za-z_]\w*\s*=(?!=).*)", text, re.DOTALL)
        if values and parses(values.group(1)) and parses(f"_({values.group(2)})"):
            raise UsageError(f"say where to evaluate: put 'at' before the values, "
                             f"%trace {values.group(1)} at {values.group(2)}.")
        raise UsageError(f"say where to evaluate: {USAGE}")
    return match.group(1), match.group(2)


def _parse_values(text, namespace):
    """`x1=3, x2=-4` or `3, -4`: Python call syntax, values evaluated in the notebook."""
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        hint = diagnose_values(text) if call is None else None
        raise UsageError(hint or f"cannot read the input values '{text}': write x1=3, x2=-4 (or 3, -4 for a function).")
    names = [k.arg for k in call.keywords]
    for node in call.args:  # `at x1==3`, `at x1`: a name where a value belongs
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and len(node.ops) == 1 \
                and isinstance(node.ops[0], ast.Eq):
            fixed = re.sub(r"([A-Za-z_]\w*)\s*==\s*", r"\1=", text).strip()
            raise UsageError(f"write one '=' between each input and its value ('==' compares): at {fixed}.")
        if isinstance(node, ast.Name) and node.id not in namespace and not hasattr(builtins, node.id):
            raise UsageError(f"{node.id} has no value: write a number after it, e.g. {node.id}=3.")

    def value(node, name):
        try:
            v = eval(compile(ast.Expression(node), "<%trace values>", "eval"), namespace)
        except Exception as error:
            hint = ""
            if isinstance(error, NameError) and getattr(error, "name", None):
                missing = error.name
                hint = (f"; write {CONSTANTS[missing]}." if missing in CONSTANTS else
                        f"; a value cannot use another input, so write {name}'s number." if missing in names else
                        f"; write a number, or define {missing} first.")
            raise UsageError(f"cannot evaluate the value of {name}: {type(error).__name__}: {error}{hint}") from None
        check_input(v, name, named=not name.startswith("input "))
        try:
            return as_float(v, name)
        except TypeError as error:
            raise UsageError(str(error)) from None

    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"{repeated[0]} is given two values; give each input once (Python refuses a repeated keyword too).")
    positional = [value(node, f"input {k + 1}") for k, node in enumerate(call.args)]
    named = {k.arg: value(k.value, k.arg) for k in call.keywords}
    sources = {k.arg: ast.get_source_segment(f"_({text})", k.value) for k in call.keywords}
    sources.update({k: ast.get_source_segment(f"_({text})", node) for k, node in enumerate(call.args)})
    return positional, named, sources


def _looks_like_function(body, named, namespace):
    """`f` or `module.f` naming a callable (not an input), or a lambda."""
    if re.match(r"\s*lambda(\s[^:]*)?:", body):
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
        raise UsageError(syntax_hint(body, error, "", namespace)
                         or f"syntax error in '{body}': {error.msg}.") from None
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


def _compile(body, positional, named, namespace, as_cell, sources):
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
    called = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*\(\s*\)\s*", body)
    if positional and not as_cell and called and _looks_like_function(called.group(1), named, namespace):
        values = ", ".join(sources[k] for k in range(len(positional)))
        raise UsageError(f"write the function without brackets, %trace {called.group(1)} at {values}: "
                         f"%trace calls it with the values.")
    if positional or not named:
        try:
            free = free_names(ast.parse(body.strip(), mode="exec" if as_cell else "eval"), namespace)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            free = []
        if positional and len(free) == len(positional):
            given = ", ".join(f"{name}={sources[k]}" for k, name in enumerate(free))
        else:
            given = ", ".join(f"{name}=…" for name in free) or "x1=3, x2=-4"
        where = f"%%trace at {given}" if as_cell else f"%trace {body.strip()} at {given}"
        raise UsageError(f"name the inputs, e.g. {where}." if positional else f"give the inputs values: {where}.")
    names = list(named)
    filename = _CELL_FILE if as_cell else "<%trace>"
    text = body if as_cell else body.strip()
    try:
        with warnings.catch_warnings():  # "'int' object is not callable" in 2(x+1): said below, in one sentence
            warnings.simplefilter("ignore", SyntaxWarning)
            if not as_cell:  # compiled as Python compiles it, so as long an expression as Python allows
                compile(text, filename, "eval")  # one expression, or a SyntaxError
            tree = ast.parse(text, filename, mode="exec" if as_cell else "eval")
    except SyntaxError as error:
        where = f" (line {error.lineno + 1} of the cell)" if as_cell else ""
        if not as_cell and parses(text, "exec"):
            raise UsageError(_statements(text, sources)) from None
        line = (error.text or text).strip() if as_cell else text
        raise UsageError(syntax_hint(line, error, where, namespace) or
                         f"syntax error in '{(error.text or body).strip()}'{where}: {error.msg}.") from None
    except (RecursionError, MemoryError):
        raise UsageError(_TOO_LONG) from None
    if as_cell and not tree.body:
        raise UsageError("the cell has nothing to trace, only comments or blank lines: write statements below the "
                         "%%trace line, ending with the output expression.")
    check_code(tree, text, names, namespace, sources, as_cell)
    scope = dict(namespace)
    try:
        if as_cell:
            # a cell's line 1 is the %%trace line: number the body from 2, as the notebook shows it
            statements = ast.increment_lineno(tree, 1).body
            if isinstance(statements[-1], ast.Expr):
                statements[-1] = ast.copy_location(ast.Return(statements[-1].value), statements[-1])
            if not any(isinstance(node, ast.Return) for s in statements for node in ast.walk(s)):
                raise UsageError("end the cell with an expression: the output y (or return it).")
            module = ast.parse(f"def {_FUNCTION}({', '.join(names)}): pass")
            module.body[0].body = statements
            code = ast.fix_missing_locations(module)
        else:
            code = f"def {_FUNCTION}({', '.join(names)}):\n    return (\n{text}\n    )\n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            exec(compile(code, filename, "exec"), scope)
    except SyntaxError as error:  # found only when compiled: await, nonlocal, import * inside the function
        line = f"line {error.lineno} of the cell" if as_cell else f"'{text}'"
        if "import *" in (error.msg or ""):
            raise UsageError(f"from … import * cannot run inside %%trace ({line}): run the import in a cell of "
                             f"its own first.") from None
        raise UsageError(f"syntax error in {line}: {error.msg}.") from None
    except (RecursionError, MemoryError):
        raise UsageError(_TOO_LONG) from None
    f = scope[_FUNCTION]
    f.__name__ = f.__qualname__ = "f"
    return f, [named[n] for n in names], names


def _statements(text, sources):
    """%trace x = 2 or %trace a; b: statements where %trace takes one expression."""
    values = ", ".join(f"{name}={source}" for name, source in sources.items() if isinstance(name, str))
    statements = ast.parse(text).body
    if len(statements) == 1 and isinstance(statements[0], ast.Assign):
        value = ast.get_source_segment(text, statements[0].value)
        return (f"%trace takes an expression, not an assignment: write %trace {value} at {values} "
                f"(an assignment belongs in a %%trace cell).")
    return (f"%trace takes one expression and '{text}' is statements, which %%trace takes: write them one per line "
            f"in a cell that starts %%trace at {values}, the output last.")


def _describe(error, context=None):
    """One line for an error in the user's code: what, where (in a cell or a function), and the detail.

    `context` is the traced expression, "cell", or None for a function of the notebook's.
    """
    text = str(error)
    if isinstance(error, TypeError) and text.startswith("f returned None") and context is not None:
        if context == "cell":
            return ("the cell's output is None, so there is nothing to trace: end the cell with the output "
                    "expression (or return it on every path).")
        return (f"'{context}' gives None, so there is nothing to trace: trace an expression whose value is a number "
                f"(print and other functions that only show a value give None).")
    if isinstance(error, NameError) and getattr(error, "name", None):
        name = error.name
        what = f"unknown name '{name}'"
        detail = f"write {CONSTANTS[name]}." if name in CONSTANTS else \
            f"give it a value after 'at' ({name}=…) or define it first."
    elif isinstance(error, TypeError) and "for ^" in text:
        what, detail = "^ is not a power in Python (it is bitwise xor)", "write ** instead, as in x**2."
    else:
        what, detail = type(error).__name__, text
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


def _row_index(choice, trace):
    """The row a --focus choice names: 5, v5, v_5 or v₅ for v₅; -1, v-1 or v_{-1} for v₋₁."""
    match = re.fullmatch(r"(?:v_?)?(-?\d+)|v_\{(-?\d+)\}", choice.translate(_ROW_DIGITS))
    indices = [row.index for row in trace.rows]
    if match and int(match.group(1) or match.group(2)) in indices:
        return int(match.group(1) or match.group(2))
    first, last = (TEXT.var("v", index) for index in (indices[0], indices[-1]))
    raise UsageError(f"--focus={choice}: no such row; the graph's rows are {first} … {last}, "
                     f"e.g. --focus=v{indices[-1]} for {last}.")


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

        part = {"focus": _row_index(options["focus"], swept)} if "focus" in options else {}
        if "radius" in options:
            part["radius"] = int(options["radius"])
        return render(to_graphviz(swept, partials=mode != "primal", fold="fold" in options, **part))
    if "explore" in options:
        from .display.explorer import Explorer

        return Explorer(primal.function, *primal.args, fold="fold" in options).select(mode, seed)
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
