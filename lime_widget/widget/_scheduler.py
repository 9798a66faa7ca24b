"""The one scheduler of an explorer's work off the kernel's thread: click scoring, the live curve, pre-scoring
and the smallest-flip search, under one lock.

Priorities: no model call starts while a click waits or is scored (none is interrupted mid-batch). The newest
click only is scored (latest click wins), at once, in the *scorer* thread at the kernel's CPU priority (one
started from a niced thread, a callback of the flip or background thread, inherits its nice value, which an
unprivileged thread cannot undo: it ends as soon as no click waits, so the next click starts one at full
priority). The *background* thread, at the lowest CPU priority (nice 19), scores the curve on show, else the
masks one click away, one small batch at a time, and starts no batch while a click waits or is being scored.
The *flip* thread, also at the lowest priority, runs one smallest-flip search; before every forward pass it
waits while a click waits or is being scored, and stops (:class:`Cancelled`) once the scheduler is closed. The
scorer and background threads end after ``idle_s`` seconds without work (the next job starts a new one); the
flip thread when its search ends.

Every thread holds the widget through a weak reference only, and only while it runs one step, so no thread
keeps it alive: a closed widget is collected once unreferenced (an open one stays in ipywidgets' registry of
widgets, docs/protocol.md), and its finalizer closes the scheduler, which stops every thread within one model
call. A step that raises (a user's observer, a comm error) is logged and the thread goes on. The widget's own
state (its traits, the score cache) is guarded by the same lock (``lock``), so there is no lock order to get
wrong. ``find_flip(wait=True)`` from the scorer or flip thread (a callback) would wait for itself: refused.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from ._curve import CurveJob, advance_curve
from ._flip import Cancelled, CheckedClassifier, FlipJob, publish_flip
from ._prescore import prescore_batch
from ._scores import flush_scores

if TYPE_CHECKING:
    from ..analysis.flips import MinimalFlip
    from ..engine.explanation import Explanation
    from .explorer import LimeWidget

log = logging.getLogger("lime_widget")
OWN_THREAD_WAIT = (
    "find_flip(wait=True) from a callback on the widget's own thread would wait for itself; use wait=False"
)


def lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: threads are scheduled, and niced, one by one), so
    that background work only uses CPU time nothing else wants: clicks, the kernel, the browser. The model's
    worker threads this thread starts inherit it. Elsewhere, or when refused, nothing changes."""
    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:  # pragma: no cover - a sandbox that forbids it
            pass


def niced() -> bool:
    """Whether the calling thread runs at a lower CPU priority than the process' main thread (Linux), as the
    background and flip threads do: a thread it starts inherits that."""
    if not (sys.platform.startswith("linux") and hasattr(os, "getpriority")):
        return False
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) > os.getpriority(os.PRIO_PROCESS, os.getpid())
    except OSError:  # pragma: no cover - a sandbox that forbids it
        return False


def bare(err: BaseException) -> BaseException:
    """``err`` without its traceback and chained exceptions, whose frames would keep what they held alive
    (a failed search's batches, its copy of the model)."""
    err.__context__ = None
    err.__cause__ = None
    return err.with_traceback(None)


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
                if self.thread is None:  # started niced (see the module docs): it ends once no click waits
                    self.thread = self._start(_score_loop, "lime-widget-scorer", idle_s=0.0 if niced() else None)
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
        (whatever its label). ``on_start()`` runs, under the lock, only when a search starts, once its thread
        runs (which publishes only after the lock is released), so that a callback may wait for it. None when
        closed."""
        with self.cond:
            if self.closed:
                return None
            if self.flip is not None and not self.flip.done:
                return self.flip
            job = FlipJob(label, budget)
            thread = threading.Thread(
                target=_flip_loop, args=(self._ref, self, job), name="lime-widget-flip", daemon=True
            )
            thread.start()
            self.flip, self.flip_thread = job, thread
            if on_start is not None:
                on_start()
            return job

    def refuse_own_thread(self) -> None:
        """RuntimeError in the scorer or the flip thread (a callback there), where waiting for a search would
        wait for itself: the search waits for the click being scored, and is done once its publication returns."""
        me = threading.current_thread()
        if me is self.thread or me is self.flip_thread:
            raise RuntimeError(OWN_THREAD_WAIT)

    def wait_flip(self, job: FlipJob, timeout: float | None) -> bool:
        """Block until ``job`` is done (or ``timeout`` seconds pass, or the scheduler is closed); RuntimeError in
        the widget's own threads (:meth:`refuse_own_thread`)."""
        self.refuse_own_thread()
        with self.cond:
            return self.cond.wait_for(lambda: job.done or self.closed, timeout=timeout) and job.done

    def wait_idle(self, timeout: float, *, background: bool = False) -> bool:
        """Block until the newest click is scored (background=True: and the curve and pre-scoring are done), or
        ``timeout`` seconds pass. True when idle; at once once closed. False at once from a callback in a thread
        that would have to end its step first (the scorer; the background thread with background=True)."""

        def idle() -> bool:
            if self.closed:
                return True
            clicks_done = self.pending is None and not self.click_busy
            if background:
                return clicks_done and not self.has_background_work() and not self.background_busy
            return clicks_done

        with self.cond:
            me = threading.current_thread()
            if me is self.thread or (background and me is self.background):
                return False
            return self.cond.wait_for(idle, timeout=timeout)

    def has_background_work(self) -> bool:
        return self.curve is not None or bool(self.prescore)

    def close(self, join_s: float = 0.0) -> None:
        """Drop every job and stop every thread: an idle one is woken and joined (up to ``join_s`` seconds); one
        inside a model call ends when that call returns, without publishing (a flip search raises
        :class:`Cancelled` before its next forward pass). Never joins the calling thread itself, nor any thread
        when the caller holds the lock (an observer of a trait written under it): an idle thread needs the lock
        to wake, so it ends just after the caller releases it."""
        held = self.lock._is_owned()  # type: ignore[attr-defined]  # CPython's RLock has no public way to ask
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
        if not held:
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

    def _start(self, loop: Any, name: str, idle_s: float | None = None) -> threading.Thread | None:
        """Start ``loop`` in a thread ending after ``idle_s`` seconds without work (default: the widget's)."""
        widget = self._ref()
        if widget is None:
            return None
        idle_s = float(widget.scorer_idle_s) if idle_s is None else idle_s
        batch = max(1, int(widget.background_batch))
        thread = threading.Thread(target=loop, args=(self._ref, self, idle_s, batch), name=name, daemon=True)
        thread.start()
        return thread


