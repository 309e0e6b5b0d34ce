"""Lesson 5 · Jacobians, JVPs and VJPs: J of polar by hand, a JVP, a VJP by a reverse sweep, counting sweeps,
transposing a linear program (5.7), and the colours of a banded Jacobian (5.8).

Polar coordinates, (r, θ) ↦ (r cos θ, r sin θ), at each student's own point. The lesson's worked
example is (r, θ) = (2, 0.5) with v = (1, 1) and r = (1, 0), (0, 1), (1, 1): no exercise draws
θ = 0.5, so nothing the lesson prints answers an exercise. Every draw is kept only if each listed
mistake changes the answer (by more than the tolerance) and no two mistakes look alike, so each one
is named for what it is.
"""

from __future__ import annotations

import numpy as np

from ... import jacfwd, jvp, vjp
from ..columns import trace_column
from ..diagnose import APART, DEFAULT, EXACT, distinguishing_draw
from ..exercise import Exercise
from . import register



def polar(r, theta):
    """Polar to Cartesian coordinates: (r, θ) ↦ (r cos θ, r sin θ) (the lesson's function)."""
    return r * np.cos(theta), r * np.sin(theta)


def _jacobian(r, theta):
    return np.asarray(jacfwd(polar, argnums=(0, 1))(r, theta), dtype=float)


def _drawn(rng, draw, truth, mistakes, tolerance=DEFAULT):
    return distinguishing_draw(rng, draw, truth, mistakes, tolerance)


_R = (0.5, 1.5, 2.0, 2.5, 3.0)
_THETA = (0.3, 0.6, 0.9, 1.2, 1.4, 2.0, 2.5)  # never 0.5 (the lesson's point), nor near π/4 (cos θ = sin θ)


# -- 5.1 · J by hand -------------------------------------------------------------------------------


def _jacobian_mistakes(r, theta):
    c, s = np.cos(theta), np.sin(theta)
    return {"transposed: row i holds the derivatives of output yᵢ, column j those by input xⱼ":
                [[c, s], [-r * s, r * c]],
            "∂(r cos θ)/∂θ = −r sin θ: the derivative of cos is −sin": [[c, r * s], [s, r * c]],
            "the θ column keeps the factor r: ∂(r cos θ)/∂θ = r·(−sin θ)": [[c, -s], [s, c]],
            "the rows are in the wrong order: row 1 is y₁ = r cos θ, row 2 is y₂ = r sin θ":
                [[s, r * c], [c, -r * s]],
            "the columns are in the wrong order: column 1 is ∂/∂r, column 2 is ∂/∂θ":
                [[-r * s, c], [r * c, s]]}


def _point(rng):
    return {"r": float(rng.choice(_R)), "theta": float(rng.choice(_THETA))}


# -- 5.2 · J·v at the student's own point and direction ------------------------------------------------


_V = (-2.0, -1.0, 0.5, 1.5, 2.0, 3.0)


def _jvp_truth(r, theta, v1, v2):
    return np.asarray(jvp(polar, (r, theta), (v1, v2))[1], dtype=float)


def _jvp_mistakes(r, theta, v1, v2):
    J = _jacobian(r, theta)
    c, s = np.cos(theta), np.sin(theta)
    v = np.array([v1, v2])
    return {"that is vᵀJ, the rows mixed: J·v mixes the columns, v₁·(column 1) + v₂·(column 2)": v @ J,
            "v's entries are swapped: v₁ weights column 1 (∂/∂r), v₂ column 2 (∂/∂θ)": J @ v[::-1],
            "the columns are added without their weights: J·v = v₁·(column 1) + v₂·(column 2)": J @ [1.0, 1.0],
            "∂(r cos θ)/∂θ = −r sin θ: the derivative of cos is −sin":
                np.array([[c, r * s], [s, r * c]]) @ v,
            "the θ column keeps the factor r: ∂(r cos θ)/∂θ = r·(−sin θ)": np.array([[c, -s], [s, c]]) @ v}


def _jvp_draw(rng):
    v1, v2 = (float(x) for x in rng.choice(_V, size=2, replace=False))
    return {**_point(rng), "v1": v1, "v2": v2}


