"""seqbook.course.answers and how grading uses it: each exercise graded on its own."""

import pytest

from seqbook import reference
from seqbook.course import answers, chapters, runner
from tests.conftest import ROOT


def test_book_answer_is_the_package_function():
    assert answers.book_answer("rnn_cell_forward") is reference.rnn_cell_forward


def test_book_answer_names_what_is_missing():
    with pytest.raises(answers.AnswerError, match="has no package function"):
        answers.book_answer("no_such_exercise")


def test_every_exercise_of_every_chapter_has_a_book_answer():
    for chapter in chapters.discover(ROOT / "solutions").values():
        assert set(runner.book_answers(chapter)) == set(chapter.exercises), chapter.name


def test_an_exercise_without_a_book_answer_is_left_to_the_student():
    chapter = chapters.read_master(ROOT / "solutions" / "01_rnn.ipynb")
    chapter.exercises["homemade"] = chapters.Exercise("homemade", 1.0, ())
    assert "homemade" not in runner.book_answers(chapter)
    assert "rnn_forward" in runner.book_answers(chapter)


def test_the_other_exercises_are_the_books_while_one_is_tested():
    """The names bound in an exercise's student's process after its cells ran."""
    book = {"rnn_cell_forward": reference.rnn_cell_forward,
            "rnn_forward": reference.rnn_forward,
            "clip_gradient_norm": reference.clip_gradient_norm}
    assert runner.others_from_the_book("rnn_forward", book) == {
        "rnn_cell_forward": reference.rnn_cell_forward,
        "clip_gradient_norm": reference.clip_gradient_norm}
