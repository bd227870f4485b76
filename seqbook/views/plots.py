"""Plots the labs and widgets share. Each function draws on a given matplotlib axis
and returns the numbers it drew, so tests can check what a reader would see."""

import functools

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from seqbook.models.reach import gradient_reach
from seqbook.reference import (
    cell_after_steps,
    gradient_norm_by_lag,
    repeated_multiply,
)


@functools.lru_cache(maxsize=16)
def _reference_ratio(scale, steps):
    """The faint reference curves never change: compute each once."""
    return gradient_norm_by_lag(scale, steps=steps)["ratio"]


@functools.lru_cache(maxsize=16)
def _reference_reach(cell, forget_bias, length):
    return gradient_reach(cell, length=length, forget_bias=forget_bias)


def draw_squashing(ax, factor, steps, squash):
    """Plot a value multiplied by ``factor`` again and again, with and without tanh."""
    plain = repeated_multiply(factor, steps, squash=False)
    squashed = repeated_multiply(factor, steps, squash=True)
    ax.plot(plain, "o-", color="tab:red", alpha=1.0 if not squash else 0.25,
            label=f"v ← {factor:g}·v (no squashing)")
    ax.plot(squashed, "o-", color="tab:blue", alpha=1.0 if squash else 0.25,
            label=f"v ← tanh({factor:g}·v)")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost a lot of drawing time
    ax.axhspan(-1, 1, color="tab:blue", alpha=0.08)
    ax.set_xlabel("step k")
    ax.set_ylabel("value (symmetric log scale)")
    ax.set_title("Repeated multiplication, with and without tanh")
    ax.legend(loc="upper left")
    shown = squashed if squash else plain
    return {"values": shown, "final": float(shown[-1])}


def draw_gradient_by_lag(ax, scale, steps=50, reference_scales=(0.9, 2.0)):
    """Plot ||dL/dh_{T-k}|| / ||dL/dh_T|| against the lag k, log scale."""
    for reference in reference_scales:
        if abs(reference - scale) > 1e-9:
            ratio = _reference_ratio(reference, steps)
            ax.plot(ratio, color="gray", alpha=0.4, lw=1)
            ax.annotate(f"scale {reference:g}", (0.8 * steps, ratio[int(0.8 * steps)]),
                        color="gray", fontsize=8, va="bottom")
    result = gradient_norm_by_lag(scale, steps=steps)
    ratio = result["ratio"]
    colour = "tab:red" if ratio[-1] > 1 else "tab:blue"
    ax.plot(ratio, color=colour, lw=2.5, label=f"largest singular value of W_hh = {scale:.2f}")
    _format_lag_axis(ax, (1e-12, 1e8), "gradient size, relative to lag 0",
                     "Gradient through time")
    return {"ratio": ratio, "weight_gradient_norm": result["weight_gradient_norm"]}


