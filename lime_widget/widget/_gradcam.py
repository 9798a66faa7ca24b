"""Grad-CAM for the explorer: every explained class' map averaged over the explanation's superpixels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.explanation import Explanation


def gradcam_scores(exp: Explanation, layer: Any) -> dict[int, np.ndarray]:
    """Grad-CAM of every explained class, averaged over the explanation's superpixels: class id -> float (K,).
    ``layer``: the layer to read (None: the last ``Conv2d``)."""
    from ..analysis.class_activation import gradcam, superpixel_scores
    from ..models.classifiers import TorchClassifier

    if not isinstance(exp.model, TorchClassifier):
        raise TypeError(
            "gradcam=True needs gradients, so it works with a lime_widget.TorchClassifier only (lw.load_model or "
            f"lw.TorchClassifier(module)); this explanation's model is a {type(exp.model).__name__}"
        )
    return {
        int(c): superpixel_scores(gradcam(exp.image, exp.model, label=int(c), layer=layer).pixel_map, exp.segments)
        for c in exp.top_labels
    }


def check_gradcam_model(model: Any) -> Any:
    """``model`` as a classifier, checked before any work for ``gradcam=True``: captum is installed (else an
    ImportError naming the extra) and the model is a torch one."""
    from ..analysis.class_activation import _import_captum
    from ..models.classifiers import TorchClassifier
    from ..models.zoo import as_classifier

    _import_captum()  # ImportError naming the extra to install, before any forward pass
    clf = as_classifier(model)
    if not isinstance(clf, TorchClassifier):
        raise TypeError(
            "gradcam=True needs gradients, so it works with a torch model only (lw.load_model(name) or "
            f"lw.TorchClassifier(module)); got {type(clf).__name__}"
        )
    return clf
