"""Time what the book costs to run: each notebook's execution and the book build.

Usage:  .venv/bin/python tools/benchmark.py [--skip-book] [CHAPTER ...]   e.g. 03 04b
Prints a table (seconds, wall clock). Notebooks are executed on copies in a temporary
folder, so nothing in the repository changes.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from seqbook.course.lessons import execute_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent


def time_notebook(path):
    with tempfile.TemporaryDirectory() as work:
        copy = pathlib.Path(work) / path.name
        shutil.copy(path, copy)
        start = time.perf_counter()
        execute_notebook(copy, timeout=900)
        return time.perf_counter() - start


def time_book():
    with tempfile.TemporaryDirectory() as work:
        jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
        start = time.perf_counter()
        subprocess.run([str(jupyter_book), "build", str(ROOT), "--path-output", work, "-W",
                        "-n", "--keep-going"], check=True, capture_output=True)
        return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-book", action="store_true", help="do not time the build")
    parser.add_argument("chapters", nargs="*",
                        help="time only the notebooks whose names start with these, e.g. 04")
    args = parser.parse_args(argv)
    rows = []
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            if args.chapters and not path.name.startswith(tuple(args.chapters)):
                continue
            rows.append((f"execute {folder}/{path.name}", time_notebook(path)))
            print(f"{rows[-1][0]:<40} {rows[-1][1]:8.1f} s", flush=True)
    if not args.skip_book:
        rows.append(("build the book (jupyter-book, -W)", time_book()))
        print(f"{rows[-1][0]:<40} {rows[-1][1]:8.1f} s", flush=True)
    print(f"\n{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}")
    print(f"| {'what':<40} | seconds |\n|{'-' * 42}|---------|")
    for what, seconds in rows:
        print(f"| {what:<40} | {seconds:7.1f} |")


if __name__ == "__main__":
    main()
