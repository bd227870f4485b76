"""Tests for seqbook.data: the names, the vocabulary and the adding problem."""

import math
import re

import numpy as np
import pytest

from seqbook import tasks

# --- first_names and split_names ------------------------------------------------------


@pytest.fixture(scope="module")
def names():
    return tasks.first_names()


def test_first_names_many_clean_sorted_unique(names):
    assert len(names) > 1500
    assert all(isinstance(name, str) and re.fullmatch(r"[a-z]+", name) for name in names)
    assert names == sorted(names)
    assert len(set(names)) == len(names)


def test_first_names_contains_common_names(names):
    assert {"mary", "james", "emma", "oliver"} <= set(names)


def test_first_names_of_one_locale_is_a_subset(names):
    one = tasks.first_names(locales=("en_GB",))
    assert 0 < len(one) < len(names)
    assert set(one) <= set(names)


def test_split_names_sizes_and_disjoint(names):
    train, test = tasks.split_names(names, test_fraction=0.1, seed=0)
    assert len(test) == round(len(names) * 0.1)
    assert len(train) + len(test) == len(names)
    assert not set(train) & set(test)
    assert set(train) | set(test) == set(names)


def test_split_names_deterministic_and_shuffled(names):
    first = tasks.split_names(names, seed=3)
    again = tasks.split_names(names, seed=3)
    other = tasks.split_names(names, seed=4)
    assert first == again
    assert first[1] != other[1]
    assert first[1] != sorted(first[1])  # shuffled, not the alphabetical head


def test_split_names_fraction():
    names = [f"n{i}" for i in range(40)]
    train, test = tasks.split_names(names, test_fraction=0.25, seed=1)
    assert (len(train), len(test)) == (30, 10)
    train, test = tasks.split_names(names, test_fraction=0.0)
    assert (len(train), len(test)) == (40, 0)


# --- CharVocabulary -------------------------------------------------------------------


def test_vocabulary_end_is_id_zero_and_letters_sorted():
    vocab = tasks.names.vocabulary(["cab", "bad."])
    assert tasks.END == "."
    assert vocab.symbols == [".", "a", "b", "c", "d"]
    assert vocab.index[tasks.END] == 0
    assert len(vocab) == 5
    assert vocab.encode("abc") == [1, 2, 3]
    assert vocab.decode([0, 4, 1]) == ".da"


def test_vocabulary_round_trip(names):
    vocab = tasks.names.vocabulary(names)
    assert len(vocab) == 27  # END and a-z
    for name in names[::50]:
        ids = vocab.encode(name)
        assert len(ids) == len(name)
        assert 0 not in ids
        assert vocab.decode(ids) == name


def test_vocabulary_unknown_character_names_it():
    vocab = tasks.names.vocabulary(["abc"])
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match="'!'"):
        vocab.encode("a!")


# --- name_training_pairs --------------------------------------------------------------


def test_name_training_pairs_exact_layout():
    vocab = tasks.names.vocabulary(["ab", "c"])  # . a b c -> 0 1 2 3
    inputs, targets = tasks.name_training_pairs(["ab", "c"], vocab)
    assert inputs.dtype == np.int64 and targets.dtype == np.int64
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [0, 3, -1]])
    np.testing.assert_array_equal(targets, [[1, 2, 0], [3, 0, -1]])


def test_name_training_pairs_targets_are_inputs_shifted(names):
    vocab = tasks.names.vocabulary(names)
    some = names[:200]
    inputs, targets = tasks.name_training_pairs(some, vocab)
    assert inputs.shape == targets.shape == (200, max(map(len, some)) + 1)
    for row, name in enumerate(some):
        n = len(name) + 1
        assert vocab.decode(inputs[row, 1:n]) == name
        assert vocab.decode(targets[row, : n - 1]) == name
        assert targets[row, n - 1] == 0
        np.testing.assert_array_equal(inputs[row, 1:n], targets[row, : n - 1])
        assert np.all(inputs[row, n:] == -1) and np.all(targets[row, n:] == -1)


# --- unigram_cross_entropy ------------------------------------------------------------


def test_unigram_cross_entropy_by_hand():
    vocab = tasks.names.vocabulary(["ab"])  # . a b
    # counts with add-one smoothing: "." 1+2, "a" 1+2, "b" 1+1 -> 3, 3, 2 of 8
    result = tasks.unigram_cross_entropy(["ab", "a"], ["b"], vocab)
    expected = -(math.log(2 / 8) + math.log(3 / 8)) / 2  # test symbols: b, END
    assert result == pytest.approx(expected, rel=1e-12)
    assert isinstance(result, float)


def test_unigram_cross_entropy_is_below_uniform(names):
    vocab = tasks.names.vocabulary(names)
    train, test = tasks.split_names(names)
    result = tasks.unigram_cross_entropy(train, test, vocab)
    assert 2.0 < result < math.log(len(vocab))


# --- adding_problem -------------------------------------------------------------------


@pytest.mark.parametrize("length", [2, 3, 10, 51])
def test_adding_problem_layout(length):
    batch = 300
    inputs, targets = tasks.adding_problem(batch, length, np.random.default_rng(length))
    assert inputs.shape == (batch, length, 2) and inputs.dtype == np.float32
    assert targets.shape == (batch,) and targets.dtype == np.float32
    values, markers = inputs[..., 0], inputs[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = length // 2
    np.testing.assert_array_equal(markers.sum(axis=1), 2)
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), 1)
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), 1)
    np.testing.assert_allclose(targets, (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_reproducible_with_seed():
    first = tasks.adding_problem(5, 8, np.random.default_rng(0))
    second = tasks.adding_problem(5, 8, np.random.default_rng(0))
    other = tasks.adding_problem(5, 8, np.random.default_rng(1))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("length", [1, 0, -3])
def test_adding_problem_rejects_short_sequences(length):
    with pytest.raises(ValueError, match="length"):
        tasks.adding_problem(4, length, np.random.default_rng(0))


def test_trivial_answer_scores_the_trivial_mse():
    assert tasks.ADDING_TRIVIAL_MSE == pytest.approx(1 / 6)
    _, targets = tasks.adding_problem(100_000, 10, np.random.default_rng(0))
    mse = float(np.mean((targets.astype(np.float64) - 1.0) ** 2))
    assert abs(mse - tasks.ADDING_TRIVIAL_MSE) < 0.01
