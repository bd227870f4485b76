"""The instructor's seed (seqbook.course.seeds): where grading takes it from, and that it
decides the hidden cases a submission meets, not the public ones."""

import os
import stat

import pytest

from seqbook.course import grade, lessons, sandbox, seeds
from tests.conftest import ROOT
from tests.course.test_grading_cli import FIRST, answer_cell, save, solved_lesson


def test_the_order_is_the_option_then_the_bundle_then_the_instructors_own(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bundle = tmp_path / "instructor"
    seeds.write(bundle / seeds.SEED_FILE, 1234)
    assert seeds.resolve(7, bundle) == (7, "--seed")
    assert seeds.resolve(None, bundle) == (1234, str(bundle / seeds.SEED_FILE))
    made, where = seeds.resolve(None, tmp_path / "no bundle here")
    assert where.endswith("(made now)") and 0 <= made < 2**64
    path = tmp_path / "config" / "seqbook" / "hidden-seed"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert seeds.resolve(None, None) == (made, str(path))  # kept: the same cases again


def test_a_seed_file_that_holds_no_seed_is_refused_by_name(tmp_path):
    (tmp_path / seeds.SEED_FILE).write_text("not a number\n")
    with pytest.raises(seeds.SeedError, match="does not hold a seed"):
        seeds.resolve(None, tmp_path)


def test_two_seeds_are_different():
    assert len({seeds.fresh() for _ in range(20)}) == 20


@pytest.fixture(scope="module")
def tests_zip(tmp_path_factory):
    """otter assign's output for the first chapter (its autograder zip), once."""
    work = tmp_path_factory.mktemp("assign")
    return lessons.run_otter_assign(ROOT / "solutions" / f"{FIRST}.ipynb", work / "dist")


def messages(result, exercise):
    return {case["hidden"]: case["message"] for case in result.exercises[exercise]["cases"]}


def test_the_seed_decides_the_hidden_cases_and_only_them(tmp_path, tests_zip):
    lesson = solved_lesson()
    answer_cell(lesson, "rnn_forward").source = (  # the last state only: fails every case
        "def rnn_forward(xs, hidden0, W_xh, W_hh, b_h):\n    hidden = hidden0\n"
        "    for t in range(xs.shape[1]):\n"
        "        hidden = rnn_cell_forward(xs[:, t], hidden, W_xh, W_hh, b_h)\n"
        "    return hidden\n")
    submission = save(lesson, tmp_path / "subs" / f"{FIRST}.ipynb")
    results = {seed: grade.grade([str(submission)], tmp_path / f"out{seed}", seed=seed,
                                 instructor_dir=tests_zip, expected=[FIRST],
                                 limits=sandbox.Limits(timeout=20), log=lambda line: None)[0]
               for seed in (1, 2)}
    first, second = (messages(results[seed], "rnn_forward") for seed in (1, 2))
    assert first[False] == second[False]  # the public case: fixed
    assert first[True] != second[True], first  # the hidden ones: drawn from the seed
    assert all(results[seed].total == results[seed].possible - 2 for seed in (1, 2))
