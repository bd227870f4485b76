"""The whole book as one PDF, printed by the Chromium the browser tests use.

    python3 tools/run.py pdf            builds the book if needed, then runs this
    .venv/bin/python tools/book_pdf.py [--html _build/html] [--out _build/pdf/seqbook.pdf]

How it is made (no TeX, no browser download):

1. The built HTML book is served on 127.0.0.1 and every page of ``_toc.yml`` is opened in
   reading order in Debian's headless Chromium, driven by Playwright as in
   tests/test_browser.py. A request to anything but the local server, a console error or
   a failed request is an error: the PDF is made from a book that works offline.
2. Each page is left to settle before it is printed, in a way that knows nothing of
   widgets: fonts loaded, MathJax's typesetting finished (on a page with math), every
   image decoded, then no change to the page for a second (so whatever script draws an
   explorer, ipywidgets' HTML manager today, has drawn). A page that does not settle in
   time stops the PDF with a message; it is never printed half-drawn.
3. Each page is printed on its own to A4 with the book's print stylesheet
   (book/_ext/static/print.css: no navigation or buttons, code wrapped, figures kept
   whole), with its answers to questions opened, and Chromium's outline of its headings.
4. Page numbers: the pages are counted, then one overlay is printed by Chromium with a
   sheet per page (running head and number) and laid onto the pages with pypdf. The body
   is numbered from 1 and the front matter (title page, contents) i, ii, ..., so the
   contents can list the page numbers without its own length moving them.
5. pypdf merges front matter and pages, adds a bookmark per page with its headings nested
   beneath, the page labels, and turns every link between pages of the book into a link
   inside the PDF.
"""

import argparse
import html
import io
import pathlib
import re
import sys
import time

import yaml
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, FloatObject, NameObject

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import book_browser  # noqa: E402 - the served book and Chromium of the tests

HTML = ROOT / "_build" / "html"
OUTPUT = ROOT / "_build" / "pdf" / "seqbook.pdf"
# The name of the PDF inside the HTML book, linked from book/intro.md.
PUBLISHED_NAME = "seqbook.pdf"
# A4 with 18 mm margins: at Chromium's 96 px per inch the text is 174 mm = 658 px wide.
PAPER = {"format": "A4", "margin": {"top": "18mm", "bottom": "18mm", "left": "18mm",
                                   "right": "18mm"}}
PRINT_VIEWPORT = {"width": 658, "height": 1000}
# A page has settled when nothing in it has changed for QUIET_MS; it gets SETTLE_TIMEOUT_MS
# (generous: CI's two cores may be busy) to get there.
QUIET_MS = 1000
SETTLE_TIMEOUT_MS = 90_000

SETTLE = """async ({quietMs, timeoutMs}) => {
    const deadline = performance.now() + timeoutMs;
    const pause = ms => new Promise(resolve => setTimeout(resolve, ms));
    document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
    await document.fonts.ready;
    if (document.querySelector('.math')) {
        while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
            if (performance.now() > deadline) { return 'MathJax never started'; }
            await pause(100);
        }
        await MathJax.startup.promise;
    }
    await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
    let changed = performance.now();
    const observer = new MutationObserver(() => { changed = performance.now(); });
    observer.observe(document.documentElement,
                     {subtree: true, childList: true, attributes: true, characterData: true});
    while (performance.now() - changed < quietMs) {
        if (performance.now() > deadline) {
            observer.disconnect();
            return 'the page kept changing';
        }
        await pause(100);
    }
    observer.disconnect();
    return '';
}"""

# On paper an answer cannot be clicked open: open each, and call its summary "Answer".
OPEN_ANSWERS = """() => document.querySelectorAll('details.seqbook-answer').forEach(details => {
    details.open = true;
    details.querySelector('summary').textContent = 'Answer';
})"""

