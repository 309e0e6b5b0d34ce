"""An independent battery of wrong uses (issue 12), written without reading tests/test_misuse.py.

Each row is a plausible mistake by a student, a self-paced learner or an instructor: the functional
API, NumPy on traced values, custom primitives, Trace, %trace, the explorer, numeric/symbolic/codegen/
cost, the exercise checks and the CLI. Every row is pinned: the error type and the words of its
message, or the right result. Five rows are pinned as they behave now, not yet as they should: unclear
api/matmul_shape (NumPy's gufunc message), trace/precision_neg, trace/html_float_option, trace/highlight_bad and sym/too_few_symbols.
"""

import inspect
import math
import os
import re
import tempfile
import time
import warnings

import numpy as np
import pytest

import adlab
from adlab import checkpoint, checkpoint_loop, codegen, cost, grad, hessian, hvp, jacfwd, jacrev, jvp, numeric
from adlab import symbolic, value_and_grad, vjp
from adlab.exercises import (ReferenceValue, check_array, check_choice, check_column, check_dual_numbers,
                             check_dual_trace, check_function, check_number, check_reverse_value)

PROBES = {}
def P(name):
    def deco(fn):
        PROBES[name] = fn
        return fn
    return deco

def sq(x): return x * x
def eq5(x1, x2): return x1 * x2 + x2 - np.log(x1)
def vec(x): return np.sin(x) * 2.0
x3 = np.array([1.0, 2.0, 3.0])

# ---------------- functional API
P("api/int_scalar")(lambda: grad(sq)(3))
P("api/int_array")(lambda: grad(lambda x: np.sum(x**2))(np.array([1, 2])))
P("api/list_input")(lambda: grad(lambda x: np.sum(np.asarray(x)**2))([1.0, 2.0]))
P("api/list_input_elementwise")(lambda: grad(lambda x: x[0]*x[1])([1.0, 2.0]))
P("api/nonscalar_out")(lambda: grad(vec)(x3))
P("api/shape1_out")(lambda: grad(lambda x: x[:1] * 2)(x3))
P("api/const_int_out")(lambda: grad(lambda x: 3)(1.0))
P("api/const_float_out")(lambda: grad(lambda x: 3.0)(1.0))
P("api/argnums_oob")(lambda: grad(eq5, argnums=2)(1.0, 2.0))
P("api/argnums_list")(lambda: grad(eq5, argnums=[0, 1])(3.0, -4.0))
P("api/argnums_str")(lambda: grad(eq5, argnums="x1"))
P("api/kwargs_only")(lambda: grad(sq)(x=3.0))
P("api/has_aux_not_pair")(lambda: grad(sq, has_aux=True)(3.0))
P("api/has_aux_triple")(lambda: grad(lambda x: (x*x, 1, 2), has_aux=True)(3.0))
P("api/has_aux_forgot")(lambda: grad(lambda x: (x*x, {"a": 1}))(3.0))
P("api/vag_has_aux")(lambda: value_and_grad(lambda x: (x*x, "aux"), has_aux=True)(3.0))
P("api/np_ufunc_as_f")(lambda: grad(np.sin)(1.0))
P("api/math_sin")(lambda: grad(lambda x: math.sin(x))(1.0))
P("api/math_exp_array")(lambda: grad(lambda x: math.exp(x[0]))(x3))
P("api/float_cast")(lambda: grad(lambda x: float(x) ** 2)(1.0))
P("api/item")(lambda: grad(lambda x: np.sum(x).item())(x3))
P("api/np_array_of_boxes")(lambda: grad(lambda x: np.sum(np.array([x, x**2])))(2.0))
P("api/np_asarray_box")(lambda: grad(lambda x: np.sum(np.asarray(x) ** 2))(x3))
P("api/astype_int")(lambda: grad(lambda x: np.sum(x.astype(int)))(x3))
P("api/astype_f32")(lambda: grad(lambda x: np.sum(x.astype(np.float32)))(x3))
P("api/jvp_not_tuples")(lambda: jvp(sq, 1.0, 1.0))
P("api/jvp_int_tangent")(lambda: jvp(sq, (3.0,), (1,)))
P("api/jvp_shape_mismatch")(lambda: jvp(vec, (x3,), (np.ones(2),)))
P("api/jvp_count_mismatch")(lambda: jvp(eq5, (3.0, -4.0), (1.0,)))
P("api/jvp_f32_primal_f64_tangent")(lambda: jvp(sq, (np.float32(3.0),), (1.0,)))
P("api/jvp_bool_tangent")(lambda: jvp(sq, (3.0,), (True,)))
P("api/jvp_str_tangent")(lambda: jvp(sq, (3.0,), ("1",)))
P("api/vjp_wrong_cot_shape")(lambda: vjp(vec, x3)[1](np.ones(2)))
P("api/vjp_scalar_cot_for_vector")(lambda: vjp(vec, x3)[1](1.0))
P("api/vjp_tuple_primal")(lambda: vjp(np.sin, (1.0,))[1]((1.0,)))
P("api/vjp_two_cot_args")(lambda: vjp(lambda x: (x, 2*x), 1.0)[1](1.0, 1.0))
P("api/vjp_list_cot_for_tuple_out")(lambda: vjp(lambda x: (x, 2*x), 1.0)[1]([1.0, 1.0]))
P("api/jacfwd_int")(lambda: jacfwd(vec)(np.array([1, 2])))
P("api/jacrev_tuple_out")(lambda: jacrev(lambda x: (x*2, np.sum(x)))(x3))
P("api/jacrev_list_out")(lambda: jacrev(lambda x: [x*2, x*3])(1.0))
P("api/jacfwd_of_value")(lambda: jacfwd(vec(x3)))
P("api/grad_of_grad_value")(lambda: grad(grad(sq)(2.0)))
P("api/hessian_vector_f")(lambda: hessian(vec)(x3).shape)
P("api/hvp_not_tuples")(lambda: hvp(lambda x: np.sum(x**3), x3, np.ones(3)))
P("api/hvp_bad_method")(lambda: hvp(lambda x: np.sum(x**3), (x3,), (np.ones(3),), method="reverse"))
P("api/hvp_shape")(lambda: hvp(lambda x: np.sum(x**3), (x3,), (np.ones(2),)))
P("api/hvp_nonscalar_f")(lambda: hvp(vec, (x3,), (np.ones(3),)))
P("api/hvp_int_primal")(lambda: hvp(lambda x: x**3, (2,), (1.0,)))
P("api/complex_input")(lambda: grad(sq)(1 + 2j))
P("api/complex_out")(lambda: grad(lambda x: x * 1j)(1.0))
P("api/complex_inside_abs")(lambda: grad(lambda x: np.abs(x * 1j))(1.0))
P("api/complex_inside_real")(lambda: grad(lambda x: np.real(x * (1 + 1j)))(1.0))
P("api/dict_input")(lambda: grad(lambda d: d["a"] * d["b"])({"a": 1.0, "b": 2.0}))
P("api/dict_with_int")(lambda: grad(lambda d: d["a"] * d["n"])({"a": 1.0, "n": 3}))
P("api/none_input")(lambda: grad(sq)(None))
P("api/str_input")(lambda: grad(sq)("3.0"))
P("api/empty_array")(lambda: grad(lambda x: np.sum(x**2))(np.array([])))
P("api/zero_d_array")(lambda: grad(lambda x: x**2)(np.array(2.0)))
P("api/f32_scalar")(lambda: grad(sq)(np.float32(2.0)))
P("api/bool_out")(lambda: grad(lambda x: x > 0)(1.0))
P("api/none_out")(lambda: grad(lambda x: None)(1.0))
P("api/forgot_return")(lambda: grad(lambda x: print(end=""))(1.0))
P("api/tracer_leak")(lambda: (lambda kept: (grad(lambda x: kept.append(x) or x*x)(1.0), kept[0] + 1))([]))
P("api/setitem")(lambda: grad(lambda x: (x.__setitem__(0, 1.0), np.sum(x))[1])(x3))
P("api/iadd_array")(lambda: grad(lambda x: (lambda y: (y.__iadd__(1.0), np.sum(y))[1])(x))(x3))
P("api/ufunc_out")(lambda: grad(lambda x: np.sum(np.add(x, 1, out=np.zeros(3))))(x3))
P("api/ufunc_where")(lambda: grad(lambda x: np.sum(np.sin(x, where=x > 1.5)))(x3))
P("api/sum_dtype")(lambda: grad(lambda x: np.sum(x, dtype=np.float32))(x3))
P("api/sum_keepdims")(lambda: grad(lambda x: np.sum(np.sum(x, keepdims=True)))(x3))
P("api/sum_bad_axis")(lambda: grad(lambda x: np.sum(x, axis=3))(x3))
P("api/round")(lambda: grad(lambda x: np.sum(np.round(x) * x))(x3))
P("api/linalg_norm")(lambda: grad(lambda x: np.linalg.norm(x))(x3))
P("api/linalg_inv")(lambda: grad(lambda x: np.sum(np.linalg.inv(x.reshape(1, 1))))(np.array([2.0])))
P("api/cumsum")(lambda: grad(lambda x: np.sum(np.cumsum(x)))(x3))
P("api/diff")(lambda: grad(lambda x: np.sum(np.diff(x)))(x3))
P("api/einsum")(lambda: grad(lambda x: np.einsum("i,i->", x, x))(x3))
P("api/arctan2")(lambda: grad(lambda x: np.arctan2(x, 1.0))(1.0))
P("api/square")(lambda: grad(lambda x: np.square(x))(3.0))
P("api/log10")(lambda: grad(lambda x: np.log10(x))(10.0))
P("api/sign")(lambda: grad(lambda x: np.sign(x) * x)(-2.0))
P("api/hypot")(lambda: grad(lambda x: np.hypot(x, 4.0))(3.0))
P("api/concat_list")(lambda: grad(lambda x: np.sum(np.concatenate([x, [1.0]]) ** 2))(x3))
P("api/stack_floats")(lambda: grad(lambda x: np.sum(np.stack([x, 1.0])))(2.0))
P("api/repeated_index")(lambda: grad(lambda x: np.sum(x[[0, 0, 1]]))(x3))
P("api/bool_mask_traced")(lambda: grad(lambda x: np.sum(x[x > 1.5]))(x3))
P("api/builtin_sum")(lambda: grad(lambda x: sum(x))(x3))
P("api/builtin_max")(lambda: grad(lambda x: max(x))(x3))
P("api/builtin_round")(lambda: grad(lambda x: round(x) * x)(2.4))
P("api/int_cast")(lambda: grad(lambda x: int(x) * x)(2.4))
P("api/bool_array")(lambda: grad(lambda x: np.sum(x) if x > 0 else 0.0)(x3))
P("api/len_iter")(lambda: grad(lambda x: sum(xi**2 for xi in x) / len(x))(x3))
P("api/matmul_shape")(lambda: grad(lambda x: np.sum(x @ np.ones((2, 2))))(x3))
P("api/divide_zero")(lambda: grad(lambda x: 1.0 / x)(0.0))
P("api/f32_times_f64")(lambda: grad(lambda x: np.sum(x * np.ones(2)))(np.ones(2, dtype=np.float32)).dtype)
P("api/int_times")(lambda: grad(lambda x: np.sum(x * np.arange(3)))(x3))
P("api/cp_tuple_out")(lambda: grad(lambda x: checkpoint(lambda y: (y, y))(x)[0])(1.0))
P("api/cp_closure")(lambda: grad(lambda w: grad(lambda x: checkpoint(lambda y: y * w)(x))(1.0))(2.0))
P("api/cp_closure_first")(lambda: grad(lambda w: checkpoint(lambda y: y * w)(3.0))(2.0))
P("api/cp_not_callable")(lambda: checkpoint(3.0))
P("api/cl_float_steps")(lambda: grad(lambda x: checkpoint_loop(np.sin, x, 10.0))(1.0))
P("api/cl_negative")(lambda: checkpoint_loop(np.sin, 1.0, -1))
P("api/cl_zero_snap")(lambda: checkpoint_loop(np.sin, 1.0, 5, snapshots=0))
P("api/cl_shape_change")(lambda: grad(lambda x: np.sum(checkpoint_loop(lambda v: np.append(v, 1.0), x, 3)))(x3))
P("api/cl_closure")(lambda: grad(lambda w: checkpoint_loop(lambda v: v * w, 1.0, 4))(2.0))
P("api/cl_args_order")(lambda: checkpoint_loop(1.0, np.sin, 5))
P("api/cl_tuple_state")(lambda: grad(lambda x: checkpoint_loop(lambda s: (s[1], s[0] * 0.5), (x, x), 3)[0])(1.0))

