"""What a grader process does for one submission: read it, run its exercise cells in a
student's process per exercise, run otter's test files here against those processes,
and report each step.

The grader is trusted: the checks (``seqbook.checks``, called by otter's test cases as
the chapter's autograder archive defines them) run here, never in the student's
process, and call the student's function through ``seqbook.course.proxy``; only plain
data comes back. Only the chapter's set-up (from the trusted master: its imports and
seeding) and the student's cells that define exercise functions are executed, never the
lab's long experiments; that is what makes one submission take a second, not a minute.

Each exercise is graded on its own, in a student's process of its own: there the
chapter's other exercise names are bound to the book's answers
(``seqbook.course.answers``) after the cells ran, so a student's ``rnn_forward`` that
calls their own broken ``rnn_cell_forward`` loses only the points of
``rnn_cell_forward``; and the book's answer of the exercise itself refuses to run. An
exercise whose function is, or calls, the book's own (``seqbook.course.borrowed``, read
here from the source) scores 0 without being called.
"""

from otter.test_files import ExceptionTestFile
from otter.test_files.abstract_test import TestCaseResult

from seqbook.checks import hidden_seed
from seqbook.course import borrowed, proxy
from seqbook.course.answers import AnswerError, book_answer
from seqbook.course.notebooks import (
    Rejected,
    answer_cells,
    heading_before,
    parse_notebook,
    recognise_chapter,
)
from seqbook.course.student import MESSAGE_LIMIT, clean


def case_message(error):
    """The readable part of a failed case's exception (the check's words)."""
    if isinstance(error, AssertionError):
        return str(error).strip()
    return f"{type(error).__name__}: {error}".strip()


def run_cases(test_file, env, process):
    """Run the test file's cases against ``env``, as otter's ``ExceptionTestFile.run``
    does, telling ``process`` which case runs (for a message about a stopped call)."""
    test_file.test_case_results = []
    for case in test_file.test_cases:
        process.where = "in the hidden case" if case.hidden else "in the public case"
        try:
            case.body.call_func(env)
            passed, message = True, ""
        except Exception as error:  # noqa: BLE001 - otter counts any exception a failure
            passed, message = False, case_message(error)
        test_file.test_case_results.append(
            TestCaseResult(test_case=case, message=message, passed=passed))


def run_exercise(exercise, test_file, process, report):
    """Run otter's test file for one exercise against its student's process; returns the
    result event."""
    event = {"event": "exercise", "exercise": exercise.name, "possible": exercise.points,
             "score": 0.0, "cases": [], "notes": []}
    if not report.get("callable"):
        event["notes"].append(
            f"no function named {exercise.name}: its cell was renamed, deleted or did not "
            "run. Keep the exercise's `def` line as it was given.")
        return event
    given = report.get("parameters")
    if isinstance(given, list) and exercise.parameters and tuple(given) != exercise.parameters:
        event["notes"].append(
            f"{exercise.name} takes ({', '.join(map(str, given))}) but the exercise asks for "
            f"({', '.join(exercise.parameters)}): keep the signature it was given.")
    run_cases(test_file, {exercise.name: proxy.RemoteFunction(process, exercise.name)},
              process)
    for result in test_file.test_case_results:
        event["cases"].append({
            "name": result.test_case.name, "hidden": bool(result.test_case.hidden),
            "points": float(result.test_case.points or 0), "passed": bool(result.passed),
            "message": clean(result.message, "") if not result.passed else "",
        })
    event["score"] = float(test_file.score)
    return event


def not_graded(exercise, why):
    """The event of an exercise that scores 0 without a call: the book's own answer, or
    a student's process that ended before it could be called."""
    return {"event": "exercise", "exercise": exercise.name, "possible": exercise.points,
            "score": 0.0, "cases": [], "notes": [why]}


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


def others_from_the_book(exercise, answers):
    """The book's answers of every exercise but ``exercise``: bound in its student's
    process after the cells ran."""
    return {name: answer for name, answer in answers.items() if name != exercise}


def read_notebook(data, chapters, expected, channel):
    """The notebook and its chapter's name, or None after reporting why not."""
    try:
        notebook = parse_notebook(data)
        return notebook, recognise_chapter(notebook, chapters, expected)
    except Rejected as rejection:
        channel.send({"event": "rejected", "status": rejection.status,
                      "message": rejection.message})
    except RecursionError:
        channel.send({"event": "rejected", "status": "not_a_notebook",
                      "message": "the file is nested too deeply to be a notebook"})
    return None


def report_cells(report, cells, chapter, seen, channel, notebook):
    """Send a ``cell`` event for each failed cell not reported before, with the heading
    above it, so that the student can find it."""
    sources = dict(cells)
    for item in report.get("cell_errors") or []:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in sources):
            continue
        index, error = item
        if index in seen:
            continue
        seen.add(index)
        owners = sorted(name for name in chapter.exercises if f"def {name}" in sources[index])
        channel.send({"event": "cell", "cell": index, "exercises": owners,
                      "heading": heading_before(notebook, index),
                      "error": str(error)[:MESSAGE_LIMIT + 10]})


def grade_submission(data, chapters, expected, channel, limits, denied, seed=None,
                     launch=None):
    """Grade the notebook bytes ``data`` and report through ``channel`` (in a grader
    process).

    Reports a ``rejected`` event, or a ``chapter`` event, one ``cell`` event per cell
    that failed, one ``exercise`` event per exercise and a final ``done`` event; or
    ``error`` (the chapter's set-up failed), ``timeout`` or ``crashed`` (the cells did not
    get through) instead of the exercises. The hidden cases are drawn from ``seed``;
    ``launch(plan, limits, denied)`` starts a student's process (by default forked here).
    """
    read = read_notebook(data, chapters, expected, channel)
    if read is None:
        return
    notebook, name = read
    chapter = chapters[name]
    channel.send({"event": "chapter", "chapter": name})
    cells = answer_cells(notebook, chapter)
    answers = book_answers(chapter)
    seen, output = set(), None
    for exercise in chapter.exercises.values():
        borrowing = borrowed.book_answer_use(cells, exercise.name, chapter.exercises)
        if borrowing:
            channel.send(not_graded(exercise, borrowing))
            continue
        plan = proxy.Plan(chapter.setup_code, cells, exercise.name,
                          tuple(others_from_the_book(exercise.name, answers)),
                          disable=exercise.name in answers,
                          setup_seconds=limits.timeout, step_seconds=limits.step_seconds)
        process = proxy.StudentProcess(plan, limits, denied, launch)
        try:
            report = process.start()
        except proxy.StartFailed as failure:
            if failure.kind in ("setup", "timeout"):  # the same for every exercise: stop
                channel.send({"event": "error" if failure.kind == "setup" else "timeout",
                              "message": failure.message})
                return
            channel.send(not_graded(exercise, f"not graded: {failure.message}"))
            continue
        try:
            report_cells(report, cells, chapter, seen, channel, notebook)
            if output is None:
                output = report
            test_file = ExceptionTestFile.from_string(chapter.test_sources[exercise.name],
                                                      path=f"tests/{exercise.name}.py")
            with hidden_seed(seed):
                channel.send(run_exercise(exercise, test_file, process, report))
        finally:
            process.stop()
    output = output or {}
    characters = output.get("output_characters")
    channel.send({"event": "done", "output": str(output.get("output", "")),
                  "output_characters": characters if type(characters) is int else 0})
