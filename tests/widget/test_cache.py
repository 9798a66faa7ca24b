"""The explorer's score cache (``_cache``): an LRU of the scores of masks and the set of masks the view was
sent; through the widget, a cached mask is answered in the front end's message itself."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lime_widget.widget._cache import ScoreCache, mask_key

from .support import click, sending_widget


def masks(*rows: str) -> np.ndarray:
    """Masks bool (n, K) from strings of 1 (shown) and 0 (hidden)."""
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


def test_mask_key_tells_masks_apart():
    a, b, c = masks("1101", "1101", "1100")
    assert mask_key(a) == mask_key(b) != mask_key(c)
    assert len(mask_key(np.ones(17, dtype=bool))) == 3  # packed: one byte per 8 superpixels


def test_the_least_recently_used_mask_is_dropped_first():
    cache = ScoreCache(2, threading.RLock())
    a, b, c = masks("100", "010", "001")
    cache.put(np.array([a, b]), np.array([[0.1, 0.9], [0.2, 0.8]]))
    assert cache.get(a).tolist() == [0.1, 0.9]  # a is now the most recently used
    cache.put(c[None], np.array([[0.3, 0.7]]))
    assert cache.get(b) is None  # b was the least recently used
    assert cache.get(a) is not None and cache.get(c).tolist() == [0.3, 0.7]
    cache.put(a[None], np.array([[0.5, 0.5]]))  # a new score replaces the old one
    assert cache.get(a).tolist() == [0.5, 0.5]


def test_shrinking_the_cache_keeps_the_most_recent():
    cache = ScoreCache(3, threading.RLock())
    a, b, c = masks("100", "010", "001")
    cache.put(np.array([a, b, c]), np.eye(3))
    cache.get(a)
    cache.size = 1
    assert cache.size == 1 and cache.get(a) is not None and cache.get(b) is None and cache.get(c) is None
    with pytest.raises(ValueError):
        cache.put(np.array([a, b]), np.eye(3))  # one score row per mask


def test_the_sent_set_remembers_the_masks_the_view_holds_and_stays_bounded():
    cache = ScoreCache(1, threading.RLock())
    a, b = masks("10", "01")
    assert not cache.was_sent(a)
    cache.mark_sent([a])
    assert cache.was_sent(a) and not cache.was_sent(b)
    assert cache.get(a) is None  # sent is not cached: the cache holds scores only
    many = [np.array([bool(i >> j & 1) for j in range(4)]) for i in range(5)]
    cache.mark_sent(many)  # 6 keys: more than 4 x size
    assert cache.was_sent(many[0])
    cache.mark_sent([b])  # over the bound: forgotten, then b remembered
    assert cache.was_sent(b) and not cache.was_sent(a) and not cache.was_sent(many[0])


def test_a_cached_mask_is_answered_in_the_message_itself(explained):
    w, fn, _ = sending_widget(explained, prescore=False)
    try:
        click(w, 3)
        assert w.wait_idle(10)
        click(w, 3)  # back to all shown: cached from the start
        assert w.scored_rev == w.rev == 2 and w.status == "ready"  # no wait: set_state answered it
        click(w, 3)  # hidden again: cached
        assert w.scored_rev == w.rev == 3 and w.history[-1]["hidden"] == [3]
        assert fn.images == 1 and w.forward_passes == 1
    finally:
        w.close()
