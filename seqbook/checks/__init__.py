"""Exercise checks: the tests behind every ``grader.check("...")`` cell.

Each exercise has a ``*_public`` check (run by the student's check cell) and a
``*_hidden`` check (run only when an instructor grades). A check raises
``AssertionError`` with a message in words a student understands, naming the most
likely mistake; it returns None when the answer is right.

The helpers here keep those messages uniform.
"""

import numpy as np


class ExerciseFailure(AssertionError):
    """A failed check; the message tells the student what is wrong."""


def call_student(function, *args, name=None, hint=None, none_ok=False, **kwargs):
    """Call the student's function, turning a crash into a readable failure.

    ``hint`` replaces the generic advice appended to the error message. A result of
    None (the untouched ``...`` stub) fails unless ``none_ok``.
    """
    name = name or getattr(function, "__name__", "your function")
    hint = hint or "Check the shapes in the docstring against the arrays you multiply."
    try:
        result = function(*args, **kwargs)
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


def diagnose(result, expected, mistakes, what, tolerance=1e-8):
    """Compare with the right answer; if wrong, name the mistake it matches, if any.

    Args:
        result: the student's array (already shape-checked).
        expected: the right answer.
        mistakes: a dict from a message describing a typical mistake to the array that
            mistake would produce. The first one that matches is reported.
        what: a short description of the case, used in the generic message.
    """
    if matches(result, expected, tolerance):
        return
    for message, wrong_answer in mistakes.items():
        if matches(result, wrong_answer, tolerance):
            raise ExerciseFailure(f"{what}: {message}")
    raise ExerciseFailure(
        f"{what}: the result is off by up to {worst_difference(result, expected):.3g}. "
        "Compare your code with the equation term by term."
    )
