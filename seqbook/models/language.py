"""Chapter 1's name generator: a next-character model, its training, perplexity and
sampling; and Chapter 2's look at the gates of the same model with an LSTM, read along a name."""

import math

import numpy as np
import torch
from torch import nn

from seqbook.models.recurrent import make_recurrent
from seqbook.models.training import fit
from seqbook.reference import lstm_forward_trace, lstm_weights_from_torch
from seqbook.tasks.names import END


class CharModel(nn.Module):
    """Next-character model: one-hot input, a recurrent layer, a linear read-out.

    Shapes: ids (B, T) -> logits (B, T, V), batch first.
    """

    def __init__(self, vocab_size, hidden_size, cell="rnn"):
        super().__init__()
        self.init_args = {"vocab_size": vocab_size, "hidden_size": hidden_size, "cell": cell}
        self.vocab_size = vocab_size
        self.recurrent = make_recurrent(cell, vocab_size, hidden_size)
        self.readout = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        one_hot = nn.functional.one_hot(ids.clamp(min=0), self.vocab_size)  # (B, T, V)
        one_hot = one_hot.to(self.readout.weight.dtype)  # float32, or float64 in a check
        hiddens, state = self.recurrent(one_hot, state)  # (B, T, H)
        return self.readout(hiddens), state  # (B, T, V)


def masked_cross_entropy(logits, targets):
    """Mean cross-entropy in nats over the positions whose target is not -1."""
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1
    )


def perplexity(mean_cross_entropy):
    """e to the power of a mean cross-entropy in nats: the number of equally likely symbols
    that would leave the model as unsure. Uniform predictions over V symbols give V.

    Args:
        mean_cross_entropy: nats per symbol, a number >= 0 (a float, or a one-element
            tensor such as :func:`masked_cross_entropy`'s).

    Returns:
        The perplexity, a float >= 1.
    """
    loss = float(mean_cross_entropy)
    if not loss >= 0.0:  # also catches NaN
        raise ValueError(f"perplexity needs a mean cross-entropy >= 0 in nats; got {loss}.")
    return math.exp(loss)


def char_rnn_training_step(model, optimizer, inputs, targets, max_norm):
    """One update of a :class:`CharModel` on one batch: the step every name model trains
    with (Lab 1, exercise 6).

    Forward pass, the mean next-character cross-entropy over the real positions (targets
    of -1 are padding and count for nothing), ``optimizer.zero_grad()``, backward, gradient
    clipping to a global norm of ``max_norm`` (equation 1.11), ``optimizer.step()``.

    Args:
        model: a CharModel, ids (B, T) -> (logits (B, T, V), state).
        optimizer: a torch optimizer over ``model.parameters()``.
        inputs: integer tensor (B, T); ``inputs[:, t]`` is read at step t.
        targets: integer tensor (B, T), the next character of each position (already
            shifted: ``targets[:, t]`` is what follows ``inputs[:, t]``), -1 for padding.
        max_norm: the clipping threshold, a positive float.

    Returns:
        The batch's loss before the update, in nats per character, a Python float.
    """
    logits, _ = model(inputs)  # (B, T, V)
    B, T, V = logits.shape  # batch, time, vocabulary
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(B * T, V), targets.reshape(B * T), ignore_index=-1)  # (1.12)
    optimizer.zero_grad()  # forget the previous batch's gradients
    loss.backward()  # BPTT, equations (1.5) to (1.8)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)  # (1.11)
    optimizer.step()  # each parameter moves, using its .grad
    return loss.item()


def train_char_model(model, inputs, targets, steps, batch_size=64, lr=3e-3, seed=0, clip=1.0,
                     progress=None):
    """Train a :class:`CharModel` with Adam on random mini-batches of names, one
    :func:`char_rnn_training_step` per batch.

    Args:
        inputs, targets: integer arrays (N, L) from ``tasks.name_training_pairs``.
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        The training loss (nats per character) at every step, a list of floats.
    """
    generator = np.random.default_rng(seed)
    inputs = torch.as_tensor(inputs)
    targets = torch.as_tensor(targets)

    def update(step, optimizer):
        rows = torch.as_tensor(generator.integers(0, len(inputs), size=batch_size))
        return char_rnn_training_step(model, optimizer, inputs[rows], targets[rows], clip)

    return fit(model, None, steps, lr=lr, clip=clip, progress=progress,
               update=update)["losses"]


@torch.no_grad()
def evaluate_char_model(model, inputs, targets):
    """Cross-entropy in nats per character on a held-out set."""
    logits, _ = model(torch.as_tensor(inputs))
    return masked_cross_entropy(logits, torch.as_tensor(targets)).item()


