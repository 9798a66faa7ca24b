"""Drawing the samples of an explanation (lime_widget.engine._adaptive): a fixed number, or rounds of
``num_samples="auto"`` until the estimated top-k stability reaches the target, never past max_samples."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lime_widget as lw
from lime_widget.core.kernels import count_kernel, sample_weights
from lime_widget.core.sampling import SCHEMES, design_weights, sample_masks
from lime_widget.core.segmentation import grid
from lime_widget.engine._adaptive import FIRST_ROUND, GROWTH, SampleRun, _rounds, draw_samples
from lime_widget.engine.compose import Composer, fill_image
from lime_widget.engine.config import ExplainConfig

from ..helpers import CELL, GRID, cell_image, cell_segments, linear_model

CENTRES = np.arange(GRID) * CELL + CELL // 2
#: five clearly ranked positive cells: a linear model on them has an unambiguous top 5
TOP5 = [3, 20, 41, 50, 60]


def _visible(batch: np.ndarray) -> np.ndarray:
    """float (n, 64): 1 where a cell's centre pixel is not black (the images are hidden with black)."""
    return (batch[:, CENTRES[:, None], CENTRES[None, :], :].reshape(len(batch), -1, 3).max(axis=2) > 0).astype(float)


def _clear_beta() -> np.ndarray:
    beta = np.zeros(GRID * GRID)
    beta[TOP5] = [0.1, 0.09, 0.08, 0.07, 0.06]
    return beta


def _noisy_fn(batch: np.ndarray) -> np.ndarray:
    """A weak linear signal under a strong deterministic non-linear part: the top 5 settles only slowly."""
    beta = np.zeros(GRID * GRID)
    beta[TOP5] = [0.05, 0.045, 0.04, 0.035, 0.03]
    freqs = np.random.default_rng(99).normal(0.0, 40.0, size=GRID * GRID)
    vis = _visible(batch)
    p1 = 0.3 + vis @ beta + 0.15 * np.sin(vis @ freqs)
    return np.stack([1.0 - p1, p1], axis=1)


