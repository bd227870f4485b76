"""Checks for Lab 4a's PyTorch exercises: sequence_loss, seq2seq_training_step and
beam_search.

The models are small :func:`seqbook.models.seq2seq.make_model` encoder-decoders with fixed
random weights, handed to the student's function as real torch objects in the notebook
and as recipes when an instructor grades (``seqbook.checks.modules``). The right answers
are independent of the book's code:

- the loss is ``log_softmax`` and ``gather``, in float64, summed over a mask made from the
  target lengths and divided by the number of real tokens;
- the training step's update is written out by hand: the gradient's global norm, the
  clipping factor, SGD's (momentum's) update, or ``torch.optim.Adam``;
- beam search runs against a scripted decoder, a random tree of next-token
  distributions (``tests/reference/test_beam_search.py`` proves the search against
  trying every output).

Each names the typical mistakes: the decoder fed the unshifted target (it sees the
answer) or PAD instead of SOS first, padding counted, a sum instead of a mean, the mean of
per-sentence means, EOS left out; ``zero_grad`` missing, no clipping (or clipping after the
step), no step, a tensor returned; for beam search, no length penalty, another penalty,
probabilities summed instead of log-probabilities, logits instead of log-probabilities,
finished hypotheses kept (and extended) in the beam.

Every model is built inside ``torch.random.fork_rng``: a check never moves the lab's
random numbers on.
"""

import copy

import numpy as np
import torch

from seqbook.checks import ExerciseFailure, as_token_ids, call_student, hidden_rng, shuffled, size
from seqbook.checks.modules import (
    arguments_for,
    build_arguments,
    model_recipe,
    optimizer_recipe,
    runs_elsewhere,
)
from seqbook.tasks.vocabulary import EOS, PAD, SOS, length_mask

FIRST_TOKEN = 4  # ids 0-3 are PAD, SOS, EOS, UNK

# ---------------------------------------------------------------------------------------
# Models and batches
# ---------------------------------------------------------------------------------------


def _recipe(seed, kind, source_vocab, target_vocab, embed=4, hidden=5, attention=3,
            grads=False):
    """A small model's recipe: its options, its random parameters (and gradients)."""
    from seqbook.models.seq2seq import make_model

    options = {"kind": kind, "source_vocab_size": source_vocab,
               "target_vocab_size": target_vocab, "embed_size": embed, "hidden_size": hidden,
               "attention_size": attention}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = make_model(**options)
        state = {name: parameter.detach().numpy().copy()
                 for name, parameter in model.named_parameters()}
        prefill = ({name: 0.5 * torch.randn(parameter.shape).numpy()
                    for name, parameter in model.named_parameters()} if grads else None)
    return model_recipe(options, state, prefill)


def _batch(rng, source_vocab, target_vocab, src_lengths, tgt_lengths):
    """(src_ids, src_lengths, tgt_ids, tgt_lengths): random real tokens, every target
    ending with EOS (counted in its length), PAD after."""
    src_lengths, tgt_lengths = np.array(src_lengths), np.array(tgt_lengths)
    B, S, T = len(src_lengths), int(src_lengths.max()), int(tgt_lengths.max())
    src = rng.integers(FIRST_TOKEN, source_vocab, size=(B, S))
    src[np.arange(S)[None, :] >= src_lengths[:, None]] = PAD
    tgt = rng.integers(FIRST_TOKEN, target_vocab, size=(B, T))
    tgt[np.arange(T)[None, :] >= tgt_lengths[:, None]] = PAD
    tgt[np.arange(B), tgt_lengths - 1] = EOS
    return tuple(torch.as_tensor(array, dtype=torch.long)
                 for array in (src, src_lengths, tgt, tgt_lengths))


def _a(kind):
    return "an attention" if kind == "attention" else "a plain"


def _copied(batch):
    return tuple(tensor.clone() for tensor in batch)


def _model(recipe):
    return build_arguments([copy.deepcopy(recipe)], {})[0][0]


def _token_losses(model, batch, decoder_input):
    """-log p(y_t) at every position, float64 (B, T), for the given decoder input."""
    src_ids, src_lengths, tgt_ids, _ = batch
    logits, _ = model(src_ids, src_lengths, decoder_input)
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    return -log_probs.gather(2, tgt_ids[..., None]).squeeze(-1)