# -- 5.3 · a VJP by a reverse sweep, with a cotangent of the student's own ------------------------------


_COTANGENT = (-2.0, -1.0, 1.0, 2.0, 3.0)  # both entries nonzero: each output's branch carries an adjoint


_VJP = trace_column(polar, "adjoint", seed=lambda r, theta, y1_bar, y2_bar: (y1_bar, y2_bar), rows="all",
                    arguments=("r", "theta"))
_vjp_expected = _VJP["expected"]


def _vjp_mistakes(r, theta, y1_bar, y2_bar):
    """Rows v̄₋₁, v̄₀, v̄₁ … v̄₄: each fan-out contribution missing, cos's sign, sin and cos swapped, J·r."""
    a, b, c, s = y1_bar, y2_bar, np.cos(theta), np.sin(theta)
    rest = [a * r, a, b * r, b]  # v̄₁ … v̄₄
    x1_bar, x2_bar = b * s + a * c, b * r * c - a * r * s
    J = _jacobian(r, theta)
    fan_out = "θ = v₀ is read by v₁ = cos v₀ and by v₃ = sin v₀: v̄₀ adds one contribution per use"
    fan_out_r = "r = v₋₁ is read by v₂ and by v₄: v̄₋₁ adds one contribution per use"
    return {"that is J·r (the columns mixed): a reverse sweep gives rᵀJ, ȳ₁·(row 1) + ȳ₂·(row 2)":
                [*(J @ [a, b]), *rest],
            "the cotangent's entries are swapped: ȳ₁ starts the sweep at y₁ = v₂, ȳ₂ at y₂ = v₄":
                [a * s + b * c, a * r * c - b * r * s, b * r, b, a * r, a],
            f"{fan_out}, and the one from v₃ is missing": [x1_bar, -a * r * s, *rest],
            f"{fan_out}, and the one from v₁ is missing": [x1_bar, b * r * c, *rest],
            f"{fan_out_r}, and the one from v₄ is missing": [a * c, x2_bar, *rest],
            f"{fan_out_r}, and the one from v₂ is missing": [b * s, x2_bar, *rest],
            "v₁ = cos v₀ sends v̄₁·(−sin v₀): the derivative of cos is −sin": [x1_bar, b * r * c + a * r * s, *rest],
            "sin and cos are swapped: v₃ = sin v₀ sends v̄₃·cos v₀, v₁ = cos v₀ sends v̄₁·(−sin v₀)":
                [x1_bar, -b * r * s + a * r * c, *rest],
            "a product sends each factor the *other* factor: v₄ = v₋₁ × v₃ gives v₋₁ the term v̄₄·v₃ (the sin), "
            "v₂ = v₋₁ × v₁ gives it v̄₂·v₁ (the cos)": [b * c + a * s, x2_bar, *rest]}


def _vjp_draw(rng):
    a, b = (float(x) for x in rng.choice(_COTANGENT, size=2, replace=False))
    return {**_point(rng), "y1_bar": a, "y2_bar": b}


# -- 5.4 · counting sweeps ----------------------------------------------------------------------------------


_SIZES = (200, 300, 500, 2000, 4000, 5000, 10_000, 20_000, 50_000)


def _sweeps_truth(n, m):
    """A full Jacobian takes one forward sweep per input (column) and one reverse sweep per output (row)."""
    loss, curve = (n, 1), (1, m)  # (inputs, outputs)
    return [[loss[0], loss[1]], [curve[0], curve[1]]]


def _sweeps_mistakes(n, m):
    return {"forward and reverse are swapped: forward mode fills one column per sweep (one per input), "
            "reverse mode one row per sweep (one per output)": [[1, n], [m, 1]],
            "the rows are in the wrong order: the first row is the loss, the second the curve": [[1, m], [n, 1]],
            "a sweep gives a whole column (forward) or a whole row (reverse), not one entry of J":
                [[n, n], [m, m]]}


def _sizes(rng):
    n, m = (int(x) for x in rng.choice(_SIZES, size=2, replace=False))
    return {"n": n, "m": m}


# -- 5.7 · transpose a linear program, line by line -----------------------------------------------------


