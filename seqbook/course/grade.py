"""Grade a batch of submissions: the engine behind ``seqbook grade``."""

import contextlib
import dataclasses
import importlib
import io
import os
import pathlib
import pkgutil
import signal
import zipfile

import seqbook
from seqbook.course import chapters as chapter_registry
from seqbook.course import (
    masters,
    notebooks,
    reports,
    runner,
    sandbox,
    seeds,
    submissions,
    zygote,
)

GRADED = "graded"
SUPERSEDED = "superseded"
COUNTED_AS_GRADED = {GRADED, SUPERSEDED}


@dataclasses.dataclass
class Result:
    """The grade of one submission, as the reports show it."""

    label: str
    student: str
    chapter: str = ""
    status: str = GRADED
    message: str = ""
    exercises: dict = dataclasses.field(default_factory=dict)  # name -> exercise event
    cell_errors: list = dataclasses.field(default_factory=list)
    output: str = ""
    output_characters: int = 0
    modified: tuple = ()
    file_name: str = ""  # the submitted file's own name, as the student knows it
    flags: list = dataclasses.field(default_factory=list)  # shown first in the message

    @property
    def total(self):
        return sum(exercise["score"] for exercise in self.exercises.values())

    @property
    def possible(self):
        return sum(exercise["possible"] for exercise in self.exercises.values())


def prewarm(chapters):
    """Import what the chapters' set-up imports, once, in this (the parent) process, so
    that every forked child starts with it loaded."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)  # one thread per child; --jobs gives the parallelism
    # The first call of this switch takes seconds (a lazy import); the labs' set-up
    # calls it, so make that first call here, leaving the setting as it is.
    torch.use_deterministic_algorithms(torch.are_deterministic_algorithms_enabled())
    for chapter in chapters.values():  # imports only: seeding is for the children
        imports = masters.import_lines(chapter.setup_code)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(imports, f"<imports of {chapter.name}>", "exec"), {})
        for source in chapter.test_sources.values():
            runner.ExceptionTestFile.from_string(source)
    # every module of the book's package, so that a student's process never needs to read
    # its files (it may not: no fresh copy of the book's answer by importlib.reload)
    for module in pkgutil.walk_packages(seqbook.__path__, "seqbook."):
        if module.name != "seqbook.__main__":
            importlib.import_module(module.name)


def misnamed(file_name, chapter, chapter_names):
    """A flag when the file's name says another chapter than the one it holds."""
    named = notebooks.chapters_named(file_name, chapter_names)
    if named and chapter not in named:
        return [f"the file is named {file_name} but holds chapter {chapter}: was the wrong "
                "lab uploaded?"]
    return []


def _result_from(submission, outcome, chapters, limits, all_chapters=()):
    """Turn what a grader process reported (and how it ended) into a ``Result``."""
    result = Result(submission.label, submission.student, modified=submission.modified,
                    file_name=submission.file_name)
    done = False
    for event in outcome.events:
        kind = event.get("event")
        if kind == "rejected":
            result.status, result.message = event["status"], event["message"]
            return result
        if kind == "error":
            result.status, result.message = "grader_error", event["message"]
        elif kind in ("timeout", "crashed"):  # the cells did not get through
            result.status, result.message = kind, event["message"]
        elif kind == "chapter" and event.get("chapter") in chapters:
            result.chapter = event["chapter"]
        elif kind == "cell":
            result.cell_errors.append(event)
        elif kind == "exercise" and result.chapter:
            exercise = chapters[result.chapter].exercises.get(event.get("exercise"))
            if exercise is not None:  # the trusted points, whatever the child says
                event["possible"] = exercise.points
                event["score"] = min(max(float(event.get("score", 0)), 0.0), exercise.points)
                result.exercises[exercise.name] = event
        elif kind == "done":
            done = True
            result.output = event.get("output", "")
            result.output_characters = event.get("output_characters", 0)
    if result.chapter:
        result.flags += misnamed(result.file_name, result.chapter, all_chapters)
        for exercise in chapters[result.chapter].exercises.values():
            result.exercises.setdefault(exercise.name, {
                "event": "exercise", "exercise": exercise.name, "possible": exercise.points,
                "score": 0.0, "cases": [], "notes": ["not graded: grading stopped before "
                                                     "this exercise's tests ran"]})
    if result.status not in ("grader_error", "timeout", "crashed"):
        result.status, result.message = _ending(result, outcome, limits, done)
    if result.flags and result.status != GRADED:  # problems_summary shows them when graded
        result.message = "; ".join([*result.flags, result.message])
    return result


def _ending(result, outcome, limits, done):
    """The status and message of a submission, from how its grader process ended."""
    if outcome.timed_out:
        return "timeout", (f"stopped after the {limits.timeout:g} s time limit; an endless "
                           "loop that ignores interruption? Exercises that finished keep "
                           "their points")
    if outcome.signal is not None:
        name = signal.Signals(outcome.signal).name
        why = {"SIGXCPU": "it used more CPU time than the limit",
               "SIGKILL": "it was killed, most likely for using too much memory",
               "SIGXFSZ": "it wrote a file larger than the limit",
               "SIGSEGV": "it crashed Python (a segmentation fault)"}.get(name, "it crashed")
        return "crashed", f"grading stopped ({name}): {why}"
    if not done and not result.chapter:
        return "crashed", (f"the grading process ended (exit code {outcome.exit_code}) "
                           "before it could read the notebook")
    if not done:
        return "crashed", (f"the grading process ended (exit code {outcome.exit_code}) "
                           "before the tests finished. Exercises that finished keep their "
                           "points")
    return GRADED, reports.problems_summary(result)


