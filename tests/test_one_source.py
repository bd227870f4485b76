"""One source per exercise: every master's solution is the package's function, as code.

The exercises are read from the masters themselves (every raw ``# BEGIN QUESTION`` cell
with its ``name:``), so a new chapter is covered without touching this file. For each
one, the solution function (the code cell after the question's raw ``# BEGIN SOLUTION``
cell) and the package function of the same name (found by name in the modules of
``seqbook.reference``, ``seqbook.tasks`` and ``seqbook.models``) must be the same code:
equal ASTs once

- each function's docstring is removed (the master's states the exercise's contract, the
  package's documents the module).

A solution that needs another reference function imports it by name in its own cell
(``from seqbook.reference import sigmoid``), so it calls it exactly as the package does.

Comments, otter's ``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers among them, are not in
the AST, so they never count. Nothing else is normalised: a renamed variable, a reordered
line or another way of writing the same sum is a difference.
"""

import ast
import difflib
import inspect
import textwrap

import pytest

from seqbook.course import answers, chapters, masters
from tests.conftest import ROOT

# Exercises whose master deliberately teaches another form than the package's function,
# as (chapter, exercise) -> why. Each must say so in its master's markdown, and must still
# differ (a stale entry fails). None so far: every solution is its package function.
DELIBERATE_DIFFERENCES = {}


# ---------------------------------------------------------------------------------------
# Reading the masters and the package
# ---------------------------------------------------------------------------------------


def all_exercises():
    """[(chapter, exercise name, solution source)] over every master in solutions/, read
    with the book's one reader of the master format, ``seqbook.course.masters``."""
    found = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for question in masters.read(path).questions:
            if not question.solution:
                raise AssertionError(f"{path.name}: question {question.name!r} has no "
                                     "solution cell between '# BEGIN SOLUTION' markers.")
            found.append((path.stem, question.name, question.solution))
    return found


def solution_function(name, solution):
    """The ``def name`` at the top level of a solution cell's source, as an AST node."""
    defs = [node for node in ast.parse(masters.strip_magics(solution)).body
            if isinstance(node, ast.FunctionDef) and node.name == name]
    if len(defs) != 1:
        raise AssertionError(f"the solution cell of exercise {name!r} should define "
                             f"`def {name}` once at its top level; it defines it "
                             f"{len(defs)} times.")
    return defs[0]


def package_function(name):
    """The one package function called ``name`` (grading's ``book_answer``), as an AST
    node and the function."""
    try:
        function = answers.book_answer(name)
    except answers.AnswerError as error:
        raise AssertionError(str(error)) from None
    return ast.parse(textwrap.dedent(inspect.getsource(function))).body[0], function


# ---------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------


def normalised(function):
    """A copy of a FunctionDef without its docstring."""
    function = ast.parse(ast.unparse(function)).body[0]
    body = function.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        function.body = body[1:] or [ast.Pass()]
    return function


def same_code(first, second):
    """Whether two FunctionDef nodes are the same code under the module docstring's rules."""
    return ast.dump(normalised(first)) == ast.dump(normalised(second))


def difference(package, master, package_label, master_label):
    """A unified diff of the two normalised functions, for the failure message."""
    return "\n".join(difflib.unified_diff(
        ast.unparse(normalised(package)).splitlines(),
        ast.unparse(normalised(master)).splitlines(),
        package_label, master_label, lineterm=""))


def assert_same_code(package, master, package_label, master_label):
    """Fail, showing the difference, unless the two functions are the same code."""
    assert same_code(package, master), (
        f"{master_label} is not the same code as {package_label} (docstrings removed, "
        "nothing else normalised); make them one:\n"
        + difference(package, master, package_label, master_label))


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------

EXERCISES = all_exercises()


def test_every_master_has_exercises_and_grading_sees_the_same_ones():
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    assert paths, "no masters found in solutions/"
    for master in paths:
        found = [name for chapter, name, _ in EXERCISES if chapter == master.stem]
        assert found, f"no '# BEGIN QUESTION' found in solutions/{master.name}"
        assert found == list(chapters.read_master(master).exercises), master.name