def _score_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, idle_s: float, _batch: int) -> None:
    """The scorer thread: takes the newest click and scores it through the widget (held only while scoring)."""
    try:
        while True:
            with sched.cond:
                sched.cond.wait_for(lambda: sched.pending is not None or sched.closed, timeout=idle_s)
                if sched.closed or sched.pending is None:  # closed, collected (finalizer) or idle: end this thread
                    if sched.thread is threading.current_thread():  # in the same hold: a new click starts one
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
            except Exception:  # a user's observer, a failed report: the next click is still scored
                log.exception("the scorer thread's step failed")
            finally:
                widget = None  # never hold the widget while waiting
                with sched.cond:
                    sched.click_busy = False
                    sched.cond.notify_all()
    finally:  # however the thread ends, the next click starts a new one
        with sched.cond:
            if sched.thread is threading.current_thread():
                sched.thread = None


def _background_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, idle_s: float, batch: int) -> None:
    """The background thread, at the lowest priority: one batch of the curve on show, else of the masks to
    pre-score, at a time, and none while a click waits or is being scored."""
    lower_priority()
    try:
        while True:
            with sched.cond:

                def ready() -> bool:
                    return sched.closed or (
                        sched.has_background_work() and sched.pending is None and not sched.click_busy
                    )

                if not sched.cond.wait_for(ready, timeout=idle_s) and sched.has_background_work() and not sched.closed:
                    continue  # clicks kept it waiting: the work is still there
                idle = sched.closed or not sched.has_background_work()
                if idle:  # closed or idle: end this thread (in the same hold: new work starts one)
                    if sched.background is threading.current_thread():
                        sched.background = None
                    if sched.closed:
                        return
                else:
                    curve, masks = sched.curve, []
                    if curve is None:
                        masks, sched.prescore = sched.prescore[:batch], sched.prescore[batch:]
                    sched.background_busy = True
            if idle:
                # The work went away (the curve closed, a plan with nothing to score): send what was kept back.
                widget = ref()
                if widget is not None:
                    flush_scores(widget)
                return
            widget = None
            try:
                widget = ref()
                if widget is None:
                    sched.close()
                else:
                    if curve is not None:
                        advance_curve(widget, curve, batch)
                    else:
                        prescore_batch(widget, masks)
                    with sched.cond:
                        done = not sched.has_background_work()
                    if done:  # what was kept back for a larger message goes now
                        flush_scores(widget)
            except Exception:  # a user's observer, a comm error: the rest of the work still runs
                log.exception("the background thread's step failed")
            finally:
                widget = None
                with sched.cond:
                    sched.background_busy = False
                    sched.cond.notify_all()
    except Exception:  # the last flush failed: logged, never lost in the thread
        log.exception("the background thread failed")
    finally:  # however the thread ends, new work starts a new one
        with sched.cond:
            if sched.background is threading.current_thread():
                sched.background = None


def _search(exp: Explanation, sched: Scheduler, job: FlipJob) -> MinimalFlip:
    """The search of ``job`` on a copy of ``exp`` whose model checks the scheduler before every forward pass. Its
    own function, so that the copy (and its model's tensors) is freed when it returns, before the search is
    done: freed later, in a daemon thread while the interpreter exits, a tensor's destructor can abort it."""
    from ..analysis.flips import minimal_flip

    sched.checkpoint()  # closed while it started: not even the model's copy is made
    model = exp.model
    assert model is not None  # LimeWidget refuses an explanation without one
    return minimal_flip(exp.with_model(CheckedClassifier(model, sched.checkpoint)), job.label, budget=job.budget)


def _flip_loop(ref: weakref.ReferenceType[LimeWidget], sched: Scheduler, job: FlipJob) -> None:
    """The flip thread, at the lowest priority: one smallest-flip search on a copy of the widget's explanation
    whose model checks the scheduler before every forward pass; the widget is held only to read the
    explanation and to publish the result."""
    lower_priority()
    widget = None
    try:
        widget = ref()
        if widget is None:
            sched.close()
            return
        exp = widget.explanation
        widget = None  # the search runs without the widget: a dropped widget is collected, and stops it
        try:
            job.result = _search(exp, sched, job)
        except Cancelled:
            return
        except Exception as err:  # shown in the widget, never lost in a thread
            log.error("minimal_flip failed", exc_info=err)
            job.error = bare(err)  # kept until the next search: without the frames of this one
        with sched.cond:  # done and published in one hold: no caller sees a finished search still running
            job.done = True
            sched.cond.notify_all()
            widget = ref()
            if widget is not None and not sched.closed:
                publish_flip(widget, job)
    except Exception:  # a user's observer of flip: logged, never lost in the thread
        log.exception("publishing the smallest flip failed")
    finally:
        widget = None
        with sched.cond:
            job.done = True  # flip_thread stays: the last search's thread (ended), for callers to join
            sched.cond.notify_all()
