"""The PDF of the whole book (tools/book_pdf.py, ``python3 tools/run.py pdf``), printed by
Debian's Chromium from the suite's one book build (tests/book_build.py).

It has a sane number of pages; every chapter's reading and every lab, by title, in the
text, the bookmarks and the contents, whose page numbers are right; no raw LaTeX on any
page (so MathJax had typeset every equation before printing); a page number on every
page; no link to the local server it was printed from; and the book's intro links to the
copy that the pdf command puts into the HTML book.

The PDF step waits for a page to settle without knowing what draws it: shown on a page
whose script draws late, and on one that never stops changing; and it shrinks a block
wider than the page (a wide equation or table) instead of cutting it off. Printing too
early is shown to fail the raw-LaTeX check, on a copy of the build whose MathJax never
starts.
"""

import contextlib
import json
import re
import shutil
import time
import unicodedata

import pytest
from pypdf import PdfReader

from tests.conftest import ROOT, load_module

book_pdf = load_module(ROOT / "tools" / "book_pdf.py")

# LaTeX that MathJax turns into typeset math; none of it may reach a page, and the book's
# code and prose never write it as code (test_the_raw_latex_check_finds_untypeset_math
# shows it is what an untypeset page shows). Not \tag{: the how-to page names it in code.
RAW_LATEX = ("\\frac", "\\mathbf", "\\begin{", "\\end{", "$$", "\\odot", "\\tanh", "\\sum_",
             "\\partial")
# Today's book prints to 177 pages (README); far fewer means pages are missing, far
# more that something is laid out wrong (a figure per page, a page per line of code).
PAGES = (120, 400)
# 9.4 MiB and about 2 minutes today (README); the limits are wide for a loaded CI machine.
MEBIBYTES = (2, 40)
SECONDS = 900


