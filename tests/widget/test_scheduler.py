"""The explorer's one scheduler (``_scheduler``): the smallest-flip search is paused by clicks, stopped by close()
within one model call, never keeps a widget alive (nor, failed, its frames), and a second request joins the
search that runs; close() ends the threads, even from an observer, and nothing is sent after it; many widgets
stay responsive and their threads end when idle; a step that raises never stops its thread; find_flip(wait=True)
never waits for itself; background work runs at the lowest priority, and never makes the scorer run niced."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
import weakref

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.engine.explanation import Explanation
from lime_widget.widget.explorer import LimeWidget

from .support import Sleepy, brightness, click, explain_cells, probe, sending_widget, slow_widget


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
    fn.delay = 0.2  # the search batches its passes (80 in 4 calls): it is still running when the click comes
    w = LimeWidget(exp, prescore=False)
    try:
        w.flip_budget = 80  # at most 80 passes, in calls of 0.2 s
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_background_work_runs_at_the_lowest_priority(explained):
    w, fn, _ = sending_widget(explained, prescore=True)
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


def test_close_does_not_wait_for_a_busy_scorer_which_then_ends(explanation):
    w = slow_widget(explanation, delay=0.3)
    vis = list(w.visible)
    vis[1] = False
    w.set_state({"visible": vis, "rev": 1})
    time.sleep(0.05)  # the thread is inside the model call
    thread = w.scorer_thread
    assert thread is not None
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 0.2  # the kernel is not blocked by the model call
    assert w.wait_idle(0.1)  # closed: idle at once
    thread.join(2.0)
    assert not thread.is_alive() and w.scored_rev == 0  # ended after the call, nothing published


def test_close_of_an_idle_widget_ends_its_thread_at_once(explanation):
    w = slow_widget(explanation)
    probe(w, 2)
    thread = w.scorer_thread
    assert thread is not None and thread.is_alive()
    t0 = time.perf_counter()
    w.close()
    assert not thread.is_alive() and time.perf_counter() - t0 < 0.5


def test_ten_widgets_stay_responsive_and_their_threads_end_when_idle(explanation):
    delay = 0.02  # a model call dominates a probe, as in a notebook
    single = slow_widget(explanation, delay=delay, idle_s=0.3)
    single_t = min(probe(single, s) for s in range(3))
    single.close()

    ws = [slow_widget(explanation, delay=delay, idle_s=0.3) for _ in range(10)]
    threads: set[threading.Thread] = set()
    for i, w in enumerate(ws):  # every widget clicked once: ten scorer threads at most
        probe(w, i)
        threads.add(w.scorer_thread)  # type: ignore[arg-type]
    tenth_t = min(probe(ws[-1], s) for s in range(10, 13))
    assert tenth_t < 3 * single_t + 0.05, (tenth_t, single_t)
    live = [t for t in threads if t is not None and t.is_alive()]
    assert len(live) <= len(ws)

    deadline = time.monotonic() + 5
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.is_alive() for t in threads)  # idle: every thread ended, none left per widget
    assert all(w.scorer_thread is None for w in ws)
    probe(ws[0], 20)  # a click after that starts a thread again
    for w in ws:
        w.close()
    assert not any(t.name == "lime-widget-scorer" and t in threads for t in threading.enumerate())


# ---------------------------------------------------------------------- a thread never dies and leaves work stuck
def _raise_off_the_kernels_thread(_change: dict) -> None:
    """A user's observer with a bug that shows only in the widget's own threads."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("user callback bug")


def test_a_raising_observer_of_status_never_stops_the_scorer(explanation, caplog):
    w = slow_widget(explanation)
    try:
        w.observe(_raise_off_the_kernels_thread, "status")
        click(w, 1)  # its publish (status) raises, and so does reporting that (status again)
        assert w.wait_idle(5)
        w.unobserve(_raise_off_the_kernels_thread, "status")
        click(w, 2)
        assert w.wait_idle(5) and w.scored_rev == w.rev and w.status == "ready"
        assert "user callback bug" in caplog.text  # logged, never lost in a dead thread
    finally:
        w.close()


def test_a_raising_observer_of_the_curve_never_stops_the_background_thread(explanation):
    w = slow_widget(explanation)
    try:
        w.observe(_raise_off_the_kernels_thread, "curve")
        w.show_curve = True
        assert w.wait_idle(10, background=True)
        w.unobserve(_raise_off_the_kernels_thread, "curve")
        w.curve_mode = "insertion"
        assert w.wait_idle(10, background=True)
        assert w.curve["state"] == "done" and w.curve["mode"] == "insertion"
    finally:
        w.close()


def test_a_failing_send_never_stops_the_background_thread(explained):
    w, _, _ = sending_widget(explained, prescore=True)

    def send(content: dict, buffers: object = None) -> None:
        if threading.current_thread().name == "lime-widget-background":
            raise OSError("the comm is gone")

    w.send = send  # type: ignore[method-assign]
    w.send_interval_s = 0.0
    try:
        click(w, 0)
        assert w.wait_idle(10) and w.wait_idle(30, background=True)
        assert w.background_passes > 0
    finally:
        w.close()


