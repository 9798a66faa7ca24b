"""Hugging Face image-classification models with their image processor, and pipelines, as classifiers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.models import _hf

transformers = pytest.importorskip("transformers")

LABELS = ["tabby", "tiger", "lynx", "dog", "car"]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return lw.sample_image("chelsea")


@pytest.fixture(scope="module")
def vit() -> torch.nn.Module:
    """A tiny ViT (64x64 inputs, random weights, head scaled so the log-probabilities spread over a few nats)."""
    torch.manual_seed(0)
    config = transformers.ViTConfig(
        image_size=64,
        patch_size=16,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )
    model = transformers.ViTForImageClassification(config).eval()
    with torch.no_grad():
        model.classifier.weight.mul_(40.0)
    return model


@pytest.fixture(scope="module")
def processor():
    return transformers.ViTImageProcessor(size={"height": 64, "width": 64})


def test_predict_equals_the_model_on_its_processors_output(vit, processor, photo):
    from PIL import Image

    with torch.no_grad():
        logits = vit(**processor(images=Image.fromarray(photo), return_tensors="pt")).logits
    ref = torch.log_softmax(logits, dim=1)[0].double().numpy()
    assert ref.max() - ref.min() > 2.0
    clf = lw.as_classifier(vit, processor=processor)
    assert clf.class_names == LABELS
    pred = lw.predict(photo, clf)
    assert np.abs(np.log(pred.probabilities) - ref).max() < 0.01
    # the comparison can fail: a 56x56 input in the same model is visibly different
    wrong = lw.as_classifier(vit, preprocess=dataclasses.replace(clf.preprocess, resize=(70, 70), crop=(64, 64)))
    assert np.abs(np.log(lw.predict(photo, wrong).probabilities) - ref).max() > 0.01


def test_a_pipeline_is_taken_as_it_is(vit, processor, photo):
    from PIL import Image

    pipe = transformers.pipeline("image-classification", model=vit, image_processor=processor)
    scores = {r["label"]: r["score"] for r in pipe(Image.fromarray(photo), top_k=len(LABELS))}
    pred = lw.predict(photo, pipe)
    assert pred.class_names == LABELS
    ref = np.log([scores[name] for name in LABELS])
    assert np.abs(np.log(pred.probabilities) - ref).max() < 0.01
    with pytest.raises(TypeError, match="processor= does not apply"):
        lw.as_classifier(pipe, processor=processor)


def test_explain_runs_on_a_hugging_face_model(vit, processor, photo):
    exp = lw.explain(photo, lw.as_classifier(vit, processor=processor), num_samples=50, progress=False)
    assert exp.model_input_size == (64, 64) and exp.class_names == LABELS


def test_a_model_without_processor_says_what_to_give(vit):
    with pytest.raises(TypeError, match="processor=AutoImageProcessor"):
        lw.as_classifier(vit)


def test_shortest_edge_crop_pct_and_floored_crop_offsets():
    convnext = transformers.ConvNextImageProcessor(size={"shortest_edge": 64})  # crop_pct 224/256
    pre = _hf.processor_preprocess(convnext)
    assert pre.resize == 73 and pre.crop == (64, 64) and pre.interpolation == "bicubic"
    assert _hf.check_processor(convnext, pre) < _hf.MAX_MEAN_LEVELS
    # crops of odd margins (72 - 63 = 9, 80 - 65 = 15): the processor floors the offset, torchvision rounds it
    cropping = transformers.ViTImageProcessor(
        size={"height": 72, "width": 80}, do_center_crop=True, crop_size={"height": 63, "width": 65}
    )
    pre = _hf.processor_preprocess(cropping)
    assert pre.crop == (63, 65) and pre.crop_offset == "floor"
    assert _hf.check_processor(cropping, pre) < _hf.MAX_MEAN_LEVELS
    with pytest.raises(ValueError, match="grey levels"):
        _hf.check_processor(cropping, dataclasses.replace(pre, crop_offset="round"))


def test_rescale_and_normalisation_fold_into_mean_and_std():
    proc = transformers.ViTImageProcessor(
        size={"height": 32, "width": 32}, rescale_factor=1 / 127.5, image_mean=[1.0] * 3, image_std=[1.0] * 3
    )
    pre = _hf.processor_preprocess(proc)  # x * 255 / 127.5 - 1 = (x - 0.5) / 0.5
    assert np.allclose(pre.mean, 0.5) and np.allclose(pre.std, 0.5)
    assert _hf.check_processor(proc, pre) < _hf.MAX_MEAN_LEVELS


def test_a_processor_doing_something_else_is_refused():
    # EfficientNet's processor (include_top) normalises a second time, which its size/mean/std settings do not say
    proc = transformers.EfficientNetImageProcessor(size={"height": 32, "width": 32})
    with pytest.raises(ValueError, match=r"preprocess=lw\.Preprocess"):
        _hf.check_processor(proc, _hf.processor_preprocess(proc))


def test_floored_crops_compose_exactly():
    # the composition's per-superpixel layers use the same floored window as the geometry: hiding every
    # superpixel gives the fill's own resize and crop
    from lime_widget.engine.compose import Composer

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (57, 83, 3), dtype=np.uint8)
    fill = rng.integers(0, 256, (57, 83, 3), dtype=np.uint8)
    segments = (np.arange(57)[:, None] // 8 * 11 + np.arange(83)[None, :] // 8).astype(np.int32)  # 8x11 blocks
    pre = lw.Preprocess(resize=(40, 52), crop=(31, 37), interpolation="bicubic", crop_offset="floor")
    clf = lw.TorchClassifier(torch.nn.Flatten().eval(), transform=pre)
    composer = Composer(image, segments, fill, clf)
    k = int(segments.max()) + 1
    hidden = composer.compose(np.zeros((1, k), dtype=bool))[0]
    expected = pre.geometry(torch.from_numpy(fill).permute(2, 0, 1).float() / 255).clamp(0, 1)
    assert torch.allclose(hidden, expected, atol=1e-5)
    assert pre.crop_window(40, 52) == (4, 7, 31, 37)  # floor(9 / 2), floor(15 / 2); rounding gives (4, 8)
    assert lw.Preprocess(resize=(40, 52), crop=(31, 37)).crop_window(40, 52) == (4, 8, 31, 37)
