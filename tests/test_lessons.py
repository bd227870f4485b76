"""lessons/ is generated from solutions/ and never leaks a solution or a hidden test."""

import json
import re

import nbformat
import pytest

from seqbook.course import lessons, masters
from tests.conftest import CHAPTERS, ROOT

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN TESTS", "END TESTS", "BEGIN QUESTION",
           "ASSIGNMENT CONFIG", "# HIDDEN", "instructor-only")


def test_every_chapter_has_a_lesson():
    assert CHAPTERS, "no instructor notebooks found in solutions/"
    lessons = sorted(path.stem for path in (ROOT / "lessons").glob("*.ipynb"))
    assert lessons == CHAPTERS, (
        "lessons/ and solutions/ hold different chapters: run tools/make_lessons.py"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_lesson_is_in_sync_with_its_master(chapter):
    expected = lessons.student_notebook(ROOT / "solutions" / f"{chapter}.ipynb")
    committed = nbformat.read(ROOT / "lessons" / f"{chapter}.ipynb", as_version=4)
    assert lessons.same_cells(expected, committed), (
        f"lessons/{chapter}.ipynb is out of date with solutions/{chapter}.ipynb: run "
        f".venv/bin/python tools/make_lessons.py {chapter}"
    )
    assert committed.metadata["otter"]["tests"] == expected.metadata["otter"]["tests"]


def master_of(chapter):
    return masters.read(ROOT / "solutions" / f"{chapter}.ipynb")


def solution_lines(master):
    """Distinctive lines of solution code: what otter replaces with ``...``."""
    return [line.strip() for question in master.questions
            for line in question.answer_lines if len(line.strip()) >= 12]


def hidden_tests(master):
    return [source for question in master.questions for source in question.hidden_tests]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_or_hidden_test_reaches_the_lesson(chapter):
    master = master_of(chapter)
    text = (ROOT / "lessons" / f"{chapter}.ipynb").read_text()
    sources = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
    everything = sources + "\n" + json.dumps(json.loads(text)["metadata"])

    solutions = solution_lines(master)
    assert solutions, "the master should contain solution code"
    leaked = [line for line in solutions if line in everything]
    assert not leaked, f"solution code found in lessons/{chapter}.ipynb: {leaked[:3]}"

    hidden = hidden_tests(master)
    assert hidden, "the master should contain hidden tests"
    for source in hidden:
        name = re.search(r"def (test_\w+)", source).group(1)
        assert name not in everything, f"hidden test {name} found in the lesson"

    only = master.instructor_only
    assert only, "the master should contain instructor-only answers"
    for source in only:
        assert source not in everything, "an instructor-only cell reached the lesson"

    for marker in MARKERS:
        assert marker not in sources, f"otter marker {marker!r} left in the lesson"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_public_and_hidden_checks(chapter):
    master = master_of(chapter)
    questions = [question.name for question in master.questions]
    # a chapter may be split into several labs (04a_..., 04b_...): count the whole chapter's
    chapter_questions = [
        question.name
        for lab in sorted((ROOT / "solutions").glob(f"{chapter[:2]}*.ipynb"))
        for question in masters.read(lab).questions
    ]
    assert questions, f"{chapter} has no exercise"
    assert len(chapter_questions) >= 4, (
        f"chapter {chapter[:2]} has {len(chapter_questions)} exercises; at least 4 wanted")
    lesson = nbformat.read(ROOT / "lessons" / f"{chapter}.ipynb", as_version=4)
    public = lesson.metadata["otter"]["tests"]
    for question in master.questions:
        assert question.name in public, (
            f"exercise {question.name} has no public check in the lesson")
        assert question.public_tests, f"exercise {question.name} has no public test"
        assert any(f"test_{question.name}_hidden" in source
                   for source in question.hidden_tests), (
            f"exercise {question.name} has no hidden test test_{question.name}_hidden")
