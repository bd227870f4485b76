"""Tests for the reading's hand-made attention illustrations (seqbook.views.plots) and the
figures tools/book_figures.py draws from them into book/figures/."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqbook.views import plots
from tests.conftest import ROOT, load_module

matplotlib.use("Agg")



def _book_figures():
    return load_module(ROOT / "tools" / "book_figures.py")


@pytest.fixture
def ax():
    figure, axis = plt.subplots()
    yield axis
    plt.close(figure)


@pytest.mark.parametrize("name", ["translation", "long_range"])
def test_illustration_weights_are_attention_weights(name):
    example = plots.illustrative_alignment(name)
    weights = example["weights"]
    assert weights.shape == (len(example["output_tokens"]), len(example["source_tokens"]))
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)


def test_illustration_is_a_fresh_copy():
    plots.illustrative_alignment("translation")["weights"][0, 0] = 99.0
    assert plots.illustrative_alignment("translation")["weights"][0, 0] == 0.05


def test_translation_illustration_reorders():
    example = plots.illustrative_alignment("translation")
    top = [example["source_tokens"][j] for j in example["weights"].argmax(axis=1)]
    assert dict(zip(example["output_tokens"], top)) == {"aap": "you", "kaise": "how",
                                                        "ho": "are"}


def test_long_range_illustration_looks_back_to_tom():
    example = plots.illustrative_alignment("long_range")
    words, weights = example["source_tokens"], example["weights"]
    for t, word in enumerate(example["output_tokens"]):
        position = words.index(word)
        assert np.all(weights[t, position + 1:] == 0), f"{word} looks ahead"
    for word in ("he", "met"):
        row = weights[example["output_tokens"].index(word)]
        assert words[row.argmax()] == "tom"
        assert words.index(word) - words.index("tom") >= 10  # a long way back


@pytest.mark.parametrize("name", ["translation", "long_range"])
def test_draw_illustrative_alignment_says_it_is_an_illustration(ax, name):
    drawn = plots.draw_illustrative_alignment(ax, name)
    assert "hand-made" in ax.get_title() and "not a trained model" in ax.get_title()
    np.testing.assert_array_equal(drawn["weights"], plots.illustrative_alignment(name)["weights"])
    labels = [text.get_text() for text in ax.texts]
    assert labels[:len(drawn["source_tokens"])] == drawn["source_tokens"]
    assert all(text.get_color() == "black" for text in ax.texts[:len(drawn["source_tokens"])])
    written = {text.get_text() for text in ax.texts[len(drawn["source_tokens"])
                                                     + len(drawn["output_tokens"]):]}
    assert written == {f"{w:.2f}" for w in drawn["weights"][drawn["weights"] > 0]}


def test_committed_figures_are_what_the_code_draws():
    book_figures = _book_figures()
    for name in book_figures.FIGURES:
        path = ROOT / "book" / "figures" / name
        assert path.exists(), f"book/figures/{name} is missing: run tools/book_figures.py"
        assert path.read_text() == book_figures.draw(name), (
            f"book/figures/{name} differs from its code: run tools/book_figures.py")