def mark_duplicates(results):
    """Of several graded submissions by one student for one chapter, the newest counts;
    the others get the status ``superseded`` (their scores stay visible)."""
    groups = {}
    for result in results:
        if result.status == GRADED:
            groups.setdefault((result.student, result.chapter), []).append(result)
    for group in groups.values():
        if len(group) < 2:
            continue
        newest = max(group, key=lambda result: (result.modified, result.label))
        for result in group:
            if result is not newest:
                result.status = SUPERSEDED
                result.message = (f"{result.student} submitted {result.chapter} "
                                  f"{len(group)} times; the newest, {newest.label}, counts"
                                  + (f". {result.message}" if result.message else ""))


def check_out_dir(arguments, out_dir):
    """Refuse an output folder inside a submitted folder or the folder of a submitted
    file: grading never writes into or beside the submissions."""
    out = pathlib.Path(out_dir).resolve()
    for argument in arguments:
        path = pathlib.Path(argument).resolve()
        folder = path if path.is_dir() else path.parent
        if out == folder or (path.is_dir() and folder in out.parents):
            raise FileExistsError(f"--out {out_dir} would write into or beside the "
                                  f"submissions in {argument}: choose a folder elsewhere")


def grade(arguments, out_dir, jobs=1, limits=sandbox.Limits(), expected=None,
          solutions_dir=None, instructor_dir=None, seed=None, log=print):
    """Grade every submission in ``arguments`` and write the reports to ``out_dir``;
    the hidden cases come from ``seed`` (``seqbook.course.seeds.resolve``).

    Returns:
        The list of ``Result`` (sorted by submission label).
    """
    check_out_dir(arguments, out_dir)
    chapters = chapter_registry.discover(solutions_dir)
    unknown = sorted(set(expected or ()) - set(chapters))
    if unknown:
        raise chapter_registry.ChapterError(
            f"no chapter {', '.join(unknown)}; the chapters are {', '.join(sorted(chapters))}")
    graded_chapters = {name: chapter for name, chapter in chapters.items()
                       if not expected or name in expected}
    found = submissions.find_submissions(arguments, sorted(chapters))
    if not found:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {', '.join(arguments)}")
    out_dir = pathlib.Path(out_dir)
    for name, chapter in graded_chapters.items():
        if instructor_dir is None:
            log(f"preparing otter's tests for {name} (otter assign; pass --instructor "
                "to reuse a bundle from `seqbook assign`) ...")
        chapter_registry.load_tests(chapter, instructor_dir)
    seed, source = seeds.resolve(seed, instructor_dir)
    log(f"hidden cases drawn from the seed in {source}")
    warm_code = "\n".join(masters.import_lines(chapter.setup_code)
                          for chapter in graded_chapters.values())
    sandboxed = zygote.spawn(warm_code, log)
    try:
        return _grade_all(found, graded_chapters, chapters, arguments, out_dir, jobs, limits,
                          expected, instructor_dir, seed, sandboxed, log)
    finally:
        if sandboxed is not None:
            sandboxed.stop()


def _grade_all(found, graded_chapters, chapters, arguments, out_dir, jobs, limits, expected,
               instructor_dir, seed, sandboxed, log):
    """Grade ``found`` in grader processes, write the reports, return the results."""
    prewarm(graded_chapters)
    launch = zygote.launcher(sandboxed, log)
    denied = [*(str(pathlib.Path(a).resolve()) for a in arguments), str(out_dir.resolve()),
              str(pathlib.Path(seqbook.__file__).resolve().parent),
              str(graded_chapters[next(iter(graded_chapters))].master.parent.resolve())]
    if instructor_dir is not None:
        denied.append(str(pathlib.Path(instructor_dir).resolve()))

    def target(submission, channel):
        try:
            data = submission.read()
        except (OSError, zipfile.BadZipFile, RuntimeError) as error:
            channel.send({"event": "rejected", "status": "unreadable",
                          "message": f"the file cannot be read: {error}"})
            return
        runner.grade_submission(data, chapters, expected, channel, limits, denied, seed,
                                launch)

    readable = [submission for submission in found if submission.problem is None]
    outcomes = sandbox.run_all(readable, target, limits, jobs=jobs)
    by_submission = {id(outcome.key): outcome for outcome in outcomes}
    results = []
    for submission in found:
        if submission.problem is not None:
            results.append(Result(submission.label, submission.student,
                                  status="unreadable", message=submission.problem,
                                  file_name=submission.file_name))
        else:
            results.append(_result_from(submission, by_submission[id(submission)],
                                        graded_chapters, limits, sorted(chapters)))
    mark_duplicates(results)
    reports.write_all(results, graded_chapters, out_dir)
    return results
