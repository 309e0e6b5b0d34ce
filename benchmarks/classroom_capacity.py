"""Classroom capacity, measured on a real JupyterHub on this machine: what one student costs, and a class.

Run from the repository root, in the test environment (`pip install -e ".[test]"`, plus
configurable-http-proxy from npm), as the user who will own the students' /tmp homes:

    python benchmarks/classroom_capacity.py                   # every lesson, then 1, 2, 4 students at once
    python benchmarks/classroom_capacity.py --quick           # lesson 1 only, 1 student at once (a smoke run)
    python benchmarks/classroom_capacity.py --json figures.json --together 1,2,4,6
    python benchmarks/classroom_capacity.py --from-json figures.json --class-size 60   # tables again

It starts the hub the hub test starts (tests/test_hub.py's `Hub` and `Student`: dummy
authenticator, one jupyterhub-singleuser process per student, configurable-http-proxy), publishes
the student copies with `adlab course-repo`'s function and has each student pull them with
nbgitpuller, as in class. Then:

1. **Each lesson, alone.** One student presses Run All on the student copy (stubs in place:
   every check waits) and on the instructor version (the solutions: every check runs); each run
   gets a fresh kernel. Measured inside the kernel after the last cell: peak RSS (VmHWM; not
   `ru_maxrss`, see PROBE), its anonymous part at the end (RssAnon: what no other kernel shares,
   unlike the shared libraries' pages), CPU seconds (user + system, all threads, from the
   kernel's start: its imports count). Outside: the student's jupyterhub-singleuser server's RSS
   and CPU seconds.
2. **Students at once.** k students press Run All on the same lesson at the same moment (k from
   `--together`), for the lightest and the heaviest lesson of step 1 by CPU. Measured: wall time
   until the last one finishes, each kernel's CPU, and the peak of the summed RSS of all the
   students' processes (servers and kernels, sampled every 0.2 s), the hub's and the proxy's RSS.
3. **30 students (or `--class-size`) at once**, every lesson, scaled from step 1 (see `scale`):
   memory adds up (each student has their own server and kernel); the CPU seconds of a Run All
   add up and are shared by the cores, so the class waits about students × CPU seconds / cores.
   Step 2 checks the premise on this machine: a kernel's CPU seconds and a student's memory do
   not change with the number of students at once.

Prints Markdown (the tables of docs/scaling.md); `--json PATH` also writes the raw figures. Nothing
is asserted: this is a measurement. Everything started is stopped; the homes /tmp/NAME are removed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from adlab.classroom import write_course_repo  # noqa: E402
from adlab.course import instructor_lesson_paths  # noqa: E402
from test_hub import TARGET, Hub, Student  # noqa: E402

MIB = 1024 * 1024
# The last cell of every run: the kernel's own account of what the Run All cost it.
# Peak memory is VmHWM, the high-water mark of the kernel's own address space: ru_maxrss would not do,
# since Linux carries it over from the process that forked the kernel (the jupyterhub-singleuser
# server, about 165 MiB) through exec, so every kernel would seem to peak at least at its server's size.
PROBE = """import resource as _resource
_usage = _resource.getrusage(_resource.RUSAGE_SELF)
_status = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in open("/proc/self/status")) if k.startswith(("Vm", "Rss"))}
print(_usage.ru_utime + _usage.ru_stime, _status["VmHWM"], _status["RssAnon"], _status["RssFile"], _usage.ru_maxrss)"""


def machine():
    """Date, host and hardware of this run, for the table's caption."""
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    with open("/etc/os-release") as release:
        system = dict(line.rstrip().split("=", 1) for line in release if "=" in line).get("PRETTY_NAME", "").strip('"')
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(),
            "cpu": model, "memory_gib": round(psutil.virtual_memory().total / 1024 ** 3, 1), "system": system,
            "python": platform.python_version(), "load_before": os.getloadavg()[0]}


class Servers:
    """The students' jupyterhub-singleuser processes (children of the hub), found by their JUPYTERHUB_USER."""

    def __init__(self, hub):
        self.hub = psutil.Process(hub.process.pid)

    def server(self, name):
        for child in self.hub.children(recursive=True):
            try:
                if child.environ().get("JUPYTERHUB_USER") == name and "singleuser" in " ".join(child.cmdline()):
                    return child
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        raise LookupError(f"no jupyterhub-singleuser process for {name}")

    def family_rss(self, servers):
        """Summed RSS (bytes) of these servers and everything they started (the kernels)."""
        total = 0
        for server in servers:
            try:
                for process in [server, *server.children(recursive=True)]:
                    total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


def cpu_seconds(process):
    times = process.cpu_times()
    return times.user + times.system


