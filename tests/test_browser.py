"""The built book in a real browser: Debian's headless Chromium, pages served on localhost.

Every page of the table of contents loads with no console error and no failed request, its
equations are typeset, every lab's widgets render their controls from the saved state, the
search page finds each chapter, labs offer the student notebook and launch buttons and
keep their reference solutions collapsed, and pages fit a 400 px phone screen.
(tests/test_browser_text.py checks the text of every page: no failing check output, no
character drawn as an empty box, no line cut off.) The browser
may only talk to the local server (tests/book_browser.py blocks and reports anything
else), so the book is shown to work with no network. The checks are also shown to fail
when the MathJax or widget assets are removed from a copy of the build.

Screenshots for people to look at go to ``_build/test-book/_build/screenshots``.

That every lab is a page of ``_toc.yml``, under its reading, is a rule of the chapter
contract, tests/test_chapter_contract.py.
"""

import json
import pathlib
import re
import shutil
import urllib.request

import pytest

from tests import book_browser as browser_checks
from tests.conftest import ROOT, book_extension

PAGES = browser_checks.toc_pages(ROOT)
LABS = browser_checks.lab_pages(ROOT)
READINGS = browser_checks.reading_pages(ROOT)
FIRST_EQUATION = "article div.math"
FIRST_WIDGET = ".jupyter-explorers.widget-container, .jupyter-explorers.widget-box"


@pytest.fixture(scope="module")
def site(book_html):
    with browser_checks.serve(book_html) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with browser_checks.chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="module")
def screenshots(book_html):
    folder = book_html.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def shot_name(docname, width):
    return f"{docname.replace('/', '-')}-{width}.png"


def visit_and_check(browser, site, docname, viewport=browser_checks.DESKTOP):
    """Open a page; return the visit and every problem of loading, math and widgets."""
    visit = browser_checks.PageVisit(browser, site, docname, viewport).open()
    problems = browser_checks.check_math(visit.page)
    if docname in LABS:
        problems += browser_checks.check_widgets(visit.page, ROOT / f"{docname}.ipynb")
        problems += browser_checks.check_explorers(visit.page, ROOT / f"{docname}.ipynb")
    return visit, visit.problems + problems


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_cleanly_with_math_typeset_and_widgets_rendered(
        docname, browser, site, screenshots):
    visit, problems = visit_and_check(browser, site, docname)
    if docname in LABS:
        browser_checks.screenshot_near(visit.page, FIRST_WIDGET,
                                       screenshots / shot_name(docname, 1280))
    elif docname in READINGS:
        browser_checks.screenshot_near(visit.page, FIRST_EQUATION,
                                       screenshots / shot_name(docname, 1280))
    visit.close()
    assert not problems, f"{docname}:\n" + "\n".join(problems)


@pytest.mark.parametrize("docname", PAGES)
def test_pages_fit_a_phone_screen(docname, browser, site, screenshots):
    visit, problems = visit_and_check(browser, site, docname, browser_checks.PHONE)
    problems += browser_checks.check_phone_width(visit.page)
    if docname in READINGS + LABS:
        selector = FIRST_WIDGET if docname in LABS else FIRST_EQUATION
        browser_checks.screenshot_near(
            visit.page, selector, screenshots / shot_name(docname, browser_checks.PHONE["width"]))
    visit.close()
    assert not problems, f"{docname} at 400 px:\n" + "\n".join(problems)


@pytest.mark.parametrize("docname", [READINGS[0], LABS[0]])
def test_chapter_one_works_from_a_folder_on_disk(docname, book_html, browser):
    """A reader who opens the HTML files straight from disk (file://) sees the same."""
    visit, problems = visit_and_check(browser, book_html.as_uri() + "/", docname)
    visit.close()
    assert not problems, f"{docname} from file://:\n" + "\n".join(problems)


@pytest.mark.parametrize("reading", READINGS)
def test_search_finds_each_chapter(reading, browser, site):
    term = browser_checks.chapter_term((ROOT / f"{reading}.md").read_text())
    problems = browser_checks.search_finds(browser, site, term, reading)
    assert not problems, "\n".join(problems)


def test_the_search_check_reports_a_term_that_is_not_in_the_book(browser, site):
    problems = browser_checks.search_finds(browser, site, "zyzzogeton", READINGS[0])
    assert any("found nothing" in problem for problem in problems), problems


