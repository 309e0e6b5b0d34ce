"""The `adlab` command: student copies of the lessons (more subcommands for classrooms)."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="adlab", description="adlab's course tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lessons = commands.add_parser(
        "lessons", help="write the student copies of all lessons into a folder",
        description="Write the student copies of all lessons into FOLDER. A lesson you have changed is never "
                    "overwritten: the new version is written beside it.")
    lessons.add_argument("folder", metavar="FOLDER")
    args = parser.parse_args(argv)
    if args.command == "lessons":
        return _lessons(args.folder)
    return 2


def _lessons(folder):
    from .course import write_student_copies

    try:
        report = write_student_copies(folder)
    except OSError as error:
        print(f"adlab lessons: cannot write into {folder}: {error.strerror or error}.", file=sys.stderr)
        return 1
    for path, what in report:
        print(f"{path}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
