"""The book's one dependency list, and the lists derived from it.

``pyproject.toml`` is the single source. Its ``[project].dependencies`` pins, exactly,
what ``seqbook`` imports or reads at run time: the labs' numpy, torch, matplotlib and
widgets, the data packages (Faker, TextBlob, Babel) and the course layer, which every
lab uses too (``grader.check`` is otter's). Its optional groups add ``student`` (Jupyter,
to work the labs) and ``dev`` (the book build and the tests). From it come:

- ``requirements.txt`` (everything, for ``tools/run.py``), written by
  ``tools/requirements.py``;
- the student bundle's requirements (``student_requirements``: the run-time pins and the
  ``student`` group) and its ``pyproject.toml``;
- the requirements of every autograder zip (``autograder_requirements``: the run-time
  pins but otter-grader, which otter assign adds itself at the version that made the
  zip; ``check_otter_version`` makes sure that is the pinned one).

Standard library only, so that ``tools/requirements.py`` runs with any Python 3.11.
"""

import importlib.metadata
import pathlib
import re
import tomllib

PYPROJECT = pathlib.Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
OTTER = "otter-grader"
STUDENT, DEV = "student", "dev"
# PyTorch's index of CPU builds: on Linux, PyPI's torch is the CUDA build (gigabytes).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""^(.*?)\s*;\s*extra\s*==\s*["']([^"']+)["']\s*$""")


def canonical(name):
    """A distribution's name as pip compares them (PEP 503): ``PyYAML`` -> ``pyyaml``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement):
    """The canonical distribution name of a requirement line (``torch==2.13.0``)."""
    match = _NAME.match(requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return canonical(match.group(1))


def project(path=None):
    """``{"dependencies": [...], "optional-dependencies": {group: [...]}}`` of the book:
    from ``pyproject.toml`` beside the package (a checkout), else from the installed
    ``seqbook`` distribution's metadata, which carries the same lists."""
    path = pathlib.Path(path) if path is not None else PYPROJECT
    if path.exists():
        table = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        return {"dependencies": list(table.get("dependencies", [])),
                "optional-dependencies": {group: list(pins) for group, pins in
                                          table.get("optional-dependencies", {}).items()}}
    listed = {"dependencies": [], "optional-dependencies": {}}
    for line in importlib.metadata.requires("seqbook") or []:
        extra = _EXTRA.match(line)
        if extra:
            listed["optional-dependencies"].setdefault(extra.group(2), []).append(
                extra.group(1))
        else:
            listed["dependencies"].append(line)
    return listed


def runtime(path=None):
    """The pins of ``[project].dependencies``: what seqbook needs at run time."""
    return project(path)["dependencies"]


def group(name, path=None):
    """The pins of one optional-dependency group (``student``, ``dev``)."""
    groups = project(path)["optional-dependencies"]
    if name not in groups:
        raise KeyError(f"pyproject.toml has no optional-dependencies group {name!r}")
    return groups[name]


def student_requirements(path=None):
    """What a student installs: the run-time pins and the ``student`` group."""
    return [*runtime(path), *group(STUDENT, path)]


def autograder_requirements(path=None):
    """What an autograder zip lists: the run-time pins but otter-grader's, which otter
    assign writes itself (``otter-grader[grading,plugins]==<its version>``)."""
    return [pin for pin in runtime(path) if requirement_name(pin) != OTTER]


def pinned_version(name, path=None):
    """The exact version ``name`` is pinned to (``==``), or None."""
    for pin in runtime(path) + [pin for pins in project(path)["optional-dependencies"]
                                .values() for pin in pins]:
        if requirement_name(pin) == canonical(name):
            match = re.search(r"==\s*([^,;\s]+)", pin)
            return match.group(1) if match else None
    return None


def check_otter_version(path=None):
    """Raise RuntimeError unless the running otter-grader is the pinned one, since otter
    assign pins the autograder environment to the otter that runs it."""
    wanted = pinned_version(OTTER, path)
    installed = importlib.metadata.version(OTTER)
    if wanted is not None and installed != wanted:
        raise RuntimeError(
            f"otter-grader {installed} is installed but pyproject.toml pins {OTTER}=="
            f"{wanted}, and otter assign would pin the autograder zips to {installed}: "
            "reinstall the requirements (python3 tools/run.py test does) first")
