"""A lab opened alone where the book's package is missing (Colab, Binder, a bare Jupyter)
installs it with its set-up cell and runs top to bottom.

The wheel is built as the book build builds it (``publishing.build_wheel``, which
``book/_ext/package_wheel.py`` calls) and served on 127.0.0.1; each lab is copied alone
into an empty folder and executed in a fresh environment holding only torch, ipykernel
and nbclient (tests/fresh_venv.py), with SEQBOOK_PACKAGE_URL at the served wheel. The
data packages and the rest come from this machine's pip index, as Colab's come from PyPI.
"""

import functools
import http.server
import shutil
import threading

import nbformat
import pytest

from seqbook.course import dependencies, masters, publishing
from tests import fresh_venv
from tests.conftest import CHAPTERS, ROOT

pytestmark = pytest.mark.slow

BASE = [f"torch=={dependencies.pinned_version('torch')}",
        f"ipykernel=={dependencies.pinned_version('ipykernel')}",
        f"nbclient=={dependencies.pinned_version('nbclient')}"]


@pytest.fixture(scope="module")
def served_wheel(tmp_path_factory):
    """The URL of the book's wheel, served on 127.0.0.1 while the tests run."""
    folder = tmp_path_factory.mktemp("static")
    wheel = publishing.build_wheel(folder)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{wheel.name}"
    server.shutdown()


@pytest.fixture(scope="module")
def base_venv():
    return fresh_venv.base("colab", BASE)


@pytest.mark.parametrize("lab", CHAPTERS)
def test_a_lab_alone_installs_the_book_and_runs(lab, served_wheel, base_venv, tmp_path):
    venv = fresh_venv.layer(tmp_path / "venv", base_venv)
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(ROOT / "lessons" / f"{lab}.ipynb", folder / f"{lab}.ipynb")
    fresh_venv.execute(venv, folder / f"{lab}.ipynb", SEQBOOK_PACKAGE_URL=served_wheel)
    executed = nbformat.read(folder / f"{lab}.ipynb", as_version=4)
    [setup] = [cell for cell in executed.cells if masters.is_install_cell(cell)]
    printed = "".join(output.get("text", "") for output in setup.outputs)
    assert printed.startswith(f"Installing seqbook {publishing.version()} and "), printed
    assert "faker==" in printed and "otter-grader==" in printed, printed
    assert "torch" not in printed, "an installed torch should be left alone: " + printed
    installed = list(fresh_venv.site_packages(venv).glob("seqbook-*.dist-info"))
    assert [path.name for path in installed] == [f"seqbook-{publishing.version()}.dist-info"]
