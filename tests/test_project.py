"""The promises of the README and the project files: two commands, CI runs the test
command, and the pins that keep installs small and the book on Jupyter Book 1."""

import re
import subprocess
import sys

from tests.conftest import ROOT


def quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_quick_start_has_exactly_two_commands():
    assert quick_start_commands() == ["python3 tools/run.py book", "python3 tools/run.py test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci


def test_requirements_pin_torch_and_jupyter_book_1():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", requirements, re.M)
    assert re.search(r"^jupyter-book[^\n]*<2$", requirements, re.M)
    assert re.search(r"^-e \.$", requirements, re.M), "the package itself must be installed"


def test_run_script_explains_itself_without_arguments():
    completed = subprocess.run([sys.executable, str(ROOT / "tools" / "run.py")],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "tools/run.py book" in completed.stdout and "tools/run.py test" in completed.stdout


def test_python_and_notebooks_are_tidy():
    ruff = [sys.executable, "-m", "ruff", "check", str(ROOT)]
    completed = subprocess.run(ruff, capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout[-3000:]


def test_the_bibliography_parses():
    """A broken entry (a merge that drops a closing brace) stops the whole book build; this
    says so in the quick tier, with the line."""
    from pybtex.database import parse_file

    entries = parse_file(str(ROOT / "book" / "references.bib")).entries
    assert len(entries) >= 20
