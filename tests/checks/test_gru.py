"""Tests for seqbook.checks.gru: the reference answers pass every check, and the wrong
answers students typically write fail with a message that names the mistake."""

import numpy as np
import pytest

from seqbook import reference
from seqbook.checks import gru as checks
from seqbook.models import sentiment

sigmoid = reference.sigmoid


def cell_with(gate=sigmoid, squash=np.tanh, order=(0, 1, 2), reset="after", update="torch",
              biases=("x", "h"), as_tuple=False):
    """A gru_cell_forward written independently of the checks, with one mistake on."""
    def gru_cell_forward(x, hidden_prev, W_x, W_h, b_x, b_h):
        H = hidden_prev.shape[1]
        b_x = b_x if "x" in biases else 0 * b_x
        b_h = b_h if "h" in biases else 0 * b_h
        W_xs, W_hs = np.split(W_x, 3), np.split(W_h, 3)
        b_xs, b_hs = np.split(b_x, 3), np.split(b_h, 3)
        W_xr, W_xz, W_xn = (W_xs[k] for k in order)
        W_hr, W_hz, W_hn = (W_hs[k] for k in order)
        b_xr, b_xz, b_xn = (b_xs[k] for k in order)
        b_hr, b_hz, b_hn = (b_hs[k] for k in order)
        r = gate(x @ W_xr.T + b_xr + hidden_prev @ W_hr.T + b_hr)
        z = gate(x @ W_xz.T + b_xz + hidden_prev @ W_hz.T + b_hz)
        if reset == "after":
            n = squash(x @ W_xn.T + b_xn + r * (hidden_prev @ W_hn.T + b_hn))
        elif reset == "before":
            n = squash(x @ W_xn.T + b_xn + (r * hidden_prev) @ W_hn.T + b_hn)
        elif reset == "bias outside":
            n = squash(x @ W_xn.T + b_xn + r * (hidden_prev @ W_hn.T) + b_hn)
        else:
            n = squash(x @ W_xn.T + b_xn + hidden_prev @ W_hn.T + b_hn)
        assert n.shape[1] == H
        if update == "torch":
            new = (1 - z) * n + z * hidden_prev
        else:
            new = z * n + (1 - z) * hidden_prev
        return (new, new) if as_tuple else new
    return gru_cell_forward


def test_cell_with_no_mistake_passes():
    checks.gru_cell_forward_public(cell_with())
    checks.gru_cell_forward_hidden(cell_with())


@pytest.mark.parametrize("student, message", [
    (cell_with(reset="before"), "reset gate is applied before the matrix product"),
    (cell_with(update="reversed"), "update interpolation is reversed"),
    (cell_with(reset="bias outside"), "b_hn is outside the reset product"),
    (cell_with(reset="none"), "reset gate is missing"),
    (cell_with(gate=np.tanh), "gates match tanh, not sigmoid"),
    (cell_with(squash=sigmoid), "candidate matches sigmoid"),
    (cell_with(order=(1, 0, 2)), "order z, r, n. torch packs them in the order r, z, n"),
    (cell_with(order=(2, 1, 0)), "order n, z, r"),
    (cell_with(biases=("x",)), "recurrent biases b_h are missing"),
    (cell_with(biases=("h",)), "input biases b_x are missing"),
    (cell_with(as_tuple=True), "the GRU has no cell state"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_gru_cell_forward_mistakes(student, message, kind):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"gru_cell_forward_{kind}")(student)


def test_gru_cell_forward_missing_transpose_gets_the_shape_hint():
    def student(x, hidden_prev, W_x, W_h, b_x, b_h):
        return x @ W_x + hidden_prev @ W_h + b_x + b_h
    with pytest.raises(AssertionError, match="missing transpose"):
        checks.gru_cell_forward_public(student)


def counts_with(change):
    def student(input_size, hidden_size):
        right = reference.parameter_counts(input_size, hidden_size)
        return change(right, input_size, hidden_size)
    return student


@pytest.mark.parametrize("change, message", [
    (lambda c, D, H: {**c, "gru": 3 * (H * D + H * H + H)}, "TWO bias vectors per block"),
    (lambda c, D, H: {**c, "lstm": 4 * (H * D + H * H)}, "biases are missing"),
    (lambda c, D, H: {**c, "gru": 4 * (H * D + H * H + 2 * H)}, "four, like the LSTM; the GRU "
     "has 3 blocks"),
    (lambda c, D, H: {**c, "lstm": 3 * (H * D + H * H + 2 * H)}, "three, like the GRU"),
    (lambda c, D, H: {**c, "rnn": H * D + 2 * H}, "recurrent weights W_h"),
    (lambda c, D, H: {**c, "gru": 3 * (D * D + H * H + 2 * H)}, "D x D"),
    (lambda c, D, H: {"rnn": c["rnn"], "lstm": c["lstm"]}, "expected exactly 'rnn', 'lstm'"),
    (lambda c, D, H: [c["rnn"], c["lstm"], c["gru"]], "should return a dict"),
    (lambda c, D, H: {**c, "gru": c["gru"] + 0.5}, "should be a whole number"),
    (lambda c, D, H: {**c, "gru": c["gru"] + 7}, "torch's GRU has"),
])
def test_parameter_counts_mistakes(change, message):
    with pytest.raises(AssertionError, match=message):
        checks.parameter_counts_public(counts_with(change))


def test_parameter_counts_accepts_whole_floats():
    checks.parameter_counts_public(counts_with(lambda c, D, H: {k: float(v) for k, v in c.items()}))


@pytest.mark.parametrize("student, message", [
    (lambda hiddens, lengths: hiddens[:, -1], r"hiddens\[:, -1\]"),
    (lambda hiddens, lengths: hiddens[np.arange(len(lengths)), lengths], "one step too late"),
    (lambda hiddens, lengths: hiddens[np.arange(len(lengths)), lengths - 2], "too early"),
    (lambda hiddens, lengths: hiddens[:, lengths - 1], "EVERY sequence"),
    (lambda hiddens, lengths: hiddens[:, 0], "first step"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_last_valid_step_mistakes(student, message, kind):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"last_valid_step_{kind}")(student)


def test_last_valid_step_reference_is_torch_packed_sequence():
    # the right answer is what torch's own GRU returns for each sequence's last real step
    rng = np.random.default_rng(0)
    hiddens, lengths, last = checks._padded_case(rng, [3, 1, 4])
    np.testing.assert_allclose(sentiment.last_valid_step(hiddens, lengths), last, atol=1e-12)
    assert not np.allclose(hiddens[:, -1], last)


@pytest.mark.parametrize("student, message", [
    (lambda hiddens, mask: hiddens.mean(axis=1), "padding included"),
    (lambda hiddens, mask: (hiddens * np.asarray(mask, float)[:, :, None]).sum(axis=1)
     / hiddens.shape[1], "divided by T"),
    (lambda hiddens, mask: (hiddens * np.asarray(mask, float)[:, :, None]).sum(axis=1),
     "masked SUM"),
    (lambda hiddens, mask: (hiddens * mask).sum(axis=1), "broadcasts over H"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_masked_mean_mistakes(student, message, kind):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"masked_mean_{kind}")(student)


def test_a_student_who_edits_the_inputs_cannot_change_the_expected_answer():
    def student(hiddens, lengths):
        right = sentiment.last_valid_step(hiddens, lengths)
        hiddens[:] = 0.0
        return right
    checks.last_valid_step_public(student)
