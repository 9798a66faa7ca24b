"""How sure an explanation is, from the samples already drawn: a wild bootstrap of the surrogate.

No new forward passes. The design is kept fixed and each resampling unit's residual (a row, or a mask and its
complement for the paired designs) is flipped in sign at random, then the weighted Ridge surrogate is refitted in
closed form. Residuals are first divided by the square root of one minus the unit's leverage, so a fit with many
superpixels per sample does not hide its own noise. Measured against a converged reference
(``benchmarks/accuracy.py``), this keeps the 90% intervals near 90%: resampling whole rows (the pairs bootstrap)
over-states the spread when superpixels are many relative to samples, and a plain residual bootstrap under-states
it (El Karoui and Purdom, "Can we trust the bootstrap in high dimensions?", JMLR 2018).

The spread of the refitted weights is each weight's standard error; how often a superpixel lands in the top k is
its top-k confidence; the expected top-k Jaccard between two refits estimates the agreement between two runs with
different seeds.
"""

from __future__ import annotations

import numpy as np

#: Bootstrap refits per explanation: enough for a standard error to about 5% and a stability to about 0.01.
DEFAULT_DRAWS = 200
#: leverages are capped here (a unit that nearly determines its own fit would give an infinite factor)
MAX_LEVERAGE = 0.95


