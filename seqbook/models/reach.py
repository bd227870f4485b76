"""How far back a torch model's gradient reaches: the gradient of its last hidden state
with respect to each earlier input, measured with autograd (Chapter 2, section 2.5)."""

import numpy as np
import torch

from seqbook.models.recurrent import make_recurrent, set_forget_bias
from seqbook.tasks.adding import adding_problem


def input_gradient_by_lag(recurrent, inputs, seed=0):
    """How strongly the last hidden state h_T depends on the input k steps before it.

    Sends a fixed random unit direction u into h_T, computes d(u . h_T)/dx_t for every t
    with torch's autograd, and measures each gradient's norm.

    Args:
        recurrent: a torch module mapping (B, T, D) inputs to ``(hiddens, state)``, batch
            first, like ``torch.nn.RNN(..., batch_first=True)`` or ``torch.nn.LSTM``.
        inputs: a float tensor of shape (B, T, D), in the module's dtype.
        seed: seeds the direction u.

    Returns:
        A numpy array of shape (T,): at index k, ||d(u . h_T)/dx_{T-k}|| divided by the
        same norm at k = 0 (geometric mean over the batch).
    """
    inputs = inputs.detach().clone().requires_grad_(True)
    hiddens, _ = recurrent(inputs)  # (B, T, H)
    direction = unit_direction(hiddens.shape[-1], seed, hiddens.dtype)  # (H,)
    (grad,) = torch.autograd.grad((hiddens[:, -1] @ direction).sum(), inputs)  # (B, T, D)
    norms = grad.norm(dim=2).flip(dims=[1]).detach().numpy()  # (B, T), index = lag
    log_mean = np.log(np.maximum(norms, 1e-300)).mean(axis=0)  # (T,)
    return np.exp(log_mean - log_mean[0])


def unit_direction(size, seed, dtype=torch.float64):
    """The fixed random unit vector u of :func:`input_gradient_by_lag`, shape (size,)."""
    direction = torch.randn(size, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    return direction / direction.norm()


def fresh_recurrent(cell, hidden_size=32, forget_bias=None, seed=0):
    """A float64 torch ``nn.RNN`` (tanh) or ``nn.LSTM`` reading two features, with torch's
    default initialisation seeded by ``seed`` without touching the global random state;
    ``forget_bias`` sets an LSTM's forget-gate bias (see
    :func:`seqbook.models.recurrent.set_forget_bias`)."""
    if cell not in ("rnn", "lstm"):
        raise ValueError(f"cell must be 'rnn' or 'lstm'; got {cell!r}.")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = make_recurrent(cell, 2, hidden_size).double()
    if forget_bias is not None:
        set_forget_bias(module, forget_bias)
    return module


def reach_inputs(batch=16, length=100, seed=0):
    """The adding-problem sequences :func:`gradient_reach` reads: float64, (batch, length, 2)."""
    inputs, _ = adding_problem(batch, length, np.random.default_rng(seed))
    return torch.as_tensor(inputs, dtype=torch.float64)


def gradient_reach(cell, length=100, hidden_size=32, forget_bias=None, batch=16, seed=0):
    """:func:`input_gradient_by_lag` for a freshly initialised torch RNN or LSTM.

    The module is torch's ``nn.RNN`` (tanh) or ``nn.LSTM`` with torch's default
    initialisation, seeded by ``seed`` without touching the global random state, reading
    adding-problem sequences of ``length`` steps. ``forget_bias`` sets an LSTM's
    forget-gate bias (see :func:`seqbook.models.recurrent.set_forget_bias`).

    Returns:
        The ratio for lags k = 0 ... length - 1, shape (length,).
    """
    module = fresh_recurrent(cell, hidden_size, forget_bias, seed)
    return input_gradient_by_lag(module, reach_inputs(batch, length, seed), seed)
