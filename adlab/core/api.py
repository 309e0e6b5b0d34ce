"""The functional API, with JAX's signatures so what students learn carries over."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import numpy_functions as anp
from .batching import batched_call
from .forward import JVPBox, JVPLevel
from .interpreter import Box, Primitive, check_live, raw, shape, zeros_like
from .recording import (COMPLEX_INSIDE, Recording, check_constants, check_differentiable, check_function,
                        check_outputs, check_tangent, misshapen, traced_call)
from .tree import flatten, of_some_arguments, unflatten


def _check_argnums(argnums, name):
    """argnums is an int or a tuple of ints, checked where grad(...) is written."""
    items = argnums if isinstance(argnums, (tuple, list)) else (argnums,)
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)) for i in items):
        raise TypeError(f"{name}: argnums={argnums!r} must be an int or a tuple of ints, "
                        f"e.g. argnums=0 or argnums=(0, 1), the positions of the arguments to differentiate.")


def _selected(argnums, nargs, name, kwargs=()):
    if type(argnums) is int and 0 <= argnums < nargs:  # the usual case, on every call: no more to check
        return (argnums,)
    if nargs == 0 and kwargs:
        raise TypeError(f"{name} differentiates with respect to positional arguments, but f got keywords only "
                        f"({', '.join(kwargs)}); pass the point by position, e.g. {name}(f)(2.0).")
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not nums or any(not isinstance(i, (int, np.integer)) or not -nargs <= i < nargs for i in nums):
        raise ValueError(f"{name}: argnums={argnums!r} does not select among the {nargs} positional argument(s).")
    nums = tuple(int(i) % nargs for i in nums)
    if len(set(nums)) < len(nums):
        raise ValueError(f"{name}: argnums={argnums!r} names an argument twice; name each once.")
    return nums


def _selected_args(args, nums, name):
    """The arguments argnums selects; None is refused here (as a tree it would be empty, with nothing to differentiate)."""
    for i in nums:
        if args[i] is None:
            raise TypeError(f"{name}'s argument {i} is None, not a number; pass floats or arrays of floats.")
    return [args[i] for i in nums]


def _bind_selected(f, args, kwargs, nums, name=None):
    """f as a function of the selected positional arguments only (f itself when that is all of them).

    With a `name`, the others (which reach f as they are) are checked for an np.matrix first.
    """
    if not kwargs and nums == tuple(range(len(args))):
        return f
    if name is not None:
        check_constants([(f"argument {i}", a) for i, a in enumerate(args) if i not in nums]
                        + [(f"keyword argument {k}", v) for k, v in kwargs.items()], name)

    return of_some_arguments(f, args, nums, kwargs)


def vjp(f, *primals, has_aux=False):
    """Evaluate f and return (out, vjp_fn): vjp_fn(ȳ) is ȳᵀJ, one reverse sweep per call."""
    check_function(f, "vjp", "vjp(f, x) for the output and its VJP function")
    recording = Recording(f, primals, has_aux, "vjp")
    if has_aux:
        return recording.out, recording.pullback, recording.aux
    return recording.out, recording.pullback


def jvp(f, primals, tangents):
    """Evaluate f and its Jacobian-vector product J·ẋ in one forward sweep."""
    check_function(f, "jvp", "jvp(f, (x,), (v,)): the function, then its point and tangent")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes primals and tangents as tuples, e.g. jvp(f, (x,), (v,)).")
    leaves, in_def = flatten(tuple(primals))
    tangent_leaves, tangent_def = flatten(tuple(tangents))
    if tangent_def != in_def:
        raise ValueError("tangents must have the same structure as primals (one tangent per input).")
    for i, x in enumerate(leaves):
        check_differentiable(x, f"jvp's input {i}")
    tangent_leaves = [check_tangent(t, x, f"tangent of input {i}") for i, (t, x) in enumerate(zip(tangent_leaves, leaves))]
    return _push_forward(f, leaves, in_def, tangent_leaves, "jvp")


def _push_forward(f, leaves, in_def, tangent_leaves, name):
    """One forward sweep; a None tangent marks an input held constant."""
    values, out_tangents, out_def = _push_forward_flat(f, leaves, in_def, tangent_leaves, name)
    return unflatten(out_def, values), unflatten(out_def, out_tangents)


def _push_forward_flat(f, leaves, in_def, tangent_leaves, name):
    """`_push_forward` with the outputs' values and tangents as flat lists, and their structure."""
    level = JVPLevel()
    boxes = [x if t is None else JVPBox(x, level, t) for x, t in zip(leaves, tangent_leaves)]
    out = traced_call(f, unflatten(in_def, boxes), level, name)
    out_leaves, out_def = flatten(out)
    check_outputs(out_leaves, out, name)
    values, out_tangents = [], []
    for o in out_leaves:
        ours = type(o) is JVPBox and o.level is level
        if not ours:
            check_live(o)  # a value leaked from an earlier call
        values.append(o.value if ours else o)
        if ours and np.iscomplexobj(raw(o.tangent)) and not np.iscomplexobj(raw(o.value)):
            raise TypeError(COMPLEX_INSIDE)
        if ours and shape(o.tangent) != shape(o.value):
            raise ValueError(misshapen("JVP", "tangent", f"output {len(values) - 1}", o.tangent, o.value))
        out_tangents.append(o.tangent if ours else zeros_like(o))
    return values, out_tangents, out_def


