"""What runs in a student's process: the submission's cells, then its exercise function,
called by the grader across the process boundary.

The grader (``seqbook.course.proxy``) forks this process for one exercise of one
submission. It runs the chapter's set-up (the trusted master's imports and seeding),
then the student's cells under the sandbox's audit hook, binds the chapter's other
exercise names to the book's answers, and reports what it found (``ready``). Then it
answers the grader's calls, one at a time: each call's arguments and result are plain
data (``seqbook.course.wire``), and a callable argument (a check's scripted decoder step)
calls back into the grader. Nothing here decides a score: the checks run in the grader.
"""

import builtins
import contextlib
import dataclasses
import io
import re
import signal
import sys
import traceback

import numpy as np

from seqbook.course import link, wire
from seqbook.course.answers import book_answer
from seqbook.course.masters import strip_magics

OUTPUT_LIMIT = 20_000  # characters of printed output kept for the feedback
MESSAGE_LIMIT = 1_500  # characters kept of one error message


@dataclasses.dataclass
class Plan:
    """What a student's process runs: the chapter's set-up, the submission's cells, and
    which exercise it serves, with the chapter's other exercises from the book. Plain
    data, so that it can be sent to a process started elsewhere (the zygote)."""

    setup_code: str
    cells: list  # (index, source) of the submission's exercise cells
    exercise: str
    others: tuple = ()  # the exercises bound to the book's answers after the cells ran
    disable: bool = False  # make the book's function of this exercise unavailable
    setup_seconds: float = 60.0
    step_seconds: float = 15.0
    ready_seq: int = 0  # the number of the report after the cells, drawn at each start

    def as_data(self):
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    @classmethod
    def from_data(cls, data):
        plan = cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})
        plan.cells = [(int(index), str(source)) for index, source in plan.cells]
        plan.others = tuple(plan.others)
        return plan


class StepTimeout(BaseException):
    """A cell ran past its share of the time limit (an endless loop?)."""


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit=OUTPUT_LIMIT):
        self.limit, self.parts, self.kept, self.total = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        self.total += len(text)
        if self.kept < self.limit:
            part = text[:self.limit - self.kept]
            self.parts.append(part)
            self.kept += len(part)
        return len(text)

    def getvalue(self):
        return "".join(self.parts)


@contextlib.contextmanager
def time_limit(seconds):
    """Raise ``StepTimeout`` in the block after ``seconds`` of wall-clock time."""
    def expire(signum, frame):
        raise StepTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def clean(message, workdir):
    """An error message without the temporary folder or memory addresses (which change
    from run to run), cut to a readable length."""
    if workdir:
        message = message.replace(workdir, ".")
    message = re.sub(r" at 0x[0-9a-fA-F]+", "", message)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + " [...]"


def error_line(error, filename):
    """The last line of ``filename`` in the error's traceback, or None."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return error.lineno
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def describe_error(error, filename):
    """'ValueError at line 3: message' for an error raised by code in ``filename``."""
    line = error_line(error, filename)
    if isinstance(error, SyntaxError) and error.filename == filename:
        return f"SyntaxError at line {line}: {error.msg}"
    where = f" at line {line}" if line else ""
    if isinstance(error, StepTimeout):
        return f"stopped{where}: it {error} (an endless loop?)"
    return f"{type(error).__name__}{where}" + (f": {explain(error)}" if explain(error) else "")


def explain(error):
    """The words for an exception: its message, or what SystemExit and MemoryError mean."""
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r}): a lab must not exit Python"
    if isinstance(error, MemoryError):
        return "it used more memory than the limit allows"
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - a student's exception whose __str__ raises
        return ""


def run_cell(source, env, filename, seconds):
    """Execute one cell's source in ``env``; returns an error description or None."""
    try:
        code = compile(strip_magics(source), filename, "exec")
        with time_limit(seconds):
            exec(code, env)
    except BaseException as error:  # noqa: BLE001 - SystemExit, timeouts: all reported
        return describe_error(error, filename)
    return None


def parameters_of(function):
    """The parameter names of a Python function, or None for other callables."""
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])


class Callback:
    """Stands in for a callable the grader passed: calling it asks the grader to call it."""

    def __init__(self, server, handle):
        self.server, self.handle = server, handle

    def __call__(self, *args, **kwargs):
        return self.server.callback(self.handle, list(args), kwargs)


class RemoteException(Exception):
    """An exception raised by a grader's callable, as the student's code sees it."""


