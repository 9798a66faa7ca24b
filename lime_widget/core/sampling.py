"""On/off masks over superpixels: the sampling designs. Row 0 is always the original image (all visible).

Every design is randomised by the one ``numpy.random.Generator`` of the explanation: different seeds give
different masks, the same seed the same masks. The new designs are *streams*: the first n rows of a
design of N > n rows are the design of n rows, so adaptive sampling can draw more rounds of the same design.

- ``lime``: each superpixel on with probability 1/2 (lime's scheme). ``matlab``: a per-sample keep
  threshold (the MATLAB demo). Both kept exactly as the references have them.
- ``paired``: lime's masks, each followed by its complement (the foldover, as Kernel SHAP does): every
  superpixel is on in exactly half of each pair, and main effects are freed from two-superpixel
  interactions when pairs carry equal weight.
- ``balanced``: randomised Hadamard designs with their foldover, in blocks of 2m rows (m the smallest power of
  two above K): in every block each superpixel is on in exactly half the rows, every two superpixels are
  on together in exactly a quarter (orthogonal columns), and each row is followed by its complement.
- ``stratified``: the number s of visible superpixels is stratified, with the strata sizes proportional to
  the kernel-weighted distribution ``Binomial(K, 1/2)(s) * kernel(s)`` (a randomly shifted golden-ratio
  sequence through its quantiles, so every prefix of the stream is stratified to within a few rows), and a
  uniformly random set of s superpixels within a stratum. Near-original masks are
  then as common as their kernel weight says (Rashid et al., AAAI 2024), and the sample weights that
  keep the estimate unbiased for lime's weighted fit, ``p(s) kernel(s) / q(s)``, are nearly equal: the
  fit is close to GLIME's unweighted fit on samples from the local distribution (Tan et al., 2023).
"""

from __future__ import annotations

import math

import numpy as np

SCHEMES = ("lime", "matlab", "paired", "balanced", "stratified")
#: Designs whose rows come in (mask, complement) pairs at positions (2i+1, 2i+2).
PAIRED_SCHEMES = ("paired", "balanced")


def sample_masks(
    num_samples: int,
    n_segments: int,
    rng: np.random.Generator,
    scheme: str = "lime",
    *,
    count_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Draw binary masks; True = the superpixel is visible.

    scheme: one of :data:`SCHEMES` (see the module docstring). count_weights: for ``stratified``, the
    kernel weight of a mask with s visible superpixels, float (K+1,) (see :func:`lime_widget.core.kernels.count_kernel`).
    Returns bool (num_samples, n_segments); row 0 is all True.
    """
    if num_samples < 2:
        raise ValueError(f"num_samples must be at least 2 (the original plus one perturbation); got {num_samples}")
    if n_segments < 1:
        raise ValueError(f"n_segments must be positive; got {n_segments}")
    if scheme == "lime":
        masks = rng.integers(0, 2, size=(num_samples, n_segments)).astype(bool)
    elif scheme == "matlab":
        thresholds = rng.random((num_samples, 1)) * 0.8
        masks = rng.random((num_samples, n_segments)) > thresholds
    elif scheme == "paired":
        masks = _with_original(_foldover(rng.integers(0, 2, size=((num_samples) // 2, n_segments)).astype(bool)))
    elif scheme == "balanced":
        masks = _with_original(_hadamard_stream(num_samples - 1, n_segments, rng))
    elif scheme == "stratified":
        if count_weights is None:
            raise ValueError("the stratified design needs count_weights (the kernel weight of each count)")
        masks = _with_original(stratified_masks(num_samples - 1, n_segments, rng, count_weights))
    else:
        raise ValueError(f"unknown sampling scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    masks = masks[:num_samples]
    masks[0] = True
    return masks


def design_weights(masks: np.ndarray, scheme: str, count_weights: np.ndarray | None = None) -> np.ndarray:
    """Factors (n,) to multiply the kernel weights by so the fit stays unbiased for lime's weighted estimand:
    ``p(s) / q(s)`` for the ``stratified`` design (normalised to mean 1 over the drawn masks; row 0, the
    original, keeps 1), ones for the others. masks: bool (n, K) as drawn by :func:`sample_masks`."""
    n, k = masks.shape
    out = np.ones(n, dtype=np.float64)
    if scheme != "stratified" or n < 2:
        return out
    if count_weights is None:
        raise ValueError("the stratified design needs count_weights")
    p, q = _strata(k, count_weights)
    s = masks[1:].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adjust = np.where(q[s] > 0, p[s] / q[s], 0.0)
    out[1:] = adjust / adjust.mean()
    return out


def _with_original(rows: np.ndarray) -> np.ndarray:
    return np.concatenate([np.ones((1, rows.shape[1]), dtype=bool), rows], axis=0)


def _foldover(rows: np.ndarray) -> np.ndarray:
    """Each row followed by its complement: (m, K) -> (2m, K)."""
    out = np.empty((2 * rows.shape[0], rows.shape[1]), dtype=bool)
    out[0::2] = rows
    out[1::2] = ~rows
    return out


def _hadamard_stream(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """At least n rows of randomised foldover Hadamard blocks (2m rows each) over k superpixels."""
    from scipy.linalg import hadamard

    m = 2 ** math.ceil(math.log2(k + 1))
    base = hadamard(m) > 0  # row 0 and column 0 are constant; the other columns are balanced and orthogonal
    blocks = []
    total = 0
    while total < n + 1:  # one spare row, so a stream prefix never depends on the count asked for
        cols = rng.choice(np.arange(1, m), size=k, replace=False)
        flips = rng.integers(0, 2, size=k).astype(bool)
        rows = base[rng.permutation(m)][:, cols] ^ flips
        blocks.append(_foldover(rows))
        total += 2 * m
    return np.concatenate(blocks, axis=0)[:n]


def stratified_masks(n: int, k: int, rng: np.random.Generator, count_weights: np.ndarray) -> np.ndarray:
    """n masks over k superpixels, stratified over the number visible (see the module docstring).

    count_weights: float (k+1,) kernel weight of a mask with s visible, s = 0..k. Returns bool (n, k); the
    factors that keep the fit unbiased are :func:`design_weights`. The counts follow a low-discrepancy
    sequence, so any prefix is itself stratified.
    """
    _, q = _strata(k, count_weights)
    sizes = _quantile_stream(q, n, rng)
    ranks = rng.random((n, k)).argsort(axis=1).argsort(axis=1)  # a random permutation per row
    return ranks < sizes[:, None]


def _strata(k: int, count_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, q) over s = 0..k visible: lime's Binomial(k, 1/2) and the stratified design's p * kernel,
    normalised, without the all-hidden stratum (rarely informative)."""
    from scipy.stats import binom

    w = np.asarray(count_weights, dtype=np.float64)
    if w.shape != (k + 1,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w[1:].sum() <= 0:
        raise ValueError(f"count_weights must be {k + 1} finite non-negative numbers, not all zero")
    p = binom.pmf(np.arange(k + 1), k, 0.5)
    q = p * w
    q[0] = 0.0
    return p, q / q.sum()


def _quantile_stream(q: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n stratum indices drawn from the distribution q through a randomly shifted golden-ratio sequence:
    each prefix of length m holds stratum s about m q_s times (within O(log m)). int64 (n,)."""
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    u = (rng.random() + golden * np.arange(n)) % 1.0
    return np.minimum(np.searchsorted(np.cumsum(q), u, side="right"), q.size - 1).astype(np.int64)
