"""Tests for seqbook.seq2seq: the Chapter 4 encoder-decoders, small and fast."""

import numpy as np
import pytest
import torch

from seqbook import lab, reference, tasks
from seqbook.models import seq2seq
from seqbook.tasks import dates
from seqbook.tasks.vocabulary import EOS, PAD, SOS

V, E, H = 9, 5, 6  # vocabulary, embedding and hidden sizes of the tiny models


def make(kind, seed=0, **options):
    torch.manual_seed(seed)
    return seq2seq.make_model(kind, V + 2, V, embed_size=E, hidden_size=H, attention_size=7,
                              **options)


def padded(rows):
    """A list of id lists -> (ids (B, L) padded with PAD, lengths (B,))."""
    ids = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
    return ids, torch.tensor([len(row) for row in rows])


def reversal(count, seed, min_length=2, max_length=6):
    """Reverse a string of symbols 3..V-1; every target ends with EOS."""
    rng = np.random.default_rng(seed)
    sources = [list(rng.integers(3, V, size=rng.integers(min_length, max_length + 1)))
               for _ in range(count)]
    return (*padded(sources), *padded([source[::-1] + [EOS] for source in sources]))


SOURCES = [[3, 4, 5, 6, 7], [8, 3], [5, 5, 4]]


def test_encode_pairs():
    pairs = tasks.reversal_pairs(4, 2, 5, alphabet_size=3, seed=0)
    vocab = tasks.Vocabulary((source for source, _ in pairs), reserved=tasks.SEQUENCE_SYMBOLS)
    src, src_lengths, tgt, tgt_lengths = seq2seq.encode_pairs(pairs, vocab, vocab)
    assert (tgt_lengths == src_lengths + 1).all()
    for i, (source, target) in enumerate(pairs):
        assert vocab.decode(src[i]) == source and vocab.decode(tgt[i]) == target
        assert tgt[i, len(target)] == EOS


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_shapes(kind):
    model = make(kind)
    src, lengths = padded(SOURCES)
    logits, weights = model(src, lengths, torch.full((3, 4), SOS))
    assert logits.shape == (3, 4, V)
    if kind == "attention":
        assert weights.shape == (3, 4, 5)
    else:
        assert weights is None
    annotations, final = model.encoder(src, lengths)
    assert annotations.shape == (3, 5, 2 * H) and final.shape == (3, 2 * H)
    tokens, _ = model.greedy(src, lengths, max_length=6)
    assert tokens.shape[0] == 3 and tokens.shape[1] <= 6


