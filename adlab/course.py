"""Student copies of the lessons: solutions replaced by stubs, never overwriting a student's work.

The instructor versions (``lessons/`` in the repository, ``adlab/lessons`` when
installed) carry their answers in cells tagged ``solution``, between nbgrader's
markers ``### BEGIN SOLUTION`` and ``### END SOLUTION``. A student copy keeps
every cell but replaces each marked region with a stub that still runs (a check cell
is only ``check("1.2")``: the answer lives in adlab.exercises.bank, not in the notebook):
``name = ...`` for an answer, a ``def`` or ``class`` whose bodies raise
NotImplementedError for code to write. Check cells then say "not answered yet",
so Run All goes through a fresh copy.

The student copy is also the copy nbgrader grades: it carries the nbgrader cell metadata
``nbgrader generate_assignment`` writes (``gradable`` derives it from the tags), so a copy
collected from a student's folder autogrades. There is one student copy, derived here.
"""

from __future__ import annotations

import ast
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
                                "this from a clone of the course repository put first on the Python path (git clone "
                                "https://github.com/adlab-course/adlab ~/adlab, then PYTHONPATH=~/adlab in front of "
                                "the command), not installed into an environment students share, where the "
                                "solutions would be within their reach.")
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


# -- stored widgets: what a lesson shows of a slider before its kernel runs --

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SAVED_WIDGET_NOTE = "A saved view: run this cell to move its controls."
SAVED_WIDGET_TEXT = "The controls appear here when this cell runs."
# Hides ipywidgets' broken-link glyph (the ::before of a view with no kernel) in the output right after the note.
_SAVED_WIDGET_HTML = ('<div class="adlab-saved-widget"><style>.jp-OutputArea-child:has(.adlab-saved-widget) + '
                      '.jp-OutputArea-child .jupyter-widgets-disconnected::before { display: none; }</style>'
                      f"<p><em>{SAVED_WIDGET_NOTE}</em></p></div>")


def with_saved_widget_notes(notebook):
    """Put a note before each stored widget view (an ``interact``) that says to run the cell; in place.

    Before a cell runs, JupyterLab and Notebook 7 draw its stored widgets from the saved state with
    no kernel behind them: controls that do not move, each marked with a red broken-link glyph. The
    note's style hides the glyphs, its text says what to do, and an untrusted copy (which draws no
    widget) shows a sentence instead of the widget's repr. Running the cell replaces all of it.
    Views with a saved view of their own (the sweep explorer's) are left as they are.
    """
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs = []
        for output in cell["outputs"]:
            data = output.get("data", {})
            before = outputs[-1].get("data", {}).get("text/html", "") if outputs else ""
            if WIDGET_VIEW in data and 'class="adlab-' not in "".join(before):
                outputs.append(nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                                   "data": {"text/html": _SAVED_WIDGET_HTML,
                                                            "text/plain": SAVED_WIDGET_NOTE}}))
                data["text/plain"] = SAVED_WIDGET_TEXT
            outputs.append(output)
        cell["outputs"] = outputs
    return notebook


# -- the student copy of one notebook: the copy students work in and the copy that is graded --


def student_copy(notebook, lesson_id="lesson"):
    """A student's version of an instructor notebook (an nbformat node; the input is not changed).

    It is the release version nbgrader's ``generate_assignment`` writes from ``adlab nbgrader-source``
    (the same cell ids, sources and nbgrader cell metadata, checksums included), with the stored
    outputs of the other cells kept so tables and graphs show before anything runs. So the copy a
    student works in — from ``adlab lessons``, the course repository, Binder or the built package —
    is the copy that autogrades, once collected into nbgrader's ``submitted/``.
    """
    notebook = gradable(notebook, lesson_id)
    for cell in notebook.cells:
        grading = cell.get("metadata", {}).get("nbgrader")
        if cell.cell_type != "code" or not grading:
            continue
        if grading["solution"]:
            cell.source = stub_solutions(cell.source)
        cell.outputs = []
        cell.execution_count = None
        _lock_and_checksum(cell)
    return notebook


def gradable(notebook, lesson_id="lesson"):
    """An instructor notebook with nbgrader's cell metadata derived from its tags (a copy): nbgrader's source.

    A code cell tagged ``solution`` becomes an autograded answer cell; a cell tagged ``check``
    becomes a locked test cell worth 1 point (or the points its author set in its ``nbgrader``
    metadata). Grade ids come from the exercise id in the check call (``check("1.2")`` gives
    ``check_1_2`` and its answer cell ``answer_1_2``).
    """
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    seen = set()

    def unique(name):
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        return name

    cells = notebook.cells
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or not ({"solution", "check"} & set(tags)):
            continue
        old = cell.metadata.get("nbgrader", {})
        if old.get("grade_id") and BEGIN not in cell.source:  # a student copy already (the installed lessons)
            seen.add(old["grade_id"])
            continue
        if "solution" in tags:
            if BEGIN not in cell.source or END not in cell.source:
                raise ValueError(f"{lesson_id}, cell {index}: a solution cell needs {BEGIN} … {END}.")
            following = next((c for c in cells[index + 1:] if "check" in c.get("metadata", {}).get("tags", [])),
                             None)
            exercise = exercise_id(following.source) if following is not None else None
            meta = {"solution": True, "grade": False, "locked": False,
                    "grade_id": unique(f"answer_{_grade_name(exercise) or index}")}
        else:
            exercise = exercise_id(cell.source)
            meta = {"solution": False, "grade": True, "locked": True, "points": old.get("points", 1),
                    "grade_id": unique(f"check_{_grade_name(exercise) or index}")}
        meta["schema_version"] = 3
        cell.metadata["nbgrader"] = meta
    return notebook


