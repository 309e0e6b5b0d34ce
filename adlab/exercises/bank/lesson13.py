"""Lesson 13 · Capstone: the student's own engine as a package (Value, Variable), a tiny network library on it
(Neuron, Layer, MLP), and the same network written for adlab, whose gradient must equal the student's engine's."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np

from ..dual_numbers import dual_numbers_verdict
from ..exercise import NOT_ANSWERED, Exercise
from ..feedback import is_placeholder, number_text
from ..sandbox import CellProblem, time_limit
from ..value_class import check_rule, value_class_verdict
from ..value_class_basics import Stop, run_student_code
from . import register
from .shared import answer_class

SIZES = (2, 8, 8, 1)      # the network exercise 13.3 checks: 2 inputs, two hidden layers of 8 relu units, one output
LESSON = (2, 16, 1)      # the network the lesson trains: one hidden layer of 16 relu units
TOLERANCE = 1e-10         # the same numbers, computed two ways: they agree to rounding
SECONDS = 30.0            # a whole check of the student's classes


def layout(sizes=SIZES):
    """[(layer, neuron, n_inputs)] in the order of parameters(): layer by layer, neuron by neuron."""
    return [(k, j, n_in) for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])) for j in range(n_out)]


def n_parameters(sizes=SIZES):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def unpack(w, sizes=SIZES, bias_first=False):
    """Flat parameters in parameters() order (each neuron's weights, then its bias) -> [(W, b)], W of shape
    (n_in, n_out). With bias_first, each neuron's bias comes before its weights (a listed mistake)."""
    layers, at = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        block = w[at:at + n_out * (n_in + 1)].reshape(n_out, n_in + 1)
        at += n_out * (n_in + 1)
        weights, bias = (block[:, 1:], block[:, 0]) if bias_first else (block[:, :n_in], block[:, n_in])
        layers.append((weights.T, bias))
    return layers


def reference_scores(w, X, sizes=SIZES, hidden="relu", last="linear", bias_first=False):
    """The network's output for each row of X, with NumPy (adlab can differentiate it)."""
    activations = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "linear": lambda z: z}
    a = X
    layers = unpack(w, sizes, bias_first)
    for k, (W, b) in enumerate(layers):
        a = activations[last if k == len(layers) - 1 else hidden](a @ W + b)
    return a[:, 0]


def hinge(scores, y):
    """The mean hinge loss, (1/N) Σ max(0, 1 − yᵢ sᵢ)."""
    return np.sum(np.maximum(1.0 - y * scores, 0.0)) / len(y)


