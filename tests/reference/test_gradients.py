"""Tests for seqbook.gradients: gradient check, clipping and gradients through time."""

import math

import numpy as np
import pytest
import torch

from seqbook import models, reference

# --- numerical_gradient ---------------------------------------------------------------


def test_numerical_gradient_of_known_function():
    rng = np.random.default_rng(0)
    array = rng.standard_normal((3, 4))
    coefficients = rng.standard_normal((3, 4))

    def loss():
        return float(np.sum(array**3) + np.sum(coefficients * array))

    numeric = reference.numerical_gradient(loss, array)
    assert numeric.shape == array.shape
    np.testing.assert_allclose(numeric, 3 * array**2 + coefficients, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_restores_the_array():
    array = np.array([[0.1, -2.0], [3.5, 1e-3]])
    original = array.copy()
    calls = []

    def loss():
        calls.append(array.copy())
        return float(np.sum(np.sin(array)))

    numeric = reference.numerical_gradient(loss, array)
    np.testing.assert_array_equal(array, original)
    assert len(calls) == 2 * array.size  # two calls per entry
    assert any(not np.array_equal(seen, original) for seen in calls)  # it did nudge
    np.testing.assert_allclose(numeric, np.cos(original), rtol=1e-7)


def test_numerical_gradient_one_dimensional():
    array = np.array([1.0, 2.0, 3.0])
    numeric = reference.numerical_gradient(lambda: float(array @ array), array)
    np.testing.assert_allclose(numeric, 2 * array, rtol=1e-8)


# --- relative_error -------------------------------------------------------------------


def test_relative_error_basics():
    assert reference.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert reference.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert reference.relative_error([1.0], [1.1]) == pytest.approx(0.1 / 1.1)
    assert reference.relative_error([0.0, 4.0], [1.0, 4.0]) == pytest.approx(0.25)
    assert isinstance(reference.relative_error([1.0], [2.0]), float)


def test_relative_error_is_symmetric_and_scale_free():
    a = np.array([1.0, -3.0, 2.0])
    b = a + np.array([1e-4, 0.0, -2e-4])
    assert reference.relative_error(a, b) == reference.relative_error(b, a)
    assert reference.relative_error(1e6 * a, 1e6 * b) == pytest.approx(
        reference.relative_error(a, b), rel=1e-9
    )
    assert reference.relative_error(a, -a) == pytest.approx(2.0)


# --- clip_gradient_norm ---------------------------------------------------------------


def _torch_clip(grads, max_norm):
    parameters = []
    for g in grads:
        parameter = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        parameter.grad = torch.tensor(g)
        parameters.append(parameter)
    total = torch.nn.utils.clip_grad_norm_(parameters, max_norm)
    return [p.grad.numpy() for p in parameters], float(total)


def test_clip_gradient_norm_matches_torch_above_threshold():
    rng = np.random.default_rng(1)
    grads = [3 * rng.standard_normal((4, 3)), rng.standard_normal(5), np.array([[7.0]])]
    originals = [g.copy() for g in grads]
    clipped, total_norm = reference.clip_gradient_norm(grads, 2.0)
    torch_clipped, torch_norm = _torch_clip(originals, 2.0)
    assert total_norm > 2.0
    assert total_norm == pytest.approx(torch_norm, rel=1e-12)
    assert len(clipped) == len(grads)
    for mine, theirs in zip(clipped, torch_clipped):
        assert mine.shape == theirs.shape
        # torch divides by norm + 1e-6; the difference is far below this tolerance
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)
    new_norm = math.sqrt(sum(float(np.sum(g**2)) for g in clipped))
    assert new_norm == pytest.approx(2.0, rel=1e-12)
    for g, original in zip(grads, originals):
        np.testing.assert_array_equal(g, original)  # inputs untouched


def test_clip_gradient_norm_one_common_factor():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]  # norm 5
    clipped, total_norm = reference.clip_gradient_norm(grads, 1.0)
    assert total_norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1], [[0.0], [0.8]])


