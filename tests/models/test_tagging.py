"""Tests for seqbook.models.tagging: the tagger's shapes, that one direction reads only the
past and two read the future too, the answer delay, and a short training run."""

import numpy as np
import pytest
import torch

from seqbook import models, reference, tasks


@pytest.mark.parametrize("bidirectional, num_layers", [(False, 1), (True, 1), (True, 2)])
def test_one_logit_per_position(bidirectional, num_layers):
    torch.manual_seed(0)
    model = models.SequenceTagger(4, 6, bidirectional=bidirectional, num_layers=num_layers)
    assert model(torch.zeros(3, 9, 4)).shape == (3, 9)
    assert model.readout.in_features == (12 if bidirectional else 6)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_only_two_directions_see_the_future(bidirectional):
    torch.manual_seed(0)
    model = models.SequenceTagger(4, 6, bidirectional=bidirectional)
    inputs = torch.randn(2, 8, 4)
    later = inputs.clone()
    later[:, 5:] = torch.randn(2, 3, 4)  # change only positions 5 to 7
    with torch.no_grad():
        moved = (model(inputs) - model(later)).abs()[:, :5].max().item()
    assert (moved > 1e-4) == bidirectional


def test_the_tagger_is_the_books_numpy_stack():
    torch.manual_seed(1)
    model = models.SequenceTagger(4, 5, bidirectional=True, num_layers=2).double()
    inputs = np.random.default_rng(0).standard_normal((3, 7, 4))
    outputs, _ = reference.deep_rnn_forward(inputs, np.zeros((4, 3, 5)),
                                            reference.deep_weights_from_torch(model.recurrent))
    weight = model.readout.weight.detach().numpy()[0]
    bias = model.readout.bias.detach().numpy()[0]
    with torch.no_grad():
        expected = model(torch.tensor(inputs)).numpy()
    np.testing.assert_allclose(outputs @ weight + bias, expected, atol=1e-12)


def test_tag_logits_reads_later_outputs_with_a_delay():
    torch.manual_seed(0)
    model = models.SequenceTagger(4, 3)
    inputs = torch.randn(2, 9, 4)
    with torch.no_grad():
        everything = model(inputs)
        assert torch.equal(models.tag_logits(model, inputs, 6), everything[:, :6])
        assert torch.equal(models.tag_logits(model, inputs, 6, answer_delay=3),
                           everything[:, 3:9])


def test_a_delay_beyond_the_window_is_refused():
    with pytest.raises(ValueError, match="answer_delay must lie in 0 ... window = 3"):
        models.train_tagger(models.SequenceTagger(4, 3), window=3, answer_delay=4, steps=1)


def test_short_training_two_directions_learn_one_stays_at_a_coin():
    """60 steps: enough for the bidirectional tagger to beat a coin clearly; the
    one-direction tagger cannot, at any length of training."""
    runs = {}
    for bidirectional in (False, True):
        torch.manual_seed(0)
        model = models.SequenceTagger(tasks.marker_ahead(1, 1, 1, np.random.default_rng(0))[0]
                                      .shape[2], 16, bidirectional=bidirectional)
        runs[bidirectional] = models.train_tagger(model, steps=60, eval_every=30)
    assert runs[True]["steps"] == [0, 30, 60]
    assert abs(runs[False]["final_accuracy"] - 0.5) < 0.05
    assert runs[True]["final_accuracy"] > 0.7
    assert abs(runs[True]["base_rate"] - 0.5) < 0.02
