"""The chapter contract: everything a chapter of the book must have, in one file.

A chapter is one reading, ``book/NN_topic.md``, and one or more labs. A lab is an
otter-grader master ``solutions/LAB.ipynb`` and the student notebook ``lessons/LAB.ipynb``
that ``tools/make_lessons.py LAB`` generates from it. A chapter split into several labs
(``04a_seq2seq``, ``04b_attention``) shares one reading. The chapters are found on disk:
the masters in ``solutions/``, grouped by their number. ``tools/new_chapter.py NN_topic``
makes a new chapter that keeps every rule (see the README, "Adding a chapter").

The rules. Each is a plain function ``check_<rule>(root, chapter)`` of a repository root
and a chapter id (``"04"``, or any name that starts with the number: ``04b_attention``),
returning a list of problems, empty when the chapter keeps the rule. Every problem names
what is missing and how to fix it.

``reading``
    exactly one ``book/NN_*.md``, titled ``# N. ...``, with a "Learning objectives"
    admonition, numbered sections (``## N.1 ...``), at least one numbered equation
    (``\\tag{N.k}``), a figure whose file exists, and the sections Summary, Key terms,
    Questions and Further reading.
``master``
    every lab has ``solutions/LAB.ipynb`` whose ``# ASSIGNMENT CONFIG`` raw cell names it
    ``LAB``; it opens with a ``# Lab ...`` title and its learning objectives, its first code
    cell is the current ``install-seqbook`` cell (seqbook.course.publishing: it installs
    the book's package where it is missing), its next the set-up (``lab.setup(...)``),
    and it ends with a Summary, Questions and their answers in a cell tagged
    ``instructor-only``.
``lesson``
    every lab has ``lessons/LAB.ipynb``, executed, and in sync with its master: the cells
    otter assign makes from the master today, and the same public tests.
``secrets``
    no solution line, hidden test, instructor-only cell or otter marker reaches a lesson.
``exercises``
    at least ``MIN_EXERCISES`` graded exercises per chapter (over all its labs), each with
    points, a public test and a ``# HIDDEN`` test in the master, its public test in the
    lesson's otter metadata, and test cells that call the pair of check functions
    ``<exercise>_public`` and ``<exercise>_hidden`` of a module in ``seqbook/checks/``.
``explorers``
    every lab calls an explorer (``explorers.<something>(...)``) and its lesson shows at
    least one: a live explorer (a ``text/html`` output holding ``<div
    class="seqbook-explorer" ... data-explorer=...>``, seqbook/views/live.py, which runs by
    itself) or an ipywidgets view with its widget state saved (so the static book can
    render it).
``links``
    the reading links to each of its labs (``../lessons/LAB``) and each lab links back
    to its reading (``../book/NN_topic.md``).
``toc``
    ``_toc.yml`` has the reading (``file: book/NN_topic``) with each lab as one of its
    sections (``file: lessons/LAB``).
``references``
    the reading cites its sources with ``{cite}`` keys that all exist in
    ``book/references.bib`` (the file ``_config.yml`` names), and a bibliography prints
    them: its own ``{bibliography}`` directive, or ``book/bibliography.md`` (in the table
    of contents) with ``:all:``, which is how the book does it today.

And one rule of the whole book, ``check_book(root)``: no lesson without a master, and
every notebook in ``lessons/`` is a page of ``_toc.yml``.

The tests at the top are thin wrappers that run the rules on this repository; the tests at
the bottom break a copy of Chapter 1 in a temporary folder, one way per rule, and see each
rule fail with its message. ``tests/test_new_chapter.py`` runs the rules on a chapter made
by ``tools/new_chapter.py`` in a temporary copy of the repository.

Checked elsewhere, because they need a built book, a browser or a grading run (and moving
them here would build the book or grade every chapter a second time):

- ``tests/test_book.py``: the built reading page shows math, a figure and a working link to
  each lab; the built lab page has the saved widget state and views, a figure, and a link
  back to its reading.
- ``tests/test_browser.py``: every page loads with no console error, typesets its math
  and renders its widgets (desktop and 400 px), the search finds each chapter, each lab
  offers its student notebook and launch buttons and keeps its solutions collapsed.
- ``tests/course/test_grading_cli.py``: through ``seqbook assign`` and ``seqbook grade``,
  each lab's instructor notebook scores full marks and its untouched student notebook
  zero, exercise by exercise; ``tests/course/test_grading.py``: a typical wrong answer to
  each exercise (listed in its ``WRONG_ANSWERS``: add the new chapter's there) loses
  points with a helpful message.
- nbval (``python3 tools/run.py test``): every notebook in ``solutions/`` re-executes to
  its committed outputs, and every notebook in ``lessons/`` does, alone in a fresh
  environment that installs the book's package (``tests/test_colab.py``).
"""

import ast
import dataclasses
import json
import pathlib
import re
import shutil

import nbformat
import pytest
import yaml

from seqbook.course import lessons, publishing
from seqbook.course import masters as otter_masters

ROOT = pathlib.Path(__file__).resolve().parent.parent

