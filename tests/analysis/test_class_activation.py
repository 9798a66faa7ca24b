"""Grad-CAM (lime_widget.analysis.class_activation): ground truth on a tiny CNN, geometry, module hygiene, comparisons, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.analysis.class_activation import (
    find_layer,
    gradcam,
    input_to_image,
    superpixel_scores,
)
from lime_widget.core.rankings import compare_rankings

from ..helpers import cell_image, cell_segments

pytest.importorskip("captum")

REGION = [9, 18]


class RegionNet(torch.nn.Module):
    """conv 3x3 -> ReLU -> multiply by a fixed region mask -> conv 1x1 -> ReLU -> global mean -> linear.

    Fixed weights. Only pixels inside the region can change the output, so Grad-CAM at the 1x1 conv (the
    last Conv2d) must be zero outside the region and positive inside for class 1.
    """

    def __init__(self, region: np.ndarray) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.mix = torch.nn.Conv2d(4, 4, 1)
        self.fc = torch.nn.Linear(4, 2)
        with torch.no_grad():
            self.conv.weight.copy_(torch.rand(4, 3, 3, 3, generator=gen) * 0.2)
            self.conv.bias.fill_(0.1)
            self.mix.weight.copy_(torch.eye(4)[:, :, None, None])
            self.mix.bias.zero_()
            self.fc.weight.copy_(torch.tensor([[-1.0] * 4, [1.0] * 4]))
            self.fc.bias.zero_()
        self.register_buffer("mask", torch.from_numpy(region.astype(np.float32))[None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x)) * self.mask
        h = torch.relu(self.mix(h))
        return self.fc(h.mean(dim=(2, 3)))


@pytest.fixture
def region_clf() -> lw.TorchClassifier:
    region = np.isin(cell_segments(), REGION)
    return lw.TorchClassifier(RegionNet(region).eval(), transform=lw.Preprocess(), class_names=["other", "region"])


def test_gradcam_puts_the_top_superpixels_on_the_region_that_matters(region_clf):
    res = gradcam(cell_image(), region_clf, label=1)
    assert res.layer_name == "mix"  # the last Conv2d
    assert res.label == 1 and res.label_name == "region"
    assert res.pixel_map.shape == (64, 64) and res.input_map.shape == (64, 64) and res.layer_map.shape == (64, 64)
    scores = superpixel_scores(res.pixel_map, cell_segments())
    assert scores.shape == (64,)
    top2 = set(np.argsort(-scores)[:2].tolist())
    assert top2 == set(REGION)
    others = np.delete(scores, REGION)
    assert scores[REGION].min() > 10 * max(others.max(), 1e-12)
    # The label defaults to the model's top class (here "region", logit > 0).
    assert gradcam(cell_image(), region_clf).label == 1


def test_layer_can_be_given_by_name_or_module(region_clf):
    module = region_clf.module
    by_name = gradcam(cell_image(), region_clf, label="region", layer="conv")
    by_module = gradcam(cell_image(), region_clf, label=1, layer=module.conv)
    assert by_name.layer_name == by_module.layer_name == "conv"
    np.testing.assert_allclose(by_name.pixel_map, by_module.pixel_map)
    with pytest.raises(KeyError, match="no submodule named"):
        gradcam(cell_image(), region_clf, layer="nope")
    with pytest.raises(ValueError, match="not a submodule"):
        find_layer(module, torch.nn.Conv2d(1, 1, 1))
    with pytest.raises(ValueError, match="out of range"):
        gradcam(cell_image(), region_clf, label=5)


def test_the_callers_module_is_left_untouched(region_clf):
    module = region_clf.module
    before = {k: v.clone() for k, v in module.state_dict().items()}
    with torch.no_grad():  # a caller's no_grad (or inference_mode) context must not break Grad-CAM
        gradcam(cell_image(), region_clf, label=1)
    with torch.inference_mode():
        gradcam(cell_image(), region_clf, label=1)
    assert not module.training
    assert all(p.grad is None for p in module.parameters())
    for m in module.modules():
        assert not m._forward_hooks and not m._backward_hooks and not m._forward_pre_hooks
    for k, v in module.state_dict().items():
        torch.testing.assert_close(v, before[k])


def test_resize_and_centre_crop_are_inverted_onto_the_original_image():
    # 64x80 image, shorter side resized to 32 -> (32, 40), centre crop 24 -> rows 4..27, cols 8..31 of the
    # resized image, i.e. rows 8..55 and cols 16..63 of the original.
    pre = lw.Preprocess(resize=32, crop=24)
    assert lw.Preprocess(resize=32).resized_size(64, 80) == (32, 40)
    assert pre.geometry(torch.zeros(1, 64, 80)).shape[-2:] == (24, 24)
    out = input_to_image(np.ones((24, 24)), (64, 80), pre)
    valid = np.isfinite(out)
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (8, 55, 16, 63)
    np.testing.assert_allclose(out[valid], 1.0)
    # A horizontal ramp through the forward geometry comes back as the same ramp (up to interpolation).
    ramp = np.broadcast_to(np.arange(80, dtype=np.float32), (64, 80)).copy()
    fwd = pre.geometry(torch.from_numpy(ramp)[None])[0].numpy().astype(np.float64)
    back = input_to_image(fwd, (64, 80), pre)
    inner = np.zeros_like(valid)
    inner[12:52, 20:60] = True
    assert np.nanmax(np.abs(back - ramp)[inner]) < 1.5


def test_gradcam_maps_back_through_the_classifiers_preprocessing():
    # 128x128 image (the cell image at twice the size) -> resize 64 -> centre crop 48 (drops 8 px per side);
    # the net's region mask lives at the model input (48x48), so the map must come back onto cells 9 and 18
    # of the original and be NaN on the 16-px border the crop removes.
    region = np.isin(cell_segments()[8:56, 8:56], REGION)
    clf = lw.TorchClassifier(RegionNet(region).eval(), transform=lw.Preprocess(resize=64, crop=48))
    img = np.repeat(np.repeat(cell_image(), 2, axis=0), 2, axis=1)
    res = gradcam(img, clf, label=1)
    assert res.pixel_map.shape == (128, 128) and res.input_map.shape == (48, 48)
    assert np.isnan(res.pixel_map[:16]).all() and np.isnan(res.pixel_map[:, 112:]).all()
    assert np.isfinite(res.pixel_map[16:112, 16:112]).all()
    segments = np.repeat(np.repeat(cell_segments(), 2, axis=0), 2, axis=1)
    scores = superpixel_scores(res.pixel_map, segments)
    assert set(np.argsort(-np.nan_to_num(scores, nan=-1.0))[:2].tolist()) == set(REGION)
    assert np.isnan(scores[0])  # a corner cell lies entirely outside the crop


def test_gradcam_on_the_embedded_model_runs_at_the_images_resolution(embedded_model):
    img = lw.sample_image("chelsea")[::2, ::2]
    res = gradcam(img, embedded_model)
    assert res.pixel_map.shape == img.shape[:2]
    assert res.layer_name == "_conv_head" and res.layer_map.shape == (7, 7)
    assert res.label_name == "Egyptian cat"
    assert np.all(np.isfinite(res.pixel_map)) and res.pixel_map.min() >= 0 and res.pixel_map.max() > 0


def test_gradcam_needs_a_torch_classifier():
    fn = lw.FunctionClassifier(lambda b: np.full((len(b), 2), 0.5))
    with pytest.raises(TypeError, match="TorchClassifier"):
        gradcam(cell_image(), fn, label=0)


def test_missing_captum_gives_an_install_hint(region_clf, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum", None)
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match=r'pip install "lime-widget\[gradcam\]"'):
        gradcam(cell_image(), region_clf, label=1)


def test_superpixel_scores_is_the_mean_and_skips_nan():
    seg = np.array([[0, 0, 1], [2, 2, 1]])
    pm = np.array([[1.0, 3.0, np.nan], [5.0, np.nan, np.nan]])
    np.testing.assert_allclose(superpixel_scores(pm, seg), [2.0, np.nan, 5.0])
    with pytest.raises(ValueError, match="shape"):
        superpixel_scores(pm[:, :2], seg)


def test_compare_rankings():
    a = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.2])
    same = compare_rankings(a, a.copy(), k=3)
    assert same.spearman == pytest.approx(1.0) and same.top_k_overlap == 1.0 and same.jaccard == 1.0
    np.testing.assert_array_equal(same.top_a, [0, 4, 2])
    rev = compare_rankings(a, -a, k=3)
    assert rev.spearman == pytest.approx(-1.0) and rev.top_k_overlap == 0.0 and rev.jaccard == 0.0
    b = np.array([0.9, 0.8, 0.5, 0.3, 0.0, 0.2])  # top-3 {0, 1, 2} vs {0, 4, 2}
    part = compare_rankings(a, b, k=3)
    assert part.top_k_overlap == pytest.approx(2 / 3) and part.jaccard == pytest.approx(2 / 4)
    with_nan = compare_rankings(a, np.where(np.arange(6) == 1, np.nan, a), k=2)
    assert with_nan.spearman == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be"):
        compare_rankings(a, a, k=0)
    with pytest.raises(ValueError, match="same length"):
        compare_rankings(a, a[:3])


def test_gradcam_figure_masks_nan_and_has_a_colour_bar(region_clf):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lime_widget.analysis.class_activation import gradcam_figure

    res = gradcam(cell_image(), region_clf, label=1)
    fig = gradcam_figure(res, cell_image())
    assert len(fig.axes) == 2  # the image and its colour bar
    assert "region" in fig.axes[0].get_title()
    plt.close(fig)


# ---------------------------------------------------------------------- the widget's Grad-CAM overlay
def test_widget_with_gradcam_carries_the_scores_and_their_agreement_with_lime(region_clf):
    from lime_widget.widget.explorer import LimeWidget

    exp = lw.explain(
        cell_image(), region_clf, segments=cell_segments(), hide="black", num_samples=64, top_labels=2, progress=False
    )
    w = LimeWidget(exp, gradcam=True)
    try:
        assert w.heatmap_methods == ("lime", "gradcam")
        for info in w.classes:
            expected = superpixel_scores(gradcam(cell_image(), region_clf, label=info["id"]).pixel_map, cell_segments())
            assert info["gradcam"] == [float(x) for x in expected]  # every superpixel is inside: no None
            agree = compare_rankings(exp.weights(info["id"]), expected, k=5)
            assert info["agreement"] == {
                "spearman": agree.spearman if np.isfinite(agree.spearman) else None,  # NaN travels as None
                "overlap": round(agree.top_k_overlap * 5),
                "k": 5,
            }
        region = next(c for c in w.classes if c["id"] == 1)
        assert set(np.argsort(-np.array(region["gradcam"]))[:2].tolist()) == set(REGION)
        w.set_state({"heatmap_method": "gradcam"})
        assert w.heatmap_method == "gradcam" and w.error == ""
        w.set_state({"heatmap_method": "lime"})
        assert w.heatmap_method == "lime"
    finally:
        w.close()


def test_widget_without_gradcam_refuses_the_gradcam_method(region_clf):
    from lime_widget.widget.explorer import LimeWidget

    exp = lw.explain(
        cell_image(), region_clf, segments=cell_segments(), hide="black", num_samples=32, top_labels=1, progress=False
    )
    w = LimeWidget(exp)
    try:
        assert w.heatmap_methods == ("lime",)
        assert all("gradcam" not in c for c in w.classes)
        w.set_state({"heatmap_method": "gradcam"})
        assert w.heatmap_method == "lime" and w.status == "error" and "heatmap_method" in w.error
        with pytest.raises(Exception, match="gradcam=True"):
            w.heatmap_method = "gradcam"
        w.set_state({"heatmap_method": 3})
        assert w.heatmap_method == "lime"
    finally:
        w.close()


def test_explore_checks_gradcam_before_explaining(monkeypatch):
    calls = []
    monkeypatch.setattr("lime_widget.widget.explorer.explain", lambda *a, **k: calls.append(1))
    fn = lw.FunctionClassifier(lambda b: np.tile([0.4, 0.6], (len(b), 1)), class_names=["a", "b"])
    with pytest.raises(TypeError, match="torch model only"):
        lw.explore(cell_image(), fn, gradcam=True)
    with pytest.raises(TypeError, match="gradcam must be True or False"):
        lw.explore(cell_image(), fn, gradcam="yes")
    assert calls == []  # nothing was explained


def test_explore_without_captum_names_the_extra(monkeypatch, region_clf):
    import builtins

    real_import = builtins.__import__

    def no_captum(name, *args, **kwargs):
        if name.startswith("captum"):
            raise ImportError("No module named 'captum'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_captum)
    with pytest.raises(ImportError, match=r"lime-widget\[gradcam\]"):
        lw.explore(cell_image(), region_clf, gradcam=True, segments=cell_segments(), num_samples=16)
