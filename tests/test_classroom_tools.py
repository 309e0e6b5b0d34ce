"""The small classroom tools as an instructor meets them: hub-link's refusals, --version, a missing extra,
broken links, unreadable progress files, and the class progress table (every exercise, CSV quoted)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from adlab import cli
from adlab.classroom import course_exercises, format_progress_table, hub_link, progress_table
from adlab.exercises import feedback
from adlab.exercises.bank import all_exercises
from adlab.exercises.feedback import PROGRESS_FILE, Result, record

ROOT = Path(__file__).resolve().parents[1]
COURSE = [exercise.id for exercise in all_exercises()]


def one_sentence_error(capsys, argv, code=2):
    """Run the command; it must fail with `code` and one line on stderr (no traceback), which is returned."""
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err and captured.out == "", captured
    assert lines[0].startswith(f"adlab {argv[0]}: ") and lines[0].endswith(".")
    return lines[0]


# -- hub-link ----------------------------------------------------------------------------------

HUB, REPO = "https://hub.example.edu", "https://github.com/you/course"


@pytest.mark.parametrize("hub, says", [
    ("http://hub:99999", "a port is a number from 1 to 65535"),
    ("http://hub:0", "'0'"),
    ("http://hub:eighty", "'eighty'"),
    ("https://admin:secret@hub.example.edu", "user name or password"),
    ("https://", "no host"),
])
def test_hub_link_refuses_a_hub_address_that_cannot_work(capsys, hub, says):
    assert says in one_sentence_error(capsys, ["hub-link", "--hub", hub, "--repo", REPO])


@pytest.mark.parametrize("repo, says", [
    ("github.com/you/course", "add https:// (https://github.com/you/course)"),
    ("git@github.com:you/course.git", "SSH address, which students' servers cannot clone (they hold no key); "
                                      "give its https:// address, e.g. https://github.com/you/course.git"),
    ("ssh://git@github.com:22/you/course.git", "SSH address, which students' servers cannot clone (they hold no "
                                               "key); give its https:// address, e.g. https://github.com/you/course.git"),
    ("/srv/course", "file:///srv/course"),
    ("localhost:8000/course", "add https://"),
    ("ftp://example.edu/course", "ftp://"),
    ("https:///you/course", "no host"),
    ("https://github.com:99999/you/course", "from 1 to 65535"),
    ("https://github.com/you/course/tree/main", "give https://github.com/you/course (and the branch with --branch)"),
    ("https://gitlab.com/you/course/-/blob/main/01.ipynb", "give https://gitlab.com/you/course "),
])
def test_hub_link_refuses_a_repository_a_student_server_cannot_pull(capsys, repo, says):
    assert says in one_sentence_error(capsys, ["hub-link", "--hub", HUB, "--repo", repo])


@pytest.mark.parametrize("option, value, says", [
    ("--lesson", "/home/jovyan/course/01_evaluation_trace.ipynb", "absolute path"),
    ("--lesson", "~/course/01_evaluation_trace.ipynb", "absolute path"),
    ("--lesson", "../other/01_evaluation_trace.ipynb", "climbs out"),
    ("--lesson", "lessons\\01_evaluation_trace.ipynb", "separate folders with /"),
    ("--targetpath", "/home/jovyan/course", "absolute path"),
    ("--targetpath", ".", "names no file or folder"),
    ("--targetpath", "../course", "climbs out"),
    ("--branch", "my branch", "not a branch name"),
    ("--branch", "-f", "not a branch name"),
    ("--branch", "main..dev", "not a branch name"),
])
def test_hub_link_refuses_paths_and_branches_that_lead_nowhere(capsys, option, value, says):
    assert says in one_sentence_error(capsys, ["hub-link", "--hub", HUB, "--repo", REPO, f"{option}={value}"])


def test_hub_link_still_makes_the_links_that_work():
    def query(*args, **kwargs):
        return parse_qs(urlsplit(hub_link(*args, **kwargs)).query)

    # a hub with a port (IPv6 too) and a base path; a lesson path written loosely; a local repository
    link = hub_link("http://[::1]:8000/jupyter/hub/login", "file:///srv/course", lesson="./lessons//01.ipynb")
    assert link.startswith("http://[::1]:8000/jupyter/hub/user-redirect/git-pull?")
    assert parse_qs(urlsplit(link).query)["urlpath"] == ["lab/tree/course/lessons/01.ipynb"]
    assert query(HUB, REPO + ".git", branch="fall-2026/week.1", targetpath="ad/course") == {
        "repo": [REPO + ".git"], "branch": ["fall-2026/week.1"], "urlpath": ["lab/tree/ad/course"],
        "targetpath": ["ad/course"]}
    assert query(HUB, "git://example.edu/course", lesson="my lesson.ipynb")["urlpath"] == [
        "lab/tree/course/my lesson.ipynb"]


# -- --version, a missing extra --------------------------------------------------------------


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"adlab {version('adlab')}\n"


WITHOUT_EXTRAS = """
import sys
# adlab installed without its extras (pip install adlab): their modules cannot be imported
for name in ("nbformat", "sympy", "IPython", "ipywidgets", "ipykernel", "matplotlib", "graphviz",
             "graphviz_anywidget", "jupyterlab", "jupyter_server", "nbclient", "nbconvert", "nbgrader",
             "jupyterhub", "nbgitpuller"):
    sys.modules[name] = None
from adlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv, extra", [
    (["lessons", "{tmp}/lessons"], "course"),
    (["progress", "{tmp}"], "course"),
    (["answers", "ada", "--lesson", "3"], "course"),  # lesson 3's answers are SymPy's (lesson 1's need only NumPy)
    (["course-repo", "{tmp}/course"], "classroom"),
    (["nbgrader-source", "{tmp}/grading"], "classroom"),
])
def test_a_missing_extra_is_named_not_a_traceback(tmp_path, argv, extra):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    run = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, *argv], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stdout == "" or argv[0] == "answers"  # answers prints the exercises it can before the one needing SymPy
    assert run.stderr.strip().splitlines() == [
        f"adlab {argv[0]}: {'sympy' if argv[0] == 'answers' else 'nbformat'} is not installed; it comes with "
        f"adlab's {extra} extra: pip install 'adlab[{extra}]'."]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing half-written


def test_hub_link_needs_no_extra(tmp_path):
    """An instructor's `pip install adlab` can make the links: hub-link imports nothing an extra brings."""
    run = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS, "hub-link", "--hub", HUB, "--repo", REPO],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == hub_link(HUB, REPO) + "\n"


def test_answers_of_a_lesson_without_exercises_names_the_course_lessons(capsys):
    lessons = sorted({int(exercise.split(".")[0]) for exercise in COURSE})
    message = one_sentence_error(capsys, ["answers", "ada", "--lesson", str(lessons[-1] + 1)])
    assert message == (f"adlab answers: lesson {lessons[-1] + 1} has no exercises; the lessons are "
                       f"{lessons[0]} to {lessons[-1]}.")


def test_a_module_no_extra_brings_is_a_real_error(monkeypatch):
    def broken(*args):
        raise ModuleNotFoundError("No module named 'adlab_typo'", name="adlab_typo")

    monkeypatch.setattr(cli, "_answers", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["answers", "ada"])


# -- broken links --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["lessons", "course-repo", "nbgrader-source", "progress"])
@pytest.mark.parametrize("below", [False, True])
def test_a_dangling_link_is_a_broken_link_not_a_file(tmp_path, capsys, command, below):
    target = tmp_path / "moved-away" / "course"
    (tmp_path / "link").symlink_to(target)
    folder = tmp_path / "link" / "week1" if below else tmp_path / "link"
    error = one_sentence_error(capsys, [command, str(folder)])
    assert error == (f"adlab {command}: {tmp_path / 'link'} is a broken link: it points to {target}, which does not "
                     f"exist; create that folder or give another one.")
    assert not (tmp_path / "moved-away").exists()  # nothing written where the link points


