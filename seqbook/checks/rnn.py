"""Checks for Chapter 1's exercises: rnn_cell_forward, rnn_forward, rnn_cell_backward,
clip_gradient_norm, vanishing_horizon and char_rnn_training_step.

Public checks isolate one term at a time (zero inputs, zero state, zero bias) so that
the message can say which term is wrong; hidden checks try other sizes and edge cases.
The training step's checks hand the student a float64 model and its optimizer and compare
the loss returned and the parameters left with an independent torch formulation of the
same step (a gathered log-softmax, autograd, the clip and the update written out).
"""

import numpy as np

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
    shuffled,
    size,
)

TRANSPOSE_HINT = (
    "A shape mismatch usually means a missing transpose: W_xh has shape (H, D) and x has "
    "shape (B, D), so the input term is x @ W_xh.T (and the recurrent term hidden_prev @ W_hh.T)."
)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _cell_case(rng, batch, input_size, hidden_size):
    weights = reference.random_rnn_weights(input_size, hidden_size, rng)
    weights["b_h"] = rng.uniform(-0.5, 0.5, size=hidden_size)
    x = rng.standard_normal((batch, input_size))
    hidden_prev = rng.uniform(-1, 1, size=(batch, hidden_size))
    return x, hidden_prev, weights


def _cell_mistakes(x, hidden_prev, W_xh, W_hh, b_h):
    """What the typical wrong versions of equation (1.1) return."""
    pre = x @ W_xh.T + hidden_prev @ W_hh.T + b_h
    mistakes = {
        "the values match sigmoid, not tanh. The RNN cell squashes with np.tanh, into "
        "(-1, 1).": _sigmoid(pre),
        "the values are not squashed: apply np.tanh to the sum.": pre,
        "the values match ReLU, not tanh: use np.tanh.": np.maximum(pre, 0.0),
        "the bias b_h is missing from the sum.": np.tanh(x @ W_xh.T + hidden_prev @ W_hh.T),
        "the recurrent term W_hh h_{t-1} is missing: the previous hidden state must feed "
        "in.": np.tanh(x @ W_xh.T + b_h),
        "the input term W_xh x_t is missing.": np.tanh(hidden_prev @ W_hh.T + b_h),
    }
    # W_hh is square, so using it untransposed always gives the right shape
    mistakes[
        "W_hh is used untransposed: the recurrent term is hidden_prev @ W_hh.T."
    ] = np.tanh(x @ W_xh.T + hidden_prev @ W_hh + b_h)
    if W_xh.shape[0] == W_xh.shape[1]:
        mistakes[
            "the weights are used untransposed. With a batch stored as rows, W_xh x_t "
            "becomes x @ W_xh.T (W_xh has shape (H, D))."
        ] = np.tanh(x @ W_xh + hidden_prev @ W_hh + b_h)
        mistakes["W_xh is used untransposed: the input term is x @ W_xh.T."] = np.tanh(
            x @ W_xh + hidden_prev @ W_hh.T + b_h
        )
    if x.shape[1] == hidden_prev.shape[1]:
        mistakes["W_xh and W_hh are swapped."] = np.tanh(x @ W_hh.T + hidden_prev @ W_xh.T + b_h)
    return mistakes


def _check_cell(student, x, hidden_prev, weights, what):
    result = call_student(student, x, hidden_prev, weights["W_xh"], weights["W_hh"],
                          weights["b_h"], name="rnn_cell_forward", hint=TRANSPOSE_HINT,
                          case=what)
    B, H = hidden_prev.shape
    result = expect_array(result, (B, H), f"rnn_cell_forward's output ({what})")
    expected = reference.rnn_cell_forward(x, hidden_prev, **weights)
    diagnose(result, expected, _cell_mistakes(x, hidden_prev, **weights), what)