# ---------------- custom primitives
def _mk(jvp_rule=None, vjp_rules=None):
    @adlab.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)
    if jvp_rule: softplus.defjvp(jvp_rule)
    if vjp_rules: softplus.defvjp(*vjp_rules)
    return softplus
sig = lambda x: 1 / (1 + np.exp(-x))
P("prim/no_vjp_grad")(lambda: grad(_mk(jvp_rule=lambda t, o, x: t * sig(x)))(1.0))
P("prim/no_rules_jvp")(lambda: jvp(_mk(), (1.0,), (1.0,)))
P("prim/too_many_vjps")(lambda: _mk(vjp_rules=(lambda g, o, x: g, lambda g, o, x: g)))
P("prim/vjp_wrong_sig")(lambda: grad(_mk(vjp_rules=(lambda g, x: g * sig(x),)))(1.0))
P("prim/vjp_wrong_shape")(lambda: grad(lambda x: np.sum(_mk(vjp_rules=(lambda g, o, x: np.sum(g),))(x)))(x3))
P("prim/jvp_wrong_shape")(lambda: jvp(_mk(jvp_rule=lambda t, o, x: np.sum(t)), (x3,), (np.ones(3),)))
P("prim/vjp_returns_none")(lambda: grad(_mk(vjp_rules=(lambda g, o, x: None,)))(1.0))
P("prim/not_callable")(lambda: adlab.primitive(3.0))
P("prim/defvjp_not_callable")(lambda: _mk(vjp_rules=(3.0,)))
P("prim/returns_list")(lambda: grad(lambda x: adlab.primitive(lambda y: [y, y])(x)[0])(1.0))
P("prim/vjp_int_rule")(lambda: grad(_mk(vjp_rules=(lambda g, o, x: 1,)))(1.0))

# ---------------- Trace
t1 = adlab.trace(eq5, 3.0, -4.0)
P("trace/int_inputs")(lambda: adlab.trace(eq5, 3, -4).value)
P("trace/index_oob")(lambda: t1[9])
P("trace/index_neg_oob")(lambda: t1[-5])
P("trace/index_str")(lambda: t1["v1"])
P("trace/forward_none")(lambda: t1.forward())
P("trace/forward_one")(lambda: t1.forward(1.0))
P("trace/forward_list")(lambda: t1.forward([1.0, 0.0]))
P("trace/forward_shape")(lambda: t1.forward(np.ones(3), 0.0))
P("trace/reverse_two")(lambda: t1.reverse(1.0, 0.0))
P("trace/reverse_vector_default")(lambda: adlab.trace(vec, x3).reverse())
P("trace/adjoints_primal")(lambda: t1.input_adjoints)
P("trace/tangents_reverse")(lambda: t1.reverse().output_tangents)
P("trace/forward_along_oob")(lambda: t1.forward_along(5))
P("trace/reverse_from_oob")(lambda: t1.reverse_from(2))
P("trace/forward_along_index_oob")(lambda: adlab.trace(vec, x3).forward_along(0, index=5))
P("trace/forward_along_index_scalar")(lambda: t1.forward_along(0, index=1))
P("trace/local_partials_oob")(lambda: t1.local_partials(99))
P("trace/no_args")(lambda: adlab.trace(lambda: 3.0))
P("trace/constant")(lambda: adlab.trace(lambda x: 3.0, 1.0).reverse().input_adjoints)
P("trace/identity")(lambda: adlab.trace(lambda x: x, 1.0).reverse().input_adjoints)
P("trace/not_callable")(lambda: adlab.trace(3.0, 1.0))
P("trace/precision_neg")(lambda: t1.to_markdown(precision=-1))
P("trace/highlight_bad")(lambda: t1.to_markdown(highlight=99))
P("trace/mutate_row")(lambda: setattr(t1.rows[0], "value", 5.0))
P("trace/tangent_str")(lambda: t1.forward("1", 0.0))
P("trace/forward_on_forward")(lambda: t1.forward(1.0, 0.0).forward(0.0, 1.0).seed)
P("trace/html_float_option")(lambda: t1.to_html(max_rows=2.5))

# ---------------- exercises
class Var:
    def __init__(self, val, dot=0.0): self.val, self.dot = val, dot
    def __add__(s, o): return Var(s.val + o.val, s.dot + o.dot)
    def __sub__(s, o): return Var(s.val - o.val, s.dot - o.dot)
    def __mul__(s, o): return Var(s.val * o.val, s.dot * o.val + s.val * o.dot)
    def __truediv__(s, o): return Var(s.val / o.val, (s.dot * o.val - s.val * o.dot) / o.val**2)
def ln(v): return Var(math.log(v.val), v.dot / v.val)
tf = adlab.trace(eq5, 3.0, -4.0).forward(0.0, 1.0)
class VarTuple(Var):
    def __add__(s, o): return (s.val + o.val, s.dot + o.dot)
class Var3:
    def __init__(self, val, dot, name): self.val, self.dot = val, dot
class VarMut(Var):
    def __add__(s, o): s.val += o.val; s.dot += o.dot; return s
class VarNoDiv:
    def __init__(self, val, dot=0.0): self.val, self.dot = val, dot
    def __add__(s, o): return VarNoDiv(s.val + o.val, s.dot + o.dot)
    def __sub__(s, o): return VarNoDiv(s.val - o.val, s.dot - o.dot)
    def __mul__(s, o): return VarNoDiv(s.val * o.val, s.dot * o.val + s.val * o.dot)
class VarArr(Var):
    def __init__(self, val, dot=0.0): self.val, self.dot = np.array([val]), np.array([dot])

