"""Look at the built book as a reader does: served on localhost, in headless Chromium.

Helpers for tests/test_browser.py: a local HTTP server for a built book, a Chromium started
the way this machine needs (Debian's /usr/bin/chromium driven by Playwright, no browser
download), and check functions that return a list of problems in words (empty when the
page is right), so a test can assert both that a good build passes and that a broken one
fails.

Every request the browser makes to anything but the local server is blocked and reported:
the book must work with no network.
"""

import contextlib
import functools
import http.server
import json
import math
import pathlib
import re
import threading
import urllib.parse

import yaml

CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 400, "height": 860}
# How long a page gets to load, and then to typeset its math and render its widgets, in
# milliseconds: generous, because CI's two cores may be busy; a passing page takes seconds.
LOAD_TIMEOUT = 90_000
RENDER_TIMEOUT = 60_000
# Widget models whose views show a control or a progress bar, and the CSS class ipywidgets 8
# gives that view (a horizontal progress bar, as seqbook.progress draws them: the labs'
# explorers are live now, so the progress bars are most of the widgets a lab saves).
CONTROL_CLASSES = {
    "IntProgressModel": "widget-hprogress",
    "FloatProgressModel": "widget-hprogress",
    "IntSliderModel": "widget-slider",
    "FloatSliderModel": "widget-slider",
    "FloatLogSliderModel": "widget-slider",
    "CheckboxModel": "widget-checkbox",
    "DropdownModel": "widget-dropdown",
    "ToggleButtonsModel": "widget-toggle-buttons",
    "ButtonModel": "widget-button",
    "ImageModel": "widget-image",
}
RAW_MATH = ("\\(", "\\)", "$$", "\\begin{")


