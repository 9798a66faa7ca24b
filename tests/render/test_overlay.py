"""The red-blue weight overlay: the colour scale and the blend (arrays in, RGB out)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps

from lime_widget.render.overlay import CMAP, weight_colours, weight_limit, weight_overlay


def test_the_scale_is_symmetric_around_zero_with_blue_for_positive():
    assert weight_limit(np.array([0.2, -0.5, np.nan])) == 0.5
    assert weight_limit(np.zeros(3)) == 1.0 and weight_limit(np.array([np.nan])) == 1.0
    rgba = weight_colours(np.array([0.5, -0.5, 0.0, np.nan]))
    assert rgba.shape == (4, 4)
    np.testing.assert_allclose(rgba[0], colormaps[CMAP](1.0))  # the largest weight: the blue end
    np.testing.assert_allclose(rgba[1], colormaps[CMAP](0.0))  # its negative: the red end
    np.testing.assert_allclose(rgba[2], colormaps[CMAP](0.5))  # zero: the neutral middle
    assert rgba[0, 2] > rgba[0, 0] and rgba[1, 0] > rgba[1, 2]
    assert rgba[3, 3] == 0.0 and np.all(rgba[:3, 3] == 1.0)  # NaN is not drawn


def test_overlay_blends_each_superpixel_towards_its_colour():
    image = np.full((2, 4, 3), 100, dtype=np.uint8)
    segments = np.array([[0, 0, 1, 1], [2, 2, 3, 3]])
    weights = np.array([0.4, -0.2, 0.0, np.nan])
    out = weight_overlay(image, segments, weights, alpha=0.5)
    assert out.shape == (2, 4, 3) and out.dtype == np.float64
    base = 100 / 255
    colours = weight_colours(weights)[:, :3]
    np.testing.assert_allclose(out[0, 0], 0.5 * base + 0.5 * colours[0])
    np.testing.assert_allclose(out[0, 2], 0.5 * base + 0.5 * colours[1])
    np.testing.assert_allclose(out[1, 2], base)  # a NaN weight leaves the image as it was
    # a float image in 0..1 is the same image
    np.testing.assert_allclose(weight_overlay(image / 255.0, segments, weights), out)


def test_by_magnitude_fades_small_weights_and_vmax_fixes_the_scale():
    image = np.zeros((1, 3, 3), dtype=np.uint8)
    segments = np.array([[0, 1, 2]])
    weights = np.array([1.0, 0.25, 0.0])
    out = weight_overlay(image, segments, weights, alpha=0.8, by_magnitude=True)
    colours = weight_colours(weights)[:, :3]
    np.testing.assert_allclose(out[0, 0], 0.8 * colours[0])
    np.testing.assert_allclose(out[0, 1], 0.8 * 0.25 * colours[1])
    np.testing.assert_allclose(out[0, 2], 0.0)  # weight 0: transparent
    fixed = weight_overlay(image, segments, weights, alpha=1.0, vmax=2.0)
    np.testing.assert_allclose(fixed[0, 0], colormaps[CMAP](0.75)[:3])
    assert weight_overlay(image, segments, weights, alpha=0.0).max() == pytest.approx(0.0)
