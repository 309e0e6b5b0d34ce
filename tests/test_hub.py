"""A real JupyterHub on 127.0.0.1: three students pull the course with nbgitpuller, run it, and pull an update.

The hub runs DummyAuthenticator and SimpleLocalProcessSpawner (each student's server is a
jupyterhub-singleuser process, home /tmp/NAME) behind configurable-http-proxy. The test acts
as a hub service with a token, as an admin script would, and reaches each student's own
server through the hub's proxy:

1. `adlab course-repo` writes the student copies into a git repository; a bare clone of it
   (file://) is the course's remote.
2. For each student, nbgitpuller's API (`/user/NAME/git-pull/api?repo=…`, server-sent events)
   pulls the course into their home; a kernel on their server (Jupyter's sessions API and the
   kernel websocket) runs the lesson with one exercise answered; the contents API saves it.
3. The instructor changes the lesson's title, adds a file, and pushes; the students pull again.
   Each student's answer is still there (nbgitpuller merges and keeps local changes) and the
   update arrived where it did not conflict.
4. `adlab progress` reads the three homes: right, wrong, right.

Everything started is stopped: the user servers through the REST API, the hub by its process
id (it stops its proxy), then the proxy by its pid file if it is still there; the ports are free
afterwards. Printed: hub start time, time for three students to pull and run the lesson, peak
memory of each student's kernel.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import nbformat
import pytest

from adlab.classroom import format_progress_table, hub_link, progress_table, write_course_repo
from classroom_support import answer, check_cell_after, exercise_lesson, require

pytestmark = pytest.mark.hub

BIN = Path(sys.executable).parent
STUDENTS = 3
START_TIMEOUT = 120  # seconds: hub, and each user server, on a busy machine
TARGET = "course"  # the folder nbgitpuller pulls into, in each student's home


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    """Nothing listens on the port (connections in TIME_WAIT do not count: servers bind with SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Hub:
    """JupyterHub in a temporary folder, driven through its REST API with a service token."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.token = secrets.token_hex(32)
        self.port, self.api_port, self.hub_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "jupyterhub_config.py"
        config.write_text(f"""
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {self.hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}
c.Spawner.start_timeout = {START_TIMEOUT}
c.Spawner.http_timeout = {START_TIMEOUT}
c.JupyterHub.services = [{{"name": "adlab-test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "adlab-test", "services": ["adlab-test"],
                             "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
""")
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", ADLAB_PROGRESS="1")
        env.pop("NBGRADER_EXECUTION", None)
        self.log = open(folder / "jupyterhub.log", "w")
        started = time.perf_counter()
        self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=folder, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, "jupyterhub exited:\n" + self.log_text()
            try:
                self.request("GET", "/hub/api/")
                break
            except (OSError, urllib.error.URLError):
                assert time.monotonic() < deadline, "jupyterhub did not answer:\n" + self.log_text()
                time.sleep(0.2)
        self.start_time = time.perf_counter() - started

    def log_text(self):
        self.log.flush()
        return (self.folder / "jupyterhub.log").read_text()[-5000:]

    def request(self, method, path, body=None, timeout=60, raw=False):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        response = urllib.request.urlopen(request, timeout=timeout)
        if raw:
            return response
        with response:
            text = response.read()
        return json.loads(text) if text else None

    def start_server(self, name):
        self.request("POST", f"/hub/api/users/{name}/server")

    def wait_ready(self, name):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            server = self.request("GET", f"/hub/api/users/{name}")["servers"].get("", {})
            if server.get("ready"):
                return
            assert time.monotonic() < deadline, f"{name}'s server did not start:\n" + self.log_text()
            time.sleep(0.3)

    def stop_servers(self, names):
        for name in names:
            try:
                self.request("DELETE", f"/hub/api/users/{name}/server")
            except urllib.error.HTTPError:
                pass
        deadline = time.monotonic() + 60
        for name in names:
            while time.monotonic() < deadline:
                try:
                    if not self.request("GET", f"/hub/api/users/{name}")["servers"]:
                        break
                except urllib.error.HTTPError:
                    break
                time.sleep(0.3)
            try:
                self.request("DELETE", f"/hub/api/users/{name}")
            except urllib.error.HTTPError:
                pass

    def stop(self):
        """The hub by its pid (it stops its proxy); then the proxy by its pid file if it outlived the hub."""
        proxy_pid_file = self.folder / "proxy.pid"
        proxy_pid = int(proxy_pid_file.read_text()) if proxy_pid_file.exists() else None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if proxy_pid and pid_alive(proxy_pid):
            os.kill(proxy_pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while pid_alive(proxy_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        self.log.close()
        return proxy_pid


class Student:
    """One student's session on their own server, reached through the hub's proxy."""

    def __init__(self, hub: Hub, name: str):
        self.hub, self.name, self.base = hub, name, f"/user/{name}"

    def pull(self, repo, branch="main"):
        """nbgitpuller's API: the pull's server-sent events, until 'finished' (or an error)."""
        query = urlencode({"repo": repo, "branch": branch, "targetpath": TARGET})
        events = []
        with self.hub.request("GET", f"{self.base}/git-pull/api?{query}", raw=True, timeout=120) as stream:
            for line in stream:
                line = line.decode().strip()
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    events.append(event)
                    if event.get("phase") in ("finished", "error"):
                        break
        assert events and events[-1]["phase"] == "finished", events[-3:]
        return events

    def read(self, path):
        return nbformat.from_dict(self.hub.request("GET", f"{self.base}/api/contents/{quote(path)}")["content"])

    def save(self, path, notebook):
        self.hub.request("PUT", f"{self.base}/api/contents/{quote(path)}",
                         {"type": "notebook", "format": "json", "content": notebook})

    def run(self, path, notebook):
        """Run every code cell on a kernel of the student's server, outputs into the notebook; peak RSS (KiB)."""
        import websocket

        session = self.hub.request("POST", f"{self.base}/api/sessions",
                                   {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        kernel = session["kernel"]["id"]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.hub.port}{self.base}/api/kernels/{kernel}/channels",
            header=[f"Authorization: token {self.hub.token}"], timeout=180)
        session_id = uuid.uuid4().hex
        try:
            for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), 1):
                cell.outputs = self._execute(ws, session_id, cell.source)
                cell.execution_count = count
                errors = [o for o in cell.outputs if o.output_type == "error"]
                assert not errors, f"{self.name}: {errors[0].ename}: {errors[0].evalue} in\n{cell.source}"
            outputs = self._execute(ws, session_id, "import resource\n"
                                    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
            peak = int(outputs[0].text)
        finally:
            ws.close()
            self.hub.request("DELETE", f"{self.base}/api/sessions/{session['id']}")
        return peak

    @staticmethod
    def _execute(ws, session_id, code):
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "student", "session": session_id,
                       "msg_type": "execute_request", "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        outputs, idle, replied = [], False, False
        while not (idle and replied):
            frame = ws.recv()
            if isinstance(frame, bytes):  # a message with binary buffers (widgets): not an output
                continue
            msg = json.loads(frame)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if msg["channel"] == "shell" and kind == "execute_reply":
                replied = True
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in ("stream", "display_data", "execute_result", "error"):
                output = nbformat.v4.output_from_msg(msg)
                if kind == "stream" and outputs and outputs[-1].output_type == "stream" \
                        and outputs[-1].name == output.name:
                    outputs[-1].text += output.text
                else:
                    outputs.append(output)
        return outputs


def test_three_students_on_a_real_hub(tmp_path):
    require(shutil.which("jupyterhub", path=str(BIN)), "jupyterhub (pip install jupyterhub)")
    require(shutil.which("configurable-http-proxy"), "configurable-http-proxy (npm install -g configurable-http-proxy)")
    require(shutil.which("git"), "git")
    try:
        import nbgitpuller  # noqa: F401
        import websocket  # noqa: F401
    except ImportError as error:
        require(False, f"{error.name} (pip install nbgitpuller websocket-client)")

    # The instructor's course repository (student copies, no solutions) and its remote.
    lesson = exercise_lesson(tmp_path / "lessons")
    instructor = nbformat.read(lesson, as_version=4)
    written, first = write_course_repo(tmp_path / "course", lessons=[lesson])
    assert first and [p.name for p in written] == [lesson.name]
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "course"), str(tmp_path / "course.git")],
                   check=True)
    repo = f"file://{tmp_path / 'course.git'}"

    prefix = f"adlab-{secrets.token_hex(3)}-"
    names = [f"{prefix}s{k}" for k in range(1, STUDENTS + 1)]
    homes = [Path("/tmp") / name for name in names]
    assert not any(home.exists() for home in homes)
    hub = Hub(tmp_path)
    ports = (hub.port, hub.api_port, hub.hub_port)
    figures = {"hub start": f"{hub.start_time:.1f} s"}
    try:
        link = hub_link(hub.url, repo, branch="main", lesson=lesson.name, targetpath=TARGET)
        assert link.startswith(f"{hub.url}/hub/user-redirect/git-pull?repo=")
        hub.request("POST", "/hub/api/users", {"usernames": names})
        started = time.perf_counter()
        for name in names:
            hub.start_server(name)
        for name in names:
            hub.wait_ready(name)
        figures["3 servers spawned"] = f"{time.perf_counter() - started:.1f} s"

        # Each student: pull, answer one exercise (s2 wrongly), run the lesson, save. All at once.
        students = [Student(hub, name) for name in names]
        path = f"{TARGET}/{lesson.name}"
        results, failures = {}, []

        def lesson_for(student, k):
            try:
                student.pull(repo)
                notebook = student.read(path)
                index = answer(notebook, instructor, 0, right=(k != 1), note=f"answered by {student.name}")
                peak = student.run(path, notebook)
                student.save(path, notebook)
                results[student.name] = (index, notebook, peak)
            except BaseException as error:  # reported below, in the test's thread
                failures.append((student.name, error))

        started = time.perf_counter()
        threads = [threading.Thread(target=lesson_for, args=(s, k)) for k, s in enumerate(students)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not failures, failures[0][1]
        figures["3 students pull + run the lesson"] = f"{time.perf_counter() - started:.1f} s"
        figures["peak kernel memory"] = ", ".join(f"{results[n][2] / 1024:.0f} MiB" for n in names)

        for k, name in enumerate(names):
            index, notebook, _ = results[name]
            check = notebook.cells[check_cell_after(notebook, index)]
            verdict = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in check.outputs)
            assert verdict.startswith("✗" if k == 1 else "✓"), verdict
        exercise_id = json.loads((homes[0] / TARGET / ".adlab-progress.json").read_text())["exercises"]
        table = format_progress_table(*progress_table(homes))
        exercises, rows = progress_table(homes)
        first_exercise = exercises[0]
        assert [cells[first_exercise] for _, cells in rows] == ["done", "wrong", "done"], table
        assert set(exercise_id) == {first_exercise}

        # The instructor changes the title and adds a file, and pushes; the students pull again.
        updated = nbformat.read(lesson, as_version=4)
        title = updated.cells[0].source.splitlines()[0]
        updated.cells[0].source = updated.cells[0].source.replace(title, title + " (updated)", 1)
        nbformat.write(updated, lesson)
        extra = tmp_path / "lessons" / "99_notice.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Notice\n\nNew.")]), extra)
        _, second = write_course_repo(tmp_path / "course", lessons=[lesson, extra], message="Update")
        assert second and second != first
        subprocess.run(["git", "-C", str(tmp_path / "course"), "push", "-q", repo, "main"], check=True)
        started = time.perf_counter()
        for student in students:
            student.pull(repo)
        figures["3 students pull the update"] = f"{time.perf_counter() - started:.1f} s"
        for student in students:
            notebook = student.read(path)
            index = results[student.name][0]
            assert notebook.cells[index].source.startswith(f"# answered by {student.name}\n")
            assert notebook.cells[index].source == results[student.name][1].cells[index].source
            assert notebook.cells[0].source.splitlines()[0] == title + " (updated)"
            assert student.read(f"{TARGET}/{extra.name}").cells[0].source.startswith("# Notice")
        print("\n" + table + "\n" + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    finally:
        try:
            hub.stop_servers(names)
        finally:
            proxy_pid = hub.stop()
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)
    assert hub.process.returncode is not None
    assert proxy_pid is None or not pid_alive(proxy_pid)
    deadline = time.monotonic() + 10
    while not all(map(port_is_free, ports)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(map(port_is_free, ports)), ports
