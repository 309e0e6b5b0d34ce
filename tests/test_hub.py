"""A class on a real JupyterHub on 127.0.0.1: handed out, updated and graded without losing anyone's work.

The hub runs the configuration of docs/teaching.md (DummyAuthenticator, SimpleLocalProcessSpawner:
each student's server is a jupyterhub-singleuser process, home /tmp/NAME) behind
configurable-http-proxy. The test acts as a hub service with a token, as an admin script would,
and reaches each student's own server through the hub's proxy:

1. `adlab course-repo` writes the student copies into a git repository, pushed (the guide's first
   push) to a bare repository (file://), the course's remote.
2. Three students pull with nbgitpuller's API (`/user/NAME/git-pull/api?repo=…`, server-sent
   events) and work in the pulled copy on a kernel of their server (Jupyter's sessions API and the
   kernel websocket): one answers every exercise right, one gets one wrong, one cheats (redefines
   `check` and hides errors, test_nbgrader.CHEAT); the contents API saves their notebooks.
3. The instructor publishes an update that changes prose, adds an exercise and a lesson (accepted),
   then one that changes a released check cell (refused: nothing written, the reason given).
4. The students pull again: every answer is intact, the update arrived, and every check works when
   the lesson runs again (the first student answers the new exercise too).
5. The instructor collects the homes (`adlab collect`) and autogrades with real nbgrader: the
   expected scores; `adlab progress` shows the class.

Everything started is stopped: the user servers through the REST API, the hub by its process
id (it stops its proxy), then the proxy by its pid file if it is still there; the ports are free
afterwards. Printed: hub start time, time for the students to pull and run the lesson, peak
memory of each student's kernel, nbgrader's times and the class table.
"""

from __future__ import annotations

import json
import os
import re
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

from adlab import cli
from adlab.classroom import (ReleasedExerciseChanged, format_progress_table, hub_link, progress_table,
                             write_course_repo, write_nbgrader_source)
from classroom_support import answer, exercise_lesson, guide_script, new_exercise_cells, require, tagged
from test_nbgrader import CHEAT, nbgrader

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


def assert_everything_stopped(hub, proxy_pid, ports):
    """The hub and its proxy are gone and their ports free (connections may linger a moment in TIME_WAIT)."""
    assert hub.process.returncode is not None
    assert proxy_pid is None or not pid_alive(proxy_pid)
    deadline = time.monotonic() + 10
    while not all(map(port_is_free, ports)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(map(port_is_free, ports)), ports


GUIDE_LINES_NOT_RUN = {  # the lines of the guide's blocks this test does not run as written, and why
    "npm install -g configurable-http-proxy": "installed before the tests, by README.md's test command (without it "
                                              "this test is skipped, and fails under CI)",
    'pip install -e ".[classroom]"': "the tests run in the environment README.md's test command installs, with "
                                     "the test extra, which includes the classroom extra",
    "jupyterhub -f jupyterhub_config.py": "Hub runs the environment's jupyterhub by its full path, so the hub's PATH "
                                          "lacks the environment, as when it is not activated; its "
                                          "jupyterhub_config.py is the guide's, then the test's ports and service",
}


class Hub:
    """JupyterHub in a temporary folder, driven through its REST API with a service token.

    ``base_config`` (e.g. the guide's jupyterhub_config.py) comes first; this test's settings
    (ports, files in the folder, the service) follow it. Given one, the hub runs as the guide
    has it: its Spawner.cmd and args, and no virtual environment on PATH (not activated).
    """

    def __init__(self, folder: Path, base_config: str = ""):
        self.folder = folder
        self.token = secrets.token_hex(32)
        self.port, self.api_port, self.hub_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "jupyterhub_config.py"
        config.write_text(base_config + f"""
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
{"" if base_config else f'c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]'}
{"" if base_config else f'c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}'}
c.Spawner.start_timeout = {START_TIMEOUT}
c.Spawner.http_timeout = {START_TIMEOUT}
c.JupyterHub.services = [{{"name": "adlab-test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "adlab-test", "services": ["adlab-test"],
                             "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
""")
        path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != BIN]
        env = dict(os.environ, PATH=os.pathsep.join(path if base_config else [str(BIN), *path]), ADLAB_PROGRESS="1")
        if base_config:
            env.pop("VIRTUAL_ENV", None)
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


def verdicts(notebook):
    """{exercise id: the first line its check cell printed} of a notebook that ran."""
    found = {}
    for cell in notebook.cells:
        if tagged(cell, "check") and cell.cell_type == "code":
            text = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell.outputs)
            found[re.search(r'"(.+?)"', cell.source).group(1)] = text.strip().splitlines()[0] if text.strip() else ""
    return found


