"""The `adlab` command: student copies of the lessons, and the classroom tools around them.

    adlab lessons DIR                 student copies of every lesson (never over a student's changes)
    adlab hub-link --hub URL --repo URL [--branch B] [--lesson PATH]   the nbgitpuller link
    adlab course-repo DIR [--lessons L]  a git repository of student copies, committed, for nbgitpuller
    adlab nbgrader-source COURSE_DIR  an nbgrader course folder (source/ notebooks with metadata)
    adlab collect COURSE_DIR HOME... [--hub-users FILE]  the students' copies from their homes into submitted/
    adlab progress DIR... [--lesson N] the class table: student × exercise (done / wrong / shown / not tried)
    adlab answers STUDENT [--lesson N] a student's own numbers and expected answers (office hours, regrades)
    adlab minutes [--lessons DIR]     each lesson's time by the course's model: reading, code, exercises, run time
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    """The `adlab` command; a reader that stops early (`adlab lessons DIR | head`) is not an error."""
    try:
        return _main(argv)
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        return 0


def _main(argv=None):
    parser = argparse.ArgumentParser(prog="adlab", description="adlab's course tools.")
    parser.add_argument("--version", action="version", version=f"adlab {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lessons = commands.add_parser(
        "lessons", help="write the student copies of all lessons into a folder",
        description="Write the student copies of all lessons into FOLDER. A lesson you have changed is never "
                    "overwritten: the new version is written beside it.")
    lessons.add_argument("folder", metavar="FOLDER")

    link = commands.add_parser(
        "hub-link", help="print the nbgitpuller link that pulls the course into a student's hub account",
        description="Print the nbgitpuller link for a JupyterHub: clicking it pulls REPO into the student's "
                    "home (merging, never overwriting their changes) and opens the lesson in JupyterLab.")
    link.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    link.add_argument("--repo", required=True, help="the course repository (see `adlab course-repo`)")
    link.add_argument("--branch", help="the branch to pull (the repository's default if not given)")
    link.add_argument("--lesson", help="the notebook to open, a path inside the repository")
    link.add_argument("--targetpath", help="the folder in the student's home (the repository's name if not given)")

    repo = commands.add_parser(
        "course-repo", help="write the student copies into a git repository and commit them",
        description="Write the student copies of all lessons (no solutions) into FOLDER, a git repository "
                    "(created if needed), and commit. Push it where nbgitpuller can pull it. An exercise once "
                    "released is frozen: an update that changes its answer or check cell is refused, and so is one "
                    "that would overwrite a file in FOLDER with changes not committed.")
    repo.add_argument("folder", metavar="FOLDER")
    repo.add_argument("-m", "--message", help="the commit message (default: the lessons that changed)")
    repo.add_argument("--lessons", metavar="DIR",
                      help="the folder of instructor lessons, NN_name.ipynb (default: the lessons of this clone)")

    grader = commands.add_parser(
        "nbgrader-source", help="write an nbgrader course folder from the lessons",
        description="Write COURSE_DIR/source/LESSON/LESSON.ipynb for each lesson with exercises, with nbgrader's "
                    "cell metadata from the solution/check tags, and COURSE_DIR/nbgrader_config.py (kept if "
                    "present). Then, in COURSE_DIR: nbgrader generate_assignment LESSON.")
    grader.add_argument("course_dir", metavar="COURSE_DIR")

    progress = commands.add_parser(
        "progress", help="print the class table: student × exercise, from the students' folders",
        description="Print one row per student FOLDER (its name is the student's) and a column for every exercise "
                    "of the course, one table per lesson: done, wrong, shown (the answer was shown, solved or "
                    "not) or not tried, read from every .adlab-progress.json under the folder; then each "
                    "student's counts.")
    progress.add_argument("folders", metavar="FOLDER", nargs="+")
    progress.add_argument("--lesson", type=int, help="only this lesson's exercises (a number, e.g. 5)")
    progress.add_argument("--csv", action="store_true",
                          help="one comma-separated table (every exercise, then the counts), for a spreadsheet")

    answers = commands.add_parser(
        "answers", help="print a student's own numbers and expected answers, exercise by exercise",
        description="Print, for STUDENT (their hub user name or nbgrader student id), the numbers each exercise "
                    "gives them and the answer it expects: for office hours and regrades.")
    answers.add_argument("student", metavar="STUDENT")
    answers.add_argument("--lesson", type=int, help="only this lesson's exercises (a number, e.g. 5)")

    collect = commands.add_parser(
        "collect", help="copy the students' lesson notebooks from their homes into nbgrader's submitted/",
        description="For each HOME and each assignment in COURSE_DIR/source/, copy HOME/FOLDER/LESSON.ipynb to "
                    "COURSE_DIR/submitted/STUDENT/LESSON/. STUDENT is the hub user name, the id their numbers are "
                    "drawn from: the home's folder name, less the jupyter- of The Littlest JupyterHub's homes "
                    "(/home/jupyter-NAME). A submitted notebook edited after it was collected is never "
                    "overwritten. Then: nbgrader autograde LESSON.")
    collect.add_argument("course_dir", metavar="COURSE_DIR")
    collect.add_argument("homes", metavar="HOME", nargs="+")
    collect.add_argument("--folder", dest="course_folder", default="course",
                         help="the course folder inside each home, where the hub link pulls to (default: course)")
    collect.add_argument("--assignment", action="append", metavar="LESSON",
                         help="only this assignment, e.g. 01_evaluation_trace (repeat for more)")
    collect.add_argument("--hub-users", metavar="FILE",
                         help="the hub's user names, one a line: each HOME is matched to the user whose home it is "
                              "(needed on The Littlest JupyterHub for names of 18 characters or more, whose homes "
                              "it shortens)")

    minutes = commands.add_parser(
        "minutes", help="each lesson's time by the course's model, part by part",
        description="Print each lesson's minutes as the course states them, from one model: its prose read at "
                    "a fixed pace, its shown code likewise, each exercise by its kind, and the run time its stored "
                    "outputs recorded, rounded to 5 minutes (the figures: adlab/lesson_time.py).")
    minutes.add_argument("--lessons", metavar="DIR",
                         help="the folder of instructor lessons, NN_name.ipynb (default: the lessons of this clone)")

    args = parser.parse_args(argv)
    for folder in filter(None, [getattr(args, "folder", None), getattr(args, "course_dir", None),
                                *getattr(args, "folders", []), *getattr(args, "homes", [])]):
        link = _broken_link(folder)
        if link:
            print(f"adlab {args.command}: {link}", file=sys.stderr)
            return 2
    try:
        return _run(args)
    except ModuleNotFoundError as error:
        extra = _missing_extra(args.command, error)
        if extra is None:
            raise
        print(f"adlab {args.command}: {error.name.split('.')[0]} is not installed; it comes with adlab's {extra} "
              f"extra: pip install 'adlab[{extra}]'.", file=sys.stderr)
        return 1


def _version():
    """The installed distribution's version; a source folder on the path (not installed) has adlab.__version__."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adlab")
    except PackageNotFoundError:
        from . import __version__

        return f"{__version__} (not installed: from a source folder)"


