"""Tests for seqbook.checks.lstm: the reference answers pass every check, and the wrong
answers students typically write fail with a message that names the mistake."""

import numpy as np
import pytest

from seqbook import reference
from seqbook.checks import lstm as checks

sigmoid = reference.sigmoid


def cell_with(gate=sigmoid, squash=np.tanh, order=(0, 1, 2, 3), cell_source="cell",
              output_tanh=True, swap_outputs=False):
    """An lstm_cell_forward with one typical mistake switched on."""
    def lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b):
        blocks = np.split(x @ W_x.T + hidden_prev @ W_h.T + b, 4, axis=1)
        i_pre, f_pre, g_pre, o_pre = (blocks[k] for k in order)
        old = cell_prev if cell_source == "cell" else hidden_prev
        cell = gate(f_pre) * old + gate(i_pre) * squash(g_pre)
        hidden = gate(o_pre) * (np.tanh(cell) if output_tanh else cell)
        return (cell, hidden) if swap_outputs else (hidden, cell)
    return lstm_cell_forward


@pytest.mark.parametrize("student, message", [
    (cell_with(gate=np.tanh), "gates match tanh, not sigmoid"),
    (cell_with(squash=sigmoid), "candidate g matches sigmoid, not tanh"),
    (cell_with(cell_source="hidden"), "cell is updated from the hidden state"),
    (cell_with(order=(1, 0, 2, 3)), "order f, i, g, o. torch packs them in the order i, f, g, o"),
    (cell_with(order=(0, 1, 3, 2)), "order i, f, o, g. torch packs"),
    (cell_with(output_tanh=False), "missing its tanh"),
    (cell_with(swap_outputs=True), "hidden and cell are swapped"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_lstm_cell_forward_mistakes(student, message, kind):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"lstm_cell_forward_{kind}")(student)


def test_lstm_cell_forward_wrong_transpose_mentions_transpose():
    def untransposed(x, hidden_prev, cell_prev, W_x, W_h, b):
        return reference.lstm_cell_forward(x, hidden_prev, cell_prev, W_x.T, W_h, b)
    with pytest.raises(AssertionError, match=r"raised ValueError.*x @ W_x\.T"):
        checks.lstm_cell_forward_public(untransposed)


def test_lstm_cell_forward_returning_one_array_is_explained():
    def only_hidden(*args):
        return reference.lstm_cell_forward(*args)[0]
    with pytest.raises(AssertionError, match=r"should return a pair \(hidden, cell\)"):
        checks.lstm_cell_forward_public(only_hidden)


def forward_with(carry_hidden=True, carry_cell=True, last_only=False, time_first=False):
    def lstm_forward(xs, hidden0, cell0, W_x, W_h, b):
        hidden, cell = hidden0, cell0
        hiddens, cells_ = [], []
        for t in range(xs.shape[1]):
            hidden, cell = reference.lstm_cell_forward(
                xs[:, t], hidden if carry_hidden else hidden0, cell if carry_cell else cell0,
                W_x, W_h, b)
            hiddens.append(hidden)
            cells_.append(cell)
        if last_only:
            return hidden, cell
        axis = 0 if time_first else 1
        return np.stack(hiddens, axis=axis), np.stack(cells_, axis=axis)
    return lstm_forward


@pytest.mark.parametrize("student, message", [
    (forward_with(carry_hidden=False, carry_cell=False), "state is not carried"),
    (forward_with(carry_cell=False), "cell state is not carried"),
    (forward_with(carry_hidden=False), "hidden state is not carried"),
    (forward_with(last_only=True), "returned one hidden and one cell state"),
    (forward_with(time_first=True), "time first"),
])
def test_lstm_forward_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.lstm_forward_public(student)


def peephole_with(output_sees_old=False, no_peepholes=False):
    def peephole_lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b, peep_i, peep_f,
                                   peep_o):
        i_pre, f_pre, g_pre, o_pre = np.split(x @ W_x.T + hidden_prev @ W_h.T + b, 4, axis=1)
        if no_peepholes:
            peep_i = peep_f = peep_o = 0.0
        cell = (sigmoid(f_pre + peep_f * cell_prev) * cell_prev
                + sigmoid(i_pre + peep_i * cell_prev) * np.tanh(g_pre))
        seen = cell_prev if output_sees_old else cell
        return sigmoid(o_pre + peep_o * seen) * np.tanh(cell), cell
    return peephole_lstm_cell_forward


@pytest.mark.parametrize("student, message", [
    (peephole_with(output_sees_old=True), "output gate peeks at the old cell"),
    (peephole_with(no_peepholes=True), "peepholes are missing"),
])
def test_peephole_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.peephole_lstm_cell_forward_public(student)


@pytest.mark.parametrize("mistake, message", [
    (dict(gate=np.tanh), "gates match tanh, not sigmoid"),
    (dict(cell_source="hidden"), "cell is updated from the hidden state"),
    (dict(order=(1, 0, 2, 3)), "order f, i, g, o"),
])
def test_peephole_cell_mistakes_of_the_plain_cell_are_named(mistake, message):
    def wrong_cell(x, hidden_prev, cell_prev, W_x, W_h, b, *peepholes):
        return cell_with(**mistake)(x, hidden_prev, cell_prev, W_x, W_h, b)
    with pytest.raises(AssertionError, match=f"all peepholes zero.*{message}"):
        checks.peephole_lstm_cell_forward_public(wrong_cell)


def steps_loop(update, offset=0):
    def cell_after_steps(cell0, forget_gate, input_gate, candidate, steps):
        cell = cell0
        for _ in range(steps + offset):
            cell = update(cell, forget_gate, input_gate, candidate)
        return cell
    return cell_after_steps


@pytest.mark.parametrize("student, message", [
    (steps_loop(lambda c, f, i, g: f * c + i * g, offset=-1), "one step too few"),
    (steps_loop(lambda c, f, i, g: f * c + i * g, offset=1), "one step too many"),
    (steps_loop(lambda c, f, i, g: c + i * g), "forget gate is ignored"),
    (steps_loop(lambda c, f, i, g: f * (c + i * g)), "also scales the new write"),
])
def test_cell_after_steps_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.cell_after_steps_public(student)


def test_cell_after_steps_closed_form_passes_hidden_checks():
    def closed_form(cell0, forget_gate, input_gate, candidate, steps):
        forget_gate = np.asarray(forget_gate, dtype=float)
        decay = forget_gate**steps
        geometric = np.where(forget_gate == 1.0, steps,
                             (1 - decay) / np.where(forget_gate == 1.0, 2.0, 1 - forget_gate))
        return decay * cell0 + input_gate * candidate * geometric
    checks.cell_after_steps_public(closed_form)
    checks.cell_after_steps_hidden(closed_form)




# --- lstm_cell_backward ---------------------------------------------------------------


def backward_with(through_hidden="right", incoming=True, gate_slope="right",
                  candidate_slope="right", order=(0, 1, 2, 3), to_old_cell="right",
                  averaged=False, drop=None, transpose=None):
    """An lstm_cell_backward, written out here, with one typical mistake switched on."""
    def lstm_cell_backward(d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b):
        i, f, g, o = reference.lstm_gates(x, hidden_prev, W_x, W_h, b)
        cell = f * cell_prev + i * g
        squashed = np.tanh(cell)
        route = {"right": d_hidden * o * (1 - squashed**2), "no tanh'": d_hidden * o,
                 "none": 0.0}[through_hidden]
        total = route + (d_cell if incoming else 0.0)
        slope = {"right": lambda s: s * (1 - s), "tanh's": lambda s: 1 - s**2}[gate_slope]
        g_slope = {"right": 1 - g**2, "sigmoid's": g * (1 - g)}[candidate_slope]
        blocks = [total * g * slope(i), total * cell_prev * slope(f), total * i * g_slope,
                  d_hidden * squashed * slope(o)]
        d_pre = np.concatenate([blocks[k] for k in order], axis=1)
        scale = 1 / len(x) if averaged else 1.0
        grads = {"x": d_pre @ W_x, "hidden_prev": d_pre @ W_h,
                 "cell_prev": {"right": total * f, "incoming": d_cell * f,
                               "unscaled": total}[to_old_cell],
                 "W_x": scale * d_pre.T @ x, "W_h": scale * d_pre.T @ hidden_prev,
                 "b": scale * d_pre.sum(axis=0)}
        if drop:
            del grads[drop]
        if transpose:
            grads[transpose] = grads[transpose].T
        return grads
    return lstm_cell_backward


def test_the_written_out_backward_is_right():
    checks.lstm_cell_backward_public(backward_with())
    checks.lstm_cell_backward_hidden(backward_with())


@pytest.mark.parametrize("student, message", [
    (backward_with(through_hidden="none"), r"never reaches the cell.*equation \(2\.9\)"),
    (backward_with(through_hidden="no tanh'"), "lacks tanh's derivative"),
    (backward_with(incoming=False), "incoming d_cell is dropped"),
    (backward_with(gate_slope="tanh's"), r"s \* \(1 - s\); 1 - s\*\*2 is tanh's"),
    (backward_with(candidate_slope="sigmoid's"), "candidate's derivative is wrong"),
    (backward_with(order=(1, 0, 2, 3)), "order f, i, g, o.*torch's order i, f, g, o"),
    (backward_with(order=(0, 1, 3, 2)), "order i, f, o, g"),
    (backward_with(to_old_cell="incoming"), "uses only the incoming d_cell"),
    (backward_with(to_old_cell="unscaled"), "not multiplied by the forget gate"),
    (backward_with(averaged=True), "averaged over the batch"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_lstm_cell_backward_mistakes(student, message, kind):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"lstm_cell_backward_{kind}")(student)


def test_lstm_cell_backward_isolates_the_routes():
    """The public check's first case has no d_cell (the last step): a dropped d_cell passes
    it, and the second case, d_cell alone, names the mistake."""
    with pytest.raises(AssertionError, match=r"with d_hidden = 0.*incoming d_cell is dropped"):
        checks.lstm_cell_backward_public(backward_with(incoming=False))
    with pytest.raises(AssertionError, match=r"with d_cell = 0, the last step.*never reaches"):
        checks.lstm_cell_backward_public(backward_with(through_hidden="none"))


def test_lstm_cell_backward_missing_key_and_transpose_are_explained():
    with pytest.raises(AssertionError, match=r"no entry for \['cell_prev'\]"):
        checks.lstm_cell_backward_public(backward_with(drop="cell_prev"))
    with pytest.raises(AssertionError, match=r"gradient for W_x has shape \(4, 20\), the "
                                             r"transpose"):
        checks.lstm_cell_backward_public(backward_with(transpose="W_x"))
    with pytest.raises(AssertionError, match="should return a dict"):
        checks.lstm_cell_backward_public(lambda *args: list(reference.lstm_cell_backward(
            *args).values()))


def test_lstm_cell_backward_reference_is_central_differences_through_torch():
    """The checks' expected answer, central differences through torch.nn.LSTMCell, agrees
    with the book's backward to far below the checks' tolerance of 1e-6."""
    case = checks._backward_case(np.random.default_rng(0), 6, 3, 4, forget_bias=1.0)
    numerical = checks._numerical_cell_gradients(*case)
    exact = reference.lstm_cell_backward(*case)
    for key in checks.BACKWARD_KEYS:
        np.testing.assert_allclose(numerical[key], exact[key], atol=1e-8, err_msg=key)
