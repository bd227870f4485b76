"""Shared fixtures: where the book lives and which chapters it has."""

import pathlib

import pytest
import torch

from seqbook import lab

# The same CPU code paths as the labs (lab.setup), set before any test computes: the notebook
# kernels nbval starts inherit them too.
lab.pin_cpu_code_paths()

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.stem for path in (ROOT / "solutions").glob("*.ipynb"))


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
    from tests.book_build import build_book

    return build_book()


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The unit tests use tiny tensors: one thread is faster, and immune to the load of
    other processes (a notebook kernel running beside them)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
