"""Exercise checks: the tests behind every ``grader.check("...")`` cell.

Each exercise has a ``*_public`` check (run by the student's check cell) and a
``*_hidden`` check (run only when an instructor grades). A check raises
``AssertionError`` with a message in words a student understands, naming the most
likely mistake; it returns None when the answer is right.

Public checks use fixed cases, so that a student's feedback is reproducible. Hidden
checks draw their cases (sizes, lengths, values, which edge cases and in what order)
from ``hidden_rng``: from the instructor's seed when the grader has set one with
``hidden_seed``, so that knowing this code does not give the cases or their answers;
from a fixed seed per check otherwise (the book's own tests).

The helpers here keep those messages uniform.
"""

import contextlib
import functools
import zlib

import numpy as np

_HIDDEN_SEED = None  # the instructor's seed, set by the grader


@contextlib.contextmanager
def hidden_seed(seed):
    """While the block runs, hidden checks draw their cases from ``seed`` (an int)."""
    global _HIDDEN_SEED
    previous, _HIDDEN_SEED = _HIDDEN_SEED, None if seed is None else int(seed)
    try:
        yield
    finally:
        _HIDDEN_SEED = previous


def hidden_rng(check, fixed):
    """The generator a hidden check draws its cases from: the instructor's seed mixed with
    the check's name, or the check's own ``fixed`` seed when no seed is set."""
    if _HIDDEN_SEED is None:
        return np.random.default_rng(fixed)
    return np.random.default_rng([_HIDDEN_SEED % 2**64, zlib.crc32(check.encode())])


def size(rng, low, high):
    """A size drawn from ``low`` to ``high`` (both included), as a Python int."""
    return int(rng.integers(low, high + 1))


def shuffled(rng, cases):
    """The cases in an order drawn from ``rng``."""
    return [cases[index] for index in rng.permutation(len(cases))]


def forward_sizes(rng, long_lengths):
    """The (B, T, D, H) of a recurrent forward pass's hidden cases, in an order drawn from
    ``rng``: length one, a single sequence and unit, a long sequence (T drawn from
    ``long_lengths``, a (low, high) pair) and B = T."""
    square = size(rng, 3, 6)
    return shuffled(rng, [(size(rng, 1, 3), 1, size(rng, 1, 4), size(rng, 2, 5)),
                          (1, size(rng, 6, 12), 1, 1),
                          (size(rng, 3, 7), size(rng, *long_lengths), size(rng, 2, 6),
                           size(rng, 4, 10)),
                          (square, square, size(rng, 2, 5), size(rng, 2, 5))])


class ExerciseFailure(AssertionError):
    """A failed check; the message tells the student what is wrong."""


class CallFailed(ExerciseFailure):
    """The grader ended a call of the student's function: it ran out of time, its process
    ended, or what it returned is not plain data. ``describe(case)`` is the message:
    ``before``, where it happened (``where``, e.g. "in the hidden case", and the case),
    then ``after``: "stopped after 15 s in the hidden case with B = 1: an endless loop?"."""

    def __init__(self, before, where="", after=""):
        super().__init__(f"{before} {where}{after}".replace("  ", " "))
        self.before, self.where, self.after = before, where, after

    def describe(self, case=None):
        """The whole message, naming ``case`` (a check's description of its case)."""
        place = self.where
        if case:
            joined = case if case.startswith(("with ", "for ", "on ", "when ")) else f"({case})"
            place = f"{place} {joined}" if place else joined
        return f"{self.before} {place}{self.after}" if place else f"{self.before}{self.after}"


