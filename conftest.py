"""pytest's settings for the whole repository (tests/ and the lessons under nbval).

Every kernel started by a test inherits ADLAB_STUDENT, so the lessons' exercises draw the
same numbers on every run (the instructor's variant); a test that needs another student
sets its own. It also keeps tests from writing an id into the real ~/.adlab.
"""

import os

os.environ.setdefault("ADLAB_STUDENT", "instructor")
