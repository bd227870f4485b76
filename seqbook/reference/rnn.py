"""The tanh RNN in numpy, in the book's notation (Chapter 1).

Conventions (see the notation page, ``book/notation.md``):

- a batch is stored row by row: ``x`` has shape ``(B, D)``, ``hidden`` has shape ``(B, H)``;
- weights have the shape torch gives them, ``(out, in)``: ``W_xh`` is ``(H, D)``,
  ``W_hh`` is ``(H, H)``, so the column-vector equation ``W_xh x`` becomes ``x @ W_xh.T``;
- sequences are batch-first: ``xs`` has shape ``(B, T, D)``.

These are the canonical answers to the exercises and the implementations the labs fall
back on, so that every lab runs before a student has written a single exercise.
"""

import numpy as np

from seqbook.reference.initial import uniform_weights


def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):
    """One step of the tanh RNN, equation (1.1): h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).

    Args:
        x: input at this step, shape (B, D).
        hidden_prev: previous hidden state h_{t-1}, shape (B, H).
        W_xh: input-to-hidden weights, shape (H, D).
        W_hh: hidden-to-hidden weights, shape (H, H).
        b_h: bias, shape (H,).

    Returns:
        The new hidden state h_t, shape (B, H).
    """
    pre_activation = x @ W_xh.T + hidden_prev @ W_hh.T + b_h  # (B, H)
    return np.tanh(pre_activation)  # (B, H)


def rnn_forward(xs, hidden0, W_xh, W_hh, b_h):
    """Unroll the tanh RNN over a whole sequence, equation (1.2).

    Args:
        xs: inputs, shape (B, T, D), batch first.
        hidden0: initial hidden state h_0, shape (B, H).
        W_xh, W_hh, b_h: as in :func:`rnn_cell_forward`.

    Returns:
        All hidden states h_1 ... h_T stacked, shape (B, T, H). The last one,
        ``hiddens[:, -1]``, is the summary of the whole sequence.
    """
    B, T, D = xs.shape  # batch, time, input size
    hidden = hidden0  # (B, H)
    hiddens = []
    for t in range(T):
        hidden = rnn_cell_forward(xs[:, t], hidden, W_xh, W_hh, b_h)  # (B, H)
        hiddens.append(hidden)
    return np.stack(hiddens, axis=1)  # (B, T, H)


def rnn_cell_backward(d_hidden, x, hidden_prev, hidden, W_xh, W_hh):
    """Backward pass of one RNN step, equations (1.5) to (1.8).

    Args:
        d_hidden: gradient of the loss with respect to this step's output h_t, shape
            (B, H): everything that reaches h_t, from the output at t and from step t + 1.
        x: the step's input, shape (B, D).
        hidden_prev: h_{t-1}, shape (B, H).
        hidden: h_t as computed by the forward pass, shape (B, H).
        W_xh: shape (H, D).  W_hh: shape (H, H).

    Returns:
        A dict of gradients, each shaped like what it is the gradient for:
        ``"x"`` (B, D), ``"hidden_prev"`` (B, H), ``"W_xh"`` (H, D), ``"W_hh"`` (H, H),
        ``"b_h"`` (H,). Weight gradients are summed over the batch.
    """
    d_pre = d_hidden * (1.0 - hidden**2)  # (B, H): tanh'(a) = 1 - tanh(a)^2
    return {
        "x": d_pre @ W_xh,  # (B, D)
        "hidden_prev": d_pre @ W_hh,  # (B, H)
        "W_xh": d_pre.T @ x,  # (H, D)
        "W_hh": d_pre.T @ hidden_prev,  # (H, H)
        "b_h": d_pre.sum(axis=0),  # (H,)
    }


def rnn_weights_from_torch(rnn):
    """Read W_xh, W_hh and b_h out of a one-layer ``torch.nn.RNN``.

    torch keeps two biases, ``bias_ih_l0`` and ``bias_hh_l0``, that are always added
    together, so the book's single bias is their sum. The weight matrices have the
    book's shapes already, ``(out, in)``, so they are copied unchanged.

    Returns:
        A dict with numpy arrays ``"W_xh"`` (H, D), ``"W_hh"`` (H, H) and ``"b_h"`` (H,).
    """
    if rnn.num_layers != 1 or rnn.bidirectional or rnn.nonlinearity != "tanh":
        raise ValueError(
            "rnn_weights_from_torch reads a one-layer, one-direction tanh torch.nn.RNN; got "
            f"num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
            f"nonlinearity={rnn.nonlinearity!r}."
        )
    weights = {
        "W_xh": rnn.weight_ih_l0.detach().numpy().astype(np.float64),
        "W_hh": rnn.weight_hh_l0.detach().numpy().astype(np.float64),
    }
    if rnn.bias:
        bias = rnn.bias_ih_l0 + rnn.bias_hh_l0
        weights["b_h"] = bias.detach().numpy().astype(np.float64)
    else:
        weights["b_h"] = np.zeros(rnn.hidden_size)
    return weights


def random_rnn_weights(input_size, hidden_size, rng, scale=None):
    """Random RNN weights in the book's shapes, drawn as torch would draw them.

    Each entry is uniform in (-1/sqrt(H), 1/sqrt(H)), torch's default. With ``scale``
    given, W_hh is instead ``scale`` times a random orthogonal matrix, so that every
    singular value of W_hh equals ``scale``: the knob of the vanishing-gradient demos.

    Returns:
        A dict with ``"W_xh"`` (H, D), ``"W_hh"`` (H, H), ``"b_h"`` (H,).
    """
    H = hidden_size
    weights = uniform_weights(rng, H, {"W_xh": (H, input_size), "W_hh": (H, H), "b_h": H})
    if scale is not None:
        weights["W_hh"] = scale * random_orthogonal(hidden_size, rng)
    return weights


def random_orthogonal(size, rng):
    """A random orthogonal matrix, shape (size, size), from the QR of a Gaussian matrix."""
    gaussian = rng.standard_normal((size, size))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))  # fix the signs so the draw is uniform


def rnn_parameter_count(input_size, hidden_size, torch_biases=False):
    """Number of weights in one tanh RNN layer: W_xh (H x D), W_hh (H x H) and b_h (H)."""
    biases = 2 if torch_biases else 1
    return hidden_size * input_size + hidden_size * hidden_size + biases * hidden_size


def repeated_multiply(factor, steps, squash, start=0.5):
    """The values v_0 ... v_steps of v_k = factor * v_{k-1}, or tanh of it when ``squash``
    (section 1.3: why the RNN squashes its state)."""
    values = [start]
    for _ in range(steps):
        value = factor * values[-1]
        values.append(float(np.tanh(value)) if squash else value)
    return np.array(values)