def _shifted(tgt_ids, first=SOS):
    return torch.cat([torch.full_like(tgt_ids[:, :1], first), tgt_ids[:, :-1]], dim=1)


def _reference_loss(model, batch):
    """The masked mean: the sum over real tokens divided by their number."""
    tgt_ids, tgt_lengths = batch[2], batch[3]
    losses = _token_losses(model, batch, _shifted(tgt_ids))
    mask = length_mask(tgt_lengths, tgt_ids.shape[1]).double()
    return (losses * mask).sum() / mask.sum()


def _loss_mistakes(model, batch):
    tgt_ids, tgt_lengths = batch[2], batch[3]
    B, T = tgt_ids.shape
    mask = length_mask(tgt_lengths, T).double()
    with torch.no_grad():
        right = _token_losses(model, batch, _shifted(tgt_ids))
        unshifted = _token_losses(model, batch, tgt_ids)
        pad_first = _token_losses(model, batch, _shifted(tgt_ids, PAD))
    no_eos = length_mask(tgt_lengths - 1, T).double()

    def mean(losses, weights=mask):
        return float((losses * weights).sum() / weights.sum())

    return {
        "the decoder was fed the target itself, not shifted: at step t it reads y_t, the "
        "answer it is asked for. Feed SOS, then the target without its last column: "
        "torch.cat([SOS column, tgt_ids[:, :-1]], dim=1).": mean(unshifted),
        "the decoder's first input is PAD (0), not SOS: put a column of SOS (id 1) in front "
        "of tgt_ids[:, :-1].": mean(pad_first),
        "the padding is counted: the loss averages over every position of the padded "
        "batch, PAD targets included. Leave them out (ignore_index=PAD, or a mask from "
        "tgt_lengths).": float(right.mean()),
        "this is the SUM over the real tokens; divide by their number, the mean.":
            float((right * mask).sum()),
        "this is the mean over the batch of each sentence's mean: short sentences weigh as "
        "much as long ones. Average over all real tokens at once (their sum divided by "
        "tgt_lengths.sum()).": float(((right * mask).sum(1) / tgt_lengths).mean()),
        "this is the sum over the real tokens divided by the batch size B; divide by the "
        "number of real tokens, tgt_lengths.sum().": float((right * mask).sum() / B),
        "EOS is left out: each target's EOS is a real token the decoder must predict, and "
        "counts in the mean.": mean(right, no_eos),
    }


def _loss_value(result, what, needs_graph):
    """The student's loss as a float, after checking that it is a one-number tensor (with
    its graph, when it was computed in this process)."""
    if isinstance(result, torch.Tensor):
        if result.numel() != 1:
            raise ExerciseFailure(f"{what}: sequence_loss returned a tensor of shape "
                                  f"{tuple(result.shape)}; it should be one number, a "
                                  "tensor of shape ().")
        if needs_graph and not result.requires_grad:
            raise ExerciseFailure(f"{what}: the loss is cut off from the model's parameters "
                                  "(no gradient flows back to them): return the tensor the "
                                  "computation gives, not a new one made from its value.")
        return float(result.detach().reshape(()))
    if isinstance(result, (float, int, np.floating, np.integer)):
        raise ExerciseFailure(f"{what}: sequence_loss returned a plain number; return the "
                              "loss TENSOR (no .item()), so that the training step can call "
                              "backward on it.")
    raise ExerciseFailure(f"{what}: sequence_loss returned {type(result).__name__}; return "
                          "the loss, a tensor of shape ().")


def _name_mistake(value, expected, mistakes, what, tolerance):
    if abs(value - expected) <= tolerance * max(1.0, abs(expected)):
        return
    for message, wrong in mistakes.items():
        if abs(wrong - expected) > tolerance * max(1.0, abs(expected)) \
                and abs(value - wrong) <= tolerance * max(1.0, abs(wrong)):
            raise ExerciseFailure(f"{what}: {message}")
    raise ExerciseFailure(f"{what}: the loss is {value:.6f}; expected {expected:.6f}, the "
                          "mean cross-entropy over the real target tokens (EOS included, "
                          "padding left out) with the decoder fed SOS and the target shifted "
                          "right.")


# ---------------------------------------------------------------------------------------
# Exercise: sequence_loss
# ---------------------------------------------------------------------------------------


