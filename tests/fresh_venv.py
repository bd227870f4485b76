"""Fresh virtual environments for the tests that install the book as a student would
(tests/test_colab.py, tests/test_bundle_venv.py), and a way to run a notebook in one.

Installing torch and Jupyter takes minutes, so what a test starts from is installed once
into a *base* environment cached under ``.cache/venvs/<name>-<digest of its pins>``
(made under a file lock, so xdist workers share it, and never changed afterwards). Each
test then gets a *layer*: a new, empty environment of its own whose ``base.pth`` puts the
base's site-packages at the end of ``sys.path``. pip in the layer sees the base's
packages as installed, installs everything else into the layer only, and cannot touch
the base; the layer is thrown away with the test's tmp_path.
"""

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

from filelock import FileLock

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "venvs"


def python_of(venv):
    return pathlib.Path(venv) / "bin" / "python"


def site_packages(venv):
    python = python_of(venv)
    return pathlib.Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())


def clean_env(**extra):
    """The environment a student's machine would have: no PYTHONPATH (the checkout must
    not be importable), no user site, one BLAS thread."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONHOME")}
    env.update(PYTHONNOUSERSITE="1", OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0",
               MPLBACKEND="agg", **extra)
    return env


def _run(command, **kwargs):
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          env=kwargs.pop("env", clean_env()), **kwargs)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def base(name, requirements):
    """The cached base environment holding exactly ``requirements`` (pip lines)."""
    digest = hashlib.sha256(json.dumps([sys.version, *requirements]).encode()).hexdigest()
    venv = CACHE / f"{name}-{digest[:12]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock"):
        if (venv / "ready").exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", venv])
        if requirements:
            listing = venv / "requirements.txt"
            listing.write_text("\n".join(requirements) + "\n")
            _run([python_of(venv), "-m", "pip", "install", "--quiet", "-r", listing])
        (venv / "ready").write_text("\n".join(requirements) + "\n")
    return venv


def layer(path, base_venv):
    """A new environment at ``path`` that sees ``base_venv``'s packages after its own."""
    _run([sys.executable, "-m", "venv", path])
    (site_packages(path) / "base.pth").write_text(f"{site_packages(base_venv)}\n")
    return pathlib.Path(path)


RUNNER = textwrap.dedent("""\
    import sys

    import nbformat
    from nbclient import NotebookClient

    path = sys.argv[1]
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=1800, kernel_name="seqbook-test",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    nbformat.write(notebook, path)
""")


def install_kernel(venv, name):
    """A Jupyter kernel ``name`` running ``venv``'s Python (ipykernel must be installed
    there), found by whoever has JUPYTER_PATH at ``venv/share/jupyter``."""
    kernels = pathlib.Path(venv) / "share" / "jupyter" / "kernels" / name
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python_of(venv)), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": f"seqbook ({name})", "language": "python"}))


def execute(venv, notebook, **env):
    """Execute ``notebook`` in its folder with a kernel of ``venv``'s Python (nbclient and
    ipykernel must be installed there); raises with the failing cell's error."""
    venv, notebook = pathlib.Path(venv), pathlib.Path(notebook)
    install_kernel(venv, "seqbook-test")
    runner = venv / "run_notebook.py"
    runner.write_text(RUNNER)
    return _run([python_of(venv), runner, notebook, notebook.parent],
                cwd=notebook.parent,
                env=clean_env(JUPYTER_PATH=str(venv / "share" / "jupyter"), **env))
