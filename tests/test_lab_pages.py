"""What a lab page shows in place of a check cell's output (book/_ext/lab_solutions.py):
the first paragraph of the docstring of the public check the master's test cell calls.
The page itself is checked in the browser (tests/test_browser_text.py)."""

import pytest
from sphinx.errors import ExtensionError

from seqbook.checks import rnn
from seqbook.course import masters
from tests.conftest import ROOT, book_extension

MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))
lab_solutions = book_extension("lab_solutions")


@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_every_exercise_has_a_line_saying_what_its_check_tries(master):
    notes = lab_solutions.check_notes(master)
    questions = masters.read(master).questions
    assert sorted(notes) == sorted(question.name for question in questions)
    for question in questions:
        check = lab_solutions.public_check(question, master)
        assert check.__name__ == f"{question.name}_public"
        assert notes[question.name] == " ".join(check.__doc__.split("\n\n")[0].split())


def test_a_check_without_a_docstring_stops_the_build(monkeypatch):
    monkeypatch.setattr(rnn.rnn_forward_public, "__doc__", None)
    with pytest.raises(ExtensionError, match="rnn_forward_public has no docstring"):
        lab_solutions.check_notes(ROOT / "solutions" / "01_rnn.ipynb")


def test_a_test_cell_that_calls_no_check_stops_the_build():
    question = masters.Question(name="rnn_forward", points=2, settings={},
                                public_tests=("assert rnn_forward is not None",))
    with pytest.raises(ExtensionError, match="calls no seqbook.checks function"):
        lab_solutions.public_check(question, "solutions/01_rnn.ipynb")
    question = masters.Question(name="rnn_forward", points=2, settings={}, public_tests=(
        "from seqbook.checks import rnn as checks\nchecks.rnn_forward_missing(rnn_forward)",))
    with pytest.raises(ExtensionError, match="rnn_forward_missing, which does not exist"):
        lab_solutions.public_check(question, "solutions/01_rnn.ipynb")