MIN_EXERCISES = 4  # graded exercises per chapter, over all its labs
READING_SECTIONS = ("## Summary", "## Key terms", "## Questions", "## Further reading")
LAB_SECTIONS = ("## Summary", "## Questions")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN TESTS", "END TESTS", "BEGIN QUESTION",
           "ASSIGNMENT CONFIG", "# HIDDEN", otter_masters.INSTRUCTOR_ONLY_TAG)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# what seqbook.views.live.LiveExplorer writes into its text/html output
LIVE_EXPLORER = re.compile(r'<div class="seqbook-explorer"[^>]*\bdata-explorer="\w+"')
MAKE_LESSONS = ".venv/bin/python tools/make_lessons.py"


# ---------------------------------------------------------------------------------------
# Finding chapters, and reading masters
# ---------------------------------------------------------------------------------------


def chapter_number(chapter):
    """``"04"`` for ``"04"``, ``"04b_attention"`` or ``"04_attention"``."""
    match = re.match(r"(\d{2})(?!\d)", str(chapter))
    if not match:
        raise ValueError(f"{chapter!r} is not a chapter id: use NN or NN_topic, e.g. 05_topic")
    return match.group(1)


def chapters(root):
    """The chapter numbers that have a master in ``solutions/``, in order."""
    return sorted({chapter_number(path.stem)
                   for path in (pathlib.Path(root) / "solutions").glob("*.ipynb")
                   if re.match(r"\d{2}[a-z]?_", path.stem)})


def labs(root, chapter):
    """The labs of a chapter: the stems of ``solutions/NN_*.ipynb`` and ``NNx_*.ipynb``."""
    number = chapter_number(chapter)
    return sorted(path.stem for path in (pathlib.Path(root) / "solutions").glob("*.ipynb")
                  if re.fullmatch(rf"{number}[a-z]?_\w+", path.stem))


def readings(root, chapter):
    """The chapter's reading files, ``book/NN_*.md`` (one is right)."""
    return sorted((pathlib.Path(root) / "book").glob(f"{chapter_number(chapter)}_*.md"))


@dataclasses.dataclass
class Master:
    """What the contract needs from an otter master notebook."""

    path: pathlib.Path
    notebook: nbformat.NotebookNode
    name: str | None  # the name its ASSIGNMENT CONFIG gives it
    exercises: dict  # exercise name -> points, in the master's order
    tests: dict  # exercise name -> {"public": [cell sources], "hidden": [cell sources]}
    answer_lines: list  # the solution lines otter replaces with ``...``
    instructor_only: list  # the sources of the cells tagged instructor-only
    error: str | None  # why the master could not be read as a master, or None


def read_master(path):
    """Read an otter master with the book's one reader, ``seqbook.course.masters``."""
    path = pathlib.Path(path)
    notebook = nbformat.read(path, as_version=4)
    try:
        master = otter_masters.read(path)
    except otter_masters.MasterError as problem:
        return Master(path, notebook, None, {}, {}, [], [], str(problem))
    return Master(
        path, notebook, master.name,
        {question.name: question.points for question in master.questions},
        {question.name: {"public": list(question.public_tests),
                         "hidden": list(question.hidden_tests)}
         for question in master.questions},
        [line.strip() for question in master.questions for line in question.answer_lines],
        list(master.instructor_only), None)


def _masters(root, chapter):
    return {lab: read_master(pathlib.Path(root) / "solutions" / f"{lab}.ipynb")
            for lab in labs(root, chapter)}


def _lesson(root, lab):
    path = pathlib.Path(root) / "lessons" / f"{lab}.ipynb"
    return nbformat.read(path, as_version=4) if path.exists() else None


def _markdown(notebook):
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def _code(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _no_labs(chapter):
    return [f"chapter {chapter_number(chapter)} has no master notebook solutions/"
            f"{chapter_number(chapter)}_*.ipynb: make one with tools/new_chapter.py"]


def toc_entries(root):
    """Every ``file:`` of ``_toc.yml`` with the files of its ``sections``."""
    toc = yaml.safe_load((pathlib.Path(root) / "_toc.yml").read_text()) or {}
    entries = {toc.get("root"): []}

    def walk(items):
        for item in items or []:
            if "file" in item:
                entries[item["file"]] = [section.get("file")
                                         for section in item.get("sections") or []]
            walk(item.get("sections"))
            walk(item.get("chapters"))

    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return entries


# ---------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------


def check_reading(root, chapter):
    """One reading with the anatomy of book/NN_topic.md (see ../shared/CHAPTER.md)."""
    number = chapter_number(chapter)
    found = readings(root, chapter)
    if not found:
        return [f"chapter {number} has no reading book/{number}_*.md: write it "
                f"(tools/new_chapter.py {number}_topic makes a skeleton)"]
    if len(found) > 1:
        return [f"chapter {number} has several readings ({', '.join(p.name for p in found)}):"
                " keep one, and let its labs share it"]
    path, problems = found[0], []
    name = f"book/{path.name}"
    text = path.read_text()
    title = text.lstrip().splitlines()[0] if text.strip() else ""
    if not re.fullmatch(rf"# {int(number)}\. \S.*", title):
        problems.append(f"{name} should start with its title '# {int(number)}. ...', "
                        f"not {title[:60]!r}")
    if not re.search(r"\{admonition\}\s+Learning objectives", text):
        problems.append(f"{name} has no learning objectives: add a ':::{{admonition}} "
                        "Learning objectives' block under the title")
    if not re.search(rf"^## {int(number)}\.1 ", text, re.M):
        problems.append(f"{name} has no numbered sections: start them '## {int(number)}.1 ...'")
    for section in READING_SECTIONS:
        if not re.search(rf"^{re.escape(section)}\s*$", text, re.M):
            problems.append(f"{name} has no '{section}' section: add it")
    if not re.search(rf"\\tag\{{{int(number)}\.\d+\}}", text):
        problems.append(f"{name} has no numbered equation: number its equations with "
                        f"\\tag{{{int(number)}.1}} inside their $$ blocks")
    figures = re.findall(r"[`:]{3}\{figure\}\s+(\S+)", text) + \
        re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text)
    if not figures:
        problems.append(f"{name} has no figure: add a ```{{figure}} figures/... block "
                        "(a diagram drawn by our code or our own SVG)")
    for figure in figures:
        if not figure.startswith(("http:", "https:")) and not (path.parent / figure).exists():
            problems.append(f"{name} shows the figure {figure}, which does not exist: add "
                            f"book/{figure} or fix the path")
    problems += unanswered_questions(name, text)
    return problems