_COEFFICIENTS = (-3.0, -2.0, -1.5, -0.5, 0.5, 1.5, 2.0, 2.5, 3.0)  # never 0 or ±1: every coefficient shows
_COTANGENTS = ((1.0, 2.0), (-2.0, 1.0), (0.5, -1.5))  # the first decides the diagnosis: both entries nonzero


def linear_program(a, b, c, d, e):
    """Exercise 5.7's linear program as a function the engine can trace: (x₁, x₂) ↦ (y₁, y₂).

    line 1: t = a·x₁ + b·x₂;  line 2: y₁ = c·t + d·x₁;  line 3: y₂ = e·t.
    It is linear, so its JVP at any point is the program itself and its VJP is the transpose."""
    def program(x1, x2):
        t = a * x1 + b * x2
        return c * t + d * x1, e * t
    return program


def _transpose_reference(a, b, c, d, e):
    """The engine's VJP of the linear program: one reverse sweep per cotangent (ȳ₁, ȳ₂)."""
    _, pullback = vjp(linear_program(a, b, c, d, e), 0.0, 0.0)
    return lambda y1_bar, y2_bar: np.asarray(pullback((y1_bar, y2_bar)), dtype=float)


def _transpose_mistakes(a, b, c, d, e):
    def build(t_bar, x1_bar, x2_bar):
        return lambda y1_bar, y2_bar: np.array([x1_bar(y1_bar, y2_bar, t_bar(y1_bar, y2_bar)),
                                                x2_bar(y1_bar, y2_bar, t_bar(y1_bar, y2_bar))])

    t_bar = lambda y1, y2: c * y1 + e * y2  # noqa: E731 (the right t̄)
    x1_right = lambda y1, y2, t: a * t + d * y1  # noqa: E731
    x2_right = lambda y1, y2, t: b * t  # noqa: E731
    fan_t = "t is read by lines 2 and 3: t̄ adds one contribution per use (+=, not =)"
    fan_x1 = "x₁ is read by lines 1 and 2: x̄₁ adds one contribution per use (+=, not =)"
    return {"the transposed lines must run last line first: in the program's order, line 1's transpose reads t̄ "
            "before lines 2 and 3 have added anything to it":
                build(t_bar, lambda y1, y2, t: d * y1, lambda y1, y2, t: 0.0),
            f"{fan_t}, and the one from line 3 (y₂ = e·t) is missing":
                build(lambda y1, y2: c * y1, x1_right, x2_right),
            f"{fan_t}, and the one from line 2 (y₁ = c·t + d·x₁) is missing":
                build(lambda y1, y2: e * y2, x1_right, x2_right),
            f"{fan_x1}, and the one from line 2 (d·x₁) is missing":
                build(t_bar, lambda y1, y2, t: a * t, x2_right),
            f"{fan_x1}, and the one from line 1 (a·x₁) is missing":
                build(t_bar, lambda y1, y2, t: d * y1, x2_right),
            "line 1's coefficients went to the wrong inputs: t = a·x₁ + b·x₂ sends a·t̄ to x̄₁ and b·t̄ to x̄₂":
                build(t_bar, lambda y1, y2, t: b * t + d * y1, lambda y1, y2, t: a * t),
            "line 2's coefficients went to the wrong variables: y₁ = c·t + d·x₁ sends c·ȳ₁ to t̄ and d·ȳ₁ to x̄₁":
                build(lambda y1, y2: d * y1 + e * y2, lambda y1, y2, t: a * t + c * y1, x2_right),
            "that is J·r, the program run forwards with (ȳ₁, ȳ₂) as its tangents: the transpose runs it "
            "backwards and gives Jᵀr":
                lambda y1, y2: np.array(linear_program(a, b, c, d, e)(y1, y2), dtype=float)}


def _transpose_distinct(inputs):
    """Every listed mistake differs from the truth, and from every other one, at the first cotangent."""
    point = _COTANGENTS[0]
    truth = _transpose_reference(**inputs)(*point)
    wrong = [np.asarray(m(*point), dtype=float) for m in _transpose_mistakes(**inputs).values()]
    answers = [truth, *wrong]
    return all(not np.all(APART.close(answers[i], answers[j]))
               for i in range(len(answers)) for j in range(i + 1, len(answers)))