def rnn_cell_forward_public(student):
    """Bias alone, input alone, state alone, then everything, at B=3, D=4, H=5."""
    rng = np.random.default_rng(101)
    x, hidden_prev, weights = _cell_case(rng, batch=3, input_size=4, hidden_size=5)
    zero_x, zero_h = np.zeros_like(x), np.zeros_like(hidden_prev)
    only_bias = dict(weights)
    _check_cell(student, zero_x, zero_h, only_bias, "with x = 0 and h_prev = 0 (bias only)")
    no_bias = dict(weights, b_h=np.zeros(5))
    _check_cell(student, x, zero_h, no_bias, "with h_prev = 0 and b_h = 0 (input term only)")
    _check_cell(student, zero_x, hidden_prev, no_bias, "with x = 0 and b_h = 0 (recurrent "
                "term only)")
    _check_cell(student, x, hidden_prev, weights, "on a batch of 3 with D = 4, H = 5")
    square = reference.random_rnn_weights(5, 5, rng)
    square_x = rng.standard_normal((3, 5))
    _check_cell(student, square_x, hidden_prev, square, "with D = H = 5 (square weights)")


def rnn_cell_forward_hidden(student):
    """Sizes and values from the instructor's seed: a single example and a single unit,
    a single example, square weights, two larger layers, then large inputs."""
    rng = hidden_rng("rnn_cell_forward", 202)
    sizes = shuffled(rng, [(1, 1, 1), (1, size(rng, 2, 5), size(rng, 2, 5)),
                           (size(rng, 2, 6),) + (size(rng, 2, 7),) * 2,
                           (size(rng, 5, 9), size(rng, 1, 3), size(rng, 6, 12)),
                           (size(rng, 10, 20), size(rng, 6, 12), size(rng, 2, 8))])
    for batch, input_size, hidden_size in sizes:
        x, hidden_prev, weights = _cell_case(rng, batch, input_size, hidden_size)
        _check_cell(student, x, hidden_prev, weights,
                    f"with B = {batch}, D = {input_size}, H = {hidden_size}")
    batch, input_size, hidden_size = size(rng, 2, 6), size(rng, 2, 5), size(rng, 2, 5)
    x, hidden_prev, weights = _cell_case(rng, batch, input_size, hidden_size)
    result = call_student(student, rng.uniform(40, 60) * x, hidden_prev, weights["W_xh"],
                          weights["W_hh"], weights["b_h"], name="rnn_cell_forward",
                          case="for large inputs")
    result = expect_array(result, (batch, hidden_size),
                          "rnn_cell_forward's output for large inputs")
    if np.abs(result).max() > 1.0:
        raise ExerciseFailure("for large inputs the hidden state left (-1, 1): apply np.tanh.")


def _forward_case(rng, batch, length, input_size, hidden_size):
    weights = reference.random_rnn_weights(input_size, hidden_size, rng)
    xs = rng.standard_normal((batch, length, input_size))
    hidden0 = rng.uniform(-1, 1, size=(batch, hidden_size))
    return xs, hidden0, weights


def _check_forward(student, xs, hidden0, weights, what):
    B, T, _ = xs.shape
    H = hidden0.shape[1]
    result = call_student(student, xs, hidden0, weights["W_xh"], weights["W_hh"],
                          weights["b_h"], name="rnn_forward", case=what)
    if result is not None and np.shape(result) == (B, H):  # never (B, T, H), even T = 1
        raise ExerciseFailure(
            f"rnn_forward returned shape {(B, H)}, one hidden state. Return all of them, "
            f"h_1 ... h_T, stacked along axis 1: shape (B, T, H) = {(B, T, H)}."
        )
    if result is not None and np.shape(result) == (T, B, H) and T != B:
        raise ExerciseFailure(
            f"rnn_forward returned shape {(T, B, H)}, time first. The book is batch-first: "
            f"stack along axis=1 to get (B, T, H) = {(B, T, H)}."
        )
    result = expect_array(result, (B, T, H), f"rnn_forward's output ({what})")
    expected = reference.rnn_forward(xs, hidden0, **weights)
    zeros = np.zeros_like(hidden0)
    mistakes = {
        "the initial state hidden0 is ignored: start the loop from hidden = hidden0.":
            reference.rnn_forward(xs, zeros, **weights),
        "the hidden state is not carried from step to step: each step must be fed the "
        "previous step's output, not hidden0 again.": np.stack(
            [reference.rnn_cell_forward(xs[:, t], hidden0, **weights) for t in range(T)], axis=1
        ),
        "the states are shifted by one step: position t should hold h_t (after reading "
        "x_t), so do not store h_0, and do include h_T.": np.concatenate(
            [hidden0[:, None], expected[:, :-1]], axis=1
        ),
    }
    diagnose(result, expected, mistakes, what)