@pytest.mark.parametrize("lab", LABS)
def test_lab_offers_the_student_notebook_and_launch_buttons(lab, browser, site):
    visit = browser_checks.PageVisit(browser, site, lab).open()
    links = visit.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    visit.close()
    notebook = f"{lab}.ipynb"
    downloads = [link for link in links if link.endswith(f"_sources/{notebook}")]
    assert downloads, f"{lab} has no download link for {notebook}"
    with urllib.request.urlopen(downloads[0]) as response:
        offered = response.read()
    assert offered == (ROOT / notebook).read_bytes(), (
        "the downloadable notebook is not the student notebook from lessons/")
    assert b"BEGIN SOLUTION" not in offered and b"# HIDDEN" not in offered
    colab = [link for link in links if "colab.research.google.com/github/" in link]
    binder = [link for link in links if "/v2/gh/" in link]
    assert colab and colab[0].endswith(f"/{notebook}"), f"Colab button: {colab}"
    assert binder and binder[0].endswith(f"urlpath=lab/tree/{notebook}"), f"Binder: {binder}"


@pytest.mark.parametrize("lab", LABS)
def test_reference_solutions_stay_collapsed_until_asked_for(lab, browser, site):
    chapter = pathlib.Path(lab).name
    master = ROOT / "solutions" / f"{chapter}.ipynb"
    solutions = book_extension("lab_solutions").read_solutions(master)
    assert solutions, f"solutions/{chapter}.ipynb has no solution"
    visit = browser_checks.PageVisit(browser, site, lab).open()
    blocks = visit.page.locator("details.seqbook-solution")
    assert blocks.count() == len(solutions), "not one collapsed solution per exercise"
    for index, code in enumerate(solutions.values()):
        block = blocks.nth(index)
        assert block.get_attribute("open") is None, "a solution is open before a click"
        code_view = block.locator("pre")
        assert not code_view.is_visible(), "a solution's code shows before a click"
        block.locator("summary").click()
        assert code_view.is_visible(), "clicking the summary does not reveal the solution"
        last_line = code.strip().splitlines()[-1].strip()
        assert last_line in code_view.inner_text(), "the revealed code is not the solution"
    assert not visit.problems, "\n".join(visit.problems)
    visit.close()


@pytest.mark.parametrize("reading", READINGS)
def test_reading_answers_stay_collapsed_until_asked_for(reading, browser, site):
    text = (ROOT / f"{reading}.md").read_text()
    questions = re.findall(r"^\s*```\{answer\}", text.split("## Questions")[-1], re.M)
    visit = browser_checks.PageVisit(browser, site, reading).open()
    blocks = visit.page.locator("details.seqbook-answer")
    assert blocks.count() == len(questions) > 0, "not one collapsed answer per question"
    for index in range(blocks.count()):
        block = blocks.nth(index)
        assert block.get_attribute("open") is None, "an answer is open before a click"
        answer = block.locator("p").first
        assert not answer.is_visible(), "an answer shows before a click"
        block.locator("summary").click()
        assert answer.is_visible(), "clicking 'Show the answer' does not reveal it"
    assert not visit.problems, "\n".join(visit.problems)
    visit.close()


def copy_without(book_html, tmp_path, removed):
    """A copy of the built book with ``_static/offline/<removed>`` deleted."""
    copy = tmp_path / "html"
    shutil.copytree(book_html, copy)
    shutil.rmtree(copy / "_static" / "offline" / removed)
    return copy


def test_checks_fail_when_mathjax_is_removed(book_html, tmp_path, browser):
    copy = copy_without(book_html, tmp_path, "mathjax")
    with browser_checks.serve(copy) as base_url:
        visit = browser_checks.PageVisit(browser, base_url, READINGS[0]).open()
        problems = visit.problems + browser_checks.check_math(visit.page, timeout=3000)
        visit.close()
    assert any("MathJax never started" in p for p in problems), problems
    assert any("404" in p and "mathjax" in p for p in problems), problems


