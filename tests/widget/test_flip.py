"""The smallest-flip search's pieces (``_flip``): the classifier the scheduler pauses and stops, and the ``flip``
trait of a result. (The search in the widget's thread: test_scheduler.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget._flip import Cancelled, CheckedClassifier, FlipJob, flip_state

from .support import brightness, explain_cells


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


def test_the_checked_classifier_is_the_inner_one_in_every_other_respect(slow):
    exp, _ = slow
    inner = exp.model
    assert inner is not None
    checked = CheckedClassifier(inner, lambda: None)
    assert checked.class_names == inner.class_names and checked.batch_size == inner.batch_size
    assert checked.device == inner.device and checked.input_dtype == inner.input_dtype
    assert checked.preprocess is inner.preprocess and checked.output == inner.output
    assert checked.auto_batch_size(64, 64) == inner.auto_batch_size(64, 64)


def test_the_flip_state_of_a_result_and_of_an_error():
    exp = explain_cells(brightness, num_samples=40)
    label = exp.top_labels[0]
    job = FlipJob(label, 60)
    job.result = lw.minimal_flip(exp, label, budget=60)
    state = flip_state(job)
    res = job.result
    assert state["state"] == "done" and state["label"] == label and state["label_name"] == res.label_name
    assert state["hidden"] == [int(i) for i in res.hidden] and state["flipped"] == bool(res.flipped)
    assert state["forward_passes"] == res.forward_passes <= state["budget"] == 60
    assert state["stop_reason"] == res.stop_reason and state["size"] == res.size
    failed = FlipJob(label, 60, done=True, error=RuntimeError("GPU on fire"))
    assert flip_state(failed) == {"state": "error", "label": label, "message": "RuntimeError: GPU on fire"}
