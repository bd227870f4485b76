"""Tests for seqbook.checks.attention: the reference answers pass every check, and the wrong
answers students typically write (written here, independently of the checks) fail with a
message that names the mistake."""

import numpy as np
import pytest

from seqbook import reference
from seqbook.checks import attention as checks


def run(exercise, kind, student, message):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"{exercise}_{kind}")(student)


# ---------------------------------------------------------------------------------------
# masked_softmax
# ---------------------------------------------------------------------------------------


def softmax_with(axis=1, mask_how="-inf", subtract_max="real"):
    """A masked_softmax written independently of the checks, with one mistake on."""
    def masked_softmax(scores, mask):
        mask = np.asarray(mask, dtype=bool)
        if mask_how == "-inf":
            scores = np.where(mask, scores, -np.inf)
        elif mask_how == "multiply":
            scores = scores * mask
        if subtract_max == "real":
            scores = scores - scores.max(axis=axis, keepdims=True)
        exps = np.exp(scores)
        if mask_how == "after":
            exps = exps / exps.sum(axis=axis, keepdims=True) * mask
            return exps
        return exps / exps.sum(axis=axis, keepdims=True)
    return masked_softmax


def softmax_max_over_padding(scores, mask):
    mask = np.asarray(mask, dtype=bool)
    exps = np.exp(scores - scores.max(axis=1, keepdims=True)) * mask
    return exps / exps.sum(axis=1, keepdims=True)


def test_softmax_with_no_mistake_passes():
    checks.masked_softmax_public(softmax_with())
    checks.masked_softmax_hidden(softmax_with())


