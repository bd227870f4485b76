"""seqbook.course.syscalls: the kernel refuses what a student's process may not do, even
code that got round the audit hook (here: no audit hook at all)."""

import os
import platform

import pytest

from seqbook.course import sandbox, syscalls

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64" or not os.path.exists(
    "/proc/self/status"), reason="the seccomp filter is for x86-64 Linux")


def attempts():
    """What a process tries to do to its parent, as {what: "allowed" | error}."""
    import _posixsubprocess

    def spawn():
        read, write = os.pipe()
        _posixsubprocess.fork_exec(
            [b"/bin/true"], [b"/bin/true"], True, (), None, None, -1, -1, -1, -1, -1, -1,
            read, write, True, False, -1, None, None, None, -1, None, False)

    tries = {"fork_exec": spawn, "fork": os.fork,
             "kill": lambda: os.kill(os.getppid(), 0),
             "proc fd": lambda: open(f"/proc/{os.getppid()}/fd/0").close()}
    seen = {}
    for what, attempt in tries.items():
        try:
            if attempt() == 0:  # the child of a fork that went through
                os._exit(0)
            seen[what] = "allowed"
        except OSError as error:
            seen[what] = error.errno
    return seen


def in_child(restricted):
    """``attempts()`` in a forked child, restricted or not, reported through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            done = syscalls.restrict() if restricted else []
            os.write(write, repr((done, attempts())).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as handle:
        text = handle.read()
    os.waitpid(pid, 0)
    return eval(text)  # our own child's repr of plain values


def test_without_the_limits_a_process_can_do_all_of_it():
    _, seen = in_child(restricted=False)
    assert set(seen.values()) == {"allowed"}, seen


def test_the_limits_refuse_processes_signals_and_the_parents_descriptors():
    with sandbox.undumpable():
        done, seen = in_child(restricted=True)
    assert {"no new privileges", "seccomp"} <= set(done), done
    assert seen["fork_exec"] == seen["fork"] == seen["kill"] == 1, seen  # EPERM
    assert seen["proc fd"] in (1, 13), seen  # EPERM or EACCES


def test_the_filter_allows_threads():
    import threading

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            syscalls.restrict()
            thread = threading.Thread(target=lambda: os.write(write, b"ran"))
            thread.start()
            thread.join()
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        assert handle.read() == b"ran"
    os.waitpid(pid, 0)
