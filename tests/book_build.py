"""Build the book once per test session, the way ``python3 tools/run.py book`` does.

Both run ``jupyter-book build`` with ``-W -n --keep-going`` on this repository; the
book's own extensions (book/_ext) install and stage the offline MathJax and widget
assets in either case. The test build goes to ``_build/test-book`` (wiped first, so every
page is rebuilt and every warning shows), and the browser tests write their screenshots
beside its HTML, in ``_build/test-book/_build/screenshots``.
"""

import pathlib
import shutil
import subprocess
import sys

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
