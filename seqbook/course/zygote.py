"""The operating-system sandbox: students' processes forked inside bubblewrap.

Where ``bwrap`` (Debian's ``bubblewrap``) works, ``seqbook grade`` starts one sandboxed
Python per batch, the zygote, which imports what the chapters' set-up imports and then
forks a student's process for every request. Inside the sandbox there is no network
(its own network namespace), no view of other processes (its own PID namespace), a
read-only system (``/usr``, the Python installation, a few files of ``/etc``), the
book's package alone of the repository, and an empty ``/tmp``: the submissions, the
masters, the instructor bundle and the gradebook are not there to be read. The student's
processes keep the limits of ``seqbook.course.sandbox`` and ``syscalls`` too.

A grader process asks for a student's process by sending the zygote a datagram that
carries the limits and two sockets: the link its student's process will serve calls on,
and a control socket, on which the zygote reports the process's number and, once it has
ended, its wait status, and the grader may ask for a kill. The grader sends the plan
(``student.Plan``: the set-up and the submission's cells) on the link, to the new
process itself: the zygote, which every student's process is a copy of, never holds a
submission, and it holds no seed, no expected output and no other submission either.

Where bubblewrap is missing or cannot run (no user namespaces), grading forks the
students' processes from the grader as before and says so once.
"""

import json
import os
import pathlib
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time

import seqbook
from seqbook.course import link, sandbox

ETC_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/fonts",
             "/etc/alternatives", "/etc/ssl/certs"]
PLAN, KILL, STARTED, ENDED = 1, 2, 3, 4  # message numbers (the plan's on the student's link)
START_SECONDS = 120.0  # for the zygote to import torch and the chapters' modules


def bwrap_path():
    """The bubblewrap to use: ``$SEQBOOK_BWRAP`` if set ("" switches the sandbox off),
    else ``bwrap`` on the PATH; None when there is none."""
    chosen = os.environ.get("SEQBOOK_BWRAP")
    if chosen is not None:
        return chosen or None
    return shutil.which("bwrap")


def package_root():
    """The folder that holds the ``seqbook`` package (put on the sandbox's PYTHONPATH)."""
    return pathlib.Path(seqbook.__file__).resolve().parent.parent


def bwrap_command(bwrap):
    """The bubblewrap command line that runs this module's ``main`` in the sandbox."""
    command = [bwrap, "--unshare-all", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
               "--tmpfs", "/tmp", "--clearenv", "--chdir", "/tmp"]
    for name in ("bin", "lib", "lib64", "sbin"):
        path = pathlib.Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    for path in ETC_FILES:
        command += ["--ro-bind-try", path, path]
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix,
              *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                       "platlib"))}
    book = str(pathlib.Path(seqbook.__file__).resolve().parent)
    for path in sorted(python) + [book]:
        if not path.startswith("/usr/"):
            command += ["--ro-bind", path, path]
    environment = {"PYTHONPATH": str(package_root()), "HOME": "/tmp", "MPLBACKEND": "Agg",
                   "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
                   "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8"}
    for name, value in environment.items():
        command += ["--setenv", name, value]
    return command + [sys.executable, "-m", "seqbook.course.zygote"]


