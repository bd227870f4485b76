"""The gated recurrent unit (GRU) in numpy, in torch's conventions (Chapter 3).

The three blocks are packed in torch's order r, z, n: W_x is (3H, D), W_h is (3H, H), and
the two biases b_x and b_h (torch's ``bias_ih`` and ``bias_hh``) stay separate, because
b_hn sits inside the reset product. Shapes as in :mod:`seqbook.reference.rnn`.
"""

import numpy as np

from seqbook.reference.activations import sigmoid
from seqbook.reference.initial import uniform_weights

GRU_GATE_ORDER = ("reset_gate", "update_gate", "candidate")


def gru_cell_forward(x, hidden_prev, W_x, W_h, b_x, b_h):
    """One step of the GRU as ``torch.nn.GRU`` computes it, equations (3.1) to (3.4).

    Args:
        x: input, shape (B, D).  hidden_prev: h_{t-1}, shape (B, H).
        W_x: (3H, D), W_h: (3H, H), blocks in torch's order r, z, n.
        b_x: (3H,) and b_h: (3H,), torch's ``bias_ih`` and ``bias_hh``. They stay
            separate because b_hn sits inside the reset product.

    Returns:
        The new hidden state h_t, shape (B, H).
    """
    from_input = x @ W_x.T + b_x  # (B, 3H)
    from_hidden = hidden_prev @ W_h.T + b_h  # (B, 3H)
    x_r, x_z, x_n = np.split(from_input, 3, axis=1)  # each (B, H)
    h_r, h_z, h_n = np.split(from_hidden, 3, axis=1)  # each (B, H)
    reset_gate = sigmoid(x_r + h_r)  # (3.1)
    update_gate = sigmoid(x_z + h_z)  # (3.2)
    candidate = np.tanh(x_n + reset_gate * h_n)  # (3.3): reset after the product
    return (1.0 - update_gate) * candidate + update_gate * hidden_prev  # (3.4)


def gru_cell_forward_original(x, hidden_prev, W_x, W_h, b_x, b_h):
    """One step of the GRU with the reset placement of Cho et al. (2014), equation (3.5).

    Identical to :func:`gru_cell_forward` except for the candidate: the reset gate scales
    the old state *before* the matrix product, n_t = tanh(W_xn x + b_xn + W_hn (r * h) +
    b_hn). Same arguments and shapes; torch does not compute this variant.
    """
    H = hidden_prev.shape[1]
    from_input = x @ W_x.T + b_x  # (B, 3H)
    x_r, x_z, x_n = np.split(from_input, 3, axis=1)  # each (B, H)
    W_hr, W_hz, W_hn = np.split(W_h, 3, axis=0)  # each (H, H)
    b_hr, b_hz, b_hn = b_h[:H], b_h[H:2 * H], b_h[2 * H:]  # each (H,)
    reset_gate = sigmoid(x_r + hidden_prev @ W_hr.T + b_hr)  # (3.1)
    update_gate = sigmoid(x_z + hidden_prev @ W_hz.T + b_hz)  # (3.2)
    candidate = np.tanh(x_n + (reset_gate * hidden_prev) @ W_hn.T + b_hn)  # (3.5)
    return (1.0 - update_gate) * candidate + update_gate * hidden_prev  # (3.4)


def gru_gates(x, hidden_prev, W_x, W_h, b_x, b_h):
    """The reset gate, update gate and candidate of one torch-style GRU step.

    Returns:
        ``(reset_gate, update_gate, candidate)``, each (B, H).
    """
    x_r, x_z, x_n = np.split(x @ W_x.T + b_x, 3, axis=1)  # each (B, H)
    h_r, h_z, h_n = np.split(hidden_prev @ W_h.T + b_h, 3, axis=1)  # each (B, H)
    reset_gate = sigmoid(x_r + h_r)  # (3.1)
    update_gate = sigmoid(x_z + h_z)  # (3.2)
    candidate = np.tanh(x_n + reset_gate * h_n)  # (3.3)
    return reset_gate, update_gate, candidate


def gru_forward(xs, hidden0, W_x, W_h, b_x, b_h, cell_forward=gru_cell_forward):
    """Unroll a GRU over a sequence (torch's variant unless ``cell_forward`` says otherwise).

    Args:
        xs: inputs, shape (B, T, D), batch first.  hidden0: h_0, shape (B, H).
        W_x, W_h, b_x, b_h: as in :func:`gru_cell_forward`.
        cell_forward: the step function, e.g. :func:`gru_cell_forward_original`.

    Returns:
        All hidden states h_1 ... h_T, shape (B, T, H).
    """
    B, T, D = xs.shape  # batch, time, input size
    hidden = hidden0  # (B, H)
    hiddens = []
    for t in range(T):
        hidden = cell_forward(xs[:, t], hidden, W_x, W_h, b_x, b_h)  # (B, H)
        hiddens.append(hidden)
    return np.stack(hiddens, axis=1)  # (B, T, H)


