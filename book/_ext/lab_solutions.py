"""Show each exercise's reference solution on its lab page, collapsed until asked for.

A lab page is built from the student notebook ``lessons/NN_topic.ipynb`` (which is also
the notebook the page offers for download, so it must stay free of solutions). At build
time this Sphinx extension reads the instructor master ``solutions/NN_topic.ipynb`` (with
``seqbook.course.masters``, the book's one reader of otter's format), takes each
question's solution code (the cells between otter's ``# BEGIN SOLUTION`` and ``# END
SOLUTION`` raw cells, with the in-cell marker lines dropped), and inserts it below
the question's ``grader.check("name")`` cell on the lab page, inside an HTML
``<details class="seqbook-solution">`` element: closed by default, opened with a click,
and working without JavaScript.
"""

import html
import pathlib
import re

from docutils import nodes
from sphinx.errors import ExtensionError

from seqbook.course import masters

CHECK_CALL = re.compile(r"""grader\.check\(\s*["']([^"']+)["']\s*\)""")
LESSONS = "lessons/"


class reference_solution(nodes.General, nodes.Element):  # noqa: N801 (docutils style)
    """A collapsed block holding one exercise's reference solution."""


def visit_reference_solution_html(translator, node):
    translator.body.append(
        '<details class="seqbook-solution">\n<summary>Show the reference solution to '
        f"<code>{html.escape(node['question'])}</code></summary>\n")


def depart_reference_solution_html(translator, node):
    translator.body.append("</details>\n")


def skip_reference_solution(translator, node):
    """Other builders (LaTeX, text) leave the solutions out."""
    raise nodes.SkipNode


def read_solutions(master_path):
    """Map each question name in an otter master notebook to its solution code."""
    try:
        master = masters.read(master_path)
    except masters.MasterError as error:
        raise ExtensionError(str(error)) from None
    return {question.name: question.solution for question in master.questions
            if question.solution}


def code_cells(doctree):
    """The notebook's code cells, in order, with their source text."""
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") == "cell_code":
            blocks = list(cell.findall(nodes.literal_block))
            yield cell, blocks[0].astext() if blocks else ""


def solution_node(question, code):
    block = nodes.literal_block(code, code, language="python")
    node = reference_solution(question=question)
    node += block
    return node


def insert_solutions(app, doctree):
    """``doctree-read``: add the collapsed solutions to a lab page built from lessons/."""
    docname = app.env.docname
    if not docname.startswith(LESSONS):
        return
    master = pathlib.Path(app.srcdir) / "solutions" / f"{docname[len(LESSONS):]}.ipynb"
    if not master.exists():
        raise ExtensionError(
            f"{docname} has no instructor master at {master}: every lab in lessons/ is "
            "generated from solutions/ (tools/make_lessons.py).")
    app.env.note_dependency(str(master))
    solutions = read_solutions(master)
    placed = set()
    for cell, source in list(code_cells(doctree)):
        match = CHECK_CALL.search(source)
        if not match or match.group(1) not in solutions:
            continue
        question = match.group(1)
        cell.parent.insert(cell.parent.index(cell) + 1,
                           solution_node(question, solutions[question]))
        placed.add(question)
    missing = sorted(set(solutions) - placed)
    if missing:
        raise ExtensionError(
            f"{docname}: no grader.check cell for {', '.join(missing)}, so their reference "
            f"solutions have nowhere to go: regenerate lessons/ with tools/make_lessons.py.")


def setup(app):
    app.add_node(reference_solution,
                 html=(visit_reference_solution_html, depart_reference_solution_html),
                 latex=(skip_reference_solution, None),
                 text=(skip_reference_solution, None),
                 man=(skip_reference_solution, None),
                 texinfo=(skip_reference_solution, None))
    app.connect("doctree-read", insert_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
