"""The adding problem of Chapters 1 to 3, generated from a seed."""

import numpy as np


def adding_problem(batch, length, rng):
    """The adding problem of Hochreiter and Schmidhuber (1997), as used by Le et al.

    Each example is a sequence of ``length`` steps with two features: a value drawn
    from U(0, 1) and a marker that is 1 at exactly two steps, one in the first half
    and one in the second half, and 0 elsewhere. The target is the sum of the two
    marked values. Always answering 1 (the mean target) scores a mean squared error of
    1/6, about 0.167: the trivial error.

    Returns:
        ``(inputs, targets)``: float32 arrays of shape (batch, length, 2) and (batch,).
    """
    if length < 2:
        raise ValueError(f"the adding problem needs length >= 2 to place two markers; got {length}")
    values = rng.uniform(0.0, 1.0, size=(batch, length))
    markers = np.zeros((batch, length))
    half = length // 2
    first = rng.integers(0, half, size=batch)
    second = rng.integers(half, length, size=batch)
    rows = np.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=2).astype(np.float32)  # (B, T, 2)
    targets = (values[rows, first] + values[rows, second]).astype(np.float32)  # (B,)
    return inputs, targets


ADDING_TRIVIAL_MSE = 1.0 / 6.0  # variance of the sum of two U(0, 1) values
