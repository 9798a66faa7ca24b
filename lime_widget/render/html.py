"""The self-contained, offline HTML explorer: one file with the view's state, the standalone bundle and its CSS.

Used by ``LimeWidget.save_html`` (the view as it is) and ``Explanation.to_html`` (a fresh view). The file makes
no network requests (a Content-Security-Policy forbids them) and is written atomically with the umask's mode.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..core._files import atomic_write_text
from ._static import read_static
from .view_state import DEFAULT_HEATMAP_OPACITY, ExplanationState, explanation_state

#: The synced traits a saved HTML file carries (everything the view reads; not the bundle, not ipywidgets').
SHARED_TRAITS = (
    "image_png",
    "hidden_png",
    "segments_bytes",
    "segments_dtype",
    "width",
    "height",
    "classes",
    "original_scores",
    "visible",
    "rev",
    "selected_label",
    "show_heatmap",
    "heatmap_opacity",
    "heatmap_method",
    "top_k",
    "scores",
    "surrogate",
    "scored_rev",
    "status",
    "error",
    "history",
    "flip",
    "show_curve",
    "curve_ranking",
    "curve_mode",
    "curve",
)

#: The view settings of a fresh view (what a new widget starts with besides :func:`explanation_state`).
FRESH_VIEW = {
    "show_heatmap": True,
    "heatmap_opacity": DEFAULT_HEATMAP_OPACITY,
    "heatmap_method": "lime",
    "top_k": 5,
    "status": "ready",
    "error": "",
    "history": [],
    "flip": {},
    "show_curve": False,
    "curve_ranking": "lime",
    "curve_mode": "deletion",
    "curve": {},
}

# Inside <script> the HTML parser looks for "</script" and "<!--" before JSON.parse sees anything: with every
# "<" (and ">", "&") written as a JSON escape, no class name can end or comment out the element.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def explanation_html(exp: ExplanationState, path: str | Path, *, max_display_side: int = 512) -> Path:
    """Write ``exp`` as one self-contained, offline HTML explorer (a fresh view: all shown, nothing probed).

    max_display_side: the longer side of the image in the page, in pixels. Returns the path written."""
    if not isinstance(exp, ExplanationState):
        raise TypeError(f"explanation_html needs a lime_widget.Explanation; got {type(exp).__name__}")
    state = {**FRESH_VIEW, **explanation_state(exp, max_display_side=max_display_side)}
    return write_html(state, path, title=f"lime_widget: {exp.class_names[int(exp.top_labels[0])]}")


def _json_value(value: Any) -> Any:
    """``value`` as JSON: bytes as ``{"$bytes": base64}``, non-finite floats as null (what the view reads)."""
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def state_json(state: dict[str, Any]) -> str:
    """``state`` as JSON that is safe inside a ``<script type="application/json">`` element (no ``<``)."""
    return json.dumps({k: _json_value(v) for k, v in state.items()}, allow_nan=False).translate(_SCRIPT_SAFE)


def write_html(state: dict[str, Any], path: str | Path, *, title: str) -> Path:
    """Write the offline page of the view state ``state`` (synced trait name -> value) to ``path``.

    The folder must exist and ``path`` must not be a folder. Returns the path written."""
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(f"save_html(path) needs a file name, got the folder {out}; e.g. {out / 'lime.html'}")
    if not out.parent.exists():
        raise FileNotFoundError(f"save_html(path): the folder {out.parent} does not exist; create it first")
    code = read_static("standalone.js").replace("</script", "<\\/script")
    css = read_static("widget.css").replace("</style", "<\\/style")
    data = state_json(state)
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{html.escape(title)}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 16px; }}</style>
<style>{css}</style>
</head>
<body>
<div id="lime-widget"></div>
<script type="application/json" id="lime-widget-state">{data}</script>
<script>{code}</script>
<script>limeWidgetStandalone.mount(document.getElementById("lime-widget"), JSON.parse(document.getElementById("lime-widget-state").textContent));</script>
</body>
</html>
"""
    return atomic_write_text(out, doc)