def temperature_softmax(logits, temperature):
    """softmax(logits / temperature) over the last axis: the distribution sampling draws
    from. Below 1 it sharpens the model's distribution (towards always taking the likeliest
    symbol), above 1 it flattens it (towards uniform); at 1 it is the model's own.

    Args:
        logits: a tensor (..., V) of scores.
        temperature: a float > 0.
    """
    if not temperature > 0:
        raise ValueError(f"the temperature must be positive; got {temperature}.")
    return torch.softmax(logits / temperature, dim=-1)


@torch.no_grad()
def next_character_distribution(model, vocab, prefix, temperature=1.0):
    """What the name model would draw the character after ``prefix`` from.

    The model reads the start symbol and the prefix, as when it writes a name, and its
    last scores go through :func:`temperature_softmax`.

    Returns:
        A float64 numpy array (V,) of probabilities, in ``vocab``'s order (index
        ``vocab.index[END]`` is the probability that the name ends here).
    """
    ids = torch.tensor([[vocab.index[END]] + vocab.encode(prefix)])  # (1, T)
    logits, _ = model(ids)  # (1, T, V)
    return temperature_softmax(logits[0, -1], temperature).double().numpy()


@torch.no_grad()
def sample_names(model, vocab, count, seed=0, max_length=20, temperature=1.0):
    """Generate names one character at a time, feeding each sample back in (one-to-many),
    each character drawn from :func:`temperature_softmax` of the model's scores."""
    generator = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        ids = [vocab.index[END]]
        state = None
        for _ in range(max_length):
            logits, state = model(torch.tensor([[ids[-1]]]), state)
            probs = temperature_softmax(logits[0, -1], temperature)
            next_id = torch.multinomial(probs, 1, generator=generator).item()
            if next_id == vocab.index[END]:
                break
            ids.append(next_id)
        names.append(vocab.decode(ids[1:]))
    return names


def entropy(probabilities):
    """The entropy -sum p ln p of a distribution, in nats (terms with p = 0 count 0)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return float(-np.sum(p[p > 0] * np.log(p[p > 0])))


# --- Chapter 2: the gates of a character LSTM, read along a name --------------------------

def char_gate_trace(model, vocab, text):
    """Every gate of a trained character LSTM along one text, by the book's numpy cell.

    The text is read as the name model reads it: from zero states, the start symbol
    :data:`~seqbook.tasks.names.END` first, then one one-hot character per step, through
    :func:`seqbook.reference.lstm_forward_trace` with the model's own weights.

    Args:
        model: a :class:`CharModel` whose recurrent layer is a ``torch.nn.LSTM``.
        vocab: the model's :class:`~seqbook.tasks.vocabulary.Vocabulary`.
        text: a string of symbols in ``vocab``, e.g. a name.

    Returns:
        A dict: ``"symbols"``, the start symbol and the text's characters (a list of
        length T = len(text) + 1), and the arrays of ``lstm_forward_trace``, each (T, H):
        ``"input_gate"``, ``"forget_gate"``, ``"candidate"``, ``"output_gate"``,
        ``"cell"`` and ``"hidden"``.
    """
    if not isinstance(model.recurrent, nn.LSTM):
        raise TypeError("char_gate_trace needs a CharModel with cell='lstm'; got "
                        f"{type(model.recurrent).__name__}.")
    ids = [vocab.index[END]] + vocab.encode(text)
    inputs = np.eye(model.vocab_size)[ids][None]  # (1, T, V), one-hot
    zeros = np.zeros((1, model.recurrent.hidden_size))  # (1, H)
    trace = lstm_forward_trace(inputs, zeros, zeros, **lstm_weights_from_torch(model.recurrent))
    return {"symbols": [END, *text], **{name: value[0] for name, value in trace.items()}}


def mean_gates_by_symbol(traces, gates=("input_gate", "forget_gate", "output_gate")):
    """Each unit's gate values averaged over every step that reads a given symbol.

    Args:
        traces: dicts of :func:`char_gate_trace`, e.g. one per held-out name.
        gates: which entries of the traces to average.

    Returns:
        ``(symbols, means)``: the symbols read at least once, sorted (the start symbol
        :data:`~seqbook.tasks.names.END` sorts before the letters), and a dict from each
        gate to an array (len(symbols), H) whose row k is the mean over the steps that read
        ``symbols[k]``.
    """
    read = np.array([symbol for trace in traces for symbol in trace["symbols"]])
    symbols = sorted(set(read.tolist()))
    means = {}
    for gate in gates:
        values = np.concatenate([trace[gate] for trace in traces])  # (steps, H)
        means[gate] = np.stack([values[read == symbol].mean(axis=0) for symbol in symbols])
    return symbols, means
