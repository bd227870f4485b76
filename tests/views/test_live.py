"""Live explorers: each computes and redraws in the browser, with no kernel.

Every explorer of ``LIVE`` is written alone into an HTML page, opened from disk in
Debian's headless Chromium (no network), and each of its controls is moved: it must
redraw once, change what it draws, within 100 ms, with no console error. What it drew
(``root.seqbookShown``) is compared with the numpy reference where it is a number.
The committed notebooks' explorer outputs must carry today's JavaScript.
"""

import json
import re

import numpy as np
import pytest

from seqbook import reference
from seqbook.views import explorers, live
from tests import book_browser
from tests.conftest import ROOT


# Each explorer the labs show, made as a lab makes it (small models where one is needed).
def small_review_models():
    """Four small review classifiers on a tiny vocabulary, seeded, untrained: fast to make."""
    import torch

    from seqbook.models import sentiment
    from seqbook.tasks import reviews

    vocab = reviews.vocabulary(["the plot was not bad", "the acting was good but dull"])
    classifiers = {}
    for kind in ("bow", "rnn", "lstm", "gru"):
        torch.manual_seed(0)
        classifiers[kind] = sentiment.make_model(kind, len(vocab), 8, 8)
    return classifiers, vocab


LIVE = {
    "squashing": lambda: explorers.squashing_explorer(factor=3.0, steps=12, squash=True),
    "gradient": lambda: explorers.gradient_explorer(scale=1.0, clip=False, threshold=1.0),
    "gru_unit": lambda: explorers.gru_unit_explorer(update_gate=0.9, reset_gate=1.0,
                                                    input_drive=-1.0),
    "parameters": lambda: explorers.parameter_explorer(input_size=10, hidden_size=32),
    "sentiment": lambda: explorers.sentiment_explorer(*small_review_models(),
                                                      sentence="the plot was not bad"),
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with book_browser.chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def open_alone(browser, explorer, folder):
    """Write ``explorer`` alone into a page under ``folder``, open it from disk; return
    the visit (its ``problems`` collect console errors and outside requests)."""
    page_file = folder / f"{explorer.kind}.html"
    page_file.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head>"
                         f"<body>{explorer._repr_html_()}</body></html>", encoding="utf-8")
    base = folder.as_uri() + "/"
    visit = book_browser.PageVisit(browser, base, explorer.kind)
    return visit.open()


def moved_controls(visit):
    root = visit.page.locator(".seqbook-explorer").first
    return root.evaluate(book_browser.MOVE_EVERY_CONTROL)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(LIVE))
def test_every_control_redraws_quickly_in_the_browser(kind, browser, tmp_path):
    visit = open_alone(browser, LIVE[kind](), tmp_path)
    root = visit.page.locator(".seqbook-explorer").first
    assert root.get_attribute("data-mounted") == "yes"
    assert root.get_attribute("data-redraws") == "1"
    moves = moved_controls(visit)
    visit.close()
    assert moves, "the explorer has no controls"
    for moved in moves:
        assert moved["redraws"] == 1, moved
        assert moved["changed"], moved
        assert moved["ms"] < 100, moved
    assert not visit.problems, visit.problems


@pytest.mark.slow
def test_squashing_draws_the_reference_values(browser, tmp_path):
    visit = open_alone(browser, explorers.squashing_explorer(factor=2.5, steps=7,
                                                             squash=False), tmp_path)
    shown = visit.page.evaluate("() => document.querySelector('.seqbook-explorer').seqbookShown")
    visit.page.locator("input[name=squash]").check()
    squashed = visit.page.evaluate(
        "() => document.querySelector('.seqbook-explorer').seqbookShown")
    visit.close()
    np.testing.assert_allclose(shown["values"], reference.repeated_multiply(2.5, 7, False),
                               rtol=1e-12)
    np.testing.assert_allclose(squashed["values"], reference.repeated_multiply(2.5, 7, True),
                               rtol=1e-12)
    assert not visit.problems, visit.problems


