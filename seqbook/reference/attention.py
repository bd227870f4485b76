"""Bahdanau additive attention in numpy, one decoder step at a time (Chapter 4).

Conventions (see the notation page, ``book/notation.md``):

- the encoder's annotations h_j are the ``keys``, shape ``(B, S, Hk)``: S source positions,
  Hk = 2 x the encoder's hidden size for a bidirectional encoder (forward and backward
  states concatenated);
- the decoder's state is s_t, shape ``(B, Hd)``; the query of step t is the state BEFORE
  the step, s_{t-1};
- ``mask`` is ``(B, S)``, True (or 1) at a real source position and False (or 0) at padding;
- weights have torch's ``(out, in)`` shapes: W is ``(A, Hd)``, U is ``(A, Hk)``, v is
  ``(A,)``, so W s_{t-1} becomes ``query @ W.T``.

The equations, as in Bahdanau, Cho and Bengio (2015):

    e_{t,j} = v^T tanh(W s_{t-1} + U h_j)          alignment scores, (B, S)
    alpha_{t,j} = softmax_j(e_{t,j}) over real j    attention weights, (B, S)
    c_t = sum_j alpha_{t,j} h_j                      context, (B, Hk)
    s_t = GRU([y_{t-1}; c_t], s_{t-1})               new decoder state, (B, Hd)

Luong, Pham and Manning (2015) score with the decoder's state s_t instead (the query of
their step t is the state AFTER the step) and multiplicatively, without the tanh layer:

    e_{t,j} = s_t^T h_j                              dot, when Hd = Hk
    e_{t,j} = s_t^T W_a h_j                          general, W_a is (Hd, Hk)

The functions below take the query as given, so either step order can call them.

These are the reference implementations the Chapter 4 lab checks the torch model against,
and the right answers of its exercises.
"""

import numpy as np

from seqbook.reference.gru import gru_cell_forward, random_gru_weights
from seqbook.reference.initial import uniform_weights

PARAM_NAMES = ("W", "U", "v", "W_x", "W_h", "b_x", "b_h", "W_out", "b_out")


def masked_softmax(scores, mask):
    """Softmax over the source axis, with padded positions given exactly zero weight.

    Computed stably: the largest REAL score of each row is subtracted before ``exp``, so
    scores of 1e4 do not overflow; padded positions never enter the sum.

    Args:
        scores: alignment scores, shape (B, S).
        mask: shape (B, S), bool or 0/1; True (1) marks a real source position. Every row
            needs at least one (a row of padding only has no softmax: it comes out NaN).

    Returns:
        The attention weights, shape (B, S): each row sums to 1 over its real positions
        and is exactly 0 at padding.
    """
    real = np.asarray(mask).astype(bool)  # (B, S)
    masked_scores = np.where(real, scores, -np.inf)  # (B, S): padding can never win
    shifted = masked_scores - masked_scores.max(axis=1, keepdims=True)  # (B, S)
    exps = np.where(real, np.exp(shifted), 0.0)  # (B, S), exactly 0 at padding
    return exps / exps.sum(axis=1, keepdims=True)  # (B, S)


def additive_scores(query, keys, W, U, v):
    """Bahdanau's alignment scores e_{t,j} = v^T tanh(W s_{t-1} + U h_j), no biases.

    Args:
        query: the previous decoder state s_{t-1}, shape (B, Hd).
        keys: the encoder annotations h_j, shape (B, S, Hk).
        W: (A, Hd), U: (A, Hk), v: (A,), torch's (out, in) convention.

    Returns:
        The alignment scores, shape (B, S). Padded positions get scores too: masking
        them is the softmax's job. (A real decoder computes ``keys @ U.T`` once per
        sentence, not once per step; here it is recomputed for clarity.)
    """
    projected_query = query @ W.T  # (B, A): W s_{t-1}
    projected_keys = keys @ U.T  # (B, S, A): U h_j for every j
    hidden = np.tanh(projected_query[:, None, :] + projected_keys)  # (B, S, A)
    return hidden @ v  # (B, S): e_{t,j}


