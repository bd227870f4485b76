"""Live explorers: each computes and redraws in the browser, with no kernel.

Every explorer of ``LIVE`` is written alone into an HTML page, opened from disk in
Debian's headless Chromium (no network), and each of its controls is moved: it must
redraw once, change what it draws, within 100 ms, with no console error. What it drew
(``root.seqbookShown``) is compared with the numpy reference where it is a number.
The committed notebooks' explorer outputs must carry today's JavaScript.
"""

import html
import json
import re

import numpy as np
import pytest
import torch

from seqbook import models, reference
from seqbook.views import explorers, live
from tests import book_browser
from tests.conftest import ROOT


def adding_lstm(hidden_size=32):
    """An untrained, seeded adding-problem LSTM of Lab 2's size (the weights' values do not
    matter to these tests; the lab's trained model has the same shapes)."""
    torch.manual_seed(0)
    return models.SequenceRegressor(2, hidden_size, cell="lstm")


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


def date_models(kind):
    """A seeded, untrained date model of the labs' size (its weights' values do not matter
    here), with the vocabularies of a few date examples, and those examples."""
    import datetime

    from seqbook.models import seq2seq
    from seqbook.tasks import dates
    from seqbook.tasks.vocabulary import SEQUENCE_SYMBOLS, Vocabulary

    day = datetime.date(2026, 11, 22)
    examples = [dates.render(day, locale, format)[0] for locale, format in
                (("en_US", "full"), ("hu_HU", "full"), ("de_DE", "short"))]
    source_vocab = Vocabulary(examples, reserved=SEQUENCE_SYMBOLS)
    target_vocab = Vocabulary(["0123456789-"], reserved=SEQUENCE_SYMBOLS)
    torch.manual_seed(0)
    model = seq2seq.make_model(kind, len(source_vocab), len(target_vocab))
    return model, source_vocab, target_vocab, examples


def name_vocab():
    from seqbook import tasks

    return tasks.Vocabulary(tasks.first_names(), reserved=[tasks.END])


def small_name_model():
    """An untrained, seeded name model of Lab 1's size (64 hidden units), so the browser
    runs as many operations per redraw as it does in the lab."""
    torch.manual_seed(0)
    return models.CharModel(len(name_vocab()), 64, cell="rnn")


def alignment(kind, **options):
    from seqbook.tasks import dates

    model, source_vocab, target_vocab, examples = date_models(kind)
    truth = {source: dates.alignment(dates.render(__import__("datetime").date(2026, 11, 22),
                                                  locale, format)[1])
             for source, (locale, format) in zip(examples, (("en_US", "full"),
                                                            ("hu_HU", "full"),
                                                            ("de_DE", "short")))}
    return explorers.alignment_explorer(model, source_vocab, target_vocab, examples,
                                        normalise=dates.normalise, truth=truth.get, **options)


