"""What the HTML book's pages load and say around their notebooks (issue 16).

- **No Thebe.** The book has no live kernel (``launch_buttons: thebe: false``), yet
  sphinx-thebe, which Jupyter Book always loads, adds its configuration script twice to every
  page (``Identifier 'THEBE_JS_URL' has already been declared``) and a config pointing at
  mybinder.org. Its scripts, stylesheet and per-page config are dropped, and any other script
  included twice is included once.
- **Static widgets say so.** The widgets are rendered from the state saved in the notebook: in
  the book nothing computes, so a control that moves would change nothing. Every control is
  rendered disabled (``disabled: true`` in the saved state the widget manager reads) and every
  widget output gets a note above it: a snapshot, live when the notebook runs in Jupyter.
- **Each chapter offers its notebook.** A link under the title downloads the committed notebook
  with its outputs (the copy Sphinx keeps in ``_sources/``), besides the theme's download menu.

Styles and the small browser-side fixes are in ``_static/inferecon.css``, ``_static/inferecon.js``
and ``_static/widgets-offline.js`` (loaded on widget pages, see ``nb_ipywidgets_js``).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import PurePosixPath
from typing import Any

from sphinx.application import Sphinx

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_TAG = '<script type="application/vnd.jupyter.widget-view+json">'
SNAPSHOT_NOTE = (
    '<p class="inferecon-snapshot" role="note"><strong>Snapshot.</strong> '
    "This explorer is live only when the notebook runs in Jupyter: here its controls are frozen at "
    "the values the notebook was run with{download}.</p>"
)
THEBE_BODY = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>\s*'
                        r"(<script>kernelName = '[^']*'</script>)?", re.S)


def _is_thebe(js: Any) -> bool:
    name = str(js.filename or "")
    return name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in js.attributes.get("body", "")


def _freeze_widget_state(body: str) -> str:
    """The saved widget state with every control disabled."""
    state = json.loads(body)
    for model in state.get("state", {}).values():
        fields = model.get("state", {})
        if "disabled" in fields:
            fields["disabled"] = True
    return json.dumps(state).replace("</script>", r"<\/script>")


def _scripts(context: dict[str, Any]) -> None:
    from sphinx.builders.html._assets import _JavaScript

    files = context.get("script_files")
    if not isinstance(files, list):
        return
    kept: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for js in files:
        if _is_thebe(js):
            continue
        key = (str(js.filename or ""), js.attributes.get("body", ""))
        if key in seen:
            continue
        seen.add(key)
        if js.attributes.get("type") == WIDGET_STATE and js.attributes.get("body"):
            attributes = dict(js.attributes, body=_freeze_widget_state(js.attributes["body"]))
            js = _JavaScript(js.filename, priority=js.priority, **attributes)
        kept.append(js)
    # widgets-offline.js must run after require.js and before the manager, whatever order the
    # configuration's mapping arrives in
    shim = [js for js in kept if str(js.filename or "").endswith("widgets-offline.js")]
    loader = [i for i, js in enumerate(kept) if str(js.filename or "").endswith("require.js")]
    if shim and loader:
        kept.remove(shim[0])
        at = next(i for i, js in enumerate(kept) if str(js.filename or "").endswith("require.js")) + 1
        kept.insert(at, _JavaScript(shim[0].filename, priority=kept[at - 1].priority, **shim[0].attributes))
    files[:] = kept
    css = context.get("css_files")
    if isinstance(css, list):
        css[:] = [c for c in css if not str(getattr(c, "filename", "")).endswith("sphinx-thebe.css")]


def _notebook_link(app: Sphinx, pagename: str, context: dict[str, Any]) -> tuple[str, str] | None:
    """(relative URL, file name) of this page's notebook in ``_sources``, if it is a notebook."""
    source = str(context.get("sourcename") or "")
    if not source.endswith(".ipynb") or not context.get("pathto"):
        return None
    return context["pathto"]("_sources/" + source, 1), PurePosixPath(source).name


def _page(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    _scripts(context)
    body = context.get("body")
    if not isinstance(body, str):
        return
    body = THEBE_BODY.sub("\n", body)
    link = _notebook_link(app, pagename, context)
    if link is not None:
        url, name = (html.escape(x, quote=True) for x in link)
        download = (f'<p class="inferecon-download"><a class="reference external" href="{url}" '
                    f'download="{name}">'
                    f'<i class="fa-solid fa-download" aria-hidden="true"></i> Download this chapter as a '
                    f"Jupyter notebook ({name}, with its outputs)</a></p>")
        body = re.sub(r"(</h1>)", lambda m: m.group(1) + "\n" + download, body, count=1)
        where = f' (<a class="reference external" href="{url}" download="{name}">download {name}</a>)'
    else:
        where = ""
    if WIDGET_VIEW_TAG in body:
        body = body.replace(WIDGET_VIEW_TAG, SNAPSHOT_NOTE.format(download=where) + WIDGET_VIEW_TAG)
    context["body"] = body


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_css_file("inferecon.css", priority=900)
    app.add_js_file("inferecon.js", loading_method="defer", priority=900)
    # after MyST-NB adds the page's widget scripts (default priority 500)
    app.connect("html-page-context", _page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