def additive_attention(query, keys, mask, W, U, v):
    """Additive attention: scores, masked softmax over the source, weighted sum of h_j.

    Args:
        query: s_{t-1}, shape (B, Hd).  keys: h_j, shape (B, S, Hk).
        mask: (B, S), True (1) at real source positions.
        W: (A, Hd), U: (A, Hk), v: (A,).

    Returns:
        ``(context, attention_weights)``: c_t of shape (B, Hk) and alpha_t of shape (B, S),
        whose rows sum to 1 and are 0 at padding.

    The scores are those of :func:`additive_scores`, written out here as in the lab.
    """
    projected_query = query @ W.T  # (B, A): W s_{t-1}
    projected_keys = keys @ U.T  # (B, S, A): U h_j for every j
    alignment_scores = np.tanh(projected_query[:, None, :] + projected_keys) @ v  # (B, S)
    attention_weights = masked_softmax(alignment_scores, mask)  # (B, S)
    context = (attention_weights[:, :, None] * keys).sum(axis=1)  # (B, Hk): sum_j alpha_j h_j
    return context, attention_weights


def attention_decoder_step(prev_embedding, state_prev, keys, mask, params):
    """One step of Bahdanau's decoder: attend with s_{t-1}, update the GRU, predict.

    In Bahdanau's order the query is the state BEFORE the step:

        c_t = attention(s_{t-1}, h)                          (B, Hk)
        s_t = GRU([y_{t-1}; c_t], s_{t-1})                   (B, Hd), torch's GRU
        logits = W_out [s_t; c_t; y_{t-1}] + b_out           (B, V)

    The paper's output layer is a deep maxout layer on s_{t-1}, y_{t-1} and c_t; the book
    simplifies it to one linear layer on [s_t; c_t; y_{t-1}].

    Args:
        prev_embedding: the embedding of the previous target token y_{t-1}, shape (B, E).
        state_prev: the decoder state s_{t-1}, shape (B, Hd).
        keys: the encoder annotations h_j, shape (B, S, Hk).
        mask: (B, S), True (1) at real source positions.
        params: a dict of arrays:
            ``"W"`` (A, Hd), ``"U"`` (A, Hk), ``"v"`` (A,) for the attention;
            ``"W_x"`` (3Hd, E + Hk), ``"W_h"`` (3Hd, Hd), ``"b_x"``, ``"b_h"`` (3Hd,) for
            the GRU, as in :func:`seqbook.reference.gru.gru_cell_forward`;
            ``"W_out"`` (V, Hd + Hk + E), ``"b_out"`` (V,) for the output layer.

    Returns:
        ``(logits, state, attention_weights)``: shapes (B, V), (B, Hd) and (B, S).
    """
    context, attention_weights = additive_attention(
        state_prev, keys, mask, params["W"], params["U"], params["v"])  # query s_{t-1}
    gru_input = np.concatenate([prev_embedding, context], axis=1)  # (B, E + Hk)
    state = gru_cell_forward(gru_input, state_prev, params["W_x"], params["W_h"],
                             params["b_x"], params["b_h"])  # (B, Hd): s_t
    readout = np.concatenate([state, context, prev_embedding], axis=1)  # (B, Hd + Hk + E)
    logits = readout @ params["W_out"].T + params["b_out"]  # (B, V)
    return logits, state, attention_weights


def greedy_decode(decoder_step, state, sos_id, eos_id, max_length, pad_id=0):
    """Greedy decoding: feed SOS, then at every step feed back the most likely token.

    Args:
        decoder_step: a function ``decoder_step(tokens, state) -> (logits, new_state)``;
            ``tokens`` is an int array (B,) of the previous tokens, ``logits`` is (B, V)
            (an array, or anything ``np.asarray`` reads, such as a tensor without grad).
            The keys and mask can be bound in a closure, as
            :meth:`seqbook.models.seq2seq.Seq2Seq.decoder_for` does.
        state: the decoder's initial state, an array whose first axis is the batch (B, ...).
        sos_id, eos_id, pad_id: the start, end and padding token ids.
        max_length: the most tokens produced per sequence, at least 1.

    Returns:
        An int array (B, L), L <= max_length: the produced tokens, without the SOS, with
        each sequence's EOS, and ``pad_id`` after it. L is the number of steps taken: the
        loop stops as soon as every sequence has produced EOS, or after ``max_length``
        steps (a sequence that never produced EOS is cut there, without one).

    A finished sequence is fed its EOS once, then ``pad_id``; what it is fed does not
    matter, since its later outputs are replaced by padding (feeding back its argmax
    would do as well).
    """
    batch = np.shape(state)[0]
    tokens = np.full(batch, sos_id)  # (B,)
    finished = np.zeros(batch, dtype=bool)  # (B,)
    produced = []
    for _ in range(max_length):
        logits, state = decoder_step(tokens, state)
        tokens = np.where(finished, pad_id, np.asarray(logits).argmax(axis=1))  # (B,)
        produced.append(tokens)
        finished = finished | (tokens == eos_id)
        if finished.all():
            break
    return np.stack(produced, axis=1)  # (B, L)


