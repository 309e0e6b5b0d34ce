"""adlab: learn automatic differentiation with a real AD engine.

``import adlab`` loads the engine and NumPy only; tables, graphs and widgets
load when first shown.
"""

from . import testing  # noqa: F401 - adlab.testing.check_grads after a plain `import adlab`
from .core.api import checkpoint, grad, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp
from .core.interpreter import Primitive, primitive
from .core.numpy_functions import log_softmax, logsumexp, softmax
from .core.rules import stop_gradient
from .core.revolve import checkpoint_loop
from .compiler import compiled
from .tracing import Trace, trace

__all__ = [
    "checkpoint", "checkpoint_loop", "compiled", "grad", "hessian", "hvp", "jacfwd", "jacrev", "jvp", "value_and_grad",
    "vjp", "log_softmax", "logsumexp", "softmax", "Primitive", "primitive", "stop_gradient", "Trace", "trace", "explore",
]
__version__ = "0.1.0"


def explore(f, *args, fold=False):
    """Widgets to step through f's sweeps at args: tables, graph and Jacobian together (`fold=True` folds loops)."""
    from .display.explorer import explore as explore_widget

    return explore_widget(f, *args, fold=fold)


def load_ipython_extension(ipython):
    """`%load_ext adlab`: register the tracing magics."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    """`%unload_ext adlab`: remove everything `%load_ext adlab` registered."""
    from .magics import unload_ipython_extension as unload

    unload(ipython)
