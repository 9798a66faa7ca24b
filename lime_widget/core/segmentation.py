"""Superpixel segmentation: every method returns an int32 (H, W) label map relabelled to 0..K-1.

Everything about label maps lives here: :func:`segment`, :func:`relabel`, :func:`as_segments` (a user's map
made safe), :func:`n_segments_of` (K) and :func:`boundary_mask` (edges, for drawing).
"""

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


def relabel(segments: np.ndarray) -> np.ndarray:
    """Map arbitrary integer ids to consecutive 0..K-1 (order of first sorted id kept).

    segments: integer (H, W) label map. Returns a new int32 (H, W) array.
    """
    segments = np.asarray(segments)
    if segments.ndim != 2:
        raise SegmentationError(f"a label map must be 2-D (H, W); got shape {segments.shape}")
    if not (np.issubdtype(segments.dtype, np.integer) or segments.dtype == np.bool_):
        if (
            np.issubdtype(segments.dtype, np.floating)
            and np.all(np.isfinite(segments))
            and np.all(segments == np.round(segments))
        ):
            segments = segments.astype(np.int64)
        else:
            raise SegmentationError(f"a label map must hold integer ids; got dtype {segments.dtype}")
    _, inverse = np.unique(segments, return_inverse=True)
    return inverse.reshape(segments.shape).astype(np.int32)


def as_segments(segments: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A user's precomputed label map, checked against the image shape (H, W) and relabelled to 0..K-1.

    Returns a new int32 (H, W) array (no sort when the ids are already consecutive from 0).
    """
    arr = np.asarray(segments)
    if arr.shape != tuple(shape):
        raise SegmentationError(
            f"segments has shape {arr.shape} but the image is {tuple(shape)}; pass one id per pixel"
        )
    if arr.ndim == 2 and arr.size and np.issubdtype(arr.dtype, np.integer):
        lo, hi = int(arr.min()), int(arr.max())
        if lo == 0 and hi < arr.size and np.all(np.bincount(arr.ravel().astype(np.intp, copy=False)) > 0):
            out = arr.astype(np.int32)
            _check_two(out)
            return out
    out = relabel(arr)
    _check_two(out)
    return out


def _check_two(segments: np.ndarray) -> None:
    if n_segments_of(segments) < 2:
        raise SegmentationError(
            "the segmentation has a single superpixel, so nothing can be switched off; ask for more "
            "segments (e.g. n_segments=) or choose another method"
        )


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
            raise SegmentationError(
                f"unknown segmentation {method!r}; choose one of {', '.join(METHODS)} or pass a callable"
            )
        merged = {**DEFAULT_PARAMS[method], **(params or {})}
        try:
            raw = _run(method, image, merged, seed)
        except (TypeError, ValueError) as err:
            raise SegmentationError(f"bad parameters for {method} segmentation {merged}: {err}") from err
    segments = relabel(raw)
    _check_two(segments)
    return segments


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
            raise SegmentationError(f"grid segmentation needs n_segments >= 2; got {n_segments}")
        rows = max(1, round(np.sqrt(n_segments * height / width)))
        cols = max(1, round(n_segments / rows))
    else:
        rows, cols = shape
    rows, cols = min(rows, height), min(cols, width)
    r = np.minimum(np.arange(height) * rows // height, rows - 1)
    c = np.minimum(np.arange(width) * cols // width, cols - 1)
    return (r[:, None] * cols + c[None, :]).astype(np.int32)


def n_segments_of(segments: np.ndarray) -> int:
    """Number K of superpixels of a relabelled (H, W) map with ids 0..K-1."""
    return int(segments.max()) + 1


def boundary_mask(segments: np.ndarray) -> np.ndarray:
    """bool (H, W): True on pixels at the edge of a superpixel (scikit-image's inner boundaries)."""
    from skimage.segmentation import find_boundaries

    return find_boundaries(segments, mode="inner")