def beam_search(decoder_step, state, sos_id, eos_id, beam_size, max_length, alpha=0.0):
    """Beam search for one source: keep the ``beam_size`` most likely partial outputs.

    Every step extends each live hypothesis by each of its ``beam_size`` most likely next
    tokens, scores a candidate by its summed log-probability log p(y_1..y_t | x), and keeps
    the ``beam_size`` best candidates of all. A kept candidate that ends in EOS is finished:
    it leaves the beam (which shrinks by one) and is never extended. The search stops when
    the beam is empty or after ``max_length`` steps. The answer is the finished hypothesis
    with the best log-probability divided by Wu et al.'s (2016) length penalty
    ((5 + |Y|) / 6) ** alpha, |Y| its number of tokens (EOS included); alpha = 0 compares
    raw log-probabilities, which favour short outputs. If none finished, the live
    hypotheses compete instead. Ties go to the earlier (then the lower) token.

    Args:
        decoder_step: ``decoder_step(tokens, state) -> (logits, new_state)`` as for
            :func:`greedy_decode`, called here with one token at a time: tokens (1,),
            logits (1, V).
        state: the decoder's initial state for the one source, (1, ...).
        sos_id, eos_id: the start and end token ids.
        beam_size: the number of hypotheses kept, at least 1 (1 is greedy decoding).
        max_length: the most tokens produced, at least 1.
        alpha: the length penalty's exponent, 0 or more.

    Returns:
        An int array (L,): the best output's tokens, without SOS, with its EOS.
    """
    beam = [(0.0, [], state)]  # live hypotheses: (log-probability, tokens, decoder state)
    finished = []  # (log-probability, tokens) of the hypotheses that produced EOS
    for _ in range(max_length):
        candidates = []
        for log_prob, tokens, hypothesis_state in beam:
            previous = tokens[-1] if tokens else sos_id
            logits, new_state = decoder_step(np.array([previous]), hypothesis_state)
            scores = np.asarray(logits, dtype=np.float64)[0]  # (V,)
            shifted = scores - scores.max()
            log_probs = shifted - np.log(np.exp(shifted).sum())  # log-softmax, (V,)
            for token in np.argsort(-log_probs, kind="stable")[:beam_size]:
                candidates.append((log_prob + log_probs[token], tokens + [int(token)],
                                   new_state))
        candidates.sort(key=lambda candidate: -candidate[0])  # stable: ties keep order
        beam = []
        for log_prob, tokens, new_state in candidates[:beam_size]:
            if tokens[-1] == eos_id:
                finished.append((log_prob, tokens))
            else:
                beam.append((log_prob, tokens, new_state))
        if not beam:
            break
    if not finished:  # nothing reached EOS within max_length: the live ones compete
        finished = [(log_prob, tokens) for log_prob, tokens, _ in beam]
    best = max(finished, key=lambda hypothesis:
               hypothesis[0] / ((5 + len(hypothesis[1])) / 6) ** alpha)
    return np.array(best[1], dtype=np.int64)


def dot_product_scores(query, keys):
    """Luong's dot scores e_j = s . h_j: query (B, d), keys (B, S, d) -> (B, S).

    No weights at all: the query and the keys must have the same size d.
    """
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(f"dot-product scores need a query and keys of the same size; the "
                         f"query has {query.shape[-1]} entries, the keys {keys.shape[-1]}: "
                         "use general_scores, whose W_a maps one onto the other.")
    return np.einsum("bsd,bd->bs", keys, query)  # (B, S)


