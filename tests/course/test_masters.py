"""seqbook.course.masters, the one reader of otter masters, on small synthetic masters;
and its cell helpers on the malformed cells an untrusted submission may hold."""

import json

import nbformat
import pytest

from seqbook.course import chapters, masters, notebooks
from tests.conftest import ROOT, book_extension

raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, \
    nbformat.v4.new_code_cell

SOLUTION = '''def double(x):
    """Twice x."""
    # BEGIN SOLUTION
    result = 2 * x
    return result
    # END SOLUTION'''


def synthetic_master():
    answers = md("**Answers.** secret")
    answers.metadata["tags"] = [masters.INSTRUCTOR_ONLY_TAG]
    scratch = code("import secrets\nprint('instructor scratch')")
    scratch.metadata["tags"] = ["instructor-only", "other"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        raw("# ASSIGNMENT CONFIG\nname: 07_tiny\ninit_cell: true\ntests:\n  ok_format: false"),
        md("# Tiny lab"),
        code("%matplotlib inline\nimport numpy as np\nrng = np.random.default_rng(0)"),  # 2
        code("import math\nfrom os import path\nvalue = math.pi\nprint(value)"),  # 3
        raw("# BEGIN QUESTION\nname: double\npoints: 2"),
        md("Write double."),
        raw("# BEGIN SOLUTION"),
        code(SOLUTION),  # 7
        code("import fractions\nHELPER = 3"),  # 8: a second solution cell
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("def test_double_public(double):\n    assert double(2) == 4\n"
             "test_double_public(double)"),
        code("# HIDDEN\ndef test_double_hidden(double):\n    assert double(5) == 10\n"
             "test_double_hidden(double)"),
        code('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
             "def test_double_config(double):\n    assert double(0) == 0\n"
             "test_double_config(double)"),
        raw("# END TESTS"),
        raw("# END QUESTION"),
        raw("# begin question\nname: halve\npoints: 1.5"),  # otter ignores case
        raw("# BEGIN SOLUTION"),
        code("def halve(x, *, exact=True):\n    # BEGIN SOLUTION\n    return x / 2\n"
             "    # END SOLUTION"),  # 18
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("def test_halve_public(halve):\n    assert halve(2) == 1\ntest_halve_public(halve)"),
        raw("# END TESTS"),
        raw("# END QUESTION"),
        answers,
        scratch,
    ]
    return notebook


def test_the_reader_gives_config_questions_tests_and_setup():
    master = masters.parse(synthetic_master())
    assert master.path is None and master.name == "07_tiny"
    assert master.config == {"name": "07_tiny", "init_cell": True, "tests": {"ok_format": False}}
    assert [q.name for q in master.questions] == ["double", "halve"]
    double, halve = master.questions
    assert (double.points, halve.points) == (2.0, 1.5)
    assert double.settings == {"name": "double", "points": 2}
    assert double.solution == ('def double(x):\n    """Twice x."""\n    result = 2 * x\n'
                               '    return result\n\nimport fractions\nHELPER = 3')
    assert double.solution_cell == 7 and halve.solution_cell == 18
    assert double.parameters == ("x",) and halve.parameters == ("x", "exact")
    assert double.answer_lines == ("    result = 2 * x", "    return result")
    assert [source.split("(")[0] for source in double.public_tests] == [
        "def test_double_public"]
    assert [source.splitlines()[1 if "HIDDEN" in source else 3].split("(")[0]
            for source in double.hidden_tests] == [
        "def test_double_hidden", "def test_double_config"]
    assert len(halve.public_tests) == 1 and halve.hidden_tests == ()
    assert master.instructor_only == ("**Answers.** secret",
                                      "import secrets\nprint('instructor scratch')")
    # the first code cell whole (magics commented out), then every later code cell's
    # imports: the second solution cell and the instructor-only cell count, the exercise
    # solutions and the tests do not
    assert master.setup_code == ("# %matplotlib inline\nimport numpy as np\n"
                                 "rng = np.random.default_rng(0)\nimport math\n"
                                 "from os import path\nimport fractions\nimport secrets")
    assert master.question("halve") is halve
    with pytest.raises(KeyError):
        master.question("triple")


def test_read_names_the_file_and_chapters_and_the_book_agree(tmp_path):
    path = tmp_path / "07_tiny.ipynb"
    nbformat.write(synthetic_master(), path)
    master = masters.read(path)
    assert master.path == path and master.name == "07_tiny"
    chapter = chapters.read_master(path)
    assert chapter.name == "07_tiny" and chapter.setup_code == master.setup_code
    assert {name: (e.points, e.parameters) for name, e in chapter.exercises.items()} == {
        "double": (2.0, ("x",)), "halve": (1.5, ("x", "exact"))}
    assert book_extension("lab_solutions").read_solutions(path) == {q.name: q.solution
                                                    for q in master.questions}


def broken(index, cell=None):
    """The synthetic master with cell ``index`` replaced (or removed when cell is None)."""
    notebook = synthetic_master()
    if cell is None:
        del notebook.cells[index]
    else:
        notebook.cells[index] = cell
    return notebook