class Zygote:
    """The sandboxed zygote of one batch, seen from the batch's parent process."""

    def __init__(self, process, control):
        self.process, self.control = process, control

    @classmethod
    def start(cls, bwrap, warm_code):
        """Start it and have it run ``warm_code`` (the chapters' imports); ``wait_ready``
        waits until it is done (meanwhile the batch's parent imports the same)."""
        ours, theirs = link.pair()
        errors = tempfile.TemporaryFile()
        process = subprocess.Popen([*bwrap_command(bwrap), str(theirs.fileno())],
                                   pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=errors)
        theirs.close()
        zygote = cls(process, ours)
        zygote.errors = errors
        try:
            link.send(ours, 0, {"op": "warm", "code": warm_code},
                      time.monotonic() + START_SECONDS)
        except (link.LinkClosed, link.LinkTimeout):
            pass  # wait_ready says why
        return zygote

    def wait_ready(self):
        """Wait until it has imported everything; RuntimeError when it cannot start."""
        try:
            link.receive(self.control, 0, time.monotonic() + START_SECONDS)
        except (link.LinkClosed, link.LinkTimeout):
            self.process.kill()
            self.process.wait()
            self.errors.seek(0)
            lines = self.errors.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(lines[-1] if lines else "it did not start") from None

    def stop(self):
        """End it (and every student's process in it)."""
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def launch(self, plan, limits, denied):
        """A ``ZygoteStudent`` serving ``plan`` (in a grader process). The sandbox hides
        the ``denied`` paths already; the book's package stays unreadable in it.

        The zygote forks the process before the plan exists for it: the plan (the
        submission's cells) goes straight to the new process on its own link, so the
        zygote, which every student's process is forked from, never holds a submission.
        """
        ours, theirs = link.pair()
        control, control_theirs = link.pair()
        request = json.dumps({"timeout": limits.timeout, "memory_mb": limits.memory_mb})
        socket.send_fds(self.control, [request.encode()],
                        [theirs.fileno(), control_theirs.fileno()])
        theirs.close()
        control_theirs.close()
        deadline = time.monotonic() + 30
        try:
            message, _ = link.receive(control, STARTED, deadline)
            link.send(ours, PLAN, {"op": "plan", "plan": plan.as_data()}, deadline)
        except (link.LinkClosed, link.LinkTimeout):
            return ZygoteStudent(None, ours, control)  # reads as a process that ended
        pid = message.get("pid")
        return ZygoteStudent(pid if isinstance(pid, int) else None, ours, control)


class ZygoteStudent:
    """A student's process in the zygote, with the interface of ``sandbox.Student``."""

    def __init__(self, pid, sock, control):
        self.pid, self.sock, self.control, self.status = pid, sock, control, None

    def kill(self):
        if self.status is None:
            try:
                link.send(self.control, KILL, {"op": "kill"}, time.monotonic() + 5)
            except (link.LinkClosed, link.LinkTimeout):
                pass
        return self.wait()

    def wait(self):
        if self.status is None:
            try:
                message, _ = link.receive(self.control, ENDED, time.monotonic() + 30)
                status = message.get("status")
                self.status = status if isinstance(status, int) else signal.SIGKILL
            except (link.LinkClosed, link.LinkTimeout):
                self.status = signal.SIGKILL  # the zygote is gone: so is the process
            self.sock.close()
            self.control.close()
        return self.status


def spawn(warm_code, log):
    """A starting ``Zygote`` for a batch, or None after saying (once) why there is none."""
    bwrap = bwrap_path()
    if bwrap is None:
        notice(log, "bubblewrap is not installed: apt-get install bubblewrap")
        return None
    if not sys.platform.startswith("linux"):
        notice(log, "bubblewrap runs on Linux only")
        return None
    try:
        return Zygote.start(bwrap, warm_code)
    except OSError as error:
        notice(log, f"bubblewrap could not start: {error}")
        return None


def launcher(zygote, log):
    """How the batch starts students' processes: in the zygote once it is ready, else
    forked from the grader (after saying once why)."""
    if zygote is not None:
        try:
            zygote.wait_ready()
            return zygote.launch
        except RuntimeError as error:
            notice(log, f"bubblewrap could not start: {error}")
    return sandbox.fork_student


def notice(log, why):
    """Say that grading goes on without the operating-system sandbox (``spawn`` and
    ``launcher`` together say it at most once per batch)."""
    log(f"seqbook grade: the operating-system sandbox is off ({why}); grading goes on "
        "with the process limits only (see the README, 'How grading works')")


# ---- inside the sandbox ----------------------------------------------------------------

def _warm(code):
    """Import what the chapters' set-up imports, and every module of the book but the
    grader's own (``seqbook.course``: a student's code has no use for it, and with otter
    it would add about 100 MB to every batch)."""
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(torch.are_deterministic_algorithms_enabled())
    exec(compile(code, "<the chapters' imports>", "exec"), {})
    for module in pkgutil.walk_packages(seqbook.__path__, "seqbook."):
        if module.name != "seqbook.__main__" and not module.name.startswith("seqbook.course"):
            importlib.import_module(module.name)


