"""How fast `seqbook grade` grades: 100 copies of each chapter's instructor notebook.

Usage:  .venv/bin/python tools/benchmark_grading.py [--copies 100] [--jobs 2]

Makes the instructor bundle once with `seqbook assign` (not timed), then times the whole
`seqbook grade` command (start-up included) on the copies of each chapter's master,
checks that every copy scored full marks, and prints submissions per minute. Works on
copies in a temporary folder; nothing in the repository changes.
"""

import argparse
import csv
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from seqbook.course import chapters as chapter_registry

SEQBOOK = [sys.executable, "-m", "seqbook"]


def benchmark(chapter, bundle, work, copies, jobs):
    """Seconds `seqbook grade` takes on ``copies`` copies of the chapter's master."""
    submissions = work / f"{chapter.name}_copies"
    submissions.mkdir()
    for index in range(copies):
        shutil.copy(chapter.master, submissions / f"student{index:03d}.ipynb")
    out = work / f"{chapter.name}_grades"
    start = time.perf_counter()
    subprocess.run([*SEQBOOK, "grade", str(submissions), "--out", str(out), "--jobs",
                    str(jobs), "--instructor", str(bundle)], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    wrong = [row["submission"] for row in rows
             if row["status"] != "graded" or row["total"] != row["possible"]]
    if len(rows) != copies or wrong:
        sys.exit(f"{chapter.name}: {len(rows)} rows, not full marks: {wrong[:3]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    chapters = chapter_registry.discover()
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        subprocess.run([*SEQBOOK, "assign", *chapters, "--out", str(work / "bundle")],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"| chapter | submissions | seconds (--jobs {args.jobs}) | per minute |")
        print("| --- | --- | --- | --- |")
        for chapter in chapters.values():
            seconds = benchmark(chapter, work / "bundle" / "instructor", work, args.copies,
                                args.jobs)
            print(f"| {chapter.name} | {args.copies} | {seconds:.1f} | "
                  f"{args.copies / seconds * 60:.0f} |", flush=True)


if __name__ == "__main__":
    main()