def unanswered_questions(name, text):
    """Each numbered question of the reading's "## Questions" section needs its answer, a
    ```{answer}``` block (book/_ext/reading_answers.py) inside the question's list item."""
    section = re.search(r"^## Questions\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not section:
        return []
    items = re.split(r"^(?=\d+\. )", section.group(1), flags=re.M)[1:]
    if not items:
        return [f"{name}'s Questions section has no numbered questions ('1. ...')"]
    return [f"{name}: question {item.split('.')[0]} has no answer: add a ```{{answer}} block "
            "under it, indented into the list item (it shows collapsed on the page)"
            for item in items if not re.search(r"^\s+[`:]{3,}\{answer\}", item, re.M)]


def check_master(root, chapter):
    """Every lab has an otter master that names itself and has the lab's anatomy."""
    masters = _masters(root, chapter)
    if not masters:
        return _no_labs(chapter)
    problems = []
    for lab, master in masters.items():
        where = f"solutions/{lab}.ipynb"
        if master.error:
            problems.append(f"{where} is not an otter master: {master.error}")
        elif master.name != lab:
            problems.append(f"{where}: its ASSIGNMENT CONFIG names it {master.name!r}: set "
                            f"'name: {lab}' (the name is the lab's file name)")
        cells = master.notebook.cells
        titles = [cell for cell in cells if cell.cell_type == "markdown"][:1]
        if not titles or not titles[0].source.startswith("# Lab "):
            problems.append(f"{where} should open with a markdown cell titled '# Lab ...'")
        elif "Learning objectives" not in titles[0].source:
            problems.append(f"{where}: its title cell has no 'Learning objectives': list 3 to"
                            " 6, each tied to an exercise or a demo")
        code = _code(master.notebook)
        if not code or not otter_masters.is_install_cell(code[0]):
            problems.append(f"{where}: its first code cell should be the '"
                            f"{otter_masters.INSTALL_TAG}' cell, which installs the book's "
                            "package where it is missing: run tools/make_lessons.py "
                            "--setup-cell-only")
        elif code[0].source != publishing.setup_cell_source():
            problems.append(f"{where}: its '{otter_masters.INSTALL_TAG}' cell is out of "
                            "date: run tools/make_lessons.py --setup-cell-only")
        code = [cell for cell in code if not otter_masters.is_install_cell(cell)]
        if not code or "lab.setup(" not in code[0].source:
            problems.append(f"{where}: its first code cell should be the set-up (imports, "
                            "then rng = lab.setup(seed=0)), which grading runs before "
                            "each exercise")
        markdown = _markdown(master.notebook)
        for section in LAB_SECTIONS:
            if not re.search(rf"^{re.escape(section)}\s*$", markdown, re.M):
                problems.append(f"{where} has no '{section}' section: add it at the end")
        if not any(otter_masters.INSTRUCTOR_ONLY_TAG in cell.metadata.get("tags", [])
                   for cell in cells):
            problems.append(f"{where} has no instructor-only answers: answer the Questions "
                            f"in a markdown cell tagged '{otter_masters.INSTRUCTOR_ONLY_TAG}'")
    return problems


def check_lesson(root, chapter):
    """Every lab's student notebook exists, is executed and is in sync with its master."""
    masters = _masters(root, chapter)
    if not masters:
        return _no_labs(chapter)
    problems = []
    for lab in masters:
        committed = _lesson(root, lab)
        fix = f"run {MAKE_LESSONS} {lab}"
        if committed is None:
            problems.append(f"there is no lessons/{lab}.ipynb: {fix}")
            continue
        if any(cell.execution_count is None for cell in _code(committed)):
            problems.append(f"lessons/{lab}.ipynb is not executed: {fix} (without "
                            "--no-execute), which stores outputs and widget state")
        try:
            expected = lessons.student_notebook(pathlib.Path(root) / "solutions" / f"{lab}.ipynb")
        except lessons.AssignmentError as error:
            problems.append(f"otter assign cannot make the lesson of {lab}: {error}")
            continue
        in_sync = lessons.same_cells(expected, committed) and (
            committed.metadata.get("otter", {}).get("tests")
            == expected.metadata["otter"]["tests"])
        if not in_sync:
            problems.append(f"lessons/{lab}.ipynb is out of date with solutions/{lab}.ipynb: "
                            f"{fix}")
    return problems


def check_secrets(root, chapter):
    """No solution, hidden test, instructor-only cell or otter marker reaches a lesson."""
    masters = _masters(root, chapter)
    if not masters:
        return _no_labs(chapter)
    problems = []
    for lab, master in masters.items():
        path = pathlib.Path(root) / "lessons" / f"{lab}.ipynb"
        if not path.exists():
            problems.append(f"there is no lessons/{lab}.ipynb to check: run {MAKE_LESSONS} {lab}")
            continue
        text = path.read_text()
        sources = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        everything = sources + "\n" + json.dumps(json.loads(text).get("metadata", {}))
        fix = (f"keep it inside the master's markers and run {MAKE_LESSONS} {lab}; never "
               "edit lessons/ by hand")
        leaked = [line for line in master.answer_lines if len(line) >= 12 and line in everything]
        if leaked:
            problems.append(f"solution code found in lessons/{lab}.ipynb ({leaked[0]!r}): {fix}")
        for tests in master.tests.values():
            for source in tests["hidden"]:
                for name in re.findall(r"def (test_\w+)", source):
                    if name in everything:
                        problems.append(f"the hidden test {name} is in lessons/{lab}.ipynb: "
                                        f"{fix}")
        for source in master.instructor_only:
            if source.strip() and source in everything:
                problems.append(f"an instructor-only cell of solutions/{lab}.ipynb is in "
                                f"lessons/{lab}.ipynb: {fix}")
        for marker in MARKERS:
            if marker in sources:
                problems.append(f"the otter marker {marker!r} is left in lessons/{lab}.ipynb:"
                                f" {fix}")
    return problems


def _defined_functions(path):
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return None
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def check_exercises(root, chapter, minimum=MIN_EXERCISES):
    """Enough exercises, each with points, public and hidden tests and its check pair."""
    masters = _masters(root, chapter)
    if not masters:
        return _no_labs(chapter)
    number, problems = chapter_number(chapter), []
    count = sum(len(master.exercises) for master in masters.values())
    if count < minimum:
        problems.append(f"chapter {number} has {count} graded exercise(s); at least {minimum}"
                        " wanted: add '# BEGIN QUESTION' blocks to its master(s)")
    for lab, master in masters.items():
        where = f"solutions/{lab}.ipynb"
        if not master.exercises:
            problems.append(f"{where} has no graded exercise: add a '# BEGIN QUESTION' block "
                            "with a solution that defines the exercise's function")
        lesson = _lesson(root, lab)
        public_in_lesson = (lesson.metadata.get("otter", {}).get("tests", {})
                            if lesson is not None else None)
        for exercise, points in master.exercises.items():
            tests = master.tests.get(exercise, {"public": [], "hidden": []})
            if not points > 0:
                problems.append(f"{exercise} in {where} has no points: set 'points:' in its "
                                "BEGIN QUESTION cell")
            if not tests["public"]:
                problems.append(f"{exercise} in {where} has no public test: add a test cell "
                                f"'def test_{exercise}_public({exercise}): ...' between "
                                "BEGIN TESTS and END TESTS")
            if not any(f"def test_{exercise}_hidden" in source for source in tests["hidden"]):
                problems.append(f"{exercise} in {where} has no hidden test: add a cell "
                                f"starting '# HIDDEN' that defines test_{exercise}_hidden")
            if public_in_lesson is not None and exercise not in public_in_lesson:
                problems.append(f"{exercise} has no public check in lessons/{lab}.ipynb: "
                                f"run {MAKE_LESSONS} {lab}")
            sources = "\n".join(tests["public"] + tests["hidden"])
            modules = sorted(set(re.findall(r"from seqbook\.checks import (\w+)", sources)))
            if not modules:
                problems.append(f"the tests of {exercise} in {where} use no check module: "
                                "call seqbook.checks.<module>."
                                f"{exercise}_public / _hidden from them")
            for module in modules:
                path = pathlib.Path(root) / "seqbook" / "checks" / f"{module}.py"
                defined = _defined_functions(path)
                if defined is None:
                    problems.append(f"{exercise}'s tests import seqbook.checks.{module}, but "
                                    f"seqbook/checks/{module}.py is missing or does not parse")
                    continue
                for kind in ("public", "hidden"):
                    check = f"{exercise}_{kind}"
                    if check not in defined:
                        problems.append(f"seqbook/checks/{module}.py has no function {check}:"
                                        f" write def {check}(student) for {exercise}'s "
                                        f"{kind} test")
            for kind in ("public", "hidden"):
                if tests[kind] and not any(re.search(rf"\b{exercise}_{kind}\(", source)
                                           for source in tests[kind]):
                    problems.append(f"the {kind} test of {exercise} in {where} does not call "
                                    f"checks.{exercise}_{kind}(...): the checks belong in "
                                    "seqbook/checks/, where they are tested")
    return problems


def _widget_views(notebook):
    return [output["data"][WIDGET_VIEW].get("model_id")
            for cell in _code(notebook) for output in cell.get("outputs", [])
            if WIDGET_VIEW in output.get("data", {})]


def _is_live_explorer(output):
    """True for a text/html output holding a live explorer (seqbook.views.live)."""
    html = output.get("data", {}).get("text/html", "")
    return bool(LIVE_EXPLORER.search("".join(html) if isinstance(html, list) else str(html)))


def _live_explorers(notebook):
    return [output for cell in _code(notebook) for output in cell.get("outputs", [])
            if _is_live_explorer(output)]


def check_explorers(root, chapter):
    """Every lab shows at least one explorer: a live one, or a widget with saved state."""
    masters = _masters(root, chapter)
    if not masters:
        return _no_labs(chapter)
    problems = []
    for lab, master in masters.items():
        calls = [cell for cell in _code(master.notebook)
                 if re.search(r"\b(explorers\.\w+|live\.LiveExplorer)\(", cell.source)]
        if not calls:
            problems.append(f"solutions/{lab}.ipynb shows no explorer: add a cell that calls "
                            "one from seqbook.views.explorers (or a seqbook.views.live."
                            "LiveExplorer), with what to try beside it")
        lesson = _lesson(root, lab)
        if lesson is None:
            problems.append(f"there is no lessons/{lab}.ipynb to show its explorers: run "
                            f"{MAKE_LESSONS} {lab}")
            continue
        state = lesson.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        views = _widget_views(lesson)
        if not views and not _live_explorers(lesson):
            problems.append(f"lessons/{lab}.ipynb shows no explorer (no live explorer "
                            f"output, no widget view): run {MAKE_LESSONS} {lab}, which "
                            "executes it and saves its outputs and widget state")
        elif not all(view in state for view in views):
            problems.append(f"lessons/{lab}.ipynb shows widgets whose state is not saved: run "
                            f"{MAKE_LESSONS} {lab} (editors and nbstripout drop the state)")
    return problems


def check_links(root, chapter):
    """The reading links to each lab, and each lab links back to the reading."""
    masters = _masters(root, chapter)
    found = readings(root, chapter)
    if not masters:
        return _no_labs(chapter)
    if len(found) != 1:
        return [f"chapter {chapter_number(chapter)} needs one reading book/"
                f"{chapter_number(chapter)}_*.md to link with its labs"]
    reading = found[0]
    text = reading.read_text()
    problems = []
    for lab, master in masters.items():
        if not re.search(rf"\.\./lessons/{lab}(\.ipynb)?\b", text):
            problems.append(f"book/{reading.name} does not link to its lab: add "
                            f"{{doc}}`its lab <../lessons/{lab}>`")
        back = rf"\.\./book/{reading.stem}(\.md)?\b"
        if not re.search(back, _markdown(master.notebook)):
            problems.append(f"solutions/{lab}.ipynb does not link back to its reading: add "
                            f"[Chapter {int(chapter_number(chapter))}](../book/{reading.name})"
                            " to its title cell")
    return problems


def check_toc(root, chapter):
    """The reading is in _toc.yml, with each lab as one of its sections."""
    masters = _masters(root, chapter)
    found = readings(root, chapter)
    if not masters:
        return _no_labs(chapter)
    if len(found) != 1:
        return [f"chapter {chapter_number(chapter)} needs one reading book/"
                f"{chapter_number(chapter)}_*.md for _toc.yml to list"]
    entries = toc_entries(root)
    reading = f"book/{found[0].stem}"
    if reading not in entries:
        return [f"_toc.yml has no entry for {reading}: add '- file: {reading}' to the "
                f"Chapters part, with its labs as sections"]
    return [f"_toc.yml does not list lessons/{lab} under {reading}: add '- file: "
            f"lessons/{lab}' to its sections" for lab in masters
            if f"lessons/{lab}" not in entries[reading]]


def bibliography_keys(root):
    """The keys of the BibTeX files ``_config.yml`` names."""
    config = yaml.safe_load((pathlib.Path(root) / "_config.yml").read_text()) or {}
    keys = set()
    for name in config.get("bibtex_bibfiles") or []:
        path = pathlib.Path(root) / name
        if path.exists():
            keys |= set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", path.read_text(), re.M))
    return config.get("bibtex_bibfiles") or [], keys


def cited_keys(text):
    """The keys a MyST page cites with {cite}, {cite:p}, {cite:t}, ..."""
    return [key.strip() for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text)
            for key in keys.split(",") if key.strip()]


