"""Pre-scoring (``_prescore``): the masks one click away, which of them to score, and through the widget the
scores sent to the view, pre-empted by clicks, off without a view or on JupyterHub."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lime_widget.core.rankings import top_k_positive as _top_k_positive
from lime_widget.widget import _prescore
from lime_widget.widget._cache import ScoreCache, mask_key
from lime_widget.widget.explorer import LimeWidget

from .support import K, click, sending_widget, sent_scores


# ---------------------------------------------------------------------- the masks one click away
def test_neighbours_are_the_buttons_masks_then_the_inverse_then_single_toggles_by_weight():
    mask = np.array([True, True, True, False, True])
    shown = np.array([0.1, 0.9, -0.5, 0.3, 0.4])  # the map on show: its top 2 positive are 1, 4
    weights = np.array([0.2, -0.1, 0.8, 0.5, -0.3])  # LIME's: the toggles' order
    out = _prescore.neighbours(mask, shown, weights, top_k=2, limit=100)
    hidden = [tuple(int(i) for i in np.flatnonzero(~m)) for m in out]
    assert hidden[0] == (1, 4)  # hide the top 2
    assert hidden[1] == (0, 2, 3)  # keep the top 2 (only they are shown)
    assert hidden[2] == (0, 1, 2, 4)  # invert
    # then hide one more shown superpixel by decreasing |weight| (2, 4, 0, 1), then show the hidden 3 again
    assert hidden[3:] == [(2, 3), (3, 4), (0, 3), (1, 3), ()]
    assert len(set(hidden)) == len(hidden) and (3,) not in hidden  # no repeats, never the mask itself
    assert out.dtype == bool and out.shape == (8, 5)


def test_neighbours_stop_at_the_limit_and_skip_repeats():
    mask = np.ones(4, dtype=bool)
    shown = np.array([1.0, 0.0, 0.0, 0.0])
    weights = np.array([np.nan, 0.5, -2.0, 0.1])  # NaN counts as 0
    out = _prescore.neighbours(mask, shown, weights, top_k=1, limit=100)
    hidden = [tuple(int(i) for i in np.flatnonzero(~m)) for m in out]
    # hide the top 1 = (0,); keep it = (1, 2, 3); invert = all hidden; toggles 2, 1, 3, then 0 (a repeat)
    assert hidden == [(0,), (1, 2, 3), (0, 1, 2, 3), (2,), (1,), (3,)]
    assert _prescore.neighbours(mask, shown, weights, top_k=1, limit=2).shape == (2, 4)
    assert _prescore.neighbours(mask, shown, weights, top_k=1, limit=0).shape == (0, 4)
    assert _prescore.neighbours(mask, shown, weights, top_k=1, limit=-3).shape == (0, 4)


def test_split_by_cache_scores_the_unknown_and_sends_the_known_once():
    cache = ScoreCache(10, threading.RLock())
    a, b, c = np.array([[True, False], [False, True], [False, False]])
    cache.put(np.array([a, b]), np.array([[0.1, 0.9], [0.8, 0.2]]))
    cache.mark_sent([b])  # the view holds b's scores already
    todo, known, probs = _prescore.split_by_cache(np.array([c, a, b]), cache)
    assert [mask_key(m) for m in todo] == [mask_key(c)]
    assert known.tolist() == [a.tolist()] and probs.tolist() == [[0.1, 0.9]]
    todo, known, probs = _prescore.split_by_cache(np.zeros((0, 2), dtype=bool), cache)
    assert todo == [] and known.shape == (0,) and probs.shape == (0,)


def test_prescoring_sends_the_models_scores_of_every_mask_one_click_away(explained):
    w, fn, sent = sending_widget(explained, prescore=True)
    try:
        click(w, 10)
        assert w.wait_idle(20, background=True)
        assert w.background_passes == fn.images - 1 and w.forward_passes == 1
        exp = w.explanation
        got = sent_scores(sent)
        on_screen = np.array(w.visible)
        neighbours = w.neighbours()
        assert len(neighbours) == min(K + 3, w.prescore_limit)
        for m in neighbours:
            hidden = tuple(int(i) for i in np.flatnonzero(~m))
            assert hidden in got, hidden
            probs = exp.rescore(m)
            rows = {r["id"]: r["prob"] for r in got[hidden]}
            assert rows[0] == probs[0] and rows[1] == probs[1]
        # single toggles, the top-k masks of the view's buttons, the inverse
        toggles = {tuple(int(i) for i in np.flatnonzero(~m)) for m in neighbours}
        assert () in toggles and (10, 11) in toggles
        top = _top_k_positive(exp.weights(w.selected_label), w.top_k)
        assert tuple(sorted(int(i) for i in top)) in toggles
        assert tuple(int(i) for i in np.flatnonzero(on_screen)) in toggles  # invert
        # the next click is one of them: answered from the cache, no forward pass
        before = fn.images
        click(w, 20)
        assert w.scored_rev == w.rev and fn.images == before
    finally:
        w.close()


def test_a_click_preempts_prescoring(explained):
    w, fn, _ = sending_widget(explained, prescore=True)
    try:
        fn.delay = 0.03  # per batch of two: about two seconds to pre-score 67 masks
        click(w, 0)
        assert w.wait_idle(10)
        time.sleep(0.2)
        assert w._jobs.prescore, "pre-scoring should still be running"
        t0 = time.perf_counter()
        click(w, 1, 2, 3)  # three at once: not one click away, so not pre-scored
        assert w.wait_idle(10)
        waited = time.perf_counter() - t0
        assert w.scored_rev == w.rev
        assert w._jobs.prescore, "the click was answered before the pre-scoring went on"
        assert waited < 1.0
        np.testing.assert_array_equal(w.probabilities, w.explanation.rescore(np.array(w.visible)))
    finally:
        w.close()


def test_no_prescoring_without_a_view_or_when_turned_off(explained):
    w, fn, sent = sending_widget(explained, prescore=True)
    try:
        w.visible = [i != 4 for i in range(K)]  # from Python: nobody clicks, nothing pre-scored
        assert w.wait_idle(10, background=True)
        assert fn.images == 1 and sent == [] and w.background_passes == 0
    finally:
        w.close()
    w, fn, sent = sending_widget(explained, prescore=False)
    try:
        click(w, 4)
        assert w.wait_idle(10, background=True)
        assert fn.images == 1 and sent == []
    finally:
        w.close()


def test_prescoring_is_off_by_default_on_jupyterhub(explained, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "x")
    w, _, _ = sending_widget(explained)
    assert w.prescore is False
    w.close()
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    for var in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_USER", "JUPYTERHUB_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    w, _, _ = sending_widget(explained)
    assert w.prescore is True
    w.close()
    with pytest.raises(TypeError, match="prescore must be True, False or None"):
        LimeWidget(explained[0], prescore="yes")  # type: ignore[arg-type]


def test_turning_prescoring_off_drops_the_queued_masks_and_what_was_scored_is_sent(explained):
    w, fn, sent = sending_widget(explained, prescore=True)
    w.scorer_idle_s = 0.3  # the background thread ends soon after its work went away
    w.send_interval_s = 60.0  # keep every score after the first message back, until the work ends
    jobs = w._jobs
    try:
        fn.delay = 0.03
        click(w, 0)
        assert w.wait_idle(10)
        time.sleep(0.3)
        assert jobs.prescore, "pre-scoring should still be running"
        # As if a click were being scored: the background thread finishes its batch and waits, work still queued,
        # its scores kept back for a larger message.
        with jobs.cond:
            jobs.click_busy = True
            assert jobs.cond.wait_for(lambda: not jobs.background_busy, timeout=10)
        w.prescore = False  # the work goes away while the thread waits
        assert jobs.prescore == []
        with jobs.cond:
            jobs.click_busy = False
            jobs.cond.notify_all()
        assert w.wait_idle(10, background=True)
        passes = w.background_passes
        assert 0 < passes < min(K + 3, w.prescore_limit)
        deadline = time.monotonic() + 10
        while w.background_thread is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert w.background_thread is None
        # every mask it scored reached the view (and the all-shown one, cached from the start): none was
        # stranded in the kept-back message
        got = sent_scores(sent)
        assert () in got and len(got) == passes + 1
        time.sleep(0.3)
        assert w.background_passes == passes  # and nothing more was scored
        with pytest.raises(TypeError, match="prescore must be True or False"):
            w.prescore = None  # type: ignore[assignment]
    finally:
        w.close()


def test_turning_prescoring_off_while_a_plan_is_made_queues_nothing(explained):
    w, _, _ = sending_widget(explained, prescore=True)
    planning, resume = threading.Event(), threading.Event()
    real = w.neighbours

    def neighbours(mask: object = None) -> np.ndarray:
        if threading.current_thread() is w.scorer_thread:  # the plan after a scored click
            planning.set()
            resume.wait(5)
        return real(mask)

    w.neighbours = neighbours  # type: ignore[method-assign]
    try:
        click(w, 3)  # not cached: the scorer thread scores it, then plans
        assert planning.wait(5)
        w.prescore = False  # while that plan is being made
        resume.set()
        assert w.wait_idle(10) and w.wait_idle(10, background=True)
        assert w._jobs.prescore == [] and w.background_passes == 0
    finally:
        w.close()


def test_prescore_limit_bounds_the_neighbours(explained):
    w, _, _ = sending_widget(explained, prescore=False)
    try:
        for limit in (0, 1, 3):
            w.prescore_limit = limit
            assert w.neighbours().shape == (limit, K)
    finally:
        w.close()


def test_top_k_positive_matches_the_view():
    # the front end's topKPositive: strictly positive, largest first, ties to the lower id, NaN never
    s = np.array([0.2, -1.0, 0.5, 0.2, np.nan, 0.0, 0.9])
    assert _top_k_positive(s, 3).tolist() == [6, 2, 0]
    assert _top_k_positive(s, 10).tolist() == [6, 2, 0, 3]
    assert _top_k_positive(s, 0).tolist() == []