@pytest.mark.parametrize("chapter, name, solution", EXERCISES,
                         ids=[f"{chapter}-{name}" for chapter, name, _ in EXERCISES])
def test_solution_is_the_package_function(chapter, name, solution):
    master = solution_function(name, solution)
    package, function = package_function(name)
    package_label = f"{function.__module__}.{name}"
    master_label = f"solutions/{chapter}.ipynb, exercise {name}"
    if (chapter, name) in DELIBERATE_DIFFERENCES:
        assert not same_code(package, master), (
            f"{master_label} is now the same code as {package_label}: remove its entry "
            "from DELIBERATE_DIFFERENCES (and the note in the master's markdown).")
        return
    assert_same_code(package, master, package_label, master_label)


def test_deliberate_differences_name_existing_exercises():
    exercises = {(chapter, name) for chapter, name, _ in EXERCISES}
    assert set(DELIBERATE_DIFFERENCES) <= exercises


def function(source):
    return ast.parse(textwrap.dedent(source)).body[0]


def test_the_comparison_catches_a_different_function():
    tanh = function('''
        def cell(x, W):
            """Docstring."""
            return np.tanh(x @ W.T)
    ''')
    sigmoid = function('''
        def cell(x, W):
            """Docstring."""
            return sigmoid(x @ W.T)
    ''')
    assert not same_code(tanh, sigmoid)
    with pytest.raises(AssertionError, match=r"(?s)not the same code.*-    return np\.tanh"
                                             r".*\+    return sigmoid"):
        assert_same_code(tanh, sigmoid, "package", "master")


@pytest.mark.parametrize("other", [
    # a renamed variable
    '''
    def forward(xs, W):
        outputs = [step(x, W) for x in xs]
        return outputs
    ''',
    # another module's function of the same name: only `reference.` is read as bare
    '''
    def forward(xs, W):
        hiddens = [np.step(x, W) for x in xs]
        return hiddens
    ''',
    # another signature
    '''
    def forward(xs, W, b=None):
        hiddens = [step(x, W) for x in xs]
        return hiddens
    ''',
])
def test_the_comparison_normalises_nothing_else(other):
    package = function('''
        def forward(xs, W):
            hiddens = [step(x, W) for x in xs]
            return hiddens
    ''')
    assert not same_code(package, function(other))


def test_the_comparison_ignores_docstrings_comments_and_markers_only():
    package = function('''
        def forward(xs, W):
            """The package's docstring."""
            hiddens = [step(x, W) for x in xs]  # (T, H)
            return hiddens
    ''')
    master = function('''
        def forward(xs, W):
            """The exercise's contract,
            on two lines."""
            # BEGIN SOLUTION
            hiddens = [step(x, W) for x in xs]
            return hiddens
            # END SOLUTION
    ''')
    assert same_code(package, master)
    through_alias = function('''
        def forward(xs, W):
            hiddens = [reference.step(x, W) for x in xs]
            return hiddens
    ''')
    assert not same_code(package, through_alias)


def test_package_lookup_fails_clearly_for_missing_or_duplicate_names(monkeypatch):
    with pytest.raises(AssertionError, match="has no package function"):
        package_function("no_such_exercise_function")
    # a name defined in two modules: lstm_cell_forward is in reference.lstm only, so
    # pretend it is also defined in a tasks module
    from seqbook.reference.lstm import lstm_cell_forward
    from seqbook.tasks import adding

    clone = type(lstm_cell_forward)(lstm_cell_forward.__code__, vars(adding))
    clone.__module__ = adding.__name__
    monkeypatch.setattr(adding, "lstm_cell_forward", clone, raising=False)
    with pytest.raises(AssertionError, match=r"2 package functions.*seqbook\.tasks\.adding"):
        package_function("lstm_cell_forward")