SHOWN = "() => document.querySelector('.seqbook-explorer').seqbookShown"
SET_VALUE = """([name, value]) => {
    const input = document.querySelector(`[name="${name}"]`);
    if (input.type === 'checkbox') input.checked = value; else input.value = String(value);
    input.dispatchEvent(new Event(input.type === 'text' ? 'change' : 'input', {bubbles: true}));
    return document.querySelector('.seqbook-explorer').seqbookShown;
}"""


@pytest.mark.slow
def test_gradient_draws_the_reference_curves(browser, tmp_path):
    visit = open_alone(browser, explorers.gradient_explorer(scale=1.0), tmp_path)
    page = visit.page
    first = page.evaluate(SHOWN)
    label = page.evaluate("""() => {
        const label = document.querySelector('label[for="' +
            document.querySelector('[name=scale]').id + '"]');
        return {text: label.textContent, cut: label.scrollWidth > label.clientWidth,
                width: label.getBoundingClientRect().width};
    }""")
    faint_at_one = page.locator("polyline[stroke='#7f7f7f']").count()
    exploded = page.evaluate(SET_VALUE, ["scale", 2.0])
    faint_at_two = page.locator("polyline[stroke='#7f7f7f']").count()
    page.evaluate(SET_VALUE, ["threshold", 0])  # the log slider's position: 10 ** 0 = 1
    clipped = page.evaluate(SET_VALUE, ["clip", True])
    visit.close()
    for scale, shown in ((1.0, first), (2.0, exploded)):
        expected = reference.gradient_norm_by_lag(scale, steps=50)
        np.testing.assert_allclose(shown["ratio"], expected["ratio"], rtol=1e-9)
        assert shown["weight_gradient_norm"] == pytest.approx(
            expected["weight_gradient_norm"], rel=1e-9)
    assert first["after"] == first["before"]  # no clipping yet
    assert clipped["before"] > 1000 and clipped["after"] == pytest.approx(1.0)
    assert label["text"] == "scale of W_hh" and not label["cut"] and label["width"] > 60
    assert (faint_at_one, faint_at_two) == (2, 1)  # 0.9 and 2.0; 2.0 is the curve itself
    assert not visit.problems, visit.problems


@pytest.mark.slow
def test_gru_unit_and_parameters_draw_the_reference(browser, tmp_path):
    import torch

    visit = open_alone(browser, explorers.gru_unit_explorer(0.9, 1.0, -1.0), tmp_path)
    start = visit.page.evaluate(SHOWN)
    held = visit.page.evaluate(SET_VALUE, ["update_gate", 1.0])
    visit.close()
    hiddens, candidates = reference.gru_unit_trajectory(0.9, 1.0, -1.0, 15)
    np.testing.assert_allclose(start["hiddens"], hiddens, rtol=1e-12)
    np.testing.assert_allclose(start["candidates"][1:], candidates[1:], rtol=1e-12)
    np.testing.assert_allclose(held["hiddens"], 0.8, rtol=1e-12)  # z = 1 keeps h_0
    assert not visit.problems, visit.problems

    visit = open_alone(browser, explorers.parameter_explorer(10, 32), tmp_path)
    counts = [visit.page.evaluate(SHOWN)]
    visit.page.evaluate(SET_VALUE, ["input_size", 300])
    counts.append(visit.page.evaluate(SET_VALUE, ["hidden_size", 64]))
    bar_labels = visit.page.locator("svg text").all_text_contents()
    visit.close()
    modules = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    for (D, H), shown in zip(((10, 32), (300, 64)), counts, strict=True):
        assert shown == {name: sum(p.numel() for p in module(D, H).parameters())
                         for name, module in modules.items()}
    assert f"{counts[1]['lstm']:,}" in bar_labels  # written on its bar, with commas
    assert not visit.problems, visit.problems


