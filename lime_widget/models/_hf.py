"""Hugging Face image-classification models (with their image processor) and pipelines as classifiers.

The processor's settings (resize, centre crop, rescale, normalisation) become a
:class:`~lime_widget.models.classifiers.Preprocess`, and are checked against the processor itself on a test
image, so that a processor doing something else (its own resize, a channel flip) is an error, not a silently
different input. transformers (the optional extra ``hf``) is imported only when such a model is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ._adapters import from_package, three, to_preprocess
from .classifiers import Preprocess, TorchClassifier

#: PIL resampling filters (PIL.Image.Resampling values) lime_widget reproduces exactly
_RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic"}
_SIZE_KEYS = ("height", "width", "shortest_edge", "longest_edge", "max_height", "max_width")
#: largest mean |difference| (in grey levels of 0..255) between the processor's output and lime_widget's
#: Preprocess on the test image: uint8 rounding of the processor's resize gives about 0.25, a one-pixel shift
#: or another filter several levels
MAX_MEAN_LEVELS = 1.0


def is_hf_model(model: Any) -> bool:
    """A transformers PyTorch model (a torch module whose class comes from transformers)."""
    return isinstance(model, torch.nn.Module) and from_package(model, "transformers")


def is_hf_pipeline(obj: Any) -> bool:
    """A transformers pipeline (it has ``.model``, ``.task`` and its class comes from transformers)."""
    return from_package(obj, "transformers") and hasattr(obj, "model") and hasattr(obj, "task")


def _size_dict(size: Any) -> dict[str, int]:
    """A processor's size (a dict, a SizeDict or an int) as {key: int} without the unset keys."""
    if size is None:
        return {}
    if isinstance(size, (int, np.integer)):
        return {"height": int(size), "width": int(size)}
    out = {}
    for key in _SIZE_KEYS:
        value = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
        if value is not None:
            out[key] = int(value)
    return out


def _interpolation(resample: Any) -> str:
    value = getattr(resample, "value", resample)  # a PIL Resampling enum or a torchvision InterpolationMode
    if isinstance(value, str):
        name = value.lower()
        if name in ("nearest", "bilinear", "bicubic"):
            return name
    elif value is not None and int(value) in _RESAMPLE:
        return _RESAMPLE[int(value)]
    raise ValueError(
        f"the image processor resamples with {resample!r}, which lime_widget does not reproduce (bilinear, bicubic "
        "or nearest); pass preprocess=lw.Preprocess(...) with the closest interpolation instead of processor="
    )


def processor_preprocess(processor: Any) -> Preprocess:
    """The :class:`Preprocess` that a Hugging Face image processor's settings describe: ``size``
    ({"height", "width"}: exactly that size; {"shortest_edge"}: the short side, or with ``crop_pct`` (ConvNeXT
    style) the short side to int(shortest_edge / crop_pct) and a centre crop to shortest_edge), ``do_center_crop``
    with ``crop_size``, ``rescale_factor`` and ``image_mean`` / ``image_std`` (folded into one mean and std for
    [0, 1] inputs). Crop offsets are floored, as the processors do."""
    size = _size_dict(getattr(processor, "size", None))
    resize: int | tuple[int, int] | None = None
    crop: tuple[int, int] | None = None
    if getattr(processor, "do_resize", True) and size:
        crop_pct = getattr(processor, "crop_pct", None)
        if "height" in size and "width" in size:
            resize = (size["height"], size["width"])
        elif "shortest_edge" in size and len(size) == 1 and crop_pct is not None:
            edge = size["shortest_edge"]
            if edge < 384:  # ConvNeXT: keep the aspect ratio, then crop; from 384 on it warps to a square
                resize, crop = int(edge / float(crop_pct)), (edge, edge)
            else:
                resize = (edge, edge)
        elif "shortest_edge" in size and len(size) == 1:
            resize = size["shortest_edge"]
        else:
            raise ValueError(
                f"the image processor's size {size} is not supported ({{'height', 'width'}} or "
                "{'shortest_edge'}); pass preprocess=lw.Preprocess(...) instead of processor="
            )
    if getattr(processor, "do_center_crop", False):
        crop_size = _size_dict(getattr(processor, "crop_size", None))
        if crop is not None or "height" not in crop_size or "width" not in crop_size:
            raise ValueError(
                f"the image processor's crop (crop_size={crop_size}) is not supported; pass "
                "preprocess=lw.Preprocess(...) instead of processor="
            )
        crop = (crop_size["height"], crop_size["width"])
    # model input = (pixel * rescale - mean) / std for pixels in 0..255, = (x - mean') / std' for x in [0, 1]
    rescale = float(processor.rescale_factor) if getattr(processor, "do_rescale", True) else 1.0
    if getattr(processor, "do_normalize", True):
        mean = np.array(three(processor.image_mean, "the processor's image_mean"))
        std = np.array(three(processor.image_std, "the processor's image_std"))
    else:
        mean, std = np.zeros(3), np.ones(3)
    to_unit = 255.0 * rescale
    trivial = np.all(mean == 0) and np.all(std == 1) and to_unit == 1.0
    return Preprocess(
        resize=resize,
        crop=crop,
        mean=None if trivial else three(mean / to_unit, "mean"),
        std=None if trivial else three(std / to_unit, "std"),
        interpolation=_interpolation(getattr(processor, "resample", 2)) if resize is not None else "bilinear",
        crop_offset="floor",
    )