P("ex/num_str")(lambda: check_number("t1", "4.0", 4.0))
P("ex/num_none")(lambda: check_number("t1", None, 4.0))
P("ex/num_np32")(lambda: check_number("t1", np.float32(4.0), 4.0))
P("ex/num_list1")(lambda: check_number("t1", [4.0], 4.0))
P("ex/num_0d")(lambda: check_number("t1", np.array(4.0), 4.0))
P("ex/num_bool")(lambda: check_number("t1", True, 1.0))
P("ex/num_nan")(lambda: check_number("t1", float("nan"), 4.0))
P("ex/num_complex")(lambda: check_number("t1", 4 + 0j, 4.0))
P("ex/num_fraction")(lambda: __import__("fractions").Fraction(13, 3) and check_number("t1", __import__("fractions").Fraction(-13, 3), -13 / 3))
P("ex/num_decimal")(lambda: check_number("t1", __import__("decimal").Decimal("4.0"), 4.0))
P("ex/num_sympy")(lambda: check_number("t1", __import__("sympy").Rational(-13, 3), -13 / 3))
P("ex/num_sympy_float")(lambda: check_number("t1", __import__("sympy").Float(4.0), 4.0))
P("ex/num_trace")(lambda: check_number("t1", t1, 4.0))
P("ex/num_function")(lambda: check_number("t1", sq, 4.0))
P("ex/num_expected_nan")(lambda: check_number("t1", 4.0, float("nan")))
P("ex/num_expected_str")(lambda: check_number("t1", 4.0, "4"))
P("ex/num_tuple_expected_vs_scalar")(lambda: check_number("t1", 4.0, (4.0, 1.0)))
P("ex/num_inf")(lambda: check_number("t1", float("inf"), float("inf")))
P("ex/num_box")(lambda: check_number("t1", adlab.trace(sq, 2.0), 4.0))
P("ex/arr_len")(lambda: check_array("t2", [1, 2, 3], np.ones(2)))
P("ex/arr_shape")(lambda: check_array("t2", [[1, 2], [3, 4]], np.ones(4)))
P("ex/arr_generator")(lambda: check_array("t2", (v for v in [1.0, 1.0]), np.ones(2)))
P("ex/arr_map")(lambda: check_array("t2", map(float, [1, 1]), np.ones(2)))
P("ex/arr_str_entry")(lambda: check_array("t2", [1, "2"], np.ones(2)))
P("ex/arr_partial")(lambda: check_array("t2", [1, None], np.ones(2)))
P("ex/arr_ragged")(lambda: check_array("t2", [[1, 2], [3]], np.ones((2, 2))))
P("ex/arr_dict")(lambda: check_array("t2", {"a": 1, "b": 1}, np.ones(2)))
P("ex/arr_set")(lambda: check_array("t2", {1.0, 2.0}, np.array([1.0, 2.0])))
P("ex/arr_range")(lambda: check_array("t2", range(2), np.arange(2)))
P("ex/arr_nested_mixed")(lambda: check_array("t2", [1.0, [2.0]], np.ones(2)))
P("ex/arr_scalar_for_vec")(lambda: check_array("t2", 1.0, np.ones(3)))
P("ex/arr_transposed")(lambda: check_array("t2", np.ones((3, 2)), np.ones((2, 3))))
P("ex/arr_row_vs_col")(lambda: check_array("t2", np.ones((1, 3)), np.ones(3)))
P("ex/arr_expected_none")(lambda: check_array("t2", [1.0, 2.0], [1.0, None]))
P("ex/arr_tuple_of_arrays")(lambda: check_array("t2", (np.ones(2), np.ones(2)), np.ones((2, 2))))
P("ex/arr_grad_tuple")(lambda: check_array("t2", grad(eq5, argnums=(0, 1))(3.0, -4.0), [-13 / 3, 4.0]))
P("ex/arr_empty")(lambda: check_array("t2", [], np.ones(2)))
P("ex/arr_ellipsis_entry")(lambda: check_array("t2", [..., 1.0], np.ones(2)))
P("ex/arr_numpy_str")(lambda: check_array("t2", np.array(["1", "1"]), np.ones(2)))
P("ex/col_no_sweep")(lambda: check_column("t3", [1, 2, 3, 4], t1, "tangent"))
P("ex/col_typo")(lambda: check_column("t3", [1, 2, 3, 4], tf, "tangents"))
P("ex/col_len")(lambda: check_column("t3", [1, 2], tf))
P("ex/col_array_trace")(lambda: check_column("t3", [1, 2], adlab.trace(vec, x3).forward(np.ones(3))))
P("ex/col_dict")(lambda: check_column("t3", {"v1": 1}, tf))
P("ex/col_not_trace")(lambda: check_column("t3", [1, 2, 3, 4], eq5))
P("ex/col_right")(lambda: check_column("t3", [-4, 1/3 * 0, -4, -4], tf))
P("ex/col_generator")(lambda: check_column("t3", (v for v in [0, 3.0, 4.0, 4.0]), tf))
P("ex/col_reverse_given_tangent")(lambda: check_column("t3", [1, 2, 3, 4], t1.reverse(), "tangent"))
P("ex/col_str")(lambda: check_column("t3", "1, 2, 3, 4", tf))
P("ex/fn_scalar_inputs")(lambda: check_function("t4", sq, lambda x: x * x, inputs=[1.0, 2.0]))
P("ex/fn_class")(lambda: check_function("t4", Var, lambda x: x * x, inputs=[1.0]))
P("ex/fn_returns_gen")(lambda: check_function("t4", lambda x: (v for v in [x]), lambda x: x, inputs=[1.0]))
P("ex/fn_returns_none")(lambda: check_function("t4", lambda x: None, lambda x: x, inputs=[1.0]))
P("ex/fn_inputs_generator")(lambda: check_function("t4", sq, lambda x: x * x, inputs=(v for v in [1.0, 2.0])))
P("ex/fn_inputs_scalar")(lambda: check_function("t4", sq, lambda x: x * x, inputs=2.0))
P("ex/fn_string")(lambda: check_function("t4", "x*x", lambda x: x * x, inputs=[1.0]))
P("ex/fn_raises")(lambda: check_function("t4", lambda x: 1 / 0, lambda x: x, inputs=[1.0]))
P("ex/fn_wrong_arity")(lambda: check_function("t4", lambda x, y: x, lambda x: x, inputs=[1.0]))
P("ex/fn_array_arg")(lambda: check_function("t4", lambda x: 2 * x, lambda x: 2 * x, inputs=[(x3,)]))
P("ex/fn_array_arg_unwrapped")(lambda: check_function("t4", lambda x: 2 * x, lambda x: 2 * x, inputs=[x3]))
P("ex/fn_slow")(lambda: check_function("t4", lambda x: (time.sleep(0.2), x * x)[1], lambda x: x * x, inputs=[1.0, 2.0, 3.0]))
P("ex/fn_tuple_vs_tuple")(lambda: check_function("t4", lambda x: (x, 2 * x), lambda x: (x, 2 * x), inputs=[1.0]))
P("ex/fn_wrong_count")(lambda: check_function("t4", lambda x: x, lambda x: (x, 2 * x), inputs=[1.0]))
P("ex/fn_mutates_input")(lambda: (lambda a: (check_function("t4", lambda x: x.__imul__(2), lambda x: 2 * x, inputs=[(a,)]), a))(np.ones(2)))
P("ex/ch_case")(lambda: check_choice("t5", "Forward", "forward"))
P("ex/ch_not_choice")(lambda: check_choice("t5", "fwd", "forward", choices=["forward", "reverse"]))
P("ex/ch_num")(lambda: check_choice("t5", 2.0, 2))
P("ex/ch_str_num")(lambda: check_choice("t5", "2", 2))
P("ex/ch_list")(lambda: check_choice("t5", ["forward"], "forward"))
P("ex/ch_phrase")(lambda: check_choice("t5", "forward mode", "forward", choices=["forward", "reverse"]))
P("ex/ch_np_int")(lambda: check_choice("t5", np.int64(2), 2))
P("ex/ch_bool")(lambda: check_choice("t5", True, 1))
P("ex/ch_float_close")(lambda: check_choice("t5", 0.1 + 0.2, 0.3))
P("ex/ch_number_for_word")(lambda: check_choice("t5", 1, "forward", choices=["forward", "reverse"]))
P("ex/ch_trailing_dot")(lambda: check_choice("t5", "forward.", "forward"))
P("ex/dual_instance")(lambda: check_dual_numbers("t6", Var(1.0, 0.0)))
P("ex/dual_right")(lambda: check_dual_numbers("t6", Var, ln=ln))
P("ex/dual_no_div")(lambda: check_dual_numbers("t6", VarNoDiv))
P("ex/dual_add_tuple")(lambda: check_dual_numbers("t6", VarTuple))
P("ex/dual_three_args")(lambda: check_dual_numbers("t6", Var3))
P("ex/dual_mutates")(lambda: check_dual_numbers("t6", VarMut))
P("ex/dual_ln_mathlog")(lambda: check_dual_numbers("t6", Var, ln=math.log))
P("ex/dual_ln_str")(lambda: check_dual_numbers("t6", Var, ln="log"))
P("ex/dual_array_fields")(lambda: check_dual_numbers("t6", VarArr))
P("ex/dual_nothing")(lambda: check_dual_numbers("t6", Var, operators=False))
P("ex/dual_mixed_missing")(lambda: check_dual_numbers("t6", Var, mixed=True))
P("ex/dtrace_single")(lambda: check_dual_trace("t7", Var, Var(3.0, 0.0), tf, ln=ln))
P("ex/dtrace_primal")(lambda: check_dual_trace("t7", Var, (Var(3.0, 0.0), Var(-4.0, 1.0)), t1, ln=ln))
P("ex/dtrace_count")(lambda: check_dual_trace("t7", Var, (Var(3.0, 0.0),), tf, ln=ln))
P("ex/dtrace_floats")(lambda: check_dual_trace("t7", Var, (3.0, -4.0), tf, ln=ln))
P("ex/dtrace_no_ln")(lambda: check_dual_trace("t7", Var, (Var(3.0, 0.0), Var(-4.0, 1.0)), tf))
P("ex/dtrace_wrong_seed")(lambda: check_dual_trace("t7", Var, (Var(3.0, 1.0), Var(-4.0, 0.0)), tf, ln=ln))
P("ex/dtrace_right")(lambda: check_dual_trace("t7", Var, (Var(3.0, 0.0), Var(-4.0, 1.0)), tf, ln=ln))
P("ex/dtrace_reverse_trace")(lambda: check_dual_trace("t7", Var, (Var(3.0, 0.0), Var(-4.0, 1.0)), t1.reverse(), ln=ln))
P("ex/dtrace_list_inputs")(lambda: check_dual_trace("t7", Var, [Var(3.0, 0.0), Var(-4.0, 1.0)], tf, ln=ln))

class ValueInst(ReferenceValue): pass
_own = {}  # ReferenceValue's source compiled outside adlab: a right class of a student's own, to build on
_own.update(np=np, math=math, _nothing=lambda: None, _one_number=float)
exec(compile(inspect.getsource(ReferenceValue), "a student's notebook", "exec"), _own)
OwnValue = _own["ReferenceValue"]
class SlowValue(OwnValue):
    """topological order with a list for `visited`: quadratic."""
    def topological_order(self):
        order, visited, stack = [], [], [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node); continue
            if node in visited: continue
            visited.append(node)
            stack.append((node, True))
            for p in node._parents:
                stack.append((p, False))
        return order
class NoGradInit(OwnValue):
    def __init__(self, data, parents=(), op=""):
        super().__init__(data, parents, op); self.grad = None
class NeedsChildren:
    def __init__(self, data, children, op): self.data, self.grad = data, 0.0
    def __add__(s, o): return s
    __sub__ = __mul__ = __truediv__ = __radd__ = __rsub__ = __rmul__ = __rtruediv__ = __add__
    def __neg__(s): return s
    def log(s): return s
    def exp(s): return s
    def backward(s): pass
P("ex/rv_instance")(lambda: check_reverse_value("t8", ReferenceValue(1.0)))
P("ex/rv_reference")(lambda: check_reverse_value("t8", ReferenceValue))
P("ex/rv_subclass")(lambda: check_reverse_value("t8", ValueInst))
P("ex/rv_missing_backward")(lambda: check_reverse_value("t8", Var))
P("ex/rv_slow")(lambda: check_reverse_value("t8", SlowValue))
P("ex/rv_grad_none")(lambda: check_reverse_value("t8", NoGradInit))
P("ex/rv_needs_children")(lambda: check_reverse_value("t8", NeedsChildren))
P("ex/rv_string")(lambda: check_reverse_value("t8", "Value"))
P("ex/rv_depth_str")(lambda: check_reverse_value("t8", ReferenceValue, depth="5000"))

# ---------------- numeric / symbolic / codegen / cost
P("num/bad_method")(lambda: numeric.derivative(np.sin, 1.0, method="bogus"))
P("num/h_zero")(lambda: numeric.derivative(np.sin, 1.0, h=0))
P("num/h_negative")(lambda: numeric.derivative(np.sin, 1.0, h=-1e-3))
P("num/complex_step_abs")(lambda: numeric.complex_step(np.abs, -1.0))
P("num/complex_step_real_only")(lambda: numeric.complex_step(lambda x: math.sin(x), 1.0))
P("num/gradient_list")(lambda: numeric.gradient(lambda x: np.sum(x**2), [1, 2]))
P("num/derivative_vector_f")(lambda: numeric.derivative(lambda x: np.array([x, x**2]), 1.0))
P("num/derivative_vector_x")(lambda: numeric.derivative(np.sin, x3))
P("num/jacobian_scalar_f")(lambda: numeric.jacobian(lambda x: np.sum(x), x3))
P("num/evs_bad_exact")(lambda: numeric.error_vs_step(np.sin, 1.0, exact="cos"))
P("num/nan_domain")(lambda: numeric.derivative(np.log, 0.0))
P("num/int_point")(lambda: numeric.derivative(lambda x: x**3, 2))
P("num/f_not_callable")(lambda: numeric.derivative(3.0, 1.0))
P("num/h_str")(lambda: numeric.derivative(np.sin, 1.0, h="1e-3"))
P("sym/where")(lambda: symbolic.from_function(lambda x: np.where(x > 0, x, 0.0), "x"))
P("sym/array_arg")(lambda: symbolic.compare(lambda x: np.sum(x**2), x3))
P("sym/str_symbols")(lambda: symbolic.gradient(symbolic.from_function(sq, "x"), "x"))
P("sym/too_few_symbols")(lambda: symbolic.from_function(eq5, "x"))
P("sym/math_func")(lambda: symbolic.from_function(lambda x: math.sin(x), "x"))
P("sym/compare_no_args")(lambda: symbolic.compare(eq5))
P("sym/swell_bad")(lambda: symbolic.expression_swell(depths=[0, -1]))
P("cg/no_args")(lambda: codegen.tangent_program(eq5))
P("cg/control_flow")(lambda: codegen.tangent_program(lambda x: x * x if x > 0 else -x, 1.0)(-1.0, 1.0))
P("cg/wrong_nargs")(lambda: codegen.adjoint_program(eq5, 3.0, -4.0)(3.0))
P("cg/vector_out_adjoint")(lambda: codegen.adjoint_program(vec, x3))
P("cg/custom_prim")(lambda: codegen.tangent_program(_mk(jvp_rule=lambda t, o, x: t * sig(x)), 1.0))
P("cg/not_callable")(lambda: codegen.tangent_program(3.0, 1.0))
P("cost/not_callable")(lambda: cost.cost(3.0, 1.0))
P("cost/no_args")(lambda: cost.cost(eq5, timing=False))
P("cost/spc_not_callable")(lambda: cost.seconds_per_call(3.0))
P("cost/tape_bytes_int")(lambda: cost.tape_bytes(sq, 3))
P("cost/vector_f")(lambda: cost.cost(vec, x3, timing=False))


