"""tools/new_chapter.py: a scaffolded chapter keeps the chapter contract.

Each test works on a copy of the repository in a temporary folder (the files git tracks,
plus new files not yet committed; without .venv, _build or caches), so the real book is
never touched. The slow test scaffolds ``05_example`` there, generates its lesson with
tools/make_lessons.py (executing two small notebooks), and runs every rule of
tests/test_chapter_contract.py on it, the generated checks' own tests, and ``seqbook
grade`` on its instructor and student notebooks.
"""

import csv
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests import test_chapter_contract as contract
from tests.conftest import ROOT

SKIPPED = {".git", ".venv", "_build", ".cache", "node_modules", "__pycache__",
           ".pytest_cache", ".ruff_cache", "dist"}


def repository_files(root):
    """The repository's files: tracked and new ones (``git ls-files``), or a filtered walk."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                                 "-z"], cwd=root, capture_output=True, check=True).stdout
        names = [name for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
                 and not SKIPPED & set(path.relative_to(root).parts)]
    return [name for name in names if (root / name).is_file()]


def copy_repository(target):
    for name in repository_files(ROOT):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def run(copy, *command, timeout=600):
    """Run a command in the copy, with the copy's package first on the path."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONHASHSEED="0", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, *command], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(root):
    return {name: (root / name).read_bytes() for name in repository_files(root)}


@pytest.fixture
def copy(tmp_path):
    return copy_repository(tmp_path / "book")


@pytest.mark.parametrize("chapter", ["01_rnn", "04_transformer", "04b_more", "5_bad"])
def test_the_scaffold_refuses_an_existing_or_malformed_chapter_and_writes_nothing(chapter,
                                                                                   copy):
    before = snapshot(copy)
    completed = run(copy, "tools/new_chapter.py", chapter)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    expected = "is not a chapter id" if chapter in ("04b_more", "5_bad") else "already exists"
    assert expected in completed.stderr, completed.stderr
    assert snapshot(copy) == before, "a refused scaffold changed the repository"


def test_the_scaffold_refuses_a_topic_whose_module_exists(copy):
    completed = run(copy, "tools/new_chapter.py", "07_attention")
    assert completed.returncode == 1
    assert "seqbook/checks/attention.py" in completed.stderr, completed.stderr


@pytest.mark.slow
def test_a_scaffolded_chapter_keeps_the_contract(copy):
    before = snapshot(copy)
    completed = run(copy, "tools/new_chapter.py", "05_example", "--execute")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Next steps" in completed.stdout and "make_lessons.py 05_example" in completed.stdout

    after = snapshot(copy)
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert changed == ["_toc.yml"], f"the scaffold changed existing files: {changed}"
    entry = (b"      - file: book/05_example\n        sections:\n"
             b"          - file: lessons/05_example\n")
    assert after["_toc.yml"].replace(entry, b"") == before["_toc.yml"], "not only appended"
    assert sorted(set(after) - set(before)) == [
        "book/05_example.md", "book/figures/05_example.svg", "lessons/05_example.ipynb",
        "seqbook/checks/example.py", "seqbook/reference/example.py",
        "seqbook/views/js/example.js", "solutions/05_example.ipynb",
        "tests/checks/test_example.py", "tests/js/test_example.py"]

    # Every rule holds, but the number of exercises: the scaffold writes one of four.
    results = contract.check_chapter(copy, "05", minimum=1)
    assert not any(results.values()), {rule: p for rule, p in results.items() if p}
    assert not contract.check_book(copy)
    [count] = contract.check_exercises(copy, "05")
    assert "1 graded exercise(s); at least 4 wanted" in count
    for chapter in contract.chapters(ROOT):  # the other chapters still keep theirs
        assert not contract.check_toc(copy, chapter)

    # The generated checks pass the right answer and fail the wrong ones.
    tested = run(copy, "-m", "pytest", "-q", "-p", "no:nbval", "tests/checks/test_example.py")
    assert tested.returncode == 0, tested.stdout[-3000:]

    # The explorer's JavaScript equals the reference under Node, and its output is live.
    tested = run(copy, "-m", "pytest", "-q", "-p", "no:nbval", "tests/js/test_example.py")
    assert tested.returncode == 0 and "2 passed" in tested.stdout, tested.stdout[-3000:]
    master = (copy / "solutions" / "05_example.ipynb").read_text()
    assert 'data-explorer=\\"example_running_mean\\"' in master, "no live explorer output"
    # One source: the exercise's solution is the new package function.
    one_source = run(copy, "-m", "pytest", "-q", "-p", "no:nbval", "tests/test_one_source.py",
                     "-k", "05_example")
    assert one_source.returncode == 0, one_source.stdout[-3000:]
    assert "1 passed" in one_source.stdout, one_source.stdout[-3000:]

    # The new files are as tidy as the rest of the repository.
    tidy = run(copy, "-m", "ruff", "check", ".")
    assert tidy.returncode == 0, tidy.stdout[-3000:]

    # Grading gives the instructor notebook full marks and the untouched lesson zero.
    graded = run(copy, "-m", "seqbook", "grade", "solutions/05_example.ipynb",
                 "lessons/05_example.ipynb", "--chapter", "05_example", "--out", "grades",
                 "--jobs", "1")
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    with open(copy / "grades" / "grades.csv", newline="") as gradebook:
        rows = {pathlib.Path(row["submission"]).parent.name: row
                for row in csv.DictReader(gradebook)}
    assert [rows[kind]["status"] for kind in ("solutions", "lessons")] == ["graded"] * 2, rows
    assert float(rows["solutions"]["total"]) == float(rows["solutions"]["possible"]) == 1, rows
    assert float(rows["lessons"]["total"]) == 0, rows
    assert "replace the `...`" in rows["lessons"]["message"].lower(), rows["lessons"]
