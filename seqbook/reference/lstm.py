"""The LSTM in numpy, in the book's notation (Chapter 2).

The four blocks are packed in torch's order i, f, g, o: W_x is (4H, D) =
[W_xi; W_xf; W_xg; W_xo], W_h is (4H, H), b is (4H,). Shapes as in :mod:`seqbook.reference.rnn`.
"""

import numpy as np

from seqbook.reference.activations import sigmoid
from seqbook.reference.initial import uniform_weights

LSTM_GATE_ORDER = ("input_gate", "forget_gate", "candidate", "output_gate")


def lstm_gates(x, hidden_prev, W_x, W_h, b):
    """The four gate layers of the LSTM, equations (2.1) to (2.4).

    Args:
        x: input, shape (B, D).  hidden_prev: h_{t-1}, shape (B, H).
        W_x: (4H, D), W_h: (4H, H), b: (4H,), blocks in torch's order i, f, g, o.

    Returns:
        ``(input_gate, forget_gate, candidate, output_gate)``, each (B, H): three sigmoid
        gates in (0, 1) and the tanh candidate in (-1, 1).
    """
    pre_activation = x @ W_x.T + hidden_prev @ W_h.T + b  # (B, 4H)
    i_pre, f_pre, g_pre, o_pre = np.split(pre_activation, 4, axis=1)  # each (B, H)
    input_gate = sigmoid(i_pre)  # (2.1)
    forget_gate = sigmoid(f_pre)  # (2.2)
    candidate = np.tanh(g_pre)  # (2.3)
    output_gate = sigmoid(o_pre)  # (2.4)
    return input_gate, forget_gate, candidate, output_gate


def lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b):
    """One step of the LSTM, equations (2.1) to (2.6).

    Args:
        x: input, shape (B, D).
        hidden_prev: h_{t-1}, shape (B, H).  cell_prev: c_{t-1}, shape (B, H).
        W_x: (4H, D), W_h: (4H, H), b: (4H,), blocks in torch's order i, f, g, o.

    Returns:
        ``(hidden, cell)``: h_t and c_t, each of shape (B, H).
    """
    pre_activation = x @ W_x.T + hidden_prev @ W_h.T + b  # (B, 4H)
    i_pre, f_pre, g_pre, o_pre = np.split(pre_activation, 4, axis=1)  # each (B, H)
    input_gate = sigmoid(i_pre)  # (2.1)
    forget_gate = sigmoid(f_pre)  # (2.2)
    candidate = np.tanh(g_pre)  # (2.3)
    output_gate = sigmoid(o_pre)  # (2.4)
    cell = forget_gate * cell_prev + input_gate * candidate  # (2.5)
    hidden = output_gate * np.tanh(cell)  # (2.6)
    return hidden, cell


