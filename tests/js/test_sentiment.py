"""Chapter 3's sentiment explorer in JavaScript reads a review as the trained torch models
and the numpy reference do (under Node): the same words, the same ids, and P(positive)
after each word within 1e-5 of torch (float32) and 1e-9 of numpy (double precision)."""

import numpy as np
import pytest
import torch

from seqbook import reference
from seqbook.models import sentiment
from seqbook.tasks import reviews, tokenize
from seqbook.views import explorers, live
from tests.js.node import call_js

SENTENCES = [
    "the plot was not bad",
    "The acting was NOT at all good!",
    "i didn't think the ending was tedious, although the plot was dull",
    "zzyzx plot was brilliant but the qwerty ending was awful",  # two unknown words
    "overall the film is good",
]
TRICKY = ["", "   !!! ", "Don't STOP—believin'", "2nd-rate   film...", "Café NAÏVE",
          "İstanbul's K-pop", "tab\tseparated\nlines", "''quoted''", "ÀÉÎ abc"]


@pytest.fixture(scope="module")
def trained():
    """The four kinds, small, trained briefly on the real reviews, the same seed each."""
    train, _, _ = reviews.review_datasets(seed=0)
    train = train[:2000]
    vocab = reviews.vocabulary(review.text for review in train)
    ids, lengths = vocab.encode_batch([review.text for review in train])
    labels = [review.label for review in train]
    models = {}
    for kind in ("bow", "rnn", "lstm", "gru"):
        torch.manual_seed(0)
        models[kind] = sentiment.make_model(kind, len(vocab), embed_size=8, hidden_size=8)
        sentiment.train_classifier(models[kind], ids, lengths, labels, steps=60, seed=0)
    return models, vocab


def plain_model(model):
    """The model as sentiment.js runs it, its float32 weights as exact plain lists."""
    config = explorers.sentiment_model_config(model)
    return {name: (value if name == "kind" else unpack(value)) for name, value in config.items()}


def unpack(packed):
    import base64

    dtype = np.dtype(packed["dtype"]).newbyteorder("<")
    values = np.frombuffer(base64.b64decode(packed["base64"]), dtype=dtype)
    return values.astype(np.float64).reshape(packed["shape"])


def numpy_running(model, ids):
    """P(positive) after each word with the numpy reference, in double precision."""
    weights = {name: param.detach().numpy().astype(np.float64)
               for name, param in model.named_parameters()}
    xs = weights["embedding.weight"][ids][None]  # (1, T, E)
    w, b = weights["readout.weight"][0], weights["readout.bias"][0]
    if isinstance(model, sentiment.BagOfWords):
        features = np.cumsum(xs[0], axis=0) / np.arange(1, len(ids) + 1)[:, None]
    else:
        zeros = np.zeros((1, model.recurrent.hidden_size))
        layer = model.recurrent
        if isinstance(layer, torch.nn.GRU):
            hiddens = reference.gru_forward(xs, zeros, **reference.gru_weights_from_torch(layer))
        else:  # the book's one bias is torch's two, added here in double precision
            W_x, W_h = weights["recurrent.weight_ih_l0"], weights["recurrent.weight_hh_l0"]
            bias = weights["recurrent.bias_ih_l0"] + weights["recurrent.bias_hh_l0"]
            if isinstance(layer, torch.nn.LSTM):
                hiddens, _ = reference.lstm_forward(xs, zeros, zeros, W_x, W_h, bias)
            else:
                hiddens = reference.rnn_forward(xs, zeros, W_x, W_h, bias)
        features = hiddens[0]
    return reference.sigmoid(features @ w + b)


def test_tokenize_and_encode_match_python(trained):
    _, vocab = trained
    texts = SENTENCES + TRICKY
    calls = [("sentiment.tokenize", [text]) for text in texts]
    calls += [("sentiment.encode", [tokenize(text), vocab.symbols]) for text in texts]
    results = call_js(["sentiment.js"], calls)
    words, ids = results[:len(texts)], results[len(texts):]
    assert words == [tokenize(text) for text in texts]
    assert ids == [vocab.encode(text) for text in texts]
    assert 1 in ids[3]  # the unknown words became <unk>


@pytest.mark.parametrize("kind", ["bow", "rnn", "lstm", "gru"])
def test_running_probabilities_match_torch_and_numpy(trained, kind):
    models, vocab = trained
    model = models[kind]
    calls = [("sentiment.runningProbabilities", [plain_model(model), vocab.encode(text)])
             for text in SENTENCES]
    results = call_js(["sentiment.js"], calls)
    spread = []
    for text, probabilities in zip(SENTENCES, results, strict=True):
        words, expected = sentiment.running_sentiment(model, vocab, text)
        assert len(probabilities) == len(words)
        np.testing.assert_allclose(probabilities, expected, atol=1e-5, rtol=0)
        assert [p > 0.5 for p in probabilities] == [p > 0.5 for p in expected]
        np.testing.assert_allclose(probabilities, numpy_running(model, vocab.encode(text)),
                                   atol=1e-9, rtol=1e-9)
        spread.append(np.ptp(probabilities))
    assert max(spread) > 0.01  # the models are trained enough to move as the words come


def test_the_comparison_can_fail(trained):
    """A weight off by 1e-3 moves the JavaScript answer past the 1e-5 bar."""
    models, vocab = trained
    broken = plain_model(models["gru"])
    broken["weight_hh"] = broken["weight_hh"] + 1e-3
    [probabilities] = call_js(["sentiment.js"], [
        ("sentiment.runningProbabilities", [broken, vocab.encode(SENTENCES[0])])])
    _, expected = sentiment.running_sentiment(models["gru"], vocab, SENTENCES[0])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(probabilities, expected, atol=1e-5, rtol=0)


def test_packed_weights_are_exact(trained):
    models, _ = trained
    weight = models["lstm"].recurrent.weight_hh_l0.detach().numpy()
    [unpacked] = call_js([], [("core.unpack", [live.pack_array(weight, "float32")])])
    assert np.array_equal(np.array(unpacked), weight.astype(np.float64))


def test_a_model_the_explorer_cannot_run_is_named():
    model = sentiment.make_model("gru", 10, 4, 4)
    model.recurrent = torch.nn.GRU(4, 4, num_layers=2, batch_first=True)
    with pytest.raises(ValueError, match="one-layer"):
        explorers.sentiment_model_config(model)