def test_clip_gradient_norm_below_threshold_returns_unchanged_copies():
    rng = np.random.default_rng(2)
    grads = [0.01 * rng.standard_normal((3, 2)), 0.01 * rng.standard_normal(4)]
    originals = [g.copy() for g in grads]
    clipped, total_norm = reference.clip_gradient_norm(grads, 1.0)
    assert total_norm == pytest.approx(math.sqrt(sum(np.sum(g**2) for g in originals)))
    assert total_norm < 1.0
    torch_clipped, torch_norm = _torch_clip(originals, 1.0)
    assert total_norm == pytest.approx(torch_norm, rel=1e-12)
    for mine, given, theirs in zip(clipped, grads, torch_clipped):
        np.testing.assert_array_equal(mine, given)
        np.testing.assert_array_equal(mine, theirs)
        assert not np.shares_memory(mine, given)  # copies, not the same arrays
    clipped[0][...] = 123.0
    np.testing.assert_array_equal(grads[0], originals[0])


def test_clip_gradient_norm_exactly_at_threshold_is_unchanged():
    grads = [np.array([3.0, 4.0])]
    clipped, total_norm = reference.clip_gradient_norm(grads, 5.0)
    assert total_norm == 5.0
    np.testing.assert_array_equal(clipped[0], grads[0])


def test_clip_gradient_norm_all_zero_gradients():
    grads = [np.zeros((2, 2)), np.zeros(3)]
    with np.errstate(all="raise"):
        clipped, total_norm = reference.clip_gradient_norm(grads, 1.0)
    assert total_norm == 0.0
    assert [g.shape for g in clipped] == [(2, 2), (3,)]
    for g in clipped:
        assert np.all(g == 0.0)
        assert np.all(np.isfinite(g))


# --- vanishing_horizon ----------------------------------------------------------------


@pytest.mark.parametrize("sigma, tolerance, expected", [(0.5, 1e-3, 10), (0.9, 1e-3, 66)])
def test_vanishing_horizon_known_values(sigma, tolerance, expected):
    result = reference.vanishing_horizon(sigma, tolerance)
    assert result == expected
    assert isinstance(result, int)
    assert sigma**result < tolerance <= sigma ** (result - 1)


def test_vanishing_horizon_is_the_smallest_lag_below_tolerance():
    rng = np.random.default_rng(3)
    for sigma, tolerance in zip(rng.uniform(0.05, 0.99, 200), 10 ** rng.uniform(-8, -0.1, 200)):
        k = reference.vanishing_horizon(float(sigma), float(tolerance))
        assert k >= 1
        assert sigma**k < tolerance
        assert k == 1 or sigma ** (k - 1) >= tolerance


@pytest.mark.parametrize("sigma", [1.0, 1.0001, 2.0, 50.0])
def test_vanishing_horizon_none_when_sigma_at_least_one(sigma):
    assert reference.vanishing_horizon(sigma, 1e-3) is None


# --- backpropagate_through_time -------------------------------------------------------


def test_backpropagate_through_time_matches_autograd():
    rng = np.random.default_rng(4)
    batch, steps, input_size, hidden_size = 3, 8, 2, 5
    weights = reference.random_rnn_weights(input_size, hidden_size, rng, scale=1.3)
    xs = rng.standard_normal((batch, steps, input_size))
    hidden0 = rng.uniform(-1, 1, size=(batch, hidden_size))
    d_last = rng.standard_normal((batch, hidden_size))
    hiddens = reference.rnn_forward(xs, hidden0, **weights)

    W_xh, W_hh, b_h = (torch.tensor(weights[k]) for k in ("W_xh", "W_hh", "b_h"))
    states = [torch.tensor(hidden0, requires_grad=True)]
    for t in range(steps):
        state = torch.tanh(torch.tensor(xs[:, t]) @ W_xh.T + states[-1] @ W_hh.T + b_h)
        state.retain_grad()
        states.append(state)
    np.testing.assert_allclose(torch.stack(states[1:], 1).detach().numpy(), hiddens,
                               atol=1e-12)
    (states[-1] * torch.tensor(d_last)).sum().backward()

    result = reference.backpropagate_through_time(hiddens, weights["W_hh"], d_last)
    assert result.shape == (batch, steps + 1, hidden_size)
    np.testing.assert_array_equal(result[:, 0], d_last)
    for lag in range(steps + 1):
        expected = states[steps - lag].grad.numpy()  # gradient at h_{T - lag}
        np.testing.assert_allclose(result[:, lag], expected, rtol=1e-10, atol=1e-13)


# --- gradient_norm_by_lag -------------------------------------------------------------


def test_gradient_norm_by_lag_shape_and_lag_zero():
    result = reference.gradient_norm_by_lag(1.0, steps=20)
    assert set(result) == {"ratio", "weight_gradient_norm"}
    assert result["ratio"].shape == (21,)
    assert result["ratio"][0] == pytest.approx(1.0, abs=1e-12)
    assert isinstance(result["weight_gradient_norm"], float)


