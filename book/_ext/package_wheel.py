"""Puts a wheel of the book's package beside the pages: ``_static/seqbook-<version>-
py3-none-any.whl`` in the built book, which every lab's set-up cell installs from the
published book's address (``html.baseurl``) where ``seqbook`` is missing (Colab, Binder,
a bare Jupyter). Built with pip and the pinned setuptools, from a copy of the package
(``seqbook.course.publishing.build_wheel``): no network, nothing written into the checkout.
"""

import pathlib

from sphinx.util import logging

logger = logging.getLogger(__name__)


def add_wheel(app, exception):
    """``build-finished``: build the wheel into the HTML output's ``_static``."""
    if exception is not None or app.builder.format != "html":
        return
    from seqbook.course import publishing

    root = pathlib.Path(app.srcdir)
    if not (root / "pyproject.toml").exists():  # a book built from elsewhere: the package's
        root = publishing.ROOT
    wheel = publishing.build_wheel(pathlib.Path(app.outdir) / "_static", root=root)
    logger.info(f"package_wheel: wrote _static/{wheel.name}")


def setup(app):
    app.connect("build-finished", add_wheel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
