"""Arguments of explain and the classifiers: every bad value is refused before the first forward pass, with
an error naming the argument; settings that make the explanation empty are refused or flagged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw

from ..helpers import cell_image, cell_segments


class Counting:
    """A model that counts how many images it was asked to score."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += len(batch)
        p = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([p, 1 - p], axis=1)


BAD = [
    ({"num_samples": 1}, ValueError, "num_samples"),
    ({"num_samples": 2.9}, TypeError, "num_samples"),
    ({"num_samples": "100"}, ValueError, "num_samples"),
    ({"num_samples": True}, TypeError, "num_samples"),
    ({"num_samples": -5}, ValueError, "num_samples"),
    ({"max_samples": 0}, ValueError, "max_samples"),
    ({"target_stability": 1.5}, ValueError, "target_stability"),
    ({"target_stability": 0}, ValueError, "target_stability"),
    ({"tie_tolerance": -0.1}, ValueError, "tie_tolerance"),
    ({"tie_tolerance": 1}, ValueError, "tie_tolerance"),
    ({"tie_tolerance": float("nan")}, ValueError, "tie_tolerance"),
    ({"tie_tolerance": "0.1"}, TypeError, "tie_tolerance"),
    ({"refits": 1}, ValueError, "refits"),
    ({"refits": -3}, ValueError, "refits"),
    ({"classes": ["Egyptian kat"]}, lw.ClassLookupError, "Egyptian kat"),
    ({"classes": [7]}, lw.ClassLookupError, "out of range"),
    ({"classes": [-1]}, lw.ClassLookupError, "out of range"),
    ({"classes": []}, ValueError, "classes"),
    ({"classes": "abc"}, TypeError, "classes"),
    ({"classes": [0, 0]}, ValueError, "repeats"),
    ({"classes": [0.5]}, TypeError, "classes"),
    ({"classes": [None]}, TypeError, "classes"),
    ({"ridge_alpha": -1}, ValueError, "ridge_alpha"),
    ({"ridge_alpha": float("nan")}, ValueError, "ridge_alpha"),
    ({"ridge_alpha": float("inf")}, ValueError, "ridge_alpha"),
    ({"ridge_alpha": "1"}, TypeError, "ridge_alpha"),
    ({"kernel_width": 0}, ValueError, "kernel_width"),
    ({"kernel_width": -1.0}, ValueError, "kernel_width"),
    ({"kernel": "gauss"}, ValueError, "kernel"),
    ({"kernel": 3}, TypeError, "kernel"),
    ({"sampling": "sobol"}, ValueError, "sampling"),
    ({"sampling": None, "preset": "nope"}, ValueError, "preset"),
    ({"hide": "purple"}, ValueError, "hide"),
    ({"hide": (300, 0, 0)}, ValueError, "0..255"),
    ({"hide": (1, 2)}, ValueError, "three numbers"),
    ({"hide": "#zzzzzz"}, ValueError, "rrggbb"),
    ({"hide": (float("nan"), 0, 0)}, ValueError, "0..255"),
    ({"blur_sigma": -2.0}, ValueError, "blur_sigma"),
    ({"top_labels": 0}, ValueError, "top_labels"),
    ({"top_labels": 2.5}, TypeError, "top_labels"),
    ({"segmentation": "slick", "segments": None}, ValueError, "segmentation"),
    ({"segmentation": "grid", "n_segments": 1, "segments": None}, ValueError, "n_segments"),
    ({"segmentation": "grid", "n_segments": 0, "segments": None}, ValueError, "n_segments"),
    ({"segmentation_params": "n=5", "segments": None}, TypeError, "segmentation_params"),
    ({"segments": np.zeros((3, 3), int)}, ValueError, "segments has shape"),
    ({"segments": np.zeros((64, 64), int)}, ValueError, "single superpixel"),
    ({"segments": np.full((64, 64), np.nan)}, ValueError, "integer"),
    ({"segmentation": "grid"}, ValueError, "not both"),
    ({"batch_size": -1}, ValueError, "batch_size"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, ValueError, "batch_size"),
    ({"random_state": -1}, ValueError, "random_state"),
    ({"random_state": "seed"}, TypeError, "random_state"),
    ({"random_state": 1.5}, TypeError, "random_state"),
    ({"max_pixels": 100}, lw.ImageError, "limit"),
    ({"preset": 3}, ValueError, "preset"),
]


@pytest.mark.parametrize(("kwargs", "error", "needle"), BAD, ids=[repr(b[0])[:60] for b in BAD])
def test_bad_arguments_fail_before_any_forward_pass(kwargs, error, needle):
    fn = Counting()
    clf = lw.FunctionClassifier(fn, class_names=["bright", "dark"])
    args = {"segments": cell_segments(), "num_samples": 20, "progress": False, **kwargs}
    args = {k: v for k, v in args.items() if v is not None or k not in ("segments", "sampling")}
    with pytest.raises(error, match=needle):
        lw.explain(cell_image(), clf, **args)
    assert fn.calls == 0


