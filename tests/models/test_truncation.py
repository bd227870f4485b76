"""Tests for seqbook.models.truncation: truncated BPTT cuts the gradient, not the forward
pass."""

import numpy as np
import pytest
import torch

from seqbook import models
from seqbook.models.reach import fresh_recurrent, reach_inputs
from seqbook.models.truncation import time_training_steps


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("length, window", [(12, 5), (10, 5), (7, 1), (6, 20)])
def test_the_forward_pass_is_unchanged(cell, length, window):
    layer = fresh_recurrent(cell, hidden_size=4, seed=1)
    xs = reach_inputs(batch=3, length=length, seed=2)
    whole, whole_state = layer(xs)
    cut, cut_state = models.TruncatedRecurrent(layer, window)(xs)
    torch.testing.assert_close(cut, whole, rtol=1e-12, atol=1e-12)
    for a, b in zip(cut_state if cell == "lstm" else [cut_state],
                    whole_state if cell == "lstm" else [whole_state]):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("window", [1, 3, 5, 8])
def test_the_gradient_is_exactly_zero_beyond_the_window_and_unchanged_inside(window):
    layer = fresh_recurrent("rnn", hidden_size=8, seed=0)
    xs = reach_inputs(batch=4, length=20, seed=0)
    full = models.input_gradient_norms(layer, xs)
    cut = models.input_gradient_norms(models.TruncatedRecurrent(layer, window), xs)
    assert np.all(full > 0)
    assert np.all(cut[window:] == 0) and np.all(cut[:window] > 0)
    np.testing.assert_allclose(cut[:window], full[:window], rtol=1e-10)


def test_input_gradient_norms_match_a_gradient_by_hand():
    layer = fresh_recurrent("rnn", hidden_size=3, seed=4)
    xs = reach_inputs(batch=2, length=5, seed=4).requires_grad_(True)
    hiddens, _ = layer(xs)
    u = models.reach.unit_direction(3, 0)
    (hiddens[:, -1] @ u).sum().backward()
    by_hand = xs.grad.norm(dim=2).mean(dim=0).flip(0).numpy()
    np.testing.assert_allclose(models.input_gradient_norms(layer, xs), by_hand, rtol=1e-12)


def test_a_window_below_one_step_is_refused():
    with pytest.raises(ValueError, match="at least one step"):
        models.TruncatedRecurrent(torch.nn.RNN(2, 3), 0)


def test_training_under_truncation_still_learns_inside_the_window():
    torch.manual_seed(0)
    rnn = models.TruncatedRecurrent(models.make_recurrent("rnn", 2, 16), window=3)
    run = models.train_adding(models.SequenceRegressor(2, 16, cell=rnn), length=6, steps=150,
                              eval_every=150)
    assert run["final_mse"] < run["test_mse"][0]


def test_time_training_steps_times_both_in_turn():
    timings = time_training_steps(length=20, window=5, batch=8, repeats=2)
    assert set(timings) == {"full", "truncated"}
    assert all(len(t["times"]) == 2 and t["median"] > 0 for t in timings.values())
