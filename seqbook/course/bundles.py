"""``seqbook assign``: the student bundle and the instructor bundle for some chapters.

student/     lessons/NN_topic.ipynb (what otter assign made, as committed in lessons/,
             its links to the readings pointing at the published book: html.baseurl),
             the book's package and its pinned requirements, README.md (set-up steps)
instructor/  solutions/NN_topic.ipynb (the masters), autograder/NN_topic/ (otter
             assign's output: the Gradescope zip, the solution and student notebooks),
             seed.txt (a fresh seed, which the hidden cases are drawn from),
             gradescope/NN_topic.zip (the Gradescope autograder that runs this grader:
             seqbook.course.gradescope),
             README.md (the grading commands)

The autograder zips are made from a copy of each master whose assignment config also
names the book's package (``autograder_files``) and the pinned requirements, so the zip
grades on Gradescope as uploaded, where ``seqbook`` is not otherwise installed. Every
requirement list here comes from pyproject.toml (``seqbook.course.dependencies``).
"""

import json
import pathlib
import re
import shutil
import tempfile
import tomllib

import nbformat

from seqbook.course import chapters as chapter_registry
from seqbook.course import dependencies, gradescope, masters, publishing, seeds
from seqbook.course.lessons import run_otter_assign


def resolve_names(names, chapters):
    """Chapter names from what was typed: ``01_rnn``, ``01`` or ``1`` all work."""
    resolved = []
    for name in names:
        matches = [chapter for chapter in chapters
                   if chapter == name or chapter.split("_")[0].lstrip("0") == name.lstrip("0")]
        if len(matches) != 1:
            raise chapter_registry.ChapterError(
                f"no chapter {name!r}; the chapters are {', '.join(sorted(chapters))}")
        resolved.append(matches[0])
    return sorted(set(resolved))