@pytest.mark.parametrize("total_length", [7, 9])
def test_unpack_is_pad_packed_sequence(total_length):
    """The same numbers as torch's pad_packed_sequence, forwards and backwards, bit for bit."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(0)
    lengths = torch.tensor([3, 7, 1, 5, 7, 2])
    inputs = torch.randn(6, 7, 4)
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    data = packed.data.detach().requires_grad_()
    packed = packed._replace(data=data)
    ours = seq2seq.unpack(packed, total_length)
    theirs, _ = pad_packed_sequence(packed, batch_first=True, total_length=total_length)
    assert ours.shape == (6, total_length, 4) and torch.equal(ours, theirs)
    weights = torch.randn(6, total_length, 4)
    ours_grad, = torch.autograd.grad((ours * weights).sum(), data)
    theirs_grad, = torch.autograd.grad((theirs * weights).sum(), data)
    assert torch.equal(ours_grad, theirs_grad)


def test_encoder_ignores_padding():
    model = make("attention")
    src, lengths = padded(SOURCES)
    annotations, final = model.encoder(src, lengths)
    for i, source in enumerate(SOURCES):
        alone, alone_final = model.encoder(torch.tensor([source]), torch.tensor([len(source)]))
        torch.testing.assert_close(annotations[i, :len(source)], alone[0])
        torch.testing.assert_close(final[i], alone_final[0])
        assert (annotations[i, len(source):] == 0).all()
        # the backward half of h_1 is the backward direction's final state
        torch.testing.assert_close(final[i, H:], alone[0, 0, H:])


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_padding_does_not_change_translation(kind):
    model = make(kind)
    src, lengths = padded(SOURCES)
    batch_logits, _ = model(src, lengths, torch.full((3, 4), SOS))
    batch_tokens, _ = model.greedy(src, lengths, max_length=6)
    for i, source in enumerate(SOURCES):
        one = torch.tensor([source]), torch.tensor([len(source)])
        logits, _ = model(*one, torch.full((1, 4), SOS))
        torch.testing.assert_close(batch_logits[i], logits[0])
        tokens, _ = model.greedy(*one, max_length=6)
        assert batch_tokens[i, :tokens.shape[1]].tolist() == tokens[0].tolist()


def test_attention_weights_are_masked_and_sum_to_one():
    model = make("attention")
    src, lengths = padded(SOURCES)
    _, weights = model(src, lengths, torch.full((3, 4), SOS))  # (B, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))
    mask = tasks.length_mask(lengths, 5)  # (B, S)
    assert (weights[~mask[:, None, :].expand_as(weights)] == 0).all()
    assert (weights[mask[:, None, :].expand_as(weights)] > 0).all()


def test_zero_v_starts_uniform():
    model = make("attention", zero_v=True)
    src, lengths = padded(SOURCES)
    _, weights = model(src, lengths, torch.full((3, 2), SOS))
    torch.testing.assert_close(weights[1, :, :2], torch.full((2, 2), 0.5))


def test_reverse_source_reverses_real_tokens_only():
    src, lengths = padded(SOURCES)
    reversed_src = seq2seq.reverse_padded(src, lengths)
    assert reversed_src.tolist() == [[7, 6, 5, 4, 3], [3, 8, 0, 0, 0], [4, 5, 5, 0, 0]]
    plain, flipped = make("plain"), make("plain", reverse_source=True)
    torch.testing.assert_close(flipped.encode(src, lengths)[1],
                               plain.encode(reversed_src, lengths)[1])


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_teacher_forced_loss_decreases(kind):
    torch.manual_seed(0)
    model = make(kind)
    data = reversal(200, seed=1)
    history = seq2seq.train_seq2seq(model, data, steps=40, batch_size=32, lr=1e-2, seed=0)
    assert np.mean(history["losses"][-5:]) < 0.8 * np.mean(history["losses"][:5])


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_torch_greedy_agrees_with_the_reference_greedy_decode(kind):
    model = make(kind)
    model.train()  # greedy must not depend on the mode (no dropout here)
    src, lengths = padded(SOURCES)
    tokens, _ = model.greedy(src, lengths, max_length=7)
    step, state0 = model.decoder_for(src.numpy(), lengths.numpy())
    assert state0.shape == (3, H)
    expected = reference.greedy_decode(step, state0, SOS, EOS, max_length=7, pad_id=PAD)
    np.testing.assert_array_equal(tokens.numpy(), expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_attention_params_match_numpy_step(dtype):
    model = make("attention").to(dtype)
    src, lengths = padded(SOURCES)
    state, memory = model.encode(src, lengths)
    tokens = torch.tensor([SOS, 4, 7])
    embedded = model.decoder.embedding(tokens)
    logits, new_state, weights = model.decoder.step(embedded, state, memory)
    params = seq2seq.attention_params_from_torch(model.decoder)
    assert params["v"].shape == (7,) and params["W_out"].shape == (V, H + 2 * H + E)
    expected = reference.attention_decoder_step(params["embedding"][tokens.numpy()],
                                                state.detach().numpy().astype(np.float64),
                                                memory[0].detach().numpy().astype(np.float64),
                                                memory[2].numpy(), params)
    tolerance = 1e-6 if dtype == torch.float32 else 1e-12
    for got, want in zip((logits, new_state, weights), expected):
        np.testing.assert_allclose(got.detach().numpy(), want, atol=tolerance, rtol=0)


def test_evaluation_counts_exact_and_token_matches():
    model = make("attention")
    data = reversal(50, seed=2)
    result = seq2seq.evaluate_seq2seq(model, data, batch_size=16, edges=(2, 4, 7))
    assert result["exact"].shape == (50,)
    assert 0 <= result["exact_match"] <= result["token_accuracy"] <= 1
    assert sum(bucket[2] for bucket in result["buckets"]) == 50

    class Oracle(torch.nn.Module):
        """Answers every source with its original target."""

        def greedy(self, src_ids, src_lengths, max_length):
            return data[2][:, :max_length], None

    oracle = seq2seq.evaluate_seq2seq(Oracle(), data, batch_size=50)
    assert oracle["exact_match"] == 1.0 and oracle["token_accuracy"] == 1.0
    wrong = (data[0], data[1], data[2].clone(), data[3])
    wrong[2][0, 0] = 3 if wrong[2][0, 0] != 3 else 4
    partial = seq2seq.evaluate_seq2seq(Oracle(), wrong, batch_size=50)
    assert partial["exact_match"] == 49 / 50
    assert partial["token_accuracy"] == 1 - 1 / int(data[3].sum())


def test_training_is_deterministic_for_a_seed():
    data = reversal(100, seed=3)
    runs = []
    for _ in range(2):
        model = make("attention", seed=4)
        history = seq2seq.train_seq2seq(model, data, steps=5, batch_size=16, seed=5)
        runs.append((history["losses"], model.greedy(data[0], data[1], 7)[0]))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_one_direction_encoder(kind):
    model = make(kind, bidirectional=False)
    src, lengths = padded(SOURCES)
    annotations, final = model.encoder(src, lengths)
    assert annotations.shape == (3, 5, H) and final.shape == (3, H)
    for i, source in enumerate(SOURCES):  # the final state is the last real annotation
        torch.testing.assert_close(final[i], annotations[i, len(source) - 1])
    logits, _ = model(src, lengths, torch.full((3, 2), SOS))
    assert logits.shape == (3, 2, V)


@pytest.mark.slow
def test_the_papers_zero_v_starts_uniform_and_learns_more_slowly_in_a_short_run():
    """Chapter 4's training hint: v = 0 (the paper's initialisation) makes every score equal,
    so attention starts uniform; after 100 steps it is behind torch's default start."""

    lab.setup(0)
    train, test, info = dates.date_dataset(5000, 500, seed=0)
    source_vocab, target_vocab = info["source_vocab"], info["target_vocab"]
    train_data = seq2seq.encode_pairs(train, source_vocab, target_vocab)
    test_data = seq2seq.encode_pairs(test, source_vocab, target_vocab)
    exact = {}
    for zero_v in (True, False):
        torch.manual_seed(0)
        model = seq2seq.make_model("attention", len(source_vocab), len(target_vocab),
                                   zero_v=zero_v)
        if zero_v:
            _, weights = model(test_data[0][:4], test_data[1][:4],
                               seq2seq.teacher_inputs(test_data[2][:4]))
            real = tasks.length_mask(test_data[1][:4], test_data[0].shape[1])
            expected = real / real.sum(dim=1, keepdim=True)  # uniform over real positions
            torch.testing.assert_close(weights[:, 0], expected.float())
        seq2seq.train_seq2seq(model, train_data, steps=100, batch_size=64, lr=3e-3, seed=0)
        exact[zero_v] = seq2seq.evaluate_seq2seq(model, test_data)["exact_match"]
    assert exact[False] > exact[True] + 0.05, exact


