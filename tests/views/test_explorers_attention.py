"""Tests for Chapter 4's attention plots and the alignment explorer, on a tiny untrained model.

The model's output bias for EOS is pushed far down, so every translation runs to the
explorer's ``max_length`` (the source length + 10 by default): the lengths are then known.
"""

import datetime
import time

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from seqbook.models import seq2seq
from seqbook.tasks import dates
from seqbook.tasks.vocabulary import EOS, SEQUENCE_SYMBOLS, Vocabulary
from seqbook.views import explorers, plots

matplotlib.use("Agg")

DATE = datetime.date(2026, 11, 22)
EXAMPLES = [dates.render(DATE, locale, format)[0] for locale, format in
            (("en_US", "short"), ("en_US", "full"), ("hu_HU", "full"))]
# '22/11/26', 'sunday, november 22, 2026', '2026. november 22., vasarnap'
TITLE = "Where the decoder looks"


def true_alignment(source):
    """The true alignment of the three examples, None for anything else."""
    for locale, format in (("en_US", "short"), ("en_US", "full"), ("hu_HU", "full")):
        text, fields = dates.render(DATE, locale, format)
        if text == source:
            return dates.alignment(fields)
    return None


@pytest.fixture(scope="module")
def vocabularies():
    return (Vocabulary(EXAMPLES, reserved=SEQUENCE_SYMBOLS),
            Vocabulary(["0123456789-"], reserved=SEQUENCE_SYMBOLS))


@pytest.fixture(scope="module")
def model(vocabularies):
    source_vocab, target_vocab = vocabularies
    torch.manual_seed(0)
    model = seq2seq.make_model("attention", len(source_vocab), len(target_vocab),
                               embed_size=8, hidden_size=8, attention_size=8)
    with torch.no_grad():
        model.decoder.out.bias[EOS] = -50.0  # never stop early: lengths are predictable
    return model


@pytest.fixture
def explorer(model, vocabularies):
    return explorers.alignment_explorer(model, *vocabularies, EXAMPLES,
                                      normalise=dates.normalise, truth=true_alignment)


@pytest.fixture
def ax():
    figure, axis = plt.subplots(figsize=(6, 4))
    yield axis
    plt.close(figure)


# --- the explorer -----------------------------------------------------------------------


def test_repr_controls_and_layout(explorer):
    text = f"<{TITLE}: move example, typed, step>"
    assert repr(explorer) == text
    assert set(explorer.controls) == {"example", "typed", "step"}
    assert explorer.controls["typed"].continuous_update is False
    assert list(explorer.controls["example"].options) == EXAMPLES
    assert len(explorer.widget.children) == 3  # title, one row of three controls, image
    explorer.controls["example"].value = EXAMPLES[1]
    assert repr(explorer) == text


def test_first_example_is_translated(explorer, vocabularies):
    shown = explorer.shown
    source = EXAMPLES[0]
    assert shown["source"] == source
    assert shown["source_tokens"] == list(source)
    steps = len(source) + 10
    assert shown["weights"].shape == (steps, len(source))
    assert len(shown["output_tokens"]) == steps
    assert shown["translation"] == "".join(shown["output_tokens"])
    assert isinstance(shown["translation"], str) and len(shown["translation"]) == steps
    np.testing.assert_array_equal(shown["argmax"], shown["weights"].argmax(axis=1))
    assert shown["step"] == 0
    assert shown["attended"] == [int(shown["argmax"][0])]


def test_choosing_another_example_changes_what_is_shown(explorer):
    before, image = explorer.shown, explorer.image.value
    explorer.controls["example"].value = EXAMPLES[2]
    shown = explorer.shown
    assert shown["source"] == EXAMPLES[2]
    assert shown["weights"].shape == (len(EXAMPLES[2]) + 10, len(EXAMPLES[2]))
    assert shown["weights"].shape != before["weights"].shape
    assert shown["translation"] != before["translation"]
    assert explorer.image.value != image


