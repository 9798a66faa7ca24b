"""The explorer's model scores and where they go: :class:`ScoreBook` (every score one widget has, how many
masks went to the model, the ``scores`` messages of masks scored ahead of a click, coalesced into a few larger
messages, sent by :func:`send_scores`), and the probe history of the masks scored on screen (docs/protocol.md)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.explanation import Explanation
from ..render.view_state import score_rows
from ._cache import ScoreCache

if TYPE_CHECKING:
    from .explorer import LimeWidget

#: the most entries the ``history`` trait keeps (the oldest are dropped first)
HISTORY_LIMIT = 200


def history_entry(
    exp: Explanation, mask: np.ndarray, rev: int, label: int, probs: np.ndarray, original: np.ndarray
) -> dict[str, Any]:
    """The ``history`` entry of ``mask`` bool (K,) scored ``probs`` (C,) at ``rev``: what was hidden, the tracked
    class' score and its change from the ``original`` scores (C,), and the top class."""
    return {
        "rev": rev,
        "hidden": [int(i) for i in np.flatnonzero(~mask)],
        "label": label,
        "score": float(probs[label]),
        "change": float(probs[label] - original[label]),
        "top": exp.class_names[int(np.argmax(probs))],
    }


def with_entry(history: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """``history`` with ``entry`` appended, at most :data:`HISTORY_LIMIT` entries (a new list)."""
    return [*history, entry][-HISTORY_LIMIT:]


def score_entries(exp: Explanation, masks: np.ndarray, probs: np.ndarray, top: list[int]) -> list[dict[str, Any]]:
    """The entries of a ``scores`` message: masks bool (n, K) as their hidden superpixels, with the score rows
    of probs (n, C) (``top``: the original image's top classes, as in the ``scores`` trait)."""
    return [
        {"hidden": [int(i) for i in np.flatnonzero(~m)], "scores": score_rows(exp, p, top)}
        for m, p in zip(masks, probs, strict=True)
    ]


class Outbox:
    """Entries of ``scores`` messages not sent yet: background work sends a few larger messages rather than
    many small ones. ``lock``: the widget's one lock (the background thread adds, the kernel's thread too)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._entries: list[dict[str, Any]] = []
        self._sent_at = 0.0

    def add(self, entries: list[dict[str, Any]], *, flush: bool, interval_s: float) -> list[dict[str, Any]] | None:
        """Keep ``entries``; return everything kept to send now, or None: nothing kept, or flush=False and the
        last message went less than ``interval_s`` seconds ago."""
        with self._lock:
            self._entries.extend(entries)
            now = time.monotonic()
            if not self._entries or (not flush and now - self._sent_at < interval_s):
                return None
            out, self._entries = self._entries, []
            self._sent_at = now
            return out


class ScoreBook:
    """Every model score of one widget: ``cache`` (the scores of up to ``size`` masks, and which the view holds);
    ``forward_passes``, the masks shown in the widget that were sent to the model, and ``background_passes``,
    those the background work (curve, pre-scoring) sent; and the ``scores`` messages not sent yet. ``lock``: the
    widget's one lock (the scorer and background threads fill it, the kernel's thread reads it)."""

    def __init__(self, size: int, lock: threading.RLock) -> None:
        self.cache = ScoreCache(size, lock)
        self._outbox = Outbox(lock)
        self.forward_passes = 0
        self.background_passes = 0

    def score(self, exp: Explanation, mask: np.ndarray) -> np.ndarray:
        """The scores (C,) of ``mask`` bool (K,) shown in the widget: cached, else one forward pass (cached)."""
        probs = self.cache.get(mask)
        if probs is None:
            self.forward_passes += 1
            probs = exp.rescore(mask)
            self.cache.put(mask[None], probs[None])
        return probs

    def score_uncached(self, exp: Explanation, masks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Score, in one batch of background work, those of ``masks`` bool (K,) whose scores are not cached:
        returns them, bool (n, K), with their scores (n, C), both cached (n = 0: all were cached)."""
        m = np.array([x for x in masks if self.cache.get(x) is None], dtype=bool)
        if not m.size:
            return m.reshape(0, exp.n_segments), np.zeros((0, exp.probabilities.shape[0]))
        probs = exp.rescore_many(m, batch_size=len(m))
        self.add(m, probs)
        return m, probs

    def add(self, masks: np.ndarray, probs: np.ndarray) -> None:
        """Count and cache the scores probs (n, C) of masks bool (n, K) that the background work scored."""
        self.background_passes += len(masks)
        self.cache.put(masks, probs)

    def message(
        self, entries: list[dict[str, Any]], masks: np.ndarray, *, flush: bool, interval_s: float
    ) -> dict[str, Any] | None:
        """Note that the view gets the scores of masks bool (n, K) (their ``entries``, :func:`score_entries`);
        returns the ``scores`` message to send now (with what was kept back), or None: keep them (flush=False
        and the last message went less than ``interval_s`` seconds ago) or nothing to send."""
        self.cache.mark_sent(masks)
        out = self._outbox.add(entries, flush=flush, interval_s=interval_s)
        return {"type": "scores", "entries": out} if out else None


def send_scores(widget: LimeWidget, masks: np.ndarray, probs: np.ndarray, *, flush: bool = True) -> None:
    """Send the view of ``widget`` the model's scores of masks bool (n, K) (probs (n, C)) in a ``scores`` message.

    flush=False: keep them for the next message unless ``send_interval_s`` has passed since the last one
    (background work sends a few larger messages rather than many small ones). Nothing once closed."""
    if widget._jobs.closed:
        return
    entries = score_entries(widget._exp, masks, probs, widget._original_top)
    message = widget._scores.message(entries, masks, flush=flush, interval_s=widget.send_interval_s)
    if message is not None:
        widget.send(message)


def flush_scores(widget: LimeWidget) -> None:
    """Send what :func:`send_scores` kept back (when the background work ran out)."""
    send_scores(widget, np.zeros((0, widget.n_segments), dtype=bool), np.zeros((0, 1)), flush=True)
