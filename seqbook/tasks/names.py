"""Chapter 1's names: first names from the lists that Faker ships inside its wheel, for
next-character prediction. Nothing here touches the network."""

import importlib

import numpy as np

from seqbook.tasks.vocabulary import Vocabulary

# English-language locales whose first-name lists Faker ships.
NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN")

END = "."  # marks the end of a name; also the symbol a generated name stops on


def first_names(locales=NAME_LOCALES):
    """Lower-case first names from Faker's lists, letters a-z only, sorted, no repeats."""
    names = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            for name in getattr(provider, attribute, ()):
                if name.isascii() and name.isalpha():
                    names.add(name.lower())
    return sorted(names)


def split_names(names, test_fraction=0.1, seed=0):
    """Shuffle with a seed and split into (train, test) lists of names."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    n_test = int(round(len(names) * test_fraction))
    test = [names[i] for i in order[:n_test]]
    train = [names[i] for i in order[n_test:]]
    return train, test


def vocabulary(names):
    """The character vocabulary of a list of names, :data:`END` first (id 0), then the
    letters in sorted order."""
    return Vocabulary(names, reserved=(END,))


def name_training_pairs(names, vocab):
    """Input and target id sequences for next-character prediction, padded with -1.

    A name "ada" becomes input [END, a, d, a] and target [a, d, a, END]: the END
    symbol doubles as the start token, so the model learns first letters too.

    Returns:
        ``(inputs, targets)``, integer arrays of shape (N, L) with L the longest name
        plus one; padding is -1 in both (the loss ignores target -1).
    """
    length = max(len(name) for name in names) + 1
    inputs = np.full((len(names), length), -1, dtype=np.int64)
    targets = np.full((len(names), length), -1, dtype=np.int64)
    for row, name in enumerate(names):
        ids = vocab.encode(name)
        inputs[row, : len(ids) + 1] = [vocab.index[END]] + ids
        targets[row, : len(ids) + 1] = ids + [vocab.index[END]]
    return inputs, targets


def unigram_cross_entropy(train_names, test_names, vocab):
    """Cross-entropy in nats per character of a model that ignores order.

    The baseline every sequence model must beat: the probability of each symbol
    (END included) is its frequency in the training names, with add-one smoothing.
    """
    counts = np.ones(len(vocab))
    for name in train_names:
        for i in vocab.encode(name) + [vocab.index[END]]:
            counts[i] += 1
    log_probs = np.log(counts / counts.sum())
    test_ids = [i for name in test_names for i in vocab.encode(name) + [vocab.index[END]]]
    return float(-np.mean(log_probs[test_ids]))
