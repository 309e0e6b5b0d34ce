"""Every scalar primitive, called inside its domain: (f, args) by primitive name.

Shared by the tests of the generated code and of the SymPy conversion.
"""

import numpy as np

SCALAR_CASES = {  # primitive: (f, args inside its domain)
    "add": (lambda x, y: x + y, (0.3, -1.2)),
    "subtract": (lambda x, y: x - y, (0.3, -1.2)),
    "multiply": (lambda x, y: x * y, (0.3, -1.2)),
    "divide": (lambda x, y: x / y, (0.3, -1.2)),
    "negative": (lambda x: -x, (0.3,)),
    "power": (lambda x, y: x ** y, (1.3, -1.2)),
    "exp": (np.exp, (0.3,)),
    "log": (np.log, (1.3,)),
    "log1p": (np.log1p, (0.3,)),
    "expm1": (np.expm1, (0.3,)),
    "sqrt": (np.sqrt, (1.3,)),
    "sin": (np.sin, (0.3,)),
    "cos": (np.cos, (0.3,)),
    "tan": (np.tan, (0.3,)),
    "arcsin": (np.arcsin, (0.3,)),
    "arccos": (np.arccos, (0.3,)),
    "arctan": (np.arctan, (0.3,)),
    "sinh": (np.sinh, (0.3,)),
    "cosh": (np.cosh, (0.3,)),
    "tanh": (np.tanh, (0.3,)),
    "abs": (np.abs, (-0.3,)),
    "maximum": (np.maximum, (0.3, -1.2)),
    "minimum": (np.minimum, (0.3, -1.2)),
    "where": (lambda x, y: np.where(x > y, x * y, y - x), (0.3, -1.2)),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), (0.3,)),
}
