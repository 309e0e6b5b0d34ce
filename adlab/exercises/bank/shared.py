"""Functions several lessons' exercises use, defined once."""

import numpy as np

from ..exercise import NOT_ANSWERED
from ..feedback import is_placeholder
from ..value_class import borrowed


def eq5(x1, x2):
    """The notes' worked example (Eq. 5), y = x1·x2 + x2 − ln(x1), one operation per line in the order of
    their tables: the engine numbers its rows v₁ … v₄ as Tables 1–3 do (the lessons' `f`)."""
    v1 = x1 * x2
    v2 = np.log(x1)
    v3 = v1 + x2
    return v3 - v2


def answer_class(namespace, name, where="the answer cell must define it"):
    """(the class `name` the answer cells defined, None), or (None, (status, message)) saying what is wrong:
    missing, still the stub, not a class, or not the student's own (adlab's ReferenceValue, or built on it)."""
    if name not in namespace:
        return None, ("invalid", f"no class `{name}`: {where} (`class {name}:`; check the spelling).")
    cls = namespace[name]
    if is_placeholder(cls):
        return None, ("unanswered", NOT_ANSWERED)
    if not isinstance(cls, type):
        return None, ("invalid", f"`{name}` is a {type(cls).__name__}, not a class: define it with `class {name}:`.")
    refused = borrowed(cls)
    if refused:
        return None, ("wrong", refused)
    return cls, None
