"""One place per idea: every primitive is registered once, and every side table covers it or says why not.

A new primitive is one entry in adlab/core/rules.py (with ``ufunc=`` and ``elementwise=`` where they
apply); NumPy dispatch, ``adlab.numpy``, batching and the magics' bare names are derived from it.
Two tables stay separate on purpose: codegen's source templates (independent of the engine's rules,
so comparing the two checks both) and the SymPy map (SymPy is an optional dependency). The tests
below fail, naming the primitive and the table, when a new primitive is in neither a table nor its
exclusion list, and when an exclusion has gone stale.
"""

import ast
import pathlib

import numpy as np
import pytest

import adlab.numpy as anp
from adlab import codegen, magics, symbolic
from adlab.core import numpy_dispatch, rules
from adlab.core.batching import BATCH_RULES

PRIMITIVES = set(rules.PRIMITIVES)
P = {prim.name: prim for prim in rules.PRIMITIVES}

# Primitives reached through NumPy functions or methods, not as ufuncs (np.sum, np.where, x[i], x.T …).
NOT_UFUNCS = {P[name] for name in ("where", "clip", "sum", "prod", "max", "min", "logsumexp", "outer", "transpose",
                                   "reshape", "broadcast_to", "concatenate", "stack", "getitem", "scatter_add",
                                   "set_at")}
# Written with Python's operators (-x, x + y, x @ y …), so %trace needs no bare name for them.
WRITTEN_AS_OPERATORS = {P[name] for name in ("negative", "add", "subtract", "multiply", "divide", "remainder",
                                             "power", "matmul")}
# Codegen writes no source for these yet: a trace using them raises CodegenError naming the primitive.
NO_TEMPLATE = {P[name] for name in ("remainder", "prod", "scatter_add", "set_at")}
# Comparisons, signs and floors that derivative rules compute from values (rules.NOT_DIFFERENTIATED). f never
# calls them: NumPy's comparisons on a traced value stay Python's choices (guards), not primitives, so they are
# no ufunc, no adlab.numpy name, no %trace name, no SymPy expression; codegen writes programs of f's trace.
RULES_ONLY = set(rules.NOT_DIFFERENTIATED)
# Called by f as adlab.stop_gradient(x): NumPy has no such function, so it is no ufunc, no adlab.numpy name and
# no %trace bare name; SymPy has no "a constant here, a variable there" for one expression. Unlike RULES_ONLY it
# is in f's trace, so codegen could write it (the identity, zero tangent, no adjoint); it has no template yet.
ADLAB_ONLY = {P["stop_gradient"]}


def _templated(prim):
    """codegen.TEMPLATES has the primitive's name, or variants of it ("matmul 2-D @ 1-D")."""
    return prim.name in codegen.TEMPLATES or any(key.startswith(prim.name + " ") for key in codegen.TEMPLATES)


def _bare_name(prim):
    return prim.ufunc is not None and magics.ELEMENTARY.get(prim.name) is prim.ufunc


# table: (primitives it covers, primitives explicitly left out of it)
SIDE_TABLES = {
    "NumPy dispatch (numpy_dispatch.UFUNCS)": (set(numpy_dispatch.UFUNCS.values()) & PRIMITIVES,
                                                NOT_UFUNCS | RULES_ONLY | ADLAB_ONLY),
    "adlab.numpy exports": ({prim for prim in PRIMITIVES if prim.ufunc and getattr(anp, prim.ufunc.__name__) is prim},
                            NOT_UFUNCS | RULES_ONLY | ADLAB_ONLY),
    "batching rules (batching.BATCH_RULES)": (set(BATCH_RULES) & PRIMITIVES, set()),
    "codegen templates (codegen.TEMPLATES)": ({prim for prim in PRIMITIVES if _templated(prim)},
                                              NO_TEMPLATE | RULES_ONLY),
    "SymPy map (symbolic.SYMPY)": (set(symbolic.SYMPY), symbolic.ARRAY_PRIMITIVES | RULES_ONLY | ADLAB_ONLY),
    "%trace bare names (magics.ELEMENTARY)": ({prim for prim in PRIMITIVES if _bare_name(prim)},
                                              WRITTEN_AS_OPERATORS | NOT_UFUNCS | RULES_ONLY | ADLAB_ONLY),
}


def _names(prims):
    return sorted(prim.name for prim in prims)


@pytest.mark.parametrize("table", SIDE_TABLES)
def test_every_primitive_is_covered_or_excluded(table):
    covered, excluded = SIDE_TABLES[table]
    missing = PRIMITIVES - covered - excluded
    assert not missing, (f"{table} misses {_names(missing)}: add the primitive to that table (or its field in "
                         f"adlab/core/rules.py), or exclude it explicitly in tests/test_registry.py with a reason.")
    stale = covered & excluded
    assert not stale, f"{table} covers {_names(stale)}, which are also listed as excluded: drop the exclusion."


def test_the_registry_lists_every_primitive_the_table_defines():
    defined = [value for value in vars(rules).values() if isinstance(value, rules.Primitive)]
    assert set(defined) <= set(PRIMITIVES), [p.name for p in defined if p not in PRIMITIVES]


def test_a_users_own_primitive_stays_out_of_the_registry():
    before = rules.PRIMITIVES
    mine = rules.Primitive("mine", lambda x: x)
    assert mine not in rules.PRIMITIVES and rules.PRIMITIVES == before


def test_primitive_names_are_unique():
    assert len(P) == len(rules.PRIMITIVES)


def test_a_ufunc_primitive_is_what_numpy_dispatches_to():
    for prim in rules.PRIMITIVES:
        if prim.ufunc is not None:
            assert isinstance(prim.ufunc, np.ufunc) and numpy_dispatch.UFUNCS[prim.ufunc] is prim


