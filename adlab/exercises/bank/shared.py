"""Functions several lessons' exercises use, defined once."""

import numpy as np


def eq5(x1, x2):
    """The notes' worked example (Eq. 5), y = x1·x2 + x2 − ln(x1), one operation per line in the order of
    their tables: the engine numbers its rows v₁ … v₄ as Tables 1–3 do (the lessons' `f`)."""
    v1 = x1 * x2
    v2 = np.log(x1)
    v3 = v1 + x2
    return v3 - v2