# ---------------- magics
_shell = None
def shell():
    global _shell
    if _shell is None:
        from IPython.core.interactiveshell import InteractiveShell
        _shell = InteractiveShell.instance()  # the one shell of this process, whichever test made it
        _shell.run_line_magic("load_ext", "adlab")
    return _shell
def M(line, cell=None):
    sh = shell()
    sh.user_ns["f"] = eq5; sh.user_ns["notfunc"] = 3.0
    import io, contextlib
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        r = sh.run_cell_magic("trace", line, cell) if cell is not None else sh.run_line_magic("trace", line)
    return (repr(r)[:120], out.getvalue()[-300:], err.getvalue()[-300:])
P("mag/no_at")(lambda: M("x1*x2 + x2"))
P("mag/missing_var")(lambda: M("x1*x2 + x2 at x1=2"))
P("mag/forward_unknown")(lambda: M("--forward x3 x1*x2 at x1=2, x2=4"))
P("mag/reverse_bad_output")(lambda: M("--reverse=y5 x1*x2 at x1=2, x2=4"))
P("mag/undefined_fn")(lambda: M("nosuch at 3"))
P("mag/syntax")(lambda: M("x1*+ at x1=2"))
P("mag/not_callable")(lambda: M("notfunc at 3"))
P("mag/cell_no_expr")(lambda: M("at x1=3", "y = x1 * 2"))
P("mag/bogus_option")(lambda: M("--bogus x1 at x1=2"))
P("mag/bad_value")(lambda: M("x**2 at x=abc"))
P("mag/fn_wrong_count")(lambda: M("f at 3"))
P("mag/int_values")(lambda: M("x1*x2 at x1=2, x2=4"))
P("mag/forward_no_var")(lambda: M("--forward x1*x2 at x1=2, x2=4"))
P("mag/reverse_vector")(lambda: M("--reverse [x1, x1*x2] at x1=2, x2=4"))
P("mag/empty")(lambda: M(""))
P("mag/array_value")(lambda: M("sum(x**2) at x=[1, 2, 3]"))
P("mag/nan_domain")(lambda: M("ln(x) at x=-1"))
P("mag/math_module")(lambda: M("math.sin(x) at x=1", ) if shell().run_cell("import math") else None)
P("mag/forward_twice")(lambda: M("--forward x1 --forward x2 x1*x2 at x1=2, x2=4"))

# ---------------- explorer
def E(f, *args):
    e = adlab.explore(f, *args)
    e.mode.value = "reverse"; e.step.value = e.step.max
    e.mode.value = "forward"; e.step.value = e.step.max
    return (type(e).__name__, e.message.value[:200])
P("exp/multi_out")(lambda: E(lambda x: (x, x**2), 1.0))
P("exp/arrays")(lambda: E(lambda x: np.sin(x), x3))
P("exp/constant")(lambda: E(lambda x: 3.0, 1.0))
P("exp/raises")(lambda: E(lambda x: 1 / 0, 1.0))
P("exp/nan")(lambda: E(np.log, -1.0))
P("exp/no_args")(lambda: E(eq5))
P("exp/not_callable")(lambda: E(3.0, 1.0))
P("exp/list_arg")(lambda: E(lambda x: np.sum(x**2), [1, 2]))
P("exp/none_out")(lambda: E(lambda x: None, 1.0))
P("exp/str_arg")(lambda: E(sq, "a"))
P("exp/empty_array")(lambda: E(lambda x: np.sum(x), np.array([])))
P("exp/bool_out")(lambda: E(lambda x: x > 0, 1.0))
def _slider_nan():
    e = adlab.explore(np.sqrt, 4.0)
    e.inputs[0].value = -1.0
    e.mode.value = "reverse"
    return e.message.value[:200]
P("exp/slider_into_nan")(_slider_nan)

# ---------------- CLI
def CLI(*args, cwd=None):
    import contextlib, io
    from adlab.cli import main
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit:
                code = exit.code
    finally:
        os.chdir(here)
    return (code, "kept your changes" in out.getvalue(), out.getvalue().splitlines()[-1:], err.getvalue()[-300:])
tmp = tempfile.mkdtemp()
def _file():
    p = os.path.join(tmp, "afile.txt"); open(p, "w").write("x"); return p
def _readonly():
    d = os.path.join(tmp, "ro"); os.makedirs(d, exist_ok=True); os.chmod(d, 0o555); return d
def _nonlesson():
    d = os.path.join(tmp, "nl"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "01_evaluation_trace.ipynb"), "w").write("not json")
    return d
def _nonlesson_json():
    d = os.path.join(tmp, "nlj"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "01_evaluation_trace.ipynb"), "w").write('{"cells": []}')
    return d
def _dir_named_lesson():
    d = os.path.join(tmp, "dl"); os.makedirs(os.path.join(d, "01_evaluation_trace.ipynb"), exist_ok=True)
    return d
def _bad_progress():
    d = os.path.join(tmp, "bp", "alice"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, ".adlab-progress.json"), "w").write("{broken")
    return d
def _wrong_shape_progress():
    d = os.path.join(tmp, "wp", "bob"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, ".adlab-progress.json"), "w").write('{"version": 1, "exercises": [1, 2]}')
    return d
def _wrong_shape_progress2():
    d = os.path.join(tmp, "wp2", "carol"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, ".adlab-progress.json"), "w").write('{"version": 1, "exercises": {"1.1": "correct"}}')
    return d
P("cli/lessons_into_file")(lambda: CLI("lessons", _file()))

P("cli/lessons_nonlesson_file")(lambda: (CLI("lessons", _nonlesson()), open(os.path.join(tmp, "nl", "01_evaluation_trace.ipynb")).read()[:20]))
P("cli/lessons_nonlesson_json")(lambda: (CLI("lessons", _nonlesson_json()), open(os.path.join(tmp, "nlj", "01_evaluation_trace.ipynb")).read()[:20]))
P("cli/lessons_dir_named_lesson")(lambda: CLI("lessons", _dir_named_lesson()))
P("cli/lessons_empty_name")(lambda: CLI("lessons", "", cwd=tempfile.mkdtemp()))
P("cli/lessons_no_arg")(lambda: CLI("lessons"))
def _class_dir():
    d = os.path.join(tmp, "cd"); os.makedirs(d, exist_ok=True); return d
P("cli/progress_empty")(lambda: CLI("progress", "--lesson", "1", tempfile.mkdtemp(prefix="emmy-", dir=_class_dir())))
P("cli/progress_missing")(lambda: CLI("progress", os.path.join(tmp, "nope")))
P("cli/progress_broken_json")(lambda: CLI("progress", "--lesson", "1", _bad_progress()))
P("cli/progress_wrong_shape")(lambda: CLI("progress", "--lesson", "1", _wrong_shape_progress()))
P("cli/progress_wrong_shape2")(lambda: CLI("progress", "--lesson", "1", _wrong_shape_progress2()))
P("cli/progress_file")(lambda: CLI("progress", _file()))
P("cli/hub_not_url")(lambda: CLI("hub-link", "--hub", "notaurl", "--repo", "https://github.com/a/b"))
P("cli/hub_ftp")(lambda: CLI("hub-link", "--hub", "ftp://hub.example.edu", "--repo", "https://github.com/a/b"))
P("cli/hub_empty_repo")(lambda: CLI("hub-link", "--hub", "https://hub.example.edu", "--repo", ""))
P("cli/hub_ssh_repo")(lambda: CLI("hub-link", "--hub", "https://hub.example.edu", "--repo", "git@github.com:a/b.git"))
P("cli/hub_with_path")(lambda: CLI("hub-link", "--hub", "https://hub.example.edu/hub/user/alice/lab", "--repo", "https://github.com/a/b"))
P("cli/hub_lesson_missing")(lambda: CLI("hub-link", "--hub", "https://hub.example.edu", "--repo", "https://github.com/a/b", "--lesson", "99_nope.ipynb"))
P("cli/hub_spaces")(lambda: CLI("hub-link", "--hub", "https://hub example.edu", "--repo", "https://github.com/a/b"))
P("cli/no_command")(lambda: CLI())
P("cli/unknown_command")(lambda: CLI("lesson", "x"))
P("cli/course_repo_file")(lambda: CLI("course-repo", _file()))
P("cli/nbgrader_file")(lambda: CLI("nbgrader-source", _file()))


def _raise_permission(folder):
    raise PermissionError(13, "Permission denied", os.path.join(folder, "01_evaluation_trace.ipynb"))


def _readonly_lessons():
    import adlab.course
    real = adlab.course.write_student_copies
    adlab.course.write_student_copies = _raise_permission
    try:
        return CLI("lessons", tempfile.mkdtemp())
    finally:
        adlab.course.write_student_copies = real


P("cli/lessons_no_permission")(_readonly_lessons)


def _norm(text):
    text = re.sub(r"/tmp/[^/\s'\"|]+", "TMP", text)
    return re.sub(r"0x[0-9a-f]+", "0x", text)


