"""Grad-CAM for the explorer (``_gradcam``): every explained class' map averaged over the superpixels, and the
model checked before any work. (Grad-CAM itself: tests/analysis/test_class_activation.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.analysis.class_activation import gradcam, superpixel_scores
from lime_widget.widget._gradcam import check_gradcam_model, gradcam_scores

from ..helpers import cell_image, cell_segments
from .support import brightness, explain_cells

pytest.importorskip("captum")


def tiny_cnn() -> lw.TorchClassifier:
    """conv 3x3 -> ReLU -> global mean: two classes, fixed weights."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()
    )
    return lw.TorchClassifier(module.eval(), transform=lw.Preprocess(), class_names=["a", "b"])


def test_gradcam_scores_are_the_per_superpixel_maps_of_every_explained_class():
    clf = tiny_cnn()
    image = cell_image()
    exp = lw.explain(image, clf, segments=cell_segments(), hide="black", num_samples=32, top_labels=2, progress=False)
    cams = gradcam_scores(exp, None)
    assert sorted(cams) == sorted(exp.top_labels)
    for label, scores in cams.items():
        expected = superpixel_scores(gradcam(image, clf, label=label).pixel_map, cell_segments())
        assert scores.shape == (exp.n_segments,)
        np.testing.assert_array_equal(scores, expected)


def test_gradcam_scores_need_a_torch_classifier():
    exp = explain_cells(brightness, num_samples=40)
    with pytest.raises(TypeError, match="TorchClassifier only"):
        gradcam_scores(exp, None)


def test_the_model_is_checked_before_any_work():
    torch_clf = tiny_cnn()
    assert check_gradcam_model(torch_clf) is torch_clf
    with pytest.raises(TypeError, match="torch model only"):
        check_gradcam_model(lw.FunctionClassifier(brightness))
