"""One vocabulary for every task, and one mask from lengths.

A :class:`Vocabulary` maps tokens to integer ids and back. Its first ids are the
``reserved`` symbols a task chooses; every token seen in the texts follows, sorted. The
tokens are characters, or words (``words=True``, split by :func:`tokenize`):

- names (Chapter 1): characters, reserved ``(".",)``, the end marker, so id 0 is END;
- reviews (Chapter 3): words, reserved :data:`WORD_SYMBOLS`, ``<pad>`` 0 and ``<unk>`` 1;
- dates and reversal (Chapter 4): characters, reserved :data:`SEQUENCE_SYMBOLS`, ``<pad>``,
  ``<sos>``, ``<eos>``, ``<unk>`` as 0, 1, 2, 3 (:data:`PAD`, :data:`SOS`, :data:`EOS`,
  :data:`UNK`).
"""

import re

import numpy as np

SEQUENCE_SYMBOLS = ("<pad>", "<sos>", "<eos>", "<unk>")
PAD, SOS, EOS, UNK = 0, 1, 2, 3  # their ids in a vocabulary with SEQUENCE_SYMBOLS
WORD_SYMBOLS = ("<pad>", "<unk>")


def tokenize(text):
    """Lower-case words of letters and apostrophes; everything else separates words."""
    return re.findall(r"[a-z']+", text.lower())


class Vocabulary:
    """Tokens to ids and back: ``reserved`` symbols first, then the tokens of ``texts``.

    Args:
        texts: the texts whose tokens make the vocabulary (any iterable of strings).
        reserved: symbols that get the first ids, in order (e.g. :data:`SEQUENCE_SYMBOLS`).
        words: split texts into words with :func:`tokenize` (else into characters).

    ``symbols`` lists every symbol by id and ``index`` maps a symbol to its id. A token
    outside the vocabulary encodes as ``<unk>`` when ``<unk>`` is reserved, and is an error
    otherwise.
    """

    def __init__(self, texts, reserved=(), words=False):
        self.reserved = tuple(reserved)
        self.words = words
        tokens = {token for text in texts for token in self.tokens(text)}
        self.symbols = list(self.reserved) + sorted(tokens - set(self.reserved))
        self.index = {symbol: i for i, symbol in enumerate(self.symbols)}

    def __len__(self):
        return len(self.symbols)

    def tokens(self, text):
        """The tokens of a text: its words (``words=True``) or its characters."""
        return tokenize(text) if self.words else list(text)

    def encode(self, text, add_eos=False, add_sos=False):
        """A text to a list of ids, with ``<sos>`` before and ``<eos>`` after if asked."""
        tokens = self.tokens(text)
        unknown = "<unk>" in self.index
        if not unknown:
            missing = sorted(set(tokens) - set(self.index))
            if missing:
                raise ValueError(f"tokens {missing} are not in the vocabulary {self.symbols}")
        index, unk = self.index, self.index.get("<unk>")
        ids = [index.get(token, unk) for token in tokens]
        return ([self.index["<sos>"]] if add_sos else []) + ids + (
            [self.index["<eos>"]] if add_eos else [])

    def decode(self, ids):
        """Ids (a list, array or 1-d tensor) to a text: stops at the first ``<eos>``, skips
        ``<pad>`` and ``<sos>``, writes ``<unk>`` as ``"<unk>"``; words are joined by
        spaces."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        stop, skip = self.index.get("<eos>"), {self.index.get("<pad>"), self.index.get("<sos>")}
        out = []
        for i in ids:
            i = int(i)
            if i == stop:
                break
            if i not in skip:
                out.append(self.symbols[i])
        return (" " if self.words else "").join(out)

    def encode_batch(self, texts, add_eos=False, add_sos=False):
        """Encode and pad a batch (the vocabulary must reserve ``<pad>``).

        Returns:
            ``(ids, lengths)``: LongTensor (B, T) padded with ``<pad>`` after each text, T
            the longest encoded text (at least 1); LongTensor (B,) of the encoded lengths
            (``<sos>`` and ``<eos>`` included).
        """
        import torch

        if "<pad>" not in self.index:
            raise ValueError("encode_batch pads with <pad>, which this vocabulary does not "
                             "reserve: build it with reserved=SEQUENCE_SYMBOLS or WORD_SYMBOLS")
        encoded = [self.encode(text, add_eos=add_eos, add_sos=add_sos) for text in texts]
        lengths = [len(ids) for ids in encoded]
        width, pad = max([1, *lengths]), self.index["<pad>"]
        # one tensor from padded lists: a tensor per row took a second for 20,000 rows
        rows = [ids + [pad] * (width - len(ids)) for ids in encoded]
        ids = torch.tensor(rows, dtype=torch.long).reshape(len(encoded), width)
        return ids, torch.tensor(lengths, dtype=torch.long)

    def decode_batch(self, ids):
        """A (B, T) batch of ids to a list of B texts, each decoded by :meth:`decode`."""
        return [self.decode(row) for row in ids]


def length_mask(lengths, steps):
    """(B, T) bool mask, True at the first ``lengths[b]`` steps of row b and False after.

    Works on a torch tensor (returns a tensor) and on a numpy array or list (returns an
    array) alike.
    """
    if hasattr(lengths, "new_tensor"):  # a torch tensor
        import torch

        return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
