"""Explorer widgets for the labs, built with ipywidgets.

The figure is drawn with matplotlib into PNG bytes held by an ``ipywidgets.Image``, so
it lives in the widget's own state: it shows in a live notebook, in a notebook executed
by nbclient, and in the static book from the saved widget state alike.

Each explorer is a small object: ``controls`` (a dict of ipywidgets controls),
``widget`` (what the notebook displays) and ``shown`` (the numbers drawn last), so a
test can move a control and check that the picture changed as it should.
"""

import io

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from seqbook import reference
from seqbook.models import reach, seq2seq
from seqbook.tasks import tokenize
from seqbook.views import live, plots


class ExplorerBox(widgets.VBox):
    """The displayed box; its plain-text form is a short, stable description."""

    description = "explorer"

    def __repr__(self):
        return f"<{self.description}>"


class Explorer:
    """Controls above a figure that is redrawn whenever a control moves."""

    def __init__(self, title, controls, draw, figsize=(7, 3.5)):
        self.title = title
        self.controls = controls
        self._draw = draw
        self._figsize = figsize
        self.image = widgets.Image(format="png")
        self.shown = None
        for control in controls.values():
            control.observe(self._redraw, names="value")
        rows = [widgets.HBox(list(controls.values())[start:start + 3])
                for start in range(0, len(controls), 3)]  # at most three controls a row
        self.widget = ExplorerBox([widgets.HTML(f"<b>{title}</b>"), *rows, self.image])
        self.widget.description = f"{title}: move {', '.join(controls)}"
        self._redraw()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def _redraw(self, change=None):
        figure = Figure(figsize=self._figsize)
        self.shown = self._draw(figure, **self.values())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()

    def __repr__(self):
        return repr(self.widget)

    def _ipython_display_(self):
        display(self.widget)


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


def _unit_slider(value, description, low=0.0, high=1.0):
    return widgets.FloatSlider(value=value, min=low, max=high, step=0.05,
                               description=description)


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


def sentiment_model_config(model):
    """A trained classifier of :mod:`seqbook.models.sentiment` as the sentiment explorer's
    JavaScript runs it: its kind ("bow", "rnn", "lstm" or "gru") and its float32 weights,
    packed exactly (torch's names for the recurrent layer's, ``embedding`` (V, E),
    ``readout_weight`` (H,) and ``readout_bias``)."""
    from torch import nn

    from seqbook.models import sentiment

    def packed(tensor):
        return live.pack_array(tensor.detach().numpy(), "float32")

    config = {"embedding": packed(model.embedding.weight),
              "readout_weight": packed(model.readout.weight[0]),
              "readout_bias": packed(model.readout.bias[0])}
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
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        config[name] = packed(getattr(recurrent, name + "_l0"))
    return {"kind": kind, **config}


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


class _SelfAdjustingExplorer(Explorer):
    """An explorer whose draw may move its own controls (a slider's range) without the
    move starting a second, nested redraw."""

    _drawing = False

    def _redraw(self, change=None):
        if self._drawing:
            return
        self._drawing = True
        try:
            super()._redraw(change)
        finally:
            self._drawing = False


def alignment_explorer(model, source_vocab, target_vocab, examples, source=None, step=0,
                       normalise=None, truth=None, max_length=None):
    """Pick or type a source, see its translation and attention map, and step through the
    output tokens to see where each one looks (Chapter 4).

    Args:
        model: a :class:`seqbook.models.seq2seq.Seq2Seq` (with attention; a plain model shows its
            translation only).
        source_vocab, target_vocab: its :class:`seqbook.tasks.vocabulary.Vocabulary` pair.
        examples: source strings for the drop-down.
        source: the starting source: one of ``examples`` selects it, any other text is typed
            into the text box. Typed text (empty means "use the drop-down") is passed through
            ``normalise`` (e.g. :func:`seqbook.tasks.dates.normalise`) if given, then stripped.
        step: the output step to highlight first.
        truth: optional function from a source string to its true alignment (a 0/1 matrix,
            e.g. :func:`seqbook.tasks.dates.alignment`), or None when it has none; drawn as dots.
        max_length: the longest translation decoded (default: source length + 10).

    ``shown`` holds ``"source"``, ``"translation"``, ``"weights"`` (L_out, S),
    ``"argmax"`` (the most-attended source position of each output step), ``"step"``,
    ``"attended"`` and the tokens of both sides.
    """
    examples = list(examples)
    typed = "" if source is None or source in examples else source
    controls = {
        "example": widgets.Dropdown(
            options=examples, description="example",
            value=source if source in examples else (examples[0] if examples else None)),
        "typed": widgets.Text(value=typed, description="or type", continuous_update=False,
                              placeholder="your own source"),
        "step": widgets.IntSlider(value=step, min=0, max=max(step, 1),
                                  description="output step"),
    }

    def draw(figure, example, typed, step):
        text = normalise(typed) if normalise is not None else typed
        chosen = text.strip() or (example or "")
        ax = figure.add_subplot(1, 1, 1)
        if not chosen:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "choose an example or type a source", ha="center")
            return {"source": "", "translation": "", "weights": None, "argmax": None,
                    "step": None, "attended": [], "source_tokens": [], "output_tokens": []}
        result = seq2seq.translate(model, source_vocab, target_vocab, chosen,
                                          max_length)
        outputs = result["output_tokens"]
        slider = controls["step"]
        step = min(step, len(outputs) - 1)
        slider.max = len(outputs) - 1  # nested redraws are skipped while this one runs
        slider.value = step
        shown = {"source": chosen, **result, "step": step}
        title = f"{chosen!r} → {result['translation']!r}"
        if "<unk>" in result["source_tokens"]:
            title += " (<unk>: a character the model never saw)"
        if result["weights"] is None:
            ax.set_axis_off()
            ax.set_title(title)
            ax.text(0.5, 0.5, "this model has no attention to show", ha="center")
            return {**shown, "argmax": None, "attended": []}
        matrix = truth(chosen) if truth is not None else None
        figure.subplots_adjust(left=0.1, right=0.98, bottom=0.22, top=0.86)
        shown.update(plots.draw_alignment(ax, result["weights"], result["source_tokens"],
                                          outputs, step=step, truth=matrix))
        ax.set_title(title, fontsize=10, loc="left")
        looked_at = ", ".join(f"{plots._token_label(result['source_tokens'][j])!r} "
                              f"(position {j})" for j in shown["attended"][:4])
        more = " ..." if len(shown["attended"]) > 4 else ""
        weight = result["weights"][step].max()
        ax.set_xlabel(("orange dots: the true alignment; " if matrix is not None else "")
                      + f"output step {step}, {plots._token_label(outputs[step])!r}, looks most "
                      f"at {looked_at}{more}: weight {weight:.2f}", color="tab:red")
        return shown

    return _SelfAdjustingExplorer("Where the decoder looks", controls, draw, figsize=(8, 4.5))