# ---------------------------------------------------------------------------------------
# Lab 4a's PyTorch exercises: the loss, the training step, beam decoding
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_sequence_loss_is_the_masked_mean_over_real_tokens(kind):
    """Against a loop over the sentences: -log p of each real token (EOS in, padding out)
    with the decoder fed the teacher-forced inputs, summed and divided by the count."""
    model = make(kind, seed=3)
    data = reversal(6, seed=4)
    loss = seq2seq.sequence_loss(model, *data)
    assert loss.requires_grad and loss.shape == ()
    logits, _ = model(data[0], data[1], seq2seq.teacher_inputs(data[2]))
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    total, count = 0.0, 0
    for b in range(len(data[0])):
        for t in range(int(data[3][b])):
            total -= log_probs[b, t, data[2][b, t]].item()
            count += 1
    assert count == int(data[3].sum())
    assert abs(float(loss) - total / count) < 1e-5


def test_sequence_loss_ignores_extra_padding_columns():
    model = make("attention", seed=5)
    src, src_lengths, tgt, tgt_lengths = reversal(4, seed=6)
    wider_src = torch.cat([src, torch.zeros(4, 3, dtype=torch.long)], dim=1)
    wider_tgt = torch.cat([tgt, torch.zeros(4, 2, dtype=torch.long)], dim=1)
    torch.testing.assert_close(seq2seq.sequence_loss(model, src, src_lengths, tgt, tgt_lengths),
                               seq2seq.sequence_loss(model, wider_src, src_lengths, wider_tgt,
                                                     tgt_lengths))


