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
LIVE = {
    "squashing": lambda: explorers.squashing_explorer(factor=3.0, steps=12, squash=True),
    "gate_drive": lambda: explorers.gate_explorer(forget_gate=1.0, input_gate=0.0,
                                                  output_gate=1.0, candidate=0.8, cell0=1.0,
                                                  steps=12),
    "gradient_reach": lambda: explorers.memory_explorer(forget_bias=1.0),
    "trained_gates": lambda: explorers.trained_gates_explorer(adding_lstm(), first=10,
                                                              second=70, seed=0),
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
