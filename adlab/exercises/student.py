"""Who the student is, and the numbers their exercises use.

Every numeric exercise draws its inputs from a seed made of the student's id and the
exercise's id, so neighbours get different numbers and the same student always gets
the same ones. The id is, in order: ``ADLAB_STUDENT`` (set by an instructor or a test),
nbgrader's student while it autogrades, the hub's user (``JUPYTERHUB_USER``), else a
random id made once and kept in ``~/.adlab/student``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

LOCAL_ID = Path("~/.adlab/student")


def student_id():
    """This student's id (see the module's docstring for where it comes from)."""
    if os.environ.get("ADLAB_STUDENT", "").strip():
        return os.environ["ADLAB_STUDENT"].strip()
    if os.environ.get("NBGRADER_EXECUTION"):  # nbgrader runs autograded/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb
        return Path.cwd().parent.name
    if os.environ.get("JUPYTERHUB_USER", "").strip():
        return os.environ["JUPYTERHUB_USER"].strip()
    return _local_id()


def _local_id():
    path = LOCAL_ID.expanduser()
    try:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    except (OSError, ValueError):
        pass
    made = "local-" + uuid.uuid4().hex[:12]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(made + "\n", encoding="utf-8")
    except OSError:  # a home we cannot write: the id holds for this process only
        os.environ["ADLAB_STUDENT"] = made
    return made


def generator(exercise, student=None):
    """A NumPy generator seeded by (student, exercise): the same numbers on every run, for this student only."""
    student = student_id() if student is None else student
    digest = hashlib.sha256(f"adlab|{student}|{exercise}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