# -- layers ----------------------------------------------------------------------------------------

ROOT = pathlib.Path(rules.__file__).resolve().parents[1]
# Each module's layer (GUIDE.md, "Architecture we aim for"); a module imports only its own layer and below.
LAYERS = [
    ("core", ["core/tree", "core/interpreter", "core/rules", "core/value_reads", "core/numpy_functions",
              "core/numpy_dispatch", "core/arraybox", "core/forward", "core/reverse", "core/batching",
              "core/recording", "core/api", "core/revolve"]),
    ("trace", ["readable", "tracing", "numpy", "testing"]),
    ("other ways to differentiate", ["numeric", "cost", "symbolic", "codegen", "program_literals", "program_loops", "program", "program_passes", "staging",
                                     "compiler"]),
    ("display", ["display/notation", "display/tables", "display/graph", "display/explorer_panels",
                 "display/explorer_controls", "display/explorer_saved_view", "display/explorer"]),
    ("notebook", ["magics", "__init__"]),
]
LAYER_OF = {module: depth for depth, (_, modules) in enumerate(LAYERS) for module in modules}
# Imported on first use only, and upwards on purpose: a trace shows itself as a table or a graph, a cost
# report and a swell study as tables.
LAZY_VIEWS = {("tracing", "display/tables"), ("tracing", "display/graph"), ("cost", "display/tables"),
              ("symbolic", "display/tables")}


def _imports(module):
    """The adlab modules `module` imports, at the top or inside functions."""
    path = ROOT / f"{module}.py"
    package = module.split("/")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = "/".join(base + (node.module.split(".") if node.module else []))
            names = [target] if node.module else [f"{target}/{alias.name}".strip("/") for alias in node.names]
            for name in names:
                if name in LAYER_OF:
                    found.add(name)
                elif f"{name}/__init__" in LAYER_OF or name == "":
                    found.add(f"{name}/__init__".strip("/"))
                else:  # `from .core import rules`
                    found.update(f"{name}/{alias.name}" for alias in node.names if f"{name}/{alias.name}" in LAYER_OF)
    return found - {module}


def test_no_module_imports_a_layer_above_its_own():
    upward = [(module, target) for module in LAYER_OF for target in _imports(module)
              if LAYER_OF.get(target, -1) > LAYER_OF[module] and (module, target) not in LAZY_VIEWS]
    assert not upward, f"imports that run back up the layers: {upward}"


def test_no_two_modules_import_each_other():
    graph = {module: _imports(module) & set(LAYER_OF) for module in LAYER_OF}
    done, circles = set(), []

    def visit(module, path):
        for target in sorted(graph[module]):
            if target in path:
                circles.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target, path + [target])
        done.add(module)

    for module in sorted(graph):
        visit(module, [module])
    assert not circles, f"import circles: {circles[:3]}"


# -- one definition of every derivative ------------------------------------------------------------

# Modules allowed to write derivative formulas: the primitive table, and codegen's readable templates (the
# teaching view of Lesson 6), which tests/test_hostile_points.py checks against the engine at hostile points.
STATES_DERIVATIVES = {"core/rules", "codegen"}
# Joint rules that state no formula: they differentiate a user's f with the engine's own vjp and jvp.
DELEGATING_RULES = {"core/api": "checkpoint", "core/revolve": "checkpoint_loop"}
TEMPLATE_PLACEHOLDERS = ("{d}", "{bar}")  # a derivative template's "tangent or adjoint here" (codegen's syntax)


def derivative_statements(source, module):
    """Where `source` states a derivative: rules given to a primitive, or a derivative template string."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            keywords = {k.arg for k in node.keywords}
            if keywords & {"jvps", "vjps"}:
                found.append(f"line {node.lineno}: per-argument rules (jvps=/vjps=)")
            if keywords & {"joint_jvp", "joint_vjp"} and module not in DELEGATING_RULES:
                found.append(f"line {node.lineno}: joint rules (joint_jvp=/joint_vjp=)")
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("defjvp", "defvjp"):
                found.append(f"line {node.lineno}: .{node.func.attr}(...)")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and any(mark in node.value for mark in TEMPLATE_PLACEHOLDERS)):
            found.append(f"line {node.lineno}: a derivative template {node.value[:40]!r}")
    return found


def test_no_module_but_the_rules_states_a_derivative():
    stated = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = path.relative_to(ROOT).with_suffix("").as_posix()
        if module not in STATES_DERIVATIVES:
            found = derivative_statements(path.read_text(), module)
            if found:
                stated[module] = found
    assert not stated, (f"derivatives stated outside adlab/core/rules.py: {stated}; write the rule in rules.py "
                        f"(staged programs and traces take it from there).")


def test_the_derivative_scan_finds_each_way_of_stating_one():
    assert derivative_statements('TEMPLATES = {"exp": _pointwise("exp({0})", "{d} * {out}")}', "compiler")
    assert derivative_statements('p = Primitive("p", f, jvps=(lambda t, out, x: t,))', "compiler")
    assert derivative_statements('softplus.defvjp(lambda g, out, x: g)', "exercises/x")
    assert derivative_statements('p = Primitive("p", f, joint_vjp=rule)', "compiler")
    assert not derivative_statements('def f():\n    """Writes {d} in a docstring."""\n', "compiler")


def test_stop_gradient_is_called_by_f_and_so_is_not_a_value_rules_read():
    assert rules.stop_gradient in PRIMITIVES and rules.stop_gradient not in rules.NOT_DIFFERENTIATED