def call_student(function, *args, name=None, hint=None, none_ok=False, case=None, **kwargs):
    """Call the student's function, turning a crash into a readable failure.

    ``hint`` replaces the generic advice appended to the error message; ``case`` describes
    the case, for a call the grader had to stop. A result of None (the untouched ``...``
    stub) fails unless ``none_ok``.
    """
    name = name or getattr(function, "__name__", "your function")
    hint = hint or "Check the shapes in the docstring against the arrays you multiply."
    try:
        result = function(*args, **kwargs)
    except CallFailed as failure:  # the grader ended the call: its message is complete
        raise ExerciseFailure(failure.describe(case)) from None
    except NotImplementedError:
        raise ExerciseFailure(f"{name} is not written yet: replace the `...` with your code.")
    except Exception as error:  # the student's bug, reported, not raised
        raise ExerciseFailure(
            f"{name} raised {type(error).__name__}: {error}. {hint}"
        ) from None
    if (result is None and not none_ok) or result is Ellipsis:
        raise ExerciseFailure(
            f"{name} returned None: it has no `return` yet. Replace the `...` with your code "
            "and return the result."
        )
    return result


def expect_array(result, shape, what):
    """Fail unless ``result`` is a numeric array of the given shape."""
    if result is None or result is Ellipsis:
        raise ExerciseFailure(
            f"{what} is None: the function has no `return` yet. Replace the `...` with your "
            "code and return the result."
        )
    try:
        array = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailure(f"{what} should be a numpy array; got {type(result).__name__}.")
    if array.shape != tuple(shape):
        raise ExerciseFailure(f"{what} has shape {array.shape}; expected {tuple(shape)}.")
    if not np.all(np.isfinite(array)):
        raise ExerciseFailure(f"{what} contains NaN or infinity.")
    return array


