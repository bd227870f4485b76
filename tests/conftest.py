"""Shared fixtures (where the book lives, which chapters it has, the built book) and the
order and markers of a run.

``tools/run.py test`` runs the suite on pytest-xdist workers with ``--dist loadfile``: a
test file, and so a notebook's nbval cells, always stays whole on one worker, in order and
in one kernel. The hook below starts the longest files first and marks what
``tools/run.py test --fast`` leaves out as ``slow``.
"""

import importlib.util
import pathlib

import pytest
import torch

from seqbook import lab

# The same CPU code paths as the labs (lab.setup), set before any test computes: the notebook
# kernels nbval starts inherit them too.
lab.pin_cpu_code_paths()

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.stem for path in (ROOT / "solutions").glob("*.ipynb"))


def load_module(path):
    """A Python file outside the package (a Sphinx extension, a tool), loaded as a module."""
    path = pathlib.Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def book_extension(name):
    """The Sphinx extension ``book/_ext/<name>.py``, loaded as a module."""
    return load_module(ROOT / "book" / "_ext" / f"{name}.py")


def reading_of(lab):
    """The reading a lab belongs to: ``book/NN_*.md`` with the lab's chapter number, so
    that a chapter split into labs ``04a_...`` and ``04b_...`` has one reading."""
    [reading] = sorted((ROOT / "book").glob(f"{lab[:2]}_*.md"))
    return reading.stem


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def book_html():
    """The HTML book, built once per test session (tests/book_build.py)."""
    from tests.book_build import build_book_once

    return build_book_once()


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The unit tests use tiny tensors: one thread is faster, and immune to the load of
    other processes (a notebook kernel or another xdist worker running beside them). The
    same for numpy's products (OpenBLAS starts a thread per core). Each xdist worker is a
    session of its own, so every worker gets this."""
    from seqbook.models import speed

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with speed.blas_threads(1):
        yield
    torch.set_num_threads(threads)


# Rough seconds per file with two workers on the 2-core machine (a full run of
# tools/run.py test --durations=0, 2026-12-02), used only to hand the longest files out
# first; a file not listed counts as 60 s if it is a notebook, else 1 s. Renamed or
# stale entries make a run slower, never wrong.
SECONDS = {
    "tests/test_colab.py": 230,  # every lesson under nbval in one fresh venv
    "tests/test_bundle_venv.py": 100,  # four bundles installed, Chapter 1's lesson run
    "tests/course/test_grading.py": 130,  # two otter runs
    "tests/test_browser.py": 100,  # with the book build
    "tests/test_book_pdf.py": 90,  # prints the whole book to PDF
    "tests/course/test_grading_cli.py": 70,
    "tests/test_browser_text.py": 70,  # 13 pages, 3 visits each, after the book build
    "tests/checks/test_hidden_seeds.py": 60,
    "tests/course/test_gradescope.py": 55,
    "tests/test_jupyterlab.py": 50,  # a JupyterLab server, a kernel importing torch
    "tests/course/test_throughput.py": 40,
    "tests/course/test_tampering.py": 36,
    "solutions/04a_seq2seq.ipynb": 35,
    "tests/test_new_chapter.py": 32,
    "solutions/04b_attention.ipynb": 30,
    "solutions/02_lstm.ipynb": 29,
    "solutions/01_rnn.ipynb": 26,
    "solutions/03_gru.ipynb": 23,
    "solutions/04c_luong.ipynb": 23,
    "tests/views/test_live.py": 17,
    "tests/course/test_seeds.py": 9,
    "tests/course/test_publishing.py": 7,
    "tests/models/test_seq2seq.py": 7,
    "tests/course/test_sandbox.py": 6,
    "tests/views/test_explorers_attention.py": 5,
}


def estimated_seconds(path):
    path = pathlib.Path(path)
    try:
        name = path.relative_to(ROOT).as_posix()
    except ValueError:
        name = path.as_posix()
    return SECONDS.get(name, 60 if path.suffix == ".ipynb" else 1)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark nbval's notebook cells and every test that needs the built book ``slow``; and
    put the files in order of their estimated time, longest first (each file stays whole
    and in its own order), so that xdist, which hands out whole files in the order
    collected, does not end on a long notebook with the other worker idle."""
    for item in items:
        if item.path.suffix == ".ipynb" or "book_html" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    first_seen = {}
    for item in items:
        first_seen.setdefault(item.path, len(first_seen))
    items.sort(key=lambda item: (-estimated_seconds(item.path), first_seen[item.path]))
