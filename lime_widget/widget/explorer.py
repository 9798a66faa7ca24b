"""The interactive widget (anywidget): click a superpixel to hide it and see the model re-scored live.

Protocol: docs/protocol.md. State lives in synced traits. The front end writes ``visible`` and ``rev``
(and the view settings ``selected_label``, ``show_heatmap``, ``heatmap_opacity``, ``heatmap_method``,
``top_k``, ``show_curve``, ``curve_ranking``, ``curve_mode``); every message from it is validated in
:meth:`LimeWidget.set_state`. A mask whose scores are cached is answered at once; otherwise the scorer
thread scores the newest mask only (latest click wins). Either way ``scores``, ``surrogate``, ``history`` and
``scored_rev`` are written together. A second thread, at the lowest CPU priority and never while a click
waits or is being scored, does the background work in small batches: the deletion/insertion curve on show
(``curve``) and the pre-scoring of the masks one click away from the current one, whose scores it sends to
the front end (a ``scores`` message), so most clicks are answered at once. The threads hold only a weak
reference to the widget and exit when the widget is closed or collected, or after ``scorer_idle_s`` seconds
without work (the next job starts a new one).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..analysis.sensitivity import (
    MinimalFlip,
    curve_area,
    curve_counts,
    minimal_flip,
    prefix_masks,
    ranking_from_weights,
)
from ..core.images import display_size, encode_png, resize_image, resize_nearest
from ..core.rankings import random_ranking
from ..core.segmentation import boundary_mask
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..models.threads import on_jupyterhub

log = logging.getLogger("lime_widget")
STATIC = Path(__file__).parent.parent / "static"
N_TOP_ROWS = 10
CONFIDENCE_K = 5  # the top-k of the hover's "in the top 5 in N% of refits" and the panel's stability
HISTORY_LIMIT = 200
FRONT_END_TRAITS = frozenset(
    {
        "visible",
        "rev",
        "selected_label",
        "show_heatmap",
        "heatmap_opacity",
        "heatmap_method",
        "top_k",
        "show_curve",
        "curve_ranking",
        "curve_mode",
    }
)
#: The maps the heatmap can show: LIME's weights, or Grad-CAM averaged over each superpixel (``gradcam=True``).
HEATMAP_METHODS = ("lime", "gradcam")
#: The orders a curve can hide superpixels in: LIME's weights, Grad-CAM (``gradcam=True``), a random order.
CURVE_RANKINGS = ("lime", "gradcam", "random")
CURVE_MODES = ("deletion", "insertion")
#: A curve has at most this many points (one per superpixel up to K = 100; evenly spaced counts above).
MAX_CURVE_POINTS = 101
#: The heatmap's opacity over the photo when nobody chose one (the opacity slider, ``heatmap_opacity``).
DEFAULT_HEATMAP_OPACITY = 0.45
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: a larger rev cannot round-trip
MAX_LISTED_PROBLEMS = 5


class FrontEndNotBuiltError(RuntimeError):
    """The JavaScript bundle is missing (a source checkout where ``npm run build`` has not run)."""


@dataclass
class _CurveJob:
    """A curve being scored: key (class id, ranking, mode); order: int64 (K,) the ranking, best first; counts:
    int64 (s+1,) superpixels hidden (deletion) or shown (insertion) per point; masks: bool (s+1, K); scores:
    float64 (s+1,) the class' model score per point, NaN until scored."""

    key: tuple[int, str, str]
    order: np.ndarray
    counts: np.ndarray
    masks: np.ndarray
    scores: np.ndarray
    published: float = 0.0  # time.monotonic() of the last partial publication


@dataclass
class _Jobs:
    """The work of a widget's two threads, shared with them; it holds no reference to the widget, so the threads
    never keep the widget alive. The scorer thread takes the newest click only (only the newest ``(mask, rev)``
    is kept). The background thread takes the curve on show, else the masks to pre-score (best first), and
    never starts a batch while a click waits or is being scored."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    pending: tuple[tuple[bool, ...], int] | None = None
    curve: _CurveJob | None = None
    prescore: list[np.ndarray] = field(default_factory=list)
    click_busy: bool = False
    background_busy: bool = False
    closed: bool = False
    thread: threading.Thread | None = None  # the scorer
    background: threading.Thread | None = None

    def has_background_work(self) -> bool:
        return self.curve is not None or bool(self.prescore)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.pending = None
            self.curve = None
            self.prescore = []
            self.cond.notify_all()


def _score_loop(ref: weakref.ReferenceType[LimeWidget], jobs: _Jobs, idle_s: float) -> None:
    """The scorer thread: takes the newest click and scores it through the widget (held only while scoring)."""
    while True:
        with jobs.cond:
            jobs.cond.wait_for(lambda: jobs.pending is not None or jobs.closed, timeout=idle_s)
            if jobs.closed or jobs.pending is None:  # closed, collected (finalizer) or idle: end this thread
                if jobs.thread is threading.current_thread():
                    jobs.thread = None
                return
            mask_t, rev = jobs.pending
            jobs.pending = None
            jobs.click_busy = True
        try:
            widget = ref()
            if widget is None:
                jobs.close()
            else:
                widget._score_and_publish(mask_t, rev)
        finally:
            widget = None  # never hold the widget while waiting
            with jobs.cond:
                jobs.click_busy = False
                jobs.cond.notify_all()


def _lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: threads are scheduled, and niced, one by one), so
    that background work only uses CPU time nothing else wants: clicks, the kernel, the browser. The model's
    worker threads this thread starts inherit it. Elsewhere, or when refused, nothing changes."""
    import os

    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:  # pragma: no cover - a sandbox that forbids it
            pass


