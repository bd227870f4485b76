"""Throughput of `seqbook grade` on a class (tools/benchmark_grading.py --class): correct,
untouched and endless-loop notebooks of Chapter 1, every score checked. The issue's goal
is 60 submissions per minute on 2 cores; the CI machine's cores are shared with other
jobs, so the assert keeps a wide margin below it, and the processor time (which load
does not inflate) is held to a second per submission."""

import resource

import pytest

from seqbook.course import bundles
from seqbook.course import chapters as chapter_registry
from tests.conftest import ROOT, load_module

CLASS_SIZE, LOOPS = 30, 1
AT_LEAST_PER_MINUTE = 12  # the goal is 60: 99 measured for 60 with one loop at a load of 1 to 2,
# 23 to 29 at a load average of 10 to 12 (README, "Speed")
CPU_SECONDS_PER_SUBMISSION = 1.0


@pytest.mark.slow
def test_a_class_with_an_endless_loop_is_graded_at_a_steady_rate(tmp_path):
    tool = load_module(ROOT / "tools" / "benchmark_grading.py")
    chapter = next(iter(chapter_registry.discover().values()))
    written = bundles.assign([chapter.name], tmp_path / "bundle")
    lesson = written["student"] / "lessons" / chapter.master.name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = tool.benchmark_class(chapter, lesson, written["instructor"], tmp_path,
                                   CLASS_SIZE, LOOPS, jobs=2)  # exits unless all scores right
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    processor = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per_minute = CLASS_SIZE / seconds * 60
    print(f"{CLASS_SIZE} submissions in {seconds:.1f} s ({per_minute:.0f} per minute), "
          f"{processor:.1f} s of processor time")
    assert per_minute >= AT_LEAST_PER_MINUTE
    assert processor < CPU_SECONDS_PER_SUBMISSION * CLASS_SIZE
