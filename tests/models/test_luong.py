"""The attention decoder with Luong's scores (seqbook.models.seq2seq, ``score=``): its
attention equals torch's own formulation (seqbook.checks.torch_attention) and the book's
numpy reference, it trains, and it refuses what it cannot do with a clear message."""

import numpy as np
import pytest
import torch

from seqbook import reference
from seqbook.checks.torch_attention import torch_luong_attention
from seqbook.models import seq2seq
from seqbook.tasks.vocabulary import EOS, PAD, SOS
from seqbook.views import explorers

V, E, H = 9, 5, 6  # vocabulary, embedding and per-direction encoder sizes


def make(score, seed=0, decoder_size=2 * H):
    torch.manual_seed(seed)
    return seq2seq.make_model("attention", V + 2, V, embed_size=E, hidden_size=H,
                              attention_size=7, score=score, decoder_size=decoder_size).double()


def padded(rows):
    ids = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
    return ids, torch.tensor([len(row) for row in rows])


SOURCES = [[3, 4, 5, 6, 7], [8, 3], [5, 5, 4]]


def one_step(model, seed=1):
    """The model's attention at its first decoder step, from a random s_{t-1}."""
    src, lengths = padded(SOURCES)
    _, memory = model.encode(src, lengths)
    generator = torch.Generator().manual_seed(seed)
    state_prev = torch.randn(len(SOURCES), model.decoder.cell.hidden_size,
                             generator=generator, dtype=torch.float64)
    with torch.no_grad():
        context, weights = model.decoder.attend(state_prev, memory)
    annotations, _, mask = memory
    return (state_prev.numpy(), annotations.detach().numpy(), mask.numpy(), context.numpy(),
            weights.numpy())


@pytest.mark.parametrize("decoder_size", [4, 2 * H, 15])
def test_general_decoder_attends_as_torch_and_numpy_do(decoder_size):
    model = make("general", decoder_size=decoder_size)
    query, keys, mask, context, weights = one_step(model)
    W_a = model.decoder.W_a.weight.detach().numpy()  # (Hd, K)
    assert W_a.shape == (decoder_size, 2 * H)
    torch_context, torch_weights, _ = torch_luong_attention(query, keys, mask, W_a)
    np.testing.assert_allclose(weights, torch_weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(context, torch_context, rtol=0, atol=1e-12)
    numpy_context, numpy_weights = reference.general_attention(query, keys, mask, W_a)
    np.testing.assert_allclose(weights, numpy_weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(context, numpy_context, rtol=0, atol=1e-12)
    assert np.all(weights[~mask] == 0.0)


def test_dot_decoder_attends_as_torch_and_numpy_do():
    model = make("dot")
    query, keys, mask, context, weights = one_step(model)
    torch_context, torch_weights, _ = torch_luong_attention(query, keys, mask)
    np.testing.assert_allclose(weights, torch_weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(context, torch_context, rtol=0, atol=1e-12)
    numpy_context, numpy_weights = reference.dot_product_attention(query, keys, mask)
    np.testing.assert_allclose(context, numpy_context, rtol=0, atol=1e-12)
    assert np.all(weights[~mask] == 0.0)


def test_the_scores_differ_only_in_the_attention_parameters():
    counts = {score: sum(p.numel() for p in make(score).parameters())
              for score in ("additive", "general", "dot")}
    K, Hd, A = 2 * H, 2 * H, 7
    assert counts["additive"] - counts["dot"] == A * Hd + A * K + A  # W, U, v
    assert counts["general"] - counts["dot"] == Hd * K  # W_a


def test_additive_is_still_the_default_and_unchanged():
    torch.manual_seed(0)
    default = seq2seq.make_model("attention", V + 2, V, embed_size=E, hidden_size=H,
                                 attention_size=7)
    torch.manual_seed(0)
    named = seq2seq.make_model("attention", V + 2, V, embed_size=E, hidden_size=H,
                               attention_size=7, score="additive")
    assert default.decoder.score == "additive"
    for (name, a), (_, b) in zip(default.state_dict().items(), named.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("score", ["general", "dot"])
def test_luong_decoders_learn_a_tiny_reversal(score):
    rng = np.random.default_rng(0)
    sources = [list(rng.integers(3, V, size=rng.integers(2, 5))) for _ in range(256)]
    data = (*padded(sources), *padded([s[::-1] + [EOS] for s in sources]))
    model = make(score).float()
    before = seq2seq.sequence_loss(model, *data).item()
    seq2seq.train_seq2seq(model, data, steps=60, batch_size=32, lr=1e-2, seed=0)
    after = seq2seq.sequence_loss(model, *data).item()
    assert after < 0.6 * before
    tokens, weights = model.greedy(data[0][:4], data[1][:4], max_length=6)
    assert weights.shape[:2] == tokens.shape and tokens[0, 0] != SOS


def test_dot_needs_equal_sizes_and_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"K = 12, Hd = 6.*decoder_size.*general"):
        make("dot", decoder_size=H)


def test_an_unknown_score_is_named():
    with pytest.raises(ValueError, match=r"score must be one of .*'bilinear'"):
        make("bilinear")


def test_additive_only_readers_refuse_a_luong_decoder():
    model = make("general")
    with pytest.raises(ValueError, match="additive decoder's W, U and v.*'general'"):
        seq2seq.attention_params_from_torch(model.decoder)
    with pytest.raises(ValueError, match="additive scores in the page.*'general'"):
        explorers.alignment_model_config(model)