def test_os_problem_names_a_broken_link(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    problem = cli._os_problem(FileExistsError(17, "File exists", str(tmp_path / "link")), str(tmp_path / "link"))
    assert problem.startswith(f"{tmp_path / 'link'} is a broken link: it points to {tmp_path / 'gone'}")
    (tmp_path / "file").write_text("")
    assert "is a file, not a folder" in cli._os_problem(FileExistsError(17, "File exists", str(tmp_path / "file")),
                                                         str(tmp_path / "file"))


# -- unreadable progress files -------------------------------------------------------------------


@pytest.fixture
def unreadable(monkeypatch):
    """Make a file unreadable (chmod 000). Root reads it anyway, so as root, opening it in feedback fails
    as it does for everyone else: with PermissionError for a file whose mode grants no reading."""
    real_open = open

    def strict_open(path, *args, **kwargs):
        if os.path.isfile(path) and not os.stat(path).st_mode & 0o444:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    if os.geteuid() == 0:
        monkeypatch.setattr(feedback, "open", strict_open, raising=False)

    def make(path):
        path.chmod(0)
        return path

    yield make


def test_an_unreadable_progress_file_says_why(tmp_path, capsys, unreadable):
    ada = tmp_path / "ada"
    write_progress(ada / "course", {"1.1": "done"})
    unreadable(ada / "course" / PROGRESS_FILE)
    (ada / "old" / PROGRESS_FILE).mkdir(parents=True)  # a folder where the file should be
    write_progress(ada / "copy", {"1.2": "done"})
    (ada / "copy" / PROGRESS_FILE).write_text('["not", "a", "record"]')
    assert cli.main(["progress", "--lesson", "1", str(ada)]) == 0
    err = capsys.readouterr().err
    assert (f"adlab progress: {ada / 'course' / PROGRESS_FILE} cannot be read (Permission denied); its exercises "
            f"are not counted.") in err
    assert f"{ada / 'old' / PROGRESS_FILE} cannot be read (Is a directory)" in err
    assert f"{ada / 'copy' / PROGRESS_FILE} is not a progress record (damaged or edited by hand)" in err
    assert err.count("damaged") == 1


def test_a_check_leaves_an_unreadable_progress_file_as_it_is(tmp_path, capsys, unreadable, monkeypatch):
    monkeypatch.setenv("ADLAB_PROGRESS", "1")
    path = tmp_path / PROGRESS_FILE
    path.write_text(json.dumps({"version": 1, "exercises": {"1.1": {"attempts": 4, "solved": True}}}))
    before = path.read_bytes()
    unreadable(path)
    record(Result("1.2", "correct", "right"), folder=str(tmp_path))
    record(Result("1.3", "wrong", "not yet"), folder=str(tmp_path))
    path.chmod(0o644)
    assert path.read_bytes() == before  # the student's record is not replaced by a fresh one
    out = capsys.readouterr().out
    assert out.count("cannot read") == 1 and "(Permission denied)" in out and "chmod u+rw" in out


# -- the progress table ----------------------------------------------------------------------------


def write_progress(folder, exercises):
    """exercises: {id: "done" | "wrong" | "shown" (tried, then shown) | "shown, done" | "untried entry"}."""
    entries = {}
    for exercise, what in exercises.items():
        solved = "done" in what
        entries[exercise] = {"attempts": 0 if what == "untried entry" else 2, "solved": solved,
                             "status": "done" if solved else "wrong", **({"shown": True} if "shown" in what else {})}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PROGRESS_FILE).write_text(json.dumps({"version": 1, "exercises": entries}))


def make_class(root):
    write_progress(root / "ada" / "course", {"1.1": "done", "1.2": "wrong", "10.1": "done"})
    write_progress(root / "ada" / "course" / ".ipynb_checkpoints", {"1.3": "done"})  # not hers: a copy
    write_progress(root / "grace" / "course", {"1.1": "wrong", "1.2": "shown", "1.3": "shown, done",
                                               "2.1": "done", "99.1": "done"})  # 99.1: not in this course
    write_progress(root / "alan", {"1.1": "done", "1.4": "untried entry"})
    (root / "emmy").mkdir(parents=True)
    return [root / name for name in ("ada", "alan", "emmy", "grace")]


def test_progress_lists_every_exercise_of_the_course(tmp_path):
    students = make_class(tmp_path / "class")
    exercises, rows = progress_table(students)
    assert exercises == [*COURSE, "99.1"]  # course order, then what the files hold
    assert len(COURSE) > 60 and exercises[:4] == ["1.1", "1.2", "1.3", "1.4"]
    table = {name: {e: status for e, status in cells.items() if status != "not tried"} for name, cells in rows}
    assert table == {"ada": {"1.1": "done", "1.2": "wrong", "10.1": "done"},
                     "alan": {"1.1": "done"},  # an entry without attempts is not tried
                     "emmy": {},
                     "grace": {"1.1": "wrong", "1.2": "shown", "1.3": "shown", "2.1": "done", "99.1": "done"}}
    assert all(len(cells) == len(exercises) for _, cells in rows)


def test_an_id_outside_the_course_goes_to_the_end_of_its_lesson():
    ordered = course_exercises({"7.9", "7.2", "intro", "1.10"})
    assert ordered[ordered.index("1.4") + 1] == "1.10" and ordered[-1] == "intro"
    assert ordered[ordered.index("7.6") + 1:ordered.index("7.6") + 3] == ["7.2", "7.9"]


