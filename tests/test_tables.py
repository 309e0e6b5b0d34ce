"""Trace tables: the course's Tables 1–3 with the correct numbers, in HTML, Markdown and LaTeX."""

import re
import unicodedata

import numpy as np
import pytest

import adlab
from adlab.display import tables
from course import seed_example


def chain(x, n=10_000):
    for _ in range(n):
        x = x * 1.0001
    return x


def body_rows(markdown):
    """The table's rows, without the header and the caption."""
    return [line for line in markdown.splitlines() if line.startswith("|")][2:]


def html_rows(html):
    return re.findall(r"<tr[^>]*>.*?</tr>", html.split("<tbody>")[1])


# -- the seed tables, exactly -------------------------------------------------------


def test_table1_primal_trace_at_2_4_in_markdown():
    assert tables.to_markdown(adlab.trace(seed_example, 2.0, 4.0)) == """\
| **Forward Primal Trace** | **Output** |
| --- | --- |
| $v_{-1} = x_1$ | 2 |
| $v_0 = x_2$ | 4 |
| $v_1 = v_{-1} \\times v_0$ | 2 × 4 = 8 |
| $v_2 = \\ln (v_{-1})$ | ln(2) = 0.693 |
| $v_3 = v_1 + v_0$ | 8 + 4 = 12 |
| $v_4 = v_3 - v_2$ | 12 − 0.693 = 11.307 |
| $y = v_4$ | 11.307 |

*seed_example at (x₁, x₂) = (2, 4)*
"""


def test_table2_forward_tangent_trace_along_x2_in_markdown():
    rows = body_rows(tables.to_markdown(adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0)))
    assert rows == [
        r"| $v_{-1} = x_1$ | 3 | $\dot{v}_{-1} = \dot{x}_1$ | 0 |",
        r"| $v_0 = x_2$ | −4 | $\dot{v}_0 = \dot{x}_2$ | 1 |",
        r"| $v_1 = v_{-1} \times v_0$ | 3 × (−4) = −12 | $\dot{v}_1 = \dot{v}_{-1}\cdot v_0 + \dot{v}_0\cdot v_{-1}$ "
        r"| 0×(−4) + 1×3 = 3 |",
        r"| $v_2 = \ln (v_{-1})$ | ln(3) = 1.099 | $\dot{v}_2 = \dot{v}_{-1}\cdot (1/v_{-1})$ | 0×(1/3) = 0 |",
        r"| $v_3 = v_1 + v_0$ | −12 + (−4) = −16 | $\dot{v}_3 = \dot{v}_1 + \dot{v}_0$ | 3 + 1 = 4 |",
        r"| $v_4 = v_3 - v_2$ | −16 − 1.099 = −17.099 | $\dot{v}_4 = \dot{v}_3 - \dot{v}_2$ | 4 − 0 = 4 |",
        r"| $y = v_4$ | −17.099 | $\dot{y} = \dot{v}_4$ | 4 |",  # the source prints ẏ = −4 (errata)
    ]


def test_table3_reverse_adjoint_trace_shows_every_contribution():
    rows = body_rows(tables.to_markdown(adlab.trace(seed_example, 3.0, -4.0).reverse()))
    assert [row.split(" | ")[2:] for row in rows] == [
        [r"$\bar{v}_{-1} = \bar{x}_1 = \bar{v}_2\cdot (1/v_{-1}) + \bar{v}_1\cdot v_0$", "−1×(1/3) + 1×(−4) = −4.333 |"],
        [r"$\bar{v}_0 = \bar{x}_2 = \bar{v}_3\cdot 1 + \bar{v}_1\cdot v_{-1}$", "1×1 + 1×3 = 4 |"],
        [r"$\bar{v}_1 = \bar{v}_3\cdot 1$", "1×1 = 1 |"],
        [r"$\bar{v}_2 = \bar{v}_4\cdot (-1)$", "1×(−1) = −1 |"],
        [r"$\bar{v}_3 = \bar{v}_4\cdot 1$", "1×1 = 1 |"],
        [r"$\bar{v}_4 = \bar{y}$", "1 |"],
        [r"$\bar{y}$", "1 |"],
    ]


def test_reverse_table_in_sweep_order_starts_at_y_bar():
    rows = body_rows(tables.to_markdown(adlab.trace(seed_example, 3.0, -4.0).reverse(), order="sweep"))
    assert rows[0].startswith(r"| $y = v_4$ | −17.099 | $\bar{y}$ | 1")
    assert rows[-1].startswith(r"| $v_{-1} = x_1$ | 3 | $\bar{v}_{-1}")
    with pytest.raises(ValueError, match="order"):
        tables.to_markdown(adlab.trace(seed_example, 3.0, -4.0), order="backwards")


