"""Chapter 4's alignment explorer in JavaScript translates as the torch models do (under
Node): the same source ids, the same greedy output tokens, and each step's probabilities
and attention weights within 1e-5 of torch (float32; the JavaScript computes in double
precision from the same float32 weights), for plain and attention models, with one- and
two-direction encoders, at the labs' size and small."""

import datetime

import numpy as np
import pytest
import torch

from seqbook.models import seq2seq
from seqbook.tasks import dates
from seqbook.tasks.vocabulary import EOS, SEQUENCE_SYMBOLS, Vocabulary
from seqbook.views import explorers, live
from tests.js.node import call_js

DATE = datetime.date(2026, 11, 22)
SOURCES = [dates.render(DATE, locale, format)[0] for locale, format in
           (("en_US", "full"), ("hu_HU", "full"), ("de_DE", "short"), ("pt_BR", "long"),
            ("fr_FR", "medium"))]
TYPED = ["qx 22", "1", "sunday,  22 nov", "!!??"]  # unknown characters, one character
TRICKY = ["Vasárnap", "  Nov. 22, 2026 ", "MÄRZ\u00a01999", "ÇA ÉTÉ", "ĄĘŁŃ Ōō", "İstanbul",
          "ΣΊΣΥΦΟΣ", "Ёлка", "ﬁne ½", "tab\tand\nline"]


@pytest.fixture(scope="module")
def vocabularies():
    return (Vocabulary(SOURCES, reserved=SEQUENCE_SYMBOLS),
            Vocabulary(["0123456789-"], reserved=SEQUENCE_SYMBOLS))


def briefly_trained(source_vocab, target_vocab):
    """The labs' attention model (its sizes), trained for 30 steps on 2,000 dates whose
    characters all lie in ``source_vocab``: structured weights, not just random ones."""
    train, _, _ = dates.date_dataset(train_size=2000, test_size=50, seed=0)
    train = [pair for pair in train if set(pair.source) <= set(source_vocab.symbols)]
    torch.manual_seed(0)
    model = seq2seq.make_model("attention", len(source_vocab), len(target_vocab))
    data = seq2seq.encode_pairs([(pair.source, pair.target) for pair in train], source_vocab,
                                target_vocab)
    seq2seq.train_seq2seq(model, data, steps=30, batch_size=64, seed=0)
    return model


MODELS = {  # name: (kind, bidirectional, sizes)
    "attention, labs' size": ("attention", True, {}),
    "attention, one direction": ("attention", False, {}),
    "plain, labs' size": ("plain", True, {}),
    "plain, one direction": ("plain", False, {}),
    "attention, small": ("attention", True, {"embed_size": 4, "hidden_size": 5,
                                             "attention_size": 3}),
    "attention, small, one direction": ("attention", False, {"embed_size": 4,
                                                             "hidden_size": 5}),
    "plain, small": ("plain", True, {"embed_size": 4, "hidden_size": 5}),
}


def random_model(name, vocabularies):
    kind, bidirectional, sizes = MODELS[name]
    torch.manual_seed(1)
    model = seq2seq.make_model(kind, len(vocabularies[0]), len(vocabularies[1]),
                               bidirectional=bidirectional, **sizes)
    with torch.no_grad():  # a random model: stop late, so that the steps are many
        model.decoder.out.bias[EOS] -= 3.0
    return model


def torch_probabilities(model, source_vocab, source, output_tokens, target_vocab):
    """torch's softmax of each greedy step's logits: teacher forcing on the greedy output
    gives the same steps."""
    src_ids, src_lengths = source_vocab.encode_batch([source])
    outputs = torch.tensor([[target_vocab.index[token] for token in output_tokens]])
    with torch.no_grad():
        logits, _ = model(src_ids, src_lengths, seq2seq.teacher_inputs(outputs))
    return torch.softmax(logits[0], dim=-1).numpy()


