"""How a trace row reads: its rule in symbols and the same rule with numbers.

One `RowFormatter` serves every view (HTML, Markdown, LaTeX tables, graph
labels); a `Notation` decides only how a variable, a number and the rule's
literal text are spelled in that format. The rules themselves are the
primitives' `Rule` templates (adlab/core/rules.py): nothing here knows a
derivative, and where a template cannot be filled with numbers (arrays), the
numeric column shows the value alone.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np

from ..readable import _strip_zeros, number_text

_FIELD = re.compile(r"(\{[^{}]+\})")
_SENTINEL = re.compile("\x00(\\d+)\x01")
_PARAM = re.compile(r"p\[(\w+)\]")
_SUBSCRIPTS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_ACCENTS = {None: "", "dot": "\u0307", "bar": "\u0304"}
PREVIEW_ITEMS = 4  # array elements shown before "…"


def format_number(x, precision):
    """A scalar as the seed tables print it: 3 decimals, trailing zeros dropped, a real minus.

    Returns (text, finite). Very large or very small magnitudes switch to
    scientific notation so that no value prints as a misleading 0.
    """
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x)), True
    if isinstance(x, (int, np.integer)):
        return str(int(x)).replace("-", "−"), True
    if isinstance(x, (complex, np.complexfloating)):
        return str(x).replace("-", "−"), bool(np.isfinite(x))
    text = number_text(x, precision)
    return text, text not in ("nan", "inf", "−inf")


def is_scalar(x):
    return x is not None and np.ndim(x) == 0 and not isinstance(x, str)


class Field:
    """A filled placeholder: its text, and whether it is a negative number (parenthesized in context)."""

    __slots__ = ("text", "negative")

    def __init__(self, text, negative=False):
        self.text = text
        self.negative = negative


class CannotSubstitute(Exception):
    """A template refers to an array (or an unknown local partial): show the value alone."""


# -- notations --------------------------------------------------------------------


class TextNotation:
    """Plain Unicode: v̇₋₁, −4. Used for graph labels and Markdown's numeric column."""

    def var(self, symbol, index=None, accent=None):
        sub = "" if index is None else str(index).translate(_SUBSCRIPTS)
        return f"{symbol}{_ACCENTS[accent]}{sub}"

    def partial(self, top, bottom):
        return f"∂{top}/∂{bottom}"

    def number(self, text, finite):
        return text

    def literal(self, text):
        return text

    def words(self, text):
        """Free text (fold markers, captions)."""
        return text

    def array(self, shape, items, more, nonfinite):
        """A short preview: shape, first elements, and a count of NaN/inf anywhere in it."""
        body = ", ".join(items + (["…"] if more else []))
        note = f" ({nonfinite})" if nonfinite else ""
        return f"{shape} [{body}]{note}"

    def const_array(self, shape):
        return f"const{shape}"


class MarkdownTextNotation(TextNotation):
    """Unicode for Markdown cells, with NaN and inf in bold."""

    def number(self, text, finite):
        return text if finite else f"**{text}**"

    def array(self, shape, items, more, nonfinite):
        preview = super().array(shape, items, more, "")
        return preview + (f" (**{nonfinite}**)" if nonfinite else "")


class HtmlNotation(TextNotation):
    """HTML without MathJax: v̇<sub>−1</sub>; NaN and inf in a highlighted span."""

    def var(self, symbol, index=None, accent=None):
        sub = "" if index is None else f"<sub>{str(index).replace('-', '−')}</sub>"
        return f"{symbol}{_ACCENTS[accent]}{sub}"

    def number(self, text, finite):
        return text if finite else f'<span class="adlab-nonfinite">{text}</span>'

    def literal(self, text):
        return html.escape(text, quote=False)

    def words(self, text):
        return html.escape(text, quote=False)

    def array(self, shape, items, more, nonfinite):
        body = ", ".join(items + (["…"] if more else []))
        note = f' <span class="adlab-nonfinite">({nonfinite})</span>' if nonfinite else ""
        return f'<span class="adlab-shape">{shape}</span> [{body}]{note}'


