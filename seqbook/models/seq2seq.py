"""Chapter 4: encoder-decoder models in torch, with and without attention.

Token ids are those of :class:`seqbook.tasks.vocabulary.Vocabulary` with
:data:`~seqbook.tasks.vocabulary.SEQUENCE_SYMBOLS`: PAD = 0, SOS = 1, EOS = 2. A
data set is a tuple of four tensors, ``(src_ids (N, S), src_lengths (N,), tgt_ids (N, T),
tgt_lengths (N,))`` (:func:`encode_pairs`); every target ends with EOS and rows are padded
with PAD on the right.

- :class:`Encoder`: embedding and a (bidirectional) GRU; the annotations h_j.
- :class:`PlainDecoder`: the context vector only, c = the encoder's final states, as in
  Cho et al. (2014): c sets s_0 and is fed to the GRU and the output layer at every step.
- :class:`AttentionDecoder`: Bahdanau et al.'s (2015) additive attention; the same decoder
  with the fixed c replaced by c_t, a new weighted sum of the annotations at every step.
- :class:`Seq2Seq`: teacher-forced training, greedy decoding, Sutskever et al.'s (2014)
  reversed source.
"""


import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from seqbook.models.training import fit
from seqbook.reference.attention import beam_search
from seqbook.tasks.vocabulary import EOS, PAD, SOS, UNK, length_mask


def encode_pairs(pairs, source_vocab, target_vocab):
    """(source, target) string pairs -> ``(src_ids, src_lengths, tgt_ids, tgt_lengths)``;
    targets get an EOS (counted in ``tgt_lengths``), sources do not."""
    sources, targets = zip(*[(pair[0], pair[1]) for pair in pairs])
    return (*source_vocab.encode_batch(sources), *target_vocab.encode_batch(targets,
                                                                            add_eos=True))


def reverse_padded(ids, lengths):
    """Reverse each row's first ``lengths[b]`` tokens and leave the padding where it is.

    Shapes: ids (B, S), lengths (B,) -> (B, S).
    """
    S = ids.shape[1]
    positions = torch.arange(S)[None, :]  # (1, S)
    reversed_positions = lengths[:, None] - 1 - positions  # (B, S)
    index = torch.where(positions < lengths[:, None], reversed_positions, positions)
    return ids.gather(1, index)


def unpack(packed, total_length):
    """A packed sequence's data back in a padded, batch-first tensor, zeros on padding.

    The same numbers as ``pad_packed_sequence(packed, batch_first=True,
    total_length=total_length)[0]``, with one indexing operation instead of a copy per time
    step, each of whose gradients costs a full-size tensor of zeros (a few percent of a
    training step on reversal).

    Shapes: ``packed.data`` (N, K) -> (B, total_length, K).
    """
    data, batch_sizes, _, unsorted_indices = packed
    # packed.data is time-major: step t holds the batch_sizes[t] longest sequences, longest
    # first; sequence b is the unsorted_indices[b]-th longest.
    offsets = torch.cumsum(batch_sizes, 0) - batch_sizes  # (steps,): step t's first row
    lengths = (batch_sizes[None, :] > unsorted_indices[:, None]).sum(1)  # (B,)
    steps = torch.arange(total_length)
    rows = offsets[steps.clamp(max=len(batch_sizes) - 1)][None, :] + unsorted_indices[:, None]
    rows = torch.where(steps[None, :] < lengths[:, None], rows, len(data))  # (B, S), N = pad
    return torch.cat([data, data.new_zeros(1, data.shape[1])])[rows]  # (B, S, K)


