"""timm models taken as they are: timm's own data config drives the exact composition."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.models import _timm
from lime_widget.models.classifiers import auto_device

timm = pytest.importorskip("timm")
timm_data = pytest.importorskip("timm.data")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return lw.sample_image("chelsea")


@pytest.fixture(scope="module")
def vit() -> torch.nn.Module:
    """timm's tiny test ViT (160x160, bicubic, crop_pct 0.95), random weights; the head is scaled so the
    log-probabilities spread over about 5 nats and a wrong preprocessing shows in them."""
    torch.manual_seed(0)
    model = timm.create_model("test_vit", pretrained=False).eval()
    with torch.no_grad():
        model.head.weight.mul_(5.0)
    return model


def timm_log_probs(model: torch.nn.Module, photo: np.ndarray) -> np.ndarray:
    """The model's log-probabilities (C,) for the photo through timm's own eval transform (PIL)."""
    from PIL import Image

    transform = timm_data.create_transform(**timm_data.resolve_model_data_config(model))
    with torch.no_grad():
        return torch.log_softmax(model(transform(Image.fromarray(photo))[None]), dim=1)[0].double().numpy()


def test_predict_equals_timms_own_pipeline(vit, photo):
    ref = timm_log_probs(vit, photo)
    assert ref.max() - ref.min() > 2.0  # the scores are sensitive enough for the comparison to mean something
    ours = np.log(lw.predict(photo, vit).probabilities)
    assert np.abs(ours - ref).max() < 0.01
    # the comparison can fail: timm's bicubic read as bilinear, or the crop left out, is visibly different
    pre = lw.as_classifier(vit).preprocess
    assert pre is not None
    for wrong in (dataclasses.replace(pre, interpolation="bilinear"), dataclasses.replace(pre, resize=160)):
        other = np.log(lw.predict(photo, lw.as_classifier(vit, preprocess=wrong)).probabilities)
        assert np.abs(other - ref).max() > 0.01


def test_explain_runs_on_a_timm_model(vit, photo):
    exp = lw.explain(photo, vit, num_samples=50, progress=False)
    assert exp.model_input_size == (160, 160)
    assert exp.class_names[0] == "tench, Tinca tinca" and len(exp.class_names) == 1000


def test_data_config_becomes_the_preprocess():
    cfg = {
        "input_size": (3, 224, 224),
        "interpolation": "bicubic",
        "crop_pct": 0.95,
        "crop_mode": "center",
        "mean": (0.485, 0.456, 0.406),
        "std": (0.229, 0.224, 0.225),
    }
    pre = _timm.preprocess_from_data_config(cfg)
    assert pre.resize == 235 and pre.crop == (224, 224)  # floor(224 / 0.95), the short side
    assert pre.interpolation == "bicubic" and pre.mean == cfg["mean"] and pre.std == cfg["std"]
    squash = _timm.preprocess_from_data_config({**cfg, "crop_mode": "squash", "input_size": (3, 224, 192)})
    assert squash.resize == (235, 202) and squash.crop == (224, 192)
    assert _timm.preprocess_from_data_config({**cfg, "crop_pct": None}).resize == 256  # timm's default 0.875
    with pytest.raises(ValueError, match="crop_mode='border'"):
        _timm.preprocess_from_data_config({**cfg, "crop_mode": "border"})
    with pytest.raises(ValueError, match="interpolation 'random'"):
        _timm.preprocess_from_data_config({**cfg, "interpolation": "random"})
    with pytest.raises(ValueError, match="1 input channels"):
        _timm.preprocess_from_data_config({**cfg, "input_size": (1, 224, 224)})


def test_class_names_only_for_imagenet_heads():
    torch.manual_seed(0)
    small = timm.create_model("test_resnet", pretrained=False, num_classes=7).eval()
    assert lw.as_classifier(small).class_names is None
    assert lw.as_classifier(small, class_names=list("abcdefg")).class_names == list("abcdefg")
    with pytest.raises(TypeError, match="processor= does not apply"):
        lw.as_classifier(small, processor=object())


def test_detection_needs_no_timm_import():
    plain = torch.nn.Conv2d(3, 2, 1).eval()
    assert not _timm.is_timm_model(plain)
    plain.pretrained_cfg = {}  # what timm puts on every model it makes
    assert _timm.is_timm_model(plain)
    assert not _timm.is_timm_model(lambda x: x)


def test_a_bare_torch_module_gets_an_error_listing_the_options():
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 3)).eval()
    with pytest.raises(TypeError) as err:
        lw.as_classifier(module)
    for option in ("preprocess=", "timm", "processor=", "pipeline", "ONNX Runtime", "Keras"):
        assert option in str(err.value)
    clf = lw.as_classifier(module, preprocess=lw.Preprocess(resize=(8, 8)), class_names=["a", "b", "c"])
    assert isinstance(clf, lw.TorchClassifier) and clf.class_names == ["a", "b", "c"]


def test_device_auto_picks_the_first_available(vit, monkeypatch):
    clf = _timm.timm_classifier(vit, device="auto")
    assert clf.device == auto_device()
    if not torch.cuda.is_available():
        assert clf.device.type in ("cpu", "mps")
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        assert auto_device() == torch.device("cuda", 0)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
        assert auto_device() == torch.device("mps")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
        assert auto_device() == torch.device("cpu")
