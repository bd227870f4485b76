"""Regenerate the student notebooks in lessons/ from the instructor masters in solutions/.

Usage:  .venv/bin/python tools/make_lessons.py [CHAPTER ...]   e.g. 01_rnn
With no chapter, every master in solutions/ is processed. Each master is executed in
place (so its committed outputs are fresh), turned into a student notebook with otter
assign, and the student notebook is executed in lessons/ with widget state stored.
"""

import argparse
import pathlib
import sys
import time

import nbformat

from seqbook.course import lessons

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names such as 01_rnn")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the student notebooks without running anything")
    args = parser.parse_args(argv)
    masters = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.chapters:
        masters = [ROOT / "solutions" / f"{name}.ipynb" for name in args.chapters]
    for master in masters:
        if not master.exists():
            sys.exit(f"no master notebook {master}")
        lesson = ROOT / "lessons" / master.name
        start = time.perf_counter()
        if not args.no_execute:
            lessons.execute_notebook(master)
        nbformat.write(lessons.student_notebook(master), lesson)
        if not args.no_execute:
            lessons.execute_notebook(lesson)
        print(f"{master.name}: lessons/{lesson.name} written in "
              f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
