"""Tests for seqbook.reference.rnn: the numpy RNN against torch."""

import numpy as np
import pytest
import torch

from seqbook import reference
from tests.reference.conftest import B, D, H, T, torch_layer


def test_rnn_cell_forward_matches_torch_one_step(rng):
    rnn = torch_layer(torch.nn.RNN)
    weights = reference.rnn_weights_from_torch(rnn)
    x = rng.standard_normal((B, D))
    hidden_prev = rng.uniform(-1, 1, size=(B, H))
    with torch.no_grad():
        out, h_n = rnn(torch.tensor(x[:, None, :]), torch.tensor(hidden_prev[None]))
    mine = reference.rnn_cell_forward(x, hidden_prev, **weights)
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
    np.testing.assert_allclose(reference.rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h)[0],
                               expected, atol=1e-15)


def test_rnn_forward_matches_torch_rnn(rng):
    rnn = torch_layer(torch.nn.RNN, seed=1)
    weights = reference.rnn_weights_from_torch(rnn)
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))  # non-zero initial state
    with torch.no_grad():
        out, h_n = rnn(torch.tensor(xs), torch.tensor(hidden0[None]))
    hiddens = reference.rnn_forward(xs, hidden0, **weights)
    assert hiddens.shape == (B, T, H)
    np.testing.assert_allclose(hiddens, out.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(hiddens[:, -1], h_n[0].numpy(), rtol=0, atol=1e-12)


def test_rnn_forward_depends_on_initial_state(rng):
    weights = reference.random_rnn_weights(D, H, rng)
    xs = rng.standard_normal((B, T, D))
    zero = reference.rnn_forward(xs, np.zeros((B, H)), **weights)
    other = reference.rnn_forward(xs, np.full((B, H), 0.9), **weights)
    assert not np.allclose(zero[:, 0], other[:, 0])


def test_rnn_weights_from_torch_copies_weights_and_sums_biases():
    rnn = torch_layer(torch.nn.RNN, seed=2)
    weights = reference.rnn_weights_from_torch(rnn)
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
    weights = reference.rnn_weights_from_torch(rnn)
    assert all(array.dtype == np.float64 for array in weights.values())
    np.testing.assert_allclose(weights["W_hh"], rnn.weight_hh_l0.detach().double().numpy())


def test_rnn_weights_from_torch_without_bias(rng):
    rnn = torch_layer(torch.nn.RNN, seed=4, bias=False)
    weights = reference.rnn_weights_from_torch(rnn)
    np.testing.assert_array_equal(weights["b_h"], np.zeros(H))
    xs = rng.standard_normal((B, T, D))
    hidden0 = rng.uniform(-1, 1, size=(B, H))
    with torch.no_grad():
        out, _ = rnn(torch.tensor(xs), torch.tensor(hidden0[None]))
    np.testing.assert_allclose(reference.rnn_forward(xs, hidden0, **weights), out.numpy(),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, mentioned",
    [({"num_layers": 2}, "num_layers=2"), ({"bidirectional": True}, "bidirectional=True"),
     ({"nonlinearity": "relu"}, "nonlinearity='relu'")],
)
def test_rnn_weights_from_torch_rejects_deep_or_bidirectional(kwargs, mentioned):
    rnn = torch_layer(torch.nn.RNN, **kwargs)
    with pytest.raises(ValueError, match="one-layer") as caught:
        reference.rnn_weights_from_torch(rnn)
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
    weights = reference.random_rnn_weights(D, H, rng)
    weights["b_h"] = rng.uniform(-0.5, 0.5, size=H)
    x = rng.standard_normal((B, D))
    hidden_prev = rng.uniform(-1, 1, size=(B, H))
    hidden = reference.rnn_cell_forward(x, hidden_prev, **weights)
    d_hidden = rng.standard_normal((B, H))
    mine = reference.rnn_cell_backward(d_hidden, x, hidden_prev, hidden, weights["W_xh"],
                                   weights["W_hh"])
    assert set(mine) == {"x", "hidden_prev", "W_xh", "W_hh", "b_h"}
    expected = _autograd_cell_gradients(d_hidden, x, hidden_prev, **weights)
    assert mine[key].shape == expected[key].shape
    np.testing.assert_allclose(mine[key], expected[key], rtol=1e-10, atol=1e-12)
    assert np.abs(expected[key]).max() > 1e-3  # a real, non-trivial gradient


def test_random_rnn_weights_shapes_and_range(rng):
    weights = reference.random_rnn_weights(3, 8, rng)
    assert weights["W_xh"].shape == (8, 3)
    assert weights["W_hh"].shape == (8, 8)
    assert weights["b_h"].shape == (8,)
    bound = 1 / np.sqrt(8)
    for array in weights.values():
        assert np.all(np.abs(array) <= bound)


def test_random_rnn_weights_reproducible_with_seed():
    first = reference.random_rnn_weights(3, 6, np.random.default_rng(5), scale=0.7)
    second = reference.random_rnn_weights(3, 6, np.random.default_rng(5), scale=0.7)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_random_rnn_weights_scale_sets_every_singular_value(rng, scale):
    weights = reference.random_rnn_weights(3, 16, rng, scale=scale)
    assert weights["W_hh"].shape == (16, 16)
    singular_values = np.linalg.svd(weights["W_hh"], compute_uv=False)
    np.testing.assert_allclose(singular_values, scale, rtol=1e-12)


def test_random_rnn_weights_without_scale_are_not_orthogonal(rng):
    singular_values = np.linalg.svd(reference.random_rnn_weights(3, 16, rng)["W_hh"],
                                    compute_uv=False)
    assert singular_values.max() / singular_values.min() > 2


@pytest.mark.parametrize("size", [1, 2, 10, 33])
def test_random_orthogonal_is_orthogonal(rng, size):
    q = reference.random_orthogonal(size, rng)
    assert q.shape == (size, size)
    np.testing.assert_allclose(q.T @ q, np.eye(size), atol=1e-12)
    np.testing.assert_allclose(q @ q.T, np.eye(size), atol=1e-12)


def test_random_orthogonal_differs_between_draws(rng):
    assert not np.allclose(reference.random_orthogonal(5, rng), reference.random_orthogonal(5, rng))
