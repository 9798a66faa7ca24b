"""The widget's background work, in Python without a browser: cached masks answered at once, pre-scoring
of the masks one click away (sent to the view, pre-empted by clicks), and the deletion/insertion curve."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core.rankings import top_k_positive as _top_k_positive
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments

K = 64


class Counting:
    """p(bright) = mean brightness; counts images, sleeps ``delay`` seconds per call."""

    def __init__(self) -> None:
        self.images = 0
        self.delay = 0.0
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.images += len(batch)
        time.sleep(self.delay)
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)


@pytest.fixture(scope="module")
def explained() -> tuple[lw.Explanation, Counting]:
    fn = Counting()
    clf = lw.FunctionClassifier(fn, class_names=["dark", "bright"])
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=80, top_labels=2, progress=False
    )
    return exp, fn


def make(explained: tuple[lw.Explanation, Counting], **kwargs: Any) -> tuple[LimeWidget, Counting, list[dict]]:
    exp, fn = explained
    fn.delay = 0.0
    w = LimeWidget(exp, **kwargs)
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    fn.images = 0
    return w, fn, sent


def click(w: LimeWidget, *segs: int) -> None:
    vis = list(w.visible)
    for s in segs:
        vis[s] = not vis[s]
    w.set_state({"visible": vis, "rev": w.rev + 1})


def sent_scores(sent: list[dict]) -> dict[tuple[int, ...], list[dict]]:
    out = {}
    for msg in sent:
        assert msg["type"] == "scores"
        for e in msg["entries"]:
            out[tuple(e["hidden"])] = e["scores"]
    return out


def test_a_cached_mask_is_answered_in_the_message_itself(explained):
    w, fn, _ = make(explained, prescore=False)
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


def test_prescoring_sends_the_models_scores_of_every_mask_one_click_away(explained):
    w, fn, sent = make(explained, prescore=True)
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
    w, fn, _ = make(explained, prescore=True)
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
    w, fn, sent = make(explained, prescore=True)
    try:
        w.visible = [i != 4 for i in range(K)]  # from Python: nobody clicks, nothing pre-scored
        assert w.wait_idle(10, background=True)
        assert fn.images == 1 and sent == [] and w.background_passes == 0
    finally:
        w.close()
    w, fn, sent = make(explained, prescore=False)
    try:
        click(w, 4)
        assert w.wait_idle(10, background=True)
        assert fn.images == 1 and sent == []
    finally:
        w.close()


def test_prescoring_is_off_by_default_on_jupyterhub(explained, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "x")
    w, _, _ = make(explained)
    assert w.prescore is False
    w.close()
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    for var in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_USER", "JUPYTERHUB_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    w, _, _ = make(explained)
    assert w.prescore is True
    w.close()
    with pytest.raises(TypeError, match="prescore must be True, False or None"):
        LimeWidget(explained[0], prescore="yes")  # type: ignore[arg-type]


def test_the_curve_equals_deletion_curve_and_is_kept(explained):
    w, _, sent = make(explained, prescore=False)
    try:
        assert w.curve == {}
        w.set_state({"show_curve": True})
        assert w.curve["state"] == "running" and w.curve["scores"][0] is not None  # all shown: cached
        assert w.wait_idle(20, background=True)
        exp = w.explanation
        label = w.selected_label
        ref = lw.deletion_curve(exp, lw.ranking_from_weights(exp.weights(label)), label)
        c = w.curve
        assert c["state"] == "done" and c["label"] == label and c["ranking"] == "lime" and c["mode"] == "deletion"
        assert c["order"] == ref.ranking.tolist() and c["counts"] == ref.counts.tolist()
        assert c["scores"] == ref.scores.tolist()
        assert c["area"] == pytest.approx(ref.area, abs=1e-12)
        assert w.background_passes == K  # K + 1 points, the first cached
        # every point's scores went to the view: clicking a point is answered at once
        got = sent_scores(sent)
        assert len(got) == K
        first5 = [bool(i not in c["order"][:5]) for i in range(K)]
        w.set_state({"visible": first5, "rev": w.rev + 1})
        assert w.scored_rev == w.rev and w.forward_passes == 0
        assert w.probabilities[label] == c["scores"][5]
        # insertion, then back: the finished deletion curve comes from memory
        w.set_state({"curve_mode": "insertion"})
        assert w.wait_idle(20, background=True)
        ins = lw.deletion_curve(exp, lw.ranking_from_weights(exp.weights(label)), label, mode="insertion")
        assert w.curve["mode"] == "insertion" and w.curve["scores"] == ins.scores.tolist()
        passes = w.background_passes
        w.set_state({"curve_mode": "deletion"})
        assert w.curve["state"] == "done" and w.curve["scores"] == c["scores"] and w.background_passes == passes
    finally:
        w.close()


def test_random_ranking_is_seeded_and_the_class_follows_the_selection(explained):
    w, _, _ = make(explained, prescore=False)
    try:
        w.show_curve = True
        w.curve_ranking = "random"
        assert w.wait_idle(20, background=True)
        exp = w.explanation
        assert w.curve["order"] == lw.random_ranking(K, exp.seed).tolist()
        other = exp.top_labels[1]
        w.set_state({"selected_label": other})
        assert w.wait_idle(20, background=True)
        assert w.curve["label"] == other and w.curve["state"] == "done"
        ref = lw.deletion_curve(exp, lw.random_ranking(K, exp.seed), other)
        assert w.curve["scores"] == ref.scores.tolist()
        with pytest.raises(Exception, match="gradcam=True"):
            w.curve_ranking = "gradcam"
    finally:
        w.close()


def test_a_click_preempts_the_curve_and_hiding_it_stops_the_work(explained):
    w, fn, _ = make(explained, prescore=False)
    try:
        fn.delay = 0.03
        w.set_state({"show_curve": True})
        time.sleep(0.2)
        click(w, 1, 2, 3)
        assert w.wait_idle(10)
        assert w.scored_rev == w.rev and w.curve["state"] == "running"
        assert any(x is None for x in w.curve["scores"])  # the click did not wait for the curve
        w.set_state({"show_curve": False})
        time.sleep(0.2)
        assert w._jobs.curve is None
        assert w.wait_idle(10, background=True)
        passes = w.background_passes
        assert passes < K
        w.set_state({"show_curve": True})  # resumes: what was scored is cached
        assert w.wait_idle(20, background=True)
        assert w.curve["state"] == "done" and None not in w.curve["scores"]
        assert w.background_passes <= K + 1
    finally:
        w.close()


def test_a_failing_model_makes_the_curve_an_error_not_a_hang(explained):
    w, _, _ = make(explained, prescore=False)
    try:
        w._exp = w.explanation.with_model(lw.FunctionClassifier(lambda b: 1 / 0, class_names=["dark", "bright"]))
        w.set_state({"show_curve": True})
        assert w.wait_idle(10, background=True)
        assert w.curve["state"] == "error" and "ZeroDivisionError" in w.curve["message"]
    finally:
        w.close()


def test_top_k_positive_matches_the_view():
    # the front end's topKPositive: strictly positive, largest first, ties to the lower id, NaN never
    s = np.array([0.2, -1.0, 0.5, 0.2, np.nan, 0.0, 0.9])
    assert _top_k_positive(s, 3).tolist() == [6, 2, 0]
    assert _top_k_positive(s, 10).tolist() == [6, 2, 0, 3]
    assert _top_k_positive(s, 0).tolist() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_background_work_runs_at_the_lowest_priority(explained):
    w, fn, _ = make(explained, prescore=True)
    try:
        fn.delay = 0.05
        click(w, 0)
        assert w.wait_idle(10)
        thread = w.background_thread
        assert thread is not None and thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == 19
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != 19  # the kernel's own thread is not
        scorer = w.scorer_thread
        assert scorer is not None and scorer.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, scorer.native_id) != 19
    finally:
        w.close()


def test_a_mask_set_from_python_goes_to_the_view_with_its_rev(explained):
    """One message holds the new mask and its rev: the view never holds the new mask with the old rev (whose
    scores it would otherwise take, and remember, for the new mask)."""
    w, _, _ = make(explained, prescore=False)
    calls: list[set[str]] = []
    original = w.send_state

    def send_state(key: Any = None) -> None:
        calls.append({key} if isinstance(key, str) else set(key or ["<all>"]))
        original(key)

    w.send_state = send_state  # type: ignore[method-assign]
    try:
        rev = w.rev
        vis = list(w.visible)
        vis[5] = False
        w.visible = vis
        with_visible = [c for c in calls if "visible" in c]
        assert len(with_visible) == 1 and "rev" in with_visible[0], calls
        assert not [c for c in calls if "rev" in c and "visible" not in c], calls
        assert w.rev == rev + 1
        assert w.wait_idle(10) and w.scored_rev == w.rev
    finally:
        w.close()


def test_turning_prescoring_off_drops_the_queued_masks_and_what_was_scored_is_sent(explained):
    w, fn, sent = make(explained, prescore=True)
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


def test_prescore_limit_bounds_the_neighbours(explained):
    w, _, _ = make(explained, prescore=False)
    try:
        for limit in (0, 1, 3):
            w.prescore_limit = limit
            assert w.neighbours().shape == (limit, K)
    finally:
        w.close()
