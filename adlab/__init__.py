"""adlab: learn automatic differentiation with a real AD engine.

``import adlab`` loads the engine and NumPy only; tables, graphs and widgets
load when first shown.
"""

from .core import numpy_api as _numpy_api  # noqa: F401 - gives traced values NumPy's operators
from .core.api import checkpoint, grad, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp
from .core.numpy_api import log_softmax, logsumexp, softmax
from .core.primitive import Primitive, primitive
from .trace import Trace, trace

__all__ = [
    "checkpoint", "grad", "hessian", "hvp", "jacfwd", "jacrev", "jvp", "value_and_grad", "vjp",
    "log_softmax", "logsumexp", "softmax", "Primitive", "primitive", "Trace", "trace",
]
__version__ = "0.1.0"
