"""Fixtures; the helpers they build on live in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

import lime_widget as lw

from .helpers import cue_image, planted_classifier


@pytest.fixture(scope="session")
def _suite_environ() -> dict[str, str]:
    """The environment the test session started with."""
    return dict(os.environ)


@pytest.fixture(autouse=True)
def _restore_environ(_suite_environ: dict[str, str]) -> Iterator[None]:
    """Give every test after this one the environment the session started with.

    A Dask LocalCluster that a test (or a module fixture) starts itself sets its workers' variables
    (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_, PYTHONHASHSEED) in this process's environment and leaves
    them: every notebook kernel, subprocess and Dask worker started by a later test then ran single-threaded
    or with glibc's slow mmap threshold (the sensitivity notebook took 390 s in the suite against 90 s alone).
    """
    yield
    if dict(os.environ) != _suite_environ:
        os.environ.clear()
        os.environ.update(_suite_environ)


@pytest.fixture
def planted() -> tuple[np.ndarray, lw.TorchClassifier, list[int]]:
    """Image, classifier whose class-1 score depends only on cells 9 and 18, and those cell ids."""
    cells = [9, 18]
    return cue_image(cells), planted_classifier(cells), cells


@pytest.fixture(scope="session")
def embedded_model() -> lw.TorchClassifier:
    return lw.load_model("efficientnet_lite0")
