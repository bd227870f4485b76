"""Tests for seqbook.tasks.vocabulary: the one Vocabulary class in its three uses, and the
one mask from lengths."""

import numpy as np
import pytest
import torch

from seqbook import tasks
from seqbook.tasks import reviews


def test_character_vocabulary_without_unknown_names_the_bad_token():
    vocab = tasks.Vocabulary(["ab"], reserved=[tasks.END])
    assert vocab.symbols == [".", "a", "b"]
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("az")
    with pytest.raises(ValueError, match="<pad>"):
        vocab.encode_batch(["ab"])  # nothing to pad with: the message says what to reserve


def test_word_vocabulary_splits_words_and_joins_them_back():
    vocab = reviews.vocabulary(["The plot was good.", "the acting was bad"])
    assert vocab.symbols[:2] == ["<pad>", "<unk>"]
    assert vocab.encode("the plot was great") == [vocab.index["the"], vocab.index["plot"],
                                                  vocab.index["was"], 1]
    assert vocab.decode(vocab.encode("the plot was great")) == "the plot was <unk>"
    ids, lengths = vocab.encode_batch(["good", "the acting was bad"])
    assert ids.shape == (2, 4) and lengths.tolist() == [1, 4] and ids[0, 1:].tolist() == [0] * 3


def test_sequence_vocabulary_reserves_pad_sos_eos_unk_in_order():
    vocab = tasks.Vocabulary(["ba"], reserved=tasks.SEQUENCE_SYMBOLS)
    assert [vocab.index[s] for s in tasks.SEQUENCE_SYMBOLS] == [tasks.PAD, tasks.SOS,
                                                                tasks.EOS, tasks.UNK]
    assert vocab.encode("ab", add_sos=True, add_eos=True) == [1, 4, 5, 2]


@pytest.mark.parametrize("lengths", [[3, 1, 0], [5, 5, 2]])
def test_length_mask_numpy_and_torch_agree(lengths):
    expected = np.array([[t < n for t in range(5)] for n in lengths])
    from_numpy = tasks.length_mask(np.array(lengths), 5)
    from_torch = tasks.length_mask(torch.tensor(lengths), 5)
    assert from_numpy.dtype == bool and from_torch.dtype == torch.bool
    np.testing.assert_array_equal(from_numpy, expected)
    np.testing.assert_array_equal(from_torch.numpy(), expected)
