"""Stacked (deep) and bidirectional tanh RNNs in numpy, laid out as torch lays them out.

Conventions as in :mod:`seqbook.reference.rnn` (batch first, weights ``(out, in)``), and:

- a bidirectional layer runs one RNN left to right (direction 0, "forward") and another
  right to left (direction 1, "backward"); its output at position t is the two states
  read at t, concatenated: ``[forward h_t ; backward h_t]``, shape (B, T, 2H). The
  backward state at t has read x_T ... x_t, so the output is aligned with the input;
- in a stack of L layers, layer 0 reads the input x (B, T, D) and layer l > 0 reads the
  output of layer l - 1 (B, T, directions * H);
- the weights are a list over layers of a list over directions of dicts
  ``{"W_xh", "W_hh", "b_h"}``: ``layers[l][d]``. Layer 0's W_xh is (H, D), a higher
  layer's is (H, directions * H);
- the initial and final states are (L * directions, B, H), in torch's order: index
  ``l * directions + d``, so layer 0 forward, layer 0 backward, layer 1 forward, ...
  The final state of a forward direction is its h_T, of a backward direction its h_1.

These are torch's ``nn.RNN(num_layers=L, bidirectional=True, batch_first=True)`` layouts:
``output`` is (B, T, directions * H), the top layer's outputs, and ``h_n`` is
(L * directions, B, H); :func:`deep_weights_from_torch` reads its ``weight_ih_l{l}``,
``weight_ih_l{l}_reverse``, ... into ``layers[l][d]``.
"""

import re

import numpy as np

from seqbook.reference.rnn import rnn_forward

TORCH_PARAMETER = re.compile(r"(weight|bias)_(ih|hh)_l(\d+)(_reverse)?")


def reverse_rnn_forward(xs, hidden0, W_xh, W_hh, b_h):
    """The RNN read right to left: x_T first, x_1 last.

    Args:
        xs: inputs, shape (B, T, D).  hidden0: the state before x_T, shape (B, H).
        W_xh, W_hh, b_h: as in :func:`seqbook.reference.rnn.rnn_forward`.

    Returns:
        The states, shape (B, T, H), put back in the input's order: ``hiddens[:, t]`` is
        the state after reading x_T ... x_t, so ``hiddens[:, 0]`` is the final one.
    """
    flipped = rnn_forward(xs[:, ::-1], hidden0, W_xh, W_hh, b_h)  # (B, T, H), x_T first
    return flipped[:, ::-1]  # (B, T, H), flipped back: position t holds the state at x_t


def bidirectional_rnn_forward(xs, hidden0, forward, backward):
    """One bidirectional RNN layer: a forward and a backward RNN over the same inputs.

    Args:
        xs: inputs, shape (B, T, D).
        hidden0: initial states, shape (2, B, H): [forward, backward].
        forward, backward: dicts ``{"W_xh", "W_hh", "b_h"}`` of each direction.

    Returns:
        ``(outputs, finals)``: outputs (B, T, 2H), ``[forward h_t ; backward h_t]`` at each
        t; finals (2, B, H), the forward h_T and the backward h_1.
    """
    forward_hiddens = rnn_forward(xs, hidden0[0], **forward)  # (B, T, H)
    backward_hiddens = reverse_rnn_forward(xs, hidden0[1], **backward)  # (B, T, H)
    outputs = np.concatenate([forward_hiddens, backward_hiddens], axis=2)  # (B, T, 2H)
    finals = np.stack([forward_hiddens[:, -1], backward_hiddens[:, 0]])  # (2, B, H)
    return outputs, finals


def stacked_rnn_forward(xs, hidden0, layers):
    """A stack of L one-direction RNNs: layer l reads the states of layer l - 1.

    Args:
        xs: inputs, shape (B, T, D).
        hidden0: initial states, shape (L, B, H), layer 0 first.
        layers: a list of L dicts ``{"W_xh", "W_hh", "b_h"}``; layer 0's W_xh is (H, D),
            the others' (H, H).

    Returns:
        ``(outputs, finals)``: outputs (B, T, H), the top layer's states; finals
        (L, B, H), each layer's h_T.
    """
    if len(hidden0) != len(layers):
        raise ValueError(f"hidden0 should hold one state per layer, {len(layers)}; it holds "
                         f"{len(hidden0)}.")
    inputs = xs  # (B, T, D) for layer 0
    finals = []
    for layer, weights in enumerate(layers):
        inputs = rnn_forward(inputs, hidden0[layer], **weights)  # (B, T, H)
        finals.append(inputs[:, -1])  # (B, H)
    return inputs, np.stack(finals)  # (B, T, H), (L, B, H)


