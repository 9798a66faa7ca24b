"""Superpixel segmentation: every method returns an int32 (H, W) label map relabelled to 0..K-1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

SegmentationFn = Callable[[np.ndarray], np.ndarray]
METHODS = ("slic", "quickshift", "felzenszwalb", "watershed", "grid")

#: Defaults per method. slic and grid use ``n_segments`` (75, as in the MATLAB demo); quickshift's are
#: lime's defaults.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "slic": {"n_segments": 75, "compactness": 10.0, "sigma": 1.0},
    "quickshift": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
    "felzenszwalb": {"scale": 100.0, "sigma": 0.5, "min_size": 50},
    "watershed": {"n_segments": 75, "compactness": 0.001},
    "grid": {"n_segments": 64},
}


class SegmentationError(ValueError):
    """The segmentation is unusable (wrong shape, one superpixel only, bad parameters)."""


def relabel(labels: np.ndarray) -> np.ndarray:
    """Map arbitrary integer ids to consecutive 0..K-1 (order of first sorted id kept).

    labels: integer (H, W). Returns a new int32 (H, W) array.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise SegmentationError(f"a label map must be 2-D (H, W); got shape {labels.shape}")
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
        if (
            np.issubdtype(labels.dtype, np.floating)
            and np.all(np.isfinite(labels))
            and np.all(labels == np.round(labels))
        ):
            labels = labels.astype(np.int64)
        else:
            raise SegmentationError(f"a label map must hold integer ids; got dtype {labels.dtype}")
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int32)


def segment(
    image: np.ndarray,
    method: str | SegmentationFn = "slic",
    params: dict[str, Any] | None = None,
    *,
    seed: int = 0,
) -> np.ndarray:
    """Split a uint8 RGB (H, W, 3) image into superpixels.

    method: one of ``slic`` (default), ``quickshift``, ``felzenszwalb``, ``watershed``, ``grid``, or a
    callable taking the (H, W, 3) uint8 image and returning an integer (H, W) label map.
    params: passed through to scikit-image (merged over ``DEFAULT_PARAMS[method]``).
    seed: used by methods that draw random numbers (quickshift).
    Returns an int32 (H, W) label map with ids 0..K-1, K >= 2.
    """
    h, w = image.shape[:2]
    if callable(method):
        try:
            raw = method(image.copy())
        except Exception as err:
            raise SegmentationError(f"the segmentation function raised {type(err).__name__}: {err}") from err
        raw = np.asarray(raw)
        if raw.shape != (h, w):
            raise SegmentationError(
                f"the segmentation function returned shape {raw.shape}; it must return one integer id per "
                f"pixel, shape {(h, w)}"
            )
    else:
        if method not in METHODS:
            raise ValueError(f"unknown segmentation {method!r}; choose one of {', '.join(METHODS)} or pass a callable")
        merged = {**DEFAULT_PARAMS[method], **(params or {})}
        try:
            raw = _run(method, image, merged, seed)
        except TypeError as err:
            raise ValueError(f"bad parameters for {method} segmentation {merged}: {err}") from err
    labels = relabel(raw)
    k = int(labels.max()) + 1
    if k < 2:
        raise SegmentationError(
            "the segmentation produced a single superpixel, so nothing can be switched off; ask for more "
            "segments (e.g. n_segments=) or choose another method"
        )
    return labels


def _run(method: str, image: np.ndarray, p: dict[str, Any], seed: int) -> np.ndarray:
    import skimage.segmentation as seg

    if method == "slic":
        return seg.slic(image, start_label=0, channel_axis=-1, **p)
    if method == "quickshift":
        p = {"rng": seed, **p}
        return seg.quickshift(image, channel_axis=-1, **p)
    if method == "felzenszwalb":
        return seg.felzenszwalb(image, channel_axis=-1, **p)
    if method == "watershed":
        from skimage.color import rgb2gray
        from skimage.filters import sobel

        p = dict(p)
        markers = int(p.pop("n_segments"))
        return seg.watershed(sobel(rgb2gray(image)), markers=markers, **p)
    if method == "grid":
        return grid(image.shape[0], image.shape[1], **p)
    raise AssertionError(method)  # pragma: no cover


def grid(height: int, width: int, n_segments: int = 64, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A regular grid of about ``n_segments`` near-square cells (or exactly ``shape`` = (rows, cols)).

    Returns int32 (height, width) with ids 0..rows*cols-1 in row-major order.
    """
    if shape is None:
        if n_segments < 2:
            raise ValueError("grid segmentation needs n_segments >= 2")
        rows = max(1, round(np.sqrt(n_segments * height / width)))
        cols = max(1, round(n_segments / rows))
    else:
        rows, cols = shape
    rows, cols = min(rows, height), min(cols, width)
    r = np.minimum(np.arange(height) * rows // height, rows - 1)
    c = np.minimum(np.arange(width) * cols // width, cols - 1)
    return (r[:, None] * cols + c[None, :]).astype(np.int32)


def n_segments_of(labels: np.ndarray) -> int:
    """Number K of superpixels of a relabelled (H, W) map."""
    return int(labels.max()) + 1
