"""Chapter 1's temperature explorer in JavaScript equals the name model in torch (under
Node): the next letter's distribution after a prefix, at several temperatures, and its
entropy; its samples are names of the vocabulary's letters that start with the prefix."""

import numpy as np
import pytest
import torch

from seqbook import models, tasks
from seqbook.views import explorers
from tests.js.node import call_js

PREFIXES = ["", "ma", "jo", "zzq", "christophe"]
TEMPERATURES = [0.1, 0.5, 1.0, 2.0, 5.0]


@pytest.fixture(scope="module")
def vocab():
    return tasks.Vocabulary(tasks.first_names(), reserved=[tasks.END])


@pytest.fixture(scope="module")
def model(vocab):
    with torch.random.fork_rng():
        torch.manual_seed(3)
        char_model = models.CharModel(len(vocab), 12, cell="rnn")
    with torch.no_grad():  # larger weights than at initialisation: sharper distributions
        for parameter in char_model.parameters():
            parameter.mul_(3.0)
    return char_model


def plain_model(config):
    """The explorer's packed float32 weights as the JavaScript unpacks them (checked by
    test_the_weights_unpack_exactly), as nested lists."""
    [model] = call_js(["temperature.js"], [("temperature.unpackModel", (config["model"],))])
    return model


def test_the_weights_unpack_exactly(model):
    config = explorers.temperature_explorer(model, tasks.Vocabulary(
        tasks.first_names(), reserved=[tasks.END])).config
    unpacked = plain_model(config)
    np.testing.assert_array_equal(unpacked["weight_hh"], model.recurrent.weight_hh_l0.detach())
    np.testing.assert_array_equal(unpacked["readout_weight"], model.readout.weight.detach())


def test_the_distribution_and_its_entropy_match_torch(model, vocab):
    config = explorers.temperature_explorer(model, vocab).config
    config["model"] = plain_model(config)
    cases = [(prefix, t) for prefix in PREFIXES for t in TEMPERATURES]
    results = call_js(["temperature.js"], [
        ("temperature.nextDistribution",
         (config["model"], config["symbols"], prefix, t, 0)) for prefix, t in cases])
    entropies = call_js(["temperature.js"], [("temperature.entropy", (p,)) for p in results])
    for (prefix, t), p, h in zip(cases, results, entropies, strict=True):
        expected = models.next_character_distribution(model, vocab, prefix, t)
        np.testing.assert_allclose(p, expected, rtol=1e-4, atol=1e-6)  # torch is float32
        assert h == pytest.approx(models.entropy(expected), rel=1e-4, abs=1e-6)


def test_a_wrong_temperature_is_caught(model, vocab):
    """The comparison is not vacuous: the distribution at 2 differs from the one at 1."""
    config = explorers.temperature_explorer(model, vocab).config
    config["model"] = plain_model(config)
    [p] = call_js(["temperature.js"], [("temperature.nextDistribution",
                                        (config["model"], config["symbols"], "ma", 2.0, 0))])
    assert not np.allclose(p, models.next_character_distribution(model, vocab, "ma", 1.0),
                           rtol=1e-3)


def test_samples_continue_the_prefix_and_are_reproducible(model, vocab):
    config = explorers.temperature_explorer(model, vocab).config
    config["model"] = plain_model(config)
    args = (config["model"], config["symbols"], "ma", 1.0, 8, 1, 20, 0)
    first, again, cold = call_js(["temperature.js"], [
        ("temperature.sampleNames", args), ("temperature.sampleNames", args),
        ("temperature.sampleNames", (*args[:3], 1e-3, 8, 1, 20, 0))])
    assert first == again and len(first) == 8
    assert all(name.startswith("ma") and set(name) <= set("abcdefghijklmnopqrstuvwxyz")
               and len(name) <= 20 for name in first)
    likeliest = vocab.symbols[int(np.argmax(models.next_character_distribution(model, vocab,
                                                                                "ma")))]
    assert all(name[2:3] == likeliest.replace(tasks.END, "") for name in cold)  # greedy


def test_the_explorer_refuses_another_model(vocab):
    with pytest.raises(ValueError, match="one-layer torch.nn.RNN"):
        explorers.temperature_explorer(models.CharModel(len(vocab), 4, cell="gru"), vocab)
