"""Checks for Chapter 3's exercises: gru_cell_forward, parameter_counts, last_valid_step
and masked_mean.

The right answers come from torch: ``torch.nn.GRUCell`` for the cell, the modules' own
``parameters()`` for the counts, and a GRU run over a packed batch
(``pack_padded_sequence``) for the last valid step. The typical mistakes are built from
the book's numpy code, so a message can name the one a student made: the reset gate
applied before the matrix product (the original paper's placement, which torch does not
use), the update interpolation reversed, the packed blocks read in the wrong order, a
padded step read instead of the last real one.
"""

import itertools

import numpy as np
import torch

from seqbook import reference
from seqbook.checks import (
    ExerciseFailure,
    call_student,
    diagnose,
    expect_array,
    hidden_rng,
    matches,
    shuffled,
    size,
)
from seqbook.models.recurrent import RECURRENT
from seqbook.tasks.vocabulary import length_mask

TRANSPOSE_HINT = (
    "A shape mismatch usually means a missing transpose: W_x has shape (3H, D) and x has "
    "shape (B, D), so the input terms together are x @ W_x.T + b_x, of shape (B, 3H); "
    "then split them into three blocks of H columns, in the order r, z, n."
)
GATE_NAMES = ("r", "z", "n")


# ---------------------------------------------------------------------------------------
# gru_cell_forward
# ---------------------------------------------------------------------------------------


def _cell_case(rng, batch, input_size, hidden_size, update_bias=0.0):
    weights = reference.random_gru_weights(input_size, hidden_size, rng, update_bias)
    for name in ("b_x", "b_h"):  # biases big enough that leaving one out shows
        weights[name] = weights[name] + rng.uniform(-0.8, 0.8, size=3 * hidden_size)
    x = rng.standard_normal((batch, input_size))
    hidden_prev = rng.uniform(-1, 1, size=(batch, hidden_size))
    return x, hidden_prev, weights


def _torch_gru_cell(x, hidden_prev, W_x, W_h, b_x, b_h):
    """torch.nn.GRUCell with the given weights: the independent reference, (B, H)."""
    D, H = W_x.shape[1], W_h.shape[1]
    with torch.random.fork_rng():  # a check must not move the lab's random numbers on
        cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.as_tensor(W_x))
        cell.weight_hh.copy_(torch.as_tensor(W_h))
        cell.bias_ih.copy_(torch.as_tensor(b_x))
        cell.bias_hh.copy_(torch.as_tensor(b_h))
        return cell(torch.as_tensor(x), torch.as_tensor(hidden_prev)).numpy()


def _combine(x_blocks, h_blocks, hidden_prev, W_hn=None, b_hn=None, gate=reference.sigmoid,
             squash=np.tanh, reversed_update=False, reset_before_product=False,
             b_hn_outside=False, no_reset=False):
    """The GRU step from its pre-activation blocks, with switches for the typical mistakes.

    ``x_blocks`` are x W_x^T + b_x split into (r, z, n) and ``h_blocks`` the same for the
    hidden state; the switches rebuild the candidate the wrong way.
    """
    x_r, x_z, x_n = x_blocks
    h_r, h_z, h_n = h_blocks
    reset_gate, update_gate = gate(x_r + h_r), gate(x_z + h_z)
    if reset_before_product:
        recurrent = (reset_gate * hidden_prev) @ W_hn.T + b_hn
    elif b_hn_outside:
        recurrent = reset_gate * (h_n - b_hn) + b_hn
    elif no_reset:
        recurrent = h_n
    else:
        recurrent = reset_gate * h_n
    candidate = squash(x_n + recurrent)
    if reversed_update:
        return update_gate * candidate + (1.0 - update_gate) * hidden_prev
    return (1.0 - update_gate) * candidate + update_gate * hidden_prev


