"""The weighted linear surrogate: one Ridge fit (scikit-learn) per explained class, from one set of samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SurrogateFit:
    """Fitted surrogate for L classes over K superpixels.

    coef: (L, K) weight of each superpixel; intercept: (L,); r2: (L,) weighted R² on the samples;
    local_prediction: (L,) the surrogate's prediction for the original image (all visible).
    """

    coef: np.ndarray
    intercept: np.ndarray
    r2: np.ndarray
    local_prediction: np.ndarray


def fit_surrogate(masks: np.ndarray, targets: np.ndarray, weights: np.ndarray, alpha: float = 1.0) -> SurrogateFit:
    """Fit ``target ~ intercept + coef . mask`` by weighted Ridge regression for every column of targets.

    masks: bool (n, K); targets: float (n, L) model scores; weights: (n,) kernel weights; alpha: Ridge
    penalty (lime uses 1; 0 gives plain weighted least squares). Ridge decouples across targets, so one multi-output fit equals L separate fits.
    """
    from sklearn.linear_model import LinearRegression, Ridge

    if alpha < 0:
        raise ValueError(f"ridge alpha must be >= 0; got {alpha}")
    x = masks.astype(np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    # alpha = 0 is plain weighted least squares (the MATLAB demo and the walk-through).
    model = LinearRegression() if alpha == 0 else Ridge(alpha=alpha, fit_intercept=True)
    model.fit(x, y, sample_weight=weights)
    coef = np.atleast_2d(model.coef_).astype(np.float64)
    intercept = np.atleast_1d(model.intercept_).astype(np.float64)
    pred = x @ coef.T + intercept
    wsum = weights.sum()
    mean = (weights[:, None] * y).sum(axis=0) / wsum
    ss_res = (weights[:, None] * (y - pred) ** 2).sum(axis=0)
    ss_tot = (weights[:, None] * (y - mean) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, 0.0)
    local = coef.sum(axis=1) + intercept
    return SurrogateFit(coef=coef, intercept=intercept, r2=r2, local_prediction=local)