def check_references(root, chapter):
    """The reading cites known sources, and a bibliography prints them."""
    found = readings(root, chapter)
    if len(found) != 1:
        return [f"chapter {chapter_number(chapter)} needs one reading book/"
                f"{chapter_number(chapter)}_*.md to hold its references"]
    reading = found[0]
    name = f"book/{reading.name}"
    text = reading.read_text()
    files, known = bibliography_keys(root)
    problems = []
    if "book/references.bib" not in files:
        problems.append("_config.yml does not name book/references.bib in bibtex_bibfiles: "
                        "add it")
    cited = cited_keys(text)
    if not cited:
        problems.append(f"{name} cites nothing: cite its sources with {{cite:t}}`key` or "
                        "{cite:p}`key`, with their entries in book/references.bib")
    for key in dict.fromkeys(cited):
        if key not in known:
            problems.append(f"{name} cites {key!r}, which is not in book/references.bib: add "
                            "its BibTeX entry there (or fix the key)")
    own = re.search(r"[`:]{3}\{bibliography\}", text)
    book_page = pathlib.Path(root) / "book" / "bibliography.md"
    covered = (book_page.exists() and "book/bibliography" in toc_entries(root)
               and re.search(r"[`:]{3}\{bibliography\}[^\n]*\n(:[^\n]*\n)*:all:",
                             book_page.read_text()))
    if not own and not covered:
        problems.append(f"nothing prints the references of {name}: keep ':all:' in the "
                        "{bibliography} directive of book/bibliography.md (listed in "
                        "_toc.yml), or give the reading its own {bibliography} directive")
    return problems


