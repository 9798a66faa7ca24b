"""The static view of an explorer, for front ends that cannot run its widget.

A displayed widget is one bundle of formats, and a front end shows the one it renders best. One with widget
support (JupyterLab, Notebook 7) renders the widget entry. A renderer without it shows another entry of the
same bundle: a saved notebook rendered without its widget state (nbconvert, nbviewer, GitHub), a console
with no widget support. So the explorer's bundle also carries a PNG of the view as it is (image, mask,
heatmap of the selected class), an HTML figure of it with the top classes, and a text summary, each saying
that the interactive view needs a running kernel with widget support. (A front end with widget support that
cannot load this widget still picks the widget entry and shows its own error: docs/troubleshooting.md.)
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.images import decode_png, encode_png
from ..engine.explanation import Explanation
from ..render.view_state import view_png
from ._cache import mask_key

if TYPE_CHECKING:
    from .explorer import LimeWidget

log = logging.getLogger("lime_widget")

#: what every static entry says: the picture is not the explorer
NOTE = "interactive view needs a running kernel with widget support"
#: the classes named in the summary, best first
N_SUMMARY_CLASSES = 3


class PictureCache:
    """The last picture drawn and its key: displaying a view that did not change draws nothing."""

    def __init__(self) -> None:
        self._last: tuple[Hashable, bytes] | None = None
        self.draws = 0  # how many pictures were drawn (a cached one is not)

    def get(self, key: Hashable, draw: Callable[[], bytes]) -> bytes:
        """The picture of ``key``: the cached one, or ``draw()`` (then cached in place of the last)."""
        last = self._last  # one read: a display from another thread replaces the pair, never half of it
        if last is not None and last[0] == key:
            return last[1]
        png = draw()
        self.draws += 1
        self._last = (key, png)
        return png


def top_classes(scores: Sequence[Mapping[str, Any]], n: int = N_SUMMARY_CLASSES) -> str:
    """The n best rows of the ``scores`` trait (rows with name, prob, rank) as "name 0.812, name 0.104, ..."."""
    best = sorted(scores, key=lambda row: int(row["rank"]))[:n]
    return ", ".join(f"{row['name']} {float(row['prob']):.3f}" for row in best)


@dataclass(frozen=True)
class Picture:
    """A static view: PNG bytes of ``size`` (h, w), a title and lines of caption (the note is added on show)."""

    png: bytes
    size: tuple[int, int]
    title: str
    lines: list[str]


def explorer_picture(
    exp: Explanation,
    cache: PictureCache,
    *,
    rev: int,
    visible: Sequence[bool],
    label: int,
    heatmap: bool,
    alpha: float,
    size: tuple[int, int],
    scores: Sequence[Mapping[str, Any]],
) -> Picture:
    """The static view of an explorer: the mask ``visible`` (K bools, at revision ``rev``), the heatmap of class
    ``label`` when ``heatmap`` (opacity ``alpha``), drawn at the view's ``size`` (h, w) as
    :func:`~lime_widget.render.view_state.view_png` draws it; ``scores``: the rows of the mask scored last."""
    mask = np.asarray(visible, dtype=bool)
    key = (rev, mask_key(mask), label, heatmap, alpha, size)
    png = cache.get(key, lambda: view_png(exp, mask, label, heatmap=heatmap, alpha=alpha, size=size))
    name = exp.class_names[label]
    shown = f"LIME weights of {name}" if heatmap else "no heatmap"
    lines = [
        f"{int(mask.size - mask.sum())} of {mask.size} superpixels hidden; {shown}",
        f"top classes: {top_classes(scores)}",
    ]
    return Picture(png, size, f"lime_widget explorer: {name}", lines)


def widget_picture(widget: LimeWidget) -> Picture:
    """The view of ``widget`` as it is now (:func:`explorer_picture`, cached in the widget's ``_picture``)."""
    return explorer_picture(
        widget._exp,
        widget._picture,
        rev=int(widget.rev),
        visible=list(widget.visible),
        label=int(widget.selected_label),
        heatmap=bool(widget.show_heatmap),
        alpha=float(widget.heatmap_opacity),
        size=(int(widget.height), int(widget.width)),
        scores=list(widget.scores),
    )


def side_by_side(pictures: Sequence[Picture], names: Sequence[str], lines: Sequence[str], gap: int = 8) -> Picture:
    """One picture of several views in a row (``gap`` white pixels apart, top-aligned), titled with ``names``;
    its caption: ``lines``, then each view's own lines under its name."""
    images = [decode_png(p.png) for p in pictures]
    h = max(im.shape[0] for im in images)
    parts: list[np.ndarray] = []
    for im in images:
        if parts:
            parts.append(np.full((h, gap, 3), 255, dtype=np.uint8))
        parts.append(np.pad(im, ((0, h - im.shape[0]), (0, 0), (0, 0)), constant_values=255))
    row = np.concatenate(parts, axis=1)
    own = [f"{name}: {'; '.join(p.lines)}" for name, p in zip(names, pictures, strict=True)]
    return Picture(encode_png(row), (h, row.shape[1]), f"lime_widget comparison: {', '.join(names)}", [*lines, *own])


def picture_entries(picture: Picture) -> dict[str, str]:
    """The static entries of a picture: ``image/png`` (base64, as a display bundle carries it), an HTML figure
    of it with its caption, and text."""
    data = base64.b64encode(picture.png).decode("ascii")
    h, w = picture.size
    caption = "<br>".join(html.escape(line) for line in [*picture.lines, f"({NOTE})"])
    figure = (
        f"<figure style='margin:0'><img src='data:image/png;base64,{data}' width='{w}' height='{h}'"
        f" alt='{html.escape(picture.title, quote=True)}' style='max-width:100%;height:auto'>"
        f"<figcaption><b>{html.escape(picture.title)}</b><br>{caption}</figcaption></figure>"
    )
    return {"image/png": data, "text/html": figure, "text/plain": text(picture.title, picture.lines)}


def text(title: str, lines: Sequence[str]) -> str:
    """The text entry: the title, the lines and the note, one a line."""
    return "\n".join([title, *lines, f"({NOTE})"])


def with_static(bundle: Any, entries: Callable[[], dict[str, str]], title: str) -> Any:
    """A widget's display ``bundle`` with static entries added for front ends that cannot run the widget.

    bundle: what the widget class returned (anywidget: (data, metadata); ipywidgets: data; None: nothing to
    display, returned as is). The widget's entry is kept; ``entries()`` adds its own (its text replaces the
    widget's repr). Never raises: when ``entries()`` fails, the failure is logged and only a text entry
    (``title`` and the note) is added, so the widget still displays."""
    if bundle is None:
        return None
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
    try:
        extra = entries()
    except Exception as err:  # a display must not fail because its picture did
        log.warning("the static view of %s failed: %s: %s", title, type(err).__name__, err, exc_info=True)
        extra = {"text/plain": text(title, [f"(no picture: {type(err).__name__})"])}
    data = {**data, **extra}
    return data if metadata is None else (data, metadata)
