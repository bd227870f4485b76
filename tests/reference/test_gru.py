"""Tests for seqbook.reference.gru: the numpy GRU against torch."""

import numpy as np
import pytest
import torch

from seqbook import reference
from tests.reference.conftest import B, D, H, T, torch_layer


def test_gru_forward_matches_torch_gru(rng):
    gru = torch_layer(torch.nn.GRU)
    weights = reference.gru_weights_from_torch(gru)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    hiddens = reference.gru_forward(xs, hidden0, **weights)
    expected, last = gru(torch.tensor(xs), torch.tensor(hidden0)[None])
    np.testing.assert_allclose(hiddens, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], last[0].detach().numpy(), atol=1e-12)


def test_gru_cell_forward_matches_torch_gru_cell(rng):
    torch.manual_seed(3)
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    weights = reference.gru_weights_from_torch(cell)
    x, hidden_prev = rng.standard_normal((B, D)), rng.uniform(-1, 1, size=(B, H))
    expected = cell(torch.tensor(x), torch.tensor(hidden_prev)).detach().numpy()
    np.testing.assert_allclose(reference.gru_cell_forward(x, hidden_prev, **weights), expected,
                               atol=1e-12)


def test_original_reset_placement_differs_from_torch_but_agrees_without_reset(rng):
    weights = reference.random_gru_weights(D, H, rng)
    x, hidden_prev = rng.standard_normal((B, D)), rng.uniform(-1, 1, size=(B, H))
    torch_style = reference.gru_cell_forward(x, hidden_prev, **weights)
    original = reference.gru_cell_forward_original(x, hidden_prev, **weights)
    assert np.abs(torch_style - original).max() > 1e-2
    # with the reset gate forced open (r = 1) and b_hn = 0 the two placements coincide
    weights["b_x"][:H] = weights["b_h"][:H] = 50.0
    weights["b_h"][2 * H:] = 0.0
    np.testing.assert_allclose(reference.gru_cell_forward(x, hidden_prev, **weights),
                               reference.gru_cell_forward_original(x, hidden_prev, **weights),
                               atol=1e-12)


def test_original_reset_placement_matches_the_equation_written_in_torch(rng):
    weights = reference.random_gru_weights(D, H, rng)
    x, hidden_prev = rng.standard_normal((B, D)), rng.uniform(-1, 1, size=(B, H))
    W_x, W_h = torch.tensor(weights["W_x"]), torch.tensor(weights["W_h"])
    b_x, b_h = torch.tensor(weights["b_x"]), torch.tensor(weights["b_h"])
    x_t, h_t = torch.tensor(x), torch.tensor(hidden_prev)
    r = torch.sigmoid(x_t @ W_x[:H].T + b_x[:H] + h_t @ W_h[:H].T + b_h[:H])
    z = torch.sigmoid(x_t @ W_x[H:2 * H].T + b_x[H:2 * H] + h_t @ W_h[H:2 * H].T
                      + b_h[H:2 * H])
    n = torch.tanh(x_t @ W_x[2 * H:].T + b_x[2 * H:] + (r * h_t) @ W_h[2 * H:].T
                   + b_h[2 * H:])
    expected = ((1 - z) * n + z * h_t).numpy()
    np.testing.assert_allclose(reference.gru_cell_forward_original(x, hidden_prev, **weights),
                               expected, atol=1e-12)


def test_gru_update_gate_one_keeps_the_state(rng):
    weights = reference.random_gru_weights(D, H, rng, update_bias=60.0)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    hiddens = reference.gru_forward(xs, hidden0, **weights)
    np.testing.assert_allclose(hiddens[:, -1], hidden0, atol=1e-12)


def test_gru_forward_trace_agrees_with_gru_forward(rng):
    weights = reference.random_gru_weights(D, H, rng)
    xs = rng.standard_normal((B, T, D))
    hidden0 = np.zeros((B, H))
    trace = reference.gru_forward_trace(xs, hidden0, **weights)
    np.testing.assert_allclose(trace["hidden"], reference.gru_forward(xs, hidden0, **weights),
                               atol=1e-12)
    for name in ("reset_gate", "update_gate"):
        assert trace[name].shape == (B, T, H)
        assert np.all((trace[name] > 0) & (trace[name] < 1))


def test_gru_weights_from_torch_keeps_both_biases_and_handles_no_bias():
    gru = torch_layer(torch.nn.GRU)
    weights = reference.gru_weights_from_torch(gru)
    np.testing.assert_array_equal(weights["b_x"], gru.bias_ih_l0.detach().numpy())
    np.testing.assert_array_equal(weights["b_h"], gru.bias_hh_l0.detach().numpy())
    assert weights["W_x"].shape == (3 * H, D) and weights["W_h"].shape == (3 * H, H)
    no_bias = reference.gru_weights_from_torch(torch_layer(torch.nn.GRU, bias=False))
    assert not no_bias["b_x"].any() and not no_bias["b_h"].any()
    assert no_bias["b_h"].shape == (3 * H,)


@pytest.mark.parametrize("kwargs, mentioned", [({"num_layers": 2}, "num_layers=2"),
                                               ({"bidirectional": True}, "bidirectional")])
def test_gru_weights_from_torch_rejects_what_it_cannot_read(kwargs, mentioned):
    with pytest.raises(ValueError, match=mentioned):
        reference.gru_weights_from_torch(torch_layer(torch.nn.GRU, **kwargs))


def test_random_gru_weights_update_bias_goes_to_the_update_block(rng):
    weights = reference.random_gru_weights(D, H, rng, update_bias=2.0)
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(weights["b_h"][H:2 * H] - 2.0) <= bound)
    assert np.all(np.abs(np.delete(weights["b_h"], np.s_[H:2 * H])) <= bound)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (2, 32), (10, 7)])
def test_gru_and_rnn_parameter_counts_match_torch(input_size, hidden_size):
    def torch_count(module):
        return sum(p.numel() for p in module(input_size, hidden_size).parameters())

    assert reference.gru_parameter_count(input_size, hidden_size) == torch_count(torch.nn.GRU)
    assert (reference.rnn_parameter_count(input_size, hidden_size, torch_biases=True)
            == torch_count(torch.nn.RNN))
    assert (reference.rnn_parameter_count(input_size, hidden_size)
            == torch_count(torch.nn.RNN) - hidden_size)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (3, 5), (300, 512)])
def test_parameter_counts_match_torch(input_size, hidden_size):
    expected = {name: sum(p.numel() for p in module(input_size, hidden_size).parameters())
                for name, module in [("rnn", torch.nn.RNN), ("gru", torch.nn.GRU),
                                     ("lstm", torch.nn.LSTM)]}
    assert reference.parameter_counts(input_size, hidden_size) == expected
