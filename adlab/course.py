"""Student copies of the lessons: solutions replaced by stubs, never overwriting a student's work.

The instructor versions (``lessons/`` in the repository, ``adlab/lessons`` when
installed) carry their answers in cells tagged ``solution``, between nbgrader's
markers ``### BEGIN SOLUTION`` and ``### END SOLUTION``. A student copy keeps
every cell but replaces each marked region with a stub that still runs (a check cell
is only ``check("1.2")``: the answer lives in adlab.exercises.bank, not in the notebook):
``name = ...`` for an answer, a ``def`` or ``class`` whose bodies raise
NotImplementedError for code to write. Check cells then say "not answered yet",
so Run All goes through a fresh copy.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
import textwrap
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
YOUR_CODE = "# YOUR CODE HERE"
MANIFEST = ".adlab-lessons.json"  # in the students' folder: the hash of each file as adlab wrote it


def lessons_folder():
    """Where the lessons are: the installed package's student copies, or the repository's lessons/ (instructor)."""
    installed = Path(__file__).resolve().parent / "lessons"
    if any(installed.glob("*.ipynb")):
        return installed
    repository = instructor_folder()
    if repository is not None:
        return repository
    raise FileNotFoundError("the lessons are not installed with adlab; reinstall it with pip install 'adlab[course]'.")


def instructor_folder():
    """The instructor versions (with solutions): the lessons/ of the course repository this adlab runs from, or None.

    An installed package carries only the student copies: instructors work from a clone of the repository.
    """
    repository = Path(__file__).resolve().parents[1] / "lessons"
    return repository if any(repository.glob("[0-9][0-9]_*.ipynb")) else None


def lesson_paths():
    return sorted(lessons_folder().glob("[0-9][0-9]_*.ipynb"))


def instructor_lesson_paths():
    """The instructor lessons, or one sentence saying where to get them."""
    folder = instructor_folder()
    if folder is None:
        raise FileNotFoundError("the instructor lessons (with solutions) are not part of the installed package: run "
                                "this from a clone of the course repository (git clone, then pip install -e "
                                "'.[classroom]').")
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


# -- the student copy of one notebook ----------------------------------------------------


def student_copy(notebook):
    """A student's version of an instructor notebook (an nbformat node; the input is not changed)."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code":
            continue
        if "solution" in tags:
            cell.source = stub_solutions(cell.source)
        if "solution" in tags or "check" in tags:
            cell.outputs = []
            cell.execution_count = None
    return notebook


def stub_solutions(source):
    """Replace every BEGIN/END SOLUTION region of a cell's source with a stub of the same shape."""
    lines = source.splitlines()
    out, region, indent = [], None, ""
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            if region is not None:
                raise ValueError(f"a {BEGIN} inside another one: close the first with {END}.")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if region is None:
                raise ValueError(f"{END} without a {BEGIN} before it.")
            out.extend(indent + stub if stub else "" for stub in _stub("\n".join(region), bool(indent)))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError(f"a {BEGIN} without its {END}.")
    return "\n".join(out)


def _stub(code, nested):
    """Stub lines (not indented) for one region. Inside a def, the body raises; at top level, shapes stay."""
    if nested:
        return [YOUR_CODE, 'raise NotImplementedError("your code here")']
    code = textwrap.dedent(code)
    lines = [YOUR_CODE]
    for node in ast.parse(code).body:
        lines.extend(_stub_statement(node, code))
    return lines


def _stub_statement(node, code, owner=""):
    """Stub lines for one statement: assignments keep their names, defs and classes their signatures."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [", ".join(map(ast.unparse, t.elts)) if isinstance(t, ast.Tuple) else ast.unparse(t) for t in targets]
        value = ", ".join("..." for _ in targets[-1].elts) if isinstance(targets[-1], ast.Tuple) else "..."
        return [" = ".join(names) + f" = {value}"]
    docstring = [f"    {ast.get_source_segment(code, node.body[0])}"] if isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node) else []
    decorators = [f"@{ast.unparse(d)}" for d in getattr(node, "decorator_list", ())]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        header = ast.unparse(node).splitlines()[len(decorators)]
        return decorators + [header] + docstring + [f'    raise NotImplementedError("write {owner}{node.name}")']
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases + node.keywords)
        lines = decorators + [f"class {node.name}" + (f"({bases})" if bases else "") + ":"] + docstring
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines.append("")
                lines.extend("    " + line for line in _stub_statement(item, code, f"{node.name}."))
        return lines if len(lines) > 1 + len(decorators) else lines + ["    pass"]
    return []  # loops, calls, imports: the student writes them


# -- writing the copies, never over a student's changes -----------------------------------


def write_student_copies(folder, lessons=None, sign=True):
    """Write each lesson's student copy into folder; return one (path, what happened) per lesson.

    A file the student has not changed since adlab wrote it is brought up to
    date; a changed one is left alone and the new version is written beside it
    as ``NAME (new version).ipynb``.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    manifest = _read_json(manifest_path)
    report = []
    for source in lessons or lesson_paths():
        notebook = student_copy(nbformat.read(source, as_version=4))
        if sign:
            _trust(notebook)
        text = nbformat.writes(notebook) + "\n"
        target = folder / source.name
        digest = _digest(text)
        if not target.exists():
            what = "written"
        else:
            current = _digest(target.read_text(encoding="utf-8"))
            if current == digest:
                what = "up to date"
            elif current == manifest.get(source.name):
                what = "updated (you had not changed it)"
            else:
                beside = target.with_name(f"{target.stem} (new version){target.suffix}")
                beside.write_text(text, encoding="utf-8")
                report.append((target, f"kept your changes; the new version is {beside.name}"))
                continue
        if what != "up to date":
            target.write_text(text, encoding="utf-8")
        manifest[source.name] = digest
        report.append((target, what))
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def _trust(notebook):
    """Sign the copy for this user, so JupyterLab shows its stored tables and graphs before it runs."""
    try:
        from nbformat.sign import NotebookNotary

        NotebookNotary().sign(notebook)
    except Exception:  # no writable Jupyter data folder: the copy is still fine, only untrusted
        pass


def _digest(text):
    return hashlib.sha256(re.sub(r"\s+\n", "\n", text).encode()).hexdigest()


def _read_json(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