def _check_loss(student, recipe, batch, what, tolerance=1e-5):
    model = _model(recipe)
    with torch.no_grad():
        expected = float(_reference_loss(model, batch))
    mistakes = _loss_mistakes(model, batch)
    [argument] = arguments_for(student, copy.deepcopy(recipe))
    result = call_student(student, argument, *_copied(batch), name="sequence_loss",
                          case=what,
                          hint="Call model(src_ids, src_lengths, tgt_in) and take the "
                               "cross-entropy of its logits (B, T, V) against tgt_ids (B, T).")
    value = _loss_value(result, what, needs_graph=not runs_elsewhere(student))
    _name_mistake(value, expected, mistakes, what, tolerance)


def sequence_loss_public(student):
    """A plain model on targets of lengths 5, 3 and 1 (one of them EOS alone), then an
    attention model."""
    rng = np.random.default_rng(4004)
    _check_loss(student, _recipe(11, "plain", 9, 8), _batch(rng, 9, 8, [4, 6, 2], [5, 3, 1]),
                "a plain model, 3 targets of lengths 5, 3 and 1")
    _check_loss(student, _recipe(12, "attention", 9, 8),
                _batch(rng, 9, 8, [3, 5, 5, 1], [2, 4, 6, 4]),
                "an attention model, 4 targets of lengths 2, 4, 6 and 4")


def sequence_loss_hidden(student):
    """From the instructor's seed: a batch of one, equal lengths, many sentences, longer
    ones, both kinds of model, other vocabulary sizes."""
    rng = hidden_rng("sequence_loss", 4104)
    cases = []
    for what in ("one sentence", "equal lengths", "many sentences", "long targets"):
        B = {"one sentence": 1, "equal lengths": 3, "many sentences": size(rng, 6, 9),
             "long targets": 2}[what]
        longest = 12 if what == "long targets" else 6
        tgt = ([size(rng, 2, longest)] * B if what == "equal lengths"
               else [size(rng, 1, longest) for _ in range(B)])
        src = [size(rng, 1, 7) for _ in range(B)]
        kind = ("plain", "attention")[size(rng, 0, 1)]
        vocab = (size(rng, 6, 12), size(rng, 6, 12))
        cases.append((kind, vocab, src, tgt, what))
    for kind, (vs, vt), src, tgt, what in shuffled(rng, cases):
        _check_loss(student, _recipe(size(rng, 0, 10_000), kind, vs, vt),
                    _batch(rng, vs, vt, src, tgt), f"{what}, {_a(kind)} model, target lengths "
                    f"{tgt}")


# ---------------------------------------------------------------------------------------
# Exercise: seq2seq_training_step
# ---------------------------------------------------------------------------------------


def _update(recipe, optimizer, batch, max_norm, zero_grad=True, clip=True, step=True):
    """The training step by hand: (loss, {name: updated parameter}) in float64."""
    model = _model(recipe)
    parameters = dict(model.named_parameters())
    if zero_grad:
        for parameter in parameters.values():
            parameter.grad = None
    loss = _reference_loss(model, batch)
    loss.backward()
    grads = {name: (parameter.grad if parameter.grad is not None
                    else torch.zeros_like(parameter)).double()
             for name, parameter in parameters.items()}
    if clip:
        norm = torch.sqrt(sum((grad ** 2).sum() for grad in grads.values()))
        factor = min(1.0, max_norm / (float(norm) + 1e-6))
        grads = {name: grad * factor for name, grad in grads.items()}
    values = {name: parameter.detach().double() for name, parameter in parameters.items()}
    if step:
        kind, options = optimizer["kind"], optimizer["options"]
        if kind == "SGD":  # the first step: momentum's buffer is the gradient itself
            values = {name: value - options["lr"] * grads[name]
                      for name, value in values.items()}
        else:
            with torch.random.fork_rng():
                copies = {name: torch.nn.Parameter(value.clone()) for name, value in
                          values.items()}
                adam = torch.optim.Adam(copies.values(), **options)
            for name, parameter in copies.items():
                parameter.grad = grads[name].clone()
            adam.step()
            values = {name: parameter.detach() for name, parameter in copies.items()}
    return loss.item(), {name: value.numpy() for name, value in values.items()}


def _differs(params, other, tolerance):
    return any(not np.allclose(params[name], other[name], rtol=tolerance, atol=tolerance)
               for name in params)