def exercise_id(source):
    """The exercise a check cell checks: the first argument of its check call (``check("1.2")`` gives 1.2)."""
    match = re.search(r"check\w*\(\s*(['\"])(.+?)\1", source)
    return match.group(2) if match else None


def _grade_name(exercise):
    return re.sub(r"[^A-Za-z0-9_-]+", "_", exercise).strip("_") if exercise else None


def _lock_and_checksum(cell):
    """What nbgrader's LockCells and ComputeChecksums add to a released cell (nbgrader.utils.compute_checksum)."""
    grading = cell.metadata["nbgrader"]
    cell.metadata["deletable"] = False
    if grading["grade"] and not grading["solution"]:
        cell.metadata["editable"] = False
    locked = not grading["solution"] and (grading["grade"] or grading.get("locked", False))
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(grading["grade"]), str(grading["solution"]), str(locked),
                 grading["grade_id"]):
        digest.update(part.encode("utf-8"))
    if grading["grade"]:
        digest.update(str(float(grading["points"])).encode("utf-8"))
    grading["checksum"] = digest.hexdigest()
    grading["cell_type"] = cell.cell_type


def exercises_of(notebook):
    """{exercise id: {"answer": answer cell source, "check": check cell source}} of a student copy.

    The cells a release freezes: a check cell (tagged ``check``) and the answer cell (tagged
    ``solution``) above it, as students got them.
    """
    found = {}
    answer = ""
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code":
            continue
        if "solution" in tags:
            answer = cell.source
        elif "check" in tags:
            found[exercise_id(cell.source) or cell.source.strip()] = {"answer": answer, "check": cell.source}
            answer = ""
    return found


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

    What counts is what the student wrote: the cells' sources. Outputs, execution counts and the
    notebook metadata JupyterLab rewrites on save (kernel name, language_info, widget state) do not.
    A lesson whose sources the student has not changed is brought up to date in place; one they
    changed is left alone, and only when the update changed that lesson's sources too is the new
    version written beside it, as ``NAME (new version).ipynb`` (then ``(new version 2)`` … when
    the student has edited an earlier new version: no file a person edited is overwritten).
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    manifest = read_manifest(manifest_path)
    report = []
    for source in lessons or lesson_paths():
        source = Path(source)
        notebook = student_copy(nbformat.read(source, as_version=4), source.stem)
        if sign:
            _trust(notebook)
        text = nbformat.writes(notebook) + "\n"
        target = folder / source.name
        new = {"sources": sources_digest(notebook), "text": _digest(text)}
        last = manifest.get(source.name, {})
        report.append((target, _update_lesson(target, text, new, last)))
        manifest[source.name] = {**last, **new}  # the version the student has now, in place or beside
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def _update_lesson(target, text, new, last):
    """Bring one lesson up to date if the student's sources allow it; say what was done (one phrase)."""
    if not target.exists():
        target.write_text(text, encoding="utf-8")
        return "written"
    current_text = target.read_text(encoding="utf-8", errors="replace")
    if _digest(current_text) == new["text"]:
        return "up to date"
    mine = _sources_of(current_text)
    untouched = last.get("text") == _digest(current_text) or \
        mine is not None and mine in (last.get("sources"), new["sources"])  # run and saved, nothing written
    if untouched:
        if last.get("text") == new["text"]:
            return "up to date"
        target.write_text(text, encoding="utf-8")
        return "updated (you had not changed it)"
    if last.get("sources") == new["sources"]:  # the student's changes, and nothing new to them upstream
        return "up to date"
    beside = _new_version_path(target, text, last.setdefault("beside", {}))
    if beside.exists() and _digest(beside.read_text(encoding="utf-8", errors="replace")) == new["text"]:
        return f"kept your changes; the new version is {beside.name}"
    beside.write_text(text, encoding="utf-8")
    last["beside"][beside.name] = new["text"]
    return f"kept your changes; the new version is {beside.name}"


def _new_version_path(target, text, written):
    """NAME (new version).ipynb, or the first numbered one that is free, already this version, or ours untouched."""
    k = 1
    while True:
        name = f"{target.stem} (new version{'' if k == 1 else f' {k}'}){target.suffix}"
        path = target.with_name(name)
        if not path.exists():
            return path
        digest = _digest(path.read_text(encoding="utf-8", errors="replace"))
        if digest == _digest(text) or written.get(name) == digest:  # this version, or an earlier one nobody edited
            return path
        k += 1


def sources_digest(notebook):
    """What a person wrote in a notebook: each cell's type and source (not outputs, counts, ids or metadata)."""
    cells = [[cell.get("cell_type"), _text(cell.get("source", ""))] for cell in notebook.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _sources_of(text):
    try:
        notebook = json.loads(text)
    except ValueError:
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list) \
            or not all(isinstance(cell, dict) for cell in notebook["cells"]):
        return None
    return sources_digest(notebook)


def _text(source):
    return "".join(source) if isinstance(source, list) else str(source)


def read_manifest(path):
    """{lesson file: {"sources", "text", "beside"}} as adlab last wrote them; anything unreadable counts as unknown.

    An older adlab wrote {lesson file: digest of the text}; that digest is kept as "text".
    """
    data = _read_json(path)
    if not isinstance(data, dict):
        return {}
    manifest = {}
    for name, entry in data.items():
        if isinstance(entry, str):
            entry = {"text": entry}
        if not isinstance(entry, dict):
            continue
        clean = {key: entry[key] for key in ("sources", "text") if isinstance(entry.get(key), str)}
        beside = entry.get("beside")
        if isinstance(beside, dict):
            clean["beside"] = {k: v for k, v in beside.items() if isinstance(v, str)}
        manifest[name] = clean
    return manifest


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
    """The JSON in path, or None when it is missing, not UTF-8 or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
