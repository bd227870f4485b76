"""The one reader of the book's otter-grader assignment masters (``solutions/*.ipynb``).

A master is a notebook in otter assign's format:

- a raw cell starting ``# ASSIGNMENT CONFIG``, then YAML: the assignment's settings,
  among them its ``name`` (``01_rnn``);
- per exercise, a question block: a raw ``# BEGIN QUESTION`` cell with YAML ``name:`` and
  ``points:``, then the prompt (Markdown), a solution block (raw ``# BEGIN SOLUTION``,
  the code cell defining the exercise function, whose body sits between ``# BEGIN
  SOLUTION`` and ``# END SOLUTION`` comment lines, raw ``# END SOLUTION``), a tests block
  (raw ``# BEGIN TESTS``, one code cell per test, hidden ones starting ``# HIDDEN``, raw
  ``# END TESTS``) and a raw ``# END QUESTION``;
- cells tagged ``instructor-only`` (answers to the end-of-chapter questions), which the
  student notebook leaves out;
- everything else: the lab's prose and code, shared by both versions.

``read`` turns a master into a ``Master`` (config, questions in order, instructor-only
cells, the set-up code grading runs). Grading (``chapters``), the book's collapsed
solutions (``book/_ext/lab_solutions.py``) and the tests that guard ``lessons/`` all use
it. Boundary cells are recognised as otter recognises them (a raw cell whose first line
is ``# BEGIN QUESTION``, in any case and spacing) and their nesting is checked as otter
checks it, so a master this reader accepts has the structure otter assign expects.

The small helpers at the top (``cell_source``, ``is_config_cell``, ``config_name``,
``is_instructor_only``, ...) are also applied to submitted notebooks, which are untrusted
JSON: they take any value as a cell and never raise.
"""

import ast
import dataclasses
import json
import pathlib
import re

import yaml

CONFIG_MARK = "# ASSIGNMENT CONFIG"
QUESTION_MARK = "# BEGIN QUESTION"
INSTRUCTOR_ONLY_TAG = "instructor-only"
# The set-up cell that installs the book's package where it is missing
# (seqbook.course.publishing); grading never runs it: the package is installed there.
INSTALL_TAG = "install-seqbook"

_CONFIG_CELL = re.compile(r"#\s+assignment\s+config", re.I)
_BLOCKS = ("question", "prompt", "solution", "tests")
_BOUNDARY = re.compile(rf"#\s+(begin|end)\s+({'|'.join(_BLOCKS)})", re.I)
_CONFIG_NAME = re.compile(r"^name:\s*(\S+)", re.M)
# in a solution cell: the comment lines around the part otter replaces with ``...``
_SOLUTION_LINE = re.compile(r"^\s*# (BEGIN|END) SOLUTION\s*$")
# in a test cell: otter's optional """ # BEGIN TEST CONFIG ... # END TEST CONFIG """
_BEGIN_TEST_CONFIG = re.compile(r'(?:.\s*=\s*)?""?"?\s*#\s*BEGIN\s*TEST\s*CONFIG', re.I)
_END_TEST_CONFIG = re.compile(r'""?"?\s*#\s*END\s*TEST\s*CONFIG', re.I)


class MasterError(ValueError):
    """A master notebook is not in the otter format; the message names the file."""


# ---- cells (also used on untrusted submissions: any input, no exceptions) -------------

def cell_source(cell):
    """A cell's source as one string (notebooks store it as a string or a list)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(str(part) for part in source)
    return source if isinstance(source, str) else ""


def cell_type(cell):
    """``"code"``, ``"markdown"``, ``"raw"``, or None for something that is not a cell."""
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    return kind if isinstance(kind, str) else None


def cell_tags(cell):
    """The cell's tags (strings only), [] when it has none or they are malformed."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def is_instructor_only(cell):
    """True for a cell tagged ``instructor-only``, which students never see."""
    return INSTRUCTOR_ONLY_TAG in cell_tags(cell)


def is_install_cell(cell):
    """True for the lab's ``install-seqbook`` cell (seqbook.course.publishing)."""
    return INSTALL_TAG in cell_tags(cell)


def is_config_cell(cell):
    """True for otter's raw ``# ASSIGNMENT CONFIG`` cell."""
    return cell_type(cell) == "raw" and bool(_CONFIG_CELL.match(cell_source(cell).strip()))


def boundary(cell):
    """``("begin" | "end", "question" | "prompt" | "solution" | "tests")`` for one of
    otter's raw block boundary cells, else None."""
    if cell_type(cell) != "raw":
        return None
    match = _BOUNDARY.match(cell_source(cell).strip())
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def config_name(source):
    """The ``name:`` line of a config cell's text, quotes dropped, or None: read line by
    line, without YAML, so that any text gives an answer or None."""
    match = _CONFIG_NAME.search(source) if isinstance(source, str) else None
    return match.group(1).strip("'\"") if match else None


