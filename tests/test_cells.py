"""Tests for seqbook.cells: the numpy reference RNN against torch."""

import numpy as np
import pytest
import torch

from seqbook import cells

B, T, D, H = 3, 7, 4, 5


def make_torch_rnn(input_size=D, hidden_size=H, seed=0, **kwargs):
    torch.manual_seed(seed)
    return torch.nn.RNN(input_size, hidden_size, batch_first=True, dtype=torch.float64,
                        **kwargs)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_rnn_cell_forward_matches_torch_one_step(rng):
    rnn = make_torch_rnn()
    weights = cells.rnn_weights_from_torch(rnn)
    x = rng.standard_normal((B, D))
    hidden_prev = rng.uniform(-1, 1, size=(B, H))
    with torch.no_grad():
        out, h_n = rnn(torch.tensor(x[:, None, :]), torch.tensor(hidden_prev[None]))
    mine = cells.rnn_cell_forward(x, hidden_prev, **weights)
    assert mine.shape == (B, H)
    np.testing.assert_allclose(mine, out[:, 0].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine, h_n[0].numpy(), rtol=0, atol=1e-12)


def test_rnn_cell_forward_uses_every_term(rng):
    # A hand-written case, so that the test does not only agree with torch by construction.
    x = np.array([[1.0, 2.0]])
    hidden_prev = np.array([[0.5, -0.5, 0.25]])
    W_xh = np.arange(6.0).reshape(3, 2) / 10  # (H, D)
    W_hh = np.eye(3) * 0.3
    b_h = np.array([0.1, -0.2, 0.0])
    expected = np.tanh(
        [
            0.0 * 1 + 0.1 * 2 + 0.3 * 0.5 + 0.1,
            0.2 * 1 + 0.3 * 2 + 0.3 * -0.5 - 0.2,
            0.4 * 1 + 0.5 * 2 + 0.3 * 0.25 + 0.0,
        ]
    )
    np.testing.assert_allclose(cells.rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h)[0],
                               expected, atol=1e-15)


def test_rnn_forward_matches_torch_rnn(rng):
    rnn = make_torch_rnn(seed=1)
    weights = cells.rnn_weights_from_torch(rnn)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))  # non-zero initial state
    with torch.no_grad():
        out, h_n = rnn(torch.tensor(xs), torch.tensor(hidden0[None]))
    hiddens = cells.rnn_forward(xs, hidden0, **weights)
    assert hiddens.shape == (B, T, H)
    np.testing.assert_allclose(hiddens, out.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], h_n[0].numpy(), rtol=0, atol=1e-12)


def test_rnn_forward_depends_on_initial_state(rng):
    weights = cells.random_rnn_weights(D, H, rng)
    xs = rng.standard_normal((B, T, D))
    zero = cells.rnn_forward(xs, np.zeros((B, H)), **weights)
    other = cells.rnn_forward(xs, np.full((B, H), 0.9), **weights)
    assert not np.allclose(zero[:, 0], other[:, 0])


