"""Honest times: one model (adlab/lesson_time.py) gives every lesson's minutes, and the lesson's first cell,
the README's course map and the instructor guide's course map all state what it gives."""

import re
from pathlib import Path

import nbformat
import pytest

from adlab.cli import main
from adlab.lesson_time import EXERCISE_MINUTES, lesson_time

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
MODEL = {path.stem: lesson_time(path).minutes for path in LESSONS}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_states_the_models_minutes(path):
    opening = nbformat.read(path, as_version=4).cells[0].source
    stated = re.search(r"\*\*Time:\*\* about (\d+) minutes", opening)
    assert stated, f"{path.name}: the first cell says '**Time:** about N minutes.'"
    assert int(stated.group(1)) == MODEL[path.stem], \
        f"{path.name} says {stated.group(1)} minutes; the model gives {MODEL[path.stem]} (run `adlab minutes`)"


def test_the_readme_course_map_states_the_models_minutes_and_total():
    text = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| \[[^\]]+\]\(lessons/(\d\d_\w+)\.ipynb\) \|.*\| (\d+) \|$", text, re.M))
    assert {stem: int(minutes) for stem, minutes in rows.items()} == MODEL
    total = sum(MODEL.values())
    assert f"about {total} minutes in all" in text, f"the README states the course's total, {total} minutes"


def test_the_guide_course_map_states_the_models_minutes():
    text = (ROOT / "docs" / "teaching.md").read_text()
    rows = dict(re.findall(r"^\| `(\d\d_\w+)` \| (\d+) \|", text, re.M))
    assert {stem: int(minutes) for stem, minutes in rows.items()} == MODEL


def test_an_exercise_adds_its_kinds_minutes(tmp_path):
    lesson = nbformat.read(LESSONS[0], as_version=4)
    path = tmp_path / LESSONS[0].name
    nbformat.write(lesson, path)
    before = lesson_time(path)
    check = next(cell for cell in lesson.cells if "check" in cell.metadata.get("tags", []))
    lesson.cells.append(nbformat.from_dict(dict(check)))  # the same exercise checked twice counts twice
    lesson.cells.append(nbformat.v4.new_markdown_cell("word " * 150))  # a minute of prose
    nbformat.write(lesson, path)
    after = lesson_time(path)
    kind = re.search(r'check\("([^"]+)"\)', check.source).group(1)
    from adlab.exercises.bank import get
    assert after.exercises - before.exercises == EXERCISE_MINUTES[get(kind).kind]
    assert after.reading - before.reading == pytest.approx(1.0)
    assert before.running > 0, "the stored outputs record how long the lesson ran"


def test_adlab_minutes_prints_every_lesson_and_the_total(capsys, tmp_path):
    assert main(["minutes"]) == 0
    printed = capsys.readouterr().out
    for stem, minutes in MODEL.items():
        assert re.search(rf"^{stem} .* {minutes}$", printed, re.M), stem
    assert re.search(rf"^total .* {sum(MODEL.values())}$", printed, re.M)
    assert main(["minutes", "--lessons", str(tmp_path)]) == 1
    assert "no lessons" in capsys.readouterr().err


def test_the_readme_states_the_model_it_uses():
    from adlab.lesson_time import CODE_LINES_PER_MINUTE, PROSE_WORDS_PER_MINUTE
    text = " ".join((ROOT / "README.md").read_text().split())
    assert f"prose read at {PROSE_WORDS_PER_MINUTE} words a minute" in text
    assert f"the code you run at {CODE_LINES_PER_MINUTE} lines a minute" in text
    minutes = EXERCISE_MINUTES
    assert (f"{minutes['choice']} minutes for a choice, {minutes['numbers']} for numbers, {minutes['function']} for "
            f"a function, {minutes['custom']} for a class of your own") in text
