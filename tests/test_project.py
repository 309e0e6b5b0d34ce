"""The project's promises about itself: README commands, CI, a light `import adlab`."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_the_lab_command_then_the_test_command():
    lab, tests = readme_commands()[:2]
    assert "jupyter lab " in lab and "pip install -e" in lab
    assert "python -m pytest" in tests and "pip install -e" in tests


def test_the_lab_command_trusts_the_lessons_and_opens_them_from_the_repository_root(tmp_path):
    """Trusted, a lesson shows its stored graphs before it runs; from the root, README and docs are reachable."""
    lab = readme_commands()[0]
    assert ".venv/bin/jupyter trust lessons/*.ipynb" in lab
    options = lab.split(".venv/bin/jupyter lab", 1)[1].split()
    assert not any(not option.startswith("--") for option in options), "no folder argument: the root is the clone"
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", *options, "--no-browser", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=t"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        location = None
        for _ in range(300):
            try:
                urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/?token=t", timeout=2)
            except urllib.error.HTTPError as redirect:
                location = redirect.headers["Location"]
                break
            except OSError:
                time.sleep(0.2)
        assert location is not None and location.split("?")[0].endswith("/lab/tree/lessons"), location
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ci_runs_the_readme_test_command():
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_import_adlab_loads_no_display_stack():
    heavy = ["IPython", "ipywidgets", "graphviz", "matplotlib", "sympy", "scipy"]
    code = f"import sys, adlab, adlab.numpy; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
