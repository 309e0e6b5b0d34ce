"""The project's promises about itself: README commands, CI, a light `import adlab`."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_the_lab_command_then_the_test_command():
    lab, tests = readme_commands()[:2]
    assert "jupyter lab lessons/" in lab and "pip install -e" in lab
    assert "python -m pytest" in tests and "pip install -e" in tests


def test_ci_runs_the_readme_test_command():
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_import_adlab_loads_no_display_stack():
    heavy = ["IPython", "ipywidgets", "graphviz", "matplotlib", "sympy", "scipy"]
    code = f"import sys, adlab, adlab.numpy; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
