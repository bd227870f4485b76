"""lessons/ is generated from solutions/ and never leaks a solution or a hidden test."""

import json
import re

import nbformat
import pytest

from seqbook.course import lessons
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


def solution_lines(master):
    """Distinctive lines of solution code: between the BEGIN/END SOLUTION markers."""
    lines = []
    for cell in master.cells:
        inside = False
        for line in cell.source.splitlines():
            if "# BEGIN SOLUTION" in line:
                inside = True
            elif "# END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                lines.append(line.strip())
    return lines


def hidden_tests(master):
    return [cell.source for cell in master.cells
            if cell.cell_type == "code" and cell.source.lstrip().startswith("# HIDDEN")]


def instructor_only(master):
    return [cell.source for cell in master.cells
            if lessons.INSTRUCTOR_ONLY_TAG in cell.metadata.get("tags", [])]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_or_hidden_test_reaches_the_lesson(chapter):
    master = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
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

    only = instructor_only(master)
    assert only, "the master should contain instructor-only answers"
    for source in only:
        assert source not in everything, "an instructor-only cell reached the lesson"

    for marker in MARKERS:
        assert marker not in sources, f"otter marker {marker!r} left in the lesson"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_public_and_hidden_checks(chapter):
    master = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
    questions = re.findall(r"# BEGIN QUESTION\s*\nname: (\w+)",
                           "\n".join(c.source for c in master.cells if c.cell_type == "raw"))
    # a chapter may be split into several labs (04a_..., 04b_...): count the whole chapter's
    chapter_questions = [
        name
        for lab in sorted((ROOT / "solutions").glob(f"{chapter[:2]}*.ipynb"))
        for name in re.findall(r"# BEGIN QUESTION\s*\nname: (\w+)", "\n".join(
            c.source for c in nbformat.read(lab, as_version=4).cells if c.cell_type == "raw"))
    ]
    assert questions, f"{chapter} has no exercise"
    assert len(chapter_questions) >= 4, (
        f"chapter {chapter[:2]} has {len(chapter_questions)} exercises; at least 4 wanted")
    lesson = nbformat.read(ROOT / "lessons" / f"{chapter}.ipynb", as_version=4)
    public = lesson.metadata["otter"]["tests"]
    for question in questions:
        assert question in public, f"exercise {question} has no public check in the lesson"
        assert f"test_{question}_hidden" in "\n".join(hidden_tests(master))
