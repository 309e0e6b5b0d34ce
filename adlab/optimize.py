"""Rewrites of generated array programs that change no value, only the work and memory they take.

**Buffer reuse**: an elementwise result goes into a dead array (``out=``).

A generated program names every intermediate, so NumPy cannot reuse their memory as it reuses
an expression's temporaries: ``v2 = v1 + b`` allocates although v1 is never read again. This
pass rewrites such a statement to ``v2 = np.add(v1, b, out=v1)`` when it can show that no value
changes:

* the array written into was allocated by the program (a ufunc's, matmul's or reduction's
  result, or ``np.zeros``): never an input, constant, seed or view, and no view of it was kept;
* no name bound to it (``a = b`` makes two) is read after the statement or returned, and, for a
  pullback that may run more than once, it was not computed before the pullback starts;
* its shape and dtype are those of the result, it and every operand with two or more axes
  longer than 1 are in C order (otherwise the new array's layout, and so the order a later sum
  adds in, could differ), and the statement reads it nowhere outside the operation that
  overwrites it.

**Shared subexpressions**: a statement that computes the same expression twice (the adjoint of
``max`` builds its mask of maxima twice) computes it once, ``(_s0 := v8 == v9)``, and reads
``_s0`` the second time. Only operators and ufuncs on names and literals are shared; the buffer
rewrite never writes an array a shared expression reads (it is read outside the writing call).

**Reductions** of an array call the method, ``v.sum(axis=0)``, skipping ``np.sum``'s
Python-level dispatch; it runs the same ufunc reduction.

**Broadcasts** that their readers would do themselves are dropped: the adjoint of ``sum`` is
``np.broadcast_to(g, shape)``; when every read of it is an elementwise operation whose result
keeps its shape and dtype with g in its place, ``t = g`` gives the same values without the view.

The same ufunc loops run on the same operands, so results are bit for bit those of the plain
program (the compiler's tests compare them); only allocations, memory traffic and repeated
work go away.
"""

from __future__ import annotations

import ast
import operator

import numpy as np

__all__ = ["optimize", "value_type"]

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_PYTHON = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.USub: operator.neg}
_COMPARE = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
            ast.Gt: np.greater, ast.GtE: np.greater_equal}
_REDUCTIONS = ("sum", "max", "min")


def value_type(value):
    """A value's type as this pass models it: (shape, dtype) of an array or NumPy scalar, the
    Python type of a Python number (NumPy treats those as weak), None for anything else."""
    if type(value) in (float, int, bool):
        return type(value)
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return value.shape, value.dtype
    return None


def _is_array(kind):
    return isinstance(kind, tuple) and kind[0] != ()


def _orderless(kind):
    """Whether values of this type have no memory order to pass on (fewer than two axes longer than 1)."""
    return not isinstance(kind, tuple) or sum(n > 1 for n in kind[0]) < 2


def _ufunc_type(ufunc, kinds, python_op=None):
    """The type of ufunc(*operands of these types); of python_op if all are Python numbers."""
    if any(kind is None for kind in kinds):
        return None
    if python_op is not None and all(isinstance(kind, type) for kind in kinds):
        return type(python_op(*(kind(1) for kind in kinds)))
    try:
        dtypes = ufunc.resolve_dtypes(tuple(k if isinstance(k, type) else k[1] for k in kinds) + (None,) * ufunc.nout)
        shape = np.broadcast_shapes(*(() if isinstance(k, type) else k[0] for k in kinds))
    except (TypeError, ValueError, np.exceptions.DTypePromotionError):
        return None
    return shape, dtypes[-1]


def _matmul_shape(a, b):
    if len(a) >= 2 and len(b) >= 2 and a[-1] == b[-2]:
        return np.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])
    if len(a) == 1 and len(b) == 2 and a[0] == b[0]:
        return (b[1],)
    if len(a) == 2 and len(b) == 1 and a[1] == b[0]:
        return (a[0],)
    return None