RULES = {
    "reading": check_reading,
    "master": check_master,
    "lesson": check_lesson,
    "secrets": check_secrets,
    "exercises": check_exercises,
    "explorers": check_explorers,
    "links": check_links,
    "toc": check_toc,
    "references": check_references,
}


def check_chapter(root, chapter, minimum=MIN_EXERCISES):
    """Every rule's problems for one chapter: {rule: [problems]} (all empty when kept)."""
    results = {rule: check(root, chapter) for rule, check in RULES.items()
               if rule != "exercises"}
    results["exercises"] = check_exercises(root, chapter, minimum)
    return {rule: results[rule] for rule in RULES}


def check_book(root):
    """The rule of the whole book: no stray lesson, and every lesson is a page."""
    root = pathlib.Path(root)
    masters = {path.stem for path in (root / "solutions").glob("*.ipynb")}
    problems = [f"lessons/{path.name} has no master solutions/{path.name}: delete it, or "
                "restore its master and run tools/make_lessons.py"
                for path in sorted((root / "lessons").glob("*.ipynb"))
                if path.stem not in masters]
    pages = set(toc_entries(root))
    pages |= {section for sections in toc_entries(root).values() for section in sections}
    problems += [f"lessons/{path.name} is not a page of _toc.yml: add '- file: lessons/"
                 f"{path.stem}' under its reading" for path in sorted((root / "lessons")
                                                                      .glob("*.ipynb"))
                 if f"lessons/{path.stem}" not in pages]
    return problems


