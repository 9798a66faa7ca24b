"""ONNX Runtime sessions as classifiers: the preprocessing is given, the session is fed at its resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.models._onnx import OnnxClassifier, is_onnx_session

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")  # torch.onnx.export's exporter

NAMES = [f"class {c}" for c in "abcdefghij"]


def small_network() -> torch.nn.Module:
    """A small convolutional classifier of 10 classes, random weights, head scaled to spread the scores."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 5, stride=4),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 3, stride=2),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 10),
    ).eval()
    head = net[-1]
    assert isinstance(head, torch.nn.Linear)
    with torch.no_grad():
        head.weight.mul_(30.0)
    return net


def export(path: Path, *, fixed_batch: int | None = None) -> object:
    net = small_network()
    dynamic = None if fixed_batch else ({0: torch.export.Dim("batch", min=1, max=1024)},)
    example = torch.rand(fixed_batch or 2, 3, 224, 224)
    torch.onnx.export(
        net, (example,), str(path), input_names=["input"], output_names=["logits"], dynamo=True, dynamic_shapes=dynamic
    )
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return export(tmp_path_factory.mktemp("onnx") / "small.onnx")


@pytest.fixture(scope="module")
def preset():
    from torchvision.models import ResNet18_Weights

    return ResNet18_Weights.DEFAULT.transforms()  # resize 256, crop 224, bilinear, ImageNet mean/std


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return lw.sample_image("chelsea")


def test_predict_equals_the_session_on_the_presets_output(session, preset, photo):
    from PIL import Image

    x = preset(Image.fromarray(photo))[None].numpy()
    ref = torch.log_softmax(torch.from_numpy(session.run(None, {"input": x})[0]), dim=1)[0].double().numpy()
    assert ref.max() - ref.min() > 2.0
    clf = lw.as_classifier(session, preprocess=preset, class_names=NAMES)
    assert isinstance(clf, OnnxClassifier) and clf.class_names == NAMES
    pred = lw.predict(photo, clf)
    assert np.abs(np.log(pred.probabilities) - ref).max() < 0.01
    # the comparison can fail: the same session without the crop's margin is visibly different
    wrong = lw.as_classifier(session, preprocess=lw.Preprocess(resize=(224, 224), mean=preset.mean, std=preset.std))
    assert np.abs(np.log(lw.predict(photo, wrong).probabilities) - ref).max() > 0.01


def test_explain_runs_and_a_fixed_batch_session_pads_the_last_batch(session, preset, photo, tmp_path):
    clf = lw.as_classifier(session, preprocess=preset, class_names=NAMES)
    exp = lw.explain(photo, clf, num_samples=50, progress=False, random_state=3)
    assert exp.model_input_size == (224, 224) and exp.class_names == NAMES
    fixed = lw.as_classifier(export(tmp_path / "fixed.onnx", fixed_batch=4), preprocess=preset, class_names=NAMES)
    assert fixed.batch_size == 4
    again = lw.explain(
        photo, fixed, num_samples=50, progress=False, random_state=3
    )  # 50 = 12 batches of 4 and one of 2
    assert np.allclose(again.probabilities, exp.probabilities, atol=1e-6)
    assert np.allclose(again.weights(exp.top_label), exp.weights(exp.top_label), atol=1e-5)


def test_a_session_without_preprocess_says_what_to_give(session):
    assert is_onnx_session(session) and not is_onnx_session(object())
    with pytest.raises(TypeError, match=r"preprocess=lw\.Preprocess.*class_names="):
        lw.as_classifier(session)
    with pytest.raises(ValueError, match="takes 224x224 images but preprocess makes 200x200"):
        lw.as_classifier(session, preprocess=lw.Preprocess(resize=(200, 200)))
    with pytest.raises(TypeError, match="processor= does not apply"):
        lw.as_classifier(session, processor=object(), preprocess=lw.Preprocess(resize=(224, 224)))