def _copy_package(destination):
    import seqbook

    source = pathlib.Path(seqbook.__file__).resolve().parent
    shutil.copytree(source, destination / "seqbook",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _master_for_gradescope(chapter, work):
    """A copy of the chapter's master, in ``work`` beside a copy of the package, whose
    config adds the package to the autograder zip and the pinned requirements."""
    _copy_package(work)
    notebook = nbformat.read(chapter.master, as_version=4)
    config = next(cell for cell in notebook.cells if masters.is_config_cell(cell))
    extra = ["requirements:",
             *(f"  - {json.dumps(pin)}" for pin in dependencies.autograder_requirements()),
             "autograder_files:", "  - seqbook"]
    config.source = config.source.rstrip() + "\n" + "\n".join(extra)
    copy = work / chapter.master.name
    nbformat.write(notebook, copy)
    return copy


_READING_LINK = re.compile(r"\]\(\.\./book/([A-Za-z0-9_-]+)\.md(#[^)\s]*)?\)")


def link_to_published_book(notebook, config=None):
    """Point a lesson's links to the readings (``../book/01_rnn.md``, which a bundle does
    not have) at the published book (``<html.baseurl>book/01_rnn.html``), in place."""
    def published(match):
        return f"]({publishing.chapter_url(match.group(1), config)}{match.group(2) or ''})"

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _READING_LINK.sub(published, cell.source)
    return notebook


def _package_data():
    """``[tool.setuptools.package-data]`` of the book's pyproject.toml (the explorers'
    JavaScript), so the bundle's package installs with it."""
    if not dependencies.PYPROJECT.exists():
        return {}
    table = tomllib.loads(dependencies.PYPROJECT.read_text(encoding="utf-8"))
    return table.get("tool", {}).get("setuptools", {}).get("package-data", {})


def student_pyproject():
    """The student bundle's pyproject.toml: the package, with the book's run-time pins and
    its ``student`` group, so ``pip install .`` alone also sets a student up."""
    def array(pins):
        return "[\n" + "".join(f"    {json.dumps(pin)},\n" for pin in pins) + "]"

    return ('[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = '
            '"setuptools.build_meta"\n\n[project]\nname = "seqbook"\nversion = "0.1.0"\n'
            'requires-python = ">=3.11"\n'
            f"dependencies = {array(dependencies.runtime())}\n\n"
            "[project.optional-dependencies]\n"
            f"student = {array(dependencies.group(dependencies.STUDENT))}\n\n"
            '[tool.setuptools.packages.find]\ninclude = ["seqbook*"]\n'
            "\n[tool.setuptools.package-data]\n"
            + "".join(f"{json.dumps(package)} = {json.dumps(patterns)}\n"
                      for package, patterns in _package_data().items()))


STUDENT_README = """# Labs: {chapters}

The readings are the published book: {book}

Set up once (Python 3.11 or newer), in this folder:

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
```

On Linux, install torch's CPU build first, before the line above, since PyPI gives
Linux the CUDA build (about 2.9 GB of wheels instead of about 190 MB; the labs need no
GPU):

```bash
.venv/bin/pip install --index-url {torch_index} torch=={torch}
```

Then open a lab and work it from the top:

```bash
.venv/bin/jupyter lab lessons/{first}.ipynb
```

Replace each exercise's `...` with your code and run the `grader.check("...")` cell
under it. Keep the exercise functions' names and parameters, keep the notebook's file
name, and hand in the `.ipynb` file, saved. Grading runs the lab's set-up cell and your
exercise cells only: an answer may use the lab's imports, its own cell and the other
exercise functions.
"""

INSTRUCTOR_README = """# Grading {chapters}

Collect the students' `.ipynb` files (a folder, or the zip your LMS downloads), then:

```bash
seqbook grade SUBMISSIONS --instructor {here} --out gradebook --jobs 2
```

The hidden cases are drawn from the seed in `seed.txt`, made fresh for this bundle: keep
it from students (it is not in the student bundle), and grade with this bundle so that
every student meets the same cases.

`gradebook/grades.csv` has a row per submission (a column per exercise, the total and a
status), `gradebook/feedback/` a page per submission to hand back, `gradebook/results/`
the same as JSON. For Gradescope, upload `gradescope/NN_topic.zip` as the autograder of a
programming assignment (base image: Ubuntu 24.04, Python 3.12): it runs this same
grader with this bundle's seed.
"""


def assign(names, out, solutions_dir=None):
    """Write ``out/student`` and ``out/instructor`` for the chapters ``names``.

    Returns:
        {"student": path, "instructor": path}
    """
    solutions_dir = pathlib.Path(solutions_dir or chapter_registry.default_solutions_dir())
    root = solutions_dir.resolve().parent
    chapters = chapter_registry.discover(solutions_dir)
    try:
        dependencies.check_otter_version()
    except RuntimeError as error:
        raise chapter_registry.ChapterError(str(error)) from None
    chosen = resolve_names(names, chapters)
    out = pathlib.Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: choose a new folder for the bundles")
    student, instructor = out / "student", out / "instructor"
    (student / "lessons").mkdir(parents=True)
    (instructor / "solutions").mkdir(parents=True)
    for name in chosen:
        chapter = chapters[name]
        lesson = root / "lessons" / chapter.master.name
        if not lesson.exists():
            raise chapter_registry.ChapterError(f"no student notebook {lesson}: run "
                                                f"tools/make_lessons.py {name}")
        notebook = link_to_published_book(nbformat.read(lesson, as_version=4))
        nbformat.write(notebook, student / "lessons" / lesson.name)
        shutil.copy(chapter.master, instructor / "solutions" / chapter.master.name)
        with tempfile.TemporaryDirectory() as work:
            master = _master_for_gradescope(chapter, pathlib.Path(work))
            run_otter_assign(master, instructor / "autograder" / name)
    _copy_package(student)
    (student / "pyproject.toml").write_text(student_pyproject())
    (student / "requirements.txt").write_text(
        "# The book's pins (its pyproject.toml), then the book's package, this folder.\n"
        + "\n".join([*dependencies.student_requirements(), "."]) + "\n")
    (student / "README.md").write_text(STUDENT_README.format(
        chapters=", ".join(chosen), first=chosen[0], book=publishing.book_url(),
        torch_index=dependencies.TORCH_CPU_INDEX,
        torch=dependencies.pinned_version("torch")))
    seeds.write(instructor / seeds.SEED_FILE, seeds.fresh())
    for name in chosen:
        gradescope.write_archive(chapters[name], instructor,
                                 instructor / "gradescope" / f"{name}.zip")
    (instructor / "README.md").write_text(INSTRUCTOR_README.format(
        chapters=", ".join(chosen), here=instructor))
    return {"student": student, "instructor": instructor}