def deep_rnn_forward(xs, hidden0, layers):
    """L stacked layers of one or two directions each: torch's ``nn.RNN`` in full.

    Args:
        xs: inputs, shape (B, T, D).
        hidden0: initial states, shape (L * directions, B, H), in torch's order
            (index ``l * directions + d``).
        layers: ``layers[l][d]``, a list of L lists of 1 or 2 dicts
            ``{"W_xh", "W_hh", "b_h"}``: [forward] or [forward, backward].

    Returns:
        ``(outputs, finals)``: outputs (B, T, directions * H), the top layer's;
        finals (L * directions, B, H), in the order of ``hidden0``.
    """
    directions = len(layers[0]) if layers else 0
    if directions not in (1, 2) or any(len(layer) != directions for layer in layers):
        raise ValueError("deep_rnn_forward needs every layer to have the same 1 or 2 "
                         f"directions; got {[len(layer) for layer in layers]} per layer.")
    if len(hidden0) != len(layers) * directions:
        raise ValueError(f"hidden0 should hold L * directions = {len(layers) * directions} "
                         f"states (one per layer and direction); it holds {len(hidden0)}.")
    inputs = xs  # (B, T, D) for layer 0
    finals = []
    for layer, weights in enumerate(layers):
        check_layer_input(layer, weights, inputs)
        states = hidden0[layer * directions:(layer + 1) * directions]  # (directions, B, H)
        if directions == 2:
            inputs, layer_finals = bidirectional_rnn_forward(inputs, states, *weights)
        else:
            inputs, layer_finals = stacked_rnn_forward(inputs, states, weights)
        finals.append(layer_finals)  # (directions, B, H)
    return inputs, np.concatenate(finals)  # (B, T, directions * H), (L * directions, B, H)


def check_layer_input(layer, weights, inputs):
    """A clear error when layer ``layer``'s W_xh does not read the size of its ``inputs``
    (B, T, size): layer 0 reads D, a higher layer the directions * H of the one below."""
    for direction, one_direction in enumerate(weights):
        reads = one_direction["W_xh"].shape[1]
        if reads != inputs.shape[2]:
            raise ValueError(
                f"layer {layer}, direction {direction}: W_xh reads inputs of size {reads}, "
                f"but this layer is given inputs of size {inputs.shape[2]} (layer 0 reads "
                "the input's D, a higher layer the directions * H outputs of the one below).")


def deep_weights_from_torch(module):
    """Read every layer and direction of a ``torch.nn.RNN``, ``GRU`` or ``LSTM``.

    torch names layer l's weights ``weight_ih_l{l}``, ``weight_hh_l{l}``, ``bias_ih_l{l}``
    and ``bias_hh_l{l}``, and those of its backward direction the same with ``_reverse``.

    Returns:
        ``layers[l][d]``, a list over layers of a list over directions (forward, then
        backward) of dicts of float64 arrays in the book's names: for the tanh RNN
        ``"W_xh"``, ``"W_hh"``, ``"b_h"`` (torch's two biases summed); for the LSTM
        ``"W_x"``, ``"W_h"``, ``"b"`` (summed); for the GRU ``"W_x"``, ``"W_h"``, ``"b_x"``,
        ``"b_h"`` (kept apart). Layer 0's input weights are (gates * H, D), a higher
        layer's (gates * H, directions * H).
    """
    if module.mode not in ("RNN_TANH", "LSTM", "GRU") or getattr(module, "proj_size", 0):
        raise ValueError("deep_weights_from_torch reads a tanh torch.nn.RNN, a GRU or an "
                         f"LSTM without projections; got mode={module.mode!r}, "
                         f"proj_size={getattr(module, 'proj_size', 0)}.")
    directions = ["", "_reverse"] if module.bidirectional else [""]
    return [[direction_weights(module, f"_l{layer}{direction}") for direction in directions]
            for layer in range(module.num_layers)]


def direction_weights(module, suffix):
    """One layer and direction of :func:`deep_weights_from_torch`, named by ``suffix``
    (``"_l1_reverse"``), as a dict of float64 arrays in the book's names."""
    def read(name):
        return getattr(module, name + suffix).detach().numpy().astype(np.float64)

    W_x, W_h = read("weight_ih"), read("weight_hh")  # (gates * H, in), (gates * H, H)
    zeros = np.zeros(W_h.shape[0])
    b_x, b_h = (read("bias_ih"), read("bias_hh")) if module.bias else (zeros, zeros)
    if module.mode == "GRU":
        return {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}
    if module.mode == "LSTM":
        return {"W_x": W_x, "W_h": W_h, "b": b_x + b_h}
    return {"W_xh": W_x, "W_hh": W_h, "b_h": b_x + b_h}


def torch_parameter_meaning(name):
    """What one of torch's recurrent parameter names is in the book's notation (section
    3.9), for a tanh ``nn.RNN``: ``"weight_ih_l1_reverse"`` is W_xh of layer 2 (torch counts
    layers from 0, the book from 1), backward direction.

    Returns:
        A dict: ``"layer"`` (1 ... L), ``"direction"`` (``"forward"`` or ``"backward"``),
        ``"book"`` (``"W_xh"``, ``"W_hh"``, or ``"b_h"`` for either of torch's two biases,
        whose sum is the book's b_h) and ``"reads"`` (what it multiplies or where it is
        added: the input x_t, the layer below's output, or the direction's own previous
        state).
    """
    match = TORCH_PARAMETER.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not a torch recurrent parameter name such as "
                         "'weight_ih_l0' or 'bias_hh_l1_reverse'.")
    kind, source, layer, reverse = match.groups()
    layer = int(layer) + 1
    direction = "backward" if reverse else "forward"
    previous = "h_{t+1}" if reverse else "h_{t-1}"
    if kind == "bias":
        return {"layer": layer, "direction": direction, "book": "b_h",
                "reads": f"added ({'with bias_hh' if source == 'ih' else 'with bias_ih'}: "
                         "their sum is b_h)"}
    if source == "hh":
        return {"layer": layer, "direction": direction, "book": "W_hh",
                "reads": f"its own {previous}"}
    reads = "the input x_t" if layer == 1 else f"layer {layer - 1}'s output at t"
    return {"layer": layer, "direction": direction, "book": "W_xh", "reads": reads}