def is_hidden_test(source):
    """otter's rule: a test cell is hidden when its first line is a comment with the word
    ``hidden`` (``# HIDDEN``), or when its test config says ``hidden: true``."""
    lines = source.split("\n")
    hidden = lines[0].lstrip().startswith("#") and bool(
        re.search(r"\bhidden\b", lines[0], flags=re.IGNORECASE))
    if _BEGIN_TEST_CONFIG.match(lines[0]):
        end = next((i for i, line in enumerate(lines) if _END_TEST_CONFIG.match(line)),
                   len(lines) - 1)
        try:
            config = yaml.safe_load("\n".join(lines[1:end]))
        except yaml.YAMLError:
            config = None
        if isinstance(config, dict) and "hidden" in config:
            hidden = bool(config["hidden"])
    return hidden


# ---- code ------------------------------------------------------------------------------

def strip_magics(source):
    """Comment out IPython magics and shell lines (``%matplotlib``, ``!pip``) so that
    plain Python can run the cell; a cell magic (``%%``) comments out the whole cell."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("# " + line for line in lines)
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                     for line in lines)


def function_parameters(source, name):
    """Parameter names of the top-level ``def name`` in ``source``, or None."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            args = node.args
            return tuple(arg.arg for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs])
    return None


def import_lines(source):
    """The top-level import statements of a cell, as source text ("" if none)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return ""
    return "\n".join(ast.unparse(node) for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def without_solution_markers(source):
    """A solution cell as the book shows it: the ``# BEGIN/END SOLUTION`` lines dropped."""
    return "\n".join(line for line in source.splitlines()
                     if not _SOLUTION_LINE.match(line)).strip("\n")


def answer_lines(source):
    """The lines between a solution cell's ``# BEGIN SOLUTION`` and ``# END SOLUTION``
    comments: what otter replaces with ``...`` in the student notebook."""
    lines, inside = [], False
    for line in source.splitlines():
        marker = _SOLUTION_LINE.match(line)
        if marker:
            inside = marker.group(1) == "BEGIN"
        elif inside:
            lines.append(line)
    return lines


# ---- the master --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Question:
    """One question block of a master.

    Attributes:
        name: the question's ``name:``, which is also the exercise function's name.
        points: its ``points:`` as a float (0 when it has none).
        settings: the whole YAML of its ``# BEGIN QUESTION`` cell.
        solution: the code of its solution block's code cells, marker lines dropped,
            joined by a blank line ("" when the block has no code cell).
        solution_cell: the index, among the notebook's cells, of the solution block's
            first code cell that contains ``def name(``, or None.
        parameters: the parameter names of that cell's top-level ``def name``, or None.
        answer_lines: the lines otter replaces with ``...`` (between the in-cell
            ``# BEGIN SOLUTION`` and ``# END SOLUTION`` comments), as written.
        public_tests, hidden_tests: the sources of its test cells, as written.
    """

    name: str
    points: float
    settings: dict
    solution: str = ""
    solution_cell: int | None = None
    parameters: tuple | None = None
    answer_lines: tuple = ()
    public_tests: tuple = ()
    hidden_tests: tuple = ()


@dataclasses.dataclass(frozen=True)
class Master:
    """What a master holds.

    Attributes:
        path: where it was read from (None for ``parse`` without a path).
        config: the YAML of its ``# ASSIGNMENT CONFIG`` cell ({} without one).
        name: the config's ``name`` ("" without one).
        questions: its question blocks, in notebook order.
        instructor_only: the sources of the cells tagged ``instructor-only``.
        setup_code: what grading runs before a submission's answers: the first code
            cell that is no question's solution cell, magics commented out, then the
            top-level imports of every later such cell.
    """

    path: pathlib.Path | None
    config: dict
    name: str
    questions: tuple
    instructor_only: tuple
    setup_code: str

    def question(self, name):
        """The question called ``name``; KeyError if there is none."""
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)


def _settings(source, what, where):
    """The YAML of a config or question cell (its first line is a YAML comment)."""
    try:
        settings = yaml.safe_load(source)
    except yaml.YAMLError as error:
        raise MasterError(f"{where}: the {what} cell is not valid YAML: {error}") from None
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise MasterError(f"{where}: the {what} cell does not hold YAML settings")
    return settings


def _points(settings, where):
    points = settings.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        raise MasterError(f"{where}: question {settings.get('name')} has points {points!r}: "
                          "give the question's points as one number")
    return float(points)