def general_scores(query, keys, W_a):
    """Luong's general scores e_j = s^T W_a h_j, no bias.

    Args:
        query: the decoder state s, shape (B, Hd).  keys: the annotations h_j, (B, S, Hk).
        W_a: (Hd, Hk), torch's (out, in) convention for a map from a key to a query.

    Returns:
        The scores, shape (B, S). With Hd = Hk and W_a the identity they are the dot scores.
    """
    if W_a.shape != (query.shape[-1], keys.shape[-1]):
        raise ValueError(f"W_a should be (Hd, Hk) = {(query.shape[-1], keys.shape[-1])} for a "
                         f"query of size Hd and keys of size Hk; it is {W_a.shape}.")
    projected_keys = keys @ W_a.T  # (B, S, Hd): W_a h_j for every j
    return dot_product_scores(query, projected_keys)  # (B, S): s . (W_a h_j)


def attend(scores, keys, mask):
    """Turn scores into attention: masked softmax over the source, weighted sum of h_j.

    Args:
        scores: (B, S), of any score function.  keys: h_j, (B, S, Hk).
        mask: (B, S), True (1) at real source positions.

    Returns:
        ``(context, attention_weights)``: (B, Hk) and (B, S), rows summing to 1, 0 at padding.
    """
    attention_weights = masked_softmax(scores, mask)  # (B, S)
    context = (attention_weights[:, :, None] * keys).sum(axis=1)  # (B, Hk): sum_j alpha_j h_j
    return context, attention_weights


def dot_product_attention(query, keys, mask):
    """Luong's dot attention: :func:`attend` to the dot scores. query (B, d), keys
    (B, S, d), mask (B, S) -> ``(context, attention_weights)``, (B, d) and (B, S)."""
    return attend(dot_product_scores(query, keys), keys, mask)


def general_attention(query, keys, mask, W_a):
    """Luong's general attention: :func:`attend` to the general scores. query (B, Hd),
    keys (B, S, Hk), mask (B, S), W_a (Hd, Hk) -> ``(context, attention_weights)``,
    (B, Hk) and (B, S)."""
    return attend(general_scores(query, keys, W_a), keys, mask)


def scaled_dot_product_scores(query, keys):
    """The Transformer's scores e_j = h_j . q / sqrt(d): query (B, d), keys (B, S, d).

    Dividing by sqrt(d) keeps the scores' spread near 1 whatever d is, so the softmax
    does not saturate for large d.
    """
    d = query.shape[-1]
    return dot_product_scores(query, keys) / np.sqrt(d)  # (B, S)


def random_attention_params(embed_size, decoder_size, key_size, attention_size, vocab_size,
                            rng):
    """Random parameters for :func:`attention_decoder_step`, torch-style uniform draws.

    Each matrix is uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)), like ``torch.nn.Linear``;
    the GRU's entries are uniform in (-1/sqrt(Hd), 1/sqrt(Hd)), like ``torch.nn.GRUCell``.

    Args:
        embed_size: E.  decoder_size: Hd.  key_size: Hk (2 x encoder hidden when
        bidirectional).  attention_size: A.  vocab_size: V.
        rng: a ``numpy.random.Generator``.

    Returns:
        A dict with the keys of :data:`PARAM_NAMES`: ``"W"`` (A, Hd), ``"U"`` (A, Hk),
        ``"v"`` (A,), ``"W_x"`` (3Hd, E + Hk), ``"W_h"`` (3Hd, Hd), ``"b_x"`` and ``"b_h"``
        (3Hd,), ``"W_out"`` (V, Hd + Hk + E), ``"b_out"`` (V,).
    """
    E, Hd, Hk, A, V = embed_size, decoder_size, key_size, attention_size, vocab_size

    params = {
        **uniform_weights(rng, Hd, {"W": (A, Hd)}),
        **uniform_weights(rng, Hk, {"U": (A, Hk)}),
        **uniform_weights(rng, A, {"v": (A,)}),
    }
    gru = random_gru_weights(E + Hk, Hd, rng)  # W_x (3Hd, E + Hk), W_h, b_x, b_h
    params.update(gru)
    params.update(uniform_weights(rng, Hd + Hk + E, {"W_out": (V, Hd + Hk + E), "b_out": V}))
    return params