def test_weights_are_distributions_over_the_real_source(explorer, model, vocabularies):
    for example in EXAMPLES:
        explorer.controls["example"].value = example
        weights = explorer.shown["weights"]
        assert weights.shape[1] == len(example)  # one column per source character, no padding
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
        assert np.all(weights >= 0)
    # in a padded batch the weights beyond each source's length are exactly zero
    source_vocab, _ = vocabularies
    src_ids, src_lengths = source_vocab.encode_batch(EXAMPLES)
    _, weights = model.greedy(src_ids, src_lengths, max_length=6)
    for row, length in enumerate(src_lengths.tolist()):
        assert torch.all(weights[row, :, length:] == 0)
        torch.testing.assert_close(weights[row].sum(-1), torch.ones(weights.shape[1]))


def test_typed_source_is_normalised_and_used(explorer):
    explorer.controls["typed"].value = "  Nov. 22, 2026 "
    shown = explorer.shown
    assert shown["source"] == "nov. 22, 2026"
    assert shown["weights"].shape == (len("nov. 22, 2026") + 10, len("nov. 22, 2026"))
    explorer.controls["typed"].value = "Vasárnap"  # the accent is stripped, all known letters
    assert explorer.shown["source"] == "vasarnap"
    assert "<unk>" not in explorer.shown["source_tokens"]


def test_unknown_characters_are_shown_as_unk(explorer):
    explorer.controls["typed"].value = "qx 22"  # no q or x in the examples
    shown = explorer.shown
    assert shown["source"] == "qx 22"
    assert shown["source_tokens"] == ["<unk>", "<unk>", " ", "2", "2"]
    assert shown["weights"].shape == (15, 5)


def test_empty_input_uses_the_dropdown(explorer):
    explorer.controls["example"].value = EXAMPLES[1]
    explorer.controls["typed"].value = "22/11/26"
    assert explorer.shown["source"] == "22/11/26"
    for empty in ("", "   ", "\t"):
        explorer.controls["typed"].value = empty
        assert explorer.shown["source"] == EXAMPLES[1]


def test_no_examples_and_nothing_typed_does_not_raise(model, vocabularies):
    explorer = explorers.alignment_explorer(model, *vocabularies, [])
    assert explorer.shown["source"] == "" and explorer.shown["translation"] == ""
    explorer.controls["typed"].value = "22/11/26"
    assert explorer.shown["weights"].shape == (18, 8)
    explorer.controls["typed"].value = " "
    assert explorer.shown["weights"] is None


def test_step_slider_follows_the_translation_length(explorer):
    slider = explorer.controls["step"]
    explorer.controls["example"].value = EXAMPLES[1]
    assert slider.max == len(explorer.shown["output_tokens"]) - 1 == len(EXAMPLES[1]) + 9
    slider.value = 30
    assert explorer.shown["step"] == 30
    explorer.controls["example"].value = EXAMPLES[0]  # 18 output steps: the step is clamped
    assert slider.max == 17
    assert slider.value == 17 and explorer.shown["step"] == 17


def test_step_slider_max_follows_max_length(model, vocabularies):
    explorer = explorers.alignment_explorer(model, *vocabularies, EXAMPLES, step=8,
                                          max_length=5)
    assert explorer.controls["step"].max == 4
    assert explorer.shown["step"] == 4 and explorer.controls["step"].value == 4
    assert explorer.shown["weights"].shape == (5, len(EXAMPLES[0]))


def test_moving_the_step_moves_the_highlight(explorer):
    explorer.controls["example"].value = EXAMPLES[1]
    weights = explorer.shown["weights"]
    images = {bytes(explorer.image.value)}  # step 0
    for step in (3, 12, 0):
        explorer.controls["step"].value = step
        assert explorer.shown["step"] == step
        assert explorer.shown["attended"] == [int(weights[step].argmax())]
        np.testing.assert_array_equal(explorer.shown["weights"], weights)  # same translation
        images.add(bytes(explorer.image.value))
    assert len(images) == 3  # each step draws its own picture