def _test_image(height: int, width: int) -> np.ndarray:
    """A smooth, non-square uint8 (height, width, 3) image: a one-pixel shift changes it by several levels."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = [
        127.5 + 110 * np.sin(xx / 7.0 + yy / 11.0),
        127.5 + 110 * np.cos(xx / 13.0 - yy / 5.0),
        127.5 + 110 * np.sin((xx + yy) / 9.0),
    ]
    return np.clip(np.round(np.stack(channels, axis=-1)), 0, 255).astype(np.uint8)


def check_processor(processor: Any, pre: Preprocess) -> float:
    """Run the processor on a test image and compare with ``pre``. Returns the mean |difference| in grey
    levels (0..255); raises ValueError when the two differ in shape or by more than MAX_MEAN_LEVELS."""
    from PIL import Image

    size = _size_dict(getattr(processor, "size", None))
    side = max([224, *size.values()])
    image = _test_image(int(side * 1.3) + 1, int(side * 1.7) + 2)
    theirs = processor(images=Image.fromarray(image), return_tensors="pt")["pixel_values"][0].float()
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255.0)
    ours = pre.normalize(pre.geometry(x).clamp(0.0, 1.0)[None])[0]
    name = type(processor).__name__
    if tuple(theirs.shape) != tuple(ours.shape):
        raise ValueError(
            f"the image processor {name} makes inputs of shape {tuple(theirs.shape)} where its settings say "
            f"{tuple(ours.shape)}; pass preprocess=lw.Preprocess(...) describing its input instead of processor="
        )
    std = torch.tensor(pre.std if pre.std is not None else (1.0, 1.0, 1.0)).view(3, 1, 1)
    levels = float(((theirs - ours).abs() * std).mean()) * 255.0
    if levels > MAX_MEAN_LEVELS:
        raise ValueError(
            f"the image processor {name} does more than resize, crop, rescale and normalise as its settings say "
            f"(its output differs by {levels:.2f} grey levels on average from that); pass "
            "preprocess=lw.Preprocess(...) describing its input instead of processor="
        )
    return levels


def hf_class_names(model: Any) -> list[str] | None:
    """The class names of ``model.config.id2label``, in id order (None when it has none)."""
    config = getattr(model, "config", None)
    id2label = getattr(config, "id2label", None)
    if not id2label:
        return None
    labels = {int(k): str(v) for k, v in dict(id2label).items()}
    if sorted(labels) != list(range(len(labels))):
        return None
    return [labels[i] for i in range(len(labels))]


def hf_classifier(
    model: torch.nn.Module,
    *,
    processor: Any = None,
    preprocess: Any = None,
    class_names: Sequence[str] | None = None,
    device: str | torch.device | None = None,
) -> TorchClassifier:
    """A :class:`TorchClassifier` for a transformers image-classification model (it returns an output with
    ``.logits``): with its image processor (``processor=``, e.g. ``AutoImageProcessor.from_pretrained(name)``)
    or an explicit ``preprocess=`` (a Preprocess or a torchvision preset). Class names: ``config.id2label``."""
    if (processor is None) == (preprocess is None):
        raise TypeError(
            "a Hugging Face model needs its image processor: lw.as_classifier(model, processor="
            "AutoImageProcessor.from_pretrained(name)) (or preprocess=lw.Preprocess(...)), one of the two"
            if processor is None
            else "give processor= or preprocess=, not both"
        )
    if processor is not None:
        pre = processor_preprocess(processor)
        check_processor(processor, pre)
    else:
        pre = to_preprocess(preprocess)
    names = class_names if class_names is not None else hf_class_names(model)
    return TorchClassifier(model, transform=pre, class_names=names, device=device)


def pipeline_classifier(
    pipe: Any, *, preprocess: Any = None, class_names: Sequence[str] | None = None
) -> TorchClassifier:
    """A :class:`TorchClassifier` for an image-classification pipeline: its model and image processor."""
    task = getattr(pipe, "task", None)
    if task != "image-classification":
        raise ValueError(f"the pipeline's task is {task!r}; lime_widget explains 'image-classification' pipelines")
    processor = None if preprocess is not None else getattr(pipe, "image_processor", None)
    if processor is None and preprocess is None:
        raise ValueError("the pipeline has no image_processor; pass preprocess=lw.Preprocess(...)")
    return hf_classifier(pipe.model, processor=processor, preprocess=preprocess, class_names=class_names)