def run_all(student, path, notebook):
    """Run every cell on a fresh kernel of the student's server; the kernel's figures and the wall time."""
    notebook = copy.deepcopy(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    started = time.perf_counter()
    student.run(path, notebook)
    wall = time.perf_counter() - started
    cpu, peak_kib, anon_kib, file_kib, maxrss_kib = notebook.cells[-1].outputs[0]["text"].split()
    return {"wall_s": wall, "cpu_s": float(cpu), "peak_mib": int(peak_kib) / 1024, "anon_mib": int(anon_kib) / 1024,
            "file_mib": int(file_kib) / 1024, "ru_maxrss_mib": int(maxrss_kib) / 1024}


def lesson_alone(servers, student, lesson, instructor_notebook):
    """Step 1 for one lesson: Run All of the student copy, then of the instructor version."""
    server = servers.server(student.name)
    figures = {}
    for version, path in (("student", f"{TARGET}/{lesson}"), ("instructor", f"instructor/{lesson}")):
        notebook = student.read(path) if version == "student" else instructor_notebook
        before = cpu_seconds(server)
        figures[version] = run_all(student, path, notebook)
        figures[version]["server_cpu_s"] = cpu_seconds(server) - before
        figures[version]["server_mib"] = server.memory_info().rss / MIB
    return figures


def together(hub, servers, students, lesson):
    """Step 2: these students press Run All on the lesson's student copy at the same moment."""
    path = f"{TARGET}/{lesson}"
    notebooks = [student.read(path) for student in students]
    family = [servers.server(student.name) for student in students]
    hub_process = psutil.Process(hub.process.pid)
    proxy_pid = int((hub.folder / "proxy.pid").read_text())
    proxy = psutil.Process(proxy_pid)
    results, failures, peak = [None] * len(students), [], [servers.family_rss(family)]
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peak[0] = max(peak[0], servers.family_rss(family))

    def press(k):
        try:
            results[k] = run_all(students[k], path, notebooks[k])
        except BaseException as error:  # reported below
            failures.append((students[k].name, error))

    sampler = threading.Thread(target=sample)
    sampler.start()
    hub_cpu, proxy_cpu = cpu_seconds(hub_process), cpu_seconds(proxy)
    server_cpu = [cpu_seconds(server) for server in family]
    started = time.perf_counter()
    threads = [threading.Thread(target=press, args=(k,)) for k in range(len(students))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if failures:
        raise RuntimeError(f"{failures[0][0]}: {failures[0][1]}")
    return {"students": len(students), "wall_s": wall,
            "kernel_cpu_s": [r["cpu_s"] for r in results], "kernel_peak_mib": [r["peak_mib"] for r in results],
            "server_cpu_s": sum(cpu_seconds(s) for s in family) - sum(server_cpu),
            "hub_cpu_s": cpu_seconds(hub_process) - hub_cpu, "proxy_cpu_s": cpu_seconds(proxy) - proxy_cpu,
            "peak_total_mib": peak[0] / MIB, "hub_mib": hub_process.memory_info().rss / MIB,
            "proxy_mib": proxy.memory_info().rss / MIB}


def scale(report, class_size):
    """Step 3: a class of class_size pressing Run All on each lesson at once, from steps 1 and 2.

    Memory adds up: each student has a server and a kernel at its peak, plus one hub and one proxy.
    CPU seconds add up (step 2 shows a kernel's CPU seconds do not change with the crowd), and the
    cores share them: on c cores the class waits about class_size × CPU / c seconds, never less than
    one student's own CPU seconds (a lesson's kernel is one Python thread).
    """
    shared_mib = max(run["hub_mib"] + run["proxy_mib"] for runs in report["together"].values() for run in runs)
    rows = {}
    for lesson, figures in report["alone"].items():
        student = figures["student"]
        memory = student["server_mib"] + student["peak_mib"]
        cpu = student["cpu_s"] + student["server_cpu_s"]
        rows[lesson] = {"student_mib": memory, "student_cpu_s": cpu,
                        "class_gib": (class_size * memory + shared_mib) / 1024, "class_cpu_s": class_size * cpu,
                        "class_wall_s": {cores: max(cpu, class_size * cpu / cores) for cores in (2, 4, 8, 16)}}
    return rows


def markdown(report, class_size):
    info = report["machine"]
    lines = [f"Measured {info['date']} on {info['cores']} cores ({info['cpu']}), {info['memory_gib']} GiB, "
             f"{info['system']}, Python {info['python']}; load average before the run {info['load_before']:.1f}.", "",
             "| lesson | kernel peak (MiB): student copy / instructor | of it private (MiB) | kernel CPU s: "
             "student copy / instructor | server RSS (MiB) | server CPU s |", "|---|---|---|---|---|---|"]
    for lesson, figures in report["alone"].items():
        s, i = figures["student"], figures["instructor"]
        lines.append(f"| {lesson} | {s['peak_mib']:.0f} / {i['peak_mib']:.0f} | {max(s['anon_mib'], i['anon_mib']):.0f} "
                     f"| {s['cpu_s']:.1f} / {i['cpu_s']:.1f} | {max(s['server_mib'], i['server_mib']):.0f} "
                     f"| {max(s['server_cpu_s'], i['server_cpu_s']):.1f} |")
    lines += ["", "| lesson | students at once | wall s | kernel CPU s, each | servers' CPU s | hub + proxy CPU s | "
              "peak RSS of all students (MiB) | per student (MiB) |", "|---|---|---|---|---|---|---|---|"]
    for lesson, runs in report["together"].items():
        for run in runs:
            cpus = run["kernel_cpu_s"]
            lines.append(f"| {lesson} | {run['students']} | {run['wall_s']:.1f} | "
                         f"{'–'.join(dict.fromkeys(f'{c:.1f}' for c in (min(cpus), max(cpus))))} | "
                         f"{run['server_cpu_s']:.1f} | "
                         f"{run['hub_cpu_s'] + run['proxy_cpu_s']:.1f} | {run['peak_total_mib']:.0f} | "
                         f"{run['peak_total_mib'] / run['students']:.0f} |")
    lines += ["", f"| lesson | a student: MiB, CPU s | {class_size} students at once: GiB | CPU s | "
              "wait on 2 / 4 / 8 / 16 cores (s) |", "|---|---|---|---|---|"]
    for lesson, row in scale(report, class_size).items():
        walls = " / ".join(f"{row['class_wall_s'][cores]:.0f}" for cores in (2, 4, 8, 16))
        lines.append(f"| {lesson} | {row['student_mib']:.0f}, {row['student_cpu_s']:.1f} | {row['class_gib']:.1f} | "
                     f"{row['class_cpu_s']:.0f} | {walls} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="lesson 1 only, one student at once (a smoke run)")
    parser.add_argument("--lessons", help="lesson numbers to measure, e.g. 1,8 (default: all)")
    parser.add_argument("--together", default="1,2,4", help="how many students press Run All at once (default 1,2,4)")
    parser.add_argument("--class-size", type=int, default=30, help="the class the figures are scaled to (default 30)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--from-json", type=Path, help="print the tables of figures an earlier run wrote; measure nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        print(markdown(report, args.class_size))
        return report
    for command in ("jupyterhub", "configurable-http-proxy", "git"):
        if not (shutil.which(command) or shutil.which(command, path=str(Path(sys.executable).parent))):
            parser.error(f"the command {command} is missing: install the test extra and configurable-http-proxy "
                         f"(README.md's test command).")
    lessons = instructor_lesson_paths()
    if args.quick:
        lessons, crowd_sizes = lessons[:1], [1]
    else:
        crowd_sizes = sorted({int(k) for k in args.together.split(",")})
        if args.lessons:
            wanted = {int(n) for n in args.lessons.split(",")}
            lessons = [p for p in lessons if int(p.name[:2]) in wanted]
    report = {"machine": machine(), "alone": {}, "together": {}}
    folder = Path(tempfile.mkdtemp(prefix="adlab-capacity-"))
    names = [f"adlab-cap-{secrets.token_hex(3)}-s{k}" for k in range(1, max(crowd_sizes) + 1)]
    hub = None
    try:
        write_course_repo(folder / "course", lessons=lessons)
        subprocess.run(["git", "clone", "-q", "--bare", str(folder / "course"), str(folder / "course.git")], check=True)
        repo = f"file://{folder / 'course.git'}"
        hub = Hub(folder)
        servers = Servers(hub)
        hub.request("POST", "/hub/api/users", {"usernames": names})
        for name in names:
            hub.start_server(name)
        for name in names:
            hub.wait_ready(name)
        students = [Student(hub, name) for name in names]
        for student in students:
            student.pull(repo)
            hub.request("PUT", f"{student.base}/api/contents/instructor", {"type": "directory"})
        first = students[0]
        for lesson in lessons:
            instructor = nbformat.read(lesson, as_version=4)
            first.save(f"instructor/{lesson.name}", instructor)
            report["alone"][lesson.stem] = lesson_alone(servers, first, lesson.name, instructor)
            print(f"{lesson.stem}: {json.dumps(report['alone'][lesson.stem])}", file=sys.stderr, flush=True)
        by_cpu = sorted(report["alone"], key=lambda stem: report["alone"][stem]["student"]["cpu_s"])
        for stem in dict.fromkeys([by_cpu[0], by_cpu[-1]]):
            report["together"][stem] = []
            for k in crowd_sizes:
                run = together(hub, servers, students[:k], f"{stem}.ipynb")
                report["together"][stem].append(run)
                print(f"{stem} × {k}: {json.dumps(run)}", file=sys.stderr, flush=True)
    finally:
        if hub is not None:
            try:
                hub.stop_servers(names)
            except (OSError, urllib.error.URLError):
                pass
            hub.stop()
        for name in names:
            shutil.rmtree(Path("/tmp") / name, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    print(markdown(report, args.class_size))
    return report


if __name__ == "__main__":
    main()
