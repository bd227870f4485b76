"""Tests for seqbook.reviews: Chapter 3's lexicon, review grammar, read-outs and classifiers."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from seqbook import tasks
from seqbook.models import sentiment
from seqbook.tasks import reviews


@pytest.fixture(scope="module")
def adjectives():
    return reviews.sentiment_adjectives()


@pytest.fixture(scope="module")
def datasets():
    return reviews.review_datasets(seed=0)


@pytest.fixture(scope="module")
def vocab(datasets):
    train, _, _ = datasets
    return reviews.vocabulary(r.text for r in train)


# ----------------------------------------------------------------------------- lexicon


def test_lexicon_has_many_clear_adjectives(adjectives):
    positive, negative = adjectives
    assert len(positive) >= 150 and len(negative) >= 150
    assert {"good", "great", "excellent"} <= set(positive)
    assert {"bad", "boring", "terrible"} <= set(negative)
    assert not set(positive) & set(negative)
    assert not (set(positive) | set(negative)) & reviews.EXCLUDED
    assert all(word.isalpha() and word.islower() for word in positive + negative)


def test_lexicon_is_read_without_importing_textblob(root):
    code = (
        "import sys; from seqbook.tasks import reviews; reviews.sentiment_adjectives(); "
        "assert 'textblob' not in sys.modules and 'nltk' not in sys.modules"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]


# ----------------------------------------------------------------------------- grammar


def test_generator_is_deterministic(adjectives):
    positive, negative = adjectives
    first = reviews.make_reviews(50, positive, negative, positive + negative, seed=3)
    again = reviews.make_reviews(50, positive, negative, positive + negative, seed=3)
    other = reviews.make_reviews(50, positive, negative, positive + negative, seed=4)
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    "text, label",
    [
        ("the film was good", 1),
        ("the film was bad", 0),
        ("the film was not bad", 1),
        ("the film was never good", 0),
        ("the plot was not at all good", 0),
        ("the plot did not seem really very good", 0),
        ("i thought the ending was not really boring", 1),
        ("the acting was good but the plot was boring", 0),
        ("the acting was boring but the plot was not bad", 1),
        ("although the acting was good the plot was boring", 0),
        ("the plot was boring although the acting was good", 0),
        ("the plot was not boring although the acting was bad", 1),
    ],
)
def test_rule_label_on_hand_written_reviews(adjectives, text, label):
    assert reviews.rule_label(text, set(adjectives[0])) == label


def test_generated_labels_obey_the_rules(datasets, adjectives):
    train, test, _ = datasets
    positive = set(adjectives[0])
    for review in train + test:
        assert review.label == reviews.rule_label(review.text, positive), review.text
    assert 0.45 < np.mean([r.label for r in train]) < 0.55
    lengths = [len(r.text.split()) for r in train]
    assert min(lengths) >= 4 and max(lengths) <= 17


def test_test_set_negates_adjectives_never_negated_in_training(datasets, vocab):
    train, test, info = datasets
    negated_in_training = {word for r in train for word in r.negated_words}
    assert negated_in_training <= set(info["negatable"])
    assert not negated_in_training & set(info["held_out"])
    unseen = [r for r in test if r.unseen_negation]
    assert len(unseen) > 200
    assert all(set(r.negated_words) & set(info["held_out"]) for r in unseen)
    # ... yet every test word, held-out adjectives included, occurs in training
    assert all(word in vocab.index for r in test for word in r.text.split())
    assert not {r.text for r in test} & {r.text for r in train}


def test_subsets_cover_the_kinds(datasets):
    train, test, _ = datasets
    summary = reviews.describe(train, test)
    assert summary["train"] == 6000 and 1900 < summary["test"] <= 2000
    assert 0.4 < summary["train negated"] < 0.65 and 0.2 < summary["train contrast"] < 0.4
    subsets = reviews.test_subsets(test)
    assert subsets["all"].all()
    assert not (subsets["plain"] & (subsets["negated"] | subsets["contrast"])).any()
    assert (subsets["unseen negation"] <= subsets["negated"]).all()
    for name in ("plain", "negated", "unseen negation", "contrast"):
        assert subsets[name].sum() > 200, name


# ----------------------------------------------------------------------------- vocabulary


def test_vocabulary_pads_and_marks_unknown_words():
    vocab = reviews.vocabulary(["the film was good", "the plot was bad"])
    assert vocab.symbols[:2] == [reviews.PAD, reviews.UNK] and len(vocab) == 8
    assert vocab.encode("The film was SUPERB") == [
        vocab.index[w] for w in ("the", "film", "was")
    ] + [1]
    ids, lengths = vocab.encode_batch(["the film was good", "bad"])
    assert ids.shape == (2, 4) and lengths.tolist() == [4, 1]
    assert ids[1, 1:].tolist() == [0, 0, 0]
    assert vocab.decode(ids[0]) == "the film was good"
    assert vocab.decode(ids[1]) == "bad"


# ----------------------------------------------------------------------------- read-outs


@pytest.fixture
def padded_batch():
    """Hidden states (B=3, T=4, H=2) with made-up padding values (99) after each length."""
    hiddens = np.array(
        [
            [[1.0, 2.0], [3.0, 4.0], [99.0, 99.0], [99.0, 99.0]],  # length 2
            [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [11.0, 12.0]],  # length 4, no padding
            [[-1.0, 0.0], [99.0, 99.0], [99.0, 99.0], [99.0, 99.0]],  # length 1
        ]
    )
    lengths = np.array([2, 4, 1])
    mask = np.arange(4)[None, :] < lengths[:, None]
    return hiddens, lengths, mask


def test_last_valid_step_by_hand(padded_batch):
    hiddens, lengths, _ = padded_batch
    expected = np.array([[3.0, 4.0], [11.0, 12.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(sentiment.last_valid_step(hiddens, lengths), expected)
    torch_result = sentiment.last_valid_step(torch.tensor(hiddens), torch.tensor(lengths))
    np.testing.assert_array_equal(torch_result.numpy(), expected)
    # The typical mistakes give different numbers on this batch.
    assert not np.array_equal(hiddens[:, -1], expected)  # a padded step
    assert not np.array_equal(hiddens[np.arange(3), np.minimum(lengths, 3)], expected)  # off by one


def test_masked_mean_by_hand(padded_batch):
    hiddens, _, mask = padded_batch
    expected = np.array([[2.0, 3.0], [8.0, 9.0], [-1.0, 0.0]])
    np.testing.assert_allclose(sentiment.masked_mean(hiddens, mask), expected)
    np.testing.assert_allclose(sentiment.masked_mean(hiddens, mask.astype(float)), expected)
    torch_result = sentiment.masked_mean(torch.tensor(hiddens), torch.tensor(mask))
    np.testing.assert_allclose(torch_result.numpy(), expected)
    assert not np.allclose(hiddens.mean(axis=1), expected)  # mean over the padding too


def test_readouts_agree_between_numpy_and_torch_on_random_batch():
    rng = np.random.default_rng(0)
    hiddens = rng.normal(size=(5, 7, 3))
    lengths = rng.integers(1, 8, size=5)
    mask = tasks.length_mask(torch.tensor(lengths), 7).numpy()
    for readout, second in ((sentiment.last_valid_step, lengths), (sentiment.masked_mean, mask)):
        np.testing.assert_allclose(
            readout(torch.tensor(hiddens), torch.tensor(second)).numpy(), readout(hiddens, second)
        )


# ----------------------------------------------------------------------------- models


def test_bag_of_words_is_blind_to_word_order():
    torch.manual_seed(0)
    words = "the acting was good but the plot was boring".split()
    vocab = reviews.vocabulary([" ".join(words)])
    model = sentiment.BagOfWords(len(vocab), 8)
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.permutation(words)) for _ in range(5)] + [" ".join(words)]
    probabilities = sentiment.predict_proba(model, vocab, texts)
    np.testing.assert_allclose(probabilities, probabilities[0], atol=1e-6)


@pytest.mark.parametrize("kind", ["bow", "rnn", "lstm", "gru"])
def test_classifier_shapes_and_padding_invariance(kind, vocab):
    torch.manual_seed(0)
    model = sentiment.make_model(kind, len(vocab), embed_size=6, hidden_size=5)
    texts = ["the film was good", "although the plot was not very bad the cast was awful", "bad"]
    ids, lengths = vocab.encode_batch(texts)
    logits = model(ids, lengths)
    assert logits.shape == (3,)
    for row, text in enumerate(texts):  # alone, without padding, and inside the padded batch
        alone = model(*vocab.encode_batch([text]))
        torch.testing.assert_close(alone[0], logits[row], atol=1e-6, rtol=1e-5)


def test_recurrent_classifier_depends_on_word_order(vocab):
    torch.manual_seed(0)
    model = sentiment.SentimentClassifier(len(vocab), 6, 5, cell="gru")
    first, second = sentiment.predict_proba(
        model,
        vocab,
        ["the acting was good but the plot was bad", "the acting was bad but the plot was good"],
    )
    assert abs(first - second) > 1e-4


def test_short_training_improves_accuracy(datasets):
    train, test, _ = datasets
    train = train[:2000]
    vocab = reviews.vocabulary(r.text for r in train)
    ids, lengths = vocab.encode_batch([r.text for r in train])
    torch.manual_seed(0)
    model = sentiment.make_model("gru", len(vocab), embed_size=16, hidden_size=16)
    before = sentiment.evaluate(model, vocab, test)
    history = sentiment.train_classifier(model, ids, lengths, [r.label for r in train], steps=400)
    after = sentiment.evaluate(model, vocab, test)
    assert len(history["loss"]) == 400 and history["seconds"] > 0
    assert np.mean(history["loss"][-20:]) < np.mean(history["loss"][:20])
    assert after["plain"] > max(0.75, before["plain"] + 0.2)  # 0.80 when written


def test_running_sentiment(vocab):
    torch.manual_seed(0)
    model = sentiment.make_model("gru", len(vocab), embed_size=6, hidden_size=5)
    words, probabilities = sentiment.running_sentiment(model, vocab, "The film was NOT zorgly!")
    assert words == ["the", "film", "was", "not", "zorgly"]  # an unknown word is fine
    assert probabilities.shape == (5,) and ((0 < probabilities) & (probabilities < 1)).all()
    for t in range(1, 6):  # the value after word t is the model's reading of the prefix
        prefix = " ".join(words[:t])
        np.testing.assert_allclose(
            probabilities[t - 1], sentiment.predict_proba(model, vocab, [prefix])[0], atol=1e-6
        )
    with pytest.raises(ValueError, match="no words"):
        sentiment.running_sentiment(model, vocab, " ,!? ")


def test_train_classifier_is_deterministic(vocab, datasets):
    train = datasets[0][:300]
    ids, lengths = vocab.encode_batch([r.text for r in train])
    results = []
    for _ in range(2):
        torch.manual_seed(1)
        model = sentiment.make_model("lstm", len(vocab), embed_size=6, hidden_size=5)
        results.append(
            sentiment.train_classifier(
                model, ids, lengths, [r.label for r in train], steps=20, seed=2
            )["loss"]
        )
    assert results[0] == results[1]


def test_subset_names_are_stable():
    assert list(reviews.test_subsets([reviews.Review("the film was good", 1)])) == [
        "all",
        "plain",
        "negated",
        "unseen negation",
        "contrast",
    ]


def test_last_valid_step_matches_torch_packed_sequences():
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 4, batch_first=True)
    lengths = torch.tensor([4, 2, 5, 1])
    inputs = torch.randn(4, 6, 3)  # padded to T = 6, one step past the longest
    with torch.no_grad():
        hiddens, _ = gru(inputs)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            inputs, lengths, batch_first=True, enforce_sorted=False
        )
        _, last = gru(packed)
    torch.testing.assert_close(sentiment.last_valid_step(hiddens, lengths), last[0])
