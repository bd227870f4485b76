"""The grader's side of a student's process: start it, call its function, stop it.

``StudentProcess`` starts a student's process (``seqbook.course.student``) for one
exercise of one submission, forked from the grader or, in bubblewrap's sandbox, from
``seqbook.course.zygote``, and waits until it has run the submission's cells.
``RemoteFunction`` is what the checks receive in place of the student's function: calling
it sends the arguments as plain data, serves the callbacks of any callable argument with
the grader's own (trusted) callable, and returns the plain data the student's function
returned, rebuilt here. Each call has a time limit, enforced here: when it runs out, the
process is killed, the call fails with a message naming the case, and the next call
starts a fresh process, which runs the cells again.
"""

import os
import secrets
import signal
import time

import numpy as np

from seqbook.checks import CallFailed
from seqbook.course import link, sandbox, wire
from seqbook.course.student import Plan  # noqa: F401 - what callers build a process from

START_SLACK = 5.0  # seconds allowed beyond the cells' own limits to report ready


class StartFailed(RuntimeError):
    """The student's process did not get through the set-up and the cells.

    ``kind`` is ``"setup"`` (the chapter's set-up failed), ``"timeout"`` (the cells did
    not finish in time) or ``"ended"`` (the process ended first).
    """

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message


def describe_end(status):
    """Why a process ended, from its wait status: "exit code 3", "SIGKILL"."""
    if status is None:
        return "it was stopped"
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        why = {"SIGXCPU": "it used more CPU time than the limit",
               "SIGKILL": "it was killed, most likely for using too much memory",
               "SIGXFSZ": "it wrote a file larger than the limit",
               "SIGSEGV": "it crashed Python (a segmentation fault)"}.get(name, "it crashed")
        return f"{name}: {why}"
    code = os.WEXITSTATUS(status)
    if code == sandbox.STUDENT_FAILED:
        return ("the grader's side of it failed after the cells ran: did a cell patch "
                "Python's builtins or the grader's modules?")
    return f"exit code {code}: does it call os._exit?"