LIVE = {
    "squashing": lambda: explorers.squashing_explorer(factor=3.0, steps=12, squash=True),
    "gate_drive": lambda: explorers.gate_explorer(forget_gate=1.0, input_gate=0.0,
                                                  output_gate=1.0, candidate=0.8, cell0=1.0,
                                                  steps=12),
    "gradient_reach": lambda: explorers.memory_explorer(forget_bias=1.0),
    "trained_gates": lambda: explorers.trained_gates_explorer(adding_lstm(), first=10,
                                                              second=70, seed=0),
    "gradient": lambda: explorers.gradient_explorer(scale=1.0, clip=False, threshold=1.0),
    "gru_unit": lambda: explorers.gru_unit_explorer(update_gate=0.9, reset_gate=1.0,
                                                    input_drive=-1.0),
    "parameters": lambda: explorers.parameter_explorer(input_size=10, hidden_size=32),
    "sentiment": lambda: explorers.sentiment_explorer(*small_review_models(),
                                                      sentence="the plot was not bad"),
    "temperature": lambda: explorers.temperature_explorer(small_name_model(), name_vocab(),
                                                          prefix="ma", temperature=1.0),
    "alignment": lambda: alignment("attention"),
    "alignment_plain": lambda: alignment("plain"),
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
    # an explorer may precompute in the background (data-busy) so that a move only draws
    visit.page.wait_for_function("() => !document.querySelector('.seqbook-explorer')"
                                 ".dataset.busy", timeout=30_000)
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


def set_control(visit, name, value):
    """Move the control called ``name`` to ``value`` as a reader would; return what the
    explorer drew then."""
    visit.page.evaluate("([name, value]) => { const input = document.querySelector("
                        "`.seqbook-controls [name=${name}]`); input.value = String(value); "
                        "input.dispatchEvent(new Event('input', {bubbles: true})); }",
                        [name, value])
    return visit.page.evaluate(SHOWN)


@pytest.mark.slow
def test_gate_drive_draws_the_reference_cells(browser, tmp_path):
    visit = open_alone(browser, explorers.gate_explorer(forget_gate=1.0, input_gate=0.0,
                                                        cell0=1.0, steps=10), tmp_path)
    held = visit.page.evaluate(SHOWN)
    leaking = set_control(visit, "forget_gate", 0.5)
    writing = set_control(visit, "input_gate", 1.0)
    visit.close()
    assert held["cells"] == [1.0] * 11  # f = 1, i = 0: the cell keeps its value
    np.testing.assert_allclose(leaking["cells"][-1], 0.5**10, rtol=1e-12)
    expected = [reference.cell_after_steps(1.0, 0.5, 1.0, 0.8, k) for k in range(11)]
    np.testing.assert_allclose(writing["cells"], expected, rtol=1e-12)
    np.testing.assert_allclose(writing["hiddens"], np.tanh(expected), rtol=1e-12)
    assert not visit.problems, visit.problems


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
def test_gradient_reach_draws_torchs_gradients(browser, tmp_path):
    visit = open_alone(browser, explorers.memory_explorer(forget_bias=0.0, length=40), tmp_path)
    at_zero = visit.page.evaluate(SHOWN)
    at_four = set_control(visit, "forget_bias", 4.0)
    visit.close()
    np.testing.assert_allclose(at_zero["rnn_ratio"], models.gradient_reach("rnn", length=40),
                               rtol=1e-9)
    for shown, bias in ((at_zero, 0.0), (at_four, 4.0)):
        assert shown["forget_bias"] == bias
        np.testing.assert_allclose(shown["lstm_ratio"],
                                   models.gradient_reach("lstm", length=40, forget_bias=bias),
                                   rtol=1e-9)
    assert at_four["lstm_ratio"][30] > 100 * at_zero["lstm_ratio"][30]  # it reaches further
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
def test_trained_gates_draws_the_reference_trace_and_torchs_answer(browser, tmp_path):
    model = adding_lstm(hidden_size=8)
    visit = open_alone(browser, explorers.trained_gates_explorer(model, length=20, first=3,
                                                                 second=15), tmp_path)
    set_control(visit, "seed", 4)
    shown = set_control(visit, "second", 12)
    headline = visit.page.locator(".seqbook-figure .seqbook-title").inner_text()
    visit.close()
    values = np.random.default_rng(4).uniform(0, 1, size=20)
    xs = np.stack([values, np.isin(np.arange(20), [3, 12]).astype(float)], axis=1)[None]
    zeros = np.zeros((1, 8))
    trace = reference.lstm_forward_trace(xs, zeros, zeros,
                                         **reference.lstm_weights_from_torch(model.recurrent))
    with torch.no_grad():
        prediction = model(torch.as_tensor(xs, dtype=torch.float32)).item()
    assert shown["target"] == pytest.approx(values[3] + values[12], rel=1e-12)
    assert shown["prediction"] == pytest.approx(prediction, abs=1e-5)
    for name in ("input_gate", "forget_gate", "cell"):  # drawn one row per unit: (H, T)
        np.testing.assert_allclose(shown[name], trace[name][0].T, rtol=1e-9, atol=1e-12)
    assert headline == (f"marked values {values[3]:.2f} + {values[12]:.2f} = "
                        f"{values[3] + values[12]:.2f}; the LSTM answers {prediction:.2f}")
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


def open_in_sandboxed_frames(browser, explorers_by_kind, folder):
    """Write each explorer into its own ``<iframe sandbox="allow-scripts" srcdoc=...>`` of
    one page, as Colab shows every output (a frame of its own, on another origin, with
    scripts allowed), and open the page from disk; return the visit."""
    frames = "".join(
        f'<iframe title="{kind}" sandbox="allow-scripts" style="width: 900px; height: 700px" '
        f'srcdoc="{html.escape(explorer._repr_html_(), quote=True)}"></iframe>'
        for kind, explorer in explorers_by_kind.items())
    page_file = folder / "outputs.html"
    page_file.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head>"
                         f"<body>{frames}</body></html>", encoding="utf-8")
    visit = book_browser.PageVisit(browser, folder.as_uri() + "/", "outputs")
    return visit.open()


COLAB_LIKE = ("squashing", "trained_gates", "sentiment", "alignment")  # one per chapter


@pytest.mark.slow
def test_explorers_work_each_in_a_sandboxed_frame_as_colab_shows_outputs(browser, tmp_path):
    visit = open_in_sandboxed_frames(browser, {kind: LIVE[kind]() for kind in COLAB_LIKE},
                                     tmp_path)
    frames = [frame for frame in visit.page.frames if frame != visit.page.main_frame]
    assert len(frames) == len(COLAB_LIKE)
    for frame in frames:
        frame.wait_for_function("() => { const root = document.querySelector("
                                "'.seqbook-explorer'); return root && root.dataset.mounted"
                                " === 'yes' && !root.dataset.busy; }", timeout=30_000)
        # the frame's origin is opaque: it cannot reach the page around it
        assert frame.evaluate("() => { try { return window.parent.document && 'reached'; }"
                              " catch (error) { return 'blocked'; } }") == "blocked"
        moves = frame.locator(".seqbook-explorer").first.evaluate(
            book_browser.MOVE_EVERY_CONTROL)
        assert moves, "the explorer has no controls"
        for moved in moves:
            assert moved["redraws"] == 1 and moved["changed"], moved
            assert moved["ms"] < 100, moved
    visit.close()
    assert not visit.problems, visit.problems