def test_html_renders_the_rule_without_mathjax():
    html = tables.to_html(adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0))
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)
    assert headers == ["Forward Primal Trace", "Output", "Forward Tangent Trace", "Output"]
    assert ("<td class=\"adlab-rule adlab-sweep\" style=\"text-align:left\">v̇<sub>1</sub> = v̇<sub>−1</sub>·v<sub>0</sub> + "
            "v̇<sub>0</sub>·v<sub>−1</sub></td><td class=\"adlab-value\" style=\"text-align:left\">0×(−4) + 1×3 = 3</td>") in html
    assert ('<td class="adlab-rule" style="text-align:left">y = v<sub>4</sub></td>'
            '<td class="adlab-value" style="text-align:left">−17.099</td>') in html
    assert "$" not in html and "\\" not in html
    assert len(html_rows(html)) == 7


def test_html_highlights_exactly_the_current_row():
    html = tables.to_html(adlab.trace(seed_example, 3.0, -4.0).reverse(), highlight=3)
    current = [row for row in html_rows(html) if "adlab-current" in row]
    assert len(current) == 1 and "v̄<sub>3</sub> = v̄<sub>4</sub>·1" in current[0]
    assert "adlab-current" not in "".join(html_rows(tables.to_html(adlab.trace(seed_example, 3.0, -4.0))))


def test_html_is_accessible_headers_caption_and_no_state_by_colour_alone():
    html = tables.to_html(adlab.trace(seed_example, 3.0, -4.0).reverse(), highlight=3)
    assert html.count('<th scope="col"') == 4 and "<th>" not in html
    assert "<caption>seed_example at (x<sub>1</sub>, x<sub>2</sub>) = (3, −4); reverse sweep" in html
    current = [row for row in html_rows(html) if "adlab-current" in row]
    assert current[0].startswith('<tr class="adlab-current"><td class="adlab-rule" aria-current="step" style="')
    assert html.count("aria-current") == 1
    # the current row is bold and framed, not only tinted; inputs end with a rule, not only a tint. Bold and
    # left-aligned inline, so an untrusted notebook (which drops <style>) keeps them.
    assert re.search(r"tr\.adlab-current td \{[^}]*box-shadow: inset 0 2px", tables.CSS)  # framed, taking no room
    assert all("font-weight:bold" in cell for cell in re.findall(r"<td [^>]*>", current[0]))
    assert all("text-align:left" in cell for cell in re.findall(r"<t[dh] [^>]*>", html))
    assert "tr.adlab-input + tr:not(.adlab-input) td { border-top" in tables.CSS


def test_report_tables_left_align_text_and_right_align_numbers():
    html = tables.plain_table("Two rows <of> things", ["name", "count"], [["a & b", 3], ["c", 12]], numeric=[1])
    assert html.startswith('<table class="adlab-report"><caption>Two rows &lt;of&gt; things</caption>')
    assert '<th scope="col" style="text-align:left">name</th>' in html
    assert '<th scope="row" style="text-align:left">a &amp; b</th>' in html
    assert '<td style="text-align:right;font-variant-numeric:tabular-nums">12</td>' in html
    assert "<td" not in tables.plain_table("c", ["x"], [["y"]]) and "<th scope=\"row\"" not in tables.plain_table(
        "c", ["x"], [["y"]], row_headers=False)


def test_html_escapes_what_it_shows():
    html = tables.to_html(adlab.trace(lambda x: x * 2.0, 1.0))
    assert "&lt;lambda&gt; at x<sub>1</sub> = 1" in html and "<lambda>" not in html
    assert "*&lt;lambda> at x₁ = 1*" in tables.to_markdown(adlab.trace(lambda x: x * 2.0, 1.0))


def test_printed_markdown_holds_no_combining_accent():
    """Printed, the Markdown is read in a code font, which may draw a combining accent beside its letter (issue 23):
    the caption's ȳ and ẋ are the one-character forms."""
    t = adlab.trace(seed_example, 3.0, -4.0)
    for sweep, caption in ((t.reverse(), "reverse sweep, \u0233 = 1*"),
                           (t.forward(0.0, 1.0), "(\u1e8b₁, \u1e8b₂) = (0, 1)*")):
        markdown = tables.to_markdown(sweep)
        assert markdown.rstrip().endswith(caption) and not any(unicodedata.combining(c) for c in markdown), markdown


