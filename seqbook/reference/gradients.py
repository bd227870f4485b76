"""Gradient tools in numpy: a numerical gradient check, gradient clipping, and how
gradients shrink or grow as they travel back through time (Chapter 1, sections 1.5 and
1.6). How far back a torch model's gradient reaches is in :mod:`seqbook.models.reach`."""

import numpy as np

from seqbook.reference.rnn import random_rnn_weights, rnn_forward


def numerical_gradient(loss_of, array, epsilon=1e-6):
    """Central-difference estimate of d loss / d array, entry by entry.

    ``loss_of`` is called with no arguments and must read ``array`` (which is nudged in
    place and restored), returning a float. Cost: two calls per entry, so keep it small.

    Returns:
        An array shaped like ``array``.
    """
    gradient = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + epsilon
        loss_plus = loss_of()
        array[index] = original - epsilon
        loss_minus = loss_of()
        array[index] = original
        gradient[index] = (loss_plus - loss_minus) / (2 * epsilon)
    return gradient


def relative_error(a, b):
    """max |a - b| / max(|a|, |b|, tiny): 1e-7 or less means two gradients agree."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-12)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def clip_gradient_norm(grads, max_norm):
    """Pascanu, Mikolov and Bengio's Algorithm 1: rescale all gradients together.

    The norm is taken over all arrays at once, as if they were one long vector. If it
    exceeds ``max_norm``, every array is multiplied by ``max_norm / norm``; otherwise
    nothing changes. (torch divides by ``norm + 1e-6``, a difference far below float
    precision of the result.)

    Args:
        grads: a list of numpy arrays.
        max_norm: the threshold, a positive float.

    Returns:
        ``(clipped, total_norm)``: a new list of arrays (new even when nothing is clipped:
        multiplied by 1) and the norm before clipping.
    """
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    factor = max_norm / total_norm if total_norm > max_norm else 1.0
    return [g * factor for g in grads], total_norm


def vanishing_horizon(largest_singular_value, tolerance):
    """The lag k after which the tanh RNN's gradient is guaranteed below ``tolerance``.

    Since |tanh'| <= 1, ||d h_t / d h_{t-k}|| <= sigma^k, with sigma the largest
    singular value of W_hh. For sigma < 1 the bound first drops below the tolerance at
    the smallest k >= 1 with sigma^k < tolerance. For sigma >= 1 the bound never drops, so
    nothing is guaranteed and the function returns None.

    Both arguments must be positive (with tolerance <= 0 the loop would never end). The
    loop compares sigma**k itself, so exact powers come out right (0.9**2 == 0.81 is not
    below 0.81), where the logarithm's closed form can be off by one.
    """
    if largest_singular_value >= 1:
        return None
    k = 1
    while largest_singular_value**k >= tolerance:
        k += 1
    return k


def backpropagate_through_time(hiddens, W_hh, d_last):
    """Carry a gradient back from h_T to every earlier hidden state, equation (1.9).

    Uses d h_t / d h_{t-1} = diag(1 - h_t^2) W_hh, one Jacobian per step.

    Args:
        hiddens: the forward pass's hidden states h_1 ... h_T, shape (B, T, H).
        W_hh: shape (H, H).
        d_last: the gradient arriving at h_T, shape (B, H).

    Returns:
        Gradients with respect to h_T, h_{T-1}, ..., h_0, shape (B, T + 1, H), index k
        holding the gradient k steps back from the end.
    """
    B, T, H = hiddens.shape  # batch, time, hidden size
    grad = d_last  # (B, H)
    by_lag = [grad]
    for t in reversed(range(T)):
        d_pre = grad * (1.0 - hiddens[:, t] ** 2)  # through tanh, (B, H)
        grad = d_pre @ W_hh  # to h_{t-1}, (B, H)
        by_lag.append(grad)
    return np.stack(by_lag, axis=1)  # (B, T + 1, H)


def gradient_demo_draws(steps=60, hidden_size=32, batch=16, seed=0):
    """The random draws behind :func:`gradient_norm_by_lag`, which do not depend on the scale.

    Returns:
        A dict: ``"W_xh"`` (H, 4), ``"b_h"`` (H,), ``"orthogonal"`` (H, H), the random
        orthogonal matrix that W_hh is ``scale`` times, ``"xs"`` (B, T, 4), Gaussian inputs,
        and ``"d_last"`` (B, H), a random unit gradient per example arriving at h_T.
    """
    rng = np.random.default_rng(seed)
    input_size = 4
    weights = random_rnn_weights(input_size, hidden_size, rng, scale=1.0)
    xs = rng.standard_normal((batch, steps, input_size))  # (B, T, D)
    d_last = rng.standard_normal((batch, hidden_size))
    d_last /= np.linalg.norm(d_last, axis=1, keepdims=True)  # unit norm per example
    return {"W_xh": weights["W_xh"], "b_h": weights["b_h"], "orthogonal": weights["W_hh"],
            "xs": xs, "d_last": d_last}


def gradient_norm_by_lag(scale, steps=60, hidden_size=32, batch=16, seed=0):
    """How the gradient's size changes as it travels back ``k`` steps in a tanh RNN.

    Builds an RNN whose W_hh is ``scale`` times a random orthogonal matrix (so every
    singular value equals ``scale``), runs it on Gaussian inputs, sends a random unit
    gradient into h_T and follows it back with :func:`backpropagate_through_time`. The
    draws (:func:`gradient_demo_draws`) are the same for every scale.

    Returns:
        A dict with
        ``"ratio"``: shape (steps + 1,), ||dL/dh_{T-k}|| / ||dL/dh_T|| at lags
        k = 0 ... steps (geometric mean over the batch), and
        ``"weight_gradient_norm"``: the norm of dL/dW_hh, the size of the update a
        training step would take (equation (1.6) summed over all steps).
    """
    draws = gradient_demo_draws(steps, hidden_size, batch, seed)
    W_hh = scale * draws["orthogonal"]  # every singular value equals scale
    xs, d_last = draws["xs"], draws["d_last"]
    hidden0 = np.zeros((batch, hidden_size))
    hiddens = rnn_forward(xs, hidden0, draws["W_xh"], W_hh, draws["b_h"])  # (B, T, H)
    grads = backpropagate_through_time(hiddens, W_hh, d_last)  # (B, T+1, H)
    norms = np.linalg.norm(grads, axis=2)  # (B, T + 1)
    ratio = np.exp(np.log(np.maximum(norms, 1e-300)).mean(axis=0))  # (T + 1,)
    previous = np.concatenate([hidden0[:, None], hiddens[:, :-1]], axis=1)  # h_{t-1}, (B, T, H)
    d_hidden = grads[:, :steps][:, ::-1]  # gradient at h_t for t = 1 .. T, (B, T, H)
    d_pre = d_hidden * (1.0 - hiddens**2)  # (B, T, H)
    d_W_hh = np.einsum("bti,btj->ij", d_pre, previous)  # (H, H), equation (1.6)
    return {"ratio": ratio, "weight_gradient_norm": float(np.linalg.norm(d_W_hh))}
