"""What the widget tests share: small models on the 8x8 cell image (tests/helpers.py) and the widgets made
with them, with what the front end would send."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

import lime_widget as lw
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments

K = 64  # superpixels of cell_segments()


def brightness(batch: np.ndarray) -> np.ndarray:
    """p(bright) = mean brightness: probabilities (n, 2) of ["dark", "bright"] for images uint8 (n, H, W, 3)."""
    p1 = batch.mean(axis=(1, 2, 3)) / 255.0
    return np.stack([1 - p1, p1], axis=1)


class SlowCounting:
    """A classifier function that sleeps per call and counts calls; p1 = mean brightness."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        return brightness(batch)


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
        return brightness(batch)


class Slow:
    """p1 = mean brightness, after ``delay`` seconds per call."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        return brightness(batch)


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
        return brightness(batch)


def explain_cells(fn: Any, num_samples: int = 80) -> lw.Explanation:
    """The explanation of cell_image() (black hides) for the classifier function ``fn`` of ["dark", "bright"]."""
    clf = lw.FunctionClassifier(fn, class_names=["dark", "bright"])
    return lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=num_samples, top_labels=2, progress=False
    )


# ---------------------------------------------------------------------- widgets
def make_widget(delay: float = 0.0, *, prescore: bool = False) -> tuple[LimeWidget, SlowCounting]:
    fn = SlowCounting()
    exp = explain_cells(fn)
    fn.delay = delay
    fn.calls = 0
    return LimeWidget(exp, prescore=prescore), fn


def sending_widget(
    explained: tuple[lw.Explanation, Counting], **kwargs: Any
) -> tuple[LimeWidget, Counting, list[dict]]:
    """A widget of ``explained`` whose messages to the view are kept in the list returned."""
    exp, fn = explained
    fn.delay = 0.0
    w = LimeWidget(exp, **kwargs)
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    fn.images = 0
    return w, fn, sent


def slow_widget(exp: lw.Explanation, delay: float = 0.0, idle_s: float | None = None) -> LimeWidget:
    """A widget of ``exp`` whose model takes ``delay`` seconds per call (no pre-scoring)."""
    w = LimeWidget(exp.with_model(lw.FunctionClassifier(Slow(delay), class_names=["dark", "bright"])), prescore=False)
    if idle_s is not None:
        w.scorer_idle_s = idle_s
    return w


# ---------------------------------------------------------------------- what the front end sends
def front_end_toggle(w: LimeWidget, seg: int) -> None:
    """What the front end sends on a click: the new visible list and rev + 1, in one message."""
    vis = list(w.visible)
    vis[seg] = not vis[seg]
    w.set_state({"visible": vis, "rev": w.rev + 1})


def click(w: LimeWidget, *segs: int) -> None:
    vis = list(w.visible)
    for s in segs:
        vis[s] = not vis[s]
    w.set_state({"visible": vis, "rev": w.rev + 1})


def probe(w: LimeWidget, seg: int) -> float:
    """Seconds from a front-end click (visible + rev + 1) to its score being published."""
    vis = list(w.visible)
    vis[seg] = not vis[seg]
    t0 = time.perf_counter()
    w.set_state({"visible": vis, "rev": w.rev + 1})
    assert w.wait_idle(10)
    assert w.scored_rev == w.rev
    return time.perf_counter() - t0


def sent_scores(sent: list[dict]) -> dict[tuple[int, ...], list[dict]]:
    out = {}
    for msg in sent:
        assert msg["type"] == "scores"
        for e in msg["entries"]:
            out[tuple(e["hidden"])] = e["scores"]
    return out