def _check_step(student, recipe, optimizer, batch, max_norm, what, tolerance=2e-5):
    expected_loss, expected = _update(recipe, optimizer, batch, max_norm)
    mistakes = {
        "the gradients were not reset: the .grad left from before (this case fills it) was "
        "added to. Call optimizer.zero_grad() before loss.backward().":
            _update(recipe, optimizer, batch, max_norm, zero_grad=False),
        "the update is not clipped: call torch.nn.utils.clip_grad_norm_(model.parameters(), "
        "max_norm) after loss.backward() and BEFORE optimizer.step() (clipping after the "
        "step changes nothing).": _update(recipe, optimizer, batch, max_norm, clip=False),
        "the gradients were neither reset nor clipped: optimizer.zero_grad() before "
        "backward, clip_grad_norm_ between backward and step.":
            _update(recipe, optimizer, batch, max_norm, zero_grad=False, clip=False),
    }
    state = copy.deepcopy(recipe)
    arguments = arguments_for(student, state, copy.deepcopy(optimizer), _copied(batch),
                              max_norm)
    result = call_student(student, *arguments, name="seq2seq_training_step", case=what,
                          hint="loss = sequence_loss(model, *batch); then zero_grad, "
                               "backward, clip, step.")
    updated = state["state"]
    if not _differs(updated, recipe["state"], 0):
        raise ExerciseFailure(f"{what}: the parameters did not change: is optimizer.step() "
                              "missing, or optimizer.zero_grad() called after backward?")
    if _differs(updated, expected, tolerance):
        for message, (_, wrong) in mistakes.items():
            if _differs(wrong, expected, tolerance) and not _differs(updated, wrong,
                                                                     tolerance):
                raise ExerciseFailure(f"{what}: {message}")
        worst = max(float(np.max(np.abs(updated[name] - expected[name]))) for name in expected)
        raise ExerciseFailure(f"{what}: the updated parameters are off by up to {worst:.3g}. "
                              "One step is: loss = sequence_loss(model, *batch), "
                              "optimizer.zero_grad(), loss.backward(), "
                              "clip_grad_norm_(model.parameters(), max_norm), "
                              "optimizer.step().")
    if isinstance(result, torch.Tensor):
        raise ExerciseFailure(f"{what}: the update is right, but it returns a tensor; return "
                              "the loss as a Python float, loss.item().")
    if not isinstance(result, (float, np.floating)):
        raise ExerciseFailure(f"{what}: the update is right, but it returns "
                              f"{type(result).__name__}; return the loss, loss.item().")
    if abs(float(result) - expected_loss) > tolerance * max(1.0, abs(expected_loss)):
        raise ExerciseFailure(f"{what}: the update is right, but the loss returned is "
                              f"{float(result):.6f}; expected {expected_loss:.6f}, the batch's "
                              "sequence_loss before the update.")


def seq2seq_training_step_public(student):
    """SGD (lr 0.5) on a plain model whose .grad is already filled, max_norm small enough
    to clip."""
    rng = np.random.default_rng(4005)
    _check_step(student, _recipe(21, "plain", 9, 8, grads=True),
                optimizer_recipe(0, "SGD", {"lr": 0.5}),
                _batch(rng, 9, 8, [4, 6, 2], [5, 3, 1]), 0.05,
                "SGD on a plain model, max_norm = 0.05, .grad filled before the step")


def seq2seq_training_step_hidden(student):
    """From the instructor's seed: an attention model, SGD with momentum, Adam, a max_norm
    too large to clip, one sentence."""
    rng = hidden_rng("seq2seq_training_step", 4105)
    cases = [
        ("attention", optimizer_recipe(0, "SGD", {"lr": 0.3}), 0.02, "SGD, attention"),
        ("plain", optimizer_recipe(0, "SGD", {"lr": 0.2, "momentum": 0.9}), 0.1,
         "SGD with momentum"),
        ("attention", optimizer_recipe(0, "Adam", {"lr": 0.01}), 1.0, "Adam"),
        ("plain", optimizer_recipe(0, "SGD", {"lr": 0.1}), 1000.0,
         "max_norm too large to clip"),
    ]
    for kind, optimizer, max_norm, what in shuffled(rng, cases):
        B = size(rng, 1, 5)
        vs, vt = size(rng, 6, 11), size(rng, 6, 11)
        batch = _batch(rng, vs, vt, [size(rng, 1, 6) for _ in range(B)],
                       [size(rng, 1, 7) for _ in range(B)])
        _check_step(student, _recipe(size(rng, 0, 10_000), kind, vs, vt, grads=True),
                    optimizer, batch, max_norm,
                    f"{what}, {_a(kind)} model, B = {B}, max_norm = {max_norm:g}, .grad filled")