# ---------------------------------------------------------------------------------------
# The contract, on this repository
# ---------------------------------------------------------------------------------------

CHAPTERS = chapters(ROOT)


def assert_keeps(rule, chapter):
    problems = RULES[rule](ROOT, chapter)
    assert not problems, f"chapter {chapter} breaks the '{rule}' rule:\n" + "\n".join(problems)


def test_the_book_has_chapters():
    assert CHAPTERS, "no master notebooks found in solutions/"


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("rule", RULES)
def test_chapter_keeps_the_rule(rule, chapter):
    """One case per rule and chapter, e.g. ``test_chapter_keeps_the_rule[links-02_lstm]``:
    a reading, a master per lab, generated lessons in sync, no secrets in them, graded
    exercises with public and hidden checks, explorers, links both ways, a table of
    contents entry and references."""
    assert_keeps(rule, chapter)


def test_every_lesson_has_a_master_and_a_page():
    problems = check_book(ROOT)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------
# Every rule can fail: a copy of Chapter 1, broken one way at a time
# ---------------------------------------------------------------------------------------

CHAPTER_ONE_FILES = ["_toc.yml", "_config.yml", "book/01_rnn.md", "book/references.bib",
                     "book/bibliography.md", "solutions/01_rnn.ipynb",
                     "lessons/01_rnn.ipynb", "seqbook/checks/rnn.py"]


def copy_chapter_one(target):
    """The files the contract reads for Chapter 1, copied under ``target``."""
    for name in CHAPTER_ONE_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "book" / "figures", target / "book" / "figures")
    return target


@pytest.fixture
def chapter_one(tmp_path):
    return copy_chapter_one(tmp_path)


def edit_text(root, name, old, new, count=-1):
    path = root / name
    text = path.read_text()
    assert old in text, f"{old!r} is not in {name}: update the broken-chapter case"
    path.write_text(text.replace(old, new, count))


def edit_notebook(root, name, change):
    path = root / name
    notebook = nbformat.read(path, as_version=4)
    change(notebook)
    nbformat.write(notebook, path)


def first_cell(notebook, test):
    return next(cell for cell in notebook.cells if test(cell))


def tag_of(cell):
    return cell.metadata.get("tags", [])


def _set_config_name(notebook):
    config = first_cell(notebook, lambda c: c.source.startswith("# ASSIGNMENT CONFIG"))
    config.source = config.source.replace("name: 01_rnn", "name: rnn_lab")


def _untag_answers(notebook):
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)


def _drop_setup(notebook):
    setup = first_cell(notebook, lambda c: c.cell_type == "code"
                       and not otter_masters.is_install_cell(c))
    setup.source = setup.source.replace("rng = lab.setup(seed=0)", "rng = None")


def _untag_install(notebook):
    first_cell(notebook, otter_masters.is_install_cell).metadata["tags"] = []


