"""Reading a submitted notebook and recognising which chapter it belongs to.

Everything here runs on untrusted bytes, inside the grading child process, and turns
each kind of bad file into a ``Rejected`` with a status and a message a person can act
on.
"""

import ast
import json
import re

from seqbook.course import masters
from seqbook.course.masters import cell_source, strip_magics

OTTER_INIT = re.compile(r"""otter\.Notebook\(\s*["']([^"']+?)(?:\.ipynb)?["']""")


class Rejected(Exception):
    """A submission that cannot be graded; ``status`` is its gradebook status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_notebook(data):
    """The notebook in ``data`` (bytes) as a dict, or ``Rejected`` saying what is wrong."""
    if not data.strip():
        raise Rejected("not_a_notebook", "the file is empty: upload the .ipynb file saved "
                       "from Jupyter, not an empty or placeholder file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("not_a_notebook", "the file is not text (not UTF-8): it is not a "
                       "Jupyter notebook; upload the .ipynb file") from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        looks_cut = text.lstrip().startswith("{") and (
            error.pos >= len(text.rstrip()) - 1 or error.msg.startswith("Unterminated"))
        what = ("the notebook is truncated (it ends in the middle)" if looks_cut
                else f"the file is not JSON (line {error.lineno}, column {error.colno}: "
                     f"{error.msg})")
        raise Rejected("not_a_notebook", f"{what}: it is not a readable Jupyter notebook; "
                       "open it in Jupyter, save it and upload it again") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise Rejected("not_a_notebook", "the file is JSON but not a Jupyter notebook "
                       "(no list of cells)")
    return notebook


def code_cells(notebook):
    """(index, source) of every code cell."""
    return [(index, cell_source(cell)) for index, cell in enumerate(notebook["cells"])
            if isinstance(cell, dict) and cell.get("cell_type") == "code"]


def defined_functions(source):
    """Names of the top-level functions a cell defines (none if it does not parse)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return set()
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def claimed_assignment(notebook):
    """The assignment name the notebook states about itself, or None.

    Looked up in otter's metadata (student notebooks), the master's ``# ASSIGNMENT
    CONFIG`` cell (instructor notebooks) and otter's ``otter.Notebook("NN.ipynb")`` call.
    """
    metadata = notebook.get("metadata")
    otter = metadata.get("otter") if isinstance(metadata, dict) else None
    if isinstance(otter, dict) and isinstance(otter.get("assignment_name"), str):
        return otter["assignment_name"]
    for cell in notebook["cells"]:
        name = masters.config_name(cell_source(cell)) if masters.is_config_cell(cell) else None
        if name is not None:
            return name
    for _, source in code_cells(notebook):
        match = OTTER_INIT.search(source)
        if match:
            return match.group(1)
    return None


def recognise_chapter(notebook, chapters, expected=None):
    """The name of the chapter ``notebook`` belongs to.

    Args:
        notebook: a parsed notebook dict.
        chapters: chapter name -> ``Chapter``.
        expected: chapter names the instructor asked for, or None for any chapter.

    Raises:
        Rejected: another course's notebook, an unrecognisable one, or a chapter that
            was not asked for.
    """
    known = ", ".join(sorted(chapters))
    claimed = claimed_assignment(notebook)
    if claimed is not None and claimed not in chapters:
        raise Rejected("unknown_chapter", f"this notebook is assignment {claimed!r}, which "
                       f"is not a chapter of this book ({known}): another course's notebook?")
    if claimed is None:
        functions = set().union(*(defined_functions(source)
                                  for _, source in code_cells(notebook)))
        overlap = {name: len(functions & set(chapter.exercises))
                   for name, chapter in chapters.items()}
        best = max(overlap.values(), default=0)
        matches = [name for name, count in overlap.items() if count == best]
        if best == 0 or len(matches) > 1:
            raise Rejected("unknown_chapter", "this notebook does not say which chapter it "
                           "is and defines none of the book's exercise functions: is it a "
                           f"lab of this book ({known})?")
        claimed = matches[0]
    if expected and claimed not in expected:
        raise Rejected("wrong_chapter", f"this is chapter {claimed}, but the chapters being "
                       f"graded are {', '.join(sorted(expected))}: the wrong lab was uploaded")
    return claimed


def answer_cells(notebook, chapter):
    """(index, source) of the code cells that define any of the chapter's exercises,
    in notebook order, plus otter's answer cells (tagged ``otter_answer_cell``) even if
    they do not parse, so that a syntax error is reported against its exercise."""
    cells = []
    for index, source in code_cells(notebook):
        tags = masters.cell_tags(notebook["cells"][index])
        if defined_functions(source) & set(chapter.exercises) or "otter_answer_cell" in tags:
            cells.append((index, source))
    return cells


def heading_before(notebook, index):
    """The text of the last Markdown heading above cell ``index`` ("" if none): where a
    student finds the cell (``### Exercise 1 (2 points): the cell``)."""
    for cell in reversed(notebook["cells"][:index]):
        if masters.cell_type(cell) != "markdown":
            continue
        for line in reversed(cell_source(cell).splitlines()):
            if line.startswith("#"):
                return line.lstrip("#").strip()[:120]
    return ""


def chapters_named(file_name, chapter_names):
    """The chapters a file's name mentions (``02_lstm`` in ``bob_02_lstm (1).ipynb``)."""
    return sorted(name for name in chapter_names
                  if re.search(rf"(?<![0-9A-Za-z]){re.escape(name)}(?![0-9A-Za-z])", file_name))
