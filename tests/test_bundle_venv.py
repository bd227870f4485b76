"""Each chapter's student bundle from ``seqbook assign``, installed as its README says in
a fresh environment, holds the committed lessons and a working package, and its labs link
to the published book.

The bundle's pins (all the same for every chapter) are installed once into a cached base
environment (tests/fresh_venv.py); each chapter's test then runs ``pip install -r
requirements.txt`` in the bundle, in a fresh layer over that base, which finds the pins
installed and builds and installs the bundle's own package. Every lesson's code cells are
the committed lesson's, which tests/test_colab.py runs under nbval in a fresh
environment; so that the bundle is also seen working end to end, Chapter 1's bundle
executes its lesson there, in the bundle's lessons/ folder, with no path to this
checkout, and every other bundle runs its labs' set-up cell, which must find the
installed package and print nothing.
"""

import pathlib
import re

import nbformat
import pytest

from seqbook.course import bundles, masters, publishing
from tests import fresh_venv
from tests.conftest import CHAPTERS, ROOT

NUMBERS = sorted({lab[:2] for lab in CHAPTERS})
RUN_WHOLE = "01"  # the chapter whose bundle executes its lessons top to bottom


@pytest.fixture(scope="module")
def bundle_base():
    return fresh_venv.base("bundle", bundles.dependencies.student_requirements())


@pytest.mark.slow
@pytest.mark.parametrize("number", NUMBERS)
def test_a_chapters_bundle_installs_and_works(number, bundle_base, tmp_path):
    labs_of_chapter = [lab for lab in CHAPTERS if lab.startswith(number)]  # 04a, 04b
    out = bundles.assign(labs_of_chapter, tmp_path / "bundle")
    student = pathlib.Path(out["student"])
    requirements = (student / "requirements.txt").read_text().splitlines()
    for data in ("textblob==", "babel==", "faker=="):
        assert any(line.startswith(data) for line in requirements), data
    venv = fresh_venv.layer(tmp_path / "venv", bundle_base)
    fresh_venv._run([fresh_venv.python_of(venv), "-m", "pip", "install", "--quiet", "-r",
                     "requirements.txt"], cwd=student)
    [installed] = fresh_venv.site_packages(venv).glob("seqbook-*.dist-info")
    assert installed.name == f"seqbook-{publishing.version()}.dist-info"
    labs = sorted((student / "lessons").glob("*.ipynb"))
    assert [lab.stem for lab in labs] == labs_of_chapter
    for lab in labs:
        text = "\n".join(cell.source for cell in nbformat.read(lab, as_version=4).cells
                         if cell.cell_type == "markdown")
        assert "../book/" not in text, f"{lab.name} links to readings the bundle lacks"
        assert re.search(rf"\]\({re.escape(publishing.book_url())}book/{number}_\w+\.html",
                         text), f"{lab.name} should link to its reading in the published book"
        committed = nbformat.read(ROOT / "lessons" / lab.name, as_version=4)
        assert code_cells(nbformat.read(lab, as_version=4)) == code_cells(committed), \
            f"the bundle's {lab.name} should run the committed lesson's code"
    if number == RUN_WHOLE:
        for lab in labs:
            fresh_venv.execute(venv, lab)
            executed = nbformat.read(lab, as_version=4)
            [setup] = [cell for cell in executed.cells if masters.is_install_cell(cell)]
            assert setup.outputs == [], "seqbook is installed: the set-up cell prints nothing"
    else:
        done = fresh_venv._run([fresh_venv.python_of(venv), "-c",
                                publishing.setup_cell_source()], cwd=student / "lessons")
        assert done.stdout == "", "seqbook is installed: the set-up cell prints nothing"
        where = fresh_venv._run([fresh_venv.python_of(venv), "-c",
                                 "import seqbook; print(seqbook.__file__)"],
                                cwd=student / "lessons").stdout
        assert where.startswith(str(fresh_venv.site_packages(venv))), where


def code_cells(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_links_to_readings_point_at_the_published_book():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(
        "See [Chapter 1](../book/01_rnn.md) and [notation](../book/notation.md#symbols); "
        "[a lab](02_lstm.ipynb) stays.")]
    bundles.link_to_published_book(notebook)
    book = publishing.book_url()
    assert notebook.cells[0].source == (
        f"See [Chapter 1]({book}book/01_rnn.html) and [notation]({book}book/notation.html"
        "#symbols); [a lab](02_lstm.ipynb) stays.")