def _age_install(notebook):
    first_cell(notebook, otter_masters.is_install_cell).source += "\n# an older version"


def _edit_title(notebook):
    first_cell(notebook, lambda c: c.cell_type == "markdown").source += "\n\nA new line."


def _unexecute(notebook):
    for cell in _code(notebook):
        cell.execution_count = None


def _leak_solution(notebook, line):
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"```\n{line}\n```"))


def _drop_hidden_test(notebook):
    notebook.cells = [cell for cell in notebook.cells
                      if "def test_rnn_forward_hidden" not in cell.source]


def _drop_public_metadata(notebook):
    del notebook.metadata["otter"]["tests"]["rnn_forward"]


def _drop_explorers(notebook):
    for cell in _code(notebook):
        cell.outputs = [output for output in cell.outputs
                        if WIDGET_VIEW not in output.get("data", {})
                        and not _is_live_explorer(output)]


def _drop_back_link(notebook):
    for cell in notebook.cells:
        cell.source = cell.source.replace("../book/01_rnn.md", "../book/intro.md")


def _leak_hidden_test(root):
    master = nbformat.read(root / "solutions/01_rnn.ipynb", as_version=4)
    hidden = first_cell(master, lambda c: c.source.startswith("# HIDDEN"))
    edit_notebook(root, "lessons/01_rnn.ipynb",
                  lambda notebook: notebook.cells.append(
                      nbformat.v4.new_code_cell(hidden.source)))


def _leak_first_solution_line(root):
    line = read_master(root / "solutions/01_rnn.ipynb").answer_lines[0]
    edit_notebook(root, "lessons/01_rnn.ipynb", lambda notebook: _leak_solution(notebook, line))


READING = "book/01_rnn.md"
MASTER = "solutions/01_rnn.ipynb"
LESSON = "lessons/01_rnn.ipynb"

# (rule, how to break the copy, words the rule's message must contain: what, then how)
BROKEN = {
    "no reading": ("reading", lambda r: (r / READING).unlink(),
                   ["no reading book/01_*.md", "tools/new_chapter.py"]),
    "two readings": ("reading", lambda r: shutil.copy(r / READING, r / "book/01_more.md"),
                     ["several readings", "keep one"]),
    "no title": ("reading", lambda r: edit_text(r, READING, "# 1. Sequences", "# Sequences"),
                 ["title '# 1. ...'"]),
    "no objectives": ("reading", lambda r: edit_text(r, READING, "{admonition} Learning",
                                                     "{admonition} Aims of"),
                      ["no learning objectives", "add"]),
    "unanswered question": ("reading",
                            lambda r: edit_text(r, READING, "```{answer}", "```{note}", 1),
                            ["question 1 has no answer", "{answer}"]),
    "no key terms": ("reading", lambda r: edit_text(r, READING, "## Key terms", "## Words"),
                     ["no '## Key terms' section", "add it"]),
    "no numbered equation": ("reading", lambda r: edit_text(r, READING, "\\tag{", "\\label{"),
                             ["no numbered equation", "\\tag{1.1}"]),
    "missing figure": ("reading", lambda r: (r / "book/figures/rnn_cell.svg").unlink(),
                       ["figures/rnn_cell.svg, which does not exist", "add book/figures"]),
    "config names another lab": ("master", lambda r: edit_notebook(r, MASTER, _set_config_name),
                                 ["names it 'rnn_lab'", "name: 01_rnn"]),
    "no instructor answers": ("master", lambda r: edit_notebook(r, MASTER, _untag_answers),
                              ["no instructor-only answers", "tagged 'instructor-only'"]),
    "no set-up cell": ("master", lambda r: edit_notebook(r, MASTER, _drop_setup),
                       ["first code cell should be the set-up", "lab.setup(seed=0)"]),
    "no install cell": ("master", lambda r: edit_notebook(r, MASTER, _untag_install),
                        ["first code cell should be the 'install-seqbook' cell",
                         "--setup-cell-only"]),
    "stale install cell": ("master", lambda r: edit_notebook(r, MASTER, _age_install),
                           ["'install-seqbook' cell is out of date", "--setup-cell-only"]),
    "no lesson": ("lesson", lambda r: (r / LESSON).unlink(),
                  ["no lessons/01_rnn.ipynb", "tools/make_lessons.py 01_rnn"]),
    "lesson out of date": ("lesson", lambda r: edit_notebook(r, MASTER, _edit_title),
                           ["out of date with solutions/01_rnn.ipynb",
                            "tools/make_lessons.py 01_rnn"]),
    "lesson not executed": ("lesson", lambda r: edit_notebook(r, LESSON, _unexecute),
                            ["not executed", "tools/make_lessons.py 01_rnn"]),
    "solution leaked": ("secrets", _leak_first_solution_line,
                        ["solution code found in lessons/01_rnn.ipynb", "never edit lessons/"]),
    "hidden test leaked": ("secrets", _leak_hidden_test,
                           ["hidden test test_rnn_cell_forward_hidden", "make_lessons.py"]),
    "too few exercises": ("exercises", None, ["6 graded exercise(s); at least 7",
                                              "add '# BEGIN QUESTION'"]),
    "no hidden test": ("exercises", lambda r: edit_notebook(r, MASTER, _drop_hidden_test),
                       ["rnn_forward in solutions/01_rnn.ipynb has no hidden test",
                        "'# HIDDEN'"]),
    "no public check in the lesson": ("exercises",
                                      lambda r: edit_notebook(r, LESSON, _drop_public_metadata),
                                      ["rnn_forward has no public check in lessons/01_rnn",
                                       "make_lessons.py 01_rnn"]),
    "no hidden check function": ("exercises",
                                 lambda r: edit_text(r, "seqbook/checks/rnn.py",
                                                     "def rnn_forward_hidden(",
                                                     "def rnn_forward_secret("),
                                 ["seqbook/checks/rnn.py has no function rnn_forward_hidden",
                                  "write def rnn_forward_hidden(student)"]),
    "no explorer": ("explorers", lambda r: edit_notebook(r, LESSON, _drop_explorers),
                    ["lessons/01_rnn.ipynb shows no explorer", "make_lessons.py"]),
    "no link to the lab": ("links", lambda r: edit_text(r, READING, "../lessons/01_rnn",
                                                        "../book/intro"),
                           ["book/01_rnn.md does not link to its lab",
                            "<../lessons/01_rnn>"]),
    "no link back": ("links", lambda r: edit_notebook(r, MASTER, _drop_back_link),
                     ["solutions/01_rnn.ipynb does not link back to its reading",
                      "(../book/01_rnn.md)"]),
    "lab not in the toc": ("toc", lambda r: edit_text(r, "_toc.yml",
                                                      "          - file: lessons/01_rnn\n", ""),
                           ["does not list lessons/01_rnn under book/01_rnn",
                            "add '- file: lessons/01_rnn'"]),
    "reading not in the toc": ("toc", lambda r: edit_text(r, "_toc.yml", "book/01_rnn",
                                                          "book/01_gone"),
                               ["no entry for book/01_rnn", "add '- file: book/01_rnn'"]),
    "unknown citation": ("references", lambda r: edit_text(r, READING, "{cite:p}`elman1990`",
                                                           "{cite:p}`nobody2099`", 1),
                         ["cites 'nobody2099', which is not in book/references.bib",
                          "add its BibTeX entry"]),
    "no citation": ("references",
                    lambda r: (r / READING).write_text(
                        re.sub(r"\{cite(:\w+)?\}`[^`]+`", "someone", (r / READING).read_text())),
                    ["cites nothing", "{cite:t}`key`"]),
    "no bibliography": ("references", lambda r: edit_text(r, "book/bibliography.md",
                                                          ":all:\n", ""),
                        ["nothing prints the references", "':all:'"]),
}


