"""lime_widget: LIME explanations of image classifiers, with an interactive Jupyter widget.

>>> import lime_widget as lw
>>> exp = lw.explain(lw.sample_image("chelsea"), lw.load_model(), num_samples=1000)
>>> w = lw.explore(lw.sample_image("chelsea"), lw.load_model())   # in a notebook
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public name -> module that defines it. Modules load on first use, so ``import lime_widget`` stays fast
# (torch, scikit-learn, anywidget and the JS bundle are only loaded when needed).
_EXPORTS = {
    "AuditGallery": "gallery",
    "compare": "comparison",
    "ModelComparison": "comparison",
    "AuditParametersError": "auditing",
    "AuditResult": "auditing",
    "audit": "auditing",
    "Classifier": "classifiers",
    "ClassLookupError": "classifiers",
    "ExplainConfig": "config",
    "FunctionClassifier": "classifiers",
    "ModelOutputError": "classifiers",
    "Preprocess": "classifiers",
    "TorchClassifier": "classifiers",
    "set_threads": "threads",
    "compare_rankings": "class_activation",
    "gradcam": "class_activation",
    "superpixel_scores": "class_activation",
    "explain": "pipeline",
    "DegenerateExplanationError": "pipeline",
    "DegenerateExplanationWarning": "pipeline",
    "predict": "prediction",
    "Prediction": "prediction",
    "Explanation": "explanation",
    "ExplanationFormatError": "serialization",
    "ImageError": "images",
    "load_image": "images",
    "sample_image": "images",
    "to_rgb_uint8": "images",
    "ModelUnavailableError": "models",
    "as_classifier": "models",
    "imagenet_categories": "models",
    "load_model": "models",
    "PRESETS": "presets",
    "preset": "presets",
    "SegmentationError": "segmentation",
    "segment": "segmentation",
    "curves_figure": "sensitivity",
    "deletion_curve": "sensitivity",
    "flip_search": "sensitivity",
    "MinimalFlip": "sensitivity",
    "minimal_flip": "sensitivity",
    "random_ranking": "sensitivity",
    "ranking_from_weights": "sensitivity",
    "LimeWidget": "widget",
    "explore": "widget",
}

if TYPE_CHECKING:
    from .auditing import AuditParametersError, AuditResult, audit
    from .class_activation import compare_rankings, gradcam, superpixel_scores
    from .classifiers import (
        Classifier,
        ClassLookupError,
        FunctionClassifier,
        ModelOutputError,
        Preprocess,
        TorchClassifier,
    )
    from .comparison import ModelComparison, compare
    from .config import ExplainConfig
    from .explanation import Explanation
    from .gallery import AuditGallery
    from .images import ImageError, load_image, sample_image, to_rgb_uint8
    from .models import ModelUnavailableError, as_classifier, imagenet_categories, load_model
    from .pipeline import DegenerateExplanationError, DegenerateExplanationWarning, explain
    from .prediction import Prediction, predict
    from .presets import PRESETS, preset
    from .segmentation import SegmentationError, segment
    from .sensitivity import (
        MinimalFlip,
        curves_figure,
        deletion_curve,
        flip_search,
        minimal_flip,
        random_ranking,
        ranking_from_weights,
    )
    from .serialization import ExplanationFormatError
    from .threads import set_threads
    from .widget import LimeWidget, explore

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the installed package's metadata, on first use (keeps import fast)
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("lime-widget")
        except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path without an install
            value = "0+unknown"
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lime_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext lime_widget``: registers the ``%lime IMAGE [--model NAME] [--num-samples N] [--preset P]``
    magic (see :mod:`lime_widget.magics`)."""
    from .magics import load_ipython_extension as load

    load(ipython)
