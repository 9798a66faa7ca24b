"""Segmentation: relabelling, every method, callables, grid, boundaries."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core.segmentation import SegmentationError, grid, relabel, segment

from ..helpers import cell_image


def test_relabel_makes_ids_consecutive_from_zero():
    labels = np.array([[5, 5, 9], [100, 9, 5]])
    out = relabel(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1], [2, 1, 0]])


@pytest.mark.parametrize("method", ["slic", "quickshift", "felzenszwalb", "watershed", "grid"])
def test_every_method_returns_consecutive_ids(method):
    img = lw.sample_image("coffee")[::4, ::4]
    seg = segment(img, method, {"n_segments": 30} if method in ("slic", "watershed", "grid") else None)
    assert seg.shape == img.shape[:2] and seg.dtype == np.int32
    ids = np.unique(seg)
    np.testing.assert_array_equal(ids, np.arange(len(ids)))
    assert len(ids) >= 2


def test_slic_starting_at_one_is_relabelled():
    # scikit-image's slic starts at 1 by default; lime then never perturbs one superpixel.
    from skimage.segmentation import slic

    img = lw.sample_image("coffee")[::4, ::4]
    seg = segment(img, lambda im: slic(im, n_segments=20, start_label=1))
    assert seg.min() == 0 and seg.max() == len(np.unique(seg)) - 1


def test_callable_segmentation_is_validated():
    img = cell_image()
    with pytest.raises(SegmentationError, match="shape"):
        segment(img, lambda im: np.zeros((3, 3), dtype=int))
    with pytest.raises(SegmentationError, match="single superpixel"):
        segment(img, lambda im: np.zeros(im.shape[:2], dtype=int))
    with pytest.raises(SegmentationError, match="raised"):
        segment(img, lambda im: 1 / 0)
    with pytest.raises(ValueError, match="unknown segmentation"):
        segment(img, "magic")
    with pytest.raises(ValueError, match="bad parameters"):
        segment(img, "slic", {"no_such_param": 1})


def test_grid_is_regular():
    g = grid(64, 64, shape=(8, 8))
    assert g.max() == 63 and (g == 0).sum() == 64
    assert grid(100, 50, n_segments=32).max() + 1 in range(24, 41)