# What each extra installs that a command imports: a command says which extra it needs, not a traceback.
EXTRA_MODULES = {
    "course": {"nbformat", "sympy", "IPython", "ipywidgets", "ipykernel", "matplotlib", "graphviz",
               "graphviz_anywidget", "jupyterlab", "jupyter_server", "nbclient", "nbconvert"},
    "classroom": {"nbgrader", "jupyterhub", "nbgitpuller"},
}
COMMAND_EXTRA = {"lessons": "course", "progress": "course", "answers": "course",
                 "course-repo": "classroom", "nbgrader-source": "classroom", "collect": "classroom"}


def _missing_extra(command, error):
    """The extra to install for a module a command could not import; None if no extra brings it (a real bug)."""
    module = (error.name or "").split(".")[0]
    if module in EXTRA_MODULES["classroom"]:
        return "classroom"
    if module in EXTRA_MODULES["course"]:
        return COMMAND_EXTRA.get(command, "course")
    return None


def _broken_link(folder):
    """One sentence if the folder, or a folder above it, is a symbolic link to nothing; None otherwise."""
    import os
    from pathlib import Path

    path = Path(folder).expanduser()
    for part in [path, *path.parents]:
        if part.is_symlink() and not part.exists():
            return (f"{part} is a broken link: it points to {os.readlink(part)}, which does not exist; create that "
                    f"folder or give another one.")
    return None