def test_rnn_weights_from_torch_copies_weights_and_sums_biases():
    rnn = make_torch_rnn(seed=2)
    weights = cells.rnn_weights_from_torch(rnn)
    assert set(weights) == {"W_xh", "W_hh", "b_h"}
    assert weights["W_xh"].shape == (H, D)
    assert weights["W_hh"].shape == (H, H)
    assert weights["b_h"].shape == (H,)
    for array in weights.values():
        assert isinstance(array, np.ndarray)
        assert array.dtype == np.float64
    np.testing.assert_array_equal(weights["W_xh"], rnn.weight_ih_l0.detach().numpy())
    np.testing.assert_array_equal(weights["W_hh"], rnn.weight_hh_l0.detach().numpy())
    np.testing.assert_allclose(
        weights["b_h"], (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy(), atol=1e-15
    )
    # both torch biases are non-zero, so the sum is not either one of them alone
    assert not np.allclose(weights["b_h"], rnn.bias_ih_l0.detach().numpy())


def test_rnn_weights_from_torch_float32_becomes_float64():
    torch.manual_seed(3)
    rnn = torch.nn.RNN(D, H, batch_first=True)  # float32 by default
    weights = cells.rnn_weights_from_torch(rnn)
    assert all(array.dtype == np.float64 for array in weights.values())
    np.testing.assert_allclose(weights["W_hh"], rnn.weight_hh_l0.detach().double().numpy())


def test_rnn_weights_from_torch_without_bias(rng):
    rnn = make_torch_rnn(seed=4, bias=False)
    weights = cells.rnn_weights_from_torch(rnn)
    np.testing.assert_array_equal(weights["b_h"], np.zeros(H))
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    with torch.no_grad():
        out, _ = rnn(torch.tensor(xs), torch.tensor(hidden0[None]))
    np.testing.assert_allclose(cells.rnn_forward(xs, hidden0, **weights), out.numpy(),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, mentioned",
    [({"num_layers": 2}, "num_layers=2"), ({"bidirectional": True}, "bidirectional=True"),
     ({"nonlinearity": "relu"}, "nonlinearity='relu'")],
)
def test_rnn_weights_from_torch_rejects_deep_or_bidirectional(kwargs, mentioned):
    rnn = make_torch_rnn(**kwargs)
    with pytest.raises(ValueError, match="one-layer") as caught:
        cells.rnn_weights_from_torch(rnn)
    assert mentioned in str(caught.value)


def _autograd_cell_gradients(d_hidden, x, hidden_prev, W_xh, W_hh, b_h):
    leaves = {
        name: torch.tensor(value, requires_grad=True)
        for name, value in
        {"x": x, "hidden_prev": hidden_prev, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}.items()
    }
    hidden = torch.tanh(leaves["x"] @ leaves["W_xh"].T
                        + leaves["hidden_prev"] @ leaves["W_hh"].T + leaves["b_h"])
    (hidden * torch.tensor(d_hidden)).sum().backward()
    return {name: leaf.grad.numpy() for name, leaf in leaves.items()}


@pytest.mark.parametrize("key", ["x", "hidden_prev", "W_xh", "W_hh", "b_h"])
def test_rnn_cell_backward_matches_autograd(key):
    rng = np.random.default_rng(99)
    weights = cells.random_rnn_weights(D, H, rng)
    weights["b_h"] = rng.uniform(-0.5, 0.5, size=H)
    x = rng.standard_normal((B, D))
    hidden_prev = rng.uniform(-1, 1, size=(B, H))
    hidden = cells.rnn_cell_forward(x, hidden_prev, **weights)
    d_hidden = rng.standard_normal((B, H))
    mine = cells.rnn_cell_backward(d_hidden, x, hidden_prev, hidden, weights["W_xh"],
                                   weights["W_hh"])
    assert set(mine) == {"x", "hidden_prev", "W_xh", "W_hh", "b_h"}
    expected = _autograd_cell_gradients(d_hidden, x, hidden_prev, **weights)
    assert mine[key].shape == expected[key].shape
    np.testing.assert_allclose(mine[key], expected[key], rtol=1e-10, atol=1e-12)
    assert np.abs(expected[key]).max() > 1e-3  # a real, non-trivial gradient


def test_random_rnn_weights_shapes_and_range(rng):
    weights = cells.random_rnn_weights(3, 8, rng)
    assert weights["W_xh"].shape == (8, 3)
    assert weights["W_hh"].shape == (8, 8)
    assert weights["b_h"].shape == (8,)
    bound = 1 / np.sqrt(8)
    for array in weights.values():
        assert np.all(np.abs(array) <= bound)


def test_random_rnn_weights_reproducible_with_seed():
    first = cells.random_rnn_weights(3, 6, np.random.default_rng(5), scale=0.7)
    second = cells.random_rnn_weights(3, 6, np.random.default_rng(5), scale=0.7)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_random_rnn_weights_scale_sets_every_singular_value(rng, scale):
    weights = cells.random_rnn_weights(3, 16, rng, scale=scale)
    assert weights["W_hh"].shape == (16, 16)
    singular_values = np.linalg.svd(weights["W_hh"], compute_uv=False)
    np.testing.assert_allclose(singular_values, scale, rtol=1e-12)


def test_random_rnn_weights_without_scale_are_not_orthogonal(rng):
    singular_values = np.linalg.svd(cells.random_rnn_weights(3, 16, rng)["W_hh"],
                                    compute_uv=False)
    assert singular_values.max() / singular_values.min() > 2


@pytest.mark.parametrize("size", [1, 2, 10, 33])
def test_random_orthogonal_is_orthogonal(rng, size):
    q = cells.random_orthogonal(size, rng)
    assert q.shape == (size, size)
    np.testing.assert_allclose(q.T @ q, np.eye(size), atol=1e-12)
    np.testing.assert_allclose(q @ q.T, np.eye(size), atol=1e-12)


def test_random_orthogonal_differs_between_draws(rng):
    assert not np.allclose(cells.random_orthogonal(5, rng), cells.random_orthogonal(5, rng))


# --- Chapter 2: the LSTM ----------------------------------------------------------------


def make_torch_lstm(input_size=D, hidden_size=H, seed=0, **kwargs):
    torch.manual_seed(seed)
    return torch.nn.LSTM(input_size, hidden_size, batch_first=True, dtype=torch.float64,
                         **kwargs)


def test_sigmoid_values_and_extremes():
    assert cells.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(cells.sigmoid(np.array([-2.0, 3.0])),
                               1 / (1 + np.exp(-np.array([-2.0, 3.0]))), rtol=1e-15)
    with np.errstate(over="raise"):  # stable: no overflow warning for large inputs
        assert cells.sigmoid(-1000.0) == 0.0 and cells.sigmoid(1000.0) == 1.0


def test_lstm_forward_matches_torch_lstm(rng):
    lstm = make_torch_lstm()
    weights = cells.lstm_weights_from_torch(lstm)
    xs = rng.standard_normal((B, T, D))
    hidden0, cell0 = rng.uniform(-1, 1, size=(2, B, H))
    hiddens, cells_ = cells.lstm_forward(xs, hidden0, cell0, **weights)
    expected, (last_hidden, last_cell) = lstm(
        torch.tensor(xs), (torch.tensor(hidden0)[None], torch.tensor(cell0)[None]))
    np.testing.assert_allclose(hiddens, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cells_[:, -1], last_cell[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], last_hidden[0].detach().numpy(), atol=1e-12)


def test_lstm_cell_forward_matches_torch_lstm_cell(rng):
    torch.manual_seed(3)
    lstm_cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    weights = cells.lstm_weights_from_torch(lstm_cell)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    hidden, cell = cells.lstm_cell_forward(x, hidden_prev, cell_prev, **weights)
    expected_hidden, expected_cell = lstm_cell(
        torch.tensor(x), (torch.tensor(hidden_prev), torch.tensor(cell_prev)))
    np.testing.assert_allclose(hidden, expected_hidden.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(cell, expected_cell.detach().numpy(), atol=1e-12)


def test_lstm_gates_are_in_torch_order_and_ranges(rng):
    H_ = 2
    weights = {"W_x": np.zeros((4 * H_, 1)), "W_h": np.zeros((4 * H_, H_)),
               "b": np.repeat([1.0, 2.0, 3.0, 4.0], H_)}
    gates = cells.lstm_gates(np.zeros((1, 1)), np.zeros((1, H_)), **weights)
    expected = [cells.sigmoid(1.0), cells.sigmoid(2.0), np.tanh(3.0), cells.sigmoid(4.0)]
    for gate, value in zip(gates, expected):
        np.testing.assert_allclose(gate, np.full((1, H_), value))


def test_lstm_holds_its_memory_with_forget_one_and_input_zero(rng):
    # a forget bias of +50 gives f = 1, an input bias of -50 gives i = 0
    weights = cells.random_lstm_weights(D, H, rng)
    weights["b"][:H] = -50.0
    weights["b"][H:2 * H] = 50.0
    cell0 = rng.uniform(-2, 2, size=(B, H))
    _, cells_ = cells.lstm_forward(rng.standard_normal((B, 30, D)), np.zeros((B, H)), cell0,
                                   **weights)
    np.testing.assert_allclose(cells_[:, -1], cell0, atol=1e-12)


def test_lstm_forward_trace_agrees_with_lstm_forward(rng):
    weights = cells.random_lstm_weights(D, H, rng, forget_bias=1.0)
    xs = rng.standard_normal((B, T, D))
    zeros = np.zeros((B, H))
    trace = cells.lstm_forward_trace(xs, zeros, zeros, **weights)
    hiddens, cells_ = cells.lstm_forward(xs, zeros, zeros, **weights)
    np.testing.assert_allclose(trace["hidden"], hiddens)
    np.testing.assert_allclose(trace["cell"], cells_)
    for name in cells.LSTM_GATE_ORDER:
        assert trace[name].shape == (B, T, H)
    assert trace["forget_gate"].min() > 0 and trace["forget_gate"].max() < 1


def test_peephole_cell_with_zero_peepholes_is_the_plain_cell(rng):
    weights = cells.random_lstm_weights(D, H, rng)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    zero = np.zeros(H)
    plain = cells.lstm_cell_forward(x, hidden_prev, cell_prev, **weights)
    peephole = cells.peephole_lstm_cell_forward(x, hidden_prev, cell_prev, **weights,
                                                peep_i=zero, peep_f=zero, peep_o=zero)
    np.testing.assert_allclose(peephole, plain)


def test_peephole_cell_matches_the_equations_written_in_torch(rng):
    """Equations (2.8) to (2.10) written again in torch, term by term: an independent check."""
    weights = cells.random_lstm_weights(D, H, rng)
    x = rng.standard_normal((B, D))
    hidden_prev, cell_prev = rng.uniform(-1, 1, size=(2, B, H))
    peep_i, peep_f, peep_o = rng.uniform(-1, 1, size=(3, H))
    hidden, cell = cells.peephole_lstm_cell_forward(x, hidden_prev, cell_prev, **weights,
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
    assert cells.cell_after_steps(cell0, f, i, g, steps) == pytest.approx(expected)


def test_cell_after_steps_settles_at_the_fixed_point():
    assert cells.cell_after_steps(5.0, 0.9, 0.5, 0.4, 500) == pytest.approx(0.5 * 0.4 / 0.1)


def test_lstm_weights_from_torch_sums_biases_and_keeps_order():
    lstm = make_torch_lstm()
    weights = cells.lstm_weights_from_torch(lstm)
    assert weights["W_x"].shape == (4 * H, D) and weights["W_h"].shape == (4 * H, H)
    np.testing.assert_allclose(weights["b"],
                               (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy())
    np.testing.assert_array_equal(weights["W_x"], lstm.weight_ih_l0.detach().numpy())


def test_lstm_weights_from_torch_without_bias():
    weights = cells.lstm_weights_from_torch(make_torch_lstm(bias=False))
    np.testing.assert_array_equal(weights["b"], np.zeros(4 * H))


@pytest.mark.parametrize("kwargs, mentioned", [
    ({"num_layers": 2}, "num_layers=2"),
    ({"bidirectional": True}, "bidirectional=True"),
    ({"proj_size": 2}, "proj_size=2"),
])
def test_lstm_weights_from_torch_rejects_what_it_cannot_read(kwargs, mentioned):
    with pytest.raises(ValueError, match=mentioned):
        cells.lstm_weights_from_torch(make_torch_lstm(**kwargs))


def test_random_lstm_weights_shapes_and_forget_bias(rng):
    weights = cells.random_lstm_weights(D, H, rng, forget_bias=3.0)
    assert weights["W_x"].shape == (4 * H, D) and weights["W_h"].shape == (4 * H, H)
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(weights["b"][H:2 * H] - 3.0) <= bound)
    assert np.all(np.abs(np.delete(weights["b"], np.s_[H:2 * H])) <= bound)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (2, 32), (10, 7)])
def test_lstm_parameter_count_matches_torch(input_size, hidden_size):
    lstm = torch.nn.LSTM(input_size, hidden_size)
    torch_count = sum(p.numel() for p in lstm.parameters())
    assert cells.lstm_parameter_count(input_size, hidden_size, torch_biases=True) == torch_count
    assert (cells.lstm_parameter_count(input_size, hidden_size)
            == torch_count - 4 * hidden_size)


# ---------------------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------------------


def make_torch_gru(input_size=D, hidden_size=H, seed=0, **kwargs):
    torch.manual_seed(seed)
    return torch.nn.GRU(input_size, hidden_size, batch_first=True, dtype=torch.float64,
                        **kwargs)


def test_gru_forward_matches_torch_gru(rng):
    gru = make_torch_gru()
    weights = cells.gru_weights_from_torch(gru)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    hiddens = cells.gru_forward(xs, hidden0, **weights)
    expected, last = gru(torch.tensor(xs), torch.tensor(hidden0)[None])
    np.testing.assert_allclose(hiddens, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], last[0].detach().numpy(), atol=1e-12)