def checker_weights(seed=13, sizes=SIZES):
    """The weights the checks put into the student's network (not the lesson's)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, n_parameters(sizes))


def checker_data(seed=13, n=6):
    rng = np.random.default_rng(seed + 1)
    return rng.uniform(-1.0, 2.0, (n, 2)), np.where(rng.random(n) < 0.5, -1.0, 1.0)


_NETWORK_MISTAKES = (  # (what differs from the lesson's network, keyword arguments of reference_scores)
    ("the output layer must be linear (no relu): its score is negative for one class and positive for the other",
     {"last": "relu"}),
    ("the hidden layers need relu (Neuron with nonlinearity): without it the network is one linear map",
     {"hidden": "linear"}),
    ("the hidden units are relu, not tanh", {"hidden": "tanh"}),
    ("parameters() (and your unpacking of w) must list each neuron's weights first, then its bias",
     {"bias_first": True}),
)


def _diagnose_network(scores, w, X, what, sizes=SIZES):
    """One sentence for a network whose outputs are not the lesson's network's."""
    for phrase, variant in _NETWORK_MISTAKES:
        if np.allclose(scores, reference_scores(w, X, sizes, **variant), rtol=1e-9, atol=1e-9):
            return f"{what} does not compute the lesson's network: {phrase}."
    return (f"{what} does not compute the lesson's network: each neuron computes relu(Σ wᵢxᵢ + b) (the last "
            f"layer without relu), with the parameters in the order of parameters().")


# -- 13.1 · Value, for a network ----------------------------------------------------------------------------


def _dispatch(method, function):
    """x.method() on the student's Value, function(x) on the engine's numbers (for the expected gradient)."""
    return lambda x: getattr(x, method)() if hasattr(x, "backward") and hasattr(x, "_backward") else function(x)


_NEW_RULES = (  # (method, expression, function, point, forward value)
    ("__neg__", "-x", lambda x: -x, (2.0,), -2.0),
    ("__pow__", "x ** 3", lambda x: x ** 3, (2.0,), 8.0),
    ("__pow__", "x ** -1", lambda x: x ** -1, (2.0,), 0.5),
    ("__pow__", "x ** 0.5", lambda x: x ** 0.5, (4.0,), 2.0),
    ("tanh", "x.tanh()", _dispatch("tanh", np.tanh), (0.5,), math.tanh(0.5)),
    ("relu", "x.relu()", _dispatch("relu", lambda x: np.maximum(x, 0.0)), (1.5,), 1.5),
    ("relu", "x.relu()", _dispatch("relu", lambda x: np.maximum(x, 0.0)), (-1.5,), 0.0),
    ("tanh", "x.tanh() * x", lambda x: _dispatch("tanh", np.tanh)(x) * x, (0.5,), 0.5 * math.tanh(0.5)),
    ("__pow__", "x ** 2 + x", lambda x: x ** 2 + x, (3.0,), 12.0),
)
NEW_METHODS = ("__neg__", "__pow__", "tanh", "relu")


def _new_rules(Value, name):
    missing = [m for m in NEW_METHODS if not callable(getattr(Value, m, None))]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        raise Stop("wrong", f"your `{name}` has no {listed}: a network needs {', '.join(NEW_METHODS)} besides "
                            f"Lesson 6's operations.")
    for method, text, function, point, value in _NEW_RULES:
        out = run_student_code(f"`{name}.{method}` (computing {text})", lambda: function(*[Value(v) for v in point]))
        data = getattr(out, "data", None)
        try:
            data = float(data)
        except (TypeError, ValueError):
            raise Stop("wrong", f"your `{name}.{method}` returned {type(out).__name__} for {text}, not a {name} "
                                f"with a number in .data: does it end with `return out`?") from None
        if not math.isclose(data, value, rel_tol=1e-12, abs_tol=1e-12):
            x = number_text(point[0])
            raise Stop("wrong", f"your `{name}.{method}` computes {text} = {number_text(data)} at x={x}: the "
                                f"forward value (.data) is wrong, before any gradient.")
        check_rule(Value, name, method, text, function, point)


def _value_checker(namespace):
    """Exercise 13.1: Lesson 6's class (every check of exercise 6.2), then -x, x ** n, tanh and relu."""
    Value, problem = answer_class(namespace, "Value")
    if problem:
        return problem
    status, message = value_class_verdict(Value)
    if status != "correct":
        return status, message + ("" if status == "unanswered" else " (that is Lesson 6's part of the class)")
    quiet = io.StringIO()
    try:
        with np.errstate(all="ignore"), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \
                time_limit(SECONDS, "checking your `Value`"):
            _new_rules(Value, Value.__name__)
    except Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    return "correct", ("correct: Lesson 6's checks (every rule, Eq. 5, random graphs, a 5,000-deep chain), then -x, "
                       "x ** n, tanh and relu, each forward value and backward rule.")


# -- 13.2 · Variable, for a network -------------------------------------------------------------------------

_VARIABLE_METHODS = (  # (method, expression, value, derivative, points)
    ("__neg__", "-x", lambda x: -x, lambda x: -1.0, (2.0, -0.5)),
    ("__pow__", "x ** 3", lambda x: x ** 3, lambda x: 3 * x ** 2, (2.0, -0.5)),
    ("__pow__", "x ** -1", lambda x: x ** -1, lambda x: -x ** -2, (2.0, -0.5)),
    ("exp", "x.exp()", math.exp, math.exp, (0.5, -1.0)),
    ("log", "x.log()", math.log, lambda x: 1 / x, (0.5, 2.0)),
    ("tanh", "x.tanh()", math.tanh, lambda x: 1 - math.tanh(x) ** 2, (0.5, -1.0)),
    ("relu", "x.relu()", lambda x: max(x, 0.0), lambda x: float(x > 0), (1.5, -1.5)),
)
_CALLS = {"__neg__": lambda v: -v, "exp": lambda v: v.exp(), "log": lambda v: v.log(), "tanh": lambda v: v.tanh(),
          "relu": lambda v: v.relu()}