def gru_forward_trace(xs, hidden0, W_x, W_h, b_x, b_h):
    """Like :func:`gru_forward`, but keeps every gate, to look inside a trained GRU.

    Returns:
        A dict of arrays, each (B, T, H): ``"reset_gate"``, ``"update_gate"``,
        ``"candidate"`` and ``"hidden"``.
    """
    B, T, D = xs.shape  # batch, time, input size
    hidden = hidden0  # (B, H)
    trace = {name: [] for name in (*GRU_GATE_ORDER, "hidden")}
    for t in range(T):
        reset_gate, update_gate, candidate = gru_gates(xs[:, t], hidden, W_x, W_h, b_x, b_h)
        hidden = (1.0 - update_gate) * candidate + update_gate * hidden  # (3.4)
        for name, value in zip(trace, (reset_gate, update_gate, candidate, hidden)):
            trace[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in trace.items()}


def gru_weights_from_torch(gru):
    """Read W_x, W_h, b_x and b_h out of a one-layer ``torch.nn.GRU`` (or ``GRUCell``).

    torch's ``weight_ih_l0`` is the book's W_x with blocks stacked r, z, n, ``weight_hh_l0``
    is W_h, and its two biases are b_x and b_h. Returns a dict of float64 numpy arrays.
    """
    suffix = "" if hasattr(gru, "weight_ih") else "_l0"
    if suffix and (gru.num_layers != 1 or gru.bidirectional):
        raise ValueError(
            "gru_weights_from_torch reads a one-layer, one-direction torch.nn.GRU; got "
            f"num_layers={gru.num_layers}, bidirectional={gru.bidirectional}."
        )
    H = gru.hidden_size

    def as_numpy(name, shape):
        if not gru.bias and name.startswith("bias"):
            return np.zeros(shape)
        return getattr(gru, name + suffix).detach().numpy().astype(np.float64)

    return {
        "W_x": as_numpy("weight_ih", None),
        "W_h": as_numpy("weight_hh", None),
        "b_x": as_numpy("bias_ih", 3 * H),
        "b_h": as_numpy("bias_hh", 3 * H),
    }


def random_gru_weights(input_size, hidden_size, rng, update_bias=0.0):
    """Random GRU weights in torch's packed shapes, uniform in (-1/sqrt(H), 1/sqrt(H)).

    ``update_bias`` is added to the update gate's block of b_h (the z in r, z, n): a
    positive value starts the GRU keeping its state, like the LSTM's forget-gate bias.

    Returns:
        A dict with ``"W_x"`` (3H, D), ``"W_h"`` (3H, H), ``"b_x"`` (3H,), ``"b_h"`` (3H,).
    """
    H = hidden_size
    weights = uniform_weights(rng, H, {"W_x": (3 * H, input_size), "W_h": (3 * H, H),
                                       "b_x": 3 * H, "b_h": 3 * H})
    weights["b_h"][H:2 * H] += update_bias
    return weights


def gru_parameter_count(input_size, hidden_size):
    """Number of weights in one GRU layer: three blocks of W_x, W_h, b_x and b_h.

    The GRU needs both biases (b_hn sits inside the reset product), so this always equals
    ``sum(p.numel() for p in torch.nn.GRU(D, H).parameters())``.
    """
    return 3 * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)


def parameter_counts(input_size, hidden_size):
    """Parameters of one layer of torch's RNN, GRU and LSTM, both bias vectors counted.

    Each gate or candidate block has an (H, D) input matrix, an (H, H) recurrent matrix and
    torch's two biases bias_ih and bias_hh; the RNN has one block, the GRU three (r, z, n)
    and the LSTM four (i, f, g, o). Each count equals ``sum(p.numel() for p in
    module(D, H).parameters())``.

    Returns:
        A dict ``{"rnn": int, "gru": int, "lstm": int}``.
    """
    D, H = input_size, hidden_size
    one_block = H * D + H * H + 2 * H  # W_x block, W_h block, bias_ih and bias_hh
    return {"rnn": one_block, "gru": 3 * one_block, "lstm": 4 * one_block}


def gru_unit_trajectory(update_gate, reset_gate, input_drive, steps, hidden0=0.8,
                        recurrent_weight=2.0):
    """One GRU unit with its gates held fixed, equations (3.3) and (3.4) in one dimension.

    The candidate is n_t = tanh(input_drive + reset_gate * recurrent_weight * h_{t-1}) and
    the state moves towards it: h_t = (1 - z) n_t + z h_{t-1}.

    Returns:
        ``(hiddens, candidates)``, each of length ``steps + 1`` (h_0 first; the first
        candidate entry is NaN since there is none before step 1).
    """
    hiddens, candidates = [hidden0], [np.nan]
    for _ in range(steps):
        candidate = np.tanh(input_drive + reset_gate * recurrent_weight * hiddens[-1])
        hiddens.append((1.0 - update_gate) * candidate + update_gate * hiddens[-1])
        candidates.append(candidate)
    return np.array(hiddens), np.array(candidates)
