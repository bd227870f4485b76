"""Style for narrow (phone) screens: adds ``book/_ext/static/narrow-screens.css`` to every
page, so that rows of lab widgets wrap instead of squeezing or overflowing.

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
    app.add_css_file("narrow-screens.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