def test_checks_fail_when_the_widget_manager_is_removed(book_html, tmp_path, browser):
    copy = copy_without(book_html, tmp_path, "html-manager")
    # A lab whose saved widget views hold views check_widgets counts (the live explorers
    # need no widget manager; the labs' progress bars do, and are counted).
    with_controls = [lab for lab in LABS
                     if browser_checks.saved_widgets(ROOT / f"{lab}.ipynb")[1]]
    assert with_controls, "no lab saves a widget control: this check has no page to test"
    lab = with_controls[0]
    with browser_checks.serve(copy) as base_url:
        visit = browser_checks.PageVisit(browser, base_url, lab).open()
        problems = visit.problems + browser_checks.check_widgets(
            visit.page, ROOT / f"{lab}.ipynb", timeout=3000)
        visit.close()
    assert any("did not all render" in p for p in problems), problems
    assert any("404" in p and "embed-amd.js" in p for p in problems), problems


def test_checks_fail_when_an_explorer_does_not_redraw(book_html, tmp_path, browser):
    """A copy of Lab 1's page whose squashing explorer ignores its controls is caught."""
    lab = LABS[0]
    copy = tmp_path / "html"
    shutil.copytree(book_html, copy)
    page = copy / f"{lab}.html"
    html = page.read_text()
    assert "control.input.addEventListener(event, api.redraw);" in html
    page.write_text(html.replace("control.input.addEventListener(event, api.redraw);", ""))
    with browser_checks.serve(copy) as base_url:
        visit = browser_checks.PageVisit(browser, base_url, lab).open()
        problems = browser_checks.check_explorers(visit.page, ROOT / f"{lab}.ipynb")
        visit.close()
    assert any("redrew 0 times" in p for p in problems), problems


@pytest.mark.parametrize("lab", ["lessons/04a_seq2seq", "lessons/04b_attention"])
def test_typing_a_date_into_chapter_4s_explorer_translates_it(lab, browser, site):
    """The issue's acceptance: on the static page, a date typed into Chapter 4's explorer
    (as a reader writes it: capitals, an umlaut) is translated by the lab's trained model
    in the page, with its attention map for the attention model."""
    visit = browser_checks.PageVisit(browser, site, lab).open()
    root = visit.page.locator(".seqbook-explorer[data-explorer=alignment]")
    assert root.count() == 1
    shown = root.evaluate("""root => {
        const box = root.querySelector('input[name=source]');
        box.value = '3 März 1999';
        box.dispatchEvent(new Event('change', {bubbles: true}));
        return {...root.seqbookShown, ms: Number(root.dataset.lastDrawMs),
                cells: root.querySelectorAll('.seqbook-figure svg rect').length};
    }""")
    visit.close()
    assert shown["source"] == "3 marz 1999"
    assert shown["translation"] == "1999-03-03"
    assert shown["ms"] < 100
    if lab.endswith("attention"):
        assert np_shape(shown["weights"]) == (11, len("3 marz 1999"))  # 10 digits and <eos>
        assert shown["cells"] > 11 * 11  # the heat map's cells (and the candidates' bars)
    else:
        assert shown["weights"] is None
    assert not visit.problems, visit.problems


def np_shape(rows):
    return (len(rows), len(rows[0]))


def test_saved_controls_are_read_from_the_widget_state(tmp_path):
    notebook = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {
            "box": {"model_name": "VBoxModel",
                    "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_tick"]}},
            "slider": {"model_name": "FloatSliderModel",
                       "state": {"description": "factor", "value": 3.0}},
            "tick": {"model_name": "CheckboxModel",
                     "state": {"description": "tanh", "value": True}},
            "unshown": {"model_name": "IntSliderModel", "state": {}},
        }}}},
        "cells": [{"cell_type": "code", "outputs": [
            {"data": {"application/vnd.jupyter.widget-view+json": {"model_id": "box"}}}]}],
    }
    path = tmp_path / "lab.ipynb"
    path.write_text(json.dumps(notebook))
    views, counts, settings = browser_checks.saved_widgets(path)
    assert views == 1
    assert counts == {"widget-slider": 1, "widget-checkbox": 1}
    assert settings == [("widget-checkbox", "tanh", True), ("widget-slider", "factor", 3.0)]


def test_a_readout_shows_a_value_to_its_displayed_precision():
    assert browser_checks.shows_value("3.00", 3.0)
    assert browser_checks.shows_value("12", 12)
    assert browser_checks.shows_value("0.00123", 0.0012345)
    assert not browser_checks.shows_value("3.00", 2.5)
    assert not browser_checks.shows_value("", 1.0)