def _variable_methods(Variable):
    missing = [m for m in dict.fromkeys(m for m, *_ in _VARIABLE_METHODS) if not callable(getattr(Variable, m, None))]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        raise Stop("wrong", f"your `Variable` has no {listed}: the network needs -x, x ** n, exp, log, tanh and "
                            f"relu besides Lesson 4's operations.")
    for method, text, value, derivative, points in _VARIABLE_METHODS:
        exponent = {"x ** 3": 3, "x ** -1": -1}.get(text)
        call = (lambda v, n=exponent: v ** n) if exponent is not None else _CALLS[method]
        for x in points:
            out = run_student_code(f"`Variable.{method}` (computing {text})", lambda: call(Variable(x, 2.0)))
            try:
                val, dot = float(out.val), float(out.dot)
            except (AttributeError, TypeError, ValueError):
                raise Stop("wrong", f"your `Variable.{method}` returned {type(out).__name__} for {text}, not a "
                                    f"Variable with .val and .dot: does it return a Variable?") from None
            at = f"at x = Variable({number_text(x)}, 2)"
            if not math.isclose(val, value(x), rel_tol=1e-12, abs_tol=1e-12):
                raise Stop("wrong", f"your `Variable.{method}` gives .val = {number_text(val)} for {text} {at}: the "
                                    f"value is wrong, before any tangent.")
            truth = derivative(x) * 2.0
            if not math.isclose(dot, truth, rel_tol=1e-12, abs_tol=1e-12):
                if truth != 0 and math.isclose(dot, truth / 2.0, rel_tol=1e-12):
                    why = "the tangent must be multiplied by the input's tangent x.dot (the chain rule)"
                elif truth != 0 and math.isclose(dot, -truth, rel_tol=1e-12):
                    why = "the sign is flipped"
                else:
                    why = f"the tangent of {text} is x.dot times the derivative of {text}"
                raise Stop("wrong", f"your `Variable.{method}` gives .dot = {number_text(dot)} for {text} {at}: "
                                    f"{why}.")


def _variable_checker(namespace):
    """Exercise 13.2: Lesson 4's class with plain numbers on either side (exercise 4.6), then the new methods."""
    Variable, problem = answer_class(namespace, "Variable")
    if problem:
        return problem
    status, message = dual_numbers_verdict(Variable, mixed=True)
    if status != "correct":
        return status, message + ("" if status == "unanswered" else " (that is Lesson 4's part of the class)")
    try:
        with np.errstate(all="ignore"), time_limit(SECONDS, "checking your `Variable`"):
            _variable_methods(Variable)
    except Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    return "correct", ("correct: Lesson 4's operators with Variables and plain numbers on either side, then -x, "
                       "x ** n, exp, log, tanh and relu, each value and tangent.")


# -- 13.3 · Neuron, Layer, MLP -------------------------------------------------------------------------------


def _classes(namespace, names):
    for name in names:
        if name not in namespace:
            return "invalid", (f"no class `{name}`: the answer cell must define it (`class {name}:`; check the "
                               f"spelling).")
        if not isinstance(namespace[name], type):
            return "invalid", f"`{name}` is a {type(namespace[name]).__name__}, not a class: define it with `class`."
    return None


def _parameters(thing, what, Value):
    params = run_student_code(f"`{what}.parameters()`", lambda: thing.parameters())
    try:
        params = list(params)
    except TypeError:
        raise Stop("wrong", f"`{what}.parameters()` returned {type(params).__name__}, not a list of Values.") from None
    for p in params:
        if not isinstance(p, Value):
            raise Stop("wrong", f"`{what}.parameters()` holds a {type(p).__name__}: every parameter must be a Value "
                                f"of your class (exercise 13.1's), so that backward() fills its grad.")
    if len({id(p) for p in params}) != len(params):
        raise Stop("wrong", f"`{what}.parameters()` lists a Value more than once: each weight and bias once.")
    return params


