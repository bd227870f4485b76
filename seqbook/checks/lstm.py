"""Checks for Chapter 2's exercises: lstm_cell_forward, cell_after_steps, lstm_forward,
lstm_cell_backward and peephole_lstm_cell_forward.

The right answers for the cell and the sequence come from ``torch.nn.LSTM`` itself, an
independent implementation; those for the backward step are central differences through
``torch.nn.LSTMCell``, a numerical gradient check; the typical mistakes are built from the
book's numpy code.

Public checks isolate one part of the cell at a time (only the biases, no old cell, no
input) so that the message can name the mistake: a tanh where a sigmoid belongs, the
blocks of the packed weights taken in the wrong order, the cell updated from the hidden
state, a state that is not carried. Hidden checks try other sizes and edge cases.
"""

import itertools

import numpy as np
import torch

from seqbook import reference
from seqbook.checks import (
    ExerciseFailure,
    blames_earlier,
    call_student,
    check_gradient_dict,
    diagnose,
    expect_array,
    forward_sizes,
    hidden_rng,
    matches,
    shuffled,
    size,
)

TRANSPOSE_HINT = (
    "A shape mismatch usually means a missing transpose: W_x has shape (4H, D) and x has "
    "shape (B, D), so the four input terms together are x @ W_x.T, of shape (B, 4H); "
    "then split them into four blocks of H columns."
)
GATE_NAMES = ("i", "f", "g", "o")


def _cell_case(rng, batch, input_size, hidden_size, forget_bias=0.0):
    weights = reference.random_lstm_weights(input_size, hidden_size, rng, forget_bias)
    weights["b"] = weights["b"] + rng.uniform(-0.5, 0.5, size=4 * hidden_size)
    x = rng.standard_normal((batch, input_size))
    hidden_prev = rng.uniform(-1, 1, size=(batch, hidden_size))
    cell_prev = rng.uniform(-2, 2, size=(batch, hidden_size))
    return x, hidden_prev, cell_prev, weights


def _torch_lstm(xs, hidden0, cell0, W_x, W_h, b):
    """torch.nn.LSTM with the given packed weights: the independent reference.

    Args: xs (B, T, D), hidden0 and cell0 (B, H), weights in the book's shapes.
    Returns: (hiddens, cells) as numpy arrays of shape (B, T, H), float64.
    """
    D, H = W_x.shape[1], W_h.shape[1]
    with torch.random.fork_rng():  # a check must not move the lab's random numbers on
        lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    hiddens, cells_ = [], []
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.as_tensor(W_x))
        lstm.weight_hh_l0.copy_(torch.as_tensor(W_h))
        lstm.bias_ih_l0.copy_(torch.as_tensor(b))
        lstm.bias_hh_l0.zero_()
        state = (torch.as_tensor(hidden0)[None], torch.as_tensor(cell0)[None])
        for t in range(xs.shape[1]):  # step by step, to collect every cell state too
            output, state = lstm(torch.as_tensor(xs[:, t:t + 1]), state)
            hiddens.append(output[:, 0].numpy())
            cells_.append(state[1][0].numpy())
    return np.stack(hiddens, axis=1), np.stack(cells_, axis=1)


def _blocks(x, hidden_prev, W_x, W_h, b):
    """The four pre-activations in torch's order i, f, g, o, each (B, H)."""
    return np.split(x @ W_x.T + hidden_prev @ W_h.T + b, 4, axis=1)


def _combine(i_pre, f_pre, g_pre, o_pre, cell_prev, hidden_prev, gate=reference.sigmoid,
             squash=np.tanh, cell_from_hidden=False, output_tanh=True, new_cell_in_h=True):
    """The cell built from pre-activations, with switches for the typical mistakes."""
    input_gate, forget_gate, output_gate = gate(i_pre), gate(f_pre), gate(o_pre)
    candidate = squash(g_pre)
    old = hidden_prev if cell_from_hidden else cell_prev
    cell = forget_gate * old + input_gate * candidate
    shown = cell if new_cell_in_h else cell_prev
    hidden = output_gate * (np.tanh(shown) if output_tanh else shown)
    return hidden, cell


