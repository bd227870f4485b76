"""Tests for seqbook.reference.lstm: the numpy LSTM against torch."""

import numpy as np
import pytest
import torch

from seqbook import reference
from tests.reference.conftest import B, D, H, T, torch_layer


def test_sigmoid_values_and_extremes():
    assert reference.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(reference.sigmoid(np.array([-2.0, 3.0])),
                               1 / (1 + np.exp(-np.array([-2.0, 3.0]))), rtol=1e-15)
    with np.errstate(over="raise"):  # stable: no overflow warning for large inputs
        assert reference.sigmoid(-1000.0) == 0.0 and reference.sigmoid(1000.0) == 1.0


def test_lstm_forward_matches_torch_lstm(rng):
    lstm = torch_layer(torch.nn.LSTM)
    weights = reference.lstm_weights_from_torch(lstm)
    xs = rng.standard_normal((B, T, D))
    hidden0, cell0 = rng.uniform(-1, 1, size=(2, B, H))
    hiddens, cells_ = reference.lstm_forward(xs, hidden0, cell0, **weights)
    expected, (last_hidden, last_cell) = lstm(
        torch.tensor(xs), (torch.tensor(hidden0)[None], torch.tensor(cell0)[None]))
    np.testing.assert_allclose(hiddens, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cells_[:, -1], last_cell[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], last_hidden[0].detach().numpy(), atol=1e-12)


def test_lstm_cell_forward_matches_torch_lstm_cell(rng):
    torch.manual_seed(3)
    lstm_cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    weights = reference.lstm_weights_from_torch(lstm_cell)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    hidden, cell = reference.lstm_cell_forward(x, hidden_prev, cell_prev, **weights)
    expected_hidden, expected_cell = lstm_cell(
        torch.tensor(x), (torch.tensor(hidden_prev), torch.tensor(cell_prev)))
    np.testing.assert_allclose(hidden, expected_hidden.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cell, expected_cell.detach().numpy(), atol=1e-12)


def test_lstm_gates_are_in_torch_order_and_ranges(rng):
    H_ = 2
    weights = {"W_x": np.zeros((4 * H_, 1)), "W_h": np.zeros((4 * H_, H_)),
               "b": np.repeat([1.0, 2.0, 3.0, 4.0], H_)}
    gates = reference.lstm_gates(np.zeros((1, 1)), np.zeros((1, H_)), **weights)
    sigmoid = reference.sigmoid
    expected = [sigmoid(1.0), sigmoid(2.0), np.tanh(3.0), sigmoid(4.0)]
    for gate, value in zip(gates, expected):
        np.testing.assert_allclose(gate, np.full((1, H_), value))


def test_lstm_holds_its_memory_with_forget_one_and_input_zero(rng):
    # a forget bias of +50 gives f = 1, an input bias of -50 gives i = 0
    weights = reference.random_lstm_weights(D, H, rng)
    weights["b"][:H] = -50.0
    weights["b"][H:2 * H] = 50.0
    cell0 = rng.uniform(-2, 2, size=(B, H))
    _, cells_ = reference.lstm_forward(rng.standard_normal((B, 30, D)), np.zeros((B, H)), cell0,
                                   **weights)
    np.testing.assert_allclose(cells_[:, -1], cell0, atol=1e-12)


def test_lstm_forward_trace_agrees_with_lstm_forward(rng):
    weights = reference.random_lstm_weights(D, H, rng, forget_bias=1.0)
    xs = rng.standard_normal((B, T, D))
    zeros = np.zeros((B, H))
    trace = reference.lstm_forward_trace(xs, zeros, zeros, **weights)
    hiddens, cells_ = reference.lstm_forward(xs, zeros, zeros, **weights)
    np.testing.assert_allclose(trace["hidden"], hiddens)
    np.testing.assert_allclose(trace["cell"], cells_)
    for name in reference.LSTM_GATE_ORDER:
        assert trace[name].shape == (B, T, H)
    assert trace["forget_gate"].min() > 0 and trace["forget_gate"].max() < 1


