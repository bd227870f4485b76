"""The book builds with no Sphinx warning, from the committed notebook outputs, and the
HTML holds each chapter's reading and lab with figures and saved widget state."""

import pytest

from tests.conftest import CHAPTERS, reading_of


@pytest.fixture(scope="module")
def html(book_html):
    """The book built once per session with -W (tests/book_build.py)."""
    return book_html


def test_front_matter_pages_exist(html):
    for page in ["book/intro", "book/how_to_use", "book/notation", "book/bibliography"]:
        assert (html / f"{page}.html").exists(), f"{page} is missing from the built book"
    assert "Pascanu" in (html / "book" / "bibliography.html").read_text()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reading_has_equations_figures_and_a_link_to_the_lab(chapter, html):
    page = (html / "book" / f"{reading_of(chapter)}.html").read_text()
    assert "\\tag{" in page or "\\(" in page, "no math on the reading page"
    assert "<img" in page, "the reading has no figure"
    assert f"lessons/{chapter}.html" in page, "the reading does not link to its lab"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_lab_is_rendered_from_committed_outputs_with_widgets(chapter, html):
    page = (html / "lessons" / f"{chapter}.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" in page, "no saved widget state"
    assert "application/vnd.jupyter.widget-view+json" in page, "no widget views"
    assert "data:image/png" in page or ".png" in page, "the lab page has no figures"
    assert f"book/{reading_of(chapter)}.html" in page, "the lab does not link back to its reading"


def test_the_book_carries_the_wheel_its_labs_install(html):
    """book/_ext/package_wheel.py: the wheel the labs' set-up cell installs from
    <html.baseurl>_static/, of the book's version, with the explorers' JavaScript."""
    import zipfile

    from seqbook.course import publishing

    wheel = html / "_static" / publishing.wheel_name()
    assert wheel.exists(), f"the built book has no _static/{wheel.name}"
    names = zipfile.ZipFile(wheel).namelist()
    metadata = zipfile.ZipFile(wheel).read(
        f"seqbook-{publishing.version()}.dist-info/METADATA").decode()
    assert f"\nVersion: {publishing.version()}\n" in metadata
    assert "seqbook/views/js/core.js" in names and "seqbook/course/publishing.py" in names
    assert publishing.package_url().endswith(f"/_static/{wheel.name}")
