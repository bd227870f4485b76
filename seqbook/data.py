"""Data the book trains on, made by its own code or read from a PyPI package.

Nothing here touches the network: the names come from the lists that Faker ships
inside its wheel, and the adding problem is generated from a seed.
"""

import importlib

import numpy as np

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


class CharVocabulary:
    """Maps characters to integer ids and back. Id 0 is the END marker."""

    def __init__(self, texts):
        letters = sorted(set("".join(texts)) - {END})
        self.symbols = [END] + letters
        self.index = {symbol: i for i, symbol in enumerate(self.symbols)}

    def __len__(self):
        return len(self.symbols)

    def encode(self, text):
        """A string to a list of ids; raises a clear error on an unknown character."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"characters {unknown} are not in the vocabulary {self.symbols}")
        return [self.index[ch] for ch in text]

    def decode(self, ids):
        """A list of ids back to a string."""
        return "".join(self.symbols[i] for i in ids)


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


def adding_problem(batch, length, rng):
    """The adding problem of Hochreiter and Schmidhuber (1997), as used by Le et al.

    Each example is a sequence of ``length`` steps with two features: a value drawn
    from U(0, 1) and a marker that is 1 at exactly two steps, one in the first half
    and one in the second half, and 0 elsewhere. The target is the sum of the two
    marked values. Always answering 1 (the mean target) scores a mean squared error of
    1/6, about 0.167: the trivial error.

    Returns:
        ``(inputs, targets)``: float32 arrays of shape (batch, length, 2) and (batch,).
    """
    if length < 2:
        raise ValueError(f"the adding problem needs length >= 2 to place two markers; got {length}")
    values = rng.uniform(0.0, 1.0, size=(batch, length))
    markers = np.zeros((batch, length))
    half = length // 2
    first = rng.integers(0, half, size=batch)
    second = rng.integers(half, length, size=batch)
    rows = np.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=2).astype(np.float32)  # (B, T, 2)
    targets = (values[rows, first] + values[rows, second]).astype(np.float32)  # (B,)
    return inputs, targets


ADDING_TRIVIAL_MSE = 1.0 / 6.0  # variance of the sum of two U(0, 1) values
