"""The operating-system sandbox (seqbook.course.zygote), proved from inside a student's
process: a submission that looks for the instructor bundle, another submission and the
grader, opens a network socket and writes to /usr gets nothing, and scores what its
honest code earns, with bubblewrap and without it (then grading says once that the
sandbox is off)."""

import json
import os
import shutil
import subprocess

import pytest

from seqbook.course import bundles, grade, sandbox, zygote
from tests.course.test_grading_cli import (
    FIRST,
    answer_cell,
    master_of,
    save,
    solution_sources,
    solved_lesson,
)

EXERCISES = master_of(FIRST).exercises
FIRST_EXERCISE = next(iter(EXERCISES))

PROBE = '''
import json as _json, os as _os, socket as _socket
_found = {{}}
def _attempt(label, action):
    try:
        _found[label] = action()
    except BaseException as error:
        _found[label] = "refused: " + type(error).__name__
_attempt("instructor_seen", lambda: _os.path.exists({seed!r}))
_attempt("instructor_read", lambda: open({seed!r}).read())
_attempt("other_seen", lambda: _os.path.exists({other!r}))
_attempt("other_read", lambda: open({other!r}, "rb").read()[:20].decode())
_attempt("grader_seen", lambda: _os.path.exists("/proc/{pid}"))
_attempt("socket", lambda: str(_socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)))
_attempt("interfaces", lambda: sorted(line.split(":")[0].strip() for line in
                                      open("/proc/self/net/dev").read().splitlines()[2:]))
_attempt("usr_writable", lambda: _os.access("/usr/lib", _os.W_OK))
_attempt("usr_write", lambda: open("/usr/lib/seqbook-probe", "w").write("x"))
print("PROBE " + _json.dumps(_found, sort_keys=True))
'''


def bwrap_works():
    bwrap = shutil.which("bwrap")
    return bwrap is not None and subprocess.run(
        [bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"],
        capture_output=True).returncode == 0


needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not usable here "
                                 "(python3 tools/run.py test installs it as root)")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """An instructor bundle, another student's submission and the probing submission."""
    root = tmp_path_factory.mktemp("sandbox")
    instructor = bundles.assign([FIRST], root / "bundle")["instructor"]
    other = save(solved_lesson(), root / "subs" / "bob" / f"{FIRST}.ipynb")
    probing = solved_lesson()
    cell = answer_cell(probing, FIRST_EXERCISE)
    cell.source = solution_sources(FIRST)[FIRST_EXERCISE] + PROBE.format(
        seed=str(instructor / "seed.txt"), other=str(other), pid=os.getpid())
    save(probing, root / "subs" / "alice" / f"{FIRST}.ipynb")
    return {"root": root, "instructor": instructor, "subs": root / "subs"}


def grade_batch(batch, out_name):
    """Grade the batch; returns (the probing submission's result, what it found, the
    lines logged)."""
    logged = []
    results = grade.grade([str(batch["subs"])], batch["root"] / out_name, jobs=2,
                          expected=[FIRST], instructor_dir=batch["instructor"],
                          limits=sandbox.Limits(timeout=20, memory_mb=512), log=logged.append)
    result = next(r for r in results if "/alice/" in f"/{r.label}")
    [line] = [line for line in result.output.splitlines() if line.startswith("PROBE ")]
    for other in results:  # both submissions keep their honest, full score
        assert other.status == "graded", (other.label, other.message)
        assert {name: e["score"] for name, e in other.exercises.items()} == {
            name: exercise.points for name, exercise in EXERCISES.items()}, other.message
    return result, json.loads(line.removeprefix("PROBE ")), logged


def sandbox_notices(logged):
    return [line for line in logged if "sandbox is off" in line]


def assert_nothing_reached(found):
    """What both paths guarantee: no read of the bundle or another submission, no socket,
    no write to /usr."""
    for label in ("instructor_read", "other_read", "socket", "usr_write"):
        assert str(found[label]).startswith("refused: "), (label, found)


@needs_bwrap
def test_in_the_sandbox_the_student_sees_no_other_file_process_or_network(batch,
                                                                         monkeypatch):
    monkeypatch.delenv("SEQBOOK_BWRAP", raising=False)
    result, found, logged = grade_batch(batch, "sandboxed")
    assert sandbox_notices(logged) == []
    assert_nothing_reached(found)
    assert found["instructor_seen"] is False  # not there at all, not merely refused
    assert found["other_seen"] is False
    assert found["grader_seen"] is False  # a process namespace of its own
    assert found["interfaces"] == ["lo"]  # a network namespace of its own
    assert found["usr_writable"] is False  # /usr is mounted read-only


def test_without_bubblewrap_grading_works_and_says_once_that_the_sandbox_is_off(
        batch, monkeypatch, tmp_path):
    monkeypatch.delenv("SEQBOOK_BWRAP", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    result, found, logged = grade_batch(batch, "unsandboxed")
    [notice] = sandbox_notices(logged)
    assert "bubblewrap is not installed: apt-get install bubblewrap" in notice
    assert_nothing_reached(found)  # the process limits alone still refuse these
    assert found["instructor_seen"] is True  # ... but the files are there to be seen


def test_a_bubblewrap_that_cannot_start_is_reported_once_and_grading_goes_on(
        batch, monkeypatch):
    monkeypatch.setenv("SEQBOOK_BWRAP", "/bin/false")  # as where namespaces are refused
    result, found, logged = grade_batch(batch, "failed-sandbox")
    [notice] = sandbox_notices(logged)
    assert "bubblewrap could not start" in notice
    assert_nothing_reached(found)
    assert found["instructor_seen"] is True


def test_the_switch_and_the_path_decide_which_bubblewrap(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQBOOK_BWRAP", "")
    assert zygote.bwrap_path() is None
    monkeypatch.setenv("SEQBOOK_BWRAP", "/opt/bwrap")
    assert zygote.bwrap_path() == "/opt/bwrap"
    monkeypatch.delenv("SEQBOOK_BWRAP")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert zygote.bwrap_path() is None
