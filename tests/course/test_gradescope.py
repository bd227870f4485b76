"""The Gradescope autograder archive of `seqbook assign`, run in a reproduction of
Gradescope's harness: the archive unpacked into autograder/source, a notebook in
autograder/submission, setup.sh (its network installs skipped: this machine's .venv
stands for the one it builds, and the installs are checked as text), run_autograder,
then autograder/results/results.json. Each run is timed and its process tree's memory
measured against Gradescope's default limits of 768 MB and the issue's 15 s. The memory is
the tree's resident pages, each physical page counted once (the page frames of
/proc/PID/pagemap, polled): what a container that holds only this tree would hold. A sum of
proportional set sizes would depend on what else runs on the machine, since it splits a
library's pages with every other process mapping them."""

import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

from seqbook.course import bundles, dependencies, gradescope
from tests.conftest import ROOT
from tests.course.test_grading_cli import FIRST, master_of, save, solved_lesson
from tests.course.test_tampering import REPLACE_CHECKS, STUB, tampered

EXERCISES = master_of(FIRST).exercises
FULL = sum(exercise.points for exercise in EXERCISES.values())
FIRST_EXERCISE = next(iter(EXERCISES))
MEMORY_LIMIT_MB = 768
SECONDS_LIMIT = 15  # of processor time: the CI machine's 2 cores are shared and loaded
WALL_SECONDS_LIMIT = 180  # (52 to 84 s measured at a load average of 9)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("assign") / "bundle"
    instructor = bundles.assign([FIRST], out)["instructor"]
    return instructor / "gradescope" / f"{FIRST}.zip"


