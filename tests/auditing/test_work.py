"""What a worker computes per image (no cluster)."""

from __future__ import annotations

import numpy as np
import pytest

from lime_widget.auditing._work import object_scores


def test_object_scores_by_hand():
    seg = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    mask = np.array([[True, False, False, False]] * 2)
    share, hit = object_scores(seg, np.array([1.0, 3.0]), mask)
    assert share == pytest.approx(1.0 * 2 / (1.0 * 4 + 3.0 * 4)) and hit is False
    assert object_scores(seg, np.array([2.0, -1.0]), mask)[1] is True  # half of segment 0 is on the object
    assert np.isnan(object_scores(seg, np.array([-1.0, -1.0]), mask)[0])


def test_object_scores_rank_a_nan_weight_last():
    seg = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    mask = np.array([[True, True, False, False]] * 2)
    # a NaN weight is no evidence: it is never the top superpixel, and adds nothing to the share
    share, hit = object_scores(seg, np.array([np.nan, 3.0]), mask)
    assert share == 0.0 and hit is False
