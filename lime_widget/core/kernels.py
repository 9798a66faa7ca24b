"""Distances of masks to the original and the kernels that turn them into sample weights."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

KernelFn = Callable[[np.ndarray], np.ndarray]
KERNELS = ("lime", "matlab", "uniform")
DEFAULT_WIDTH = {"lime": 0.25, "matlab": 0.35, "uniform": float("inf")}


def cosine_distance(masks: np.ndarray) -> np.ndarray:
    """Cosine distance of each mask to the all-visible mask (lime's choice).

    masks: bool (n, K). Returns float64 (n,) in [0, 1]; an all-hidden mask has distance 1.
    """
    z = masks.astype(np.float64)
    kept = z.sum(axis=1)
    k = masks.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = kept / (np.sqrt(kept) * np.sqrt(k))
    return 1.0 - np.nan_to_num(sim, nan=0.0)


def hidden_fraction(masks: np.ndarray) -> np.ndarray:
    """1 - (number kept / number of superpixels), the MATLAB demo's distance. bool (n, K) -> (n,)."""
    return 1.0 - masks.mean(axis=1, dtype=np.float64)


def lime_kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """lime's kernel sqrt(exp(-d^2 / width^2)). (n,) -> (n,)."""
    return np.sqrt(np.exp(-(distances**2) / width**2))


def exponential_kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """The MATLAB demo's kernel exp(-d^2 / sigma^2). (n,) -> (n,)."""
    return np.exp(-(distances**2) / width**2)


def sample_weights(
    masks: np.ndarray, kernel: str | KernelFn = "lime", width: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and kernel weights for masks bool (n, K).

    kernel ``lime``: cosine distance, sqrt(exp(-d^2/w^2)), w = 0.25 by default.
    kernel ``matlab``: hidden fraction, exp(-d^2/sigma^2), sigma = 0.35 by default.
    kernel ``uniform``: every sample weighs 1 (the lime kernel with an infinite width; the fit is then the
    Banzhaf-style regression on the on/off vectors); distances are the cosine ones.
    A callable gets the cosine distances (n,) and returns weights (n,).
    Returns (distances (n,), weights (n,)).
    """
    if callable(kernel):
        d = cosine_distance(masks)
        w = np.asarray(kernel(d), dtype=np.float64)
        if w.shape != d.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("a kernel function must return one finite, non-negative weight per sample")
        return d, w
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)} or pass a callable")
    width = DEFAULT_WIDTH[kernel] if width is None else float(width)
    if not width > 0:
        raise ValueError(f"kernel_width must be positive; got {width}")
    if kernel == "uniform":
        d = cosine_distance(masks)
        return d, np.ones_like(d)
    if kernel == "lime":
        d = cosine_distance(masks)
        return d, lime_kernel(d, width)
    d = hidden_fraction(masks)
    return d, exponential_kernel(d, width)


def count_kernel(kernel: str | KernelFn, width: float | None, n_segments: int) -> np.ndarray:
    """The kernel weight of a mask with s visible superpixels, s = 0..K: float64 (K+1,).

    Both distances depend on the count only (cosine: 1 - sqrt(s/K); hidden fraction: 1 - s/K), which the
    stratified design uses to size its strata.
    """
    counts = np.arange(n_segments + 1)
    masks = counts[:, None] > np.arange(n_segments)[None, :]  # row s: the first s superpixels visible
    return sample_weights(masks, kernel, width)[1]