# ---------------------------------------------------------------------------------------
# Exercise: beam_search
# ---------------------------------------------------------------------------------------


class _TreeDecoder:
    """A scripted decoder: the next-token logits are a fixed random function of the whole
    prefix (the state codes the prefix), EOS growing likelier with depth."""

    def __init__(self, seed, vocab_size, eos_id, eos_growth=0.6, max_calls=5000):
        self.seed, self.vocab_size, self.eos_id = seed, vocab_size, eos_id
        self.eos_growth, self.max_calls, self.calls = eos_growth, max_calls, 0

    def initial_state(self):
        return np.zeros((1, 2))  # (prefix code, depth)

    def __call__(self, tokens, state):
        self.calls += 1
        if self.calls > self.max_calls:
            raise ExerciseFailure(f"decoder_step was called more than {self.max_calls} "
                                  "times: does the loop stop after max_length steps?")
        tokens, state = np.asarray(tokens), np.asarray(state, dtype=np.float64)
        if tokens.shape != (1,) or state.shape != (1, 2):
            raise ExerciseFailure(f"decoder_step takes one hypothesis at a time: tokens of "
                                  f"shape (1,) and its state (1, 2); got {tokens.shape} and "
                                  f"{state.shape}.")
        code, depth = int(state[0, 0]), int(state[0, 1])
        code = code * (self.vocab_size + 1) + int(tokens[0]) + 1
        generator = np.random.default_rng([self.seed, code % 2**63])
        logits = 1.5 * generator.standard_normal(self.vocab_size)
        logits[self.eos_id] += self.eos_growth * depth - 1.0
        logits[[PAD, SOS]] = -30.0  # never chosen
        return logits[None, :], np.array([[code, depth + 1]], dtype=np.float64)


def _log_softmax(logits):
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def _beam(step, state, beam_size, max_length, alpha, score="log", penalty="gnmt",
          keep_finished=False):
    """Beam search with the typical mistakes as switches; tokens as a list."""
    def increment(logits):
        if score == "log":
            return _log_softmax(logits)
        if score == "probability":
            return np.exp(_log_softmax(logits))
        return logits  # raw logits

    def normalised(log_prob, tokens):
        if penalty == "none":
            return log_prob
        length = len(tokens)
        return log_prob / (((5 + length) / 6) ** alpha if penalty == "gnmt" else length ** alpha)

    beam, finished = [(0.0, [], state)], []
    for _ in range(max_length):
        candidates = []
        for total, tokens, hypothesis_state in beam:
            previous = tokens[-1] if tokens else SOS
            logits, new_state = step(np.array([previous]), hypothesis_state)
            gains = increment(np.asarray(logits, dtype=np.float64)[0])
            for token in np.argsort(-gains, kind="stable")[:beam_size]:
                candidates.append((total + gains[token], tokens + [int(token)], new_state))
        candidates.sort(key=lambda candidate: -candidate[0])
        beam = []
        for total, tokens, new_state in candidates[:beam_size]:
            if tokens[-1] == EOS and not keep_finished:
                finished.append((total, tokens))
            else:
                beam.append((total, tokens, new_state))
        if not beam:
            break
    if keep_finished or not finished:
        finished = finished + [(total, tokens) for total, tokens, _ in beam]
    return max(finished, key=lambda hypothesis: normalised(*hypothesis))[1]


def _as_tokens(result, what):
    tokens = as_token_ids(result, what, "beam_search should return one int array (L,) of "
                                        "token ids")
    if tokens.ndim != 1:
        raise ExerciseFailure(f"{what}: beam_search returned shape {tokens.shape}; return the "
                              "best output alone, a 1-D array (L,) of token ids.")
    return tokens.astype(int).tolist()


