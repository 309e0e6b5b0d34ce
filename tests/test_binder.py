"""binder/ as repo2docker reads it, offline: `repo2docker --no-build --debug .` prints the Dockerfile.

The command is docs/teaching.md's (its block marked as run by this test), run as written in the
repository's folder. No image is built and docker is not needed. The Dockerfile must install Graphviz (apt.txt) and,
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

from classroom_support import guide_script, require

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)


def test_repo2docker_dockerfile():
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    require(shutil.which("repo2docker", path=env["PATH"]), "repo2docker (pip install jupyter-repo2docker)")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", guide_script(__file__, "bash")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env=env)
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
