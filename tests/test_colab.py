"""Every lab opened alone where the book's package is missing (Colab, Binder, a bare
Jupyter) installs it with its set-up cell, runs top to bottom and prints what the committed
lesson shows: this is where lessons/ goes through nbval (tools/run.py leaves lessons/ out
of the main run, so each lesson is executed once, here).

The wheel is built as the book build builds it (``publishing.build_wheel``, which
``book/_ext/package_wheel.py`` calls) and served on 127.0.0.1. One fresh environment holds
only torch, ipykernel and nbclient (tests/fresh_venv.py), as a new runtime does. Each lab
is copied alone into an empty folder of its own and run by nbval (the main environment's
pytest, ``--nbval-kernel-name``) in a kernel of that environment, with
SEQBOOK_PACKAGE_URL at the served wheel and no path to this checkout. The first lab's
set-up cell finds seqbook missing and installs it with the pins it lacks (the data
packages and the rest come from this machine's pip index, as Colab's come from PyPI); the
labs after it run in the same environment. Every lab's set-up cell is the same cell
(tests/test_chapter_contract.py), so one install proves the cell; each lab's own cells
run in a kernel that sees the book's package only as a student's would.
"""

import functools
import http.server
import shutil
import subprocess
import sys
import threading

import nbformat
import pytest

from seqbook.course import dependencies, publishing
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


KERNEL = "seqbook-colab"


@pytest.fixture(scope="module")
def colab_base():
    return fresh_venv.base("colab", BASE)


@pytest.fixture(scope="module")
def runtime(colab_base, tmp_path_factory):
    """A fresh environment over the cached base, with a Jupyter kernel of its Python."""
    venv = fresh_venv.layer(tmp_path_factory.mktemp("colab") / "venv", colab_base)
    fresh_venv.install_kernel(venv, KERNEL)
    return venv


def installed(venv):
    """{canonical distribution name: version} of what ``venv`` itself holds (not its base)."""
    found = {}
    for path in fresh_venv.site_packages(venv).glob("*.dist-info"):
        name, version = path.name.removesuffix(".dist-info").rsplit("-", 1)
        found[dependencies.canonical(name)] = version
    return found


def run_with_nbval(venv, notebook, **env):
    """nbval on ``notebook`` in a kernel of ``venv``: every cell runs, and its outputs must
    be the committed ones (sanitized as in the main run). Returns pytest's report."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
               "no:xdist", "--rootdir", notebook.parent, "--nbval", "--nbval-kernel-name",
               KERNEL, "--nbval-sanitize-with", ROOT / "tests" / "sanitize.cfg", notebook]
    done = subprocess.run([str(part) for part in command], cwd=notebook.parent,
                          capture_output=True, text=True, env=fresh_venv.clean_env(
                              JUPYTER_PATH=str(venv / "share" / "jupyter"), **env))
    return done.returncode, done.stdout[-6000:] + done.stderr[-2000:]


@pytest.mark.parametrize("lab", CHAPTERS)  # in order: the first lab installs the book
def test_a_lab_alone_installs_the_book_and_reproduces_its_outputs(lab, served_wheel,
                                                                  colab_base, runtime,
                                                                  tmp_path):
    before = installed(runtime)
    installs = "seqbook" not in before  # the first lab run in this environment
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(ROOT / "lessons" / f"{lab}.ipynb", folder / f"{lab}.ipynb")
    code, report = run_with_nbval(runtime, folder / f"{lab}.ipynb",
                                  SEQBOOK_PACKAGE_URL=served_wheel)
    assert code == 0, f"lessons/{lab}.ipynb, alone in a fresh environment:\n{report}"
    after = installed(runtime)
    assert after.get("seqbook") == publishing.version(), after
    assert "torch" not in after, "an installed torch should be left alone"
    if installs:  # every pin the set-up cell names: the data, and what the base lacks
        in_base = installed(colab_base)
        for pin in dependencies.runtime():
            name = dependencies.requirement_name(pin)
            if name in publishing.DATA_PACKAGES or name not in in_base:
                wanted = dependencies.pinned_version(name)
                assert after.get(name) == wanted, f"the set-up cell should install {pin}"
    else:
        assert after == before, "seqbook was installed: the set-up cell installs nothing"


def test_nbval_runs_in_the_fresh_environment_and_fails_on_a_wrong_output(runtime, tmp_path):
    """The check above can fail: a notebook whose saved output is not what its cell prints
    is reported, and the kernel is the fresh environment's Python, not this checkout's."""
    def notebook(printed):
        cell = nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)", execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed + "\n")]
        return nbformat.v4.new_notebook(cells=[cell])

    for name, printed, passes in [("right", str(runtime), True),
                                  ("wrong", sys.prefix, False)]:
        path = tmp_path / name / f"{name}.ipynb"
        path.parent.mkdir()
        nbformat.write(notebook(printed), path)
        code, report = run_with_nbval(runtime, path)
        assert (code == 0) == passes, report
    assert "1 failed" in report, report