def descendants(pid):
    """``pid`` and every process below it, from /proc."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


PAGE = resource.getpagesize()
PRESENT, FRAME = np.uint64(1 << 63), np.uint64((1 << 55) - 1)  # pagemap's bit 63, bits 0-54


def resident_mb(pids):
    """MB of physical memory the processes ``pids`` hold resident, each page frame once
    (shared libraries and pages shared after a fork are counted one time)."""
    frames = []
    for pid in pids:
        try:
            smaps = pathlib.Path(f"/proc/{pid}/smaps").read_text()
            pagemap = open(f"/proc/{pid}/pagemap", "rb")  # noqa: SIM115 - closed below
        except OSError:
            continue  # the process has ended
        with pagemap:
            start = end = 0
            for line in smaps.splitlines():
                first = line.split(" ", 1)[0]
                if "-" in first and not first.endswith(":"):  # a mapping's address range
                    start, end = (int(part, 16) for part in first.split("-"))
                elif line.startswith("Rss:") and int(line.split()[1]) > 0:
                    try:
                        pagemap.seek(start // PAGE * 8)
                        entries = np.frombuffer(pagemap.read((end - start) // PAGE * 8),
                                                dtype=np.uint64)
                    except (OSError, ValueError):
                        continue
                    frames.append(entries[(entries & PRESENT) != 0] & FRAME)
    if not frames:
        return 0.0
    return np.unique(np.concatenate(frames)).size * PAGE / 2**20


def run_harness(archive, notebook, root):
    """Run the archive on ``notebook`` in a harness under ``root``; returns
    (results.json, processor seconds of the process tree, peak MB)."""
    source, submission = root / "autograder" / "source", root / "autograder" / "submission"
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(source)
    save(notebook, submission / f"{FIRST}.ipynb")
    env = dict(os.environ, SEQBOOK_AUTOGRADER_ROOT=str(root / "autograder"),
               SEQBOOK_PYTHON=sys.executable, SEQBOOK_SKIP_INSTALL="1")
    subprocess.run(["bash", str(source / "setup.sh")], env=env, check=True)
    runner = root / "autograder" / "run_autograder"  # where Gradescope copies it
    shutil.copy(source / "run_autograder", runner)
    peak, start = [0.0], time.monotonic()
    used_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(["bash", str(runner)], env=env, cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def poll():
        while process.poll() is None:
            peak[0] = max(peak[0], resident_mb(descendants(process.pid)))
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    stdout, _ = process.communicate(timeout=300)
    wall = time.monotonic() - start
    poller.join()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (used.ru_utime - used_before.ru_utime) + (used.ru_stime - used_before.ru_stime)
    assert process.returncode == 0, stdout.decode()
    results = json.loads((root / "autograder" / "results" / "results.json").read_text())
    print(f"run_autograder: {wall:.1f} s, {seconds:.1f} s of processor time, "
          f"peak {peak[0]:.0f} MB")
    assert wall < WALL_SECONDS_LIMIT, f"{wall:.1f} s"
    return results, seconds, peak[0]


def scores(results):
    return {test["name"]: test["score"] for test in results["tests"] if "score" in test}


def untouched_lesson():
    import nbformat

    return nbformat.read(ROOT / "lessons" / f"{FIRST}.ipynb", as_version=4)


HONEST = ("master", "untouched")  # a tampering submission may spend memory of its own:
# what it spends cannot raise its score (if it pushed Gradescope's container past its
# limit, the kernel would end a process and the run would score nothing more)
SUBMISSIONS = {  # label: (notebook, the honest score of each exercise)
    "master": (solved_lesson, lambda name: EXERCISES[name].points),
    "untouched": (untouched_lesson, lambda name: 0.0),
    "checks_replaced": (lambda: tampered(REPLACE_CHECKS + STUB, solved=True),
                        lambda name: 0.0 if name == FIRST_EXERCISE else EXERCISES[name].points),
}


@pytest.mark.slow
@pytest.mark.parametrize("label", SUBMISSIONS)
def test_the_archive_grades_a_submission_on_gradescope_within_its_limits(archive, label,
                                                                         tmp_path):
    make, honest = SUBMISSIONS[label]
    results, seconds, peak_mb = run_harness(archive, make(), tmp_path)
    assert scores(results) == {name: honest(name) for name in EXERCISES}, results
    assert results["score"] == sum(honest(name) for name in EXERCISES)
    for test in results["tests"]:
        if "score" in test:  # an exercise: its hidden cases' details wait for publishing
            assert test["max_score"] == EXERCISES[test["name"]].points
            assert test["visibility"] == "after_published"
        else:
            assert test["name"] == "Public cases" and test["visibility"] == "visible"
            assert "(hidden)" not in test["output"]
    assert peak_mb > 100, f"{peak_mb:.0f} MB: pagemap shows no page frames (not root?)"
    if label in HONEST:
        assert peak_mb < MEMORY_LIMIT_MB, f"{peak_mb:.0f} MB"
    else:  # its code imports otter in its own processes: memory of its own, up to its cap
        assert peak_mb < MEMORY_LIMIT_MB + gradescope.LIMITS.memory_mb, f"{peak_mb:.0f} MB"
    assert seconds < SECONDS_LIMIT, f"{seconds:.1f} s"


@pytest.mark.slow
def test_results_hold_the_hidden_cases_only_in_the_tests_shown_after_publishing(archive,
                                                                                tmp_path):
    results, _, _ = run_harness(archive, untouched_lesson(), tmp_path)
    [public] = [test for test in results["tests"] if test["name"] == "Public cases"]
    assert public["status"] == "failed" and "(public): failed" in public["output"]
    hidden_lines = [test["output"] for test in results["tests"] if "(hidden)" in test["output"]]
    assert hidden_lines and all("score" in test for test in results["tests"]
                                if "(hidden)" in test["output"])


def test_two_notebooks_are_refused_with_a_message(archive, tmp_path):
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extract(gradescope.CONFIG, tmp_path / "autograder" / "source")
    for name in (f"{FIRST}.ipynb", "copy.ipynb"):
        save(solved_lesson(), tmp_path / "autograder" / "submission" / name)
    again = gradescope.grade_submission(tmp_path / "autograder", log=lambda line: None)
    assert again["score"] == 0 and again["tests"] == []
    assert "upload exactly one notebook" in again["output"] and "copy.ipynb" in again["output"]


def test_setup_installs_torchs_cpu_build_and_every_pin_of_the_one_list(archive):
    with zipfile.ZipFile(archive) as unpacked:
        setup = unpacked.read("setup.sh").decode()
        requirements = unpacked.read("requirements.txt").decode().split()
        names = set(unpacked.namelist())
    assert ("--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in setup)
    assert "apt-get install -y -qq bubblewrap" in setup
    assert "-r requirements.txt" in setup
    assert requirements == dependencies.runtime()
    for pin in ("torch==2.13.0", "textblob==", "babel==", "otter-grader=="):
        assert any(line.startswith(pin) for line in requirements), pin
    assert {"run_autograder", "seqbook/__init__.py", f"solutions/{FIRST}.ipynb",
            "instructor/seed.txt"} <= names
    assert any(name.startswith(f"instructor/autograder/{FIRST}-autograder_")
               for name in names)