# What the web page lets scroll sideways (a wide equation, a wide table or row of widgets)
# would be cut off on paper: shrink each such block to the text's width. Returns what still
# sticks out.
FIT_WIDTH = """() => {
    const article = document.querySelector('article');
    if (!article) { return []; }
    const right = article.getBoundingClientRect().right;
    const blocks = article.querySelectorAll(
        'mjx-container[display="true"], table, .jupyter-widgets.widget-box, ' +
        '.jupyter-widgets.widget-container, .cell_output > .output > *');
    const wider = el => {
        const box = el.getBoundingClientRect();
        return Math.max(el.scrollWidth, box.width) > el.clientWidth + 1 || box.right > right + 1;
    };
    for (const el of blocks) {
        if (el.clientWidth > 0 && wider(el)) {
            const room = Math.min(el.clientWidth, right - el.getBoundingClientRect().left);
            el.style.zoom = String(0.98 * room / Math.max(el.scrollWidth, el.clientWidth + 1));
        }
    }
    return [...blocks].filter(el => el.clientWidth > 0 && wider(el)).map(
        el => el.tagName.toLowerCase() + ': ' + el.textContent.replace(/\\s+/g, ' ').slice(0, 60));
}"""

# The page's title and its headings in document order, as the reader sees them.
HEADINGS = """() => [...document.querySelectorAll(
        'article h1, article h2, article h3, article h4, article h5, article h6')]
    .filter(h => h.offsetParent !== null)
    .map(h => {
        const copy = h.cloneNode(true);
        copy.querySelectorAll('.headerlink').forEach(link => link.remove());
        const section = h.closest('section[id]');
        return {level: Number(h.tagName[1]), text: copy.textContent.replace(/\\s+/g, ' ').trim(),
                id: h.id || (section ? section.id : '')};
    })"""


class PrintedPage:
    """One page of the book printed on its own: its PDF and what the merge needs."""

    def __init__(self, docname, caption, depth, pdf, headings):
        self.docname = docname
        self.caption = caption  # the part of _toc.yml it is in ("Chapters", ...)
        self.depth = depth  # 0 for a chapter, 1 for a lab under its reading
        self.reader = PdfReader(io.BytesIO(pdf))
        self.headings = headings
        self.title = headings[0]["text"] if headings else docname
        self.first = 0  # index of its first page in the body, set when laid out

    @property
    def count(self):
        return len(self.reader.pages)