# name: ("ok", the start of repr(result)) or (exception type, the start of its message)
EXPECTED = {
    'api/int_scalar': ('TypeError', "grad's input 0 is an int64 value, but only float inputs can be differentiated; pass floats"),
    'api/int_array': ('TypeError', "grad's input 0 is an int64 value, but only float inputs can be differentiated; pass floats"),
    'api/list_input': ('TypeError', 'a traced value cannot become a plain NumPy array (the derivative would be lost); build arr'),
    'api/list_input_elementwise': ('ok', '[2.0, 1.0]'),
    'api/nonscalar_out': ('TypeError', 'grad needs f to return a scalar, but it returned shape (3,); use adlab.jacrev for the Jaco'),
    'api/shape1_out': ('TypeError', 'grad needs f to return a scalar, but it returned shape (1,); use adlab.jacrev for the Jaco'),
    'api/const_int_out': ('TypeError', 'grad needs f to return a float, but it returned an int64; return a float computed from the'),
    'api/const_float_out': ('ok', '0.0'),
    'api/argnums_oob': ('ValueError', 'grad: argnums=2 does not select among the 2 positional argument(s).'),
    'api/argnums_list': ('ok', '(-4.333333333333333, 4.0)'),
    'api/argnums_str': ('TypeError', "grad: argnums='x1' must be an int or a tuple of ints, e.g. argnums=0 or argnums=(0, 1), th"),
    'api/kwargs_only': ('TypeError', 'grad differentiates with respect to positional arguments, but f got keywords only (x); pas'),
    'api/has_aux_not_pair': ('TypeError', 'grad(..., has_aux=True) needs f to return a pair (output, auxiliary data).'),
    'api/has_aux_triple': ('TypeError', 'grad(..., has_aux=True) needs f to return a pair (output, auxiliary data).'),
    'api/has_aux_forgot': ('TypeError', 'grad needs f to return a scalar, but it returned 2 values; use adlab.jacrev for the Jacobi'),
    'api/vag_has_aux': ('ok', "((9.0, 'aux'), 6.0)"),
    'api/np_ufunc_as_f': ('ok', '0.5403023058681398'),
    'api/math_sin': ('LostDerivativeError', 'float() of a traced value would drop its derivative (math.log(x), math.exp(x) and out[i] ='),
    'api/math_exp_array': ('LostDerivativeError', 'float() of a traced value would drop its derivative (math.log(x), math.exp(x) and out[i] ='),
    'api/float_cast': ('LostDerivativeError', 'float() of a traced value would drop its derivative (math.log(x), math.exp(x) and out[i] ='),
    'api/item': ('LostDerivativeError', 'x.item() of a traced value would drop its derivative; use x itself (a traced scalar), or x'),
    'api/np_array_of_boxes': ('TypeError', 'a traced value cannot become a plain NumPy array (the derivative would be lost); build arr'),
    'api/np_asarray_box': ('TypeError', 'a traced value cannot become a plain NumPy array (the derivative would be lost); build arr'),
    'api/astype_int': ('TypeError', 'casting a traced value to a non-float dtype drops its derivative; use raw values for that.'),
    'api/astype_f32': ('TypeError', "adlab keeps a traced value's float dtype; convert inputs before tracing instead."),
    'api/jvp_not_tuples': ('TypeError', 'jvp takes primals and tangents as tuples, e.g. jvp(f, (x,), (v,)).'),
    'api/jvp_int_tangent': ('ok', '(9.0, 6.0)'),
    'api/jvp_shape_mismatch': ('ValueError', 'the tangent of input 0 has shape (2,) but its value has shape (3,); they must match.'),
    'api/jvp_count_mismatch': ('ValueError', 'tangents must have the same structure as primals (one tangent per input).'),
    'api/jvp_f32_primal_f64_tangent': ('ok', '(np.float32(9.0), np.float32(6.0))'),
    'api/jvp_bool_tangent': ('ok', '(9.0, 6.0)'),
    'api/jvp_str_tangent': ('TypeError', 'the tangent of input 0 is a str, not a number; pass floats or arrays of floats.'),
    'api/vjp_wrong_cot_shape': ('ValueError', 'the cotangent of output 0 has shape (2,) but its value has shape (3,); they must match.'),
    'api/vjp_scalar_cot_for_vector': ('ValueError', 'the cotangent of output 0 has shape () but its value has shape (3,); they must match.'),
    'api/vjp_tuple_primal': ('TypeError', 'a traced value cannot become a plain NumPy array (the derivative would be lost); build arr'),
    'api/vjp_two_cot_args': ('TypeError', "the function vjp returns takes one cotangent shaped like f's output, but got 2; for severa"),
    'api/vjp_list_cot_for_tuple_out': ('ValueError', "the cotangent must have the same structure as f's output (one value per output)."),
    'api/jacfwd_int': ('TypeError', "jacfwd's input 0 is an int64 value, but only float inputs can be differentiated; pass floa"),
    'api/jacrev_tuple_out': ('ok', '(array([[2., 0., 0.],\n       [0., 2., 0.],\n       [0., 0., 2.]]), array([1., 1., 1.]))'),
    'api/jacrev_list_out': ('ok', '[array(2.), array(3.)]'),
    'api/jacfwd_of_value': ('TypeError', 'jacfwd takes the function to differentiate, but got a ndarray (array([1.68294197, 1.818594'),
    'api/grad_of_grad_value': ('TypeError', 'grad takes the function to differentiate, but got a float (4.0); write grad(f)(x): the der'),
    'api/hessian_vector_f': ('ok', '(3, 3, 3)'),
    'api/hvp_not_tuples': ('TypeError', 'hvp takes primals and tangents as tuples, e.g. hvp(f, (x,), (v,)).'),
    'api/hvp_bad_method': ('ValueError', "hvp: unknown method 'reverse'; use 'forward-over-reverse' or 'reverse-on-forward'."),
    'api/hvp_shape': ('ValueError', 'the tangent of input 0 has shape (2,) but its value has shape (3,); they must match.'),
    'api/hvp_nonscalar_f': ('TypeError', 'grad needs f to return a scalar, but it returned shape (3,); use adlab.jacrev for the Jaco'),
    'api/hvp_int_primal': ('TypeError', "hvp's input 0 is an int64 value, but only float inputs can be differentiated; pass floats "),
    'api/complex_input': ('TypeError', "grad's input 0 is a complex128 value, but only float inputs can be differentiated; pass fl"),
    'api/complex_out': ('TypeError', 'grad needs f to return real floats, but output 0 is complex; adlab differentiates real fun'),
    'api/complex_inside_abs': ('TypeError', 'f computes with complex numbers (x * 1j, then abs or a comparison), which adlab does not d'),
    'api/complex_inside_real': ('TypeError', 'adlab has no derivative rule for numpy.real; write the function with supported operations '),
    'api/dict_input': ('ok', "{'a': 2.0, 'b': 1.0}"),
    'api/dict_with_int': ('TypeError', "grad's input 1 is an int64 value, but only float inputs can be differentiated; pass floats"),
    'api/none_input': ('TypeError', "grad's argument 0 is None, not a number; pass floats or arrays of floats."),
    'api/str_input': ('TypeError', "grad's input 0 is a str, not a number; pass floats or arrays of floats."),
    'api/empty_array': ('ok', 'array([], dtype=float64)'),
    'api/zero_d_array': ('ok', 'np.float64(4.0)'),
    'api/f32_scalar': ('ok', 'np.float32(4.0)'),
    'api/bool_out': ('TypeError', 'grad needs f to return a float, but it returned a boolean (a comparison such as x > 0, whi'),
    'api/none_out': ('TypeError', 'grad needs f to return a scalar, but it returned None; did it forget `return`?'),
    'api/forgot_return': ('TypeError', 'grad needs f to return a scalar, but it returned None; did it forget `return`?'),
    'api/tracer_leak': ('UnexpectedTracerError', 'a traced value escaped from grad(<lambda>): it was kept (in a list, a global or an attribu'),
    'api/setitem': ('TypeError', 'traced arrays are immutable, so x[...] = v (or x[...] += v) cannot be recorded; write y = '),
    'api/iadd_array': ('TypeError', 'x += v would write into a traced array, which is immutable; write x = x + v instead (a new'),
    'api/ufunc_out': ('TypeError', 'adlab cannot write into an existing array (out=): traced values are immutable; use the ret'),
    'api/ufunc_where': ('TypeError', "adlab does not support the keyword(s) ['where'] of numpy.sin; call it without them (mask w"),
    'api/sum_dtype': ('TypeError', "adlab's numpy.sum does not take dtype=; a traced value keeps its float dtype, so drop dtyp"),
    'api/sum_keepdims': ('ok', 'array([1., 1., 1.])'),
    'api/sum_bad_axis': ('AxisError', 'axis 3 is out of bounds for array of dimension 1'),
    'api/round': ('ok', 'array([1., 2., 3.])'),
    'api/linalg_norm': ('TypeError', 'adlab has no derivative rule for numpy.norm; write the function with supported operations '),
    'api/linalg_inv': ('TypeError', 'adlab has no derivative rule for numpy.inv; write the function with supported operations o'),
    'api/cumsum': ('TypeError', 'adlab has no derivative rule for numpy.cumsum; write the function with supported operation'),
    'api/diff': ('TypeError', 'adlab has no derivative rule for numpy.diff; write the function with supported operations '),
    'api/einsum': ('TypeError', 'adlab has no derivative rule for numpy.einsum; write the function with supported operation'),
    'api/arctan2': ('TypeError', 'adlab has no derivative rule for numpy.arctan2; write the function with supported operatio'),
    'api/square': ('ok', '6.0'),
    'api/log10': ('TypeError', 'adlab has no derivative rule for numpy.log10; write the function with supported operations'),
    'api/sign': ('ok', 'np.float64(-1.0)'),
    'api/hypot': ('TypeError', 'adlab has no derivative rule for numpy.hypot; write the function with supported operations'),
    'api/concat_list': ('ok', 'array([2., 4., 6.])'),
    'api/stack_floats': ('ok', 'np.float64(1.0)'),
    'api/repeated_index': ('ok', 'array([2., 1., 0.])'),
    'api/bool_mask_traced': ('ok', 'array([0., 1., 1.])'),
    'api/builtin_sum': ('ok', 'array([1., 1., 1.])'),
    'api/builtin_max': ('ok', 'array([0., 0., 1.])'),
    'api/builtin_round': ('ok', '2.0'),
    'api/int_cast': ('LostDerivativeError', 'int() of a traced value would drop its derivative (math.log(x), math.exp(x) and out[i] = x'),
    'api/bool_array': ('ValueError', 'The truth value of an array with more than one element is ambiguous. Use a.any() or a.all('),
    'api/len_iter': ('ok', 'array([0.66666667, 1.33333333, 2.        ])'),
    'api/matmul_shape': ('ValueError', 'matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,'),
    'api/divide_zero': ('ok', '-inf'),
    'api/f32_times_f64': ('ok', "dtype('float64')"),
    'api/int_times': ('ok', 'array([0., 1., 2.])'),
    'api/cp_tuple_out': ('TypeError', 'checkpoint(<lambda>) needs f to return one array computed from its arguments, but it retur'),
    'api/cp_closure': ('TypeError', 'checkpoint(<lambda>) needs f to return one array computed from its arguments, but it retur'),
    'api/cp_closure_first': ('TypeError', 'checkpoint(<lambda>) needs f to return one array computed from its arguments, but it retur'),
    'api/cp_not_callable': ('TypeError', 'checkpoint takes the function to differentiate, but got a float (3.0); write checkpoint(f)'),
    'api/cl_float_steps': ('ValueError', 'n_steps must be a whole number ≥ 0 given as an int or a NumPy integer, not 10.0 (a float).'),
    'api/cl_negative': ('ValueError', 'n_steps must be a whole number ≥ 0, not -1.'),
    'api/cl_zero_snap': ('ValueError', 'snapshots must be a whole number ≥ 1 (the initial state counts), not 0.'),
    'api/cl_shape_change': ('TypeError', 'adlab has no derivative rule for numpy.append; write the function with supported operation'),
    'api/cl_closure': ('ok', '32.0'),
    'api/cl_args_order': ('TypeError', "checkpoint_loop's first argument is the step function x -> step(x, *args), not a float."),
    'api/cl_tuple_state': ('ok', '0.5'),
    'prim/no_vjp_grad': ('TypeError', "primitive 'softplus' has no VJP rule for argument 0; define it with softplus.defvjp(...) t"),
    'prim/no_rules_jvp': ('TypeError', "primitive 'softplus' has no JVP rule for argument 0; define it with softplus.defjvp(...) t"),
    'prim/too_many_vjps': ('TypeError', 'softplus.defvjp got 2 rules for 1 argument(s); give one rule per argument, e.g. softplus.d'),
    'prim/vjp_wrong_sig': ('TypeError', 'softplus.defvjp: rule 0 takes (g, x), but the engine calls it with (g, out, x): the cotang'),
    'prim/vjp_wrong_shape': ('ValueError', 'a VJP rule gave a cotangent of shape () for input 0, whose shape is (3,); a custom rule mu'),
    'prim/jvp_wrong_shape': ('ValueError', 'a JVP rule gave a tangent of shape () for output 0, whose shape is (3,); a custom rule mus'),
    'prim/vjp_returns_none': ('TypeError', 'softplus.defvjp: rule 0 returned None; did it forget `return`? (use 0.0 * x for a zero der'),
    'prim/not_callable': ('TypeError', "adlab.primitive wraps a function, not a float; decorate the function's def with @adlab.pri"),
    'prim/defvjp_not_callable': ('TypeError', 'softplus.defvjp: rule 0 is a float, not a function; write softplus.defvjp(lambda g, out, x'),
    'prim/returns_list': ('TypeError', "primitive '<lambda>' has no VJP rule for argument 0; define it with <lambda>.defvjp(...) t"),
    'prim/vjp_int_rule': ('ok', '1'),
    'trace/int_inputs': ('TypeError', "trace's input 0 is an int64 value, but only float inputs can be differentiated; pass float"),
    'trace/index_oob': ('IndexError', 'this trace has rows v_{-1} … v_4, not v_9.'),
    'trace/index_neg_oob': ('IndexError', 'this trace has rows v_{-1} … v_4, not v_-5.'),
    'trace/index_str': ('TypeError', "index a trace by the row's number, t[1] for v_1 (t[-1] for v_{-1}), not 'v1'."),
    'trace/forward_none': ('ValueError', 'forward() needs one tangent per input (2), got 0.'),
    'trace/forward_one': ('ValueError', 'forward() needs one tangent per input (2), got 1.'),
    'trace/forward_list': ('ValueError', 'forward() needs one tangent per input (2), got 1.'),
    'trace/forward_shape': ('ValueError', 'the tangent of x_1 has shape (3,) but its value has shape (); they must match.'),
    'trace/reverse_two': ('ValueError', 'reverse() needs one cotangent per output (1), got 2.'),
    'trace/reverse_vector_default': ('ValueError', "reverse() needs one cotangent per output, since f's output is not a single scalar."),
    'trace/adjoints_primal': ('ValueError', 'this is a primal trace, with no adjoints: a sweep returns a new trace, so write t = t.reve'),
    'trace/tangents_reverse': ('ValueError', 'this is a reverse trace, with no tangents: a sweep returns a new trace, so write t = t.for'),
    'trace/forward_along_oob': ('IndexError', 'input 5 does not exist: this trace has 2 input(s), numbered 0 … 1.'),
    'trace/reverse_from_oob': ('IndexError', 'output 2 does not exist: this trace has 1 output(s), numbered 0 … 0.'),
    'trace/forward_along_index_oob': ('IndexError', 'index=5 is not an entry of input 0, which is shaped (3,).'),
    'trace/forward_along_index_scalar': ('IndexError', 'index=1 is not an entry of input 0, which is a single number, so leave index out.'),
    'trace/local_partials_oob': ('IndexError', 'this trace has rows v_{-1} … v_4, not v_99.'),
    'trace/no_args': ('ok', '<Trace of <lambda>: 0 input(s), 0 operation(s), 1 output(s), primal>'),
    'trace/constant': ('ok', '(0.0,)'),
    'trace/identity': ('ok', '(1.0,)'),
    'trace/not_callable': ('TypeError', 'trace takes the function first, then the point, but got a float (3.0) for the function; wr'),
    'trace/precision_neg': ('ValueError', 'Format specifier missing precision'),
    'trace/highlight_bad': ('TypeError', "to_markdown() got an unexpected keyword argument 'highlight'"),
    'trace/mutate_row': ('FrozenInstanceError', "cannot assign to field 'value'"),
    'trace/tangent_str': ('TypeError', 'the tangent of x_1 is a str, not a number; pass floats or arrays of floats.'),
    'trace/forward_on_forward': ('ok', '(0.0, 1.0)'),
    'trace/html_float_option': ('TypeError', "'float' object cannot be interpreted as an integer"),
    'ex/num_str': ('ok', "✗ Exercise t1: your answer is the text '4.0'; type the number itself, without quotes (e.g."),
    'ex/num_none': ('ok', '… Exercise t1: not answered yet: replace the ... (or the stub) with your answer, then run '),
    'ex/num_np32': ('ok', '✓ Exercise t1: correct: 4.'),
    'ex/num_list1': ('ok', '✗ Exercise t1: your answer is a list with one number; give the number itself, e.g. 4.0 rat'),
    'ex/num_0d': ('ok', '✓ Exercise t1: correct: 4.'),
    'ex/num_bool': ('ok', '✗ Exercise t1: your answer is True, a truth value; give a number.'),
    'ex/num_nan': ('ok', '✗ Exercise t1: wrong.\n  your answer: yours is nan: look for a division by zero or a log of 0'),
    'ex/num_complex': ('ok', '✗ Exercise t1: your answer is the complex number (4+0j); give a real number (its .real).'),
    'ex/num_fraction': ('ok', '✓ Exercise t1: correct: −4.3333.'),
    'ex/num_decimal': ('ok', '✓ Exercise t1: correct: 4.'),
    'ex/num_sympy': ('ok', '✓ Exercise t1: correct: −4.3333.'),
    'ex/num_sympy_float': ('ok', '✓ Exercise t1: correct: 4.'),
    'ex/num_trace': ('ok', '✗ Exercise t1: your answer is a Trace; give its number (e.g. its .value).'),
    'ex/num_function': ('ok', '✗ Exercise t1: your answer is a function, not a number; give a number such as 4.0.'),
    'ex/num_expected_nan': ('ok', '✗ Exercise t1: wrong.\n  your answer: wrong'),
    'ex/num_expected_str': ('ok', '✓ Exercise t1: correct: 4.'),
    'ex/num_tuple_expected_vs_scalar': ('ok', '✗ Exercise t1: your answer has one number but needs shape (2,) (2 numbers).'),
    'ex/num_inf': ('ok', '✓ Exercise t1: correct: inf.'),
    'ex/num_box': ('ok', '✗ Exercise t1: your answer is a Trace; give its number (e.g. its .value).'),
    'ex/arr_len': ('ok', '✗ Exercise t2: your answer has 3 entries but needs shape (2,) (2 numbers).'),
    'ex/arr_shape': ('ok', '✗ Exercise t2: your answer has shape (2, 2) but needs shape (4,) (4 numbers).'),
    'ex/arr_generator': ('ok', '✓ Exercise t2: correct: all 2 entries.'),
    'ex/arr_map': ('ok', '✓ Exercise t2: correct: all 2 entries.'),
    'ex/arr_str_entry': ('ok', "✗ Exercise t2: your answer[1] is the text '2'; type the number itself, without quotes (e.g"),
    'ex/arr_partial': ('ok', '… Exercise t2: 1 not answered yet (your answer[1]).'),
    'ex/arr_ragged': ('ok', '✗ Exercise t2: your answer has rows of different lengths; give shape (2, 2) (2 rows of 2 n'),
    'ex/arr_dict': ('ok', '✗ Exercise t2: your answer is a dict, which has no order; give a list of numbers, e.g. [1.'),
    'ex/arr_set': ('ok', '✗ Exercise t2: your answer is a set, which has no order; give a list of numbers, e.g. [1.0'),
    'ex/arr_range': ('ok', '✓ Exercise t2: correct: all 2 entries.'),
    'ex/arr_nested_mixed': ('ok', '✗ Exercise t2: your answer[1] is a list, not a number; give a number such as 4.0.'),
    'ex/arr_scalar_for_vec': ('ok', '✗ Exercise t2: your answer has one number but needs shape (3,) (3 numbers).'),
    'ex/arr_transposed': ('ok', '✗ Exercise t2: your answer has shape (3, 2) but needs shape (2, 3) (2 rows of 3 numbers).'),
    'ex/arr_row_vs_col': ('ok', '✗ Exercise t2: your answer has shape (1, 3) but needs shape (3,) (3 numbers).'),
    'ex/arr_expected_none': ('ValueError', 'the expected value contains None; compute every entry in the check cell.'),
    'ex/arr_tuple_of_arrays': ('ok', '✓ Exercise t2: correct: all 4 entries.'),
    'ex/arr_grad_tuple': ('ok', '✓ Exercise t2: correct: all 2 entries.'),
    'ex/arr_empty': ('ok', '✗ Exercise t2: your answer has 0 entries but needs shape (2,) (2 numbers).'),
    'ex/arr_ellipsis_entry': ('ok', '… Exercise t2: 1 not answered yet (your answer[0]).'),
    'ex/arr_numpy_str': ('ok', "✗ Exercise t2: your answer[0] is the text '1'; type the number itself, without quotes (e.g"),
    'ex/col_no_sweep': ('ValueError', 'the trace has no tangents: pass trace.forward(...) or trace.reverse(...).'),
    'ex/col_typo': ('ValueError', "column must be 'value', 'tangent' or 'adjoint', not 'tangents'."),
    'ex/col_len': ('ok', '✗ Exercise t3: your column has 2 entries; give the 4 rows v̇₁ … v̇₄ (or all 6, inputs firs'),
    'ex/col_array_trace': ('ValueError', 'check_column compares scalar traces; use check_array for array values.'),
    'ex/col_dict': ('ok', '✗ Exercise t3: your column is a dict, which has no order; give a list of numbers, e.g. [1.'),
    'ex/col_not_trace': ('TypeError', 'check_column compares with a trace, not a function: pass adlab.trace(f, ...).forward(...) '),
    'ex/col_right': ('ok', '✗ Exercise t3: 4 of 4 entries wrong.\n  row v̇₁: wrong\n  row v̇₂: that is the value row v̇₃ should ha'),
    'ex/col_generator': ('ok', '✗ Exercise t3: 3 of 4 entries wrong.\n  row v̇₁: that is the value row v̇₃ should have: check the ord'),
    'ex/col_reverse_given_tangent': ('ValueError', 'the trace has no tangents: pass trace.forward(...) or trace.reverse(...).'),
    'ex/col_str': ('ok', "✗ Exercise t3: your column is the text '1, 2, 3, 4'; give numbers, e.g. a list [1.0, 2.0],"),
    'ex/fn_scalar_inputs': ('ok', '✓ Exercise t4: correct: `sq` matches at all 2 test points.'),
    'ex/fn_class': ('ok', '✗ Exercise t4: your `Var` at (1) is a Var, not a number; give a number such as 4.0.'),
    'ex/fn_returns_gen': ('ok', '✗ Exercise t4: your `<lambda>` at (1) is a generator, not a number; give a number such as '),
    'ex/fn_returns_none': ('ok', '✗ Exercise t4: your `<lambda>` returned nothing at (1); did it forget `return`?'),
    'ex/fn_inputs_generator': ('ok', '✓ Exercise t4: correct: `sq` matches at all 2 test points.'),
    'ex/fn_inputs_scalar': ('TypeError', 'inputs is a list of points to run the function at, e.g. inputs=[(3.0, -4.0), (1.0, 2.0)] ('),
    'ex/fn_string': ('ok', '✗ Exercise t4: `your function` is a str, not a function; define it with def.'),
    'ex/fn_raises': ('ok', '✗ Exercise t4: your `<lambda>` raised ZeroDivisionError at (1): division by zero'),
    'ex/fn_wrong_arity': ('ok', '✗ Exercise t4: your `<lambda>` raised TypeError at (1): <lambda>.<locals>.<lambda>() missi'),
    'ex/fn_array_arg': ('ok', '✓ Exercise t4: correct: `<lambda>` matches at all 1 test points.'),
    'ex/fn_array_arg_unwrapped': ('ok', '✓ Exercise t4: correct: `<lambda>` matches at all 1 test points.'),
    'ex/fn_slow': ('ok', '✓ Exercise t4: correct: `<lambda>` matches at all 3 test points.'),
    'ex/fn_tuple_vs_tuple': ('ok', '✓ Exercise t4: correct: `<lambda>` matches at all 1 test points.'),
    'ex/fn_wrong_count': ('ok', '✗ Exercise t4: your `<lambda>` at (1) has one number but needs shape (2,) (2 numbers).'),
    'ex/fn_mutates_input': ('ok', '(✓ Exercise t4: correct: `<lambda>` matches at all 1 test points., array([1., 1.]))'),
    'ex/ch_case': ('ok', '✓ Exercise t5: correct: forward.'),
    'ex/ch_not_choice': ('ok', "✗ Exercise t5: your answer 'fwd' is not one of 'forward', 'reverse'."),
    'ex/ch_num': ('ok', '✓ Exercise t5: correct: 2.'),
    'ex/ch_str_num': ('ok', "✗ Exercise t5: your answer is the text '2'; type the number itself, without quotes (e.g. 4"),
    'ex/ch_list': ('ok', "✗ Exercise t5: your answer is ['forward']; give one of 'forward' (in quotes)."),
    'ex/ch_phrase': ('ok', "✗ Exercise t5: your answer 'forward mode' is not one of 'forward', 'reverse'."),
    'ex/ch_np_int': ('ok', '✓ Exercise t5: correct: 2.'),
    'ex/ch_bool': ('ok', '✗ Exercise t5: your answer is True, a truth value; give a number.'),
    'ex/ch_float_close': ('ok', '✓ Exercise t5: correct: 0.3.'),
    'ex/ch_number_for_word': ('ok', "✗ Exercise t5: your answer is 1; give one of 'forward', 'reverse' (in quotes)."),
    'ex/ch_trailing_dot': ('ok', '✓ Exercise t5: correct: forward.'),
    'ex/dual_instance': ('ok', '✗ Exercise t6: `Variable` is a Var, not a class; define it with `class Variable:`.'),
    'ex/dual_right': ('ok', '✓ Exercise t6: correct: `Variable.__add__`, `Variable.__sub__`, `Variable.__mul__`, `Varia'),
    'ex/dual_no_div': ('ok', '✗ Exercise t6: your Variable has no `__truediv__`: define `def __truediv__(self, other):` '),
    'ex/dual_add_tuple': ('ok', '✗ Exercise t6: your `Variable.__add__` returned a tuple ((3.3000000000000003, -0.5)) for V'),
    'ex/dual_three_args': ('ok', '✗ Exercise t6: `Variable(2, 1)` raised TypeError: Var3.__init__() missing 1 required posit'),
    'ex/dual_mutates': ('ok', '✗ Exercise t6: your `Variable.__add__` changed x for Variable(2.7, -1.9) + Variable(0.6, 1'),
    'ex/dual_ln_mathlog': ('ok', '✗ Exercise t6: your `ln` raised TypeError for ln(Variable(2.2, -1.7)): must be real number'),
    'ex/dual_ln_str': ('ok', '✗ Exercise t6: `ln` is a str, not a function; define it with `def ln(v):`.'),
    'ex/dual_array_fields': ('ok', '✗ Exercise t6: `Variable(2, 1)` has val = array([2.]) and dot = array([1.]); `__init__` sh'),
    'ex/dual_nothing': ('ValueError', 'check_dual_numbers has nothing to check: pass operators=True, mixed=True or a function.'),
    'ex/dual_mixed_missing': ('ok', '✗ Exercise t6: your `Variable.__add__` raised AttributeError for Variable(-2.2, -1.1) + 5:'),
    'ex/dtrace_single': ('ok', '✗ Exercise t7: give the inputs as a tuple of 2 Variables, e.g. (x1, x2).'),
    'ex/dtrace_primal': ('ValueError', 'check_dual_trace needs a forward sweep: pass adlab.trace(f, ...).forward(...).'),
    'ex/dtrace_count': ('ok', '✗ Exercise t7: the trace has 2 inputs; give 2 Variables, e.g. (x1, x2).'),
    'ex/dtrace_floats': ('ok', '✗ Exercise t7: x1 is a float (3); make it a Variable: Variable(value, tangent).'),
    'ex/dtrace_no_ln': ('ValueError', "row v_3 uses ln: pass the student's function."),
    'ex/dtrace_wrong_seed': ('ok', '✗ Exercise t7: 6 of 12 entries wrong, running your Variable along the trace:\n  row v̇₋₁ (ẋ'),
    'ex/dtrace_right': ('ok', "✓ Exercise t7: correct: your Variable gives every row's value and tangent; y = −17.0986, ẏ"),
    'ex/dtrace_reverse_trace': ('ValueError', 'check_dual_trace needs a forward sweep: pass adlab.trace(f, ...).forward(...).'),
    'ex/dtrace_list_inputs': ('ok', "✓ Exercise t7: correct: your Variable gives every row's value and tangent; y = −17.0986, ẏ"),
    'ex/rv_instance': ('ok', '✗ Exercise t8: pass the class itself (e.g. `Value`), not a ReferenceValue.'),
    'ex/rv_reference': ('ok', "✗ Exercise t8: `ReferenceValue` is adlab's ReferenceValue itself (an alias, not a class of your own)"),
    'ex/rv_missing_backward': ('ok', '✗ Exercise t8: your `Var` has no `__radd__`, `__rsub__`, `__rmul__`, `__rtruediv__`, `log`'),
    'ex/rv_subclass': ('ok', "✗ Exercise t8: your `ValueInst` is built on adlab's ReferenceValue (a subclass of it): write the cla"),
    'ex/rv_slow': ('ok', '✓ Exercise t8: correct: every local rule, Eq. 5 at (3, −4), 12 random graphs with fan-out, and a 5,0'),
    'ex/rv_grad_none': ('ok', "✗ Exercise t8: `NoGradInit(2.0).grad` is None; a new NoGradInit's grad must start at 0."),
    'ex/rv_needs_children': ('ok', '✗ Exercise t8: your `NeedsChildren(2.0)` raised TypeError: NeedsChildren.__init__() missin'),
    'ex/rv_string': ('ok', '✗ Exercise t8: pass the class itself (e.g. `Value`), not a str.'),
    'ex/rv_depth_str': ('ValueError', "check_reverse_value: depth must be a whole number ≥ 0, not '5000'."),
    'num/bad_method': ('ValueError', "unknown method 'bogus'; choose one of forward, backward, central, central4, central6, cent"),
    'num/h_zero': ('ValueError', 'step h must be a positive finite number, got 0.0.'),
    'num/h_negative': ('ValueError', 'step h must be a positive finite number, got -0.001.'),
    'num/complex_step_abs': ('TypeError', 'f returned a real value for complex input, so it dropped the imaginary part (abs, max, com'),
    'num/complex_step_real_only': ('TypeError', 'f failed on complex input (must be real number, not complex), so complex step does not app'),
    'num/gradient_list': ('ok', "FDResult(value=array([2., 4.]), evaluations=4, method='central', step=array([6.05545445e-0"),
    'num/derivative_vector_f': ('ok', 'array([1., 2.])'),
    'num/derivative_vector_x': ('ValueError', 'x must be a single number, got shape (3,); use gradient() or jacobian() for vectors.'),
    'num/jacobian_scalar_f': ('ok', "FDResult(value=array([[1., 1., 1.]]), evaluations=6, method='central', step=array([6.05545"),
    'num/evs_bad_exact': ('TypeError', "exact is the true value f'(x) as a number (e.g. np.cos(1.0), or adlab.grad(f)(x)), not 'cos'."),
    'num/nan_domain': ('_NonFiniteError', 'f returned a non-finite value (nan) at x = -6.055454452393343e-06; choose x and h so that '),
    'num/int_point': ('ok', '12.000000000099297'),
    'num/f_not_callable': ('TypeError', 'the function comes first, then the point: f is a float (3.0), not a function'),
    'num/h_str': ('ok', '0.5403022158176896'),
    'sym/where': ('ok', 'Piecewise((x, x > 0), (0, True))'),
    'sym/array_arg': ('SymbolicError', 'input x_1 is an array of shape (3,); adlab.symbolic converts scalar traces only (one symbo'),
    'sym/str_symbols': ('ok', '(2*x,)'),
    'sym/too_few_symbols': ('TypeError', "eq5() missing 1 required positional argument: 'x2'"),
    'sym/math_func': ('SymbolicError', 'f needs a number here (float(), int() or the math module), but its input is a symbol; use '),
    'sym/compare_no_args': ('TypeError', "eq5() missing 2 required positional arguments: 'x1' and 'x2'"),
    'sym/swell_bad': ('ValueError', 'depths are how many times each example is nested: whole numbers ≥ 0'),
    'cg/no_args': ('TypeError', "eq5() missing 2 required positional arguments: 'x1' and 'x2'"),
    'cg/control_flow': ('ValueError', 'this tangent program follows the path <lambda> took where it was traced'),
    'cg/wrong_nargs': ('TypeError', "eq5_adjoint() missing 1 required positional argument: 'v0'"),
    'cg/vector_out_adjoint': ('ok', 'def vec_adjoint(v0, y_bar):\n    # x_1 = v0; y = v2\n    # forward sweep\n    v1 = np.sin(v0)'),
    'cg/custom_prim': ('CodegenError', "v1 = softplus(…): adlab.codegen has no source template for the primitive 'softplus'; add o"),
    'cg/not_callable': ('TypeError', 'trace takes the function first, then the point, but got a float (3.0) for the function; wr'),
    'cost/not_callable': ('TypeError', 'trace takes the function first, then the point, but got a float (3.0) for the function; wr'),
    'cost/no_args': ('TypeError', "eq5() missing 2 required positional arguments: 'x1' and 'x2'"),
    'cost/spc_not_callable': ('TypeError', 'seconds_per_call times a function called with no arguments, not a float'),
    'cost/tape_bytes_int': ('TypeError', "tape_bytes's input 0 is an int64 value, but only float inputs can be differentiated; pass "),
    'cost/vector_f': ('ok', "Cost of vec's derivatives\n  ops(f)          2                                elementary op"),
    'mag/no_at': ('UsageError', 'say where to evaluate: %trace [options] EXPRESSION at x1=3, x2=-4   |   %trace [options] F'),
    'mag/missing_var': ('UsageError', "unknown name 'x2': give it a value after 'at' (x2=…) or define it first"),
    'mag/forward_unknown': ('UsageError', '--forward x3: no such input; the inputs are x1, x2.'),
    'mag/reverse_bad_output': ('UsageError', "--reverse=y5: no such output; f's outputs are y1 … y1."),
    'mag/undefined_fn': ('UsageError', 'nosuch is not defined: define the function first (def nosuch(x): ...), or write an express'),
    'mag/syntax': ('UsageError', "syntax error in 'x1*+': invalid syntax."),
    'mag/not_callable': ('UsageError', 'notfunc is a float, not a function: %trace FUNCTION at 3, -4 needs a function; write an ex'),
    'mag/cell_no_expr': ('UsageError', 'end the cell with an expression: the output y (or return it).'),
    'mag/bogus_option': ('UsageError', 'unknown option --bogus; the options are --forward X, --reverse, --reverse=Y, --graph, --ex'),
    'mag/bad_value': ('UsageError', "cannot evaluate the value of x: NameError: name 'abc' is not defined"),
    'mag/fn_wrong_count': ('UsageError', "f(x1, x2): missing a required argument: 'x2'."),
    'mag/int_values': ('ok', "('<Trace of f: 2 input(s), 1 operation(s), 1 output(s), primal>', '', '')"),
    'mag/forward_no_var': ('UsageError', "nothing to trace before 'at' (--forward took 'x1*x2' as its input): %trace [options] EXPRE"),
    'mag/reverse_vector': ('UsageError', 'f returns 2 values: choose one, e.g. --reverse=y1 (y1 … y2).'),
    'mag/empty': ('UsageError', '%trace [options] EXPRESSION at x1=3, x2=-4   |   %trace [options] FUNCTION at 3, -4   |   '),
    'mag/array_value': ('ok', "('<Trace of f: 1 input(s), 2 operation(s), 1 output(s), primal>', '', '')"),
    'mag/nan_domain': ('ok', "('<Trace of f: 1 input(s), 1 operation(s), 1 output(s), primal>', '', '')"),
    'mag/math_module': ('UsageError', 'LostDerivativeError: float() of a traced value would drop its derivative (math.log(x), mat'),
    'mag/forward_twice': ('UsageError', '--forward is given twice; a trace has one sweep: give it once (another input is another %t'),
    'exp/multi_out': ('ok', "('Explorer', '')"),
    'exp/arrays': ('ok', "('Explorer', '')"),
    'exp/constant': ('ok', "('Explorer', '')"),
    'exp/raises': ('ZeroDivisionError', 'division by zero'),
    'exp/nan': ('ok', "('Explorer', '')"),
    'exp/no_args': ('TypeError', "eq5() missing 2 required positional arguments: 'x1' and 'x2'"),
    'exp/not_callable': ('TypeError', 'trace takes the function first, then the point, but got a float (3.0) for the function; wr'),
    'exp/list_arg': ('TypeError', "unsupported operand type(s) for ** or pow(): 'list' and 'int': trace treats a Python list "),
    'exp/none_out': ('TypeError', '<lambda> returned None, so there is nothing to trace; did it forget `return`?'),
    'exp/str_arg': ('TypeError', "x1 = 'a' is not a number or an array of numbers."),
    'exp/empty_array': ('ValueError', "explore needs at least one number in f's inputs to sweep, but they are empty (no arguments"),
    'exp/bool_out': ('ok', "('Explorer', '')"),
    'exp/slider_into_nan': ('ok', "''"),
    'cli/lessons_into_file': ('ok', "(1, False, [], 'adlab lessons: TMP/afile.txt is a file, not a folder; give a folder (it is created if it does not exist).\\n')"),
    'cli/lessons_nonlesson_file': ('ok', "((0, True, ['TMP/nl/13_capstone.ipynb: written'], ''), 'not json')"),
    'cli/lessons_nonlesson_json': ('ok', '((0, True, [\'TMP/nlj/13_capstone.ipynb: written\'], \'\'), \'{"cells": []}\')'),
    'cli/lessons_dir_named_lesson': ('ok', "(1, False, [], 'adlab lessons: TMP/dl/01_evaluation_trace.ipynb is a folder where a notebook should be written; move it away or choose another folder.\\n')"),
    'cli/lessons_empty_name': ('ok', "(2, False, [], 'adlab lessons: the folder name is empty; name the folder for the lessons, e.g. adlab lessons ~/ad-course.\\n')"),
    'cli/lessons_no_arg': ('ok', "(2, False, [], 'usage: adlab lessons [-h] FOLDER\\nadlab lessons: error: the following arguments are required: FOLDER\\n')"),
    'cli/progress_empty': ('ok', "(0, False, ['emmy-"),
    'cli/progress_missing': ('ok', '(2, False, [], "adlab progress: TMP/nope does not exist; give the students\' folders, e.g. adlab progress class/*.\\n")'),
    'cli/progress_broken_json': ('ok', "(0, False, ['alice    0     0      0      4'], 'adlab progress: TMP/bp/alice/.adlab-progress.json is not a progress record (damaged or edited by hand); its exercises are not counted.\\nadlab progress: no progress recorded yet in these folders (no check has been run on an answer of lesson 1).\\n')"),
    'cli/progress_wrong_shape': ('ok', "(0, False, ['bob      0     0      0      4'], 'adlab progress: TMP/wp/bob/.adlab-progress.json is not a progress record (damaged or edited by hand); its exercises are not counted.\\nadlab progress: no progress recorded yet in these folders (no check has been run on an answer of lesson 1).\\n')"),
    'cli/progress_wrong_shape2': ('ok', "(0, False, ['carol    0     0      0      4'], 'adlab progress: TMP/wp2/carol/.adlab-progress.json has entries that are not a progress record (edited by hand); they are not counted.\\nadlab progress: no progress recorded yet in these folders (no check has been run on an answer of lesson 1).\\n')"),
    'cli/progress_file': ('ok', '(2, False, [], "adlab progress: TMP/afile.txt is a file; give the students\' folders, e.g. adlab progress class/*.\\n")'),
    'cli/hub_not_url': ('ok', '(2, False, [], "adlab hub-link: the hub URL must start with http:// or https://, not \'notaurl\'; copy it from the browser\'s address bar, e.g. https://hub.example.edu.\\n")'),
    'cli/hub_ftp': ('ok', '(2, False, [], "adlab hub-link: the hub URL must start with http:// or https://, not \'ftp://hub.example.edu\'; copy it from the browser\'s address bar, e.g. https://hub.example.edu.\\n")'),
    'cli/hub_empty_repo': ('ok', '(2, False, [], "adlab hub-link: --repo \'\' is not a repository address; give the course repository\'s URL, e.g. https://github.com/you/ad-course.\\n")'),
    'cli/hub_ssh_repo': ('ok', '(2, False, [], "adlab hub-link: --repo \'git@github.com:a/b.git\' is an SSH address, which students\' servers cannot clone (they hold no key); give its https:// address, e.g. https://github.com/a/b.git.\\n")'),
    'cli/hub_with_path': ('ok', "(0, False, ['https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fa%2Fb&urlpath=lab%2Ftree%2Fb&targetpath=b'], '')"),
    'cli/hub_lesson_missing': ('ok', "(0, False, ['https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fa%2Fb&urlpath=lab%2Ftree%2Fb%2F99_nope.ipynb&targetpath=b'], '')"),
    'cli/hub_spaces': ('ok', '(2, False, [], "adlab hub-link: the hub URL \'https://hub example.edu\' is not an address (spaces, or no host); copy it from the browser\'s address bar, e.g. https://hub.example.edu.\\n")'),
    'cli/no_command': ('ok', "(2, False, [], 'usage: adlab [-h] [--version] COMMAND ...\\nadlab: error: the following arguments are required: COMMAND\\n')"),
    'cli/unknown_command': ('ok', '(2, False, [], "usage: adlab [-h] [--version] COMMAND ...\\nadlab: error: argument COMMAND: invalid choice: \'lesson\' (choose from \'lessons\', \'hub-link\', \'course-repo\', \'nbgrader-source\', \'progress\', \'answers\', \'collect\', \'minutes\')\\n")'),
    'cli/course_repo_file': ('ok', "(1, False, [], 'adlab course-repo: TMP/afile.txt is a file, not a folder; give a folder (it is created if it does not exist).\\n')"),
    'cli/nbgrader_file': ('ok', "(1, False, [], 'adlab nbgrader-source: TMP/afile.txt is a file, not a folder; give a folder (it is created if it does not exist).\\n')"),
    'cli/lessons_no_permission': ('ok', "(1, False, [], 'adlab lessons: no permission to write TMP/01_evaluation_trace.ipynb; choose a folder of your own, e.g. ~/ad-course.\\n')"),
}


@pytest.fixture(autouse=True)
def _no_progress_files(monkeypatch, tmp_path):
    monkeypatch.setenv("ADLAB_PROGRESS", "0")
    monkeypatch.chdir(tmp_path)


def test_every_probe_is_pinned():
    assert set(EXPECTED) == set(PROBES)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_independent_misuse(name):
    kind, words = EXPECTED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "ok":
            assert _norm(repr(PROBES[name]())).startswith(words)
            return
        with pytest.raises(Exception) as info:
            PROBES[name]()
    assert type(info.value).__name__ == kind
    assert _norm(str(info.value)).startswith(words)