def matches(result, expected, tolerance=1e-8):
    """True when two arrays agree to ``tolerance`` (absolute and relative)."""
    result = np.asarray(result, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if result.shape != expected.shape:
        return False
    return bool(np.allclose(result, expected, rtol=tolerance, atol=tolerance))


def worst_difference(result, expected):
    """The largest absolute difference, for messages."""
    return float(np.max(np.abs(np.asarray(result) - np.asarray(expected)), initial=0.0))


def same_numbers(result, wrong, tolerance=1e-8):
    """Like :func:`matches`, but NaN equals NaN: some mistakes produce NaN, so can the
    student's code, and the two should still be recognised as the same mistake."""
    result = np.asarray(result, dtype=np.float64)
    wrong = np.asarray(wrong, dtype=np.float64)
    if result.shape != wrong.shape:
        return False
    return bool(np.allclose(result, wrong, rtol=tolerance, atol=tolerance, equal_nan=True))


def diagnose(result, expected, mistakes, what, tolerance=1e-8, properties=None):
    """Compare with the right answer; if wrong, name the typical mistake it matches.

    Args:
        result: the student's array.
        expected: the right answer.
        mistakes: a dict from a message describing a typical mistake to the array that
            mistake would produce (NaN allowed). A mistake that gives the right answer on
            this case is never named; when several match, all are named.
        what: a short description of the case, used in every message.
        properties: an optional function of the result that raises :class:`ExerciseFailure`
            for a broken property (weights that do not sum to 1, ...), tried once no named
            mistake matched.
    """
    result = np.asarray(result, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if result.shape != expected.shape:
        raise ExerciseFailure(f"{what}: the result has shape {result.shape}; expected "
                              f"{expected.shape}.")
    if matches(result, expected, tolerance):
        return
    named = list(dict.fromkeys(  # a message may end in spaces: one message, two answers
        message.rstrip() for message, wrong in mistakes.items()
        if not same_numbers(expected, wrong, tolerance)
        and same_numbers(result, wrong, tolerance)))
    if len(named) == 1:
        raise ExerciseFailure(f"{what}: {named[0]}")
    if named:  # several mistakes give the same numbers here: name them all
        raise ExerciseFailure(f"{what}: the result matches more than one typical mistake, "
                              "which give the same numbers here. One of these: "
                              + " OR ".join(named))
    if properties is not None:
        properties(result)
    if not np.all(np.isfinite(result)):
        raise ExerciseFailure(f"{what}: the result contains NaN or infinity.")
    raise ExerciseFailure(
        f"{what}: the result is off by up to {worst_difference(result, expected):.3g}. "
        "Compare your code with the equation term by term."
    )


def as_token_ids(result, what, should_return):
    """A decoding exercise's result as a float array of whole numbers (token ids), or a
    failure naming what it should be: ``should_return`` completes "... should return"."""
    if hasattr(result, "detach"):  # a torch tensor
        result = result.detach().numpy()
    try:
        tokens = np.asarray(result)
        if tokens.dtype == object:
            raise ValueError
        tokens = tokens.astype(np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailure(f"{what}: {should_return}; got {type(result).__name__}, which "
                              "is not one.") from None
    if not np.all(tokens == np.round(tokens)):
        raise ExerciseFailure(f"{what}: the result holds {tokens.tolist()}; token ids are "
                              "integers.")
    return tokens


def check_gradient_dict(result, function, keys, shapes, expected, mistakes_by_key, what,
                        tolerance, compared=""):
    """The checks a backward exercise's dict of gradients needs, in order: a dict, every key
    in ``keys``, each gradient of the shape of what it is the gradient of (a transpose is
    named), then each compared with ``expected[key]`` by :func:`diagnose` with the typical
    wrong values of ``mistakes_by_key[key]``. ``what`` names the case; ``compared``, if given,
    says what the right answer comes from (", compared with central differences")."""
    if not isinstance(result, dict):
        raise ExerciseFailure(f"{function} should return a dict with keys {keys}; got "
                              f"{type(result).__name__}.")
    missing = [key for key in keys if key not in result]
    if missing:
        raise ExerciseFailure(f"the returned dict has no entry for {missing}; it needs all of "
                              f"{keys}.")
    for key in keys:
        gradient = result[key]
        if np.shape(gradient) != shapes[key] and np.shape(gradient) == shapes[key][::-1]:
            raise ExerciseFailure(
                f"the gradient for {key} has shape {np.shape(gradient)}, the transpose of "
                f"{key}'s shape {shapes[key]}: a gradient has the shape of what it is the "
                "gradient of.")
        gradient = expect_array(gradient, shapes[key], f"the gradient for {key} ({what})")
        diagnose(gradient, expected[key], mistakes_by_key.get(key, {}),
                 f"the gradient for {key} ({what}){compared}", tolerance=tolerance)


def _swap_in_the_books(student, helpers):
    """Bind the book's function of each helper in the student's namespace where it holds
    the student's own; returns (the names swapped, a function that puts them back), or
    None when nothing was swapped (the grader's proxy has no namespace here)."""
    from seqbook import reference

    namespace = getattr(student, "__globals__", None)
    if not isinstance(namespace, dict):
        return None
    swapped = {}
    for name in helpers:
        book = getattr(reference, name, None)
        if callable(namespace.get(name)) and book is not None and namespace[name] is not book:
            swapped[name] = namespace[name]
            namespace[name] = book
    if not swapped:
        return None
    return list(swapped), lambda: namespace.update(swapped)


def blames_earlier(*helpers):
    """Decorate the check of an exercise that calls the chapter's earlier exercises
    ``helpers``. In the student's notebook those are the student's own: when the check
    fails, it runs again with the book's; if it then passes, the message says that the
    exercise is right and the earlier function it calls is what is wrong."""
    def decorate(check):
        @functools.wraps(check)
        def checked(student):
            try:
                return check(student)
            except ExerciseFailure as failure:
                swapped = _swap_in_the_books(student, helpers)
                if swapped is None:
                    raise
                names, restore = swapped
                try:
                    check(student)
                except AssertionError:
                    raise failure from None
                finally:
                    restore()
            mine = " and ".join(names)
            raise ExerciseFailure(
                f"{getattr(student, '__name__', 'this function')} itself is right, but it "
                f"calls your {mine}, which is not: with the book's {mine} it passes. Fix "
                f"{mine} first; its own check says what is wrong.")
        return checked
    return decorate
