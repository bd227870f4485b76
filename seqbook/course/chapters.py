"""The chapters a class can be graded on, read from the otter assignment masters.

Every ``solutions/NN_topic.ipynb`` is an otter-grader master: a raw ``# ASSIGNMENT
CONFIG`` cell names it, raw ``# BEGIN QUESTION`` cells name each exercise and its
points. The lab's set-up is the master's first code cell (imports and seeding) plus the
import statements of every other code cell. A new chapter needs no change here: drop
its master into ``solutions/``.

The test files themselves (public and hidden cases) are otter's own: the ones
``otter assign`` puts into the autograder archive, read back from that archive.
"""

import ast
import dataclasses
import pathlib
import tempfile
import zipfile

import nbformat
import yaml

import seqbook

CONFIG_MARK = "# ASSIGNMENT CONFIG"
QUESTION_MARK = "# BEGIN QUESTION"


class ChapterError(RuntimeError):
    """A master notebook or an autograder archive is not what grading expects."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One graded exercise: the function students write, its points and parameters."""

    name: str
    points: float
    parameters: tuple  # the parameter names of the master's solution


@dataclasses.dataclass
class Chapter:
    """What grading needs to know about one chapter."""

    name: str
    master: pathlib.Path
    setup_code: str
    exercises: dict  # exercise name -> Exercise, in the order of the master
    test_sources: dict = dataclasses.field(default_factory=dict)  # name -> otter test file

    @property
    def possible(self):
        return sum(exercise.points for exercise in self.exercises.values())


def default_solutions_dir():
    """``solutions/`` beside the installed ``seqbook`` package (the repository)."""
    return pathlib.Path(seqbook.__file__).resolve().parent.parent / "solutions"


def _raw_yaml(source, mark):
    """The YAML under ``mark`` in a raw cell's source, as a dict."""
    body = source.split(mark, 1)[1]
    data = yaml.safe_load(body) or {}
    if not isinstance(data, dict):
        raise ChapterError(f"the {mark!r} cell does not hold YAML settings")
    return data


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


def read_master(master):
    """A ``Chapter`` (without test files) from an otter master notebook."""
    master = pathlib.Path(master)
    notebook = nbformat.read(master, as_version=4)
    name, setup, exercises = None, [], {}
    pending = None  # the question whose solution cell comes next
    for cell in notebook.cells:
        source = cell.source.strip()
        if cell.cell_type == "raw" and source.startswith(CONFIG_MARK):
            name = str(_raw_yaml(source, CONFIG_MARK).get("name", "")).strip()
        elif cell.cell_type == "raw" and source.startswith(QUESTION_MARK):
            settings = _raw_yaml(source, QUESTION_MARK)
            pending = (str(settings["name"]), float(settings.get("points", 0)))
        elif cell.cell_type == "code" and pending and f"def {pending[0]}(" in source:
            parameters = function_parameters(source, pending[0]) or ()
            exercises[pending[0]] = Exercise(pending[0], pending[1], parameters)
            pending = None
        elif cell.cell_type == "code":
            setup.append(strip_magics(cell.source) if not setup else import_lines(cell.source))
    if not name:
        raise ChapterError(f"{master}: no '{CONFIG_MARK}' raw cell with a name")
    if not exercises:
        raise ChapterError(f"{master}: no '{QUESTION_MARK}' exercise with a `def` solution")
    return Chapter(name=name, master=master, setup_code="\n".join(filter(None, setup)),
                   exercises=exercises)


def discover(solutions_dir=None):
    """Every chapter in ``solutions_dir`` (default: the repository's), by name."""
    solutions_dir = pathlib.Path(solutions_dir or default_solutions_dir())
    masters = sorted(solutions_dir.glob("*.ipynb"))
    if not masters:
        raise ChapterError(f"no chapter masters (*.ipynb) in {solutions_dir}")
    chapters = {}
    for master in masters:
        chapter = read_master(master)
        chapters[chapter.name] = chapter
    return chapters


def read_autograder_zip(chapter, archive):
    """Load the otter test files of ``chapter`` from its autograder archive."""
    with zipfile.ZipFile(archive) as bundle:
        sources = {pathlib.PurePosixPath(name).stem: bundle.read(name).decode()
                   for name in bundle.namelist()
                   if name.startswith("tests/") and name.endswith(".py")}
    missing = set(chapter.exercises) - set(sources)
    if missing:
        raise ChapterError(f"{archive} has no otter tests for {sorted(missing)}: "
                           "run `seqbook assign` again after changing the master")
    chapter.test_sources = {name: sources[name] for name in chapter.exercises}
    return chapter


def find_autograder_zip(directory, chapter_name):
    """The autograder archive of ``chapter_name`` under ``directory``, or None."""
    archives = sorted(pathlib.Path(directory).glob(f"**/{chapter_name}-autograder_*.zip"))
    return archives[-1] if archives else None


def make_autograder_zip(chapter, out_dir):
    """Run ``otter assign`` on the chapter's master into ``out_dir``; returns the zip."""
    from seqbook.course.lessons import run_otter_assign

    dist = run_otter_assign(chapter.master, out_dir)
    archive = find_autograder_zip(dist / "autograder", chapter.name)
    if archive is None:
        raise ChapterError(f"otter assign wrote no autograder archive for {chapter.name}")
    return archive


def load_tests(chapter, instructor_dir=None):
    """Give ``chapter`` its otter test files: from the instructor bundle's autograder
    archive when there is one, else by running ``otter assign`` in a temporary folder."""
    if instructor_dir is not None:
        archive = find_autograder_zip(instructor_dir, chapter.name)
        if archive is not None:
            return read_autograder_zip(chapter, archive)
    with tempfile.TemporaryDirectory() as work:
        return read_autograder_zip(chapter, make_autograder_zip(chapter, pathlib.Path(work)))