def autograd_cell_gradients(d_hidden, d_cell, x, hidden_prev, cell_prev, lstm_cell):
    """Gradients of sum(d_hidden * h_t) + sum(d_cell * c_t) through a torch.nn.LSTMCell."""
    inputs = {name: torch.tensor(value, requires_grad=True) for name, value in
              dict(x=x, hidden_prev=hidden_prev, cell_prev=cell_prev).items()}
    lstm_cell.zero_grad()
    hidden, cell = lstm_cell(inputs["x"], (inputs["hidden_prev"], inputs["cell_prev"]))
    ((hidden * torch.tensor(d_hidden)).sum() + (cell * torch.tensor(d_cell)).sum()).backward()
    grads = {name: tensor.grad.numpy() for name, tensor in inputs.items()}
    grads.update(W_x=lstm_cell.weight_ih.grad.numpy(), W_h=lstm_cell.weight_hh.grad.numpy(),
                 b=lstm_cell.bias_ih.grad.numpy())
    np.testing.assert_array_equal(lstm_cell.bias_ih.grad, lstm_cell.bias_hh.grad)
    return grads


@pytest.mark.parametrize("batch, input_size, hidden_size", [(3, 4, 5), (1, 1, 1), (6, 2, 7)])
@pytest.mark.parametrize("routes", ["both", "hidden only", "cell only"])
def test_lstm_cell_backward_matches_autograd_of_torch_lstm_cell(rng, batch, input_size,
                                                                 hidden_size, routes):
    torch.manual_seed(5)
    lstm_cell = torch.nn.LSTMCell(input_size, hidden_size, dtype=torch.float64)
    weights = reference.lstm_weights_from_torch(lstm_cell)
    x = rng.standard_normal((batch, input_size))
    hidden_prev, cell_prev, d_hidden, d_cell = rng.uniform(-2, 2, size=(4, batch, hidden_size))
    if routes == "hidden only":
        d_cell = np.zeros_like(d_cell)  # the last step: nothing arrives along the belt
    if routes == "cell only":
        d_hidden = np.zeros_like(d_hidden)
    grads = reference.lstm_cell_backward(d_hidden, d_cell, x, hidden_prev, cell_prev,
                                         **weights)
    expected = autograd_cell_gradients(d_hidden, d_cell, x, hidden_prev, cell_prev, lstm_cell)
    assert set(grads) == set(expected)
    for name, gradient in grads.items():
        assert gradient.shape == expected[name].shape, name
        np.testing.assert_allclose(gradient, expected[name], atol=1e-12, err_msg=name)


def test_lstm_cell_backward_matches_central_differences(rng):
    weights = reference.random_lstm_weights(D, H, rng, forget_bias=1.0)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev, d_hidden, d_cell = rng.uniform(-1, 1, size=(4, B, H))
    arrays = dict(x=x, hidden_prev=hidden_prev, cell_prev=cell_prev, **weights)
    grads = reference.lstm_cell_backward(d_hidden, d_cell, **arrays)

    def loss():
        hidden, cell = reference.lstm_cell_forward(**arrays)
        return float((hidden * d_hidden).sum() + (cell * d_cell).sum())

    for name, array in arrays.items():
        numerical = reference.numerical_gradient(loss, array)
        assert reference.relative_error(grads[name], numerical) < 1e-7, name


def test_lstm_cell_backward_along_the_belt_is_the_forget_gate(rng):
    """Equation (2.7): with no gradient at h_t, c_{t-1} receives d_cell * f_t."""
    weights = reference.random_lstm_weights(D, H, rng)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev, d_cell = rng.uniform(-1, 1, size=(3, B, H))
    grads = reference.lstm_cell_backward(np.zeros((B, H)), d_cell, x, hidden_prev, cell_prev,
                                         **weights)
    forget_gate = reference.lstm_gates(x, hidden_prev, **weights)[1]
    np.testing.assert_allclose(grads["cell_prev"], d_cell * forget_gate, rtol=1e-15)


def test_peephole_cell_with_zero_peepholes_is_the_plain_cell(rng):
    weights = reference.random_lstm_weights(D, H, rng)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    zero = np.zeros(H)
    plain = reference.lstm_cell_forward(x, hidden_prev, cell_prev, **weights)
    peephole = reference.peephole_lstm_cell_forward(x, hidden_prev, cell_prev, **weights,
                                                peep_i=zero, peep_f=zero, peep_o=zero)
    np.testing.assert_allclose(peephole, plain)


