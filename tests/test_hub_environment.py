"""nbgrader's tools for instructors only, on a real JupyterHub configured as docs/teaching.md says.

The guide's section "nbgrader's tools for instructors only" has a bash block (a folder of Jupyter
settings for students: `JUPYTER_CONFIG_DIR=student-jupyter jupyter labextension disable …`,
`… lock …`, and an `echo` of the server extensions that are off) and a python block for
jupyterhub_config.py (`import os`, `STUDENT_JUPYTER`, `c.JupyterHub.load_groups`,
`c.Spawner.environment.update({"JUPYTER_CONFIG_PATH": STUDENT_JUPYTER})`, `c.Spawner.group_overrides`). This test runs the bash block in the hub's folder and adds the
python block, with its instructor's name replaced by the test's, to the configuration of the hub
that tests/test_hub.py starts (DummyAuthenticator, local processes, configurable-http-proxy on
127.0.0.1). The instructor's server starts first, then a student's (so an override that leaked
from one spawner to the next would show). From each user's own server, through the hub's proxy:

- the page config of JupyterLab and of Notebook 7 (the JSON in /user/NAME/lab and /user/NAME/tree):
  nbgrader's extension is installed for both, disabled and locked for the student, enabled for the
  instructor;
- nbgrader's formgrader page: missing (404) on the student's server, there on the instructor's;
- in Chromium, each user logged in through the hub's login form: JupyterLab shows the instructor
  an "Nbgrader" menu and a "Create Assignment" side-bar tab, the student neither (screenshots in
  test-artifacts/hub_menu_*.png).

Everything started is stopped by process id, as in tests/test_hub.py; the ports are free afterwards.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
from contextlib import contextmanager
from pathlib import Path

import pytest

from classroom_support import guide_script, require
from test_hub import START_TIMEOUT, Hub, assert_everything_stopped

pytestmark = [pytest.mark.hub, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"
NBGRADER = "@jupyter/nbgrader"
GUIDE_INSTRUCTORS = ('c.JupyterHub.load_groups = {"instructors": {"users": ["prof"]}}'
                     "  # your instructors' hub user names")
GUIDE_LINES_NOT_RUN = {  # the lines of the guide's blocks this test does not run as written, and why
    GUIDE_INSTRUCTORS: "run with the test's own instructor in place of prof: a name no other run uses, since "
                       "the servers' homes are /tmp/NAME",
}


@contextmanager
def config_added(monkeypatch, extra):
    """Hub writes its jupyterhub_config.py and starts jupyterhub at once: add `extra` to the file just before."""
    popen, added = subprocess.Popen, []

    def start(args, *rest, **kwargs):
        words = [str(word) for word in args] if isinstance(args, (list, tuple)) else []
        if "-f" in words and any("jupyterhub" in word for word in words):
            config = Path(kwargs.get("cwd") or ".", words[words.index("-f") + 1])
            config.write_text(config.read_text() + "\n" + extra)
            added.append(config)
        return popen(args, *rest, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "Popen", start)
        yield
    assert added, "Hub did not run `jupyterhub -f CONFIG`: the guide's configuration could not be added"


def page_config(hub, name, app):
    """The page config of NAME's JupyterLab (app "lab") or Notebook 7 ("tree"): the JSON its page starts from."""
    with hub.request("GET", f"/user/{name}/{app}", raw=True) as response:
        page = response.read().decode()
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, page[:2000]
    return json.loads(html.unescape(found.group(1)))