def _numpy_call(node):
    """The NumPy function a call `np.<name>(…)` names, None for any other node."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
        return getattr(np, node.func.attr, None)
    return None


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        raise LookupError from None


def _reduced_shape(shape, call):
    """Shape of np.sum/max/min(x, axis=…, keepdims=…) written with literal arguments."""
    options = {k.arg: _literal(k.value) for k in call.keywords}
    if len(call.args) != 1 or set(options) - {"axis", "keepdims"}:
        raise LookupError
    axis, keep = options.get("axis"), options.get("keepdims", False)
    if axis is not None and not shape:
        raise LookupError
    axes = set(range(len(shape))) if axis is None else {a % len(shape) for a in np.atleast_1d(axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keep or i not in axes)


class _Buffer:
    """An array: allocated by the program (owned) or not, its type, whether it is known to be in C
    order, when it was made, and its bindings."""

    def __init__(self, owned, kind, born, c_order=False):
        self.owned = owned and _is_array(kind)
        self.kind, self.born, self.c_order, self.bindings = kind, born, c_order, []


class _Expression:
    """What visiting an expression found: its type, whether its value is a new array, the named
    buffer its value lives in (and the name it is read by) if any, and the (rewritten) node."""

    def __init__(self, kind, fresh, node, buffer=None, name=None, broadcast_from=None, c_order=False):
        self.kind, self.fresh, self.node, self.buffer, self.name = kind, fresh, node, buffer, name
        self.broadcast_from = broadcast_from  # np.broadcast_to's: the type of the array it broadcasts
        self.c_order = c_order                # known to be in C order (or not an array)


class _Rewriter:
    """One pass over a program's statements, in the order they run (see the module docstring)."""

    def __init__(self, lines, types, keep, frozen_before, contiguous):
        self.lines = lines
        self.contiguous = contiguous  # names read before assigned whose arrays are in C order
        self.trees = trees = ast.parse("\n".join(lines)).body  # one statement per line
        self.known = types            # types the trace recorded: trusted over inference
        self.types = dict(types)      # name -> type of its current value
        self.frozen_before = frozen_before
        self.binding = {}             # name -> its current binding, (statement index, name)
        self.buffer_of = {}           # binding -> _Buffer
        self.last_read = {}           # binding -> index of the last statement reading it
        self.read_count = {}          # binding -> how often it is read
        self.broadcast = {}           # binding of a broadcast (or its alias) -> (its statement, the source's type)
        self.elementwise_reads = {}   # binding of a broadcast -> reads where the source would do as well
        self.unsure = set()           # broadcast statements whose reads this pass could not follow
        self.loads, self.stores = [], []  # per statement: the names it reads, and those it binds
        current = {}
        for i, tree in enumerate(trees):
            names = [node for node in ast.walk(tree) if isinstance(node, ast.Name)]
            self.loads.append([n.id for n in names if isinstance(n.ctx, ast.Load)])
            self.stores.append([n.id for n in names if isinstance(n.ctx, ast.Store)])
            for name in self.loads[i]:
                binding = current.get(name, (None, name))
                self.last_read[binding] = i
                self.read_count[binding] = self.read_count.get(binding, 0) + 1
            for name in self.stores[i]:
                current[name] = (i, name)
        for name in keep:
            self.last_read[current.get(name, (None, name))] = len(trees)

    def run(self):
        """The rewritten source of each statement, None where it is unchanged."""
        lines = []
        for i, tree in enumerate(self.trees):
            self.i, self.changed = i, False
            target = tree.targets[0].id if (isinstance(tree, ast.Assign) and len(tree.targets) == 1
                                            and isinstance(tree.targets[0], ast.Name)) else None
            if target is None:
                self._bind_others(tree, i)
                lines.append(None)
                continue
            self.reads = None  # counted when first needed (_writable)
            result = self._visit(tree.value)
            known = self.known.get(target)
            if known is not None and result.kind != known:  # the program and the trace disagree: touch nothing
                self.unsure.update(self.broadcast[self.binding[name]][0] for name in self.loads[i]
                                   if self.binding.get(name) in self.broadcast)
                tree = ast.parse(self.lines[i]).body[0]
                result, self.changed = _Expression(None, False, tree.value), False
            tree.value = result.node
            self._bind(tree, target, result, i)
            if len(set(self.loads[i])) < len(self.loads[i]):  # a repeated expression reads some name twice
                self.changed |= _share_repeats(tree)
            lines.append(ast.unparse(tree) if self.changed else None)
        return lines

    # bindings

    def _current(self, name):
        return self.buffer_of.get(self.binding.get(name))

    def _new_binding(self, name, buffer, i):
        self.binding[name] = (i, name)
        self.buffer_of[(i, name)] = buffer
        buffer.bindings.append((i, name))
        self.types[name] = buffer.kind

    def _escape(self, i):
        """The names statement i reads may now be seen through a view: their arrays are never written."""
        for name in self.loads[i]:
            buffer = self._current(name)
            if buffer is not None:
                buffer.owned = False

    def _bind(self, tree, target, result, i):
        broadcast = None
        if isinstance(tree.value, ast.Name):
            buffer = self._current(tree.value.id) or _Buffer(False, result.kind, i, result.c_order)
            broadcast = self.broadcast.get(self.binding.get(tree.value.id))
            if broadcast is not None:  # an alias: its own reads decide
                self._elementwise_read(self.binding[tree.value.id])
        elif result.buffer is not None:
            buffer = result.buffer
        else:
            buffer = _Buffer(result.fresh, result.kind, i, result.c_order)
            if not result.fresh:
                self._escape(i)
            if result.broadcast_from is not None:
                broadcast = (i, result.broadcast_from)
        self._new_binding(target, buffer, i)
        if broadcast is not None:
            self.broadcast[(i, target)] = broadcast

    def _elementwise_read(self, binding):
        self.elementwise_reads[binding] = self.elementwise_reads.get(binding, 0) + 1

    def needless_broadcasts(self):
        """Statements `t = np.broadcast_to(x, shape)` where `t = x` gives every later value unchanged:
        t and its aliases are only read by elementwise operations whose result keeps its type
        when x stands in for t (the operation broadcasts x itself), and t is not returned."""
        needed = set(self.unsure)
        for binding, (statement, _) in self.broadcast.items():
            if (self.elementwise_reads.get(binding, 0) != self.read_count.get(binding, 0)
                    or self.last_read.get(binding) == len(self.trees)):
                needed.add(statement)
        return {statement for statement, _ in self.broadcast.values()} - needed

    def _bind_others(self, tree, i):
        """A statement that is not `name = expression`: what it binds is unknown and not ours."""
        if self.stores[i]:
            self._escape(i)
        for name in self.stores[i]:
            self._new_binding(name, _Buffer(False, None, i), i)

    # may a node write into a buffer?

    def _reads_below(self, tree):
        """For every node of the statement: how often its subtree reads each buffer."""
        counts = {}

        def visit(node):
            here = {}
            for child in ast.iter_child_nodes(node):
                for key, n in visit(child).items():
                    here[key] = here.get(key, 0) + n
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and self._current(node.id) is not None:
                key = id(self._current(node.id))
                here[key] = here.get(key, 0) + 1
            counts[id(node)] = here
            return here

        visit(tree)
        return counts

    def _writable(self, buffer, kind, node, c_order):
        """Whether `node`, whose result has type kind (in C order if c_order), may write it into buffer."""
        if buffer is None or not buffer.owned or buffer.kind != kind or not _is_array(kind):
            return False
        if not (c_order and (buffer.c_order or _orderless(kind))):
            return False
        if self.frozen_before is not None and buffer.born < self.frozen_before <= self.i:
            return False
        buffer.bindings = [b for b in buffer.bindings if self.last_read.get(b, -1) >= self.i]  # the rest are dead
        if any(self.last_read[binding] > self.i for binding in buffer.bindings):
            return False
        if self.reads is None:
            self.reads = self._reads_below(self.trees[self.i].value)
        everywhere = self.reads[id(self.trees[self.i].value)].get(id(buffer), 0)
        return self.reads[id(node)].get(id(buffer), 0) == everywhere

    # expressions, bottom-up

    def _visit(self, node):
        if isinstance(node, ast.Name):
            kind, buffer = self.types.get(node.id), self._current(node.id)
            c_order = buffer.c_order if buffer is not None else node.id in self.contiguous or not _is_array(kind)
            return _Expression(kind, False, node, buffer, node.id, c_order=c_order)
        if isinstance(node, ast.Constant):
            return _Expression(value_type(node.value), False, node, c_order=True)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self._ufunc(node, np.negative, [node.operand], _PYTHON[ast.USub])
        if isinstance(node, ast.BinOp):
            if type(node.op) in _BINARY:
                return self._ufunc(node, _BINARY[type(node.op)], [node.left, node.right], _PYTHON[type(node.op)])
            if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2:
                return self._ufunc(node, np.square, [node.left], lambda x: x ** 2)  # NumPy runs square for x ** 2
            if isinstance(node.op, ast.MatMult):
                return self._matmul(node)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            return self._ufunc(node, _COMPARE[type(node.ops[0])], [node.left, node.comparators[0]])
        if isinstance(node, ast.Attribute) and node.attr == "T":
            inner = self._visit(node.value)
            node.value = inner.node
            kind = inner.kind
            if not isinstance(kind, tuple):
                return _Expression(None, False, node)
            return _Expression((kind[0][::-1], kind[1]), False, node, c_order=inner.c_order and len(kind[0]) < 2)
        function = _numpy_call(node)
        if function is not None:
            if isinstance(function, np.ufunc) and not node.keywords and len(node.args) == function.nin:
                return self._ufunc(node, function, node.args)
            if node.func.attr in _REDUCTIONS and node.args:
                return self._reduction(node)
            if node.func.attr in ("zeros", "broadcast_to"):
                return self._shaped(node)
        return self._opaque(node)

    def _visit_children(self, node):
        """Visit every child expression, putting rewritten ones in place; their results by node."""
        results = {}
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                if isinstance(item, ast.expr):
                    result = results[id(item)] = self._visit(item)
                    if isinstance(value, list):
                        value[k] = result.node
                    else:
                        setattr(node, field, result.node)
                elif isinstance(item, ast.keyword):
                    item.value = self._visit(item.value).node
        return results

    def _opaque(self, node):
        """Something this pass does not model: rewrite inside it; its value is unknown."""
        self._visit_children(node)
        return _Expression(None, False, node)

    def _ufunc(self, node, ufunc, operands, python_op=None):
        originals = list(operands)
        results = self._visit_children(node)
        operands = [results[id(o)] for o in originals]
        kind = _ufunc_type(ufunc, [o.kind for o in operands], python_op)
        fresh = _is_array(kind)
        c_order = all(o.c_order or _orderless(o.kind) for o in operands)  # C order in, C order out
        broadcasts = [self.binding[o.id] for o in originals
                      if isinstance(o, ast.Name) and self.binding.get(o.id) in self.broadcast]
        if broadcasts and kind is not None and kind == _ufunc_type(ufunc, [
                self.broadcast[self.binding[o.id]][1] if isinstance(o, ast.Name) and self.binding.get(o.id)
                in self.broadcast else r.kind for o, r in zip(originals, operands)], python_op):
            for binding in broadcasts:
                self._elementwise_read(binding)
        for operand in operands:  # a dead named array, or the one a child has just written into
            if fresh and self._writable(operand.buffer, kind, node, c_order):
                call = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), ufunc.__name__, ast.Load()),
                                [o.node for o in operands], [ast.keyword("out", ast.Name(operand.name, ast.Load()))])
                self.changed = True
                return _Expression(kind, True, call, operand.buffer, operand.name, c_order=True)
        return _Expression(kind, fresh, node, c_order=c_order)

    def _matmul(self, node):
        left, right = node.left, node.right  # before visiting puts rewritten operands in their place
        results = self._visit_children(node)
        a, b = results[id(left)].kind, results[id(right)].kind
        shape = _matmul_shape(a[0], b[0]) if isinstance(a, tuple) and isinstance(b, tuple) else None
        kind = None if shape is None else (shape, np.result_type(a[1], b[1]))
        return _Expression(kind, True, node, c_order=True)  # matmul allocates its result in C order

    def _reduction(self, node):
        original = node.args[0]
        operand = self._visit_children(node)[id(original)]
        kind = operand.kind
        try:
            if not isinstance(kind, tuple):
                raise LookupError
            shape = _reduced_shape(kind[0], node)
        except LookupError:
            return _Expression(None, True, node)
        dtype = getattr(np, node.func.attr)(np.zeros(1, kind[1])).dtype
        if _is_array(kind):
            node = ast.Call(ast.Attribute(node.args[0], node.func.attr, ast.Load()), [], node.keywords)
            self.changed = True
        return _Expression((shape, dtype), True, node, c_order=operand.c_order or len(shape) < 2)

    def _shaped(self, node):
        """np.zeros(shape, dtype=…) (a new array) and np.broadcast_to(x, shape) (a view), literal shapes."""
        source_node = node.args[0] if node.args else None  # before visiting puts a rewritten one in its place
        results = self._visit_children(node)
        zeros = node.func.attr == "zeros"
        try:
            shape = _literal(node.args[0] if zeros else node.args[1])
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            if zeros:
                dtype = np.dtype(_literal(node.keywords[0].value) if node.keywords else "float64")
            else:
                source = results[id(source_node)].kind
                dtype = np.result_type(source(0) if isinstance(source, type) else source[1])
        except (LookupError, IndexError, TypeError):
            return _Expression(None, zeros, node, c_order=zeros)
        return _Expression((shape, dtype), zeros, node, broadcast_from=None if zeros else source, c_order=zeros)