@blames_earlier("rnn_cell_forward")
def rnn_forward_public(student):
    """A batch of 2 sequences of length 6, D = 3, H = 4, with a non-zero h_0."""
    rng = np.random.default_rng(303)
    xs, hidden0, weights = _forward_case(rng, batch=2, length=6, input_size=3, hidden_size=4)
    _check_forward(student, xs, hidden0, weights, "B = 2, T = 6, D = 3, H = 4")


@blames_earlier("rnn_cell_forward")
def rnn_forward_hidden(student):
    """Sizes and values from the instructor's seed: length one, a single sequence and a
    single unit, a long sequence, and B = T."""
    rng = hidden_rng("rnn_forward", 404)
    sizes = forward_sizes(rng, (30, 60))
    for batch, length, input_size, hidden_size in sizes:
        xs, hidden0, weights = _forward_case(rng, batch, length, input_size, hidden_size)
        _check_forward(student, xs, hidden0, weights,
                       f"B = {batch}, T = {length}, D = {input_size}, H = {hidden_size}")


BACKWARD_KEYS = ("x", "hidden_prev", "W_xh", "W_hh", "b_h")


def _torch_cell_gradients(d_hidden, x, hidden_prev, weights):
    """The gradients of sum(d_hidden * h_t) by torch autograd: an independent reference."""
    import torch

    tensors = {
        "x": torch.tensor(x, requires_grad=True),
        "hidden_prev": torch.tensor(hidden_prev, requires_grad=True),
        "W_xh": torch.tensor(weights["W_xh"], requires_grad=True),
        "W_hh": torch.tensor(weights["W_hh"], requires_grad=True),
        "b_h": torch.tensor(weights["b_h"], requires_grad=True),
    }
    hidden = torch.tanh(tensors["x"] @ tensors["W_xh"].T
                        + tensors["hidden_prev"] @ tensors["W_hh"].T + tensors["b_h"])
    (hidden * torch.tensor(d_hidden)).sum().backward()
    return {key: tensor.grad.numpy() for key, tensor in tensors.items()}


def _check_backward(student, rng, batch, input_size, hidden_size, what):
    x, hidden_prev, weights = _cell_case(rng, batch, input_size, hidden_size)
    hidden = reference.rnn_cell_forward(x, hidden_prev, **weights)
    d_hidden = rng.standard_normal((batch, hidden_size))
    result = call_student(student, d_hidden, x, hidden_prev, hidden, weights["W_xh"],
                          weights["W_hh"], name="rnn_cell_backward", case=what)
    if result is None or result is Ellipsis:
        raise ExerciseFailure("rnn_cell_backward returned None: return the dict of reference.")
    expected = _torch_cell_gradients(d_hidden, x, hidden_prev, weights)
    d_pre = d_hidden * (1 - hidden**2)
    no_tanh = d_hidden
    shapes = {"x": x.shape, "hidden_prev": hidden_prev.shape, "W_xh": weights["W_xh"].shape,
              "W_hh": weights["W_hh"].shape, "b_h": weights["b_h"].shape}
    mistakes_by_key = {
        "x": {"forgot the tanh derivative (1 - h_t**2) before multiplying by W_xh.":
              no_tanh @ weights["W_xh"]},
        "hidden_prev": {"forgot the tanh derivative (1 - h_t**2).": no_tanh @ weights["W_hh"]},
        "W_xh": {
            "forgot the tanh derivative: multiply d_hidden by (1 - h_t**2) first.":
                no_tanh.T @ x,
            "averaged over the batch: the weight gradient is a sum over the examples, "
            "d_pre.T @ x.": d_pre.T @ x / batch,
        },
        "W_hh": {
            "forgot the tanh derivative: multiply d_hidden by (1 - h_t**2) first.":
                no_tanh.T @ hidden_prev,
            "used h_t where h_{t-1} belongs: W_hh multiplies the previous state.":
                d_pre.T @ hidden,
        },
        "b_h": {
            "forgot the tanh derivative (1 - h_t**2).": no_tanh.sum(axis=0),
            "averaged over the batch: sum d_pre over axis 0 instead.": d_pre.mean(axis=0),
        },
    }
    check_gradient_dict(result, "rnn_cell_backward", BACKWARD_KEYS, shapes, expected,
                        mistakes_by_key, what, tolerance=1e-7)


