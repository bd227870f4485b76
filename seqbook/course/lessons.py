"""Make student notebooks from instructor masters, with otter-grader, and execute them.

The instructor notebooks in ``solutions/`` are otter-grader assignment masters: raw
cells mark questions, solutions and tests. ``otter assign`` turns a master into a
student notebook (solutions replaced by ``...``, hidden tests removed, a
``grader.check`` cell under each exercise) and an autograder archive. On top of that,
cells tagged ``instructor-only`` (answers to end-of-chapter questions) are dropped.
"""

import contextlib
import io
import pathlib
import tempfile

import nbformat
from nbclient import NotebookClient

from seqbook.course.masters import is_install_cell, is_instructor_only


class AssignmentError(RuntimeError):
    """otter assign rejected a master notebook; the message says why."""


def run_otter_assign(master, out_dir):
    """Run ``otter assign`` on ``master`` into ``out_dir`` (student/ and autograder/)."""
    from otter.assign import main as otter_assign

    master = pathlib.Path(master).resolve()
    out_dir = pathlib.Path(out_dir).resolve()
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            otter_assign(str(master), str(out_dir), no_pdfs=True)
    except Exception as error:
        raise AssignmentError(
            f"otter assign failed on {master.name}: {error}\n{quiet.getvalue()[-2000:]}"
        ) from error
    return out_dir


def strip_instructor_only(notebook):
    """Remove the cells tagged ``instructor-only`` (in place); returns the notebook."""
    notebook.cells = [cell for cell in notebook.cells if not is_instructor_only(cell)]
    return notebook


def student_notebook(master):
    """The student notebook otter makes from ``master``, instructor-only cells removed.

    Returns:
        An unexecuted ``nbformat.NotebookNode``.
    """
    master = pathlib.Path(master)
    with tempfile.TemporaryDirectory() as work:
        out = run_otter_assign(master, pathlib.Path(work) / "dist")
        notebook = nbformat.read(out / "student" / master.name, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return move_init_cell_below_title(strip_instructor_only(notebook))


def move_init_cell_below_title(notebook):
    """otter puts its set-up cell first; a lab reads better with its title on top. The
    lab's ``install-seqbook`` cell, right under the title in the master, goes before
    otter's, since that one imports otter, which the install cell may have to install."""
    cells = notebook.cells
    if (len(cells) > 1 and cells[0].cell_type == "code"
            and cells[0].source.startswith("# Initialize Otter")
            and cells[1].cell_type == "markdown"):
        cells[0], cells[1] = cells[1], cells[0]
        if len(cells) > 2 and is_install_cell(cells[2]):
            cells[1], cells[2] = cells[2], cells[1]
    return notebook


def execute_notebook(path, timeout=600):
    """Execute a notebook in its own folder and save it with outputs and widget state."""
    path = pathlib.Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
    )
    client.execute()
    nbformat.write(notebook, path)
    log = path.parent / ".OTTER_LOG"
    log.unlink(missing_ok=True)
    return notebook


def same_cells(first, second):
    """True when two notebooks have the same cells (type and source), outputs aside."""
    def cells_of(notebook):
        return [(cell.cell_type, cell.source) for cell in notebook.cells]

    return cells_of(first) == cells_of(second)
