"""Sampling designs."""

from __future__ import annotations

import numpy as np
import pytest

from lime_widget.sampling import sample_masks


def test_sampling_row_zero_and_determinism():
    z1 = sample_masks(500, 40, np.random.default_rng(3))
    z2 = sample_masks(500, 40, np.random.default_rng(3))
    z3 = sample_masks(500, 40, np.random.default_rng(4))
    assert z1.dtype == bool and z1.shape == (500, 40)
    assert z1[0].all()
    np.testing.assert_array_equal(z1, z2)
    assert not np.array_equal(z1, z3)
    assert abs(z1[1:].mean() - 0.5) < 0.02


def test_matlab_sampling_keeps_between_20_and_100_percent():
    z = sample_masks(4000, 75, np.random.default_rng(0), "matlab")
    kept = z[1:].mean(axis=1)
    assert kept.min() > 0.05 and kept.mean() == pytest.approx(0.6, abs=0.03)


def test_sampling_errors():
    with pytest.raises(ValueError, match="num_samples"):
        sample_masks(1, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="scheme"):
        sample_masks(5, 5, np.random.default_rng(0), "other")
