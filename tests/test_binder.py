"""binder/ as repo2docker reads it, offline: `repo2docker --no-build --debug .` prints the Dockerfile.

No image is built and docker is not needed. The Dockerfile must install Graphviz (apt.txt) and,
after the repository is copied in, adlab with its course extra (requirements.txt), on the
Python that runtime.txt names; then postBuild writes the student copies that the README's Binder
link opens (lab/tree/my-lessons).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from classroom_support import require

ROOT = Path(__file__).resolve().parents[1]


def test_repo2docker_dockerfile():
    command = shutil.which("repo2docker", path=str(Path(sys.executable).parent)) or shutil.which("repo2docker")
    require(command, "repo2docker (pip install jupyter-repo2docker)")
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    result = subprocess.run([command, "--no-build", "--debug", str(ROOT)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    dockerfile = result.stdout + result.stderr
    python = (ROOT / "binder" / "runtime.txt").read_text().strip().split("-")[1]
    assert f"python={python}" in dockerfile
    assert "apt-get install --yes --no-install-recommends graphviz" in dockerfile
    copy_repo = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert install > copy_repo  # installs the repository itself, so it must come after the copy
    requirements = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    assert ".[course]" in requirements  # a regular install: tests/test_deploy.py says why not editable
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable for repo2docker"
    assert "adlab lessons my-lessons" in post_build.read_text()  # the student copies the Binder link opens
    assert dockerfile.index("binder/postBuild") > install
