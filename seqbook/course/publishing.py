"""The published book: its address, the wheel of ``seqbook`` beside its pages, and the
set-up cell that installs that wheel wherever a lab is opened (Colab, Binder, a bare
Jupyter).

The book's address is one setting, ``html.baseurl`` in ``_config.yml``. The book build
(``book/_ext/package_wheel.py``) writes ``_static/seqbook-<version>-py3-none-any.whl``
there with ``build_wheel``; the set-up cell of every lab (``setup_cell_source``, tagged
``install-seqbook``, the master's first code cell) installs it from
``package_url()`` when ``import seqbook`` fails, and prints nothing when it succeeds.

The cell cannot import ``seqbook`` before it is installed, so it carries its own code:
the function ``install_seqbook`` below, copied into the cell with the book's version,
address and pins written in (one template, tested as a function and as the cell).
"""

import inspect
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap

import seqbook
from seqbook.course import dependencies, masters

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
CONFIG = ROOT / "_config.yml"
# The packages whose data the labs train on (names, words, date formats): always installed
# at their pins, so the data cannot differ from the book's. Every other pin is installed
# only when its package is missing, so Colab's own numpy, matplotlib and IPython stay.
DATA_PACKAGES = ("faker", "textblob", "babel")
ENVIRONMENT_VARIABLE = "SEQBOOK_PACKAGE_URL"


def version():
    """The book's version, which the wheel and the set-up cell are pinned to."""
    return seqbook.__version__


def wheel_name(book_version=None):
    return f"seqbook-{book_version or version()}-py3-none-any.whl"


def book_url(config=None):
    """The published book's address: ``html.baseurl`` of ``_config.yml``, ending in /."""
    import yaml

    config = pathlib.Path(config) if config is not None else CONFIG
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    url = str((settings.get("html") or {}).get("baseurl") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"{config}: html.baseurl should be the published book's address "
                         f"(https://...), not {url!r}")
    return url.rstrip("/") + "/"


def package_url(config=None):
    """Where the set-up cell gets the wheel: ``<book>/_static/seqbook-<version>-...whl``."""
    return f"{book_url(config)}_static/{wheel_name()}"


def chapter_url(reading, config=None):
    """The published page of a reading (``01_rnn.md`` -> ``<book>/book/01_rnn.html``)."""
    return f"{book_url(config)}book/{pathlib.PurePosixPath(reading).stem}.html"


def build_wheel(out_dir, root=None):
    """Build ``seqbook-<version>-py3-none-any.whl`` into ``out_dir`` from a copy of the
    package (so the checkout gets no ``build/`` or ``egg-info``); returns its path.

    Uses the installed setuptools (``--no-build-isolation``, pinned in pyproject's dev
    group), so it needs no network.
    """
    root = pathlib.Path(root) if root is not None else ROOT
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        source = pathlib.Path(work) / "seqbook-source"
        shutil.copytree(root / "seqbook", source / "seqbook",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(root / name, source / name)
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--wheel-dir", str(work), str(source)],
            capture_output=True, text=True)
        wheel = pathlib.Path(work) / wheel_name()
        if built.returncode or not wheel.exists():
            raise RuntimeError(f"pip wheel could not build {wheel.name}:\n"
                               f"{built.stdout[-2000:]}{built.stderr[-2000:]}")
        target = out_dir / wheel.name
        shutil.copy(wheel, target)
    return target