class _QuestionBuilder:
    def __init__(self, settings, points):
        self.name, self.points, self.settings = str(settings["name"]), points, settings
        self.solutions, self.solution_cell, self.answer_lines = [], None, []
        self.public, self.hidden = [], []

    def add_solution(self, index, source):
        self.solutions.append(without_solution_markers(source))
        self.answer_lines += answer_lines(source)
        if self.solution_cell is None and f"def {self.name}(" in source:
            self.solution_cell = index
            self.parameters_source = source

    def build(self):
        parameters = (function_parameters(self.parameters_source, self.name)
                      if self.solution_cell is not None else None)
        return Question(name=self.name, points=self.points, settings=self.settings,
                        solution="\n\n".join(self.solutions), solution_cell=self.solution_cell,
                        parameters=parameters, answer_lines=tuple(self.answer_lines),
                        public_tests=tuple(self.public), hidden_tests=tuple(self.hidden))


def parse(notebook, path=None):
    """A ``Master`` from a notebook (a dict as in the ``.ipynb`` JSON, or nbformat's).

    Raises:
        MasterError: a cell or a block is not as otter assign expects it.
    """
    where = str(path) if path is not None else "the master"
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise MasterError(f"{where}: not a notebook (no list of cells)")
    config, questions, instructor_only = None, [], []
    blocks, question = [], None  # the open blocks (innermost last), the open question
    setup_cells = []  # (index, source) of the code cells that are no solution cell
    for index, cell in enumerate(cells):
        kind, source = cell_type(cell), cell_source(cell)
        if is_instructor_only(cell):
            instructor_only.append(source)
        if is_config_cell(cell):
            if config is not None:
                raise MasterError(f"{where}: a second '{CONFIG_MARK}' cell (cell {index})")
            config = _settings(source, f"'{CONFIG_MARK}'", where)
            name = str(config.get("name", "")).strip()
            if name and config_name(source) != name:
                raise MasterError(
                    f"{where}: the assignment name reads as {name!r} in YAML but as "
                    f"{config_name(source)!r} line by line, as a submitted notebook is "
                    f"recognised: write it plainly on its own line, `name: {name}`")
            continue
        edge = boundary(cell)
        if edge == ("begin", "question"):
            if blocks:
                raise MasterError(f"{where}: cell {index} begins a question inside question "
                                  f"{question.name}: end it first with '# END QUESTION'")
            settings = _settings(source, f"'{QUESTION_MARK}' (cell {index})", where)
            if not settings.get("name"):
                raise MasterError(f"{where}: a BEGIN QUESTION cell has no name.")
            question = _QuestionBuilder(settings, _points(settings, where))
            if any(done.name == question.name for done in questions):
                raise MasterError(f"{where}: two questions are named {question.name}")
            blocks.append("question")
            continue
        if edge and edge[0] == "begin":
            if not blocks:
                if edge[1] == "solution":
                    raise MasterError(f"{where}: a solution cell is outside a question.")
                raise MasterError(f"{where}: cell {index} begins a {edge[1]} block outside "
                                  "a question")
            if len(blocks) > 1:
                raise MasterError(f"{where}: cell {index} begins a {edge[1]} block inside a "
                                  f"{blocks[-1]} block of question {question.name}")
            blocks.append(edge[1])
            continue
        if edge:  # an end
            if not blocks or blocks[-1] != edge[1]:
                open_block = f"the {blocks[-1]} block" if blocks else "no block"
                raise MasterError(f"{where}: cell {index} ends a {edge[1]} block, but "
                                  f"{open_block} is open")
            blocks.pop()
            if edge[1] == "question":
                questions.append(question.build())
                question = None
            continue
        inner = blocks[-1] if blocks else None
        if inner == "tests":
            if kind != "code":
                raise MasterError(f"{where}: cell {index} in the tests of question "
                                  f"{question.name} is not a code cell")
            (question.hidden if is_hidden_test(source) else question.public).append(source)
            continue
        if kind == "code" and inner == "solution":
            question.add_solution(index, source)
            if question.solution_cell == index:
                continue
        if kind == "code" and not is_install_cell(cell):
            setup_cells.append(source)
    if blocks:
        raise MasterError(f"{where}: question {question.name} is not closed: the "
                          f"{blocks[-1]} block needs its '# END {blocks[-1].upper()}' cell")
    config = config if config is not None else {}
    setup = [strip_magics(source) if number == 0 else import_lines(source)
             for number, source in enumerate(setup_cells)]
    return Master(path=pathlib.Path(path) if path is not None else None, config=config,
                  name=str(config.get("name", "")).strip(), questions=tuple(questions),
                  instructor_only=tuple(instructor_only),
                  setup_code="\n".join(filter(None, setup)))


def read(path):
    """A ``Master`` from the master notebook at ``path``.

    Raises:
        MasterError: the file is not JSON, or not a master otter assign would accept.
    """
    path = pathlib.Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MasterError(f"{path}: not a readable notebook: {error}") from None
    return parse(notebook, path)
