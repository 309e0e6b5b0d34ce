"""Typing slips in what a student gives %trace, each answered in one sentence that names the fix.

A student copies `x₂ − 3` from a table, writes `x^2`, `2x`, `ln x`, `class` as a name or `None`
as a value; Python's own messages ("invalid syntax", "cannot read the input values") do not say
what to type instead. These functions find the slip and raise UsageError with that sentence.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import numbers
import re
import reprlib

import numpy as np
from IPython.core.error import UsageError

from .core.rules import PRIMITIVES

# Characters that look like Python's but are not (copied from a PDF, a table, a word processor).
_LOOKALIKES = {
    "\u2212": ("minus", "-"), "\u2013": ("minus", "-"), "\u2014": ("minus", "-"), "\u2010": ("minus", "-"),
    "\u2011": ("minus", "-"), "\ufe63": ("minus", "-"), "\uff0d": ("minus", "-"),
    "\u00d7": ("times", "*"), "\u00b7": ("times", "*"), "\u22c5": ("times", "*"), "\u2219": ("times", "*"),
    "\u2715": ("times", "*"), "\u00f7": ("division", "/"), "\u2215": ("division", "/"),
    "\u201c": ("quote", '"'), "\u201d": ("quote", '"'), "\u201e": ("quote", '"'), "\u2018": ("quote", "'"),
    "\u2019": ("quote", "'"), "\u2264": ("less-or-equal", "<="), "\u2265": ("greater-or-equal", ">="),
    "\u2260": ("not-equal", "!="), "\uff1d": ("equals sign", "="), "\uff0c": ("comma", ","),
}
_SPACES = "\u00a0\u2009\u202f\u2007\u200b\u3000"
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
_SLIP_CHARACTER = re.compile(f"[{_SUPERSCRIPTS}]+|[{_SUBSCRIPTS}]+|[{''.join(_LOOKALIKES)}{_SPACES}√]")
_STRING_OR_COMMENT = re.compile(r"#[^\n]*|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"")
# Reserved words that students reach for as names (lambda for λ, in, is, class …); True/False/None are values.
_RESERVED = [word for word in keyword.kwlist if word not in ("True", "False", "None")]
CONSTANTS = {"pi": "np.pi", "π": "np.pi", "e": "np.e (or exp(x) for e to the power x)", "inf": "np.inf",
              "nan": "np.nan", "Inf": "np.inf", "NaN": "np.nan", "infinity": "np.inf"}
# Functions a student writes by another name: what to write instead ({0} is the argument, as written;
# {p0} the same in brackets unless it is a name or a number).
_FUNCTION_HINTS = {
    "asin": "arcsin({0})", "acos": "arccos({0})", "atan": "arctan({0})", "arsin": "arcsin({0})",
    "log10": "log({0}) / log(10)", "log2": "log({0}) / log(2)", "exp2": "2**{p0}", "cbrt": "{p0}**(1/3)",
    "sigmoid": "1 / (1 + exp(-{p0}))", "logistic": "1 / (1 + exp(-{p0}))", "relu": "maximum({0}, 0)",
    "sqr": "{p0}**2", "sec": "1 / cos({0})", "csc": "1 / sin({0})", "cot": "1 / tan({0})",
    "arcsinh": "log({p0} + sqrt({p0}**2 + 1))", "asinh": "log({p0} + sqrt({p0}**2 + 1))",
    "power": "{p0}**{p1}", "pow2": "{p0}**2", "Sin": "sin({0})", "Cos": "cos({0})", "Exp": "exp({0})",
    "Log": "log({0})", "Ln": "ln({0})",
}
_KNOWN_BARE = "sin, cos, tan, exp, log or ln, sqrt, tanh, abs …"


def _cell_line(text, position):
    return text.count("\n", 0, position) + 2  # line 1 of the cell is the %%trace line


def check_characters(text, *, in_cell=False, shown=None):
    """Refuse a look-alike character (− × · “ ², a special space …) in one sentence naming what to type."""
    masked = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    match = _SLIP_CHARACTER.search(masked)
    if not match:
        return
    found, start = match.group(), match.start()
    where = f" (line {_cell_line(text, start)} of the cell)" if in_cell else ""
    if found[0] in _SUPERSCRIPTS:
        digits = found.translate(str.maketrans(_SUPERSCRIPTS, "0123456789-"))
        name = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", masked[:start])
        if name and "-" not in digits:
            name = name.group()
            raise UsageError(f"{name}{found}{where} is not a valid Python name: write {name}{digits} for a name "
                             f"or {name}**{digits} for a power.")
        before = name.group() if name else (re.search(r"[\d.]+$", masked[:start]) or [""])[0]
        if masked[:start].endswith(")"):  # (x+1)²: the bracket it raises
            depth, k = 0, start - 1
            while k >= 0:
                depth += {")": 1, "(": -1}.get(masked[k], 0)
                if depth == 0:
                    break
                k -= 1
            before = masked[max(k, 0):start] if len(masked[max(k, 0):start]) <= 40 else ""
        example = f", as in {before}**{digits}" if before else ""
        raise UsageError(f"'{found}'{where} is not Python's power: write **{digits} instead{example}.")
    if found[0] in _SUBSCRIPTS:
        digits = found.translate(str.maketrans(_SUBSCRIPTS, "0123456789"))
        name = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", masked[:start])
        name = name.group() if name else ""
        raise UsageError(f"{name}{found}{where} is not a valid Python name: write {name}{digits}.")
    code = f"U+{ord(found):04X}"
    if found in _SPACES:
        raise UsageError(f"the character {code}{where} is a special space (copied from a web page or a PDF), not "
                         f"a space Python reads: retype it as an ordinary space.")
    if found == "√":
        raise UsageError(f"'√'{where} is not Python's square root: write sqrt(…), as in sqrt(x).")
    what, ascii_ = _LOOKALIKES[found]
    example = ""
    if in_cell:
        shown = text[text.rfind("\n", 0, start) + 1:(text.find("\n", start) + 1 or len(text) + 1) - 1]
    if shown is not None:
        fixed = "".join(_LOOKALIKES[c][1] if c in _LOOKALIKES else " " if c in _SPACES else c for c in shown)
        if len(fixed) <= 80:
            example = f", as in {fixed.strip()}"
    raise UsageError(f"'{found}' ({code}){where} is not Python's {what}: type {ascii_} instead{example}.")


def _resolve(dotted, namespace):
    """What `np.sin` or `print` names in the notebook, or None."""
    first, *rest = dotted.split(".")
    found = namespace.get(first, getattr(builtins, first, None))
    for attribute in rest:
        found = getattr(found, attribute, None)
    return found


def parses(text, mode="eval"):
    try:
        ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def syntax_hint(text, error, where="", namespace=None):
    """One sentence for a SyntaxError in `text` that names the fix, or None when there is no better one."""
    namespace = namespace or {}
    message = error.msg or ""
    reserved = [word for word in _RESERVED if re.search(rf"(?<![\w.]){word}(?!\w)", text)
                and parses(re.sub(rf"(?<![\w.]){word}(?!\w)", word + "_", text), "exec")]
    if reserved:
        word = reserved[0]
        return (f"{word} is a reserved word in Python{where}, so it cannot be a name: pick another name "
                f"(e.g. {'lam' if word == 'lambda' else word + '_'}).")
    product = re.search(r"(?<![\w.])(\d+(?:\.\d*)?)([A-Za-z_]\w*)", text)
    if product and parses(text[:product.end(1)] + "*" + text[product.end(1):], "exec"):
        return (f"{product.group()}{where} is not a product in Python: write {product.group(1)}*{product.group(2)}, "
                f"with * between the number and the name.")
    call = re.search(r"(?<![\w.])([A-Za-z_][\w.]*)\s+([\w.]+)", text)
    if call and not keyword.iskeyword(call.group(2)) and callable(_resolve(call.group(1), namespace)) \
            and parses(text[:call.start()] + f"{call.group(1)}({call.group(2)})" + text[call.end():], "exec"):
        return f"{call.group()}{where} is not a call in Python: write {call.group(1)}({call.group(2)})."
    juxtaposed = re.search(r"(?<![\w.])([A-Za-z_]\w*|\))\s+([A-Za-z_]\w*|\()", text)
    if juxtaposed and not any(keyword.iskeyword(part) for part in juxtaposed.groups()) \
            and parses(text[:juxtaposed.start()] + juxtaposed.group(1) + "*" + juxtaposed.group(2)
                        + text[juxtaposed.end():], "exec"):
        return (f"'{juxtaposed.group()}'{where} is not a product in Python: write "
                f"{juxtaposed.group(1)}*{juxtaposed.group(2)}, with * between the factors.")
    closer = re.match(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'", message)
    if "was never closed" in message:
        opener = message[1]
        return f"a '{opener}' in '{text.strip()}'{where} is never closed: add its '{')]}'['([{'.index(opener)]}'."
    if message.startswith("unmatched"):
        bracket = message.split("'")[1]
        return (f"'{text.strip()}'{where} has a '{bracket}' that closes nothing: remove it, or add the "
                f"'{'([{'[')]}'.index(bracket)]}' it closes.")
    if closer:
        return (f"in '{text.strip()}'{where}, '{closer.group(1)}' closes a '{closer.group(2)}': make each bracket "
                f"close with its partner, ( with ), [ with ].")
    return None


def diagnose_values(text):
    """Why `x1=3, x2=-4` could not be read, in one sentence naming the fix."""
    for word in _RESERVED:
        if re.search(rf"(?<![\w.]){word}\s*=(?!=)", text):
            other = "lam" if word == "lambda" else word + "_"
            return (f"{word} is a reserved word in Python, so it cannot name an input: pick another name, e.g. "
                    f"{other}, and use it in the expression too.")
    empty = re.search(r"([A-Za-z_]\w*)\s*=\s*(,|$)", text)
    if empty:
        return f"{empty.group(1)} has no value: write a number after '=', e.g. {empty.group(1)}=3."
    candidates = [
        (re.sub(r"([A-Za-z_]\w*)\s*==\s*", r"\1=", text), "write one '=' between each input and its value"),
        (re.sub(r"([A-Za-z_]\w*)\s*:\s*", r"\1=", text), "write '=' between each input and its value"),
        (re.sub(r"(?<=[\w)\]])\s+(?=[A-Za-z_])", ", ",
                re.sub(r"\s*;\s*|\s+and\s+", ", ", text)), "separate the inputs with commas"),
        (text.strip()[1:-1] if re.fullmatch(r"\s*[([{].*[)\]}]\s*", text) else text,
         "write the values without brackets around them"),
    ]
    for fixed, fix in candidates:
        if fixed != text and parses(f"_({fixed})"):
            return f"{fix}: at {fixed.strip()}."
    decimal = re.search(r"([A-Za-z_]\w*)\s*=\s*(-?\d+)\s*,\s*(\d+)(?!\s*[\w.]*\s*=)", text)
    if decimal:
        name, whole, part = decimal.groups()
        return (f"{name}={whole},{part} gives {name} the value {whole} and leaves {part} without a name: write "
                f"{name}={whole}.{part} for a decimal (Python's decimal mark is a point), or {name}=[{whole}, {part}] "
                f"for an array.")
    try:
        ast.parse(f"_({text})", mode="eval")
    except SyntaxError as error:
        if error.msg == "positional argument follows keyword argument":
            return ("a value without a name follows a named one: name every input (x1=3, x2=-4), or give only "
                    "values for a function (3, -4).")
        hint = syntax_hint(text, error, " in the values")
        if hint:
            return hint
    return None


def check_input(value, name, named):
    """Refuse None, strings, complex numbers, booleans and other non-numbers as inputs, naming the fix."""
    example, example_array = (f"{name}=3", f"{name}=[1, 2]") if named else ("3", "[1, 2]")
    shown = reprlib.repr(value)

    def leaf_problem(v):
        if v is None:
            return "None, which is not a number"
        if isinstance(v, (str, bytes)):
            return f"the string {reprlib.repr(v)}, which is not a number"
        if isinstance(v, (bool, np.bool_)):
            return f"the boolean {v}, which is not a number"
        if isinstance(v, (complex, np.complexfloating)):
            return f"{v!r}, which is not a real number"
        if isinstance(v, numbers.Real):
            return None
        return f"a {type(v).__name__}, which is not a number"

    if value is None:
        raise UsageError(f"{name} = None is not a number: give {name} a number, e.g. {example}.")
    if isinstance(value, (str, bytes)):
        raise UsageError(f"{name} = {shown} is not a number but a string: write the number without quotes, "
                         f"e.g. {example}.")
    if isinstance(value, (bool, np.bool_)):
        raise UsageError(f"{name} = {value} is a boolean, not a number: give a number, e.g. {example}.")
    if isinstance(value, (complex, np.complexfloating)):
        raise UsageError(f"{name} = {shown} is not a real number: adlab differentiates real inputs, so give a real "
                         f"one, e.g. {example}.")
    if isinstance(value, numbers.Real):
        return
    if isinstance(value, (list, tuple)):
        stack = [value]
        while stack:
            for item in stack.pop():
                if isinstance(item, (list, tuple)):
                    stack.append(item)
                elif (problem := leaf_problem(item)) is not None:
                    raise UsageError(f"{name} = {shown} holds {problem}: an array input takes numbers only, "
                                     f"e.g. {example_array}.")
        try:
            np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise UsageError(f"{name} = {shown} has rows of different lengths: an array input needs rows of one "
                             f"length, e.g. {name + '=' if named else ''}[[1, 2], [3, 4]].") from None
        return
    try:
        array = np.asarray(value)
    except Exception:
        array = None
    if array is not None and array.ndim > 0:
        if array.dtype.kind in "iuf":
            return
        if array.dtype.kind == "O":
            for item in array.flat:
                if (problem := leaf_problem(item)) is not None:
                    raise UsageError(f"{name} = {shown} holds {problem}: an array input takes numbers only, "
                                     f"e.g. {example_array}.")
            return
        kind = {"c": "complex numbers", "b": "booleans", "U": "strings", "S": "strings"}.get(array.dtype.kind)
        if kind:
            raise UsageError(f"{name} = {shown} holds {kind}, not real numbers: an array input takes real numbers "
                             f"only, e.g. {example_array}.")
    if isinstance(value, np.ndarray):
        return  # a 0-d array: as_float decides
    raise UsageError(f"{name} = {shown} is not a number but a {type(value).__name__}: give a number or a list of "
                     f"numbers, e.g. {example}.")


def _bound_names(tree):
    """Names a cell (or an expression's lambdas and comprehensions) binds itself."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return bound


def free_names(tree, namespace, inputs=()):
    """Names the code reads that nothing defines: not an input, the notebook's, a builtin or bound in the code."""
    known = _bound_names(tree) | set(inputs)
    reads = sorted((node.lineno, node.col_offset, node.id) for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load))
    free = [name for _, _, name in reads
            if name not in known and name not in namespace and not hasattr(builtins, name)]
    return list(dict.fromkeys(free))