def test_trace_methods_delegate_to_the_tables():
    t = adlab.trace(seed_example, 3.0, -4.0).reverse()
    assert t._repr_html_() == tables.to_html(t)
    assert t.to_markdown(precision=5) == tables.to_markdown(t, precision=5)
    assert t.to_latex() == tables.to_latex(t)


def test_latex_is_a_tabular_in_math_mode_with_ascii_minus():
    latex = tables.to_latex(adlab.trace(seed_example, 3.0, -4.0).forward(0.0, 1.0))
    lines = latex.splitlines()
    assert lines[1] == r"\begin{tabular}{llll}" and lines[-1] == r"\end{tabular}"
    assert r"Forward Primal Trace & Output & Forward Tangent Trace & Output \\" in lines
    assert (r"$v_1 = v_{-1} \times v_0$ & $3 \times (-4) = -12$ & "
            r"$\dot{v}_1 = \dot{v}_{-1}\cdot v_0 + \dot{v}_0\cdot v_{-1}$ & $0\times (-4) + 1\times 3 = 3$ \\") in lines
    assert r"$y = v_4$ & $-17.099$ & $\dot{y} = \dot{v}_4$ & $4$ \\" in lines
    assert "−" not in latex


def test_precision_is_a_parameter():
    md = tables.to_markdown(adlab.trace(seed_example, 3.0, -4.0).reverse(), precision=5)
    assert "−1×(1/3) + 1×(−4) = −4.33333" in md and "ln(3) = 1.09861" in md


# -- what drops out, what cannot be substituted ---------------------------------------


def test_constants_drop_out_of_tangent_sums_but_keep_their_value():
    rows = body_rows(tables.to_markdown(adlab.trace(lambda x: 2.0 * x + 1.0, 3.0).forward(1.0)))
    assert rows[1] == r"| $v_1 = 2 \times v_0$ | 2 × 3 = 6 | $\dot{v}_1 = \dot{v}_0\cdot 2$ | 1×2 = 2 |"
    assert rows[2] == r"| $v_2 = v_1 + 1$ | 6 + 1 = 7 | $\dot{v}_2 = \dot{v}_1$ | 2 |"
    assert "× 1.0001" in tables.to_markdown(adlab.trace(lambda x: chain(x, 1), 1.0))  # as typed, not rounded


def test_a_primitive_without_table_rules_reads_as_local_partials():
    @adlab.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    softplus.defjvp(lambda t, out, x: t / (1 + np.exp(-x)))
    softplus.defvjp(lambda g, out, x: g / (1 + np.exp(-x)))
    t = adlab.trace(lambda x: softplus(x) * 3.0, 0.0)
    forward = body_rows(tables.to_markdown(t.forward(1.0)))
    assert forward[1] == (r"| $v_1 = \text{softplus}(v_0)$ | softplus(0) = 0.693 | "
                          r"$\dot{v}_1 = \partial v_1/\partial v_0\cdot \dot{v}_0$ | 0.5×1 = 0.5 |")
    reverse = body_rows(tables.to_markdown(t.reverse()))
    assert reverse[0].endswith(r"$\bar{v}_0 = \bar{x}_1 = \bar{v}_1\cdot \partial v_1/\partial v_0$ | 3×0.5 = 1.5 |")


def test_arrays_show_shape_and_preview_and_no_substitution():
    def layer(x, W):
        return np.sum(np.tanh(W @ x))

    t = adlab.trace(layer, np.array([1.0, 2.0, 3.0]), np.arange(12.0).reshape(4, 3) / 10).reverse()
    rows = body_rows(tables.to_markdown(t))
    assert rows[1].startswith(r"| $v_0 = x_2$ | (4, 3) [0, 0.1, 0.2, 0.3, …] |")
    assert rows[2].startswith(r"| $v_1 = v_0 @ v_{-1}$ | (4,) [0.8, 2.6, 4.4, 6.2] |")
    assert rows[4].startswith(r"| $v_3 = \sum v_2$ | 3.653 |")


