"""The explorer's memory of model scores: an LRU cache of the scores of masks, and the masks whose scores
the view was sent (so a pre-scored mask is sent once)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np


def mask_key(mask: np.ndarray) -> bytes:
    """Cache key of a mask bool (K,)."""
    return np.packbits(mask).tobytes()


class ScoreCache:
    """Scores (C,) of up to ``size`` masks bool (K,), least recently used dropped first; and the keys of the
    masks whose scores the view holds. ``lock`` is the widget's one lock (the scorer and background threads
    fill the cache, the kernel's thread reads it)."""

    def __init__(self, size: int, lock: threading.RLock) -> None:
        self._lock = lock
        self._size = size
        self._scores: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._sent: set[bytes] = set()

    @property
    def size(self) -> int:
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        with self._lock:
            self._size = value
            self._trim()

    def get(self, mask: np.ndarray) -> np.ndarray | None:
        """The cached scores (C,) of ``mask``, or None."""
        key = mask_key(mask)
        with self._lock:
            probs = self._scores.get(key)
            if probs is not None:
                self._scores.move_to_end(key)
            return probs

    def put(self, masks: np.ndarray, probs: np.ndarray) -> None:
        """Remember the scores probs (n, C) of masks bool (n, K)."""
        with self._lock:
            for m, p in zip(masks, probs, strict=True):
                self._scores[mask_key(m)] = p
            self._trim()

    def _trim(self) -> None:
        while len(self._scores) > self._size:
            self._scores.popitem(last=False)

    def was_sent(self, mask: np.ndarray) -> bool:
        """Whether the view was sent the scores of ``mask``."""
        with self._lock:
            return mask_key(mask) in self._sent

    def mark_sent(self, masks: Iterable[np.ndarray]) -> None:
        with self._lock:
            if len(self._sent) > 4 * self._size:  # bounded: forget, at worst a mask is sent twice
                self._sent.clear()
            self._sent.update(mask_key(m) for m in masks)
