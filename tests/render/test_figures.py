"""Figures, checked on their content: the overlay's colours follow the weights' signs, boundaries sit
where segments change, the lime-style figures show exactly the top superpixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core.segmentation import boundary_mask
from lime_widget.render.figures import plain_text

from ..helpers import cell_image, cell_segments, linear_model

POSITIVE, NEGATIVE = 3, 41


@pytest.fixture(scope="module")
def signed_exp() -> lw.Explanation:
    """An explanation whose weights are known exactly: +0.2 on cell 3, -0.15 on cell 41, 0 elsewhere."""
    beta = np.zeros(64)
    beta[POSITIVE], beta[NEGATIVE] = 0.2, -0.15
    return lw.explain(
        cell_image(),
        linear_model(beta),
        segments=cell_segments(),
        hide="black",
        num_samples=200,
        ridge_alpha=0.0,
        classes=[1],
        progress=False,
    )


def test_default_overlay_colours_follow_the_weight_signs(signed_exp):
    fig = signed_exp.figure(1, uncertainty=False)
    base, heat = fig.axes[0].images
    seg = signed_exp.segments
    # the heat layer is the weight map itself, on a colour scale symmetric around 0
    np.testing.assert_allclose(heat.get_array(), signed_exp.heatmap(1))
    lo, hi = heat.get_clim()
    assert lo == pytest.approx(-hi) and hi == pytest.approx(0.2)
    rgba = heat.to_rgba(heat.get_array())
    pos = rgba[seg == POSITIVE].mean(axis=0)
    neg = rgba[seg == NEGATIVE].mean(axis=0)
    neutral = rgba[seg == 0].mean(axis=0)
    assert pos[2] > pos[0] + 0.3  # RdBu: positive weights are blue
    assert neg[0] > neg[2] + 0.3  # negative weights are red
    assert np.ptp(neutral[:3]) < 0.05  # zero weight is the neutral middle of the scale
    # boundaries are drawn exactly where a pixel's segment differs from a neighbour's
    edges = boundary_mask(seg)
    drawn = np.all(np.isclose(base.get_array()[..., :3], (1.0, 1.0, 0.6)), axis=-1)
    np.testing.assert_array_equal(drawn, edges)
    padded = np.pad(seg, 1, mode="edge")
    differs = np.zeros_like(edges)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        differs |= padded[dy : dy + seg.shape[0], dx : dx + seg.shape[1]] != seg
    assert edges.any() and np.all(differs[edges])  # every drawn pixel touches another segment
    assert len(fig.axes) == 2  # the colour bar
    plt.close(fig)


def test_matlab_style_shows_positive_weights_only_in_jet(signed_exp):
    fig = signed_exp.figure(1, style="matlab")
    _, heat = fig.axes[0].images
    arr = np.asarray(heat.get_array())
    assert heat.get_cmap().name == "jet" and arr.min() >= 0
    seg = signed_exp.segments
    # the smoothed positive part: strong on the positive cell, next to nothing on the negative one
    assert arr[seg == POSITIVE].max() > 0.05 and arr[seg == NEGATIVE].max() < arr[seg == POSITIVE].max() / 10
    plt.close(fig)


@pytest.mark.parametrize(("style", "k"), [("top", 5), ("top4", 4)])
def test_top_styles_show_only_the_top_superpixels(style, k, planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=200, hide="gray", classes=[1], progress=False)
    fig = exp.figure(1, style=style, boundaries=False)
    shown = np.asarray(fig.axes[0].images[0].get_array())
    top = exp.top_segments(1, k=k)
    assert set(cells) <= set(top.tolist())
    visible = np.isin(exp.segments, top)
    np.testing.assert_array_equal(shown[visible], img[visible])
    np.testing.assert_array_equal(shown[~visible], exp.fill[~visible])
    plt.close(fig)


def test_class_names_are_drawn_as_plain_text(tmp_path):
    clf = lw.FunctionClassifier(
        lambda b: np.tile([0.3, 0.7], (len(b), 1)), class_names=["$\\frac{$", "price $5 and $10"]
    )
    exp = lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=20, progress=False)
    out = exp.save_png(tmp_path / "dollars.png")  # mathtext would raise on the first name
    assert out.stat().st_size > 1000
    fig = exp.figure()
    assert fig.axes[0].get_title().startswith(plain_text("price $5 and $10 (p = 0.700)"))
    plt.close(fig)


def test_uncertain_superpixels_are_veiled_and_the_bars_show_intervals(planted):
    from lime_widget.render.figures import within_noise

    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=300, hide="gray", classes=[1], progress=False)
    noisy = within_noise(exp, 1)
    assert not noisy[cells].any() and noisy.sum() > 40  # the cue is solid, most of the rest is noise
    fig = exp.figure(1)
    map_ax, bars_ax = fig.axes[0], fig.axes[1]
    _, _, veil = map_ax.images
    alpha = np.asarray(veil.get_array())[..., 3]
    np.testing.assert_array_equal(alpha > 0, noisy[exp.segments])  # exactly the noisy superpixels are veiled
    assert map_ax.collections  # and hatched
    # the title: the top 5's status in words, then the stability and what the hatching means
    status = exp.top_k_status(1, k=5)
    assert set(cells) <= set(status.settled.tolist()) and status.text.startswith("top 5")
    assert map_ax.get_title().endswith(
        f"\n{status.text}\nstability {exp.stability(1):.2f}; hatched: weight within noise"
    )
    labels = [t.get_text() for t in bars_ax.get_yticklabels()]
    assert labels[0].startswith(f"#{int(np.argmax(exp.weights(1)))} ")  # strongest positive first (on top)
    assert any("(100%)" in t for t in labels)
    kinds = {type(c).__name__ for c in bars_ax.containers}
    assert kinds == {"BarContainer", "ErrorbarContainer"}  # bars, with their intervals
    plt.close(fig)
    only_map = exp.figure(1, bars=False)
    assert len(only_map.axes) == 2  # map + colour bar
    plt.close(only_map)


def test_the_static_png_shows_the_weight_signs_and_boundaries(signed_exp):
    import io

    from PIL import Image

    from lime_widget.render.figures import explanation_png

    with Image.open(io.BytesIO(explanation_png(signed_exp))) as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    assert rgb.shape == (64, 64, 3)  # never enlarged
    seg = cell_segments()
    inside = ~boundary_mask(seg)
    pos, neg = rgb[(seg == POSITIVE) & inside], rgb[(seg == NEGATIVE) & inside]
    assert pos[:, 2].mean() > pos[:, 0].mean() + 20  # blue: evidence for the class
    assert neg[:, 0].mean() > neg[:, 2].mean() + 20  # red: evidence against
    np.testing.assert_array_equal(rgb[boundary_mask(seg)][0], [255, 255, 153])  # the default figure's boundary colour


def test_the_static_png_is_small_for_a_large_image():
    import io

    from PIL import Image

    from lime_widget.render.figures import STATIC_SIDE, explanation_png

    big = np.kron(cell_image(), np.ones((10, 12, 1), dtype=np.uint8))  # 640 x 768
    exp = lw.explain(big, linear_model(np.zeros(64)), segmentation="grid", num_samples=16, hide="black", progress=False)
    with Image.open(io.BytesIO(explanation_png(exp))) as im:
        assert im.size == (STATIC_SIDE, round(640 * STATIC_SIDE / 768))  # (w, h): the longer side is 320
    with pytest.raises(ValueError, match="max_side"):
        explanation_png(exp, max_side=0)
