"""The weighted Ridge surrogate."""

from __future__ import annotations

import numpy as np

from lime_widget.core.sampling import sample_masks
from lime_widget.core.surrogate import fit_surrogate


def test_surrogate_recovers_exact_linear_targets():
    rng = np.random.default_rng(0)
    z = sample_masks(300, 12, rng)
    beta = rng.normal(size=(12, 2))
    y = 0.7 + z.astype(float) @ beta
    w = rng.random(300) + 0.1
    fit = fit_surrogate(z, y, w, alpha=0.0)
    np.testing.assert_allclose(fit.coef, beta.T, atol=1e-9)
    np.testing.assert_allclose(fit.intercept, [0.7, 0.7], atol=1e-9)
    np.testing.assert_allclose(fit.r2, [1.0, 1.0])
    np.testing.assert_allclose(fit.local_prediction, 0.7 + beta.sum(axis=0))
    ridge = fit_surrogate(z, y, w, alpha=1.0)
    assert np.linalg.norm(ridge.coef) < np.linalg.norm(fit.coef)  # the penalty shrinks