def _background_loop(ref: weakref.ReferenceType[LimeWidget], jobs: _Jobs, idle_s: float, batch: int) -> None:
    """The background thread, at the lowest priority: one batch of the curve on show, else of the masks to
    pre-score, at a time, and none while a click waits or is being scored."""
    _lower_priority()
    while True:
        with jobs.cond:

            def ready() -> bool:
                return jobs.closed or (jobs.has_background_work() and jobs.pending is None and not jobs.click_busy)

            if not jobs.cond.wait_for(ready, timeout=idle_s) and jobs.has_background_work() and not jobs.closed:
                continue  # clicks kept it waiting: the work is still there
            idle = jobs.closed or not jobs.has_background_work()
            if idle:  # closed or idle: end this thread
                if jobs.background is threading.current_thread():
                    jobs.background = None
                if jobs.closed:
                    return
            else:
                curve, masks = jobs.curve, []
                if curve is None:
                    masks, jobs.prescore = jobs.prescore[:batch], jobs.prescore[batch:]
                jobs.background_busy = True
        if idle:
            # The work went away (the curve closed, a plan with nothing to score): send what was kept back.
            widget = ref()
            if widget is not None:
                widget._flush_scores()
            return
        try:
            widget = ref()
            if widget is None:
                jobs.close()
            else:
                if curve is not None:
                    widget._advance_curve(curve, batch)
                else:
                    widget._prescore(masks)
                with jobs.cond:
                    done = not jobs.has_background_work()
                if done:  # what was kept back for a larger message goes now
                    widget._flush_scores()
        finally:
            widget = None
            with jobs.cond:
                jobs.background_busy = False
                jobs.cond.notify_all()


