"""Tests for seqbook.models: the torch models and training loops, kept small and fast."""

import math

import numpy as np
import pytest
import torch

from seqbook import models, reference, tasks


@pytest.fixture(scope="module")
def names():
    return tasks.first_names()[::6]  # about 300 names


@pytest.fixture(scope="module")
def vocab():
    return tasks.names.vocabulary(tasks.first_names())


@pytest.fixture(scope="module")
def pairs(names, vocab):
    return tasks.name_training_pairs(names, vocab)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_char_model_shapes(cell):
    torch.manual_seed(0)
    model = models.CharModel(vocab_size=7, hidden_size=5, cell=cell)
    ids = torch.tensor([[0, 3, 6, 2], [0, 1, -1, -1]])  # padding -1 is accepted
    logits, state = model(ids)
    assert logits.shape == (2, 4, 7)
    # feeding the state back in continues the sequence
    more, _ = model(torch.tensor([[4], [5]]), state)
    assert more.shape == (2, 1, 7)
    whole, _ = model(torch.tensor([[0, 3, 6, 2, 4]]))
    torch.testing.assert_close(more[0, 0], whole[0, -1])


def test_masked_cross_entropy_ignores_padding():
    torch.manual_seed(1)
    logits = torch.randn(3, 5, 6)
    targets = torch.tensor([[1, 2, 0, -1, -1], [4, 0, -1, -1, -1], [5, 5, 1, 2, 0]])
    keep = targets != -1
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    result = models.masked_cross_entropy(logits, targets)
    torch.testing.assert_close(result, expected)
    # whatever the logits at padded positions, the loss does not change
    changed = logits.clone()
    changed[~keep] = 100 * torch.randn(int((~keep).sum()), 6)
    torch.testing.assert_close(models.masked_cross_entropy(changed, targets), expected)


def test_masked_cross_entropy_uniform_logits_give_log_v():
    logits = torch.zeros(2, 3, 8)
    targets = torch.tensor([[1, 2, -1], [7, -1, -1]])
    assert models.masked_cross_entropy(logits, targets).item() == pytest.approx(math.log(8))


def test_perplexity_is_e_to_torchs_mean_cross_entropy():
    torch.manual_seed(2)
    logits = torch.randn(3, 5, 6, dtype=torch.float64)
    targets = torch.tensor([[1, 2, 0, -1, -1], [4, 0, -1, -1, -1], [5, 5, 1, 2, 0]])
    keep = targets != -1
    loss = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    assert models.perplexity(models.masked_cross_entropy(logits, targets)) == pytest.approx(
        math.exp(loss.item()), rel=1e-12)
    # the same number from its definition: the geometric mean of 1 / p(target)
    probabilities = torch.softmax(logits, dim=-1)[keep].gather(1, targets[keep][:, None])
    geometric_mean = math.exp(-torch.log(probabilities).mean().item())
    assert models.perplexity(loss) == pytest.approx(geometric_mean, rel=1e-12)


@pytest.mark.parametrize("V", [1, 2, 27, 100])
def test_perplexity_of_uniform_predictions_over_v_symbols_is_v(V):
    logits = torch.zeros(2, 4, V, dtype=torch.float64)
    targets = torch.tensor([[0, V - 1, -1, -1], [V // 2, 0, 0, -1]])
    assert models.perplexity(models.masked_cross_entropy(logits, targets)) == pytest.approx(
        V, rel=1e-12)


def test_perplexity_is_not_the_loss_itself_or_base_2():
    assert models.perplexity(math.log(27)) == pytest.approx(27, rel=1e-12)
    assert models.perplexity(2.0) != pytest.approx(2.0**2)  # nats, not bits


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
def test_perplexity_rejects_a_negative_or_nan_loss(bad):
    with pytest.raises(ValueError, match="cross-entropy >= 0"):
        models.perplexity(bad)


def test_train_char_model_lowers_the_loss(pairs, vocab):
    inputs, targets = pairs
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), hidden_size=32)
    before = models.evaluate_char_model(model, inputs, targets)
    losses = models.train_char_model(model, inputs, targets, steps=60, batch_size=32,
                                     lr=1e-2)
    after = models.evaluate_char_model(model, inputs, targets)
    assert len(losses) == 60
    assert all(isinstance(loss, float) and math.isfinite(loss) for loss in losses)
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.3
    assert after < before - 0.3


def test_evaluate_char_model_returns_a_float(pairs, vocab):
    inputs, targets = pairs
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), hidden_size=8)
    loss = models.evaluate_char_model(model, inputs, targets)
    assert isinstance(loss, float)
    # an untrained model is close to guessing uniformly among the symbols
    assert abs(loss - math.log(len(vocab))) < 0.5
    with torch.no_grad():
        logits, _ = model(torch.as_tensor(inputs))
        expected = models.masked_cross_entropy(logits, torch.as_tensor(targets)).item()
    assert loss == pytest.approx(expected)


