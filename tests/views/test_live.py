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
LIVE = {
    "squashing": lambda: explorers.squashing_explorer(factor=3.0, steps=12, squash=True),
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
