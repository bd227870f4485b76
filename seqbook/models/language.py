"""Chapter 1's name generator: a next-character model, its training and sampling."""

import numpy as np
import torch
from torch import nn

from seqbook.models.recurrent import make_recurrent
from seqbook.models.training import fit
from seqbook.tasks.names import END


class CharModel(nn.Module):
    """Next-character model: one-hot input, a recurrent layer, a linear read-out.

    Shapes: ids (B, T) -> logits (B, T, V), batch first.
    """

    def __init__(self, vocab_size, hidden_size, cell="rnn"):
        super().__init__()
        self.vocab_size = vocab_size
        self.recurrent = make_recurrent(cell, vocab_size, hidden_size)
        self.readout = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        one_hot = nn.functional.one_hot(ids.clamp(min=0), self.vocab_size).float()  # (B, T, V)
        hiddens, state = self.recurrent(one_hot, state)  # (B, T, H)
        return self.readout(hiddens), state  # (B, T, V)


def masked_cross_entropy(logits, targets):
    """Mean cross-entropy in nats over the positions whose target is not -1."""
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1
    )


def train_char_model(model, inputs, targets, steps, batch_size=64, lr=3e-3, seed=0, clip=1.0,
                     progress=None):
    """Train a :class:`CharModel` with Adam on random mini-batches of names.

    Args:
        inputs, targets: integer arrays (N, L) from ``tasks.name_training_pairs``.
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        The training loss (nats per character) at every step, a list of floats.
    """
    generator = np.random.default_rng(seed)
    inputs = torch.as_tensor(inputs)
    targets = torch.as_tensor(targets)

    def batch_loss(step):
        rows = torch.as_tensor(generator.integers(0, len(inputs), size=batch_size))
        logits, _ = model(inputs[rows])
        return masked_cross_entropy(logits, targets[rows])

    return fit(model, batch_loss, steps, lr=lr, clip=clip, progress=progress)["losses"]


@torch.no_grad()
def evaluate_char_model(model, inputs, targets):
    """Cross-entropy in nats per character on a held-out set."""
    logits, _ = model(torch.as_tensor(inputs))
    return masked_cross_entropy(logits, torch.as_tensor(targets)).item()


@torch.no_grad()
def sample_names(model, vocab, count, seed=0, max_length=20, temperature=1.0):
    """Generate names one character at a time, feeding each sample back in (one-to-many)."""
    generator = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        ids = [vocab.index[END]]
        state = None
        for _ in range(max_length):
            logits, state = model(torch.tensor([[ids[-1]]]), state)
            probs = torch.softmax(logits[0, -1] / temperature, dim=0)
            next_id = torch.multinomial(probs, 1, generator=generator).item()
            if next_id == vocab.index[END]:
                break
            ids.append(next_id)
        names.append(vocab.decode(ids[1:]))
    return names
