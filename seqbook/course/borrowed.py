"""Does a submission answer an exercise with the book's own function of that exercise?

Read in the grader, from the submitted source alone (nothing is run): an exercise
``rnn_cell_forward`` is the book's own when the cells bind the name to it
(``from seqbook.reference import rnn_cell_forward``, ``rnn_cell_forward =
reference.rnn_cell_forward``), or merely call it when its function, or a function of the
cells that it calls, names it (``reference.rnn_cell_forward(...)``, an alias imported
from ``seqbook``, ``getattr(reference, "rnn_cell_forward")``). Naming the book's
function of another exercise stays allowed. What static reading misses (a name built at
run time) meets the same rule in the student's process, where the book's function of the
exercise being graded refuses to run (``seqbook.course.student.disable``).
"""

import ast

from seqbook.course.masters import strip_magics


def _parse(source):
    try:
        return ast.parse(strip_magics(source))
    except (SyntaxError, ValueError):
        return None


def _book_aliases(tree, name):
    """Names an ``import`` binds to the book's ``name`` (``from seqbook... import name``)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "seqbook":
            aliases |= {alias.asname or alias.name for alias in node.names
                        if alias.name == name}
    return aliases


def _names_it(node, name, aliases):
    """The first piece of code in ``node`` that names the book's ``name``, or None."""
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr == name:
            return ast.unparse(part)
        if isinstance(part, ast.Name) and part.id in aliases and isinstance(part.ctx, ast.Load):
            return part.id
        if (isinstance(part, ast.Call) and isinstance(part.func, ast.Name)
                and part.func.id == "getattr" and len(part.args) >= 2
                and isinstance(part.args[1], ast.Constant) and part.args[1].value == name):
            return ast.unparse(part)
    return None


def _bindings(statement, name):
    """Does this top-level statement bind ``name``, and how: "def", "import" or "assign"."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "def" if statement.name == name else None
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        bound = {alias.asname or alias.name.split(".")[0] for alias in statement.names}
        return "import" if name in bound else None
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        bound = {node.id for target in targets for node in ast.walk(target)
                 if isinstance(node, ast.Name)}
        return "assign" if name in bound else None
    return None


def book_answer_use(cells, name, exercises=()):
    """A message when the cells' ``name`` is, or calls, the book's ``name``; else None.

    Args:
        cells: (index, source) of the submission's exercise cells, in notebook order.
        name: the exercise being graded.
        exercises: every exercise name of the chapter (those are the book's while
            ``name`` is graded, so a call to one of them is not followed).
    """
    trees = [tree for tree in (_parse(source) for _, source in cells) if tree is not None]
    aliases = set().union(*(_book_aliases(tree, name) for tree in trees)) if trees else set()
    functions, binding = {}, None
    for tree in trees:
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[statement.name] = statement
            if _bindings(statement, name):
                binding = statement
    if binding is None:
        return None
    if not isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
        named = _names_it(binding, name, aliases)
        if isinstance(binding, ast.ImportFrom) and name in _book_aliases(binding, name):
            named = ast.unparse(binding)
        if named:
            return (f"{name} is the book's own {name} (`{named}`): the book's answer is not "
                    "an answer. Write the function yourself.")
        return None
    return _calls_it(binding, name, aliases, functions, set(exercises))


def _calls_it(function, name, aliases, functions, exercises):
    """The message when ``function``, or a cell function it calls, names the book's."""
    seen, pending = set(), [function]
    while pending:
        current = pending.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        named = _names_it(current, name, aliases - {name})  # the bare name is the student's
        if named:
            via = "" if current is function else f" (through {current.name})"
            return (f"{name} calls the book's own {name}{via}: `{named}`. The book's answer "
                    "is not an answer: write the function yourself (calling the book's "
                    "answers to the other exercises is allowed).")
        for part in ast.walk(current):
            if (isinstance(part, ast.Name) and part.id in functions
                    and part.id not in exercises):
                pending.append(functions[part.id])
    return None