def _cell_mistakes(x, hidden_prev, W_x, W_h, b_x, b_h):
    """What the typical wrong versions of equations (3.1) to (3.4) return, each (B, H)."""
    H = hidden_prev.shape[1]
    x_blocks = np.split(x @ W_x.T + b_x, 3, axis=1)
    h_blocks = np.split(hidden_prev @ W_h.T + b_h, 3, axis=1)
    W_hn, b_hn = W_h[2 * H:], b_h[2 * H:]
    args = (x_blocks, h_blocks, hidden_prev)
    mistakes = {
        "the reset gate is applied before the matrix product, r * h_{t-1} then W_hn. That "
        "is the original paper's GRU (equation 3.5); torch.nn.GRU applies r after the "
        "product: n = tanh(W_xn x + b_xn + r * (W_hn h_{t-1} + b_hn)), equation (3.3).":
            _combine(*args, W_hn=W_hn, b_hn=b_hn, reset_before_product=True),
        "the update interpolation is reversed: in torch's convention z is the share of "
        "the OLD state that is kept, h_t = (1 - z) * n + z * h_{t-1} (equation 3.4).":
            _combine(*args, reversed_update=True),
        "b_hn is outside the reset product: it belongs inside, r * (W_hn h_{t-1} + b_hn), "
        "which is why the GRU keeps torch's two biases apart.":
            _combine(*args, b_hn=b_hn, b_hn_outside=True),
        "the reset gate is missing from the candidate: n = tanh(W_xn x + b_xn + r * (W_hn "
        "h_{t-1} + b_hn)).": _combine(*args, no_reset=True),
        "the gates match tanh, not sigmoid. r and z are sigmoid layers, with values in "
        "(0, 1); only the candidate n uses tanh.": _combine(*args, gate=np.tanh),
        "the candidate matches sigmoid, not tanh: n is a tanh layer, with values in "
        "(-1, 1).": _combine(*args, squash=reference.sigmoid),
        "the recurrent biases b_h are missing: torch adds both b_x and b_h.":
            _combine(x_blocks, np.split(hidden_prev @ W_h.T, 3, axis=1), hidden_prev),
        "the input biases b_x are missing: torch adds both b_x and b_h.":
            _combine(np.split(x @ W_x.T, 3, axis=1), h_blocks, hidden_prev),
        "the recurrent term W_h h_{t-1} is missing.":
            _combine(x_blocks, np.split(0 * hidden_prev @ W_h.T + b_h, 3, axis=1),
                     hidden_prev),
    }
    for order in itertools.permutations(range(3)):
        if order == (0, 1, 2):
            continue
        named = ", ".join(GATE_NAMES[k] for k in order)
        # the student read block k of the packed weights as the part order[k]
        by_part_x, by_part_h = [None] * 3, [None] * 3
        for block, part in enumerate(order):
            by_part_x[part], by_part_h[part] = x_blocks[block], h_blocks[block]
        mistakes[
            f"the three blocks of W_x, W_h, b_x and b_h are taken in the order {named}. "
            "torch packs them in the order r, z, n: reset gate, update gate, candidate."
        ] = _combine(by_part_x, by_part_h, hidden_prev)
    return mistakes


def _check_cell(student, x, hidden_prev, weights, what):
    result = call_student(student, x, hidden_prev, weights["W_x"], weights["W_h"],
                          weights["b_x"], weights["b_h"], name="gru_cell_forward",
                          hint=TRANSPOSE_HINT, case=what)
    if isinstance(result, (tuple, list)):
        raise ExerciseFailure(
            f"gru_cell_forward returned a {type(result).__name__}; it should return only the "
            "new hidden state h_t, one array of shape (B, H): the GRU has no cell state."
        )
    result = expect_array(result, hidden_prev.shape, f"gru_cell_forward's h_t ({what})")
    expected = _torch_gru_cell(x, hidden_prev, **weights)
    if matches(result, expected):
        return
    named = [message for message, wrong in _cell_mistakes(x, hidden_prev, **weights).items()
             if matches(result, wrong)]
    if len(named) > 1:  # on this case several mistakes give the same numbers: name them all
        raise ExerciseFailure(f"{what}: the result matches more than one typical mistake, "
                              "which give the same numbers here. One of these: "
                              + " OR ".join(named))
    diagnose(result, expected, dict.fromkeys(named, result), what)


def gru_cell_forward_public(student):
    """Biases alone, the input alone, then everything (B = 3, D = 4, H = 5)."""
    rng = np.random.default_rng(3101)
    x, hidden_prev, weights = _cell_case(rng, batch=3, input_size=4, hidden_size=5)
    zero_x, zero_state = np.zeros_like(x), np.zeros_like(hidden_prev)
    _check_cell(student, zero_x, zero_state, weights, "with x = 0 and h_prev = 0 (biases "
                "only)")
    _check_cell(student, x, zero_state, weights, "with h_prev = 0 (input and biases only)")
    _check_cell(student, x, hidden_prev, weights, "on a batch of 3 with D = 4, H = 5")


