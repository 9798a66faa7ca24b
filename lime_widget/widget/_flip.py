"""The explorer's smallest-flip search: the job, the classifier wrapper that lets the scheduler pause and stop
it between forward passes, the request of a search, and the ``flip`` trait of its result (docs/protocol.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..analysis.flips import MinimalFlip
from ..models.classifiers import Classifier

if TYPE_CHECKING:
    from .explorer import LimeWidget


class Cancelled(Exception):
    """Raised inside a flip search, before a forward pass, once its scheduler is closed."""


@dataclass
class FlipJob:
    """One smallest-flip search: the class watched, the budget (forward passes), and when done its result
    (or the error it raised; both None when it was cancelled)."""

    label: int
    budget: int
    done: bool = False
    result: MinimalFlip | None = None
    error: BaseException | None = None


class CheckedClassifier(Classifier):
    """``inner`` with a ``checkpoint()`` before every forward pass (it may wait, or raise :class:`Cancelled`);
    otherwise the same classifier (preprocessing, batch size, device, layout), so every score is bit for bit
    ``inner``'s."""

    def __init__(self, inner: Classifier, checkpoint: Callable[[], None]) -> None:
        self.inner = inner
        self._checkpoint = checkpoint
        self.class_names = inner.class_names
        self.output = inner.output
        self.device = inner.device
        self.preprocess = inner.preprocess
        self.batch_size = inner.batch_size
        self.channels_last = inner.channels_last

    @property
    def input_dtype(self) -> torch.dtype:
        return self.inner.input_dtype

    def auto_batch_size(self, height: int, width: int) -> int:
        return self.inner.auto_batch_size(height, width)

    def predict(self, batch: torch.Tensor, *, first_index: int = 0) -> np.ndarray:
        self._checkpoint()
        return self.inner.predict(batch, first_index=first_index)


def flip_state(job: FlipJob) -> dict[str, Any]:
    """The ``flip`` trait of a finished search: its result ("done") or its error ("error")."""
    res = job.result
    if res is None:
        return {"state": "error", "label": job.label, "message": f"{type(job.error).__name__}: {job.error}"}
    return {
        "state": "done",
        "label": job.label,
        "label_name": res.label_name,
        "flipped": bool(res.flipped),
        "hidden": [int(i) for i in res.hidden],
        "size": res.size,
        "new_class": res.new_class,
        "new_class_name": res.new_class_name,
        "new_score": res.new_score,
        "greedy_size": res.greedy_size,
        "forward_passes": int(res.forward_passes),
        "budget": int(res.budget),
        "stop_reason": res.stop_reason,
    }


def request_flip(widget: LimeWidget, *, wait: bool, timeout: float | None) -> MinimalFlip | None:
    """:meth:`LimeWidget.find_flip`: start a search of the class ``widget`` tracks within its ``flip_budget``
    (or join the one running), announced in ``flip``; wait=True: its result once done (None after ``timeout``)."""
    label = int(widget.selected_label)
    budget = int(widget.flip_budget)
    if budget < 1:
        raise ValueError(f"flip_budget must be a positive number of forward passes; got {budget}")
    if wait:
        widget._jobs.refuse_own_thread()  # before any search starts

    def announce() -> None:
        widget.flip = {"state": "running", "label": label, "budget": budget}

    with widget._lock:
        job = widget._jobs.start_flip(label, budget, on_start=announce)
    if job is None or not wait:
        return None
    widget._jobs.wait_flip(job, timeout)
    return job.result


def publish_flip(widget: LimeWidget, job: FlipJob) -> None:
    """Run in the flip thread: show the search's result (or error, logged there) in ``flip``."""
    with widget._lock:
        widget.flip = flip_state(job)
