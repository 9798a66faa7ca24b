"""The explorer's live deletion/insertion curve: the points to score for (class, ranking, mode), and the
``curve`` trait of a curve being scored or done (docs/protocol.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.curves import curve_area, curve_counts, prefix_masks, ranking_from_weights
from ..core.rankings import random_ranking
from ..engine.explanation import Explanation

#: A curve has at most this many points (one per superpixel up to K = 100; evenly spaced counts above).
MAX_CURVE_POINTS = 101
#: seconds between two publications of a growing curve (at most ~7 a second)
PUBLISH_INTERVAL_S = 0.15


@dataclass
class CurveJob:
    """A curve being scored: key (class id, ranking, mode); order: int64 (K,) the ranking, best first; counts:
    int64 (s+1,) superpixels hidden (deletion) or shown (insertion) per point; masks: bool (s+1, K); scores:
    float64 (s+1,) the class' model score per point, NaN until scored."""

    key: tuple[int, str, str]
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
    key: tuple[int, str, str],
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
