"""Processes for grading: a trusted grader per submission, and for it the student's
processes, which run untrusted code under time, memory and file limits.

``run_all`` forks one grader process per submission (at most ``jobs`` at a time) from a
parent that has already imported numpy, torch, otter and the book's package, so each
starts in milliseconds, kills it when it outlives its wall-clock ``timeout``, and
collects the JSON events it reports through a pipe. The grader runs the checks; the
submission's code runs in processes it starts with ``start_student``. Each of those

- is forked from the grader, in a session of its own, and dies with it
  (``PR_SET_PDEATHSIG``);
- keeps one open file descriptor, its socket to the grader (standard input and output
  are ``/dev/null``), so it cannot write into the grader's report or read other pipes;
- gets its own empty working folder (made and later removed by the grader);
- has an address-space limit (``RLIMIT_AS``) of ``memory_mb`` above what the grader
  already uses, a CPU-time limit, a file-size limit and no core dumps;
- runs under a Python audit hook that refuses to read files outside the Python
  installation, the book's package and its working folder (so not the masters in
  ``solutions/``, the instructor bundle, the other submissions or the gradebook), to
  write anywhere but its working folder, to start processes, to send signals, to open
  network sockets or to load native libraries with ctypes.

The audit hook keeps honest mistakes and casual tampering out of the file system; it is
not what protects the score. The score is decided in the grader, from plain data
(``seqbook.course.wire``), so whatever the student's process does to itself cannot raise
it.
"""

import ctypes
import dataclasses
import json
import os
import pathlib
import resource
import select
import shutil
import signal
import site
import sys
import sysconfig
import tempfile
import time

import seqbook

STUDENT_FAILED = 70  # the exit code of a student's process whose own machinery failed
RESULT_LIMIT = 2_000_000  # bytes a child may report; more is cut off
FILE_SIZE_LIMIT = 64 * 2**20  # largest file a child may write in its folder

BLOCKED_EVENTS = {
    "os.system": "starting a shell command",
    "subprocess.Popen": "starting a process",
    "os.exec": "starting a process",
    "os.posix_spawn": "starting a process",
    "os.spawn": "starting a process",
    "os.fork": "starting a process",
    "os.forkpty": "starting a process",
    "pty.spawn": "starting a process",
    "os.kill": "sending a signal",
    "os.killpg": "sending a signal",
    "signal.pthread_kill": "sending a signal",
    "socket.connect": "using the network",
    "socket.bind": "using the network",
    "socket.sendto": "using the network",
    "ctypes.dlopen": "loading a native library",
    "ctypes.dlsym": "calling native code",
    "ctypes.cdata": "reading raw memory",
}
WRITE_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
                "os.symlink", "os.link", "os.truncate", "os.utime", "shutil.rmtree",
                "shutil.copyfile", "shutil.move", "os.chflags", "os.setxattr",
                "os.removexattr"}
LIST_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-submission limits: wall-clock seconds and memory in MiB. A quarter of the
    time is the limit of one cell or one call of the student's function."""

    timeout: float = 60.0
    memory_mb: int = 1024

    @property
    def step_seconds(self):
        return max(1.0, self.timeout / 4)


