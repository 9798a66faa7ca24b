"""The interactive widget (anywidget): click a superpixel to hide it and see the model re-scored live.

Protocol: docs/protocol.md. State lives in synced traits. :class:`LimeWidget` maps traits to requests and
results to traits; the work itself lives beside it: the rules of every setting (``_traits``: front-end messages
and Python assignments alike), the one scheduler of the work off the kernel's thread (``_scheduler``: clicks,
the curve, pre-scoring, the smallest-flip search), the score cache (``_cache``), the curve (``_curve``), the
masks one click away (``_prescore``), Grad-CAM (``_gradcam``), one widget per notebook cell (``_registry``),
and, below the widget, what a fresh view shows and the offline HTML file (``lime_widget.render``).

A mask whose scores are cached is answered at once; otherwise the scorer thread scores the newest mask only
(latest click wins). Either way ``scores``, ``surrogate``, ``history`` and ``scored_rev`` are written
together. Background work (the curve on show, pre-scoring of the masks one click away, the smallest-flip
search) runs at the lowest CPU priority and never while a click waits or is being scored.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..analysis.flips import MinimalFlip
from ..core._files import atomic_write_bytes
from ..core.images import encode_png
from ..core.segmentation import boundary_mask
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..models.threads import on_jupyterhub
from ..render._static import FrontEndNotBuiltError, read_static, static_path
from ..render.html import SHARED_TRAITS, explanation_html, write_html
from ..render.overlay import weight_overlay
from ..render.view_state import DEFAULT_HEATMAP_OPACITY, explanation_state, original_top, score_rows
from . import _registry
from ._cache import ScoreCache
from ._curve import CurveJob, advance, curve_state, new_curve_job
from ._flip import FlipJob, flip_state
from ._gradcam import check_gradcam_model, gradcam_scores
from ._prescore import Outbox, neighbours, split_by_cache
from ._scheduler import Scheduler
from ._traits import FRONT_END_TRAITS, RULES, Limits, check, describe, screen, short, summary

__all__ = [
    "FRONT_END_TRAITS",
    "SHARED_TRAITS",
    "FrontEndNotBuiltError",
    "LimeWidget",
    "explanation_html",
    "explanation_state",
    "explore",
]

log = logging.getLogger("lime_widget")
HISTORY_LIMIT = 200


class LimeWidget(anywidget.AnyWidget):
    """Interactive LIME explorer for one :class:`Explanation`.

    Click a superpixel to hide or show it: the model is re-scored on exactly that masked image and the view
    shows the class scores next to the original ones and next to the linear surrogate's prediction.

    Python API: ``w.visible`` (list of K bools; assign to change the mask from code), ``w.scores`` (rows
    for the last scored mask), ``w.probabilities`` (all C scores), ``w.explanation``, ``w.to_png()``,
    ``w.wait_idle()``. Every setting is checked when assigned (``w.top_k = 0`` raises ``traitlets.TraitError``
    naming the trait, the value and what is allowed), as every message from the view is.

    gradcam: also compute Grad-CAM for every explained class, averaged over the same superpixels, so the
    heatmap can switch between LIME's weights and Grad-CAM (``heatmap_method``) and the panel shows their
    rank correlation and top-5 overlap. Needs captum (``pip install "lime-widget[gradcam]"``) and a
    :class:`~lime_widget.models.classifiers.TorchClassifier`; ``gradcam_layer`` picks the layer (default: the last
    ``Conv2d``).

    Curves: ``w.show_curve = True`` (or opening *Curve* in the view) scores the deletion curve of the tracked
    class for the ranking ``curve_ranking`` ("lime", "gradcam" with ``gradcam=True``, or "random": a
    permutation seeded by the explanation's seed) and ``curve_mode`` ("deletion" or "insertion") in the
    background, in batches, and publishes it in ``curve`` as it grows; finished curves are kept.

    prescore: after each mask the front end sends, score the masks one click away (hide / keep the top k,
    invert, then every single toggle, largest weights first; at most ``prescore_limit``) in idle time and send
    their scores to the front end, so those clicks show the model's score at once. None (default): on, except
    in a server JupyterHub spawned, where kernels share the CPU. Settable later (``w.prescore = False``).
    """

    #: seconds the scorer and background threads wait for work before they exit (the next job starts a new one)
    scorer_idle_s: float = 10.0
    #: seconds close() waits for an idle thread to end (one inside a model call is not waited for)
    close_join_s: float = 1.0
    #: forward passes the "find smallest flip" button may spend (``minimal_flip``'s budget)
    flip_budget: int = 2000
    #: masks per forward pass of background work (curves, pre-scoring), which runs in its own thread at the lowest
    #: CPU priority and starts no batch while a click waits or is being scored. A float32 model's output depends
    #: on the batch in about the 7th digit, so a pre-scored mask's score can differ that much from
    #: ``exp.rescore(mask)``; 1 makes every score shown bit for bit ``exp.rescore(mask)``, at some speed
    background_batch: int = 2
    #: the most masks pre-scored after one click
    prescore_limit: int = 160
    #: seconds between two messages of background scores to the view (fewer, larger messages)
    send_interval_s: float = 0.25

    # The bundle, as synced strings read per widget. Not class-level Paths: anywidget would wrap those in a
    # FileContents whose ``changed`` signal holds a strong reference to every widget ever made, so that no
    # widget (nor its explanation and scorer thread) could ever be collected.
    _esm = traitlets.Unicode().tag(sync=True)
    _css = traitlets.Unicode().tag(sync=True)

    image_png = traitlets.Bytes(b"").tag(sync=True)
    hidden_png = traitlets.Bytes(b"").tag(sync=True)
    segments_bytes = traitlets.Bytes(b"").tag(sync=True)
    segments_dtype = traitlets.Unicode("uint16").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    original_scores = traitlets.List(traitlets.Dict()).tag(sync=True)

    # The settings the view writes too; their allowed values are the rules of ``_traits`` (checked below).
    visible = traitlets.List(traitlets.Bool()).tag(sync=True)
    rev = traitlets.Int(0).tag(sync=True)
    selected_label = traitlets.Int(0).tag(sync=True)
    show_heatmap = traitlets.Bool(True).tag(sync=True)
    heatmap_method = traitlets.Unicode("lime").tag(sync=True)
    heatmap_opacity = traitlets.Float(DEFAULT_HEATMAP_OPACITY).tag(sync=True)
    top_k = traitlets.Int(5).tag(sync=True)
    #: whether the deletion/insertion curve is shown (and so scored)
    show_curve = traitlets.Bool(False).tag(sync=True)
    curve_ranking = traitlets.Unicode("lime").tag(sync=True)
    curve_mode = traitlets.Unicode("deletion").tag(sync=True)

    scores = traitlets.List(traitlets.Dict()).tag(sync=True)
    surrogate = traitlets.List(traitlets.Float()).tag(sync=True)
    scored_rev = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("ready").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    history = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: the last smallest-flip search: {} before any; {"state": "running", "label"}; {"state": "done", ...}
    flip = traitlets.Dict().tag(sync=True)
    #: the curve on show: {} before any; see docs/protocol.md
    curve = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        explanation: Explanation,
        *,
        max_display_side: int = 512,
        cache_size: int = 512,
        gradcam: bool = False,
        gradcam_layer: Any = None,
        prescore: bool | None = None,
    ) -> None:
        if not isinstance(explanation, Explanation):
            raise TypeError(f"LimeWidget needs a lime_widget.Explanation; got {type(explanation).__name__}")
        if explanation.model is None:
            raise ValueError("the explanation has no model to re-score with; use LimeWidget(exp.with_model(model))")
        if not isinstance(gradcam, bool):
            raise TypeError(f"gradcam must be True or False; got {gradcam!r}")
        if prescore is not None and not isinstance(prescore, bool):
            raise TypeError(f"prescore must be True, False or None (automatic); got {prescore!r}")
        exp = explanation
        cams = gradcam_scores(exp, gradcam_layer) if gradcam else {}
        self._limits = Limits(
            n_segments=exp.n_segments,
            labels=tuple(int(c) for c in exp.top_labels),
            heatmap_methods=("lime", "gradcam") if cams else ("lime",),
            rankings=("lime", "gradcam", "random") if cams else ("lime", "random"),
        )
        max_display_side = check("max_display_side", max_display_side, self._limits)
        static_path("widget.js")  # FrontEndNotBuiltError (run `npm run build`) before any work
        self._exp = exp
        self._cams = cams
        self._original = exp.probabilities.copy()
        self._original_top = original_top(self._original)
        self._jobs = Scheduler(self)
        self._lock = self._jobs.lock  # the one lock: traits, cache, curves and the scheduler's queues
        # collected without close(): stop every thread (the finalizer holds the scheduler, not the widget)
        self._finalizer = weakref.finalize(self, self._jobs.close)
        self._forward_passes = 0
        self._background_passes = 0
        self._from_front_end = False
        self._rejected_rev = -1  # the rev at the last rejected front-end message: its error stays until a newer rev
        self._cache = ScoreCache(check("cache_size", cache_size, self._limits), self._lock)
        self._cache.put(np.ones((1, exp.n_segments), dtype=bool), self._original[None])
        self._outbox = Outbox(self._lock)  # scores of masks not sent yet (see _send_scores)
        self._curves: dict[tuple[int, str, str], dict[str, Any]] = {}  # finished curves
        self._last_probs = self._original
        self._last_mask = np.ones(exp.n_segments, dtype=bool)
        self._view_seen = False  # a view has sent a mask: someone may click, so pre-scoring is worth it
        self._prescore_on = (not on_jupyterhub()) if prescore is None else prescore
        super().__init__(**explanation_state(exp, max_display_side=max_display_side, gradcam_scores=cams))
        self.observe(self._on_mask_change, names=["visible", "rev"])
        self.observe(self._on_curve_change, names=["show_curve", "curve_ranking", "curve_mode", "selected_label"])
        self.observe(self._on_ranking_change, names=["selected_label", "top_k", "heatmap_method"])
        self.on_msg(self._on_custom_message)
        _registry.replace_in_cell(self)

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return read_static("widget.js")

    @traitlets.default("_css")
    def _default_css(self) -> str:
        return read_static("widget.css")

    @traitlets.validate(*(name for name in RULES if name in FRONT_END_TRAITS))
    def _validate_setting(self, proposal: dict[str, Any]) -> Any:
        """Every assignment of a setting the view writes too, from Python or the view: the rule of ``_traits``."""
        return check(proposal["trait"].name, proposal["value"], self._limits)

    # ------------------------------------------------------------------ public API
    @property
    def prescore(self) -> bool:
        """Whether the masks one click away are pre-scored in idle time (see the class docs). Setting it to
        False drops the masks queued for pre-scoring; True plans them for the mask scored last."""
        return self._prescore_on

    @prescore.setter
    def prescore(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"prescore must be True or False; got {value!r}")
        self._prescore_on = value
        if value:
            self._plan_prescore()
        else:
            self._jobs.set_prescore([])

    @property
    def cache_size(self) -> int:
        """How many masks' scores are kept (least recently used dropped first); a positive integer."""
        return self._cache.size

    @cache_size.setter
    def cache_size(self, value: int) -> None:
        self._cache.size = check("cache_size", value, self._limits)

    @property
    def explanation(self) -> Explanation:
        return self._exp

    @property
    def heatmap_methods(self) -> tuple[str, ...]:
        """The maps this widget can show: ``("lime",)``, plus ``"gradcam"`` when made with ``gradcam=True``."""
        return self._limits.heatmap_methods

    @property
    def rankings(self) -> tuple[str, ...]:
        """The orders a curve can use: ``("lime", "random")``, plus ``"gradcam"`` with ``gradcam=True``."""
        return self._limits.rankings

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
        """How many masks shown in the widget were sent to the model (cache hits and background work excluded)."""
        return self._forward_passes

    @property
    def background_passes(self) -> int:
        """How many masks the background work (curves, pre-scoring) sent to the model."""
        return self._background_passes

    def wait_idle(self, timeout: float = 30.0, *, background: bool = False) -> bool:
        """Block until the newest mask is scored (or timeout seconds pass). Returns True when idle; at once
        after :meth:`close`. background=True also waits for the curve and the pre-scoring to finish."""
        return self._jobs.wait_idle(timeout, background=background)

    @property
    def scorer_thread(self) -> Any:
        """The running scorer thread, or None (none started yet, idle for ``scorer_idle_s``, or closed)."""
        return self._jobs.thread

    @property
    def background_thread(self) -> Any:
        """The running background thread (curves, pre-scoring), or None (no such work for ``scorer_idle_s``)."""
        return self._jobs.background

    @property
    def _flip_thread(self) -> Any:
        """The thread of the last smallest-flip search, or None before any."""
        return self._jobs.flip_thread

    def to_png(self, path: str | Path | None = None, *, alpha: float | None = None) -> bytes:
        """PNG of the current view (masked image, heatmap of the selected class if shown, boundaries).

        alpha: the heatmap's opacity in 0..1; None: the widget's ``heatmap_opacity`` (its slider)."""
        exp = self._exp
        alpha = float(self.heatmap_opacity) if alpha is None else float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"to_png(alpha=...) must be between 0 and 1; got {alpha!r}")
        img = exp.masked_image(np.asarray(self.visible, dtype=bool)).astype(np.float64) / 255.0
        if self.show_heatmap:
            img = weight_overlay(img, exp.segments, exp.weights(self.selected_label), alpha=alpha)
        img[boundary_mask(exp.segments)] = (1.0, 1.0, 0.6)
        data = encode_png(np.round(img * 255).astype(np.uint8))
        if path is not None:
            atomic_write_bytes(path, data)
        return data

    def close(self) -> None:
        """Close the comm and stop every thread (a mask being scored is finished but not published; queued
        curve and pre-scoring work is dropped; a smallest-flip search stops before its next forward pass).

        An idle thread is woken and joined (up to ``close_join_s`` seconds), so it has ended when close()
        returns. A thread inside a model call is not waited for (the kernel stays responsive): it ends as soon
        as that call returns, without publishing. Never joined from one of these threads itself."""
        jobs = self.__dict__.get("_jobs")  # absent when __init__ failed before the scheduler existed
        if jobs is not None:
            jobs.close(self.close_join_s)
        super().close()

    def save_html(self, path: str | Path) -> Path:
        """Write the widget as it is now to one self-contained HTML file that opens offline, without a kernel.

        The file holds the image, the superpixels, every class' weights and heatmaps, the scores of the mask
        on screen and the probe history as recorded. Opened in a browser, superpixels still toggle; the model
        is not there, so the panel shows the surrogate's prediction for a new mask, labelled as the
        surrogate's, and no model score. The file makes no network requests. Returns the path written.
        """
        state = {name: getattr(self, name) for name in SHARED_TRAITS}
        return write_html(state, path, title=f"lime_widget: {self._exp.class_names[int(self.selected_label)]}")

    # ------------------------------------------------------------------ messages from the front end
    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the front end, after validating it (``_traits.screen``; docs/protocol.md).

        Anything the front end may not write, and any bad value, is dropped; the rest of the message is
        applied, the problem is shown in ``error`` (status "error") and the kernel's true values are re-sent.
        """
        if not isinstance(sync_data, dict):
            self._reject([f"a widget message must be an object; got {describe(sync_data)}"], set())
            return
        with self._lock:
            s = screen(
                sync_data,
                self._limits,
                keys=self.keys,
                rev=int(self.rev),
                visible=list(self.visible),
                view_count_on=self._view_count is not None,
            )
            if s.data:
                # observers run inside super().set_state: the flag tells them the front end wrote the change
                self._from_front_end = True
                try:
                    super().set_state(s.data)
                except traitlets.TraitError as err:  # a check screen missed: still never a silent drop
                    s.problems.append(str(err))
                    s.resend.update(s.data)
                finally:
                    self._from_front_end = False
            if s.problems:
                self._reject(s.problems, s.resend)

    def _reject(self, problems: list[str], resend: set[str]) -> None:
        """Show why a front-end message was (partly) rejected and re-send the kernel's values."""
        with self._lock:
            self._rejected_rev = int(self.rev)
            self._report(summary(problems))
        if resend:
            self.send_state(sorted(resend))

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Requests from the front end that are not state: only ``{"type": "minimal_flip"}``."""
        if isinstance(content, dict) and content.get("type") == "minimal_flip" and len(content) == 1:
            self.find_flip()
            return
        with self._lock:
            self._rejected_rev = int(self.rev)
            self._report(
                f'rejected a message from the widget: {short(content)} is not a request; send {{"type": "minimal_flip"}}'
            )

    def notify_change(self, change: Any) -> None:
        """Send a mask set from Python together with its new ``rev`` in one message.

        ipywidgets sends a trait before its observers run; without this, the view would hold the new mask with
        the old ``rev`` for a moment and could take the old mask's scores for the new one."""
        if change["name"] == "visible" and not self._from_front_end:
            # The lock keeps the scorer's publish (which holds it around its own hold_sync) out of this message.
            with self._lock, self.hold_sync():
                super().notify_change(change)
        else:
            super().notify_change(change)

    def _report(self, message: str) -> None:
        log.warning(message)
        with self._lock, self.hold_sync():
            self.error = message
            self.status = "error"

    # ------------------------------------------------------------------ clicks
    def _on_mask_change(self, change: dict[str, Any]) -> None:
        if change["name"] == "visible":
            # Only the rev observer enqueues: a front-end message changes visible and rev together (both observers
            # fire, after the whole message), and Python code that sets the mask gets a new rev here.
            if not self._from_front_end:
                with self._lock:
                    self.rev = self.rev + 1  # so the view never shows a stale score
            return
        mask = np.fromiter((bool(x) for x in self.visible), dtype=bool, count=len(self.visible))
        rev = int(self.rev)
        if self._from_front_end:
            self._view_seen = True
        cached = self._cache.get(mask)
        # A newer mask supersedes any waiting one; a cached one is answered here, without the scorer thread.
        if not self._jobs.submit_click(None if cached is not None else tuple(mask.tolist()), rev):
            return
        if cached is not None:
            self._publish(mask, rev, cached)
        elif self.status != "scoring":
            with self._lock:
                self.status = "scoring"

    def _score_and_publish(self, mask_t: tuple[bool, ...], rev: int) -> None:
        """Run in the scorer thread: score one mask and publish it unless a newer one is waiting."""
        try:
            mask = np.asarray(mask_t, dtype=bool)
            probs = self._cache.get(mask)
            if probs is None:
                self._forward_passes += 1
                probs = self._exp.rescore(mask)
                self._cache.put(mask[None], probs[None])
            with self._lock:
                stale = self._jobs.pending is not None or self._jobs.closed
            if not stale:
                self._publish(mask, rev, probs)
        except Exception as err:  # every failure becomes a message in the widget
            log.exception("scoring failed")
            self._report(f"scoring failed: {type(err).__name__}: {err}")

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
        with self._lock:
            if rev != self.rev:  # a newer mask came meanwhile (and was answered, or is queued): never go back
                return
            self._last_probs = probs
            self._last_mask = mask
            with self.hold_sync():
                self.scores = self._rows(probs)
                self.surrogate = [self._exp.surrogate_prediction(mask, c) for c in self._exp.top_labels]
                self.history = [*self.history, entry][-HISTORY_LIMIT:]
                if rev > self._rejected_rev:  # a rejected message's error stays until a newer mask is scored
                    self.error = ""
                    self.status = "ready"
                else:
                    self.status = "error"
                self.scored_rev = rev
        self._plan_prescore(rev)

    def _rows(self, probs: np.ndarray) -> list[dict[str, Any]]:
        return score_rows(self._exp, probs, self._original_top)

    # ------------------------------------------------------------------ pre-scoring
    def neighbours(self, mask: Any = None) -> np.ndarray:
        """The masks one click away from ``mask`` (default: the mask scored last), most likely first:
        bool (n, K). Hide the top k, keep the top k (by the map on show, as the view's buttons), invert, then
        each single toggle: hiding one more shown superpixel first (probing mostly hides), then showing a hidden
        one again, each by decreasing |weight|. At most ``prescore_limit``, without repeats."""
        m = self._last_mask if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (self.n_segments,):
            raise ValueError(f"mask must have one entry per superpixel, shape ({self.n_segments},); got {m.shape}")
        label = int(self.selected_label)
        weights = np.asarray(self._exp.weights(label), dtype=np.float64)
        shown = self._cams[label] if self.heatmap_method == "gradcam" and label in self._cams else weights
        return neighbours(m, np.asarray(shown, dtype=np.float64), weights, int(self.top_k), int(self.prescore_limit))

    def _plan_prescore(self, rev: int | None = None) -> None:
        """Queue the masks one click away from the mask scored last (replacing the last plan); send the view
        the scores of those already cached. Only once a view has sent a mask: without one nobody clicks.
        rev: the mask just published; its plan is dropped if a newer mask came meanwhile (that one plans)."""
        if not self.prescore or not self._view_seen:
            return
        try:
            todo, known, known_probs = split_by_cache(self.neighbours(), self._cache)
            if len(known):
                self._send_scores(known, known_probs)
        except Exception as err:
            log.exception("planning the pre-scoring failed")
            self._report(f"pre-scoring failed: {type(err).__name__}: {err}")
            return
        with self._lock:
            if rev is None or rev == self.rev:
                self._jobs.set_prescore(todo)

    def _prescore(self, masks: list[np.ndarray]) -> None:
        """Run in the background thread: score one batch of masks one click away, send the scores to the view."""
        m = np.array([x for x in masks if self._cache.get(x) is None], dtype=bool)
        if not m.size:
            return
        try:
            probs = self._exp.rescore_many(m, batch_size=len(m))
        except Exception as err:
            log.exception("pre-scoring failed")
            self._jobs.set_prescore([])
            self._report(f"pre-scoring failed: {type(err).__name__}: {err}")
            return
        self._background_passes += len(m)
        self._cache.put(m, probs)
        self._send_scores(m, probs, flush=False)

    def _send_scores(self, masks: np.ndarray, probs: np.ndarray, *, flush: bool = True) -> None:
        """Send the view the model's scores of masks bool (n, K) (probs (n, C)) in a ``scores`` message.

        flush=False: keep them for the next message unless ``send_interval_s`` has passed since the last one
        (background work sends a few larger messages rather than many small ones)."""
        entries = [
            {"hidden": [int(i) for i in np.flatnonzero(~m)], "scores": self._rows(p)}
            for m, p in zip(masks, probs, strict=True)
        ]
        self._cache.mark_sent(masks)
        out = self._outbox.add(entries, flush=flush, interval_s=self.send_interval_s)
        if out:
            self.send({"type": "scores", "entries": out})

    def _flush_scores(self) -> None:
        """Send what ``_send_scores`` kept back (when the background work ran out)."""
        self._send_scores(np.zeros((0, self.n_segments), dtype=bool), np.zeros((0, 1)), flush=True)

    def _on_ranking_change(self, _change: dict[str, Any]) -> None:
        """The top-k masks depend on the class, k and the map on show: plan the pre-scoring again."""
        self._plan_prescore()

    # ------------------------------------------------------------------ curves
    def _on_curve_change(self, _change: dict[str, Any]) -> None:
        """Show the finished curve for (class, ranking, mode), or start scoring it in the background."""
        with self._lock:  # the background thread publishes curves under this lock too: the newest request wins
            if not self.show_curve:
                self._jobs.set_curve(None)
                return
            key = (int(self.selected_label), str(self.curve_ranking), str(self.curve_mode))
            if key in self._curves:
                self._jobs.set_curve(None)
                self.curve = self._curves[key]
                return
            if self._jobs.curve is not None and self._jobs.curve.key == key:
                return
            job = new_curve_job(self._exp, self._cams, key, self._cache.get)  # cached points shown at once
            self.curve = curve_state(self._exp, job, "running")
            self._jobs.set_curve(job)

    def _advance_curve(self, job: CurveJob, batch: int) -> None:
        """Run in the background thread: fill the curve's cached points, score up to ``batch`` more, publish."""
        try:
            masks, probs = advance(job, self._exp, self._cache.get, batch)
            if len(masks):
                self._background_passes += len(masks)
                self._cache.put(masks, probs)
                self._send_scores(masks, probs, flush=False)
        except Exception as err:
            log.exception("scoring the curve failed")
            with self._lock:
                if self._jobs.curve is job:
                    self._jobs.set_curve(None)
                    self.curve = curve_state(self._exp, job, "error", f"{type(err).__name__}: {err}")
            return
        done = job.done()
        with self._lock:
            current = self._jobs.curve is job
            if done:
                self._curves[job.key] = curve_state(self._exp, job, "done")
                if current:
                    self._jobs.set_curve(None)
            if current and (done or job.due()):  # partial curves at most ~7 times a second
                self.curve = self._curves[job.key] if done else curve_state(self._exp, job, "running")

    # ------------------------------------------------------------------ smallest flip
    def find_flip(self, *, wait: bool = False, timeout: float | None = None) -> MinimalFlip | None:
        """Search (``lw.minimal_flip``) a small set of superpixels whose hiding changes the top class away from
        the tracked class, within ``flip_budget`` forward passes, and show it in the widget (``flip``).

        Runs in a background thread, so clicks stay answered (each click pauses it); a search already running
        (from the view or from Python) is not started again. wait=True blocks until the running search is done
        (or ``timeout`` seconds pass) and returns its result, else None. close() stops it.
        """
        label = int(self.selected_label)
        budget = int(self.flip_budget)
        if budget < 1:
            raise ValueError(f"flip_budget must be a positive number of forward passes; got {budget}")

        def announce() -> None:
            self.flip = {"state": "running", "label": label, "budget": budget}

        with self._lock:
            job = self._jobs.start_flip(label, budget, on_start=announce)
        if job is None or not wait:
            return None
        self._jobs.wait_flip(job, timeout)
        return job.result

    def _publish_flip(self, job: FlipJob) -> None:
        """Run in the flip thread: show the search's result (or error) in ``flip``."""
        if job.error is not None:
            log.error("minimal_flip failed", exc_info=job.error)
        with self._lock:
            self.flip = flip_state(job)


def explore(
    image: Any,
    model: Any,
    *,
    max_display_side: int = 512,
    gradcam: bool = False,
    gradcam_layer: Any = None,
    prescore: bool | None = None,
    **explain_kwargs: Any,
) -> LimeWidget:
    """Explain ``image`` with ``model`` (same arguments as :func:`lime_widget.explain`) and return the widget.

    gradcam=True adds Grad-CAM on the same superpixels (a heatmap switch and the agreement with LIME; see
    :class:`LimeWidget`). It is checked before the explanation runs: captum must be installed and the model
    a torch module or :class:`~lime_widget.models.classifiers.TorchClassifier`. prescore: see :class:`LimeWidget`.
    """
    if not isinstance(gradcam, bool):
        raise TypeError(f"gradcam must be True or False; got {gradcam!r}")
    if prescore is not None and not isinstance(prescore, bool):
        raise TypeError(f"prescore must be True, False or None (automatic); got {prescore!r}")
    if gradcam:
        model = check_gradcam_model(model)
    explain_kwargs.setdefault("progress", True)
    return LimeWidget(
        explain(image, model, **explain_kwargs),
        max_display_side=max_display_side,
        gradcam=gradcam,
        gradcam_layer=gradcam_layer,
        prescore=prescore,
    )