def gru_cell_forward_hidden(student):
    """From the instructor's seed: a single example and unit, a single example, two
    larger layers, a strong update bias, an update gate saturated at 1 (the state must be
    kept), large inputs."""
    rng = hidden_rng("gru_cell_forward", 3202)
    sizes = shuffled(rng, [(1, 1, 1), (1, size(rng, 2, 5), size(rng, 2, 4)),
                           (size(rng, 5, 9), size(rng, 1, 3), size(rng, 6, 12)),
                           (size(rng, 10, 20), size(rng, 6, 12), size(rng, 3, 8))])
    for batch, input_size, hidden_size in sizes:
        case = _cell_case(rng, batch, input_size, hidden_size)
        _check_cell(student, *case, f"with B = {batch}, D = {input_size}, H = {hidden_size}")
    bias = float(np.round(rng.uniform(3, 5), 1))
    case = _cell_case(rng, size(rng, 2, 6), size(rng, 2, 4), size(rng, 2, 4), update_bias=bias)
    _check_cell(student, *case, f"with an update-gate bias of +{bias:g}")
    x, hidden_prev, weights = _cell_case(rng, size(rng, 2, 6), size(rng, 2, 4),
                                         size(rng, 2, 4), update_bias=40.0)
    result = call_student(student, x, hidden_prev, weights["W_x"], weights["W_h"],
                          weights["b_x"], weights["b_h"], name="gru_cell_forward",
                          case="with the update gate saturated")
    result = expect_array(result, hidden_prev.shape, "gru_cell_forward's h_t")
    if not matches(result, hidden_prev, tolerance=1e-6):
        raise ExerciseFailure("with the update gate saturated at z = 1 the GRU must keep its "
                              "old state, h_t = h_{t-1}; yours changed it.")
    x, hidden_prev, weights = _cell_case(rng, size(rng, 2, 6), size(rng, 2, 4), size(rng, 2, 4))
    result = call_student(student, rng.uniform(80, 120) * x, hidden_prev, weights["W_x"],
                          weights["W_h"], weights["b_x"], weights["b_h"],
                          name="gru_cell_forward", case="for large inputs")
    result = expect_array(result, hidden_prev.shape, "gru_cell_forward's h_t (large inputs)")
    if np.abs(result).max() > 1.0:
        raise ExerciseFailure("for large inputs the hidden state left (-1, 1): h_t mixes "
                              "h_{t-1} and a tanh candidate, both in (-1, 1).")


# ---------------------------------------------------------------------------------------
# parameter_counts
# ---------------------------------------------------------------------------------------

KINDS = ("rnn", "lstm", "gru")
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def _torch_counts(input_size, hidden_size):
    """sum(p.numel()) of one layer of each torch module: the independent reference."""
    with torch.random.fork_rng():
        return {kind: sum(p.numel() for p in module(input_size, hidden_size).parameters())
                for kind, module in RECURRENT.items()}


def _count_mistakes(kind, D, H):
    """What the typical wrong formulas give for one kind of layer."""
    blocks = BLOCKS[kind]
    mistakes = {
        "torch keeps TWO bias vectors per block (bias_ih and bias_hh): count 2H biases per "
        "block, not H.": blocks * (H * D + H * H + H),
        "the biases are missing: each block has 2H of them (bias_ih and bias_hh).":
            blocks * (H * D + H * H),
        "the recurrent weights W_h (H x H per block) are missing.": blocks * (H * D + 2 * H),
        "the input weights W_x (H x D per block) are missing.": blocks * (H * H + 2 * H),
        "the input weights are counted as D x D instead of H x D.":
            blocks * (D * D + H * H + 2 * H),
        "the count is for one block only: multiply by the number of blocks (1 for the RNN, "
        "4 for the LSTM: i, f, g, o; 3 for the GRU: r, z, n).": H * D + H * H + 2 * H,
    }
    for wrong_blocks, named in ((4, "four, like the LSTM"), (3, "three, like the GRU"),
                                (1, "one, like the RNN")):
        if wrong_blocks != blocks:
            mistakes[f"this counts {named}; the {kind.upper()} has {blocks} block"
                     f"{'s' if blocks > 1 else ''}."] = wrong_blocks * (H * D + H * H + 2 * H)
    return mistakes