def build(namespace, w, sizes=SIZES):
    """The student's MLP(sizes[0], sizes[1:]) with the flat weights w put into its parameters()."""
    MLP, Value = namespace["MLP"], namespace["Value"]
    model = run_student_code(f"`MLP({sizes[0]}, {list(sizes[1:])})`", lambda: MLP(sizes[0], list(sizes[1:])))
    params = _parameters(model, f"MLP({sizes[0]}, {list(sizes[1:])})", Value)
    if len(params) != len(w):
        raise Stop("wrong", f"`MLP({sizes[0]}, {list(sizes[1:])}).parameters()` has {len(params)} entries: it must "
                            f"list every weight and bias of every neuron of every layer, once.")
    for p, value in zip(params, w):
        p.data = float(value)
    return model, params


def _output(model, x, Value, what):
    out = run_student_code(what, lambda: model(list(x)))
    if isinstance(out, (list, tuple)) and len(out) == 1:
        raise Stop("wrong", f"{what} returned a list with one Value: a Layer with one neuron returns that "
                            f"neuron's Value itself (as micrograd does), so the network's output is one Value.")
    if not isinstance(out, Value):
        raise Stop("wrong", f"{what} returned {type(out).__name__}, not a Value of your class.")
    return out


def _structure(namespace):
    Neuron, Layer, Value = namespace["Neuron"], namespace["Layer"], namespace["Value"]
    neuron = run_student_code("`Neuron(3)`", lambda: Neuron(3))
    if len(_parameters(neuron, "Neuron(3)", Value)) != 4:
        raise Stop("wrong", "`Neuron(3).parameters()` must list the neuron's weights, one per input, then its bias.")
    out = run_student_code("`Neuron(3)([1.0, 2.0, 3.0])`", lambda: neuron([1.0, 2.0, 3.0]))
    if not isinstance(out, Value):
        raise Stop("wrong", f"`Neuron(3)([1.0, 2.0, 3.0])` returned {type(out).__name__}, not a Value.")
    layer = run_student_code("`Layer(3, 2)`", lambda: Layer(3, 2))
    if len(_parameters(layer, "Layer(3, 2)", Value)) != 8:
        raise Stop("wrong", "`Layer(3, 2).parameters()` must list the parameters of each of its neurons.")
    outs = run_student_code("`Layer(3, 2)([1.0, 2.0, 3.0])`", lambda: layer([1.0, 2.0, 3.0]))
    if not (isinstance(outs, (list, tuple)) and len(outs) == 2 and all(isinstance(o, Value) for o in outs)):
        raise Stop("wrong", "`Layer(3, 2)([1.0, 2.0, 3.0])` must return a list of 2 Values, one per neuron.")


def _network_checks(namespace):
    """The MLP's forward values, then the gradient of its output, against NumPy and adlab on the checker's weights."""
    import adlab  # the engine, only when a check runs

    Value = namespace["Value"]
    w = checker_weights()
    X, _ = checker_data()
    model, params = build(namespace, w)
    scores = np.array([float(_output(model, x, Value, f"your MLP at x = {list(np.round(x, 3))}").data) for x in X])
    if not np.allclose(scores, reference_scores(w, X), rtol=TOLERANCE, atol=TOLERANCE):
        raise Stop("wrong", _diagnose_network(scores, w, X, "your MLP, with the check's weights,"))
    x = X[0]
    for p in params:
        p.grad = 0.0
    out = _output(model, x, Value, "your MLP")
    run_student_code("`backward()` on your MLP's output", out.backward)
    mine = np.array([float(p.grad) for p in params])
    truth = adlab.grad(lambda w: reference_scores(w, x[None, :])[0])(w)
    if not np.allclose(mine, truth, rtol=TOLERANCE, atol=TOLERANCE):
        wrong = int(np.flatnonzero(~np.isclose(mine, truth, rtol=TOLERANCE, atol=TOLERANCE))[0])
        k, j, _ = layout()[_neuron_of(wrong)]
        raise Stop("wrong", f"after backward() on your MLP's output, the grad of a parameter of layer {k + 1}, "
                            f"neuron {j + 1} is {number_text(mine[wrong])}, not its derivative: the forward values "
                            f"are right, so look at the backward rules the neuron uses (relu's, and sum's + with "
                            f"fan-out), and exercise 13.1's check.")


def _neuron_of(index, sizes=SIZES):
    at = 0
    for position, (_, _, n_in) in enumerate(layout(sizes)):
        if index < at + n_in + 1:
            return position
        at += n_in + 1
    return len(layout(sizes)) - 1


