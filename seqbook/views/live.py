"""Explorers that compute in the reader's browser.

An explorer is a notebook output of type ``text/html`` holding a ``<div>``, the
explorer's JavaScript (``seqbook/views/js``: ``core.js`` and the chapter's file, inlined)
and its starting values as JSON. Jupyter shows such an output as it is, and so does the
book: the same output runs in the static book (served, or opened from a folder on disk),
in JupyterLab and in Colab, with no kernel behind it and nothing fetched from a network.

The math an explorer draws lives in its JavaScript file, beside a numpy twin in
``seqbook.reference``; ``tests/js`` runs both on the same inputs under Node. What the
JavaScript cannot make itself (random matrices drawn with numpy's generator, a trained
model's weights) travels in the explorer's ``config``.
"""

import base64
import hashlib
import json
import pathlib

import numpy as np

JS_FOLDER = pathlib.Path(__file__).with_name("js")
CORE = ("core.js",)


def script_source(names):
    """The JavaScript of ``core.js`` and the given files of ``seqbook/views/js``, joined."""
    files = [*CORE, *(name for name in names if name not in CORE)]
    return "\n".join((JS_FOLDER / name).read_text(encoding="utf-8") for name in files)


def script_digest(names):
    """A short digest of the JavaScript an explorer inlines (tests compare it with the
    committed notebooks' outputs, so a change to the JavaScript forces a regeneration)."""
    return hashlib.sha256(script_source(names).encode()).hexdigest()[:16]


def _plain(value):
    """``value`` with numpy arrays and scalars turned into lists and floats, for JSON."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def pack_array(array, dtype="float64"):
    """A numpy array as ``{"dtype", "shape", "base64"}``: its little-endian bytes, a third
    the size of the same numbers written out in JSON, and exact. ``dtype`` is "float64" or
    "float32" (a float32 model's weights, kept exactly). ``seqbook.core.unpack`` reads it."""
    if dtype not in ("float32", "float64"):
        raise ValueError(f"pack_array packs float32 or float64 arrays; got dtype {dtype!r}")
    values = np.asarray(array, dtype=np.dtype(dtype).newbyteorder("<"))  # tobytes: C order
    return {"dtype": dtype, "shape": list(values.shape),
            "base64": base64.b64encode(values.tobytes()).decode("ascii")}


def _json_for_script(value):
    """JSON that is safe inside a ``<script>`` element (no ``</script>`` can end it)."""
    text = json.dumps(_plain(value), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class LiveExplorer:
    """One explorer, shown in a notebook as HTML that runs by itself.

    Args:
        kind: the name the JavaScript registers it under (``seqbook.core.register``).
        title: what the explorer shows; with ``controls`` it makes the plain-text form.
        controls: the names of its controls, for the plain-text form.
        config: its starting values and data: plain numbers, strings, lists, dicts and
            numpy arrays.
        scripts: the files of ``seqbook/views/js`` it needs besides ``core.js``.
    """

    def __init__(self, kind, title, controls, config, scripts):
        self.kind = kind
        self.title = title
        self.controls = list(controls)
        self.config = _plain(config)
        self.scripts = list(scripts)

    @property
    def element_id(self):
        """The same explorer gets the same id, so regenerated notebooks diff cleanly."""
        text = json.dumps([self.kind, self.config], sort_keys=True)
        return f"seqbook-{self.kind}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def __repr__(self):
        return f"<{self.title}: move {', '.join(self.controls)}>"

    def _repr_html_(self):
        style = (JS_FOLDER / "explorer.css").read_text(encoding="utf-8")
        digest = script_digest(self.scripts)
        mount = (f"seqbook.core.mountAll({json.dumps(self.kind)}, "
                 f"{json.dumps(self.element_id)}, {_json_for_script(self.config)});")
        return (
            f'<div class="seqbook-explorer" data-seqbook-id="{self.element_id}" '
            f'data-explorer="{self.kind}" data-seqbook-js="{digest}">'
            f"<noscript>This explorer computes in your browser: it needs JavaScript."
            f"</noscript></div>\n"
            f"<style>{style}</style>\n"
            f"<script>{script_source(self.scripts)}\n{mount}</script>"
        )
