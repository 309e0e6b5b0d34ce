"""An exercise as data, and the one function that checks an answer cell against it.

An `Exercise` says what the student gets (inputs drawn per student), what the answer cell
must define, how the truth is computed from those inputs (with the engine, never a literal
in the notebook), how close is right, which mistakes it expects and what each one means,
and its hints. `evaluate` runs the answer cell's source on its own (see sandbox.py) and
returns a `Result` that diagnoses without giving the answer away. It is the same code in
the student's kernel (`check`) and in the grader's fresh process.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .checks import _arg_text
from .diagnose import DEFAULT, EXACT, Tolerance, diagnose_entries, whole_answer_diagnosis
from .feedback import Invalid, NotAnswered, as_array, index_text
from .sandbox import CellProblem, call_bounded, fresh_namespace, run_source, time_limit
from .sandbox import _python as _python_source
from .student import generator

ANSWER_MARK = re.compile(r"^\s*#\s*Exercise\s+([0-9]+\.[0-9]+[a-z]?)\b")


def answer_cell_id(source):
    """The exercise an answer cell answers: ``# Exercise 1.2`` among its first comment lines, or None.

    Comments a student adds above the mark are fine; code above it is not (the cell must start as handed out).
    """
    for line in source.splitlines():
        if not line.strip():
            continue
        match = ANSWER_MARK.match(line)
        if match:
            return match.group(1)
        if not line.lstrip().startswith("#"):
            return None
    return None
NOT_ANSWERED = "not answered yet: replace the ... (or the stub) with your answer, run that cell, then this one."
_SHOWN = 8  # wrong entries listed; the rest are counted


@dataclass
class Exercise:
    """One exercise of a lesson. Callables that take the inputs are called as ``f(**inputs)``.

    kind: "numbers" (a number, list or array), "choice" (a word or a whole number),
    "function" (a function run on test points against ``reference``) or "custom"
    (``checker(namespace, **inputs)`` returns (status, message), for the student's own classes).
    """

    id: str
    kind: str
    answer: tuple  # the names the answer cell must define
    title: str = ""
    inputs: Callable | dict | None = None  # rng -> {name: value} per student; a dict: the same for everyone
    inputs_of: str = ""  # draw the inputs of this other exercise (the parts of one exercise share its numbers)
    expected: Callable | Any = None  # numbers/choice: the truth, from the inputs
    entries: Callable | None = None  # numbers: names of the entries ("row v̇₂"), from the inputs
    carried: Callable | None = None  # numbers: carried(yours, **inputs), each entry given the student's others
    tolerance: Tolerance = DEFAULT
    mistakes: Callable | None = None  # {diagnosis: wrong answer}: numbers, a wrong function, or a wrong choice
    reference: Callable | None = None  # function: the right function, from the inputs
    points: Callable | None = None  # function: the argument tuples to test at, from the inputs
    checker: Callable | None = None  # custom
    choices: tuple = ()
    explain: str | Callable = ""  # choice: why, shown once right or shown
    hints: tuple = ()  # strings, or callables of the inputs
    by_hand: bool = False  # the answer cell may not use the engine (its imports are limited)
    context: Callable | None = None  # names the answer cell may use besides np and math, from the inputs
    uses: tuple = ()  # earlier exercises whose answer cells run first (the student's own class)
    seconds: float = 10.0  # time limit for the answer cell and each call of a student's function
    variant_note: str = ""  # said with the inputs, e.g. "ẋ = (1, 0)"
    revisit: str = ""  # where to look again, added to every wrong verdict, e.g. "revisit Lesson 5, section 3"
    extra: dict = field(default_factory=dict)

    def draw(self, student=None):
        """This student's inputs, {name: value} (the same dict on every call)."""
        if self.inputs is None:
            return {}
        if isinstance(self.inputs, dict):
            return dict(self.inputs)
        return dict(self.inputs(generator(self.inputs_of or self.id, student)))

    def truth(self, inputs):
        return self.expected(**inputs) if callable(self.expected) else self.expected

    def hint_texts(self, inputs):
        return tuple(h(**inputs) if callable(h) else h for h in self.hints)

    def explanation(self, inputs):
        return self.explain(**inputs) if callable(self.explain) else self.explain


# -- evaluating an answer cell -----------------------------------------------------------------


def evaluate(exercise, sources, student=None, inputs=None):
    """The verdict on an exercise from the sources of its answer cells ({exercise id: source}).

    Returns (status, message): status is "correct", "wrong", "unanswered" or "invalid";
    the message never contains the expected value.
    """
    inputs = exercise.draw(student) if inputs is None else inputs
    status, message = _evaluate(exercise, sources, student, inputs)
    if status == "wrong" and exercise.revisit and exercise.revisit not in message:
        message += ("\n  " if "\n" in message else " ") + f"({exercise.revisit})"
    return status, message


def _evaluate(exercise, sources, student, inputs):
    try:
        namespace = _run_cells(exercise, sources, inputs, student)
        if exercise.kind == "custom":
            with time_limit(exercise.seconds * 4, "your code, run by the check,"):
                return exercise.checker(namespace, **inputs)
        values = _answers(exercise, namespace, sources.get(exercise.id, ""))
        if exercise.kind == "numbers":
            return _numbers(exercise, values, inputs)
        if exercise.kind == "choice":
            return _choice(exercise, values[0], inputs)
        if exercise.kind == "function":
            return _function(exercise, values[0], inputs)
    except CellProblem as problem:
        if problem.status == "unanswered" and str(problem) == "not answered yet":
            return "unanswered", NOT_ANSWERED
        return problem.status, str(problem)
    raise ValueError(f"exercise {exercise.id}: unknown kind {exercise.kind!r}.")


def numbers_call(exercise_id, inputs):
    """The `my_numbers` the answer cell calls: a builtin method, so nothing of adlab is reachable from it."""
    return {exercise_id: _as_numbers(inputs)}.get


def _as_numbers(inputs):
    values = tuple(inputs.values())
    return values[0] if len(values) == 1 else values


def _run_cells(exercise, sources, inputs, student):
    given = dict(exercise.context(**inputs)) if exercise.context else {}
    namespace = fresh_namespace(given, exercise.id, exercise.by_hand)
    for earlier in exercise.uses:  # the student's own class from an earlier exercise
        source = sources.get(earlier)
        if source is None:
            raise CellProblem(f"run the answer cell of exercise {earlier} first (it starts with "
                              f"`# Exercise {earlier}`): this exercise uses it.", "unanswered")
        from .bank import get  # the earlier exercise's own inputs

        namespace["my_numbers"] = numbers_call(earlier, get(earlier).draw(student))
        run_source(source, namespace, f"your answer cell of exercise {earlier}", exercise.seconds)
    source = sources.get(exercise.id)
    if source is None:
        raise CellProblem(f"run the answer cell first: the cell that starts with `# Exercise {exercise.id}`, "
                          f"then this one. (If you deleted that first line, put it back.)", "unanswered")
    namespace["my_numbers"] = numbers_call(exercise.id, inputs)
    return run_source(source, namespace, "your answer cell", exercise.seconds)


def _answers(exercise, namespace, source=""):
    missing = [name for name in exercise.answer if name not in namespace]
    if missing:
        raise CellProblem(_missing_answer(exercise, missing, source))
    values = [namespace[name] for name in exercise.answer]
    if any(v is None for v in values) and exercise.kind != "custom":
        name = exercise.answer[[v is None for v in values].index(True)]
        raise CellProblem(f"`{name}` is None: assign the answer itself (`{name} = …`); a function that prints "
                          f"instead of returning, or a method such as list.sort(), gives None.")
    if all(v is Ellipsis for v in values):
        raise CellProblem("not answered yet", "unanswered")
    return values


def _missing_answer(exercise, missing, source):
    """One sentence for an answer cell without the names the exercise reads: a misspelling, or another version."""
    defined = _assigned_names(source)
    close = difflib.get_close_matches(missing[0], defined, 1, 0.75)
    if len(missing) == 1 and (close or not defined):
        spelled = f"you defined `{close[0]}`" if close else f"`{missing[0]} = …`"
        return f"no variable `{missing[0]}`: the answer cell must define it (check the spelling: {spelled})."
    names = ", ".join(f"`{name}`" for name in missing)
    shown = ", ".join(f"`{name}`" for name in defined[:6]) + (", …" if len(defined) > 6 else "")
    return (f"exercise {exercise.id} reads {names}, which your answer cell does not define (it defines {shown}): "
            f"this answer cell and the check come from different versions of the lesson (changed by hand, or an "
            f"update that did not merge); put back the line that defines {names}, or get the new version: rename "
            f"your notebook, open the course link again (or run adlab lessons again) and copy your answers into "
            f"the fresh copy.")


def _assigned_names(source):
    """The names an answer cell assigns or defines at its top level, in order (none if it does not parse)."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
    return list(dict.fromkeys(names))


def _numbers(exercise, values, inputs):
    truth = np.asarray(exercise.truth(inputs), dtype=float)
    answer = values[0] if len(values) == 1 else list(values)
    what = exercise.answer[0] if len(values) == 1 else "your answer"
    try:
        mine, missing = as_array(answer, truth.shape, f"`{what}`")
    except NotAnswered:
        return "unanswered", NOT_ANSWERED
    except Invalid as error:
        return "invalid", str(error)
    names = _entry_names(exercise, truth, inputs, values)
    mistakes = exercise.mistakes(**inputs) if exercise.mistakes else {}
    whole = whole_answer_diagnosis(mine, truth, exercise.tolerance)
    carried = exercise.carried(np.where(missing, truth, mine), **inputs) if exercise.carried else None
    phrases = diagnose_entries(mine, truth, exercise.tolerance, names, mistakes, missing, carried)
    open_entries = [names[i] for i in np.flatnonzero(np.asarray(missing).reshape(-1))]
    if not phrases and not open_entries:
        what = f"all {truth.size} entries" if truth.size > 1 else "your answer"
        return "correct", f"correct: {what}, {exercise.tolerance.words()}."
    parts = []
    if phrases:
        parts.append(f"{len(phrases)} of {truth.size} entries wrong" if truth.size > 1 else "wrong")
    if open_entries:
        parts.append(f"{len(open_entries)} not answered yet ({', '.join(open_entries[:_SHOWN])}"
                     f"{', …' if len(open_entries) > _SHOWN else ''})")
    if whole:
        lines = [whole]
    elif truth.size == 1 and phrases:
        return "wrong", f"wrong: {phrases[0]}." if phrases[0] != "wrong" else \
            f"wrong (checked {exercise.tolerance.words()})."
    else:
        lines = [f"{names[i]}: {phrase}" for i, phrase in phrases.items()]
        lines = lines[:_SHOWN] + ([f"… and {len(lines) - _SHOWN} more"] if len(lines) > _SHOWN else [])
    status = "wrong" if phrases else "unanswered"
    return status, "; ".join(parts) + f" (checked {exercise.tolerance.words()})." + "".join("\n  " + l for l in lines)


def _entry_names(exercise, truth, inputs, values):
    if exercise.entries is not None:
        names = list(exercise.entries(**inputs))
    elif len(values) > 1:
        names = [f"`{n}`" for n in exercise.answer]
    else:
        name = exercise.answer[0]
        names = [f"`{name}{index_text(i)}`" if truth.ndim else f"`{name}`" for i in np.ndindex(truth.shape)]
    if len(names) != truth.size:
        raise ValueError(f"exercise {exercise.id}: {len(names)} entry names for {truth.size} entries.")
    return names


def _choice(exercise, answer, inputs):
    expected = exercise.truth(inputs)
    explain = exercise.explanation(inputs)
    if isinstance(expected, str):
        if not isinstance(answer, str):
            options = ", ".join(repr(c) for c in exercise.choices) if exercise.choices else "a word"
            return "invalid", f"your answer is a {type(answer).__name__}; give one of {options} (in quotes)."
        given = " ".join(answer.strip().strip("'\"").rstrip(".!").lower().split())
        if exercise.choices and given not in [c.lower() for c in exercise.choices]:
            return "invalid", f"your answer {answer!r} is not one of {', '.join(repr(c) for c in exercise.choices)}."
        if given == expected.lower():
            return "correct", "correct." + (f"\n{explain}" if explain else "")
        for phrase, option in (exercise.mistakes(**inputs) if exercise.mistakes else {}).items():
            if isinstance(option, str) and given == option.lower():
                return "wrong", f"wrong: {phrase}."
        return "wrong", "wrong: think it through once more (the hints help), or ask for the answer."
    try:
        mine, _ = as_array(answer, (), "your answer")
    except NotAnswered:
        return "unanswered", NOT_ANSWERED
    except Invalid as error:
        return "invalid", str(error)
    value = float(mine)
    if isinstance(expected, (int, np.integer)) and not value.is_integer():
        return "invalid", "give a whole number (a count)."
    if math.isclose(value, float(expected), rel_tol=1e-9, abs_tol=1e-12):
        return "correct", "correct." + (f"\n{explain}" if explain else "")
    phrase = diagnose_entries([value], [float(expected)], EXACT if isinstance(expected, (int, np.integer))
                              else exercise.tolerance)[0]
    return "wrong", f"wrong: {phrase}." if phrase != "wrong" else "wrong."


def _function(exercise, function, inputs):
    name = exercise.answer[0]
    if not callable(function):
        return "invalid", f"`{name}` is a {type(function).__name__}, not a function; define it with def."
    reference = exercise.reference(**inputs)
    mistakes = exercise.mistakes(**inputs) if exercise.mistakes else {}
    tolerance = exercise.tolerance
    for args in exercise.points(**inputs):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        at = "at (" + ", ".join(_arg_text(a) for a in args) + ")"
        truth = np.asarray(reference(*args), dtype=float)
        try:
            yours = call_bounded(function, args, f"your `{name}` {at}", exercise.seconds)
        except NotImplementedError:
            return "unanswered", NOT_ANSWERED
        except CellProblem as problem:
            return problem.status, str(problem)
        except Exception as error:  # the student's code failed: one line, no traceback
            return "wrong", f"your `{name}` raised {type(error).__name__} {at}: {error}"
        try:
            mine, _ = as_array(yours, truth.shape, f"your `{name}` {at}")
        except NotAnswered:
            return "wrong", f"your `{name}` returned nothing {at}; did it forget `return`?"
        except Invalid as error:
            return "invalid", str(error)
        if np.all(tolerance.close(mine, truth)):
            continue
        for phrase, wrong in mistakes.items():
            try:
                theirs = np.asarray(wrong(*args), dtype=float)
            except Exception:
                continue
            if theirs.shape == truth.shape and not np.all(tolerance.close(theirs, truth)) \
                    and np.all(tolerance.close(mine, theirs)):
                return "wrong", f"your `{name}` is wrong {at}: {phrase}."
        phrases = diagnose_entries(mine, truth, tolerance)
        first = next(iter(phrases))
        entry = f" (entry {index_text(np.unravel_index(first, truth.shape))})" if truth.ndim else ""
        phrase = phrases[first]
        return "wrong", f"your `{name}` is wrong {at}{entry}" + (f": {phrase}." if phrase != "wrong" else ".")
    return "correct", f"correct: `{name}` is right at every test point."