def draw_losses(ax, curves, baseline=None, baseline_label="baseline", xlabel="training step",
                ylabel="loss"):
    """Plot named loss curves: ``curves`` maps a label to (steps, values).

    Returns:
        A dict from each label to its last plotted value.
    """
    for label, (steps, values) in curves.items():
        ax.plot(steps, values, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="black", ls="--", lw=1, label=baseline_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return {label: float(values[-1]) for label, (_, values) in curves.items()}


def draw_gate_drive(ax, forget_gate, input_gate, output_gate, candidate, cell0, steps):
    """Drive an LSTM unit with fixed gate values and plot c_t and h_t for t = 0 ... steps.

    The cell follows equation (2.5), c_t = f c_{t-1} + i g, and the hidden state equation
    (2.6), h_t = o tanh(c_t). With f < 1 the cell settles at i g / (1 - f), drawn dashed.
    """
    cells = np.array([cell_after_steps(cell0, forget_gate, input_gate, candidate, k)
                      for k in range(steps + 1)])
    hiddens = output_gate * np.tanh(cells)
    ax.plot(cells, "o-", color="tab:green", label="cell state c_t")
    ax.plot(hiddens, "s-", color="tab:purple", label="hidden state h_t = o·tanh(c_t)")
    if forget_gate < 1:
        settle = input_gate * candidate / (1 - forget_gate)
        ax.axhline(settle, color="tab:green", ls="--", lw=1,
                   label=f"where c settles: i·g/(1-f) = {settle:.2f}")
    ax.axhline(0.0, color="black", lw=0.5)
    ax.set_xlabel("step t")
    ax.set_ylabel("value")
    ax.set_title(f"f = {forget_gate:.2f}, i = {input_gate:.2f}, g = {candidate:.2f}, "
                 f"o = {output_gate:.2f}")
    ax.legend(loc="best", fontsize=8)
    return {"cells": cells, "hiddens": hiddens}


def draw_gradient_reach(ax, forget_biases, length=100):
    """Gradient reaching back k steps in fresh LSTMs, one curve per forget-gate bias,
    against a fresh tanh RNN (grey), all with torch's default initialisation.

    Returns:
        ``"rnn_ratio"`` and ``"lstm_ratios"`` (a dict from each forget bias to its curve),
        each curve of shape (length,), lags 0 ... length - 1.
    """
    rnn_ratio = _reference_reach("rnn", None, length)
    ax.plot(rnn_ratio, color="gray", lw=1.5, label="tanh RNN")
    lstm_ratios = {}
    for forget_bias in forget_biases:
        lstm_ratios[forget_bias] = gradient_reach("lstm", length=length,
                                                  forget_bias=forget_bias)
        ax.plot(lstm_ratios[forget_bias], lw=2.5 if forget_bias == 1.0 else 1.5,
                label=f"LSTM, forget bias {forget_bias:+g}")
    _format_lag_axis(ax, (1e-20, 1e3), "‖∂h_T/∂x_{T-k}‖, relative to lag 0",
                     "How far back the gradient reaches, before training")
    return {"rnn_ratio": rnn_ratio, "lstm_ratios": lstm_ratios}


def _format_lag_axis(ax, ylim, ylabel, title):
    """The shared look of a gradient-against-lag plot: log scale, a line at 1, labels."""
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost a lot of drawing time
    ax.set_ylim(*ylim)
    ax.set_xlabel("lag k (steps back from the end)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)


def draw_gate_trace(axes, trace, marked, example=0):
    """Heat maps of a trained LSTM's input gate, forget gate and cell state over time.

    Args:
        axes: three matplotlib axes, top to bottom.
        trace: the dict of :func:`seqbook.reference.lstm_forward_trace`.
        marked: the time steps to mark with a dashed line (the marked numbers).
        example: which sequence of the batch to draw.
    """
    rows = [("input_gate", "input gate i_t", "viridis", (0, 1)),
            ("forget_gate", "forget gate f_t", "viridis", (0, 1)),
            ("cell", "cell state c_t", "RdBu_r", None)]
    shown = {}
    for ax, (name, label, colours, limits) in zip(axes, rows):
        values = trace[name][example].T  # (H, T): one row per unit
        if limits is None:
            extent = float(np.abs(values).max()) or 1.0
            limits = (-extent, extent)
        ax.imshow(values, aspect="auto", cmap=colours, vmin=limits[0], vmax=limits[1],
                  interpolation="nearest")
        for step in marked:  # a red tick above the panel, so the data stay visible
            ax.axvline(step, ymin=1.0, ymax=1.12, clip_on=False, color="tab:red", lw=3)
        ax.set_ylabel(f"{label}\nunit", fontsize=8)
        ax.set_yticks([])
        shown[name] = values
    axes[-1].set_xlabel("time step t (red ticks: the two marked numbers)")
    return shown


def draw_gate_by_word(ax, words, gate, title):
    """A heat map of one gate's values (T, H): one column per word, one row per unit."""
    image = ax.imshow(np.asarray(gate).T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(np.arange(len(words)), words, rotation=30, ha="right")
    ax.set_ylabel("unit")
    ax.set_title(title)
    return image


# --- Chapter 4: attention maps and the bottleneck ------------------------------------------

def _token_label(token):
    """How a token is written on an axis: a space as '␣', everything else as it is."""
    return "␣" if token == " " else token


def draw_alignment(ax, weights, source_tokens, output_tokens, step=None, truth=None,
                   words=False, xlabel="source", ylabel="output", write_weights=False):
    """A heat map of attention weights: one row per output token, one column per source token.

    Args:
        weights: array or tensor (L_out, S), row t the weights output token t gave the source.
        source_tokens, output_tokens: the S and L_out tokens (strings of one character, or
            symbols such as ``"<unk>"`` and ``"<eos>"``); a space is drawn as '␣'.
        words: the tokens are words: every label is written in black, level, or slanted
            when there are more than six source words, and the output axis makes room for
            the longest word.
        xlabel, ylabel: what the two axes are called.
        write_weights: write each nonzero weight in its cell.
        step: an output row to outline; its most-attended source position(s) (all positions
            within 1e-6 of the row's maximum) are circled and their labels drawn in red.
        truth: an optional 0/1 matrix of the true alignment, (L, S) with L <= L_out (e.g.
            :func:`seqbook.tasks.dates.alignment`; extra rows or columns are cut off); its ones are
            drawn as small dots.

    Returns:
        A dict: ``"weights"`` (L_out, S) as drawn, ``"argmax"`` (L_out,) the most-attended
        source position of each row, ``"step"`` and ``"attended"`` (the positions circled,
        empty without a step), ``"truth_cells"`` (how many true cells were dotted).
    """
    from matplotlib.patches import Rectangle

    weights = np.asarray(weights.detach() if hasattr(weights, "detach") else weights,
                         dtype=float)
    if weights.ndim != 2 or weights.shape != (len(output_tokens), len(source_tokens)):
        raise ValueError(f"weights of shape {weights.shape} do not match "
                         f"{len(output_tokens)} output and {len(source_tokens)} source tokens")
    rows, columns = weights.shape
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto",
              interpolation="nearest")
    # Labels as plain text, not ticks: a tick costs far more to make and draw, and a date
    # has up to forty characters.
    ax.set_xticks([])
    ax.set_yticks([])
    below, left = ax.get_xaxis_transform(), ax.get_yaxis_transform()
    slanted = words and columns > 6  # many words: slant them so they do not overlap
    if words:
        styles = [{"rotation": 40 if slanted else 0, "color": "black",
                   "ha": "right" if slanted else "center", "rotation_mode": "anchor"}
                  for _ in source_tokens]
        pad = 42 if slanted else 14
        ylabel_pad = 8 + 5.5 * max(len(token) for token in output_tokens)
    else:  # characters: stand a symbol such as <unk> up, in orange
        styles = [{"rotation": 90 if len(token) > 1 else 0, "ha": "center",
                   "color": "tab:orange" if len(token) > 1 else "black"}
                  for token in source_tokens]
        pad = 30 if any(len(token) > 1 for token in source_tokens) else 14
        ylabel_pad = 24 if any(len(t) > 1 for t in output_tokens) else 12
    source_labels = [ax.text(j, -0.02, _token_label(token), transform=below, va="top",
                             fontsize=9, **style)
                     for j, (token, style) in enumerate(zip(source_tokens, styles))]
    output_labels = [ax.text(-0.01, t, _token_label(token), transform=left, ha="right",
                             va="center", fontsize=9)
                     for t, token in enumerate(output_tokens)]
    ax.set_xlabel(f"{xlabel} (darker: more attention)", labelpad=pad)
    ax.set_ylabel(ylabel, labelpad=ylabel_pad)
    argmax = weights.argmax(axis=1) if columns else np.zeros(rows, dtype=int)
    truth_cells = 0
    if truth is not None:
        truth = np.asarray(truth)[:rows, :columns]
        true_rows, true_columns = np.nonzero(truth)
        truth_cells = len(true_rows)
        ax.scatter(true_columns, true_rows, s=10, color="tab:orange", marker="o", zorder=3)
        ax.set_xlabel(f"{xlabel} (darker: more attention; orange dots: the true alignment)",
                      labelpad=pad)
    attended = []
    if step is not None and 0 <= step < rows and columns:
        ax.add_patch(Rectangle(
            (-0.5, step - 0.5), columns, 1.0, fill=False, edgecolor="tab:red", lw=2,
            zorder=4, clip_on=False))
        row = weights[step]
        attended = [int(j) for j in np.flatnonzero(row >= row.max() - 1e-6)]
        ax.scatter(attended, [step] * len(attended), s=70, facecolors="none",
                   edgecolors="tab:red", linewidths=1.5, zorder=5)
        for j in attended:
            source_labels[j].set_color("tab:red")
            source_labels[j].set_fontweight("bold")
        output_labels[step].set_color("tab:red")
    ax.set_xlim(-0.5, columns - 0.5)  # the dots and circles must not widen the map
    ax.set_ylim(rows - 0.5, -0.5)
    if write_weights:
        for t, j in zip(*np.nonzero(weights)):
            ax.text(j, t, f"{weights[t, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if weights[t, j] > 0.5 else "black")
    return {"weights": weights, "argmax": argmax, "step": step, "attended": attended,
            "truth_cells": truth_cells}


def draw_accuracy_by_length(ax, results, xlabel="source length (characters)",
                            ylabel="exact match on the test set", title=None):
    """Accuracy against source length, one line per model, as in Figure 2 of Bahdanau et al.
    (2015) (BLEU against sentence length).

    Args:
        results: a dict from a model's label to ``(lengths, accuracies)``: bucket centres or
            lengths, and the accuracy (0 to 1) of the model at each.

    Returns:
        A dict from each label to its last accuracy drawn (the longest sources).
    """
    markers = "osD^v<>"
    for k, (label, (lengths, accuracies)) in enumerate(results.items()):
        ax.plot(lengths, accuracies, marker=markers[k % len(markers)], label=label,
                clip_on=False)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return {label: float(np.asarray(accuracies)[-1])
            for label, (_, accuracies) in results.items()}


# --- Chapter 2: the gates of a character LSTM along names ---------------------------------

def _symbol_label(symbol, start):
    """How a symbol is written on an axis: the start symbol as '▸', letters as they are."""
    return "▸" if symbol == start else symbol


def draw_gates_along_names(axes, traces, gates=("input_gate", "forget_gate", "output_gate"),
                           mark=None, start="."):
    """Heat maps of a character LSTM's gates along a few names, read one after another.

    Each name is its own run from zero states; its columns follow the previous name's,
    after a thin white gap. One row per unit, one column per symbol read (the start symbol,
    drawn as '▸', then the letters), colour from 0 (dark) to 1 (yellow).

    Args:
        axes: one matplotlib axis per gate, top to bottom.
        traces: dicts of :func:`seqbook.models.language.char_gate_trace`, one per name.
        gates: the entries of the traces to draw, one per axis.
        mark: ``(gate, unit)`` or None: a red frame around that unit's row, labelled.
        start: the start symbol, drawn as '▸'.

    Returns:
        A dict: ``"labels"``, the symbols under the columns ('' in the gaps), and for each
        gate the array drawn, (H, columns), with NaN in the gaps.
    """
    H = traces[0][gates[0]].shape[1]
    labels, blocks = [], {gate: [] for gate in gates}
    for k, trace in enumerate(traces):
        if k > 0:  # a gap between two names
            labels.append("")
            for gate in gates:
                blocks[gate].append(np.full((1, H), np.nan))
        labels += [_symbol_label(symbol, start) for symbol in trace["symbols"]]
        for gate in gates:
            blocks[gate].append(trace[gate])
    shown = {"labels": labels}
    for ax, gate in zip(axes, gates):
        values = np.concatenate(blocks[gate]).T  # (H, columns)
        image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                          interpolation="nearest")
        ax.set_ylabel(f"{gate.replace('_', ' ')}\nunit", fontsize=8)
        ax.set_yticks([])
        ax.set_xticks(np.arange(len(labels)), labels, fontsize=8)
        if mark is not None and mark[0] == gate:
            ax.add_patch(Rectangle((-0.5, mark[1] - 0.5), len(labels), 1.0, fill=False,
                                   edgecolor="tab:red", linewidth=1.0))
            ax.set_yticks([mark[1]], [f"unit {mark[1]}"], color="tab:red", fontsize=8)
        shown[gate] = values
    axes[0].figure.colorbar(image, ax=list(axes), fraction=0.03, pad=0.02)
    return shown


def draw_gate_by_symbol(ax, symbols, values, highlight=(), title=None):
    """Bars: one unit's mean gate value for each symbol read, sorted from low to high.

    Args:
        symbols: the symbols (e.g. letters), one per value.
        values: the unit's mean gate value on each symbol.
        highlight: symbols to draw in red (e.g. the vowels); the others are grey.

    Returns:
        A dict: ``"symbols"`` and ``"values"`` in the order drawn (ascending).
    """
    order = np.argsort(values, kind="stable")
    drawn = [symbols[k] for k in order]
    heights = np.asarray(values)[order]
    colours = ["tab:red" if symbol in highlight else "0.6" for symbol in drawn]
    ax.bar(np.arange(len(drawn)), heights, color=colours)
    ax.set_xticks(np.arange(len(drawn)), drawn)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean gate value")
    if title is not None:
        ax.set_title(title)
    return {"symbols": drawn, "values": heights}


# The reading's two illustrations of attention: hand-made weights, not a trained model.
# Each row is one output word (or, for the sentence, the word being read) and sums to one.
_ILLUSTRATIONS = {
    "translation": {
        "title": "How are you → aap kaise ho",
        "source_tokens": ["how", "are", "you"],
        "output_tokens": ["aap", "kaise", "ho"],
        "xlabel": "English source",
        "ylabel": "Hindi output",
        "weights": [[0.05, 0.05, 0.90],    # aap, "you": the last English word
                    [0.85, 0.10, 0.05],    # kaise, "how"
                    [0.10, 0.80, 0.10]],   # ho, "are"
    },
    "long_range": {
        "title": "Who met a friend?",
        "source_tokens": ["tom", "jogged", "along", "the", "river", "to", "the", "old",
                          "bridge", "where", "he", "met", "a", "friend"],
        "output_tokens": ["jogged", "bridge", "he", "met", "friend"],
        "xlabel": "the same sentence, up to the word being read",
        "ylabel": "word being read",
        # A word looks only at itself and the words before it (zero after it).
        "weights": [[0.70, 0.30] + [0.0] * 12,                              # jogged: who?
                    [0.0, 0.45, 0.0, 0.0, 0.0, 0.15, 0.0, 0.10, 0.30] + [0.0] * 5,  # bridge
                    [0.85] + [0.0] * 9 + [0.15, 0.0, 0.0, 0.0],            # he: tom
                    [0.55] + [0.0] * 9 + [0.30, 0.15, 0.0, 0.0],           # met: who met?
                    [0.0] * 11 + [0.60, 0.15, 0.25]],                       # friend: met
    },
}


def illustrative_alignment(name):
    """The hand-made attention weights of one of the reading's illustrations.

    Args:
        name: ``"translation"`` (*how are you* into Hindi, *aap kaise ho*) or
            ``"long_range"`` (a sentence whose *he* and *met* point back to *Tom*).

    Returns:
        A dict: ``"weights"`` (L_out, S) with rows that sum to one, ``"source_tokens"``,
        ``"output_tokens"``, ``"title"``, ``"xlabel"`` and ``"ylabel"``. The numbers are
        chosen by hand to show what a heat map means; no model computed them.
    """
    example = dict(_ILLUSTRATIONS[name])
    example["weights"] = np.array(example["weights"], dtype=float)
    return example


def draw_illustrative_alignment(ax, name):
    """Draw one of :func:`illustrative_alignment`'s examples with :func:`draw_alignment`
    (word labels, each weight written in its cell), titled as an illustration.

    Returns:
        What :func:`draw_alignment` returns, with ``"title"`` (the title drawn) and
        ``"source_tokens"`` and ``"output_tokens"``.
    """
    example = illustrative_alignment(name)
    drawn = draw_alignment(ax, example["weights"], example["source_tokens"],
                           example["output_tokens"], words=True, xlabel=example["xlabel"],
                           ylabel=example["ylabel"], write_weights=True)
    title = f"{example['title']}\nan illustration: hand-made weights, not a trained model"
    ax.set_title(title, fontsize=9)
    return {**drawn, "title": title, "source_tokens": example["source_tokens"],
            "output_tokens": example["output_tokens"]}