def lstm_cell_backward(d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b):
    """Backward pass of one LSTM step, equations (2.8) to (2.12).

    The step's gates are recomputed from its inputs with :func:`lstm_gates`, as a
    backward pass that does not store them would.

    Args:
        d_hidden: dL/dh_t, shape (B, H): everything that reaches h_t, from the output at t
            and from step t + 1.
        d_cell: the gradient reaching c_t from step t + 1 along the cell state, shape
            (B, H); zero at the last step.
        x, hidden_prev, cell_prev, W_x, W_h, b: the step's inputs, as in
            :func:`lstm_cell_forward` (blocks in torch's order i, f, g, o).

    Returns:
        A dict of gradients, each shaped like what it is the gradient for: ``"x"`` (B, D),
        ``"hidden_prev"`` (B, H), ``"cell_prev"`` (B, H), ``"W_x"`` (4H, D), ``"W_h"``
        (4H, H), ``"b"`` (4H,). Weight gradients are summed over the batch.
    """
    input_gate, forget_gate, candidate, output_gate = lstm_gates(x, hidden_prev, W_x, W_h, b)
    cell = forget_gate * cell_prev + input_gate * candidate  # (B, H), (2.5)
    tanh_cell = np.tanh(cell)  # (B, H)
    d_output_gate = d_hidden * tanh_cell  # (B, H), (2.8)
    d_cell_total = d_cell + d_hidden * output_gate * (1 - tanh_cell**2)  # (B, H), (2.9)
    d_pre = np.concatenate([  # (2.10) and (2.11): through the gates' derivatives
        d_cell_total * candidate * input_gate * (1 - input_gate),  # sigmoid' = s (1 - s)
        d_cell_total * cell_prev * forget_gate * (1 - forget_gate),
        d_cell_total * input_gate * (1 - candidate**2),  # tanh' = 1 - tanh^2
        d_output_gate * output_gate * (1 - output_gate),
    ], axis=1)  # (B, 4H), blocks i, f, g, o
    return {
        "x": d_pre @ W_x,  # (B, D), (2.12)
        "hidden_prev": d_pre @ W_h,  # (B, H), (2.12)
        "cell_prev": d_cell_total * forget_gate,  # (B, H), (2.10): the belt, (2.7)
        "W_x": d_pre.T @ x,  # (4H, D), (2.12)
        "W_h": d_pre.T @ hidden_prev,  # (4H, H), (2.12)
        "b": d_pre.sum(axis=0),  # (4H,), (2.12)
    }


def lstm_forward(xs, hidden0, cell0, W_x, W_h, b):
    """Unroll the LSTM over a sequence, carrying both h and c from step to step.

    Args:
        xs: inputs, shape (B, T, D), batch first.
        hidden0, cell0: initial states h_0 and c_0, each (B, H).
        W_x, W_h, b: as in :func:`lstm_cell_forward`.

    Returns:
        ``(hiddens, cells)``: all h_t and all c_t for t = 1 ... T, each (B, T, H).
    """
    B, T, D = xs.shape  # batch, time, input size
    hidden, cell = hidden0, cell0  # (B, H) each
    hiddens, cells = [], []
    for t in range(T):
        hidden, cell = lstm_cell_forward(xs[:, t], hidden, cell, W_x, W_h, b)
        hiddens.append(hidden)
        cells.append(cell)
    return np.stack(hiddens, axis=1), np.stack(cells, axis=1)  # (B, T, H) each


def lstm_forward_trace(xs, hidden0, cell0, W_x, W_h, b):
    """Like :func:`lstm_forward`, but keeps every gate, to look inside a trained LSTM.

    Returns:
        A dict of arrays, each (B, T, H): ``"input_gate"``, ``"forget_gate"``,
        ``"candidate"``, ``"output_gate"``, ``"cell"`` and ``"hidden"``.
    """
    B, T, D = xs.shape  # batch, time, input size
    hidden, cell = hidden0, cell0  # (B, H) each
    trace = {name: [] for name in (*LSTM_GATE_ORDER, "cell", "hidden")}
    for t in range(T):
        input_gate, forget_gate, candidate, output_gate = lstm_gates(xs[:, t], hidden,
                                                                     W_x, W_h, b)
        cell = forget_gate * cell + input_gate * candidate  # (2.5)
        hidden = output_gate * np.tanh(cell)  # (2.6)
        for name, value in zip(trace, (input_gate, forget_gate, candidate, output_gate,
                                       cell, hidden)):
            trace[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in trace.items()}