def test_gru_cell_forward_matches_torch_gru_cell(rng):
    torch.manual_seed(3)
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    weights = cells.gru_weights_from_torch(cell)
    x, hidden_prev = rng.standard_normal((B, D)), rng.uniform(-1, 1, size=(B, H))
    expected = cell(torch.tensor(x), torch.tensor(hidden_prev)).detach().numpy()
    np.testing.assert_allclose(cells.gru_cell_forward(x, hidden_prev, **weights), expected,
                               atol=1e-12)


def test_original_reset_placement_differs_from_torch_but_agrees_without_reset(rng):
    weights = cells.random_gru_weights(D, H, rng)
    x, hidden_prev = rng.standard_normal((B, D)), rng.uniform(-1, 1, size=(B, H))
    torch_style = cells.gru_cell_forward(x, hidden_prev, **weights)
    original = cells.gru_cell_forward_original(x, hidden_prev, **weights)
    assert np.abs(torch_style - original).max() > 1e-2
    # with the reset gate forced open (r = 1) and b_hn = 0 the two placements coincide
    weights["b_x"][:H] = weights["b_h"][:H] = 50.0
    weights["b_h"][2 * H:] = 0.0
    np.testing.assert_allclose(cells.gru_cell_forward(x, hidden_prev, **weights),
                               cells.gru_cell_forward_original(x, hidden_prev, **weights),
                               atol=1e-12)