@pytest.mark.slow
def test_sentiment_reads_typed_reviews_as_torch_does(browser, tmp_path):
    from seqbook.models import sentiment

    classifiers, vocab = small_review_models()
    explorer = explorers.sentiment_explorer(classifiers, vocab, "the plot was not bad", "gru")
    visit = open_alone(browser, explorer, tmp_path)
    start = visit.page.evaluate(SHOWN)
    typed = visit.page.evaluate(SET_VALUE, ["sentence", "The acting was GOOD, zzz truly!"])
    table = visit.page.locator("table.seqbook-verdicts").inner_text()
    bow = visit.page.evaluate(SET_VALUE, ["model", "bow"])
    empty = visit.page.evaluate(SET_VALUE, ["sentence", "  !!! "])
    message = visit.page.locator(".seqbook-figure").inner_text()
    visit.close()
    np.testing.assert_allclose(start["probabilities"], explorer.shown["probabilities"],
                               atol=1e-5)
    assert start["words"] == explorer.shown["words"] == ["the", "plot", "was", "not", "bad"]
    assert typed["words"] == ["the", "acting", "was", "good", "zzz", "truly"]
    assert typed["unknown"] == [4, 5]  # neither word is in the tiny vocabulary
    for kind, model in classifiers.items():
        _, expected = sentiment.running_sentiment(model, vocab, "The acting was GOOD, zzz truly!")
        np.testing.assert_allclose(typed["by_model"][kind], expected, atol=1e-5)
    np.testing.assert_allclose(bow["probabilities"], typed["by_model"]["bow"], rtol=1e-15)
    assert "zzz?" in table and "bag of words" in table and "GRU" in table
    assert empty["words"] == [] and "Type a review" in message and "bag of words" in message
    assert not visit.problems, visit.problems


def test_output_is_self_contained_and_stable():
    explorer = explorers.squashing_explorer()
    html = explorer._repr_html_()
    assert html == explorers.squashing_explorer()._repr_html_()  # same explorer, same bytes
    assert repr(explorer) == "<Squashing with tanh: move factor, steps, squash>"
    assert "<script src" not in html and "<link" not in html
    addresses = set(re.findall(r"https?://[\w./-]+", html))
    assert addresses <= {"http://www.w3.org/2000/svg"}, addresses  # SVG's namespace only
    assert f'data-seqbook-js="{live.script_digest(["rnn.js"])}"' in html
    assert html.count("</script>") == 1  # neither the library nor the data can end it early


def test_config_cannot_end_the_script():
    explorer = live.LiveExplorer("squashing", "t", [], {"text": "</script><b>"}, ["rnn.js"])
    html = explorer._repr_html_()
    assert html.count("</script>") == 1
    mount = html[html.rindex("seqbook.core.mountAll"):]
    config = json.loads(re.search(r", (\{.*\})\);", mount).group(1))
    assert config == {"text": "</script><b>"}


def committed_explorer_outputs():
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebook = json.loads(path.read_text())
            for cell in notebook["cells"]:
                for output in cell.get("outputs", []):
                    html = "".join(output.get("data", {}).get("text/html", ""))
                    for kind, digest in re.findall(
                            r'data-explorer="(\w+)" data-seqbook-js="(\w+)"', html):
                        yield f"{folder}/{path.name}", kind, digest


def test_committed_notebooks_carry_todays_javascript():
    """A change to seqbook/views/js reaches the book only when the labs are regenerated."""
    scripts = {kind: LIVE[kind]().scripts for kind in LIVE}
    stale = [f"{name}: {kind}" for name, kind, digest in committed_explorer_outputs()
             if kind not in scripts or digest != live.script_digest(scripts[kind])]
    assert not stale, ("these notebooks hold explorers made with older JavaScript; run "
                       "tools/make_lessons.py on their chapters: " + ", ".join(stale))