def bootstrap_coefs(
    masks: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    alpha: float,
    rng: np.random.Generator,
    *,
    draws: int = DEFAULT_DRAWS,
    paired: bool = False,
) -> np.ndarray:
    """Refit the surrogate ``draws`` times on wild-bootstrap targets (see the module docstring).

    masks: bool (n, K); targets: float (n, L); weights: kernel weights (n,); alpha: the Ridge penalty as in
    :func:`lime_widget.core.surrogate.fit_surrogate`. Row 0 (the original) is its own unit; the other rows are
    units alone, or in (mask, complement) pairs at (2i+1, 2i+2) when ``paired``. The same signs serve every
    class. Returns float64 (draws, L, K) refitted weights, centred on the fit.
    """
    n, k = masks.shape
    y = np.asarray(targets, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    y = y - y[:1]  # a shift of y leaves slopes and residuals unchanged, and a constant score then gives exact zeros
    w = np.asarray(weights, dtype=np.float64)
    x = masks.astype(np.float64)
    total = w.sum()
    xc = x - (w @ x) / total  # weighted centring: the intercept drops out of the slopes
    gram = (xc.T * w) @ xc
    if alpha > 0:
        gram[np.diag_indices_from(gram)] += alpha
    solve = np.linalg.solve(gram, (xc.T * w)) if alpha > 0 else np.linalg.pinv(gram) @ (xc.T * w)  # (K, n)
    beta = (solve @ y).T  # (L, K)
    resid = y - (y.T * w).sum(axis=1) / total - xc @ beta.T  # (n, L)
    resid = _leverage_corrected(resid, xc, w, solve, total, paired)
    unit = np.concatenate([[0], 1 + _unit_of_row(n, paired)])
    signs = rng.choice(np.array([-1.0, 1.0]), size=(draws, int(unit[-1]) + 1))[:, unit]  # (draws, n)
    out = np.empty((draws, y.shape[1], k), dtype=np.float64)
    for c in range(y.shape[1]):
        out[:, c] = beta[c] + (signs * resid[:, c]) @ solve.T
    return out


def _leverage_corrected(
    resid: np.ndarray, xc: np.ndarray, w: np.ndarray, solve: np.ndarray, total: float, paired: bool
) -> np.ndarray:
    """Residuals (n, L) of each unit multiplied by (I - H_uu)^(-1/2), H the fit's hat matrix (intercept
    included): what the residual would be, in scale, had the unit not been in the fit."""
    n = resid.shape[0]
    # H[a, b] = xc_a . solve[:, b] + w_b / total: the change in the fit at a per unit change of y_b
    diag = np.einsum("ij,ji->i", xc, solve) + w / total
    out = resid.copy()
    if not paired or n < 3:
        out *= 1.0 / np.sqrt(1.0 - np.clip(diag, 0.0, MAX_LEVERAGE))[:, None]
        return out
    out[0] *= 1.0 / np.sqrt(1.0 - min(max(diag[0], 0.0), MAX_LEVERAGE))
    a = np.arange(1, n - 1, 2)
    b = a + 1
    if n % 2 == 0:  # the last row has no complement: a unit of its own
        out[n - 1] *= 1.0 / np.sqrt(1.0 - min(max(diag[n - 1], 0.0), MAX_LEVERAGE))
    # the 2x2 block of H of each pair, made symmetric in the weighted metric: sqrt(w) H sqrt(w)^-1
    sw = np.sqrt(np.maximum(w, 1e-300))
    hab = (np.einsum("ij,ji->i", xc[a], solve[:, b]) + w[b] / total) * sw[a] / sw[b]
    hba = (np.einsum("ij,ji->i", xc[b], solve[:, a]) + w[a] / total) * sw[b] / sw[a]
    off = 0.5 * (hab + hba)
    m11, m22, m12 = 1.0 - diag[a], 1.0 - diag[b], -off
    # inverse square root of the symmetric 2x2 matrix [[m11, m12], [m12, m22]] by its eigen-decomposition
    mean, half = 0.5 * (m11 + m22), np.sqrt(0.25 * (m11 - m22) ** 2 + m12**2)
    lam1 = np.maximum(mean + half, 1.0 - MAX_LEVERAGE)
    lam2 = np.maximum(mean - half, 1.0 - MAX_LEVERAGE)
    theta = 0.5 * np.arctan2(2 * m12, m11 - m22)
    c, s = np.cos(theta), np.sin(theta)
    f1, f2 = 1.0 / np.sqrt(lam1), 1.0 / np.sqrt(lam2)
    i11, i22, i12 = c * c * f1 + s * s * f2, s * s * f1 + c * c * f2, c * s * (f1 - f2)
    ea, eb = resid[a] * sw[a, None], resid[b] * sw[b, None]
    out[a] = (i11[:, None] * ea + i12[:, None] * eb) / sw[a, None]
    out[b] = (i12[:, None] * ea + i22[:, None] * eb) / sw[b, None]
    return out


def _ridge_from_moments(xt: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> np.ndarray:
    """The solve of :func:`weighted_ridge` from the weighted moments (no centred copies of x: one (K, n)
    product per refit). xt: x.T, contiguous, computed once for all refits."""
    y = y - y[:1]  # a shift of y leaves the slopes unchanged, and a constant score then gives exact zeros
    xw = xt * w  # (K, n)
    total = w.sum()
    sx = xw.sum(axis=1)  # X'w
    sy = w @ y  # (L,)
    gram = xw @ x - np.outer(sx, sx) / total
    rhs = xw @ y - np.outer(sx, sy) / total
    if alpha > 0:
        gram[np.diag_indices_from(gram)] += alpha
        return np.linalg.solve(gram, rhs).T
    return np.linalg.lstsq(gram, rhs, rcond=None)[0].T


def _unit_of_row(n: int, paired: bool) -> np.ndarray:
    """The resampling unit of rows 1..n-1: each row alone, or the pairs (2i+1, 2i+2). int64 (n - 1,)."""
    rows = np.arange(n - 1)
    return rows // 2 if paired else rows


def weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> np.ndarray:
    """Coefficients (L, K) of ``y ~ b + x . coef`` by weighted Ridge with an unpenalised intercept, the
    problem scikit-learn's ``Ridge(alpha, fit_intercept=True)`` solves with ``sample_weight=w`` (alpha = 0:
    weighted least squares, minimum-norm when singular). x: (n, K); y: (n, L); w: (n,). The refits of
    :func:`bootstrap_coefs` use exactly this solve."""
    return _ridge_from_moments(np.ascontiguousarray(x.T), x, y, w, alpha)


def expected_jaccard(member: np.ndarray) -> float:
    """Mean Jaccard index over all pairs of distinct draws of their top-k sets. member: bool (draws, K), e.g.
    :func:`~lime_widget.core.rankings.top_k_sets` of the refits."""
    m = member.astype(np.float64)
    inter = m @ m.T
    sizes = m.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    d = member.shape[0]
    if d < 2:
        return float("nan")
    return float((jac.sum() - np.trace(jac)) / (d * (d - 1)))
