"""What the explorer pre-scores: the masks one click away from the mask on screen, most likely first; the plan
of them after each mask the widget scores, and the background thread's batches of it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.rankings import top_k_positive
from ._cache import ScoreCache, mask_key
from ._scores import send_scores

if TYPE_CHECKING:
    from .explorer import LimeWidget

log = logging.getLogger("lime_widget")


def neighbours(mask: np.ndarray, ranking_scores: np.ndarray, weights: np.ndarray, top_k: int, limit: int) -> np.ndarray:
    """The masks one click away from ``mask`` bool (K,), most likely first: bool (n, K), n <= ``limit``.

    Hide the ``top_k`` and keep the ``top_k`` (by ``ranking_scores`` (K,), the map on show, as the view's
    buttons: :func:`~lime_widget.core.rankings.top_k_positive`), invert, then each single toggle: hiding one
    more shown superpixel first (probing mostly hides), then showing a hidden one again, each by decreasing
    |weight| (``weights`` (K,), LIME's). No repeats, never ``mask`` itself."""
    m = np.asarray(mask, dtype=bool)
    top = top_k_positive(ranking_scores, int(top_k))
    hide_top = np.ones_like(m)
    hide_top[top] = False
    keep_top = np.zeros_like(m)
    keep_top[top] = True
    size = np.abs(np.nan_to_num(np.asarray(weights, dtype=np.float64)))
    order = np.lexsort((-size, ~m))  # shown (m True) first, then by decreasing |weight|
    toggles = np.repeat(m[None], order.size, axis=0)
    toggles[np.arange(order.size), order] = ~m[order]
    out: list[np.ndarray] = []
    seen = {mask_key(m)}
    limit = max(0, int(limit))
    for cand in [hide_top, keep_top, ~m, *toggles]:
        if len(out) >= limit:
            break
        key = mask_key(cand)
        if key not in seen:
            seen.add(key)
            out.append(cand)
    return np.array(out, dtype=bool).reshape(len(out), m.size)


def split_by_cache(candidates: np.ndarray, cache: ScoreCache) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Split masks bool (n, K) into those to score, best first, and those cached but not yet sent to the view:
    ``(todo, known bool (m, K), their scores (m, C))``."""
    todo, known, probs = [], [], []
    for cand in candidates:
        p = cache.get(cand)
        if p is None:
            todo.append(cand)
        elif not cache.was_sent(cand):
            known.append(cand)
            probs.append(p)
    return todo, np.array(known, dtype=bool), np.array(probs)


def widget_neighbours(widget: LimeWidget, mask: Any = None) -> np.ndarray:
    """:meth:`LimeWidget.neighbours`: the masks one click away from ``mask`` bool (K,) (default: the mask
    ``widget`` scored last), by the class tracked, the map on show and ``top_k``, as the view's buttons."""
    m = widget._last_mask if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != (widget.n_segments,):
        raise ValueError(f"mask must have one entry per superpixel, shape ({widget.n_segments},); got {m.shape}")
    label = int(widget.selected_label)
    weights = np.asarray(widget._exp.weights(label), dtype=np.float64)
    cams = widget._cams
    shown = cams[label] if widget.heatmap_method == "gradcam" and label in cams else weights
    return neighbours(m, np.asarray(shown, dtype=np.float64), weights, int(widget.top_k), int(widget.prescore_limit))


def plan_prescore(widget: LimeWidget, rev: int | None = None) -> None:
    """Queue the masks one click away from the mask ``widget`` scored last (replacing the last plan); send the
    view the scores of those already cached. Only once a view has sent a mask: without one nobody clicks.
    rev: the mask just published; its plan is dropped if a newer mask came meanwhile (that one plans)."""
    if not widget.prescore or not widget._view_seen:
        return
    try:
        todo, known, known_probs = split_by_cache(widget.neighbours(), widget._scores.cache)
        if len(known):
            send_scores(widget, known, known_probs)
    except Exception as err:
        log.exception("planning the pre-scoring failed")
        widget._report(f"pre-scoring failed: {type(err).__name__}: {err}")
        return
    with widget._lock:  # turned off, or a newer mask, meanwhile: queue nothing
        if widget.prescore and (rev is None or rev == widget.rev):
            widget._jobs.set_prescore(todo)


def prescore_batch(widget: LimeWidget, masks: list[np.ndarray]) -> None:
    """Run in the background thread: score one batch of masks one click away, send the scores to the view."""
    try:
        m, probs = widget._scores.score_uncached(widget._exp, masks)
    except Exception as err:
        log.exception("pre-scoring failed")
        widget._jobs.set_prescore([])
        widget._report(f"pre-scoring failed: {type(err).__name__}: {err}")
        return
    if len(m):
        send_scores(widget, m, probs, flush=False)
