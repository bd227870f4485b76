"""Truncated backpropagation through time (Chapter 1, section 1.9): a recurrent layer
read in windows of k steps whose state is detached at every window's start, so that the
forward pass still carries the whole sequence but no gradient flows back more than k steps
from the end of the sequence (Williams and Peng, 1990)."""

import torch
from torch import nn


def _detached(state):
    if isinstance(state, tuple):  # an LSTM's (hidden, cell)
        return tuple(part.detach() for part in state)
    return state.detach()


class TruncatedRecurrent(nn.Module):
    """A batch-first recurrent layer under truncated BPTT with a window of ``window`` steps.

    The sequence is cut into windows counted back from its last step (the first window
    takes what is left over), the layer reads them in order, and the state handed from one
    window to the next is detached: the forward pass computes exactly the layer's hidden
    states, but the gradient of anything read from the last window reaches back at most
    ``window`` steps, and the backward pass visits only the windows the loss depends on.

    Shapes: inputs (B, T, D) -> ``(hiddens (B, T, H), state)``, like the wrapped layer, so
    it can stand in for it (e.g. as the ``cell`` of a ``SequenceRegressor``).
    """

    def __init__(self, recurrent, window):
        super().__init__()
        if int(window) < 1:
            raise ValueError(f"the window must be at least one step; got {window}.")
        self.recurrent, self.window = recurrent, int(window)

    def forward(self, inputs, state=None):
        B, T, D = inputs.shape  # batch, time, input size
        first = T % self.window or self.window  # windows end exactly at step T
        bounds = [0, *range(first, T + 1, self.window)]
        hiddens = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            if state is not None:
                state = _detached(state)  # the cut: no gradient into the earlier window
            out, state = self.recurrent(inputs[:, start:end], state)  # (B, end - start, H)
            hiddens.append(out)
        return torch.cat(hiddens, dim=1), state  # (B, T, H)


def input_gradient_norms(recurrent, inputs, seed=0):
    """||d(u . h_T)/dx_{T-k}|| for each lag k, averaged over the batch: how much of the
    last hidden state's gradient reaches each earlier input, exactly 0 where none does.

    Args:
        recurrent: a batch-first torch layer, (B, T, D) -> ``(hiddens, state)``, such as
            ``torch.nn.RNN`` or a :class:`TruncatedRecurrent` around one.
        inputs: a float tensor (B, T, D) in the layer's dtype.
        seed: seeds the unit direction u sent into h_T
            (:func:`seqbook.models.reach.unit_direction`).

    Returns:
        A float64 numpy array (T,), index k = lag (0 is the last step).
    """
    from seqbook.models.reach import unit_direction

    inputs = inputs.detach().clone().requires_grad_(True)
    hiddens, _ = recurrent(inputs)  # (B, T, H)
    direction = unit_direction(hiddens.shape[-1], seed, hiddens.dtype)  # (H,)
    (grad,) = torch.autograd.grad((hiddens[:, -1] @ direction).sum(), inputs)  # (B, T, D)
    return grad.norm(dim=2).flip(dims=[1]).mean(dim=0).double().numpy()  # (T,)


def time_training_steps(length=100, window=10, hidden_size=32, batch=64, repeats=9, seed=0):
    """Seconds per training step on the adding problem, under full and truncated BPTT.

    Two copies of the same tanh :class:`~seqbook.models.regression.SequenceRegressor`, one
    reading through a :class:`TruncatedRecurrent` of ``window`` steps, each take Adam steps
    (forward, backward, clipping at 1, update) on the same batch, timed in turn by
    :func:`seqbook.models.speed.time_in_turn` so that a change in the machine's load slows
    both alike.

    Returns:
        ``{"full": ..., "truncated": ...}``, each ``{"median", "min", "times"}`` in seconds.
    """
    import copy

    import numpy as np

    from seqbook.models.recurrent import make_recurrent
    from seqbook.models.regression import SequenceRegressor
    from seqbook.models.speed import time_in_turn
    from seqbook.tasks.adding import adding_problem

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        full = SequenceRegressor(2, hidden_size, cell=make_recurrent("rnn", 2, hidden_size))
    truncated = copy.deepcopy(full)
    truncated.recurrent = TruncatedRecurrent(truncated.recurrent, window)
    inputs, targets = map(torch.as_tensor, adding_problem(batch, length,
                                                          np.random.default_rng(seed)))

    def step_of(model):
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, foreach=True)

        def step():
            loss = nn.functional.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        return step

    return time_in_turn({"full": step_of(full), "truncated": step_of(truncated)},
                        repeats=repeats)
