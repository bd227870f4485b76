"""Checks for Chapter 4's exercises: masked_softmax, additive_attention,
attention_decoder_step, greedy_decode and general_scores.

The right answers come from torch: ``torch.softmax`` of the scores with ``masked_fill(-inf)``
for the softmax; ``nn.Linear`` layers without bias for W, U and v; ``nn.GRUCell`` and an
``nn.Linear`` output layer for the decoder step, all holding copies of the same weights.
For greedy decoding the "decoder" is a scripted fake whose outputs are known in advance,
and which records what it is fed, so a message can say at which step the loop went wrong.

The typical mistakes are built here and named: the softmax over the batch axis, padding
not masked (or masked after the softmax, or by multiplying the scores by the mask), no
max subtracted (NaN for large scores), tanh missing, W and U swapped, the context summed
from the scores or over the wrong axis, the new state s_t used as the query instead of
s_{t-1}, the context not fed to the GRU, the output layer missing a part, and for greedy
decoding not stopping at EOS, no padding after it, SOS in the output, the wrong token fed
back, the state not carried, an off-by-one on max_length.

Every check passes copies of its arrays, so a student who edits the inputs in place cannot
change the expected answer, and builds its torch modules inside ``torch.random.fork_rng``
so that the lab's random numbers are not moved on.
"""

import itertools

import numpy as np

from seqbook import reference
from seqbook.checks import (
    ExerciseFailure,
    as_token_ids,
    blames_earlier,
    call_student,
    diagnose,
    hidden_rng,
    matches,
    shuffled,
    size,
)
from seqbook.checks.torch_attention import (
    torch_attention,
    torch_decoder_step,
    torch_luong_attention,
    torch_masked_softmax,
)
from seqbook.tasks.vocabulary import length_mask

# ---------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------


def _as_float_array(result, what):
    if result is None or result is Ellipsis:
        raise ExerciseFailure(f"{what} is None: the function has no `return` yet. Replace the "
                              "`...` with your code and return the result.")
    if hasattr(result, "detach"):  # a torch tensor
        result = result.detach().numpy()
    try:
        return np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailure(f"{what} should be a numpy array; got {type(result).__name__}.")


def _weight_properties(mask, what):
    """Asserted of any attention weights: each row sums to 1, padding gets exactly 0."""
    def check(weights):
        if not np.all(np.isfinite(weights)):
            raise ExerciseFailure(f"{what}: the weights contain NaN or infinity. If the "
                                  "scores are large, exp overflows: subtract each row's "
                                  "largest real score before exp.")
        if np.any(weights[~mask] != 0.0):
            raise ExerciseFailure(f"{what}: some padded source positions get a weight that "
                                  "is not 0. Padding must be masked out of the softmax.")
        if not np.allclose(weights.sum(axis=1), 1.0, atol=1e-8):
            raise ExerciseFailure(f"{what}: the weights of a row do not sum to 1 (row sums "
                                  f"{np.round(weights.sum(axis=1), 4).tolist()}).")
    return check


def _softmax(scores, axis):
    with np.errstate(all="ignore"):
        shifted = scores - np.max(scores, axis=axis, keepdims=True)
        exps = np.exp(shifted)
        return exps / exps.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------------------------
# masked_softmax
# ---------------------------------------------------------------------------------------

BATCH_AXIS = ("the softmax is taken over the batch axis (axis 0): each COLUMN sums to 1. "
              "The weights of one sequence are spread over its source positions, so take "
              "the softmax over axis 1, the source axis.")
NOT_MASKED = ("padding is not masked: this is the plain softmax over all S positions, so "
              "padded positions get weight. Give them a score of -inf before the softmax, "
              "np.where(mask, scores, -np.inf), so that exp gives them exactly 0.")
MASKED_AFTER = ("padding is set to 0 AFTER the softmax, without renormalising, so a row "
                "no longer sums to 1. Mask the scores before the softmax (with -inf), or "
                "divide by the new row sums.")
MULTIPLIED = ("the scores are multiplied by the mask: a padded position gets the score 0, "
              "not -inf, and exp(0) still gives it weight. Use np.where(mask, scores, "
              "-np.inf) instead of scores * mask.")
NO_MAX = ("the weights contain NaN or infinity for large scores (about 1e4): exp(1e4) "
          "overflows. Subtract each row's largest REAL score before exp; the softmax does "
          "not change when a constant is subtracted from a row, and then every exponent is "
          "<= 0.")
MAX_OVER_PADDING = ("the largest score is taken over ALL positions, padding included: a "
                    "padded position can hold the largest score, and then exp of every real "
                    "score underflows to 0, giving 0/0 = NaN. Take the max over the real "
                    "positions only (after setting padding to -inf).")


def _softmax_mistakes(scores, mask):
    """What the typical wrong masked softmaxes return, each (B, S); NaN where they fail."""
    with np.errstate(all="ignore"):
        masked = np.where(mask, scores, -np.inf)
        no_max = np.where(mask, np.exp(scores), 0.0)
        max_all = np.where(mask, np.exp(scores - scores.max(axis=1, keepdims=True)), 0.0)
        return {
            BATCH_AXIS: _softmax(masked, axis=0),
            BATCH_AXIS + " ": _softmax(scores, axis=0) * mask,
            BATCH_AXIS + "  ": _softmax(scores, axis=0),
            NOT_MASKED: _softmax(scores, axis=1),
            MASKED_AFTER: _softmax(scores, axis=1) * mask,
            MULTIPLIED: _softmax(scores * mask, axis=1),
            MULTIPLIED + " ": _softmax(scores * mask, axis=1) * mask,
            NO_MAX: no_max / no_max.sum(axis=1, keepdims=True),
            MAX_OVER_PADDING: max_all / max_all.sum(axis=1, keepdims=True),
        }


