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
    "AuditGallery": "auditing.gallery",
    "compare": "widget.comparison",
    "ModelComparison": "widget.comparison",
    "AuditOutputError": "auditing._table",
    "AuditParametersError": "auditing.running",
    "AuditResult": "auditing.running",
    "audit": "auditing.running",
    "Classifier": "models.classifiers",
    "ClassLookupError": "models.classifiers",
    "ExplainConfig": "engine.config",
    "FunctionClassifier": "models.classifiers",
    "ModelOutputError": "models.classifiers",
    "Preprocess": "models.classifiers",
    "TorchClassifier": "models.classifiers",
    "set_threads": "models.threads",
    "compare_rankings": "core.rankings",
    "gradcam": "analysis.class_activation",
    "superpixel_scores": "analysis.class_activation",
    "LimitError": "engine.limits",
    "explain": "engine.pipeline",
    "DegenerateExplanationError": "engine.pipeline",
    "DegenerateExplanationWarning": "engine.pipeline",
    "predict": "engine.prediction",
    "Prediction": "engine.prediction",
    "Explanation": "engine.explanation",
    "ExplanationFormatError": "core._json",
    "ImageError": "core.images",
    "load_image": "core.images",
    "sample_image": "core.images",
    "to_rgb_uint8": "core.images",
    "ModelUnavailableError": "models.zoo",
    "OnnxClassifier": "models._onnx",
    "KerasClassifier": "models._keras",
    "auto_device": "models.classifiers",
    "as_classifier": "models.zoo",
    "imagenet_categories": "models.zoo",
    "load_model": "models.zoo",
    "PRESETS": "engine.presets",
    "preset": "engine.presets",
    "SegmentationError": "core.segmentation",
    "segment": "core.segmentation",
    "curves_figure": "render.figures",
    "deletion_curve": "analysis.curves",
    "flip_search": "analysis.flips",
    "MinimalFlip": "analysis.flips",
    "minimal_flip": "analysis.flips",
    "random_ranking": "core.rankings",
    "ranking_from_weights": "analysis.curves",
    "LimeWidget": "widget.explorer",
    "explore": "widget.explorer",
}

if TYPE_CHECKING:
    from .analysis.class_activation import gradcam, superpixel_scores
    from .analysis.curves import deletion_curve, ranking_from_weights
    from .analysis.flips import MinimalFlip, flip_search, minimal_flip
    from .auditing._table import AuditOutputError
    from .auditing.gallery import AuditGallery
    from .auditing.running import AuditParametersError, AuditResult, audit
    from .core._json import ExplanationFormatError
    from .core.images import ImageError, load_image, sample_image, to_rgb_uint8
    from .core.rankings import compare_rankings, random_ranking
    from .core.segmentation import SegmentationError, segment
    from .engine.config import ExplainConfig
    from .engine.explanation import Explanation
    from .engine.limits import LimitError
    from .engine.pipeline import DegenerateExplanationError, DegenerateExplanationWarning, explain
    from .engine.prediction import Prediction, predict
    from .engine.presets import PRESETS, preset
    from .models._keras import KerasClassifier
    from .models._onnx import OnnxClassifier
    from .models.classifiers import (
        Classifier,
        ClassLookupError,
        FunctionClassifier,
        ModelOutputError,
        Preprocess,
        TorchClassifier,
        auto_device,
    )
    from .models.threads import set_threads
    from .models.zoo import ModelUnavailableError, as_classifier, imagenet_categories, load_model
    from .render.figures import curves_figure
    from .widget.comparison import ModelComparison, compare
    from .widget.explorer import LimeWidget, explore

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
    magic (see :mod:`lime_widget.cli.magics`)."""
    from .cli.magics import load_ipython_extension as load

    load(ipython)