def test_a_class_on_a_real_hub(tmp_path):
    require(shutil.which("jupyterhub", path=str(BIN)), "jupyterhub (pip install jupyterhub)")
    require(shutil.which("configurable-http-proxy"), "configurable-http-proxy (npm install -g configurable-http-proxy)")
    require(shutil.which("git"), "git")
    require(shutil.which("nbgrader", path=str(BIN)), "nbgrader (pip install nbgrader)")
    try:
        import nbgitpuller  # noqa: F401
        import websocket  # noqa: F401
    except ImportError as error:
        require(False, f"{error.name} (pip install nbgitpuller websocket-client)")
    push = guide_script(__file__, "bash", GUIDE_LINES_NOT_RUN)  # the first push: the hub's block is excused
    hub_config = guide_script(__file__, "python", GUIDE_LINES_NOT_RUN)

    # The instructor's course repository (student copies, no solutions), pushed as the guide says.
    lesson = exercise_lesson(tmp_path / "lessons")
    instructor = nbformat.read(lesson, as_version=4)
    n = sum(tagged(cell, "check") for cell in instructor.cells)
    written, first = write_course_repo(tmp_path / "course", lessons=[lesson])
    assert first and [p.name for p in written] == [lesson.name]
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "course.git")], check=True)
    env = dict(os.environ, COURSE_REMOTE=str(tmp_path / "course.git"))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", push], cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    repo = f"file://{tmp_path / 'course.git'}"

    # The update the instructor will publish (prose, an exercise before the recap): nbgrader's gradebook
    # records it as the assignment while the hub starts and the students work (generate_assignment is slow).
    title = instructor.cells[0].source.splitlines()[0]
    grown = nbformat.read(lesson, as_version=4)
    grown.cells[0].source = grown.cells[0].source.replace(title, title + " (updated)", 1)
    recap = next(i for i, c in enumerate(grown.cells) if c.source.startswith("## Recap"))
    grown.cells[recap:recap] = new_exercise_cells("2.1")
    (tmp_path / "update").mkdir()
    nbformat.write(grown, tmp_path / "update" / lesson.name)
    grading, log = tmp_path / "grading", []
    (_, what), = write_nbgrader_source(grading, [tmp_path / "update" / lesson.name])
    assert what == "written"
    generate = threading.Thread(target=nbgrader, args=(f"nbgrader generate_assignment {lesson.stem}", grading, log))
    generate.start()

    prefix = f"adlab-{secrets.token_hex(3)}-"
    names = [f"{prefix}s{k}" for k in range(1, STUDENTS + 1)]
    right, partly, cheat = names
    homes = [Path("/tmp") / name for name in names]
    assert not any(home.exists() for home in homes)
    hub = Hub(tmp_path, base_config=hub_config)
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
        students = {name: Student(hub, name) for name in names}
        path = f"{TARGET}/{lesson.name}"

        def all_at_once(work):
            """work(student) for every student in threads; failures raised here, in the test's thread."""
            results, failures = {}, []

            def run(student):
                try:
                    results[student.name] = work(student)
                except BaseException as error:
                    failures.append((student.name, error))

            threads = [threading.Thread(target=run, args=(s,)) for s in students.values()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            assert not failures, f"{failures[0][0]}: {failures[0][1]!r}"
            return results

        # Each student pulls and works: all right, one exercise wrong, or the cheat and nothing answered.
        def first_session(student):
            student.pull(repo)
            notebook = student.read(path)
            if student.name == cheat:
                notebook.cells.insert(1, nbformat.v4.new_code_cell(CHEAT))
            else:
                for k in range(n):
                    answer(notebook, instructor, k, right=student.name == right or k != 1,
                           note=f"answered by {student.name}" if k == 0 else "")
            peak = student.run(path, notebook)
            student.save(path, notebook)
            return notebook, peak

        started = time.perf_counter()
        worked = all_at_once(first_session)
        figures["3 students pull + run the lesson"] = f"{time.perf_counter() - started:.1f} s"
        figures["peak kernel memory"] = ", ".join(f"{worked[name][1] / 1024:.0f} MiB" for name in names)
        exercises = list(verdicts(worked[right][0]))
        assert len(exercises) == n
        assert all(v.startswith("✓") for v in verdicts(worked[right][0]).values()), verdicts(worked[right][0])
        assert [v[:1] for v in verdicts(worked[partly][0]).values()] == ["✓" if k != 1 else "✗" for k in range(n)]
        assert set(verdicts(worked[cheat][0]).values()) == {""}, "the cheat's checks do nothing in their kernel"

        # The update that changes prose, adds an exercise (before the recap) and a lesson: accepted.
        shutil.copy(tmp_path / "update" / lesson.name, lesson)
        extra = tmp_path / "lessons" / "99_notice.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Notice\n\nNew.")]), extra)
        _, second = write_course_repo(tmp_path / "course", lessons=[lesson, extra])
        assert second and second != first
        git = lambda *args: subprocess.run(["git", "-C", str(tmp_path / "course"), *args], check=True,
                                           capture_output=True, text=True).stdout
        assert git("log", "-1", "--format=%s").strip() == f"Course update: {lesson.stem}, {extra.stem}"
        git("push", "-q")

        # One that changes a released check: refused, nothing written, and the reason given.
        published = lesson.read_bytes()
        changed = nbformat.read(lesson, as_version=4)
        first_check = next(c for c in changed.cells if tagged(c, "check"))
        first_check.source += "  # stricter"
        nbformat.write(changed, lesson)
        with pytest.raises(ReleasedExerciseChanged) as refused:
            write_course_repo(tmp_path / "course", lessons=[lesson, extra])
        assert str(refused.value).startswith(f"{lesson.stem}: exercise {exercises[0]} was released and this update "
                                             f"changes its check cell;")
        assert "new exercise id" in str(refused.value)
        assert git("rev-parse", "HEAD").strip() == second and not git("status", "--porcelain")
        lesson.write_bytes(published)

        # The students pull again: answers intact, the update in, and every check working.
        added = len(grown.cells) - len(instructor.cells)

        def second_session(student):
            student.pull(repo)
            notebook = student.read(path)
            before = worked[student.name][0]
            shift = 1 if student.name == cheat else 0
            mine = [c.source for c in before.cells if tagged(c, "solution")]
            assert [c.source for c in notebook.cells if tagged(c, "solution")][:n] == mine
            assert notebook.cells[0].source.splitlines()[0] == title + " (updated)"
            assert len(notebook.cells) == len(before.cells) + added and notebook.cells[1 + shift].source == \
                before.cells[1 + shift].source
            assert student.read(f"{TARGET}/{extra.name}").cells[0].source.startswith("# Notice")
            if student.name == right:
                answer(notebook, grown, n, right=True)
            student.run(path, notebook)
            student.save(path, notebook)
            return notebook

        started = time.perf_counter()
        again = all_at_once(second_session)
        figures["3 students pull the update + run it"] = f"{time.perf_counter() - started:.1f} s"
        assert list(verdicts(again[right])) == exercises + ["2.1"]
        assert all(v.startswith("✓") for v in verdicts(again[right]).values()), verdicts(again[right])
        assert [v[:1] for v in verdicts(again[partly]).values()][:n] == ["✓" if k != 1 else "✗" for k in range(n)]
        assert verdicts(again[partly])["2.1"].startswith("not answered yet") or "not answered yet" in \
            verdicts(again[partly])["2.1"], verdicts(again[partly])

        # The instructor collects the homes and autogrades.
        generate.join(timeout=600)
        assert any(c.startswith("nbgrader generate_assignment") for c, _ in log), "generate_assignment failed"
        assert cli.main(["collect", str(grading), *map(str, homes), "--folder", TARGET]) == 0
        nbgrader(f"nbgrader autograde {lesson.stem}", grading, log)
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{grading / 'gradebook.db'}") as gradebook:
            totals = {name: gradebook.find_submission(lesson.stem, name).score for name in names}
            max_score = gradebook.find_assignment(lesson.stem).max_score
        assert max_score == n + 1
        assert totals == {right: n + 1, partly: n - 1, cheat: 0}, totals
        figures.update({c.split()[1]: f"{t:.1f} s" for c, t in log})

        # adlab progress: the class, from the homes.
        table_exercises, rows = progress_table(homes)
        table = format_progress_table(table_exercises, rows)
        cells = dict(rows)
        assert all(cells[right][e] == "done" for e in exercises + ["2.1"]), table
        assert [cells[partly][e] for e in exercises] == ["done" if k != 1 else "wrong" for k in range(n)], table
        assert all(cells[cheat].get(e, "not tried") == "not tried" for e in exercises), table
        print("\n" + table + "\n" + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    finally:
        try:
            hub.stop_servers(names)
        finally:
            proxy_pid = hub.stop()
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)
            generate.join(timeout=600)
    assert_everything_stopped(hub, proxy_pid, ports)