_LATEX_SYMBOLS = {
    "×": r"\times ", "·": r"\cdot ", "−": "-", "²": "^2", "ᵀ": "^T", "Σ": r"\sum ", "Π": r"\prod ",
    "⊗": r"\otimes ", "≥": r"\geq ", "≤": r"\leq ", "|": r"\vert ", "…": r"\ldots ", "⋮": r"\vdots ", "∂": r"\partial ",
    "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$",
}
_LATEX_FUNCTIONS = {"ln", "exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan",
                    "max", "min"}
_LATEX_OPERAND = "(\x00\\d+\x01|\\([^()]*\\))"  # a placeholder or a parenthesized group


class LatexNotation(TextNotation):
    """LaTeX math: \\dot{v}_{-1}, \\sqrt{v_0}, words in \\text{}. Markdown's symbolic column uses it too."""

    def var(self, symbol, index=None, accent=None):
        base = {None: symbol, "dot": rf"\dot{{{symbol}}}", "bar": rf"\bar{{{symbol}}}"}[accent]
        if index is None:
            return base
        sub = str(index)
        return f"{base}_{sub}" if len(sub) == 1 else f"{base}_{{{sub}}}"

    def partial(self, top, bottom):
        return rf"\partial {top}/\partial {bottom}"

    def number(self, text, finite):
        text = text.replace("−", "-")
        return {"nan": r"\mathrm{NaN}", "inf": r"\infty", "-inf": r"-\infty"}.get(text, text)

    def literal(self, text):
        text = re.sub("√" + _LATEX_OPERAND, lambda m: rf"\sqrt{{{_unparen(m.group(1))}}}", text)
        text = re.sub(r"\^" + _LATEX_OPERAND, lambda m: f"^{{{m.group(1)}}}", text)
        text = re.sub(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?:_[A-Za-z]{2,})*", _latex_word, text)  # stop_gradient too
        text = re.sub(r" (?=\\text\{)", r"\\ ", text)
        text = re.sub(r"(\\text\{[^{}]*\}) ", r"\1\\ ", text)
        text = "".join(_LATEX_SYMBOLS.get(c, c) for c in text)
        return re.sub(r"(\\[a-z]+) +", r"\1 ", text)

    def words(self, text):
        return rf"\text{{{_latex_escape(text)}}}"

    def array(self, shape, items, more, nonfinite):
        body = ", ".join(items + ([r"\ldots"] if more else []))
        note = rf"\ (\text{{{nonfinite}}})" if nonfinite else ""
        return rf"{shape}\ [{body}]{note}"

    def const_array(self, shape):
        return rf"\text{{const}}{shape}"


def _unparen(text):
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _latex_word(match):
    word = match.group(0)
    return rf"\{word} " if word in _LATEX_FUNCTIONS else rf"\text{{{_latex_escape(word)}}}"


def _latex_escape(text):
    return "".join(_LATEX_SYMBOLS.get(c, c) if c in "&%#$" else c for c in text).replace("_", r"\_")


TEXT = TextNotation()
MARKDOWN_TEXT = MarkdownTextNotation()
HTML = HtmlNotation()
LATEX = LatexNotation()


# -- templates --------------------------------------------------------------------


def render(template, resolve, notation, leading=False):
    """Fill a Rule template; `resolve(field_name)` returns a Field.

    A negative number is parenthesized unless it opens the expression
    (`leading`) or already sits alone in brackets or an argument list; as
    the base of a power it always is: (−0.7)², not −0.7².
    """
    parts = _FIELD.split(template)
    filled = []
    for i in range(1, len(parts), 2):
        field = resolve(parts[i][1:-1])
        before, after = parts[i - 1].rstrip(), parts[i + 1]
        alone = (i == 1 and not parts[0] and leading) or (
            before.endswith(("(", "[", ",")) and after.lstrip()[:1] in (")", "]", ","))
        base = after[:1] in ("^", "²")
        filled.append(f"({field.text})" if field.negative and (base or not alone) else field.text)
        parts[i] = f"\x00{len(filled) - 1}\x01"
    return _SENTINEL.sub(lambda m: filled[int(m.group(1))], notation.literal("".join(parts)))


