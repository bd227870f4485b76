"""Show each exercise's reference solution on its lab page, collapsed until asked for,
and say what each check cell tries instead of showing its failing output.

A lab page is built from the student notebook ``lessons/NN_topic.ipynb`` (which is also
the notebook the page offers for download, so it must stay free of solutions). At build
time this Sphinx extension reads the instructor master ``solutions/NN_topic.ipynb`` (with
``seqbook.course.masters``, the book's one reader of otter's format), takes each
question's solution code (the cells between otter's ``# BEGIN SOLUTION`` and ``# END
SOLUTION`` raw cells, with the in-cell marker lines dropped), and inserts it below
the question's ``grader.check("name")`` cell on the lab page, inside an HTML
``<details class="seqbook-solution">`` element: closed by default, opened with a click,
and working without JavaScript.

The page does not show what the student copy's ``grader.check`` cells printed: run on the
untouched stubs, they are red "Test case failed" reports. Each check cell's output is
replaced by one line (``<p class="seqbook-check-note">``) saying what the check tries (the
first line of the docstring of the public check in ``seqbook.checks`` that the master's
test cell calls) and that it runs in Jupyter, on the reader's own code. The notebook in
lessons/ keeps its outputs as they are.
"""

import html
import importlib
import pathlib
import re

from docutils import nodes
from sphinx.errors import ExtensionError

from seqbook.course import masters

CHECK_CALL = re.compile(r"""grader\.check\(\s*["']([^"']+)["']\s*\)""")
LESSONS = "lessons/"
# in a master's public test cell: which module of seqbook.checks it uses and which check
CHECKS_MODULE = re.compile(r"from seqbook\.checks import (\w+) as checks")
CHECK_FUNCTION = re.compile(r"\bchecks\.(\w+)\(")


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


def public_check(question, where):
    """The public check function a question's test cell calls (``seqbook.checks``)."""
    for source in question.public_tests:
        module, function = CHECKS_MODULE.search(source), CHECK_FUNCTION.search(source)
        if module and function:
            checks = importlib.import_module(f"seqbook.checks.{module.group(1)}")
            if not hasattr(checks, function.group(1)):
                raise ExtensionError(
                    f"{where}: the public test of {question.name} calls "
                    f"seqbook.checks.{module.group(1)}.{function.group(1)}, which does not "
                    "exist: name the check as seqbook/checks defines it.")
            return getattr(checks, function.group(1))
    raise ExtensionError(
        f"{where}: the public test of {question.name} calls no seqbook.checks function "
        "(from seqbook.checks import <chapter> as checks; checks.<name>_public(...)), so "
        "its lab page cannot say what the check tries.")


def check_notes(master_path):
    """Map each question name to what its public check tries (its docstring's first
    paragraph), which the lab page shows in place of the check cell's output."""
    try:
        master = masters.read(master_path)
    except masters.MasterError as error:
        raise ExtensionError(str(error)) from None
    notes = {}
    for question in master.questions:
        check = public_check(question, master_path)
        summary = (check.__doc__ or "").strip().split("\n\n")[0]
        if not summary:
            raise ExtensionError(
                f"seqbook.checks: {check.__name__} has no docstring: "
                "its first paragraph is the line the lab page shows for the check of "
                f"{question.name} (what the check tries).")
        notes[question.name] = " ".join(summary.split())
    return notes


def check_note_node(question, summary):
    """The line a check cell shows on the page: what it tests, and that Jupyter runs it."""
    paragraph = nodes.paragraph(classes=["seqbook-check-note"])
    paragraph += nodes.Text("Run in Jupyter, this cell tests your ")
    paragraph += nodes.literal(question, question)
    paragraph += nodes.Text(f" and prints whether it passes. Its public test: {summary}")
    return paragraph


def replace_check_output(cell, question, summary):
    """Put the check's line where the check cell's saved output was (a red failure report)."""
    outputs = [child for child in cell.children
               if isinstance(child, nodes.container)
               and child.get("nb_element") == "cell_code_output"]
    for output in outputs:
        cell.remove(output)
    output = nodes.container(nb_element="cell_code_output", classes=["cell_output"])
    output += check_note_node(question, summary)
    cell += output


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
    notes = check_notes(master)
    placed = set()
    for cell, source in list(code_cells(doctree)):
        match = CHECK_CALL.search(source)
        if match and match.group(1) in notes:
            replace_check_output(cell, match.group(1), notes[match.group(1)])
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
