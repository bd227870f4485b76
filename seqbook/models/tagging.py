"""Many-to-many tagging on the lookahead task (Chapter 3, section 3.9): a tanh RNN, one or
two directions, one or more layers, with one logit per position."""

import numpy as np
import torch
from torch import nn

from seqbook.models.training import fit
from seqbook.tasks.lookahead import marker_ahead


class SequenceTagger(nn.Module):
    """A tag for every position: a ``torch.nn.RNN`` (tanh) and a linear readout of its
    output at each step.

    With ``bidirectional=True`` the readout sees ``[forward h_t ; backward h_t]``, the past
    and the future of position t; without, only the past.

    Shapes: inputs (B, T, D) -> logits (B, T).
    """

    def __init__(self, input_size, hidden_size, bidirectional=False, num_layers=1):
        super().__init__()
        self.recurrent = nn.RNN(input_size, hidden_size, num_layers=num_layers,
                                bidirectional=bidirectional, batch_first=True)
        directions = 2 if bidirectional else 1
        self.readout = nn.Linear(directions * hidden_size, 1)

    def forward(self, inputs):
        outputs, _ = self.recurrent(inputs)  # (B, T, directions * H)
        return self.readout(outputs).squeeze(-1)  # (B, T)


def tag_logits(model, inputs, length, answer_delay=0):
    """The logits for the ``length`` tagged positions: position t is read at output
    t + ``answer_delay``, so that a one-direction model may wait before it answers."""
    return model(inputs)[:, answer_delay:answer_delay + length]  # (B, length)


def train_tagger(model, length=20, window=3, steps=300, batch_size=64, lr=1e-2, seed=0,
                 answer_delay=0, eval_every=50, progress=None):
    """Train a :class:`SequenceTagger` on fresh :func:`marker_ahead` batches with the
    binary cross-entropy of each tag, and score it on a fixed test set of 1,000 sequences.

    Args:
        answer_delay: read the tag of position t at output t + answer_delay (0 to
            ``window``).
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        A dict: ``"steps"`` and ``"test_accuracy"`` (the share of the test set's tags
        right, every ``eval_every`` steps), ``"final_accuracy"``, ``"seconds"`` (the time
        spent training) and ``"base_rate"`` (the share of test tags that are 1).
    """
    if not 0 <= answer_delay <= window:
        raise ValueError(f"answer_delay must lie in 0 ... window = {window}: the sequence has "
                         f"only {window} positions after the last tagged one; got "
                         f"{answer_delay}")
    rng = np.random.default_rng(seed)
    test_inputs, test_tags = marker_ahead(1000, length, window,
                                          np.random.default_rng(seed + 10_000))
    test_inputs, test_tags = torch.as_tensor(test_inputs), torch.as_tensor(test_tags)

    def batch_loss(step):
        inputs, tags = marker_ahead(batch_size, length, window, rng)
        logits = tag_logits(model, torch.as_tensor(inputs), length, answer_delay)
        return nn.functional.binary_cross_entropy_with_logits(logits, torch.as_tensor(tags))

    def test_accuracy():
        logits = tag_logits(model, test_inputs, length, answer_delay)
        return ((logits > 0).float() == test_tags).float().mean().item()

    history = fit(model, batch_loss, steps, lr=lr, evaluate=test_accuracy,
                  evaluate_every=eval_every, progress=progress)
    return {"steps": history["steps"], "test_accuracy": history["evaluations"],
            "final_accuracy": history["evaluations"][-1], "seconds": history["seconds"],
            "base_rate": test_tags.mean().item()}