def toc_pages(root):
    """Every page of the table of contents (_toc.yml), in reading order, as docnames."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def lab_pages(root):
    """The lab pages: table-of-contents pages built from a notebook in lessons/."""
    return [page for page in toc_pages(root) if page.startswith("lessons/")]


def reading_pages(root):
    """Each chapter's reading: the table-of-contents pages named book/NN_topic."""
    return [page for page in toc_pages(root) if re.fullmatch(r"book/\d+_\w+", page)]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium(user_data_dir, scroll_bars=False):
    """Debian's headless Chromium under Playwright, with a fresh profile.

    Playwright starts a headless browser with ``--hide-scrollbars``; ``scroll_bars=True``
    leaves that flag out, so pages show the scroll bars a reader's desktop browser draws.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run python3 tools/run.py test, which "
                           "installs Debian's chromium package, or apt-get install chromium.")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport=DESKTOP,
            ignore_default_args=["--hide-scrollbars"] if scroll_bars else None)
        try:
            yield context
        finally:
            context.close()


class PageVisit:
    """One page opened in the browser, with every problem seen while it loaded."""

    def __init__(self, context, base_url, docname, viewport=DESKTOP):
        self.base_url = base_url
        self.docname = docname
        self.problems = []
        self.page = context.new_page()
        self.page.set_viewport_size(viewport)
        self.page.route("**/*", self._only_localhost)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("requestfailed", lambda request: self.problems.append(
            f"request failed: {request.url} ({request.failure})"))
        self.page.on("response", self._response)
        self.url = urllib.parse.urljoin(base_url, f"{docname}.html")

    def _only_localhost(self, route):
        if route.request.url.startswith(self.base_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.problems.append(f"request outside the book: {route.request.url}")
            route.abort()

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def open(self):
        self.page.goto(self.url, wait_until="load", timeout=LOAD_TIMEOUT)
        self.page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT)
        return self

    def close(self):
        self.page.close()


def check_math(page, timeout=RENDER_TIMEOUT):
    """Every math element is typeset by MathJax, no raw LaTeX is left in the text, and no
    displayed equation is cut off (a wide one must scroll)."""
    problems = []
    if page.locator("article .math").count() == 0:
        return []
    try:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
            timeout=timeout)
        page.evaluate("() => MathJax.startup.promise")
    except Exception as error:  # noqa: BLE001 - any failure here means MathJax is absent
        return [f"MathJax never started: {type(error).__name__}"]
    counts = page.evaluate("""() => {
        const math = [...document.querySelectorAll('article span.math, article div.math')];
        return {math: math.length,
                typeset: math.filter(el => el.querySelector('mjx-container')).length};
    }""")
    if counts["math"] != counts["typeset"]:
        problems.append(f"{counts['math'] - counts['typeset']} of {counts['math']} math "
                        "elements were not typeset")
    text = page.evaluate("""() => {
        const article = document.querySelector('article').cloneNode(true);
        article.querySelectorAll('pre, code, script, mjx-assistive-mml').forEach(el => el.remove());
        return article.innerText;
    }""")
    cut_off = page.evaluate("""() => [...document.querySelectorAll('article div.math')]
        .map(math => {
            const shown = math.querySelector('mjx-container');
            if (!shown) { return null; }
            const outer = math.getBoundingClientRect(), inner = shown.getBoundingClientRect();
            const scrolls = ['auto', 'scroll'].includes(getComputedStyle(shown).overflowX);
            const outside = inner.left < outer.left - 1 || inner.right > outer.right + 1;
            const hidden = shown.scrollWidth > shown.clientWidth + 1 && !scrolls;
            return outside || hidden ? math.innerText.replace(/\\s+/g, ' ').slice(0, 50) : null;
        }).filter(text => text !== null)""")
    for equation in cut_off:
        problems.append(f"an equation is cut off instead of scrolling: {equation!r}")
    for raw in RAW_MATH:
        if raw in text:
            at = text.index(raw)
            context = text[max(0, at - 40):at + 40]
            problems.append(f"raw LaTeX {raw!r} left in the text: ...{context!r}...")
    return problems


def saved_widgets(notebook_path):
    """What the notebook's saved widget views should show: ``(views, counts, settings)``.

    ``counts`` maps each control's CSS class to how many such controls the views hold;
    ``settings`` lists each slider's and checkbox's ``(kind, description, value)``."""
    notebook = json.loads(pathlib.Path(notebook_path).read_text())
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    counts, settings = {}, []

    def visit(model_id):
        model = state[model_id]
        css = CONTROL_CLASSES.get(model["model_name"])
        if css:
            counts[css] = counts.get(css, 0) + 1
        if css in ("widget-slider", "widget-checkbox"):
            settings.append((css, model["state"].get("description", ""),
                             model["state"].get("value")))
        for child in model["state"].get("children", []):
            visit(child.removeprefix("IPY_MODEL_"))

    views = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                views += 1
                visit(view["model_id"])
    return views, counts, sorted(settings, key=repr)


def shows_value(readout, value):
    """True when a slider's readout text (as formatted, e.g. "3.00") shows ``value``."""
    readout = readout.strip().replace("\u2212", "-")  # d3-format writes a real minus sign
    try:
        shown = float(readout)
    except ValueError:
        return False
    decimals = len(readout.split(".")[1]) if "." in readout and "e" not in readout else 0
    return (abs(shown - value) <= 0.5 * 10 ** -decimals + 1e-12
            or math.isclose(shown, value, rel_tol=5e-3))


def rendered_settings(page):
    """Each rendered slider's and checkbox's ``(kind, label, value)``, as the page shows."""
    return page.evaluate("""() => [
        ...[...document.querySelectorAll('.widget-slider')].map(el => ['widget-slider',
            (el.querySelector('.widget-label') || {}).innerText || '',
            (el.querySelector('.widget-readout') || {}).innerText || '']),
        ...[...document.querySelectorAll('.widget-checkbox')].map(el => ['widget-checkbox',
            (el.querySelector('.widget-label-basic') || el).innerText,
            el.querySelector('input[type=checkbox]').checked]),
    ]""")


