"""How fast `seqbook grade` grades: 100 copies of each chapter's instructor notebook,
or with --class, a class of Chapter 1: correct, untouched and endless-loop notebooks.

Usage:  .venv/bin/python tools/benchmark_grading.py [--copies 100] [--jobs 2]
        .venv/bin/python tools/benchmark_grading.py --class 60 [--loops 2] [--jobs 2]
                                                    [--timeout 60]

Makes the instructor bundle once with `seqbook assign` (not timed), then times the whole
`seqbook grade` command (start-up included) on the copies of each chapter's master,
checks that every copy scored full marks, and prints submissions per minute. Works on
copies in a temporary folder; nothing in the repository changes.
"""

import argparse
import csv
import json
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


LOOP = "\n\ndef {name}({parameters}):\n    while True:  # an endless loop\n        pass\n"


def write_class(chapter, lesson, folder, size, loops):
    """``size`` notebooks of ``chapter``: ``loops`` whose first exercise loops forever
    when called, a tenth untouched (the lesson as given), the rest the master; returns
    {file name: the total it must score}."""
    master = json.loads(chapter.master.read_text())
    first = next(iter(chapter.exercises.values()))
    full = sum(exercise.points for exercise in chapter.exercises.values())
    expected = {}
    for index in range(size):
        name = f"student{index:03d}.ipynb"
        if index < loops:
            looping = json.loads(json.dumps(master))
            cell = next(cell for cell in looping["cells"] if cell["cell_type"] == "code"
                        and f"def {first.name}(" in "".join(cell["source"]))
            cell["source"] = "".join(cell["source"]) + LOOP.format(
                name=first.name, parameters=", ".join(first.parameters))
            (folder / name).write_text(json.dumps(looping))
            expected[name] = full - first.points
        elif index < loops + max(1, size // 10):
            shutil.copy(lesson, folder / name)
            expected[name] = 0.0
        else:
            shutil.copy(chapter.master, folder / name)
            expected[name] = full
    return expected


def benchmark_class(chapter, lesson, bundle, work, size, loops, jobs, timeout=60.0):
    """Seconds `seqbook grade --timeout timeout` takes on a class (``write_class``; each
    call of a student's function is stopped after a quarter of ``timeout``); checks every
    score."""
    submissions = work / "class"
    submissions.mkdir()
    expected = write_class(chapter, lesson, submissions, size, loops)
    out = work / "class_grades"
    start = time.perf_counter()
    subprocess.run([*SEQBOOK, "grade", str(submissions), "--out", str(out), "--jobs",
                    str(jobs), "--instructor", str(bundle), "--chapter", chapter.name,
                    "--timeout", str(timeout)],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    with open(out / "grades.csv", newline="") as handle:
        rows = {pathlib.Path(row["submission"]).name: row for row in csv.DictReader(handle)}
    wrong = [name for name, total in expected.items()
             if rows[name]["status"] != "graded" or float(rows[name]["total"]) != total]
    if len(rows) != size or wrong:
        sys.exit(f"{chapter.name}: {len(rows)} rows, wrong scores: {wrong[:3]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--class", dest="class_size", type=int, default=0,
                        help="grade a class of this many Chapter 1 notebooks instead")
    parser.add_argument("--loops", type=int, default=2,
                        help="how many of the class loop forever (with --class)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seqbook grade's --timeout (with --class; a quarter of it is "
                             "the limit of one call)")
    args = parser.parse_args()
    chapters = chapter_registry.discover()
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        if args.class_size:
            chapter = next(iter(chapters.values()))
            subprocess.run([*SEQBOOK, "assign", chapter.name, "--out", str(work / "bundle")],
                           check=True, stdout=subprocess.DEVNULL)
            lesson = work / "bundle" / "student" / "lessons" / chapter.master.name
            seconds = benchmark_class(chapter, lesson, work / "bundle" / "instructor", work,
                                      args.class_size, args.loops, args.jobs, args.timeout)
            print(f"{chapter.name}: a class of {args.class_size} ({args.loops} endless "
                  f"loops) in {seconds:.1f} s with --jobs {args.jobs} --timeout "
                  f"{args.timeout:g}: "
                  f"{args.class_size / seconds * 60:.0f} submissions per minute")
            return
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
