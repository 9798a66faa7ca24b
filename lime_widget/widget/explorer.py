"""The interactive widget (anywidget): click a superpixel to hide it and see the model re-scored live.

Protocol: docs/protocol.md. State lives in synced traits. :class:`LimeWidget` maps traits to requests and
results to traits; the work itself lives beside it: the rules of every setting (``_traits``: front-end messages
and Python assignments alike), the one scheduler of the work off the kernel's thread (``_scheduler``: clicks,
the curve, pre-scoring, the smallest-flip search), the front end's messages (``_messages``), the score cache
(``_cache``), the history and the ``scores`` messages (``_scores``), the curves (``_curve``), the masks one
click away (``_prescore``), the smallest-flip search (``_flip``), Grad-CAM (``_gradcam``), one widget per
notebook cell (``_registry``), and, below the widget, what a view shows and the offline HTML file
(``lime_widget.render``).

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
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..models.threads import on_jupyterhub
from ..render._static import FrontEndNotBuiltError, read_static, static_path
from ..render.html import SHARED_TRAITS, explanation_html, write_html
from ..render.view_state import DEFAULT_HEATMAP_OPACITY, explanation_state, original_top, score_rows, view_png
from . import _registry
from ._curve import CurveBook
from ._flip import request_flip
from ._gradcam import check_gradcam_model, gradcam_scores
from ._messages import apply_state, is_flip_request, reject_request
from ._prescore import plan_prescore, widget_neighbours
from ._scheduler import Scheduler
from ._scores import ScoreBook, history_entry, with_entry
from ._static_view import Picture, PictureCache, picture_entries, widget_picture, with_static
from ._traits import FRONT_END_TRAITS, RULES, Limits, check, check_switch

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
    #: whether a display carries the static view beside the widget (``_repr_mimebundle_``). It holds the PNG
    #: twice (image/png and the HTML figure: about 0.5 MB for a 451 x 300 photo) in a notebook saved with outputs
    static_view: bool = True

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
        check_switch("gradcam", gradcam)
        check_switch("prescore", prescore, automatic=True)
        exp = explanation
        cams = gradcam_scores(exp, gradcam_layer) if gradcam else {}
        self._limits = Limits.of(exp.n_segments, exp.top_labels, gradcam=bool(cams))
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
        self._from_front_end = False
        self._rejected_rev = -1  # the rev at the last rejected front-end message: its error stays until a newer rev
        self._scores = ScoreBook(check("cache_size", cache_size, self._limits), self._lock)
        self._scores.cache.put(np.ones((1, exp.n_segments), dtype=bool), self._original[None])
        self._curves = CurveBook(self._jobs)
        self._last_probs = self._original
        self._last_mask = np.ones(exp.n_segments, dtype=bool)
        self._view_seen = False  # a view has sent a mask: someone may click, so pre-scoring is worth it
        self._prescore_on = (not on_jupyterhub()) if prescore is None else prescore
        self._picture = PictureCache()  # the static view's picture, drawn once per view displayed
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
        check_switch("prescore", value)
        with self._lock:  # a plan being made re-checks the flag under it before queueing
            self._prescore_on = value
            if not value:
                self._jobs.set_prescore([])
        if value:
            plan_prescore(self)

    @property
    def cache_size(self) -> int:
        """How many masks' scores are kept (least recently used dropped first); a positive integer."""
        return self._scores.cache.size

    @cache_size.setter
    def cache_size(self, value: int) -> None:
        self._scores.cache.size = check("cache_size", value, self._limits)

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
        return self._scores.forward_passes

    @property
    def background_passes(self) -> int:
        """How many masks the background work (curves, pre-scoring) sent to the model."""
        return self._scores.background_passes

    def wait_idle(self, timeout: float = 30.0, *, background: bool = False) -> bool:
        """Block until the newest mask is scored (background=True: and the curve and the pre-scoring), or timeout
        seconds pass. True when idle; at once after :meth:`close`. False at once from a callback in the thread it
        would wait for (the scorer; the background thread, with background=True)."""
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
        alpha = float(self.heatmap_opacity) if alpha is None else float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"to_png(alpha=...) must be between 0 and 1; got {alpha!r}")
        visible = np.asarray(self.visible, dtype=bool)
        data = view_png(self._exp, visible, int(self.selected_label), heatmap=bool(self.show_heatmap), alpha=alpha)
        if path is not None:
            atomic_write_bytes(path, data)
        return data

    def close(self) -> None:
        """Close the comm and stop every thread (a mask being scored is finished but not published; queued
        curve and pre-scoring work is dropped; a smallest-flip search stops before its next forward pass).

        An idle thread is woken and joined (up to ``close_join_s`` seconds), so it has ended when close() returns
        (called in an observer under the widget's lock, which it needs to wake: just after). A thread inside a
        model call is not waited for (the kernel stays responsive): it ends as soon as that call returns, without
        publishing. Never joined from one of these threads itself."""
        jobs = self.__dict__.get("_jobs")  # absent when __init__ failed before the scheduler existed
        if jobs is not None:
            jobs.close(self.close_join_s)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's display plus its static view (``_static_view``: a PNG of the view, an HTML figure with
        the top classes, text), which front ends that cannot run the widget show instead (a saved notebook on
        GitHub or nbviewer, Kaggle). Drawn once per view; a failure to draw it never fails the display."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if not self.static_view:
            return bundle
        return with_static(bundle, lambda: picture_entries(self._static_picture()), "lime_widget explorer")

    def _static_picture(self) -> Picture:
        """The view as it is now, as a picture (drawn at the view's size, cached until the view changes)."""
        return widget_picture(self)

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
        """Apply state sent by the front end, after validating it (``_messages``, ``_traits.screen``).

        Anything the front end may not write, and any bad value, is dropped; the rest of the message is
        applied, the problem is shown in ``error`` (status "error") and the kernel's true values are re-sent.
        """
        apply_state(self, sync_data, super().set_state)

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Requests from the front end that are not state: only ``{"type": "minimal_flip"}``."""
        if is_flip_request(content):
            self.find_flip()
        else:
            reject_request(self, content)

    def notify_change(self, change: Any) -> None:
        """Send a mask set from Python together with its new ``rev`` in one message.

        ipywidgets sends a trait before its observers run; without this, the view would hold the new mask with
        the old ``rev`` for a moment and could take the old mask's scores for the new one. Every change is
        sent under the widget's lock: ipywidgets' held state is one set per widget, shared by every thread."""
        with self._lock:  # the scorer's publish holds it around its own hold_sync
            if change["name"] == "visible" and not self._from_front_end:
                with self.hold_sync():
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
        cached = self._scores.cache.get(mask)
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
            probs = self._scores.score(self._exp, mask)
            with self._lock:
                stale = self._jobs.pending is not None or self._jobs.closed
            if not stale:
                self._publish(mask, rev, probs)
        except Exception as err:  # every failure becomes a message in the widget
            log.exception("scoring failed")
            self._report(f"scoring failed: {type(err).__name__}: {err}")

    def _publish(self, mask: np.ndarray, rev: int, probs: np.ndarray) -> None:
        """Show the scores probs (C,) of ``mask`` at ``rev``: the traits of a scored mask, written together."""
        entry = history_entry(self._exp, mask, rev, int(self.selected_label), probs, self._original)
        with self._lock:
            if rev != self.rev or self._jobs.closed:  # a newer mask came meanwhile (answered, or queued): never go back
                return
            self._last_probs = probs
            self._last_mask = mask
            with self.hold_sync():
                self.scores = score_rows(self._exp, probs, self._original_top)
                self.surrogate = [self._exp.surrogate_prediction(mask, c) for c in self._exp.top_labels]
                self.history = with_entry(self.history, entry)
                if rev > self._rejected_rev:  # a rejected message's error stays until a newer mask is scored
                    self.error = ""
                    self.status = "ready"
                else:
                    self.status = "error"
                self.scored_rev = rev
        plan_prescore(self, rev)

    # ------------------------------------------------------------------ pre-scoring (``_prescore``)
    def neighbours(self, mask: Any = None) -> np.ndarray:
        """The masks one click away from ``mask`` (default: the mask scored last), most likely first:
        bool (n, K). Hide the top k, keep the top k (by the map on show, as the view's buttons), invert, then
        each single toggle: hiding one more shown superpixel first (probing mostly hides), then showing a hidden
        one again, each by decreasing |weight|. At most ``prescore_limit``, without repeats."""
        return widget_neighbours(self, mask)

    def _on_ranking_change(self, _change: dict[str, Any]) -> None:
        """The top-k masks depend on the class, k and the map on show: plan the pre-scoring again."""
        plan_prescore(self)

    # ------------------------------------------------------------------ curves (``_curve``)
    def _on_curve_change(self, _change: dict[str, Any]) -> None:
        """Show the finished curve for (class, ranking, mode), or start scoring it in the background."""
        with self._lock:  # the background thread publishes curves under this lock too: the newest request wins
            key = (int(self.selected_label), str(self.curve_ranking), str(self.curve_mode)) if self.show_curve else None
            if (state := self._curves.request(key, self._exp, self._cams, self._scores.cache.get)) is not None:
                self.curve = state  # cached points shown at once

    # ------------------------------------------------------------------ smallest flip (``_flip``)
    def find_flip(self, *, wait: bool = False, timeout: float | None = None) -> MinimalFlip | None:
        """Search (``lw.minimal_flip``) a small set of superpixels whose hiding changes the top class away from
        the tracked class, within ``flip_budget`` forward passes, and show it in the widget (``flip``).

        Runs in a background thread, so clicks stay answered (each click pauses it); a search already running
        (from the view or from Python) is not started again. wait=True blocks until the running search is done
        (or ``timeout`` seconds pass) and returns its result, else None; from a callback in the widget's scorer or
        flip thread it would wait for itself, and raises RuntimeError (use wait=False). close() stops it.
        """
        return request_flip(self, wait=wait, timeout=timeout)


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
    check_switch("gradcam", gradcam)
    check_switch("prescore", prescore, automatic=True)
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