def _check_softmax(student, scores, mask, what, given_mask=None, large=False):
    given_mask = mask if given_mask is None else given_mask
    hint = ("The mask may come as booleans or as 0/1 numbers: mask = np.asarray(mask, "
            "dtype=bool) turns either into booleans.")
    result = call_student(student, scores.copy(), given_mask.copy(), name="masked_softmax",
                          hint=hint, case=what)
    result = _as_float_array(result, f"masked_softmax's weights ({what})")
    expected = torch_masked_softmax(scores, mask)
    if result.shape != expected.shape:
        raise ExerciseFailure(f"masked_softmax ({what}) returned shape {result.shape}; "
                              f"expected {expected.shape}, the shape of the scores.")
    if given_mask.dtype != bool and not matches(result, expected):
        with np.errstate(all="ignore"):
            boolean = call_student(student, scores.copy(), mask.copy(), name="masked_softmax",
                                   case=what)
        if matches(_as_float_array(boolean, "masked_softmax's weights"), expected):
            raise ExerciseFailure(
                f"{what}: your masked_softmax is right with a boolean mask but not with a "
                f"mask of {given_mask.dtype} 0s and 1s (~mask of an integer is not 'not'). "
                "Turn either kind into booleans first: mask = np.asarray(mask, dtype=bool).")

    def properties(weights):
        if large and not np.all(np.isfinite(weights)):  # exp overflowed
            raise ExerciseFailure(f"{what}: {NO_MAX}")
        _weight_properties(mask, what)(weights)

    diagnose(result, expected, _softmax_mistakes(scores, mask), what, properties=properties)


def _softmax_case(rng, lengths, S=None, scale=2.0):
    S = S or int(max(lengths))
    mask = length_mask(lengths, S)
    scores = scale * rng.standard_normal(mask.shape)
    return scores, mask


def masked_softmax_public(student):
    """No padding, then lengths 5, 3, 1 (B = 3, S = 5), then scores of about 1e4."""
    rng = np.random.default_rng(4101)
    scores, mask = _softmax_case(rng, [5, 5, 5])
    _check_softmax(student, scores, mask, "a batch of 3 without padding (S = 5)")
    scores, mask = _softmax_case(rng, [5, 3, 1])
    _check_softmax(student, scores, mask, "lengths 5, 3, 1 (B = 3, S = 5)")
    scores, mask = _softmax_case(rng, [5, 3, 1], scale=1e4)
    _check_softmax(student, scores, mask, "lengths 5, 3, 1 with scores of about 1e4",
                   large=True)


def _drawn_lengths(rng, longest=12):
    """(lengths, S) of padded batches drawn from ``rng``: S = 1, a batch of one, a batch
    without padding, sequences of length one, and a larger batch padded beyond its
    longest sequence."""
    full = size(rng, 3, 9)
    many = [size(rng, 1, longest) for _ in range(size(rng, 5, 8))]
    one = size(rng, 2, 6)
    return shuffled(rng, [([1], 1), ([one], one + size(rng, 0, 2)),
                          ([full] * size(rng, 2, 6), full),
                          ([1] * size(rng, 2, 3), size(rng, 2, 4)),
                          ([size(rng, 1, 7) for _ in range(4)], 7),
                          (many, max(many) + size(rng, 0, 2))])


def masked_softmax_hidden(student):
    """From the instructor's seed: other sizes, a batch of one, 0/1 masks, huge scores
    at padding, very negative scores."""
    rng = hidden_rng("masked_softmax", 4202)
    for lengths, S in _drawn_lengths(rng):
        lengths[int(rng.integers(len(lengths)))] = min(S, max(lengths))  # one fills S
        scores, mask = _softmax_case(rng, lengths, S, scale=3.0)
        _check_softmax(student, scores, mask, f"lengths {lengths}, S = {S}")
    S = size(rng, 4, 7)
    lengths = [S] + [size(rng, 1, S - 1) for _ in range(size(rng, 1, 3))]
    scores, mask = _softmax_case(rng, lengths, S)
    kinds = shuffled(rng, [("a 0/1 integer mask", np.int64), ("a 0./1. float mask",
                                                                np.float64)])
    for what, dtype in kinds:
        _check_softmax(student, scores, mask, f"lengths {lengths} with {what}",
                       given_mask=mask.astype(dtype))
    scores, mask = _softmax_case(rng, lengths, S, scale=1e4)
    scores[~mask] = rng.uniform(4e4, 6e4)  # the largest scores sit at padded positions
    _check_softmax(student, scores, mask, "scores of about 1e4 and 5e4 at padding",
                   large=True)
    scores, mask = _softmax_case(rng, lengths, S)
    _check_softmax(student, scores - rng.uniform(0.8e4, 1.2e4), mask,
                   "scores of about -1e4", large=True)


# ---------------------------------------------------------------------------------------
# additive_attention
# ---------------------------------------------------------------------------------------

ATTENTION_HINT = (
    "A shape error here often means W and U are swapped, or a transpose is missing: W "
    "is (A, Hd) and goes with the query s_{t-1} (B, Hd), as query @ W.T, of shape (B, A); "
    "U is (A, Hk) and goes with the keys h_j (B, S, Hk), as keys @ U.T, of shape (B, S, A). "
    "Add them with query @ W.T reshaped to (B, 1, A), apply tanh, then @ v gives the "
    "scores (B, S)."
)


def _scores(query, keys, W, U, v, squash=np.tanh):
    return squash((query @ W.T)[:, None, :] + keys @ U.T) @ v  # (B, S)


