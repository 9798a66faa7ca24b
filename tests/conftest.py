"""Fixtures; the helpers they build on live in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

import lime_widget as lw

from .helpers import cue_image, planted_classifier

# Tests compare scores bit for bit across calls (a click's displayed score against exp.rescore in the kernel).
# The fair CPU share (lime_widget.models._cpu_share) may change torch's thread count between two calls while
# other processes are busy (the browser, the Jupyter server), and another count changes a score in about the
# 7th digit. So the suite runs with a chosen count, the library's default one (kernels and notebooks it starts
# inherit it); the share itself is tested in tests/models/ in subprocesses without this variable.
os.environ.setdefault("LIME_WIDGET_THREADS", str(min(4, os.cpu_count() or 1)))


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
