"""Sphinx extension: drop repeated inline <script> blocks from every HTML page.

sphinx-thebe 0.3.1 (loaded by Jupyter Book 1) adds an inline script that declares
``const THEBE_JS_URL`` during ``env-before-read-docs``. Sphinx 7.4 then lists it twice
(once from the extension registry, once from the builder), and the second copy is a
browser console error: "Identifier 'THEBE_JS_URL' has already been declared".
tests/test_site.py fails on console errors, so the copy is removed here.
"""

from __future__ import annotations

from typing import Any


def _script_key(script: Any) -> tuple:
    filename = str(getattr(script, "filename", script) or "")
    attributes = getattr(script, "attributes", {})
    return filename, tuple(sorted((k, str(v)) for k, v in attributes.items()))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical script entries in the page's ``script_files``."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # Late priority: after every extension has added its scripts for the page.
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
