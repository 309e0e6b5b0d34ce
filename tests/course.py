"""The course's worked example, shared by the tests that pin its tables."""

import numpy as np


def seed_example(x1, x2):
    """Eq. 5 of the course notes, in the order of its Table 1: y = x1·x2 + x2 − ln(x1)."""
    v1 = x1 * x2
    v2 = np.log(x1)
    v3 = v1 + x2
    return v3 - v2
