"""Write requirements.txt from pyproject.toml, the book's one dependency list.

    python3 tools/requirements.py           rewrite requirements.txt
    python3 tools/requirements.py --check   exit 1 if requirements.txt is out of date

requirements.txt holds every pin of pyproject.toml: ``[project].dependencies`` (what
seqbook needs at run time), then each optional-dependency group (``student``, ``dev``),
then ``-e .``. The comments written above a pin (or a list) in pyproject.toml are
carried over, so the reasons for the pins are written once. A test
(tests/course/test_dependencies.py) fails while requirements.txt is out of date.

It also writes ``binder/requirements.txt``, what Binder (repo2docker) installs: the
run-time pins, torch as its CPU build from PyTorch's CPU index (``torch==X+cpu``; Binder
runs Linux, where PyPI's torch is the CUDA build); ``binder/postBuild`` then installs the
book's package from the clone.
"""

import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT, REQUIREMENTS = ROOT / "pyproject.toml", ROOT / "requirements.txt"
BINDER = ROOT / "binder" / "requirements.txt"
# the same as seqbook.course.dependencies.TORCH_CPU_INDEX (a test checks; this tool runs
# without the package)
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

HEADER = """\
# Generated from pyproject.toml by tools/requirements.py: change the pins there, then run
# python3 tools/requirements.py (a test fails while this file is out of date).
"""
FOOTER = """\
# The book's own package, editable so lessons see changes at once.
-e .
"""

_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_ARRAY = re.compile(r"^([A-Za-z0-9_-]+)\s*=\s*\[\s*$")
_ITEM = re.compile(r'^\s*"([^"]+)",?\s*$')


def commented_lists(text):
    """``{(section, key): (comments above the list, [(comments, requirement), ...])}``
    for the dependency lists of pyproject.toml's text, one requirement a line."""
    lists, section, comments, current = {}, None, [], None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if current is not None:
            if stripped == "]":
                current = None
            elif stripped.startswith("#"):
                comments.append(stripped)
            elif _ITEM.match(line):
                current.append((comments, _ITEM.match(line).group(1)))
                comments = []
            elif stripped:
                raise ValueError(f"pyproject.toml line {number}: write one quoted "
                                 "requirement per line in a dependency list")
            continue
        if _SECTION.match(line):
            section, comments = _SECTION.match(line).group(1), []
        elif stripped.startswith("#"):
            comments.append(stripped)
        elif _ARRAY.match(line) and (section == "project.optional-dependencies" or (
                section == "project" and _ARRAY.match(line).group(1) == "dependencies")):
            current = []
            lists[(section, _ARRAY.match(line).group(1))] = (comments, current)
            comments = []
        else:
            comments = []
    return lists


def render(text=None):
    """The text requirements.txt should have."""
    text = PYPROJECT.read_text(encoding="utf-8") if text is None else text
    table = tomllib.loads(text)["project"]
    lists = commented_lists(text)
    parsed = {("project", "dependencies"): table.get("dependencies", [])}
    parsed.update({("project.optional-dependencies", name): pins
                   for name, pins in table.get("optional-dependencies", {}).items()})
    found = {key: [pin for _, pin in items] for key, (_, items) in lists.items()}
    if found != parsed:
        raise ValueError("pyproject.toml's dependency lists could not be read line by line "
                         "(write one quoted requirement per line)")
    blocks = [HEADER]
    for (section, key), (comments, items) in lists.items():
        if (section, key) == ("project", "dependencies"):  # the book's note on its pins
            blocks[0] += "#\n" + "".join(f"{comment}\n" for comment in comments)
            lines = ["# Run time: [project].dependencies"]
        else:
            lines = [f"# [project.optional-dependencies] {key}", *comments]
        for pin_comments, pin in items:
            lines += [*pin_comments, pin]
        blocks.append("\n".join(lines) + "\n")
    blocks.append(FOOTER)
    return "\n".join(blocks)


def render_binder(text=None):
    """The text binder/requirements.txt should have."""
    text = PYPROJECT.read_text(encoding="utf-8") if text is None else text
    pins = tomllib.loads(text)["project"]["dependencies"]
    lines = [
        "# Generated from pyproject.toml by tools/requirements.py: what Binder installs.",
        "# torch is its CPU build, from PyTorch's CPU index (PyPI gives Linux the CUDA build);",
        "# binder/postBuild installs the book's package from this clone.",
        f"--extra-index-url {TORCH_CPU_INDEX}"]
    for pin in pins:
        lines.append(pin + "+cpu" if re.match(r"torch\s*==", pin) else pin)
    return "\n".join(lines) + "\n"


def main(argv):
    wanted = {REQUIREMENTS: render(), BINDER: render_binder()}
    if argv == ["--check"]:
        stale = [path for path, text in wanted.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python3 tools/requirements.py")
        return 1 if stale else 0
    if argv:
        print(__doc__)
        return 2
    for path, text in wanted.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
