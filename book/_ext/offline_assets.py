"""Serve MathJax and the Jupyter widgets JavaScript from the book's own static files.

A Jupyter Book page loads MathJax and the ipywidgets HTML manager from public CDNs by
default: offline, equations stay raw LaTeX and widgets vanish. This Sphinx extension makes
the built book self-contained:

1. it installs the exact versions pinned in ``book/_ext/package.json`` and
   ``package-lock.json`` from the npm registry into ``.cache/book-assets`` (``npm ci``,
   only when the lock file changed since the last install);
2. it copies the files the browser needs into a staging folder that it adds to
   ``html_static_path``, so they land in ``_static/offline/``: MathJax 3's ``es5``
   components, require.js, ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` with its
   fonts, and the book's own ``widgets_setup.js`` (it points require.js at those fonts and
   lets the manager's MathJax 2 call typeset labels with MathJax 3);
3. it checks that ``mathjax_path`` and ``nb_ipywidgets_js`` (set in ``_config.yml``) name
   files that are really there.

The assets are kept out of a top-level ``_static/`` folder on purpose: Jupyter Book 1 adds
a script tag to every page for each ``.js`` file it finds there.

Set the environment variable ``SEQBOOK_BOOK_CDN=1`` (``python3 tools/run.py book --cdn``)
to build the CDN flavour instead: Sphinx's and myst-nb's default URLs, no npm needed.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess

from sphinx.errors import ExtensionError
from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.util import logging

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / ".cache" / "book-assets"
STAGING = CACHE / "static"
PACKAGE_FILES = ("package.json", "package-lock.json")
CDN_ENV = "SEQBOOK_BOOK_CDN"
STATIC_PREFIX = "offline/"

# What the browser needs, as (source under node_modules, destination under _static/offline,
# file names or glob patterns to leave out).
COPIES = [
    ("mathjax/es5", "mathjax", ["*-full*.js", "*-svg*.js", "mml-chtml.js", "tex-chtml.js",
                                "node-main.js", "latest.js"]),
    ("requirejs/require.js", "require.js", []),
    ("@jupyter-widgets/html-manager/dist", "html-manager",
     ["embed.js", "libembed-amd.js", "*.map", "*.txt"]),
]
# The book's own small scripts, from book/_ext, copied beside them.
OWN_FILES = ["widgets_setup.js"]

logger = logging.getLogger(__name__)


def cdn_requested():
    """True when the builder asked for the CDN flavour of the book."""
    return os.environ.get(CDN_ENV, "").strip().lower() in ("1", "true", "yes")


def digest_of(names):
    """A digest of files in book/_ext: what was installed or staged from them."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def install_packages():
    """Run ``npm ci`` into the cache folder unless the same lock is already installed."""
    stamp = CACHE / ".installed"
    wanted = digest_of(PACKAGE_FILES)
    if stamp.exists() and stamp.read_text() == wanted:
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            "npm was not found, and the offline book needs it to install MathJax and the "
            "widget JavaScript from the npm registry. Install Node.js and npm (on Debian: "
            f"apt-get install nodejs npm), or build the CDN flavour with {CDN_ENV}=1 "
            "(python3 tools/run.py book --cdn).")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in PACKAGE_FILES:
        shutil.copyfile(HERE / name, CACHE / name)
    logger.info("installing MathJax, require.js and the widget manager with npm ci ...")
    completed = subprocess.run(
        [npm, "ci", "--prefix", str(CACHE), "--ignore-scripts", "--no-audit", "--no-fund",
         "--loglevel=error"],
        capture_output=True, text=True)
    if completed.returncode != 0:
        raise ExtensionError(
            f"npm ci failed in {CACHE} (exit {completed.returncode}):\n"
            f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}\n"
            "Check that the npm registry is reachable, or build with "
            f"{CDN_ENV}=1 for the CDN flavour.")
    stamp.write_text(wanted)
    return True


def stage_assets():
    """Copy the browser's files from node_modules into ``STAGING/offline``, afresh."""
    modules = CACHE / "node_modules"
    target = STAGING / STATIC_PREFIX.rstrip("/")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for source, destination, leave_out in COPIES:
        source_path = modules / source
        if not source_path.exists():
            raise ExtensionError(
                f"{source_path} is missing after npm ci: is book/_ext/package.json "
                f"still pinning the package that ships it? Delete {CACHE} and rebuild.")
        if source_path.is_dir():
            shutil.copytree(source_path, target / destination,
                            ignore=shutil.ignore_patterns(*leave_out))
        else:
            shutil.copyfile(source_path, target / destination)
    for name in OWN_FILES:
        shutil.copyfile(HERE / name, target / name)


def ensure_staged_assets():
    """Install the pinned packages and stage their files when either is out of date."""
    installed_now = install_packages()
    stamp = STAGING / ".staged"
    wanted = digest_of([*PACKAGE_FILES, *OWN_FILES]) + repr(COPIES)
    if installed_now or not stamp.exists() or stamp.read_text() != wanted:
        stage_assets()
        stamp.write_text(wanted)


def local_files(config):
    """The static files that ``mathjax_path`` and ``nb_ipywidgets_js`` point at."""
    return [config.mathjax_path, *config.nb_ipywidgets_js]


def use_cdn(config):
    """Point MathJax and the widget manager back at Sphinx's and myst-nb's CDN defaults."""
    from myst_nb.core.config import ipywidgets_js_factory

    config.mathjax_path = MATHJAX_URL
    config.nb_ipywidgets_js = ipywidgets_js_factory()


def configure(app, config):
    """``config-inited``: choose offline assets (the default) or the CDN flavour."""
    if cdn_requested():
        use_cdn(config)
        logger.info("building the CDN flavour: MathJax and widgets load from public CDNs")
        return
    ensure_staged_assets()
    config.html_static_path = [*config.html_static_path, str(STAGING)]
    for path in local_files(config):
        if "://" in path or not path.startswith(STATIC_PREFIX):
            raise ExtensionError(
                f"{path!r} in mathjax_path / nb_ipywidgets_js (_config.yml) is not one of "
                f"the book's own files: name a file under {STATIC_PREFIX}, or build with "
                f"{CDN_ENV}=1 for the CDN flavour.")
        if not (STAGING / path).is_file():
            raise ExtensionError(
                f"{path!r} (from _config.yml) is not among the staged assets in {STAGING}: "
                "check the file name against book/_ext/offline_assets.py's COPIES.")


def setup(app):
    app.connect("config-inited", configure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
