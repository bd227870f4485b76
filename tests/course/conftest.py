"""Grading without --seed and without a bundle's seed.txt keeps the instructor's own seed
in $XDG_CONFIG_HOME/seqbook/hidden-seed (seqbook.course.seeds): the tests keep theirs in
a folder of the test session, never in the home folder."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def own_seed_folder(tmp_path_factory):
    previous = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    yield
    if previous is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = previous
