"""Tests for seqbook.course.lessons: otter assign glue, instructor-only cells, execution."""

import nbformat
import pytest

from seqbook.course import lessons, masters


def tiny_master():
    """A minimal otter master: one question with a solution and a hidden test."""
    raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, \
        nbformat.v4.new_code_cell
    answers = md("**Answers.** secret")
    answers.metadata["tags"] = [masters.INSTRUCTOR_ONLY_TAG]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        raw("# ASSIGNMENT CONFIG\nname: tiny\nexport_cell: false\nrun_tests: false\n"
            "tests:\n  ok_format: false"),
        md("# Tiny lab"),
        raw("# BEGIN QUESTION\nname: double\npoints: 2"),
        md("Write double."),
        raw("# BEGIN SOLUTION"),
        code("def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("def test_double_public(double):\n    assert double(2) == 4\n"
             "test_double_public(double)"),
        code("# HIDDEN\ndef test_double_hidden(double):\n    assert double(5) == 10\n"
             "test_double_hidden(double)"),
        raw("# END TESTS"),
        raw("# END QUESTION"),
        answers,
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


@pytest.fixture
def master(tmp_path):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(tiny_master(), path)
    return path


def test_student_notebook_stubs_solutions_and_drops_hidden_and_instructor_cells(master):
    student = lessons.student_notebook(master)
    text = "\n".join(cell.source for cell in student.cells)
    assert "return 2 * x" not in text and "..." in text
    assert "test_double_hidden" not in text and "test_double_hidden" not in str(student.metadata)
    assert "secret" not in text
    assert 'grader.check("double")' in text
    assert student.cells[0].source == "# Tiny lab", "the title should come first"
    assert student.cells[1].source.startswith("# Initialize Otter")
    assert all(not cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


def test_run_otter_assign_names_the_master_when_it_fails(tmp_path):
    broken = tiny_master()  # a solution block outside any question, which otter rejects
    broken.cells.insert(1, nbformat.v4.new_raw_cell("# BEGIN SOLUTION"))
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    with pytest.raises(lessons.AssignmentError, match="broken.ipynb"):
        lessons.run_otter_assign(path, tmp_path / "dist")


def test_strip_instructor_only_removes_only_tagged_cells():
    notebook = tiny_master()
    before = len(notebook.cells)
    lessons.strip_instructor_only(notebook)
    assert len(notebook.cells) == before - 1
    assert all("secret" not in cell.source for cell in notebook.cells)


def test_move_init_cell_below_title_only_moves_the_otter_cell():
    notebook = nbformat.v4.new_notebook()
    init = nbformat.v4.new_code_cell("# Initialize Otter\nimport otter")
    title = nbformat.v4.new_markdown_cell("# Title")
    notebook.cells = [init, title]
    lessons.move_init_cell_below_title(notebook)
    assert [cell.source for cell in notebook.cells] == [title.source, init.source]
    other = nbformat.v4.new_code_cell("x = 1")
    notebook.cells = [other, title]
    lessons.move_init_cell_below_title(notebook)
    assert notebook.cells[0] is other


def test_same_cells_ignores_outputs_but_not_sources():
    first, second = tiny_master(), tiny_master()
    second.cells[5].outputs = [nbformat.v4.new_output("stream", text="hi")]
    assert lessons.same_cells(first, second)
    second.cells[5].source += "\n# edited"
    assert not lessons.same_cells(first, second)


def test_execute_notebook_saves_outputs_and_widget_state(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import os\nprint(os.path.basename(os.getcwd()))"),
        nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(value=7)"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    folder = tmp_path / "lab folder"
    folder.mkdir()
    path = folder / "run.ipynb"
    nbformat.write(notebook, path)
    lessons.execute_notebook(path)
    executed = nbformat.read(path, as_version=4)
    assert executed.cells[0].outputs[0].text.strip() == "lab folder", "runs in its own folder"
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(model["state"].get("value") == 7 for model in state.values())
    assert not (folder / ".OTTER_LOG").exists()