def test_an_untouched_copy_of_chapter_one_keeps_every_rule(chapter_one):
    """So the broken copies below fail because of what was broken, not of the copying."""
    results = check_chapter(chapter_one, "01")
    assert not any(results.values()), results
    assert not check_book(chapter_one)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_rule_can_fail_and_says_what_is_missing_and_how_to_fix_it(case, chapter_one):
    rule, breaking, words = BROKEN[case]
    if breaking is None:  # too few exercises: Chapter 1 has 6; ask for more
        problems = check_exercises(chapter_one, "01", minimum=7)
    else:
        breaking(chapter_one)
        problems = RULES[rule](chapter_one, "01")
    assert problems, f"the '{rule}' rule did not notice: {case}"
    message = "\n".join(problems)
    for word in words:
        assert word in message, f"{case}: the message lacks {word!r}:\n{message}"


def test_a_stray_lesson_breaks_the_book_rule(chapter_one):
    shutil.copy(chapter_one / LESSON, chapter_one / "lessons" / "09_orphan.ipynb")
    message = "\n".join(check_book(chapter_one))
    assert "lessons/09_orphan.ipynb has no master" in message, message
    assert "lessons/09_orphan.ipynb is not a page of _toc.yml" in message, message


def test_a_chapter_that_does_not_exist_fails_every_rule(chapter_one):
    results = check_chapter(chapter_one, "07")
    assert all(results.values()), {rule: p for rule, p in results.items() if not p}
    assert "no reading book/07_*.md" in "\n".join(results["reading"])
    assert "no master notebook solutions/07_*.ipynb" in "\n".join(results["master"])


def _show_only_a_live_explorer(notebook):
    """The lesson's explorers replaced by one live explorer output, as
    seqbook.views.live writes it (what a regenerated lab holds)."""
    from seqbook.views import explorers

    _drop_explorers(notebook)
    live = explorers.squashing_explorer()
    cell = nbformat.v4.new_code_cell("explorers.squashing_explorer()")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={
        "text/html": live._repr_html_(), "text/plain": repr(live)}, execution_count=1)]
    notebook.cells.append(cell)


def test_a_live_explorer_output_counts_as_an_explorer(chapter_one):
    edit_notebook(chapter_one, LESSON, _show_only_a_live_explorer)
    assert check_explorers(chapter_one, "01") == []
    edit_notebook(chapter_one, LESSON, lambda notebook: [
        output.data.update({"text/html": output.data["text/html"].replace(
            "data-explorer=", "data-kind=")})
        for output in notebook.cells[-1].outputs])
    assert "shows no explorer" in "\n".join(check_explorers(chapter_one, "01"))
