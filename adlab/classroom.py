"""Classroom delivery: nbgitpuller links, the student-facing course repository, nbgrader sources, class progress.

adlab builds nothing that JupyterHub, nbgitpuller, nbgrader or Binder already do;
it only prepares what they consume, one module per tool:

- ``hub_link`` (`adlab.hub_links`): the nbgitpuller link a student clicks (``/hub/user-redirect/git-pull?…``);
- ``write_course_repo`` (`adlab.course_repo`): a git repository of student copies (no solutions) for
  nbgitpuller to pull;
- ``write_nbgrader_source`` (`adlab.nbgrader_course`): an nbgrader course folder whose ``source/`` notebooks
  are the instructor lessons with nbgrader's cell metadata derived from the ``solution``/``check`` tags;
- ``collect_submissions`` (`adlab.nbgrader_course`): the students' own copies, from their homes, into
  nbgrader's ``submitted/`` (the copy a student works in is the copy nbgrader grades: see
  adlab.course.student_copy), each under the hub user name their numbers are drawn from (``home_student``);
- ``progress_table`` (`adlab.class_progress`): a class table (student × exercise) from the students'
  ``.adlab-progress.json``.

This module gathers them under one name, the one `adlab`'s commands and the nbgrader_config.py that
``write_nbgrader_source`` writes import from (a course folder keeps its config file: the names stay here).
Nothing here imports nbgrader or JupyterHub; ``nbgrader_preprocessors`` imports nbgrader when
nbgrader's own configuration file calls it.
"""

from __future__ import annotations

from .class_progress import (LEGEND, SHORT, STATUSES, course_exercises, exercise_status, format_progress_table,
                             lesson_of, progress_table, read_student_progress)
from .course_repo import (COURSE_GITIGNORE, COURSE_README, LESSON_NAME, RELEASED, ReleasedExerciseChanged,
                          course_lessons, write_course_repo)
from .hub_links import REPO_SCHEMES, hub_link, repo_name
from .nbgrader_course import (NBGRADER_CONFIG, NBGRADER_WRITTEN, autograde_preprocessors, collect_submissions,
                              home_student, nbgrader_preprocessors, tljh_system_user, write_nbgrader_source)

__all__ = ["hub_link", "repo_name", "REPO_SCHEMES", "course_lessons", "write_course_repo", "ReleasedExerciseChanged",
           "COURSE_README", "COURSE_GITIGNORE", "RELEASED", "LESSON_NAME", "write_nbgrader_source",
           "collect_submissions", "home_student", "tljh_system_user", "nbgrader_preprocessors", "autograde_preprocessors", "NBGRADER_CONFIG",
           "NBGRADER_WRITTEN", "progress_table", "format_progress_table", "read_student_progress", "exercise_status",
           "lesson_of", "course_exercises", "STATUSES", "SHORT", "LEGEND"]