def check_widgets(page, notebook_path, timeout=RENDER_TIMEOUT):
    """Each saved widget view is rendered, with as many controls of each kind as saved,
    and every slider and checkbox shows its saved description and value."""
    views, expected, settings = saved_widgets(notebook_path)
    problems = []
    try:
        page.wait_for_function(
            """expected => Object.entries(expected).every(
                   ([css, count]) => document.querySelectorAll('.' + css).length >= count)""",
            arg=expected, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - a timeout means controls are missing
        problems.append(f"the {views} saved widget views did not all render within "
                        f"{timeout} ms ({type(error).__name__})")
    for css, count in sorted(expected.items()):
        found = page.locator(f".{css}").count()
        if found != count:
            problems.append(f"{found} .{css} controls rendered, the saved state has {count}")
    shown = rendered_settings(page)
    for kind, description, value in settings:
        match = [item for item in shown
                 if item[0] == kind and item[1].strip("\u200b \n") == description
                 and (shows_value(item[2], value) if kind == "widget-slider"
                      else item[2] == value)]
        if match:
            shown.remove(match[0])
        else:
            problems.append(f"no {kind} shows the saved {description!r} = {value!r}")
    return problems


def check_phone_width(page, width=PHONE["width"]):
    """The page fits the phone's width: nothing makes the whole page scroll sideways,
    every widget control lies inside the screen, and every slider has a usable track."""
    problems = []
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        problems.append(f"the page is {scroll_width} px wide on a {width} px screen")
    controls = page.evaluate("""classes => classes.flatMap(css =>
        [...document.querySelectorAll('.' + css)].map(el => {
            const box = el.getBoundingClientRect();
            const track = el.querySelector('.slider-container');
            return {css, left: box.left, right: box.right,
                    track: track ? track.getBoundingClientRect().width : null};
        }))""", sorted(set(CONTROL_CLASSES.values())))
    for control in controls:
        if control["left"] < -1 or control["right"] > width + 1:
            problems.append(f"a .{control['css']} control sticks out of the screen "
                            f"(from {control['left']:.0f} to {control['right']:.0f} px)")
        if control["track"] is not None and control["track"] < 80:
            problems.append(f"a slider track is only {control['track']:.0f} px wide")
    return problems


def search_finds(context, base_url, term, docname):
    """Search the book for ``term``; problems unless ``docname`` is among the results."""
    visit = PageVisit(context, base_url, "search")
    visit.url = urllib.parse.urljoin(base_url, f"search.html?q={urllib.parse.quote(term)}")
    visit.open()
    try:
        # Sphinx's search shows its summary ("found N pages" or "did not match") when done.
        visit.page.wait_for_selector("#search-results p.search-summary",
                                     timeout=RENDER_TIMEOUT)
        links = visit.page.eval_on_selector_all("#search-results ul.search li a",
                                                "links => links.map(a => a.href)")
    except Exception as error:  # noqa: BLE001 - a timeout means the search never finished
        return visit.problems + [f"the search for {term!r} never finished: {error}"]
    finally:
        visit.close()
    if not links:
        return visit.problems + [f"searching for {term!r} found nothing"]
    if not any(f"{docname}.html" in link for link in links):
        return visit.problems + [f"searching for {term!r} did not find {docname}: {links}"]
    return visit.problems


def screenshot_near(page, selector, path):
    """Scroll the first ``selector`` element near the top and take a viewport screenshot."""
    page.evaluate(
        """selector => {
            const el = document.querySelector(selector);
            if (el) { el.scrollIntoView({block: 'start'}); window.scrollBy(0, -120); }
        }""",
        selector)
    page.wait_for_timeout(300)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def chapter_term(reading_source):
    """A word to search for: the longest word of the reading's title."""
    title = next(line for line in reading_source.splitlines() if line.startswith("# "))
    return max(re.findall(r"[A-Za-z]+", title), key=len)


def live_explorers(notebook_path):
    """The live explorers a notebook's outputs hold: their kinds, in order."""
    notebook = json.loads(pathlib.Path(notebook_path).read_text())
    kinds = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            kinds += re.findall(r'<div class="seqbook-explorer"[^>]*data-explorer="(\w+)"', html)
    return kinds


# Each control of a live explorer, moved once: a slider to the other end of its range, a
# checkbox flipped, a drop-down to its next option, a text box given new words.
MOVE_EVERY_CONTROL = """root => {
    const results = [];
    const figure = () => root.querySelector('.seqbook-figure').innerHTML;
    const inputs = '.seqbook-controls input, .seqbook-controls select';
    for (const input of root.querySelectorAll(inputs)) {
        const before = Number(root.dataset.redraws || 0);
        const drawn = figure();
        const started = performance.now();
        let event = 'input';
        if (input.type === 'range') {
            const low = Number(input.min), high = Number(input.max), now = Number(input.value);
            input.value = String(now - low > high - now ? low : high);
        } else if (input.type === 'checkbox') {
            input.checked = !input.checked;
        } else if (input.tagName === 'SELECT') {
            input.selectedIndex = (input.selectedIndex + 1) % input.options.length;
        } else {
            input.value = input.value ? '' : 'the film was good';
            event = 'change';
        }
        input.dispatchEvent(new Event(event, {bubbles: true}));
        results.push({name: input.name, redraws: Number(root.dataset.redraws || 0) - before,
                      ms: performance.now() - started, changed: figure() !== drawn,
                      options: input.tagName === 'SELECT' ? input.options.length : null});
    }
    return results;
}"""


def check_explorers(page, notebook_path, budget_ms=100):
    """Every live explorer the notebook holds is on the page and started; moving each of
    its controls redraws it, changes what it draws and takes under ``budget_ms``."""
    expected = live_explorers(notebook_path)
    roots = page.locator(".seqbook-explorer")
    problems = []
    if roots.count() != len(expected):
        problems.append(f"{roots.count()} live explorers on the page, the notebook has "
                        f"{len(expected)} ({', '.join(expected)})")
    for k in range(roots.count()):
        root = roots.nth(k)
        kind = root.get_attribute("data-explorer")
        if root.get_attribute("data-mounted") != "yes" or not root.get_attribute("data-redraws"):
            problems.append(f"the {kind} explorer never started: {root.inner_text()[:80]!r}")
            continue
        # an explorer may precompute in the background (data-busy) so that a move only draws
        root.evaluate("root => new Promise(done => { const wait = () => root.dataset.busy ? "
                      "setTimeout(wait, 50) : done(); wait(); })")
        moves = root.evaluate(MOVE_EVERY_CONTROL)
        if any(moved["ms"] > budget_ms for moved in moves):
            # a shared core may stall one redraw: move every control once more (back), and
            # hold each control to the faster of its two redraws
            again = {moved["name"]: moved["ms"] for moved in root.evaluate(MOVE_EVERY_CONTROL)}
            moves = [{**moved, "ms": min(moved["ms"], again.get(moved["name"], moved["ms"]))}
                     for moved in moves]
        for moved in moves:
            if moved["options"] == 1:
                continue  # a drop-down with one choice cannot move
            if moved["redraws"] != 1:
                problems.append(f"{kind}: moving {moved['name']} redrew "
                                f"{moved['redraws']} times, not once")
            elif not moved["changed"]:
                problems.append(f"{kind}: moving {moved['name']} changed nothing drawn")
            if moved["ms"] > budget_ms:
                problems.append(f"{kind}: moving {moved['name']} took {moved['ms']:.0f} ms "
                                f"(budget {budget_ms} ms)")
    return problems


# A character no font has (the last code point of plane 16, for private use): drawn in a
# given font it shows that font's "missing glyph" box, the picture a character the page's
# fonts cannot draw turns into.
NO_GLYPH = "\U0010FFFD"
# Each distinct character of the page's text, drawn on a canvas in the font its element
# uses, and compared with NO_GLYPH drawn in the same font: the same pixels mean a box.
# Math is left out (MathJax draws it with its own fonts, from CSS, not from the text).
CHARACTERS_DRAWN_AS_BOXES = """async ([noGlyph]) => {
    await document.fonts.ready;
    const canvas = document.createElement('canvas');
    canvas.width = 48; canvas.height = 48;
    const context = canvas.getContext('2d', {willReadFrequently: true});
    const picture = (text, font) => {
        context.clearRect(0, 0, 48, 48);
        context.font = font;
        context.fillText(text, 4, 36);
        return context.getImageData(0, 0, 48, 48).data.join(',');
    };
    const fonts = new Map();  // character -> the fonts it is shown in
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!element || element.closest('mjx-container, script, style, noscript')) { continue; }
        if (!element.getClientRects().length) { continue; }  // not shown
        const style = getComputedStyle(element);
        const font = `${style.fontStyle} ${style.fontWeight} 28px ${style.fontFamily}`;
        for (const character of node.textContent) {
            if (character.codePointAt(0) < 0x7f || /\\s/.test(character)) { continue; }
            if (!fonts.has(character)) { fonts.set(character, new Set()); }
            fonts.get(character).add(font);
        }
    }
    const boxes = [];
    for (const [character, used] of fonts) {
        for (const font of used) {
            if (picture(character, font) === picture(noGlyph, font)) {
                boxes.push({character, code: character.codePointAt(0).toString(16),
                            font});
                break;
            }
        }
    }
    return boxes;
}"""


def check_characters_drawn(page):
    """Every character of the page's text is drawn by one of its fonts: none shows as the
    empty box of a missing glyph (Debian's Chromium has no font for U+274C, for one)."""
    boxes = page.evaluate(CHARACTERS_DRAWN_AS_BOXES, [NO_GLYPH])
    return [f"{box['character']!r} (U+{box['code'].upper()}) shows as an empty box: no "
            f"font of the page draws it ({box['font']})" for box in boxes]


# Each code or output block (<pre>) of the article that is wider than what it shows: it
# is cut off unless it scrolls with a scroll bar to see (code) or wraps (output text).
CUT_OFF_BLOCKS = """() => {
    const article = document.querySelector('article');
    if (!article) { return []; }
    const column = article.getBoundingClientRect();
    return [...article.querySelectorAll('pre')].map(pre => {
        const box = pre.getBoundingClientRect();
        if (!box.width) { return null; }  // hidden, e.g. in a closed <details>
        const style = getComputedStyle(pre);
        const scrolls = ['auto', 'scroll'].includes(style.overflowX);
        const borders = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
        const scrollBar = pre.offsetHeight - pre.clientHeight - borders;
        const output = !!pre.closest('.cell_output');
        const wider = pre.scrollWidth > pre.clientWidth + 1;
        let why = null;
        if (box.right > column.right + 1 || box.left < column.left - 1) {
            why = 'sticks out of the text column';
        } else if (wider && output) {
            why = 'is an output whose lines do not wrap';
        } else if (wider && !scrolls) {
            why = 'is cut off and does not scroll';
        } else if (wider && scrollBar < 1) {
            why = 'scrolls with no scroll bar to show it';
        }
        return why && {why, text: pre.innerText.trim().split('\\n')[0].slice(0, 60),
                       shown: pre.clientWidth, needed: pre.scrollWidth};
    }).filter(block => block);
}"""


def check_code_blocks(page):
    """No code or output block is cut off at the right edge: code that is wider than the
    column scrolls, with a scroll bar to show it, and output text wraps."""
    return [f"a block {block['why']} ({block['needed']} px of lines in {block['shown']} "
            f"px): {block['text']!r}" for block in page.evaluate(CUT_OFF_BLOCKS)]


FAILED_CHECK_WORDS = ("Test case failed", "\u274c")


def check_cells_explained(page, notebook_path=None):
    """No failing check output is on the page ("Test case failed", the red cross), and
    each ``grader.check`` cell of the page's notebook (None: a page with no notebook)
    shows its line (p.seqbook-check-note, book/_ext/lab_solutions.py) naming the exercise
    it checks and saying Jupyter runs it."""
    notebook = json.loads(pathlib.Path(notebook_path).read_text()) if notebook_path else {}
    checked = [match for cell in notebook.get("cells", []) if cell["cell_type"] == "code"
               for match in re.findall(r"""grader\.check\(\s*["']([^"']+)["']""",
                                       "".join(cell["source"]))]
    text = page.evaluate("() => document.body.innerText")
    problems = [f"the page shows {words!r}: a failing check's output" for words in
                FAILED_CHECK_WORDS if words in text]
    shown = page.evaluate("""() => [...document.querySelectorAll('p.seqbook-check-note')]
        .map(note => {
            const cell = note.closest('.cell');
            const source = cell && cell.querySelector('.cell_input');
            return {note: note.innerText, source: source ? source.innerText : ''};
        })""")
    if len(shown) != len(checked):
        problems.append(f"{len(shown)} check cells show their line, the notebook has "
                        f"{len(checked)} grader.check cells ({', '.join(checked)})")
    for name, cell in zip(checked, shown):
        if name not in cell["source"] or name not in cell["note"] or (
                "Jupyter" not in cell["note"]):
            problems.append(f"the check cell of {name} does not show its line naming it "
                            f"and Jupyter: {cell}")
    return problems
