"""timm models as classifiers: the input size, resize, crop and normalisation come from timm's own data config.

timm (the optional extra ``timm``) is imported only when a timm model is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from ._adapters import three, to_preprocess
from .classifiers import Preprocess, TorchClassifier

#: timm's crop_pct when a config has none (timm.data.transforms_factory.DEFAULT_CROP_PCT)
DEFAULT_CROP_PCT = 0.875


def is_timm_model(model: Any) -> bool:
    """A torch module made by timm: it carries timm's ``pretrained_cfg`` (or the older ``default_cfg``)."""
    if not isinstance(model, torch.nn.Module):
        return False
    return hasattr(model, "pretrained_cfg") or hasattr(model, "default_cfg")


def preprocess_from_data_config(cfg: dict[str, Any]) -> Preprocess:
    """The :class:`Preprocess` of timm's eval transform (``timm.data.create_transform(**cfg)``) for a data
    config from ``timm.data.resolve_model_data_config``: resize the short side to floor(size / crop_pct)
    (``crop_mode="squash"``: both sides), centre-crop to the input size, normalise with mean and std."""
    channels, height, width = (int(v) for v in cfg["input_size"])
    if channels != 3:
        raise ValueError(f"the timm model takes {channels} input channels; lime_widget explains RGB images (3)")
    interpolation = str(cfg.get("interpolation") or "bilinear")
    if interpolation not in ("bilinear", "bicubic", "nearest"):
        raise ValueError(
            f"the timm model's interpolation {interpolation!r} is not supported (bilinear, bicubic, nearest); "
            "pass preprocess=lw.Preprocess(...) with the closest one"
        )
    crop_pct = float(cfg.get("crop_pct") or DEFAULT_CROP_PCT)
    crop_mode = cfg.get("crop_mode") or "center"
    resize: int | tuple[int, int]
    if crop_mode == "squash":
        resize = (math.floor(height / crop_pct), math.floor(width / crop_pct))
    elif crop_mode == "center" and height == width:
        resize = math.floor(height / crop_pct)  # torchvision Resize(int): the short side
    else:
        raise ValueError(
            f"timm's crop_mode={crop_mode!r} with input size {height}x{width} is not supported (only 'center' "
            "with a square input, and 'squash'); pass preprocess=lw.Preprocess(resize=..., crop=..., mean=..., "
            "std=...) describing the model's input"
        )
    return Preprocess(
        resize=resize,
        crop=(height, width),
        mean=three(cfg["mean"], "the timm config's mean"),
        std=three(cfg["std"], "the timm config's std"),
        interpolation=interpolation,
    )


def timm_class_names(model: torch.nn.Module) -> list[str] | None:
    """ImageNet class names (timm's offline ``ImageNetInfo``, "tench, Tinca tinca" style) when the model's
    number of classes is that of its ImageNet subset (1000 for ImageNet-1k), else None."""
    import timm.data

    n = int(getattr(model, "num_classes", 0) or 0)
    subset = timm.data.infer_imagenet_subset(model) or "imagenet-1k"
    try:
        info = timm.data.ImageNetInfo(subset)
    except Exception:  # a subset this timm version has no names for
        return None
    if info.num_classes() != n:
        return None
    return [str(info.index_to_description(i)) for i in range(n)]


def timm_classifier(
    model: torch.nn.Module,
    *,
    preprocess: Any = None,
    class_names: Sequence[str] | None = None,
    device: str | torch.device | None = None,
) -> TorchClassifier:
    """A :class:`TorchClassifier` for a timm model. preprocess: overrides timm's data config (a Preprocess
    or a torchvision preset); class_names: override the ImageNet names; device: see TorchClassifier."""
    import timm.data

    if preprocess is None:
        pre = preprocess_from_data_config(timm.data.resolve_model_data_config(model))
    else:
        pre = to_preprocess(preprocess)
    names = class_names if class_names is not None else timm_class_names(model)
    return TorchClassifier(model, transform=pre, class_names=names, device=device)