def test_training_step_is_loss_reset_backward_clip_step():
    """Against the four moves by hand on a copy: the same loss and parameters."""
    data = reversal(8, seed=7)
    model, twin = make("plain", seed=8), make("plain", seed=8)
    for parameter in model.parameters():  # stale gradients, which the step must reset
        parameter.grad = torch.ones_like(parameter)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = seq2seq.seq2seq_training_step(model, optimizer, data, max_norm=0.1)
    assert isinstance(loss, float)
    expected = seq2seq.sequence_loss(twin, *data)
    expected.backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in twin.parameters()))
    assert norm > 0.1  # the case clips
    with torch.no_grad():
        for parameter in twin.parameters():
            parameter -= 0.5 * parameter.grad * 0.1 / (norm + 1e-6)
    assert loss == pytest.approx(float(expected), abs=1e-6)
    for got, want in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_train_seq2seq_takes_every_step_with_the_training_step(monkeypatch):
    """One source: train_seq2seq's updates are seq2seq_training_step's."""
    calls = []
    book = seq2seq.seq2seq_training_step

    def counted(model, optimizer, batch, max_norm):
        calls.append((tuple(batch[0].shape), max_norm))
        return book(model, optimizer, batch, max_norm)

    monkeypatch.setattr(seq2seq, "seq2seq_training_step", counted)
    data = reversal(40, seed=9)
    history = seq2seq.train_seq2seq(make("plain"), data, steps=6, batch_size=8, clip=0.7)
    assert len(calls) == 6 and len(history["losses"]) == 6
    assert all(max_norm == 0.7 for _, max_norm in calls)


def test_random_batch_drops_all_padding_columns():
    data = reversal(30, seed=10, min_length=2, max_length=6)
    wide = tuple(torch.cat([tensor, torch.zeros(30, 4, dtype=torch.long)], 1)
                 if tensor.dim() == 2 else tensor for tensor in data)
    src, src_lengths, tgt, tgt_lengths = seq2seq.random_batch(wide, np.random.default_rng(0), 5)
    assert src.shape[1] == int(src_lengths.max()) and tgt.shape[1] == int(tgt_lengths.max())


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_beam_decode_of_one_is_greedy(kind):
    model = make(kind, seed=11)
    src, lengths = padded(SOURCES)
    tokens, _ = model.greedy(src, lengths, max_length=7)
    outputs = seq2seq.beam_decode(model, src, lengths, beam_size=1, max_length=7)
    for output, row in zip(outputs, tokens):
        np.testing.assert_array_equal(output, row[:len(output)].numpy())
        assert (row[len(output):] == PAD).all()


def test_a_beam_scores_at_least_as_well_as_greedy_under_the_model():
    """Beam 4 finds an output at least as likely as greedy decoding's, for each source."""
    model = make("attention", seed=12)
    src, lengths = padded(SOURCES)
    greedy = seq2seq.beam_decode(model, src, lengths, beam_size=1, max_length=8)
    beam = seq2seq.beam_decode(model, src, lengths, beam_size=4, max_length=8)

    def log_prob(b, output):
        tgt = torch.tensor([output.tolist()])
        logits, _ = model(src[b:b + 1, :int(lengths[b])], lengths[b:b + 1],
                          seq2seq.teacher_inputs(tgt))
        return float(torch.log_softmax(logits.double(), -1)[0].gather(1, tgt.T).sum())

    for b in range(len(SOURCES)):
        if greedy[b][-1] == EOS and beam[b][-1] == EOS:
            assert log_prob(b, beam[b]) >= log_prob(b, greedy[b]) - 1e-5


def test_exact_matches():
    tgt, lengths = padded([[4, 5, EOS], [6, EOS]])
    outputs = [np.array([4, 5, EOS]), np.array([6, 7, EOS])]
    assert seq2seq.exact_matches(outputs, tgt, lengths).tolist() == [True, False]
    assert seq2seq.exact_matches([np.array([4, 5]), np.array([6, EOS])], tgt,
                                 lengths).tolist() == [False, True]
