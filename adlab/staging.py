"""Staging: record the engine's own derivative computation as a program, and write it out as Python.

This is how compiled derivatives are to be made (issue 21, item 1), as ``jax.make_jaxpr(jax.grad(f))``
makes JAX's: no second table of derivative rules, only the engine run under one more interpreter.

**The staging level.** `StagingLevel` is one more interpreter of the primitives, like forward mode
and reverse mode. Created *first*, it is the outermost level, so every primitive evaluated anywhere
inside — f's forward run and the reverse sweep's VJP rules alike, since the rules are written with
primitives — reaches it last, on values that carry no other level's boxes: it appends an equation
``(primitive, params, argument variables)`` to the program and returns a `StagedBox` for the result.
Unlike a jaxpr's abstract values, a staged box also carries the *concrete* value computed at the
point f is staged at (adlab traces at a point, as `adlab.trace` does), so shapes, dtypes and Python
types are known exactly and code that looks at values keeps working.

**Value-dependent choices inside rules** are primitives too: ``abs``'s sign, ``maximum``'s tie
share, ``clip``'s inside mask, ``power``'s "y = 0" and "x = 0" masks, ``max``'s hits, the floor in
``remainder``'s rule (``adlab.core.rules``, "values that rules read"). They are *not differentiated*
(their tangent and cotangents are zero: forward mode returns them without a tangent, reverse mode
records them and passes nothing back through them), but every level records them, so the staged
program computes them on each call instead of freezing the values of the staged call.

**Guards.** Where Python looks at a traced value (``if x > 0``, ``bool(mask.any())`` inside a rule,
``np.argsort(x)``), the result is a choice the program cannot re-make by arithmetic; each is a
*guard*: the equation that recomputes it from the program's variables and the value it had when
staged. A call whose guard comes out differently raises `PathChanged` and is staged again (the
cache keeps a few paths per signature). The staging level learns of these through the same hook
the compiler uses today (``adlab.core.numpy_api.observer``).

**The program** (`Program`) is data: ``inputs`` (variables), ``equations`` (each one primitive
applied to variables and literals, with its parameters), ``guards`` (an equation's position, a
function of variables, the value seen) and ``outputs`` (variables or literals). Passes over it are
functions from program to program: dead equations removed, repeated equations shared, equations of
literals folded (`optimized`).

**Writing Python** (`to_python`): each equation becomes one line, ``v7 = np_multiply(v3, v5)``,
calling the primitive's own evaluation (``prim.impl``, the function the engine runs), so the
program computes exactly what the engine computes, bit for bit, with the engine's conventions
(real results for real inputs, Python floats kept Python floats); guards become ``if`` lines that
raise `PathChanged`. The source is compiled once and kept.

**Caching by signature** stays as `adlab.compiled` does it: a program is kept per input signature
(structure, types, shapes, dtypes, and the values of non-float arguments) and per path.
"""
