"""The one scheduler of an explorer's work off the kernel's thread: click scoring, the live curve, pre-scoring
and the smallest-flip search, under one lock.

Priorities: a click pre-empts everything. The newest click only is scored (latest click wins), at once, in
the *scorer* thread at the kernel's CPU priority. The *background* thread, at the lowest CPU priority (nice
19), scores the curve on show, else the masks one click away, one small batch at a time, and starts no batch
while a click waits or is being scored. The *flip* thread, also at the lowest priority, runs one
smallest-flip search; before every forward pass it waits while a click waits or is being scored, and stops
(:class:`Cancelled`) once the scheduler is closed. The scorer and background threads end after ``idle_s``
seconds without work (the next job starts a new one); the flip thread when its search ends.

Every thread holds the widget through a weak reference only, and only while it runs one step, so a closed or
dropped widget is collected; its finalizer closes the scheduler, which stops every thread within one model
call. The widget's own state (its traits, the score cache) is guarded by the same lock (``lock``), so there is
no lock order to get wrong.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from ._flip import Cancelled, CheckedClassifier, FlipJob

if TYPE_CHECKING:
    from ._curve import CurveJob
    from .explorer import LimeWidget


def lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: threads are scheduled, and niced, one by one), so
    that background work only uses CPU time nothing else wants: clicks, the kernel, the browser. The model's
    worker threads this thread starts inherit it. Elsewhere, or when refused, nothing changes."""
    import os

    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:  # pragma: no cover - a sandbox that forbids it
            pass


class Scheduler:
    """The jobs of one widget and the threads that run them (see the module docs).

    State, all guarded by ``lock`` (``cond`` is a condition on it): ``pending`` the newest click not yet taken,
    ``(mask as a tuple of K bools, rev)``; ``click_busy`` while one is scored; ``curve`` the curve being
    scored; ``prescore`` the masks bool (K,) still to pre-score, best first; ``background_busy`` while a batch
    of either runs; ``flip`` the last smallest-flip search; ``closed``. ``thread``, ``background``: the running
    threads, or None; ``flip_thread``: the last search's thread, or None.
    """

    def __init__(self, widget: LimeWidget) -> None:
        self.lock = threading.RLock()  # reentrant: observers of a trait written under it may write traits too
        self.cond = threading.Condition(self.lock)
        self._ref = weakref.ref(widget)
        self.pending: tuple[tuple[bool, ...], int] | None = None
        self.click_busy = False
        self.curve: CurveJob | None = None
        self.prescore: list[np.ndarray] = []
        self.background_busy = False
        self.flip: FlipJob | None = None
        self.closed = False
        self.thread: threading.Thread | None = None  # the scorer
        self.background: threading.Thread | None = None
        self.flip_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ requests (from the widget)
    def submit_click(self, mask: tuple[bool, ...] | None, rev: int) -> bool:
        """Make ``(mask, rev)`` the newest click (None: it was answered from the cache, drop any waiting one).
        Returns False when closed."""
        with self.cond:
            if self.closed:
                return False
            self.pending = None if mask is None else (mask, rev)
            if mask is not None:
                if self.thread is None:
                    self.thread = self._start(_score_loop, "lime-widget-scorer")
                self.cond.notify_all()
            return True

    def set_curve(self, job: CurveJob | None) -> None:
        """Score ``job`` in the background (None: stop scoring the curve)."""
        with self.cond:
            if self.closed:
                return
            self.curve = job
            if job is not None:
                self._wake_background()

    def set_prescore(self, masks: list[np.ndarray]) -> None:
        """Pre-score ``masks`` bool (K,) in the background, best first (replacing the last plan)."""
        with self.cond:
            if self.closed:
                return
            self.prescore = masks
            if masks:
                self._wake_background()

    def start_flip(self, label: int, budget: int, on_start: Any = None) -> FlipJob | None:
        """Start a smallest-flip search of ``label`` within ``budget`` forward passes, or return the one running
        (whatever its label). ``on_start()`` runs, under the lock, only when a search starts. None when closed."""
        with self.cond:
            if self.closed:
                return None
            if self.flip is not None and not self.flip.done:
                return self.flip
            job = FlipJob(label, budget)
            self.flip = job
            if on_start is not None:
                on_start()
            self.flip_thread = threading.Thread(
                target=_flip_loop, args=(self._ref, self, job), name="lime-widget-flip", daemon=True
            )
            self.flip_thread.start()
            return job

    def wait_flip(self, job: FlipJob, timeout: float | None) -> bool:
        """Block until ``job`` is done (or ``timeout`` seconds pass, or the scheduler is closed)."""
        with self.cond:
            return self.cond.wait_for(lambda: job.done or self.closed, timeout=timeout) and job.done

    def wait_idle(self, timeout: float, *, background: bool = False) -> bool:
        """Block until the newest click is scored (background=True: and the curve and pre-scoring are done), or
        ``timeout`` seconds pass. True when idle; at once once closed."""

        def idle() -> bool:
            if self.closed:
                return True
            clicks_done = self.pending is None and not self.click_busy
            if background:
                return clicks_done and not self.has_background_work() and not self.background_busy
            return clicks_done

        with self.cond:
            return self.cond.wait_for(idle, timeout=timeout)

    def has_background_work(self) -> bool:
        return self.curve is not None or bool(self.prescore)

    def close(self, join_s: float = 0.0) -> None:
        """Drop every job and stop every thread: an idle one is woken and joined (up to ``join_s`` seconds); one
        inside a model call ends when that call returns, without publishing (a flip search raises
        :class:`Cancelled` before its next forward pass). Never joins the calling thread itself."""
        with self.cond:
            me = threading.current_thread()
            idle = [
                t
                for t, busy in ((self.thread, self.click_busy), (self.background, self.background_busy))
                if t is not None and not busy and t is not me
            ]
            self.closed = True
            self.pending = None
            self.curve = None
            self.prescore = []
            self.cond.notify_all()
        for thread in idle:
            thread.join(timeout=join_s)

    # ------------------------------------------------------------------ inside the threads
    def checkpoint(self) -> None:
        """Before a flip search's forward pass: wait while a click waits or is scored; :class:`Cancelled` once
        closed."""
        with self.cond:
            self.cond.wait_for(lambda: self.closed or (self.pending is None and not self.click_busy))
            if self.closed:
                raise Cancelled

    def _wake_background(self) -> None:
        if self.background is None:
            self.background = self._start(_background_loop, "lime-widget-background")
        self.cond.notify_all()

    def _start(self, loop: Any, name: str) -> threading.Thread | None:
        widget = self._ref()
        if widget is None:
            return None
        idle_s = float(widget.scorer_idle_s)
        batch = max(1, int(widget.background_batch))
        thread = threading.Thread(target=loop, args=(self._ref, self, idle_s, batch), name=name, daemon=True)
        thread.start()
        return thread


