"""docs/coverage.md maps every idea of the course notes, and each idea the course adds, to the lesson sections
that teach it and the exercises that check it. Each reference must exist: a renamed section or a removed
exercise fails here, and so does an exercise the map forgets."""

import re
from pathlib import Path

import nbformat
import pytest

from adlab.exercises.bank import all_exercises

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "coverage.md"
LESSONS = {path.name[:2]: path for path in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")}
SECTION = re.compile(r"(\d\d) › ([^;]+)")


def rows():
    """(idea, notes, sections, exercise ids) for each row of the map's tables."""
    found = []
    for line in MAP.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and SECTION.search(cells[2]):
            sections = [(lesson, title.strip()) for lesson, title in SECTION.findall(cells[2])]
            ids = [ident.strip() for ident in cells[3].split(",") if ident.strip() and ident.strip() != "—"]
            found.append((cells[0], cells[1], sections, ids))
    return found


ROWS = rows()


def headings(lesson):
    notebook = nbformat.read(LESSONS[lesson], as_version=4)
    return [re.sub(r"^#+\s*(\d+ · )?", "", line).strip() for cell in notebook.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")]


def checked_ids(lesson):
    notebook = nbformat.read(LESSONS[lesson], as_version=4)
    return {match for cell in notebook.cells if "check" in cell.metadata.get("tags", [])
            for match in re.findall(r'check\("([^"]+)"\)', cell.source)}


def test_the_map_has_rows_for_the_notes_and_for_the_additions():
    assert len(ROWS) >= 30
    notes = {note for _, cell, _, _ in ROWS for note in re.findall(r"note (\d)", cell)}
    assert notes == {"1", "2", "3", "4", "5"}, "every one of the five notes has its ideas mapped"
    assert any("added" in cell for _, cell, _, _ in ROWS), "the ideas the course adds are mapped too"


@pytest.mark.parametrize("idea, notes, sections, ids", ROWS, ids=[row[0][:40] for row in ROWS])
def test_each_idea_is_taught_in_a_section_that_exists_and_checked_by_an_exercise(idea, notes, sections, ids):
    for lesson, title in sections:
        assert lesson in LESSONS, f"{idea}: there is no lesson {lesson}"
        assert _plain(title) in [_plain(heading) for heading in headings(lesson)], \
            f"{idea}: lesson {LESSONS[lesson].name} has no section {title!r}"
    assert ids, f"{idea}: no exercise checks it"
    for ident in ids:
        lesson = f"{int(ident.split('.')[0]):02d}"
        assert ident in checked_ids(lesson), f"{idea}: exercise {ident} is not checked in lesson {lesson}"


def test_every_exercise_is_mapped_to_an_idea():
    mapped = {ident for *_, ids in ROWS for ident in ids}
    missing = [exercise.id for exercise in all_exercises() if exercise.id not in mapped]
    assert not missing, f"exercises the coverage map does not name: {missing}"


def _plain(title):
    """A heading or a reference as words: no LaTeX dollars, braces or backslash commands, no backticks."""
    return re.sub(r"\s+", " ", re.sub(r"\\[a-zA-Z]+|[${}`\\]", "", title)).strip()


def _feedback_texts():
    """Every hint, explanation, listed mistake and revisit note of the bank, as a student reads them."""
    texts = []
    for exercise in all_exercises():
        inputs = exercise.draw("alice")
        texts += [*exercise.hint_texts(inputs), exercise.revisit]
        if exercise.kind == "choice":
            texts.append(exercise.explanation(inputs))
        if exercise.mistakes is not None and exercise.kind in ("numbers", "choice"):
            texts += list(exercise.mistakes(**inputs))
    return texts


def test_every_named_section_a_student_is_sent_to_exists():
    """'revisit Lesson 7, “What one sweep costs”' in feedback or prose names a heading of that lesson."""
    sent = re.compile(r"Lesson (\d+),? (?:section \d+,? )?“([^”]+)”")
    lesson_texts = ["\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
                    for path in LESSONS.values()]
    references = [(int(n), title) for text in _feedback_texts() + lesson_texts for n, title in sent.findall(text)]
    assert len(references) >= 5
    for lesson, title in references:
        shown = [_plain(heading) for heading in headings(f"{lesson:02d}")]
        assert any(heading.startswith(_plain(title)) for heading in shown), \
            f"Lesson {lesson} has no section “{title}” (its sections: {shown})"