def test_sample_names_are_reproducible_strings_of_letters(vocab):
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), hidden_size=16)
    first = models.sample_names(model, vocab, count=8, seed=3, max_length=12)
    again = models.sample_names(model, vocab, count=8, seed=3, max_length=12)
    other = models.sample_names(model, vocab, count=8, seed=4, max_length=12)
    assert len(first) == 8
    assert first == again
    assert first != other
    letters = set(vocab.symbols) - {tasks.END}
    for name in first + other:
        assert isinstance(name, str)
        assert len(name) <= 12
        assert set(name) <= letters


def test_sample_names_low_temperature_is_greedy(vocab):
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), hidden_size=16)
    cold = [models.sample_names(model, vocab, count=1, seed=s, temperature=1e-3)[0]
            for s in range(3)]
    assert cold[0] == cold[1] == cold[2]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_regressor_shape(cell):
    torch.manual_seed(0)
    model = models.SequenceRegressor(input_size=2, hidden_size=6, cell=cell)
    out = model(torch.randn(5, 9, 2))
    assert out.shape == (5,)


def test_train_adding_history():
    torch.manual_seed(0)
    model = models.SequenceRegressor(2, 8)
    history = models.train_adding(model, length=10, steps=20, eval_every=5, batch_size=16)
    assert set(history) == {"steps", "test_mse", "final_mse", "seconds"}
    assert history["steps"] == [0, 5, 10, 15, 20]
    assert len(history["test_mse"]) == len(history["steps"])
    assert all(isinstance(e, float) and e >= 0 for e in history["test_mse"])
    assert history["final_mse"] == history["test_mse"][-1]
    assert history["seconds"] > 0
    assert history["test_mse"][-1] != history["test_mse"][0]  # the model did train


def test_train_adding_is_reproducible():
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = models.SequenceRegressor(2, 4)
        results.append(models.train_adding(model, length=6, steps=4, eval_every=2,
                                           batch_size=8)["test_mse"])
    assert results[0] == results[1]


# --- Chapter 2: forget-gate bias and the gate-by-gate LSTM variants -------------------


def test_set_forget_bias_sets_the_summed_forget_bias_of_torch_lstm():
    lstm = torch.nn.LSTM(2, 4, batch_first=True)
    models.set_forget_bias(lstm, 1.5)
    total = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert torch.allclose(total[4:8], torch.full((4,), 1.5))
    assert not torch.allclose(total[:4], torch.zeros(4))  # the other blocks are untouched


def test_set_forget_bias_rejects_a_plain_rnn():
    with pytest.raises(TypeError, match="needs an LSTM"):
        models.set_forget_bias(torch.nn.RNN(2, 4), 1.0)


def test_lstm_variant_with_default_switches_is_torch_lstm():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True).double()
    variant = models.LSTMVariant(3, 5).double().copy_from(lstm)
    inputs = torch.randn(4, 11, 3, dtype=torch.float64)
    expected, (last_hidden, last_cell) = lstm(inputs)
    hiddens, (hidden, cell) = variant(inputs)
    assert torch.allclose(hiddens, expected, atol=1e-12)
    assert torch.allclose(cell, last_cell[0], atol=1e-12)


@pytest.mark.parametrize("switches", [dict(forget_gate=False), dict(output_activation=False),
                                      dict(coupled=True), dict(peepholes=True)])
def test_each_switch_changes_what_the_layer_computes(switches):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True).double()
    variant = models.LSTMVariant(3, 5, **switches).double().copy_from(lstm)
    if switches.get("peepholes"):
        with torch.no_grad():
            variant.peep_f.fill_(0.5)
    inputs = torch.randn(2, 6, 3, dtype=torch.float64)
    assert not torch.allclose(variant(inputs)[0], lstm(inputs)[0], atol=1e-6)


def test_lstm_variant_without_forget_gate_accumulates():
    """With f = 1 and the input and candidate saturated, the cell counts the steps."""
    variant = models.LSTMVariant(1, 1, forget_gate=False).double()
    with torch.no_grad():
        variant.input_weights.weight.zero_()
        variant.hidden_weights.weight.zero_()
        variant.input_weights.bias.copy_(torch.tensor([50.0, 0.0, 50.0, 50.0]))  # i=g=o=1
    _, (_, cell) = variant(torch.zeros(1, 7, 1, dtype=torch.float64))
    assert cell.item() == pytest.approx(7.0)


