"""Chapter 2's explorer math in JavaScript equals the numpy reference and torch (under Node).

- the gates held by hand: ``seqbook.reference.cell_after_steps`` and ``plots.draw_gate_drive``;
- the gradient's reach: ``seqbook.models.gradient_reach`` (torch's autograd, float64),
  computed from the very config the explorer ships, within 1e-9;
- the trained gates: ``seqbook.reference.lstm_forward_trace`` within 1e-9 (both in float64
  on the same weights) and the torch model's float32 prediction within 1e-5.
"""

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from seqbook import models, reference
from seqbook.views import explorers, plots
from tests.js.node import call_js

matplotlib.use("Agg")

GATES = [(1.0, 0.0, 1.0, 0.8, 1.0, 12), (0.5, 1.0, 0.7, -0.4, -2.0, 40),
         (0.0, 0.3, 0.0, 1.0, 2.0, 1), (0.95, 0.05, 1.0, -1.0, 0.0, 30)]


def test_gate_drive_matches_numpy():
    calls = [("lstm.gateDrive", case) for case in GATES]
    calls += [("lstm.cellAfterSteps", (c0, f, i, g, steps)) for f, i, o, g, c0, steps in GATES]
    results = call_js(["lstm.js"], calls)
    for (f, i, o, g, c0, steps), drive in zip(GATES, results[:len(GATES)], strict=True):
        shown = plots.draw_gate_drive(Figure().add_subplot(), f, i, o, g, c0, steps)
        np.testing.assert_allclose(drive["cells"], shown["cells"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(drive["hiddens"], shown["hiddens"], rtol=1e-12, atol=1e-15)
    for (f, i, o, g, c0, steps), cell in zip(GATES, results[len(GATES):], strict=True):
        expected = float(reference.cell_after_steps(c0, f, i, g, steps))
        assert cell == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.fixture(scope="module")
def reach_config():
    """The memory explorer's config for 40-step sequences (the lab's has 100)."""
    return explorers.memory_explorer(forget_bias=0.0, length=40).config


REACH_CASES = [("rnn", None), ("lstm", -3.0), ("lstm", 0.0), ("lstm", 1.0), ("lstm", 6.0)]


def test_gradient_reach_matches_torch_autograd(reach_config):
    results = call_js(["lstm.js"], [("lstm.gradientReachFromConfig", (reach_config, *case))
                                    for case in REACH_CASES])
    for (cell, forget_bias), ratio in zip(REACH_CASES, results, strict=True):
        expected = models.gradient_reach(cell, length=40, forget_bias=forget_bias)
        assert np.asarray(ratio).shape == (40,)
        np.testing.assert_allclose(ratio, expected, rtol=1e-9, atol=0,
                                   err_msg=f"{cell}, forget bias {forget_bias}")


def test_the_config_holds_torch_weights_exactly(reach_config):
    """The float32 weights, written shortly, read back in JavaScript as torch's values."""
    module = models.reach.fresh_recurrent("lstm")
    [W_h] = call_js(["lstm.js"], [("lstm.float32", (reach_config["lstm"]["W_h"],))])
    assert np.array_equal(np.array(W_h), module.weight_hh_l0.detach().numpy())
    assert not np.array_equal(np.array(reach_config["lstm"]["W_h"]),
                              module.weight_hh_l0.detach().numpy())  # the rounding is real


def test_the_reach_comparison_can_fail(reach_config):
    """A gradient off by one part in 1e8 is caught, so 1e-9 is a real bar."""
    [ratio] = call_js(["lstm.js"], [("lstm.gradientReachFromConfig", (reach_config, "lstm", 1.0))])
    expected = models.gradient_reach("lstm", length=40, forget_bias=1.0)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.array(ratio) * (1 + 1e-8), expected, rtol=1e-9, atol=0)


@pytest.fixture(scope="module")
def small_model():
    """A small LSTM trained a little on 20-step sequences, so its gates are not random."""
    torch.manual_seed(0)
    model = models.SequenceRegressor(2, 8, cell="lstm")
    models.train_adding(model, length=20, steps=60, seed=0, eval_every=60)
    return model


MARKS = [(0, 2, 10), (3, 15, 0), (9, 19, 20), (5, 10, 7)]  # (first, second, seed)


def reference_run(model, first, second, seed, length=20):
    values = np.random.default_rng(seed).uniform(0.0, 1.0, size=length)
    markers = np.zeros(length)
    markers[[first, second]] = 1.0
    xs = np.stack([values, markers], axis=1)[None]  # (1, T, 2)
    zeros = np.zeros((1, model.recurrent.hidden_size))
    trace = reference.lstm_forward_trace(xs, zeros, zeros,
                                         **reference.lstm_weights_from_torch(model.recurrent))
    with torch.no_grad():
        prediction = model(torch.as_tensor(xs, dtype=torch.float32)).item()
    return values, trace, prediction


def test_trained_gates_match_the_reference_and_torch(small_model):
    config = explorers.trained_gates_explorer(small_model, length=20, first=3,
                                              second=15).config
    results = call_js(["lstm.js"], [("lstm.trainedPrediction", (config, seed, first, second))
                                    for first, second, seed in MARKS])
    for (first, second, seed), result in zip(MARKS, results, strict=True):
        values, trace, prediction = reference_run(small_model, first, second, seed)
        assert config["values_by_seed"][seed] == values.tolist()  # numpy's values, exactly
        for name in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"):
            np.testing.assert_allclose(result["trace"][name], trace[name][0], rtol=1e-9,
                                       atol=1e-12, err_msg=name)
        assert result["prediction"] == pytest.approx(prediction, abs=1e-5)


def test_the_trained_comparison_can_fail(small_model):
    """A JavaScript forget gate off by 1e-8 is caught."""
    config = explorers.trained_gates_explorer(small_model, length=20, first=3,
                                              second=15).config
    [result] = call_js(["lstm.js"], [("lstm.trainedPrediction", (config, 3, 2, 10))])
    _, trace, _ = reference_run(small_model, 2, 10, 3)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.array(result["trace"]["forget_gate"]) + 1e-8,
                                   trace["forget_gate"][0], rtol=1e-9, atol=1e-12)