def _score_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, idle_s: float, _batch: int) -> None:
    """The scorer thread: takes the newest click and scores it through the widget (held only while scoring)."""
    while True:
        with sched.cond:
            sched.cond.wait_for(lambda: sched.pending is not None or sched.closed, timeout=idle_s)
            if sched.closed or sched.pending is None:  # closed, collected (finalizer) or idle: end this thread
                if sched.thread is threading.current_thread():
                    sched.thread = None
                return
            mask, rev = sched.pending
            sched.pending = None
            sched.click_busy = True
        widget = None
        try:
            widget = ref()
            if widget is None:
                sched.close()
            else:
                widget._score_and_publish(mask, rev)
        finally:
            widget = None  # never hold the widget while waiting
            with sched.cond:
                sched.click_busy = False
                sched.cond.notify_all()


def _background_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, idle_s: float, batch: int) -> None:
    """The background thread, at the lowest priority: one batch of the curve on show, else of the masks to
    pre-score, at a time, and none while a click waits or is being scored."""
    lower_priority()
    while True:
        with sched.cond:

            def ready() -> bool:
                return sched.closed or (sched.has_background_work() and sched.pending is None and not sched.click_busy)

            if not sched.cond.wait_for(ready, timeout=idle_s) and sched.has_background_work() and not sched.closed:
                continue  # clicks kept it waiting: the work is still there
            idle = sched.closed or not sched.has_background_work()
            if idle:  # closed or idle: end this thread
                if sched.background is threading.current_thread():
                    sched.background = None
                if sched.closed:
                    return
            else:
                curve, masks = sched.curve, []
                if curve is None:
                    masks, sched.prescore = sched.prescore[:batch], sched.prescore[batch:]
                sched.background_busy = True
        widget = None
        if idle:
            # The work went away (the curve closed, a plan with nothing to score): send what was kept back.
            widget = ref()
            if widget is not None:
                widget._flush_scores()
            return
        try:
            widget = ref()
            if widget is None:
                sched.close()
            else:
                if curve is not None:
                    widget._advance_curve(curve, batch)
                else:
                    widget._prescore(masks)
                with sched.cond:
                    done = not sched.has_background_work()
                if done:  # what was kept back for a larger message goes now
                    widget._flush_scores()
        finally:
            widget = None
            with sched.cond:
                sched.background_busy = False
                sched.cond.notify_all()


def _flip_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, job: FlipJob) -> None:
    """The flip thread, at the lowest priority: one smallest-flip search on a copy of the widget's explanation
    whose model checks the scheduler before every forward pass; the widget is held only to read the
    explanation and to publish the result."""
    from ..analysis.flips import minimal_flip

    lower_priority()
    try:
        widget = ref()
        if widget is None:
            sched.close()
            return
        exp = widget.explanation
        widget = None  # the search runs without the widget: a dropped widget is collected, and stops it
        try:
            model = exp.model
            assert model is not None  # LimeWidget refuses an explanation without one
            checked = exp.with_model(CheckedClassifier(model, sched.checkpoint))
            job.result = minimal_flip(checked, job.label, budget=job.budget)
        except Cancelled:
            return
        except Exception as err:  # shown in the widget, never lost in a thread
            job.error = err
        widget = ref()
        if widget is not None and not sched.closed:
            widget._publish_flip(job)
    finally:
        widget = None
        with sched.cond:
            job.done = True  # flip_thread stays: the last search's thread (ended), for callers to join
            sched.cond.notify_all()
