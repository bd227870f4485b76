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

    ``cell`` is ``"rnn"``, ``"lstm"`` or ``"gru"`` for torch's modules, or any module that,
    like them, maps ``(B, T, D)`` inputs to ``(hiddens, state)`` with batch-first hiddens,
    such as :class:`LSTMVariant`. With ``forget_bias`` given, an LSTM's forget-gate bias
    starts at exactly that value (see :func:`set_forget_bias`); with ``update_bias`` given,
    a GRU's update-gate bias does (see :func:`set_update_gate_bias`).

    Shapes: inputs (B, T, D) -> predictions (B,).
    """

    def __init__(self, input_size, hidden_size, cell="rnn", forget_bias=None, update_bias=None):
        super().__init__()
        if isinstance(cell, nn.Module):
            self.recurrent = cell
        else:
            recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
            self.recurrent = recurrent(input_size, hidden_size, batch_first=True)
        if forget_bias is not None:
            set_forget_bias(self.recurrent, forget_bias)
        if update_bias is not None:
            set_update_gate_bias(self.recurrent, update_bias)
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


@torch.no_grad()
def set_forget_bias(lstm, value):
    """Make an LSTM's forget-gate bias start at ``value``, for every unit.

    In torch's packed order i, f, g, o the forget gate is the second block of H rows. torch
    adds two biases, so the first gets ``value`` and the second zero.
    """
    H = lstm.hidden_size
    if isinstance(lstm, nn.LSTM):
        lstm.bias_ih_l0[H:2 * H].fill_(value)
        lstm.bias_hh_l0[H:2 * H].fill_(0.0)
    elif isinstance(lstm, LSTMVariant):
        lstm.input_weights.bias[H:2 * H].fill_(value)
    else:
        raise TypeError(f"set_forget_bias needs an LSTM; got {type(lstm).__name__}.")


class LSTMVariant(nn.Module):
    """An LSTM layer written gate by gate, with the switches of Greff et al.'s ablation.

    With every switch at its default this computes exactly what ``torch.nn.LSTM`` computes
    (same packed weights, order i, f, g, o). The switches:

    - ``forget_gate=False``: f_t = 1 always, the 1997 LSTM without a forget gate;
    - ``output_activation=False``: h_t = o_t * c_t, no tanh on the cell;
    - ``coupled=True``: i_t = 1 - f_t, one gate decides both forgetting and writing;
    - ``peepholes=True``: the gates also see the cell, equations (2.8) to (2.10).

    Shapes: inputs (B, T, D) -> ``(hiddens (B, T, H), (hidden, cell))``, like torch's module
    with ``batch_first=True``.
    """

    def __init__(self, input_size, hidden_size, forget_gate=True, output_activation=True,
                 coupled=False, peepholes=False):
        super().__init__()
        self.hidden_size = hidden_size
        self.forget_gate, self.output_activation = forget_gate, output_activation
        self.coupled, self.peepholes = coupled, peepholes
        self.input_weights = nn.Linear(input_size, 4 * hidden_size)  # W_x and b
        self.hidden_weights = nn.Linear(hidden_size, 4 * hidden_size, bias=False)  # W_h
        if peepholes:
            self.peep_i = nn.Parameter(torch.zeros(hidden_size))
            self.peep_f = nn.Parameter(torch.zeros(hidden_size))
            self.peep_o = nn.Parameter(torch.zeros(hidden_size))

    @torch.no_grad()
    def copy_from(self, lstm):
        """Take the weights of a one-layer ``torch.nn.LSTM`` (its two biases summed), so a
        variant starts from exactly the same initial weights as the plain LSTM."""
        self.input_weights.weight.copy_(lstm.weight_ih_l0)
        self.input_weights.bias.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)
        self.hidden_weights.weight.copy_(lstm.weight_hh_l0)
        return self

    def forward(self, inputs):
        B, T, D = inputs.shape  # batch, time, input size
        hidden = inputs.new_zeros(B, self.hidden_size)  # (B, H)
        cell = inputs.new_zeros(B, self.hidden_size)  # (B, H)
        projected = self.input_weights(inputs)  # (B, T, 4H): W_x x_t + b for every t at once
        hiddens = []
        for t in range(T):
            pre = projected[:, t] + self.hidden_weights(hidden)  # (B, 4H)
            i_pre, f_pre, g_pre, o_pre = pre.chunk(4, dim=1)  # each (B, H)
            if self.peepholes:
                i_pre = i_pre + self.peep_i * cell
                f_pre = f_pre + self.peep_f * cell
            forget_gate = torch.sigmoid(f_pre) if self.forget_gate else torch.ones_like(f_pre)
            input_gate = 1.0 - forget_gate if self.coupled else torch.sigmoid(i_pre)
            cell = forget_gate * cell + input_gate * torch.tanh(g_pre)  # (2.5)
            if self.peepholes:
                o_pre = o_pre + self.peep_o * cell
            squashed = torch.tanh(cell) if self.output_activation else cell
            hidden = torch.sigmoid(o_pre) * squashed  # (2.6)
            hiddens.append(hidden)
        return torch.stack(hiddens, dim=1), (hidden, cell)


@torch.no_grad()
def set_update_gate_bias(gru, value):
    """Make a GRU's update-gate bias start at ``value``, for every unit.

    In torch's packed order r, z, n the update gate is the second block of H rows. torch
    adds two biases, so the first gets ``value`` and the second zero. In torch's convention
    h_t = (1 - z) n_t + z h_{t-1}, so a positive value keeps more of the old state, the role
    the forget-gate bias plays in the LSTM.
    """
    if not isinstance(gru, nn.GRU):
        raise TypeError(f"set_update_gate_bias needs a torch.nn.GRU; got {type(gru).__name__}.")
    H = gru.hidden_size
    gru.bias_ih_l0[H:2 * H].fill_(value)
    gru.bias_hh_l0[H:2 * H].fill_(0.0)


def steps_to_reach(history, threshold):
    """The first evaluated step at which a :func:`train_adding` run's test error fell below
    ``threshold``, or ``None`` if it never did. Times ``history["seconds"] / steps`` it
    gives a rough time to solve, to set against a model's cost per step."""
    for step, error in zip(history["steps"], history["test_mse"]):
        if error < threshold:
            return step
    return None