def toc_entries(root=ROOT):
    """Every page of _toc.yml in reading order: ``(docname, part caption, depth)``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [(toc["root"], "", 0)]

    def walk(items, caption, depth):
        for item in items or []:
            if "file" in item:
                entries.append((item["file"], caption, depth))
            walk(item.get("sections"), caption, depth + 1)

    for part in toc.get("parts", []):
        walk(part.get("chapters"), part.get("caption", ""), 0)
    walk(toc.get("chapters"), "", 0)
    return entries


def settle(page, timeout_ms=SETTLE_TIMEOUT_MS):
    """Wait until the page has finished drawing; raises with the reason when it does not."""
    problem = page.evaluate(SETTLE, {"quietMs": QUIET_MS, "timeoutMs": timeout_ms})
    if problem:
        raise RuntimeError(problem)


def print_page(context, base_url, docname, wait=True, settle_timeout_ms=SETTLE_TIMEOUT_MS):
    """Open one page of the book, let it settle (unless ``wait`` is False: only for the
    test that shows what printing too early does), print it; returns (pdf, headings)."""
    visit = book_browser.PageVisit(context, base_url, docname, PRINT_VIEWPORT).open()
    try:
        if wait:
            try:
                settle(visit.page, settle_timeout_ms)
            except RuntimeError as error:
                raise RuntimeError(f"{docname}: {error} within {settle_timeout_ms} ms; "
                                   "the PDF would show it half-drawn") from None
        if visit.problems:
            raise RuntimeError(f"{docname} did not load cleanly:\n" + "\n".join(visit.problems))
        visit.page.evaluate(OPEN_ANSWERS)
        visit.page.emulate_media(media="print")
        too_wide = visit.page.evaluate(FIT_WIDTH)
        if too_wide:
            raise RuntimeError(f"{docname}: wider than the page even when shrunk:\n"
                               + "\n".join(too_wide))
        headings = visit.page.evaluate(HEADINGS)
        pdf = visit.page.pdf(**PAPER, print_background=True, outline=True, tagged=True)
    finally:
        visit.close()
    return pdf, headings


def heading_pages(printed):
    """Each heading of a printed page with the index (in that page's PDF) of the PDF page it
    is on, from Chromium's outline, which lists the same headings in the same order."""
    pages = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                pages.append(printed.reader.get_destination_page_number(item))

    walk(printed.reader.outline)
    if len(pages) != len(printed.headings):
        raise RuntimeError(f"{printed.docname}: Chromium's outline has {len(pages)} headings, "
                           f"the page {len(printed.headings)}: cannot tell their pages")
    return list(zip(printed.headings, pages))


def front_matter_html(config, printed_pages, base_url):
    """The title page and the contents, with the number of each page's and section's
    first page; every entry links to its page (a link rewritten inside the PDF)."""
    rows, caption = [], None
    for printed in printed_pages:
        if printed.caption != caption and printed.caption:
            caption = printed.caption
            rows.append(f'<div class="part">{html.escape(caption)}</div>')
        chapter_page = re.match(r"(book/\d+_|lessons/)", printed.docname)
        for heading, index in heading_pages(printed):
            if heading["level"] == 1:
                kind, depth, anchor = "page", printed.depth, ""
            elif heading["level"] == 2 and chapter_page:
                kind, depth, anchor = "section", printed.depth + 1, f"#{heading['id']}"
            else:
                continue
            href = f"{base_url}{printed.docname}.html{anchor}"
            rows.append(
                f'<a class="entry {kind} depth{depth}" href="{html.escape(href)}">'
                f'<span class="text">{html.escape(heading["text"])}</span>'
                f'<span class="dots"></span><span class="number">'
                f'{printed.first + index + 1}</span></a>')
    title, author = html.escape(config["title"]), html.escape(config.get("author", ""))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; color: #222; }}
.title {{ break-after: page; padding-top: 70mm; text-align: center; }}
.title h1 {{ font-size: 28pt; font-weight: normal; margin-bottom: 8mm; }}
.title p {{ font-size: 13pt; color: #555; }}
h2 {{ font-size: 18pt; font-weight: normal; margin: 0 0 6mm; }}
.part {{ font-weight: bold; font-size: 11.5pt; margin: 5mm 0 1.5mm; break-after: avoid; }}
.entry {{ display: flex; align-items: baseline; color: inherit; text-decoration: none;
         margin: 0.8mm 0; break-inside: avoid; }}
.page {{ font-weight: 600; margin-top: 2.5mm; }}
.section {{ font-size: 9.5pt; color: #444; }}
.depth1 {{ padding-left: 6mm; }}
.depth2 {{ padding-left: 12mm; }}
.dots {{ flex: 1; border-bottom: 1px dotted #999; margin: 0 2mm; }}
</style></head><body>
<div class="title"><h1>{title}</h1><p>{author}</p></div>
<h2>Contents</h2>
{chr(10).join(rows)}
</body></html>"""


def overlay_html(printed_pages):
    """One A4 sheet per body page, with the running head (the page's title, left out on
    its first page) and the page number, to lay over the printed pages."""
    sheets = []
    for printed in printed_pages:
        for index in range(printed.count):
            head = "" if index == 0 else html.escape(printed.title)
            sheets.append(f'<div class="sheet"><div class="head">{head}</div>'
                          f'<div class="number">{printed.first + index + 1}</div></div>')
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 0; }}
body {{ margin: 0; font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #666; }}
.sheet {{ position: relative; height: 296.5mm; overflow: hidden; break-after: page; }}
.sheet:last-child {{ break-after: auto; }}
.head {{ position: absolute; top: 9mm; left: 18mm; right: 18mm; text-align: right;
        border-bottom: 0.5px solid #ccc; padding-bottom: 1mm; }}
.head:empty {{ border: none; }}
.number {{ position: absolute; bottom: 9mm; left: 0; right: 0; text-align: center; }}
</style></head><body>{"".join(sheets)}</body></html>"""


def print_html(context, markup):
    """Print a page made here (front matter, overlay) with Chromium."""
    page = context.new_page()
    try:
        page.route("**/*", lambda route: route.abort())  # it needs nothing from anywhere
        page.set_content(markup, wait_until="load")
        page.evaluate("() => document.fonts.ready")
        return PdfReader(io.BytesIO(page.pdf(**PAPER, print_background=True)))
    finally:
        page.close()


def link_targets(printed_pages, base_url, front):
    """Where each page and anchor of the book is in the merged PDF:
    ``{url: (page index, height from the bottom or None)}``."""
    targets = {}
    for printed in printed_pages:
        start = front + printed.first
        url = f"{base_url}{printed.docname}.html"
        targets[url] = (start, None)
        for heading, index in heading_pages(printed):
            if heading["id"]:
                targets[f"{url}#{heading['id']}"] = (start + index, None)
        for name, destination in printed.reader.named_destinations.items():
            index = printed.reader.get_destination_page_number(destination)
            top = destination.top if destination.get("/Type") == "/XYZ" else None
            targets.setdefault(f"{url}#{name.lstrip('/')}", (start + index, top))
    return targets


def internal_links(writer, printed_pages, base_url, front):
    """Turn the links between pages of the book (URLs of the local server, and Chromium's
    named destinations inside one page) into links to pages of this PDF; a link to a part
    of the book that is not in it (the search page) is removed. Returns how many."""
    targets = link_targets(printed_pages, base_url, front)
    owners = []
    for printed in printed_pages:
        owners += [printed] * printed.count
    rewritten = 0
    for index, page in enumerate(writer.pages):
        annotations = page.get("/Annots")
        if not annotations:
            continue
        kept = ArrayObject()
        for reference in annotations:
            link = reference.get_object()
            url = None
            action = link.get("/A")
            if action is not None and action.get("/S") == "/URI":
                url = str(action["/URI"])
                if not url.startswith(base_url):
                    kept.append(reference)
                    continue
            elif "/Dest" in link and index >= front:  # a named destination of this page
                owner = owners[index - front]
                url = f"{base_url}{owner.docname}.html#{str(link['/Dest']).lstrip('/')}"
            else:
                kept.append(reference)
                continue
            url = url.split("?")[0]
            target = targets.get(url) or targets.get(url.split("#")[0])
            if target is None:
                continue
            target_index, top = target
            link.pop("/A", None)
            link[NameObject("/Dest")] = ArrayObject([
                writer.pages[target_index].indirect_reference, NameObject("/XYZ"),
                FloatObject(0), FloatObject(top if top is not None else 842), FloatObject(0)])
            kept.append(reference)
            rewritten += 1
        page[NameObject("/Annots")] = kept
    return rewritten


def merge(front, printed_pages, overlay, base_url):
    """One PDF: front matter, then every page with its number laid over it, bookmarks,
    page labels and internal links."""
    writer = PdfWriter()
    for page in front.pages:
        writer.add_page(page)
    sheets = iter(overlay.pages)
    for printed in printed_pages:
        for page in printed.reader.pages:
            added = writer.add_page(page)
            added.merge_page(next(sheets))
    writer.set_page_label(0, len(front.pages) - 1, style="/r")
    writer.set_page_label(len(front.pages), len(writer.pages) - 1, style="/D", start=1)
    writer.add_outline_item(title="Contents", page_number=1 if len(front.pages) > 1 else 0)
    for printed in printed_pages:
        start = len(front.pages) + printed.first
        parent = writer.add_outline_item(title=printed.title, page_number=start)
        for heading, index in heading_pages(printed)[1:]:
            if heading["level"] == 2:
                writer.add_outline_item(title=heading["text"], page_number=start + index,
                                        parent=parent)
    internal_links(writer, printed_pages, base_url, len(front.pages))
    return writer


def lay_out(printed_pages):
    first = 0
    for printed in printed_pages:
        printed.first = first
        first += printed.count


def make_pdf(html_folder=HTML, output=OUTPUT, root=ROOT, only=None, wait=True, log=print,
             settle_timeout_ms=SETTLE_TIMEOUT_MS):
    """Print every page of the built book at ``html_folder`` (or the pages in ``only``)
    into one PDF at ``output``. ``wait=False`` prints without letting pages settle: only
    for the test that shows what printing too early does."""
    html_folder = pathlib.Path(html_folder)
    if not (html_folder / "index.html").exists():
        raise RuntimeError(f"{html_folder} holds no built book: run python3 tools/run.py book "
                           "(python3 tools/run.py pdf builds it when it is missing)")
    config = yaml.safe_load((root / "_config.yml").read_text())
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    profile = output.parent / ".chromium-profile"
    with book_browser.serve(html_folder) as base_url, book_browser.chromium(profile) as context:
        printed_pages = []
        entries = toc_entries(root)
        unknown = sorted(set(only or []) - {docname for docname, _, _ in entries})
        if unknown:
            raise RuntimeError(f"not pages of _toc.yml: {', '.join(unknown)} (give docnames "
                               "such as book/01_rnn or lessons/01_rnn)")
        for docname, caption, depth in entries:
            if only and docname not in only:
                continue
            started = time.perf_counter()
            pdf, headings = print_page(context, base_url, docname, wait, settle_timeout_ms)
            printed_pages.append(PrintedPage(docname, caption, depth, pdf, headings))
            log(f"  {docname}: {printed_pages[-1].count} pages "
                f"({time.perf_counter() - started:.1f} s)")
        lay_out(printed_pages)
        front = print_html(context, front_matter_html(config, printed_pages, base_url))
        overlay = print_html(context, overlay_html(printed_pages))
        body = sum(printed.count for printed in printed_pages)
        if len(overlay.pages) != body:
            raise RuntimeError(f"the page-number overlay has {len(overlay.pages)} sheets for "
                               f"{body} pages")
        writer = merge(front, printed_pages, overlay, base_url)
        writer.add_metadata({"/Title": config["title"], "/Author": config.get("author", ""),
                             "/Creator": "tools/book_pdf.py, printed by Chromium"})
    with open(output, "wb") as file:
        writer.write(file)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=pathlib.Path, default=HTML,
                        help="the built HTML book (default: _build/html)")
    parser.add_argument("--out", type=pathlib.Path, default=OUTPUT,
                        help="where to write the PDF (default: _build/pdf/seqbook.pdf)")
    parser.add_argument("--only", action="append", metavar="DOCNAME",
                        help="print only this page (repeatable), e.g. --only book/01_rnn; "
                             "implies --no-copy")
    parser.add_argument("--no-copy", action="store_true",
                        help=f"do not copy the PDF into the HTML book as {PUBLISHED_NAME}")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"printing {options.html} with Chromium ...", flush=True)
    try:
        output = make_pdf(options.html, options.out, only=options.only)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    pages = len(PdfReader(output).pages)
    size = output.stat().st_size / 2**20
    print(f"wrote {output}: {pages} pages, {size:.1f} MiB, "
          f"in {time.perf_counter() - started:.0f} s")
    if not (options.no_copy or options.only):
        copy = options.html / PUBLISHED_NAME
        copy.write_bytes(output.read_bytes())
        print(f"copied it into the HTML book: {copy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