class Encoder(nn.Module):
    """Embedding (PAD = 0 embeds to zeros) and a GRU over the source.

    The source is packed (``pack_padded_sequence``), so the GRU never reads padding: the
    backward direction starts at each source's own last token, not at the end of the
    padded row. A source's annotations are therefore the same alone or in a padded batch.
    Packing is exact but not free: at B = 128, S = 24, one thread, the encoder's forward and
    backward pass took 44-50 ms packed against 32-36 ms run over the padding.

    Shapes: src_ids (B, S), src_lengths (B,) ->
    annotations (B, S, K) with K = 2H (bidirectional) or H, zeros on padding, and
    final (B, K): the forward state after the last token, then (bidirectional) the backward
    state after reading back to the first token, which is the backward half of h_1.
    """

    def __init__(self, vocab_size, embed_size, hidden_size, bidirectional=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.gru = nn.GRU(embed_size, hidden_size, batch_first=True,
                          bidirectional=bidirectional)
        self.hidden_size = hidden_size
        self.output_size = hidden_size * (2 if bidirectional else 1)

    def forward(self, src_ids, src_lengths):
        embedded = self.embedding(src_ids)  # (B, S, E)
        packed = pack_padded_sequence(embedded, src_lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        packed_annotations, final = self.gru(packed)  # final: (directions, B, H)
        annotations = unpack(packed_annotations, src_ids.shape[1])  # (B, S, K)
        return annotations, torch.cat(list(final), dim=1)  # (B, S, K), (B, K)


class AttentionDecoder(nn.Module):
    """A GRU decoder with Bahdanau et al.'s additive attention.

    One step, from the previous token's embedding y and the previous state s_{t-1}:

        e_tj = v^T tanh(W s_{t-1} + U h_j)      scores, (B, S); padding gets -inf
        a_tj = softmax_j(e_tj)                  attention weights, (B, S)
        c_t  = sum_j a_tj h_j                   context, (B, K)
        s_t  = GRUCell([y; c_t], s_{t-1})       (B, Hd)
        logits = W_out [s_t; c_t; y] + b_out    (B, V)

    and s_0 = tanh(W_init h_1), h_1 the backward half of the first annotation, as in the
    paper (for a one-direction encoder, the last forward state). W, U and v have no bias.
    ``zero_v=True`` starts v at zero, the paper's initialisation: all scores equal, so the
    attention starts uniform.

    ``score`` swaps the additive score for one of Luong et al.'s (2015) multiplicative ones,
    and changes nothing else (the query is still s_{t-1}, so the three compare on one
    architecture):

        "general":  e_tj = s_{t-1}^T W_a h_j     W_a (Hd, K), no bias
        "dot":      e_tj = s_{t-1}^T h_j         needs K = Hd; no parameters
    """

    SCORES = ("additive", "general", "dot")

    def __init__(self, vocab_size, embed_size, key_size, hidden_size, attention_size,
                 zero_v=False, bidirectional=True, score="additive"):
        super().__init__()
        if score not in self.SCORES:
            raise ValueError(f"score must be one of {self.SCORES}; got {score!r}.")
        if score == "dot" and key_size != hidden_size:
            raise ValueError(f"the dot score needs annotations of the decoder's size: K = "
                             f"{key_size}, Hd = {hidden_size}. Make the decoder state as "
                             "large as the annotations (make_model's decoder_size), or use "
                             "score='general'.")
        self.score = score
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        if score == "additive":
            self.W = nn.Linear(hidden_size, attention_size, bias=False)  # (A, Hd)
            self.U = nn.Linear(key_size, attention_size, bias=False)  # (A, K)
            self.v = nn.Linear(attention_size, 1, bias=False)  # (1, A)
            if zero_v:
                nn.init.zeros_(self.v.weight)
        elif score == "general":
            self.W_a = nn.Linear(key_size, hidden_size, bias=False)  # (Hd, K)
        self.cell = nn.GRUCell(embed_size + key_size, hidden_size)
        self.init = nn.Linear(key_size // 2 if bidirectional else key_size, hidden_size)
        self.out = nn.Linear(hidden_size + key_size + embed_size, vocab_size)

    def start(self, annotations, final, mask):
        """Everything the steps reuse: s_0 and the annotations with U h_j computed once."""
        half = self.init.in_features
        first_backward = final[:, -half:]  # (B, K/2): the backward state at position 1
        state = torch.tanh(self.init(first_backward))  # (B, Hd)
        memory = (annotations, self.projected_keys(annotations), mask)
        return state, memory  # memory: (B, S, K), (B, S, A or Hd or K), (B, S)

    def projected_keys(self, annotations):
        """What the scores need of the annotations, computed once per source: U h_j
        (additive, (B, S, A)), W_a h_j (general, (B, S, Hd)) or h_j itself (dot)."""
        if self.score == "additive":
            return self.U(annotations)
        if self.score == "general":
            return self.W_a(annotations)
        return annotations

    def scores(self, state_prev, projected_keys):
        """e_tj for every source position j, (B, S), before the padding is masked."""
        if self.score == "additive":
            query = self.W(state_prev)[:, None, :]  # (B, 1, A)
            return self.v(torch.tanh(query + projected_keys)).squeeze(-1)  # (B, S)
        return torch.bmm(projected_keys, state_prev[:, :, None]).squeeze(-1)  # (B, S)

    def attend(self, state_prev, memory):
        annotations, projected_keys, mask = memory
        scores = self.scores(state_prev, projected_keys)  # (B, S)
        scores = scores.masked_fill(~mask, float("-inf"))  # (B, S)
        weights = torch.softmax(scores, dim=1)  # (B, S), zero on padding
        context = torch.bmm(weights[:, None, :], annotations).squeeze(1)  # (B, K)
        return context, weights

    def step(self, prev_embedding, state_prev, memory):
        """One decoder step. Returns (logits (B, V), state (B, Hd), weights (B, S))."""
        context, weights = self.attend(state_prev, memory)
        state = self.cell(torch.cat([prev_embedding, context], dim=1), state_prev)
        logits = self.out(torch.cat([state, context, prev_embedding], dim=1))
        return logits, state, weights


class PlainDecoder(nn.Module):
    """The encoder-decoder of Cho et al. (2014): the source reaches the decoder only
    through one fixed context vector c, the encoder's final states (forward and backward,
    concatenated; K numbers whatever the source length).

        s_0 = tanh(W_init c),  s_t = GRUCell([y; c], s_{t-1}),
        logits = W_out [s_t; c; y] + b_out

    It is :class:`AttentionDecoder` with c_t replaced by the same c at every step, so the
    two differ only in how the decoder sees the source.
    """

    def __init__(self, vocab_size, embed_size, key_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.cell = nn.GRUCell(embed_size + key_size, hidden_size)
        self.init = nn.Linear(key_size, hidden_size)
        self.out = nn.Linear(hidden_size + key_size + embed_size, vocab_size)

    def start(self, annotations, final, mask):
        return torch.tanh(self.init(final)), final  # s_0 (B, Hd), memory = c (B, K)

    def step(self, prev_embedding, state_prev, context):
        state = self.cell(torch.cat([prev_embedding, context], dim=1), state_prev)
        logits = self.out(torch.cat([state, context, prev_embedding], dim=1))
        return logits, state, None


class Seq2Seq(nn.Module):
    """An encoder and a decoder. ``reverse_source=True`` feeds every source reversed
    (its real tokens only), Sutskever et al.'s trick for the plain model. The trick helps a
    one-direction encoder whose first target words depend on the first source words; a
    bidirectional encoder already ends one direction at each end of the source, so for it
    reversing changes little."""

    def __init__(self, encoder, decoder, reverse_source=False):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.reverse_source = reverse_source

    def encode(self, src_ids, src_lengths):
        """Returns (s_0 (B, Hd), memory) for the decoder's steps."""
        if self.reverse_source:
            src_ids = reverse_padded(src_ids, src_lengths)
        annotations, final = self.encoder(src_ids, src_lengths)
        return self.decoder.start(annotations, final, length_mask(src_lengths, src_ids.shape[1]))

    def forward(self, src_ids, src_lengths, tgt_in):
        """Teacher forcing: the decoder reads the true previous token tgt_in = SOS + target.

        Shapes: src_ids (B, S), src_lengths (B,), tgt_in (B, T) ->
        logits (B, T, V) and attention weights (B, T, S) (None for the plain decoder).
        """
        state, memory = self.encode(src_ids, src_lengths)
        embedded = self.decoder.embedding(tgt_in)  # (B, T, E)
        logits, weights = [], []
        for step_input in embedded.unbind(1):  # (B, E) each; one gradient op, not T
            step_logits, state, step_weights = self.decoder.step(step_input, state, memory)
            logits.append(step_logits)
            weights.append(step_weights)
        weights = None if weights[0] is None else torch.stack(weights, dim=1)
        return torch.stack(logits, dim=1), weights

    @torch.no_grad()
    def greedy(self, src_ids, src_lengths, max_length):
        """Greedy decoding: feed back the most likely token until EOS or ``max_length``.

        Returns (tokens (B, L), weights (B, L, S) or None), L <= max_length; tokens include
        the EOS and are PAD after it.
        """
        state, memory = self.encode(src_ids, src_lengths)
        tokens = torch.full((src_ids.shape[0],), SOS, dtype=torch.long)
        done = torch.zeros(src_ids.shape[0], dtype=torch.bool)
        outputs, weights = [], []
        for _ in range(max_length):
            logits, state, step_weights = self.decoder.step(
                self.decoder.embedding(tokens), state, memory)
            tokens = logits.argmax(dim=1).masked_fill(done, PAD)  # (B,)
            outputs.append(tokens)
            weights.append(step_weights)
            done = done | (tokens == EOS)
            if done.all():
                break
        weights = None if weights[0] is None else torch.stack(weights, dim=1)
        return torch.stack(outputs, dim=1), weights

    @torch.no_grad()
    def decoder_for(self, src_ids, src_lengths):
        """A numpy-facing decoder for ``attention.greedy_decode``: ``(step, state0)`` with
        ``step(tokens (B,) int array, state (B, Hd) array) -> (logits (B, V), new state)``."""
        state0, memory = self.encode(torch.as_tensor(src_ids), torch.as_tensor(src_lengths))

        @torch.no_grad()
        def step(tokens, state):
            embedded = self.decoder.embedding(torch.as_tensor(np.asarray(tokens), dtype=torch.long))
            logits, state, _ = self.decoder.step(embedded, torch.as_tensor(state), memory)
            return logits.numpy(), state.numpy()

        return step, state0.numpy()


def make_model(kind, source_vocab_size, target_vocab_size, embed_size=32, hidden_size=64,
               attention_size=64, reverse_source=False, zero_v=False, bidirectional=True,
               score="additive", decoder_size=None):
    """``kind`` is ``"plain"`` or ``"attention"``: an encoder of ``hidden_size`` per
    direction (K = 2 ``hidden_size`` if bidirectional) and a decoder of state size
    ``decoder_size`` (default ``hidden_size``). ``score`` is the attention decoder's score:
    ``"additive"`` (Bahdanau), ``"general"`` or ``"dot"`` (Luong; dot needs
    ``decoder_size`` = K)."""
    encoder = Encoder(source_vocab_size, embed_size, hidden_size, bidirectional=bidirectional)
    K = encoder.output_size
    decoder_size = hidden_size if decoder_size is None else decoder_size
    if kind == "plain":
        decoder = PlainDecoder(target_vocab_size, embed_size, K, decoder_size)
    elif kind == "attention":
        decoder = AttentionDecoder(target_vocab_size, embed_size, K, decoder_size,
                                   attention_size, zero_v=zero_v, bidirectional=bidirectional,
                                   score=score)
    else:
        raise ValueError(f"kind must be 'plain' or 'attention'; got {kind!r}.")
    model = Seq2Seq(encoder, decoder, reverse_source=reverse_source)
    # what rebuilds this model elsewhere (seqbook.course.wire: a graded training step)
    model.init_args = {"kind": kind, "source_vocab_size": source_vocab_size,
                       "target_vocab_size": target_vocab_size, "embed_size": embed_size,
                       "hidden_size": hidden_size, "attention_size": attention_size,
                       "reverse_source": reverse_source, "zero_v": zero_v,
                       "bidirectional": bidirectional, "score": score,
                       "decoder_size": decoder_size}
    return model


def attention_params_from_torch(decoder):
    """The numpy parameters of an :class:`AttentionDecoder`, float64, in the names of
    ``attention.attention_decoder_step``: W (A, Hd), U (A, K), v (A,), the GRU's W_x
    (3Hd, E + K), W_h, b_x, b_h, W_out (V, Hd + K + E), b_out; plus ``embedding`` (V, E),
    to embed the previous token."""
    if decoder.score != "additive":
        raise ValueError("attention_params_from_torch reads an additive decoder's W, U and "
                         f"v; this decoder's score is {decoder.score!r}.")

    def as_numpy(tensor):
        return tensor.detach().numpy().astype(np.float64)

    return {
        "W": as_numpy(decoder.W.weight), "U": as_numpy(decoder.U.weight),
        "v": as_numpy(decoder.v.weight[0]),
        "W_x": as_numpy(decoder.cell.weight_ih), "W_h": as_numpy(decoder.cell.weight_hh),
        "b_x": as_numpy(decoder.cell.bias_ih), "b_h": as_numpy(decoder.cell.bias_hh),
        "W_out": as_numpy(decoder.out.weight), "b_out": as_numpy(decoder.out.bias),
        "embedding": as_numpy(decoder.embedding.weight),
    }


# ---------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------

def trim(ids, lengths):
    """Drop the columns that are padding in every row. (B, T) -> (B, max(lengths))."""
    return ids[:, :int(lengths.max())]


def teacher_inputs(tgt_ids):
    """tgt_in = SOS followed by the target without its last column. (B, T) -> (B, T)."""
    sos = torch.full((tgt_ids.shape[0], 1), SOS, dtype=tgt_ids.dtype)
    return torch.cat([sos, tgt_ids[:, :-1]], dim=1)


def sequence_loss(model, src_ids, src_lengths, tgt_ids, tgt_lengths):
    """The teacher-forced, padding-masked loss of a batch: the mean cross-entropy over the
    real target tokens (EOS included, padding left out), every token counting once.

    The decoder reads SOS and the target shifted right by one (:func:`teacher_inputs`),
    so at step t it sees the true y_{t-1} and is scored on y_t.

    Shapes: src_ids (B, S), src_lengths (B,), tgt_ids (B, T), tgt_lengths (B,) -> a scalar
    tensor, differentiable in the model's parameters.
    """
    sos = torch.full((tgt_ids.shape[0], 1), SOS, dtype=tgt_ids.dtype)  # (B, 1)
    tgt_in = torch.cat([sos, tgt_ids[:, :-1]], dim=1)  # (B, T): SOS, y_1, ..., y_{T-1}
    logits, _ = model(src_ids, src_lengths, tgt_in)  # (B, T, V)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                       tgt_ids.reshape(-1), ignore_index=PAD)


def seq2seq_training_step(model, optimizer, batch, max_norm):
    """One update: the batch's :func:`sequence_loss`, fresh gradients, backward, the
    gradient clipped to norm ``max_norm`` (Pascanu et al.), the optimizer's step.

    Args:
        batch: ``(src_ids, src_lengths, tgt_ids, tgt_lengths)``.

    Returns:
        The loss before the update, a Python float.
    """
    loss = sequence_loss(model, *batch)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def random_batch(data, generator, batch_size):
    """``batch_size`` rows drawn with replacement from ``data``, each tensor's all-padding
    columns dropped (:func:`trim`)."""
    rows = torch.as_tensor(generator.integers(0, len(data[0]), size=batch_size))
    src_ids, src_lengths, tgt_ids, tgt_lengths = (tensor[rows] for tensor in data)
    return trim(src_ids, src_lengths), src_lengths, trim(tgt_ids, tgt_lengths), tgt_lengths


def train_seq2seq(model, data, steps, batch_size=64, lr=3e-3, seed=0, clip=1.0,
                  record_every=None, test=None, progress=None):
    """Train with Adam on random mini-batches, teacher forcing, clipped gradients: each
    update is one :func:`seq2seq_training_step`.

    The batches depend only on ``seed`` and the data, so every model trained with the
    same seed sees the same batches in the same order.

    Args:
        data: ``(src_ids, src_lengths, tgt_ids, tgt_lengths)``.
        record_every: if given, also measure exact match on ``test`` every so many steps.
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        A dict: ``"losses"`` (one per step), ``"seconds"`` (training time, without the
        evaluations), and with ``record_every``, ``"steps"`` and ``"exact_match"``.
    """
    generator = np.random.default_rng(seed)

    def update(step, optimizer):
        return seq2seq_training_step(model, optimizer, random_batch(data, generator, batch_size),
                                     clip)

    def exact_match():
        return evaluate_seq2seq(model, test)["exact_match"]

    history = fit(model, None, steps, lr=lr, clip=clip,
                  evaluate=exact_match if record_every else None, evaluate_every=record_every,
                  progress=progress, update=update)
    return {"losses": history["losses"], "steps": history["steps"],
            "exact_match": history["evaluations"], "seconds": history["seconds"]}


@torch.no_grad()
def evaluate_seq2seq(model, data, batch_size=1000, edges=None):
    """Greedy-decode every source and compare with its target.

    Exact match: the whole output, up to and including EOS, equals the target. Token
    accuracy: the fraction of target positions (EOS included, padding excluded) where the
    output has the right token at the same position.

    Args:
        edges: optional source-length bucket edges, e.g. ``(5, 10, 20, 31)`` for the
            buckets 5-9, 10-19, 20-30; the result then has ``"buckets"``.

    Returns:
        A dict: ``"exact_match"``, ``"token_accuracy"`` (floats), ``"exact"`` (bool array,
        one per example), ``"correct_tokens"`` and ``"target_tokens"`` (int arrays), and
        with ``edges``, ``"buckets"``: a list of ``(low, high, count, exact_match,
        token_accuracy)`` for lengths low <= length < high.
    """
    model.eval()
    src_ids, src_lengths, tgt_ids, tgt_lengths = data
    exact, correct = [], []
    for begin in range(0, len(src_ids), batch_size):
        part = slice(begin, begin + batch_size)
        targets = trim(tgt_ids[part], tgt_lengths[part])  # (b, T)
        tokens, _ = model.greedy(trim(src_ids[part], src_lengths[part]), src_lengths[part],
                                 max_length=targets.shape[1])
        outputs = torch.full_like(targets, PAD)
        outputs[:, :tokens.shape[1]] = tokens
        matches = (outputs == targets) & (targets != PAD)  # (b, T)
        exact.append((matches.sum(1) == tgt_lengths[part]).numpy())
        correct.append(matches.sum(1).numpy())
    result = {"exact": np.concatenate(exact), "correct_tokens": np.concatenate(correct),
              "target_tokens": tgt_lengths.numpy()}
    result["exact_match"] = float(result["exact"].mean())
    result["token_accuracy"] = float(result["correct_tokens"].sum()
                                     / result["target_tokens"].sum())
    if edges is not None:
        lengths = src_lengths.numpy()
        result["buckets"] = []
        for low, high in zip(edges[:-1], edges[1:]):
            inside = (lengths >= low) & (lengths < high)
            count = int(inside.sum())
            result["buckets"].append((
                int(low), int(high), count,
                float(result["exact"][inside].mean()) if count else float("nan"),
                float(result["correct_tokens"][inside].sum()
                      / max(result["target_tokens"][inside].sum(), 1)),
            ))
    return result


@torch.no_grad()
def beam_decode(model, src_ids, src_lengths, beam_size, max_length, alpha=0.0):
    """Beam-search every source of a batch, one source at a time, with the model's
    numpy-facing decoder (:meth:`Seq2Seq.decoder_for`) and
    :func:`seqbook.reference.beam_search`.

    Returns:
        A list of B int arrays: each output's tokens, with its EOS if it produced one.
    """
    model.eval()
    outputs = []
    for b in range(len(src_ids)):
        length = int(src_lengths[b])
        step, state0 = model.decoder_for(src_ids[b:b + 1, :length], src_lengths[b:b + 1])
        outputs.append(beam_search(step, state0, SOS, EOS, beam_size, max_length, alpha))
    return outputs


def exact_matches(outputs, tgt_ids, tgt_lengths):
    """Bool array (B,): output b, a token array, is target b up to and including EOS."""
    return np.array([len(output) == int(length)
                     and np.array_equal(output, target[:int(length)].numpy())
                     for output, target, length in zip(outputs, tgt_ids, tgt_lengths)])


def translate(model, source_vocab, target_vocab, source, max_length=None):
    """Greedy-decode one source string with a :class:`Seq2Seq` model.

    Returns:
        A dict: ``"source_tokens"`` (one per source character, ``"<unk>"`` for a character
        outside ``source_vocab``), ``"output_tokens"`` (the decoded symbols up to and
        including ``"<eos>"`` if it came), ``"translation"`` (the output string, without
        ``<eos>``), ``"weights"`` ((L_out, S) numpy array, or None for a plain model).
    """
    ids = source_vocab.encode(source)
    source_tokens = ["<unk>" if i == UNK else ch for i, ch in zip(ids, source)]
    src_ids, src_lengths = source_vocab.encode_batch([source])
    if max_length is None:
        max_length = len(source) + 10
    tokens, weights = model.greedy(src_ids, src_lengths, max_length=max_length)
    output = tokens[0].tolist()
    output_tokens = []
    for token in output:
        output_tokens.append(target_vocab.symbols[token])
        if token == target_vocab.index["<eos>"]:
            break
    weights = None if weights is None else weights[0, :len(output_tokens)].numpy()
    return {"source_tokens": source_tokens, "output_tokens": output_tokens,
            "translation": target_vocab.decode(output), "weights": weights}
