"""The reversal task of Chapter 4: random letters and the same letters reversed, the
hardest order for an encoder that sums the source up in one vector."""

import numpy as np


def reversal_pairs(count, min_length=1, max_length=30, alphabet_size=26, seed=0):
    """``count`` pairs (source, reversed source) of random letters, for the bottleneck study.

    Letters are the first ``alphabet_size`` of "a".."z", drawn uniformly and independently;
    each length is uniform in ``[min_length, max_length]``. Deterministic for ``seed`` (an int
    or a ``numpy.random.Generator``). Reversal is the hardest order for a fixed-size encoder
    summary: the first target letter is the last source letter, the last target letter the
    first source letter.

    Returns:
        list of ``(source, target)`` strings with ``target == source[::-1]``.
    """
    if not 1 <= alphabet_size <= 26:
        raise ValueError(f"alphabet_size must be in 1..26; got {alphabet_size}")
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length; got {min_length}, {max_length}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"[:alphabet_size]))
    lengths = rng.integers(min_length, max_length + 1, size=count)
    pairs = []
    for length in lengths:
        source = "".join(letters[rng.integers(alphabet_size, size=length)])
        pairs.append((source, source[::-1]))
    return pairs


def reversal_dataset(train_size, test_per_length=20, min_length=1, max_length=30,
                     alphabet_size=26, seed=0):
    """A training set and a fixed test set for reversal, every length equally tested.

    The test set holds ``test_per_length`` pairs of each length ``min_length..max_length``,
    drawn from its own random stream (so it does not change with ``train_size``). Training
    pairs (lengths uniform) whose source is in the test set are dropped and drawn again, so no
    test sequence is seen in training (at short lengths and small alphabets test sequences may
    repeat within the test set itself, and the training set then covers fewer strings).

    Returns:
        ``(train, test)``: lists of ``(source, target)`` pairs.
    """
    test_rng = np.random.default_rng([seed, 1])
    test = []
    for length in range(min_length, max_length + 1):
        test += reversal_pairs(test_per_length, length, length, alphabet_size, test_rng)
    held_out = {source for source, _ in test}
    train_rng = np.random.default_rng([seed, 2])
    train = []
    for _ in range(1000):
        batch = reversal_pairs(train_size - len(train), min_length, max_length, alphabet_size,
                               train_rng)
        train += [pair for pair in batch if pair[0] not in held_out]
        if len(train) == train_size:
            return train, test
    raise ValueError("the test set covers (almost) every string; use longer sequences")
