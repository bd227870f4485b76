"""What the checks of every exercise must do, whatever its chapter.

The exercises are read from the masters (``seqbook.course.masters``), each with the checks
module its tests import; the right answer is the book's package function
(``seqbook.course.answers``), never a copy. The per-lab files beside this one test the
mistakes that are particular to each exercise.
"""

import re

import pytest
import torch

from seqbook.checks import ExerciseFailure
from seqbook.course import answers, masters
from tests.conftest import ROOT


def exercises():
    """[(exercise name, checks module name)] over every master, in the book's order."""
    found = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for question in masters.read(path).questions:
            sources = "\n".join(question.public_tests + question.hidden_tests)
            modules = set(re.findall(r"from seqbook\.checks import (\w+)", sources))
            assert len(modules) == 1, (path.name, question.name, modules)
            found.append((question.name, modules.pop()))
    return found


EXERCISES = exercises()


def check(exercise, module, kind):
    """The function ``seqbook.checks.<module>.<exercise>_<kind>``."""
    checks = __import__(f"seqbook.checks.{module}", fromlist=["_"])
    return getattr(checks, f"{exercise}_{kind}")


def stub(*args, **kwargs):
    """What a student's function is before they write it: a body of `...`."""
    ...


def not_written(*args, **kwargs):
    raise NotImplementedError


def test_every_exercise_is_found():
    assert len(EXERCISES) == 23, EXERCISES


def test_failures_are_assertion_errors():
    """otter counts a test case failed when it raises AssertionError."""
    assert issubclass(ExerciseFailure, AssertionError)


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_the_book_answer_passes(exercise, module, kind):
    assert check(exercise, module, kind)(answers.book_answer(exercise)) is None


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_the_untouched_stub_fails_saying_there_is_no_return(exercise, module, kind):
    # vanishing_horizon: None is its right answer for sigma >= 1, so its message names
    # the case that returned None instead
    expected = r"(?is)(no `return` yet|returned None).*replace the `\.\.\.`"
    with pytest.raises(AssertionError, match=expected):
        check(exercise, module, kind)(stub)


@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_not_implemented_error_says_not_written_yet(exercise, module):
    with pytest.raises(AssertionError, match=r"not written yet: replace the `\.\.\.`"):
        check(exercise, module, "public")(not_written)


@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_checks_leave_torch_random_state_alone(exercise, module):
    """A lab's later cells draw from torch's generator: a check must not shift them."""
    torch.manual_seed(0)
    before = torch.get_rng_state()
    answer = answers.book_answer(exercise)
    check(exercise, module, "public")(answer)
    check(exercise, module, "hidden")(answer)
    assert torch.equal(before, torch.get_rng_state())