def test_sequence_regressor_accepts_a_module_and_a_forget_bias():
    layer = models.LSTMVariant(2, 8, coupled=True)
    model = models.SequenceRegressor(2, 8, cell=layer, forget_bias=2.0)
    assert model.recurrent is layer
    assert torch.allclose(layer.input_weights.bias[8:16].detach(), torch.full((8,), 2.0))
    assert model(torch.zeros(3, 5, 2)).shape == (3,)


def test_set_update_gate_bias_sets_exactly_the_z_block():
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 4)
    before = {name: p.detach().clone() for name, p in gru.named_parameters()}
    models.set_update_gate_bias(gru, 1.5)
    H = 4
    total = gru.bias_ih_l0 + gru.bias_hh_l0  # torch adds the two biases
    assert torch.allclose(total[H:2 * H], torch.full((H,), 1.5))
    for name in ("bias_ih_l0", "bias_hh_l0"):  # the r and n blocks are untouched
        after = getattr(gru, name).detach()
        assert torch.equal(after[:H], before[name][:H])
        assert torch.equal(after[2 * H:], before[name][2 * H:])
    for name in ("weight_ih_l0", "weight_hh_l0"):
        assert torch.equal(getattr(gru, name).detach(), before[name])


def test_set_update_gate_bias_keeps_the_state_in_numpy_terms():
    # A large update bias makes z close to 1, so h_t stays close to h_{t-1}.
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 4, batch_first=True)
    models.set_update_gate_bias(gru, 20.0)
    weights = reference.gru_weights_from_torch(gru)
    assert np.allclose(reference.sigmoid(weights["b_x"][4:8] + weights["b_h"][4:8]), 1.0)
    hiddens, _ = gru(torch.randn(3, 5, 2))
    assert hiddens.abs().max().item() < 1e-6  # starts at zero and stays there


def test_set_update_gate_bias_rejects_an_lstm():
    with pytest.raises(TypeError, match="GRU"):
        models.set_update_gate_bias(torch.nn.LSTM(2, 4), 1.0)


def test_sequence_regressor_accepts_an_update_bias():
    torch.manual_seed(0)
    model = models.SequenceRegressor(2, 8, cell="gru", update_bias=1.0)
    total = model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0
    assert torch.allclose(total[8:16], torch.ones(8))
    assert model(torch.zeros(3, 5, 2)).shape == (3,)
    with pytest.raises(TypeError):
        models.SequenceRegressor(2, 8, cell="lstm", update_bias=1.0)


def test_steps_to_reach():
    history = {"steps": [0, 50, 100, 150], "test_mse": [1.0, 0.17, 0.01, 0.001]}
    assert models.steps_to_reach(history, 0.1 * tasks.ADDING_TRIVIAL_MSE) == 100
    assert models.steps_to_reach(history, 1e-6) is None


# --- the gates of a character LSTM along a name (Chapter 2) ---------------------------------


@pytest.fixture(scope="module")
def char_lstm(vocab):
    torch.manual_seed(0)
    return models.CharModel(vocab_size=len(vocab), hidden_size=6, cell="lstm")


def nn_one_hot(ids, size):
    return torch.nn.functional.one_hot(ids, size).float()


def test_char_gate_trace_is_the_torch_model_read_by_the_numpy_cell(char_lstm, vocab):
    trace = models.language.char_gate_trace(char_lstm, vocab, "ada")
    assert trace["symbols"] == [tasks.END, "a", "d", "a"]
    for name in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"):
        assert trace[name].shape == (4, 6)  # (T, H): the start symbol, then three letters
    ids = torch.tensor([[vocab.index[tasks.END]] + vocab.encode("ada")])
    with torch.no_grad():
        hiddens, _ = char_lstm.recurrent(nn_one_hot(ids, len(vocab)))
    np.testing.assert_allclose(trace["hidden"], hiddens[0].numpy(), atol=1e-6)
    assert ((trace["forget_gate"] > 0) & (trace["forget_gate"] < 1)).all()


def test_char_gate_trace_starts_every_text_the_same_way(char_lstm, vocab):
    first = models.language.char_gate_trace(char_lstm, vocab, "bo")
    second = models.language.char_gate_trace(char_lstm, vocab, "eve")
    np.testing.assert_array_equal(first["input_gate"][0], second["input_gate"][0])