def _coefficients(rng, tries=1000):
    for _ in range(tries):
        a, b, c, d, e = (float(x) for x in rng.choice(_COEFFICIENTS, size=5, replace=False))
        inputs = {"a": a, "b": b, "c": c, "d": d, "e": e}
        if _transpose_distinct(inputs):
            return inputs
    raise RuntimeError("no draw keeps every mistake visible: widen the choices.")


# -- 5.8 · how many colours a band needs ---------------------------------------------------------------------


_HALF_WIDTHS = (4, 5, 6, 7, 8, 9)  # the lesson's picture goes up to k = 3: the student generalises
_BAND_SIZES = (60, 80, 100, 150, 200)


def band_function(k):
    """f: Rⁿ → Rⁿ with yᵢ = Σ_{|d| ≤ k} sin(x_{i+d}) · x_i (a band of half-width k: yᵢ reads x_{i−k} … x_{i+k})."""
    def f(x):
        total = np.sin(x)
        for d in range(1, k + 1):
            pad = np.zeros(d)
            total = total + np.concatenate([pad, np.sin(x[:-d])]) + np.concatenate([np.sin(x[d:]), pad])
        return total * x
    return f


def colours_needed(n, k):
    """The fewest colours p for which 'column j gets colour j mod p' is valid for the engine's Jacobian of
    band_function(k) at n points: no row holds two nonzero entries of one colour (then each compressed
    column, one forward sweep, holds each row's entry of one column only)."""
    x = np.linspace(0.3, 1.2, n)
    pattern = np.asarray(jacfwd(band_function(k))(x), dtype=float) != 0.0
    columns = np.arange(n)
    for p in range(1, n + 1):
        colour = columns % p
        if all(np.unique(colour[row]).size == np.count_nonzero(row) for row in pattern):
            return p
    return n


def _colour_mistakes(n, k):
    return {"that is n, one sweep per column: columns that share no row can share one sweep": n,
            "k + 1 counts one side of the band and the diagonal: row i reads x_{i−k} … x_{i+k}, and those "
            "columns all meet in row i, so they all need different colours": k + 1,
            "2k leaves out the diagonal: row i reads k columns to its left, k to its right and column i itself":
                2 * k}


def _band_draw(rng):
    return {"n": int(rng.choice(_BAND_SIZES)), "k": int(rng.choice(_HALF_WIDTHS))}


