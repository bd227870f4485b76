"""The labs' explorers.

Every explorer the labs show is a :class:`seqbook.views.live.LiveExplorer`: a
self-contained HTML output whose JavaScript (``seqbook/views/js``) computes and redraws in
the reader's browser, with no kernel; ``shown`` holds what it starts by drawing, computed
here, for the tests. A new chapter's scaffold (``tools/new_chapter.py``) starts with one
of its own, its JavaScript in ``seqbook/views/js/TOPIC.js``.
"""

import numpy as np

from seqbook import reference
from seqbook.models import reach, seq2seq
from seqbook.tasks import tokenize
from seqbook.views import live


def squashing_explorer(factor=3.0, steps=12, squash=True):
    """A value multiplied by ``factor`` at every step, with tanh switchable (section 1.3).

    Computed in the reader's browser (``seqbook/views/js/rnn.js``)."""
    return live.LiveExplorer(
        "squashing", "Squashing with tanh", ["factor", "steps", "squash"],
        {"factor": factor, "steps": steps, "squash": squash}, scripts=["rnn.js"])


GRADIENT_STEPS = 50  # the lags the gradient explorer draws
GRADIENT_REFERENCE_SCALES = (0.9, 2.0)  # its faint curves, for comparison


def gradient_explorer(scale=1.0, clip=False, threshold=1.0):
    """Gradient size against lag as W_hh's scale moves, and the update with clipping (1.5,
    1.6): :func:`seqbook.reference.gradient_norm_by_lag` over 50 steps, computed in the
    reader's browser (``seqbook/views/js/rnn.js``) from the same numpy draws."""
    draws = reference.gradient_demo_draws(steps=GRADIENT_STEPS)
    return live.LiveExplorer(
        "gradient", "Vanishing and exploding gradients", ["scale", "clip", "threshold"],
        {"scale": scale, "clip": clip, "threshold": threshold,
         "reference_scales": list(GRADIENT_REFERENCE_SCALES),
         "draws": {name: live.pack_array(array) for name, array in draws.items()}},
        scripts=["rnn.js"])


def _float32_list(array):
    """A float32 array as nested lists of the shortest decimals that read back as the same
    float32 numbers (the JavaScript applies Math.fround): about half the JSON of doubles."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 0:
        return float(str(array))
    return [_float32_list(item) for item in array]


def gate_explorer(forget_gate=1.0, input_gate=0.0, output_gate=1.0, candidate=0.8,
                  cell0=1.0, steps=12):
    """Hold an LSTM unit's gates at values of your choice and watch c_t and h_t (2.3).

    Computed in the reader's browser (``seqbook/views/js/lstm.js``)."""
    config = {"forget_gate": forget_gate, "input_gate": input_gate,
              "output_gate": output_gate, "candidate": candidate, "cell0": cell0,
              "steps": steps}
    return live.LiveExplorer("gate_drive", "Driving the gates by hand", list(config), config,
                             scripts=["lstm.js"])


