"""``seqbook assign`` and ``seqbook grade`` on real notebooks made here from the
chapters' lessons and masters: every kind of bad input the grader must survive gets a
clear status and message, the batch always finishes, nothing is written beside the
submissions, and grading twice gives the same gradebook byte for byte."""

import csv
import hashlib
import io
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import nbformat
import pytest

from seqbook.course import bundles, chapters, grade, masters, sandbox, seeds
from tests.conftest import CHAPTERS, ROOT

FIRST = CHAPTERS[0]  # the bad-input notebooks are edits of the first chapter's lab


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """``seqbook assign`` of every chapter, once for the module."""
    out = tmp_path_factory.mktemp("assign") / "bundle"
    written = bundles.assign(CHAPTERS, out)
    return written


def master_of(name):
    return chapters.read_master(ROOT / "solutions" / f"{name}.ipynb")


def solution_sources(name):
    """The master's solution cell of each exercise, by exercise name."""
    path = ROOT / "solutions" / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return {question.name: notebook.cells[question.solution_cell].source
            for question in masters.read(path).questions
            if question.name in master_of(name).exercises}


def answer_cell(notebook, exercise):
    return next(cell for cell in notebook.cells if cell.cell_type == "code"
                and f"def {exercise}(" in cell.source
                and "otter_answer_cell" in cell.metadata.get("tags", []))


def solved_lesson(name=FIRST):
    """The student notebook with every exercise answered correctly."""
    lesson = nbformat.read(ROOT / "lessons" / f"{name}.ipynb", as_version=4)
    for exercise, source in solution_sources(name).items():
        answer_cell(lesson, exercise).source = source
    return lesson