def _context(weights, keys):
    return (weights[:, :, None] * keys).sum(axis=1)  # (B, Hk)


def _attention_mistakes(query, keys, mask, W, U, v):
    """(context, weights) of each typical wrong additive reference."""
    scores = _scores(query, keys, W, U, v)
    weights = torch_masked_softmax(scores, mask)
    with np.errstate(all="ignore"):
        mistakes = {message: (_context(wrong, keys), wrong)
                    for message, wrong in _softmax_mistakes(scores, mask).items()}
    no_tanh = torch_masked_softmax(_scores(query, keys, W, U, v, squash=lambda a: a), mask)
    mistakes["the tanh is missing: the scores are v^T tanh(W s_{t-1} + U h_j), with the tanh "
             "applied to the sum before the product with v."] = (_context(no_tanh, keys),
                                                                 no_tanh)
    if W.shape == U.shape:
        swapped = torch_masked_softmax(_scores(query, keys, U, W, v), mask)
        mistakes["W and U are swapped: W goes with the decoder state s_{t-1} (the query), "
                 "U with the encoder annotations h_j (the keys)."] = (_context(swapped, keys),
                                                                     swapped)
    from_scores = "the context is computed from the SCORES e_{t,j}, not from the weights " \
                  "alpha_{t,j} = softmax(e): c_t = sum_j alpha_{t,j} h_j."
    mistakes[from_scores] = (_context(scores, keys), weights)
    mistakes[from_scores + " "] = (_context(scores * mask, keys), weights)
    mistakes["the context is the plain mean of the annotations: weight each h_j by its "
             "attention weight, c_t = sum_j alpha_{t,j} h_j."] = (
        _context(mask / mask.sum(axis=1, keepdims=True), keys), weights)
    B, S, Hk = keys.shape
    if B == S:  # summing over the batch axis then gives the right shape
        mistakes["the context is summed over the wrong axis: sum over the source positions "
                 "j, axis 1 of weights[:, :, None] * keys."] = (
            (weights[:, :, None] * keys).sum(axis=0), weights)
    return mistakes


def _check_attention(student, query, keys, mask, W, U, v, what):
    B, S, Hk = keys.shape
    result = call_student(student, query.copy(), keys.copy(), mask.copy(), W.copy(),
                          U.copy(), v.copy(), name="additive_attention", hint=ATTENTION_HINT,
                          case=what)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ExerciseFailure("additive_attention should return two arrays, "
                              "(context, weights); got "
                              f"{type(result).__name__}.")
    context, weights = result
    if (np.shape(context), np.shape(weights)) == ((B, S), (B, Hk)) and S != Hk:
        raise ExerciseFailure("additive_attention returned (weights, context): return them "
                              "in the order (context, weights).")
    expected_context, expected_weights = torch_attention(query, keys, mask, W, U, v)[:2]
    mistakes = _attention_mistakes(query, keys, mask, W, U, v)
    weights = _as_float_array(weights, f"additive_attention's weights ({what})")
    if weights.shape != (B, S):
        raise ExerciseFailure(f"{what}: the weights have shape {weights.shape}; expected "
                              f"(B, S) = {(B, S)}, one weight per source position.")
    diagnose(weights, expected_weights,
              {message: wrong[1] for message, wrong in mistakes.items()},
              f"{what}, the attention weights",
              properties=_weight_properties(mask, what))
    context = _as_float_array(context, f"additive_attention's context ({what})")
    if context.shape == (B, B, Hk):
        raise ExerciseFailure(f"{what}: the context has shape {context.shape}: weights @ keys "
                              "broadcasts (B, S) against (B, S, Hk). Sum over the source "
                              "positions instead: (weights[:, :, None] * keys).sum(axis=1).")
    if context.shape in ((S, Hk), (B, S)) and context.shape != (B, Hk):
        raise ExerciseFailure(f"{what}: the context has shape {context.shape}, not (B, Hk) "
                              f"= {(B, Hk)}: it is summed over the wrong axis. Sum "
                              "weights[:, :, None] * keys over the source positions, axis 1.")
    diagnose(context, expected_context,
              {message: wrong[0] for message, wrong in mistakes.items()},
              f"{what}, the context")