def _check_counts(student, input_size, hidden_size):
    case = f"parameter_counts(input_size={input_size}, hidden_size={hidden_size})"
    result = call_student(student, input_size, hidden_size, name="parameter_counts",
                          case=f"for {case}")
    if not isinstance(result, dict):
        raise ExerciseFailure(f"{case} should return a dict with the keys 'rnn', 'lstm' and "
                              f"'gru'; got {type(result).__name__}.")
    if set(result) != set(KINDS):
        raise ExerciseFailure(f"{case} returned the keys {sorted(result)}; expected exactly "
                              "'rnn', 'lstm' and 'gru'.")
    expected = _torch_counts(input_size, hidden_size)
    for kind in KINDS:
        value = result[kind]
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise ExerciseFailure(f"{case}['{kind}'] should be a whole number; got "
                                  f"{value!r}.")
        if value == expected[kind]:
            continue
        for message, wrong in _count_mistakes(kind, input_size, hidden_size).items():
            if value == wrong:
                raise ExerciseFailure(f"{case}['{kind}'] is {value}, not {expected[kind]}: "
                                      f"{message}")
        raise ExerciseFailure(f"{case}['{kind}'] is {value}; torch's {kind.upper()} has "
                              f"{expected[kind]} parameters. Count each block's W_x, W_h and "
                              "both biases.")


def parameter_counts_public(student):
    """Input and hidden sizes that differ, so D and H cannot be mixed up unnoticed."""
    _check_counts(student, 3, 5)
    _check_counts(student, 10, 32)


def parameter_counts_hidden(student):
    """From the instructor's seed: the smallest layer, a square one, a large one, and
    one input feeding many units."""
    rng = hidden_rng("parameter_counts", 3303)
    square = size(rng, 2, 16)
    for input_size, hidden_size in shuffled(rng, [(1, 1), (square, square),
                                                  (size(rng, 200, 400), size(rng, 300, 600)),
                                                  (1, size(rng, 50, 150))]):
        _check_counts(student, input_size, hidden_size)


# ---------------------------------------------------------------------------------------
# last_valid_step and masked_mean
# ---------------------------------------------------------------------------------------


def _padded_case(rng, lengths, input_size=3, hidden_size=4):
    """A real GRU run over a padded batch: hiddens (B, T, H), lengths (B,) and h at each
    sequence's last real step, taken from torch's packed-sequence GRU."""
    lengths = np.asarray(lengths)
    B, T = len(lengths), int(lengths.max()) + 1  # one padded step even for the longest
    xs = rng.standard_normal((B, T, input_size))
    with torch.random.fork_rng():
        torch.manual_seed(int(rng.integers(1 << 30)))
        gru = torch.nn.GRU(input_size, hidden_size, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        hiddens, _ = gru(torch.as_tensor(xs))  # padding steps are run too, as in a batch
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            torch.as_tensor(xs), torch.as_tensor(lengths), batch_first=True,
            enforce_sorted=False)
        _, last = gru(packed)  # torch stops each sequence at its own length
    return hiddens.numpy(), lengths, last[0].numpy()


def _check_last(student, hiddens, lengths, expected, what):
    B, T, H = hiddens.shape
    result = call_student(student, hiddens.copy(), lengths.copy(), name="last_valid_step",
                          hint="Index with two arrays, hiddens[np.arange(B), lengths - 1].",
                          case=what)
    if np.shape(result) == (B, B, H):
        raise ExerciseFailure(
            f"last_valid_step returned shape {(B, B, H)}: hiddens[:, lengths - 1] takes every "
            "chosen step for EVERY sequence. Pair each row with its own step: "
            "hiddens[np.arange(B), lengths - 1]."
        )
    result = expect_array(result, (B, H), f"last_valid_step ({what})")
    rows = np.arange(B)
    mistakes = {
        "this is hiddens[:, -1], the last column of the padded batch. For a sequence "
        "shorter than T that is a padding step: read each sequence at its own last real "
        "step, lengths - 1.": hiddens[:, -1],
        "this is one step too late: a sequence of length L ends at index L - 1.":
            hiddens[rows, np.minimum(lengths, T - 1)],
        "this is one step too early: a sequence of length L ends at index L - 1.":
            hiddens[rows, lengths - 2],  # for length 1 this wraps round to a padding step
        "this is the first step of each sequence, hiddens[:, 0].": hiddens[:, 0],
    }
    diagnose(result, expected, mistakes, what, tolerance=1e-10)


