"""The explorer's live deletion/insertion curve: the points to score for (class, ranking, mode), the ``curve``
trait of a curve being scored or done (docs/protocol.md), :class:`CurveBook`, which keeps the finished
curves and tells the scheduler which curve to score, and the background thread's batches of the curve on show."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.curves import curve_area, curve_counts, prefix_masks, ranking_from_weights
from ..core.rankings import random_ranking
from ..engine.explanation import Explanation
from ._scores import send_scores

if TYPE_CHECKING:
    from ._scheduler import Scheduler
    from .explorer import LimeWidget

log = logging.getLogger("lime_widget")

#: a curve's key: (class id, ranking, mode)
CurveKey = tuple[int, str, str]

#: A curve has at most this many points (one per superpixel up to K = 100; evenly spaced counts above).
MAX_CURVE_POINTS = 101
#: seconds between two publications of a growing curve (at most ~7 a second)
PUBLISH_INTERVAL_S = 0.15


@dataclass
class CurveJob:
    """A curve being scored: key (class id, ranking, mode); order: int64 (K,) the ranking, best first; counts:
    int64 (s+1,) superpixels hidden (deletion) or shown (insertion) per point; masks: bool (s+1, K); scores:
    float64 (s+1,) the class' model score per point, NaN until scored."""

    key: CurveKey
    order: np.ndarray
    counts: np.ndarray
    masks: np.ndarray
    scores: np.ndarray
    published: float = 0.0  # time.monotonic() of the last partial publication

    def done(self) -> bool:
        return not bool(np.isnan(self.scores).any())

    def due(self) -> bool:
        """Whether a partial curve may be published now (and note that it is)."""
        now = time.monotonic()
        if now - self.published < PUBLISH_INTERVAL_S:
            return False
        self.published = now
        return True


def curve_order(exp: Explanation, cams: dict[int, np.ndarray], label: int, ranking: str) -> np.ndarray:
    """The ranking of a curve: int64 (K,) superpixel ids, best first."""
    if ranking == "random":
        return random_ranking(exp.n_segments, exp.seed)
    if ranking == "gradcam":
        return ranking_from_weights(np.asarray(cams[label], dtype=np.float64))
    return ranking_from_weights(exp.weights(label))


def new_curve_job(
    exp: Explanation,
    cams: dict[int, np.ndarray],
    key: CurveKey,
    cached: Callable[[np.ndarray], np.ndarray | None],
) -> CurveJob:
    """The job of the curve ``key`` = (class id, ranking, mode), with the points already in the cache
    (``cached(mask)`` -> scores (C,) or None) filled in."""
    order = curve_order(exp, cams, key[0], key[1])
    counts = curve_counts(exp.n_segments, min(exp.n_segments, MAX_CURVE_POINTS - 1))
    masks = prefix_masks(order, counts, key[2])  # type: ignore[arg-type]
    job = CurveJob(key, order, counts, masks, np.full(len(counts), np.nan))
    fill_cached(job, cached)
    return job


def fill_cached(job: CurveJob, cached: Callable[[np.ndarray], np.ndarray | None]) -> list[int]:
    """Fill the points whose scores are cached; returns the indices of the points still to score."""
    todo = []
    for i in np.flatnonzero(np.isnan(job.scores)):
        probs = cached(job.masks[i])
        if probs is None:
            todo.append(int(i))
        else:
            job.scores[i] = probs[job.key[0]]
    return todo


def advance(
    job: CurveJob, exp: Explanation, cached: Callable[[np.ndarray], np.ndarray | None], batch: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fill the curve's cached points and score up to ``batch`` more with ``exp``'s model; returns the masks
    scored, bool (n, K), and their scores (n, C) (n = 0 when every point was cached)."""
    new = fill_cached(job, cached)[:batch]
    if not new:
        return np.zeros((0, exp.n_segments), dtype=bool), np.zeros((0, exp.probabilities.shape[0]))
    masks = job.masks[new]
    probs = exp.rescore_many(masks, batch_size=len(new))
    job.scores[new] = probs[:, job.key[0]]
    return masks, probs


def curve_state(exp: Explanation, job: CurveJob, state: str, message: str = "") -> dict[str, Any]:
    """The ``curve`` trait of ``job`` in ``state`` ("running", "done" or "error" with ``message``)."""
    label, ranking, mode = job.key
    return {
        "state": state,
        "label": label,
        "label_name": exp.class_names[label],
        "ranking": ranking,
        "mode": mode,
        "order": [int(i) for i in job.order],
        "counts": [int(c) for c in job.counts],
        "scores": [None if np.isnan(x) else float(x) for x in job.scores],
        "area": curve_area(job.counts, exp.n_segments, job.scores) if state == "done" else None,
        "message": message,
    }


class CurveBook:
    """The curves of one widget: the finished ones by key, kept for the widget's life, and the one the scheduler
    scores. Every method runs under the widget's one lock (the scheduler's), so the newest request wins and
    returns the ``curve`` trait to show, or None to leave it as it is."""

    def __init__(self, jobs: Scheduler) -> None:
        self._jobs = jobs
        self.finished: dict[CurveKey, dict[str, Any]] = {}

    def request(
        self,
        key: CurveKey | None,
        exp: Explanation,
        cams: dict[int, np.ndarray],
        cached: Callable[[np.ndarray], np.ndarray | None],
    ) -> dict[str, Any] | None:
        """Show the curve ``key`` (None: the curve is hidden, stop scoring it): the finished one, or a new job
        with its cached points filled in (``cached(mask)`` -> scores (C,) or None) for the scheduler to score."""
        if key is None:
            self._jobs.set_curve(None)
            return None
        if key in self.finished:
            self._jobs.set_curve(None)
            return self.finished[key]
        if self._jobs.curve is not None and self._jobs.curve.key == key:
            return None  # already being scored
        job = new_curve_job(exp, cams, key, cached)
        self._jobs.set_curve(job)
        return curve_state(exp, job, "running")

    def progress(self, job: CurveJob, exp: Explanation) -> dict[str, Any] | None:
        """After a batch of ``job``: keep it once done; the curve to show if ``job`` is still the one on show and
        done or due for a partial publication (at most ~7 a second)."""
        done = job.done()
        current = self._jobs.curve is job
        if done:
            self.finished[job.key] = curve_state(exp, job, "done")
            if current:
                self._jobs.set_curve(None)
        if current and (done or job.due()):
            return self.finished[job.key] if done else curve_state(exp, job, "running")
        return None

    def failed(self, job: CurveJob, exp: Explanation, err: BaseException) -> dict[str, Any] | None:
        """``job`` raised ``err``: stop it and show the error, if it is still the curve on show."""
        if self._jobs.curve is not job:
            return None
        self._jobs.set_curve(None)
        return curve_state(exp, job, "error", f"{type(err).__name__}: {err}")


def advance_curve(widget: LimeWidget, job: CurveJob, batch: int) -> None:
    """Run in the background thread: fill the curve's cached points, score up to ``batch`` more, publish."""
    try:
        masks, probs = advance(job, widget._exp, widget._scores.cache.get, batch)
        if len(masks):
            widget._scores.add(masks, probs)
            send_scores(widget, masks, probs, flush=False)
    except Exception as err:
        log.exception("scoring the curve failed")
        with widget._lock:
            if (state := widget._curves.failed(job, widget._exp, err)) is not None:
                widget.curve = state
        return
    with widget._lock:
        if (state := widget._curves.progress(job, widget._exp)) is not None:
            widget.curve = state
