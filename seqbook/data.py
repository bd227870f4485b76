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


# --- Chapter 4: token vocabularies and the reversal task ------------------------------------

PAD, SOS, EOS, UNK = 0, 1, 2, 3  # ids of the reserved symbols of a TokenVocabulary
RESERVED = ("<pad>", "<sos>", "<eos>", "<unk>")


class TokenVocabulary:
    """Character tokens to ids and back, with padding, start, end and unknown symbols.

    Ids 0-3 are ``<pad>``, ``<sos>``, ``<eos>``, ``<unk>`` (:data:`PAD`, :data:`SOS`,
    :data:`EOS`, :data:`UNK`); the characters seen in ``texts`` follow, sorted. Generic: the
    dates of :mod:`seqbook.dates` and the reversal task below both use it.
    """

    def __init__(self, texts, reserved=RESERVED):
        self.reserved = tuple(reserved)
        characters = sorted(set("".join(texts)) - set(self.reserved))
        self.symbols = list(self.reserved) + characters
        self.index = {symbol: i for i, symbol in enumerate(self.symbols)}

    def __len__(self):
        return len(self.symbols)

    def encode(self, text, add_eos=False, add_sos=False):
        """A string to a list of ids; an unseen character becomes :data:`UNK`."""
        ids = [self.index.get(ch, UNK) for ch in text]
        return ([SOS] if add_sos else []) + ids + ([EOS] if add_eos else [])

    def decode(self, ids):
        """Ids (a list, array or 1-d tensor) to a string: stops at the first :data:`EOS`,
        skips :data:`PAD` and :data:`SOS`, writes :data:`UNK` as ``"<unk>"``."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        out = []
        for i in ids:
            if i == EOS:
                break
            if i not in (PAD, SOS):
                out.append(self.symbols[i])
        return "".join(out)

    def encode_batch(self, texts, add_eos=False, add_sos=False):
        """Encode and pad a batch.

        Returns:
            ``(ids, lengths)``: LongTensor (B, T) padded with :data:`PAD` (0), T the longest
            encoded text; LongTensor (B,) of the encoded lengths (EOS and SOS included).
        """
        import torch

        encoded = [self.encode(text, add_eos=add_eos, add_sos=add_sos) for text in texts]
        lengths = torch.tensor([len(ids) for ids in encoded], dtype=torch.long)
        ids = torch.full((len(encoded), int(lengths.max()) if encoded else 0), PAD,
                         dtype=torch.long)
        for row, sequence in enumerate(encoded):
            ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        return ids, lengths

    def decode_batch(self, ids):
        """A (B, T) batch of ids to a list of B strings, each decoded by :meth:`decode`."""
        return [self.decode(row) for row in ids]


def reversal_pairs(count, min_length=1, max_length=30, alphabet_size=26, seed=0):
    """``count`` pairs (source, reversed source) of random letters, for the bottleneck study.

    Letters are the first ``alphabet_size`` of "a".."z", drawn uniformly and independently;
    each length is uniform in ``[min_length, max_length]``. Deterministic for ``seed`` (an int
    or a ``numpy.random.Generator``). Reversal is the hardest order for a fixed-size encoder
    summary: the first target letter is the last source letter, the last target letter the
    first source letter.

    Returns:
        list of ``(source, target)`` strings with ``target == source[::-1]``.
    """
    if not 1 <= alphabet_size <= 26:
        raise ValueError(f"alphabet_size must be in 1..26; got {alphabet_size}")
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length; got {min_length}, {max_length}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"[:alphabet_size]))
    lengths = rng.integers(min_length, max_length + 1, size=count)
    pairs = []
    for length in lengths:
        source = "".join(letters[rng.integers(alphabet_size, size=length)])
        pairs.append((source, source[::-1]))
    return pairs


def reversal_dataset(train_size, test_per_length=20, min_length=1, max_length=30,
                     alphabet_size=26, seed=0):
    """A training set and a fixed test set for reversal, every length equally tested.

    The test set holds ``test_per_length`` pairs of each length ``min_length..max_length``,
    drawn from its own random stream (so it does not change with ``train_size``). Training
    pairs (lengths uniform) whose source is in the test set are dropped and drawn again, so no
    test sequence is seen in training (at short lengths and small alphabets test sequences may
    repeat within the test set itself, and the training set then covers fewer strings).

    Returns:
        ``(train, test)``: lists of ``(source, target)`` pairs.
    """
    test_rng = np.random.default_rng([seed, 1])
    test = []
    for length in range(min_length, max_length + 1):
        test += reversal_pairs(test_per_length, length, length, alphabet_size, test_rng)
    held_out = {source for source, _ in test}
    train_rng = np.random.default_rng([seed, 2])
    train = []
    for _ in range(1000):
        batch = reversal_pairs(train_size - len(train), min_length, max_length, alphabet_size,
                               train_rng)
        train += [pair for pair in batch if pair[0] not in held_out]
        if len(train) == train_size:
            return train, test
    raise ValueError("the test set covers (almost) every string; use longer sequences")