def install_seqbook(url, version, requirements, data, torch_index):
    """Install the book's package ``seqbook==version`` from ``url`` ($SEQBOOK_PACKAGE_URL
    replaces it), the ``data`` pins, and those of ``requirements`` whose package is
    missing; torch only if missing, on Linux from ``torch_index`` (its CPU build). On
    Colab, also write the lab's public tests (its otter metadata) into ./tests."""
    import importlib.metadata
    import os
    import pathlib
    import subprocess
    import sys
    import tempfile

    url = os.environ.get("SEQBOOK_PACKAGE_URL") or url
    pip = [sys.executable, "-m", "pip"]
    with tempfile.TemporaryDirectory() as folder:
        # Fetch the wheel first: an unreachable address or a wrong version changes nothing.
        fetched = subprocess.run([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir",
                                  folder, url], capture_output=True, text=True)
        wheels = sorted(pathlib.Path(folder).glob("seqbook-*.whl"))
        if fetched.returncode or not wheels:
            raise RuntimeError(
                f"Could not get the book's package from {url}: set the environment "
                "variable SEQBOOK_PACKAGE_URL to a wheel of seqbook " + version + " (any "
                "URL or path pip accepts), or install it from a clone of the book's "
                "repository (pip install PATH-OF-THE-CLONE).") from None
        found = wheels[0].name.split("-")[1]
        if found != version:
            raise RuntimeError(f"{url} holds seqbook {found}, but this lab needs seqbook "
                               f"{version}: point SEQBOOK_PACKAGE_URL at seqbook {version}.")
        wanted, options = list(data), []
        for pin in requirements:
            name = pin.split("==")[0]
            try:
                importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                if name == "torch" and sys.platform.startswith("linux"):
                    pin, options = pin + "+cpu", ["--extra-index-url", torch_index]
                wanted.append(pin)
        print(f"Installing seqbook {version} and {', '.join(wanted) or 'nothing else'} ...")
        # pip fetches everything before it installs anything, so a failure leaves no half;
        # seqbook goes last, so a lab that fails here tries again when run again.
        steps = [[*options, *wanted]] if wanted else []
        for what in [*steps, ["--no-deps", str(wheels[0])]]:
            done = subprocess.run([*pip, "install", "--quiet", *what],
                                  capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"pip could not install {' '.join(what)}: "
                                   f"{done.stderr.strip()[-1500:]}") from None
    importlib.invalidate_caches()
    try:  # On Colab, otter reads no tests from the notebook: write them to ./tests.
        from google.colab import _message
    except ImportError:
        return
    notebook = _message.blocking_request("get_ipynb")["ipynb"]
    pathlib.Path("tests").mkdir(exist_ok=True)
    for name, source in notebook["metadata"]["otter"]["tests"].items():
        pathlib.Path("tests", f"{name}.py").write_text(source)


def setup_cell_source(url=None):
    """The text of every lab's set-up cell: ``install_seqbook`` with the book's values."""
    url = url or package_url()
    pins = dependencies.runtime()
    data = [pin for pin in pins if dependencies.requirement_name(pin) in DATA_PACKAGES]
    others = [pin for pin in pins if pin not in data]
    function = inspect.getsource(install_seqbook)
    call = (f"install_seqbook({url!r}, {version()!r},\n"
            f"                {others!r},\n"
            f"                {data!r}, {dependencies.TORCH_CPU_INDEX!r})")
    return ("# Set-up: where the book's package is missing (Colab, Binder, a bare Jupyter), "
            "install it.\n# Prints nothing when seqbook is installed. Made by "
            "seqbook.course.publishing; do not edit.\n"
            "try:\n    import seqbook  # noqa: F401\nexcept ModuleNotFoundError:\n"
            + textwrap.indent(function + call + "\nimport seqbook  # noqa: F401\n", "    "))


# hide-input: on the book's lab pages the cell is folded behind a "Show code" toggle.
# nbval-ignore-output: what the cell prints depends on the machine (nothing where seqbook
# is installed, the pins it installs where it is not), so nbval runs it but compares no
# output; tests/test_colab.py checks what it installed instead.
SETUP_TAGS = [masters.INSTALL_TAG, "hide-input", "nbval-ignore-output"]


def setup_cell(url=None):
    """The set-up cell as an nbformat code cell, tagged ``install-seqbook``."""
    import nbformat

    return nbformat.v4.new_code_cell(setup_cell_source(url),
                                     metadata={"tags": list(SETUP_TAGS)})


def put_setup_cell(notebook, url=None):
    """Add or update the set-up cell of a notebook, in place, without running anything:
    it goes right after the title (the first markdown cell), before every code cell.
    Returns True when the notebook changed."""
    source = setup_cell_source(url)
    existing = [index for index, cell in enumerate(notebook.cells) if masters.is_install_cell(cell)]
    if existing:
        cell = notebook.cells[existing[0]]
        tags = cell.metadata.get("tags", [])
        wanted = [*tags, *(tag for tag in SETUP_TAGS if tag not in tags)]
        changed = cell.source != source or tags != wanted
        cell.source, cell.metadata["tags"] = source, wanted
        return changed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    executed = bool(code) and all(cell.get("execution_count") for cell in code)
    title = next((index for index, cell in enumerate(notebook.cells)
                  if cell.cell_type == "markdown"), -1)
    notebook.cells.insert(title + 1, setup_cell(url))
    if executed:  # number the cells as running them in order would: 1, 2, 3, ...
        for count, cell in enumerate(
                [cell for cell in notebook.cells if cell.cell_type == "code"], 1):
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
    return True
