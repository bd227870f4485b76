"""Tests for seqbook.widgets: move the controls headlessly and check what is shown."""

import time

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqbook.models import sentiment
from seqbook.tasks import reviews
from seqbook.views import explorers

matplotlib.use("Agg")


@pytest.fixture
def gradient():
    return explorers.gradient_explorer(scale=0.9, clip=False, threshold=1.0)


def test_gradient_explorer_scale_moves_the_ratio(gradient):
    assert gradient.shown["ratio"][50] < 1e-4
    gradient.controls["scale"].value = 2.0
    assert gradient.shown["ratio"][50] > 100
    gradient.controls["scale"].value = 0.9
    assert gradient.shown["ratio"][50] < 1e-4


def test_gradient_explorer_clipping(gradient):
    gradient.controls["scale"].value = 2.0
    before = gradient.shown["before"]
    assert before > 1
    assert gradient.shown["after"] == before  # no clipping yet
    gradient.controls["threshold"].value = 1.0
    gradient.controls["clip"].value = True
    assert gradient.shown["before"] == before
    assert gradient.shown["after"] == pytest.approx(1.0)
    gradient.controls["threshold"].value = 10.0
    assert gradient.shown["after"] == pytest.approx(10.0)


def test_repr_is_short_and_stable(gradient):
    assert repr(gradient) == "<Vanishing and exploding gradients: move scale, clip, threshold>"
    for explorer in (gradient,):
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


@pytest.mark.parametrize("make, control, value", [
    (lambda: explorers.gradient_explorer(), "scale", 2.0),
    (lambda: explorers.gru_unit_explorer(), "reset_gate", 0.3),
    (lambda: explorers.parameter_explorer(), "input_size", 300),
])
def test_a_control_change_redraws_quickly(make, control, value):
    explorer = make()
    times = []
    for new_value in (value, explorer.controls[control].value):  # there and back again
        old = explorer.shown
        start = time.perf_counter()
        explorer.controls[control].value = new_value
        times.append(time.perf_counter() - start)
        assert explorer.shown is not old  # it did redraw
    assert min(times) < 1.0  # the best of two, so a busy machine does not fail it


def test_redraws_close_their_figures(gradient):
    open_before = len(plt.get_fignums())
    for scale in (1.0, 1.5, 2.0):
        gradient.controls["scale"].value = scale
    assert len(plt.get_fignums()) == open_before


# Chapter 2's explorers are live: tests/views/test_live.py and tests/js/test_lstm.py.


def test_parameter_explorer_shows_torch_counts_and_moves():
    import torch

    explorer = explorers.parameter_explorer(input_size=10, hidden_size=32)
    assert repr(explorer) == "<Parameters per layer: move input_size, hidden_size>"
    for name, module in (("rnn", torch.nn.RNN), ("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)):
        assert explorer.shown[name] == sum(p.numel() for p in module(10, 32).parameters())
    before = explorer.image.value
    explorer.controls["hidden_size"].value = 64
    assert explorer.shown["gru"] == 3 * (64 * 10 + 64 * 64 + 2 * 64)
    assert explorer.shown["lstm"] / explorer.shown["gru"] == pytest.approx(4 / 3)
    assert explorer.image.value != before


def test_gru_unit_explorer_update_gate_one_holds_the_state():
    explorer = explorers.gru_unit_explorer(update_gate=0.9, reset_gate=1.0, input_drive=-1.0)
    assert set(explorer.controls) == {"update_gate", "reset_gate", "input_drive"}
    assert explorer.shown["hiddens"][-1] < explorer.shown["hiddens"][0]  # drifting away
    explorer.controls["update_gate"].value = 1.0
    assert np.allclose(explorer.shown["hiddens"], 0.8)  # z = 1 keeps h_0 for ever
    explorer.controls["update_gate"].value = 0.0
    explorer.controls["reset_gate"].value = 0.0
    # z = 0, r = 0: the state is replaced at once by tanh(input drive), the past forgotten
    assert np.allclose(explorer.shown["hiddens"][1:], np.tanh(-1.0))


@pytest.fixture(scope="module")
def review_models():
    import torch


    vocab = reviews.vocabulary(["the plot was not bad", "the acting was good"])
    torch.manual_seed(0)
    classifiers = {kind: sentiment.make_model(kind, len(vocab), 8, 8) for kind in ("bow", "gru")}
    return classifiers, vocab


def test_sentiment_explorer_follows_the_typed_review(review_models):
    classifiers, vocab = review_models
    explorer = explorers.sentiment_explorer(classifiers, vocab, "the plot was not bad", "gru")
    assert repr(explorer) == "<Reading a review word by word: move sentence, model>"
    assert explorer.shown["words"] == ["the", "plot", "was", "not", "bad"]
    assert len(explorer.shown["probabilities"]) == 5
    assert np.all((explorer.shown["probabilities"] > 0) & (explorer.shown["probabilities"] < 1))
    before = explorer.image.value
    explorer.controls["sentence"].value = "The acting was GOOD, truly!"
    assert explorer.shown["words"] == ["the", "acting", "was", "good", "truly"]
    assert explorer.image.value != before
    explorer.controls["model"].value = "bow"
    # the bag of words sees the same words in any order
    again = explorers.sentiment_explorer(classifiers, vocab, "truly good was acting the", "bow")
    assert again.shown["probabilities"][-1] == pytest.approx(
        explorer.shown["probabilities"][-1], abs=1e-6)


def test_sentiment_explorer_survives_an_empty_review(review_models):
    classifiers, vocab = review_models
    explorer = explorers.sentiment_explorer(classifiers, vocab, "the plot", "gru")
    explorer.controls["sentence"].value = "   !!! "
    assert explorer.shown["words"] == []
    explorer.controls["sentence"].value = "zzz plot"  # unknown words are drawn, not fatal
    assert explorer.shown["words"] == ["zzz", "plot"]