def js_translations(model, vocabularies, sources, script="attention.js", max_length=None):
    config = explorers.alignment_model_config(model)
    return call_js([script], [("attention.translatePacked",
                               [config, vocabularies[0].symbols, vocabularies[1].symbols,
                                source, max_length]) for source in sources])


def assert_same_as_torch(model, vocabularies, sources, max_length=None):
    source_vocab, target_vocab = vocabularies
    steps = []
    for source, ours in zip(sources, js_translations(model, vocabularies, sources,
                                                     max_length=max_length), strict=True):
        theirs = seq2seq.translate(model, source_vocab, target_vocab, source, max_length)
        assert ours["source_tokens"] == theirs["source_tokens"]
        assert ours["output_tokens"] == theirs["output_tokens"], source
        assert ours["translation"] == theirs["translation"]
        np.testing.assert_allclose(
            ours["probabilities"],
            torch_probabilities(model, source_vocab, source, theirs["output_tokens"],
                                target_vocab), atol=1e-5, rtol=0)
        np.testing.assert_allclose(np.sum(ours["probabilities"], axis=1), 1.0, rtol=1e-12)
        if theirs["weights"] is None:
            assert ours["weights"] is None
        else:
            np.testing.assert_allclose(ours["weights"], theirs["weights"], atol=1e-5, rtol=0)
            np.testing.assert_allclose(np.sum(ours["weights"], axis=1), 1.0, rtol=1e-12)
        steps.append(len(theirs["output_tokens"]))
    return steps


@pytest.mark.parametrize("name", sorted(MODELS))
def test_translations_match_torch(vocabularies, name):
    steps = assert_same_as_torch(random_model(name, vocabularies), vocabularies,
                                 SOURCES + TYPED)
    assert max(steps) > 5  # the comparison covers many decoder steps


def test_a_trained_model_matches_torch(vocabularies):
    model = briefly_trained(*vocabularies)
    steps = assert_same_as_torch(model, vocabularies, SOURCES + TYPED)
    assert min(steps) < max(steps)  # it has learnt to stop: the lengths vary
    assert_same_as_torch(model, vocabularies, SOURCES[:2], max_length=3)  # cut short


def test_normalise_and_encode_match_python(vocabularies):
    texts = SOURCES + TYPED + TRICKY
    results = call_js(["attention.js"], [("attention.normalise", [text]) for text in texts]
                      + [("attention.encodeSource", [dates.normalise(text),
                                                     vocabularies[0].symbols])
                         for text in texts])
    normalised, ids = results[:len(texts)], results[len(texts):]
    assert normalised == [dates.normalise(text) for text in texts]
    assert ids == [vocabularies[0].encode(dates.normalise(text)) for text in texts]
    assert normalised[len(SOURCES) + len(TYPED)] == "vasarnap"


def test_the_comparison_can_fail(vocabularies, tmp_path):
    """The GRU's update gate applied the wrong way round (z to the candidate, 1 - z to
    the old state) moves the JavaScript answer past the 1e-5 bar."""
    source = live.JS_FOLDER / "attention.js"
    text = source.read_text()
    right = "(1 - update[i]) * n + update[i] * h[i]"
    assert text.count(right) == 1
    mutated = tmp_path / "attention.js"
    mutated.write_text(text.replace(right, "update[i] * n + (1 - update[i]) * h[i]"))
    model = random_model("attention, small", vocabularies)
    [ours] = js_translations(model, vocabularies, SOURCES[:1], script=str(mutated))
    theirs = seq2seq.translate(model, *vocabularies, SOURCES[0])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(ours["weights"][:3], theirs["weights"][:3], atol=1e-5)


def test_a_model_the_explorer_cannot_run_is_named(vocabularies):
    model = seq2seq.make_model("plain", len(vocabularies[0]), len(vocabularies[1]),
                               reverse_source=True)
    with pytest.raises(ValueError, match="reverse_source=True"):
        explorers.alignment_model_config(model)
