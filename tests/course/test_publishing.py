"""The labs' set-up cell (seqbook.course.publishing): silent where seqbook imports,
installs the book's wheel where it does not, refuses a wheel of another version and names
an address it cannot reach. Nothing here installs into this environment: every pip
install runs with PIP_TARGET set to a throwaway folder, and the cell text runs under
``python -S`` (no site-packages, so no seqbook), as in a kernel without the package."""

import re
import subprocess
import sys

import nbformat
import pytest

from seqbook.course import dependencies, lessons, masters, publishing
from tests.conftest import CHAPTERS, ROOT


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """The book's wheel, and a wheel named seqbook of another version (9.9.9)."""
    folder = tmp_path_factory.mktemp("wheels")
    book = publishing.build_wheel(folder / "book")
    other = folder / "other-source"
    (other / "seqbook").mkdir(parents=True)
    (other / "seqbook" / "__init__.py").write_text('__version__ = "9.9.9"\n')
    (other / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = '
        '"setuptools.build_meta"\n[project]\nname = "seqbook"\nversion = "9.9.9"\n')
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(folder / "other"), str(other)], check=True)
    [wrong] = (folder / "other").glob("seqbook-9.9.9-*.whl")
    return {"book": book, "wrong": wrong}


@pytest.fixture
def pip_target(tmp_path, monkeypatch):
    """Any pip install in this test goes to tmp_path/target, never into this .venv."""
    target = tmp_path / "target"
    monkeypatch.setenv("PIP_TARGET", str(target))
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    monkeypatch.delenv(publishing.ENVIRONMENT_VARIABLE, raising=False)
    return target


def run_cell(env_url, tmp_path, site=True):
    """Run the set-up cell's text in a fresh Python: with site-packages (seqbook
    imports) or under ``-S`` (it does not)."""
    env = {"PATH": "/usr/bin:/bin", "PIP_TARGET": str(tmp_path / "target"),
           "PIP_RETRIES": "0", "PIP_TIMEOUT": "5", "HOME": str(tmp_path)}
    if env_url is not None:
        env[publishing.ENVIRONMENT_VARIABLE] = str(env_url)
    command = [sys.executable, *([] if site else ["-S"]), "-c",
               publishing.setup_cell_source()]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)


