"""The old name of `value_class` and `reference_value`, kept so that lessons saved before the rename still run.

Lesson 6's copies handed out before then import ``from adlab.exercises.tape import ReferenceValue``, and a
student's notebook is never rewritten for them; new code imports from `adlab.exercises` (or the two modules).
"""

from .reference_value import ReferenceValue
from .value_class import check_reverse_value, value_class_verdict

__all__ = ["ReferenceValue", "check_reverse_value", "value_class_verdict"]
