"""Explanations with fewer superpixels than the default k (5): every query and figure that takes a k works with
K = 1..4 superpixels. The rule (documented in the docstrings): a default k is min(5, K); an explicit k above K
is an error in the top-k uncertainty queries (top_k_confidence, stability) and means "all K" in the rankings
cut at k (top_segments, the top figures, the bar chart)."""

from __future__ import annotations

import dataclasses
import io
import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import lime_widget as lw
from lime_widget.cli.commands import main
from lime_widget.core.images import display_size
from lime_widget.core.surrogate import fit_surrogate
from lime_widget.core.uncertainty import bootstrap_coefs
from lime_widget.render.figures import explanation_png, weight_bars

from ..helpers import cell_image

KS = [1, 2, 3, 4]


def _stripes(k: int) -> np.ndarray:
    """int (64, 64): k vertical stripes 0..k-1."""
    return np.repeat(np.minimum(np.arange(64) * k // 64, k - 1)[None, :], 64, axis=0)


def _model(batch: np.ndarray) -> np.ndarray:
    """Class 'left' grows with the brightness of the left half, 'right' with the right half's."""
    left = batch[:, :, :32].mean(axis=(1, 2, 3)) / 255.0
    right = batch[:, :, 32:].mean(axis=(1, 2, 3)) / 255.0
    p = np.stack([0.2 + left, 0.2 + right, np.full_like(left, 0.2)], axis=1)
    return p / p.sum(axis=1, keepdims=True)


def _explain(k: int) -> lw.Explanation:
    clf = lw.FunctionClassifier(_model, class_names=["left", "right", "none"])
    return lw.explain(cell_image(), clf, segments=_stripes(k), hide="black", num_samples=48, refits=40, progress=False)


def _one_segment() -> lw.Explanation:
    """An explanation of one superpixel, made by hand (explain and the file reader refuse one superpixel, but the
    dataclass takes it): the two-stripe explanation refitted on its first stripe alone."""
    two = _explain(2)
    masks = two.masks[:, :1].copy()
    fit = fit_surrogate(masks, two.sample_scores, two.kernel_weights, alpha=float(two.config.ridge_alpha))
    draws = bootstrap_coefs(
        masks, two.sample_scores, two.kernel_weights, float(two.config.ridge_alpha), np.random.default_rng(0), draws=40
    )
    return dataclasses.replace(
        two,
        segments=np.zeros_like(two.segments),
        masks=masks,
        coef=fit.coef,
        intercepts=fit.intercept,
        r2_scores=fit.r2,
        local_predictions=fit.local_prediction,
        coef_draws=draws,
        inert_segments=np.zeros(1, dtype=bool),
        composer=None,
    )


@pytest.fixture(scope="module", params=KS, ids=[f"K={k}" for k in KS])
def few(request) -> lw.Explanation:
    exp = _one_segment() if request.param == 1 else _explain(request.param)
    assert exp.n_segments == request.param
    return exp


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_stability_defaults_to_the_top_k_of_all_superpixels(few):
    k = few.n_segments
    assert few.stability() == few.stability(k=k)
    assert 0.0 <= few.stability() <= 1.0


def test_top_k_confidence_defaults_to_the_top_k_of_all_superpixels(few):
    conf = few.top_k_confidence()
    assert conf.shape == (few.n_segments,)
    np.testing.assert_array_equal(conf, few.top_k_confidence(k=few.n_segments))
    assert np.all((conf >= 0) & (conf <= 1))


def test_the_default_k_is_min_5_k(few):
    assert few.confidence_k() == min(5, few.n_segments)
    assert few.confidence_k(1) == 1
    assert few.top_k_status().k == few.n_segments and few.top_k_status(k=1).k == 1
    assert few.top_k_status().text == few.top_k_status(k=few.n_segments).text


@pytest.mark.parametrize("query", ["stability", "top_k_confidence", "top_k_status"])
@pytest.mark.parametrize("extra", [1, 4])
def test_an_explicit_k_above_the_superpixels_is_a_clear_error(few, query, extra):
    k = few.n_segments + extra
    with pytest.raises(ValueError, match=rf"k must be an integer between 1 and {few.n_segments}.*got {k}"):
        getattr(few, query)(k=k)


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_a_k_that_is_no_count_is_a_clear_error(few, k):
    with pytest.raises(ValueError, match="k must be"):
        few.stability(k=k)


def test_top_segments_with_the_default_k_gives_at_most_k_ids(few):
    for positive_only in (True, False):
        top = few.top_segments(positive_only=positive_only)
        assert top.size <= few.n_segments and set(top.tolist()) <= set(range(few.n_segments))
    assert sorted(few.top_segments(positive_only=False).tolist()) == list(range(few.n_segments))


def test_top_segments_with_k_above_the_superpixels_gives_all(few):
    every = few.top_segments(k=few.n_segments + 10, positive_only=False)
    np.testing.assert_array_equal(every, few.top_segments(k=few.n_segments, positive_only=False))
    with pytest.raises(ValueError, match="k must be an integer >= 0"):
        few.top_segments(k=-1)


def test_uncertainty_queries_have_one_entry_per_superpixel(few):
    k = few.n_segments
    assert few.weight_std().shape == (k,)
    low, high = few.weight_interval()
    assert low.shape == high.shape == (k,) and np.all(low <= high)
    assert few.heatmap().shape == few.segments.shape


def test_summary_names_the_top_k_it_used(few):
    text = few.summary()
    kk = min(5, few.n_segments)
    assert f"stability of the top {kk} " in text
    status = few.top_k_status(k=kk)
    assert f"top {kk}" in status.text and f"\n{status.text}\n" in text  # the status on a line of its own
    assert sum(line.strip().startswith("superpixel") for line in text.splitlines()) == few.n_segments


@pytest.mark.parametrize("style", ["default", "matlab", "top", "top4"])
def test_every_figure_style_draws(few, style):
    fig = few.figure(style=style)
    assert fig.axes
    if style == "default":
        kk = min(5, few.n_segments)
        status = few.top_k_status(k=kk)
        assert f"top {kk}" in status.text  # the top min(5, K), like the stability
        title = fig.axes[0].get_title()
        assert title.endswith(f"\n{status.text}\nstability {few.stability(k=kk):.2f}; hatched: weight within noise")


@pytest.mark.parametrize("k", [1, 5, 12])
def test_the_top_style_with_any_k_shows_at_most_k_superpixels(few, k):
    fig = few.figure(style="top", k=k, bars=False)
    assert fig.axes


@pytest.mark.parametrize("k", [1, 12])
def test_the_bar_chart_draws_at_most_k_bars(few, k):
    fig = few.weights_figure(k=k)
    ax = fig.axes[0]
    assert len(ax.patches) == min(k, few.n_segments)
    assert f"in top {min(5, few.n_segments)}" in ax.get_title()


def test_the_bar_chart_refuses_a_k_that_is_no_count(few):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        weight_bars(few, k=0)


def test_files_and_the_static_view(few, tmp_path):
    assert few.save_png(tmp_path / "f.png").stat().st_size > 1000
    assert few.to_html(tmp_path / "f.html").stat().st_size > 1000
    png = few._repr_png_()
    assert png is not None
    with Image.open(io.BytesIO(png)) as im:
        assert im.size[::-1] == display_size(*few.segments.shape, 320)
    assert explanation_png(few) == png
    html = few._repr_html_()
    assert html is not None and "<img" in html


@pytest.mark.parametrize("k", [2, 4])
def test_the_cli_explains_with_few_superpixels(tmp_path, capsys, k):
    path = tmp_path / "img.png"
    Image.fromarray(cell_image()).save(path)
    args = ["explain", str(path), "--segmentation", "grid", "--n-segments", str(k), "--num-samples", "16"]
    rc = main([*args, "--out", str(tmp_path), "--no-progress", "--top-k", "5"])
    out = capsys.readouterr().out
    assert rc == 0, out
    data = json.loads((tmp_path / "img_lime.json").read_text())
    assert data["masks"]["shape"][1] == k
    assert f", {k} superpixels," in out
    assert f"stability of the top {k} " in out
    assert (tmp_path / "img_lime.png").stat().st_size > 1000
