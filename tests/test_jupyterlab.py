"""Live explorers in JupyterLab: rendered, and redrawn by every control, with no kernel call.

A JupyterLab server is started on 127.0.0.1 with a token and a temporary root folder
holding one notebook per chapter: a cell that makes the chapter's explorer, with that
explorer's output already saved in it, as in a committed lab. Debian's headless Chromium
opens the notebook, where the saved output does not run (JupyterLab trusts no output it
did not make itself: until the cell is run again, its script is left out), then runs the
cells in the kernel, as a student does, and every control of the new explorer must redraw
it once, change what it draws, within 100 ms, with no console error and no request off
127.0.0.1. The same notebook signed with ``jupyter trust`` runs its saved output on
opening. The README's lab section tells students both.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from seqbook.views import explorers
from tests import book_browser
from tests.conftest import ROOT

# One explorer per chapter, called as its lab calls it. The other chapters' explorers go
# here as they become live explorers: "02_lstm": "explorers.<name>(...)", and so on.
JUPYTERLAB_EXPLORERS = {
    "01_rnn": "explorers.squashing_explorer(factor=3.0, steps=12, squash=True)",
    "02_lstm": "explorers.gate_explorer(forget_gate=1.0, input_gate=0.0, cell0=1.0)",
    "03_gru": "explorers.gru_unit_explorer(update_gate=0.9, reset_gate=1.0, input_drive=-1.0)",
    # Chapter 4's explorers need a model: a seeded date model of the labs' size, made as
    # tests/views/test_live.py makes it (the lines before the call run first).
    "04a_seq2seq": "from tests.views.test_live import alignment\n\nalignment('plain')",
    "04b_attention": "from tests.views.test_live import alignment\n\nalignment('attention')",
}
START_TIMEOUT = 120  # seconds for the server to answer: generous, CI's cores are shared
RUN_TIMEOUT = 180_000  # ms for a kernel to start, import torch and run the cell
BUDGET_MS = 100
TRUSTED = "trusted-01_rnn.ipynb"  # the same notebook, signed with `jupyter trust`

pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def explorer_notebook(call):
    """A notebook that makes one explorer, with the output it makes saved in it. ``call``
    is an expression, after lines of set-up if it needs them."""
    *setup, expression = call.split("\n")
    namespace = {"explorers": explorers}
    exec("\n".join(setup), namespace)  # noqa: S102 - this file's own lines
    shown = eval(expression, namespace)  # noqa: S307 - this file's own calls
    cell = nbformat.v4.new_code_cell(f"from seqbook.views import explorers\n\n{call}")
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": shown._repr_html_(), "text/plain": repr(shown)})]
    cell.execution_count = 1
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def wait_until_serving(url, process, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with code {process.returncode}:\n"
                                 f"{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer {url} within {START_TIMEOUT} s:\n"
                         f"{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 whose root holds one notebook per chapter."""
    root = tmp_path_factory.mktemp("lab-root")
    home = tmp_path_factory.mktemp("lab-home")
    for chapter, call in JUPYTERLAB_EXPLORERS.items():
        nbformat.write(explorer_notebook(call), root / f"{chapter}.ipynb")
    token = os.urandom(16).hex()
    port = free_port()
    environment = {
        **os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "run"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ipy"),
        "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
    }
    trusted = root / TRUSTED
    nbformat.write(explorer_notebook(JUPYTERLAB_EXPLORERS["01_rnn"]), trusted)
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(trusted)], env=environment,
                   check=True, capture_output=True)
    log_path = home / "jupyterlab.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--allow-root", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
         "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(f"{base_url}api/status?token={token}", process, log_path)
        yield base_url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with book_browser.chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def open_notebook(browser, jupyterlab, name):
    """The notebook ``name`` opened alone in JupyterLab (``reset``: no notebook of an
    earlier visit is restored beside it), once its kernel is ready."""
    base_url, token = jupyterlab
    visit = book_browser.PageVisit(browser, base_url, name)
    visit.url = f"{base_url}lab/tree/{name}?reset&token={token}"
    visit.page.goto(visit.url, wait_until="load", timeout=book_browser.LOAD_TIMEOUT)
    visit.page.wait_for_function(
        """name => window.jupyterapp && window.jupyterapp.shell.currentWidget
                   && window.jupyterapp.shell.currentWidget.title.label === name""",
        arg=name, timeout=RUN_TIMEOUT)
    visit.page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.context.ready;
        await panel.sessionContext.ready;
    }""")
    visit.page.wait_for_selector(f"{notebook_panel(visit)} .jp-OutputArea-output",
                                 timeout=RUN_TIMEOUT)
    return visit


def notebook_panel(visit):
    """A CSS selector for the notebook JupyterLab shows (its panel's id)."""
    return "#" + visit.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")


def mounted_explorer(visit):
    return f'{notebook_panel(visit)} .seqbook-explorer[data-mounted="yes"]'


def run_all_cells(visit):
    visit.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    visit.page.wait_for_selector(mounted_explorer(visit), timeout=RUN_TIMEOUT)


@pytest.mark.parametrize("chapter", sorted(JUPYTERLAB_EXPLORERS))
def test_every_control_redraws_the_explorer_in_jupyterlab(chapter, jupyterlab, browser):
    visit = open_notebook(browser, jupyterlab, f"{chapter}.ipynb")
    saved_output_ran = visit.page.locator(mounted_explorer(visit)).count()
    run_all_cells(visit)
    root = visit.page.locator(mounted_explorer(visit)).first
    kind = root.get_attribute("data-explorer")
    moves = root.evaluate(book_browser.MOVE_EVERY_CONTROL)
    visit.page.wait_for_timeout(500)  # let a late console error arrive
    visit.close()
    assert saved_output_ran == 0, (
        "the saved output's script ran before the cell was run: the README says a stored "
        "notebook's explorers start only once their cell is run")
    assert moves, f"the {kind} explorer has no controls"
    for moved in moves:
        if moved["options"] == 1:
            continue  # a drop-down with one choice cannot move
        assert moved["redraws"] == 1, f"{kind}: {moved}"
        assert moved["changed"], f"{kind}: moving {moved['name']} changed nothing: {moved}"
        assert moved["ms"] < BUDGET_MS, f"{kind}: {moved}"
    assert not visit.problems, f"{chapter} in JupyterLab:\n" + "\n".join(visit.problems)


def test_a_trusted_notebook_runs_its_saved_explorer_on_opening(jupyterlab, browser):
    """What the README tells students: `jupyter trust` makes the saved output run."""
    visit = open_notebook(browser, jupyterlab, TRUSTED)
    visit.page.wait_for_selector(mounted_explorer(visit), timeout=RUN_TIMEOUT)
    visit.close()
    assert not visit.problems, "\n".join(visit.problems)
