"""Tests for Chapter 4's attention plots and the alignment explorer, on a tiny untrained model:
what the explorer hands the browser, and (slow, in Debian's headless Chromium) what it does
there as a reader moves its controls.

The model's output bias for EOS is pushed far down, so every translation runs to the
explorer's ``max_length`` (the source length + 10 by default): the lengths are then known.
"""

import datetime

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


# --- the explorer: what Python hands the browser -----------------------------------------


def test_repr_controls_and_config(explorer, model):
    assert repr(explorer) == f"<{TITLE}: move example, step, source>"
    assert explorer.kind == "alignment" and explorer.scripts == ["attention.js"]
    config = explorer.config
    assert config["examples"] == EXAMPLES
    assert config["source"] == EXAMPLES[0] and config["step"] == 0  # the first example
    assert config["normalise"] is True and config["max_length"] is None
    assert set(config["model"]["decoder"]) >= {"W", "U", "v", "cell", "init_weight"}
    assert set(config["model"]["encoder"]) == {"embedding", "forward", "backward"}


def test_true_alignments_travel_for_the_examples(explorer):
    truth = explorer.config["truth"]
    assert sorted(truth) == sorted(EXAMPLES)
    for source in EXAMPLES:
        np.testing.assert_array_equal(truth[source], true_alignment(source))
        assert np.asarray(truth[source]).shape == (10, len(source))


def test_shown_is_torchs_translation_of_the_starting_source(explorer, model, vocabularies):
    expected = seq2seq.translate(model, *vocabularies, EXAMPLES[0])
    shown = explorer.shown
    assert shown["source"] == EXAMPLES[0] and shown["step"] == 0
    assert shown["output_tokens"] == expected["output_tokens"]
    assert shown["translation"] == expected["translation"]
    np.testing.assert_array_equal(shown["weights"], expected["weights"])
    steps = len(EXAMPLES[0]) + 10  # EOS is pushed down: the translation runs to max_length
    assert shown["weights"].shape == (steps, len(EXAMPLES[0]))


def test_a_typed_starting_source_is_normalised(model, vocabularies):
    explorer = explorers.alignment_explorer(model, *vocabularies, EXAMPLES,
                                            source="  Vasárnap, NOV. 22 ", step=30,
                                            normalise=dates.normalise, truth=true_alignment)
    assert explorer.config["source"] == explorer.shown["source"] == "vasarnap, nov. 22"
    assert "<unk>" not in explorer.shown["source_tokens"]
    assert explorer.shown["step"] == len("vasarnap, nov. 22") + 9  # clamped to the last
    assert "vasarnap, nov. 22" not in explorer.config["truth"]  # truth knows nothing of it


def test_no_examples_and_nothing_typed_does_not_raise(model, vocabularies):
    explorer = explorers.alignment_explorer(model, *vocabularies, [])
    assert explorer.config["source"] == "" and explorer.shown["translation"] == ""
    assert explorer.shown["weights"] is None


def test_a_plain_model_is_carried_without_attention(vocabularies):
    torch.manual_seed(0)
    plain = seq2seq.make_model("plain", len(vocabularies[0]), len(vocabularies[1]),
                               embed_size=8, hidden_size=8, bidirectional=False)
    explorer = explorers.alignment_explorer(plain, *vocabularies, EXAMPLES)
    decoder = explorer.config["model"]["decoder"]
    assert decoder["kind"] == "plain" and not {"W", "U", "v"} & set(decoder)
    assert set(explorer.config["model"]["encoder"]) == {"embedding", "forward"}
    assert repr(explorer).startswith("<What the plain decoder writes")
    assert explorer.shown["weights"] is None
    assert isinstance(explorer.shown["translation"], str)


def test_bad_arguments_are_named(model, vocabularies):
    with pytest.raises(ValueError, match="normalise must be None or"):
        explorers.alignment_explorer(model, *vocabularies, EXAMPLES, normalise=str.lower)
    with pytest.raises(ValueError, match="step must be at least 0"):
        explorers.alignment_explorer(model, *vocabularies, EXAMPLES, step=-1)


def test_weights_are_zero_on_padding_in_a_batch(model, vocabularies):
    """The explorer translates one source at a time; torch's batches pad, and there the
    weights beyond each source's length are exactly zero."""
    source_vocab, _ = vocabularies
    src_ids, src_lengths = source_vocab.encode_batch(EXAMPLES)
    _, weights = model.greedy(src_ids, src_lengths, max_length=6)
    for row, length in enumerate(src_lengths.tolist()):
        assert torch.all(weights[row, :, length:] == 0)
        torch.testing.assert_close(weights[row].sum(-1), torch.ones(weights.shape[1]))


def test_the_labs_size_output_stays_small(vocabularies):
    torch.manual_seed(0)
    full = seq2seq.make_model("attention", len(vocabularies[0]), len(vocabularies[1]))
    html = explorers.alignment_explorer(full, *vocabularies, EXAMPLES)._repr_html_()
    assert 200_000 < len(html) < 700_000  # about 100,000 float32 weights, base64


