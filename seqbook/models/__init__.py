"""The book's torch models, and the one training loop they all use.

- ``training``: :func:`fit`, Adam with gradient clipping and optional evaluations;
- ``recurrent``: one table of torch's RNN, LSTM and GRU, gate-bias set-up, LSTM variants;
- ``language``: Chapter 1's next-character name model, its training step, perplexity and
  temperature sampling;
- ``truncation``: truncated backpropagation through time (Chapter 1);
- ``regression``: the adding problem's many-to-one regressor (Chapters 1 to 3);
- ``reach``: how far back a fresh model's gradient reaches (Chapter 2);
- ``sentiment``: Chapter 3's review classifiers;
- ``tagging``: Chapter 3's per-position tagger, one or two directions (section 3.9);
- ``speed``: Chapter 3's operation counts and fair timings;
- ``seq2seq``: Chapter 4's encoder-decoders, plain and with Bahdanau attention.

The names of the first six, and of ``tagging``, are also available here (``models.train_adding``);
``sentiment``, ``speed`` and ``seq2seq`` are read as modules.
"""

from seqbook.models.language import (
    CharModel,
    char_rnn_training_step,
    entropy,
    evaluate_char_model,
    masked_cross_entropy,
    next_character_distribution,
    perplexity,
    sample_names,
    temperature_softmax,
    train_char_model,
)
from seqbook.models.reach import gradient_reach, input_gradient_by_lag
from seqbook.models.recurrent import (
    RECURRENT,
    LSTMVariant,
    make_recurrent,
    set_forget_bias,
    set_update_gate_bias,
)
from seqbook.models.regression import SequenceRegressor, steps_to_reach, train_adding
from seqbook.models.tagging import SequenceTagger, tag_logits, train_tagger
from seqbook.models.training import fit
from seqbook.models.truncation import TruncatedRecurrent, input_gradient_norms

__all__ = [
    "CharModel", "char_rnn_training_step", "evaluate_char_model", "masked_cross_entropy",
    "perplexity", "sample_names", "train_char_model", "entropy", "next_character_distribution",
    "temperature_softmax", "TruncatedRecurrent", "input_gradient_norms", "gradient_reach",
    "input_gradient_by_lag", "RECURRENT", "LSTMVariant", "make_recurrent", "set_forget_bias",
    "set_update_gate_bias", "SequenceRegressor", "steps_to_reach", "train_adding",
    "SequenceTagger", "tag_logits", "train_tagger", "fit",
]
