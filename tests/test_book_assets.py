"""book/_ext/offline_assets.py: the book serves MathJax and the widget JavaScript from its
own static files by default, and from the public CDNs only when asked to."""

import json
import types

import pytest
from ipywidgets._version import __html_manager_version__
from sphinx.errors import ExtensionError

from tests.conftest import ROOT, book_extension

EXT = ROOT / "book" / "_ext"


def load_offline_assets():
    return book_extension("offline_assets")


def config_like_the_book():
    """The two settings of _config.yml that name the assets, as Sphinx sees them."""
    return types.SimpleNamespace(
        mathjax_path="offline/mathjax/tex-mml-chtml.js",
        nb_ipywidgets_js={"offline/require.js": {}, "offline/widgets_setup.js": {},
                          "offline/html-manager/embed-amd.js": {}},
        html_static_path=[])


def test_the_cdn_flavour_points_at_public_cdns(monkeypatch):
    offline_assets = load_offline_assets()
    monkeypatch.setenv(offline_assets.CDN_ENV, "1")
    config = config_like_the_book()
    offline_assets.configure(None, config)
    assert config.mathjax_path.startswith("https://")
    assert config.nb_ipywidgets_js and all(
        url.startswith("https://") for url in config.nb_ipywidgets_js)
    assert config.html_static_path == [], "the CDN flavour stages no assets"


def test_the_offline_flavour_stages_every_named_file(monkeypatch):
    offline_assets = load_offline_assets()
    monkeypatch.delenv(offline_assets.CDN_ENV, raising=False)
    config = config_like_the_book()
    offline_assets.configure(None, config)
    staging = offline_assets.STAGING
    assert config.html_static_path == [str(staging)]
    for path in [config.mathjax_path, *config.nb_ipywidgets_js]:
        assert (staging / path).is_file(), f"{path} was not staged"
    assert (staging / "offline" / "mathjax" / "output" / "chtml" / "fonts").is_dir()


def test_a_cdn_url_in_the_offline_flavour_is_refused_with_a_reason(monkeypatch):
    offline_assets = load_offline_assets()
    monkeypatch.delenv(offline_assets.CDN_ENV, raising=False)
    config = config_like_the_book()
    config.mathjax_path = "https://cdn.example/mathjax/tex-mml-chtml.js"
    with pytest.raises(ExtensionError, match="not one of the book's own files"):
        offline_assets.configure(None, config)


def test_the_config_names_the_pinned_widget_manager_and_mathjax_3():
    config = (ROOT / "_config.yml").read_text()
    for path in config_like_the_book().nb_ipywidgets_js:
        assert path in config, f"_config.yml does not load {path}"
    assert "mathjax_path: offline/mathjax/tex-mml-chtml.js" in config
    pins = json.loads((EXT / "package.json").read_text())["dependencies"]
    assert pins["mathjax"].startswith("3."), "the book is set up for MathJax 3"
    wanted_major = __html_manager_version__.lstrip("^~=").split(".")[0]
    assert pins["@jupyter-widgets/html-manager"].split(".")[0] == wanted_major, (
        f"the installed ipywidgets wants html-manager {__html_manager_version__}")
    lock = json.loads((EXT / "package-lock.json").read_text())["packages"]
    for name, version in pins.items():
        assert lock[f"node_modules/{name}"]["version"] == version, (
            f"package-lock.json is out of date for {name}: run npm install in book/_ext")