def _value_works(Value):
    """A Stop if exercise 13.1's Value is still a stub: the network classes cannot be checked on it yet."""
    try:
        x = Value(2.0)
        (x * 3.0 + 1.0).relu().backward()
    except NotImplementedError:
        raise Stop("unanswered", "not answered yet: your `Value` (exercise 13.1) still raises NotImplementedError; "
                                 "write it and run its cell first: these classes are built on it.") from None
    except Exception:
        pass  # a wrong Value: the checks below (and exercise 13.1's) say what is wrong


def _nn_checker(namespace):
    """Exercise 13.3: the student's Neuron, Layer and MLP, built on their own Value (exercise 13.1's)."""
    missing = _classes(namespace, ("Neuron", "Layer", "MLP"))
    if missing:
        return missing
    if any(is_placeholder(namespace[name]) for name in ("Neuron", "Layer", "MLP")):
        return "unanswered", NOT_ANSWERED
    if not isinstance(namespace.get("Value"), type):
        return "invalid", ("exercise 13.1's answer cell must define your class `Value`: this exercise builds on it "
                           "(the check runs that cell first, then this one).")
    try:
        with np.errstate(all="ignore"), time_limit(SECONDS, "checking your network classes"):
            _value_works(namespace["Value"])
            _structure(namespace)
            _network_checks(namespace)
    except Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    return "correct", ("correct: Neuron, Layer and MLP have the right parameters, and MLP(2, [8, 8, 1]) with the "
                       "check's weights gives the right outputs and, after backward(), the right gradient.")


# -- 13.4 · the same network for adlab, and the same gradient --------------------------------------------------


def _engine_gradient(namespace, w, X, y, sizes=LESSON):
    """The gradient of the mean hinge loss with the student's own engine and MLP (exercises 13.1 and 13.3)."""
    Value = namespace["Value"]
    model, params = build(namespace, w, sizes)
    for p in params:
        p.grad = 0.0
    losses = [(1 - label * _output(model, x, Value, "your MLP")).relu() for x, label in zip(X, y)]
    loss = run_student_code("your Value (adding up the losses)", lambda: sum(losses) * (1.0 / len(losses)))
    run_student_code("`backward()` on the loss", loss.backward)
    return np.array([float(p.grad) for p in params])


def _network_checker(namespace):
    """Exercise 13.4: network(w, X) in NumPy; adlab.grad of its hinge loss equals the student's engine's gradient."""
    import adlab  # the engine, only when a check runs

    if "network" not in namespace:
        return "invalid", "no function `network`: the answer cell must define it (`def network(w, X):`)."
    network = namespace["network"]
    if is_placeholder(network):
        return "unanswered", NOT_ANSWERED
    if not callable(network):
        return "invalid", f"`network` is a {type(network).__name__}, not a function; define it with def."
    X, y = checker_data()
    try:
        with np.errstate(all="ignore"), time_limit(SECONDS, "checking your `network`"):
            for sizes in (LESSON, SIZES):
                w = checker_weights(sizes=sizes)
                call = f"`network(w, X, {sizes})`"
                scores = run_student_code(call, lambda: network(w, X, sizes))
                scores = np.asarray(scores, dtype=float)
                if scores.shape not in ((len(X),), (len(X), 1)):
                    raise Stop("wrong", f"{call} returned shape {scores.shape} for X of shape {X.shape}: give one "
                                        f"score per row of X, shape ({len(X)},) (e.g. out[:, 0]).")
                scores = scores.reshape(-1)
                if not np.allclose(scores, reference_scores(w, X, sizes), rtol=TOLERANCE, atol=TOLERANCE):
                    raise Stop("wrong", _diagnose_network(scores, w, X, f"your {call}, with the check's w,", sizes))
            w = checker_weights(sizes=LESSON)
            try:
                theirs = np.asarray(adlab.grad(lambda w: hinge(np.reshape(network(w, X, LESSON), -1), y))(w),
                                    dtype=float)
            except Exception as error:
                raise Stop("wrong", f"adlab could not differentiate your `network`: {type(error).__name__}: {error} "
                                    f"(use NumPy operations on w and X: @, +, np.maximum, slicing, reshape; no "
                                    f"float() or Python loops over the numbers).") from None
            if not all(isinstance(namespace.get(name), type) for name in ("Value", "MLP")):
                return "invalid", ("exercises 13.1 and 13.3 must define your `Value` and `MLP`: this exercise "
                                   "compares their gradient with adlab's (the check runs those cells first).")
            mine = _engine_gradient(namespace, w, X, y)
    except Stop as stop:
        return stop.status, stop.message
    except CellProblem as problem:
        return problem.status, str(problem)
    if not np.allclose(mine, theirs, rtol=TOLERANCE, atol=TOLERANCE):
        worst = float(np.max(np.abs(mine - theirs)))
        return "wrong", (f"your `network` computes the right scores, but your engine's gradient of the hinge loss "
                         f"differs from adlab's by up to {worst:.1e}: exercise 13.3's check says which part of your "
                         f"MLP or Value to fix.")
    return "correct", (f"correct: network(w, X, sizes) gives the scores of MLP(2, [16, 1]) and MLP(2, [8, 8, 1]), "
                       f"and adlab.grad of the hinge loss of MLP(2, [16, 1]) through your `network` equals your "
                       f"engine's gradient in all {len(w)} entries, to {TOLERANCE:g}.")