def _run(args):
    if args.command == "answers":
        return _answers(args.student, args.lesson)
    if args.command == "lessons":
        return _lessons(args.folder)
    if args.command == "hub-link":
        return _hub_link(args)
    if args.command == "course-repo":
        return _course_repo(args.folder, args.message, args.lessons)
    if args.command == "collect":
        return _collect(args.course_dir, args.homes, args.course_folder, args.assignment, args.hub_users)
    if args.command == "nbgrader-source":
        return _nbgrader_source(args.course_dir)
    if args.command == "progress":
        return _progress(args.folders, args.csv, args.lesson)
    if args.command == "minutes":
        return _minutes(args.lessons)
    return 2


def _minutes(lessons_folder=None):
    from pathlib import Path

    from .course import instructor_lesson_paths
    from .lesson_time import lesson_time

    try:
        paths = sorted(Path(lessons_folder).glob("[0-9][0-9]_*.ipynb")) if lessons_folder else instructor_lesson_paths()
    except FileNotFoundError as error:
        print(f"adlab minutes: {error}", file=sys.stderr)
        return 1
    if not paths:
        print(f"adlab minutes: no lessons (NN_name.ipynb) in {lessons_folder}.", file=sys.stderr)
        return 1
    print(f"{'lesson':40} {'reading':>8} {'code':>6} {'exercises':>10} {'running':>8} {'minutes':>8}")
    total = 0
    for path in paths:
        time = lesson_time(path)
        total += time.minutes
        print(f"{path.stem:40} {time.reading:8.1f} {time.code:6.1f} {time.exercises:10.0f} {time.running:8.1f} "
              f"{time.minutes:8}")
    print(f"{'total':40} {'':8} {'':6} {'':10} {'':8} {total:8}")
    return 0


def _lessons(folder):
    from .course import write_student_copies

    if not folder.strip():
        print("adlab lessons: the folder name is empty; name the folder for the lessons, e.g. adlab lessons "
              "~/ad-course.", file=sys.stderr)
        return 2
    try:
        report = write_student_copies(folder)
    except OSError as error:
        print(f"adlab lessons: {_os_problem(error, folder)}", file=sys.stderr)
        return 1
    for path, what in report:
        print(f"{path}: {what}")
    return 0


def _os_problem(error, folder):
    """One sentence for an OSError while writing into folder: which path, and what to do."""
    path = error.filename or folder
    link = _broken_link(path)
    if link:
        return link
    if isinstance(error, FileExistsError) or isinstance(error, NotADirectoryError):
        return f"{path} is a file, not a folder; give a folder (it is created if it does not exist)."
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder where a notebook should be written; move it away or choose another folder."
    if isinstance(error, PermissionError):
        return f"no permission to write {path}; choose a folder of your own, e.g. ~/ad-course."
    return f"cannot write {path}: {error.strerror or error}."


def _hub_link(args):
    from .hub_links import hub_link  # not .classroom, which needs nbformat: a link needs no extra

    try:
        print(hub_link(args.hub, args.repo, branch=args.branch, lesson=args.lesson, targetpath=args.targetpath))
    except ValueError as error:
        print(f"adlab hub-link: {error}", file=sys.stderr)
        return 2
    return 0


def _course_repo(folder, message, lessons_folder=None):
    from .classroom import course_lessons, write_course_repo

    try:
        lessons, skipped = course_lessons(lessons_folder)
        if skipped:
            print(f"skipped (not a lesson: a lesson is named NN_name.ipynb): {', '.join(skipped)}")
        written, commit = write_course_repo(folder, lessons=lessons, message=message)
    except OSError as error:
        problem = str(error) if isinstance(error, FileNotFoundError) and not error.filename else \
            _os_problem(error, folder)
        print(f"adlab course-repo: {problem}", file=sys.stderr)
        return 1
    except (RuntimeError, ValueError) as error:
        print(f"adlab course-repo: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path}: student copy")
    print(f"committed {commit[:12]}" if commit else "nothing changed: no new commit")
    return 0


