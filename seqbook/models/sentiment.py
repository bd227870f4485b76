"""Chapter 3's sentiment classifiers in torch: an order-blind bag of words and the
many-to-one RNN, LSTM and GRU, trained and evaluated on the reviews of
:mod:`seqbook.tasks.reviews`."""

import numpy as np
import torch
from torch import nn

from seqbook.models.recurrent import make_recurrent
from seqbook.models.training import fit
from seqbook.tasks.reviews import test_subsets, vocabulary
from seqbook.tasks.vocabulary import length_mask, tokenize

# ----------------------------------------------------------------------------- read-outs


def last_valid_step(hiddens, lengths):
    """The hidden state at the last real (not padding) step of each sequence.

    Works on numpy arrays and on torch tensors alike (torch indexes with a numpy array of
    rows too, and autograd flows through).

    Args:
        hiddens: (B, T, H), the hidden state after every step; steps past a sequence's
            length are padding.
        lengths: (B,) integers in 1..T, the real length of each sequence.

    Returns:
        (B, H): row b is ``hiddens[b, lengths[b] - 1]``.
    """
    rows = np.arange(hiddens.shape[0])  # (B,)
    return hiddens[rows, lengths - 1]  # (B, H): row b, step lengths[b] - 1


def masked_mean(hiddens, mask):
    """The mean over the real steps of each sequence, padding left out.

    Works on numpy arrays and on torch tensors alike: ``* 1.0`` turns a bool or 0/1 mask
    into floats in either (float32 in torch, so a model's dtype is kept).

    Args:
        hiddens: (B, T, H).
        mask: (B, T), 1 (or True) at real steps and 0 at padding; every row has a real step.

    Returns:
        (B, H): row b is the mean of ``hiddens[b, t]`` over the t where ``mask[b, t]``.
    """
    weights = mask[:, :, None] * 1.0  # (B, T, 1): 1.0 at real steps, 0.0 at padding
    return (hiddens * weights).sum(axis=1) / weights.sum(axis=1)  # (B, H)


# ----------------------------------------------------------------------------- models


