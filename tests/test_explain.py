"""The engine end to end: determinism, ground truth (planted cue, linear model), errors, JSON, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.classifiers import ModelOutputError, check_output

from .conftest import cell_image, cell_segments, linear_model


def test_same_call_same_numbers_and_seed_matters(planted):
    img, clf, _ = planted
    kw = dict(segments=cell_segments(), num_samples=200, hide="gray", progress=False)
    a = lw.explain(img, clf, random_state=7, **kw)
    b = lw.explain(img, clf, random_state=7, **kw)
    c = lw.explain(img, clf, random_state=8, **kw)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.array_equal(a.masks, c.masks)
    assert a.seed == 7 and a.config["random_state"] == 7


def test_none_seed_is_recorded_and_reproduces(planted):
    img, clf, _ = planted
    kw = dict(segments=cell_segments(), num_samples=100, hide="gray", progress=False)
    a = lw.explain(img, clf, random_state=None, **kw)
    b = lw.explain(img, clf, random_state=a.seed, **kw)
    np.testing.assert_array_equal(a.coef, b.coef)


@pytest.mark.parametrize("hide", ["gray", "black", "blur"])
def test_planted_cue_gets_the_top_weights(planted, hide):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=400, hide=hide, labels=[1], progress=False)
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
            labels=["cue"],
            progress=False,
        )
        assert set(exp.top_segments("cue", k=2).tolist()) == set(cells), preset


def test_linear_classifier_weights_are_recovered():
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
        labels=[1],
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


def test_rescore_uses_the_sampling_composition(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=50, hide="gray", progress=False)
    np.testing.assert_allclose(exp.rescore(np.ones(64, bool)), exp.probabilities)
    for i in (3, 17):
        np.testing.assert_allclose(exp.rescore(exp.masks[i]), exp.rescore_many(exp.masks[[i]])[0])
        assert exp.rescore(exp.masks[i])[exp.top_labels[0]] == pytest.approx(exp.sample_scores[i, 0])
    hidden = np.ones(64, bool)
    hidden[cells] = False
    assert exp.rescore(hidden)[1] < exp.probabilities[1] - 0.3
    with pytest.raises(ValueError, match="one entry per superpixel"):
        exp.rescore(np.ones(3, bool))


def test_explanation_queries(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=200, hide="gray", top_labels=2, progress=False)
    assert exp.top_labels == [int(np.argmax(exp.probabilities)), 1 - int(np.argmax(exp.probabilities))]
    h = exp.heatmap(1)
    assert h.shape == img.shape[:2]
    assert h[cell_segments() == cells[0]][0] == pytest.approx(exp.weights(1)[cells[0]])
    assert exp.heatmap(1, positive_only=True).min() >= 0
    assert exp.heatmap(1, smooth=3).std() < h.std()
    v = np.ones(64, bool)
    v[cells[0]] = False
    assert exp.surrogate_prediction(v, 1) == pytest.approx(exp.local_prediction(1) - exp.weights(1)[cells[0]])
    with pytest.raises(KeyError, match="not explained"):
        lw.explain(img, clf, segments=cell_segments(), num_samples=20, labels=[0], progress=False).weights(1)
    assert "superpixels" in repr(exp) and "top superpixels" in exp.summary()


def test_caller_image_and_model_untouched(planted):
    img, clf, _ = planted
    before = img.copy()
    params = [p.clone() for p in clf.module.buffers()]
    lw.explain(img, clf, segments=cell_segments(), num_samples=30, progress=False)
    np.testing.assert_array_equal(img, before)
    assert not clf.module.training
    assert all(torch.equal(a, b) for a, b in zip(params, clf.module.buffers(), strict=True))


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
        lw.explain(cell_image(), clf, segments=cell_segments(), num_samples=20, progress=False)
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
            num_samples=40,
            progress=False,
        )


def test_single_output_models_become_binary():
    out = check_output(np.array([0.2, 0.9]), 2, "probabilities")
    np.testing.assert_allclose(out, [[0.8, 0.2], [0.1, 0.9]])
    clf = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 255.0)
    exp = lw.explain(cell_image(), clf, segments=cell_segments(), num_samples=40, progress=False)
    assert exp.probabilities.shape == (2,)
    logit = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 50.0 - 2.0, output="logits")
    assert lw.explain(
        cell_image(), logit, segments=cell_segments(), num_samples=20, progress=False
    ).probabilities.sum() == pytest.approx(1)


def test_parameter_errors(planted):
    img, clf, _ = planted
    with pytest.raises(ValueError, match="num_samples"):
        lw.explain(img, clf, num_samples=1, progress=False)
    with pytest.raises(ValueError, match="top_labels"):
        lw.explain(img, clf, top_labels=0, num_samples=10, progress=False)
    with pytest.raises(ValueError, match="out of range"):
        lw.explain(img, clf, labels=[5], num_samples=10, progress=False)
    with pytest.raises(ValueError, match="segments has shape"):
        lw.explain(img, clf, segments=np.zeros((3, 3), int), num_samples=10, progress=False)
    with pytest.raises(TypeError, match="random_state"):
        lw.explain(img, clf, random_state="x", num_samples=10, progress=False)
    with pytest.raises(ValueError, match="output"):
        lw.FunctionClassifier(lambda b: b, output="scores")
    with pytest.raises(ValueError, match="labels"):
        lw.explain(
            img,
            lw.FunctionClassifier(lambda b: np.full((len(b), 2), 0.5), labels=["a", "b", "c"]),
            num_samples=10,
            progress=False,
        )


def test_json_round_trip_is_exact(planted, tmp_path):
    img, clf, _ = planted
    exp = lw.explain(img, clf, num_samples=60, segmentation="slic", n_segments=20, top_labels=2, progress=False)
    text = exp.to_json()
    back = lw.Explanation.from_json(text)
    for name in (
        "image",
        "segments",
        "fill",
        "probabilities",
        "coef",
        "intercepts",
        "r2_scores",
        "local_predictions",
        "masks",
        "sample_scores",
        "distances",
        "kernel_weights",
    ):
        a, b = getattr(exp, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert back.config == json.loads(json.dumps(exp.config))
    assert back.seed == exp.seed and back.versions == exp.versions and back.top_labels == exp.top_labels
    assert back.to_json() == text
    with pytest.raises(RuntimeError, match="with_model"):
        back.rescore(np.ones(exp.n_segments, bool))
    again = back.with_model(clf)
    np.testing.assert_allclose(again.rescore(exp.masks[4]), exp.rescore(exp.masks[4]))
    path = exp.save_json(tmp_path / "e.json")
    assert lw.Explanation.load_json(path).to_json() == text
    with pytest.raises(ValueError, match="not a lime_widget"):
        lw.Explanation.from_json("{}")


@pytest.mark.parametrize("style", ["default", "matlab", "top", "top4"])
def test_figures_render(planted, tmp_path, style):
    img, clf, _ = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=60, hide="gray", progress=False)
    out = exp.save_png(tmp_path / f"{style}.png", style=style)
    assert out.stat().st_size > 1000


def test_function_classifier_with_input_size_composes_small():
    seen = []

    def fn(b):
        seen.append(b.shape)
        return np.full((len(b), 2), 0.5)

    lw.explain(
        cell_image(),
        lw.FunctionClassifier(fn, input_size=(32, 32)),
        segments=cell_segments(),
        num_samples=10,
        progress=False,
    )
    assert seen[0][1:] == (32, 32, 3)


def test_embedded_model_says_egyptian_cat(embedded_model):
    exp = lw.explain(lw.sample_image("chelsea"), embedded_model, num_samples=24, progress=False)
    assert exp.label_names[exp.top_label] == "Egyptian cat"
    assert exp.probabilities[exp.top_label] > 0.6
    assert exp.config["model_input_size"] == [224, 224]


def test_torchvision_model_offline_gives_clear_error(monkeypatch):
    import urllib.error

    import torch.hub

    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(lw.ModelUnavailableError, match="efficientnet_lite0"):
        lw.load_model("resnet18")
    with pytest.raises(lw.ModelUnavailableError, match="unknown model"):
        lw.load_model("not_a_model")
    clf = lw.load_model("resnet18", pretrained=False)
    assert clf.preprocess is not None and clf.preprocess.crop == 224 and len(clf.labels or []) == 1000


def test_predict_matches_the_explanations_original_scores(planted, embedded_model):
    img, clf, _ = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=20, progress=False)
    np.testing.assert_array_equal(lw.predict(img, clf).probabilities, exp.probabilities)
    pred = lw.predict(lw.sample_image("chelsea"), embedded_model)
    assert pred.top(1)[0][0] == "Egyptian cat" and pred.label_names[pred.top_label] == "Egyptian cat"
    assert [name for name, _ in pred.top(3)] == ["Egyptian cat", "tabby", "tiger cat"]