class StudentProcess:
    """One exercise's student process, restarted after a call that had to be stopped."""

    def __init__(self, plan, limits, denied, launch=None):
        self.plan, self.limits, self.denied = plan, limits, list(denied)
        self.launch = launch or sandbox.fork_student
        self.running, self.seq, self.where, self.restart_error = None, 0, "", None

    def start(self):
        """Start the process and wait until it has run the cells; returns its report.

        Raises:
            StartFailed: the set-up failed, the cells did not finish, or it ended.
        """
        self.plan.ready_seq = secrets.randbits(63)
        self.running = self.launch(self.plan, self.limits, self.denied)
        budget = (self.plan.setup_seconds + START_SLACK
                  + self.plan.step_seconds * max(1, len(self.plan.cells)))
        try:
            report, _ = link.receive(self.running.sock, self.plan.ready_seq,
                                     time.monotonic() + budget)
        except link.LinkTimeout:
            self.stop()
            raise StartFailed("timeout", f"the notebook's cells did not finish within "
                              f"{budget:g} s: an endless loop that ignores interruption?")
        except link.LinkClosed:
            status = self.stop()
            raise StartFailed("ended", f"the notebook's cells ended the student's process "
                              f"({describe_end(status)})")
        if report.get("op") != "ready":
            self.stop()
            raise StartFailed("ended", "the student's process did not report ready")
        if isinstance(report.get("setup_error"), str):
            self.stop()
            raise StartFailed("setup", f"the chapter's set-up failed: {report['setup_error']}")
        return report

    def stop(self):
        """Kill the process if it runs; returns its wait status (or None)."""
        running, self.running = self.running, None
        return running.kill() if running is not None else None

    def call(self, args, kwargs):
        """Call the exercise function; returns what it returned, rebuilt here.

        Raises the student's exception (rebuilt), or ``CallFailed`` when the call had to
        be stopped, its process ended or its result is not plain data.
        """
        if self.running is None:
            self._restart()
        self.seq = secrets.randbits(63)  # unknown to the student's code until sent
        link.drain(self.running.sock)
        handles = []

        def handle_of(function):
            handles.append(function)
            return len(handles) - 1

        deadline = time.monotonic() + self.plan.step_seconds
        try:
            arrays = link.send(self.running.sock, self.seq,
                               {"op": "call", "args": list(args), "kwargs": dict(kwargs)},
                               deadline, handle_of)
            return self._await_reply(handles, arrays, deadline)
        except link.LinkTimeout:
            self.stop()
            raise CallFailed(f"stopped after {self.plan.step_seconds:g} s", self.where,
                             ": an endless loop?") from None
        except link.LinkClosed:
            status = self.stop()
            raise CallFailed(f"{self.plan.exercise}'s process ended", self.where,
                             f" ({describe_end(status)})") from None

    def _restart(self):
        if self.restart_error is None:
            try:
                self.start()
                return
            except StartFailed as failure:
                self.restart_error = failure.message
        raise CallFailed(f"{self.plan.exercise} could not be called again after a stopped "
                         f"call ({self.restart_error})", self.where)

    def _await_reply(self, handles, arrays, deadline):
        """Serve callbacks until the final reply of call ``self.seq``; act on it."""
        failures = []  # what the grader's own callables raised (a check's verdict)
        while True:
            message, _ = link.receive(self.running.sock, self.seq, deadline)
            op = message["op"]
            if op == "callback":
                self._serve_callback(message, handles, failures, deadline)
                continue
            if failures:
                raise failures[0]
            if message.get("book"):
                raise CallFailed(f"{self.plan.exercise} called the book's own "
                                 f"{self.plan.exercise}", self.where,
                                 ": the book's answer is not an answer, write the function "
                                 "yourself")
            if op == "return":
                _write_back(arrays, message.get("changed"))
                return message.get("value")
            if op == "raise":
                raise rebuilt_exception(message)
            if op == "notplain":
                raise CallFailed(f"{self.plan.exercise} returned "
                                 f"{str(message.get('what'))[:200]}", self.where,
                                 f"; return {wire.PLAIN}")

    def _serve_callback(self, message, handles, failures, deadline):
        """Run the grader's callable the student's code called; send back its result."""
        handle = message.get("handle")
        if not isinstance(handle, int) or not 0 <= handle < len(handles):
            return
        args, kwargs = message.get("args"), message.get("kwargs")
        args = args if isinstance(args, list) else []
        kwargs = kwargs if isinstance(kwargs, dict) else {}
        try:
            value = handles[handle](*args, **kwargs)
            reply = {"op": "return", "value": value}
        except Exception as error:  # noqa: BLE001 - reported to the student's code
            failures.append(error)
            reply = {"op": "raise", "message": str(error)}
        link.send(self.running.sock, self.seq, reply, deadline)


def _write_back(arrays, changed):
    """Apply the student's in-place changes to the argument arrays and torch objects, as a
    call in one process would have changed them (a check may test that its inputs were
    left alone, or compare the parameters a training step left in a model)."""
    if not isinstance(changed, list):
        return
    for item in changed:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)):
            continue
        index, new = item
        if not 0 <= index < len(arrays):
            continue
        old = arrays[index]
        if type(old) is not np.ndarray:  # a torch object: its state, as plain data
            try:
                wire.load_object_state(old, new)
            except ValueError:
                pass  # what does not fit is not copied; the check sees the old state
        elif type(new) is np.ndarray:
            if old.shape == new.shape and old.dtype == new.dtype and old.flags.writeable:
                np.copyto(old, new)


_EXCEPTIONS = {}


def rebuilt_exception(message):
    """The student's exception as the checks expect it: NotImplementedError as itself,
    any other as an ``Exception`` subclass of the same name (never SystemExit or one of
    the grader's own), with the student's message."""
    name = message.get("type")
    name = name if isinstance(name, str) and name.isidentifier() else "Exception"
    text = message.get("message")
    text = text if isinstance(text, str) else ""
    if name == "NotImplementedError":
        return NotImplementedError(text)
    if name not in _EXCEPTIONS:
        _EXCEPTIONS[name] = type(name, (StudentException,), {})
    return _EXCEPTIONS[name](text)


class StudentException(Exception):
    """An exception raised by the student's code, rebuilt in the grader."""


class RemoteFunction:
    """What the checks call in place of the student's function. Its arguments and results
    cross as plain data (``seqbook.course.wire``): a tensor it returns has no graph."""

    in_another_process = True

    def __init__(self, process, name):
        self.process, self.__name__ = process, name

    def __call__(self, *args, **kwargs):
        return self.process.call(args, kwargs)

    def __repr__(self):
        return f"<the student's {self.__name__}>"
