"""One dependency list: pyproject.toml's. Every third-party module that seqbook or a lab
imports (lazily too, or by name through importlib) is pinned there, in requirements.txt,
in the student bundle's requirements and in the autograder zip's environment, each time
at the same version; requirements.txt is the one tools/requirements.py writes."""

import ast
import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
import zipfile

import pytest
import yaml

from seqbook.course import bundles, dependencies, masters
from tests.conftest import CHAPTERS, ROOT, load_module

BY_NAME = {"import_module", "find_spec", "__import__"}  # importlib calls naming a module
# Modules that only the host where a lab runs provides, never a pin: the set-up cell imports
# google.colab (to read the open notebook) only when it runs on Colab.
HOST_PROVIDED = {"google.colab"}


def modules_in(source):
    """Top-level names of the modules a piece of Python imports: import statements
    anywhere (inside functions too) and importlib calls with a literal name, including
    an f-string's literal start (``f"faker.providers.person.{locale}"``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args and (
                getattr(node.func, "attr", None) in BY_NAME
                or getattr(node.func, "id", None) in BY_NAME):
            name = node.args[0]
            if isinstance(name, ast.JoinedStr) and name.values:
                name = name.values[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found.add(name.value)
    found = {module for module in found
             if not any(module == host or module.startswith(host + ".")
                        for host in HOST_PROVIDED)}
    return {module.split(".")[0] for module in found if module.split(".")[0]}


def third_party(modules):
    return {module for module in modules
            if module not in sys.stdlib_module_names and module != "seqbook"}


def package_sources():
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for path in sorted((ROOT / "seqbook").rglob("*.py"))}


def lab_sources():
    """The code cells of every lab, both versions: students and otter run them whole."""
    sources = {}
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebook = json.loads(path.read_text(encoding="utf-8"))
            cells = [masters.strip_magics(masters.cell_source(cell))
                     for cell in notebook["cells"] if masters.cell_type(cell) == "code"]
            sources[f"{folder}/{path.name}"] = "\n".join(cells)
    return sources


def needed_distributions():
    """{canonical distribution name: files whose imports need it}."""
    providers = importlib.metadata.packages_distributions()
    needed, unknown = {}, {}
    for where, source in {**package_sources(), **lab_sources()}.items():
        for module in third_party(modules_in(source)):
            if module not in providers:
                unknown.setdefault(module, []).append(where)
                continue
            for distribution in providers[module]:
                needed.setdefault(dependencies.canonical(distribution), set()).add(where)
    assert not unknown, f"imported, but no installed distribution provides them: {unknown}"
    return needed


def pins(lines):
    """{canonical name: version specifier} of requirement lines (extras dropped)."""
    found = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "-")) or line == ".":
            continue
        name = dependencies.requirement_name(line)
        found[name] = re.sub(r"^\s*[A-Za-z0-9._-]+(\[[^\]]*\])?\s*", "", line)
    return found


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """``seqbook assign`` of one chapter: the student and autograder requirement lists."""
    out = bundles.assign([CHAPTERS[0]], tmp_path_factory.mktemp("assign") / "bundle")
    student = (out["student"] / "requirements.txt").read_text().splitlines()
    [archive] = (out["instructor"] / "autograder" / CHAPTERS[0]).glob("autograder/*.zip")
    with zipfile.ZipFile(archive) as zipped:
        environment = yaml.safe_load(zipped.read("environment.yml"))
    [pip] = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    student_project = tomllib.loads((out["student"] / "pyproject.toml").read_text())
    return {"student": student, "autograder": pip, "student_project": student_project}


def test_the_scan_finds_lazy_and_by_name_imports():
    source = ("import numpy as np\nfrom torch import nn\nfrom . import sibling\n"
              "def later():\n    import yaml\n    importlib.import_module(f'faker.x.{y}')\n"
              "    importlib.util.find_spec('textblob')\n    import_module(name)\n")
    assert modules_in(source) == {"numpy", "torch", "yaml", "faker", "textblob"}
    needed = needed_distributions()
    for name in ("numpy", "torch", "faker", "textblob", "babel", "otter-grader", "pyyaml"):
        assert name in needed, f"the scan of seqbook and the labs misses {name}"


def test_every_imported_distribution_is_in_every_list_at_the_pinned_version(
        pyproject, bundle):
    wanted = pins(pyproject["dependencies"])
    lists = {
        "pyproject.toml [project].dependencies": wanted,
        "requirements.txt": pins((ROOT / "requirements.txt").read_text().splitlines()),
        "the student bundle's requirements.txt": pins(bundle["student"]),
        "the student bundle's pyproject.toml": pins(
            bundle["student_project"]["project"]["dependencies"]),
        "the autograder zip's environment.yml": pins(bundle["autograder"]),
    }
    for name, files in sorted(needed_distributions().items()):
        for where, listed in lists.items():
            assert name in listed, (
                f"{sorted(files)[0]} needs {name}, which is missing from {where}: pin it in "
                "pyproject.toml's [project].dependencies and run python3 tools/requirements.py")
            assert listed[name] == wanted[name], (
                f"{where} has {name}{listed[name]}, pyproject.toml {name}{wanted[name]}")


def test_the_derived_lists_are_exactly_pyprojects(pyproject, bundle):
    runtime = pins(pyproject["dependencies"])
    student = pins(pyproject["optional-dependencies"]["student"])
    dev = pins(pyproject["optional-dependencies"]["dev"])
    assert pins(bundle["student"]) == {**runtime, **student}
    assert bundle["student"][-1] == ".", "the student bundle installs its package last"
    assert pins(bundle["autograder"]) == runtime, "otter adds its own otter-grader pin"
    assert pins((ROOT / "requirements.txt").read_text().splitlines()) == {
        **runtime, **student, **dev}


def test_requirements_txt_is_generated_from_pyproject():
    tool = load_module(ROOT / "tools" / "requirements.py")
    assert (ROOT / "requirements.txt").read_text(encoding="utf-8") == tool.render(), (
        "requirements.txt is out of date with pyproject.toml: run python3 tools/requirements.py")
    with pytest.raises(ValueError, match="one quoted requirement per line"):
        tool.render('[project]\nname = "x"\ndependencies = ["a==1", "b==2"]\n')


def test_the_pins_that_keep_the_book_reproducible(pyproject):
    runtime = pins(pyproject["dependencies"])
    dev = pins(pyproject["optional-dependencies"]["dev"])
    assert runtime["torch"] == "==2.13.0", "the CPU build of torch 2.13.0, nothing else"
    assert dev["jupyter-book"].endswith("<2") and dev["pytest-xdist"] == "==3.8.0"
    exact = {**runtime, **pins(pyproject["optional-dependencies"]["student"]), **dev}
    loose = sorted(name for name, spec in exact.items()
                   if not spec.startswith("==") and name != "jupyter-book")
    assert not loose, f"pin these exactly: {loose}"


def test_the_environment_has_the_pinned_versions(pyproject):
    every = [*pyproject["dependencies"],
             *(pin for group in pyproject["optional-dependencies"].values() for pin in group)]
    wrong = {}
    for name, spec in pins(every).items():
        if spec.startswith("=="):
            installed = importlib.metadata.version(name).split("+")[0]  # 2.13.0+cpu
            if installed != spec[2:]:
                wrong[name] = (installed, spec)
    assert not wrong, f"installed versions differ from the pins (reinstall): {wrong}"


def test_otter_must_be_the_pinned_version_to_make_autograder_zips(tmp_path):
    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\ndependencies = ["otter-grader==0.0.1"]\n')
    assert dependencies.autograder_requirements(project) == []
    with pytest.raises(RuntimeError, match="pins otter-grader==0.0.1"):
        dependencies.check_otter_version(project)
    dependencies.check_otter_version()  # the book's own pin is what is installed


def test_binder_installs_the_runtime_pins_with_torchs_cpu_build():
    tool = load_module(ROOT / "tools" / "requirements.py")
    binder = ROOT / "binder"
    assert (binder / "requirements.txt").read_text(encoding="utf-8") == tool.render_binder(), (
        "binder/requirements.txt is out of date with pyproject.toml: run "
        "python3 tools/requirements.py")
    assert tool.TORCH_CPU_INDEX == dependencies.TORCH_CPU_INDEX
    lines = [line for line in (binder / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == f"--extra-index-url {dependencies.TORCH_CPU_INDEX}"
    torch = dependencies.pinned_version("torch")
    assert f"torch=={torch}+cpu" in lines, "Binder runs Linux: torch's CPU build"
    assert {dependencies.requirement_name(line) for line in lines[1:]} == {
        dependencies.requirement_name(pin) for pin in dependencies.runtime()}
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild only if executable"
    assert "pip install --no-deps ." in post_build.read_text()
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11", (
        "pyproject.toml requires Python 3.11 or newer")