def test_gradient_norm_by_lag_vanishes_and_explodes():
    small = reference.gradient_norm_by_lag(0.9)["ratio"]
    large = reference.gradient_norm_by_lag(2.0)["ratio"]
    assert small[0] == pytest.approx(1.0, abs=1e-12)
    assert large[0] == pytest.approx(1.0, abs=1e-12)
    assert small[50] < 1e-4
    assert large[50] > 100


def test_gradient_norm_by_lag_is_reproducible():
    first = reference.gradient_norm_by_lag(1.1, steps=10, seed=7)
    second = reference.gradient_norm_by_lag(1.1, steps=10, seed=7)
    other = reference.gradient_norm_by_lag(1.1, steps=10, seed=8)
    np.testing.assert_array_equal(first["ratio"], second["ratio"])
    assert first["weight_gradient_norm"] == second["weight_gradient_norm"]
    assert first["weight_gradient_norm"] != other["weight_gradient_norm"]


def _autograd_weight_gradient_norm(scale, steps, hidden_size, batch, seed):
    """The same draws as gradient_norm_by_lag, in the same order, then torch autograd."""
    rng = np.random.default_rng(seed)
    input_size = 4
    weights = reference.random_rnn_weights(input_size, hidden_size, rng, scale=scale)
    xs = rng.standard_normal((batch, steps, input_size))
    d_last = rng.standard_normal((batch, hidden_size))
    d_last /= np.linalg.norm(d_last, axis=1, keepdims=True)
    W_hh = torch.tensor(weights["W_hh"], requires_grad=True)
    W_xh, b_h = torch.tensor(weights["W_xh"]), torch.tensor(weights["b_h"])
    hidden = torch.zeros(batch, hidden_size, dtype=torch.float64)
    for t in range(steps):
        hidden = torch.tanh(torch.tensor(xs[:, t]) @ W_xh.T + hidden @ W_hh.T + b_h)
    (hidden * torch.tensor(d_last)).sum().backward()
    return float(W_hh.grad.norm())


@pytest.mark.parametrize(
    "scale, steps, hidden_size, batch, seed",
    [(0.9, 60, 32, 16, 0), (2.0, 60, 32, 16, 0), (1.2, 7, 5, 3, 11)],
)
def test_gradient_norm_by_lag_weight_gradient_matches_autograd(scale, steps, hidden_size,
                                                               batch, seed):
    result = reference.gradient_norm_by_lag(scale, steps=steps, hidden_size=hidden_size,
                                            batch=batch, seed=seed)
    expected = _autograd_weight_gradient_norm(scale, steps, hidden_size, batch, seed)
    assert expected > 0
    assert result["weight_gradient_norm"] == pytest.approx(expected, rel=1e-9)


# --- Chapter 2: how far back the gradient reaches ---------------------------------------


def test_input_gradient_by_lag_of_a_linear_map_is_exact():
    """A 'recurrent' module that only reads the last input: all older lags get zero."""
    class LastInput(torch.nn.Module):
        def forward(self, inputs):
            return inputs.repeat(1, 1, 2), None  # (B, T, 2D): h_t depends on x_t only

    inputs = torch.randn(3, 6, 2, dtype=torch.float64)
    ratio = models.input_gradient_by_lag(LastInput(), inputs)
    assert ratio.shape == (6,)
    assert ratio[0] == pytest.approx(1.0)
    assert np.all(ratio[1:] < 1e-100)


def test_gradient_reach_rnn_vanishes_and_lstm_with_forget_bias_reaches_further():
    rnn = models.gradient_reach("rnn", length=60)
    lstm_0 = models.gradient_reach("lstm", length=60, forget_bias=0.0)
    lstm_3 = models.gradient_reach("lstm", length=60, forget_bias=3.0)
    assert rnn.shape == (60,)
    assert rnn[50] < 1e-6
    assert lstm_3[50] > 1e4 * rnn[50]
    assert lstm_3[50] > 1e3 * lstm_0[50]


def test_gradient_reach_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    models.gradient_reach("lstm", length=10)
    assert torch.rand(1) == expected


def test_gradient_reach_rejects_unknown_cells():
    with pytest.raises(ValueError, match="'rnn' or 'lstm'"):
        models.gradient_reach("gru")
