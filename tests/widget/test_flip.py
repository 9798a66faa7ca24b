"""The smallest-flip search's pieces (``_flip``): the classifier the scheduler pauses and stops, and the ``flip``
trait of a result. (The search in the widget's thread: test_scheduler.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget._flip import Cancelled, CheckedClassifier, FlipJob, flip_state


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