register(
    Exercise(
        "5.1", "numbers", ("J",), title="the Jacobian of polar, by hand",
        inputs=lambda rng: _drawn(rng, _point, _jacobian, _jacobian_mistakes), by_hand=True,
        expected=_jacobian,
        mistakes=_jacobian_mistakes, revisit="revisit section 1: row i is output yᵢ, column j is input xⱼ",
        hints=("Row 1 is y₁ = r cos θ differentiated by r, then by θ; row 2 does the same for y₂ = r sin θ.",
               "∂(r cos θ)/∂θ = −r sin θ and ∂(r sin θ)/∂θ = r cos θ: write them with np.cos(theta) and "
               "np.sin(theta), and let Python do the arithmetic.")),
    Exercise(
        "5.2", "numbers", ("J_v",), title="a JVP at your own point and direction",
        inputs=lambda rng: _drawn(rng, _jvp_draw, _jvp_truth, _jvp_mistakes), by_hand=True,
        variant_note="the direction is v = (v1, v2)",
        expected=_jvp_truth,
        entries=lambda r, theta, v1, v2: ["ẏ₁", "ẏ₂"],
        mistakes=_jvp_mistakes, revisit="revisit section 5: J·v mixes the columns of J",
        hints=("J·v = v₁·(column 1 of J) + v₂·(column 2 of J): the columns, weighted by v.",
               "Write J at your point as in Exercise 5.1, then J @ np.array([v1, v2]) (or the two sums by hand).")),
    Exercise(
        "5.3", "numbers", ("adjoints",), title="a VJP by a reverse sweep, by hand",
        inputs=lambda rng: _drawn(rng, _vjp_draw, _vjp_expected, _vjp_mistakes), by_hand=True,
        variant_note="the cotangent is r = (ȳ₁, ȳ₂) = (y1_bar, y2_bar)",
        **_VJP,
        mistakes=_vjp_mistakes, revisit="revisit sections 3 and 6, and Lesson 1's reverse sweep (fan-out)",
        hints=("Start at the outputs: v̄₄ = ȳ₂ and v̄₂ = ȳ₁ (both nonzero: both branches carry an adjoint). "
               "A product v = a × b sends v̄·b to a and v̄·a to b.",
               "v̄₃ = v̄₄·v₋₁ and v̄₁ = v̄₂·v₋₁. θ = v₀ is read twice: v̄₀ = v̄₃·cos v₀ + v̄₁·(−sin v₀).",
               "r = v₋₁ is read twice too: v̄₋₁ = v̄₄·v₃ + v̄₂·v₁. Check yourself: (v̄₋₁, v̄₀) must equal "
               "ȳ₁·(row 1 of J) + ȳ₂·(row 2 of J), with J from Exercise 5.1's formulas at your point.")),
    Exercise(
        "5.4", "numbers", ("sweeps",), title="how many sweeps",
        inputs=lambda rng: _drawn(rng, _sizes, _sweeps_truth, _sweeps_mistakes, EXACT), by_hand=True,
        expected=_sweeps_truth, tolerance=EXACT,
        entries=lambda n, m: ["loss, forward sweeps", "loss, reverse sweeps", "curve, forward sweeps",
                              "curve, reverse sweeps"],
        mistakes=_sweeps_mistakes, revisit="revisit section 7's table",
        hints=("Give a 2×2 list: one row per function, [forward sweeps, reverse sweeps] in each row.",
               "Forward mode fills one column of J per sweep (J has one column per input); reverse mode one row "
               "per sweep (one row per output). What shape is J for each function?")),
    Exercise(
        "5.5", "choice", ("cheaper_mode",), title="which mode",
        expected="reverse", choices=("forward", "reverse"), revisit="revisit section 7",
        mistakes=lambda: {"forward mode runs one sweep per input, a column of J each: compare the number of "
                          "inputs with the number of outputs": "forward"},
        explain="Reverse: m = 10 sweeps, one per row of J, against n = 10 000 forward sweeps, one per column.",
        hints=("Count the rows (outputs) and the columns (inputs) of J: which mode fills which?",)),
    Exercise(
        "5.6", "choice", ("jvp_sweeps",), title="the price of a JVP",
        expected=1, revisit="revisit section 5",
        explain="One: seed the forward sweep with ẋ = v and the outputs' tangents are J·v. Building J first "
                "would take 1000 sweeps.",
        hints=("Section 5: what does one forward sweep seeded with ẋ = v give?",)),
    Exercise(
        "5.7", "function", ("transposed",), title="transpose a linear program, by hand",
        inputs=_coefficients, by_hand=True,
        variant_note="the coefficients of the program's three lines",
        reference=_transpose_reference,
        points=lambda a, b, c, d, e: _COTANGENTS,
        mistakes=_transpose_mistakes,
        revisit="revisit section 8: transpose each line, then run them last line first",
        hints=("Each line `out = p·u + q·w` becomes `u_bar += p·out_bar` and `w_bar += q·out_bar`: the coefficient "
               "that multiplied a variable now multiplies the output's bar, and is added to that variable's bar.",
               "Run the transposed lines from line 3 up to line 1: t̄ must be complete (both of its contributions, "
               "from lines 2 and 3) before line 1's transpose hands it on to x̄₁ and x̄₂.",
               "x₁ appears in lines 1 and 2, t in lines 2 and 3: each gets two += terms.")),
    Exercise(
        "5.8", "numbers", ("colours",), title="how many sweeps a band needs",
        inputs=lambda rng: _drawn(rng, _band_draw, colours_needed, _colour_mistakes, EXACT), by_hand=True,
        variant_note="n inputs and outputs; yᵢ depends on x_{i−k} … x_{i+k}",
        expected=colours_needed, tolerance=EXACT,
        mistakes=_colour_mistakes,
        revisit="revisit section 9: columns that meet in some row need different colours",
        hints=("Which columns does row i read? Each pair of them meets in row i, so no two can share a colour.",
               "Count the columns row i reads; then check that 'column j gets colour j mod (that count)' never puts "
               "two of one row's columns in one colour.")),
)
