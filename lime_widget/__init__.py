"""lime_widget: LIME explanations of image classifiers, with an interactive Jupyter widget.

>>> import lime_widget as lw
>>> exp = lw.explain(lw.sample_image("chelsea"), lw.load_model(), num_samples=1000)
>>> w = lw.explore(lw.sample_image("chelsea"), lw.load_model())   # in a notebook
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it. Modules load on first use, so ``import lime_widget`` stays fast
# (torch, scikit-learn, anywidget and the JS bundle are only loaded when needed).
_EXPORTS = {
    "Classifier": "classifiers",
    "FunctionClassifier": "classifiers",
    "ModelOutputError": "classifiers",
    "Preprocess": "classifiers",
    "TorchClassifier": "classifiers",
    "compare_rankings": "cam",
    "gradcam": "cam",
    "superpixel_scores": "cam",
    "explain": "engine",
    "predict": "predict",
    "Prediction": "predict",
    "Explanation": "explanation",
    "ImageError": "images",
    "load_image": "images",
    "sample_image": "images",
    "to_rgb_uint8": "images",
    "ModelUnavailableError": "models",
    "imagenet_categories": "models",
    "load_model": "models",
    "PRESETS": "presets",
    "preset": "presets",
    "SegmentationError": "segmentation",
    "segment": "segmentation",
    "curves_figure": "sensitivity",
    "deletion_curve": "sensitivity",
    "flip_search": "sensitivity",
    "random_ranking": "sensitivity",
    "ranking_from_weights": "sensitivity",
    "LimeWidget": "widget",
    "explore": "widget",
}

if TYPE_CHECKING:
    from .cam import compare_rankings, gradcam, superpixel_scores
    from .classifiers import Classifier, FunctionClassifier, ModelOutputError, Preprocess, TorchClassifier
    from .engine import explain
    from .explanation import Explanation
    from .images import ImageError, load_image, sample_image, to_rgb_uint8
    from .models import ModelUnavailableError, imagenet_categories, load_model
    from .predict import Prediction, predict
    from .presets import PRESETS, preset
    from .segmentation import SegmentationError, segment
    from .sensitivity import curves_figure, deletion_curve, flip_search, random_ranking, ranking_from_weights
    from .widget import LimeWidget, explore

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lime_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
