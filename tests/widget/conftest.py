"""Fixtures of the widget tests: explanations of the cell image with small models (tests/widget/support.py)."""

from __future__ import annotations

import pytest

import lime_widget as lw

from .support import Counting, Sleepy, Slow, explain_cells


@pytest.fixture(scope="module")
def explained() -> tuple[lw.Explanation, Counting]:
    """An explanation whose model counts the images it scores (reset by ``sending_widget``)."""
    fn = Counting()
    return explain_cells(fn), fn


@pytest.fixture(scope="module")
def counted() -> tuple[lw.Explanation, Counting]:
    """A smaller explanation whose model counts the images it scores."""
    fn = Counting()
    return explain_cells(fn, num_samples=40), fn


@pytest.fixture(scope="module")
def explanation() -> lw.Explanation:
    return explain_cells(Slow())


@pytest.fixture
def slow() -> tuple[lw.Explanation, Sleepy]:
    """An explanation whose model takes 0.2 s per call from now on, and counts its calls."""
    fn = Sleepy()
    exp = explain_cells(fn, num_samples=60)
    fn.delay = 0.2  # every forward pass of the search from now on
    fn.calls = 0
    return exp, fn