class Counting:
    """A callable model that records the size of every batch it is given (its forward passes)."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn
        self.batches: list[int] = []

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.batches.append(len(batch))
        return self.fn(batch)

    @property
    def images(self) -> int:
        return sum(self.batches)


def _composer(fn: Callable[[np.ndarray], np.ndarray], segments: np.ndarray | None = None) -> Composer:
    img = cell_image()
    seg = cell_segments() if segments is None else segments
    return Composer(img, seg, fill_image(img, seg, "black"), lw.FunctionClassifier(fn))


def _draw(fn, seed: int = 0, segments: np.ndarray | None = None, batch_size: int | None = None, **cfg) -> SampleRun:
    return draw_samples(
        _composer(fn, segments), ExplainConfig(**cfg), np.random.default_rng(seed), lambda p: 1, batch_size=batch_size
    )


def _linear_fn(beta: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return linear_model(beta).fn


def _const_fn(batch: np.ndarray) -> np.ndarray:
    return np.tile([0.3, 0.7], (len(batch), 1))


def _check_auto_run(run: SampleRun, cfg: ExplainConfig) -> None:
    """What every auto run promises: at most max_samples rows, rounds as _rounds says, the stopping rule."""
    n = run.masks.shape[0]
    assert 2 <= n <= cfg.max_samples
    assert run.scores.shape[0] == run.distances.shape[0] == run.kernel_weights.shape[0] == n
    assert run.masks[0].all()
    counts = [m for m, _ in run.trace]
    assert counts == _rounds(int(cfg.max_samples))[: len(counts)] and counts[-1] == n
    stabilities = [s for _, s in run.trace]
    assert all(0.0 <= s <= 1.0 for s in stabilities)
    # it stops at the first round whose estimate reaches the target, or when max_samples is drawn
    assert all(s < cfg.target_stability for s in stabilities[:-1])
    if run.stop_reason == "stable":
        assert stabilities[-1] >= cfg.target_stability
    else:
        assert run.stop_reason == "max_samples"
        assert stabilities[-1] < cfg.target_stability and n == cfg.max_samples


# --- a fixed number of samples -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fixed_n_draws_exactly_n_rows_of_the_configured_design(scheme):
    model = Counting(_linear_fn(_clear_beta()))
    cfg = ExplainConfig(num_samples=77, sampling=scheme, kernel="lime")
    run = draw_samples(_composer(model), cfg, np.random.default_rng(5), lambda p: 1)
    assert run.stop_reason == "fixed" and run.trace == []
    assert run.masks.shape == (77, GRID * GRID) and run.masks.dtype == bool and run.masks[0].all()
    per_count = count_kernel("lime", None, GRID * GRID) if scheme == "stratified" else None
    expected = sample_masks(77, GRID * GRID, np.random.default_rng(5), scheme, count_weights=per_count)
    np.testing.assert_array_equal(run.masks, expected)
    # the model scored each of the n masks once, and the scores are the model's probabilities of them
    assert model.images == 77
    assert run.scores.shape == (77, 2) and run.scores.dtype == np.float64
    vis = run.masks.astype(float)
    np.testing.assert_allclose(run.scores[:, 1], 0.3 + vis @ _clear_beta(), atol=1e-12)
    distances, kernel = sample_weights(run.masks, "lime")
    np.testing.assert_allclose(run.distances, distances)
    np.testing.assert_allclose(run.kernel_weights, kernel * design_weights(run.masks, scheme, per_count))


def test_fixed_n_never_asks_for_the_stability_class():
    def refuse(probs: np.ndarray) -> int:
        raise AssertionError("a fixed run has no stopping rule")

    run = draw_samples(_composer(_const_fn), ExplainConfig(num_samples=20), np.random.default_rng(0), refuse)
    assert run.masks.shape[0] == 20


def test_batches_are_at_most_batch_size_and_the_scores_do_not_depend_on_them():
    model = Counting(_linear_fn(_clear_beta()))
    small = _draw(model, num_samples=50, batch_size=7)
    assert max(model.batches) <= 7 and model.images == 50
    whole = _draw(_linear_fn(_clear_beta()), num_samples=50, batch_size=50)
    np.testing.assert_array_equal(small.masks, whole.masks)
    np.testing.assert_array_equal(small.scores, whole.scores)


# --- num_samples="auto" -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_clear_top5_stops_as_stable_and_scores_each_sample_once(scheme):
    model = Counting(_linear_fn(_clear_beta()))
    cfg = ExplainConfig(num_samples="auto", max_samples=800, sampling=scheme, target_stability=0.9)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1, batch_size=16)
    _check_auto_run(run, cfg)
    assert run.stop_reason == "stable" and run.masks.shape[0] < 800
    # forward passes: every round scores only its new rows, so the model saw exactly the samples kept
    assert model.images == run.masks.shape[0] and max(model.batches) <= 16
    np.testing.assert_allclose(run.scores[:, 1], 0.3 + run.masks.astype(float) @ _clear_beta(), atol=1e-12)


def test_a_noisy_model_runs_to_max_samples_and_never_past_it():
    model = Counting(_noisy_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=500, sampling="lime", target_stability=0.95)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(run, cfg)
    assert run.stop_reason == "max_samples" and run.masks.shape[0] == 500 and model.images == 500
    assert [n for n, _ in run.trace] == _rounds(500)


@pytest.mark.parametrize("max_samples", [2, 3, 37, FIRST_ROUND, FIRST_ROUND + 1, 251])
def test_auto_never_exceeds_max_samples(max_samples):
    model = Counting(_noisy_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=max_samples, sampling="paired", target_stability=0.99)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(1), lambda p: 1)
    _check_auto_run(run, cfg)
    assert model.images == run.masks.shape[0] <= max_samples


def test_the_stopping_rule_is_the_first_round_that_reaches_the_target():
    """With the same seed the rounds are the same, so a run with a lower target is the prefix of a run with a
    higher one, up to the first round whose estimate reaches the lower target."""
    full_cfg = ExplainConfig(num_samples="auto", max_samples=500, sampling="lime", target_stability=1.0)
    full = draw_samples(_composer(_noisy_fn), full_cfg, np.random.default_rng(3), lambda p: 1)
    _check_auto_run(full, full_cfg)
    values = [s for _, s in full.trace]
    assert len(values) >= 5, "the noisy model should need several rounds"
    target = max(values[: len(values) // 2])  # reached within the first half, not at round one
    first = next(i for i, s in enumerate(values) if s >= target)
    cfg = full_cfg.replace(target_stability=target)
    run = draw_samples(_composer(_noisy_fn), cfg, np.random.default_rng(3), lambda p: 1)
    _check_auto_run(run, cfg)
    assert run.stop_reason == "stable"
    assert run.trace == full.trace[: first + 1]
    n = run.trace[-1][0]
    np.testing.assert_array_equal(run.masks, full.masks[:n])
    np.testing.assert_array_equal(run.scores, full.scores[:n])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_auto_samples_are_a_prefix_of_the_fixed_run_of_max_samples(scheme):
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling=scheme)
    auto = draw_samples(_composer(_linear_fn(_clear_beta())), cfg, np.random.default_rng(4), lambda p: 1)
    fixed = _draw(_linear_fn(_clear_beta()), seed=4, num_samples=300, sampling=scheme)
    _check_auto_run(auto, cfg)
    n = auto.masks.shape[0]
    np.testing.assert_array_equal(auto.masks, fixed.masks[:n])
    np.testing.assert_array_equal(auto.scores, fixed.scores[:n])
    # the weights are those of the samples kept (the stratified design's factors renormalised over them)
    np.testing.assert_allclose(auto.distances, fixed.distances[:n])
    per_count = count_kernel("uniform", None, GRID * GRID) if scheme == "stratified" else None
    np.testing.assert_allclose(
        auto.kernel_weights, sample_weights(auto.masks, "uniform")[1] * design_weights(auto.masks, scheme, per_count)
    )


@pytest.mark.parametrize("scheme", ["lime", "balanced"])
def test_auto_rounds_repeat_for_a_seed_and_differ_across_seeds(scheme):
    kw = dict(num_samples="auto", max_samples=250, sampling=scheme, target_stability=0.99)
    a, b, c = _draw(_noisy_fn, seed=11, **kw), _draw(_noisy_fn, seed=11, **kw), _draw(_noisy_fn, seed=12, **kw)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert a.trace == b.trace and a.stop_reason == b.stop_reason
    assert not np.array_equal(a.masks[: c.masks.shape[0]], c.masks[: a.masks.shape[0]])
    assert a.trace != c.trace


def test_the_stability_class_is_chosen_from_the_original_and_decides_the_stop():
    """Class 0 has a clear top 5, class 1 is noise: the class the callback picks decides how long it runs."""
    clear = _clear_beta() * 0.5

    def three_classes(batch: np.ndarray) -> np.ndarray:
        p0 = 0.2 + _visible(batch) @ clear
        p1 = 0.1 + 0.1 * (_noisy_fn(batch)[:, 1] - 0.3)
        return np.stack([p0, p1, 1.0 - p0 - p1], axis=1)

    seen: list[np.ndarray] = []

    def pick(cls: int) -> Callable[[np.ndarray], int]:
        def choose(probs: np.ndarray) -> int:
            seen.append(probs.copy())
            return cls

        return choose

    cfg = ExplainConfig(num_samples="auto", max_samples=400, sampling="lime")
    stable = draw_samples(_composer(three_classes), cfg, np.random.default_rng(0), pick(0))
    noisy = draw_samples(_composer(three_classes), cfg, np.random.default_rng(0), pick(1))
    assert stable.stop_reason == "stable" and stable.masks.shape[0] < 400
    assert noisy.stop_reason == "max_samples" and noisy.masks.shape[0] == 400
    # the callback got the original's probabilities (C,): row 0 of the scores
    assert len(seen) >= 2 and all(p.shape == (3,) for p in seen)
    np.testing.assert_array_equal(seen[0], stable.scores[0])
    np.testing.assert_array_equal(seen[-1], noisy.scores[0])


def test_progress_bar_changes_nothing():
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling="lime", target_stability=0.99)
    quiet = draw_samples(_composer(_noisy_fn), cfg, np.random.default_rng(2), lambda p: 1)
    shown = draw_samples(_composer(_noisy_fn), cfg, np.random.default_rng(2), lambda p: 1, progress=True)
    np.testing.assert_array_equal(quiet.masks, shown.masks)
    assert quiet.trace == shown.trace


# --- edge cases ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 2)], ids=["K=1", "K=2", "K=4"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_tiny_k_fixed_and_auto(shape, scheme):
    """Fewer superpixels than the top 5 of the stopping rule: still valid runs within the bounds."""
    seg = grid(GRID * CELL, GRID * CELL, shape=shape)
    k = shape[0] * shape[1]

    def brightness(batch: np.ndarray) -> np.ndarray:
        p = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1.0 - p, p], axis=1)

    fixed = _draw(brightness, segments=seg, num_samples=9, sampling=scheme)
    assert fixed.masks.shape == (9, k) and fixed.masks[0].all() and fixed.stop_reason == "fixed"
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling=scheme)
    model = Counting(brightness)
    auto = draw_samples(_composer(model, seg), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(auto, cfg)
    assert auto.masks.shape[1] == k and model.images == auto.masks.shape[0]
    assert np.isfinite(auto.kernel_weights).all() and (auto.kernel_weights >= 0).all()


def test_a_constant_model_gives_a_valid_run_within_the_bounds():
    model = Counting(_const_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling="balanced")
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(run, cfg)
    assert model.images == run.masks.shape[0]
    np.testing.assert_array_equal(run.scores, np.tile([0.3, 0.7], (run.masks.shape[0], 1)))


def test_a_constant_model_is_stable_at_the_first_round():
    """Every weight of a constant model is 0: the top 5 of positive weights is empty in every run."""
    model = Counting(_const_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling="lime")
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    assert run.stop_reason == "stable" and run.trace == [(FIRST_ROUND, 1.0)]
    assert model.images == FIRST_ROUND


# --- the rounds ---------------------------------------------------------------------------------------------


@given(st.integers(min_value=2, max_value=200_000))
def test_rounds_grow_by_about_a_quarter_up_to_exactly_max_samples(n_max):
    rounds = _rounds(n_max)
    assert rounds[0] == min(n_max, FIRST_ROUND) and rounds[-1] == n_max
    assert all(b > a for a, b in itertools.pairwise(rounds))
    for prev, nxt in itertools.pairwise(rounds[:-1]):  # the last round is cut at n_max
        assert nxt % 2 == 0 and nxt >= prev + 2
        assert nxt <= prev * GROWTH + 2
    # geometric growth: the number of rounds is logarithmic in n_max
    assert len(rounds) <= 2 + math.log(max(n_max, FIRST_ROUND) / FIRST_ROUND) / math.log(GROWTH) + 1


def test_rounds_at_the_edges():
    assert _rounds(2) == [2] and _rounds(FIRST_ROUND - 1) == [FIRST_ROUND - 1]
    assert _rounds(FIRST_ROUND) == [FIRST_ROUND] and _rounds(FIRST_ROUND + 1) == [FIRST_ROUND, FIRST_ROUND + 1]