def _recurrent_weights(module):
    """A fresh torch RNN's or LSTM's float32-born weights and summed biases, for JSON."""
    return {"W_x": _float32_list(module.weight_ih_l0.detach().numpy()),
            "W_h": _float32_list(module.weight_hh_l0.detach().numpy()),
            "b": (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()}


def memory_explorer(forget_bias=0.0, length=100):
    """How far back a fresh LSTM's gradient reaches as its forget-gate bias moves (2.5).

    The browser computes what :func:`seqbook.models.gradient_reach` computes with torch's
    autograd (``seqbook/views/js/lstm.js``): the modules' initial weights (torch's default
    initialisation, seed 0), the 16 adding-problem sequences and the random direction u
    travel in the config."""
    if not -3.0 <= forget_bias <= 6.0:
        raise ValueError(f"forget_bias must be in [-3, 6], the slider's range; got {forget_bias}")
    inputs = reach.reach_inputs(length=length)
    hidden_size = 32
    config = {
        "forget_bias": forget_bias,
        "lstm": _recurrent_weights(reach.fresh_recurrent("lstm", hidden_size)),
        "rnn": _recurrent_weights(reach.fresh_recurrent("rnn", hidden_size)),
        "inputs": _float32_list(inputs.numpy()),
        "direction": reach.unit_direction(hidden_size, seed=0).numpy(),
    }
    return live.LiveExplorer("gradient_reach", "The forget-gate bias and the gradient's reach",
                             ["forget_bias"], config, scripts=["lstm.js"])


SEEDS = 21  # the trained-gates explorer's values seeds 0 ... 20


def trained_gates_explorer(model, length=100, first=10, second=70, seed=0):
    """Look inside a trained adding-problem LSTM: its gates on a sequence you choose.

    Computed in the reader's browser (``seqbook/views/js/lstm.js``) from the model's
    weights. JavaScript cannot reproduce numpy's generator, so the values of each seed,
    ``np.random.default_rng(seed).uniform(0, 1, size=length)`` for seeds 0 ... 20, are
    drawn here and travel in the config.

    Args:
        model: a :class:`seqbook.models.SequenceRegressor` whose ``recurrent`` is a
            ``torch.nn.LSTM`` reading (value, marker) pairs.
        length: the sequence length T. ``first`` (in the first half) and ``second`` (in
            the second half) are the marked steps; ``seed`` (0 ... 20) draws the values.
    """
    half = length // 2
    for name, value, low, high in (("first", first, 0, half - 1),
                                   ("second", second, half, length - 1),
                                   ("seed", seed, 0, SEEDS - 1)):
        if not low <= value <= high:
            raise ValueError(f"{name} must be in [{low}, {high}] for length {length}; "
                             f"got {value}")
    weights = reference.lstm_weights_from_torch(model.recurrent)
    config = {
        "W_x": _float32_list(model.recurrent.weight_ih_l0.detach().numpy()),
        "W_h": _float32_list(model.recurrent.weight_hh_l0.detach().numpy()),
        "b": weights["b"],
        "readout_weight": _float32_list(model.readout.weight.detach().numpy()[0]),
        "readout_bias": _float32_list(model.readout.bias.detach().numpy()[0]),
        "values_by_seed": [np.random.default_rng(k).uniform(0.0, 1.0, size=length)
                           for k in range(SEEDS)],
        "first": first, "second": second, "seed": seed,
    }
    return live.LiveExplorer("trained_gates", "Inside a trained LSTM",
                             ["first", "second", "seed"], config, scripts=["lstm.js"])


def gru_unit_explorer(update_gate=0.9, reset_gate=1.0, input_drive=-1.0):
    """Hold one GRU unit's gates fixed and watch h_t move towards its candidate (3.4).

    Computed in the reader's browser (``seqbook/views/js/gru.js``)."""
    return live.LiveExplorer(
        "gru_unit", "One GRU unit with its gates held",
        ["update_gate", "reset_gate", "input_drive"],
        {"update_gate": update_gate, "reset_gate": reset_gate, "input_drive": input_drive},
        scripts=["gru.js"])


def parameter_explorer(input_size=10, hidden_size=32):
    """Parameters of one RNN, GRU and LSTM layer as the input and hidden sizes move.

    Computed in the reader's browser (``seqbook/views/js/gru.js``)."""
    return live.LiveExplorer(
        "parameters", "Parameters per layer", ["input_size", "hidden_size"],
        {"input_size": input_size, "hidden_size": hidden_size}, scripts=["gru.js"])


SENTIMENT_NAMES = {"bow": "bag of words", "rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _packed(tensor):
    """A torch tensor's float32 values, packed exactly (``live.pack_array``)."""
    return live.pack_array(tensor.detach().numpy(), "float32")


def _recurrent_config(module, suffix=""):
    """The weights and biases of one torch recurrent layer, packed exactly, in torch's
    names and gate order: an nn.RNN, nn.LSTM or nn.GRU (``suffix`` "_l0", or "_l0_reverse"
    for the backward direction) or a cell such as nn.GRUCell (``suffix`` "")."""
    return {name: _packed(getattr(module, name + suffix))
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def sentiment_model_config(model):
    """A trained classifier of :mod:`seqbook.models.sentiment` as the sentiment explorer's
    JavaScript runs it: its kind ("bow", "rnn", "lstm" or "gru") and its float32 weights,
    packed exactly (torch's names for the recurrent layer's, ``embedding`` (V, E),
    ``readout_weight`` (H,) and ``readout_bias``)."""
    from torch import nn

    from seqbook.models import sentiment

    config = {"embedding": _packed(model.embedding.weight),
              "readout_weight": _packed(model.readout.weight[0]),
              "readout_bias": _packed(model.readout.bias[0])}
    if isinstance(model, sentiment.BagOfWords):
        return {"kind": "bow", **config}
    recurrent = getattr(model, "recurrent", None)
    kinds = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}
    kind = kinds.get(type(recurrent))
    if kind is None or recurrent.num_layers != 1 or recurrent.bidirectional or not recurrent.bias \
            or getattr(recurrent, "nonlinearity", "tanh") != "tanh":
        raise ValueError(
            "sentiment_explorer runs a BagOfWords or a SentimentClassifier whose recurrent layer "
            "is a one-layer, one-direction torch.nn.RNN (tanh), LSTM or GRU with biases, as "
            f"seqbook.models.sentiment.make_model builds them; got {type(model).__name__} "
            f"with {recurrent!r}")
    return {"kind": kind, **config, **_recurrent_config(recurrent, "_l0")}


def sentiment_explorer(classifiers, vocab, sentence="the plot was not bad", model="gru"):
    """Type a review; see every trained model's verdict after each word, computed in the
    reader's browser (``seqbook/views/js/sentiment.js``) from the models' weights.

    Args:
        classifiers: a dict from a name ("bow", "rnn", "lstm", "gru") to a trained model
            of :mod:`seqbook.models.sentiment`.
        vocab: the :func:`seqbook.tasks.reviews.vocabulary` the models were trained with.
        sentence: the starting text.  model: the model drawn as bars at the start.

    ``shown`` holds what the explorer starts by drawing, computed by torch
    (:func:`seqbook.models.sentiment.running_sentiment`): ``"words"`` and
    ``"probabilities"``, the chosen model's P(positive) after each word.
    """
    from seqbook.models import sentiment  # only this explorer needs the review models

    if model not in classifiers:
        raise ValueError(f"model must be one of {sorted(classifiers)}; got {model!r}")
    if vocab.symbols[:2] != ["<pad>", "<unk>"] or not vocab.words:
        raise ValueError("vocab must be a word vocabulary with <pad> and <unk> first, as "
                         "seqbook.tasks.reviews.vocabulary builds it")
    explorer = live.LiveExplorer(
        "sentiment", "Reading a review word by word", ["sentence", "model"],
        {"sentence": sentence, "model": model, "symbols": vocab.symbols,
         "names": {name: SENTIMENT_NAMES.get(name, name) for name in classifiers},
         "models": {name: sentiment_model_config(classifier)
                    for name, classifier in classifiers.items()}},
        scripts=["sentiment.js"])
    words = tokenize(sentence)
    probabilities = (sentiment.running_sentiment(classifiers[model], vocab, sentence)[1]
                     if words else np.zeros(0))
    explorer.shown = {"words": words, "probabilities": probabilities}
    return explorer


# --- Chapter 4 ----------------------------------------------------------------------------


def alignment_model_config(model):
    """A :class:`seqbook.models.seq2seq.Seq2Seq` as the alignment explorer's JavaScript
    (``seqbook/views/js/attention.js``) runs it: its float32 weights, packed exactly.
    ``encoder``: ``embedding`` and the GRU's ``forward`` (and, if bidirectional,
    ``backward``) weights; ``decoder``: its ``kind`` ("plain" or "attention"),
    ``embedding``, the GRUCell ``cell``, ``init_weight``/``init_bias``, ``out_weight``/
    ``out_bias`` and, with attention, ``W``, ``U`` and ``v`` (A,)."""
    encoder, decoder = model.encoder, model.decoder
    gru = encoder.gru
    if not isinstance(model, seq2seq.Seq2Seq) or gru.num_layers != 1 or not gru.bias \
            or model.reverse_source or not isinstance(
                decoder, (seq2seq.AttentionDecoder, seq2seq.PlainDecoder)):
        raise ValueError(
            "alignment_explorer runs a seqbook.models.seq2seq.Seq2Seq as make_model builds "
            "it: a one-layer GRU encoder with biases, a PlainDecoder or AttentionDecoder, "
            f"and reverse_source=False; got {type(model).__name__} with encoder {gru!r}, "
            f"decoder {type(decoder).__name__} and reverse_source="
            f"{getattr(model, 'reverse_source', None)}")
    if getattr(decoder, "score", "additive") != "additive":
        raise ValueError("alignment_explorer computes Bahdanau's additive scores in the "
                         f"page; this decoder's score is {decoder.score!r}. Show an "
                         "additive model, or draw a Luong model's weights with "
                         "plots.draw_alignment.")
    encoder_config = {"embedding": _packed(encoder.embedding.weight),
                      "forward": _recurrent_config(gru, "_l0")}
    if gru.bidirectional:
        encoder_config["backward"] = _recurrent_config(gru, "_l0_reverse")
    decoder_config = {
        "kind": "attention" if isinstance(decoder, seq2seq.AttentionDecoder) else "plain",
        "embedding": _packed(decoder.embedding.weight), "cell": _recurrent_config(decoder.cell),
        "init_weight": _packed(decoder.init.weight), "init_bias": _packed(decoder.init.bias),
        "out_weight": _packed(decoder.out.weight), "out_bias": _packed(decoder.out.bias)}
    if decoder_config["kind"] == "attention":
        decoder_config.update(W=_packed(decoder.W.weight), U=_packed(decoder.U.weight),
                              v=_packed(decoder.v.weight[0]))
    return {"encoder": encoder_config, "decoder": decoder_config}


def alignment_explorer(model, source_vocab, target_vocab, examples, source=None, step=0,
                       normalise=None, truth=None, max_length=None):
    """Pick or type a source, see its translation, and step through the output tokens: the
    decoder's top candidates at each step and, for a model with attention, the attention
    map and where each step looks (Chapter 4). Computed in the reader's browser
    (``seqbook/views/js/attention.js``) from the model's weights.

    Args:
        model: a :class:`seqbook.models.seq2seq.Seq2Seq` (plain or with attention).
        source_vocab, target_vocab: its :class:`seqbook.tasks.vocabulary.Vocabulary` pair.
        examples: source strings for the drop-down.
        source: the starting source (default: the first example); it starts in the text
            box, and the drop-down shows it when it is an example. Whichever of the two the
            reader moves last is translated.
        step: the output step to highlight first.
        normalise: None, or :func:`seqbook.tasks.dates.normalise`, applied to what is typed
            (the browser runs its JavaScript twin); the text is then stripped.
        truth: optional function from a source string to its true alignment (a 0/1 matrix,
            e.g. :func:`seqbook.tasks.dates.alignment`) or None; it is asked here for each
            example and the starting source, and the answers are drawn as dots.
        max_length: the longest translation decoded (default: source length + 10).

    ``shown`` holds what torch's :func:`seqbook.models.seq2seq.translate` gives for the
    starting source (``"source_tokens"``, ``"output_tokens"``, ``"translation"``,
    ``"weights"``), with ``"source"`` and ``"step"``.
    """
    from seqbook.tasks import dates

    examples = list(examples)
    if normalise not in (None, dates.normalise):
        raise ValueError("normalise must be None or seqbook.tasks.dates.normalise, the one "
                         f"the browser can run; got {normalise!r}")
    if source is None:
        source = examples[0] if examples else ""
    source = (normalise(source) if normalise is not None else source).strip()
    if step < 0 or (max_length is not None and max_length < 1):
        raise ValueError(f"step must be at least 0 and max_length at least 1; got step {step}, "
                         f"max_length {max_length}")
    truths = {}
    for text in dict.fromkeys([*examples, source]):
        matrix = truth(text) if truth is not None and text else None
        if matrix is not None:
            truths[text] = np.asarray(matrix).astype(int)
    config = alignment_model_config(model)
    title = ("Where the decoder looks" if config["decoder"]["kind"] == "attention"
             else "What the plain decoder writes")
    explorer = live.LiveExplorer(
        "alignment", title, ["example", "step", "source"],
        {"examples": examples, "source": source, "step": step,
         "normalise": normalise is not None, "max_length": max_length,
         "source_symbols": source_vocab.symbols, "target_symbols": target_vocab.symbols,
         "truth": truths, "model": config},
        scripts=["attention.js"])
    if source:
        result = seq2seq.translate(model, source_vocab, target_vocab, source, max_length)
        explorer.shown = {"source": source, **result,
                          "step": min(step, len(result["output_tokens"]) - 1)}
    else:
        explorer.shown = {"source": "", "source_tokens": [], "output_tokens": [],
                          "translation": "", "weights": None, "step": None}
    return explorer


def temperature_explorer(model, vocab, prefix="ma", temperature=1.0, seed=1):
    """Type a prefix and move the temperature: the trained name model's distribution of the
    next letter, equation (1.14), and eight names sampled from it, computed in the reader's
    browser (``seqbook/views/js/temperature.js``) from the model's float32 weights.

    Args:
        model: a trained :class:`seqbook.models.CharModel` with ``cell="rnn"``.
        vocab: its vocabulary; the end symbol must be its first symbol (as
            ``tasks.Vocabulary(names, reserved=[tasks.END])`` makes it).
        seed: seeds the browser's own generator for the samples.
    """
    from torch import nn

    from seqbook.tasks.names import END

    if not isinstance(model.recurrent, nn.RNN) or model.recurrent.num_layers != 1:
        raise ValueError("temperature_explorer runs a CharModel whose recurrent layer is a "
                         f"one-layer torch.nn.RNN; got {model.recurrent!r}")
    if vocab.symbols[0] != END:
        raise ValueError(f"the vocabulary's first symbol must be the end symbol {END!r}")
    config = {"model": {**_recurrent_config(model.recurrent, "_l0"),
                        "readout_weight": _packed(model.readout.weight),
                        "readout_bias": _packed(model.readout.bias)},
              "symbols": list(vocab.symbols), "end": END, "prefix": prefix,
              "temperature": temperature, "seed": seed}
    return live.LiveExplorer("temperature", "Sampling the name model at a temperature",
                             ["prefix", "temperature"], config, scripts=["temperature.js"])
