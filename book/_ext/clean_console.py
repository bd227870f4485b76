"""Two fixes to the Jupyter Book 1 theme stack so that pages log no console error.

1. ``sphinx-thebe`` adds its inline ``const THEBE_JS_URL = ...`` script once per
   ``env-before-read-docs`` event, which Sphinx can emit more than once per build; the
   second copy (its file name ``''`` where the first has ``None``, so Sphinx does not see
   the duplicate) is a ``SyntaxError`` ("Identifier 'THEBE_JS_URL' has already been
   declared") on every page. Identical inline scripts are kept once.
2. ``pydata-sphinx-theme`` starts a first-time visitor (empty localStorage) in the theme
   mode ``default_mode`` (an ``html_context`` value), which Jupyter Book leaves empty:
   the theme then logs "Got invalid theme mode". It is set to ``auto`` (follow the
   system's light or dark).
"""


def drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree):
    """``html-page-context``: keep the first of identical inline scripts."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))
        if attributes.get("body") and key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


def default_theme_mode(app, config):
    """``config-inited``: first-time visitors get the ``auto`` theme mode."""
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def setup(app):
    app.connect("config-inited", default_theme_mode)
    app.connect("html-page-context", drop_duplicate_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