def readable_roots():
    """Folders a submission may read from: Python's own and the book's package."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
             *(sysconfig.get_paths().get(key, "") for key in ("stdlib", "platstdlib",
                                                              "purelib", "platlib")),
             str(pathlib.Path(seqbook.__file__).parent), "/usr", "/lib", "/lib64", "/etc",
             "/dev/null", "/dev/urandom", "/dev/random", "/proc/self", "/sys/devices/system"}
    return sorted(os.path.realpath(path) for path in paths if path)


def _inside(path, roots):
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def install_guard(workdir, denied):
    """Install the audit hook described in the module docstring (it cannot be removed)."""
    workdir = os.path.realpath(workdir)
    readable = readable_roots() + [workdir]
    denied = [os.path.realpath(path) for path in denied]

    def resolve(path):
        if isinstance(path, int):
            return None  # an already open file descriptor
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return os.path.realpath(os.fspath(path))

    def refuse(what, path=None):
        where = f" {path}" if path else ""
        raise PermissionError(f"seqbook grade: {what}{where} is not allowed while grading "
                              "(a submission may only use files in its own working folder)")

    def check_read(path):
        if path is not None and (_inside(path, denied) or not _inside(path, readable)):
            refuse("reading", path)

    def check_write(path):
        if path is not None and path != "/dev/null" and not _inside(path, [workdir]):
            refuse("writing", path)

    def hook(event, args):
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            path = resolve(path) if path is not None else None
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & WRITE_FLAGS)
            check_write(path) if writing else check_read(path)
        elif event in BLOCKED_EVENTS:
            refuse(BLOCKED_EVENTS[event])
        elif event in WRITE_EVENTS:
            for arg in args[:2]:
                if isinstance(arg, (str, bytes, os.PathLike)):
                    check_write(resolve(arg))
        elif event in LIST_EVENTS and args and isinstance(args[0], (str, bytes, os.PathLike)):
            check_read(resolve(args[0]))

    sys.addaudithook(hook)


def _memory_in_use():
    """This process's virtual memory size in bytes (Linux), or None."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _apply_limits(limits):
    in_use = _memory_in_use()
    if in_use is not None:
        cap = in_use + limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = int(limits.timeout) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _redirect_standard_streams():
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _close_other_descriptors(keep):
    """Close every open file descriptor above 2 but ``keep``."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:
                pass


PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 3, 4


def _prctl(option, value=0):
    """Linux's prctl(2); -1 where it is not available."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        return -1


