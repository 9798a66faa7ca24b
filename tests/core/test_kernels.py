"""Distances and kernels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_distances

from lime_widget.core.kernels import cosine_distance, hidden_fraction, sample_weights
from lime_widget.core.sampling import sample_masks


def test_cosine_distance_matches_sklearn_and_kernels():
    z = sample_masks(200, 30, np.random.default_rng(1))
    z[5] = False
    expected = cosine_distances(z.astype(float), np.ones((1, 30)))[:, 0]
    np.testing.assert_allclose(cosine_distance(z), expected, atol=1e-12)
    assert cosine_distance(z)[5] == 1.0
    d, w = sample_weights(z, "lime")
    np.testing.assert_allclose(w, np.sqrt(np.exp(-(d**2) / 0.25**2)))
    d2, w2 = sample_weights(z, "matlab")
    np.testing.assert_allclose(d2, hidden_fraction(z))
    np.testing.assert_allclose(w2, np.exp(-(d2**2) / 0.35**2))
    assert w[0] == 1.0 and w2[0] == 1.0
    with pytest.raises(ValueError, match="kernel_width"):
        sample_weights(z, "lime", 0)