def _cell_mistakes(x, hidden_prev, cell_prev, W_x, W_h, b):
    """What the typical wrong versions of equations (2.1) to (2.6) return, as (h, c)."""
    pre = _blocks(x, hidden_prev, W_x, W_h, b)
    args = (*pre, cell_prev, hidden_prev)
    mistakes = {
        "the gates match tanh, not sigmoid. A gate is a sigmoid layer, with values in "
        "(0, 1) (0 blocks, 1 lets through); only the candidate g uses tanh.":
            _combine(*args, gate=np.tanh),
        "the candidate g matches sigmoid, not tanh: the candidate is a tanh layer, with "
        "values in (-1, 1), so the cell can be pushed down as well as up.":
            _combine(*args, squash=reference.sigmoid),
        "the cell is updated from the hidden state: equation (2.5) is c_t = f * c_{t-1} + "
        "i * g, with the previous cell state cell_prev, not hidden_prev.":
            _combine(*args, cell_from_hidden=True),
        "h_t = o * c_t is missing its tanh: the hidden state is o * tanh(c_t).":
            _combine(*args, output_tanh=False),
        "the hidden state uses the old cell: h_t = o * tanh(c_t) with the NEW cell state.":
            _combine(*args, new_cell_in_h=False),
        "the bias b is missing from the pre-activations.":
            _combine(*_blocks(x, hidden_prev, W_x, W_h, 0 * b), cell_prev, hidden_prev),
        "the recurrent term W_h h_{t-1} is missing.":
            _combine(*_blocks(x, 0 * hidden_prev, W_x, W_h, b), cell_prev, hidden_prev),
    }
    for order in itertools.permutations(range(4)):
        if order == (0, 1, 2, 3):
            continue
        named = ", ".join(GATE_NAMES[k] for k in order)
        # the student read block k of the packed weights as the gate order[k]
        by_gate = [None] * 4
        for block, gate in enumerate(order):
            by_gate[gate] = pre[block]
        mistakes[
            f"the four blocks of W_x, W_h and b are taken in the order {named}. torch packs "
            "them in the order i, f, g, o: input gate, forget gate, candidate, output gate."
        ] = _combine(*by_gate, cell_prev, hidden_prev)
    return mistakes


