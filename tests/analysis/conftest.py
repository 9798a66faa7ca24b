"""Fixtures of the analysis tests."""

from __future__ import annotations

import pytest

import lime_widget as lw

from ..helpers import cell_segments


@pytest.fixture
def planted_exp(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=300, hide="gray", classes=[1], progress=False)
    return exp, cells