def test_peephole_cell_matches_the_equations_written_in_torch(rng):
    """Equations (2.13) to (2.15) written again in torch, term by term: an independent check."""
    weights = reference.random_lstm_weights(D, H, rng)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    peep_i, peep_f, peep_o = rng.uniform(-1, 1, size=(3, H))
    hidden, cell = reference.peephole_lstm_cell_forward(x, hidden_prev, cell_prev, **weights,
                                                    peep_i=peep_i, peep_f=peep_f,
                                                    peep_o=peep_o)
    t = {name: torch.tensor(value) for name, value in dict(
        x=x, h=hidden_prev, c=cell_prev, p_i=peep_i, p_f=peep_f, p_o=peep_o, **weights).items()}
    pre = t["x"] @ t["W_x"].T + t["h"] @ t["W_h"].T + t["b"]
    i_pre, f_pre, g_pre, o_pre = pre.chunk(4, dim=1)
    new_cell = (torch.sigmoid(f_pre + t["p_f"] * t["c"]) * t["c"]
                + torch.sigmoid(i_pre + t["p_i"] * t["c"]) * torch.tanh(g_pre))
    new_hidden = torch.sigmoid(o_pre + t["p_o"] * new_cell) * torch.tanh(new_cell)
    np.testing.assert_allclose(cell, new_cell.numpy(), atol=1e-12)
    np.testing.assert_allclose(hidden, new_hidden.numpy(), atol=1e-12)


@pytest.mark.parametrize("cell0, f, i, g, steps, expected", [
    (2.0, 1.0, 0.0, 0.7, 50, 2.0),  # the memory is held exactly
    (2.0, 0.5, 0.0, 0.7, 3, 0.25),  # it halves at every step
    (0.0, 1.0, 1.0, 0.5, 4, 2.0),  # it grows by i * g at every step
    (1.0, 0.5, 1.0, 1.0, 2, 1.75),  # 0.5 * (0.5 * 1 + 1) + 1
    (3.0, 0.3, 0.2, 0.1, 0, 3.0),  # zero steps: unchanged
])
def test_cell_after_steps_by_hand(cell0, f, i, g, steps, expected):
    assert reference.cell_after_steps(cell0, f, i, g, steps) == pytest.approx(expected)


def test_cell_after_steps_settles_at_the_fixed_point():
    assert reference.cell_after_steps(5.0, 0.9, 0.5, 0.4, 500) == pytest.approx(0.5 * 0.4 / 0.1)


def test_lstm_weights_from_torch_sums_biases_and_keeps_order():
    lstm = torch_layer(torch.nn.LSTM)
    weights = reference.lstm_weights_from_torch(lstm)
    assert weights["W_x"].shape == (4 * H, D) and weights["W_h"].shape == (4 * H, H)
    np.testing.assert_allclose(weights["b"],
                               (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy())
    np.testing.assert_array_equal(weights["W_x"], lstm.weight_ih_l0.detach().numpy())


def test_lstm_weights_from_torch_without_bias():
    weights = reference.lstm_weights_from_torch(torch_layer(torch.nn.LSTM, bias=False))
    np.testing.assert_array_equal(weights["b"], np.zeros(4 * H))


@pytest.mark.parametrize("kwargs, mentioned", [
    ({"num_layers": 2}, "num_layers=2"),
    ({"bidirectional": True}, "bidirectional=True"),
    ({"proj_size": 2}, "proj_size=2"),
])
def test_lstm_weights_from_torch_rejects_what_it_cannot_read(kwargs, mentioned):
    with pytest.raises(ValueError, match=mentioned):
        reference.lstm_weights_from_torch(torch_layer(torch.nn.LSTM, **kwargs))


def test_random_lstm_weights_shapes_and_forget_bias(rng):
    weights = reference.random_lstm_weights(D, H, rng, forget_bias=3.0)
    assert weights["W_x"].shape == (4 * H, D) and weights["W_h"].shape == (4 * H, H)
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(weights["b"][H:2 * H] - 3.0) <= bound)
    assert np.all(np.abs(np.delete(weights["b"], np.s_[H:2 * H])) <= bound)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (2, 32), (10, 7)])
def test_lstm_parameter_count_matches_torch(input_size, hidden_size):
    lstm = torch.nn.LSTM(input_size, hidden_size)
    torch_count = sum(p.numel() for p in lstm.parameters())
    assert reference.lstm_parameter_count(input_size, hidden_size, torch_biases=True) == torch_count
    assert (reference.lstm_parameter_count(input_size, hidden_size)
            == torch_count - 4 * hidden_size)
