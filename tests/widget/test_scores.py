"""Model scores and where they go (``_scores``): the probe history, the entries of ``scores`` messages, the
Outbox that coalesces them, and ScoreBook (cache, counts of forward passes, messages)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lime_widget.render.view_state import original_top, score_rows
from lime_widget.widget._scores import HISTORY_LIMIT, Outbox, ScoreBook, history_entry, score_entries, with_entry


def test_a_history_entry_records_the_mask_the_tracked_score_and_the_top_class(counted):
    exp, _ = counted
    mask = np.ones(exp.n_segments, dtype=bool)
    mask[[3, 7]] = False
    probs = np.array([0.7, 0.3])
    entry = history_entry(exp, mask, 5, 1, probs, np.array([0.4, 0.6]))
    assert entry == {"rev": 5, "hidden": [3, 7], "label": 1, "score": 0.3, "change": pytest.approx(-0.3), "top": "dark"}
    assert all(type(v) in (int, float, str, list) for v in entry.values())  # JSON, not numpy


def test_the_history_keeps_the_newest_entries():
    history: list[dict] = []
    for rev in range(HISTORY_LIMIT + 5):
        history = with_entry(history, {"rev": rev})
    assert len(history) == HISTORY_LIMIT and history[0]["rev"] == 5 and history[-1]["rev"] == HISTORY_LIMIT + 4
    before = list(history)
    with_entry(history, {"rev": -1})
    assert history == before  # a new list: the trait's old value is never changed in place


def test_score_entries_hold_the_hidden_superpixels_and_the_score_rows(counted):
    exp, _ = counted
    masks = np.ones((2, exp.n_segments), dtype=bool)
    masks[1, [0, 63]] = False
    probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    top = original_top(exp.probabilities)
    entries = score_entries(exp, masks, probs, top)
    assert [e["hidden"] for e in entries] == [[], [0, 63]]
    assert entries[1]["scores"] == score_rows(exp, probs[1], top)
    with pytest.raises(ValueError):
        score_entries(exp, masks, probs[:1], top)


def test_the_outbox_keeps_entries_back_until_the_interval_passed_or_a_flush():
    box = Outbox(threading.RLock())
    assert box.add([], flush=True, interval_s=60) is None  # nothing to send
    assert box.add([{"a": 1}], flush=False, interval_s=60) == [{"a": 1}]  # the first message goes at once
    assert box.add([{"b": 2}], flush=False, interval_s=60) is None  # kept back: the last went just now
    assert box.add([{"c": 3}], flush=False, interval_s=60) is None
    assert box.add([], flush=True, interval_s=60) == [{"b": 2}, {"c": 3}]  # one larger message, in order
    assert box.add([], flush=True, interval_s=60) is None
    assert box.add([{"d": 4}], flush=False, interval_s=0.05) is None
    time.sleep(0.06)
    assert box.add([{"e": 5}], flush=False, interval_s=0.05) == [{"d": 4}, {"e": 5}]


def test_the_score_book_scores_a_shown_mask_once_and_counts_it(counted):
    exp, fn = counted
    book = ScoreBook(8, threading.RLock())
    mask = np.ones(exp.n_segments, dtype=bool)
    mask[2] = False
    fn.images = 0
    first = book.score(exp, mask)
    again = book.score(exp, mask)
    assert fn.images == 1 and book.forward_passes == 1 and book.background_passes == 0
    np.testing.assert_array_equal(first, exp.rescore(mask))
    np.testing.assert_array_equal(again, first)


def test_the_score_book_scores_only_the_uncached_masks_in_the_background(counted):
    exp, fn = counted
    book = ScoreBook(8, threading.RLock())
    masks = [np.ones(exp.n_segments, dtype=bool) for _ in range(3)]
    for i, m in enumerate(masks):
        m[i] = False
    book.score(exp, masks[0])
    fn.images = 0
    m, probs = book.score_uncached(exp, masks)
    assert m.tolist() == [masks[1].tolist(), masks[2].tolist()] and fn.images == 2
    np.testing.assert_array_equal(probs, exp.rescore_many(np.array(masks[1:])))
    assert book.background_passes == 2 and book.forward_passes == 1
    m, probs = book.score_uncached(exp, masks)  # all cached now: no model call
    assert m.shape == (0, exp.n_segments) and probs.shape == (0, 2) and book.background_passes == 2
    book.add(np.zeros((2, exp.n_segments), dtype=bool)[:1], np.array([[0.5, 0.5]]))  # a curve point
    assert book.background_passes == 3 and book.cache.get(np.zeros(exp.n_segments, dtype=bool)).tolist() == [0.5, 0.5]


def test_the_score_book_marks_what_it_sends_and_coalesces_messages(counted):
    exp, _ = counted
    book = ScoreBook(8, threading.RLock())
    a, b = np.ones((2, exp.n_segments), dtype=bool)
    b[1] = False
    top = original_top(exp.probabilities)
    probs = np.array([[0.5, 0.5]])
    first = book.message(score_entries(exp, a[None], probs, top), a[None], flush=False, interval_s=60)
    assert first is not None and first["type"] == "scores" and [e["hidden"] for e in first["entries"]] == [[]]
    assert book.cache.was_sent(a)
    assert book.message(score_entries(exp, b[None], probs, top), b[None], flush=False, interval_s=60) is None
    assert book.cache.was_sent(b)  # marked now, sent with the next message
    last = book.message([], np.zeros((0, exp.n_segments), dtype=bool), flush=True, interval_s=60)
    assert last is not None and [e["hidden"] for e in last["entries"]] == [[1]]
