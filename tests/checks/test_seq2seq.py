"""Tests for seqbook.checks.seq2seq: the wrong answers students typically write for
Lab 4a's PyTorch exercises and beam search (written here, independently of the checks)
fail with a message that names the mistake; the right ones pass, also when they take
another road (a mask from the lengths, a beam that batches nothing)."""

import numpy as np
import pytest
import torch
from torch import nn

from seqbook.checks import seq2seq as checks
from seqbook.models.seq2seq import sequence_loss
from seqbook.tasks.vocabulary import PAD, SOS


def run(exercise, kind, student, message):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"{exercise}_{kind}")(student)


# ---------------------------------------------------------------------------------------
# sequence_loss
# ---------------------------------------------------------------------------------------


def loss_with(shift=True, first=SOS, reduce="mean", eos=True, item=False, detach=False):
    """A sequence_loss written with a mask from the lengths, one mistake switched on."""
    def student(model, src_ids, src_lengths, tgt_ids, tgt_lengths):
        B, T = tgt_ids.shape
        if shift:
            tgt_in = torch.cat([torch.full((B, 1), first, dtype=torch.long), tgt_ids[:, :-1]], 1)
        else:
            tgt_in = tgt_ids
        logits, _ = model(src_ids, src_lengths, tgt_in)
        losses = nn.functional.cross_entropy(logits.transpose(1, 2), tgt_ids, reduction="none")
        counted = tgt_lengths - (0 if eos else 1)
        mask = (torch.arange(T)[None, :] < counted[:, None]).float()
        if reduce == "mean":
            loss = (losses * mask).sum() / mask.sum()
        elif reduce == "all":
            loss = losses.mean()
        elif reduce == "sum":
            loss = (losses * mask).sum()
        elif reduce == "sentences":
            loss = ((losses * mask).sum(1) / mask.sum(1).clamp(min=1)).mean()
        elif reduce == "batch":
            loss = (losses * mask).sum() / B
        if item:
            return loss.item()
        return loss.detach().clone() if detach else loss
    return student


@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_a_masked_mean_from_the_lengths_passes(kind):
    getattr(checks, f"sequence_loss_{kind}")(loss_with())


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("options, message", [
    ({"shift": False}, "not shifted"),
    ({"first": PAD}, "first input is PAD"),
    ({"reduce": "all"}, "padding is counted"),
    ({"reduce": "sum"}, "SUM over the real tokens"),
    ({"reduce": "sentences"}, "each sentence's mean"),
    ({"reduce": "batch"}, "batch size B"),
    ({"eos": False}, "EOS is left out"),
    ({"item": True}, "plain number"),
    ({"detach": True}, "cut off from the model's parameters"),
])
def test_a_typical_mistake_is_named(kind, options, message):
    run("sequence_loss", kind, loss_with(**options), message)


# ---------------------------------------------------------------------------------------
# seq2seq_training_step
# ---------------------------------------------------------------------------------------


def step_with(order=("zero", "backward", "clip", "step"), returns="item"):
    """A training step doing ``order``'s moves in that order."""
    def student(model, optimizer, batch, max_norm):
        loss = sequence_loss(model, *batch)
        for move in order:
            if move == "zero":
                optimizer.zero_grad()
            elif move == "backward":
                loss.backward()
            elif move == "clip":
                nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            elif move == "step":
                optimizer.step()
        if returns == "item":
            return loss.item()
        if returns == "after":  # the loss after the update
            return sequence_loss(model, *batch).item()
        return loss
    return student


@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_the_four_moves_in_order_pass(kind):
    getattr(checks, f"seq2seq_training_step_{kind}")(step_with())


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("order, returns, message", [
    (("backward", "clip", "step"), "item", "gradients were not reset"),
    (("zero", "backward", "step"), "item", "not clipped"),
    (("zero", "backward", "step", "clip"), "item", "not clipped"),
    (("backward", "step"), "item", "neither reset nor clipped"),
    (("zero", "backward", "clip"), "item", "did not change"),
    (("backward", "zero", "clip", "step"), "item", "did not change"),
    (("zero", "backward", "clip", "step"), "tensor", "returns a tensor"),
    (("zero", "backward", "clip", "step"), "after", "before the update"),
])
def test_a_typical_step_mistake_is_named(kind, order, returns, message):
    if kind == "hidden" and message == "neither reset nor clipped":
        message = "(neither reset nor clipped|not reset)"  # Adam's first step: clipping
        # scales every gradient by one factor, which Adam's normalisation undoes
    run("seq2seq_training_step", kind, step_with(order, returns), message)


# ---------------------------------------------------------------------------------------
# beam_search
# ---------------------------------------------------------------------------------------


def beam_with(score="log", penalty="gnmt", keep_finished=False, sos_in_output=False):
    """A beam search written with a dict of hypotheses, one mistake switched on."""
    def beam_search(decoder_step, state, sos_id, eos_id, beam_size, max_length, alpha=0.0):
        live = {(): (0.0, state)}
        done = {}
        for _ in range(max_length):
            grown = []
            for prefix, (total, hypothesis_state) in live.items():
                previous = prefix[-1] if prefix else sos_id
                logits, new_state = decoder_step(np.array([previous]), hypothesis_state)
                logits = np.asarray(logits, dtype=float)[0]
                log_probs = logits - np.logaddexp.reduce(logits)
                gains = {"log": log_probs, "probability": np.exp(log_probs),
                         "logits": logits}[score]
                for token in np.argsort(-gains, kind="stable")[:beam_size]:
                    grown.append((total + gains[token], prefix + (int(token),), new_state))
            grown.sort(key=lambda item: -item[0])
            live = {}
            for total, prefix, new_state in grown[:beam_size]:
                if prefix[-1] == eos_id and not keep_finished:
                    done[prefix] = total
                else:
                    live[prefix] = (total, new_state)
            if not live:
                break
        if keep_finished or not done:
            done.update({prefix: total for prefix, (total, _) in live.items()})

        def normalised(prefix):
            if penalty == "none":
                return done[prefix]
            if penalty == "length":
                return done[prefix] / len(prefix) ** alpha
            return done[prefix] / ((5 + len(prefix)) / 6) ** alpha

        best = list(max(done, key=normalised))
        return np.array(([sos_id] if sos_in_output else []) + best)
    return beam_search


@pytest.mark.parametrize("kind", ["public", "hidden"])
def test_another_right_beam_search_passes(kind):
    getattr(checks, f"beam_search_{kind}")(beam_with())


@pytest.mark.parametrize("kind", ["public", "hidden"])
@pytest.mark.parametrize("options, message", [
    ({"penalty": "none"}, "length penalty is missing"),
    ({"penalty": "length"}, r"length \*\* alpha"),
    ({"score": "probability"}, "add probabilities"),
    ({"score": "logits"}, "raw logits"),
    ({"keep_finished": True}, "(goes on after EOS|stay in the beam)"),
    ({"sos_in_output": True}, "starts with SOS"),
])
def test_a_typical_beam_mistake_is_named(kind, options, message):
    run("beam_search", kind, beam_with(**options), message)


def test_a_batched_decoder_call_is_refused_with_the_contract():
    def batched(decoder_step, state, sos_id, eos_id, beam_size, max_length, alpha=0.0):
        decoder_step(np.array([sos_id, sos_id]), np.repeat(state, 2, axis=0))

    run("beam_search", "public", batched, "one hypothesis at a time")