def last_valid_step_public(student):
    """Three sequences of lengths 4, 2 and 5 in one padded batch."""
    rng = np.random.default_rng(3303)
    hiddens, lengths, expected = _padded_case(rng, [4, 2, 5])
    _check_last(student, hiddens, lengths, expected, "lengths 4, 2, 5, padded to T = 6")


def _drawn_lengths(rng):
    """Lengths of padded batches drawn from ``rng``: with a length one, a batch of one,
    equal lengths, and a longer batch."""
    equal = size(rng, 2, 6)
    return shuffled(rng, [[1, size(rng, 2, 6)], [size(rng, 3, 9)],
                          [equal] * size(rng, 2, 4),
                          [size(rng, 1, 14) for _ in range(size(rng, 6, 10))]])


def last_valid_step_hidden(student):
    """From the instructor's seed: length one, a batch of one, equal lengths, a longer
    batch, and a batch whose longest sequence fills it (no padding after it)."""
    rng = hidden_rng("last_valid_step", 3404)
    for lengths in _drawn_lengths(rng):
        hiddens, lengths_, expected = _padded_case(rng, lengths, hidden_size=size(rng, 2, 8))
        _check_last(student, hiddens, lengths_, expected, f"lengths {lengths}")
    longest = size(rng, 4, 8)
    hiddens, lengths_, expected = _padded_case(rng, [longest, size(rng, 1, longest - 1)])
    hiddens = hiddens[:, :longest]  # the longest sequence fills the batch: no padding after it
    _check_last(student, hiddens, lengths_, expected,
                f"lengths {longest}, {lengths_[1]}, padded to T = {longest}")


def _check_mean(student, hiddens, lengths, what, boolean_mask=False):
    B, T, H = hiddens.shape
    mask = length_mask(lengths, T).astype(np.float64)
    given_mask = mask.astype(bool) if boolean_mask else mask
    result = call_student(student, hiddens.copy(), given_mask.copy(), name="masked_mean",
                          hint="Multiply by mask[:, :, None] so the mask broadcasts over H.",
                          case=what)
    result = expect_array(result, (B, H), f"masked_mean ({what})")
    expected = np.stack([hiddens[b, :length].mean(axis=0) for b, length in enumerate(lengths)])
    mistakes = {
        "this is the mean over all T steps, padding included: multiply by the mask and "
        "divide by each sequence's number of real steps.": hiddens.mean(axis=1),
        "the padding is masked out but the sum is divided by T: divide by each sequence's "
        "own length, mask.sum(axis=1).": (hiddens * mask[:, :, None]).sum(axis=1) / T,
        "this is the masked SUM: divide by each sequence's number of real steps.":
            (hiddens * mask[:, :, None]).sum(axis=1),
    }
    diagnose(result, expected, mistakes, what, tolerance=1e-10)


def masked_mean_public(student):
    """Three sequences of lengths 4, 2 and 5 in one padded batch, a 0/1 float mask."""
    rng = np.random.default_rng(3505)
    hiddens, lengths, _ = _padded_case(rng, [4, 2, 5])
    _check_mean(student, hiddens, lengths, "lengths 4, 2, 5, padded to T = 6")


def masked_mean_hidden(student):
    """From the instructor's seed: length one, a batch of one, equal lengths, a longer
    batch, and a boolean mask."""
    rng = hidden_rng("masked_mean", 3606)
    for lengths in _drawn_lengths(rng):
        hiddens, lengths_, _ = _padded_case(rng, lengths, hidden_size=size(rng, 2, 8))
        _check_mean(student, hiddens, lengths_, f"lengths {lengths}")
    lengths = [size(rng, 1, 7) for _ in range(size(rng, 2, 4))]
    hiddens, lengths_, _ = _padded_case(rng, lengths)
    _check_mean(student, hiddens, lengths_,
                f"lengths {', '.join(map(str, lengths))} with a boolean mask",
                boolean_mask=True)
