"""seqbook.course.borrowed: the book's own function of an exercise, imported, assigned or
called, is found in the source; the book's functions of other exercises are allowed."""

import pytest

from seqbook.course.borrowed import book_answer_use

EXERCISES = ("rnn_cell_forward", "rnn_forward")
OWN = ("def rnn_cell_forward(x, h, W_xh, W_hh, b_h):\n"
       "    return np.tanh(x @ W_xh.T + h @ W_hh.T + b_h)\n")


def use(*cells, name="rnn_cell_forward"):
    return book_answer_use(list(enumerate(cells)), name, EXERCISES)


@pytest.mark.parametrize("cells", [
    ["from seqbook.reference import rnn_cell_forward"],
    ["from seqbook.reference.rnn import rnn_cell_forward as book\nrnn_cell_forward = book"],
    ["rnn_cell_forward = reference.rnn_cell_forward"],
    [OWN, "rnn_cell_forward = seqbook.reference.rnn.rnn_cell_forward"],  # the last wins
])
def test_an_exercise_bound_to_the_book_is_the_books_own(cells):
    assert "is the book's own rnn_cell_forward" in use(*cells)


@pytest.mark.parametrize("body", [
    "    return reference.rnn_cell_forward(x, h, W_xh, W_hh, b_h)",
    "    return 1.0 * getattr(reference, 'rnn_cell_forward')(x, h, W_xh, W_hh, b_h)",
    "    f = seqbook.reference.rnn.rnn_cell_forward\n    return f(x, h, W_xh, W_hh, b_h)",
])
def test_an_exercise_that_calls_the_book_calls_the_books_own(body):
    message = use(f"def rnn_cell_forward(x, h, W_xh, W_hh, b_h):\n{body}\n")
    assert "calls the book's own rnn_cell_forward" in message


def test_a_call_through_a_helper_of_the_cells_is_found():
    message = use("from seqbook.reference import rnn_cell_forward as cell\n"
                  "def helper(*args):\n    return cell(*args)\n",
                  "def rnn_cell_forward(x, h, W_xh, W_hh, b_h):\n    return helper(x, h)\n")
    assert "through helper" in message and "`cell`" in message


@pytest.mark.parametrize("cells, name", [
    ([OWN], "rnn_cell_forward"),
    (["from seqbook.reference import *", OWN], "rnn_cell_forward"),  # then their own
    (["def rnn_forward(xs, h, W_xh, W_hh, b_h):\n"
      "    return reference.rnn_cell_forward(xs[:, 0], h, W_xh, W_hh, b_h)\n"], "rnn_forward"),
    ([OWN + "print(reference.rnn_cell_forward)\n"], "rnn_cell_forward"),  # not in the def
    (["def rnn_cell_forward(x, h, W_xh, W_hh, b_h):\n    ..."], "rnn_cell_forward"),
    (["this is not Python (", OWN], "rnn_cell_forward"),
    ([], "rnn_cell_forward"),
])
def test_honest_answers_and_the_books_other_exercises_are_allowed(cells, name):
    assert use(*cells, name=name) is None
