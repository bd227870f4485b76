"""Tests for seqbook.reference.attention: the numpy Bahdanau attention against torch's own
layers (nn.Linear, nn.GRUCell: seqbook.checks.torch_attention)."""

import numpy as np
import pytest
import torch

from seqbook import reference
from seqbook.checks.torch_attention import (
    torch_attention,
    torch_decoder_step,
    torch_luong_attention,
    torch_masked_softmax,
)
from seqbook.tasks import length_mask


def lengths_mask(lengths, steps=None):
    """The (B, S) bool mask of ``lengths``, S = the longest unless ``steps`` is given."""
    return length_mask(lengths, steps or max(lengths))


def attention_case(seed, lengths, Hd=4, Hk=6, A=5, S=None):
    rng = np.random.default_rng(seed)
    mask = lengths_mask(lengths, S)
    B, S = mask.shape
    query = rng.uniform(-1, 1, size=(B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    params = reference.random_attention_params(3, Hd, Hk, A, 7, rng)
    return query, keys, mask, params


# ---------------------------------------------------------------------------------------
# masked_softmax
# ---------------------------------------------------------------------------------------


def test_masked_softmax_sums_to_one_and_is_exactly_zero_on_padding():
    rng = np.random.default_rng(0)
    mask = lengths_mask([5, 3, 1])
    weights = reference.masked_softmax(rng.standard_normal((3, 5)) * 3, mask)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-15)
    assert np.all(weights[~mask] == 0.0)
    assert np.all(weights[mask] > 0.0)
    assert weights[2, 0] == 1.0


def test_masked_softmax_matches_torch():
    rng = np.random.default_rng(1)
    for lengths in ([5, 3, 1], [4, 4], [1], [2, 7, 3, 7, 1]):
        mask = lengths_mask(lengths, 8)
        scores = rng.standard_normal(mask.shape) * 4
        np.testing.assert_allclose(reference.masked_softmax(scores, mask),
                                   torch_masked_softmax(scores, mask), rtol=1e-13, atol=1e-15)


def test_masked_softmax_accepts_a_0_1_mask():
    rng = np.random.default_rng(2)
    mask = lengths_mask([3, 2, 4])
    scores = rng.standard_normal(mask.shape)
    np.testing.assert_array_equal(reference.masked_softmax(scores, mask.astype(int)),
                                  reference.masked_softmax(scores, mask))
    np.testing.assert_array_equal(reference.masked_softmax(scores, mask.astype(float)),
                                  reference.masked_softmax(scores, mask))


def test_masked_softmax_is_stable_for_large_scores():
    rng = np.random.default_rng(3)
    mask = lengths_mask([5, 3, 1])
    scores = 1e4 * rng.standard_normal(mask.shape)
    scores[:, -1] = 5e4  # a huge score at a padded position must not matter
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        weights = reference.masked_softmax(scores, mask)
    assert np.all(np.isfinite(weights))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(weights, torch_masked_softmax(scores, mask), atol=1e-12)
    assert np.all(weights[~mask] == 0.0)


def test_masked_softmax_does_not_modify_its_inputs():
    scores, mask = np.arange(6.0).reshape(2, 3), lengths_mask([3, 1])
    before = scores.copy(), mask.copy()
    reference.masked_softmax(scores, mask)
    np.testing.assert_array_equal(scores, before[0])
    np.testing.assert_array_equal(mask, before[1])


# ---------------------------------------------------------------------------------------
# additive_scores and additive_attention
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lengths, Hd, Hk, A", [
    ([5, 3, 1], 4, 6, 5), ([2], 3, 3, 2), ([6, 6, 6, 6], 8, 10, 7), ([1, 9, 4], 2, 4, 16),
])
def test_additive_attention_matches_torch(lengths, Hd, Hk, A):
    query, keys, mask, params = attention_case(10, lengths, Hd, Hk, A)
    W, U, v = params["W"], params["U"], params["v"]
    context, weights, scores = torch_attention(query, keys, mask, W, U, v)
    np.testing.assert_allclose(reference.additive_scores(query, keys, W, U, v), scores,
                               rtol=1e-12, atol=1e-12)
    my_context, my_weights = reference.additive_attention(query, keys, mask, W, U, v)
    assert my_context.shape == (len(lengths), Hk) and my_weights.shape == mask.shape
    np.testing.assert_allclose(my_weights, weights, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(my_context, context, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(my_weights.sum(axis=1), 1.0, atol=1e-14)
    assert np.all(my_weights[~mask] == 0.0)


def test_padding_positions_get_scores_but_no_weight():
    query, keys, mask, params = attention_case(11, [5, 2])
    scores = reference.additive_scores(query, keys, params["W"], params["U"], params["v"])
    assert np.all(scores[~mask] != 0.0)  # scored ...
    _, weights = reference.additive_attention(query, keys, mask, params["W"], params["U"],
                                              params["v"])
    assert np.all(weights[~mask] == 0.0)  # ... but masked out


def test_context_ignores_what_is_stored_at_padding():
    query, keys, mask, params = attention_case(12, [5, 3, 1])
    W, U, v = params["W"], params["U"], params["v"]
    context, weights = reference.additive_attention(query, keys, mask, W, U, v)
    garbage = keys.copy()
    garbage[~mask] = 1e6
    context2, weights2 = reference.additive_attention(query, garbage, mask, W, U, v)
    np.testing.assert_allclose(context2, context, atol=1e-12)
    np.testing.assert_allclose(weights2, weights, atol=1e-12)
    np.testing.assert_allclose(context[2], keys[2, 0], atol=1e-12)  # length 1: c = h_1


# ---------------------------------------------------------------------------------------
# attention_decoder_step
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lengths, E, Hd, Hk, A, V", [
    ([5, 3, 1], 3, 4, 6, 5, 7), ([4], 2, 2, 2, 3, 4), ([2, 8, 8, 1], 5, 6, 10, 4, 11),
])
def test_attention_decoder_step_matches_torch(lengths, E, Hd, Hk, A, V):
    rng = np.random.default_rng(20)
    mask = lengths_mask(lengths)
    B, S = mask.shape
    params = reference.random_attention_params(E, Hd, Hk, A, V, rng)
    embedding = rng.standard_normal((B, E))
    state_prev = rng.uniform(-1, 1, size=(B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    logits, state, weights = reference.attention_decoder_step(embedding, state_prev, keys,
                                                              mask, params)
    assert (logits.shape, state.shape, weights.shape) == ((B, V), (B, Hd), (B, S))
    expected = torch_decoder_step(embedding, state_prev, keys, mask, params)
    for mine, theirs in zip((logits, state, weights), expected):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-14)
    assert np.all(weights[~mask] == 0.0)


def test_attention_decoder_step_attends_with_the_previous_state():
    rng = np.random.default_rng(21)
    mask = lengths_mask([5, 3, 1])
    params = reference.random_attention_params(3, 4, 6, 5, 7, rng)
    embedding, state_prev = rng.standard_normal((3, 3)), rng.uniform(-1, 1, size=(3, 4))
    keys = rng.standard_normal((3, 5, 6))
    _, state, weights = reference.attention_decoder_step(embedding, state_prev, keys, mask,
                                                         params)
    _, before = reference.additive_attention(state_prev, keys, mask, params["W"],
                                             params["U"], params["v"])
    _, after = reference.additive_attention(state, keys, mask, params["W"], params["U"],
                                            params["v"])
    np.testing.assert_array_equal(weights, before)
    assert not np.allclose(weights, after)


def test_random_attention_params_shapes():
    params = reference.random_attention_params(3, 4, 6, 5, 7, np.random.default_rng(0))
    assert set(params) == set(reference.PARAM_NAMES)
    shapes = {name: value.shape for name, value in params.items()}
    assert shapes == {"W": (5, 4), "U": (5, 6), "v": (5,), "W_x": (12, 9), "W_h": (12, 4),
                      "b_x": (12,), "b_h": (12,), "W_out": (7, 13), "b_out": (7,)}


# ---------------------------------------------------------------------------------------
# greedy_decode
# ---------------------------------------------------------------------------------------

SOS, EOS, PAD = 1, 2, 0


class TableDecoder:
    """A fake decoder: sequence b produces ``table[b][k]`` at its step k, whatever it is fed
    after its first step, and records what it was fed."""

    def __init__(self, table, vocab_size=8):
        self.table, self.vocab_size, self.fed = table, vocab_size, []

    def __call__(self, tokens, state):
        self.fed.append(np.array(tokens))
        step = state  # the state is the step count per sequence, (B,)
        logits = np.zeros((len(self.table), self.vocab_size))
        for b, row in enumerate(self.table):
            logits[b, row[min(int(step[b]), len(row) - 1)]] = 1.0
        return logits, step + 1


def test_greedy_decode_stops_at_eos_and_pads_after_it():
    decoder = TableDecoder([[3, 4, EOS, 5, 5, 5], [EOS, 6, 6, 6, 6, 6], [7, 3, 3, EOS, 4, 4]])
    result = reference.greedy_decode(decoder, np.zeros(3), SOS, EOS, max_length=10)
    expected = [[3, 4, EOS, PAD], [EOS, PAD, PAD, PAD], [7, 3, 3, EOS]]
    np.testing.assert_array_equal(result, expected)
    assert result.dtype.kind == "i"
    assert len(decoder.fed) == 4  # stopped as soon as every sequence had produced EOS
    np.testing.assert_array_equal(decoder.fed[0], [SOS, SOS, SOS])
    np.testing.assert_array_equal(decoder.fed[1], [3, EOS, 7])  # the previous argmax
    np.testing.assert_array_equal(decoder.fed[2][[0, 2]], [4, 3])


def test_greedy_decode_respects_max_length():
    decoder = TableDecoder([[3, 4, 5, 6, 7, EOS], [EOS, 3, 3, 3, 3, 3]])
    result = reference.greedy_decode(decoder, np.zeros(2), SOS, EOS, max_length=3)
    np.testing.assert_array_equal(result, [[3, 4, 5], [EOS, PAD, PAD]])
    assert len(decoder.fed) == 3


def test_greedy_decode_uses_the_given_pad_id_and_a_batch_of_one():
    decoder = TableDecoder([[4, EOS, 6]])
    result = reference.greedy_decode(decoder, np.zeros(1), sos_id=5, eos_id=EOS,
                                     max_length=5, pad_id=7)
    np.testing.assert_array_equal(result, [[4, EOS]])
    np.testing.assert_array_equal(decoder.fed[0], [5])
    decoder = TableDecoder([[EOS, 3], [3, EOS]])
    result = reference.greedy_decode(decoder, np.zeros(2), SOS, EOS, max_length=5, pad_id=7)
    np.testing.assert_array_equal(result, [[EOS, 7], [3, EOS]])


def test_greedy_decode_reads_torch_logits():
    def decoder_step(tokens, state):
        logits = torch.zeros(len(tokens), 4)
        logits[:, EOS if state[0] >= 1 else 3] = 1.0
        return logits, state + 1
    result = reference.greedy_decode(decoder_step, np.zeros(3), SOS, EOS, 5)
    np.testing.assert_array_equal(result, [[3, EOS]] * 3)


def test_greedy_decode_with_the_numpy_attention_decoder():
    rng = np.random.default_rng(30)
    mask = lengths_mask([5, 3, 1])
    params = reference.random_attention_params(3, 4, 6, 5, 7, rng)
    embeddings, keys = rng.standard_normal((7, 3)), rng.standard_normal((3, 5, 6))
    fed_tokens = []

    def decoder_step(tokens, state):
        fed_tokens.append(tokens)
        logits, state, _ = reference.attention_decoder_step(embeddings[tokens], state, keys,
                                                            mask, params)
        return logits, state
    result = reference.greedy_decode(decoder_step, np.zeros((3, 4)), SOS, EOS, 6)
    assert result.shape[0] == 3 and 1 <= result.shape[1] <= 6
    for step in range(1, len(fed_tokens)):  # each step was fed the previous output
        unfinished = ~(result[:, :step - 1] == EOS).any(axis=1)
        np.testing.assert_array_equal(fed_tokens[step][unfinished],
                                      result[unfinished, step - 1])


# ---------------------------------------------------------------------------------------
# dot-product scores
# ---------------------------------------------------------------------------------------


def test_scaled_dot_product_is_dot_product_over_sqrt_d():
    rng = np.random.default_rng(40)
    query, keys = rng.standard_normal((3, 16)), rng.standard_normal((3, 5, 16))
    dot = reference.dot_product_scores(query, keys)
    np.testing.assert_allclose(dot, np.stack([keys[b] @ query[b] for b in range(3)]))
    np.testing.assert_allclose(reference.scaled_dot_product_scores(query, keys), dot / 4.0)
    torch_scores = torch.nn.functional.scaled_dot_product_attention(
        torch.as_tensor(query)[:, None, :], torch.as_tensor(keys), torch.as_tensor(keys))
    weights = reference.masked_softmax(reference.scaled_dot_product_scores(query, keys),
                                       np.ones((3, 5), dtype=bool))
    np.testing.assert_allclose(np.einsum("bs,bsd->bd", weights, keys),
                               torch_scores[:, 0].numpy(), atol=1e-12)


# ---------------------------------------------------------------------------------------
# Luong's multiplicative scores: dot and general, with masks
# ---------------------------------------------------------------------------------------


def luong_case(seed, lengths, Hd, Hk):
    rng = np.random.default_rng(seed)
    mask = lengths_mask(lengths)
    B, S = mask.shape
    query = rng.standard_normal((B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    W_a = rng.uniform(-1, 1, size=(Hd, Hk)) / np.sqrt(Hk)
    return query, keys, mask, W_a


LUONG_CASES = [([5, 3, 1], 4, 6), ([2], 3, 3), ([6, 6, 6, 6], 8, 10), ([1, 9, 4], 5, 2)]


@pytest.mark.parametrize("lengths, Hd, Hk", LUONG_CASES)
def test_general_attention_matches_torch(lengths, Hd, Hk):
    query, keys, mask, W_a = luong_case(50, lengths, Hd, Hk)
    context, weights, scores = torch_luong_attention(query, keys, mask, W_a)
    np.testing.assert_allclose(reference.general_scores(query, keys, W_a), scores,
                               rtol=0, atol=1e-10)
    my_context, my_weights = reference.general_attention(query, keys, mask, W_a)
    assert my_context.shape == (len(lengths), Hk) and my_weights.shape == mask.shape
    np.testing.assert_allclose(my_weights, weights, rtol=0, atol=1e-10)
    np.testing.assert_allclose(my_context, context, rtol=0, atol=1e-10)
    assert np.all(my_weights[~mask] == 0.0)


@pytest.mark.parametrize("lengths, d", [([5, 3, 1], 6), ([2], 3), ([6, 6, 6, 6], 10),
                                        ([1, 9, 4], 2)])
def test_dot_product_attention_matches_torch(lengths, d):
    query, keys, mask, _ = luong_case(51, lengths, d, d)
    context, weights, scores = torch_luong_attention(query, keys, mask)
    np.testing.assert_allclose(reference.dot_product_scores(query, keys), scores,
                               rtol=0, atol=1e-10)
    my_context, my_weights = reference.dot_product_attention(query, keys, mask)
    np.testing.assert_allclose(my_weights, weights, rtol=0, atol=1e-10)
    np.testing.assert_allclose(my_context, context, rtol=0, atol=1e-10)
    assert np.all(my_weights[~mask] == 0.0)


def test_general_scores_with_the_identity_are_the_dot_scores():
    query, keys, _, _ = luong_case(52, [4, 2], 5, 5)
    np.testing.assert_allclose(reference.general_scores(query, keys, np.eye(5)),
                               reference.dot_product_scores(query, keys), atol=1e-15)


def test_general_scores_by_hand():
    query = np.array([[1.0, 2.0]])  # s, Hd = 2
    keys = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]]])  # h_1, h_2, Hk = 3
    W_a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # (Hd, Hk)
    # s^T W_a = [1*1 + 2*4, 1*2 + 2*5, 1*3 + 2*6] = [9, 12, 15]; . h_1 = 9; . h_2 = -3
    np.testing.assert_array_equal(reference.general_scores(query, keys, W_a), [[9.0, -3.0]])


