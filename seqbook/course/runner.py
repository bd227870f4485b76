"""What runs inside a grading child: read one submission, run only its exercise cells
and otter's test files for them, and report each step.

Only the chapter's set-up (from the trusted master: its imports and seeding) and the
student's cells that define exercise functions are executed, never the lab's long
experiments; that is what makes one submission take a second, not a minute. The
tests are otter's own test files (public and hidden cases), run with otter's
``ExceptionTestFile``, so each exercise scores what ``otter run`` would give it.

Each exercise is graded on its own: while its tests run, the chapter's other exercise
names are bound to the book's answers (``seqbook.course.answers``), so a student's
``rnn_forward`` that calls their own broken ``rnn_cell_forward`` loses only the points of
``rnn_cell_forward``.
"""

import builtins
import contextlib
import io
import re
import signal
import sys
import traceback

from otter.test_files import ExceptionTestFile

from seqbook.course.answers import AnswerError, book_answer
from seqbook.course.masters import strip_magics
from seqbook.course.notebooks import Rejected, answer_cells, parse_notebook, recognise_chapter

OUTPUT_LIMIT = 20_000  # characters of printed output kept for the feedback
MESSAGE_LIMIT = 1_500  # characters kept of one error message


class StepTimeout(BaseException):
    """A cell or a test ran past its share of the time limit (an endless loop?)."""


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
    message = message.replace(workdir, ".")
    message = re.sub(r" at 0x[0-9a-fA-F]+", "", message)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + " [...]"


def describe_error(error, filename):
    """'ValueError at line 3: message' for an error raised by code in ``filename``."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return f"SyntaxError at line {error.lineno}: {error.msg}"
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    where = f" at line {line}" if line else ""
    if isinstance(error, StepTimeout):
        return f"stopped{where}: it {error} (an endless loop?)"
    if isinstance(error, MemoryError):
        return f"MemoryError{where}: it used more memory than the limit allows"
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r}){where}: a lab must not exit Python"
    text = str(error)
    return f"{type(error).__name__}{where}" + (f": {text}" if text else "")


def run_cell(source, env, filename, seconds):
    """Execute one cell's source in ``env``; returns an error description or None."""
    try:
        code = compile(strip_magics(source), filename, "exec")
        with time_limit(seconds):
            exec(code, env)
    except BaseException as error:  # noqa: BLE001 - SystemExit, timeouts: all reported
        return describe_error(error, filename)
    return None


def case_message(result):
    """The readable part of otter's message for a test case (the check's words)."""
    message = result.message.replace("❌ Test case failed\n", "").replace("✅ ", "")
    tail = message.strip().splitlines()[-1] if message.strip() else ""
    for prefix in ("ExerciseFailure: ", "AssertionError: "):
        if tail.startswith(prefix):
            return tail[len(prefix):]
    return message.strip()


def run_exercise(chapter, exercise, test_file, env, seconds, workdir):
    """Run otter's test file for one exercise; returns the result event."""
    event = {"event": "exercise", "exercise": exercise.name, "possible": exercise.points,
             "score": 0.0, "cases": [], "notes": []}
    function = env.get(exercise.name)
    if not callable(function):
        event["notes"].append(
            f"no function named {exercise.name}: its cell was renamed, deleted or did not "
            "run. Keep the exercise's `def` line as it was given.")
        return event
    code = getattr(function, "__code__", None)
    if code is not None and exercise.parameters:
        given = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        if tuple(given) != exercise.parameters:
            event["notes"].append(
                f"{exercise.name} takes ({', '.join(given)}) but the exercise asks for "
                f"({', '.join(exercise.parameters)}): keep the signature it was given.")
    try:
        with time_limit(seconds):
            test_file.run(env)
    except BaseException as error:  # noqa: BLE001 - a timeout or sys.exit in a test
        event["notes"].append(clean(f"the tests were stopped: {describe_error(error, '')}",
                                    workdir))
        return event
    for result in test_file.test_case_results:
        event["cases"].append({
            "name": result.test_case.name, "hidden": bool(result.test_case.hidden),
            "points": float(result.test_case.points or 0), "passed": bool(result.passed),
            "message": clean(case_message(result), workdir) if not result.passed else "",
        })
    event["score"] = float(test_file.score)
    return event


def book_answers(chapter):
    """{exercise: the book's answer} for the chapter's exercises that have one (all of the
    book's do: tests/test_one_source.py); one without is graded with the student's own."""
    found = {}
    for name in chapter.exercises:
        try:
            found[name] = book_answer(name)
        except AnswerError:
            pass
    return found


@contextlib.contextmanager
def others_from_the_book(env, exercise, answers):
    """While the block runs, every exercise name but ``exercise`` in ``env`` is the
    book's answer; the student's own functions are put back afterwards."""
    students = {name: env[name] for name in answers if name in env}
    env.update({name: answer for name, answer in answers.items() if name != exercise})
    try:
        yield
    finally:
        for name in answers:
            env.pop(name, None)
        env.update(students)


def grade_submission(data, chapters, expected, channel, workdir, guard, step_seconds,
                     setup_seconds=None):
    """Grade the notebook bytes ``data`` and report through ``channel`` (in the child).

    Reports a ``rejected`` event, or a ``chapter`` event, one ``cell`` event per cell
    that failed, one ``exercise`` event per exercise and a final ``done`` event. The
    chapter's (trusted) set-up may use ``setup_seconds``; each student cell and each
    exercise's tests get ``step_seconds``.
    """
    try:
        notebook = parse_notebook(data)
        name = recognise_chapter(notebook, chapters, expected)
    except Rejected as rejection:
        channel.send({"event": "rejected", "status": rejection.status,
                      "message": rejection.message})
        return
    except RecursionError:
        channel.send({"event": "rejected", "status": "not_a_notebook",
                      "message": "the file is nested too deeply to be a notebook"})
        return
    chapter = chapters[name]
    channel.send({"event": "chapter", "chapter": name})
    tests = {exercise: ExceptionTestFile.from_string(source, path=f"tests/{exercise}.py")
             for exercise, source in chapter.test_sources.items()}
    env = {"__name__": "__main__", "__builtins__": builtins}
    output = CappedText()
    sys.stdout = sys.stderr = output
    error = run_cell(chapter.setup_code, env, "<set-up>", setup_seconds or step_seconds)
    if error:
        channel.send({"event": "error", "message": f"the chapter's set-up failed: {error}"})
        return
    answers = book_answers(chapter)
    guard()  # from here on, untrusted code runs
    for index, source in answer_cells(notebook, chapter):
        error = run_cell(source, env, f"<cell {index}>", step_seconds)
        if error:
            owners = sorted(exercise for exercise in chapter.exercises
                            if f"def {exercise}" in source)
            channel.send({"event": "cell", "cell": index, "exercises": owners,
                          "error": clean(error, workdir)})
    for exercise in chapter.exercises.values():
        with others_from_the_book(env, exercise.name, answers):
            event = run_exercise(chapter, exercise, tests[exercise.name], env,
                                 step_seconds, workdir)
        channel.send(event)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    channel.send({"event": "done", "output": clean(output.getvalue(), workdir),
                  "output_characters": output.total})
