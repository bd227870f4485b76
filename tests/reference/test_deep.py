"""Tests for seqbook.reference.deep: stacked and bidirectional RNNs against torch's
``nn.RNN(num_layers=L, bidirectional=...)``, and its GRU and LSTM layouts."""

import numpy as np
import pytest
import torch

from seqbook import reference
from seqbook.reference import deep
from tests.reference.conftest import torch_layer

# (layers, bidirectional, D, H, B, T): several sizes and lengths, T = 1 among them
CASES = [
    (1, True, 4, 5, 3, 7),
    (2, False, 4, 5, 3, 7),
    (2, True, 3, 4, 2, 6),
    (3, True, 6, 3, 4, 1),
    (3, False, 2, 6, 1, 9),
    (4, True, 5, 2, 3, 4),
]


def torch_case(case, seed=0, layer_class=torch.nn.RNN):
    """A seeded float64 torch layer for ``case``, inputs and non-zero initial states."""
    layers, bidirectional, D, H, B, T = case
    module = torch_layer(layer_class, D, H, seed=seed, num_layers=layers,
                         bidirectional=bidirectional)
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(layers * (2 if bidirectional else 1), B, H))
    return module, xs, hidden0


def torch_run(module, xs, hidden0):
    """torch's (output, h_n) as numpy arrays."""
    with torch.no_grad():
        output, h_n = module(torch.tensor(xs), torch.tensor(hidden0))
    return output.numpy(), h_n.numpy()


