"""Build the book once per test session, the way ``python3 tools/run.py book`` does.

Both run ``jupyter-book build`` with ``-W -n --keep-going`` on this repository; the
book's own extensions (book/_ext) install and stage the offline MathJax and widget
assets in either case. The test build goes to ``_build/test-book`` (wiped first, so every
page is rebuilt and every warning shows), and the browser tests write their screenshots
beside its HTML, in ``_build/test-book/_build/screenshots``.

Under pytest-xdist (``tools/run.py test`` runs the suite on several workers) every worker
that runs a test needing the book calls ``build_book_once``: a file lock lets the first
build it and the others wait for that build and reuse it, or fail with its error.
"""

import os
import pathlib
import shutil
import subprocess
import sys

from filelock import FileLock

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "_build" / "test-book"


def build_book(output=OUTPUT):
    """Build the book into ``output``; returns the HTML folder, or raises with the log."""
    if output.exists():
        shutil.rmtree(output)
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    completed = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(output), "-W", "-n",
         "--keep-going"],
        capture_output=True, text=True, timeout=900,
    )
    log = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise AssertionError(f"the book build failed:\n{log[-5000:]}")
    if "WARNING" in log:
        raise AssertionError(f"the build printed a warning:\n{log[-5000:]}")
    return output / "_build" / "html"


def build_book_once(output=OUTPUT, run_id=None):
    """``build_book`` once per test run, however many xdist workers ask for the book.

    ``run_id`` names the run (xdist gives its workers ``PYTEST_XDIST_TESTRUNUID``); without
    one, as in a run without xdist, the book is simply built. Otherwise the outcome is
    written beside the output, under a lock: a worker that comes second reuses the HTML,
    or raises the first build's error instead of building again.
    """
    run_id = run_id or os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run_id:
        return build_book(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    outcome = output.parent / f"{output.name}.outcome"
    html = output / "_build" / "html"
    with FileLock(output.parent / f"{output.name}.lock"):
        if outcome.exists():
            done_by, _, error = outcome.read_text().partition("\n")
            if done_by == run_id:
                if error:
                    raise AssertionError(f"(the build of another worker) {error}")
                return html
        outcome.unlink(missing_ok=True)
        try:
            build_book(output)
        except AssertionError as failure:
            outcome.write_text(f"{run_id}\n{failure}")
            raise
        outcome.write_text(f"{run_id}\n")
    return html
