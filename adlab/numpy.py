"""NumPy with derivatives: ``import adlab.numpy as anp``.

Everything NumPy has is here; the functions adlab can differentiate call the
engine directly, skipping NumPy's dispatch, which makes scalar code faster.
Plain ``np.sin(x)`` on traced values works too.
"""

from numpy import *  # noqa: F401,F403 - the rest of NumPy, unchanged

from .core.numpy_functions import (  # noqa: F401
    add_at, array, copy, asarray, atleast_1d, broadcast_to, clip, concatenate, dot, expand_dims,
    hstack, inner, log_softmax, logsumexp, max, mean, min, moveaxis, outer, positive, prod,
    ravel, reciprocal, reshape, set_at, softmax, sort, square, squeeze, stack, std, sum, swapaxes, transpose,
    var, vdot, vstack, where,
)
from .core.rules import PRIMITIVES as _PRIMITIVES

# Every primitive that is a NumPy ufunc, under the ufunc's name: add, exp, tanh, matmul …
globals().update({prim.ufunc.__name__: prim for prim in _PRIMITIVES if prim.ufunc is not None})

abs = absolute  # noqa: A001, F821 - defined just above
amax, amin = max, min
true_divide = divide