def test_luong_context_ignores_what_is_stored_at_padding():
    query, keys, mask, W_a = luong_case(53, [5, 3, 1], 4, 6)
    context, weights = reference.general_attention(query, keys, mask, W_a)
    garbage = keys.copy()
    garbage[~mask] = 1e6
    context2, weights2 = reference.general_attention(query, garbage, mask, W_a)
    np.testing.assert_allclose(context2, context, atol=1e-12)
    np.testing.assert_array_equal(weights2, weights)
    np.testing.assert_allclose(context[2], keys[2, 0], atol=1e-12)  # length 1: c = h_1


def mutated_transposed(query, keys, W_a):
    return np.einsum("bsk,bk->bs", keys, query @ W_a.T)  # s^T W_a^T h, not s^T W_a h


def mutated_scaled(query, keys, W_a):
    return reference.general_scores(query, keys, W_a) / np.sqrt(query.shape[1])


@pytest.mark.parametrize("wrong", [mutated_transposed, mutated_scaled])
def test_a_mutated_general_score_is_seen(wrong):
    query, keys, mask, W_a = luong_case(54, [5, 3, 1], 4, 4)  # square W_a: W_a.T fits too
    _, weights, scores = torch_luong_attention(query, keys, mask, W_a)
    mutated = wrong(query, keys, W_a)
    assert mutated.shape == scores.shape
    assert not np.allclose(mutated, scores, rtol=0, atol=1e-10)
    assert not np.allclose(reference.masked_softmax(mutated, mask), weights, rtol=0,
                           atol=1e-10)


def test_attention_without_its_mask_is_seen():
    query, keys, mask, W_a = luong_case(55, [5, 3, 1], 4, 6)
    context, _, _ = torch_luong_attention(query, keys, mask, W_a)
    unmasked, _ = reference.general_attention(query, keys, np.ones_like(mask), W_a)
    assert not np.allclose(unmasked, context, rtol=0, atol=1e-10)


def test_luong_scores_reject_mismatched_sizes():
    query, keys, _, W_a = luong_case(56, [3, 2], 4, 6)
    with pytest.raises(ValueError, match="the query has 4 entries, the keys 6"):
        reference.dot_product_scores(query, keys)
    with pytest.raises(ValueError, match=r"W_a should be \(Hd, Hk\) = \(4, 6\).*\(6, 4\)"):
        reference.general_scores(query, keys, W_a.T)
