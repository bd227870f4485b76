"""The ``seqbook`` command line for instructors: ``seqbook assign`` and ``seqbook grade``.

Exit status: 0 when every submission was graded, 1 when some could not be graded (the
summary line and the gradebook say which and why), 2 for a usage error.
"""

import argparse
import sys

GRADE_EPILOG = """\
statuses in grades.csv: graded; superseded (an older submission of the same student and
chapter; the newest counts); not_a_notebook, unreadable, unknown_chapter, wrong_chapter
(nothing could be graded: zero); timeout, crashed (grading was stopped: exercises that
finished keep their points); grader_error (a fault of the grader, not the student).
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="seqbook", description="Assign chapters of the course book and grade a class's "
        "notebooks with otter-grader, locally (no JupyterHub, no Docker).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    assign = commands.add_parser(
        "assign", help="write the student and instructor bundles for some chapters",
        description="Write a student bundle (the chosen labs and how to set them up) and "
        "an instructor bundle (the masters, otter's autograder zips, ready for Gradescope "
        "or `seqbook grade --instructor`).")
    assign.add_argument("chapters", nargs="+", metavar="CHAPTER",
                        help="chapter names, e.g. 01_rnn (the masters in solutions/)")
    assign.add_argument("--out", required=True, help="folder to write student/ and "
                        "instructor/ into (created; must be empty or absent)")
    assign.add_argument("--solutions", help="folder of chapter masters (default: the "
                        "book's solutions/)")

    grade = commands.add_parser(
        "grade", help="grade submitted notebooks into a gradebook and feedback pages",
        description="Grade notebooks (files, folders or an LMS zip). Each submission's "
        "chapter is read from the notebook; only its exercise cells run, with otter's "
        "public and hidden tests, in a separate process with time and memory limits. "
        "Writes DIR/grades.csv, DIR/feedback/*.html and DIR/results/*.json; never writes "
        "next to the submissions.",
        epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="a notebook, a folder of notebooks or a zip of them")
    grade.add_argument("--out", required=True, help="folder for the gradebook and feedback")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once "
                       "(default 1; use the number of cores)")
    grade.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per "
                       "submission (default 60)")
    grade.add_argument("--memory", type=int, default=1024, help="memory limit per "
                       "submission in MiB (default 1024)")
    grade.add_argument("--chapter", action="append", metavar="CHAPTER", help="only accept "
                       "this chapter (repeatable); other chapters get the status wrong_chapter")
    grade.add_argument("--instructor", help="instructor bundle from `seqbook assign` (its "
                       "autograder zips hold the tests; without it otter assign runs first)")
    grade.add_argument("--solutions", help="folder of chapter masters (default: the "
                       "book's solutions/, or the bundle's)")
    grade.add_argument("--seed", type=int, help="the seed the hidden cases are drawn from "
                       "(default: the bundle's seed.txt with --instructor, else your own, "
                       "kept in ~/.config/seqbook/hidden-seed)")
    return parser


def run_assign(args):
    from seqbook.course import bundles

    written = bundles.assign(args.chapters, args.out, solutions_dir=args.solutions)
    print(f"student bundle: {written['student']}\ninstructor bundle: {written['instructor']}")
    return 0


def run_grade(args):
    import pathlib

    from seqbook.course import grade, reports, sandbox

    if args.jobs < 1 or args.timeout <= 0 or args.memory < 64:
        print("seqbook grade: --jobs must be >= 1, --timeout > 0 and --memory >= 64",
              file=sys.stderr)
        return 2
    solutions = args.solutions
    if solutions is None and args.instructor is not None:
        bundled = pathlib.Path(args.instructor) / "solutions"
        solutions = bundled if bundled.is_dir() else None
    results = grade.grade(args.submissions, args.out, jobs=args.jobs,
                          limits=sandbox.Limits(args.timeout, args.memory),
                          expected=args.chapter, solutions_dir=solutions,
                          instructor_dir=args.instructor, seed=args.seed,
                          log=lambda line: print(line, file=sys.stderr))
    print(reports.summary(results, args.out))
    return 0 if all(result.status in grade.COUNTED_AS_GRADED for result in results) else 1


def main(argv=None):
    """Entry point of the ``seqbook`` command."""
    args = build_parser().parse_args(argv)
    from seqbook.course.chapters import ChapterError
    from seqbook.course.seeds import SeedError

    try:
        return run_assign(args) if args.command == "assign" else run_grade(args)
    except (ChapterError, FileNotFoundError, FileExistsError, SeedError) as error:
        print(f"seqbook {args.command}: {error}", file=sys.stderr)
        return 2
