"""Shared fixtures: where the book lives and which chapters it has."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.stem for path in (ROOT / "solutions").glob("*.ipynb"))


@pytest.fixture(scope="session")
def root():
    return ROOT
