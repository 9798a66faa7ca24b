"""The explorer's one scheduler: the smallest-flip search is paused by clicks, stopped by close() within one
model call, never keeps a widget alive, and a second request joins the search that runs."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget._flip import Cancelled, CheckedClassifier
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments


class Sleepy:
    """p1 = mean brightness after ``delay`` seconds per call; counts calls."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)


@pytest.fixture
def slow() -> tuple[lw.Explanation, Sleepy]:
    fn = Sleepy()
    clf = lw.FunctionClassifier(fn, class_names=["dark", "bright"])
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=60, top_labels=2, progress=False
    )
    fn.delay = 0.2  # every forward pass of the search from now on
    fn.calls = 0
    return exp, fn


def calls_settle(fn: Sleepy, quiet_s: float = 0.5) -> int:
    """The number of model calls once none came for ``quiet_s`` seconds."""
    last = fn.calls
    while True:
        time.sleep(quiet_s)
        if fn.calls == last:
            return last
        last = fn.calls


def test_close_stops_a_flip_search_within_one_model_call(slow):
    exp, fn = slow
    w = LimeWidget(exp, prescore=False)
    w._handle_custom_msg({"type": "minimal_flip"}, [])  # from the view's button
    thread = w._flip_thread
    assert thread is not None and thread.is_alive()
    time.sleep(0.5)
    assert fn.calls >= 1 and w.flip["state"] == "running"
    w.close()
    time.sleep(1.5)
    assert not thread.is_alive()  # the old code kept calling the model for up to flip_budget passes
    calls = fn.calls
    time.sleep(0.5)
    assert fn.calls == calls
    assert w.flip["state"] == "running"  # nothing published after close


def test_a_closed_and_deleted_widget_is_collected_while_its_search_ran(slow):
    exp, _ = slow
    w = LimeWidget(exp, prescore=False)
    w.find_flip()
    thread = w._flip_thread
    time.sleep(0.3)
    ref = weakref.ref(w)
    w.close()
    del w
    deadline = time.monotonic() + 3
    while ref() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert ref() is None, "a thread keeps the closed widget alive"
    thread.join(2)
    assert not thread.is_alive()


def test_find_flip_wait_returns_the_search_the_view_started(slow):
    exp, fn = slow
    fn.delay = 0.01
    w = LimeWidget(exp, prescore=False)
    try:
        w.flip_budget = 60
        w._handle_custom_msg({"type": "minimal_flip"}, [])
        thread = w._flip_thread
        res = w.find_flip(wait=True, timeout=60)
        assert w._flip_thread is thread  # no second search
        assert res is not None and w.flip["state"] == "done"
        assert w.flip["hidden"] == [int(i) for i in res.hidden]
        expected = lw.minimal_flip(exp, w.selected_label, budget=60)
        assert [int(i) for i in res.hidden] == [int(i) for i in expected.hidden]
        assert res.forward_passes == expected.forward_passes
    finally:
        w.close()


def test_a_click_pauses_the_flip_search(slow):
    exp, fn = slow
    fn.delay = 0.05
    w = LimeWidget(exp, prescore=False)
    try:
        w.flip_budget = 80  # at most 80 passes of 0.05 s
        w.find_flip()
        time.sleep(0.2)
        vis = list(w.visible)
        vis[3] = False
        with w._jobs.cond:  # as if a click were being scored: the search waits before its next pass
            w._jobs.click_busy = True
        calls = calls_settle(fn, 0.3)
        time.sleep(0.3)
        assert fn.calls == calls and w.flip["state"] == "running"
        with w._jobs.cond:
            w._jobs.click_busy = False
            w._jobs.cond.notify_all()
        w.set_state({"visible": vis, "rev": w.rev + 1})
        assert w.wait_idle(10) and w.scored_rev == w.rev
        w.flip_budget = 1  # ignored: the running search goes on
        assert w.find_flip(wait=True, timeout=60) is not None
    finally:
        w.close()


def test_the_checked_classifier_scores_bit_for_bit_and_raises_when_cancelled(slow):
    exp, fn = slow
    fn.delay = 0.0
    stop = {"now": False}

    def checkpoint() -> None:
        if stop["now"]:
            raise Cancelled

    assert exp.model is not None
    checked = exp.with_model(CheckedClassifier(exp.model, checkpoint))
    masks = np.random.default_rng(0).random((7, exp.n_segments)) > 0.5
    np.testing.assert_array_equal(checked.rescore_many(masks), exp.rescore_many(masks))
    stop["now"] = True
    calls = fn.calls
    with pytest.raises(Cancelled):
        checked.rescore_many(masks)
    assert fn.calls == calls
