"""The Gradescope autograder archive, which runs this same grader (``seqbook grade``).

``seqbook assign`` writes ``instructor/gradescope/NN_topic.zip`` per chapter. Uploaded as
a programming assignment's autograder, it unpacks into ``/autograder/source``:

setup.sh         run once, as root, when Gradescope builds the image: bubblewrap (the
                 grader's sandbox) from apt, a virtual environment in ``source/.venv``,
                 torch's CPU build from PyTorch's CPU wheel index, then every pin of the
                 book's one dependency list (``requirements.txt``)
run_autograder   run for every submission: ``python -m seqbook.course.gradescope``
requirements.txt the run-time pins of pyproject.toml (``seqbook.course.dependencies``)
seqbook/         the book's package
solutions/       the chapter's master (its set-up cell and exercises)
instructor/      the bundle's seed.txt and otter assign's zip (the test files)

``main`` grades the one notebook in ``/autograder/submission`` with exercise cells
only, the trusted checks and the bundle's seed, and writes
``/autograder/results/results.json`` in Gradescope's format: a visible summary of the
public cases, then one test per exercise (its score, its maximum, every case's outcome)
that students see once the grades are published, since its output holds the hidden
cases. ``$SEQBOOK_AUTOGRADER_ROOT`` stands for ``/autograder`` (the tests use it).
"""

import json
import os
import pathlib
import sys
import tempfile
import zipfile

from seqbook.course import dependencies, grade, sandbox, seeds

CONFIG = "seqbook-gradescope.json"
LIMITS = sandbox.Limits(timeout=20, memory_mb=512)  # per submission, as in seqbook grade

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq bubblewrap python3-venv \\
        || echo "bubblewrap could not be installed: grading runs without its sandbox"
fi
if [ -n "${{SEQBOOK_SKIP_INSTALL:-}}" ]; then  # the tests: the environment exists already
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch's CPU build: the default index gives Linux the CUDA build, gigabytes of it
.venv/bin/python -m pip install --quiet --index-url {cpu_index} {torch}
.venv/bin/python -m pip install --quiet -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: seqbook's trusted grader.
ROOT="${SEQBOOK_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${SEQBOOK_PYTHON:-$ROOT/source/.venv/bin/python}"
cd "$ROOT"
exec env PYTHONPATH="$ROOT/source" PYTHONHASHSEED=0 OPENBLAS_NUM_THREADS=1 \\
    MPLBACKEND=Agg "$PYTHON" -m seqbook.course.gradescope "$ROOT"
"""


def torch_pin():
    [pin] = [pin for pin in dependencies.runtime()
             if dependencies.requirement_name(pin) == "torch"]
    return pin


def write_archive(chapter, instructor_dir, path):
    """Write the archive of ``chapter`` (a ``chapters.Chapter``) for the instructor bundle
    ``instructor_dir`` (its seed and otter's zip) to ``path``; returns ``path``."""
    import seqbook
    from seqbook.course.chapters import find_autograder_zip

    instructor_dir = pathlib.Path(instructor_dir)
    otter_zip = find_autograder_zip(instructor_dir, chapter.name)
    package = pathlib.Path(seqbook.__file__).resolve().parent
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        def add_text(name, text, executable=False):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)

        add_text("setup.sh", SETUP_SH.format(cpu_index=dependencies.TORCH_CPU_INDEX,
                                             torch=torch_pin()), True)
        add_text("run_autograder", RUN_AUTOGRADER, True)
        add_text("requirements.txt", "\n".join(dependencies.runtime()) + "\n")
        add_text(CONFIG, json.dumps({"chapter": chapter.name}) + "\n")
        for file in sorted(package.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                archive.write(file, f"seqbook/{file.relative_to(package)}")
        archive.write(chapter.master, f"solutions/{chapter.master.name}")
        archive.write(instructor_dir / seeds.SEED_FILE, f"instructor/{seeds.SEED_FILE}")
        archive.write(otter_zip, f"instructor/autograder/{otter_zip.name}")
    return path


def case_lines(exercise, hidden):
    """One line per case of an exercise event (public cases only unless ``hidden``)."""
    lines = []
    for case in exercise.get("cases", []):
        if case["hidden"] and not hidden:
            continue
        kind = "hidden" if case["hidden"] else "public"
        outcome = "passed" if case["passed"] else f"failed: {case['message']}"
        lines.append(f"{case['name']} ({kind}): {outcome}")
    return lines + list(exercise.get("notes", []))


def results_json(result):
    """Gradescope's results.json (a dict) for one ``grade.Result``."""
    output = [f"{result.file_name or result.label}: {result.status}"]
    if result.message:
        output.append(result.message)
    tests = []
    if result.exercises:
        public = []
        for name, exercise in result.exercises.items():
            public += [f"{name}: {line}" for line in case_lines(exercise, hidden=False)]
        every_public_passed = all(case["passed"] for exercise in result.exercises.values()
                                  for case in exercise["cases"] if not case["hidden"])
        tests.append({"name": "Public cases", "visibility": "visible",
                      "status": "passed" if every_public_passed else "failed",
                      "output": "\n".join(public) or "no public cases ran"})
    for number, (name, exercise) in enumerate(result.exercises.items(), start=1):
        tests.append({"name": name, "number": str(number), "score": exercise["score"],
                      "max_score": exercise["possible"], "visibility": "after_published",
                      "output": "\n".join(case_lines(exercise, hidden=True))})
    return {"score": result.total, "output": "\n".join(output), "tests": tests,
            "stdout_visibility": "hidden"}


def refusal(message):
    return {"score": 0.0, "output": message, "tests": [], "stdout_visibility": "hidden"}


def grade_submission(root, log=print):
    """Grade the submission under the harness folder ``root``; returns results.json's
    dict."""
    root = pathlib.Path(root)
    source = root / "source"
    chapter = json.loads((source / CONFIG).read_text())["chapter"]
    notebooks = sorted((root / "submission").rglob("*.ipynb"))
    if len(notebooks) != 1:
        found = ", ".join(path.name for path in notebooks) or "none"
        return refusal(f"upload exactly one notebook, the lab {chapter}.ipynb, saved "
                       f"(found: {found})")
    with tempfile.TemporaryDirectory() as out:
        [result] = grade.grade([str(notebooks[0])], pathlib.Path(out) / "gradebook",
                               limits=LIMITS, expected=[chapter],
                               solutions_dir=source / "solutions",
                               instructor_dir=source / "instructor", log=log)
    return results_json(result)


def main(argv=None):
    """``python -m seqbook.course.gradescope [ROOT]`` (ROOT: ``/autograder``)."""
    argv = sys.argv[1:] if argv is None else argv
    root = pathlib.Path(argv[0] if argv else os.environ.get("SEQBOOK_AUTOGRADER_ROOT",
                                                               "/autograder"))
    try:
        results = grade_submission(root)
    except Exception as error:  # noqa: BLE001 - Gradescope must get a results.json
        print(f"seqbook's autograder failed: {error!r}", flush=True)
        results = refusal(f"the autograder itself failed ({type(error).__name__}: {error}); "
                          "this is not your fault: tell your instructor")
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
