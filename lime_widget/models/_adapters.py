"""What the framework adapters (timm, Hugging Face, ONNX Runtime, Keras) share: telling a framework's objects
apart without importing the framework, and reading a ``preprocess=`` argument."""

from __future__ import annotations

from typing import Any

import numpy as np

from .classifiers import Preprocess


def from_package(obj: Any, package: str) -> bool:
    """Whether obj's class, or a class it derives from, is defined in ``package`` (e.g. ``"timm"``); the
    package itself is not imported, so this works (and says False) when it is not installed."""
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if module == package or module.startswith(package + "."):
            return True
    return False


def to_preprocess(value: Any, argument: str = "preprocess") -> Preprocess:
    """A :class:`Preprocess` from a Preprocess or a torchvision weights preset (``weights.transforms()``)."""
    if isinstance(value, Preprocess):
        return value
    if all(hasattr(value, a) for a in ("crop_size", "resize_size", "mean", "std")):
        return Preprocess.from_torchvision(value)
    raise TypeError(
        f"{argument} must be a lime_widget.Preprocess or a torchvision weights preset (weights.transforms()); "
        f"got {type(value).__name__}"
    )


def three(values: Any, argument: str) -> tuple[float, float, float]:
    """Per-channel values as a 3-tuple of floats (one value is used for the three channels)."""
    vals = [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]
    if len(vals) == 1:
        vals = vals * 3
    if len(vals) != 3:
        raise ValueError(f"{argument} must have 1 or 3 values (RGB); got {values!r}")
    return vals[0], vals[1], vals[2]