def _expect_pair(result, shape, name, what):
    """The student's (hidden, cell) pair as two arrays of ``shape``."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ExerciseFailure(
            f"{name} should return a pair (hidden, cell); got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "") + "."
        )
    hidden = expect_array(result[0], shape, f"{name}'s hidden state ({what})")
    cell = expect_array(result[1], shape, f"{name}'s cell state ({what})")
    return hidden, cell


def _diagnose_pair(result, expected, mistakes, what):
    """Like :func:`seqbook.checks.diagnose`, for (hidden, cell) pairs."""
    hidden, cell = result
    right_hidden, right_cell = expected
    if matches(hidden, right_hidden) and matches(cell, right_cell):
        return
    if matches(hidden, right_cell) and matches(cell, right_hidden):
        raise ExerciseFailure(f"{what}: hidden and cell are swapped; return (hidden, cell).")
    for message, (wrong_hidden, wrong_cell) in mistakes.items():
        if matches(hidden, wrong_hidden) and matches(cell, wrong_cell):
            raise ExerciseFailure(f"{what}: {message}")
    if matches(cell, right_cell):
        diagnose(hidden, right_hidden, {}, f"{what}, the hidden state h_t (the cell state "
                 "c_t is right; check equation (2.6))")
    diagnose(cell, right_cell, {}, f"{what}, the cell state c_t")
    diagnose(hidden, right_hidden, {}, f"{what}, the hidden state h_t")


def _check_cell(student, x, hidden_prev, cell_prev, weights, what):
    result = call_student(student, x, hidden_prev, cell_prev, weights["W_x"], weights["W_h"],
                          weights["b"], name="lstm_cell_forward", hint=TRANSPOSE_HINT,
                          case=what)
    result = _expect_pair(result, hidden_prev.shape, "lstm_cell_forward", what)
    hiddens, cells_ = _torch_lstm(x[:, None], hidden_prev, cell_prev, **weights)
    expected = hiddens[:, 0], cells_[:, 0]
    _diagnose_pair(result, expected, _cell_mistakes(x, hidden_prev, cell_prev, **weights),
                   what)


def lstm_cell_forward_public(student):
    """Biases alone, the old cell alone, the input alone, then everything (B=3, D=4, H=5)."""
    rng = np.random.default_rng(1101)
    x, hidden_prev, cell_prev, weights = _cell_case(rng, batch=3, input_size=4, hidden_size=5)
    zero_x, zero_state = np.zeros_like(x), np.zeros_like(hidden_prev)
    _check_cell(student, zero_x, zero_state, cell_prev, weights,
                "with x = 0 and h_prev = 0 (biases and the old cell only)")
    _check_cell(student, x, zero_state, zero_state, weights,
                "with h_prev = 0 and c_prev = 0 (input only)")
    _check_cell(student, x, hidden_prev, cell_prev, weights, "on a batch of 3 with D = 4, "
                "H = 5")


def lstm_cell_forward_hidden(student):
    """From the instructor's seed: a single example and unit, a single example, two
    larger layers, a strong forget bias, and large inputs that must stay bounded."""
    rng = hidden_rng("lstm_cell_forward", 2202)
    sizes = shuffled(rng, [(1, 1, 1), (1, size(rng, 2, 5), size(rng, 2, 4)),
                           (size(rng, 5, 9), size(rng, 1, 3), size(rng, 6, 12)),
                           (size(rng, 10, 20), size(rng, 6, 12), size(rng, 3, 8))])
    for batch, input_size, hidden_size in sizes:
        case = _cell_case(rng, batch, input_size, hidden_size)
        _check_cell(student, *case, f"with B = {batch}, D = {input_size}, H = {hidden_size}")
    bias = float(np.round(rng.uniform(4, 6), 1))
    case = _cell_case(rng, size(rng, 2, 6), size(rng, 2, 4), size(rng, 2, 4), forget_bias=bias)
    _check_cell(student, *case, f"with a forget-gate bias of +{bias:g}")
    batch, hidden_size = size(rng, 2, 6), size(rng, 2, 5)
    x, hidden_prev, cell_prev, weights = _cell_case(rng, batch, size(rng, 2, 4), hidden_size)
    result = call_student(student, rng.uniform(80, 120) * x, hidden_prev, cell_prev,
                          weights["W_x"], weights["W_h"], weights["b"],
                          name="lstm_cell_forward", case="for large inputs")
    hidden, _ = _expect_pair(result, (batch, hidden_size), "lstm_cell_forward",
                             "large inputs")
    if np.abs(hidden).max() > 1.0:
        raise ExerciseFailure("for large inputs the hidden state left (-1, 1): h_t is a "
                              "gate in (0, 1) times tanh(c_t).")


def _forward_case(rng, batch, length, input_size, hidden_size):
    weights = reference.random_lstm_weights(input_size, hidden_size, rng, forget_bias=1.0)
    xs = rng.standard_normal((batch, length, input_size))
    hidden0 = rng.uniform(-1, 1, size=(batch, hidden_size))
    cell0 = rng.uniform(-2, 2, size=(batch, hidden_size))
    return xs, hidden0, cell0, weights


def _unroll(xs, hidden0, cell0, weights, carry_hidden=True, carry_cell=True):
    """lstm_forward with switches for states that are not carried."""
    hidden, cell = hidden0, cell0
    hiddens, cells_ = [], []
    for t in range(xs.shape[1]):
        hidden_in = hidden if carry_hidden else hidden0
        cell_in = cell if carry_cell else cell0
        hidden, cell = reference.lstm_cell_forward(xs[:, t], hidden_in, cell_in, **weights)
        hiddens.append(hidden)
        cells_.append(cell)
    return np.stack(hiddens, axis=1), np.stack(cells_, axis=1)


def _check_forward(student, xs, hidden0, cell0, weights, what):
    B, T, _ = xs.shape
    H = hidden0.shape[1]
    result = call_student(student, xs, hidden0, cell0, weights["W_x"], weights["W_h"],
                          weights["b"], name="lstm_forward", hint=TRANSPOSE_HINT,
                          case=what)
    if isinstance(result, (tuple, list)) and len(result) == 2:
        shapes = [np.shape(part) for part in result]
        if shapes == [(B, H), (B, H)]:  # (B, H) is never (B, T, H), even for T = 1
            raise ExerciseFailure(
                "lstm_forward returned one hidden and one cell state, each (B, H). Return all "
                f"of them, h_1 ... h_T and c_1 ... c_T, each stacked along axis 1: shape "
                f"(B, T, H) = {(B, T, H)}."
            )
        if shapes == [(T, B, H), (T, B, H)] and T != B:
            raise ExerciseFailure(
                f"lstm_forward returned shape {(T, B, H)}, time first. The book is "
                f"batch-first: stack along axis=1 to get (B, T, H) = {(B, T, H)}."
            )
    result = _expect_pair(result, (B, T, H), "lstm_forward", what)
    expected = _torch_lstm(xs, hidden0, cell0, **weights)
    zeros = np.zeros_like(hidden0)
    mistakes = {
        "the state is not carried from step to step: each step must be fed the previous "
        "step's hidden AND cell state, not hidden0 and cell0 again.":
            _unroll(xs, hidden0, cell0, weights, carry_hidden=False, carry_cell=False),
        "the cell state is not carried: each step starts again from cell0. Pass the cell "
        "that the previous step returned.":
            _unroll(xs, hidden0, cell0, weights, carry_cell=False),
        "the hidden state is not carried: each step starts again from hidden0. Pass the "
        "hidden state that the previous step returned.":
            _unroll(xs, hidden0, cell0, weights, carry_hidden=False),
        "the initial states are ignored: start the loop from hidden0 and cell0.":
            reference.lstm_forward(xs, zeros, zeros, **weights),
        "the initial cell state is ignored: start the loop from cell = cell0.":
            reference.lstm_forward(xs, hidden0, zeros, **weights),
        "the states are shifted by one step: position t should hold the states after "
        "reading x_t, so do not store h_0 and c_0, and do include the last ones.": (
            np.concatenate([hidden0[:, None], expected[0][:, :-1]], axis=1),
            np.concatenate([cell0[:, None], expected[1][:, :-1]], axis=1)),
    }
    _diagnose_pair(result, expected, mistakes, what)


@blames_earlier("lstm_cell_forward")
def lstm_forward_public(student):
    """A batch of 2 sequences of length 6, D = 3, H = 4, with non-zero h_0 and c_0."""
    rng = np.random.default_rng(3303)
    case = _forward_case(rng, batch=2, length=6, input_size=3, hidden_size=4)
    _check_forward(student, *case, "B = 2, T = 6, D = 3, H = 4")


@blames_earlier("lstm_cell_forward")
def lstm_forward_hidden(student):
    """From the instructor's seed: length one, a single sequence and unit, a long
    sequence, and B = T."""
    rng = hidden_rng("lstm_forward", 4404)
    sizes = forward_sizes(rng, (40, 70))
    for batch, length, input_size, hidden_size in sizes:
        case = _forward_case(rng, batch, length, input_size, hidden_size)
        _check_forward(student, *case,
                       f"B = {batch}, T = {length}, D = {input_size}, H = {hidden_size}")


def _peephole_mistakes(x, hidden_prev, cell_prev, weights, peep_i, peep_f, peep_o):
    i_pre, f_pre, g_pre, o_pre = _blocks(x, hidden_prev, **weights)

    def build(i_peek, f_peek, o_peek_old, o_peek_new, gate=reference.sigmoid):
        input_gate = gate(i_pre + i_peek)
        forget_gate = gate(f_pre + f_peek)
        cell = forget_gate * cell_prev + input_gate * np.tanh(g_pre)
        output_gate = gate(o_pre + o_peek_old + o_peek_new * cell)
        return output_gate * np.tanh(cell), cell

    zero = 0.0
    return {
        "the gates match tanh, not sigmoid. A gate is a sigmoid layer, with values in "
        "(0, 1) (0 blocks, 1 lets through); only the candidate g uses tanh.":
            build(peep_i * cell_prev, peep_f * cell_prev, zero, peep_o, gate=np.tanh),
        "the output gate peeks at the old cell c_{t-1}; in equation (2.15) it sees the new "
        "cell c_t, computed first.": build(peep_i * cell_prev, peep_f * cell_prev,
                                            peep_o * cell_prev, zero),
        "the peepholes are missing: the gates must see the cell state.":
            build(zero, zero, zero, zero),
        "the output gate has no peephole: add peep_o * c_t (the new cell).":
            build(peep_i * cell_prev, peep_f * cell_prev, zero, zero),
        "the input and forget gates have no peephole: add peep_i * c_{t-1} and "
        "peep_f * c_{t-1}.": build(zero, zero, zero, peep_o),
        "peep_i and peep_f are swapped.": build(peep_f * cell_prev, peep_i * cell_prev, zero,
                                                peep_o),
    }


def _check_peephole(student, x, hidden_prev, cell_prev, weights, peepholes, what):
    result = call_student(student, x, hidden_prev, cell_prev, weights["W_x"], weights["W_h"],
                          weights["b"], *peepholes, name="peephole_lstm_cell_forward",
                          hint=TRANSPOSE_HINT, case=what)
    result = _expect_pair(result, hidden_prev.shape, "peephole_lstm_cell_forward", what)
    expected = reference.peephole_lstm_cell_forward(x, hidden_prev, cell_prev, **weights,
                                                peep_i=peepholes[0], peep_f=peepholes[1],
                                                peep_o=peepholes[2])
    mistakes = _peephole_mistakes(x, hidden_prev, cell_prev, weights, *peepholes)
    if not any(np.any(peephole) for peephole in peepholes):  # the plain cell's mistakes
        mistakes = {**_cell_mistakes(x, hidden_prev, cell_prev, **weights), **mistakes}
    _diagnose_pair(result, expected, mistakes, what)


def _peepholes(rng, hidden_size, scale=1.0):
    return tuple(scale * rng.uniform(-1, 1, size=hidden_size) for _ in range(3))


def peephole_lstm_cell_forward_public(student):
    """Zero peepholes (the plain cell), each peephole on its own, then all three."""
    rng = np.random.default_rng(5505)
    x, hidden_prev, cell_prev, weights = _cell_case(rng, batch=3, input_size=4, hidden_size=5)
    peep_i, peep_f, peep_o = _peepholes(rng, 5)
    zero = np.zeros(5)
    _check_peephole(student, x, hidden_prev, cell_prev, weights, (zero, zero, zero),
                    "with all peepholes zero (it must equal the plain LSTM cell)")
    _check_peephole(student, x, hidden_prev, cell_prev, weights, (peep_i, zero, zero),
                    "with only peep_i")
    _check_peephole(student, x, hidden_prev, cell_prev, weights, (zero, peep_f, zero),
                    "with only peep_f")
    _check_peephole(student, x, hidden_prev, cell_prev, weights, (zero, zero, peep_o),
                    "with only peep_o")
    _check_peephole(student, x, hidden_prev, cell_prev, weights, (peep_i, peep_f, peep_o),
                    "with all three peepholes")


def peephole_lstm_cell_forward_hidden(student):
    """From the instructor's seed: a single example and unit, strong peepholes, weak
    peepholes, and one peephole alone."""
    rng = hidden_rng("peephole_lstm_cell_forward", 6606)
    cases = shuffled(rng, [(1, 1, 1, 1.0, None),
                           (size(rng, 4, 8), size(rng, 1, 3), size(rng, 5, 9), 3.0, None),
                           (size(rng, 1, 3), size(rng, 6, 10), size(rng, 2, 4), 0.1, None),
                           (size(rng, 2, 5), size(rng, 2, 4), size(rng, 2, 5), 1.0,
                            size(rng, 0, 2))])
    for batch, input_size, hidden_size, scale, alone in cases:
        x, hidden_prev, cell_prev, weights = _cell_case(rng, batch, input_size, hidden_size)
        peepholes = _peepholes(rng, hidden_size, scale)
        what = (f"B = {batch}, D = {input_size}, H = {hidden_size}, peepholes up to "
                f"{scale:g}")
        if alone is not None:
            peepholes = tuple(p if k == alone else np.zeros(hidden_size)
                              for k, p in enumerate(peepholes))
            what = f"B = {batch}, D = {input_size}, H = {hidden_size}, only peep_" + "ifo"[alone]
        _check_peephole(student, x, hidden_prev, cell_prev, weights, peepholes, what)


def _check_steps(student, cell0, forget_gate, input_gate, candidate, steps):
    case = (f"cell_after_steps(cell0={cell0}, forget_gate={forget_gate}, "
            f"input_gate={input_gate}, candidate={candidate}, steps={steps})")
    result = call_student(student, cell0, forget_gate, input_gate, candidate, steps,
                          name="cell_after_steps", case=f"for {case}")
    expected = reference.cell_after_steps(cell0, forget_gate, input_gate, candidate, steps)
    result = expect_array(result, np.shape(expected), case)
    write = input_gate * candidate

    def after(k):
        return reference.cell_after_steps(cell0, forget_gate, input_gate, candidate, k)

    mistakes = {
        "one step too few: apply c <- f * c + i * g exactly `steps` times.": after(steps - 1)
        if steps >= 1 else np.nan,
        "one step too many: apply c <- f * c + i * g exactly `steps` times.": after(steps + 1),
        "the forget gate is ignored: each step multiplies the old cell by f before adding "
        "i * g.": np.asarray(cell0) + steps * write,
        "the forget gate also scales the new write: the update is f * c + i * g, not "
        "f * (c + i * g).": reference.cell_after_steps(cell0, forget_gate,
                                                   forget_gate * input_gate, candidate,
                                                   steps),
        "i * g is added only once: the gates stay fixed, so every step writes i * g again.":
            forget_gate**steps * np.asarray(cell0) + (write if steps else 0.0),
    }
    diagnose(result, expected, {m: v for m, v in mistakes.items()
                                if np.all(np.isfinite(v))}, case, tolerance=1e-9)


def cell_after_steps_public(student):
    """Memory held (f = 1, i = 0), memory fading, and writing with the old cell kept."""
    _check_steps(student, 2.0, 1.0, 0.0, 0.5, 10)
    _check_steps(student, 2.0, 0.5, 0.0, 0.5, 3)
    _check_steps(student, 1.0, 0.9, 0.5, 0.8, 4)


def cell_after_steps_hidden(student):
    """From the instructor's seed: zero steps, one step, many steps (it settles at
    i g / (1 - f)), f = 1 (nothing forgotten), and arrays."""
    rng = hidden_rng("cell_after_steps", 7707)

    def value(low, high):
        return float(np.round(rng.uniform(low, high), 2))

    n = size(rng, 2, 5)
    cases = shuffled(rng, [
        (value(-2, 2), value(0.1, 0.9), value(0, 1), value(-1, 1), 0),
        (value(-2, 2), value(0.1, 0.9), value(0.2, 1), value(-1, 1), 1),
        (value(-1, 1), value(0.9, 0.99), value(0.2, 0.8), value(-1, 1), size(rng, 150, 250)),
        (value(-3, 3), 1.0, value(0.2, 1), value(-1, 1), size(rng, 4, 9)),
        (np.round(rng.uniform(-2, 2, n), 2), np.round(rng.uniform(0.1, 1, n), 2),
         np.round(rng.uniform(0, 1, n), 2), np.round(rng.uniform(-1, 1, n), 2),
         size(rng, 3, 7))])
    for cell0, forget_gate, input_gate, candidate, steps in cases:
        _check_steps(student, cell0, forget_gate, input_gate, candidate, steps)


# --- lstm_cell_backward -----------------------------------------------------------------

BACKWARD_KEYS = ("x", "hidden_prev", "cell_prev", "W_x", "W_h", "b")


def _numerical_cell_gradients(d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b):
    """The gradients of sum(d_hidden * h_t) + sum(d_cell * c_t) by central differences
    through ``torch.nn.LSTMCell`` (float64): the independent reference.

    The module's parameters and inputs are views of numpy copies, so that
    :func:`seqbook.reference.numerical_gradient` can nudge each entry in place.
    """
    arrays = {name: np.array(value, dtype=np.float64) for name, value in dict(
        x=x, hidden_prev=hidden_prev, cell_prev=cell_prev, W_x=W_x, W_h=W_h, b=b).items()}
    D, H = arrays["W_x"].shape[1], arrays["W_h"].shape[1]
    with torch.random.fork_rng():  # a check must not move the lab's random numbers on
        module = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    module.weight_ih.data = torch.from_numpy(arrays["W_x"])
    module.weight_hh.data = torch.from_numpy(arrays["W_h"])
    module.bias_ih.data = torch.from_numpy(arrays["b"])
    module.bias_hh.data.zero_()
    state = (torch.from_numpy(arrays["hidden_prev"]), torch.from_numpy(arrays["cell_prev"]))
    inputs = torch.from_numpy(arrays["x"])

    def loss():
        with torch.no_grad():
            hidden, cell = module(inputs, state)
        return float((hidden.numpy() * d_hidden).sum() + (cell.numpy() * d_cell).sum())

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny calls: one thread is many times faster
    try:
        return {name: reference.numerical_gradient(loss, array, epsilon=1e-6)
                for name, array in arrays.items()}
    finally:
        torch.set_num_threads(threads)


def _backward_with(d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b, *,
                   hidden_route="tanh'", incoming=True, gate_derivative="sigmoid'",
                   candidate_derivative="tanh'", order=(0, 1, 2, 3), belt="total",
                   forget_sees="cell_prev", output_sees="cell", average=False):
    """One LSTM step's backward pass with switches for the typical mistakes."""
    input_gate, forget_gate, candidate, output_gate = reference.lstm_gates(
        x, hidden_prev, W_x, W_h, b)
    cell = forget_gate * cell_prev + input_gate * candidate
    tanh_cell = np.tanh(cell)
    shown = tanh_cell if output_sees == "cell" else np.tanh(cell_prev)
    d_output_gate = d_hidden * shown
    through_hidden = {"tanh'": d_hidden * output_gate * (1 - tanh_cell**2),
                      "no tanh'": d_hidden * output_gate, "missing": 0.0}[hidden_route]
    d_cell_total = (d_cell if incoming else 0.0) + through_hidden

    def sigmoid_derivative(gate):
        return {"sigmoid'": gate * (1 - gate), "tanh'": 1 - gate**2, "none": 1.0}[
            gate_derivative]

    tanh_derivative = {"tanh'": 1 - candidate**2, "sigmoid'": candidate * (1 - candidate),
                       "none": 1.0}[candidate_derivative]
    old = cell_prev if forget_sees == "cell_prev" else cell
    blocks = [d_cell_total * candidate * sigmoid_derivative(input_gate),
              d_cell_total * old * sigmoid_derivative(forget_gate),
              d_cell_total * input_gate * tanh_derivative,
              d_output_gate * sigmoid_derivative(output_gate)]
    d_pre = np.concatenate([blocks[k] for k in order], axis=1)
    batch = x.shape[0] if average else 1
    return {
        "x": d_pre @ W_x, "hidden_prev": d_pre @ W_h,
        "cell_prev": {"total": d_cell_total, "incoming": d_cell}[belt] * forget_gate
        if belt != "unscaled" else d_cell_total,
        "W_x": d_pre.T @ x / batch, "W_h": d_pre.T @ hidden_prev / batch,
        "b": d_pre.sum(axis=0) / batch,
    }