register(
    Exercise(
        "13.1", "custom", ("Value",), title="Value, ready for a network",
        checker=_value_checker, by_hand=True, seconds=20.0,
        revisit="revisit Lesson 6, section 2, and this lesson's section 1",
        hints=("Start from your Lesson 6 class (exercise 6.2), unchanged. Each new method makes `out` with "
               "`self` as its only parent and a `_backward` that adds out.grad × (the local partial) to self.grad.",
               "Local partials: −x gives −1; x ** n gives n·x^(n−1); tanh x gives 1 − tanh² x, which is "
               "1 − out.data ** 2; relu x gives 1 where x > 0 and 0 elsewhere.",
               "`__pow__` takes a plain number as exponent (an int or a float), not a Value: "
               "Value(self.data ** n, (self,), …).")),
    Exercise(
        "13.2", "custom", ("Variable",), title="Variable, ready for a network",
        checker=_variable_checker, by_hand=True,
        revisit="revisit Lesson 4, exercises 4.1, 4.2 and 4.6",
        hints=("Start from your Lesson 4 class with plain numbers on either side (exercise 4.6). Each new method "
               "returns Variable(f(self.val), f′(self.val) · self.dot).",
               "The derivatives: −x gives −1; x ** n gives n·x^(n−1); exp gives exp; log gives 1/x; tanh gives "
               "1 − tanh²; relu gives 1 where x > 0 and 0 elsewhere.")),
    Exercise(
        "13.3", "custom", ("Neuron", "Layer", "MLP"), title="a tiny network library",
        checker=_nn_checker, by_hand=True, uses=("13.1",), seconds=20.0,
        revisit="revisit section 2 of this lesson",
        hints=("Neuron(n_in, relu=True): a list of n_in weights and a bias, each a Value; calling it on x gives "
               "sum((wi * xi for wi, xi in zip(self.w, x)), self.b), then .relu() if relu is set.",
               "Layer(n_in, n_out, relu=True): a list of n_out Neurons; calling it gives the list of their outputs, "
               "or the single Value when n_out is 1. parameters(): the neurons' parameters, in order.",
               "MLP(n_in, sizes): Layers from n_in to sizes[0], sizes[0] to sizes[1], …, the last one with "
               "relu=False; calling it passes x through each layer in turn.")),
    Exercise(
        "13.4", "custom", ("network",), title="the same network for adlab",
        checker=_network_checker, by_hand=True, uses=("13.1", "13.3"), seconds=20.0,
        revisit="revisit section 4 of this lesson",
        hints=("Loop over the layers, for n_in, n_out in zip(sizes[:-1], sizes[1:]), and walk through w with an "
               "offset: a layer from n_in to n_out takes n_out·(n_in + 1) entries. Reshape them to "
               "(n_out, n_in + 1): row j is neuron j, its weights then its bias.",
               "With block = w[at:at + n_out * (n_in + 1)].reshape(n_out, n_in + 1), the layer computes "
               "a @ block[:, :n_in].T + block[:, n_in]; then np.maximum(…, 0.0) except on the last layer.",
               "Return one score per row of X: the last layer's output has shape (N, 1), so return out[:, 0].")),
)
