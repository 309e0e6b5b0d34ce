"""Numbers as people read them, in one place: the trace tables, the exercises' feedback and adlab.testing."""

from __future__ import annotations

import math


def number_text(x, decimals=4):
    """``x`` with ``decimals`` places, trailing zeros dropped and a real minus sign (−); nan and ±inf by name.

    Magnitudes of a million or more, and those that ``decimals`` places would show as 0, switch to scientific
    notation, so that no value prints as a misleading 0 or as a long row of digits.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    magnitude = abs(x)
    if magnitude >= 1e6 or 0 < magnitude < 0.5 * 10.0 ** -decimals:
        mantissa, exponent = f"{x:.{decimals}e}".split("e")
        text = f"{_strip_zeros(mantissa)}e{exponent}"
    else:
        text = _strip_zeros(f"{x:.{decimals}f}")
    if text in ("-0", "+0"):
        text = "0"
    return text.replace("-", "−")


def _strip_zeros(text):
    return text.rstrip("0").rstrip(".") if "." in text else text