class _Children:
    """The zygote's students' processes: control socket -> (pid, socket)."""

    def __init__(self):
        self.by_pid, self.by_fd = {}, {}

    def add(self, pid, control):
        self.by_pid[pid] = control
        self.by_fd[control.fileno()] = pid

    def ended(self, pid, status):
        control = self.by_pid.pop(pid, None)
        if control is None:
            return
        self.by_fd.pop(control.fileno(), None)
        try:
            link.send(control, ENDED, {"op": "ended", "status": status}, time.monotonic() + 5)
        except (link.LinkClosed, link.LinkTimeout):
            pass
        control.close()


def _student_body(sock, workdir, guard):
    """What a student's process forked by the zygote runs: it reads its plan from the
    grader, then runs it."""
    from seqbook.course import student

    request, _ = link.receive(sock, PLAN, time.monotonic() + 30)
    student.run(sock, student.Plan.from_data(request["plan"]), workdir, guard)


def _start_child(request, student_sock, control, children):
    """Fork a student's process that serves its calls on ``student_sock``, with the
    limits in ``request`` (JSON bytes); report its number on ``control``."""
    try:
        limits_data = json.loads(request)
        limits = sandbox.Limits(float(limits_data["timeout"]), int(limits_data["memory_mb"]))
    except (ValueError, KeyError, TypeError):
        control.close()
        return None
    denied = [str(pathlib.Path(seqbook.__file__).resolve().parent)]
    running = sandbox.start_student(_student_body, limits, denied, sock=student_sock)
    children.add(running.pid, control)
    try:
        link.send(control, STARTED, {"op": "started", "pid": running.pid},
                  time.monotonic() + 5)
    except (link.LinkClosed, link.LinkTimeout):
        pass  # the grader has gone; the process is killed when its control closes
    return running


def serve(control):
    """The zygote's loop: start students' processes, kill them on request, report their
    ends; return when the batch closes the control socket."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *args: None)
    children, running = _Children(), {}
    while True:
        watched = [control, wake_read, *children.by_fd]
        readable, _, _ = select.select(watched, [], [], 1.0)
        if wake_read in readable:  # a child ended (SIGCHLD): empty the pipe, reap below
            os.read(wake_read, 4096)
        if control in readable:
            try:
                data, fds, _, _ = socket.recv_fds(control, 256, 2)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            if len(fds) == 2:
                student_sock = socket.socket(fileno=fds[0])
                request_control = socket.socket(fileno=fds[1])
                started = _start_child(data, student_sock, request_control, children)
                student_sock.close()
                if started is not None:
                    running[started.pid] = started
            else:
                for fd in fds:
                    os.close(fd)
        for fd in [fd for fd in readable if fd in children.by_fd]:
            _kill_on_request(children, running, fd)
        _reap(children, running)
    for student_process in running.values():
        student_process.kill()


def _kill_on_request(children, running, fd):
    pid = children.by_fd[fd]
    control = children.by_pid[pid]
    try:
        link.receive(control, KILL, time.monotonic() + 0.05)
    except link.LinkTimeout:
        return
    except link.LinkClosed:
        pass  # the grader has gone: kill its student's process too
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(children, running):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        finished = running.pop(pid, None)
        if finished is not None:
            shutil.rmtree(finished.workdir, ignore_errors=True)
        children.ended(pid, status)


def main():
    """``python -m seqbook.course.zygote FD``, inside bubblewrap."""
    control = socket.socket(fileno=int(sys.argv[1]))
    sandbox._prctl(sandbox.PR_SET_DUMPABLE, 0)  # students' processes cannot read each other
    request, _ = link.receive(control, 0)
    _warm(request["code"])
    link.send(control, 0, {"op": "ready"})
    serve(control)


if __name__ == "__main__":
    main()
