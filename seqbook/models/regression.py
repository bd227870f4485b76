"""Many-to-one regression on the adding problem (Chapters 1 to 3): a recurrent layer read
out at its last step, trained on fresh batches and scored on a fixed test batch."""

import numpy as np
import torch
from torch import nn

from seqbook.models.recurrent import make_recurrent, set_forget_bias, set_update_gate_bias
from seqbook.models.training import fit
from seqbook.tasks.adding import adding_problem


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
            self.recurrent = make_recurrent(cell, input_size, hidden_size)
        if forget_bias is not None:
            set_forget_bias(self.recurrent, forget_bias)
        if update_bias is not None:
            set_update_gate_bias(self.recurrent, update_bias)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, inputs):
        hiddens, _ = self.recurrent(inputs)  # (B, T, H)
        return self.readout(hiddens[:, -1]).squeeze(-1)  # (B,)


def train_adding(model, length, steps, batch_size=64, lr=3e-3, clip=1.0, seed=0, eval_every=50,
                 progress=None):
    """Train a :class:`SequenceRegressor` on fresh adding-problem batches.

    Args:
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        A dict: ``"steps"`` and ``"test_mse"`` (the error on a fixed test batch of 1,000
        sequences every ``eval_every`` steps), ``"final_mse"`` and ``"seconds"`` (the time
        spent training, evaluations left out).
    """
    rng = np.random.default_rng(seed)
    test_inputs, test_targets = adding_problem(1000, length, np.random.default_rng(seed + 10_000))
    test_inputs, test_targets = torch.as_tensor(test_inputs), torch.as_tensor(test_targets)

    def batch_loss(step):
        inputs, targets = adding_problem(batch_size, length, rng)
        return nn.functional.mse_loss(model(torch.as_tensor(inputs)), torch.as_tensor(targets))

    def test_error():
        return nn.functional.mse_loss(model(test_inputs), test_targets).item()

    history = fit(model, batch_loss, steps, lr=lr, clip=clip, evaluate=test_error,
                  evaluate_every=eval_every, progress=progress)
    return {"steps": history["steps"], "test_mse": history["evaluations"],
            "final_mse": history["evaluations"][-1], "seconds": history["seconds"]}


def steps_to_reach(history, threshold):
    """The first evaluated step at which a :func:`train_adding` run's test error fell below
    ``threshold``, or ``None`` if it never did. Times ``history["seconds"] / steps`` it
    gives a rough time to solve, to set against a model's cost per step."""
    for step, error in zip(history["steps"], history["test_mse"]):
        if error < threshold:
            return step
    return None
