"""The explorer's one scheduler (``_scheduler``): the smallest-flip search is paused by clicks, stopped by close()
within one model call, never keeps a widget alive, and a second request joins the search that runs; close()
ends the threads; many widgets stay responsive and their threads end when idle; background work runs at the
lowest priority."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import weakref

import pytest

import lime_widget as lw
from lime_widget.widget.explorer import LimeWidget

from .support import Sleepy, click, probe, sending_widget, slow_widget


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