def normalized(text):
    """Ligatures undone (fi, fl), Sphinx's curly quotes straightened (Luong's), every run of
    white space one space."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"',
                                         "\u201d": '"'}))
    return re.sub(r"\s+", " ", text).strip()


def reading_titles():
    titles = {}
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.md")):
        title = next(line for line in path.read_text().splitlines() if line.startswith("# "))
        titles[f"book/{path.stem}"] = title[2:].strip()
    return titles


def lab_titles():
    titles = {}
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        source = next("".join(cell["source"]) for cell in cells
                      if cell["cell_type"] == "markdown")
        title = next(line for line in source.splitlines() if line.startswith("# "))
        titles[f"lessons/{path.stem}"] = title[2:].strip()
    return titles


def raw_latex(texts):
    """``(page label, LaTeX found, context)`` for every page that shows raw LaTeX."""
    found = []
    for label, text in texts:
        for raw in RAW_LATEX:
            if raw in text:
                at = text.index(raw)
                found.append((label, raw, text[max(0, at - 40):at + 40]))
    return found


@pytest.fixture(scope="module")
def pdf(book_html, tmp_path_factory):
    output = tmp_path_factory.mktemp("pdf") / "seqbook.pdf"
    started = time.perf_counter()
    book_pdf.make_pdf(book_html, output, log=lambda line: None)
    seconds = time.perf_counter() - started
    reader = PdfReader(output)
    texts = [(label, normalized(page.extract_text()))
             for label, page in zip(reader.page_labels, reader.pages)]
    return reader, texts, {"seconds": seconds, "mebibytes": output.stat().st_size / 2**20}


def front_and_body(texts):
    front = [text for label, text in texts if not label.isdigit()]
    body = {label: text for label, text in texts if label.isdigit()}
    return front, body


def test_the_pdf_has_a_sane_number_of_pages_size_and_time(pdf):
    reader, _, made = pdf
    low, high = PAGES
    assert low <= len(reader.pages) <= high, f"{len(reader.pages)} pages"
    low, high = MEBIBYTES
    assert low <= made["mebibytes"] <= high, f"{made['mebibytes']:.1f} MiB"
    assert made["seconds"] < SECONDS, f"printing took {made['seconds']:.0f} s"


@pytest.mark.parametrize("docname", [*reading_titles(), *lab_titles()])
def test_each_chapter_and_lab_is_in_the_text_bookmarks_and_contents(docname, pdf):
    reader, texts, _ = pdf
    title = normalized({**reading_titles(), **lab_titles()}[docname])
    front, body = front_and_body(texts)
    bookmarks = [normalized(item.title) for item in reader.outline if not isinstance(item, list)]
    assert title in bookmarks, f"no bookmark {title!r}: {bookmarks}"
    listed = re.search(re.escape(title) + r" (\d+)", " ".join(front))
    assert listed, f"the contents do not list {title!r} with a page number"
    page = listed.group(1)
    # Its first page starts with its title (later pages carry it in the running head).
    assert body[page].startswith(title), (
        f"the contents put {title!r} on page {page}, which starts {body[page][:80]!r}")


def test_no_page_shows_raw_latex(pdf):
    _, texts, _ = pdf
    found = raw_latex(texts)
    assert not found, "raw LaTeX on pages:\n" + "\n".join(map(repr, found[:10]))


def test_every_body_page_is_numbered_from_one(pdf):
    _, texts, _ = pdf
    _, body = front_and_body(texts)
    assert sorted(map(int, body)) == list(range(1, len(body) + 1))
    unnumbered = [label for label, text in body.items() if text.split()[-1:] != [label]]
    assert not unnumbered, f"pages without their number at the foot: {unnumbered[:10]}"


def test_no_link_points_at_the_server_the_book_was_printed_from(pdf):
    reader, _, _ = pdf
    local, internal = [], 0
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            action = link.get("/A")
            if action is not None and "127.0.0.1" in str(action.get("/URI", "")):
                local.append(str(action["/URI"]))
            internal += "/Dest" in link
    assert not local, f"links to the local server: {local[:5]}"
    assert internal > 50, f"only {internal} links inside the PDF"


def test_the_intro_links_to_the_copy_the_pdf_command_publishes(book_html):
    page = (book_html / "book" / "intro.html").read_text()
    [href] = re.findall(r'href="([^"]*\.pdf)"', page)
    target = (book_html / "book" / href).resolve()
    assert target == (book_html / book_pdf.PUBLISHED_NAME).resolve(), href


def untypeset_copy(book_html, folder):
    """A copy of the build whose MathJax script loads but never starts."""
    copy = folder / "html"
    shutil.copytree(book_html, copy)
    (copy / "_static" / "offline" / "mathjax" / "tex-mml-chtml.js").write_text(
        "/* MathJax that never starts */\n")
    return copy


def test_the_raw_latex_check_finds_untypeset_math(book_html, tmp_path):
    copy = untypeset_copy(book_html, tmp_path)
    output = tmp_path / "early.pdf"
    book_pdf.make_pdf(copy, output, only=["book/01_rnn"], wait=False, log=lambda line: None)
    reader = PdfReader(output)
    texts = [(label, normalized(page.extract_text()))
             for label, page in zip(reader.page_labels, reader.pages)]
    assert raw_latex(texts), "printing before MathJax typeset showed no raw LaTeX"


def test_a_page_whose_mathjax_never_finishes_is_not_printed(book_html, tmp_path):
    copy = untypeset_copy(book_html, tmp_path)
    with pytest.raises(RuntimeError, match="MathJax never started"):
        book_pdf.make_pdf(copy, tmp_path / "never.pdf", only=["book/01_rnn"],
                          settle_timeout_ms=3000, log=lambda line: None)


# A page that draws in steps, as a widget manager loading its modules does: a change every
# 300 ms for 3 s, then the figure.
LATE = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>late</title></head>
<body><article><h1 id="late">A page drawn late</h1><p id="step"></p><p id="figure"></p>
</article><script>
let step = 0;
const timer = setInterval(() => {
  step += 1;
  document.getElementById('step').textContent = 'loading ' + step;
  if (step === 10) {
    clearInterval(timer);
    document.getElementById('figure').textContent = 'the explorer has drawn';
  }
}, 300);
</script></body></html>"""
RESTLESS = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>restless</title></head>
<body><article><h1 id="restless">A page that never settles</h1><p id="clock"></p></article>
<script>setInterval(() => {
  document.getElementById('clock').textContent = String(performance.now());
}, 200);</script></body></html>"""


def tiny_book(folder, page):
    """A one-page book: its _toc.yml, _config.yml and "built" HTML."""
    (folder / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (folder / "_config.yml").write_text("title: A tiny book\nauthor: The tests\n")
    html = folder / "html"
    html.mkdir()
    (html / "index.html").write_text(page)
    (html / "page.html").write_text(page)
    return html


@pytest.mark.slow
@pytest.mark.parametrize("wait", [True, False])
def test_a_page_is_printed_once_its_scripts_have_drawn(tmp_path, wait):
    html = tiny_book(tmp_path, LATE)
    output = tmp_path / "late.pdf"
    book_pdf.make_pdf(html, output, root=tmp_path, wait=wait, log=lambda line: None)
    text = " ".join(page.extract_text() for page in PdfReader(output).pages)
    assert ("the explorer has drawn" in text) == wait, text


@pytest.mark.slow
def test_a_page_that_never_settles_stops_the_pdf(tmp_path):
    html = tiny_book(tmp_path, RESTLESS)
    with pytest.raises(RuntimeError, match="kept changing"):
        book_pdf.make_pdf(html, tmp_path / "restless.pdf", root=tmp_path,
                          settle_timeout_ms=4000, log=lambda line: None)


WIDE = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>wide</title></head><body><article><h1 id="wide">A wide table</h1>
<table><tr><td style="white-space: nowrap">{}</td></tr></table></article></body></html>
""".format("a cell far wider than the page " * 12)


@contextlib.contextmanager
def printed_layout(html, tmp_path):
    """The tiny book's page in Chromium, laid out as the PDF step prints it."""
    browser = book_pdf.book_browser
    with browser.serve(html) as base_url, browser.chromium(tmp_path / "profile") as context:
        visit = browser.PageVisit(context, base_url, "page", book_pdf.PRINT_VIEWPORT).open()
        visit.page.emulate_media(media="print")
        yield visit.page
        visit.close()


@pytest.mark.slow
def test_a_block_wider_than_the_page_is_shrunk_to_fit_not_cut_off(tmp_path):
    html = tiny_book(tmp_path, WIDE)
    sticks_out = """() => document.querySelector('table').getBoundingClientRect().right >
                          document.querySelector('article').getBoundingClientRect().right + 1"""
    with printed_layout(html, tmp_path) as page:
        assert page.evaluate(sticks_out), "the test table should stick out before fitting"
        assert page.evaluate(book_pdf.FIT_WIDTH) == [], "something still sticks out"
        assert not page.evaluate(sticks_out)
