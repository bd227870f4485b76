"""The book's everyday commands, on any machine with Python 3.11+.

    python3 tools/run.py book    build the HTML book into _build/html
    python3 tools/run.py book --cdn   the same, loading MathJax and widgets from CDNs
    python3 tools/run.py pdf     the whole book as one PDF, _build/pdf/seqbook.pdf (also
                                 copied into _build/html), printed by Debian's Chromium;
                                 builds the book first when _build/html is missing or
                                 older than its sources (tools/book_pdf.py)
    python3 tools/run.py test    run every test (unit, notebooks, grading, book, browser)
    python3 tools/run.py test --fast   the quick tier: every test not marked slow, so no
                                 notebooks (nbval), no book build or browser, no otter run

Both create a virtual environment in .venv on first use and install requirements.txt
into it; later runs reuse it and reinstall only when requirements.txt or pyproject.toml
changed. The book build installs its MathJax and widget JavaScript with npm (see
book/_ext/offline_assets.py); the tests install Debian's Chromium and bubblewrap
(the grader's sandbox) when they are missing and root is available.
The tests run in parallel, one pytest-xdist worker per core, each test file (so each
notebook, whose cells share one kernel) whole on one worker, the longest files first
(tests/conftest.py). Extra arguments after ``test`` go to pytest, e.g. ``test -k cells``;
``test -n 0`` runs everything in one process.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import venv

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".requirements-stamp"


def requirements_digest():
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment():
    """Create .venv and install the requirements unless they are already installed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = requirements_digest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing requirements.txt into .venv (a few minutes the first time) ...",
          flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   cwd=ROOT, check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
                   cwd=ROOT, check=True)
    STAMP.write_text(wanted)


# What the HTML book is built from; a digest of it is kept beside the built book, so that
# tools/run.py pdf can tell whether _build/html is older than its sources.
BOOK_SOURCES = ("_config.yml", "_toc.yml", "book", "lessons", "solutions")
BOOK_STAMP = ROOT / "_build" / "html" / ".seqbook-sources"


def book_sources_digest(cdn=False, root=ROOT):
    digest = hashlib.sha256(b"cdn" if cdn else b"offline")
    for name in BOOK_SOURCES:
        path = root / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def build_book(extra=()):
    env = dict(os.environ)
    cdn = "--cdn" in extra
    if cdn:
        extra = [arg for arg in extra if arg != "--cdn"]
        env["SEQBOOK_BOOK_CDN"] = "1"  # read by book/_ext/offline_assets.py
    sources = book_sources_digest(cdn)
    command = [PYTHON.parent / "jupyter-book", "build", ".", "-W", "-n", "--keep-going",
               *extra]
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode == 0:
        if "--path-output" not in extra:
            BOOK_STAMP.parent.mkdir(parents=True, exist_ok=True)
            BOOK_STAMP.write_text(sources)
        print(f"\nThe book is at {ROOT / '_build' / 'html' / 'index.html'}")
    return result.returncode


def book_is_current():
    """True when _build/html was built (offline flavour) from the sources as they are."""
    return BOOK_STAMP.exists() and BOOK_STAMP.read_text() == book_sources_digest()


def make_pdf(extra=()):
    """Build the book if it is missing or stale (every page, so that a change to the
    book's extensions or styles reaches every page), then print it to one PDF."""
    ensure_chromium()
    if not book_is_current():
        print("_build/html is missing or older than its sources: building the book first ...",
              flush=True)
        code = build_book(["--all"])
        if code != 0:
            return code
    return subprocess.run([PYTHON, ROOT / "tools" / "book_pdf.py", *extra], cwd=ROOT).returncode


# nbval re-executes every notebook in solutions/ (pyproject.toml's testpaths) and compares
# its outputs with the committed ones (strict mode); the sanitize file covers memory
# addresses only. The notebooks in lessons/ go through nbval in tests/test_colab.py, each
# alone in a fresh environment as a student opens it, so each is executed once.
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg"]


CHROMIUM = pathlib.Path("/usr/bin/chromium")
BWRAP = pathlib.Path("/usr/bin/bwrap")


def ensure_debian_package(path, package, why):
    """Install the Debian ``package`` that provides ``path`` when it is missing."""
    if path.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"warning: {path} is missing and cannot be installed here (needs root and "
              f"apt-get): {why}. Install the Debian package {package}.", flush=True)
        return
    print(f"installing Debian's {package} ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def ensure_chromium():
    """Install Debian's Chromium (tests/test_browser.py, the PDF) when it is missing."""
    ensure_debian_package(CHROMIUM, "chromium", "the browser tests and the PDF will fail")


def ensure_bubblewrap():
    """Install Debian's bubblewrap, the grader's sandbox (seqbook.course.zygote)."""
    ensure_debian_package(BWRAP, "bubblewrap", "grading runs without its sandbox and "
                          "the sandbox's tests are skipped")


# The quick tier: no notebooks (nbval is not switched on) and nothing marked slow: the
# book build and browser tests, otter run and the few unit tests of 10 s or more.
FAST = ["-m", "not slow"]


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parallel_arguments(extra):
    """pytest-xdist options: one worker per core, each test file whole on one worker (a
    notebook's cells must run in order in one kernel), files handed out in the order
    collected (tests/conftest.py puts the longest first). None when the caller chose the
    workers (-n) or a debugger, or when there is a single core."""
    chosen = ("-n", "--numprocesses", "--dist", "--pdb", "--trace", "no:xdist")
    if any(arg.startswith(chosen) for arg in extra) or usable_cores() < 2:
        return []
    return ["-n", str(usable_cores()), "--dist", "loadfile", "--no-loadscope-reorder"]


def run_tests(extra=()):
    extra = list(extra)
    fast = "--fast" in extra
    if fast:
        extra = [arg for arg in extra if arg != "--fast"]
    else:
        ensure_chromium()
    ensure_bubblewrap()
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    # numpy's OpenBLAS starts a thread per core in every process: with a notebook kernel
    # or a test on each core, those threads only wait for each other (Chapter 1's two
    # notebooks side by side took 52 s and 50 s so, 44 s and 42 s on one thread each).
    # torch is on one thread already (seqbook.lab.setup, tests/conftest.py).
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    command = [PYTHON, "-m", "pytest", *(FAST if fast else NBVAL), *parallel_arguments(extra),
               "-v", "-rfE", "--durations=15", *extra]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def main(argv):
    if not argv or argv[0] not in ("book", "pdf", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    if argv[0] == "book":
        return build_book(argv[1:])
    if argv[0] == "pdf":
        return make_pdf(argv[1:])
    return run_tests(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
