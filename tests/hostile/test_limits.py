"""Limits before allocation: an argument that would size an array beyond the limits fails at once, naming the
argument, the limit and how to raise it, before any forward pass and without allocating."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.engine import limits
from lime_widget.engine.config import ExplainConfig
from lime_widget.engine.limits import LimitError, check_memory, memory_budget, parse_bytes

from ..helpers import cell_image, cell_segments


class Counting:
    """A two-class model that counts how many images it was asked to score."""

    def __init__(self, n_classes: int = 2) -> None:
        self.calls = 0
        self.n_classes = n_classes

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += len(batch)
        return np.full((len(batch), self.n_classes), 1.0 / self.n_classes)


def _explain(fn: Counting, **kwargs):
    args = {"segments": cell_segments(), "hide": "black", "num_samples": 20, "progress": False, **kwargs}
    return lw.explain(cell_image(), lw.FunctionClassifier(fn), **args)


def test_a_typo_of_10_to_the_11_samples_fails_at_once_without_allocating():
    fn = Counting()
    image = cell_image()
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(LimitError, match=r"num_samples=100,000,000,000 is above the limit of 1,000,000") as info:
            lw.explain(image, lw.FunctionClassifier(fn), num_samples=10**11, progress=False)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "lime_widget.engine.limits.MAX_SAMPLES" in str(info.value)  # how to raise it
    assert elapsed < 5.0 and peak < 20 * 2**20
    assert fn.calls == 0


# each: the arguments, the argument named, the constant named as the way to raise the limit
CAPS = [
    ({"num_samples": 1_000_001}, "num_samples=1,000,001", "MAX_SAMPLES"),
    ({"num_samples": 10**11}, "num_samples", "MAX_SAMPLES"),
    ({"num_samples": np.int64(10**12)}, "num_samples", "MAX_SAMPLES"),
    ({"num_samples": "auto", "max_samples": 10**11}, "max_samples", "MAX_SAMPLES"),
    ({"max_samples": 2_000_000}, "max_samples", "MAX_SAMPLES"),
    ({"refits": 10**9}, "refits", "MAX_REFITS"),
    ({"refits": 10_001}, "refits", "MAX_REFITS"),
    ({"segments": None, "segmentation": "slic", "n_segments": 10**9}, "n_segments", "MAX_SEGMENTS"),
    ({"segments": None, "segmentation": "grid", "n_segments": 70_000}, "n_segments", "MAX_SEGMENTS"),
    ({"segments": None, "segmentation_params": {"n_segments": 10**11}}, "n_segments", "MAX_SEGMENTS"),
    ({"hide": "blur", "blur_sigma": 1e9}, "blur_sigma", "MAX_SIGMA"),
    ({"hide": "blur", "blur_sigma": 1000.5}, "blur_sigma", "MAX_SIGMA"),
]


@pytest.mark.parametrize(("kwargs", "needle", "constant"), CAPS, ids=[repr(c[0])[:60] for c in CAPS])
def test_caps_fail_before_any_forward_pass_naming_the_argument_and_the_limit(kwargs, needle, constant):
    fn = Counting()
    args = {"segments": cell_segments(), "hide": "black", **kwargs}
    args = {k: v for k, v in args.items() if v is not None}
    with pytest.raises(LimitError, match=needle) as info:
        lw.explain(cell_image(), lw.FunctionClassifier(fn), progress=False, **args)
    assert f"lime_widget.engine.limits.{constant}" in str(info.value)
    assert "limit of" in str(info.value)
    assert fn.calls == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_samples": limits.MAX_SAMPLES},
        {"num_samples": "auto", "max_samples": limits.MAX_SAMPLES},
        {"refits": limits.MAX_REFITS},
        {"segmentation_params": {"n_segments": limits.MAX_SEGMENTS}},
        {"hide": "blur", "blur_sigma": limits.MAX_SIGMA},
    ],
)
def test_values_at_the_caps_are_accepted(kwargs):
    cfg = ExplainConfig(**kwargs)  # the config only: nothing of that size is allocated
    assert all(getattr(cfg, k) == v for k, v in kwargs.items())


def test_raising_the_module_constant_raises_the_limit(monkeypatch):
    with pytest.raises(LimitError):
        ExplainConfig(num_samples=2_000_000)
    monkeypatch.setattr(limits, "MAX_SAMPLES", 5_000_000)
    assert ExplainConfig(num_samples=2_000_000).num_samples == 2_000_000


# settings under every cap whose arrays together are too large for a small budget (1 MiB here)
BUDGET = [
    ({"num_samples": 100_000}, "num_samples=100,000"),
    ({"num_samples": "auto", "max_samples": 100_000}, "max_samples=100,000"),
    ({"num_samples": 200, "refits": 5_000}, "refits=5,000"),
    ({"num_samples": 1_000, "refits": 2_000, "classes": [0, 1]}, "2 explained classes"),
]


@pytest.mark.parametrize(("kwargs", "needle"), BUDGET, ids=[repr(b[0]) for b in BUDGET])
def test_the_memory_budget_refuses_before_any_forward_pass(monkeypatch, kwargs, needle):
    monkeypatch.setenv(limits.MEMORY_ENV, "1M")
    fn = Counting()
    with pytest.raises(LimitError, match=needle) as info:
        _explain(fn, **kwargs)
    message = str(info.value)
    assert "would need about" in message and "MiB" in message  # the estimate
    assert "memory budget of 1.0 MiB" in message and "LIME_WIDGET_MEMORY_BUDGET" in message  # limit, how to raise
    assert fn.calls == 0


def test_the_memory_budget_counts_the_named_classes(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "20M")
    fn = Counting(n_classes=100_000)
    names = [f"c{i}" for i in range(100_000)]
    with pytest.raises(LimitError, match=r"scores 1,000 x 100,000"):
        lw.explain(
            cell_image(),
            lw.FunctionClassifier(fn, class_names=names),
            segments=cell_segments(),
            hide="black",
            num_samples=1000,
            progress=False,
        )
    assert fn.calls == 0


def test_an_unnamed_model_with_many_classes_is_refused_at_the_first_batch(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "20M")
    fn = Counting(n_classes=100_000)
    with pytest.raises(LimitError, match=r"1,000 samples of a model with 100,000 classes"):
        _explain(fn, num_samples=1000, batch_size=8)
    assert fn.calls == 8  # one batch, not the run


def test_an_auto_run_checks_the_scores_of_max_samples_not_of_one_round(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "20M")
    fn = Counting(n_classes=100_000)
    with pytest.raises(LimitError, match=r"2,000 samples of a model with 100,000 classes"):
        _explain(fn, num_samples="auto", max_samples=2000, batch_size=8)
    assert fn.calls == 8


@pytest.mark.parametrize("batch_size", [5_000, 10**9])
def test_a_huge_batch_size_is_refused_before_the_first_batch(monkeypatch, batch_size):
    monkeypatch.setenv(limits.MEMORY_ENV, "4M")  # the samples fit (2 MiB), 1000 images of 64 x 64 do not
    fn = Counting()
    with pytest.raises(LimitError, match=r"batch_size=1,000 at the model's input size 64 x 64") as info:
        _explain(fn, num_samples=1000, refits=0, batch_size=batch_size)
    assert "lower batch_size" in str(info.value)
    assert fn.calls == 0


def test_a_batch_within_the_budget_runs(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "64M")
    exp = _explain(Counting(), num_samples=40, batch_size=40)
    assert exp.n_samples == 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [("100", 100), ("64G", 64 * 2**30), ("1.5M", int(1.5 * 2**20)), ("2k", 2048), ("3GiB", 3 * 2**30), ("1T", 2**40)],
)
def test_budget_sizes_are_parsed(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["abc", "-1", "0", "G", "inf", "nan", "1X"])
def test_a_bad_budget_is_a_clear_error(monkeypatch, text):
    monkeypatch.setenv(limits.MEMORY_ENV, text)
    with pytest.raises(LimitError, match="LIME_WIDGET_MEMORY_BUDGET"):
        memory_budget()


def test_the_default_budget_is_half_the_machines_memory(monkeypatch):
    import os

    monkeypatch.delenv(limits.MEMORY_ENV, raising=False)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory_budget() == total // 2
    check_memory({"small": 1024}, what="x", lower="y")  # within the budget: no error
    with pytest.raises(LimitError, match="half this machine's memory"):
        check_memory({"huge": total}, what="x", lower="y")


@pytest.fixture(scope="module")
def small_exp() -> lw.Explanation:
    return _explain(Counting(), num_samples=20, refits=20)


@pytest.mark.parametrize("smooth", [1e9, 1000.5])
def test_a_huge_smoothing_sigma_is_refused_before_the_filter(small_exp, smooth):
    with pytest.raises(LimitError, match=r"smooth=.* above the limit of 1000 px.*MAX_SIGMA"):
        small_exp.heatmap(smooth=smooth)
    with pytest.raises(LimitError, match="smooth"):
        small_exp.figure(style="matlab", smooth=smooth, bars=False)


@pytest.mark.parametrize("side", [0, -5, 1.5, True, "512"])
def test_a_bad_display_side_of_the_html_file_is_refused(small_exp, tmp_path, side):
    with pytest.raises(ValueError, match="max_display_side"):
        small_exp.to_html(tmp_path / "x.html", max_display_side=side)
    assert not (tmp_path / "x.html").exists()


def test_a_huge_display_side_never_enlarges_the_image(small_exp, tmp_path):
    # the display copy is at most the image: a typo here cannot allocate more than the image itself
    out = small_exp.to_html(tmp_path / "x.html", max_display_side=10**12)
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("how", ["segments", "callable"])
def test_a_label_map_with_very_many_superpixels_is_refused_before_the_fill(monkeypatch, how):
    monkeypatch.setenv(limits.MEMORY_ENV, "64M")
    every_pixel = np.arange(64 * 64).reshape(64, 64)  # 4096 superpixels of one pixel
    fn = Counting()
    kwargs = (
        {"segments": every_pixel} if how == "segments" else {"segments": None, "segmentation": lambda im: every_pixel}
    )
    with pytest.raises(LimitError, match=r"num_samples=1,000 with 4,096 superpixels") as info:
        _explain(fn, num_samples=1000, **kwargs)
    assert "masks 1,000 x 4,096" in str(info.value)
    assert fn.calls == 0


def test_the_balanced_designs_hadamard_matrix_counts_and_lime_sampling_avoids_it(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "256M")
    every_pixel = np.arange(64 * 64).reshape(64, 64)  # 4096 superpixels: an 8192 x 8192 Hadamard matrix
    fn = Counting()
    with pytest.raises(LimitError, match=r"8,192 x 8,192 Hadamard matrix.*sampling='lime'"):
        _explain(fn, segments=every_pixel, num_samples=20, refits=0)
    assert fn.calls == 0
    exp = _explain(fn, segments=every_pixel, num_samples=20, refits=0, sampling="lime")
    assert exp.masks.shape == (20, 4096)