CLASSIFIER_BAD = [
    (lambda: lw.FunctionClassifier(3), TypeError, "callable"),
    (lambda: lw.FunctionClassifier(Counting(), output="scores"), ValueError, "output"),
    (lambda: lw.FunctionClassifier(Counting(), class_names="ab"), TypeError, "class_names"),
    (lambda: lw.FunctionClassifier(Counting(), class_names=[]), ValueError, "class_names"),
    (lambda: lw.FunctionClassifier(Counting(), batch_size=0), ValueError, "batch_size"),
    (lambda: lw.FunctionClassifier(Counting(), batch_size=True), ValueError, "batch_size"),
    (lambda: lw.TorchClassifier("resnet"), TypeError, "torch.nn.Module"),
    (lambda: lw.TorchClassifier(torch.nn.Linear(2, 2)), ValueError, "training mode"),
    (lambda: lw.TorchClassifier(torch.nn.Identity().eval(), transform=5), TypeError, "transform"),
    (lambda: lw.Preprocess(interpolation="lanczos"), ValueError, "interpolation"),
    (lambda: lw.Preprocess(mean=(0.5, 0.5, 0.5)), ValueError, "mean and std"),
    (lambda: lw.TorchClassifier(torch.nn.Identity().eval(), class_names=["a"], labels=["b"]), TypeError, "class_names"),
]


@pytest.mark.parametrize(("make", "error", "needle"), CLASSIFIER_BAD, ids=[str(i) for i in range(len(CLASSIFIER_BAD))])
def test_bad_classifier_arguments(make, error, needle):
    with pytest.raises(error, match=needle):
        make()


def test_a_blur_without_blur_is_refused_before_sampling():
    fn = Counting()
    with pytest.raises(lw.DegenerateExplanationError, match="blur_sigma=0"):
        lw.explain(cell_image(), lw.FunctionClassifier(fn), hide="blur", blur_sigma=0.0, num_samples=20, progress=False)
    assert fn.calls == 0


def test_single_pixel_superpixels_with_mean_fill_are_refused():
    img = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    with pytest.raises(lw.DegenerateExplanationError, match="unchanged"):
        lw.explain(
            img, lw.FunctionClassifier(Counting()), segmentation="grid", n_segments=256, num_samples=20, progress=False
        )


def test_superpixels_the_model_never_sees_are_flagged():
    # a resize without antialiasing from 64x64 to 2x2 reads 4 pixel pairs per axis: 48 of the 64 cells never
    # reach the model
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2)).eval()
    clf = lw.TorchClassifier(module, transform=lw.Preprocess(resize=(2, 2), antialias=False))
    with pytest.warns(lw.DegenerateExplanationWarning, match="cannot change"):
        exp = lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=30, progress=False)
    assert exp.inert_segments is not None and exp.inert_segments.sum() == 48
    back = lw.Explanation.from_json(exp.to_json())
    np.testing.assert_array_equal(back.inert_segments, exp.inert_segments)


def test_a_fill_equal_to_part_of_the_image_flags_those_superpixels():
    img = cell_image()
    img[cell_segments() < 8] = 0  # the first row of cells is black: hiding it with black changes nothing
    with pytest.warns(lw.DegenerateExplanationWarning):
        exp = lw.explain(
            img,
            lw.FunctionClassifier(Counting()),
            segments=cell_segments(),
            hide="black",
            num_samples=20,
            progress=False,
        )
    np.testing.assert_array_equal(np.flatnonzero(exp.inert_segments), np.arange(8))


def test_rescore_checks_the_class_count_of_a_swapped_model():
    exp = lw.explain(
        cell_image(),
        lw.FunctionClassifier(Counting()),
        segments=cell_segments(),
        hide="black",
        num_samples=20,
        progress=False,
    )
    three = exp.with_model(lw.FunctionClassifier(lambda b: np.full((len(b), 3), 1 / 3)))
    with pytest.raises(ValueError, match="3 classes but this explanation has 2"):
        three.rescore(np.ones(64, bool))


def test_a_bad_class_of_an_unnamed_model_fails_after_one_forward_pass_not_all():
    fn = Counting()
    with pytest.raises(lw.ClassLookupError, match="out of range"):
        lw.explain(
            cell_image(),
            lw.FunctionClassifier(fn),
            segments=cell_segments(),
            hide="black",
            classes=[9],
            num_samples=200,
            progress=False,
        )
    assert fn.calls == 1