def peephole_lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b,
                               peep_i, peep_f, peep_o):
    """One step of the LSTM with peephole connections (Gers and Schmidhuber, 2000).

    The input and forget gates also see the old cell c_{t-1}; the output gate sees the new
    cell c_t. Peephole weights are vectors (diagonal matrices), multiplied element-wise,
    equations (2.13) to (2.15).

    Args:
        x, hidden_prev, cell_prev, W_x, W_h, b: as in :func:`lstm_cell_forward`.
        peep_i, peep_f, peep_o: peephole weights, each of shape (H,).

    Returns:
        ``(hidden, cell)``, each (B, H).
    """
    pre_activation = x @ W_x.T + hidden_prev @ W_h.T + b  # (B, 4H)
    i_pre, f_pre, g_pre, o_pre = np.split(pre_activation, 4, axis=1)  # each (B, H)
    input_gate = sigmoid(i_pre + peep_i * cell_prev)  # (2.13)
    forget_gate = sigmoid(f_pre + peep_f * cell_prev)  # (2.14)
    candidate = np.tanh(g_pre)  # (2.3)
    cell = forget_gate * cell_prev + input_gate * candidate  # (2.5)
    output_gate = sigmoid(o_pre + peep_o * cell)  # (2.15): the new cell
    hidden = output_gate * np.tanh(cell)  # (2.6)
    return hidden, cell


def cell_after_steps(cell0, forget_gate, input_gate, candidate, steps):
    """The cell state after ``steps`` steps with the gates held at fixed values.

    Applies equation (2.5), c_t = f c_{t-1} + i g, ``steps`` times. Works element-wise on
    numbers or arrays of one shape. With f = 1 and i = 0 the cell never changes.
    """
    cell = np.asarray(cell0, dtype=float)
    for _ in range(steps):
        cell = forget_gate * cell + input_gate * candidate  # (2.5) with fixed gates
    return cell


def lstm_weights_from_torch(lstm):
    """Read W_x, W_h and b out of a one-layer ``torch.nn.LSTM`` (or ``LSTMCell``).

    torch's ``weight_ih_l0`` is already the book's W_x with its blocks stacked in the order
    i, f, g, o, and ``weight_hh_l0`` is W_h; the book's single bias is the sum of torch's
    two. Returns a dict of float64 numpy arrays ``"W_x"``, ``"W_h"``, ``"b"``.
    """
    suffix = "" if hasattr(lstm, "weight_ih") else "_l0"
    if suffix and (lstm.num_layers != 1 or lstm.bidirectional or lstm.proj_size):
        raise ValueError(
            "lstm_weights_from_torch reads a one-layer, one-direction torch.nn.LSTM without "
            f"projections; got num_layers={lstm.num_layers}, "
            f"bidirectional={lstm.bidirectional}, proj_size={lstm.proj_size}."
        )
    weight_ih = getattr(lstm, "weight_ih" + suffix)
    weight_hh = getattr(lstm, "weight_hh" + suffix)
    weights = {
        "W_x": weight_ih.detach().numpy().astype(np.float64),
        "W_h": weight_hh.detach().numpy().astype(np.float64),
    }
    if lstm.bias:
        bias = getattr(lstm, "bias_ih" + suffix) + getattr(lstm, "bias_hh" + suffix)
        weights["b"] = bias.detach().numpy().astype(np.float64)
    else:
        weights["b"] = np.zeros(4 * lstm.hidden_size)
    return weights


def random_lstm_weights(input_size, hidden_size, rng, forget_bias=0.0):
    """Random LSTM weights in the book's packed shapes, uniform in (-1/sqrt(H), 1/sqrt(H)).

    ``forget_bias`` is added to the forget gate's block of b, the f in i, f, g, o.

    Returns:
        A dict with ``"W_x"`` (4H, D), ``"W_h"`` (4H, H), ``"b"`` (4H,).
    """
    H = hidden_size
    weights = uniform_weights(rng, H, {"W_x": (4 * H, input_size), "W_h": (4 * H, H),
                                       "b": 4 * H})
    weights["b"][H:2 * H] += forget_bias
    return weights


def lstm_parameter_count(input_size, hidden_size, torch_biases=False):
    """Number of weights in one LSTM layer: four blocks of W_x (H x D), W_h (H x H), b (H).

    torch keeps two bias vectors per block; ``torch_biases=True`` counts both, which is
    what ``sum(p.numel() for p in torch.nn.LSTM(D, H).parameters())`` gives.
    """
    biases = 2 if torch_biases else 1
    return 4 * (hidden_size * input_size + hidden_size * hidden_size + biases * hidden_size)
