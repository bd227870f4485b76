"""Chapter 3's lookahead task, generated from a seed: is a marker coming?

A sequence of symbols, one-hot, in which symbol 0, the marker, turns up at random. Each of
the first ``length`` positions is tagged 1 when a marker is among the next ``window``
symbols, 0 otherwise. Markers are drawn independently at every position, with the
probability that makes each tag 1 exactly half the time; so whatever a model has read up
to position t, the tag at t is a fair coin until it has seen what follows: a reader that
only looks back scores 50% at best, one that also reads the future can score 100%.
"""

import numpy as np

MARKER = 0  # the marker's symbol id; the fillers are 1 ... symbols - 1


def marker_probability(window):
    """The chance of a marker at each position that makes "a marker among the next
    ``window`` symbols" true exactly half the time: 1 - 0.5 ** (1 / window)."""
    if window < 1:
        raise ValueError(f"the window must hold at least one symbol; got {window}")
    return 1.0 - 0.5 ** (1.0 / window)


def marker_ahead(batch, length, window, rng, symbols=4):
    """Sequences and their lookahead tags.

    Args:
        batch: the number of sequences.  length: the tagged positions per sequence.
        window: how many symbols ahead a marker counts (t + 1 ... t + window).
        rng: a numpy ``Generator``.  symbols: the alphabet's size, marker included (>= 2).

    Returns:
        ``(inputs, tags)``: float32 arrays of shape (batch, length + window, symbols),
        one-hot, and (batch, length), 1.0 where a marker is among the next ``window``
        symbols. The last ``window`` positions are read but not tagged: their future is
        not in the sequence.
    """
    if length < 1:
        raise ValueError(f"marker_ahead needs at least one tagged position; got {length}")
    if symbols < 2:
        raise ValueError(f"marker_ahead needs the marker and at least one filler symbol; got "
                         f"symbols={symbols}")
    total = length + window  # (the window is checked by marker_probability)
    is_marker = rng.random((batch, total)) < marker_probability(window)  # (B, T + W)
    fillers = rng.integers(1, symbols, size=(batch, total))  # (B, T + W)
    ids = np.where(is_marker, MARKER, fillers)  # (B, T + W)
    inputs = np.eye(symbols, dtype=np.float32)[ids]  # (B, T + W, symbols)
    ahead = np.zeros((batch, length), dtype=bool)  # (B, T)
    for offset in range(1, window + 1):
        ahead |= is_marker[:, offset:offset + length]  # the symbol `offset` steps ahead
    return inputs, ahead.astype(np.float32)
