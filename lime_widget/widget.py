"""The interactive widget (anywidget): click a superpixel to hide it and see the model re-scored live.

Protocol: docs/protocol.md. State lives in synced traits. The front end writes ``visible`` and ``rev``;
a background thread scores the newest mask only (latest click wins) and writes ``scores``,
``surrogate``, ``history`` and ``scored_rev`` together.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from .explanation import Explanation
from .images import display_size, encode_png, resize_image, resize_nearest
from .pipeline import explain
from .segmentation import boundary_mask

log = logging.getLogger("lime_widget")
STATIC = Path(__file__).parent / "static"
N_TOP_ROWS = 10
CONFIDENCE_K = 5  # the top-k of the hover's "in the top 5 in N% of refits" and the panel's stability
HISTORY_LIMIT = 200


class FrontEndNotBuiltError(RuntimeError):
    """The JavaScript bundle is missing (a source checkout where ``npm run build`` has not run)."""


class LimeWidget(anywidget.AnyWidget):
    """Interactive LIME explorer for one :class:`Explanation`.

    Click a superpixel to hide or show it: the model is re-scored on exactly that masked image and the view
    shows the class scores next to the original ones and next to the linear surrogate's prediction.

    Python API: ``w.visible`` (list of K bools; assign to change the mask from code), ``w.scores`` (rows
    for the last scored mask), ``w.probabilities`` (all C scores), ``w.explanation``, ``w.to_png()``,
    ``w.wait_idle()``.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    image_png = traitlets.Bytes(b"").tag(sync=True)
    hidden_png = traitlets.Bytes(b"").tag(sync=True)
    segments_bytes = traitlets.Bytes(b"").tag(sync=True)
    segments_dtype = traitlets.Unicode("uint16").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    original_scores = traitlets.List(traitlets.Dict()).tag(sync=True)

    visible = traitlets.List(traitlets.Bool()).tag(sync=True)
    rev = traitlets.Int(0).tag(sync=True)
    selected_label = traitlets.Int(0).tag(sync=True)
    show_heatmap = traitlets.Bool(True).tag(sync=True)
    top_k = traitlets.Int(5).tag(sync=True)

    scores = traitlets.List(traitlets.Dict()).tag(sync=True)
    surrogate = traitlets.List(traitlets.Float()).tag(sync=True)
    scored_rev = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("ready").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    history = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, explanation: Explanation, *, max_display_side: int = 512, cache_size: int = 512) -> None:
        if not isinstance(explanation, Explanation):
            raise TypeError(f"LimeWidget needs a lime_widget.Explanation; got {type(explanation).__name__}")
        if explanation.model is None:
            raise ValueError("the explanation has no model to re-score with; use LimeWidget(exp.with_model(model))")
        if not (STATIC / "widget.js").exists():
            raise FrontEndNotBuiltError(
                f"the widget's JavaScript bundle is missing ({STATIC / 'widget.js'}); in a source checkout run "
                "`npm install && npm run build`, or reinstall with `pip install -e .`"
            )
        exp = explanation
        k = exp.n_segments
        h, w = display_size(exp.segments.shape[0], exp.segments.shape[1], max_display_side)
        seg_small = resize_nearest(exp.segments, (h, w))
        dtype = "uint16" if k <= 65535 else "uint32"
        self._exp = exp
        self._original = exp.probabilities.copy()
        self._original_top = np.argsort(-self._original, kind="stable")[:N_TOP_ROWS].tolist()
        self._cond = threading.Condition()
        self._state_lock = threading.RLock()
        self._pending: tuple[tuple[bool, ...], int] | None = None
        self._busy = False
        self._closed = False
        self._forward_passes = 0
        self._from_front_end = False
        self._cache_size = int(cache_size)
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        all_on = np.ones(k, dtype=bool)
        self._cache[np.packbits(all_on).tobytes()] = self._original
        self._last_probs = self._original
        super().__init__(
            image_png=encode_png(resize_image(exp.image, (h, w))),
            hidden_png=encode_png(resize_image(exp.fill, (h, w))),
            segments_bytes=seg_small.astype("<u2" if dtype == "uint16" else "<u4").tobytes(),
            segments_dtype=dtype,
            width=w,
            height=h,
            classes=[_class_info(exp, c, float(self._original[c])) for c in exp.top_labels],
            original_scores=self._rows(self._original),
            visible=[True] * k,
            rev=0,
            selected_label=int(exp.top_labels[0]),
            scores=self._rows(self._original),
            surrogate=[float(x) for x in exp.local_predictions],
            scored_rev=0,
        )
        self.observe(self._on_mask_change, names=["visible", "rev"])
        self._worker = threading.Thread(target=self._work, name="lime-widget-scorer", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ public API
    @property
    def explanation(self) -> Explanation:
        return self._exp

    @property
    def n_segments(self) -> int:
        """Number K of superpixels (the length of ``visible``)."""
        return self._exp.n_segments

    @property
    def probabilities(self) -> np.ndarray:
        """All class scores (C,) for the mask scored last."""
        return self._last_probs.copy()

    @property
    def forward_passes(self) -> int:
        """How many masks were sent to the model (cache hits excluded)."""
        return self._forward_passes

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the newest mask is scored (or timeout seconds pass). Returns True when idle."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or (self._pending is None and not self._busy), timeout=timeout
            )

    def to_png(self, path: str | Path | None = None, *, alpha: float = 0.45) -> bytes:
        """PNG of the current view (masked image, heatmap of the selected class if shown, boundaries)."""
        exp = self._exp
        vis = np.asarray(self.visible, dtype=bool)
        img = exp.masked_image(vis).astype(np.float64) / 255.0
        if self.show_heatmap:
            import matplotlib

            weights = exp.weights(self.selected_label)
            vmax = float(np.max(np.abs(weights))) or 1.0
            colours = matplotlib.colormaps["RdBu"]((weights / vmax + 1.0) / 2.0)[:, :3]
            img = (1 - alpha) * img + alpha * colours[exp.segments]
        img[boundary_mask(exp.segments)] = (1.0, 1.0, 0.6)
        data = encode_png(np.round(img * 255).astype(np.uint8))
        if path is not None:
            Path(path).write_bytes(data)
        return data

    def close(self) -> None:
        if not hasattr(self, "_cond"):  # __init__ failed before the worker existed
            super().close()
            return
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        super().close()

    # ------------------------------------------------------------------ validation of front-end messages
    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the front end, after validating it; bad values are rejected and re-sent."""
        data = dict(sync_data)
        problem = None
        if "visible" in data:
            v = data["visible"]
            if not isinstance(v, list) or len(v) != self.n_segments:
                problem = f"visible must be a list of {self.n_segments} booleans; got {_describe(v)}"
            elif not all(isinstance(x, bool) for x in v):
                problem = "visible must hold only true/false values"
        if problem is None and "rev" in data and (not isinstance(data["rev"], int) or isinstance(data["rev"], bool)):
            problem = f"rev must be an integer; got {_describe(data['rev'])}"
        if "selected_label" in data and data["selected_label"] not in self._exp.top_labels:
            self._report(f"class {data['selected_label']!r} was not explained; choose one of {self._exp.top_labels}")
            data.pop("selected_label")
            self.send_state("selected_label")
        if "top_k" in data and (not isinstance(data["top_k"], int) or not 1 <= data["top_k"] <= self.n_segments):
            self._report(f"top_k must be an integer between 1 and {self.n_segments}")
            data.pop("top_k")
            self.send_state("top_k")
        if problem is not None:
            self._report(f"rejected a message from the widget: {problem}")
            data.pop("visible", None)
            data.pop("rev", None)
            self.send_state(["visible", "rev"])
        with self._state_lock:
            # observers run inside super().set_state: the flag tells them the front end wrote the change
            self._from_front_end = True
            try:
                super().set_state(data)
            finally:
                self._from_front_end = False

    @traitlets.validate("visible")
    def _validate_visible(self, proposal: dict[str, Any]) -> list[bool]:
        value = list(proposal["value"])
        if self.n_segments and len(value) != self.n_segments:
            raise traitlets.TraitError(
                f"visible must have {self.n_segments} entries (one per superpixel); got {len(value)}"
            )
        return value

    def _report(self, message: str) -> None:
        log.warning(message)
        with self._state_lock, self.hold_sync():
            self.error = message
            self.status = "error"

    # ------------------------------------------------------------------ scoring
    def _on_mask_change(self, change: dict[str, Any]) -> None:
        if change["name"] == "visible" and not self._from_front_end:
            # Python code set the mask: give it a new revision so the view never shows a stale score.
            self.rev = self.rev + 1
            return  # the rev observer enqueues it
        with self._cond:
            self._pending = (tuple(bool(x) for x in self.visible), int(self.rev))
            self._cond.notify_all()
        if self.status != "scoring":
            with self._state_lock:
                self.status = "scoring"

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                assert self._pending is not None
                mask_t, rev = self._pending
                self._pending = None
                self._busy = True
            try:
                mask = np.asarray(mask_t, dtype=bool)
                probs = self._score(mask)
                with self._cond:
                    newer = self._pending is not None
                if not newer:
                    self._publish(mask, rev, probs)
            except Exception as err:  # every failure becomes a message in the widget
                log.exception("scoring failed")
                self._report(f"scoring failed: {type(err).__name__}: {err}")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _score(self, mask: np.ndarray) -> np.ndarray:
        key = np.packbits(mask).tobytes()
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        self._forward_passes += 1
        probs = self._exp.rescore(mask)
        self._cache[key] = probs
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return probs

    def _publish(self, mask: np.ndarray, rev: int, probs: np.ndarray) -> None:
        label = int(self.selected_label)
        entry = {
            "rev": rev,
            "hidden": [int(i) for i in np.flatnonzero(~mask)],
            "label": label,
            "score": float(probs[label]),
            "change": float(probs[label] - self._original[label]),
            "top": self._exp.class_names[int(np.argmax(probs))],
        }
        self._last_probs = probs
        with self._state_lock, self.hold_sync():
            self.scores = self._rows(probs)
            self.surrogate = [self._exp.surrogate_prediction(mask, c) for c in self._exp.top_labels]
            self.history = [*self.history, entry][-HISTORY_LIMIT:]
            self.error = ""
            self.status = "ready"
            self.scored_rev = rev

    def _rows(self, probs: np.ndarray) -> list[dict[str, Any]]:
        ranks = _ranks(probs)
        order = np.argsort(-probs, kind="stable")
        ids = list(
            dict.fromkeys(
                [
                    *order[:N_TOP_ROWS].tolist(),
                    *self._exp.top_labels,
                    *self._original_top,
                ]
            )
        )
        ids.sort(key=lambda c: ranks[c])
        return [
            {"id": int(c), "name": self._exp.class_names[c], "prob": float(probs[c]), "rank": int(ranks[c])}
            for c in ids
        ]


def _class_info(exp: Explanation, label: int, original: float) -> dict[str, Any]:
    """An entry of the ``classes`` trait: the surrogate of one explained class and how sure it is."""
    row = exp.class_row(label)
    sure = exp.coef_draws is not None
    return {
        "id": int(label),
        "name": exp.class_names[label],
        "weights": [float(x) for x in exp.coef[row]],
        "intercept": float(exp.intercepts[row]),
        "r2": float(exp.r2_scores[row]),
        "original": original,
        "std": [float(x) for x in exp.weight_std(label)] if sure else None,
        "confidence": [float(x) for x in exp.top_k_confidence(label, k=min(CONFIDENCE_K, exp.n_segments))]
        if sure
        else None,
        "confidence_k": min(CONFIDENCE_K, exp.n_segments),
        "stability": float(exp.stability(label, k=min(CONFIDENCE_K, exp.n_segments))) if sure else None,
    }


def _ranks(probs: np.ndarray) -> np.ndarray:
    """Rank of every class (1 = highest score). (C,) -> int (C,)."""
    order = np.argsort(-probs, kind="stable")
    ranks = np.empty(len(probs), dtype=np.int64)
    ranks[order] = np.arange(1, len(probs) + 1)
    return ranks


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return type(value).__name__


def explore(image: Any, model: Any, *, max_display_side: int = 512, **explain_kwargs: Any) -> LimeWidget:
    """Explain ``image`` with ``model`` (same arguments as :func:`lime_widget.explain`) and return the widget."""
    explain_kwargs.setdefault("progress", True)
    return LimeWidget(explain(image, model, **explain_kwargs), max_display_side=max_display_side)
