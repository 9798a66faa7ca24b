"""Random on/off masks over superpixels. Row 0 is always the original image (all visible)."""

from __future__ import annotations

import numpy as np

SCHEMES = ("lime", "matlab")


def sample_masks(num_samples: int, n_segments: int, rng: np.random.Generator, scheme: str = "lime") -> np.ndarray:
    """Draw binary masks; True = the superpixel is visible.

    scheme ``lime``: each superpixel on or off with probability 1/2 (lime's scheme).
    scheme ``matlab``: per sample a threshold t ~ U(0, 0.8), superpixel kept when U(0, 1) > t (the MATLAB
    demo's ``keep = rand(N,1) > rand(1)*0.8``), so samples range from nearly all kept to about 20% kept.
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
    else:
        raise ValueError(f"unknown sampling scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    masks[0] = True
    return masks