def _pure(node):
    """Whether node is operators and ufuncs on names and literals: the same value every time it is read."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Compare):
        return all(_pure(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
    return (isinstance(_numpy_call(node), np.ufunc) and not node.keywords
            and all(_pure(a) for a in node.args))


def _share_repeats(statement):
    """Compute each repeated pure expression of the statement once; whether anything changed."""
    in_order = []  # nodes in the order Python starts evaluating them: a node, then its children left to right

    def walk(node, parent, field, index):
        in_order.append((node, parent, field, index))
        for name, value in ast.iter_fields(node):
            for k, child in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(child, ast.expr):
                    walk(child, node, name, k if isinstance(value, list) else None)

    walk(statement.value, statement, "value", None)
    seen, shared, replaced = {}, 0, set()
    for node, parent, field, index in in_order:
        if id(parent) in replaced:
            replaced.add(id(node))
            continue
        if isinstance(node, (ast.Name, ast.Constant)) or not _pure(node):
            continue
        key = ast.dump(node)
        if key not in seen:
            seen[key] = (node, parent, field, index, None)
            continue
        first, first_parent, first_field, first_index, name = seen[key]
        if name is None:
            name = f"_s{shared}"
            shared += 1
            _put(first_parent, first_field, first_index, ast.NamedExpr(ast.Name(name, ast.Store()), first))
            seen[key] = (first, first_parent, first_field, first_index, name)
        _put(parent, field, index, ast.Name(name, ast.Load()))
        replaced.add(id(node))
    return shared > 0


def _put(parent, field, index, node):
    if index is None:
        setattr(parent, field, node)
    else:
        getattr(parent, field)[index] = node


def optimize(lines, types, keep=(), frozen_before=None, contiguous=()):
    """The lines (statements in the order they run) rewritten as the module docstring says.

    ``types``: value_type of the values the trace recorded, by name (inputs, rows, seeds);
    ``keep``: names whose last values are returned; ``frozen_before``: statements before this
    index compute values a later call reads again (a pullback's residuals), so statements from it
    on never write into them; ``contiguous``: the names of inputs and constants whose arrays are
    in C order (the compiler keys its programs by it).
    """
    contiguous = set(contiguous)
    rewriter = _Rewriter(lines, types, keep, frozen_before, contiguous)
    rewritten = rewriter.run()
    needless = rewriter.needless_broadcasts()
    if needless:  # `t = x` instead: run the pass again on the program without them
        lines = list(lines)
        for i in needless:
            statement = ast.parse(lines[i]).body[0]
            lines[i] = f"{statement.targets[0].id} = {ast.unparse(statement.value.args[0])}"
        rewritten = _Rewriter(lines, types, keep, frozen_before, contiguous).run()
    return [line if new is None else new for line, new in zip(lines, rewritten)]