# --- the explorer in the browser ----------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from tests import book_browser

    with book_browser.chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def shown_after(visit, name, value):
    from tests.views.test_live import SET_VALUE

    return visit.page.evaluate(SET_VALUE, [name, value])


@pytest.mark.slow
def test_the_control_moved_last_wins(browser, tmp_path, explorer, model, vocabularies):
    from tests.views.test_live import SHOWN, open_alone

    visit = open_alone(browser, explorer, tmp_path)
    page = visit.page
    start = page.evaluate(SHOWN)
    box = page.locator("input[name=source]")
    select = page.locator("select[name=example]")
    assert box.input_value() == EXAMPLES[0] and select.input_value() == EXAMPLES[0]
    chosen = shown_after(visit, "example", EXAMPLES[2])  # the drop-down fills the box
    box_after_choosing = box.input_value()
    typed = shown_after(visit, "source", "  Nov. 22, QX ")  # the box wins, normalised
    select_after_typing = select.input_value()
    again = shown_after(visit, "example", EXAMPLES[1])  # and the drop-down wins again
    retyped = shown_after(visit, "source", EXAMPLES[2].upper())  # an example, typed
    select_after_retyping = select.input_value()
    empty = shown_after(visit, "source", "   ")
    message = page.locator(".seqbook-figure").inner_text()
    visit.close()
    assert start["source"] == EXAMPLES[0]
    assert start["output_tokens"] == explorer.shown["output_tokens"]
    np.testing.assert_allclose(start["weights"], explorer.shown["weights"], atol=1e-5)
    assert chosen["source"] == box_after_choosing == EXAMPLES[2]
    assert typed["source"] == "nov. 22, qx" and select_after_typing == ""
    expected = seq2seq.translate(model, *vocabularies, "nov. 22, qx")
    assert typed["output_tokens"] == expected["output_tokens"]
    assert typed["source_tokens"] == expected["source_tokens"]
    assert typed["unknown"] == ["q", "x"]  # characters the model never saw, marked
    assert again["source"] == EXAMPLES[1]
    assert retyped["source"] == EXAMPLES[2] and select_after_retyping == EXAMPLES[2]
    assert empty["source"] == "" and "Choose an example or type a source" in message
    assert not visit.problems, visit.problems


@pytest.mark.slow
def test_the_step_follows_the_translation_and_moves_the_highlight(browser, tmp_path,
                                                                  explorer):
    from tests.views.test_live import open_alone

    visit = open_alone(browser, explorer, tmp_path)
    page = visit.page
    slider = page.locator("input[name=step]")
    long = shown_after(visit, "example", EXAMPLES[1])
    longest_step = slider.get_attribute("max")
    far = shown_after(visit, "step", 30)
    caption = page.locator(".seqbook-figure .seqbook-caption").first.inner_text()
    highlight = page.locator("svg rect[stroke='#d62728']").get_attribute("y")
    near = shown_after(visit, "step", 3)
    highlight_near = page.locator("svg rect[stroke='#d62728']").get_attribute("y")
    shown_after(visit, "step", 30)
    short = shown_after(visit, "example", EXAMPLES[0])  # fewer steps: the step is clamped
    dots = page.locator("svg circle").count()
    visit.close()
    steps = len(EXAMPLES[1]) + 10
    assert int(longest_step) == steps - 1 == len(long["output_tokens"]) - 1
    assert far["step"] == 30 and near["step"] == 3 and highlight != highlight_near
    weights = np.array(far["weights"])
    assert far["attended"] == [int(weights[30].argmax())]
    assert near["attended"] == [int(weights[3].argmax())]
    assert f"Output step 30, '{far['output_tokens'][30]}'" in caption
    assert short["step"] == len(EXAMPLES[0]) + 9
    assert short["truth_cells"] == dots == int(true_alignment(EXAMPLES[0]).sum()) > 0
    np.testing.assert_allclose(np.array(far["candidates"])[:, 1].astype(float),
                               np.sort(far["probabilities"][30])[::-1][:5], rtol=1e-12)
    assert not visit.problems, visit.problems


@pytest.mark.slow
def test_the_plain_model_shows_candidates_at_each_step(browser, tmp_path, vocabularies):
    from tests.views.test_live import SHOWN, open_alone

    torch.manual_seed(0)
    plain = seq2seq.make_model("plain", len(vocabularies[0]), len(vocabularies[1]),
                               embed_size=8, hidden_size=8)
    with torch.no_grad():
        plain.decoder.out.bias[EOS] = -50.0
    visit = open_alone(browser, explorers.alignment_explorer(plain, *vocabularies, EXAMPLES),
                       tmp_path)
    first = visit.page.evaluate(SHOWN)
    bars_first = visit.page.locator("svg rect").count()
    later = shown_after(visit, "step", 5)
    text = visit.page.locator(".seqbook-figure").inner_text()
    visit.close()
    assert first["weights"] is None and "attended" not in first
    assert bars_first >= 5  # five candidate bars, not a blank figure
    assert later["step"] == 5 and later["candidates"] != first["candidates"]
    assert later["candidates"][0][0] == later["output_tokens"][5]  # greedy: the best one
    assert "top 5 candidates" in text and "no attention" in text
    assert not visit.problems, visit.problems


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