def _nbgrader_source(course_dir):
    from .classroom import write_nbgrader_source
    from .course import instructor_lesson_paths

    try:
        lessons = instructor_lesson_paths()
    except FileNotFoundError as error:
        print(f"adlab nbgrader-source: {error}", file=sys.stderr)
        return 1
    try:
        report = write_nbgrader_source(course_dir, lessons)
    except OSError as error:
        print(f"adlab nbgrader-source: {_os_problem(error, course_dir)}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"adlab nbgrader-source: {error}", file=sys.stderr)
        return 1
    for path, what in report:
        print(f"{path}: {what}" + (f" (assignment {path.parent.name})" if path.parent.parent.name == "source" else ""))
    if not report:
        print("no lesson has exercises yet: nothing to grade")
    return 0


def _collect(course_dir, homes, folder, assignments, hub_users_file=None):
    from pathlib import Path

    from .classroom import collect_submissions

    missing = [home for home in homes if not Path(home).is_dir()]
    if missing:
        print(f"adlab collect: not a folder: {', '.join(missing)}; give the students' home folders "
              f"(e.g. /home/*).", file=sys.stderr)
        return 1
    hub_users = None
    if hub_users_file is not None:
        try:
            lines = Path(hub_users_file).expanduser().read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError) as error:
            print(f"adlab collect: cannot read the hub's user names from {hub_users_file} "
                  f"({getattr(error, 'strerror', None) or error}); give a text file of names, one a line.",
                  file=sys.stderr)
            return 1
        hub_users = [line.strip() for line in lines if line.strip()]
        if not hub_users:
            print(f"adlab collect: {hub_users_file} names no hub user; give a text file of names, one a line.",
                  file=sys.stderr)
            return 1
    try:
        report = collect_submissions(course_dir, homes, folder, assignments, hub_users)
    except FileNotFoundError as error:
        print(f"adlab collect: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"adlab collect: {_os_problem(error, course_dir)}", file=sys.stderr)
        return 1
    for student, assignment, what in report:
        print(f"{student}: {what}" if assignment is None else f"{student} {assignment}: {what}")
    return 0


def _progress(folders, csv, lesson=None):
    from pathlib import Path

    from .classroom import course_exercises, format_progress_table, progress_table

    for folder in folders:
        if not Path(folder).is_dir():
            what = "does not exist" if not Path(folder).exists() else "is a file"
            print(f"adlab progress: {folder} {what}; give the students' folders, e.g. adlab progress class/*.",
                  file=sys.stderr)
            return 2
    problems = []
    exercises, rows = progress_table(folders, problems=problems, lesson=lesson)
    if not exercises:
        print(f"adlab progress: lesson {lesson} has no exercises; the lessons are {_lesson_range(course_exercises())}.",
              file=sys.stderr)
        return 2
    for path, what in problems:
        print(f"adlab progress: {path} {what}.", file=sys.stderr)
    if all(cells[e] == "not tried" for _, cells in rows for e in exercises):
        print(f"adlab progress: no progress recorded yet in these folders (no check has been run on an answer"
              f"{f' of lesson {lesson}' if lesson is not None else ''}).", file=sys.stderr)
    sys.stdout.write(format_progress_table(exercises, rows, "csv" if csv else "text"))
    return 0


def _lesson_range(exercise_ids):
    """The lessons that have exercises, as "1 to 13": from the exercise bank, so a new lesson is counted."""
    lessons = sorted({i.split(".", 1)[0] for i in exercise_ids if i.split(".", 1)[0].isdigit()}, key=int)
    return f"{lessons[0]} to {lessons[-1]}"


def _answers(student, lesson=None):
    from .exercises.bank import all_exercises
    from .exercises.notebook import answer_text, numbers_text

    chosen = [e for e in all_exercises() if lesson is None or e.id.split(".")[0] == str(lesson)]
    if not chosen:
        print(f"adlab answers: lesson {lesson} has no exercises; the lessons are "
              f"{_lesson_range(e.id for e in all_exercises())}.", file=sys.stderr)
        return 2
    for exercise in chosen:
        inputs = exercise.draw(student)
        print(f"Exercise {exercise.id}" + (f" · {exercise.title}" if exercise.title else ""))
        if inputs:
            print(f"  numbers: {numbers_text(exercise, inputs)}")
        for line in answer_text(exercise, inputs).splitlines():
            print("  " + line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