def value_and_grad(f, argnums=0, has_aux=False):
    """f's value and its gradient with respect to argnums, by one reverse sweep."""
    check_function(f, "grad")
    _check_argnums(argnums, "grad")

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        nums = _selected(argnums, len(args), "grad", kwargs)
        recording = Recording(_bind_selected(f, args, kwargs, nums, "grad"), _selected_args(args, nums, "grad"), has_aux, "grad")
        if recording.out is None:
            raise TypeError("grad needs f to return a scalar, but it returned None; did it forget `return`?")
        if len(recording.out_values) != 1 or shape(recording.out) != ():
            returned = (f"shape {shape(recording.out)}" if len(recording.out_values) == 1
                        else f"{len(recording.out_values)} values")
            aux = ("; if the values after the first are extra results, not outputs, pass has_aux=True"
                   if not has_aux and isinstance(recording.out, (tuple, list)) and len(recording.out) > 1
                   and shape(recording.out[0]) == () else "")
            raise TypeError(
                f"grad needs f to return a scalar, but it returned {returned}; "
                f"use adlab.jacrev for the Jacobian or adlab.vjp for a vector-Jacobian product{aux}."
            )
        dtype = np.result_type(raw(recording.out))
        if not np.issubdtype(dtype, np.floating):
            kind = "a boolean (a comparison such as x > 0, which has no derivative)" if dtype == bool else f"an {dtype}"
            raise TypeError(f"grad needs f to return a float, but it returned {kind}; "
                            f"return a float computed from the inputs.")
        seed = 1.0 if dtype == np.float64 else np.ones((), dtype=dtype)
        grads = unflatten(recording.in_def, recording.pull({0: seed}))
        grads = grads[0] if isinstance(argnums, (int, np.integer)) else tuple(grads)
        value = (recording.out, recording.aux) if has_aux else recording.out
        return value, grads

    return value_and_grad_f


