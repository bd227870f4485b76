"""Tests for seqbook.tasks.lookahead: the tags are what they say, half of them are 1, and
nothing before a position tells its tag."""

import numpy as np
import pytest

from seqbook import tasks


def test_shapes_one_hot_and_dtype():
    inputs, tags = tasks.marker_ahead(5, 12, 3, np.random.default_rng(0), symbols=6)
    assert inputs.shape == (5, 15, 6) and tags.shape == (5, 12)
    assert inputs.dtype == np.float32 and tags.dtype == np.float32
    assert np.array_equal(inputs.sum(axis=2), np.ones((5, 15)))
    assert set(np.unique(tags)) <= {0.0, 1.0}


@pytest.mark.parametrize("window", [1, 3, 5])
def test_tags_are_a_marker_among_the_next_window_symbols(window):
    inputs, tags = tasks.marker_ahead(20, 10, window, np.random.default_rng(window))
    ids = inputs.argmax(axis=2)
    for row in range(20):
        for t in range(10):
            coming = ids[row, t + 1:t + 1 + window]
            assert tags[row, t] == float(tasks.MARKER in coming), (row, t)


def test_the_same_seed_gives_the_same_sequences():
    first = tasks.marker_ahead(4, 8, 2, np.random.default_rng(7))
    second = tasks.marker_ahead(4, 8, 2, np.random.default_rng(7))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("window", [1, 3, 6])
def test_half_the_tags_are_one(window):
    assert (1 - tasks.marker_probability(window)) ** window == pytest.approx(0.5)
    _, tags = tasks.marker_ahead(4000, 20, window, np.random.default_rng(1))
    assert abs(tags.mean() - 0.5) < 0.01


def test_the_past_says_nothing_about_the_tag():
    """Whatever was read up to t (a marker at t, one just before, none for a while), the
    tag at t is 1 half the time: a model that only looks back cannot beat a coin."""
    window = 3
    inputs, tags = tasks.marker_ahead(6000, 20, window, np.random.default_rng(2))
    markers = inputs[:, :20, tasks.MARKER] == 1  # (B, T): a marker at t itself
    before = inputs[:, :20, tasks.MARKER]
    recent = np.zeros_like(markers)
    recent[:, 1:] = before[:, :-1] == 1  # a marker at t - 1
    for seen in (markers, ~markers, recent, ~recent):
        assert abs(tags[seen].mean() - 0.5) < 0.02


@pytest.mark.parametrize("kwargs, message", [
    (dict(window=0), "at least one symbol"),
    (dict(length=0), "at least one tagged position"),
    (dict(symbols=1), "at least one filler"),
])
def test_impossible_sizes_are_refused(kwargs, message):
    arguments = dict(batch=2, length=5, window=2, rng=np.random.default_rng(0)) | kwargs
    with pytest.raises(ValueError, match=message):
        tasks.marker_ahead(**arguments)