def test_original_reset_placement_matches_the_equation_written_in_torch(rng):
    weights = cells.random_gru_weights(D, H, rng)
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
    np.testing.assert_allclose(cells.gru_cell_forward_original(x, hidden_prev, **weights),
                               expected, atol=1e-12)


def test_gru_update_gate_one_keeps_the_state(rng):
    weights = cells.random_gru_weights(D, H, rng, update_bias=60.0)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    hiddens = cells.gru_forward(xs, hidden0, **weights)
    np.testing.assert_allclose(hiddens[:, -1], hidden0, atol=1e-12)


def test_gru_forward_trace_agrees_with_gru_forward(rng):
    weights = cells.random_gru_weights(D, H, rng)
    xs = rng.standard_normal((B, T, D))
    hidden0 = np.zeros((B, H))
    trace = cells.gru_forward_trace(xs, hidden0, **weights)
    np.testing.assert_allclose(trace["hidden"], cells.gru_forward(xs, hidden0, **weights),
                               atol=1e-12)
    for name in ("reset_gate", "update_gate"):
        assert trace[name].shape == (B, T, H)
        assert np.all((trace[name] > 0) & (trace[name] < 1))


def test_gru_weights_from_torch_keeps_both_biases_and_handles_no_bias():
    gru = make_torch_gru()
    weights = cells.gru_weights_from_torch(gru)
    np.testing.assert_array_equal(weights["b_x"], gru.bias_ih_l0.detach().numpy())
    np.testing.assert_array_equal(weights["b_h"], gru.bias_hh_l0.detach().numpy())
    assert weights["W_x"].shape == (3 * H, D) and weights["W_h"].shape == (3 * H, H)
    no_bias = cells.gru_weights_from_torch(make_torch_gru(bias=False))
    assert not no_bias["b_x"].any() and not no_bias["b_h"].any()
    assert no_bias["b_h"].shape == (3 * H,)