def test_char_gate_trace_needs_an_lstm(vocab):
    model = models.CharModel(vocab_size=len(vocab), hidden_size=4, cell="rnn")
    with pytest.raises(TypeError, match="cell='lstm'"):
        models.language.char_gate_trace(model, vocab, "ada")


def test_mean_gates_by_symbol_averages_each_symbols_steps():
    def trace(symbols, values):
        values = np.asarray(values, dtype=float)[:, None] * np.ones((1, 2))  # (T, H = 2)
        return {"symbols": symbols, "input_gate": values, "forget_gate": 1 - values}

    traces = [trace([".", "a", "b"], [0.5, 0.2, 0.9]), trace([".", "b", "a", "a"],
                                                             [0.5, 0.7, 0.4, 0.6])]
    symbols, means = models.language.mean_gates_by_symbol(traces,
                                                           gates=("input_gate", "forget_gate"))
    assert symbols == [".", "a", "b"]
    np.testing.assert_allclose(means["input_gate"][:, 0], [0.5, 0.4, 0.8])
    np.testing.assert_allclose(means["forget_gate"][:, 1], [0.5, 0.6, 0.2])
    assert means["input_gate"].shape == (3, 2)


# --- the training step, temperature ---------------------------------------------------


def test_char_rnn_training_step_is_one_step_of_fit(pairs, vocab):
    """train_char_model calls char_rnn_training_step: the same losses and weights as fit's
    own step (zero_grad, backward, clip, step) on the same batches."""
    inputs, targets = pairs
    results = []
    for use_step in [True, False]:
        torch.manual_seed(0)
        model = models.CharModel(len(vocab), 8)
        generator = np.random.default_rng(0)
        x, y = torch.as_tensor(inputs), torch.as_tensor(targets)

        def draw():
            rows = torch.as_tensor(generator.integers(0, len(x), size=16))
            return x[rows], y[rows]

        if use_step:
            losses = models.train_char_model(model, inputs, targets, steps=5, batch_size=16)
        else:
            def batch_loss(step):
                batch_x, batch_y = draw()
                return models.masked_cross_entropy(model(batch_x)[0], batch_y)
            losses = models.fit(model, batch_loss, 5)["losses"]
        results.append((losses, [p.detach().clone() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))


def test_char_rnn_training_step_returns_a_float_and_moves_the_weights(pairs, vocab):
    inputs, targets = (torch.as_tensor(a[:8]) for a in pairs)
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), 8)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = models.char_rnn_training_step(model, optimizer, inputs, targets, max_norm=1e-3)
    assert type(loss) is float
    assert loss == pytest.approx(models.masked_cross_entropy(model(inputs)[0], targets).item(),
                                 abs=0.01)
    # clipped to 1e-3: SGD moved the weights by lr * 1e-3 in norm, all of them together
    moved = torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert moved.item() == pytest.approx(0.1 * 1e-3, rel=1e-3)


def test_temperature_softmax_sharpens_and_flattens():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])
    at_one = models.temperature_softmax(logits, 1.0)
    torch.testing.assert_close(at_one, torch.softmax(logits, 0))
    cold, hot = models.temperature_softmax(logits, 0.1), models.temperature_softmax(logits, 100.0)
    assert cold[0] > 0.99 and torch.allclose(hot, torch.full((4,), 0.25), atol=0.01)
    entropies = [models.entropy(models.temperature_softmax(logits, t).numpy())
                 for t in [0.25, 0.5, 1, 2, 4]]
    assert entropies == sorted(entropies) and entropies[-1] < math.log(4)
    assert torch.equal(torch.argsort(cold), torch.argsort(hot))  # the order is kept
    with pytest.raises(ValueError, match="positive"):
        models.temperature_softmax(logits, 0.0)


def test_entropy_in_nats():
    assert models.entropy(np.full(27, 1 / 27)) == pytest.approx(math.log(27))
    assert models.entropy([1.0, 0.0, 0.0]) == 0.0
    assert models.entropy([0.5, 0.5]) == pytest.approx(math.log(2))


def test_next_character_distribution_is_the_models_last_softmax(vocab):
    torch.manual_seed(0)
    model = models.CharModel(len(vocab), 8)
    p = models.next_character_distribution(model, vocab, "ma", temperature=0.5)
    ids = torch.tensor([[vocab.index[tasks.END]] + vocab.encode("ma")])
    expected = torch.softmax(model(ids)[0][0, -1] / 0.5, 0).detach().double().numpy()
    assert p.shape == (len(vocab),) and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p, expected, rtol=1e-6)
