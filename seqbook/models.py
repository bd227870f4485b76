"""Small torch models and training loops that the labs' experiments share."""

import time

import numpy as np
import torch
from torch import nn

from seqbook.data import END, adding_problem


class CharModel(nn.Module):
    """Next-character model: one-hot input, a recurrent layer, a linear read-out.

    Shapes: ids (B, T) -> logits (B, T, V), batch first.
    """

    def __init__(self, vocab_size, hidden_size, cell="rnn"):
        super().__init__()
        self.vocab_size = vocab_size
        recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.recurrent = recurrent(vocab_size, hidden_size, batch_first=True)
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


def train_char_model(model, inputs, targets, steps, batch_size=64, lr=3e-3, seed=0, clip=1.0):
    """Train a :class:`CharModel` with Adam on random mini-batches of names.

    Args:
        inputs, targets: integer arrays (N, L) from ``data.name_training_pairs``.

    Returns:
        The training loss (nats per character) at every step, a list of floats.
    """
    generator = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    inputs = torch.as_tensor(inputs)
    targets = torch.as_tensor(targets)
    losses = []
    for _ in range(steps):
        rows = torch.as_tensor(generator.integers(0, len(inputs), size=batch_size))
        logits, _ = model(inputs[rows])
        loss = masked_cross_entropy(logits, targets[rows])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return losses


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


class SequenceRegressor(nn.Module):
    """Many-to-one regression: read the whole sequence, predict one number from h_T.

    Shapes: inputs (B, T, D) -> predictions (B,).
    """

    def __init__(self, input_size, hidden_size, cell="rnn"):
        super().__init__()
        recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.recurrent = recurrent(input_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, inputs):
        hiddens, _ = self.recurrent(inputs)  # (B, T, H)
        return self.readout(hiddens[:, -1]).squeeze(-1)  # (B,)


def train_adding(model, length, steps, batch_size=64, lr=3e-3, clip=1.0, seed=0, eval_every=50):
    """Train a :class:`SequenceRegressor` on fresh adding-problem batches.

    Returns:
        A dict: ``"steps"`` and ``"test_mse"`` (the error on a fixed test batch of 1,000
        sequences every ``eval_every`` steps), ``"final_mse"`` and ``"seconds"``.
    """
    rng = np.random.default_rng(seed)
    test_inputs, test_targets = adding_problem(1000, length, np.random.default_rng(seed + 10_000))
    test_inputs, test_targets = torch.as_tensor(test_inputs), torch.as_tensor(test_targets)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"steps": [], "test_mse": []}
    start = time.perf_counter()
    for step in range(steps + 1):
        if step % eval_every == 0 or step == steps:
            with torch.no_grad():
                error = nn.functional.mse_loss(model(test_inputs), test_targets).item()
            history["steps"].append(step)
            history["test_mse"].append(error)
        if step == steps:
            break
        inputs, targets = adding_problem(batch_size, length, rng)
        loss = nn.functional.mse_loss(model(torch.as_tensor(inputs)), torch.as_tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
    history["final_mse"] = history["test_mse"][-1]
    history["seconds"] = time.perf_counter() - start
    return history
