"""Ready-made models: the embedded offline model and torchvision's zoo offline."""

from __future__ import annotations

import pytest

import lime_widget as lw


def test_embedded_model_says_egyptian_cat(embedded_model):
    exp = lw.explain(lw.sample_image("chelsea"), embedded_model, num_samples=24, progress=False)
    assert exp.class_names[exp.top_label] == "Egyptian cat"
    assert exp.probabilities[exp.top_label] > 0.6
    assert exp.model_input_size == (224, 224)


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
    assert clf.preprocess is not None and clf.preprocess.crop == 224 and len(clf.class_names or []) == 1000
