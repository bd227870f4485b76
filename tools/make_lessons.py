"""Regenerate the student notebooks in lessons/ from the instructor masters in solutions/.

Usage:  .venv/bin/python tools/make_lessons.py [CHAPTER ...]   e.g. 01_rnn
With no chapter, every master in solutions/ is processed. Each master is executed in
place (so its committed outputs are fresh), turned into a student notebook with otter
assign, and the student notebook is executed in lessons/ with widget state stored.

--setup-cell-only adds or updates each lab's set-up cell (tagged install-seqbook, made by
seqbook.course.publishing) in the master and in its student notebook, without running
anything: the cell prints nothing where seqbook is installed, so the committed outputs
stay right. Run it after changing the book's version, address or pins.
"""

import argparse
import pathlib
import sys
import time

import nbformat

from seqbook.course import lessons, publishing

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names such as 01_rnn")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the student notebooks without running anything")
    parser.add_argument("--setup-cell-only", action="store_true",
                        help="add or update the install-seqbook cell of the masters and "
                        "their student notebooks, running nothing")
    args = parser.parse_args(argv)
    masters = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.chapters:
        masters = [ROOT / "solutions" / f"{name}.ipynb" for name in args.chapters]
    for master in masters:
        if not master.exists():
            sys.exit(f"no master notebook {master}")
        lesson = ROOT / "lessons" / master.name
        if args.setup_cell_only:
            put_setup_cells(master, lesson)
            continue
        start = time.perf_counter()
        if not args.no_execute:
            lessons.execute_notebook(master)
        nbformat.write(lessons.student_notebook(master), lesson)
        if not args.no_execute:
            lessons.execute_notebook(lesson)
        print(f"{master.name}: lessons/{lesson.name} written in "
              f"{time.perf_counter() - start:.0f} s")


def put_setup_cells(master, lesson):
    """The set-up cell into ``master`` and ``lesson``, then check that the lesson is what
    otter assign makes of the master (else the lesson needs a full regeneration)."""
    for path in (master, lesson):
        if not path.exists():
            continue
        notebook = nbformat.read(path, as_version=4)
        if publishing.put_setup_cell(notebook):
            nbformat.write(notebook, path)
            print(f"{path.relative_to(ROOT)}: set-up cell written")
        else:
            print(f"{path.relative_to(ROOT)}: set-up cell already current")
    if lesson.exists() and not lessons.same_cells(lessons.student_notebook(master),
                                                  nbformat.read(lesson, as_version=4)):
        sys.exit(f"lessons/{lesson.name} differs from what its master makes beyond the "
                 f"set-up cell: run tools/make_lessons.py {master.stem}")


if __name__ == "__main__":
    main()
