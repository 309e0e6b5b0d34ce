"""Builds adlab. A built package carries the *student* copies of the lessons, never the instructor's solutions.

The instructor versions stay in the repository's lessons/, where an instructor's clone (and an
editable install) reads them; `adlab lessons` works from either.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithStudentLessons(build_py):
    """build_py, then adlab/lessons/ in the build: each lesson as `adlab lessons` writes it for a student.

    The same gradable copy (nbgrader's cell metadata included), so a class on the installed package is graded
    like one on the course repository.
    """

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads lessons/ in the clone
        import nbformat

        spec = importlib.util.spec_from_file_location("adlab_course", ROOT / "adlab" / "course.py")
        course = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(course)  # course.py needs only nbformat: no NumPy at build time
        target = Path(self.build_lib) / "adlab" / "lessons"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")):
            notebook = course.student_copy(nbformat.read(path, as_version=4), path.stem)
            (target / path.name).write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithStudentLessons})