def close(mine, theirs):
    return mine.shape == theirs.shape and np.allclose(mine, theirs, rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------------------
# The proofs: equal to torch within 1e-10
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_deep_rnn_forward_matches_torch(case):
    layers, bidirectional, D, H, B, T = case
    module, xs, hidden0 = torch_case(case)
    output, h_n = torch_run(module, xs, hidden0)
    outputs, finals = reference.deep_rnn_forward(xs, hidden0,
                                                 reference.deep_weights_from_torch(module))
    directions = 2 if bidirectional else 1
    assert outputs.shape == (B, T, directions * H)
    assert finals.shape == (layers * directions, B, H)
    np.testing.assert_allclose(outputs, output, rtol=0, atol=1e-10)
    np.testing.assert_allclose(finals, h_n, rtol=0, atol=1e-10)


def test_bidirectional_rnn_forward_matches_torch_and_its_layout():
    module, xs, hidden0 = torch_case((1, True, 4, 5, 3, 7), seed=1)
    output, h_n = torch_run(module, xs, hidden0)
    [[forward, backward]] = reference.deep_weights_from_torch(module)
    outputs, finals = reference.bidirectional_rnn_forward(xs, hidden0, forward, backward)
    np.testing.assert_allclose(outputs, output, rtol=0, atol=1e-10)
    np.testing.assert_allclose(finals, h_n, rtol=0, atol=1e-10)
    # the layout the docstrings state: [forward ; backward], forward ends at T, backward at 1
    np.testing.assert_allclose(outputs[:, :, :5], reference.rnn_forward(xs, hidden0[0],
                                                                        **forward), atol=0)
    np.testing.assert_array_equal(finals[0], outputs[:, -1, :5])
    np.testing.assert_array_equal(finals[1], outputs[:, 0, 5:])


def test_stacked_rnn_forward_matches_torch():
    module, xs, hidden0 = torch_case((3, False, 4, 5, 2, 6), seed=2)
    output, h_n = torch_run(module, xs, hidden0)
    layers = [directions[0] for directions in reference.deep_weights_from_torch(module)]
    outputs, finals = reference.stacked_rnn_forward(xs, hidden0, layers)
    np.testing.assert_allclose(outputs, output, rtol=0, atol=1e-10)
    np.testing.assert_allclose(finals, h_n, rtol=0, atol=1e-10)


def test_one_layer_one_direction_is_the_plain_rnn():
    module, xs, hidden0 = torch_case((1, False, 4, 5, 3, 7), seed=3)
    [[weights]] = reference.deep_weights_from_torch(module)
    for name, value in reference.rnn_weights_from_torch(module).items():
        np.testing.assert_array_equal(weights[name], value)
    outputs, finals = reference.deep_rnn_forward(xs, hidden0, [[weights]])
    np.testing.assert_array_equal(outputs, reference.rnn_forward(xs, hidden0[0], **weights))
    np.testing.assert_array_equal(finals, outputs[None, :, -1])


def test_reverse_rnn_forward_reads_right_to_left():
    rng = np.random.default_rng(4)
    weights = reference.random_rnn_weights(3, 4, rng)
    xs, hidden0 = rng.standard_normal((2, 5, 3)), rng.uniform(-1, 1, size=(2, 4))
    hiddens = reference.reverse_rnn_forward(xs, hidden0, **weights)
    last = reference.rnn_cell_forward(xs[:, -1], hidden0, **weights)  # x_T is read first
    np.testing.assert_array_equal(hiddens[:, -1], last)
    np.testing.assert_array_equal(hiddens[:, -2],
                                  reference.rnn_cell_forward(xs[:, -2], last, **weights))


def test_deep_weights_from_torch_shapes_and_biases():
    module, _, _ = torch_case((2, True, 3, 4, 1, 1), seed=5)
    layers = reference.deep_weights_from_torch(module)
    shapes = [[{name: value.shape for name, value in weights.items()} for weights in layer]
              for layer in layers]
    assert shapes == [[{"W_xh": (4, 3), "W_hh": (4, 4), "b_h": (4,)}] * 2,
                      [{"W_xh": (4, 8), "W_hh": (4, 4), "b_h": (4,)}] * 2]
    np.testing.assert_array_equal(layers[1][1]["W_xh"], module.weight_ih_l1_reverse.detach())
    np.testing.assert_allclose(layers[0][1]["b_h"],
                               (module.bias_ih_l0_reverse + module.bias_hh_l0_reverse).detach(),
                               atol=1e-15)
    assert all(w.dtype == np.float64 for layer in layers for d in layer for w in d.values())


def test_deep_weights_from_torch_without_bias():
    module = torch_layer(torch.nn.RNN, 3, 4, num_layers=2, bidirectional=True, bias=False)
    for layer in reference.deep_weights_from_torch(module):
        for weights in layer:
            np.testing.assert_array_equal(weights["b_h"], np.zeros(4))
    rng = np.random.default_rng(6)
    xs, hidden0 = rng.standard_normal((2, 5, 3)), np.zeros((4, 2, 4))
    output, h_n = torch_run(module, xs, hidden0)
    outputs, finals = reference.deep_rnn_forward(xs, hidden0,
                                                 reference.deep_weights_from_torch(module))
    np.testing.assert_allclose(outputs, output, rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------------------
# The proofs can fail: each wrong layout is seen to differ from torch
# ---------------------------------------------------------------------------------------


def reverse_not_flipped_back(xs, hidden0, W_xh, W_hh, b_h):
    return reference.rnn_forward(xs[:, ::-1], hidden0, W_xh, W_hh, b_h)


def reverse_not_flipped_at_all(xs, hidden0, W_xh, W_hh, b_h):
    return reference.rnn_forward(xs, hidden0, W_xh, W_hh, b_h)


@pytest.mark.parametrize("wrong", [reverse_not_flipped_back, reverse_not_flipped_at_all])
def test_a_wrong_backward_direction_is_seen(monkeypatch, wrong):
    module, xs, hidden0 = torch_case((2, True, 3, 4, 2, 6), seed=7)
    output, h_n = torch_run(module, xs, hidden0)
    weights = reference.deep_weights_from_torch(module)
    assert close(reference.deep_rnn_forward(xs, hidden0, weights)[0], output)
    monkeypatch.setattr(deep, "reverse_rnn_forward", wrong)
    outputs, finals = reference.deep_rnn_forward(xs, hidden0, weights)
    assert not close(outputs, output) and not close(finals, h_n)


def test_swapped_layers_are_seen():
    module, xs, hidden0 = torch_case((2, True, 8, 4, 2, 6), seed=8)  # D = 2H: both fit
    output, h_n = torch_run(module, xs, hidden0)
    weights = reference.deep_weights_from_torch(module)
    outputs, _ = reference.deep_rnn_forward(xs, hidden0, weights[::-1])
    assert not close(outputs, output)


def test_swapped_directions_are_seen():
    module, xs, hidden0 = torch_case((2, True, 3, 4, 2, 6), seed=9)
    output, _ = torch_run(module, xs, hidden0)
    weights = [layer[::-1] for layer in reference.deep_weights_from_torch(module)]
    assert not close(reference.deep_rnn_forward(xs, hidden0, weights)[0], output)


def test_direction_major_final_states_are_seen():
    module, xs, hidden0 = torch_case((2, True, 3, 4, 2, 6), seed=10)
    _, h_n = torch_run(module, xs, hidden0)
    _, finals = reference.deep_rnn_forward(xs, hidden0,
                                           reference.deep_weights_from_torch(module))
    assert close(finals, h_n)
    direction_major = finals.reshape(2, 2, 2, 4).transpose(1, 0, 2, 3).reshape(4, 2, 4)
    assert not close(direction_major, h_n)  # [l0 fwd, l1 fwd, l0 bwd, l1 bwd] is not torch's


def test_initial_states_in_the_wrong_order_are_seen():
    module, xs, hidden0 = torch_case((2, True, 3, 4, 2, 6), seed=11)
    output, _ = torch_run(module, xs, hidden0)
    weights = reference.deep_weights_from_torch(module)
    assert not close(reference.deep_rnn_forward(xs, hidden0[::-1], weights)[0], output)


# ---------------------------------------------------------------------------------------
# The GRU's and the LSTM's layouts: the same reader, each layer and direction by hand
# ---------------------------------------------------------------------------------------


def deep_by_hand(xs, layers, run):
    """Torch's layer and direction layout written out for any cell, from zero states:
    ``run(xs, weights)`` is one direction's states (B, T, H)."""
    inputs = xs
    for layer in layers:
        forward = run(inputs, layer[0])
        if len(layer) == 1:
            inputs = forward
            continue
        backward = run(inputs[:, ::-1], layer[1])[:, ::-1]
        inputs = np.concatenate([forward, backward], axis=2)
    return inputs


def run_gru(xs, weights):
    B, H = xs.shape[0], weights["W_h"].shape[1]
    return reference.gru_forward(xs, np.zeros((B, H)), **weights)


def run_lstm(xs, weights):
    B, H = xs.shape[0], weights["W_h"].shape[1]
    return reference.lstm_forward(xs, np.zeros((B, H)), np.zeros((B, H)), **weights)[0]


@pytest.mark.parametrize("layer_class, run", [(torch.nn.GRU, run_gru),
                                              (torch.nn.LSTM, run_lstm)], ids=["GRU", "LSTM"])
@pytest.mark.parametrize("case", [(2, True, 3, 4, 2, 5), (3, False, 4, 3, 3, 4)], ids=str)
def test_gru_and_lstm_layouts_match_torch(layer_class, run, case):
    module, xs, _ = torch_case(case, seed=12, layer_class=layer_class)
    with torch.no_grad():
        output = module(torch.tensor(xs))[0].numpy()
    layers = reference.deep_weights_from_torch(module)
    np.testing.assert_allclose(deep_by_hand(xs, layers, run), output, rtol=0, atol=1e-10)
    if case[1]:  # and a swapped direction is seen
        assert not close(deep_by_hand(xs, [layer[::-1] for layer in layers], run), output)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


def test_deep_rnn_forward_rejects_mixed_directions_and_wrong_state_counts():
    rng = np.random.default_rng(13)
    one = reference.random_rnn_weights(3, 4, rng)
    xs = rng.standard_normal((2, 5, 3))
    with pytest.raises(ValueError, match="same 1 or 2 directions"):
        reference.deep_rnn_forward(xs, np.zeros((3, 2, 4)), [[one, one], [one]])
    with pytest.raises(ValueError, match="L \\* directions = 2"):
        reference.deep_rnn_forward(xs, np.zeros((1, 2, 4)), [[one, one]])
    with pytest.raises(ValueError, match="same 1 or 2 directions"):
        reference.deep_rnn_forward(xs, np.zeros((0, 2, 4)), [])
    with pytest.raises(ValueError, match="one state per layer, 2; it holds 1"):
        reference.stacked_rnn_forward(xs, np.zeros((1, 2, 4)), [one, one])


def test_deep_rnn_forward_names_a_layer_that_reads_the_wrong_size():
    rng = np.random.default_rng(14)
    first = reference.random_rnn_weights(3, 4, rng)
    second = reference.random_rnn_weights(4, 4, rng)  # reads H, but the layer below gives 2H
    xs = rng.standard_normal((2, 5, 3))
    with pytest.raises(ValueError, match="layer 1, direction 0: W_xh reads inputs of size 4, "
                                         "but this layer is given inputs of size 8"):
        reference.deep_rnn_forward(xs, np.zeros((4, 2, 4)), [[first, first], [second, second]])


def test_deep_weights_from_torch_rejects_a_relu_rnn():
    with pytest.raises(ValueError, match="RNN_RELU"):
        reference.deep_weights_from_torch(torch_layer(torch.nn.RNN, nonlinearity="relu"))


def test_deep_weights_from_torch_rejects_lstm_projections():
    with pytest.raises(ValueError, match="proj_size=2"):
        reference.deep_weights_from_torch(torch_layer(torch.nn.LSTM, 3, 4, proj_size=2))


@pytest.mark.parametrize("name, expected", [
    ("weight_ih_l0", dict(layer=1, direction="forward", book="W_xh", reads="the input x_t")),
    ("weight_hh_l0_reverse", dict(layer=1, direction="backward", book="W_hh",
                                  reads="its own h_{t+1}")),
    ("weight_ih_l1_reverse", dict(layer=2, direction="backward", book="W_xh",
                                  reads="layer 1's output at t")),
    ("weight_hh_l1", dict(layer=2, direction="forward", book="W_hh", reads="its own h_{t-1}")),
    ("bias_ih_l1", dict(layer=2, direction="forward", book="b_h")),
])
def test_torch_parameter_meaning(name, expected):
    meaning = reference.torch_parameter_meaning(name)
    assert {key: meaning[key] for key in expected} == expected


def test_torch_parameter_meaning_covers_every_parameter_of_a_deep_rnn():
    rnn = torch.nn.RNN(3, 4, num_layers=3, bidirectional=True)
    meanings = [reference.torch_parameter_meaning(name) for name, _ in rnn.named_parameters()]
    assert len(meanings) == 3 * 2 * 4
    assert {(m["layer"], m["direction"]) for m in meanings} == {
        (layer, direction) for layer in (1, 2, 3) for direction in ("forward", "backward")}
    with pytest.raises(ValueError, match="not a torch recurrent parameter name"):
        reference.torch_parameter_meaning("weight_ih")
