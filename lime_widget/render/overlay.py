"""The red-blue weight overlay: superpixel weights drawn over an image, the one colour scale for them.

The scale is matplotlib's RdBu (colour-blind safe), symmetric around 0: blue for a positive weight (evidence
for the class), red for a negative one, white for 0, with the limits at ± the largest absolute weight.
:func:`explanation_figure` hands the same scale (:data:`CMAP`, :func:`weight_limit`) to ``imshow`` so that
its colour bar and its data stay matplotlib's; everything that makes pixels itself (the gallery's
thumbnails, a view's PNG) blends with :func:`weight_overlay`.
"""

from __future__ import annotations

import numpy as np

CMAP = "RdBu"


def weight_limit(weights: np.ndarray) -> float:
    """The end of the symmetric scale: the largest finite absolute weight, or 1.0 when there is none (all
    zero or NaN), so that a blank explanation draws white rather than dividing by 0. weights: float (...)."""
    w = np.abs(np.asarray(weights, dtype=np.float64))
    w = w[np.isfinite(w)]
    return float(w.max()) if w.size and w.max() > 0 else 1.0


def weight_colours(weights: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """RGBA float64 (..., 4) in 0..1 of weights float (...) on the scale -vmax..vmax (default
    :func:`weight_limit`); a NaN weight gets alpha 0 (nothing drawn)."""
    from matplotlib import colormaps

    w = np.asarray(weights, dtype=np.float64)
    limit = weight_limit(w) if vmax is None else float(vmax)
    finite = np.isfinite(w)
    rgba = colormaps[CMAP]((np.where(finite, w, 0.0) / limit + 1.0) / 2.0).astype(np.float64)
    rgba[..., 3] = np.where(finite, 1.0, 0.0)
    return rgba


def weight_overlay(
    image: np.ndarray,
    segments: np.ndarray,
    weights: np.ndarray,
    *,
    alpha: float = 0.5,
    by_magnitude: bool = False,
    vmax: float | None = None,
) -> np.ndarray:
    """The image with each superpixel blended towards its weight's colour: RGB float64 (H, W, 3) in 0..1.

    image: uint8 (H, W, 3), or float (H, W, 3) in 0..1; segments: int (H, W) with ids 0..K-1; weights: float
    (K,). alpha: the overlay's opacity in 0..1; by_magnitude: scale it by |weight| / vmax per superpixel
    (small weights stay nearly transparent, as in the audit gallery's thumbnails). vmax: the scale's end
    (default :func:`weight_limit` of the weights). Superpixels with a NaN weight show the image unchanged.
    """
    img = np.asarray(image)
    base = img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    w = np.asarray(weights, dtype=np.float64)
    limit = weight_limit(w) if vmax is None else float(vmax)
    rgba = weight_colours(w, limit)  # (K, 4)
    opacity = float(alpha) * rgba[:, 3]
    if by_magnitude:
        opacity = opacity * np.where(np.isfinite(w), np.abs(w) / limit, 0.0)
    a = opacity[segments][..., None]
    return base * (1.0 - a) + rgba[:, :3][segments] * a