# ---------------------------------------------------------------------- find_flip(wait=True) never waits for itself
def test_find_flip_and_wait_idle_from_the_widgets_own_threads_refuse_at_once(slow):
    exp, fn = slow
    fn.delay = 0.0
    w = LimeWidget(exp, prescore=False)
    w.flip_budget = 20
    refused: dict[str, tuple[str, float]] = {}
    idle: dict[str, tuple[bool, float]] = {}

    def refuse(where: str) -> None:
        t0 = time.monotonic()
        try:
            w.find_flip(wait=True, timeout=3)
        except RuntimeError as err:
            refused[where] = (str(err), time.monotonic() - t0)

    def on_scores(_change: dict) -> None:
        if threading.current_thread() is w.scorer_thread and "scorer" not in refused:
            refuse("scorer")  # the search waits for this click, which would wait for the search
            t0 = time.monotonic()
            idle["scorer"] = (w.wait_idle(3), time.monotonic() - t0)

    def on_flip(change: dict) -> None:
        if change["new"].get("state") == "done" and "flip" not in refused:
            refuse("flip")  # the search is done only once its publication returns

    w.observe(on_scores, "scores")
    w.observe(on_flip, "flip")
    try:
        assert w.find_flip(wait=True, timeout=30) is not None
        click(w, 5)
        assert w.wait_idle(10)
        assert set(refused) == {"scorer", "flip"}, refused
        for message, took in refused.values():
            assert "would wait for itself; use wait=False" in message and took < 1
        assert idle["scorer"][0] is False and idle["scorer"][1] < 1
    finally:
        w.close()


def test_find_flip_wait_from_an_observer_of_the_search_starting_gets_its_result(slow):
    exp, fn = slow
    fn.delay = 0.0
    w = LimeWidget(exp, prescore=False)
    w.flip_budget = 20
    got: dict[str, object] = {}

    def on_flip(change: dict) -> None:
        if change["new"].get("state") == "running" and "result" not in got:
            got["result"] = w.find_flip(wait=True, timeout=5)  # the search must already run

    w.observe(on_flip, "flip")
    try:
        w.find_flip()
        assert got["result"] is not None and w.flip["state"] == "done"
    finally:
        w.close()


# ---------------------------------------------------------------------- a failed search holds nothing
def test_a_failed_search_keeps_no_frame_of_it_alive(monkeypatch):
    class Marker:
        """Made inside the failing model call: alive as long as that call's frame is."""

    made: list[weakref.ref[Marker]] = []
    failing = {"now": False}

    def fn(batch: np.ndarray) -> np.ndarray:
        if failing["now"]:
            marker = Marker()
            made.append(weakref.ref(marker))
            raise MemoryError("out of memory (simulated)")
        return brightness(batch)

    # pytest's log capture keeps every record, with its traceback: a notebook's handlers keep none
    monkeypatch.setattr(logging.getLogger("lime_widget"), "propagate", False)
    w = LimeWidget(explain_cells(fn, num_samples=40), prescore=False)
    try:
        failing["now"] = True
        assert w.find_flip(wait=True, timeout=30) is None
        assert w.flip["state"] == "error" and w.flip["message"] == "MemoryError: out of memory (simulated)"
        gc.collect()
        assert made and all(ref() is None for ref in made), "the failed search's frames are still referenced"
    finally:
        w.close()


# ---------------------------------------------------------------------- close
def test_close_from_an_observer_under_the_lock_does_not_wait_for_the_threads(explanation):
    w = slow_widget(explanation)
    probe(w, 2)  # an idle scorer thread, waiting for work (it needs the lock to end)
    thread = w.scorer_thread
    assert thread is not None
    took: list[float] = []

    def on_label(_change: dict) -> None:
        t0 = time.perf_counter()
        w.close()
        took.append(time.perf_counter() - t0)

    w.observe(on_label, "selected_label")
    other = next(c for c in w.explanation.top_labels if c != w.selected_label)
    w.set_state({"selected_label": other})  # a front-end message: its observers run under the widget's lock
    assert took and took[0] < 0.5  # not close_join_s (1 s) for a join that cannot succeed
    thread.join(2)
    assert not thread.is_alive()


def test_a_search_closed_while_it_starts_never_builds_its_model(slow, monkeypatch):
    exp, fn = slow
    w = LimeWidget(exp, prescore=False)
    built: list[object] = []
    real = Explanation.with_model

    def with_model(self: Explanation, model: object) -> Explanation:
        built.append(model)
        return real(self, model)

    monkeypatch.setattr(Explanation, "with_model", with_model)
    with w._lock:
        w.find_flip()
        thread = w._flip_thread
        time.sleep(0.3)  # the search gets as far as it can without the lock
        w.close()
    thread.join(5)
    assert not thread.is_alive() and built == [] and fn.calls == 0


def test_nothing_is_sent_to_the_view_after_close(explained):
    w, fn, sent = sending_widget(explained, prescore=True)
    w.send_interval_s = 0.0
    fn.delay = 0.3
    jobs = w._jobs
    click(w, 0)
    with jobs.cond:  # a batch of pre-scoring is inside its model call
        assert jobs.cond.wait_for(lambda: jobs.background_busy, timeout=10)
    count = len(sent)
    w.close()
    time.sleep(0.8)
    assert len(sent) == count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_a_scorer_started_from_a_niced_thread_makes_way_for_one_at_the_kernels_priority(slow):
    exp, fn = slow
    fn.delay = 0.0
    w = LimeWidget(exp, prescore=False)
    w.flip_budget = 10

    def on_flip(change: dict) -> None:
        if change["new"].get("state") == "done":  # in the flip thread, at nice 19: show the result
            w.visible = [i not in change["new"]["hidden"] for i in range(w.n_segments)]

    w.observe(on_flip, "flip")
    try:
        assert w.find_flip(wait=True, timeout=30) is not None
        assert w.wait_idle(10) and w.scored_rev == w.rev
        deadline = time.monotonic() + 2
        while w.scorer_thread is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert w.scorer_thread is None  # the niced scorer ended with its click
        w.unobserve(on_flip, "flip")
        click(w, 6)
        scorer = w.scorer_thread
        assert scorer is not None and scorer.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, scorer.native_id) != 19
        assert w.wait_idle(10) and w.scored_rev == w.rev
    finally:
        w.close()
