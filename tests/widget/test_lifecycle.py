"""Widget lifecycle: a re-run cell closes the widgets its last run made; close() ends the scorer thread; many
widgets in one kernel stay responsive and their threads end when idle."""

from __future__ import annotations

import sys
import threading
import time
import types
from typing import Any

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget import _registry as widget_module
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments


class Slow:
    """p1 = mean brightness, after ``delay`` seconds per call."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)


@pytest.fixture(scope="module")
def explanation() -> lw.Explanation:
    clf = lw.FunctionClassifier(Slow(), class_names=["dark", "bright"])
    return lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=80, top_labels=2, progress=False
    )


def make(exp: lw.Explanation, delay: float = 0.0, idle_s: float | None = None) -> LimeWidget:
    w = LimeWidget(exp.with_model(lw.FunctionClassifier(Slow(delay), class_names=["dark", "bright"])), prescore=False)
    if idle_s is not None:
        w.scorer_idle_s = idle_s
    return w


def probe(w: LimeWidget, seg: int) -> float:
    """Seconds from a front-end click (visible + rev + 1) to its score being published."""
    vis = list(w.visible)
    vis[seg] = not vis[seg]
    t0 = time.perf_counter()
    w.set_state({"visible": vis, "rev": w.rev + 1})
    assert w.wait_idle(10)
    assert w.scored_rev == w.rev
    return time.perf_counter() - t0


class FakeCell:
    """Stands in for ``_current_cell``: a shell object, a cell id and the run of that cell."""

    def __init__(self) -> None:
        self.shell = types.SimpleNamespace()
        self.cell_id: str | None = "cell-a"
        self.run = 1

    def __call__(self) -> tuple[Any, str, object] | None:
        return None if self.cell_id is None else (self.shell, self.cell_id, self.run)


@pytest.fixture
def cell(monkeypatch: pytest.MonkeyPatch) -> FakeCell:
    fake = FakeCell()
    monkeypatch.setattr(widget_module, "_current_cell", fake)
    return fake


def test_rerun_of_a_cell_closes_the_old_widget_and_its_thread(explanation, cell):
    old = make(explanation)
    probe(old, 3)
    thread = old.scorer_thread
    assert thread is not None and thread.is_alive()
    cell.run = 2  # the same cell, run again
    new = make(explanation)
    assert not thread.is_alive()  # close() joined it
    assert old.comm is None and old.scorer_thread is None
    assert new.comm is not None
    probe(new, 4)  # the new one works
    registry = cell.shell._lime_widget_cells
    assert [r() for r in registry["cell-a"][1]] == [new]
    new.close()


def test_one_run_making_several_widgets_keeps_them_all(explanation, cell):
    ws = [make(explanation) for _ in range(3)]
    assert all(w.comm is not None for w in ws)
    other_cell = "cell-b"
    cell.cell_id = other_cell
    cell.run = 2
    b = make(explanation)  # another cell: the first cell's widgets stay
    assert all(w.comm is not None for w in ws)
    cell.cell_id = "cell-a"
    cell.run = 3
    make(explanation).close()
    assert all(w.comm is None for w in ws) and b.comm is not None
    b.close()


def test_no_cell_id_means_no_bookkeeping(explanation, cell):
    cell.cell_id = None
    a = make(explanation)
    b = make(explanation)
    assert a.comm is not None and b.comm is not None
    assert not hasattr(cell.shell, "_lime_widget_cells")
    a.close()
    b.close()


def test_current_cell_outside_ipython_and_from_the_kernel_parent(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert widget_module._current_cell() is None  # IPython never imported: nothing to do
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert widget_module._current_cell() is None  # plain Python with IPython installed
    parent = {"header": {"msg_id": "m1"}, "metadata": {"cellId": "c9"}}
    kernel_shell = types.SimpleNamespace(displayhook=types.SimpleNamespace(exec_result=None), get_parent=lambda: parent)
    fake.get_ipython = lambda: kernel_shell  # type: ignore[attr-defined]
    assert widget_module._current_cell() == (kernel_shell, "c9", "m1")  # ipykernel's parent message
    parent["metadata"] = {}
    assert widget_module._current_cell() is None  # a console: no cell id


def test_real_interactive_shell_cells(explanation):
    """The cell id the kernel gives ``run_cell`` (ipykernel passes the front end's ``metadata.cellId``)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["_make"] = lambda: make(explanation)
    shell.run_cell("_w = _make()", cell_id="real-cell", store_history=False)
    first = shell.user_ns["_w"]
    shell.run_cell("_w = _make()", cell_id="real-cell", store_history=False)
    second = shell.user_ns["_w"]
    assert first is not second and first.comm is None and second.comm is not None
    shell.run_cell("_x = _make()", cell_id="other-cell", store_history=False)
    assert second.comm is not None
    shell.run_cell("_y = _make()", store_history=False)  # no cell id (a console): nothing is closed
    assert shell.user_ns["_x"].comm is not None
    for name in ("_w", "_x", "_y"):
        shell.user_ns.pop(name).close()
    del shell.user_ns["_make"]


def test_close_does_not_wait_for_a_busy_scorer_which_then_ends(explanation):
    w = make(explanation, delay=0.3)
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
    w = make(explanation)
    probe(w, 2)
    thread = w.scorer_thread
    assert thread is not None and thread.is_alive()
    t0 = time.perf_counter()
    w.close()
    assert not thread.is_alive() and time.perf_counter() - t0 < 0.5


def test_ten_widgets_stay_responsive_and_their_threads_end_when_idle(explanation):
    delay = 0.02  # a model call dominates a probe, as in a notebook
    single = make(explanation, delay=delay, idle_s=0.3)
    single_t = min(probe(single, s) for s in range(3))
    single.close()

    ws = [make(explanation, delay=delay, idle_s=0.3) for _ in range(10)]
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


def test_every_front_end_mask_is_recorded_once_even_from_the_cache(explanation, monkeypatch):
    # A message changes visible and rev together and both observers fire; when the first job is a cache hit
    # the scorer could publish it before the second observer ran, which then scored and recorded it again.
    # A pause after each observer call gives the scorer thread that chance every time.
    observer = LimeWidget._on_mask_change

    def slow_observer(self: LimeWidget, change: dict[str, Any]) -> None:
        observer(self, change)
        time.sleep(0.01)

    monkeypatch.setattr(LimeWidget, "_on_mask_change", slow_observer)
    w = make(explanation)
    try:
        masks = [list(w.visible), [not v if i == 0 else v for i, v in enumerate(w.visible)]]
        for rev in range(1, 31):
            w.set_state({"visible": masks[rev % 2], "rev": rev})
            assert w.wait_idle(10)
        revs = [h["rev"] for h in w.history]
        assert revs == sorted(set(revs)) and revs[-1] == 30, revs
        assert w.status == "ready" and w.scored_rev == 30
    finally:
        w.close()