def _backward_mistakes(*case):
    """Each typical mistake's whole dict of gradients, by message."""
    mistakes = {
        "the gradient through h_t never reaches the cell: h_t = o * tanh(c_t) depends on "
        "c_t, so d_cell must also receive d_hidden * o * (1 - tanh(c_t)**2), equation (2.9).":
            dict(hidden_route="missing"),
        "the route from h_t into the cell lacks tanh's derivative: h_t = o * tanh(c_t), so "
        "c_t receives d_hidden * o * (1 - tanh(c_t)**2), not d_hidden * o (equation (2.9)).":
            dict(hidden_route="no tanh'"),
        "the incoming d_cell is dropped: the gradient arriving along the cell state from "
        "step t + 1 must be added to what comes through h_t, equation (2.9).":
            dict(incoming=False),
        "the sigmoid gates' derivative is wrong: for s = sigmoid(a), ds/da = s * (1 - s); "
        "1 - s**2 is tanh's derivative.": dict(gate_derivative="tanh'"),
        "the sigmoid gates' derivative is missing: multiply each gate's gradient by "
        "s * (1 - s) to reach its pre-activation.": dict(gate_derivative="none"),
        "the candidate's derivative is wrong: g = tanh(a), so dg/da = 1 - g**2, not "
        "g * (1 - g) (that is the sigmoid's).": dict(candidate_derivative="sigmoid'"),
        "the candidate's derivative is missing: multiply by 1 - g**2 (g = tanh(a)).":
            dict(candidate_derivative="none"),
        "the gradient to c_{t-1} uses only the incoming d_cell: it is the TOTAL gradient at "
        "c_t, including the route through h_t, times the forget gate (equation (2.10)).":
            dict(belt="incoming"),
        "the gradient to c_{t-1} is not multiplied by the forget gate: c_t = f * c_{t-1} + "
        "i * g, so d c_t / d c_{t-1} = f, equation (2.7).": dict(belt="unscaled"),
        "the forget gate's gradient uses the new cell c_t; in c_t = f * c_{t-1} + i * g the "
        "forget gate multiplies the OLD cell c_{t-1}.": dict(forget_sees="cell"),
        "the output gate's gradient uses tanh(c_{t-1}); h_t = o * tanh(c_t) shows the NEW "
        "cell.": dict(output_sees="cell_prev"),
        "averaged over the batch: the weight gradients are sums over the examples, "
        "d_pre.T @ x.": dict(average=True),
    }
    wrong = {message: _backward_with(*case, **switches) for message, switches in
             mistakes.items()}
    for order in itertools.permutations(range(4)):
        if order == (0, 1, 2, 3):
            continue
        named = ", ".join(GATE_NAMES[k] for k in order)
        wrong[f"the four blocks of the pre-activation gradient are stacked in the order "
              f"{named}. W_x, W_h and b hold them in torch's order i, f, g, o, so d_pre must "
              "be [d_i, d_f, d_g, d_o]."] = _backward_with(*case, order=order)
    return wrong