def _attention_case(rng, lengths, Hd, Hk, A, S=None, garbage=False):
    S = S or int(max(lengths))
    mask = length_mask(lengths, S)
    B = len(lengths)
    query = rng.uniform(-1, 1, size=(B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    if garbage:
        keys[~mask] = rng.uniform(5, 10, size=(int((~mask).sum()), Hk))
    W, U = rng.uniform(-1, 1, size=(A, Hd)), rng.uniform(-1, 1, size=(A, Hk))
    v = rng.uniform(-1.5, 1.5, size=A)
    return query, keys, mask, W, U, v


@blames_earlier("masked_softmax")
def additive_attention_public(student):
    """No padding, then lengths 5, 3, 1 (B = 3, S = 5, Hd = 4, Hk = 6, A = 5)."""
    rng = np.random.default_rng(4303)
    case = _attention_case(rng, [5, 5, 5], Hd=4, Hk=6, A=5)
    _check_attention(student, *case, "a batch of 3 without padding (S = 5)")
    case = _attention_case(rng, [5, 3, 1], Hd=4, Hk=6, A=5)
    _check_attention(student, *case, "lengths 5, 3, 1 (B = 3, S = 5)")


@blames_earlier("masked_softmax")
def additive_attention_hidden(student):
    """From the instructor's seed: a batch of one, Hd = Hk (W and U swappable), B = S,
    larger sizes, garbage at padding, large scores."""
    rng = hidden_rng("additive_attention", 4404)
    same = size(rng, 3, 8)
    B = size(rng, 3, 5)
    cases = shuffled(rng, [
        ([1], size(rng, 1, 3), size(rng, 2, 5), size(rng, 2, 4), 1),
        ([size(rng, 2, 4)], size(rng, 2, 6), size(rng, 4, 9), size(rng, 2, 5), 4),
        ([B] + [size(rng, 1, B) for _ in range(B - 1)], same, same, size(rng, 3, 6), B),
        ([size(rng, 3, 7)] * 2, size(rng, 2, 4), size(rng, 6, 12), size(rng, 5, 9), 7),
        ([size(rng, 1, 9) for _ in range(size(rng, 5, 7))], size(rng, 10, 18),
         size(rng, 12, 22), size(rng, 8, 14), 10)])
    for lengths, Hd, Hk, A, S in cases:
        lengths[0] = S  # one sequence fills S
        case = _attention_case(rng, lengths, Hd, Hk, A, S)
        _check_attention(student, *case, f"lengths {lengths}, S = {S}, Hd = {Hd}, Hk = {Hk}, "
                         f"A = {A}")
    lengths = [5, size(rng, 1, 4), size(rng, 1, 4)]
    case = _attention_case(rng, lengths, Hd=4, Hk=6, A=5, garbage=True)
    _check_attention(student, *case, f"lengths {lengths} with large values stored at padding")
    query, keys, mask, W, U, v = _attention_case(rng, lengths, Hd=size(rng, 2, 5),
                                                 Hk=size(rng, 3, 7), A=size(rng, 3, 6))
    _check_attention(student, query, keys, mask, W, U, rng.uniform(0.8e4, 1.2e4) * v,
                     f"lengths {lengths} with scores of about 1e4")


# ---------------------------------------------------------------------------------------
# attention_decoder_step
# ---------------------------------------------------------------------------------------

STEP_HINT = (
    "Check the shapes: W_x is (3Hd, E + Hk), so the GRU's input is the concatenation "
    "[y_{t-1}; c_t] = np.concatenate([prev_embedding, context], axis=1); W_out is "
    "(V, Hd + Hk + E), so the output layer reads [s_t; c_t; y_{t-1}]."
)
WRONG_QUERY = (
    "the attention weights match attending with the NEW state s_t (after the GRU update). "
    "In Bahdanau's decoder the query is the previous state s_{t-1}: compute c_t from "
    "state_prev first, then feed [y_{t-1}; c_t] to the GRU."
)


def _gru(gru_input, state_prev, params):
    """torch's GRU step in numpy, the book's reference.gru_cell_forward."""
    return reference.gru_cell_forward(gru_input, state_prev, params["W_x"], params["W_h"],
                                  params["b_x"], params["b_h"])


def _step_mistakes(prev_embedding, state_prev, keys, mask, params, expected):
    """Wrong weights, states and logits, each keyed by the message naming the mistake."""
    logits, state, weights = expected
    W, U, v = params["W"], params["U"], params["v"]
    context, _ = torch_attention(state_prev, keys, mask, W, U, v)[:2]
    late_context, late_weights = torch_attention(state, keys, mask, W, U, v)[:2]
    scores = _scores(state_prev, keys, W, U, v)
    weight_mistakes = {WRONG_QUERY: late_weights, **_softmax_mistakes(scores, mask)}
    state_mistakes = {
        "the new state matches a GRU fed the embedding only: the context c_t is part of "
        "the GRU's input, [y_{t-1}; c_t] = np.concatenate([prev_embedding, context], "
        "axis=1).": _gru(np.concatenate([prev_embedding, 0 * context], axis=1), state_prev,
                         params),
        "the GRU's input is concatenated in the order [c_t; y_{t-1}]; the book's order "
        "(the order of W_x's columns) is [y_{t-1}; c_t].":
            _gru(np.concatenate([context, prev_embedding], axis=1), state_prev, params),
        "the returned state is the OLD state s_{t-1}: return the GRU's new state s_t.":
            state_prev,
        "the new state matches a GRU step with the context from the new state's query: "
        "the query is s_{t-1}, the state BEFORE the step.":
            _gru(np.concatenate([prev_embedding, late_context], axis=1), state_prev, params),
    }

    def out(parts):
        return np.concatenate(parts, axis=1) @ params["W_out"].T + params["b_out"]

    parts = {"s_t": state, "c_t": context, "y_{t-1}": prev_embedding}
    logit_mistakes = {
        "the output layer reads the old state s_{t-1}: it reads the NEW state, "
        "[s_t; c_t; y_{t-1}].": out([state_prev, context, prev_embedding]),
        "the output layer is missing the context c_t: it reads [s_t; c_t; y_{t-1}].":
            out([state, 0 * context, prev_embedding]),
        "the output layer is missing the embedding y_{t-1}: it reads [s_t; c_t; y_{t-1}].":
            out([state, context, 0 * prev_embedding]),
        "the output layer reads the context computed with the new state s_t as the query: "
        "c_t comes from s_{t-1}, and the same c_t goes to the GRU and to the output.":
            out([state, late_context, prev_embedding]),
        "the output bias b_out is missing.": out([state, context, prev_embedding])
        - params["b_out"],
    }
    for order in itertools.permutations(parts):
        if order != ("s_t", "c_t", "y_{t-1}"):
            arrays = [parts[name] for name in order]
            if sum(a.shape[1] for a in arrays) == params["W_out"].shape[1]:
                logit_mistakes[f"the output layer's input is concatenated in the order "
                               f"[{'; '.join(order)}]; the book's order (the order of "
                               "W_out's columns) is [s_t; c_t; y_{t-1}]."] = out(arrays)
    return weight_mistakes, state_mistakes, logit_mistakes


def _step_case(rng, lengths, E, Hd, Hk, A, V, S=None, garbage=False):
    S = S or int(max(lengths))
    mask = length_mask(lengths, S)
    B = len(lengths)
    params = reference.random_attention_params(E, Hd, Hk, A, V, rng)
    for name in ("W", "U", "v"):  # attention weights large enough for tanh to bend
        params[name] = 3.0 * params[name]
    params["b_out"] = params["b_out"] + rng.uniform(-1, 1, size=V)
    prev_embedding = rng.standard_normal((B, E))
    state_prev = rng.uniform(-1, 1, size=(B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    if garbage:
        keys[~mask] = rng.uniform(5, 10, size=(int((~mask).sum()), Hk))
    return prev_embedding, state_prev, keys, mask, params


def _check_step(student, prev_embedding, state_prev, keys, mask, params, what):
    B, S, Hk = keys.shape
    Hd, V = state_prev.shape[1], params["W_out"].shape[0]
    result = call_student(student, prev_embedding.copy(), state_prev.copy(), keys.copy(),
                          mask.copy(), {name: value.copy() for name, value in params.items()},
                          name="attention_decoder_step", hint=STEP_HINT,
                          case=what)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        got = type(result).__name__
        if isinstance(result, (tuple, list)):
            got += f" of length {len(result)}"
        raise ExerciseFailure("attention_decoder_step should return three arrays, "
                              f"(logits, state, weights); got {got}.")
    logits, state, weights = (_as_float_array(part, f"attention_decoder_step's {name}")
                              for part, name in zip(result, ("logits", "state", "weights")))
    if weights.shape != (B, S):
        extra = (" Squeeze the extra axis, e.g. weights.reshape(B, S)."
                 if weights.size == B * S else "")
        raise ExerciseFailure(f"{what}: the attention weights have shape {weights.shape}; "
                              f"return them as (B, S) = {(B, S)}, one weight per source "
                              f"position.{extra}")
    if logits.shape != (B, V) or state.shape != (B, Hd):
        raise ExerciseFailure(f"{what}: attention_decoder_step returned logits of shape "
                              f"{logits.shape} and a state of shape {state.shape}; expected "
                              f"(B, V) = {(B, V)} and (B, Hd) = {(B, Hd)}, in the order "
                              "(logits, state, weights).")
    expected = torch_decoder_step(prev_embedding, state_prev, keys, mask, params)
    weight_mistakes, state_mistakes, logit_mistakes = _step_mistakes(
        prev_embedding, state_prev, keys, mask, params, expected)
    diagnose(weights, expected[2], weight_mistakes, f"{what}, the attention weights",
              properties=_weight_properties(mask, what))
    diagnose(state, expected[1], state_mistakes, f"{what}, the new state s_t")
    diagnose(logits, expected[0], logit_mistakes, f"{what}, the logits")


@blames_earlier("additive_attention", "masked_softmax", "gru_cell_forward")
def attention_decoder_step_public(student):
    """Lengths 5, 3, 1 (B = 3, S = 5, E = 3, Hd = 4, Hk = 6, A = 5, V = 7), then no padding."""
    rng = np.random.default_rng(4505)
    case = _step_case(rng, [5, 3, 1], E=3, Hd=4, Hk=6, A=5, V=7)
    _check_step(student, *case, "lengths 5, 3, 1 (B = 3, S = 5)")
    case = _step_case(rng, [4, 4], E=3, Hd=4, Hk=6, A=5, V=7)
    _check_step(student, *case, "a batch of 2 without padding (S = 4)")


@blames_earlier("additive_attention", "masked_softmax", "gru_cell_forward")
def attention_decoder_step_hidden(student):
    """From the instructor's seed: a batch of one, equal sizes, larger sizes, garbage at
    padding, large scores."""
    rng = hidden_rng("attention_decoder_step", 4606)
    same = size(rng, 3, 6)
    cases = shuffled(rng, [
        ([1], size(rng, 1, 3), size(rng, 2, 4), size(rng, 2, 5), size(rng, 2, 3),
         size(rng, 3, 6)),
        ([size(rng, 2, 4)], same, same, same, same, same),
        ([size(rng, 1, 6) for _ in range(size(rng, 4, 6))], size(rng, 6, 10),
         size(rng, 8, 12), size(rng, 10, 14), size(rng, 7, 10), size(rng, 15, 25)),
        ([size(rng, 1, 7) for _ in range(3)], size(rng, 3, 6), size(rng, 2, 4),
         size(rng, 6, 10), size(rng, 4, 7), size(rng, 8, 12))])
    for lengths, E, Hd, Hk, A, V in cases:
        case = _step_case(rng, lengths, E, Hd, Hk, A, V)
        _check_step(student, *case, f"lengths {lengths}, E = {E}, Hd = {Hd}, Hk = {Hk}, "
                    f"A = {A}, V = {V}")
    lengths = [5, size(rng, 1, 4), size(rng, 1, 4)]
    case = _step_case(rng, lengths, E=3, Hd=4, Hk=6, A=5, V=7, garbage=True)
    _check_step(student, *case, f"lengths {lengths} with large values stored at padding")
    *case, params = _step_case(rng, lengths, E=size(rng, 2, 4), Hd=size(rng, 3, 5),
                               Hk=size(rng, 4, 7), A=size(rng, 3, 6), V=size(rng, 5, 9))
    _check_step(student, *case, {**params, "v": rng.uniform(0.8e4, 1.2e4) * params["v"]},
                f"lengths {lengths} with attention scores of about 1e4")


# ---------------------------------------------------------------------------------------
# greedy_decode
# ---------------------------------------------------------------------------------------


class _ScriptedDecoder:
    """A fake decoder_step whose argmax follows a script, and which records its calls.

    Row b produces ``script[b, k]`` at step k, provided it was fed the previous scripted
    token (SOS at step 0) and handed the state of step k; after its EOS it produces the
    script whatever it is fed. The state is an array (B, 3) whose first column counts the
    steps. Fed anything else, a row produces an unscripted token: the check reports the
    first wrong call from the log, so what comes after it does not matter.
    """

    def __init__(self, rng, script, eos_steps, vocab_size, sos_id, max_calls):
        self.script, self.eos_steps = script, eos_steps  # (B, T) ints, (B,) ints
        self.vocab_size, self.sos_id, self.max_calls = vocab_size, sos_id, max_calls
        B, T = script.shape
        self.noise = rng.uniform(-1, 1, size=(B, T, vocab_size))
        self.calls = []  # (tokens fed, steps read from the state)

    def initial_state(self, rng):
        state = rng.uniform(-1, 1, size=(self.script.shape[0], 3))
        state[:, 0] = 0.0
        return state

    def __call__(self, tokens, state):
        B = self.script.shape[0]
        call = len(self.calls)
        if call >= self.max_calls:
            raise ExerciseFailure(
                f"decoder_step was called more than {self.max_calls} times: the loop does "
                "not stop. Stop after max_length steps, or sooner once every sequence has "
                "produced EOS.")
        if hasattr(tokens, "detach"):
            tokens = tokens.detach().numpy()
        tokens = np.asarray(tokens)
        if tokens.shape != (B,):
            raise ExerciseFailure(f"decoder_step was fed tokens of shape {tokens.shape}; it "
                                  f"takes one token per sequence, an int array (B,) = ({B},).")
        if tokens.dtype.kind == "f" and np.all(tokens == np.round(tokens)):
            tokens = tokens.astype(np.int64)
        if tokens.dtype.kind not in "iu":
            raise ExerciseFailure(f"decoder_step was fed tokens {tokens.tolist()}: token ids "
                                  "are integers, the argmax of the logits, not the logits' "
                                  "values.")
        steps = np.rint(np.asarray(state, dtype=np.float64)[:, 0]).astype(int)
        self.calls.append((tokens.copy(), steps.copy()))
        logits = np.empty((B, self.vocab_size))
        T = self.script.shape[1]
        for b in range(B):
            k = min(max(steps[b], 0), T - 1)
            expected_fed = self.sos_id if k == 0 else self.script[b, k - 1]
            logits[b] = self.noise[b, k]
            if k > self.eos_steps[b] or (tokens[b] == expected_fed and k == call):
                logits[b, self.script[b, k]] = 2.0
            else:  # off the script: some other token, deterministic
                logits[b, (self.script[b, k] + 1 + tokens[b]) % self.vocab_size] = 2.0
        new_state = np.array(state, dtype=np.float64, copy=True)
        new_state[:, 0] = steps + 1
        return logits, new_state


def _greedy_case(rng, eos_steps, max_length, vocab_size, sos_id, eos_id, pad_id):
    """A script where row b produces EOS at step eos_steps[b] (None: never)."""
    B, T = len(eos_steps), max_length + 3
    regular = np.array([token for token in range(vocab_size)
                        if token not in (sos_id, eos_id, pad_id)])
    script = rng.choice(regular, size=(B, T))
    for k in range(1, T):  # no token twice in a row, so a late or early feed shows
        repeats = script[:, k] == script[:, k - 1]
        script[repeats, k] = regular[(np.searchsorted(regular, script[repeats, k]) + 1)
                                     % len(regular)]
    eos_at = np.array([T if step is None else step for step in eos_steps])
    script[eos_at < T, eos_at[eos_at < T]] = eos_id
    decoder = _ScriptedDecoder(rng, script, eos_at, vocab_size, sos_id,
                               max_calls=max_length + 2)
    length = min(max_length, int(eos_at.max()) + 1)
    expected = script[:, :length].copy()
    for b in range(B):
        expected[b, eos_at[b] + 1:] = pad_id
    return decoder, expected


def _check_feeding(decoder, sos_id, eos_steps, what):
    """Name the first call of decoder_step that was fed the wrong token or state."""
    for call, (fed, steps) in enumerate(decoder.calls):
        if call == 0:
            if np.any(fed != sos_id):
                raise ExerciseFailure(f"{what}: the first call of decoder_step was fed "
                                      f"{fed.tolist()}; every sequence starts from SOS, "
                                      f"sos_id = {sos_id}.")
            continue
        if np.any(steps != call):
            raise ExerciseFailure(
                f"{what}: at step {call + 1} decoder_step was handed the state of an "
                "earlier step: the state it returns is not passed on. Carry it: "
                "logits, state = decoder_step(tokens, state).")
        live = eos_steps >= call  # sequences that have not produced EOS yet
        previous = decoder.script[live, call - 1]
        if np.array_equal(fed[live], previous):
            continue
        if np.all(fed[live] == sos_id):
            if call == 1:  # SOS again, or the token of two steps back: the same here
                raise ExerciseFailure(
                    f"{what}: step 2 was fed SOS again, the token of the wrong step. Feed "
                    "back the token chosen at the step just before, the argmax of its "
                    "logits; not SOS at every step, nor the token of two steps earlier.")
            raise ExerciseFailure(f"{what}: every step is fed SOS. Feed back the token "
                                  "chosen at the previous step, the argmax of its logits.")
        if call >= 2 and np.array_equal(fed[live], decoder.script[live, call - 2]):
            raise ExerciseFailure(f"{what}: step {call + 1} was fed the token of two steps "
                                  "earlier, the argmax of the wrong step. Feed the token "
                                  "chosen at the step just before.")
        raise ExerciseFailure(f"{what}: step {call + 1} was fed {fed[live].tolist()} for the "
                              f"unfinished sequences; the previous step's argmax was "
                              f"{previous.tolist()}. Feed back logits.argmax(axis=1).")


def _check_greedy(student, rng, eos_steps, max_length, what, vocab_size=8, sos_id=1,
                  eos_id=2, pad_id=0):
    decoder, expected = _greedy_case(rng, eos_steps, max_length, vocab_size, sos_id, eos_id,
                                     pad_id)
    state = decoder.initial_state(rng)
    result = call_student(student, decoder, state.copy(), sos_id, eos_id, max_length,
                          pad_id=pad_id, name="greedy_decode", case=what,
                          hint="Loop at most max_length times, feeding decoder_step an int "
                               "array (B,) of tokens and the state it returned last time.")
    eos_at = decoder.eos_steps
    _check_feeding(decoder, sos_id, eos_at, what)
    calls, length = len(decoder.calls), expected.shape[1]
    if calls > max_length:
        raise ExerciseFailure(f"{what}: decoder_step was called {calls} times with "
                              f"max_length = {max_length}: off by one on max_length. Produce "
                              "at most max_length tokens.")
    if calls > length:
        raise ExerciseFailure(f"{what}: the loop does not stop at EOS: it keeps generating "
                              f"after every sequence has produced EOS (at step {length}). "
                              "Stop as soon as every sequence has finished.")
    if calls == int(eos_at.min()) + 1 and calls < length:
        raise ExerciseFailure(f"{what}: the loop stops as soon as ONE sequence has produced "
                              "EOS; keep going until EVERY sequence has (or max_length).")
    if calls == max_length - 1 and length == max_length:
        raise ExerciseFailure(f"{what}: decoder_step was called {calls} times with "
                              f"max_length = {max_length}: off by one on max_length, one "
                              "step short.")
    if calls < length:
        raise ExerciseFailure(f"{what}: the loop stopped after {calls} steps, before every "
                              "sequence had produced EOS (or max_length was reached).")
    _check_tokens(result, expected, decoder, sos_id, eos_id, pad_id, what)


def _check_tokens(result, expected, decoder, sos_id, eos_id, pad_id, what):
    B, L = expected.shape
    tokens = as_token_ids(result, what, "greedy_decode should return one int array (B, L), "
                                        "every row padded with pad_id to the same length")
    if tokens.shape == (L, B) and L != B:
        raise ExerciseFailure(f"{what}: the result has shape {tokens.shape}, time first; "
                              f"return (B, L) = {(B, L)}: np.stack(tokens, axis=1).")
    raw = decoder.script[:, :L]
    with_sos = np.concatenate([np.full((B, 1), sos_id), expected], axis=1)
    eos_as_pad = np.where(expected == eos_id, pad_id, expected)
    finished = np.cumsum(expected == eos_id, axis=1) - (expected == eos_id) > 0
    mistakes = {
        "there is no padding after EOS: once a sequence has produced EOS, every later "
        f"position holds pad_id = {pad_id}, whatever the argmax says.": raw,
        f"SOS is included: the output starts with sos_id = {sos_id}; return only the "
        "produced tokens.": with_sos,
        "SOS is included and there is no padding after EOS.":
            np.concatenate([np.full((B, 1), sos_id), raw], axis=1),
        "EOS is not included: each sequence's EOS belongs to the output, followed by "
        "padding.": eos_as_pad,
        "EOS is not included (it is dropped and the rest shifted left): each sequence's EOS "
        "belongs to the output.": np.stack([
            np.concatenate([row[row != eos_id], np.full((row == eos_id).sum(), pad_id)])
            for row in expected]),
        f"after EOS the sequence is padded with EOS; pad with pad_id = {pad_id}.":
            np.where(finished, eos_id, expected),
    }
    if pad_id != 0:
        mistakes[f"the padding is 0; use pad_id = {pad_id}."] = np.where(finished, 0,
                                                                         expected)
    if tokens.shape != expected.shape:
        for message, wrong in mistakes.items():
            if tokens.shape == wrong.shape and np.array_equal(tokens, wrong):
                raise ExerciseFailure(f"{what}: {message}")
        raise ExerciseFailure(f"{what}: the result has shape {tokens.shape}; expected "
                              f"{expected.shape}: B sequences of L = {L} tokens, one per step "
                              "taken.")
    if np.array_equal(tokens, expected):
        return
    for message, wrong in mistakes.items():
        if not np.array_equal(wrong, expected) and np.array_equal(tokens, wrong):
            raise ExerciseFailure(f"{what}: {message}")
    raise ExerciseFailure(f"{what}: greedy_decode returned {tokens.astype(int).tolist()}; "
                          f"expected {expected.tolist()}.")


def greedy_decode_public(student):
    """B = 3 with EOS at steps 4, 2, 5 (max_length 7), then a sequence cut by max_length."""
    rng = np.random.default_rng(4707)
    _check_greedy(student, rng, [3, 1, 4], max_length=7,
                  what="3 sequences ending at steps 4, 2 and 5, max_length = 7")
    _check_greedy(student, rng, [2, None], max_length=5,
                  what="2 sequences, the second without EOS, max_length = 5")


def greedy_decode_hidden(student):
    """From the instructor's seed: a batch of one, EOS first, no EOS at all, equal
    lengths, a larger batch, max_length cutting sequences, max_length = 1, other token
    ids."""
    rng = hidden_rng("greedy_decode", 4808)
    same = size(rng, 1, 4)
    many = [size(rng, 0, 7) for _ in range(size(rng, 5, 7))]
    vocabulary = size(rng, 8, 12)
    sos, eos, pad = (int(token) for token in 1 + rng.choice(vocabulary - 1, size=3,
                                                             replace=False))
    cases = shuffled(rng, [
        ([size(rng, 1, 5)], size(rng, 6, 8), {}, "a batch of one"),
        ([0] * size(rng, 1, 3), size(rng, 3, 5), {}, "EOS at the first step"),
        ([None] * size(rng, 1, 3), size(rng, 3, 5), {}, "no EOS before max_length"),
        ([same] * 3, same + size(rng, 2, 4), {}, f"all three ending at step {same + 1}"),
        (many, max(many) + size(rng, 2, 3), {}, f"{len(many)} sequences"),
        ([size(rng, 4, 6), None, size(rng, 0, 1)], 3, {}, "max_length = 3 cutting two")])
    cases += [  # last, so that a mistake shows first where its message can name it
        ([None], 1, {}, "max_length = 1"),
        ([3, 1, 4], 7, {"vocab_size": vocabulary, "sos_id": sos, "eos_id": eos,
                        "pad_id": pad}, f"sos_id = {sos}, eos_id = {eos}, pad_id = {pad}")]
    for eos_steps, max_length, ids, what in cases:
        _check_greedy(student, rng, eos_steps, max_length, f"{what}, max_length = "
                      f"{max_length}" if "max_length" not in what else what, **ids)


# ---------------------------------------------------------------------------------------
# general_scores: Luong's multiplicative score, against torch's nn.Linear and bmm
# ---------------------------------------------------------------------------------------

GENERAL_HINT = (
    "Check the shapes: W_a is (Hd, Hk) and keys is (B, S, Hk), so W_a h_j for every j is "
    "keys @ W_a.T, shape (B, S, Hd); each of those is then dotted with the query s, (B, Hd)."
)


def _general_mistakes(query, keys, W_a):
    """What the typical wrong versions of e_j = s^T W_a h_j return, (B, S) each."""
    def dot(projected):  # s . projected_j for every j
        return np.einsum("bsd,bd->bs", projected, query)

    right = dot(keys @ W_a.T)
    mistakes = {
        "the scores are divided by sqrt(d): that is the Transformer's scaled dot product. "
        "Luong's general score is s^T W_a h_j, not scaled.": right / np.sqrt(query.shape[1]),
        "the scores are softmax weights: general_scores returns the raw scores e_j; the "
        "masked softmax comes after it (attend).": np.exp(right - right.max(axis=1,
                                                                          keepdims=True))
        / np.exp(right - right.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
        "the scores are negated: e_j = +s^T W_a h_j.": -right,
    }
    if W_a.shape[0] == W_a.shape[1]:  # square: the wrong forms have the right shape
        mistakes["W_a is used untransposed: W_a is (Hd, Hk), so W_a h_j for every j is "
                 "keys @ W_a.T."] = dot(keys @ W_a)
        mistakes["W_a is missing: these are the dot scores s^T h_j. The general score "
                 "puts W_a between them, s^T W_a h_j."] = dot(keys)
    return mistakes


def _check_general(student, query, keys, W_a, what):
    B, S, _ = keys.shape
    result = call_student(student, query.copy(), keys.copy(), W_a.copy(),
                          name="general_scores", hint=GENERAL_HINT, case=what)
    scores = _as_float_array(result, f"general_scores ({what})")
    if scores.shape != (B, S):
        extra = (" It looks like W_a h_j itself: finish with the dot product with the query."
                 if scores.shape == (B, S, W_a.shape[0]) else "")
        raise ExerciseFailure(f"{what}: the scores have shape {scores.shape}; expected "
                              f"(B, S) = {(B, S)}, one score per source position.{extra}")
    mask = np.ones((B, S), dtype=bool)
    expected = torch_luong_attention(query, keys, mask, W_a)[2]
    diagnose(scores, expected, _general_mistakes(query, keys, W_a), f"{what}, the scores")


def _general_case(rng, B, S, Hd, Hk):
    query = rng.uniform(-1, 1, size=(B, Hd))
    keys = rng.standard_normal((B, S, Hk))
    W_a = rng.uniform(-1, 1, size=(Hd, Hk)) / np.sqrt(Hk)
    return query, keys, W_a


def general_scores_public(student):
    """A square W_a (Hd = Hk = 4), then Hd = 3, Hk = 6 (B = 2, S = 5)."""
    rng = np.random.default_rng(4707)
    _check_general(student, *_general_case(rng, 2, 5, 4, 4), "B = 2, S = 5, Hd = Hk = 4")
    _check_general(student, *_general_case(rng, 2, 5, 3, 6), "B = 2, S = 5, Hd = 3, Hk = 6")


def general_scores_hidden(student):
    """From the instructor's seed: a batch of one, one position, B = S, Hd > Hk, large
    sizes."""
    rng = hidden_rng("general_scores", 4808)
    square = size(rng, 3, 6)
    cases = shuffled(rng, [
        (1, size(rng, 2, 6), size(rng, 2, 5), size(rng, 2, 5)),
        (size(rng, 2, 4), 1, size(rng, 2, 5), size(rng, 3, 6)),
        (square, square, size(rng, 3, 6), size(rng, 2, 7)),
        (size(rng, 2, 4), size(rng, 3, 8), size(rng, 7, 12), size(rng, 2, 5)),
        (size(rng, 5, 9), size(rng, 10, 20), size(rng, 16, 32), size(rng, 16, 32))])
    for B, S, Hd, Hk in cases:
        _check_general(student, *_general_case(rng, B, S, Hd, Hk),
                       f"B = {B}, S = {S}, Hd = {Hd}, Hk = {Hk}")