def _function_level(tree):
    """The nodes of the cell's own code, not those inside a def, a lambda or a class it defines."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def check_code(tree, text, names, namespace, sources, as_cell):
    """Slips that Python accepts but that cannot mean what the student meant: one sentence each, before tracing."""
    def where(node):  # line 1 of a cell is the %%trace line
        return f" (line {node.lineno + 1} of the cell)" if as_cell else ""

    def segment(node):
        return ast.get_source_segment(text, node) or ""

    for node in _function_level(tree):
        if as_cell and isinstance(node, (ast.Yield, ast.YieldFrom)):
            raise UsageError(f"yield{where(node)} makes the cell a generator, which %%trace cannot trace: compute "
                             f"the output and end the cell with it (or return it).")
    bound = _bound_names(tree) | set(names)
    for node in ast.walk(tree):
        xor = (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor)) or \
            (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitXor))
        if xor:
            fixed = segment(node).replace("^", "**")
            example = f", as in {fixed}" if fixed and len(fixed) <= 60 else ""
            raise UsageError(f"^{where(node)} is not a power in Python (it is bitwise xor): write ** instead{example}.")
        if isinstance(node, ast.Call):
            func = node.func
            factor = segment(func)
            if isinstance(func, (ast.Constant, ast.BinOp, ast.UnaryOp)) or \
                    (isinstance(func, ast.Name) and func.id in names):
                call, example = segment(node), ""
                if node.lineno == func.end_lineno:  # 2(x+1) -> 2*(x+1); (x+1)(x-1) -> (x+1)*(x-1)
                    after_factor = len(call.encode()[:func.end_col_offset - node.col_offset].decode(errors="ignore"))
                    bracket = call.find("(", after_factor)
                    if bracket > 0:
                        factor = call[:bracket].rstrip()
                        fixed = factor + "*" + call[bracket:]
                        example = f", as in {fixed}" if len(fixed) <= 60 else ""
                raise UsageError(f"{call or factor + '(…)'}{where(node)} is not a product in Python (it calls "
                                 f"{factor} as a function): write * before the bracket{example}.")
            if isinstance(func, ast.Name) and func.id not in bound and func.id not in namespace \
                    and not hasattr(builtins, func.id):
                raise UsageError(_unknown_function(func.id, node, segment, where(node)))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in ("np", "numpy") and node.value.id not in bound \
                and namespace.get(node.value.id) is np and not hasattr(np, node.attr):
            instead = {"ln": "log"}.get(node.attr) or _FUNCTION_HINTS.get(node.attr, "").split("(")[0] or None
            fix = f"write np.{instead}" if instead and hasattr(np, instead) else \
                "check the spelling (np.sin, np.exp, np.log, np.sqrt …)"
            raise UsageError(f"NumPy has no {node.value.id}.{node.attr}{where(node)}: {fix}.")
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unused = [name for name in names if name not in used]
    if unused:
        what = "the cell" if as_cell else "the expression"
        free = free_names(tree, namespace, names)
        if len(unused) == 1 and free:
            u, f = unused[0], free[0]
            case = " (Python's names are case-sensitive)" if u.lower() == f.lower() else ""
            raise UsageError(f"{u} is given a value but {what} uses {f} instead: write {f}={sources.get(u, '…')} "
                             f"after 'at'{case}, or write {u} in {what}.")
        given = ", ".join(f"{name}={sources.get(name, '…')}" for name in unused)
        them = "it" if len(unused) == 1 else "them"
        is_ = "is" if len(unused) == 1 else "are"
        raise UsageError(f"{' and '.join(unused)} {is_} given a value but {what} does not use {them}: remove {given} "
                         f"after 'at', or use {them} in {what}.")


def _unknown_function(name, call, segment, where):
    args = [segment(a) for a in call.args] + ["x", "2"]
    bracketed = [a if re.fullmatch(r"[\w.]+", a) else f"({a})" for a in args]
    args_text = ", ".join(segment(a) for a in call.args) or "x"
    if name in _FUNCTION_HINTS:
        fixed = _FUNCTION_HINTS[name].format(*args, p0=bracketed[0], p1=bracketed[1])
        return f"unknown function '{name}'{where}: write {fixed}, which adlab differentiates."
    if name in CONSTANTS:
        return f"unknown function '{name}'{where}: {name} is not defined; write {CONSTANTS[name]}."
    if any(prim.name == name for prim in PRIMITIVES) and hasattr(np, name):
        return f"unknown function '{name}'{where}: write np.{name}({args_text}), NumPy's, which adlab differentiates."
    if hasattr(np, name):
        return (f"unknown function '{name}'{where}: adlab has no derivative rule for np.{name}; write it with "
                f"operations it knows (+ - * / **, {_KNOWN_BARE}).")
    return (f"unknown function '{name}'{where}: define it first (def {name}(x): ...), or use a function %trace "
            f"knows by its bare name ({_KNOWN_BARE}).")