def _die_with_parent(parent):
    """Ask the kernel to kill this process when its parent (the grader) dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the grader died before the request
        os._exit(71)


class undumpable:
    """While the block runs, this process (and what it forks) is not dumpable: a process
    of the same user without privileges can neither trace it nor open its descriptors
    or memory through /proc, so a student's process cannot write into a grader's pipe."""

    def __enter__(self):
        self.previous = _prctl(PR_GET_DUMPABLE)
        _prctl(PR_SET_DUMPABLE, 0)
        return self

    def __exit__(self, *exc):
        if self.previous in (1, 2):
            _prctl(PR_SET_DUMPABLE, self.previous)


class Channel:
    """The child's end of the result pipe: one JSON object per line."""

    def __init__(self, fd):
        self.fd = fd

    def send(self, event):
        data = (json.dumps(event, sort_keys=True) + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


@dataclasses.dataclass
class _Job:
    key: object
    pid: int
    fd: int
    deadline: float
    buffer: bytearray = dataclasses.field(default_factory=bytearray)
    killed_for_time: bool = False


@dataclasses.dataclass
class Outcome:
    """What a grader process reported, and how it ended."""

    key: object
    events: list
    exit_code: int | None  # None when killed by a signal
    signal: int | None
    timed_out: bool
    truncated: bool


def _start(key, target, limits, other_fds):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the grader process: never returns
        code = 0
        try:
            os.close(read_fd)
            for fd in other_fds:
                os.close(fd)
            os.setpgrp()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            sys.dont_write_bytecode = True
            target(key, Channel(write_fd))
        except BaseException:  # noqa: BLE001 - nothing may escape the grader process
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Job(key, pid, read_fd, time.monotonic() + limits.timeout)


def _kill(job):
    for kill in (lambda: os.killpg(job.pid, signal.SIGKILL),
                 lambda: os.kill(job.pid, signal.SIGKILL)):
        try:
            kill()
        except ProcessLookupError:
            pass


def _finish(job):
    _, status = os.waitpid(job.pid, 0)
    os.close(job.fd)
    events, truncated = [], len(job.buffer) >= RESULT_LIMIT
    for line in bytes(job.buffer).splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            truncated = True
            continue
        if isinstance(event, dict):
            events.append(event)
    return Outcome(
        key=job.key, events=events,
        exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        timed_out=job.killed_for_time, truncated=truncated,
    )


def run_all(keys, target, limits, jobs=1, on_done=None):
    """Run ``target(key, channel)`` for every key in a grader process of its own, at most
    ``jobs`` at a time; returns an ``Outcome`` per key, in the order of keys.

    ``target`` runs in the grader process and reports with ``channel.send(dict)``.
    """
    pending = list(keys)
    running, outcomes = {}, {}
    try:
        with undumpable():
            _schedule(pending, running, outcomes, target, limits, jobs, on_done)
    finally:  # interrupted (Ctrl-C): leave no process behind
        for job in running.values():
            _kill(job)
            _finish(job)
    return [outcomes[id(key)] for key in keys]


def _schedule(pending, running, outcomes, target, limits, jobs, on_done):
    """Keep ``jobs`` grader processes running until every key has an outcome."""
    while pending or running:
        while pending and len(running) < max(1, jobs):
            key = pending.pop(0)
            job = _start(key, target, limits, [j.fd for j in running.values()])
            running[job.fd] = job
        now = time.monotonic()
        wait = max(0.0, min(job.deadline for job in running.values()) - now)
        readable, _, _ = select.select(list(running), [], [], min(wait, 1.0))
        for fd in readable:
            job = running[fd]
            chunk = os.read(fd, 65536)
            if chunk and len(job.buffer) < RESULT_LIMIT:
                job.buffer += chunk[:RESULT_LIMIT - len(job.buffer)]
            if not chunk:
                del running[fd]
                outcome = _finish(job)
                outcomes[id(job.key)] = outcome
                if on_done:
                    on_done(outcome)
        now = time.monotonic()
        for job in list(running.values()):
            if now >= job.deadline and not job.killed_for_time:
                job.killed_for_time = True
                _kill(job)


@dataclasses.dataclass
class Student:
    """A running student's process, as its grader sees it."""

    pid: int
    sock: object  # the grader's end of the socket pair
    workdir: str
    status: int | None = None  # the wait status, once it has ended

    def kill(self):
        """Kill it (its whole session) and wait for it; returns the wait status."""
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return self.wait()

    def wait(self):
        """Wait for it to end; returns the wait status."""
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
            if self.sock is not None:
                self.sock.close()
            shutil.rmtree(self.workdir, ignore_errors=True)
        return self.status


def _confine(workdir, denied):
    """The kernel's limits, then the audit hook; returns what is in force."""
    from seqbook.course import syscalls

    confined = syscalls.restrict()
    install_guard(workdir, denied)
    return [*confined, "audit hook"]


def fork_student(plan, limits, denied):
    """A student's process for ``plan`` (a ``student.Plan``), forked from this one."""
    from seqbook.course import student

    return start_student(lambda sock, workdir, guard: student.run(sock, plan, workdir, guard),
                         limits, denied)


def start_student(body, limits, denied, sock=None):
    """Fork a student's process that runs ``body(sock, workdir, guard)`` and then exits.

    ``body`` calls ``guard()`` before it runs untrusted code. The process serves its calls
    on ``sock`` when given (the zygote's case), else on a new socket pair whose other end
    is the returned ``Student``'s ``sock``.
    """
    from seqbook.course import link

    workdir = tempfile.mkdtemp(prefix="seqbook-grade-")
    ours, theirs = (None, sock) if sock is not None else link.pair()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the student's process: never returns
        code = 0
        try:
            os.setsid()
            _die_with_parent(parent)
            if ours is not None:
                ours.close()
            _redirect_standard_streams()
            _close_other_descriptors(theirs.fileno())
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.chdir(workdir)
            _apply_limits(limits)
            body(theirs, workdir, lambda: _confine(workdir, denied))
        except BaseException:  # noqa: BLE001 - nothing may escape the student's process
            code = STUDENT_FAILED
        finally:
            os._exit(code)
    if ours is not None:
        theirs.close()
    return Student(pid, ours, workdir)
