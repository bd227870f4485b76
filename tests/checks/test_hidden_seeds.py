"""Hidden checks draw their cases from the instructor's seed (seqbook.checks.hidden_seed):
two seeds give different cases, one seed always the same ones; the public checks do not
move; the book's answer passes and the typical wrong answers fail, with their message,
whatever the seed."""

import hashlib

import numpy as np
import pytest

from seqbook import checks, reference
from seqbook.course import answers
from tests.checks.test_every_exercise import EXERCISES, check
from tests.course.test_grading import WRONG_ANSWERS

FAST_SEEDS = range(1, 9)
MANY_SEEDS = range(100, 160)


def fingerprint(value):
    """A short, exact description of an argument, for comparing cases."""
    if isinstance(value, np.ndarray):
        return (value.shape, hashlib.sha256(value.tobytes()).hexdigest()[:12])
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, fingerprint(item)) for key, item in sorted(value.items()))
    if callable(value):
        return type(value).__name__
    return repr(value)


def cases_seen(exercise, module, kind, seed):
    """The arguments of every call a check makes of the book's answer, under ``seed``."""
    book, seen = answers.book_answer(exercise), []

    def spy(*args, **kwargs):
        seen.append(fingerprint([args, kwargs]))
        return book(*args, **kwargs)

    with checks.hidden_seed(seed):
        check(exercise, module, kind)(spy)
    return seen


@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_two_seeds_give_different_hidden_cases_and_one_seed_the_same(exercise, module):
    first = cases_seen(exercise, module, "hidden", 1)
    assert first == cases_seen(exercise, module, "hidden", 1)
    assert first != cases_seen(exercise, module, "hidden", 2)
    assert cases_seen(exercise, module, "hidden", None) == cases_seen(
        exercise, module, "hidden", None)  # without a seed: the check's fixed one


@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_the_public_cases_do_not_depend_on_the_seed(exercise, module):
    assert cases_seen(exercise, module, "public", 1) == cases_seen(exercise, module,
                                                                   "public", 2)


@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_the_book_answer_passes_the_hidden_check_under_any_seed(exercise, module):
    book = answers.book_answer(exercise)
    for seed in FAST_SEEDS:
        with checks.hidden_seed(seed):
            check(exercise, module, "hidden")(book)


def wrong_answers():
    """(exercise, module, function, words) for every typical wrong answer."""
    modules = dict(EXERCISES)
    found = []
    for chapter in WRONG_ANSWERS.values():
        for exercise, (source, words) in chapter.items():
            namespace = {"np": np, "reference": reference}
            exec(source, namespace)
            found.append((exercise, modules[exercise], namespace[exercise], words))
    return found


WRONG = wrong_answers()


GENERIC = "Compare your code with the equation term by term"  # no mistake could be named


def assert_named_failure(exercise, module, function, seed):
    """The wrong answer fails the hidden check under ``seed`` with a named mistake."""
    with checks.hidden_seed(seed), pytest.raises(AssertionError) as failure:
        check(exercise, module, "hidden")(function)
    assert GENERIC not in str(failure.value), (seed, str(failure.value))
    return str(failure.value)


@pytest.mark.parametrize("exercise, module, function, words", WRONG,
                         ids=[item[0] for item in WRONG])
def test_a_wrong_answer_fails_the_hidden_check_by_name_under_any_seed(exercise, module,
                                                                      function, words):
    """Under every seed it fails with a named mistake (the cases come in a drawn order,
    so the first that fails may name another symptom of it); without a seed, the one
    its words describe."""
    assert words in assert_named_failure(exercise, module, function, None)
    for seed in FAST_SEEDS:
        assert_named_failure(exercise, module, function, seed)


@pytest.mark.slow
@pytest.mark.parametrize("exercise, module", EXERCISES)
def test_many_seeds(exercise, module):
    """The same, over 60 more seeds: the book's answer passes, every wrong answer fails."""
    book = answers.book_answer(exercise)
    wrong = [(function, words) for name, _, function, words in WRONG if name == exercise]
    for seed in MANY_SEEDS:
        with checks.hidden_seed(seed):
            check(exercise, module, "hidden")(book)
        for function, _ in wrong:
            assert_named_failure(exercise, module, function, seed)
