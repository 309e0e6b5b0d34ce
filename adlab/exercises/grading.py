"""Grades that the notebook cannot fake: computed again in a fresh process, from the answer cells' source.

Under nbgrader the notebook runs in the student's kernel, where an answer cell can redefine
``check``, patch adlab or NumPy, or silence errors. None of that reaches the grade: after
nbgrader has run the notebook, `GradeInFreshProcess` (an nbgrader preprocessor) hands the
*source* of every answer cell and the student's id to a new Python process
(``python -m adlab.exercises.grading``), which imports adlab afresh, re-runs each answer cell
on its own (exercise.evaluate) and returns a verdict per exercise. The preprocessor then
replaces each check cell's output with that verdict: an error output (0 points) unless correct.
No grade reads the progress file or any value from the student's kernel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from .exercise import answer_cell_id

CHECK_CALL = re.compile(r"""\bcheck\w*\(\s*(['"])([0-9]+\.[0-9]+[a-z]?)\1""")
SECONDS = 300  # the whole notebook, in the grading process


def answer_cells(cells):
    """{exercise id: source} of a notebook's answer cells (the last one for an id wins)."""
    sources = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        exercise = answer_cell_id(source)
        if exercise:
            sources[exercise] = source
    return sources


def checked_exercise(source):
    """The exercise id a check cell checks (``check("1.2")``), or None."""
    match = CHECK_CALL.search(source)
    return match.group(2) if match else None


def grade_in_fresh_process(sources, exercises, student, timeout=SECONDS):
    """{exercise id: (status, message)} from a new Python process that re-runs each answer cell."""
    request = json.dumps({"sources": sources, "exercises": list(exercises), "student": student})
    env = {key: value for key, value in os.environ.items() if key not in ("NBGRADER_EXECUTION", "ADLAB_GRADED")}
    env.update(ADLAB_PROGRESS="0", ADLAB_STUDENT=student, PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run([sys.executable, "-m", "adlab.exercises.grading"], input=request, text=True,
                              capture_output=True, timeout=timeout, env=env, cwd=os.path.expanduser("~"))
        verdicts = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {e: ("wrong", f"grading took longer than {timeout} s") for e in exercises}
    except (ValueError, IndexError):
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {e: ("wrong", f"the grader failed: {detail}") for e in exercises}
    return {e: tuple(v) for e, v in verdicts.items()}


def _grade_request(request):
    from .bank import get
    from .exercise import evaluate

    verdicts = {}
    for exercise_id in request["exercises"]:
        try:
            verdicts[exercise_id] = list(evaluate(get(exercise_id), request["sources"], student=request["student"]))
        except Exception as error:  # the grade of one exercise never stops the others
            verdicts[exercise_id] = ["wrong", f"could not be graded: {type(error).__name__}: {error}"]
    return verdicts


def nbgrader_preprocessor():
    """nbgrader's preprocessor class that replaces check cells' outputs with the fresh process's verdicts."""
    from nbformat.v4 import new_output
    from nbgrader.preprocessors import NbGraderPreprocessor

    class GradeInFreshProcess(NbGraderPreprocessor):
        """Grade every check cell again in a fresh process (see adlab.exercises.grading)."""

        def preprocess(self, nb, resources):
            student = resources.get("nbgrader", {}).get("student") or "student"
            checks = [(cell, checked_exercise(cell.source)) for cell in nb.cells
                      if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
            exercises = [exercise for _, exercise in checks if exercise]
            verdicts = grade_in_fresh_process(answer_cells(nb.cells), exercises, student) if exercises else {}
            for cell, exercise in checks:
                if not exercise:
                    continue
                status, message = verdicts.get(exercise, ("wrong", "not graded"))
                text = f"Exercise {exercise}: {message}"
                if status == "correct":
                    cell.outputs = [new_output("stream", name="stdout", text="✓ " + text + "\n")]
                else:
                    cell.outputs = [new_output("error", ename="NotCorrect", evalue=text,
                                               traceback=[f"✗ {text}"])]
            return nb, resources

    return GradeInFreshProcess


def main():
    request = json.loads(sys.stdin.read())
    print(json.dumps(_grade_request(request)))


if __name__ == "__main__":
    main()