def save(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def edited(first_exercise_source):
    """A solved lesson whose first exercise's cell is replaced by the given source,
    written with ``{solution}`` standing for the correct answer and ``{name}`` for the
    exercise's name."""
    exercise = next(iter(master_of(FIRST).exercises.values()))
    lesson = solved_lesson()
    solution = solution_sources(FIRST)[exercise.name]
    answer_cell(lesson, exercise.name).source = first_exercise_source.format(
        solution=solution, name=exercise.name, parameters=", ".join(exercise.parameters),
        renamed=solution.replace(f"def {exercise.name}(", f"def my_{exercise.name}(", 1),
        extra=solution.replace(f"def {exercise.name}(", f"def {exercise.name}(extra, ", 1))
    return lesson


def make_batch(root, bundle):
    """The bad-input batch: {label: what it is}; files written under root/subs."""
    subs = root / "subs"
    lesson_bytes = (ROOT / "lessons" / f"{FIRST}.ipynb").read_bytes()
    for name in CHAPTERS:
        save(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4),
             subs / "instructor" / f"{name}.ipynb")
        save(nbformat.read(ROOT / "lessons" / f"{name}.ipynb", as_version=4),
             subs / "untouched" / f"{name}.ipynb")
    (subs / "bad").mkdir(parents=True)
    (subs / "bad" / "not json.ipynb").write_text("print('this is a Python script')\n")
    (subs / "bad" / "truncated.ipynb").write_bytes(lesson_bytes[:len(lesson_bytes) // 2])
    (subs / "bad" / "empty.ipynb").write_bytes(b"")
    other = nbformat.read(ROOT / "lessons" / f"{FIRST}.ipynb", as_version=4)
    other.metadata["otter"]["assignment_name"] = "hw03_pandas"
    save(other, subs / "other_course" / "hw03.ipynb")
    bundle_zip = next(pathlib.Path(bundle["instructor"]).glob("autograder/*/autograder/*.zip"))
    master = ROOT / "solutions" / f"{FIRST}.ipynb"
    other_submission = subs / "instructor" / f"{FIRST}.ipynb"
    cases = {
        "renamed": "{renamed}",
        "deleted": "x = 1  # the exercise's cell was emptied",
        "signature": "{extra}",
        "endless_function": "{solution}\n_right = {name}\n"
                            "def {name}({parameters}):\n    while True:\n        pass\n",
        "endless_cell": "{solution}\nwhile True:\n    try:\n        while True:\n"
                        "            pass\n    except BaseException:\n        pass\n",
        "exit_in_cell": "{solution}\nimport sys\nsys.exit('done')\n",
        "exit_in_function": "{solution}\n_right = {name}\n"
                            "def {name}({parameters}):\n    import sys\n    sys.exit(3)\n",
        "raises_at_import": "raise RuntimeError('boom at import')\n{solution}",
        "prints_megabytes": "{solution}\nfor _ in range(200):\n    print('x' * 100_000)\n",
        "memory_hog": "{solution}\nhog = [bytearray(10**8) for _ in range(10_000)]\n",
        "reads_tests": f"{{solution}}\nsecret = open({str(bundle_zip)!r}, 'rb').read()\n",
        "reads_master": f"{{solution}}\nsecret = open({str(master)!r}).read()\n",
        "writes_outside": "{solution}\nopen('../escaped.txt', 'w').write('x')\n",
        "writes_tmp": "{solution}\nopen('/tmp/seqbook-escaped.txt', 'w').write('x')\n",
        "deletes_others": f"{{solution}}\nimport os\nos.remove({str(other_submission)!r})\n",
        "starts_process": "{solution}\nimport subprocess\nsubprocess.run(['ls', '/'])\n",
        "long_error": "{solution}\n_right = {name}\ndef {name}({parameters}):\n"
                      "    raise ValueError('why ' * 150 + 'the end')\n",
    }
    for case, source in cases.items():
        save(edited(source), subs / case / f"{FIRST}.ipynb")  # a student per case
    old = save(solved_lesson(), subs / "twice" / f"{FIRST}.ipynb")
    new = save(nbformat.read(ROOT / "lessons" / f"{FIRST}.ipynb", as_version=4),
               subs / "twice" / f"{FIRST} (1).ipynb")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    os.utime(new, (1_100_000_000, 1_100_000_000))
    save(solved_lesson(), subs / "Zoë Müller" / "lab 1 (final).ipynb")
    save(solved_lesson(), subs / "misnamed" / f"{CHAPTERS[1]}.ipynb")  # holds the first
    archive = root / "lms download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"carla_123_456_{FIRST}.ipynb", nbformat.writes(solved_lesson()))
        zipped.writestr(f"dan_123_789_{FIRST}.ipynb", lesson_bytes)
        zipped.writestr("__MACOSX/._junk.ipynb", b"junk")
    return [subs, archive]


def snapshot(paths):
    """Every file under the given paths and its digest, plus the folders' listings."""
    seen = {}
    for path in paths:
        files = [path] if path.is_file() else sorted(path.parent.rglob("*"))
        for file in files:
            seen[str(file)] = (hashlib.sha256(file.read_bytes()).hexdigest()
                               if file.is_file() else "dir")
    return seen


def rows_by_label(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, bundle):
    """The whole batch graded twice, in this process, with small limits."""
    root = tmp_path_factory.mktemp("batch")
    arguments = [str(path) for path in make_batch(root, bundle)]
    before = snapshot([pathlib.Path(argument) for argument in arguments])
    limits = sandbox.Limits(timeout=10, memory_mb=256)
    outputs, outs = [], tmp_path_factory.mktemp("outs")
    for attempt in ("first", "second"):
        out = outs / attempt
        results = grade.grade(arguments, out, jobs=2, limits=limits,
                              instructor_dir=bundle["instructor"])
        outputs.append(out)
    after = snapshot([pathlib.Path(argument) for argument in arguments])
    return {"root": root, "arguments": arguments, "results": results, "outs": outputs,
            "before": before, "after": after, "rows": rows_by_label(outputs[0])}


def row(graded, suffix):
    matches = [row for label, row in graded["rows"].items() if label.endswith(suffix)]
    assert len(matches) == 1, f"{suffix}: {sorted(graded['rows'])}"
    return matches[0]


def exercise_scores(row_, name=FIRST):
    return {exercise: float(row_[f"{name}/{exercise}"])
            for exercise in master_of(name).exercises}


def full_marks_except_first(row_):
    exercises = master_of(FIRST).exercises
    first = next(iter(exercises))
    scores = exercise_scores(row_)
    assert scores[first] == 0, row_
    for exercise, points in exercises.items():
        if exercise != first:
            assert scores[exercise] == points.points, (exercise, row_)
    return first


def feedback(graded, row_):
    return (graded["outs"][0] / row_["feedback"]).read_text(encoding="utf-8")


def test_grading_twice_gives_the_same_gradebook_byte_for_byte(graded):
    first, second = graded["outs"]
    assert (first / "grades.csv").read_bytes() == (second / "grades.csv").read_bytes()
    assert len(graded["rows"]) == len(graded["results"]) >= 25


def test_nothing_is_written_into_or_beside_the_submissions(graded):
    assert graded["before"] == graded["after"]
    assert not (graded["root"] / "subs" / "escaped.txt").exists()
    assert not pathlib.Path("/tmp/seqbook-escaped.txt").exists()


def result_of(graded, suffix):
    matches = [result for result in graded["results"] if result.label.endswith(suffix)]
    assert len(matches) == 1, f"{suffix}: {[result.label for result in graded['results']]}"
    return matches[0]


def case_messages(exercise):
    return "\n".join(case["message"] for case in exercise["cases"])


# Every lab's instructor and untouched notebooks, graded by `seqbook grade` from the
# instructor bundle: every exercise full marks, every exercise zero with the hint to start
# (tests/course/test_grading.py checks `otter run` agrees on Chapter 1).
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_instructor_notebook_scores_full_marks(graded, chapter):
    row_ = row(graded, f"instructor/{chapter}.ipynb")
    assert row_["status"] == "graded" and row_["chapter"] == chapter
    assert float(row_["total"]) == float(row_["possible"]) == master_of(chapter).possible
    result = result_of(graded, f"instructor/{chapter}.ipynb")
    assert set(result.exercises) == set(master_of(chapter).exercises)
    for name, exercise in result.exercises.items():
        assert exercise["score"] == exercise["possible"] > 0, \
            f"{name}: {exercise['score']}/{exercise['possible']}\n{case_messages(exercise)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_lesson_scores_zero_with_a_hint_to_start(graded, chapter):
    row_ = row(graded, f"untouched/{chapter}.ipynb")
    assert row_["status"] == "graded" and float(row_["total"]) == 0
    assert "replace the `...`" in row_["message"].lower()
    result = result_of(graded, f"untouched/{chapter}.ipynb")
    assert set(result.exercises) == set(master_of(chapter).exercises)
    for name, exercise in result.exercises.items():
        assert exercise["possible"] > 0 and exercise["score"] == 0, \
            f"{name} scored {exercise['score']} with no answer written"
        assert "replace the `...`" in case_messages(exercise).lower(), \
            f"{name}: no hint to start\n{case_messages(exercise)}"


@pytest.mark.parametrize("name, words", [
    ("not json.ipynb", "not JSON"), ("truncated.ipynb", "truncated"),
    ("empty.ipynb", "empty")])
def test_files_that_are_not_notebooks_are_named_as_such(graded, name, words):
    row_ = row(graded, f"bad/{name}")
    assert row_["status"] == "not_a_notebook" and words in row_["message"]
    assert float(row_["total"]) == 0 and row_["chapter"] == ""
    assert words in feedback(graded, row_)


def test_another_courses_notebook_is_recognised(graded):
    row_ = row(graded, "other_course/hw03.ipynb")
    assert row_["status"] == "unknown_chapter" and "hw03_pandas" in row_["message"]


@pytest.mark.parametrize("case, words", [
    ("renamed", "no function named"), ("deleted", "no function named"),
    ("signature", "keep the signature"), ("endless_function", "endless loop"),
    ("exit_in_function", "sys.exit")])
def test_a_broken_exercise_loses_only_its_own_points(graded, case, words):
    row_ = row(graded, f"/{case}/{FIRST}.ipynb")
    assert row_["status"] == "graded", row_
    first = full_marks_except_first(row_)
    assert first in row_["message"] and words in row_["message"], row_["message"]
    assert words in feedback(graded, row_)


def test_a_cell_that_raises_at_import_is_reported_by_its_exercise_and_heading(graded):
    row_ = row(graded, f"/raises_at_import/{FIRST}.ipynb")
    first = full_marks_except_first(row_)
    page = feedback(graded, row_)
    assert "RuntimeError at line 1: boom at import" in page
    for text in (page, row_["message"]):  # not "cell 9": where the student finds it
        assert f"the cell of {first} (under “Exercise 1" in text, text
        assert "cell 9" not in text


def test_a_long_message_is_cut_with_an_ellipsis_and_whole_in_the_feedback(graded):
    row_ = row(graded, f"/long_error/{FIRST}.ipynb")
    assert "…" in row_["message"] and "the end" not in row_["message"]
    assert "why " * 150 + "the end" in feedback(graded, row_)


def test_a_file_named_for_another_chapter_is_flagged(graded):
    row_ = row(graded, f"misnamed/{CHAPTERS[1]}.ipynb")
    assert row_["status"] == "graded" and row_["chapter"] == FIRST
    assert float(row_["total"]) == float(row_["possible"])
    assert (f"the file is named {CHAPTERS[1]}.ipynb but holds chapter {FIRST}"
            in row_["message"])
    assert "holds chapter" in feedback(graded, row_)
    assert "holds chapter" not in row(graded, f"instructor/{FIRST}.ipynb")["message"]


def test_feedback_pages_read_on_a_phone_and_name_the_students_file(graded):
    row_ = row(graded, "Zoë Müller/lab 1 (final).ipynb")
    page = feedback(graded, row_)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page
    assert "<h1>Feedback on lab 1 (final).ipynb</h1>" in page
    assert str(graded["root"]) not in page  # not the instructor's folders


@pytest.mark.parametrize("case, words", [
    ("exit_in_cell", "called sys.exit('done')"), ("memory_hog", "MemoryError"),
    ("reads_tests", "reading"), ("reads_master", "reading"),
    ("writes_outside", "writing"), ("writes_tmp", "writing"),
    ("deletes_others", "writing"), ("starts_process", "starting a process")])
def test_misbehaving_cells_are_stopped_and_the_answers_still_graded(graded, case, words):
    row_ = row(graded, f"/{case}/{FIRST}.ipynb")
    assert row_["status"] == "graded", row_
    assert float(row_["total"]) == float(row_["possible"]), row_
    result = json.loads((graded["outs"][0] / row_["feedback"].replace("feedback/", "results/")
                         .replace(".html", ".json")).read_text())
    errors = " ".join(error["error"] for error in result["cell_errors"])
    assert words in errors, errors
    assert words in row_["message"]  # the gradebook shows it too
    if case.startswith(("reads", "writes", "deletes", "starts")):
        assert "is not allowed while grading" in errors


def test_an_endless_loop_that_ignores_interruption_times_out(graded):
    row_ = row(graded, f"/endless_cell/{FIRST}.ipynb")
    assert row_["status"] == "timeout" and "time limit" in row_["message"]
    assert float(row_["total"]) == 0


def test_megabytes_of_output_are_cut_off(graded):
    row_ = row(graded, f"/prints_megabytes/{FIRST}.ipynb")
    assert row_["status"] == "graded" and float(row_["total"]) == float(row_["possible"])
    result = json.loads((graded["outs"][0] / row_["feedback"].replace("feedback/", "results/")
                         .replace(".html", ".json")).read_text())
    assert result["output_characters"] >= 20_000_000 > 100 * len(result["output"])
    assert len(feedback(graded, row_)) < 200_000


def test_the_newest_of_duplicate_submissions_counts(graded):
    old, new = row(graded, f"twice/{FIRST}.ipynb"), row(graded, f"twice/{FIRST} (1).ipynb")
    assert old["student"] == new["student"] == "twice"
    assert new["status"] == "graded" and old["status"] == "superseded"
    assert "newest" in old["message"] and float(old["total"]) == float(old["possible"])


def test_names_with_spaces_and_accents_and_lms_zips(graded):
    zoe = row(graded, "Zoë Müller/lab 1 (final).ipynb")
    assert zoe["student"] == "Zoë Müller" and zoe["status"] == "graded"
    assert float(zoe["total"]) == float(zoe["possible"])
    assert zoe["feedback"].isascii() and (graded["outs"][0] / zoe["feedback"]).exists()
    carla = row(graded, f"lms download.zip!carla_123_456_{FIRST}.ipynb")
    dan = row(graded, f"lms download.zip!dan_123_789_{FIRST}.ipynb")
    assert (carla["student"], dan["student"]) == ("carla", "dan")
    assert float(carla["total"]) == float(carla["possible"]) and float(dan["total"]) == 0
    assert not any("__MACOSX" in label for label in graded["rows"])


def test_a_notebook_of_a_chapter_not_being_graded_is_refused(tmp_path, bundle):
    """A copy of the first master under a new chapter name is a second chapter (no code
    change needed); a lab of the first chapter is then the wrong chapter."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    for name in CHAPTERS:
        (solutions / f"{name}.ipynb").write_bytes((ROOT / "solutions" / f"{name}.ipynb")
                                                  .read_bytes())
    master = nbformat.read(ROOT / "solutions" / f"{FIRST}.ipynb", as_version=4)
    master.cells[0].source = master.cells[0].source.replace(f"name: {FIRST}", "name: 99_copy")
    nbformat.write(master, solutions / "99_copy.ipynb")
    instructor = tmp_path / "instructor"
    instructor.mkdir()
    real_zip = next(pathlib.Path(bundle["instructor"]).glob(f"autograder/{FIRST}/**/*.zip"))
    (instructor / "99_copy-autograder_0.zip").write_bytes(real_zip.read_bytes())
    lesson = save(solved_lesson(), tmp_path / "subs" / "eve.ipynb")
    copy = save(solved_lesson(), tmp_path / "subs" / "fay.ipynb")
    copy_nb = nbformat.read(copy, as_version=4)
    copy_nb.metadata["otter"]["assignment_name"] = "99_copy"
    nbformat.write(copy_nb, copy)
    results = grade.grade([str(lesson), str(copy)], tmp_path / "out", expected=["99_copy"],
                          solutions_dir=solutions, instructor_dir=instructor)
    by_label = {result.label: result for result in results}
    assert by_label[str(lesson)].status == "wrong_chapter"
    assert "99_copy" in by_label[str(lesson)].message
    assert by_label[str(copy)].status == "graded"
    assert by_label[str(copy)].total == master_of(FIRST).possible


def test_the_bundles_hold_what_students_and_instructors_need(bundle):
    student, instructor = pathlib.Path(bundle["student"]), pathlib.Path(bundle["instructor"])
    for name in CHAPTERS:
        # The committed lesson, but linking to the published book instead of ../book/.
        assert nbformat.read(student / "lessons" / f"{name}.ipynb", as_version=4) == \
            bundles.link_to_published_book(
                nbformat.read(ROOT / "lessons" / f"{name}.ipynb", as_version=4))
        assert "](../book/" not in (student / "lessons" / f"{name}.ipynb").read_text()
        assert (instructor / "solutions" / f"{name}.ipynb").exists()
        archive = next((instructor / "autograder" / name / "autograder").glob("*.zip"))
        with zipfile.ZipFile(archive) as zipped:
            names = zipped.namelist()
            environment = zipped.read("environment.yml").decode()
        assert {f"tests/{exercise}.py" for exercise in master_of(name).exercises} <= set(names)
        assert "files/seqbook/checks/__init__.py" in names  # the checks, for Gradescope
        assert "torch==2.13.0" in environment
    assert not list(student.rglob("solutions"))
    assert seeds.read(instructor / seeds.SEED_FILE) >= 0  # the hidden cases' seed ...
    assert not list(student.rglob(seeds.SEED_FILE))  # ... is not for students
    assert "-r requirements.txt" in (student / "README.md").read_text()
    assert (student / "seqbook" / "checks" / "__init__.py").exists()


def run_cli(*arguments):
    return subprocess.run([sys.executable, "-m", "seqbook", *arguments], capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, PYTHONHASHSEED="0"))


def test_every_command_has_help():
    for command in ([], ["assign"], ["grade"]):
        completed = run_cli(*command, "--help")
        assert completed.returncode == 0 and "usage: seqbook" in completed.stdout
    assert "--timeout" in run_cli("grade", "--help").stdout


@pytest.mark.slow
def test_the_command_line_reports_and_exits_with_the_outcome(tmp_path, bundle):
    good = save(solved_lesson(), tmp_path / "subs" / "ann.ipynb")
    (tmp_path / "subs" / "broken.ipynb").write_text("{")
    completed = run_cli("grade", str(good.parent), "--out", str(tmp_path / "out"),
                        "--instructor", str(bundle["instructor"]), "--jobs", "2")
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.strip().startswith(
        "graded 1 of 2 submissions; 1 could not be graded (1 not_a_notebook)")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text())))
    assert [row_["status"] for row_ in rows] == ["graded", "not_a_notebook"]
    inside = run_cli("grade", str(good.parent), "--out", str(good.parent / "grades"))
    assert inside.returncode == 2 and "into or beside the submissions" in inside.stderr
    assert not (good.parent / "grades").exists()
    missing = run_cli("grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
