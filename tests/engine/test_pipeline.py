"""explain end to end: determinism, ground truth (planted cue, linear model), parameter errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw

from ..helpers import cell_image, cell_segments, linear_model


def test_same_call_same_numbers_and_seed_matters(planted):
    img, clf, _ = planted
    kw = dict(segments=cell_segments(), num_samples=200, hide="gray", progress=False)
    a = lw.explain(img, clf, random_state=7, **kw)
    b = lw.explain(img, clf, random_state=7, **kw)
    c = lw.explain(img, clf, random_state=8, **kw)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.array_equal(a.masks, c.masks)
    assert a.seed == 7 and a.config.num_samples == 200


def test_none_seed_is_recorded_and_reproduces(planted):
    img, clf, _ = planted
    kw = dict(segments=cell_segments(), num_samples=100, hide="gray", progress=False)
    a = lw.explain(img, clf, random_state=None, **kw)
    b = lw.explain(img, clf, random_state=a.seed, **kw)
    np.testing.assert_array_equal(a.coef, b.coef)


@pytest.mark.parametrize("sampling", ["lime", "paired", "balanced", "stratified"])
@pytest.mark.parametrize("hide", ["gray", "black", "blur"])
def test_planted_cue_gets_the_top_weights(planted, hide, sampling):
    img, clf, cells = planted
    exp = lw.explain(
        img, clf, segments=cell_segments(), num_samples=400, hide=hide, classes=[1], sampling=sampling, progress=False
    )
    top = set(exp.top_segments(1, k=2).tolist())
    assert top == set(cells)
    w = exp.weights(1)
    others = np.delete(w, cells)
    assert w[cells].min() > 10 * np.abs(others).max()


def test_planted_cue_with_lime_and_matlab_presets(planted):
    img, clf, cells = planted
    for preset in ("lime", "matlab"):
        exp = lw.explain(
            img,
            clf,
            preset=preset,
            segments=cell_segments(),
            hide="gray",
            num_samples=300,
            classes=["cue"],
            progress=False,
        )
        assert set(exp.top_segments("cue", k=2).tolist()) == set(cells), preset


@pytest.mark.parametrize("sampling", ["lime", "matlab", "paired", "balanced", "stratified"])
def test_linear_classifier_weights_are_recovered(sampling):
    beta = np.zeros(64)
    beta[[3, 20, 41]] = [0.2, 0.15, -0.1]
    beta[50] = 0.05
    clf = linear_model(beta)
    exp = lw.explain(
        cell_image(),
        clf,
        segments=cell_segments(),
        hide="black",
        num_samples=300,
        ridge_alpha=0.0,
        classes=[1],
        sampling=sampling,
        progress=False,
    )
    np.testing.assert_allclose(exp.weights(1), beta, atol=1e-8)
    assert exp.intercept(1) == pytest.approx(0.3)
    assert exp.r2(1) == pytest.approx(1.0)
    assert exp.local_prediction(1) == pytest.approx(exp.probabilities[1])
    # class 0 is 1 - class 1, so its weights are the negatives
    exp2 = lw.explain(
        cell_image(),
        clf,
        segments=cell_segments(),
        hide="black",
        num_samples=300,
        ridge_alpha=0.0,
        top_labels=2,
        progress=False,
    )
    np.testing.assert_allclose(exp2.weights(0), -exp2.weights(1), atol=1e-8)


def test_caller_image_and_model_untouched(planted):
    img, clf, _ = planted
    before = img.copy()
    params = [p.clone() for p in clf.module.buffers()]
    lw.explain(img, clf, segments=cell_segments(), hide="gray", num_samples=30, progress=False)
    np.testing.assert_array_equal(img, before)
    assert not clf.module.training
    assert all(torch.equal(a, b) for a, b in zip(params, clf.module.buffers(), strict=True))


def test_parameter_errors(planted):
    img, clf, _ = planted
    with pytest.raises(ValueError, match="num_samples"):
        lw.explain(img, clf, num_samples=1, progress=False)
    with pytest.raises(ValueError, match="top_labels"):
        lw.explain(img, clf, top_labels=0, num_samples=10, progress=False)
    with pytest.raises(ValueError, match="out of range"):
        lw.explain(img, clf, classes=[5], num_samples=10, progress=False)
    with pytest.raises(ValueError, match="segments has shape"):
        lw.explain(img, clf, segments=np.zeros((3, 3), int), num_samples=10, progress=False)
    with pytest.raises(TypeError, match="random_state"):
        lw.explain(img, clf, random_state="x", num_samples=10, progress=False)
    with pytest.raises(ValueError, match="output"):
        lw.FunctionClassifier(lambda b: b, output="scores")
    with pytest.raises(ValueError, match="class names"):
        lw.explain(
            img,
            lw.FunctionClassifier(lambda b: np.full((len(b), 2), 0.5), class_names=["a", "b", "c"]),
            num_samples=10,
            progress=False,
        )


def test_deprecated_labels_argument_still_works(planted):
    img, clf, _ = planted
    with pytest.warns(DeprecationWarning, match="classes="):
        exp = lw.explain(
            img, clf, segments=cell_segments(), hide="gray", num_samples=30, labels=["cue"], progress=False
        )
    assert exp.top_labels == [1]
    with pytest.warns(DeprecationWarning, match="class_names"):
        assert exp.label_names == exp.class_names


def test_public_names_resolve_to_what_they_name():
    """No module shadows a public function of the same name (``lw.gradcam`` must stay the function)."""
    import importlib

    for module in set(lw._EXPORTS.values()):
        importlib.import_module(f"lime_widget.{module}")
    for name in lw._EXPORTS:
        assert not isinstance(getattr(lw, name), type(lw)), name
