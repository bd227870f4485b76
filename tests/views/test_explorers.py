"""Tests for seqbook.widgets: move the controls headlessly and check what is shown."""


import matplotlib
import numpy as np
import pytest

from seqbook import models
from seqbook.views import explorers

matplotlib.use("Agg")


def test_repr_is_short_and_stable():
    memory = explorers.memory_explorer(length=20)
    assert repr(memory) == "<The forget-gate bias and the gradient's reach: move forget_bias>"
    for explorer in (memory,):
        text = repr(explorer)
        assert len(text) < 80
        assert repr(explorer.widget) == text
        first_control = next(iter(explorer.controls.values()))
        if isinstance(first_control.value, bool):
            first_control.value = not first_control.value
        else:
            first_control.value = first_control.max
        assert repr(explorer) == text
        assert repr(explorer.widget) == text


# --- Chapter 2 --------------------------------------------------------------------------


def test_gate_explorer_forget_gate_controls_the_memory():
    explorer = explorers.gate_explorer(forget_gate=1.0, input_gate=0.0, cell0=1.0, steps=10)
    assert explorer.shown["cells"][-1] == pytest.approx(1.0)
    explorer.controls["forget_gate"].value = 0.5
    assert explorer.shown["cells"][-1] == pytest.approx(0.5**10)
    explorer.controls["input_gate"].value = 1.0
    assert explorer.shown["cells"][-1] > 0.5  # now writing the candidate 0.8
    assert len(explorer.widget.children) == 4  # title, two rows of three controls, image


def test_memory_explorer_forget_bias_moves_the_reach():
    explorer = explorers.memory_explorer(forget_bias=0.0, length=40)
    before = explorer.shown["lstm_ratios"][0.0][30]
    explorer.controls["forget_bias"].value = 4.0
    assert explorer.shown["lstm_ratios"][4.0][30] > 100 * before


def test_trained_gates_explorer_follows_the_markers():
    import torch


    torch.manual_seed(0)
    model = models.SequenceRegressor(2, 8, cell="lstm")
    explorer = explorers.trained_gates_explorer(model, length=20, first=3, second=15)
    assert explorer.shown["cell"].shape == (8, 20)
    old_target = explorer.shown["target"]
    explorer.controls["second"].value = 12
    values = np.random.default_rng(0).uniform(0, 1, size=20)
    assert explorer.shown["target"] == pytest.approx(values[3] + values[12])
    assert explorer.shown["target"] != old_target
    assert repr(explorer) == "<Inside a trained LSTM: move first, second, seed>"
