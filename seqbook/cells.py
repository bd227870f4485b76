"""Reference recurrent cells in numpy, in the book's notation.

Conventions (see the notation page, ``book/notation.md``):

- a batch is stored row by row: ``x`` has shape ``(B, D)``, ``hidden`` has shape ``(B, H)``;
- weights have the shape torch gives them, ``(out, in)``: ``W_xh`` is ``(H, D)``,
  ``W_hh`` is ``(H, H)``, so the column-vector equation ``W_xh x`` becomes ``x @ W_xh.T``;
- sequences are batch-first: ``xs`` has shape ``(B, T, D)``.

These are the reference implementations the labs fall back on, so that every lab runs
even before a student has written a single exercise. Chapter 1, equation (1.1).
"""

import numpy as np


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
    bound = 1.0 / np.sqrt(hidden_size)
    weights = {
        "W_xh": rng.uniform(-bound, bound, size=(hidden_size, input_size)),
        "W_hh": rng.uniform(-bound, bound, size=(hidden_size, hidden_size)),
        "b_h": rng.uniform(-bound, bound, size=hidden_size),
    }
    if scale is not None:
        weights["W_hh"] = scale * random_orthogonal(hidden_size, rng)
    return weights


def random_orthogonal(size, rng):
    """A random orthogonal matrix, shape (size, size), from the QR of a Gaussian matrix."""
    gaussian = rng.standard_normal((size, size))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))  # fix the signs so the draw is uniform


# ---------------------------------------------------------------------------------------
# Chapter 2: the LSTM. The four blocks are packed in torch's order i, f, g, o:
# W_x is (4H, D) = [W_xi; W_xf; W_xg; W_xo], W_h is (4H, H), b is (4H,).
# ---------------------------------------------------------------------------------------

LSTM_GATE_ORDER = ("input_gate", "forget_gate", "candidate", "output_gate")


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), with values in (0, 1), computed stably."""
    a = np.asarray(a, dtype=np.float64)
    exp_neg_abs = np.exp(-np.abs(a))  # never overflows
    return np.where(a >= 0, 1.0 / (1.0 + exp_neg_abs), exp_neg_abs / (1.0 + exp_neg_abs))


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
    input_gate, forget_gate, candidate, output_gate = lstm_gates(x, hidden_prev, W_x, W_h, b)
    cell = forget_gate * cell_prev + input_gate * candidate  # (B, H), equation (2.5)
    hidden = output_gate * np.tanh(cell)  # (B, H), equation (2.6)
    return hidden, cell


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
    equations (2.8) to (2.10).

    Args:
        x, hidden_prev, cell_prev, W_x, W_h, b: as in :func:`lstm_cell_forward`.
        peep_i, peep_f, peep_o: peephole weights, each of shape (H,).

    Returns:
        ``(hidden, cell)``, each (B, H).
    """
    pre_activation = x @ W_x.T + hidden_prev @ W_h.T + b  # (B, 4H)
    i_pre, f_pre, g_pre, o_pre = np.split(pre_activation, 4, axis=1)  # each (B, H)
    input_gate = sigmoid(i_pre + peep_i * cell_prev)  # (2.8)
    forget_gate = sigmoid(f_pre + peep_f * cell_prev)  # (2.9)
    candidate = np.tanh(g_pre)
    cell = forget_gate * cell_prev + input_gate * candidate  # (2.5)
    output_gate = sigmoid(o_pre + peep_o * cell)  # (2.10): the new cell
    hidden = output_gate * np.tanh(cell)  # (2.6)
    return hidden, cell


def cell_after_steps(cell0, forget_gate, input_gate, candidate, steps):
    """The cell state after ``steps`` steps with the gates held at fixed values.

    Applies equation (2.5), c_t = f c_{t-1} + i g, ``steps`` times. Works element-wise on
    numbers or arrays of one shape. With f = 1 and i = 0 the cell never changes.
    """
    cell = np.asarray(cell0, dtype=np.float64)
    for _ in range(steps):
        cell = forget_gate * cell + input_gate * candidate
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
    bound = 1.0 / np.sqrt(hidden_size)
    H = hidden_size
    weights = {
        "W_x": rng.uniform(-bound, bound, size=(4 * H, input_size)),
        "W_h": rng.uniform(-bound, bound, size=(4 * H, H)),
        "b": rng.uniform(-bound, bound, size=4 * H),
    }
    weights["b"][H:2 * H] += forget_bias
    return weights


def lstm_parameter_count(input_size, hidden_size, torch_biases=False):
    """Number of weights in one LSTM layer: four blocks of W_x (H x D), W_h (H x H), b (H).

    torch keeps two bias vectors per block; ``torch_biases=True`` counts both, which is
    what ``sum(p.numel() for p in torch.nn.LSTM(D, H).parameters())`` gives.
    """
    biases = 2 if torch_biases else 1
    return 4 * (hidden_size * input_size + hidden_size * hidden_size + biases * hidden_size)


# ---------------------------------------------------------------------------------------
# Chapter 3: the gated recurrent unit (GRU), in torch's conventions
# ---------------------------------------------------------------------------------------

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
    bound = 1.0 / np.sqrt(hidden_size)
    H = hidden_size
    weights = {
        "W_x": rng.uniform(-bound, bound, size=(3 * H, input_size)),
        "W_h": rng.uniform(-bound, bound, size=(3 * H, H)),
        "b_x": rng.uniform(-bound, bound, size=3 * H),
        "b_h": rng.uniform(-bound, bound, size=3 * H),
    }
    weights["b_h"][H:2 * H] += update_bias
    return weights


def rnn_parameter_count(input_size, hidden_size, torch_biases=False):
    """Number of weights in one tanh RNN layer: W_xh (H x D), W_hh (H x H) and b_h (H)."""
    biases = 2 if torch_biases else 1
    return hidden_size * input_size + hidden_size * hidden_size + biases * hidden_size


def gru_parameter_count(input_size, hidden_size):
    """Number of weights in one GRU layer: three blocks of W_x, W_h, b_x and b_h.

    The GRU needs both biases (b_hn sits inside the reset product), so this always equals
    ``sum(p.numel() for p in torch.nn.GRU(D, H).parameters())``.
    """
    return 3 * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)