def rnn_cell_backward_public(student):
    """Compares every gradient with torch autograd at B = 3, D = 4, H = 5."""
    _check_backward(student, np.random.default_rng(505), 3, 4, 5, "B = 3, D = 4, H = 5")


def rnn_cell_backward_hidden(student):
    """Sizes and values from the instructor's seed: a single example and unit, a single
    example, square weights, a larger batch."""
    rng = hidden_rng("rnn_cell_backward", 606)
    square = size(rng, 3, 7)
    sizes = shuffled(rng, [(1, 1, 1), (1, size(rng, 2, 5), size(rng, 2, 5)),
                           (size(rng, 3, 8), square, square),
                           (size(rng, 8, 14), size(rng, 1, 4), size(rng, 4, 9))])
    for batch, input_size, hidden_size in sizes:
        _check_backward(student, rng, batch, input_size, hidden_size,
                        f"B = {batch}, D = {input_size}, H = {hidden_size}")


def _check_clip(student, grads, max_norm, what):
    originals = [g.copy() for g in grads]
    result = call_student(student, grads, max_norm, name="clip_gradient_norm", case=what)
    if not isinstance(result, tuple) or len(result) != 2:
        raise ExerciseFailure(
            "clip_gradient_norm should return a pair (clipped, total_norm); got "
            f"{type(result).__name__}."
        )
    clipped, total_norm = result
    if any(not np.array_equal(g, o) for g, o in zip(grads, originals)):
        raise ExerciseFailure("clip_gradient_norm changed the arrays it was given: build new "
                              "arrays (g * factor) instead of scaling in place.")
    expected, expected_norm = reference.clip_gradient_norm(originals, max_norm)
    if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
        raise ExerciseFailure(f"the clipped gradients should be a list of {len(grads)} arrays.")
    try:
        total_norm = float(total_norm)
    except (TypeError, ValueError):
        raise ExerciseFailure("total_norm should be a number, the norm before clipping.")
    per_array = [np.sqrt(np.sum(g**2)) for g in originals]
    if not np.isclose(total_norm, expected_norm, rtol=1e-9):
        if any(np.isclose(total_norm, n) for n in per_array):
            raise ExerciseFailure(f"{what}: total_norm is one array's norm; it is the norm of "
                                  "all arrays together, sqrt of the sum of all squares.")
        if np.isclose(total_norm, np.sqrt(sum(np.sum(g**2) for g in expected))):
            raise ExerciseFailure(f"{what}: total_norm is the norm after clipping; return the "
                                  "norm before clipping.")
        raise ExerciseFailure(f"{what}: total_norm is {total_norm:.6g}, expected "
                              f"{expected_norm:.6g}.")
    per_array_clipped = [g * min(1.0, max_norm / n) if n > 0 else g
                         for g, n in zip(originals, per_array)]
    for index, (mine, right) in enumerate(zip(clipped, expected)):
        mine = expect_array(mine, right.shape, f"clipped array {index}")
        diagnose(mine, right, {
            "each array was clipped on its own. Algorithm 1 rescales all gradients by one "
            "common factor, max_norm / total_norm.": per_array_clipped[index],
            "the gradients were rescaled to max_norm even though their norm was below it: "
            "only clip when total_norm > max_norm.": right * max_norm / max(expected_norm,
                                                                            1e-300),
        }, f"{what}, array {index}", tolerance=1e-9)


