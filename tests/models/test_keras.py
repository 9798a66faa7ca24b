"""Keras 3 models on the torch backend, with keras.applications' preprocess_input conventions."""

from __future__ import annotations

import os

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.models._keras import KerasClassifier, affine_of

os.environ.setdefault("KERAS_BACKEND", "torch")  # read once, when keras is first imported
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":
    pytest.skip(f"keras was imported with the {keras.backend.backend()} backend", allow_module_level=True)
from keras.applications import densenet, imagenet_utils, inception_v3, resnet50  # noqa: E402

# keras' own model.predict (the reference) converts torch tensors with np.array, which numpy 2 warns about
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
HEIGHT, WIDTH = 64, 80
FAMILIES = {"tf": inception_v3.preprocess_input, "caffe": resnet50.preprocess_input, "torch": densenet.preprocess_input}


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return lw.sample_image("chelsea")


@pytest.fixture(scope="module")
def model():
    """A small Keras classifier of 10 classes ending in softmax, random weights; the layer normalisation keeps
    its scores spread over a few nats whatever the input convention's scale (caffe's 0..255 or tf's [-1, 1])."""
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [
            keras.Input((HEIGHT, WIDTH, 3)),
            keras.layers.Conv2D(8, 5, strides=4, activation="relu"),
            keras.layers.Conv2D(16, 3, strides=2),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    return net


def keras_log_probs(model, photo: np.ndarray, fn) -> np.ndarray:
    """The model's own prediction on the photo resized with PIL (bilinear) and put through fn."""
    from PIL import Image

    resized = np.asarray(Image.fromarray(photo).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR), dtype=np.float32)
    return np.log(model.predict(fn(resized[None].copy()), verbose=0)[0].astype(np.float64))


@pytest.mark.parametrize("mode", ["tf", "caffe", "torch"])
def test_predict_equals_keras_on_its_preprocess_input(model, photo, mode):
    ref = keras_log_probs(model, photo, FAMILIES[mode])
    assert ref.max() - ref.min() > 2.0
    for preprocess in (mode, FAMILIES[mode]):  # the mode's name or the family's function
        clf = lw.as_classifier(model, preprocess=preprocess)
        assert isinstance(clf, KerasClassifier) and clf.output == "probabilities"
        assert clf.preprocess is not None and clf.preprocess.resize == (HEIGHT, WIDTH)
        assert np.abs(np.log(lw.predict(photo, clf).probabilities) - ref).max() < 0.01
    # the comparison can fail: another convention gives visibly different scores
    other = "caffe" if mode != "caffe" else "tf"
    wrong = np.log(lw.predict(photo, lw.as_classifier(model, preprocess=other)).probabilities)
    assert np.abs(wrong - ref).max() > 0.01


def test_the_conventions_are_measured_exactly():
    order, scale, offset = affine_of(FAMILIES["caffe"])
    assert order == (2, 1, 0)  # BGR
    assert np.allclose(scale, 1.0) and np.allclose(offset, [-103.939, -116.779, -123.68], atol=1e-3)
    order, scale, offset = affine_of(lambda x: imagenet_utils.preprocess_input(x, mode="tf"))
    assert order == (0, 1, 2) and np.allclose(scale, 1 / 127.5) and np.allclose(offset, -1.0)
    with pytest.raises(ValueError, match="mixes colour channels"):
        affine_of(lambda x: x.mean(axis=-1, keepdims=True) + 0 * x)
    with pytest.raises(ValueError, match="not a per-channel scale and shift"):
        affine_of(lambda x: x**2)


def test_explain_runs_on_a_keras_model(model, photo):
    exp = lw.explain(photo, lw.as_classifier(model, preprocess="caffe"), num_samples=50, progress=False)
    assert exp.model_input_size == (HEIGHT, WIDTH)


def test_a_keras_model_without_its_convention_says_what_to_give(model):
    with pytest.raises(TypeError, match="preprocess='tf'"):
        lw.as_classifier(model)
    with pytest.raises(ValueError, match="one of"):
        lw.as_classifier(model, preprocess="imagenet")
    logits = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3)])
    assert lw.as_classifier(logits, preprocess="tf").output == "logits"
    flexible = keras.Sequential([keras.Input((None, None, 3)), keras.layers.GlobalAveragePooling2D()])
    with pytest.raises(ValueError, match="input size is not fixed"):
        lw.as_classifier(flexible, preprocess="tf")
    clf = lw.as_classifier(flexible, preprocess=lw.Preprocess(resize=(16, 16)))
    assert clf.preprocess is not None and clf.preprocess.resize == (16, 16)