def test_the_cell_prints_nothing_where_seqbook_imports(tmp_path):
    # With the package on sys.path (PYTHONPATH is the checkout), nothing runs, not even pip.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           publishing.ENVIRONMENT_VARIABLE: str(tmp_path / "never-read.whl")}
    done = subprocess.run([sys.executable, "-c", publishing.setup_cell_source()],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_cell_refuses_a_wheel_of_another_version_naming_both(wheels, tmp_path):
    done = run_cell(wheels["wrong"], tmp_path, site=False)
    assert done.returncode == 1
    assert (f"holds seqbook 9.9.9, but this lab needs seqbook {publishing.version()}"
            in done.stderr), done.stderr
    assert not (tmp_path / "target").exists(), "nothing may be installed"


def test_the_cell_names_an_unreachable_address_in_one_sentence(tmp_path):
    url = "http://127.0.0.1:9/_static/" + publishing.wheel_name()  # port 9: nobody there
    done = run_cell(url, tmp_path, site=False)
    assert done.returncode == 1
    [message] = [line for line in done.stderr.splitlines() if line.startswith("RuntimeError")]
    message = message.removeprefix("RuntimeError: ")
    assert message.startswith(f"Could not get the book's package from {url}: ")
    assert "SEQBOOK_PACKAGE_URL" in message and "clone" in message
    assert message.endswith(".") and ". " not in message.replace("./", ""), "one sentence"
    assert "During handling" not in done.stderr, "no chained ModuleNotFoundError"
    assert not (tmp_path / "target").exists(), "nothing may be installed"


def test_install_seqbook_installs_the_wheel_and_the_data_pins_it_is_given(wheels, pip_target,
                                                                          capsys):
    publishing.install_seqbook(str(wheels["book"]), publishing.version(), [], [],
                               dependencies.TORCH_CPU_INDEX)
    assert (pip_target / "seqbook" / "views" / "js" / "core.js").exists()
    assert (pip_target / f"seqbook-{publishing.version()}.dist-info").exists()
    assert capsys.readouterr().out == (f"Installing seqbook {publishing.version()} and "
                                       "nothing else ...\n")


def test_install_seqbook_leaves_installed_packages_alone_but_not_the_data(pip_target,
                                                                        monkeypatch, wheels):
    # Record the pip commands instead of running the installs.
    commands, real_run = [], subprocess.run

    def run(command, **kwargs):
        if command[3] == "install":
            commands.append(command[4:])
            return subprocess.CompletedProcess(command, 0, "", "")
        return real_run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    publishing.install_seqbook(str(wheels["book"]), publishing.version(),
                               ["numpy==0.0.1", "not-a-real-package-xyz==1.0"],
                               ["faker==40.54.0"], dependencies.TORCH_CPU_INDEX)
    assert commands[0] == ["--quiet", "faker==40.54.0", "not-a-real-package-xyz==1.0"]
    assert commands[1][:2] == ["--quiet", "--no-deps"] and commands[1][2].endswith(
        publishing.wheel_name())


def test_seqbook_package_url_replaces_the_address(pip_target, tmp_path, monkeypatch):
    missing = tmp_path / "elsewhere" / publishing.wheel_name()
    monkeypatch.setenv(publishing.ENVIRONMENT_VARIABLE, str(missing))
    with pytest.raises(RuntimeError, match=f"from {re.escape(str(missing))}: "):
        publishing.install_seqbook("https://example.invalid/seqbook.whl",
                                   publishing.version(), [], [], dependencies.TORCH_CPU_INDEX)


def test_the_cell_carries_the_book_version_address_and_pins():
    source = publishing.setup_cell_source()
    compile(source, "<set-up cell>", "exec")
    assert publishing.package_url() == (
        f"{publishing.book_url()}_static/seqbook-{publishing.version()}-py3-none-any.whl")
    assert repr(publishing.package_url()) in source
    for pin in dependencies.runtime():
        assert repr(pin) in source, pin
    assert "'torch==" in source.split("['faker")[0], "torch is among the if-missing pins"


def test_the_book_version_is_the_pyproject_version():
    import tomllib

    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert publishing.version() == table["version"]


def test_book_url_refuses_a_config_without_an_address(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("html:\n  use_issues_button: false\n")
    with pytest.raises(ValueError, match="html.baseurl should be the published book's"):
        publishing.book_url(config)


@pytest.mark.parametrize("lab", CHAPTERS)
def test_every_lab_opens_with_the_current_set_up_cell(lab):
    for folder in ("solutions", "lessons"):
        notebook = nbformat.read(ROOT / folder / f"{lab}.ipynb", as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert masters.is_install_cell(code[0]), (
            f"{folder}/{lab}.ipynb: its first code cell should be the install-seqbook cell: "
            "run tools/make_lessons.py --setup-cell-only")
        assert "hide-input" in code[0].metadata["tags"], "fold the cell on the book's pages"
        assert code[0].source == publishing.setup_cell_source(), (
            f"{folder}/{lab}.ipynb: its set-up cell is out of date: run "
            "tools/make_lessons.py --setup-cell-only")


def test_put_setup_cell_inserts_after_the_title_then_only_updates():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG"),
                      nbformat.v4.new_markdown_cell("# Lab"),
                      nbformat.v4.new_code_cell("x = 1", execution_count=1)]
    assert publishing.put_setup_cell(notebook)
    assert [cell.cell_type for cell in notebook.cells] == ["raw", "markdown", "code", "code"]
    assert masters.is_install_cell(notebook.cells[2])
    assert notebook.cells[2].metadata["tags"] == publishing.SETUP_TAGS
    assert "nbval-ignore-output" in publishing.SETUP_TAGS  # it prints only where seqbook is missing
    assert [cell.execution_count for cell in notebook.cells[2:]] == [1, 2]
    assert not publishing.put_setup_cell(notebook)
    notebook.cells[2].source = "old"
    assert publishing.put_setup_cell(notebook) and len(notebook.cells) == 4


def test_grading_skips_the_set_up_cell_and_the_lesson_puts_it_before_otter(tmp_path):
    master = masters.read(ROOT / "solutions" / "01_rnn.ipynb")
    assert "install_seqbook" not in master.setup_code
    assert "lab.setup(seed=0)" in master.setup_code
    student = lessons.student_notebook(ROOT / "solutions" / "01_rnn.ipynb")
    assert student.cells[0].source.startswith("# Lab 1")
    assert masters.is_install_cell(student.cells[1])
    assert student.cells[2].source.startswith("# Initialize Otter")


def test_chapter_url_is_the_published_reading():
    assert publishing.chapter_url("../book/01_rnn.md") == (
        f"{publishing.book_url()}book/01_rnn.html")


def test_the_book_extension_builds_the_wheel_into_static(tmp_path):
    from tests.conftest import book_extension

    extension = book_extension("package_wheel")

    class Builder:
        format = "html"

    class App:
        srcdir, outdir, builder = str(ROOT), str(tmp_path / "html"), Builder()

    extension.add_wheel(App(), None)
    assert (tmp_path / "html" / "_static" / publishing.wheel_name()).exists()
    extension.add_wheel(App(), RuntimeError("the build failed"))  # then nothing to do


def test_on_colab_the_public_tests_are_written_where_otter_reads_them(wheels, pip_target,
                                                                      monkeypatch, tmp_path):
    """otter.Notebook refuses a notebook's own tests on Colab (Tests directory ./tests does
    not exist); the set-up cell writes them from the notebook Colab hands it."""
    import json
    import sys
    import types

    lesson = json.loads((ROOT / "lessons" / "01_rnn.ipynb").read_text())
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda request: {"get_ipynb": {"ipynb": lesson}}[request]
    colab = types.ModuleType("google.colab")
    colab._message = message
    google = types.ModuleType("google")
    google.colab = colab
    for name, module in [("google", google), ("google.colab", colab),
                         ("google.colab._message", message)]:
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.chdir(tmp_path)
    publishing.install_seqbook(str(wheels["book"]), publishing.version(), [], [],
                               dependencies.TORCH_CPU_INDEX)
    tests = lesson["metadata"]["otter"]["tests"]
    assert sorted(path.stem for path in (tmp_path / "tests").glob("*.py")) == sorted(tests)
    for name, source in tests.items():
        assert (tmp_path / "tests" / f"{name}.py").read_text() == source
        assert "_hidden" not in source, "a lesson carries only the public tests"