class BagOfWords(nn.Module):
    """Order-blind baseline: the mean of the words' embeddings, then logistic regression.

    Any reordering of a review's words gives the same logit, by construction.

    Shapes: ids (B, T), lengths (B,) -> logits (B,).
    """

    def __init__(self, vocab_size, embed_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.readout = nn.Linear(embed_size, 1)

    def forward(self, ids, lengths):
        embedded = self.embedding(ids)  # (B, T, E)
        pooled = masked_mean(embedded, length_mask(lengths, ids.shape[1]))  # (B, E)
        return self.readout(pooled).squeeze(-1)  # (B,)


class SentimentClassifier(nn.Module):
    """Many-to-one classifier: embedding, a recurrent layer, the last valid hidden state, a logit.

    ``cell`` is ``"rnn"``, ``"lstm"`` or ``"gru"``. The layer runs over the padding too, but
    the read-out takes each review's hidden state at its own last word
    (:func:`last_valid_step`), so padding cannot change a prediction.

    Shapes: ids (B, T), lengths (B,) -> logits (B,).
    """

    def __init__(self, vocab_size, embed_size, hidden_size, cell="gru"):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.recurrent = make_recurrent(cell, embed_size, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, ids, lengths):
        hiddens, _ = self.recurrent(self.embedding(ids))  # (B, T, H)
        return self.readout(last_valid_step(hiddens, lengths)).squeeze(-1)  # (B,)


def make_model(kind, vocab_size, embed_size=32, hidden_size=32):
    """``"bow"`` for :class:`BagOfWords`, else a :class:`SentimentClassifier` of that cell."""
    if kind == "bow":
        return BagOfWords(vocab_size, embed_size)
    return SentimentClassifier(vocab_size, embed_size, hidden_size, cell=kind)


# ----------------------------------------------------------------------------- training


def train_classifier(
    model, ids, lengths, labels, steps=1000, batch_size=32, lr=2e-2, seed=0, clip=1.0,
    progress=None,
):
    """Train any of the classifiers with Adam on random mini-batches, binary cross-entropy.

    The mini-batches depend only on ``seed``, so every model sees the same reviews in the same
    order. Each batch is cut to its longest review, so short batches run fewer steps.

    Args:
        ids, lengths: the encoded training set from
            :meth:`seqbook.tasks.vocabulary.Vocabulary.encode_batch`.
        labels: (N,) 0 or 1.
        progress: a description for a progress bar in Jupyter, or None.

    Returns:
        A dict: ``"loss"`` (every step's training loss), ``"seconds"`` (training time).
    """
    generator = np.random.default_rng(seed)
    labels = torch.as_tensor(labels, dtype=torch.float32)

    def batch_loss(step):
        rows = torch.as_tensor(generator.integers(0, len(ids), size=batch_size))
        batch_lengths = lengths[rows]
        batch_ids = ids[rows, : int(batch_lengths.max())]
        return nn.functional.binary_cross_entropy_with_logits(
            model(batch_ids, batch_lengths), labels[rows])

    history = fit(model, batch_loss, steps, lr=lr, clip=clip, progress=progress)
    return {"loss": history["losses"], "seconds": history["seconds"]}


@torch.no_grad()
def predict_proba(model, vocab, texts):
    """The model's probability that each text is positive, a numpy array (N,)."""
    ids, lengths = vocab.encode_batch(texts)
    return torch.sigmoid(model(ids, lengths)).numpy()


def evaluate(model, vocab, reviews):
    """Accuracy overall and on each subset of :func:`test_subsets`.

    Returns:
        A dict subset name -> accuracy (a float), and ``"<name> count"`` -> its size.
    """
    predictions = predict_proba(model, vocab, [r.text for r in reviews]) > 0.5
    correct = predictions == np.array([r.label for r in reviews], dtype=bool)
    scores = {}
    for name, mask in test_subsets(reviews).items():
        scores[name] = float(correct[mask].mean()) if mask.any() else float("nan")
    return scores


@torch.no_grad()
def running_sentiment(model, vocab, sentence):
    """The model's probability of "positive" after each word of ``sentence``.

    The many-to-one model is applied to every prefix: the first word, the first two ... Words
    outside the vocabulary count as unknown (id 1).

    The models are trained on whole reviews only, so their readings of a prefix such as
    "the plot was not" are extrapolations: often confident, not a calibrated "so far".

    Returns:
        ``(words, probabilities)``: the sentence's words and a numpy array of the same length.

    Raises:
        ValueError: if the sentence has no words.
    """
    words = tokenize(sentence)
    if not words:
        raise ValueError("the sentence has no words: type at least one word (letters a-z)")
    ids = torch.tensor([vocab.encode(" ".join(words))] * len(words))  # (T, T), row t = prefix
    lengths = torch.arange(1, len(words) + 1)  # row t keeps its first t + 1 words
    ids = ids * length_mask(lengths, len(words)).long()  # pad after each prefix
    return words, torch.sigmoid(model(ids, lengths)).numpy()


def compare_models(
    train,
    test,
    kinds=("bow", "rnn", "lstm", "gru"),
    embed_size=32,
    hidden_size=32,
    steps=1000,
    batch_size=32,
    lr=2e-2,
    seed=0,
    progress=None,
):
    """Train each kind of model on the same batches from the same seed, then evaluate it.

    ``progress``, a description such as ``"reviews"``, shows one progress bar per model in
    Jupyter, labelled with the description and the kind (``"reviews, gru"``).

    Returns:
        ``(vocab, models, results)``: the vocabulary, a dict kind -> trained model and a dict
        kind -> :func:`evaluate` scores plus ``"seconds"`` of training.
    """
    vocab = vocabulary(r.text for r in train)
    ids, lengths = vocab.encode_batch([r.text for r in train])
    labels = [r.label for r in train]
    trained, results = {}, {}
    for kind in kinds:
        torch.manual_seed(seed)
        model = make_model(kind, len(vocab), embed_size, hidden_size)
        history = train_classifier(model, ids, lengths, labels, steps, batch_size, lr, seed,
                                   progress=progress and f"{progress}, {kind}")
        trained[kind] = model
        results[kind] = evaluate(model, vocab, test) | {"seconds": history["seconds"]}
    return vocab, trained, results