def status(hub, path):
    try:
        with hub.request("GET", path, raw=True) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def menus_and_tabs(browser, hub, name, screenshot):
    """JupyterLab's main menus and side-bar tabs as NAME sees them, logged in through the hub's login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", "any")  # DummyAuthenticator: the guide's hub for trying out
        with page.expect_navigation(timeout=START_TIMEOUT * 1000):
            page.click("input[type=submit], button[type=submit]")
        page.goto(f"{hub.url}/user/{name}/lab")
        page.wait_for_selector("#jp-menu-panel .lm-MenuBar-item", timeout=START_TIMEOUT * 1000)
        page.wait_for_selector(".jp-LauncherCard", timeout=START_TIMEOUT * 1000)  # every plugin has activated
        page.screenshot(path=str(screenshot), clip={"x": 0, "y": 0, "width": 1280, "height": 240})
        return page.evaluate("""() => ({
            menus: Array.from(document.querySelectorAll('#jp-menu-panel .lm-MenuBar-itemLabel')).map(i => i.textContent),
            sidebarTabs: Array.from(document.querySelectorAll('.jp-SideBar .lm-TabBar-tab'))
                .map(tab => tab.textContent.trim() || tab.title),
        })""")
    finally:
        context.close()


def test_nbgrader_tools_for_instructors_only(tmp_path, monkeypatch, browser):
    require(shutil.which("jupyterhub", path=str(BIN)), "jupyterhub (pip install jupyterhub)")
    require(shutil.which("configurable-http-proxy"), "configurable-http-proxy (npm install -g configurable-http-proxy)")
    require(shutil.which("jupyter-labextension", path=str(BIN)), "jupyterlab (pip install -e '.[classroom]')")

    # The guide's settings folder for students, made as the guide says, in the hub's folder.
    started = time.perf_counter()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", guide_script(__file__, "bash")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    written = json.loads((tmp_path / "student-jupyter" / "labconfig" / "page_config.json").read_text())
    assert written["disabledExtensions"] == {NBGRADER: True}, written
    figures = {"the guide's settings commands": f"{time.perf_counter() - started:.1f} s"}

    prefix = f"adlab-{secrets.token_hex(3)}-"
    instructor, student = f"{prefix}prof", f"{prefix}student"
    homes = [Path("/tmp") / name for name in (instructor, student)]
    assert not any(home.exists() for home in homes)
    hub_config = guide_script(__file__, "python", GUIDE_LINES_NOT_RUN, instead={
        GUIDE_INSTRUCTORS: GUIDE_INSTRUCTORS.replace('["prof"]', json.dumps([instructor]))})
    with config_added(monkeypatch, hub_config):
        hub = Hub(tmp_path)
    ports = (hub.port, hub.api_port, hub.hub_port)
    figures["hub start"] = f"{hub.start_time:.1f} s"
    try:
        hub.request("POST", "/hub/api/users", {"usernames": [student]})
        groups = {name: hub.request("GET", f"/hub/api/users/{name}")["groups"] for name in (instructor, student)}
        assert groups == {instructor: ["instructors"], student: []}, groups
        started = time.perf_counter()
        for name in (instructor, student):  # the instructor first: the override must not outlive their spawn
            hub.start_server(name)
        for name in (instructor, student):
            hub.wait_ready(name)
        figures["both servers ready"] = f"{time.perf_counter() - started:.1f} s"

        for app in ("lab", "tree"):
            configs = {name: page_config(hub, name, app) for name in (instructor, student)}
            for name, config in configs.items():
                installed = [extension["name"] for extension in config["federated_extensions"]]
                assert NBGRADER in installed, (app, name, installed)  # installed for both: hidden where disabled
            assert NBGRADER in configs[student]["disabledExtensions"], (app, configs[student]["disabledExtensions"])
            assert NBGRADER in configs[student]["lockedExtensions"], (app, configs[student]["lockedExtensions"])
            assert not any(item.startswith(NBGRADER) for item in configs[instructor]["disabledExtensions"]), \
                (app, configs[instructor]["disabledExtensions"])
        assert status(hub, f"/user/{student}/formgrader") == 404
        assert status(hub, f"/user/{instructor}/formgrader") == 200

        ARTIFACTS.mkdir(exist_ok=True)
        started = time.perf_counter()
        seen = {name: menus_and_tabs(browser, hub, name, ARTIFACTS / f"hub_menu_{role}.png")
                for name, role in ((instructor, "instructor"), (student, "student"))}
        assert "Nbgrader" in seen[instructor]["menus"], seen[instructor]
        assert "Create Assignment" in seen[instructor]["sidebarTabs"], seen[instructor]
        assert "Nbgrader" not in seen[student]["menus"] and "File" in seen[student]["menus"], seen[student]
        assert "Create Assignment" not in seen[student]["sidebarTabs"], seen[student]
        figures["two logins and JupyterLab pages in Chromium"] = f"{time.perf_counter() - started:.1f} s"
        print("\n" + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    finally:
        try:
            hub.stop_servers([instructor, student])
        finally:
            proxy_pid = hub.stop()
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)
    assert_everything_stopped(hub, proxy_pid, ports)