def test_true_alignment_is_overlaid_when_known(explorer):
    explorer.controls["example"].value = EXAMPLES[1]
    expected = int(true_alignment(EXAMPLES[1]).sum())
    assert expected > 0
    assert explorer.shown["truth_cells"] == expected
    explorer.controls["typed"].value = "nov. 22, 2026"  # truth knows nothing of it
    assert explorer.shown["truth_cells"] == 0


def test_a_plain_model_shows_its_translation_without_weights(vocabularies):
    torch.manual_seed(0)
    plain = seq2seq.make_model("plain", len(vocabularies[0]), len(vocabularies[1]),
                               embed_size=8, hidden_size=8)
    explorer = explorers.alignment_explorer(plain, *vocabularies, EXAMPLES)
    assert explorer.shown["weights"] is None and explorer.shown["argmax"] is None
    assert isinstance(explorer.shown["translation"], str)


def test_a_redraw_is_quick(explorer):
    times = []
    for example in (EXAMPLES[2], EXAMPLES[1]):
        start = time.perf_counter()
        explorer.controls["example"].value = example
        times.append(time.perf_counter() - start)
    for step in (5, 6):
        start = time.perf_counter()
        explorer.controls["step"].value = step
        times.append(time.perf_counter() - start)
    assert min(times[:2]) < 1.0 and min(times[2:]) < 1.0  # the best of two


def test_redraws_close_their_figures(explorer):
    open_before = len(plt.get_fignums())
    for step in (1, 2, 3):
        explorer.controls["step"].value = step
    assert len(plt.get_fignums()) == open_before


# --- the plots --------------------------------------------------------------------------


def test_draw_alignment_shows_reordering(ax):
    """An anti-diagonal map, as for a reversed source: output t looks at source S-1-t."""
    source, output = list("abc de"), list("ed cba")
    weights = np.eye(6)[::-1] * 0.9 + 0.1 / 6
    shown = plots.draw_alignment(ax, weights, source, output, step=1)
    np.testing.assert_array_equal(shown["argmax"], [5, 4, 3, 2, 1, 0])
    assert shown["attended"] == [4] and shown["step"] == 1
    np.testing.assert_array_equal(shown["weights"], weights)
    labels = [text.get_text() for text in ax.texts]
    assert labels.count("␣") == 2  # the space, once on each axis, drawn visibly
    assert [text.get_color() for text in ax.texts if text.get_text() == "d"][0] == "tab:red"
    assert ax.get_xlim() == (-0.5, 5.5) and ax.get_ylim() == (5.5, -0.5)
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(image, weights)


def test_draw_alignment_marks_ties_and_the_truth(ax):
    weights = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    truth = np.array([[1, 1, 0]])  # fewer rows than the output, as dates.alignment (10 rows)
    shown = plots.draw_alignment(ax, weights, list("abc"), ["1", "<eos>"], step=0,
                                 truth=truth)
    assert shown["attended"] == [0, 1]
    assert shown["truth_cells"] == 2
    no_step = plots.draw_alignment(ax, weights, list("abc"), ["1", "<eos>"])
    assert no_step["attended"] == [] and no_step["truth_cells"] == 0
    with pytest.raises(ValueError, match="do not match"):
        plots.draw_alignment(ax, weights, list("ab"), ["1", "<eos>"])


def test_draw_accuracy_by_length(ax):
    results = {"plain encoder-decoder": ([5, 15, 25, 35], [0.9, 0.6, 0.3, 0.1]),
               "attention": ([5, 15, 25, 35], [0.95, 0.94, 0.93, 0.9])}
    shown = plots.draw_accuracy_by_length(ax, results)
    assert shown == {"plain encoder-decoder": 0.1, "attention": 0.9}
    assert ax.get_ylim() == (0.0, 1.0)
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [0.95, 0.94, 0.93, 0.9])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(results)
    assert ax.get_lines()[0].get_marker() != "None"