@pytest.mark.parametrize("notebook, words", [
    (broken(4, raw("# BEGIN QUESTION\npoints: 2")), "a BEGIN QUESTION cell has no name."),
    (broken(4, raw("# BEGIN QUESTION\nname: [unclosed")), "is not valid YAML"),
    (broken(4, raw("# BEGIN QUESTION\n- a list")), "does not hold YAML settings"),
    (broken(4, raw("# BEGIN QUESTION\nname: double\npoints: [1, 1]")), "one number"),
    (broken(4, md("not a question")), "a solution cell is outside a question."),
    (broken(15), "cell 15 begins a question inside question double"),
    (broken(9), "cell 9 begins a tests block inside a solution block of question double"),
    (broken(14, raw("# END SOLUTION")), "ends a solution block, but the tests block is open"),
    (broken(1, raw("# END QUESTION")), "cell 1 ends a question block, but no block is open"),
    (broken(12, md("a note")), "is not a code cell"),
    (broken(23), "question halve is not closed"),
    (broken(16, raw("# BEGIN QUESTION\nname: double")), "two questions are named double"),
    (broken(1, raw("# ASSIGNMENT CONFIG\nname: other")), "a second '# ASSIGNMENT CONFIG'"),
    (broken(0, raw('# ASSIGNMENT CONFIG\nname: "07 tiny"')), "line by line"),
])
def test_a_master_otter_would_refuse_is_refused_with_a_reason(tmp_path, notebook, words):
    with pytest.raises(masters.MasterError, match="the master") as error:
        masters.parse(notebook)
    assert words in str(error.value)
    path = tmp_path / "bad.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(chapters.ChapterError) as error:
        chapters.read_master(path)
    assert str(path) in str(error.value) and words in str(error.value)


def test_the_book_keeps_its_extension_errors(tmp_path):
    from sphinx.errors import ExtensionError

    path = tmp_path / "bad.ipynb"
    nbformat.write(broken(4, raw("# BEGIN QUESTION\npoints: 2")), path)
    with pytest.raises(ExtensionError, match="a BEGIN QUESTION cell has no name."):
        book_extension("lab_solutions").read_solutions(path)
    (tmp_path / "bad.ipynb").write_text("{")
    with pytest.raises(ExtensionError, match="not a readable notebook"):
        book_extension("lab_solutions").read_solutions(path)


def test_a_master_without_config_or_exercises_is_no_chapter(tmp_path):
    path = tmp_path / "x.ipynb"
    nbformat.write(broken(0), path)
    assert masters.read(path).name == ""
    with pytest.raises(chapters.ChapterError, match="no '# ASSIGNMENT CONFIG' raw cell"):
        chapters.read_master(path)
    notebook = synthetic_master()
    notebook.cells = notebook.cells[:4]
    nbformat.write(notebook, path)
    with pytest.raises(chapters.ChapterError, match="exercise with a `def` solution"):
        chapters.read_master(path)


MALFORMED_CELLS = [None, 3, "text", [], {}, {"cell_type": 5}, {"cell_type": "raw"},
                   {"cell_type": "raw", "source": None},
                   {"cell_type": "raw", "source": ["# ASSIGNMENT ", 7, "\nname: x"]},
                   {"cell_type": "raw", "source": {"a": 1}, "metadata": "tags"},
                   {"cell_type": "code", "metadata": {"tags": 5}},
                   {"cell_type": "code", "metadata": {"tags": ["instructor-only", None]}},
                   {"cell_type": "raw", "source": "# ASSIGNMENT CONFIG\nname:"}]


@pytest.mark.parametrize("cell", MALFORMED_CELLS)
def test_the_cell_helpers_take_anything(cell):
    assert isinstance(masters.cell_source(cell), str)
    assert masters.cell_type(cell) in (None, "raw", "code")
    assert all(isinstance(tag, str) for tag in masters.cell_tags(cell))
    assert masters.is_instructor_only(cell) in (True, False)
    assert masters.is_config_cell(cell) in (True, False)
    assert masters.boundary(cell) is None
    assert masters.config_name(masters.cell_source(cell)) in (None, "x")


def test_submissions_with_malformed_cells_say_what_they_claim():
    config = {"cell_type": "raw", "source": ["# ASSIGNMENT CONFIG\n", "name: '01_rnn'\n"]}
    notebook = {"cells": [*MALFORMED_CELLS, config], "metadata": []}
    assert notebooks.claimed_assignment(notebook) == "01_rnn"
    assert notebooks.claimed_assignment({"cells": MALFORMED_CELLS, "metadata": {}}) is None
    chapter = chapters.Chapter("x", ROOT, "", {"double": None})
    assert notebooks.answer_cells({"cells": MALFORMED_CELLS}, chapter) == []
    parsed = notebooks.parse_notebook(json.dumps({"cells": [config]}).encode())
    assert notebooks.claimed_assignment(parsed) == "01_rnn"


@pytest.mark.parametrize("first_line, hidden", [
    ("# HIDDEN", True), ("  # hidden test", True), ("#hidden", True), ("# public", False),
    ("def test_x(x):", False), ("", False), ("# HIDDENS", False)])
def test_hidden_tests_are_recognised_as_otter_recognises_them(first_line, hidden):
    assert masters.is_hidden_test(f"{first_line}\ndef test_x(x):\n    pass") is hidden