def clip_gradient_norm_public(student):
    """Below the threshold nothing changes; above it, one common factor; like torch."""
    rng = np.random.default_rng(707)
    small = [0.01 * rng.standard_normal((3, 2)), 0.01 * rng.standard_normal(4)]
    _check_clip(student, small, 1.0, "when the norm is below max_norm")
    big = [5 * rng.standard_normal((3, 2)), rng.standard_normal(4)]
    _check_clip(student, big, 1.0, "when the norm is above max_norm")


def clip_gradient_norm_hidden(student):
    """From the instructor's seed: many arrays of drawn shapes, all-zero gradients, a
    single array of one large value, and a norm just above the threshold."""
    rng = hidden_rng("clip_gradient_norm", 808)
    count = size(rng, 4, 8)
    many = [rng.standard_normal((size(rng, 1, 5), size(rng, 1, 5))) for _ in range(count)]
    value = float(np.round(rng.uniform(10, 50), 1))
    limit = float(np.round(rng.uniform(0.5, 3.0), 2))
    near = [rng.standard_normal(size(rng, 2, 6)) for _ in range(2)]
    scale = 1.05 / np.sqrt(sum(np.sum(g**2) for g in near))
    cases = shuffled(rng, [
        (many, float(np.round(rng.uniform(0.2, 1.0), 2)), f"{count} arrays"),
        ([np.zeros((size(rng, 1, 3), 2)), np.zeros(size(rng, 1, 4))], 1.0,
         "all-zero gradients"),
        ([np.array([value])], limit, f"one array holding {value:g}"),
        ([g * scale for g in near], 1.0, "a norm just above max_norm")])
    for grads, max_norm, what in cases:
        _check_clip(student, grads, max_norm, what)


def _check_horizon(student, sigma, tolerance):
    result = call_student(student, sigma, tolerance, name="vanishing_horizon", none_ok=True,
                          case=f"for vanishing_horizon({sigma}, {tolerance})")
    expected = reference.vanishing_horizon(sigma, tolerance)
    case = f"vanishing_horizon({sigma}, {tolerance})"
    if expected is None:
        if result is not None:
            raise ExerciseFailure(
                f"{case} should be None: with sigma >= 1 the bound sigma**k never shrinks, so "
                "it guarantees nothing."
            )
        return
    if result is None or result is Ellipsis:
        raise ExerciseFailure(
            f"{case} returned None, but sigma < 1 here, so there is a horizon. If you have "
            "not started yet, replace the `...` with your code; None is only for sigma >= 1."
        )
    if isinstance(result, float) and result != int(result):
        raise ExerciseFailure(f"{case} returned {result}, not a whole number of steps.")
    if not isinstance(result, (int, np.integer, float)):
        raise ExerciseFailure(f"{case} should return an int; got {type(result).__name__}.")
    k = int(result)
    if k < 1:
        raise ExerciseFailure(f"{case} returned {k}: the horizon counts steps back, k >= 1.")
    if sigma**k >= tolerance:
        raise ExerciseFailure(f"{case} returned {k}, but sigma**{k} = {sigma**k:.3g} is not "
                              f"yet below {tolerance}: one step too early or more.")
    if k != expected:
        raise ExerciseFailure(f"{case} returned {k}, too late: already sigma**{expected} = "
                              f"{sigma**expected:.3g} < {tolerance}. Return the smallest k.")


def vanishing_horizon_public(student):
    """sigma = 0.5 and 0.9 at tolerance 1e-3, then sigma = 1.2, which has no horizon."""
    for sigma, tolerance in [(0.5, 1e-3), (0.9, 1e-3), (1.2, 1e-3)]:
        _check_horizon(student, sigma, tolerance)