def join_terms(terms, notation):
    """Sum rendered terms; a term that starts with a minus is subtracted: `a − b`, not `a + −b`."""
    if not terms:
        return "0"
    out = terms[0][1] if not terms[0][0] else notation.literal("−") + terms[0][1]
    for negated, text in terms[1:]:
        out += notation.literal(" − " if negated else " + ") + text
    return out


def format_param(name, value, notation, precision):
    """A primitive's parameter (axis, shape, index) as the rule shows it."""
    if name == "index":
        items = value if isinstance(value, tuple) else (value,)
        return ", ".join(_index_item(i, notation) for i in items)
    if is_scalar(value) and not isinstance(value, (bool, np.bool_)):
        return notation.number(*format_number(value, precision))
    if isinstance(value, np.ndarray):
        return notation.const_array(value.shape)
    return notation.literal(str(value))


def _index_item(item, notation):
    if isinstance(item, slice):
        parts = ["" if p is None else str(p) for p in (item.start, item.stop, item.step)]
        return notation.literal(":".join(parts if item.step is not None else parts[:2]))
    if item is Ellipsis:
        return notation.literal("…")
    if item is None:
        return notation.literal("newaxis")
    if isinstance(item, (list, np.ndarray)):
        return notation.const_array(np.shape(item))
    return notation.literal(str(item))


# -- rows -------------------------------------------------------------------------


