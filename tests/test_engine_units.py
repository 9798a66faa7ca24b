"""Units: segmentation relabelling, sampling, kernels, composition, surrogate, presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics.pairwise import cosine_distances

import lime_widget as lw
from lime_widget.kernels import cosine_distance, hidden_fraction, sample_weights
from lime_widget.perturb import Composer, fill_image
from lime_widget.sampling import sample_masks
from lime_widget.segmentation import SegmentationError, grid, relabel, segment
from lime_widget.surrogate import fit_surrogate

from .conftest import cell_image, cell_segments


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


def test_sampling_row_zero_and_determinism():
    z1 = sample_masks(500, 40, np.random.default_rng(3))
    z2 = sample_masks(500, 40, np.random.default_rng(3))
    z3 = sample_masks(500, 40, np.random.default_rng(4))
    assert z1.dtype == bool and z1.shape == (500, 40)
    assert z1[0].all()
    np.testing.assert_array_equal(z1, z2)
    assert not np.array_equal(z1, z3)
    assert abs(z1[1:].mean() - 0.5) < 0.02


def test_matlab_sampling_keeps_between_20_and_100_percent():
    z = sample_masks(4000, 75, np.random.default_rng(0), "matlab")
    kept = z[1:].mean(axis=1)
    assert kept.min() > 0.05 and kept.mean() == pytest.approx(0.6, abs=0.03)


def test_sampling_errors():
    with pytest.raises(ValueError, match="num_samples"):
        sample_masks(1, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="scheme"):
        sample_masks(5, 5, np.random.default_rng(0), "other")


def test_cosine_distance_matches_sklearn_and_kernels():
    z = sample_masks(200, 30, np.random.default_rng(1))
    z[5] = False
    expected = cosine_distances(z.astype(float), np.ones((1, 30)))[:, 0]
    np.testing.assert_allclose(cosine_distance(z), expected, atol=1e-12)
    assert cosine_distance(z)[5] == 1.0
    d, w = sample_weights(z, "lime")
    np.testing.assert_allclose(w, np.sqrt(np.exp(-(d**2) / 0.25**2)))
    d2, w2 = sample_weights(z, "matlab")
    np.testing.assert_allclose(d2, hidden_fraction(z))
    np.testing.assert_allclose(w2, np.exp(-(d2**2) / 0.35**2))
    assert w[0] == 1.0 and w2[0] == 1.0
    with pytest.raises(ValueError, match="kernel_width"):
        sample_weights(z, "lime", 0)


def test_fill_modes():
    img, seg = cell_image(), cell_segments()
    mean = fill_image(img, seg, "mean")
    np.testing.assert_array_equal(mean, img)  # uniform cells: the mean is the cell colour
    assert fill_image(img, seg, "black").max() == 0
    assert np.all(fill_image(img, seg, "gray") == 128)
    assert np.all(fill_image(img, seg, (10, 20, 30))[5, 5] == [10, 20, 30])
    assert np.all(fill_image(img, seg, "#0a141e")[5, 5] == [10, 20, 30])
    blurred = fill_image(img, seg, "blur", blur_sigma=3)
    assert blurred.shape == img.shape and not np.array_equal(blurred, img)
    bg = np.zeros((10, 10, 3), dtype=np.uint8)
    assert fill_image(img, seg, bg).shape == img.shape
    with pytest.raises(ValueError, match="hide mode"):
        fill_image(img, seg, "sparkles")
    with pytest.raises(ValueError, match="colour"):
        fill_image(img, seg, (1, 2))


def _identity_torch(size=None):
    class Flat(torch.nn.Module):
        def forward(self, x):
            return torch.stack([x.mean(dim=(1, 2, 3)), 1 - x.mean(dim=(1, 2, 3))], dim=1)

    return lw.TorchClassifier(Flat().eval(), transform=lw.Preprocess(resize=size), output="probabilities")


def test_all_visible_composition_is_exactly_the_model_input_of_the_original():
    img = lw.sample_image("coffee")
    seg = segment(img, "slic", {"n_segments": 40})
    pre = lw.Preprocess(resize=256, crop=224, mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2))
    clf = lw.TorchClassifier(torch.nn.Identity().eval(), transform=pre, output="probabilities")
    comp = Composer(img, seg, fill_image(img, seg, "mean"), clf)
    x = comp.compose(np.ones((1, comp.n_segments), dtype=bool))[0]
    expected = pre.geometry(torch.from_numpy(img).permute(2, 0, 1).float() / 255.0).clamp(0, 1)
    assert x.shape == (3, 224, 224)
    assert torch.equal(x, expected)


def test_hiding_one_segment_changes_only_its_pixels_full_resolution():
    img, seg = cell_image(), cell_segments()
    fill = fill_image(img, seg, "black")
    clf = lw.FunctionClassifier(lambda b: np.full((len(b), 2), 0.5))
    comp = Composer(img, seg, fill, clf)
    mask = np.ones((1, 64), dtype=bool)
    mask[0, 13] = False
    x = comp.compose(mask)[0].permute(1, 2, 0).numpy()
    assert x.dtype == np.uint8
    changed = np.any(x != img, axis=2)
    np.testing.assert_array_equal(changed, seg == 13)
    assert np.all(x[seg == 13] == 0)


def test_hiding_one_segment_changes_only_its_pixels_at_model_resolution():
    img = lw.sample_image("coffee")
    seg = segment(img, "slic", {"n_segments": 40})
    clf = _identity_torch(size=(128, 128))
    comp = Composer(img, seg, fill_image(img, seg, "gray"), clf)
    k = comp.n_segments
    mask = np.ones((2, k), dtype=bool)
    mask[1, 7] = False
    x = comp.compose(mask)
    diff = (x[1] != x[0]).any(dim=0)
    assert diff.any()
    assert torch.equal(diff & (comp.labels != 7), torch.zeros_like(diff))
    assert torch.allclose(x[1][:, comp.labels == 7], torch.tensor(128 / 255.0))


def test_surrogate_recovers_exact_linear_targets():
    rng = np.random.default_rng(0)
    z = sample_masks(300, 12, rng)
    beta = rng.normal(size=(12, 2))
    y = 0.7 + z.astype(float) @ beta
    w = rng.random(300) + 0.1
    fit = fit_surrogate(z, y, w, alpha=0.0)
    np.testing.assert_allclose(fit.coef, beta.T, atol=1e-9)
    np.testing.assert_allclose(fit.intercept, [0.7, 0.7], atol=1e-9)
    np.testing.assert_allclose(fit.r2, [1.0, 1.0])
    np.testing.assert_allclose(fit.local_prediction, 0.7 + beta.sum(axis=0))
    ridge = fit_surrogate(z, y, w, alpha=1.0)
    assert np.linalg.norm(ridge.coef) < np.linalg.norm(fit.coef)  # the penalty shrinks


def test_presets_resolve_and_explicit_arguments_win():
    from lime_widget.presets import resolve

    cfg = resolve("matlab", {"num_samples": 50, "hide": None})
    assert cfg["num_samples"] == 50 and cfg["hide"] == "black" and cfg["kernel"] == "matlab"
    assert resolve("lime", {"segmentation": "slic"})["segmentation_params"] == {}
    with pytest.raises(ValueError, match="unknown preset"):
        lw.preset("nope")
