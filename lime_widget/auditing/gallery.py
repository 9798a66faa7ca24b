"""The audit gallery: a grid of thumbnails with their heatmaps, one per audited image; click one to probe it.

:class:`AuditGallery` is an ipywidgets ``VBox``: a :class:`GalleryGrid` (anywidget; sorting and filtering
happen in the front end, from the numbers sent once) above a box where the explorer
(:class:`~lime_widget.widget.explorer.LimeWidget`) of the clicked image appears.
"""

from __future__ import annotations

import base64
import logging
import math
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
import numpy as np
import traitlets

from ..core.images import display_size, encode_png, resize_image, resize_nearest
from ..core.segmentation import boundary_mask
from ..engine.explanation import Explanation
from ..render._static import read_static
from ..render.overlay import weight_overlay
from ..widget.explorer import LimeWidget
from ._extra import require_extra
from .running import AuditResult

log = logging.getLogger("lime_widget")
FILTERS = ("all", "wrong", "errors", "correct")
# Numeric columns of the audit table one may sort by, in the order the menu lists them.
SORTABLE = ("object_share", "probability", "stability", "deletion_auc", "flip_k", "pointing_hit", "seconds", "index")


class GalleryGrid(anywidget.AnyWidget):  # type: ignore[misc]
    """The grid (front end: ``js/src/gallery``). Python sends ``items`` and ``columns``; the front end writes
    ``sort_by``, ``descending``, ``filter`` and ``selected`` (validated in :meth:`set_state`)."""

    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sort_by = traitlets.Unicode("index").tag(sync=True)
    descending = traitlets.Bool(False).tag(sync=True)
    filter = traitlets.Unicode("all").tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_esm=read_static("gallery.js"), _css=read_static("gallery.css"), **kwargs)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a message from the front end, dropping (and logging) any value that is not valid."""
        clean: dict[str, Any] = {}
        for key, value in sync_data.items():
            if key == "sort_by" and isinstance(value, str) and value in self.columns:
                clean[key] = value
            elif key == "descending" and isinstance(value, bool):
                clean[key] = value
            elif key == "filter" and isinstance(value, str) and value in FILTERS:
                clean[key] = value
            elif (
                key == "selected"
                and isinstance(value, int)
                and not isinstance(value, bool)
                and (value == -1 or any(it["row"] == value for it in self.items))
            ):
                clean[key] = value
            else:
                log.warning("gallery: ignored a front-end message %s=%r", key, value)
        if clean:
            super().set_state(clean)


class AuditGallery(ipywidgets.VBox):  # type: ignore[misc]
    """A sortable, filterable grid of an audit's images with their LIME heatmaps; clicking a thumbnail
    opens the explorer for that image below the grid.

    result: an :class:`~lime_widget.auditing.running.AuditResult` (its model is attached to the explorer, so the
    clicks re-score; without one the explorer cannot open). sort_by: a numeric column (``object_share``
    puts the images whose explanation lies least on the object first; ``probability``, ``stability``,
    ``deletion_auc``, ``flip_k``, ``seconds``, ``index``); descending: the order; filter: ``all``,
    ``wrong`` (correct is False), ``errors`` or ``correct``; thumb_size: thumbnail side in pixels;
    max_display_side: the explorer's. ``grid`` is the :class:`GalleryGrid`, ``explorer`` the open
    :class:`~lime_widget.widget.explorer.LimeWidget` (None until a click).
    """

    def __init__(
        self,
        result: AuditResult,
        *,
        sort_by: str = "index",
        descending: bool = False,
        filter: str = "all",
        thumb_size: int = 128,
        max_display_side: int = 512,
    ) -> None:
        require_extra("lw.AuditGallery", ("pandas",))  # the table it reads is a pandas DataFrame
        if not isinstance(result, AuditResult):
            raise TypeError(f"AuditGallery needs the AuditResult of lw.audit; got {type(result).__name__}")
        columns = [c for c in SORTABLE if c in result.table.columns]
        if sort_by not in columns:
            raise ValueError(f"sort_by must be one of {', '.join(columns)}; got {sort_by!r}")
        if filter not in FILTERS:
            raise ValueError(f"filter must be one of {', '.join(FILTERS)}; got {filter!r}")
        if isinstance(thumb_size, bool) or not isinstance(thumb_size, int) or not 16 <= thumb_size <= 1024:
            raise ValueError(f"thumb_size must be an int between 16 and 1024 pixels; got {thumb_size!r}")
        self.result = result
        self.max_display_side = max_display_side
        self.explorer: LimeWidget | None = None
        self._explorer_row = -1
        self.grid = GalleryGrid(
            items=[_item(result, i, thumb_size) for i in range(len(result.table))],
            columns=columns,
            sort_by=sort_by,
            descending=bool(descending),
            filter=filter,
        )
        self.message = ipywidgets.HTML()
        self.slot = ipywidgets.Box()
        super().__init__(children=[self.grid, self.message, self.slot])
        self.grid.observe(self._on_select, names="selected")

    def show(self, row: int) -> LimeWidget:
        """Open the explorer of table row ``row`` below the grid (what a click does) and return it."""
        if self.grid.selected == int(row):
            self._on_select({"new": int(row)})
        else:
            self.grid.selected = int(row)
        if self.explorer is None or self._explorer_row != int(row):
            raise ValueError(self.message.value or f"row {row} cannot be opened")
        return self.explorer

    def _on_select(self, change: dict[str, Any]) -> None:
        row = int(change["new"])
        if self.explorer is not None:
            self.explorer.close()
            self.explorer = None
            self._explorer_row = -1
        self.slot.children = ()
        self.message.value = ""
        if row < 0:
            return
        try:
            exp = self.result.explanation(row)
            if exp.model is None:
                raise ValueError("the audit result has no model to re-score with; use AuditResult.open(out, model=...)")
            self.explorer = LimeWidget(exp, max_display_side=self.max_display_side)
        except Exception as err:  # a missing or unreadable file must not break the gallery: say so under it
            self.message.value = f"<b>cannot open row {row}:</b> {_html_escape(f'{type(err).__name__}: {err}')}"
            return
        self._explorer_row = row
        self.slot.children = (self.explorer,)

    def close(self) -> None:
        """Close the grid, the open explorer (and its scorer thread) and this box."""
        explorer = getattr(self, "explorer", None)  # also from __del__ of a half-built gallery
        if explorer is not None:
            explorer.close()
        grid = getattr(self, "grid", None)
        if grid is not None:
            grid.close()
        super().close()


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _item(result: AuditResult, i: int, thumb_size: int) -> dict[str, Any]:
    row = result.table.iloc[i]
    title = Path(row["path"]).name if row["path"] else f"#{row['index']}"
    correct = None if _isna(row["correct"]) else bool(row["correct"])
    values = {c: _number(row[c]) for c in SORTABLE if c in row.index}
    item: dict[str, Any] = {
        "row": i,
        "title": title,
        "subtitle": "",
        "thumb": "",
        "correct": correct,
        "error": str(row["error"] or ""),
        "values": values,
    }
    if item["error"]:
        return item
    mark = {True: " ✓", False: " ✗", None: ""}[correct]
    truth = f" (true: {row['true_class']})" if correct is False and row["true_class"] else ""
    item["subtitle"] = f"{row['predicted_class']} {float(row['probability']):.2f}{mark}{truth}"
    try:
        exp = Explanation.load_json(result.out / str(row["json"]))
        item["thumb"] = "data:image/png;base64," + base64.b64encode(encode_png(thumbnail(exp, thumb_size))).decode()
    except Exception as err:  # an unreadable file shows as an error tile, not a broken gallery
        item["error"] = f"{type(err).__name__}: {err}"
    return item


def _isna(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def thumbnail(exp: Explanation, size: int = 128) -> np.ndarray:
    """uint8 (h, w, 3), longest side ``size``: the image with the explained class's weights overlaid
    (RdBu, blue positive, as in the figures; faint where a weight is small) and the superpixel boundaries."""
    h, w = display_size(exp.segments.shape[0], exp.segments.shape[1], size)
    seg = resize_nearest(exp.segments, (h, w))
    out = weight_overlay(resize_image(exp.image, (h, w)), seg, exp.weights(), alpha=0.55, by_magnitude=True)
    out[boundary_mask(seg)] = (1.0, 1.0, 0.0)
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)