class RowFormatter:
    """The symbolic and numeric forms of one trace's rows, in one notation.

    Every method returns (symbols, numbers): e.g. tangent(1) on the seed
    example gives ``v̇_1 = v̇_{-1}·v_0 + v̇_0·v_{-1}`` and ``0×(−4) + 1×3 = 3``.
    """

    def __init__(self, trace, notation, precision=3):
        self.trace = trace
        self.notation = notation
        self.precision = precision
        self.n_inputs = trace.n_inputs
        self.multiple_outputs = len(trace.outputs) > 1

    def row(self, index):
        """Row v_index."""
        return self.trace[index]

    # -- names and values

    def name(self, index, accent=None):
        return self.notation.var("v", index, accent)

    def input_name(self, index, accent=None):
        return self.notation.var("x", index + self.n_inputs, accent)

    def output_name(self, k, accent=None):
        return self.notation.var("y", k + 1 if self.multiple_outputs else None, accent)

    def value(self, x):
        """A number, or an array's shape and first elements."""
        if is_scalar(x):
            return self.notation.number(*format_number(x, self.precision))
        return self._array(np.asarray(x))

    def _array(self, a):
        flat = a.ravel()
        shown = flat if flat.size <= PREVIEW_ITEMS + 1 else flat[:PREVIEW_ITEMS]
        items = [self.notation.number(*format_number(v, self.precision)) for v in shown]
        nonfinite = ""
        if a.dtype.kind in "fc":
            counts = [(int(np.count_nonzero(np.isnan(flat))), "NaN"), (int(np.count_nonzero(np.isinf(flat))), "inf")]
            nonfinite = ", ".join(f"{n} {what}" for n, what in counts if n)
        return self.notation.array(str(a.shape), items, flat.size > len(shown), nonfinite)

    def _number_field(self, x):
        if not is_scalar(x):
            raise CannotSubstitute
        text, finite = format_number(x, self.precision)
        return Field(self.notation.number(text, finite), text.startswith("−"))

    def _constant_field(self, x):
        """A constant as the user typed it (1.0001 stays 1.0001) when that is short; else rounded."""
        text = repr(x) if isinstance(x, float) else ""
        if not 0 < len(text) <= 8 or "e" in text or not math.isfinite(x):
            return self._number_field(x)
        text = _strip_zeros(text).replace("-", "−")
        return Field(self.notation.number(text, True), text.startswith("−"))

    def _operand_field(self, operand, accent, numeric, tangent_of=None):
        if numeric and accent is None and operand.index is None:
            return self._constant_field(operand.value)
        if numeric:
            return self._number_field(operand.value if accent is None else tangent_of(operand))
        if operand.index is not None:
            return Field(self.name(operand.index, accent))
        if is_scalar(operand.value):
            return self._constant_field(operand.value)
        return Field(self.notation.const_array(np.shape(operand.value)))

    def _resolver(self, row, numeric, adjoint=None, partials=None):
        """Fill a template of `row`: {0} operands, {t0} their tangents, {g} the adjoint, {p[..]}, {args}, {d0}."""
        operands = row.operands

        def tangent_of(operand):
            return self.row(operand.index).tangent if operand.index is not None else 0.0

        def resolve(name):
            if name.isdigit():
                return self._operand_field(operands[int(name)], None, numeric)
            if name[0] == "t" and name[1:].isdigit():
                return self._operand_field(operands[int(name[1:])], "dot", numeric, tangent_of)
            if name == "g":
                return self._number_field(row.adjoint) if numeric else Field(self.name(row.index, "bar"))
            if name[0] == "d" and name[1:].isdigit():
                operand = operands[int(name[1:])]
                if not numeric:
                    return Field(self.notation.partial(self.name(row.index), self.name(operand.index)))
                partial = partials()[int(name[1:])]
                if partial is None:
                    raise CannotSubstitute
                return self._number_field(partial)
            if name == "args":
                fields = [self._operand_field(o, None, numeric) for o in operands]
                return Field(self.notation.literal(", ").join(f.text for f in fields))
            param = _PARAM.fullmatch(name)
            if param and param.group(1) in row.params:
                return Field(format_param(param.group(1), row.params[param.group(1)], self.notation, self.precision))
            return Field(self.notation.literal(name))

        return resolve

    def _equation(self, lhs, rhs_symbols, numeric_terms, result):
        """`lhs = symbols` and `numbers = result` (numbers omitted where a template cannot take them)."""
        symbols = f"{lhs}{self.notation.literal(' = ')}{rhs_symbols}"
        if numeric_terms is None:
            return symbols, self.value(result)
        value = self.value(result)
        numbers = join_terms(numeric_terms, self.notation)
        return symbols, numbers if numbers == value else f"{numbers}{self.notation.literal(' = ')}{value}"

    # -- primal

    def primal(self, index):
        row = self.row(index)
        if row.is_input:
            return f"{self.name(index)}{self.notation.literal(' = ')}{self.input_name(index)}", self.value(row.value)
        return self._equation(self.name(index), self.expression(row), self._numeric([(False, row.rule.expr)], row),
                              row.value)

    def expression(self, row):
        """The row's operation in symbols, e.g. `v_{-1} × v_0`."""
        return render(row.rule.expr, self._resolver(row, False), self.notation, leading=True)

    def _numeric(self, templates, row, leading=True, **resolver_options):
        """Templates filled with numbers (the `·` of a rule reads `×` here), or None for arrays."""
        if not is_scalar(row.value):
            return None
        resolve = self._resolver(row, True, **resolver_options)
        try:
            return [(negated, render(t.replace("·", "×"), resolve, self.notation, leading and i == 0 and not negated))
                    for i, (negated, t) in enumerate(templates)]
        except CannotSubstitute:
            return None

    # -- forward

    def tangent(self, index):
        row = self.row(index)
        lhs = self.name(index, "dot")
        if row.is_input:
            return f"{lhs}{self.notation.literal(' = ')}{self.input_name(index, 'dot')}", self.value(row.tangent)
        templates = self._tangent_templates(row)
        resolve = self._resolver(row, False)
        symbols = join_terms([(neg, render(t, resolve, self.notation, leading=i == 0 and not neg))
                              for i, (neg, t) in enumerate(templates)], self.notation)
        numbers = self._numeric(templates, row, partials=lambda: self.trace.local_partials(index))
        return self._equation(lhs, symbols, numbers, row.tangent)

    def _tangent_templates(self, row):
        """(negated, template) per traced operand: constants' terms drop out of the sum.

        A primitive without tangent rules (a user's own) reads as a sum of
        local partials times tangents, ∂v_i/∂v_j·v̇_j.
        """
        tangents = row.rule.tangent
        templates = []
        for position, operand in enumerate(row.operands):
            if operand.index is None:
                continue
            template = tangents[position] if position < len(tangents) else f"{{d{position}}}·{{t{position}}}"
            if template:
                templates.append((template.startswith("−"), template.removeprefix("−")))
        return templates

    # -- reverse

    def adjoint(self, index):
        """v̄_i = ȳ (if v_i is an output) + one term per use of v_i, in sweep order."""
        row = self.row(index)
        lhs = self.name(index, "bar")
        if row.is_input:
            lhs = f"{lhs}{self.notation.literal(' = ')}{self.input_name(index, 'bar')}"
        if row.adjoint is None:  # a sweep still on its way (the explorer): nothing to show yet
            return lhs, ""
        symbol_terms = []
        numeric_terms = [] if is_scalar(row.adjoint) else None
        for k, output in enumerate(self.trace.outputs):
            if output == index:
                symbol_terms.append((False, self.output_name(k, "bar")))
                if numeric_terms is not None:
                    field = self._number_field(self.trace.seed[k])
                    wrap = field.negative and len(numeric_terms) > 0
                    numeric_terms.append((False, f"({field.text})" if wrap else field.text))
        for contribution in row.contributions:
            user = self.row(contribution.row)
            term = self._adjoint_template(user, contribution.position)
            leading = not symbol_terms and not term[0]
            symbol_terms.append((term[0], render(term[1], self._resolver(user, False), self.notation, leading)))
            if numeric_terms is not None:
                numbers = self._numeric([term], user, leading=leading,
                                        partials=lambda u=user.index: self.trace.local_partials(u))
                numeric_terms = None if numbers is None else numeric_terms + numbers
        if not symbol_terms:
            numeric_terms = None
        return self._equation(lhs, join_terms(symbol_terms, self.notation), numeric_terms, row.adjoint)

    def _adjoint_template(self, user, position):
        """The using row's rule for argument `position`; variadic rules share one template."""
        adjoints = user.rule.adjoint
        if position < len(adjoints) and adjoints[position]:
            template = adjoints[position]
        elif "{args}" in user.rule.expr and adjoints:
            template = adjoints[-1]
        else:
            template = f"{{g}}·{{d{position}}}"
        return template.startswith("−"), template.removeprefix("−")

    # -- outputs

    def output_primal(self, k):
        index = self.trace.outputs[k]
        rhs = self.name(index) if index is not None else self.value(self.trace.output_values[k])
        return f"{self.output_name(k)}{self.notation.literal(' = ')}{rhs}", self.value(self.trace.output_values[k])

    def output_tangent(self, k):
        index = self.trace.outputs[k]
        rhs = self.name(index, "dot") if index is not None else self.value(0.0)
        return (f"{self.output_name(k, 'dot')}{self.notation.literal(' = ')}{rhs}",
                self.value(self.trace.output_tangents[k]))

    def output_adjoint(self, k):
        """ȳ is where the reverse sweep starts: the given cotangent, not computed from anything."""
        return self.output_name(k, "bar"), self.value(self.trace.seed[k])