def test_nan_and_inf_are_highlighted():
    def f(x, y):
        return np.log(x) + y / 0.0

    with np.errstate(all="ignore"):
        t = adlab.trace(f, -1.0, 2.0)
        array_trace = adlab.trace(lambda x: np.log(x), np.array([1.0, -1.0, 0.0, 2.0, 3.0, 4.0]))
    html = tables.to_html(t)
    assert 'ln(−1) = <span class="adlab-nonfinite">nan</span>' in html
    assert '2 / 0 = <span class="adlab-nonfinite">inf</span>' in html
    assert "ln(−1) = **nan**" in tables.to_markdown(t)
    assert r"\mathrm{NaN}" in tables.to_latex(t) and r"\infty" in tables.to_latex(t)
    # a NaN or inf beyond the preview is still counted
    preview = tables.to_html(array_trace)
    assert '<span class="adlab-nonfinite">−inf</span>' in preview
    assert '<span class="adlab-nonfinite">(1 NaN, 1 inf)</span>' in preview


# -- long traces --------------------------------------------------------------------


def test_a_10000_row_trace_folds_to_first_and_last_rows():
    t = adlab.trace(chain, 1.0).reverse()
    assert len(t) == 10_001
    html = tables.to_html(t)
    rows = html_rows(html)
    assert len(rows) == tables.MAX_ROWS + 1
    fold = [row for row in rows if "adlab-fold" in row]
    assert len(fold) == 1
    assert "9,962 rows hidden (v<sub>20</sub> … v<sub>9981</sub>)" in fold[0]
    assert "v<sub>19</sub> = v<sub>18</sub> × 1.0001" in html and "v<sub>9982</sub> = " in html
    assert "y = v<sub>10000</sub>" in html
    md = tables.to_markdown(t)
    assert len(body_rows(md)) == tables.MAX_ROWS + 1 and "9,962 rows hidden (v₂₀ … v₉₉₈₁)" in md
    assert r"\multicolumn{4}{c}{$\vdots \text{9,962 rows hidden}" in tables.to_latex(t)


def test_the_highlighted_row_stays_visible_inside_a_fold():
    html = tables.to_html(adlab.trace(chain, 1.0), highlight=5000, max_rows=10)
    rows = html_rows(html)
    assert [row for row in rows if "adlab-current" in row][0].count("v<sub>5000</sub> = v<sub>4999</sub>") == 1
    assert sum("adlab-fold" in row for row in rows) == 2
    assert len(rows) == 10 + 5 + 2


def test_max_rows_none_shows_every_row():
    t = adlab.trace(lambda x: chain(x, 60), 1.0)
    assert len(html_rows(tables.to_html(t, max_rows=None))) == 61 + 1
    assert "hidden" in tables.to_html(t)


def test_negative_numbers_get_parentheses_where_a_reader_needs_them():
    forward = body_rows(tables.to_markdown(adlab.trace(lambda x: 1.0 - x ** 2.0, -0.5).forward(1.0)))
    assert forward[1] == (r"| $v_1 = v_0^{2}$ | (−0.5)^2 = 0.25 "
                          r"| $\dot{v}_1 = \dot{v}_0\cdot 2\cdot v_0^{(2-1)}$ | 1×2×(−0.5)^(2−1) = −1 |")
    assert forward[2] == r"| $v_2 = 1 - v_1$ | 1 − 0.25 = 0.75 | $\dot{v}_2 = -\dot{v}_1$ | −(−1) = 1 |"
    reverse = body_rows(tables.to_markdown(adlab.trace(lambda x: 1.0 - x * x, -0.5).reverse(-2.0)))
    assert reverse[0].endswith(r"| 2×(−0.5) + 2×(−0.5) = −2 |")
    assert reverse[1] == r"| $v_1 = v_0 \times v_0$ | −0.5 × (−0.5) = 0.25 | $\bar{v}_1 = \bar{v}_2\cdot (-1)$ | −2×(−1) = 2 |"


def test_a_custom_primitive_with_only_a_vjp_rule_shows_its_adjoints():
    """A gradient clip defines a VJP and no JVP: its reverse table shows the adjoint values, not a TypeError."""
    @adlab.primitive
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda g, out, x: np.clip(g, -1.0, 1.0))
    table = adlab.trace(lambda x: clip_gradient(x) * 3.0, 2.0).reverse(1.0).to_markdown()
    assert r"$\bar{v}_0 = \bar{x}_1 = \bar{v}_1\cdot \partial v_1/\partial v_0$ | 1 |" in table  # clip(3) = 1
    assert r"\text{clip\_gradient}(v_0)" in table


def test_latex_names_with_underscores_stay_one_word():
    latex = adlab.trace(lambda x: adlab.stop_gradient(x) * x, 2.0).to_latex()
    assert r"\text{stop\_gradient}(v_0)" in latex and r"\text{stop}_" not in latex
