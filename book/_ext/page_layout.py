"""Layout fixes for every page: adds ``book/_ext/static/page-layout.css``, which makes
numbered equations wider than the text column scroll instead of being cut off, and lets
rows of lab widgets wrap on phone-width screens instead of squeezing or overflowing;
and ``print.css``, the book on paper (no navigation, wrapped code, figures kept whole),
which the PDF of the book (tools/book_pdf.py) is printed with.

The stylesheet lives in ``book/_ext/static``, not in a top-level ``_static/`` folder, which
Jupyter Book 1 scans to add every file it finds there to every page.
"""

import pathlib

STATIC = pathlib.Path(__file__).resolve().parent / "static"


def add_static_folder(app, config):
    """``config-inited``: copy book/_ext/static into the built book's _static."""
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", add_static_folder)
    app.add_css_file("page-layout.css")
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
