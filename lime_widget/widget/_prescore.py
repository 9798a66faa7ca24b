"""What the explorer pre-scores: the masks one click away from the mask on screen, most likely first."""

from __future__ import annotations

import numpy as np

from ..core.rankings import top_k_positive
from ._cache import ScoreCache, mask_key


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
