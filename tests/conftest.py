"""Fixtures; the helpers they build on live in tests/helpers.py."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw

from .helpers import cue_image, planted_classifier


@pytest.fixture
def planted() -> tuple[np.ndarray, lw.TorchClassifier, list[int]]:
    """Image, classifier whose class-1 score depends only on cells 9 and 18, and those cell ids."""
    cells = [9, 18]
    return cue_image(cells), planted_classifier(cells), cells


@pytest.fixture(scope="session")
def embedded_model() -> lw.TorchClassifier:
    return lw.load_model("efficientnet_lite0")
