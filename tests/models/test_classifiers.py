"""Model adapters: output validation, single-output models, train mode, wrappers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.models.classifiers import ModelOutputError, check_output

from ..helpers import cell_image, cell_segments


def test_train_mode_module_is_refused_or_copied():
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3), torch.nn.Dropout(0.5))
    module.train()
    with pytest.raises(ValueError, match="training mode"):
        lw.TorchClassifier(module, transform=lw.Preprocess(resize=(8, 8)))
    clf = lw.TorchClassifier(module, transform=lw.Preprocess(resize=(8, 8)), copy_to_eval=True)
    assert module.training and not clf.module.training
    exp = lw.explain(cell_image(), clf, segmentation="grid", n_segments=16, num_samples=20, progress=False)
    assert exp.probabilities.shape == (3,)


def test_torch_module_without_wrapper_gets_helpful_error():
    with pytest.raises(TypeError, match="TorchClassifier"):
        lw.explain(cell_image(), torch.nn.Identity(), num_samples=10, progress=False)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda b: np.ones((len(b), 3)), "sum to 1"),
        (lambda b: np.full((len(b), 2), np.nan), "NaN"),
        (lambda b: np.ones((len(b) + 1, 2)) / 2, "shape"),
        (lambda b: np.ones((len(b), 2, 2)) / 2, "shape"),
        (lambda b: -np.ones((len(b), 2)), "negative"),
    ],
)
def test_bad_model_outputs_name_the_batch(fn, message):
    clf = lw.FunctionClassifier(fn, batch_size=8)
    with pytest.raises(ModelOutputError, match=message) as info:
        lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=20, progress=False)
    assert "samples 0..7" in str(info.value)


def test_nan_in_a_later_batch_is_located():
    calls = {"n": 0}

    def fn(b):
        calls["n"] += 1
        out = np.full((len(b), 2), 0.5)
        if calls["n"] == 3:
            out[2] = np.nan
        return out

    with pytest.raises(ModelOutputError, match=r"samples 16\.\.23.*sample 18"):
        lw.explain(
            cell_image(),
            lw.FunctionClassifier(fn, batch_size=8),
            segments=cell_segments(),
            hide="black",
            num_samples=40,
            progress=False,
        )


def test_single_output_models_become_binary():
    out = check_output(np.array([0.2, 0.9]), 2, "probabilities")
    np.testing.assert_allclose(out, [[0.8, 0.2], [0.1, 0.9]])
    clf = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 255.0)
    exp = lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=40, progress=False)
    assert exp.probabilities.shape == (2,)
    logit = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 50.0 - 2.0, output="logits")
    assert lw.explain(
        cell_image(), logit, segments=cell_segments(), hide="black", num_samples=20, progress=False
    ).probabilities.sum() == pytest.approx(1)


def test_function_classifier_with_input_size_composes_small():
    seen = []

    def fn(b):
        seen.append(b.shape)
        return np.full((len(b), 2), 0.5)

    lw.explain(
        cell_image(),
        lw.FunctionClassifier(fn, input_size=(32, 32)),
        segments=cell_segments(),
        hide="black",
        num_samples=10,
        progress=False,
    )
    assert seen[0][1:] == (32, 32, 3)