@pytest.mark.parametrize("student, message", [
    (softmax_with(axis=0), "over the batch axis"),
    (softmax_with(mask_how="none"), "padding is not masked"),
    (softmax_with(mask_how="after"), "AFTER the softmax, without renormalising"),
    (softmax_with(mask_how="multiply"), "multiplied by the mask"),
    (softmax_with(subtract_max="none"), "NaN or infinity for large scores.*overflows"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_masked_softmax_mistakes(student, message, kind):
    with np.errstate(all="ignore"):
        run("masked_softmax", kind, student, message)


@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_masked_softmax_max_over_padding_is_named(kind):
    with np.errstate(all="ignore"):
        run("masked_softmax", kind, softmax_max_over_padding, "padding included")


def test_masked_softmax_boolean_only_mask_gets_the_hint():
    def student(scores, mask):
        scores = scores.copy()
        scores[~mask] = -np.inf  # with a 0/1 integer mask, ~mask is -1, -2: an IndexError
        return np.exp(scores - scores.max(axis=1, keepdims=True)) / np.exp(
            scores - scores.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)
    checks.masked_softmax_public(student)
    with np.errstate(all="ignore"):
        run("masked_softmax", "hidden", student, "dtype=bool")


def test_masked_softmax_student_who_edits_the_inputs_cannot_change_the_answer():
    def student(scores, mask):
        right = reference.masked_softmax(scores, mask)
        scores[:] = 0.0
        mask[:] = True
        return right
    checks.masked_softmax_public(student)
    checks.masked_softmax_hidden(student)


# ---------------------------------------------------------------------------------------
# additive_attention
# ---------------------------------------------------------------------------------------


def attention_with(softmax=reference.masked_softmax, squash=np.tanh, swap=False,
                   context_from="weights", context_axis=1, order="context first"):
    """An additive_attention written independently of the checks, with one mistake on."""
    def additive_attention(query, keys, mask, W, U, v):
        if swap:
            scores = squash((query @ U.T)[:, None, :] + keys @ W.T) @ v
        else:
            scores = squash((query @ W.T)[:, None, :] + keys @ U.T) @ v
        weights = softmax(scores, mask)
        mixing = weights if context_from == "weights" else scores
        if context_axis == "matmul":
            context = mixing @ keys
        else:
            context = (mixing[:, :, None] * keys).sum(axis=context_axis)
        return (context, weights) if order == "context first" else (weights, context)
    return additive_attention


def test_attention_with_no_mistake_passes():
    checks.additive_attention_public(attention_with())
    checks.additive_attention_hidden(attention_with())


@pytest.mark.parametrize("student, message", [
    (attention_with(softmax=softmax_with(mask_how="none")), "padding is not masked"),
    (attention_with(softmax=softmax_with(axis=0)), "over the batch axis"),
    (attention_with(softmax=softmax_with(mask_how="after")), "without renormalising"),
    (attention_with(softmax=softmax_with(mask_how="multiply")), "multiplied by the mask"),
    (attention_with(squash=lambda a: a), "tanh is missing"),
    (attention_with(swap=True), "W and U are swapped"),
    (attention_with(context_from="scores"), "computed from the SCORES"),
    (attention_with(context_axis=2), "summed over the wrong axis"),
    (attention_with(context_axis="matmul"), r"weights @ keys broadcasts"),
    (attention_with(order="weights first"), r"returned \(weights, context\)"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_additive_attention_mistakes(student, message, kind):
    with np.errstate(all="ignore"):
        run("additive_attention", kind, student, message)


def test_additive_attention_wrong_axis_sum_with_batch_equal_to_source_is_named():
    run("additive_attention", "hidden", attention_with(context_axis=0),
        "summed over the wrong axis")


def test_attention_without_the_max_subtracted_fails_the_hidden_large_scores():
    student = attention_with(softmax=softmax_with(subtract_max="none"))
    checks.additive_attention_public(student)  # ordinary scores: no overflow
    with np.errstate(all="ignore"):
        run("additive_attention", "hidden", student, "NaN or infinity.*overflows")


def test_additive_attention_plain_mean_of_annotations_is_named():
    def student(query, keys, mask, W, U, v):
        _, weights = reference.additive_attention(query, keys, mask, W, U, v)
        mask = np.asarray(mask, dtype=float)
        return (keys * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True), weights
    run("additive_attention", "public", student, "plain mean of the annotations")


def test_additive_attention_student_who_edits_the_inputs_cannot_change_the_answer():
    def student(query, keys, mask, W, U, v):
        right = reference.additive_attention(query, keys, mask, W, U, v)
        for array in (query, keys, W, U, v):
            array[...] = 0.0
        return right
    checks.additive_attention_public(student)
    checks.additive_attention_hidden(student)


# ---------------------------------------------------------------------------------------
# attention_decoder_step
# ---------------------------------------------------------------------------------------


def step_with(query="previous", feed_context=True, gru_order="embedding first",
              readout=("state", "context", "embedding"), readout_state="new",
              weights_shape="flat", bias=True, return_state="new", softmax_max="real"):
    """An attention_decoder_step written independently of the checks, one mistake on."""
    def attention_decoder_step(prev_embedding, state_prev, keys, mask, params):
        W, U, v = params["W"], params["U"], params["v"]
        scores = np.tanh((state_prev @ W.T)[:, None, :] + keys @ U.T) @ v
        if softmax_max == "all":  # the max over padding too: 0/0 for large scores
            e = np.exp(scores - scores.max(axis=1, keepdims=True)) * mask
        else:
            scores = np.where(mask, scores, -np.inf)
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights = e / e.sum(axis=1, keepdims=True)
        context = np.einsum("bs,bsk->bk", weights, keys)
        fed = context if feed_context else np.zeros_like(context)
        parts = [prev_embedding, fed] if gru_order == "embedding first" else [fed,
                                                                              prev_embedding]
        state = reference.gru_cell_forward(np.concatenate(parts, axis=1), state_prev,
                                       params["W_x"], params["W_h"], params["b_x"],
                                       params["b_h"])
        if query == "new":  # attending after the update (Luong's order, not Bahdanau's)
            scores = np.tanh((state @ W.T)[:, None, :] + keys @ U.T) @ v
            scores = np.where(mask, scores, -np.inf)
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            weights = e / e.sum(axis=1, keepdims=True)
            context = np.einsum("bs,bsk->bk", weights, keys)
        pieces = {"state": state if readout_state == "new" else state_prev,
                  "context": context, "embedding": prev_embedding}
        pieces = [pieces[name] if name in readout else 0 * pieces[name]
                  for name in (readout if len(readout) == 3 else pieces)]
        logits = np.concatenate(pieces, axis=1) @ params["W_out"].T
        if bias:
            logits = logits + params["b_out"]
        if weights_shape == "3d":
            weights = weights[:, None, :]
        return logits, (state if return_state == "new" else state_prev), weights
    return attention_decoder_step


def test_step_with_no_mistake_passes():
    checks.attention_decoder_step_public(step_with())
    checks.attention_decoder_step_hidden(step_with())


@pytest.mark.parametrize("student, message", [
    (step_with(query="new"), r"NEW state s_t \(after the GRU update\).*previous state"),
    (step_with(feed_context=False), "GRU fed the embedding only"),
    (step_with(gru_order="context first"), r"order \[c_t; y_\{t-1\}\]"),
    (step_with(readout=("state", "embedding")), "missing the context c_t"),
    (step_with(readout=("state", "context")), "missing the embedding"),
    (step_with(readout=("context", "state", "embedding")), r"order \[c_t; s_t; y_\{t-1\}\]"),
    (step_with(readout_state="old"), "reads the old state"),
    (step_with(bias=False), "b_out is missing"),
    (step_with(return_state="old"), "returned state is the OLD state"),
    (step_with(weights_shape="3d"), r"return them as \(B, S\)"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_attention_decoder_step_mistakes(student, message, kind):
    run("attention_decoder_step", kind, student, message)


def test_attention_decoder_step_max_over_padding_fails_the_hidden_large_scores():
    student = step_with(softmax_max="all")
    checks.attention_decoder_step_public(student)  # ordinary scores: no underflow
    with np.errstate(all="ignore"):
        run("attention_decoder_step", "hidden", student, "padding included")


def test_attention_decoder_step_context_left_out_of_the_gru_input_gets_the_shape_hint():
    def student(prev_embedding, state_prev, keys, mask, params):
        context, weights = reference.additive_attention(state_prev, keys, mask, params["W"],
                                                        params["U"], params["v"])
        state = reference.gru_cell_forward(prev_embedding, state_prev, params["W_x"],
                                       params["W_h"], params["b_x"], params["b_h"])
        return np.zeros(1), state, weights
    run("attention_decoder_step", "public", student, r"\[y_\{t-1\}; c_t\]")


def test_attention_decoder_step_student_who_edits_the_inputs_cannot_change_the_answer():
    def student(prev_embedding, state_prev, keys, mask, params):
        right = reference.attention_decoder_step(prev_embedding, state_prev, keys, mask,
                                                 params)
        state_prev[:] = 0.0
        keys[:] = 0.0
        params["W_out"][:] = 0.0
        return right
    checks.attention_decoder_step_public(student)
    checks.attention_decoder_step_hidden(student)


# ---------------------------------------------------------------------------------------
# greedy_decode
# ---------------------------------------------------------------------------------------


def greedy_with(stop="all", pad=True, keep_eos=True, with_sos=False, feed="previous",
                steps=lambda max_length: max_length, carry_state=True, pad_with=None):
    """A greedy_decode written independently of the checks, with one mistake on."""
    def greedy_decode(decoder_step, state, sos_id, eos_id, max_length, pad_id=0):
        batch = state.shape[0]
        tokens = np.full(batch, sos_id)
        history = [tokens]
        done = np.zeros(batch, dtype=bool)
        outputs = []
        initial = state
        for _ in range(steps(max_length)):
            logits, new_state = decoder_step(tokens, state)
            state = new_state if carry_state else initial
            best = logits.argmax(axis=1)
            filler = pad_id if pad_with is None else pad_with
            out = np.where(done, filler, best) if pad else best
            if not keep_eos:
                out = np.where(out == eos_id, pad_id, out)
            outputs.append(out)
            just_done = best == eos_id
            done = done | just_done
            history.append(best)
            if feed == "previous":
                tokens = best
            elif feed == "sos":
                tokens = np.full(batch, sos_id)
            elif feed == "two back":
                tokens = history[-2]
            if stop == "all" and done.all():
                break
            if stop == "any" and done.any():
                break
        result = np.stack(outputs, axis=1)
        if with_sos:
            result = np.concatenate([np.full((batch, 1), sos_id), result], axis=1)
        return result
    return greedy_decode


def test_greedy_with_no_mistake_passes():
    checks.greedy_decode_public(greedy_with())
    checks.greedy_decode_hidden(greedy_with())


@pytest.mark.parametrize("student, message", [
    (greedy_with(stop="never"), "does not stop at EOS"),
    (greedy_with(stop="any"), "ONE sequence"),
    (greedy_with(pad=False), "no padding after EOS"),
    (greedy_with(keep_eos=False), "EOS is not included"),
    (greedy_with(with_sos=True), "SOS is included"),
    (greedy_with(feed="sos"), "fed SOS"),
    (greedy_with(feed="two back"), "two steps earlier"),
    (greedy_with(carry_state=False), "state it returns is not passed on"),
    (greedy_with(steps=lambda max_length: max_length + 1), "off by one on max_length"),
    (greedy_with(steps=lambda max_length: max_length - 1), "off by one on max_length"),
    (greedy_with(pad_with=2), "padded with EOS"),
])
@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_greedy_decode_mistakes(student, message, kind):
    run("greedy_decode", kind, student, message)


def test_greedy_decode_zero_instead_of_pad_id_is_named_by_the_hidden_check():
    student = greedy_with(pad_with=0)
    checks.greedy_decode_public(student)  # pad_id is 0 there
    run("greedy_decode", "hidden", student, r"the padding is 0; use pad_id = [1-9]")


def test_greedy_decode_feeding_pad_or_argmax_after_eos_both_pass():
    def feeds_pad(decoder_step, state, sos_id, eos_id, max_length, pad_id=0):
        return reference.greedy_decode(decoder_step, state, sos_id, eos_id, max_length,
                                       pad_id)
    checks.greedy_decode_public(feeds_pad)
    checks.greedy_decode_hidden(feeds_pad)
    checks.greedy_decode_public(greedy_with())  # keeps feeding the argmax after EOS
    checks.greedy_decode_hidden(greedy_with())


def test_greedy_decode_time_first_result_is_named():
    def student(*args, **kwargs):
        return greedy_with()(*args, **kwargs).T
    run("greedy_decode", "public", student, "time first")


def test_greedy_decode_a_loop_that_never_ends_is_stopped():
    def student(decoder_step, state, sos_id, eos_id, max_length, pad_id=0):
        tokens = np.full(state.shape[0], sos_id)
        while True:
            logits, state = decoder_step(tokens, state)
            tokens = logits.argmax(axis=1)
    run("greedy_decode", "public", student, "the loop does not stop")


# ---------------------------------------------------------------------------------------
# general_scores (Luong)
# ---------------------------------------------------------------------------------------


def general_with(mistake=None):
    """general_scores written independently of the checks (loops over the batch and the
    positions), with one mistake on."""
    def general_scores(query, keys, W_a):
        B, S, _ = keys.shape
        scores = np.zeros((B, S))
        for b in range(B):
            for j in range(S):
                projected = (W_a if mistake != "untransposed" else W_a.T) @ keys[b, j]
                if mistake == "no W_a":
                    projected = keys[b, j]
                scores[b, j] = query[b] @ projected
        if mistake == "scaled":
            scores = scores / np.sqrt(query.shape[1])
        if mistake == "softmax":
            scores = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        if mistake == "projected keys":
            return keys @ W_a.T
        return scores
    return general_scores


def test_general_scores_with_no_mistake_passes():
    checks.general_scores_public(general_with())
    checks.general_scores_hidden(general_with())
    checks.general_scores_public(reference.general_scores)


def general_query_side(query, keys, W_a):
    """s^T W_a h_j computed as (W_a^T s) . h_j: the same numbers, another order."""
    return np.einsum("bsk,bk->bs", keys, query @ W_a)


def test_general_scores_projecting_the_query_instead_passes():
    checks.general_scores_public(general_query_side)
    checks.general_scores_hidden(general_query_side)


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("mistake, message", [
    ("scaled", "divided by sqrt"),
    ("softmax", "softmax weights"),
    ("no W_a", "W_a is missing|Check the shapes"),
    ("untransposed", "W_a is used untransposed|Check the shapes"),
    ("projected keys", r"W_a h_j itself"),
])
def test_general_scores_mistakes(mistake, message, kind):
    run("general_scores", kind, general_with(mistake), message)


def test_general_scores_student_who_edits_the_inputs_cannot_change_the_answer():
    def vandal(query, keys, W_a):
        scores = reference.general_scores(query, keys, W_a)
        query[:] = 0.0
        W_a[:] = 0.0
        return scores

    checks.general_scores_public(vandal)