def vanishing_horizon_hidden(student):
    """From the instructor's seed: sigma just below 1, small sigma with a loose
    tolerance, sigma = 1 exactly, a tight tolerance, a tolerance above 1, and a tolerance
    that is exactly a power of sigma (the strict inequality)."""
    rng = hidden_rng("vanishing_horizon", 909)
    sigma = float(np.round(rng.uniform(0.5, 0.95), 2))
    power = size(rng, 2, 4)
    cases = shuffled(rng, [
        (float(np.round(rng.uniform(0.97, 0.995), 3)), 1e-2),
        (float(np.round(rng.uniform(0.05, 0.3), 2)), 0.5),
        (1.0, 1e-3), (float(np.round(rng.uniform(1.01, 2.0), 2)), 1e-3),
        (float(np.round(rng.uniform(0.9, 0.97), 2)), 10.0 ** -size(rng, 5, 8)),
        (float(np.round(rng.uniform(0.2, 0.6), 2)), 2.0), (sigma, sigma**power)])
    for sigma, tolerance in cases:
        _check_horizon(student, sigma, tolerance)



# --- Exercise 6: one training step of the name model, in torch ----------------------------

STEP_HINT = (
    "The model returns a pair, (logits, state): unpack it, logits, _ = model(inputs). "
    "cross_entropy wants logits of shape (N, V) and targets of shape (N,): reshape both, "
    "and pass ignore_index=-1, since a target of -1 marks padding."
)
TORCH_CLIP_EPS = 1e-6  # torch's clip_grad_norm_ divides by (norm + 1e-6)


def _torch():
    import torch

    return torch


def _step_case(rng, batch, length, vocab_size, hidden_size, optimizer="sgd", warm=False):
    """A float64 CharModel with stale gradients in .grad (a previous batch's, so a missing
    zero_grad shows), its optimizer, and a padded batch of name-like sequences: each row
    starts with id 0 (the start/end symbol), targets are the inputs shifted by one and end
    with 0, and both are -1 after the row's length."""
    from seqbook.models.language import CharModel

    torch = _torch()
    with torch.random.fork_rng():  # a check must not move the lab's random numbers on
        torch.manual_seed(int(rng.integers(2**31)))
        model = CharModel(vocab_size, hidden_size, cell="rnn").double()

    def stale_gradients():
        for parameter in model.parameters():
            parameter.grad = torch.as_tensor(rng.standard_normal(tuple(parameter.shape)))

    if optimizer == "sgd":
        optim = torch.optim.SGD(model.parameters(), lr=float(np.round(rng.uniform(0.2, 0.5), 2)))
    else:
        optim = torch.optim.Adam(model.parameters(), lr=float(np.round(rng.uniform(0.01, 0.05),
                                                                        3)))
    if warm:  # an optimizer that has taken a step already: Adam's moments are not zero
        stale_gradients()
        optim.step()
    stale_gradients()
    lengths = [length] + [size(rng, 1, length) for _ in range(batch - 1)]
    lengths = [lengths[index] for index in rng.permutation(batch)]
    inputs = np.full((batch, length), -1, dtype=np.int64)
    targets = np.full((batch, length), -1, dtype=np.int64)
    for row, n in enumerate(lengths):
        letters = rng.integers(1, vocab_size, size=n - 1)
        inputs[row, :n] = np.concatenate([[0], letters])
        targets[row, :n] = np.concatenate([letters, [0]])
    return model, optim, torch.as_tensor(inputs), torch.as_tensor(targets)


def _picked_log_probs(logits, targets):
    """log p(target) at every position, 0 where the target is -1 (padding), and the mask."""
    torch = _torch()
    mask = targets >= 0  # (B, T)
    log_probs = torch.log_softmax(logits, dim=-1)  # (B, T, V)
    picked = log_probs.gather(-1, targets.clamp(min=0)[..., None])[..., 0]  # (B, T)
    return picked * mask, mask