def _check_backward(student, case, what):
    d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b = case
    result = call_student(student, *case, name="lstm_cell_backward", hint=TRANSPOSE_HINT,
                          case=what)
    shapes = {"x": x.shape, "hidden_prev": hidden_prev.shape, "cell_prev": cell_prev.shape,
              "W_x": W_x.shape, "W_h": W_h.shape, "b": b.shape}
    expected = _numerical_cell_gradients(*case)
    mistakes = _backward_mistakes(*case)
    check_gradient_dict(result, "lstm_cell_backward", BACKWARD_KEYS, shapes, expected,
                        {key: {message: wrong[key] for message, wrong in mistakes.items()}
                         for key in BACKWARD_KEYS},
                        what, tolerance=1e-6, compared=", compared with central differences")


def _backward_case(rng, batch, input_size, hidden_size, forget_bias=0.0, d_hidden=True,
                   d_cell=True):
    x, hidden_prev, cell_prev, weights = _cell_case(rng, batch, input_size, hidden_size,
                                                    forget_bias)
    incoming = rng.standard_normal((2, batch, hidden_size))
    return (incoming[0] * d_hidden, incoming[1] * d_cell, x, hidden_prev, cell_prev,
            weights["W_x"], weights["W_h"], weights["b"])


def lstm_cell_backward_public(student):
    """Only d_hidden (the last step), only d_cell (the belt), then both (B=3, D=4, H=5)."""
    rng = np.random.default_rng(8808)
    _check_backward(student, _backward_case(rng, 3, 4, 5, d_cell=False),
                    "with d_cell = 0, the last step: only d_hidden arrives")
    _check_backward(student, _backward_case(rng, 3, 4, 5, d_hidden=False),
                    "with d_hidden = 0: only d_cell arrives, along the cell state")
    _check_backward(student, _backward_case(rng, 3, 4, 5), "with both, B = 3, D = 4, H = 5")


def lstm_cell_backward_hidden(student):
    """From the instructor's seed: a single example and unit, a single example, a larger
    batch, a strong forget bias, and the last step (d_cell = 0) at other sizes."""
    rng = hidden_rng("lstm_cell_backward", 9909)
    cases = shuffled(rng, [
        ((1, 1, 1), {}),
        ((1, size(rng, 2, 5), size(rng, 2, 4)), {}),
        ((size(rng, 8, 14), size(rng, 2, 5), size(rng, 4, 8)), {}),
        ((size(rng, 2, 5), size(rng, 2, 4), size(rng, 2, 5)),
         {"forget_bias": float(np.round(rng.uniform(2, 4), 1))}),
        ((size(rng, 2, 6), size(rng, 1, 4), size(rng, 3, 6)), {"d_cell": False}),
    ])
    for (batch, input_size, hidden_size), options in cases:
        what = f"B = {batch}, D = {input_size}, H = {hidden_size}" + (
            f", forget bias +{options['forget_bias']:g}" if "forget_bias" in options else "")
        if options.get("d_cell") is False:
            what += ", d_cell = 0"
        _check_backward(student, _backward_case(rng, batch, input_size, hidden_size,
                                                **options), what)