@pytest.mark.parametrize("kwargs, mentioned", [({"num_layers": 2}, "num_layers=2"),
                                               ({"bidirectional": True}, "bidirectional")])
def test_gru_weights_from_torch_rejects_what_it_cannot_read(kwargs, mentioned):
    with pytest.raises(ValueError, match=mentioned):
        cells.gru_weights_from_torch(make_torch_gru(**kwargs))


def test_random_gru_weights_update_bias_goes_to_the_update_block(rng):
    weights = cells.random_gru_weights(D, H, rng, update_bias=2.0)
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(weights["b_h"][H:2 * H] - 2.0) <= bound)
    assert np.all(np.abs(np.delete(weights["b_h"], np.s_[H:2 * H])) <= bound)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (2, 32), (10, 7)])
def test_gru_and_rnn_parameter_counts_match_torch(input_size, hidden_size):
    def torch_count(module):
        return sum(p.numel() for p in module(input_size, hidden_size).parameters())

    assert cells.gru_parameter_count(input_size, hidden_size) == torch_count(torch.nn.GRU)
    assert (cells.rnn_parameter_count(input_size, hidden_size, torch_biases=True)
            == torch_count(torch.nn.RNN))
    assert (cells.rnn_parameter_count(input_size, hidden_size)
            == torch_count(torch.nn.RNN) - hidden_size)