def grad(f, argnums=0, has_aux=False):
    """The gradient of a scalar function, by one reverse sweep."""
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        value, grads = value_and_grad_f(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def _basis(x):
    """The standard basis shaped like x, as one batch: e_k is basis[k]."""
    size = math.prod(shape(x))
    return np.eye(size, dtype=np.result_type(raw(x), 0.0)).reshape((size,) + shape(x))


def _block(batched, out_shape, in_shape, by_columns):
    """A Jacobian block out_shape + in_shape from a batch of columns (forward) or rows (reverse)."""
    if by_columns:
        batched = anp.moveaxis(batched, 0, -1)
    return anp.reshape(batched, out_shape + in_shape)


def jacrev(f, argnums=0):
    """The Jacobian by reverse mode: all rows in one sweep with a batch of basis cotangents."""

    check_function(f, "jacrev")
    _check_argnums(argnums, "jacrev")

    @functools.wraps(f)
    def jacobian(*args, **kwargs):
        nums = _selected(argnums, len(args), "jacrev", kwargs)
        recording = Recording(_bind_selected(f, args, kwargs, nums, "jacrev"), _selected_args(args, nums, "jacrev"), False, "jacrev")
        inputs = flatten([args[i] for i in nums])[0]
        per_output = []
        for leaf, out in enumerate(recording.out_values):
            size = math.prod(shape(out))
            if size == 0:
                per_input = [np.zeros(shape(out) + shape(x)) for x in inputs]
            elif size == 1:  # one row: a plain reverse sweep, without batching's set-up
                per_input = [_one_block(g, shape(out) + shape(x)) for g, x in
                             zip(recording.pull({leaf: _unit(out)}), inputs)]
            else:
                rows = batched_call(lambda e: recording.pull({leaf: e}), _basis(out))
                per_input = [_block(rows[k], shape(out), shape(x), False) for k, x in enumerate(inputs)]
            per_output.append(_by_argnums(unflatten(recording.in_def, per_input), argnums))
        return unflatten(recording.out_def, per_output)

    return jacobian


def jacfwd(f, argnums=0):
    """The Jacobian by forward mode: all columns of an input in one sweep with a batch of basis tangents."""

    check_function(f, "jacfwd")
    _check_argnums(argnums, "jacfwd")

    @functools.wraps(f)
    def jacobian(*args, **kwargs):
        nums = _selected(argnums, len(args), "jacfwd", kwargs)
        leaves, in_def = flatten(_selected_args(args, nums, "jacfwd"))
        for i, x in enumerate(leaves):
            check_differentiable(x, f"jacfwd's input {i}")
        partial = _bind_selected(f, args, kwargs, nums, "jacfwd")
        out_values = out_def = None  # from a sweep (only tangents are batched, so any sweep's)
        columns = []  # per input leaf: its Jacobian block with each output leaf (None: the leaf is empty)
        for k, x in enumerate(leaves):
            size = math.prod(shape(x))
            if size == 0:
                columns.append(None)
                continue
            seeds = [None] * len(leaves)
            if size == 1:  # one column: a plain forward sweep, without batching's set-up
                seeds[k] = _unit(x)
                out_values, tangents, out_def = _push_forward_flat(partial, leaves, in_def, seeds, "jacfwd")
                columns.append([_one_block(t, shape(t) + shape(x)) for t in tangents])
                continue

            def output_tangents(basis, seeds=seeds, k=k):
                nonlocal out_values, out_def
                seeds[k] = basis
                out_values, tangents, out_def = _push_forward_flat(partial, leaves, in_def, seeds, "jacfwd")
                return tangents

            batched = batched_call(output_tangents, _basis(x))
            columns.append([_block(t, shape(out), shape(x), True) for t, out in zip(batched, out_values)])
        if out_values is None:  # every input empty, so no sweep: evaluate once for the outputs' shapes
            out_values, out_def = flatten(partial(*unflatten(in_def, leaves)))
        per_output = []
        for o, out in enumerate(out_values):
            per_input = [np.zeros(shape(out) + shape(x)) if column is None else column[o]
                         for column, x in zip(columns, leaves)]
            per_output.append(_by_argnums(unflatten(in_def, per_input), argnums))
        return unflatten(out_def, per_output)

    return jacobian


def _unit(x):
    """The seed 1 for a value x of one element, as an array of its shape and float dtype (np.ones_like takes 4x as long)."""
    return np.array(1.0, np.result_type(raw(x), 0.0)).reshape(shape(x))


def _one_block(derivative, block_shape):
    """A Jacobian block with one column (an input of one element: the output's tangent) or one row (an output
    of one element: the input's cotangent), reshaped to out + in shape."""
    if isinstance(derivative, Box):
        return anp.reshape(derivative, block_shape)
    return np.asarray(derivative).reshape(block_shape)  # an array, as the batched sweep gives


def _by_argnums(per_arg, argnums):
    return per_arg[0] if isinstance(argnums, (int, np.integer)) else tuple(per_arg)


def hessian(f, argnums=0):
    """The Hessian as the forward-mode Jacobian of the reverse-mode gradient."""
    check_function(f, "hessian")
    _check_argnums(argnums, "hessian")
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents, method="reverse-on-forward"):
    """The Hessian-vector product H·v without forming H.

    ``method="reverse-on-forward"`` (the default, as in the course notes, seed 003)
    takes ∇f·v by forward mode and differentiates it in reverse: the reverse sweep
    skips the rows that only build f's value (their adjoints are zero).
    ``"forward-over-reverse"`` pushes v forward through the gradient, JAX's choice
    under jit; run eagerly it also computes ∇f, which is then thrown away
    (benchmarks/RESULTS.md, W4, times both).
    """
    check_function(f, "hvp", "hvp(f, (x,), (v,)): the function, then its point and vector")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("hvp takes primals and tangents as tuples, e.g. hvp(f, (x,), (v,)).")
    for i, x in enumerate(flatten(tuple(primals))[0]):
        check_differentiable(x, f"hvp's input {i}")  # named here: both methods would name their inner grad or jvp
    argnums = tuple(range(len(primals)))
    if method == "forward-over-reverse":
        result = jvp(grad(f, argnums=argnums), tuple(primals), tuple(tangents))[1]
    elif method == "reverse-on-forward":
        result = grad(lambda *xs: jvp(f, xs, tuple(tangents))[1], argnums=argnums)(*primals)
    else:
        raise ValueError(f"hvp: unknown method {method!r}; use 'forward-over-reverse' or 'reverse-on-forward'.")
    return result[0] if len(primals) == 1 else result


def checkpoint(f):
    """f that stores only its inputs and output on the tape and recomputes the rest.

    The reverse sweep re-runs f to get its intermediates back: memory for time,
    as in rematerialization. f takes floats or arrays (and non-float constants)
    and returns one value; traced values it uses must be passed as arguments.
    """
    check_function(f, "checkpoint")
    name = getattr(f, "__name__", "f")

    def joint_jvp(tangents, out, *args):
        return _push_forward(f, list(args), flatten(args)[1], list(tangents), "checkpoint")[1]

    def joint_vjp(differentiated, g, out, *args):
        cotangents = vjp(_bind_selected(f, args, {}, differentiated), *[args[i] for i in differentiated])[1](g)
        by_position = dict(zip(differentiated, cotangents))
        return [by_position.get(i) for i in range(len(args))]

    def impl(*args):
        out = f(*args)
        if not isinstance(out, (float, int, np.ndarray, np.generic)):
            what = "a traced value it was not given" if isinstance(out, Box) else f"a {type(out).__name__}"
            raise TypeError(f"checkpoint({name}) needs f to return one array computed from its arguments, "
                            f"but it returned {what}; pass every traced value f uses as an argument.")
        return out

    prim = Primitive(f"checkpoint({name})", impl, joint_jvp=joint_jvp, joint_vjp=joint_vjp)

    @functools.wraps(f)
    def checkpointed(*args, **kwargs):
        if kwargs:
            return checkpoint(functools.partial(f, **kwargs))(*args)
        return prim(*args)

    return checkpointed