def test_progress_text_has_a_table_per_lesson_with_counts(tmp_path, capsys):
    students = make_class(tmp_path / "class")
    assert cli.main(["progress", *map(str, students)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    text = captured.out
    assert text.startswith("done: solved; wrong: tried, not solved; shown: the answer was shown (solved or not); "
                           "-: not tried\n")
    lesson1 = text.split("Lesson 1\n")[1].split("\n\n")[0].splitlines()
    assert [line.split() for line in lesson1] == [
        ["student", "1.1", "1.2", "1.3", "1.4", "done"], ["-" * 9] + ["-" * 5] * 3 + ["---", "----"],
        ["ada", "done", "wrong", "-", "-", "1/4"], ["alan", "done", "-", "-", "-", "1/4"],
        ["emmy", "-", "-", "-", "-", "0/4"], ["grace", "wrong", "shown", "shown", "-", "0/4"],
        ["-" * 9] + ["-" * 5] * 3 + ["---", "----"],
        ["done", "2", "0", "0", "0"], ["wrong", "1", "1", "0", "0"], ["shown", "0", "1", "1", "0"],
        ["not", "tried", "1", "2", "3", "4"]]
    for exercise in COURSE:  # the default hides no exercise
        assert f" {exercise} " in text
    assert "Lesson 99\n" in text
    summary = text.split(f"Per student ({len(COURSE) + 1} exercises)\n")[1].splitlines()
    assert [line.split() for line in summary][2:] == [
        ["ada", "2", "1", "0", str(len(COURSE) - 2)], ["alan", "1", "0", "0", str(len(COURSE))],
        ["emmy", "0", "0", "0", str(len(COURSE) + 1)], ["grace", "2", "1", "2", str(len(COURSE) - 4)]]


def test_progress_of_one_lesson(tmp_path, capsys):
    students = make_class(tmp_path / "class")
    assert cli.main(["progress", "--lesson", "2", *map(str, students)]) == 0
    text = capsys.readouterr().out
    assert "Lesson 2\n" in text and "Lesson 1\n" not in text and " 1.1 " not in text
    assert "Per student (6 exercises)" in text
    assert one_sentence_error(capsys, ["progress", "--lesson", "14", *map(str, students)]) == (
        "adlab progress: lesson 14 has no exercises; the lessons are 1 to 13.")


def test_a_class_folder_given_as_one_student_is_warned_about(tmp_path, capsys):
    make_class(tmp_path / "class")
    assert cli.main(["progress", str(tmp_path / "class")]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"adlab progress: {tmp_path / 'class'} holds progress files in 3 subfolders (ada, alan, grace), counted as "
        f"one student; if they are students' folders, give them one by one (adlab progress {tmp_path / 'class'}/*)."]
    assert "\nclass " in captured.out  # the table is still printed: one row, as asked


def test_no_progress_yet_still_lists_the_class(tmp_path, capsys):
    (tmp_path / "emmy").mkdir()
    assert cli.main(["progress", "--lesson", "1", str(tmp_path / "emmy")]) == 0
    captured = capsys.readouterr()
    assert "no progress recorded yet" in captured.err
    assert ["emmy", "-", "-", "-", "-", "0/4"] in [line.split() for line in captured.out.splitlines()]


def test_progress_refuses_what_is_not_a_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("")
    assert "does not exist" in one_sentence_error(capsys, ["progress", str(tmp_path / "nobody")])
    assert "is a file" in one_sentence_error(capsys, ["progress", str(tmp_path / "notes.txt")])


def test_progress_csv_quotes_names_and_ids(tmp_path, capsys):
    odd = ["Lovelace, Ada", 'Grace "Amazing" Hopper', "Alan\nTuring"]
    for name in odd:
        write_progress(tmp_path / name, {"1.1": "done", "1.2,b": "wrong"})
    folders = [str(tmp_path / name) for name in odd]
    assert cli.main(["progress", "--csv", "--lesson", "1", *folders]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["student", "1.1", "1.2", "1.3", "1.4", "1.2,b", "done", "wrong", "shown", "not tried"]
    assert rows[1:] == [[name, "done", "not tried", "not tried", "not tried", "wrong", "1", "1", "0", "3"]
                        for name in odd]
    exercises, table = progress_table(folders, lesson=1)
    text = format_progress_table(exercises, table)
    assert "Alan\\nTuring" in text and "Alan\nTuring" not in text  # one line per student


def test_a_students_copies_are_merged_into_one_row(tmp_path, capsys):
    ada = tmp_path / "ada"
    write_progress(ada / "course", {"1.1": "wrong", "1.2": "done", "1.3": "wrong"})
    write_progress(ada / "old-copy" / "lessons", {"1.1": "done", "1.2": "shown", "1.4": "untried entry"})
    exercises, rows = progress_table([ada], lesson=1)
    assert rows == [("ada", {"1.1": "done", "1.2": "shown", "1.3": "wrong", "1.4": "not tried"})]
    assert cli.main(["progress", "--lesson", "1", str(ada)]) == 0
    assert capsys.readouterr().err == (f"adlab progress: {ada} holds progress files in 2 subfolders (course, old-copy), "
                                       f"counted as one student; if they are students' folders, give them one by one "
                                       f"(adlab progress {ada}/*).\n")
