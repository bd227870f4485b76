"""The book's answer to each exercise: the one package function of the same name.

Every exercise's solution in its master is, line for line, a function of
``seqbook.reference``, ``seqbook.tasks`` or ``seqbook.models`` (``tests/test_one_source.py``
proves it). Grading uses these functions so that each exercise is graded on its own: while
one exercise's tests run, the other exercises it calls are the book's.
"""

import functools
import importlib
import inspect
import pkgutil

PACKAGE_NAMES = ("seqbook.reference", "seqbook.tasks", "seqbook.models")


class AnswerError(LookupError):
    """An exercise has no package function, or more than one."""


def functions_named(name):
    """Every function called ``name`` defined (not just re-exported) in a module of the
    three packages."""
    found = []
    for package_name in PACKAGE_NAMES:
        package = importlib.import_module(package_name)
        modules = [package] + [importlib.import_module(info.name) for info in
                               pkgutil.walk_packages(package.__path__, package_name + ".")]
        for module in modules:
            candidate = vars(module).get(name)
            if inspect.isfunction(candidate) and candidate.__module__ == module.__name__:
                found.append(candidate)
    return found


@functools.cache  # (an AnswerError is not cached) the package does not change while running
def book_answer(name):
    """The one package function called ``name``; AnswerError when there is none or more."""
    found = functions_named(name)
    if not found:
        raise AnswerError(
            f"exercise {name!r} has no package function: define `{name}` once, in the layer "
            "it belongs to (numpy equations in seqbook/reference/, data in seqbook/tasks/, "
            "torch in seqbook/models/), with the master's solution as its body.")
    if len(found) > 1:
        where = ", ".join(sorted(f"{function.__module__}.{name}" for function in found))
        raise AnswerError(f"exercise {name!r} has {len(found)} package functions of that "
                          f"name ({where}); keep exactly one.")
    return found[0]