class Server:
    """The student's side of the link: answers the grader's calls of one function."""

    def __init__(self, sock, function, workdir):
        self.sock, self.function, self.workdir, self.seq = sock, function, workdir, 0

    def send(self, message):
        link.send(self.sock, self.seq, message)

    def callback(self, handle, args, kwargs):
        self.send({"op": "callback", "handle": handle, "args": args, "kwargs": kwargs})
        message, _ = link.receive(self.sock, self.seq,
                                  make_callable=lambda number: Callback(self, number))
        if message["op"] == "return":
            return message.get("value")
        raise RemoteException(str(message.get("message", "")))

    def serve(self):
        """Answer calls until the grader closes the connection."""
        while True:
            try:
                message, arrays = link.receive(
                    self.sock, None, make_callable=lambda number: Callback(self, number))
            except link.LinkClosed:
                return
            if message["op"] == "call":
                self.seq = message["seq"]
                self.answer(message, arrays)

    def answer(self, message, arrays):
        """Call the function with the message's arguments and send back what happened."""
        before = [array.copy() if type(array) is np.ndarray else None for array in arrays]
        del BOOK_CALLS[:]
        try:
            value = self.function(*message.get("args", []), **message.get("kwargs", {}))
        except BaseException as error:  # noqa: BLE001 - everything is reported
            self.send({"op": "raise", "type": type(error).__name__[:80],
                       "message": clean(explain(error), self.workdir), "book": list(BOOK_CALLS)})
            return
        changed = [[index, array] for index, (array, old) in enumerate(zip(arrays, before))
                   if old is not None and not _same(array, old)]
        try:  # a torch object's state comes back whole, changed or not
            changed += [[index, wire.object_state(item)] for index, item in enumerate(arrays)
                        if type(item) is not np.ndarray]
        except Exception as error:  # noqa: BLE001 - a student's code broke the object
            self.send({"op": "raise", "type": type(error).__name__[:80],
                       "message": clean(explain(error), self.workdir), "book": list(BOOK_CALLS)})
            return
        try:
            self.send({"op": "return", "value": value, "book": list(BOOK_CALLS),
                       "changed": changed})
        except wire.NotPlainData as error:
            self.send({"op": "notplain", "what": error.what, "book": list(BOOK_CALLS)})


def _same(array, old):
    try:
        return array.shape == old.shape and array.tobytes() == old.tobytes()
    except Exception:  # noqa: BLE001 - an argument the student replaced with anything
        return True


BOOK_CALLS = []  # the book's answer of the graded exercise, each time it was called


class BookAnswerUnavailable(RuntimeError):
    """The book's answer of the exercise being graded was called."""


def refuse(name):
    """Called instead of the book's ``name`` while ``name`` is graded."""
    BOOK_CALLS.append(name)
    raise BookAnswerUnavailable(
        f"the book's {name} is not available while your {name} is graded: the book's own "
        "answer is not an answer, write the function yourself")


def disable(function, name):
    """Make the book's ``function`` refuse every call, wherever it is referenced from."""
    if function.__closure__ is not None:
        return
    source = (f"def unavailable(*args, **kwargs):\n    import seqbook.course.student\n"
              f"    seqbook.course.student.refuse({name!r})\n")
    namespace = {}
    exec(compile(source, f"<the book's {name}, unavailable>", "exec"), namespace)
    function.__code__ = namespace["unavailable"].__code__
    function.__defaults__ = function.__kwdefaults__ = None


def run(sock, plan, workdir, guard):
    """Everything the student's process does: ``plan`` is a ``proxy.Plan``, ``workdir``
    its working folder, ``guard()`` installs the sandbox's audit hook."""
    env = {"__name__": "__main__", "__builtins__": builtins}
    output = CappedText()
    sys.stdout = sys.stderr = output
    error = run_cell(plan.setup_code, env, "<set-up>", plan.setup_seconds)
    if error:
        link.send(sock, plan.ready_seq, {"op": "ready", "setup_error": error})
        return
    others = {name: book_answer(name) for name in plan.others}  # before the cells run
    if plan.disable:
        disable(book_answer(plan.exercise), plan.exercise)
    confined = guard()  # from here on, untrusted code runs
    errors = []
    for index, source in plan.cells:
        error = run_cell(source, env, f"<cell {index}>", plan.step_seconds)
        if error:
            errors.append([index, clean(error, workdir)])
    env.update(others)
    function = env.get(plan.exercise)
    link.send(sock, plan.ready_seq, {
        "op": "ready", "confined": confined, "cell_errors": errors, "callable": callable(function),
        "parameters": parameters_of(function) if callable(function) else None,
        "output": clean(output.getvalue(), workdir), "output_characters": output.total})
    sys.stdout = sys.stderr = CappedText(0)  # what calls print is not shown (hidden cases)
    if callable(function):
        Server(sock, function, workdir).serve()