def _expected_step(model, optimizer, inputs, targets, max_norm, variant="right"):
    """What one step does, written independently of the book's function: the masked mean
    of -log p by gather, gradients by torch.autograd.grad, the global-norm clip by hand,
    and SGD's or Adam's update by its formula. ``variant`` names a typical mistake.

    Returns ``(loss, parameters after, gradients left in .grad)``; a gradient of None is
    returned as None.
    """
    import copy

    torch = _torch()
    twin = copy.deepcopy(model)  # (a deep copy leaves .grad behind)
    parameters = list(twin.parameters())
    stale = [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
             for p in model.parameters()]
    logits, _ = twin(inputs)  # (B, T, V)
    picked, mask = _picked_log_probs(logits, targets)
    if variant == "padding_as_symbol":  # targets.clamp(min=0): padding predicts symbol 0
        picked, mask = _picked_log_probs(logits, targets.clamp(min=0))
    elif variant == "padding_in_mean":  # the masked sum divided by every position
        mask = torch.ones_like(mask)
    elif variant == "inputs_as_targets":
        picked, mask = _picked_log_probs(logits, inputs)
    elif variant == "shifted_twice":
        picked, mask = _picked_log_probs(logits[:, :-1], targets[:, 1:])
    loss = -picked.sum() / mask.sum()
    if variant == "summed":
        loss = -picked.sum()
    grads = list(torch.autograd.grad(loss, parameters))
    if variant == "no_zero_grad":
        grads = [g + s for g, s in zip(grads, stale)]
    unclipped = [g.clone() for g in grads]
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    factor = torch.clamp(max_norm / (total + TORCH_CLIP_EPS), max=1.0)
    clipped = [g * factor for g in grads]
    if variant == "clip_each":
        clipped = [g * torch.clamp(max_norm / (torch.sqrt((g**2).sum()) + TORCH_CLIP_EPS),
                                   max=1.0) for g in grads]
    used = unclipped if variant in ("no_clip", "clip_after_step") else clipped
    left = unclipped if variant == "no_clip" else clipped
    if variant == "zero_grad_after_backward":
        left = [None] * len(parameters)
    before = [p.detach().clone() for p in model.parameters()]
    if variant in ("no_step", "zero_grad_after_backward"):
        return loss.item(), before, left
    group = optimizer.param_groups[0]
    after = []
    for index, (p, g) in enumerate(zip(model.parameters(), used)):
        if isinstance(optimizer, torch.optim.SGD):
            after.append(p.detach() - group["lr"] * g)
            continue
        beta1, beta2 = group["betas"]
        state = optimizer.state.get(p, {})
        step = float(state["step"]) + 1 if state else 1.0
        m = beta1 * state["exp_avg"] + (1 - beta1) * g if state else (1 - beta1) * g
        v = (beta2 * state["exp_avg_sq"] + (1 - beta2) * g**2 if state
             else (1 - beta2) * g**2)
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
        after.append(p.detach() - group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"]))
    return loss.item(), after, left


LOSS_MISTAKES = {
    "padding_as_symbol": "the loss counts the padding: a target of -1 marks a position "
    "after the name's end. Pass ignore_index=-1 to cross_entropy instead of turning -1 into "
    "a symbol.",
    "padding_in_mean": "the loss is averaged over every position, padding included: "
    "divide by the number of real targets (targets != -1), or let cross_entropy do it with "
    "ignore_index=-1.",
    "inputs_as_targets": "the loss compares the logits with the inputs: the model must "
    "predict the NEXT character, which is targets (already shifted by one).",
    "shifted_twice": "the targets were shifted once more: targets[:, t] already is the "
    "character after inputs[:, t], so compare logits and targets position by position.",
    "summed": "the loss is a sum over the positions; it should be the mean (nats per "
    "character), cross_entropy's default reduction.",
}
UPDATE_MISTAKES = {
    "no_zero_grad": "the update used the new gradients plus the stale ones an earlier batch "
    "left in .grad (backward adds to .grad): call optimizer.zero_grad() before "
    "loss.backward().",
    "no_clip": "the gradient was not clipped: call torch.nn.utils.clip_grad_norm_("
    "model.parameters(), max_norm) after backward() and before optimizer.step().",
    "clip_after_step": "the gradient was clipped after optimizer.step(), so the step used "
    "the unclipped gradient: clip between loss.backward() and optimizer.step().",
    "clip_each": "each parameter's gradient was clipped on its own: clip_grad_norm_ takes "
    "all of model.parameters() at once, one common factor for the global norm (1.11).",
    "no_step": "the parameters did not move: call optimizer.step() after clipping (and "
    "zero_grad before backward, not between backward and step).",
}


def _flat(tensors):
    return np.concatenate([t.detach().numpy().ravel() for t in tensors])


def _check_step(student, case, max_norm, what):
    torch = _torch()
    model, optimizer, inputs, targets = case
    expected = {variant: _expected_step(model, optimizer, inputs, targets, max_norm, variant)
                for variant in ["right", *LOSS_MISTAKES, *UPDATE_MISTAKES,
                                "zero_grad_after_backward"]}
    with torch.random.fork_rng():
        result = call_student(student, model, optimizer, inputs, targets, max_norm,
                              name="char_rnn_training_step", hint=STEP_HINT, case=what)
    if isinstance(result, torch.Tensor):
        raise ExerciseFailure(
            f"{what}: char_rnn_training_step returned a tensor; return the loss as a Python "
            "float, loss.item(), so that no graph is kept alive with it.")
    if isinstance(result, bool) or not isinstance(result, (float, int, np.floating)):
        raise ExerciseFailure(f"{what}: char_rnn_training_step should return the loss as a "
                              f"float; got {type(result).__name__}.")
    loss = expected["right"][0]
    diagnose(float(result), loss, {LOSS_MISTAKES[v]: expected[v][0] for v in LOSS_MISTAKES},
             f"{what}, the returned loss")
    parameters = list(model.parameters())
    after = _flat(parameters)
    right = _flat(expected["right"][1])
    if np.allclose(after, _flat(expected["no_clip"][1]), rtol=1e-8, atol=1e-8) and not \
            np.allclose(right, after, rtol=1e-8, atol=1e-8):
        left = [p.grad for p in parameters]
        if all(g is not None for g in left) and np.allclose(
                _flat(left), _flat(expected["clip_after_step"][2]), rtol=1e-8, atol=1e-8):
            raise ExerciseFailure(f"{what}: {UPDATE_MISTAKES['clip_after_step']}")
    mistakes = {UPDATE_MISTAKES[v]: _flat(expected[v][1]) for v in UPDATE_MISTAKES
                if v != "clip_after_step"}
    diagnose(after, right, mistakes, f"{what}, the parameters after the step")


def char_rnn_training_step_public(student):
    """One SGD step of a small name model (B = 4, T = 6, V = 7, H = 5) on a padded batch,
    with stale gradients in .grad and a gradient norm above max_norm, so that each missing
    or misplaced piece of the step changes the loss or the parameters."""
    rng = np.random.default_rng(1001)
    case = _step_case(rng, batch=4, length=6, vocab_size=7, hidden_size=5)
    _check_step(student, case, 0.05, "one SGD step, B = 4, T = 6, V = 7, H = 5, max_norm "
                "= 0.05")


def char_rnn_training_step_hidden(student):
    """From the instructor's seed: a single name, a batch in which one name is a single
    character, a threshold too large to clip, and Adam after a first step (its moments not
    zero), at drawn sizes."""
    rng = hidden_rng("char_rnn_training_step", 1002)
    cases = shuffled(rng, [
        (dict(batch=1, length=size(rng, 3, 8)), "sgd", False, 0.05, "a single name"),
        (dict(batch=size(rng, 3, 6), length=size(rng, 4, 9)), "sgd", False,
         float(np.round(rng.uniform(0.02, 0.1), 3)), "a padded batch"),
        (dict(batch=size(rng, 2, 5), length=size(rng, 3, 7)), "sgd", False, 1e3,
         "max_norm too large to clip"),
        (dict(batch=size(rng, 2, 6), length=size(rng, 3, 8)), "adam", True,
         float(np.round(rng.uniform(0.05, 0.2), 3)), "Adam after its first step"),
    ])
    for shape, optimizer, warm, max_norm, what in cases:
        vocab_size, hidden_size = size(rng, 3, 12), size(rng, 2, 9)
        case = _step_case(rng, **shape, vocab_size=vocab_size, hidden_size=hidden_size,
                          optimizer=optimizer, warm=warm)
        _check_step(student, case, max_norm,
                    f"{what} (B = {shape['batch']}, T = {shape['length']}, V = {vocab_size}, "
                    f"H = {hidden_size}, max_norm = {max_norm:g})")