def _check_beam(student, seed, vocab_size, beam_size, max_length, alpha, what):
    def decoder():
        return _TreeDecoder(seed, vocab_size, EOS)

    expected = _beam(decoder(), decoder().initial_state(), beam_size, max_length, alpha)
    result = call_student(student, decoder(), decoder().initial_state(), SOS, EOS,
                          beam_size, max_length, alpha=alpha, name="beam_search", case=what,
                          hint="Call decoder_step(np.array([previous_token]), state) for one "
                               "hypothesis at a time.")
    tokens = _as_tokens(result, what)
    if tokens == expected:
        return
    if tokens and tokens[0] == SOS:
        raise ExerciseFailure(f"{what}: the output starts with SOS ({SOS}); return only the "
                              "produced tokens.")
    if EOS in tokens[:-1]:
        raise ExerciseFailure(f"{what}: the output goes on after EOS: {tokens}. A hypothesis "
                              "that produced EOS is finished: take it out of the beam, do not "
                              "extend it.")

    def variant(**switches):
        return _beam(decoder(), decoder().initial_state(), beam_size, max_length, alpha,
                     **switches)

    mistakes = [
        ("the length penalty is missing: divide each finished hypothesis's log-probability "
         "by ((5 + length) / 6) ** alpha before picking the best.", {"penalty": "none"}),
        ("the length penalty is length ** alpha; Wu et al.'s is ((5 + length) / 6) ** alpha.",
         {"penalty": "length"}),
        ("the scores add probabilities; add LOG-probabilities (log-softmax of the logits), "
         "whose sum is the log of the output's probability.", {"score": "probability"}),
        ("the scores add raw logits; turn them into log-probabilities first (log-softmax).",
         {"score": "logits"}),
        ("finished hypotheses stay in the beam: one that produced EOS must leave it (the "
         "beam shrinks), so that it takes no place from a live one.", {"keep_finished": True}),
    ]
    named = [message for message, switches in mistakes
             if tokens == variant(**switches) != expected]
    if len(named) == 1:
        raise ExerciseFailure(f"{what}: {named[0]}")
    if named:
        raise ExerciseFailure(f"{what}: the output matches more than one typical mistake, "
                              "which give the same output here. One of these: "
                              + " OR ".join(named))
    raise ExerciseFailure(f"{what}: beam_search returned {tokens}; the best output is "
                          f"{expected}.")


def beam_search_public(student):
    """A random tree language model over 7 tokens: beam 1 (greedy), beam 3 with the length
    penalty (a case where each typical mistake gives an output of its own), and without."""
    _check_beam(student, 3, 7, 1, 8, 0.0, "beam_size = 1 (greedy decoding), max_length = 8")
    _check_beam(student, 27, 7, 3, 8, 1.0, "beam_size = 3, alpha = 1, max_length = 8")
    _check_beam(student, 5, 7, 3, 8, 0.0, "beam_size = 3, alpha = 0, max_length = 8")


def beam_search_hidden(student):
    """From the instructor's seed: wider beams, max_length cutting every hypothesis,
    max_length = 1, several alphas, a beam wider than the vocabulary."""
    rng = hidden_rng("beam_search", 4106)
    cases = [(size(rng, 0, 10_000), size(rng, 2, 5), size(rng, 5, 9),
              float(rng.choice([0.0, 0.6, 1.0, 2.0])), "a beam") for _ in range(3)]
    cases += [(size(rng, 0, 10_000), 3, 2, 0.0, "max_length = 2"),
              (size(rng, 0, 10_000), size(rng, 2, 3), 1, 1.0, "max_length = 1"),
              (size(rng, 0, 10_000), 10, 4, 1.0, "a beam wider than the vocabulary"),
              (_telling_seed(rng, 3, 8, 1.0), 3, 8, 1.0, "a beam")]
    for seed, beam_size, max_length, alpha, what in shuffled(rng, cases):
        _check_beam(student, seed, 7, beam_size, max_length, alpha,
                    f"{what}: beam_size = {beam_size}, max_length = {max_length}, "
                    f"alpha = {alpha:g}")


def _telling_seed(rng, beam_size, max_length, alpha, tries=200):
    """A seed of a tree model on which every typical mistake gives an output of its own,
    so that none of them passes; drawn from ``rng`` (the first of ``tries`` that does)."""
    switches = [{"penalty": "none"}, {"penalty": "length"}, {"score": "probability"},
                {"score": "logits"}, {"keep_finished": True}]
    for _ in range(tries):
        seed = size(rng, 0, 10_000)

        def search(**options):
            decoder = _TreeDecoder(seed, 7, EOS)
            return tuple(_beam(decoder, decoder.initial_state(), beam_size, max_length, alpha,
                               **options))

        outputs = [search()] + [search(**options) for options in switches]
        if len(set(outputs)) == len(outputs):
            return seed
    return seed
