"""Classify one image with the exact preprocessing path that explanations use."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.images import to_rgb_uint8
from ..core.rankings import top_k
from ..models.zoo import as_classifier
from .compose import Composer


@dataclass(frozen=True)
class Prediction:
    """A model's scores for one image: probabilities (C,) and the C class names."""

    probabilities: np.ndarray
    class_names: list[str]

    @property
    def top_label(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def label_names(self) -> list[str]:
        """Deprecated alias of :attr:`class_names`."""
        warnings.warn("Prediction.label_names is deprecated; use class_names", DeprecationWarning, stacklevel=2)
        return self.class_names

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable classes as (name, probability), best first."""
        order = top_k(self.probabilities, k)
        return [(self.class_names[i], float(self.probabilities[i])) for i in order]


def predict(image: Any, model: Any) -> Prediction:
    """Score one image (path, PIL, numpy or tensor) with a classifier, as :func:`explain` would see it.

    The image goes through the same validation, resize/crop and normalisation as the unmasked image of an
    explanation, so ``predict(img, m).probabilities`` equals ``explain(img, m).probabilities``.
    """
    clf = as_classifier(model)
    img = to_rgb_uint8(image)
    one_segment = np.zeros(img.shape[:2], dtype=np.int32)
    composer = Composer(img, one_segment, img, clf)
    probs = composer.score(np.ones((1, 1), dtype=bool))[0]
    return Prediction(probabilities=probs, class_names=clf.names(probs.shape[0]))
