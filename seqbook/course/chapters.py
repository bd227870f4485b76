"""The chapters a class can be graded on, read from the otter assignment masters.

Every ``solutions/NN_topic.ipynb`` is an otter-grader master, read by
``seqbook.course.masters``: a raw ``# ASSIGNMENT CONFIG`` cell names it, raw ``# BEGIN
QUESTION`` cells name each exercise and its points. The lab's set-up is the master's
first code cell (imports and seeding) plus the import statements of every other code
cell. A new chapter needs no change here: drop its master into ``solutions/``.

The test files themselves (public and hidden cases) are otter's own: the ones
``otter assign`` puts into the autograder archive, read back from that archive.
"""

import dataclasses
import pathlib
import tempfile
import zipfile

import seqbook
from seqbook.course import masters


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


def read_master(master):
    """A ``Chapter`` (without test files) from an otter master notebook: its exercises
    are the questions whose solution block defines the exercise function."""
    master = pathlib.Path(master)
    try:
        read = masters.read(master)
    except masters.MasterError as error:
        raise ChapterError(str(error)) from None
    if not read.name:
        raise ChapterError(f"{master}: no '{masters.CONFIG_MARK}' raw cell with a name")
    exercises = {question.name: Exercise(question.name, question.points,
                                         question.parameters or ())
                 for question in read.questions if question.solution_cell is not None}
    if not exercises:
        raise ChapterError(
            f"{master}: no '{masters.QUESTION_MARK}' exercise with a `def` solution")
    return Chapter(name=read.name, master=master, setup_code=read.setup_code,
                   exercises=exercises)


def discover(solutions_dir=None):
    """Every chapter in ``solutions_dir`` (default: the repository's), by name."""
    solutions_dir = pathlib.Path(solutions_dir or default_solutions_dir())
    paths = sorted(solutions_dir.glob("*.ipynb"))
    if not paths:
        raise ChapterError(f"no chapter masters (*.ipynb) in {solutions_dir}")
    chapters = {}
    for path in paths:
        chapter = read_master(path)
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
