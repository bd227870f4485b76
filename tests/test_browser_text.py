"""The text of every page of the built book, as Debian's headless Chromium shows it.

No page shows a failing check's output: each lab's ``grader.check`` cell shows a line
saying what it checks and that it runs in Jupyter (book/_ext/lab_solutions.py). Every
character of every page is drawn by one of the page's fonts, none as the empty box of a
missing glyph. No code or output line is cut off at the right edge, on a desktop or a
phone screen: code wider than the column scrolls, with a scroll bar to show it, and
printed output wraps (book/_ext/static/page-layout.css). The browser here draws scroll
bars as a reader's desktop browser does (Playwright hides them by default). Each check
is also shown to catch what it is for, on a page broken in the browser.
"""

import pytest

from tests import book_browser as browser_checks
from tests.conftest import ROOT

PAGES = browser_checks.toc_pages(ROOT)
LABS = browser_checks.lab_pages(ROOT)


@pytest.fixture(scope="module")
def site(book_html):
    with browser_checks.serve(book_html) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def reader_browser(tmp_path_factory):
    """Chromium drawing the scroll bars a reader's desktop browser draws."""
    profile = tmp_path_factory.mktemp("chromium-profile-scroll-bars")
    with browser_checks.chromium(profile, scroll_bars=True) as context:
        yield context


@pytest.mark.parametrize("width", [browser_checks.DESKTOP, browser_checks.PHONE],
                         ids=["desktop", "phone"])
@pytest.mark.parametrize("docname", PAGES)
def test_no_code_or_output_line_is_cut_off(docname, width, reader_browser, site):
    visit = browser_checks.PageVisit(reader_browser, site, docname, width).open()
    problems = browser_checks.check_code_blocks(visit.page)
    visit.close()
    assert not problems, f"{docname} at {width['width']} px:\n" + "\n".join(problems)


@pytest.mark.parametrize("docname", PAGES)
def test_every_character_is_drawn_and_no_check_shows_a_failure(docname, reader_browser, site):
    visit = browser_checks.PageVisit(reader_browser, site, docname).open()
    problems = browser_checks.check_characters_drawn(visit.page)
    notebook = ROOT / f"{docname}.ipynb" if docname in LABS else None
    problems += browser_checks.check_cells_explained(visit.page, notebook)
    visit.close()
    assert not problems, f"{docname}:\n" + "\n".join(problems)


def test_the_page_checks_catch_a_failure_a_box_and_a_cut_off_line(reader_browser, site):
    """Lab 1's page, broken in the browser: a failing check's output put back, a check
    cell's line taken away, a character no font draws, outputs that do not wrap and code
    that cannot scroll."""
    lab = LABS[0]
    visit = browser_checks.PageVisit(reader_browser, site, lab, browser_checks.PHONE).open()
    page = visit.page
    assert not browser_checks.check_code_blocks(page)
    assert not browser_checks.check_cells_explained(page, ROOT / f"{lab}.ipynb")
    page.evaluate("""() => {
        const note = document.querySelector('p.seqbook-check-note');
        note.insertAdjacentHTML('afterend', '<pre>\\u274c Test case failed</pre>');
        note.remove();
    }""")
    page.add_style_tag(content="div.cell_output pre { white-space: pre !important; }"
                               "div.cell_input pre { overflow-x: hidden !important; }")
    page.evaluate("""() => document.querySelectorAll('div.cell_output pre')[1]
        .insertAdjacentText('beforeend', ' and so on'.repeat(40))""")
    explained = browser_checks.check_cells_explained(page, ROOT / f"{lab}.ipynb")
    boxes = browser_checks.check_characters_drawn(page)
    cut_off = browser_checks.check_code_blocks(page)
    visit.close()
    assert any("Test case failed" in problem for problem in explained), explained
    assert any("check cells show their line" in problem for problem in explained), explained
    assert any("U+274C" in problem for problem in boxes), boxes
    assert any("output whose lines do not wrap" in problem for problem in cut_off), cut_off
    assert any("cut off and does not scroll" in problem for problem in cut_off), cut_off