class LimeWidget(anywidget.AnyWidget):
    """Interactive LIME explorer for one :class:`Explanation`.

    Click a superpixel to hide or show it: the model is re-scored on exactly that masked image and the view
    shows the class scores next to the original ones and next to the linear surrogate's prediction.

    Python API: ``w.visible`` (list of K bools; assign to change the mask from code), ``w.scores`` (rows
    for the last scored mask), ``w.probabilities`` (all C scores), ``w.explanation``, ``w.to_png()``,
    ``w.wait_idle()``.

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

    #: seconds the scorer thread waits for a new mask before it exits (the next mask starts a new thread)
    scorer_idle_s: float = 10.0
    #: seconds close() waits for an idle scorer thread to end (one inside a model call is not waited for)
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

    visible = traitlets.List(traitlets.Bool()).tag(sync=True)
    rev = traitlets.Int(0).tag(sync=True)
    selected_label = traitlets.Int(0).tag(sync=True)
    show_heatmap = traitlets.Bool(True).tag(sync=True)
    heatmap_method = traitlets.Enum(HEATMAP_METHODS, "lime").tag(sync=True)
    heatmap_opacity = traitlets.Float(DEFAULT_HEATMAP_OPACITY, min=0.0, max=1.0).tag(sync=True)
    top_k = traitlets.Int(5).tag(sync=True)

    scores = traitlets.List(traitlets.Dict()).tag(sync=True)
    surrogate = traitlets.List(traitlets.Float()).tag(sync=True)
    scored_rev = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("ready").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    history = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: the last smallest-flip search: {} before any; {"state": "running", "label"}; {"state": "done", ...}
    flip = traitlets.Dict().tag(sync=True)
    #: whether the deletion/insertion curve is shown (and so scored)
    show_curve = traitlets.Bool(False).tag(sync=True)
    curve_ranking = traitlets.Unicode("lime").tag(sync=True)
    curve_mode = traitlets.Enum(CURVE_MODES, "deletion").tag(sync=True)
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
        if not (STATIC / "widget.js").exists():
            raise FrontEndNotBuiltError(
                f"the widget's JavaScript bundle is missing ({STATIC / 'widget.js'}); in a source checkout run "
                "`npm install && npm run build`, or reinstall with `pip install -e .`"
            )
        exp = explanation
        cams = _gradcam_scores(exp, gradcam_layer) if gradcam else {}
        self._exp = exp
        self._cams = cams
        self._original = exp.probabilities.copy()
        self._original_top = np.argsort(-self._original, kind="stable")[:N_TOP_ROWS].tolist()
        self._jobs = _Jobs()
        # collected without close(): stop the scorer thread (the finalizer holds the queue, not the widget)
        self._finalizer = weakref.finalize(self, self._jobs.close)
        self._state_lock = threading.RLock()
        self._forward_passes = 0
        self._background_passes = 0
        self._from_front_end = False
        self._rejected_rev = -1  # the rev at the last rejected front-end message: its error stays until a newer rev
        self._cache_size = int(cache_size)
        self._cache_lock = threading.Lock()  # the scorer thread fills the cache; the comm thread reads it too
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache[_key(np.ones(exp.n_segments, dtype=bool))] = self._original
        self._sent: set[bytes] = set()  # masks whose scores the front end was sent
        self._outbox: list[dict[str, Any]] = []  # scores of masks not sent yet (see _send_scores)
        self._outbox_sent = 0.0
        self._outbox_lock = threading.Lock()
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
        self._flip_thread: threading.Thread | None = None
        _replace_in_cell(self)

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
            with self._jobs.cond:
                self._jobs.prescore = []

    @traitlets.default("_esm")
    def _default_esm(self) -> str:
        return (STATIC / "widget.js").read_text(encoding="utf-8")

    @traitlets.default("_css")
    def _default_css(self) -> str:
        return (STATIC / "widget.css").read_text(encoding="utf-8")

    # ------------------------------------------------------------------ public API
    @property
    def explanation(self) -> Explanation:
        return self._exp

    @property
    def heatmap_methods(self) -> tuple[str, ...]:
        """The maps this widget can show: ``("lime",)``, plus ``"gradcam"`` when made with ``gradcam=True``."""
        return ("lime", "gradcam") if self.classes and "gradcam" in self.classes[0] else ("lime",)

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

    @property
    def rankings(self) -> tuple[str, ...]:
        """The orders a curve can use: ``("lime", "random")``, plus ``"gradcam"`` with ``gradcam=True``."""
        return ("lime", "gradcam", "random") if self._cams else ("lime", "random")

    def wait_idle(self, timeout: float = 30.0, *, background: bool = False) -> bool:
        """Block until the newest mask is scored (or timeout seconds pass). Returns True when idle; at once
        after :meth:`close`. background=True also waits for the curve and the pre-scoring to finish."""
        jobs = self._jobs

        def idle() -> bool:
            if jobs.closed:
                return True
            clicks_done = jobs.pending is None and not jobs.click_busy
            if background:
                return clicks_done and not jobs.has_background_work() and not jobs.background_busy
            return clicks_done

        with jobs.cond:
            return jobs.cond.wait_for(idle, timeout=timeout)

    @property
    def scorer_thread(self) -> threading.Thread | None:
        """The running scorer thread, or None (none started yet, idle for ``scorer_idle_s``, or closed)."""
        return self._jobs.thread

    @property
    def background_thread(self) -> threading.Thread | None:
        """The running background thread (curves, pre-scoring), or None (no such work for ``scorer_idle_s``)."""
        return self._jobs.background

    def to_png(self, path: str | Path | None = None, *, alpha: float | None = None) -> bytes:
        """PNG of the current view (masked image, heatmap of the selected class if shown, boundaries).

        alpha: the heatmap's opacity in 0..1; None: the widget's ``heatmap_opacity`` (its slider)."""
        exp = self._exp
        alpha = float(self.heatmap_opacity) if alpha is None else float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"to_png(alpha=...) must be between 0 and 1; got {alpha!r}")
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
        """Close the comm and stop the scorer and background threads (a mask being scored is finished but not
        published; queued curve and pre-scoring work is dropped).

        An idle thread is woken and joined (up to ``close_join_s`` seconds), so it has ended when close()
        returns. A thread inside a model call is not waited for (the kernel stays responsive): it ends as soon
        as that call returns, without publishing. Never joined from one of these threads itself (where the last
        reference was dropped)."""
        jobs = self.__dict__.get("_jobs")  # absent when __init__ failed before the queue existed
        if jobs is not None:
            with jobs.cond:
                idle = [
                    t
                    for t, busy in ((jobs.thread, jobs.click_busy), (jobs.background, jobs.background_busy))
                    if t is not None and not busy and t is not threading.current_thread()
                ]
            jobs.close()
            for thread in idle:
                thread.join(timeout=self.close_join_s)
        super().close()

    # ------------------------------------------------------------------ validation of front-end messages
    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the front end, after validating it.

        The front end may write only ``visible`` + ``rev`` (a new mask with a newer revision; an exact repeat of
        the current pair is ignored), ``selected_label``, ``show_heatmap``, ``heatmap_opacity``,
        ``heatmap_method``, ``top_k``, ``show_curve``, ``curve_ranking`` and ``curve_mode``. Anything else, and any
        bad value, is dropped; the rest of the message is applied, the problem is shown in ``error`` (status
        "error") and the kernel's true values are re-sent.
        """
        if not isinstance(sync_data, dict):
            self._reject([f"a widget message must be an object; got {_describe(sync_data)}"], set())
            return
        with self._state_lock:
            data, problems, resend = self._screen(sync_data)
            if data:
                # observers run inside super().set_state: the flag tells them the front end wrote the change
                self._from_front_end = True
                try:
                    super().set_state(data)
                except traitlets.TraitError as err:  # a check _screen missed: still never a silent drop
                    problems.append(str(err))
                    resend.update(data)
                finally:
                    self._from_front_end = False
            if problems:
                self._reject(problems, resend)

    def _screen(self, sync_data: dict[str, Any]) -> tuple[dict[str, Any], list[str], set[str]]:
        """Split a front-end message into what may be applied, the problems found and the traits to re-send."""
        data: dict[str, Any] = {}
        problems: list[str] = []
        resend: set[str] = set()
        keys = set(self.keys)
        for name, value in sync_data.items():
            if name in FRONT_END_TRAITS:
                data[name] = value
            elif name == "_view_count" and self._view_count is not None and _is_count(value):
                data[name] = value  # ipywidgets' views count themselves once Python turned the count on
            elif name in keys:
                problems.append(f"{name} is set by Python; the view cannot change it")
                resend.add(name)
            else:
                problems.append(f"{_short(name)} is not a field of this widget")
        k = self.n_segments
        mask_problem = None
        if "visible" in data:
            v = data["visible"]
            if not isinstance(v, list) or len(v) != k:
                mask_problem = f"visible must be a list of {k} booleans; got {_describe(v)}"
            else:
                bad = next((i for i, x in enumerate(v) if not isinstance(x, bool)), None)
                if bad is not None:
                    mask_problem = f"visible must hold only true/false values; visible[{bad}] is {_describe(v[bad])}"
        if mask_problem is None and "rev" in data:
            r = data["rev"]
            if not isinstance(r, int) or isinstance(r, bool):
                mask_problem = f"rev must be an integer; got {_describe(r)}"
            elif r > MAX_SAFE_INTEGER:
                mask_problem = f"rev must be at most 2**53 - 1 (JavaScript's largest safe integer); got {_short(r)}"
            elif r == self.rev and data.get("visible", list(self.visible)) == list(self.visible):
                # A repeat of the kernel's own mask and rev changes nothing. marimo delivers every front-end
                # update twice (through the comm and again as the UI element's value): drop it silently.
                data.pop("visible", None)
                data.pop("rev", None)
            elif r <= self.rev:
                mask_problem = f"rev {_short(r)} is not newer than the current rev {self.rev}"
        elif mask_problem is None and "visible" in data and data["visible"] != list(self.visible):
            mask_problem = "visible changed without a new rev (send rev + 1 with every change of visible)"
        if mask_problem is not None:
            problems.append(mask_problem)
            data.pop("visible", None)
            data.pop("rev", None)
            resend.update(("visible", "rev"))
        if "selected_label" in data:
            c = data["selected_label"]
            if not isinstance(c, int) or isinstance(c, bool) or c not in self._exp.top_labels:
                problems.append(
                    f"selected_label {_describe(c)} was not explained; choose one of {list(self._exp.top_labels)}"
                )
                data.pop("selected_label")
                resend.add("selected_label")
        if "show_heatmap" in data and not isinstance(data["show_heatmap"], bool):
            problems.append(f"show_heatmap must be true or false; got {_describe(data['show_heatmap'])}")
            data.pop("show_heatmap")
            resend.add("show_heatmap")
        if "heatmap_opacity" in data:
            o = data["heatmap_opacity"]
            if isinstance(o, bool) or not isinstance(o, (int, float)) or not 0.0 <= o <= 1.0:  # NaN fails too
                problems.append(f"heatmap_opacity must be a number between 0 and 1; got {_describe(o)}")
                data.pop("heatmap_opacity")
                resend.add("heatmap_opacity")
            else:
                data["heatmap_opacity"] = float(o)
        if "heatmap_method" in data:
            m = data["heatmap_method"]
            available = self.heatmap_methods
            if not isinstance(m, str) or m not in available:
                problems.append(f"heatmap_method must be one of {list(available)}; got {_describe(m)}")
                data.pop("heatmap_method")
                resend.add("heatmap_method")
        if "top_k" in data:
            t = data["top_k"]
            if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= k:
                problems.append(f"top_k must be an integer between 1 and {k}; got {_describe(t)}")
                data.pop("top_k")
                resend.add("top_k")
        if "show_curve" in data and not isinstance(data["show_curve"], bool):
            problems.append(f"show_curve must be true or false; got {_describe(data['show_curve'])}")
            data.pop("show_curve")
            resend.add("show_curve")
        for name, allowed in (("curve_ranking", self.rankings), ("curve_mode", CURVE_MODES)):
            if name in data and (not isinstance(data[name], str) or data[name] not in allowed):
                problems.append(f"{name} must be one of {list(allowed)}; got {_describe(data[name])}")
                data.pop(name)
                resend.add(name)
        return data, problems, resend

    def _reject(self, problems: list[str], resend: set[str]) -> None:
        """Show why a front-end message was (partly) rejected and re-send the kernel's values."""
        shown = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"and {len(problems) - len(shown)} more problems")
        with self._state_lock:
            self._rejected_rev = int(self.rev)
            self._report("rejected a message from the widget: " + "; ".join(shown))
        if resend:
            self.send_state(sorted(resend))

    @traitlets.validate("heatmap_method")
    def _validate_heatmap_method(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value not in self.heatmap_methods:
            raise traitlets.TraitError(
                f"heatmap_method {value!r} is not available; this widget has {list(self.heatmap_methods)} "
                "(make it with gradcam=True for Grad-CAM)"
            )
        return str(value)

    @traitlets.validate("curve_ranking")
    def _validate_curve_ranking(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value not in self.rankings:
            raise traitlets.TraitError(
                f"curve_ranking {value!r} is not available; this widget has {list(self.rankings)} "
                "(make it with gradcam=True for Grad-CAM)"
            )
        return str(value)

    def notify_change(self, change: Any) -> None:
        """Send a mask set from Python together with its new ``rev`` in one message.

        ipywidgets sends a trait before its observers run; without this, the view would hold the new mask with
        the old ``rev`` for a moment and could take the old mask's scores for the new one."""
        if change["name"] == "visible" and not self._from_front_end:
            # The lock keeps the scorer's publish (which holds it around its own hold_sync) out of this message.
            with self._state_lock, self.hold_sync():
                super().notify_change(change)
        else:
            super().notify_change(change)

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
        if change["name"] == "visible":
            # Only the rev observer enqueues: a front-end message changes visible and rev together (both observers
            # fire, after the whole message), and Python code that sets the mask gets a new rev here.
            if not self._from_front_end:
                with self._state_lock:
                    self.rev = self.rev + 1  # so the view never shows a stale score
            return
        mask = np.fromiter((bool(x) for x in self.visible), dtype=bool, count=len(self.visible))
        rev = int(self.rev)
        if self._from_front_end:
            self._view_seen = True
        jobs = self._jobs
        cached = self._cached(mask)
        with jobs.cond:
            if jobs.closed:
                return
            # A newer mask supersedes any waiting one; a cached one is answered here, without the thread.
            jobs.pending = None if cached is not None else (tuple(mask.tolist()), rev)
            if cached is None:
                self._wake_scorer()
        if cached is not None:
            self._publish(mask, rev, cached)
        elif self.status != "scoring":
            with self._state_lock:
                self.status = "scoring"

    def _wake_scorer(self) -> None:
        """Start the scorer thread if none runs, and wake it. Call with ``self._jobs.cond`` held."""
        jobs = self._jobs
        if jobs.thread is None:
            jobs.thread = threading.Thread(
                target=_score_loop,
                args=(weakref.ref(self), jobs, float(self.scorer_idle_s)),
                name="lime-widget-scorer",
                daemon=True,
            )
            jobs.thread.start()
        jobs.cond.notify_all()

    def _wake_background(self) -> None:
        """Start the background thread if none runs, and wake it. Call with ``self._jobs.cond`` held."""
        jobs = self._jobs
        if jobs.background is None:
            jobs.background = threading.Thread(
                target=_background_loop,
                args=(weakref.ref(self), jobs, float(self.scorer_idle_s), max(1, int(self.background_batch))),
                name="lime-widget-background",
                daemon=True,
            )
            jobs.background.start()
        jobs.cond.notify_all()

    def _score_and_publish(self, mask_t: tuple[bool, ...], rev: int) -> None:
        """Run in the scorer thread: score one mask and publish it unless a newer one is waiting."""
        try:
            mask = np.asarray(mask_t, dtype=bool)
            probs = self._score(mask)
            with self._jobs.cond:
                stale = self._jobs.pending is not None or self._jobs.closed
            if not stale:
                self._publish(mask, rev, probs)
        except Exception as err:  # every failure becomes a message in the widget
            log.exception("scoring failed")
            self._report(f"scoring failed: {type(err).__name__}: {err}")

    def _cached(self, mask: np.ndarray) -> np.ndarray | None:
        key = _key(mask)
        with self._cache_lock:
            probs = self._cache.get(key)
            if probs is not None:
                self._cache.move_to_end(key)
            return probs

    def _remember(self, masks: np.ndarray, probs: np.ndarray) -> None:
        """Cache the scores probs (n, C) of masks bool (n, K)."""
        with self._cache_lock:
            for m, p in zip(masks, probs, strict=True):
                self._cache[_key(m)] = p
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _score(self, mask: np.ndarray) -> np.ndarray:
        cached = self._cached(mask)
        if cached is not None:
            return cached
        self._forward_passes += 1
        probs = self._exp.rescore(mask)
        self._remember(mask[None], probs[None])
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
        with self._state_lock:
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
        return _score_rows(self._exp, probs, self._original_top)

    # ------------------------------------------------------------------ pre-scoring
    def _ranking_scores(self, method: str | None = None) -> np.ndarray:
        """The per-superpixel scores the top-k actions rank by: (K,) LIME weights or Grad-CAM of the tracked
        class (NaN: no score), for the map on show (or ``method``)."""
        label = int(self.selected_label)
        if (method or self.heatmap_method) == "gradcam" and label in self._cams:
            return np.asarray(self._cams[label], dtype=np.float64)
        return np.asarray(self._exp.weights(label), dtype=np.float64)

    def neighbours(self, mask: Any = None) -> np.ndarray:
        """The masks one click away from ``mask`` (default: the mask scored last), most likely first:
        bool (n, K). Hide the top k, keep the top k (by the map on show, as the view's buttons), invert, then
        each single toggle: hiding one more shown superpixel first (probing mostly hides), then showing a hidden
        one again, each by decreasing |weight|. At most ``prescore_limit``, without repeats."""
        m = self._last_mask if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (self.n_segments,):
            raise ValueError(f"mask must have one entry per superpixel, shape ({self.n_segments},); got {m.shape}")
        scores = self._ranking_scores()
        top = _top_k_positive(scores, int(self.top_k))
        hide_top = np.ones_like(m)
        hide_top[top] = False
        keep_top = np.zeros_like(m)
        keep_top[top] = True
        size = np.abs(np.nan_to_num(np.asarray(self._exp.weights(int(self.selected_label)), dtype=np.float64)))
        order = np.lexsort((-size, ~m))  # shown (m True) first, then by decreasing |weight|
        toggles = np.repeat(m[None], order.size, axis=0)
        toggles[np.arange(order.size), order] = ~m[order]
        out: list[np.ndarray] = []
        seen = {_key(m)}
        limit = max(0, int(self.prescore_limit))
        for cand in [hide_top, keep_top, ~m, *toggles]:
            if len(out) >= limit:
                break
            key = _key(cand)
            if key not in seen:
                seen.add(key)
                out.append(cand)
        return np.array(out, dtype=bool).reshape(len(out), m.size)

    def _plan_prescore(self, rev: int | None = None) -> None:
        """Queue the masks one click away from the mask scored last (replacing the last plan); send the view
        the scores of those already cached. Only once a view has sent a mask: without one nobody clicks.
        rev: the mask just published; its plan is dropped if a newer mask came meanwhile (that one plans)."""
        if not self.prescore or not self._view_seen:
            return
        try:
            todo, known, known_probs = [], [], []
            for cand in self.neighbours():
                probs = self._cached(cand)
                if probs is None:
                    todo.append(cand)
                elif _key(cand) not in self._sent:
                    known.append(cand)
                    known_probs.append(probs)
            if known:
                self._send_scores(np.array(known), np.array(known_probs))
        except Exception as err:
            log.exception("planning the pre-scoring failed")
            self._report(f"pre-scoring failed: {type(err).__name__}: {err}")
            return
        jobs = self._jobs
        with jobs.cond:
            if jobs.closed or (rev is not None and rev != self.rev):
                return
            jobs.prescore = todo
            if todo:
                self._wake_background()

    def _prescore(self, masks: list[np.ndarray]) -> None:
        """Run in the background thread: score one batch of masks one click away, send the scores to the view."""
        m = np.array([x for x in masks if self._cached(x) is None], dtype=bool)
        if not m.size:
            return
        try:
            probs = self._exp.rescore_many(m, batch_size=len(m))
        except Exception as err:
            log.exception("pre-scoring failed")
            with self._jobs.cond:
                self._jobs.prescore = []
            self._report(f"pre-scoring failed: {type(err).__name__}: {err}")
            return
        self._background_passes += len(m)
        self._remember(m, probs)
        self._send_scores(m, probs, flush=False)

    def _send_scores(self, masks: np.ndarray, probs: np.ndarray, *, flush: bool = True) -> None:
        """Send the view the model's scores of masks bool (n, K) (probs (n, C)) in a ``scores`` message.

        flush=False: keep them for the next message unless ``send_interval_s`` has passed since the last one
        (background work sends a few larger messages rather than many small ones)."""
        entries = [
            {"hidden": [int(i) for i in np.flatnonzero(~m)], "scores": self._rows(p)}
            for m, p in zip(masks, probs, strict=True)
        ]
        if len(self._sent) > 4 * self._cache_size:  # bounded: forget, at worst a mask is sent twice
            self._sent.clear()
        self._sent.update(_key(m) for m in masks)
        with self._outbox_lock:
            self._outbox.extend(entries)
            now = time.monotonic()
            if not self._outbox or (not flush and now - self._outbox_sent < self.send_interval_s):
                return
            out, self._outbox = self._outbox, []
            self._outbox_sent = now
        self.send({"type": "scores", "entries": out})

    def _flush_scores(self) -> None:
        """Send what ``_send_scores`` kept back (when the background work ran out)."""
        self._send_scores(np.zeros((0, self.n_segments), dtype=bool), np.zeros((0, 1)), flush=True)

    def _on_ranking_change(self, _change: dict[str, Any]) -> None:
        """The top-k masks depend on the class, k and the map on show: plan the pre-scoring again."""
        self._plan_prescore()

    # ------------------------------------------------------------------ curves
    def _curve_order(self, label: int, ranking: str) -> np.ndarray:
        """The ranking of a curve: int64 (K,) superpixel ids, best first."""
        if ranking == "random":
            return random_ranking(self._exp.n_segments, self._exp.seed)
        if ranking == "gradcam":
            return ranking_from_weights(np.asarray(self._cams[label], dtype=np.float64))
        return ranking_from_weights(self._exp.weights(label))

    def _curve_state(self, job: _CurveJob, state: str) -> dict[str, Any]:
        label, ranking, mode = job.key
        done = state == "done"
        return {
            "state": state,
            "label": label,
            "label_name": self._exp.class_names[label],
            "ranking": ranking,
            "mode": mode,
            "order": [int(i) for i in job.order],
            "counts": [int(c) for c in job.counts],
            "scores": [None if np.isnan(x) else float(x) for x in job.scores],
            "area": curve_area(job.counts, self._exp.n_segments, job.scores) if done else None,
            "message": "",
        }

    def _on_curve_change(self, _change: dict[str, Any]) -> None:
        """Show the finished curve for (class, ranking, mode), or start scoring it in the background."""
        with self._state_lock:  # the scorer publishes curves under this lock too: the newest request wins
            self._request_curve()

    def _request_curve(self) -> None:
        jobs = self._jobs
        if not self.show_curve:
            with jobs.cond:
                jobs.curve = None
            return
        key = (int(self.selected_label), str(self.curve_ranking), str(self.curve_mode))
        if key in self._curves:
            with jobs.cond:
                jobs.curve = None
            self.curve = self._curves[key]
            return
        with jobs.cond:
            if jobs.curve is not None and jobs.curve.key == key:
                return
        order = self._curve_order(key[0], key[1])
        counts = curve_counts(self._exp.n_segments, min(self._exp.n_segments, MAX_CURVE_POINTS - 1))
        masks = prefix_masks(order, counts, key[2])  # type: ignore[arg-type]
        job = _CurveJob(key, order, counts, masks, np.full(len(counts), np.nan))
        for i, m in enumerate(masks):  # the points already scored are shown at once
            probs = self._cached(m)
            if probs is not None:
                job.scores[i] = probs[key[0]]
        self.curve = self._curve_state(job, "running")
        with jobs.cond:
            if jobs.closed:
                return
            jobs.curve = job
            self._wake_background()

    def _advance_curve(self, job: _CurveJob, batch: int) -> None:
        """Run in the background thread: fill the curve's cached points, score up to ``batch`` more, publish."""
        label = job.key[0]
        try:
            todo = [int(i) for i in np.flatnonzero(np.isnan(job.scores))]
            new = []
            for i in todo:
                probs = self._cached(job.masks[i])
                if probs is None:
                    new.append(i)
                else:
                    job.scores[i] = probs[label]
            new = new[:batch]
            if new:
                m = job.masks[new]
                probs = self._exp.rescore_many(m, batch_size=len(new))
                self._background_passes += len(new)
                self._remember(m, probs)
                job.scores[new] = probs[:, label]
                self._send_scores(m, probs, flush=False)
        except Exception as err:
            log.exception("scoring the curve failed")
            with self._state_lock:
                with self._jobs.cond:
                    current = self._jobs.curve is job
                    if current:
                        self._jobs.curve = None
                if current:
                    self.curve = {**self._curve_state(job, "error"), "message": f"{type(err).__name__}: {err}"}
            return
        done = not np.isnan(job.scores).any()
        if done:
            self._curves[job.key] = self._curve_state(job, "done")
        with self._state_lock:
            with self._jobs.cond:
                current = self._jobs.curve is job
                if done and current:
                    self._jobs.curve = None
            now = time.monotonic()
            if current and (done or now - job.published >= 0.15):  # partial curves at most ~7 times a second
                job.published = now
                self.curve = self._curves[job.key] if done else self._curve_state(job, "running")

    # ------------------------------------------------------------------ smallest flip
    def find_flip(self, *, wait: bool = False, timeout: float | None = None) -> MinimalFlip | None:
        """Search (``lw.minimal_flip``) a small set of superpixels whose hiding changes the top class away from
        the tracked class, within ``flip_budget`` forward passes, and show it in the widget (``flip``).

        Runs in a background thread, so clicks stay answered; a search already running is not started again.
        wait=True blocks until it is done (or ``timeout`` seconds pass) and returns the result, else None.
        """
        label = int(self.selected_label)
        budget = int(self.flip_budget)
        if budget < 1:
            raise ValueError(f"flip_budget must be a positive number of forward passes; got {budget}")
        result: list[MinimalFlip] = []
        with self._state_lock:
            thread = self._flip_thread
            if thread is None or not thread.is_alive():
                self.flip = {"state": "running", "label": label, "budget": budget}
                thread = threading.Thread(
                    target=self._run_flip, args=(label, budget, result), name="lime-widget-flip", daemon=True
                )
                self._flip_thread = thread
                thread.start()
        if not wait:
            return None
        thread.join(timeout)
        return result[0] if result else None

    def _run_flip(self, label: int, budget: int, out: list[MinimalFlip]) -> None:
        try:
            res = minimal_flip(self._exp, label, budget=budget)
        except Exception as err:  # shown in the widget, never lost in a thread
            log.exception("minimal_flip failed")
            with self._state_lock:
                self.flip = {"state": "error", "label": label, "message": f"{type(err).__name__}: {err}"}
            return
        out.append(res)
        with self._state_lock:
            self.flip = {
                "state": "done",
                "label": label,
                "label_name": res.label_name,
                "flipped": bool(res.flipped),
                "hidden": [int(i) for i in res.hidden],
                "size": res.size,
                "new_class": res.new_class,
                "new_class_name": res.new_class_name,
                "new_score": res.new_score,
                "greedy_size": res.greedy_size,
                "forward_passes": int(res.forward_passes),
                "budget": int(res.budget),
                "stop_reason": res.stop_reason,
            }

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Requests from the front end that are not state: only ``{"type": "minimal_flip"}``."""
        if isinstance(content, dict) and content.get("type") == "minimal_flip" and len(content) == 1:
            self.find_flip()
            return
        with self._state_lock:
            self._rejected_rev = int(self.rev)
            self._report(
                f'rejected a message from the widget: {_short(content)} is not a request; send {{"type": "minimal_flip"}}'
            )

    # ------------------------------------------------------------------ sharing
    def save_html(self, path: str | Path) -> Path:
        """Write the widget as it is now to one self-contained HTML file that opens offline, without a kernel.

        The file holds the image, the superpixels, every class' weights and heatmaps, the scores of the mask
        on screen and the probe history as recorded. Opened in a browser, superpixels still toggle; the model
        is not there, so the panel shows the surrogate's prediction for a new mask, labelled as the
        surrogate's, and no model score. The file makes no network requests. Returns the path written.
        """
        state = {name: getattr(self, name) for name in SHARED_TRAITS}
        return _write_html(state, path, title=f"lime_widget: {self._exp.class_names[int(self.selected_label)]}")


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


def _score_rows(exp: Explanation, probs: np.ndarray, original_top: list[int]) -> list[dict[str, Any]]:
    """Rows of the ``scores`` trait for class scores ``probs`` (C,): the top 10, every explained class and the
    original top 10, ordered by rank."""
    ranks = _ranks(probs)
    order = np.argsort(-probs, kind="stable")
    ids = list(dict.fromkeys([*order[:N_TOP_ROWS].tolist(), *exp.top_labels, *original_top]))
    ids.sort(key=lambda c: ranks[c])
    return [{"id": int(c), "name": exp.class_names[c], "prob": float(probs[c]), "rank": int(ranks[c])} for c in ids]


def explanation_state(
    exp: Explanation, *, max_display_side: int = 512, gradcam_scores: dict[int, np.ndarray] | None = None
) -> dict[str, Any]:
    """The synced traits of a fresh widget for ``exp`` (all shown, nothing probed yet), as the view reads them."""
    cams = gradcam_scores or {}
    k = exp.n_segments
    h, w = display_size(exp.segments.shape[0], exp.segments.shape[1], max_display_side)
    seg_small = resize_nearest(exp.segments, (h, w))
    dtype = "uint16" if k <= 65535 else "uint32"
    original = exp.probabilities
    original_top = np.argsort(-original, kind="stable")[:N_TOP_ROWS].tolist()
    rows = _score_rows(exp, original, original_top)
    return {
        "image_png": encode_png(resize_image(exp.image, (h, w))),
        "hidden_png": encode_png(resize_image(exp.fill, (h, w))),
        "segments_bytes": seg_small.astype("<u2" if dtype == "uint16" else "<u4").tobytes(),
        "segments_dtype": dtype,
        "width": w,
        "height": h,
        "classes": [_class_info(exp, c, float(original[c]), cams.get(c)) for c in exp.top_labels],
        "original_scores": rows,
        "visible": [True] * k,
        "rev": 0,
        "selected_label": int(exp.top_labels[0]),
        "scores": rows,
        "surrogate": [float(x) for x in exp.local_predictions],
        "scored_rev": 0,
    }


def explanation_html(exp: Explanation, path: str | Path, *, max_display_side: int = 512) -> Path:
    """Write ``exp`` as one self-contained, offline HTML explorer (see :meth:`LimeWidget.save_html`)."""
    if not isinstance(exp, Explanation):
        raise TypeError(f"explanation_html needs a lime_widget.Explanation; got {type(exp).__name__}")
    state = {
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
        **explanation_state(exp, max_display_side=max_display_side),
    }
    return _write_html(state, path, title=f"lime_widget: {exp.class_names[int(exp.top_labels[0])]}")


def _json_value(value: Any) -> Any:
    """``value`` as JSON: bytes as ``{"$bytes": base64}``, non-finite floats as null (what the view reads)."""
    if isinstance(value, bytes):
        import base64

        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def _write_html(state: dict[str, Any], path: str | Path, *, title: str) -> Path:
    import html
    import json
    import os
    import tempfile

    script = STATIC / "standalone.js"
    if not script.exists():
        raise FrontEndNotBuiltError(
            f"the standalone bundle is missing ({script}); in a source checkout run `npm install && npm run build`"
        )
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(f"save_html(path) needs a file name, got the folder {out}; e.g. {out / 'lime.html'}")
    if not out.parent.exists():
        raise FileNotFoundError(f"save_html(path): the folder {out.parent} does not exist; create it first")
    # "</" cannot appear inside a <script> element: escape it (a JSON string and JS code read "<\/" as "</").
    data = json.dumps({k: _json_value(v) for k, v in state.items()}, allow_nan=False).replace("</", "<\\/")
    code = script.read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (STATIC / "widget.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
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
    # Atomic: a file that exists is always whole.
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(doc)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


# ---------------------------------------------------------------------- one cell, one set of widgets
_CELL_REGISTRY_ATTR = "_lime_widget_cells"  # on the IPython shell: cell id -> (run key, weak refs to widgets)


def _current_cell() -> tuple[Any, str, object] | None:
    """``(shell, cell id, run key)`` of the IPython cell running now, or None (no IPython, no cell id known).

    The cell id is the front end's (``ExecutionInfo.cell_id``, which ipykernel fills from the request's
    ``metadata.cellId``; or that metadata itself). The run key tells one execution of a cell from the next."""
    ipython = sys.modules.get("IPython")  # never import IPython here: outside a shell there is nothing to do
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None:
        return None
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    cell_id = getattr(getattr(result, "info", None), "cell_id", None)
    run: object = id(result) if result is not None else None
    get_parent = getattr(shell, "get_parent", None)
    if callable(get_parent) and (not cell_id or run is None):
        try:
            parent = get_parent() or {}
            cell_id = cell_id or (parent.get("metadata") or {}).get("cellId")
            run = run if run is not None else (parent.get("header") or {}).get("msg_id")
        except Exception:  # a shell without a parent message: no cell id
            pass
    if not isinstance(cell_id, str) or not cell_id or run is None:
        return None
    return shell, cell_id, run


def _replace_in_cell(widget: LimeWidget) -> None:
    """Remember ``widget`` under the running cell; close the widgets an earlier run of that cell made.

    The registry lives on the shell (it ends with the kernel) and holds weak references only. Outside
    IPython, or when no cell id is known, nothing happens."""
    try:
        cell = _current_cell()
    except Exception:  # never let bookkeeping break making a widget
        log.debug("could not read the current cell", exc_info=True)
        return
    if cell is None:
        return
    shell, cell_id, run = cell
    registry: dict[str, tuple[object, list[weakref.ReferenceType[LimeWidget]]]] | None
    registry = getattr(shell, _CELL_REGISTRY_ATTR, None)
    if registry is None:
        registry = {}
        try:
            setattr(shell, _CELL_REGISTRY_ATTR, registry)
        except Exception:  # a shell that takes no attributes: nothing to remember
            return
    previous_run, refs = registry.get(cell_id, (None, []))
    if previous_run != run:  # a new run of this cell: the widgets of the last run are replaced
        old = [w for w in (r() for r in refs) if w is not None and w is not widget]
        refs = []
        for w in old:
            try:
                w.close()
            except Exception:
                log.debug("closing a replaced widget failed", exc_info=True)
    refs = [r for r in refs if r() is not None]
    refs.append(weakref.ref(widget))
    registry[cell_id] = (run, refs)
    for key in [k for k, (_, rs) in registry.items() if not any(r() is not None for r in rs)]:
        del registry[key]  # cells whose widgets are all gone


def _gradcam_scores(exp: Explanation, layer: Any) -> dict[int, np.ndarray]:
    """Grad-CAM of every explained class, averaged over the explanation's superpixels: class id -> (K,)."""
    from ..analysis.class_activation import gradcam, superpixel_scores
    from ..models.classifiers import TorchClassifier

    if not isinstance(exp.model, TorchClassifier):
        raise TypeError(
            "gradcam=True needs gradients, so it works with a lime_widget.TorchClassifier only (lw.load_model or "
            f"lw.TorchClassifier(module)); this explanation's model is a {type(exp.model).__name__}"
        )
    return {
        int(c): superpixel_scores(gradcam(exp.image, exp.model, label=int(c), layer=layer).pixel_map, exp.segments)
        for c in exp.top_labels
    }


def _key(mask: np.ndarray) -> bytes:
    """Cache key of a mask bool (K,)."""
    return np.packbits(mask).tobytes()


def _top_k_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k largest strictly positive scores, largest first, ties to the lower id: the superpixels
    the view's *hide / keep top k* buttons pick (js/src/core/masks.ts topKPositive). (K,) -> int64 (<= k,)."""
    s = np.asarray(scores, dtype=np.float64)
    ids = np.flatnonzero(s > 0)  # NaN is not > 0
    ids = ids[np.lexsort((ids, -s[ids]))]
    return ids[: max(0, int(k))].astype(np.int64)


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _class_info(exp: Explanation, label: int, original: float, cam: np.ndarray | None = None) -> dict[str, Any]:
    """An entry of the ``classes`` trait: the surrogate of one explained class and how sure it is, and its
    Grad-CAM scores per superpixel with their agreement with LIME's weights when ``cam`` is given."""
    row = exp.class_row(label)
    sure = exp.coef_draws is not None
    extra: dict[str, Any] = {}
    if cam is not None:
        from ..core.rankings import compare_rankings

        agree = compare_rankings(exp.coef[row], cam, k=min(CONFIDENCE_K, exp.n_segments))
        extra = {
            # NaN (a superpixel outside the model's centre crop) cannot travel as JSON: None, drawn uncoloured
            "gradcam": [_finite_or_none(x) for x in cam],
            "agreement": {
                "spearman": _finite_or_none(agree.spearman),
                "overlap": round(agree.top_k_overlap * agree.k),
                "k": int(agree.k),
            },
        }
    return {
        **extra,
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
    """A short description of a value from the front end, never its whole text."""
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return _short(value)
    if isinstance(value, str):
        return f"the string {_short(value)}"
    return type(value).__name__


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE_INTEGER


def _short(value: Any, limit: int = 40) -> str:
    """``repr`` of a value, cut to ``limit`` characters (a 2**70 or a key of a million characters included)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        from ..analysis.class_activation import _import_captum
        from ..models.classifiers import TorchClassifier
        from ..models.zoo import as_classifier

        _import_captum()  # ImportError naming the extra to install, before any forward pass
        model = as_classifier(model)
        if not isinstance(model, TorchClassifier):
            raise TypeError(
                "gradcam=True needs gradients, so it works with a torch model only (lw.load_model(name) or "
                f"lw.TorchClassifier(module)); got {type(model).__name__}"
            )
    explain_kwargs.setdefault("progress", True)
    return LimeWidget(
        explain(image, model, **explain_kwargs),
        max_display_side=max_display_side,
        gradcam=gradcam,
        gradcam_layer=gradcam_layer,
        prescore=prescore,
    )
