"""Drawing the samples of an explanation (lime_widget.engine._adaptive): a fixed number, or rounds of
``num_samples="auto"`` until the top 5 is settled up to ties, every weight is precise to the tie tolerance, or
the estimated top-5 stability reaches the target; never past max_samples, never before the samples outnumber
the superpixels by MIN_SPARE_UNITS resampling units."""

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
from lime_widget.core.sampling import PAIRED_SCHEMES, SCHEMES, design_weights, sample_masks
from lime_widget.core.segmentation import grid
from lime_widget.core.settled import TopKStatus, top_k_status
from lime_widget.core.uncertainty import bootstrap_coefs, weighted_ridge
from lime_widget.engine._adaptive import (
    FIRST_ROUND,
    GROWTH,
    MIN_SPARE_UNITS,
    STABILITY_K,
    SampleRun,
    _rounds,
    draw_samples,
    judge_round,
    weigh,
)
from lime_widget.engine.compose import Composer, fill_image
from lime_widget.engine.config import ExplainConfig

from ..helpers import CELL, GRID, cell_image, cell_segments, cue_image, linear_model, planted_classifier

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


#: a clear top 4 and two practically equal weights at the 5th place (0.035 and 0.03495, the tolerance is 0.01)
SIXTH = 33
TIE_BETA = np.zeros(GRID * GRID)
TIE_BETA[[*TOP5, SIXTH]] = [0.1, 0.085, 0.07, 0.055, 0.035, 0.03495]
FREQS = np.random.default_rng(99).normal(0.0, 40.0, size=GRID * GRID)


def _tie_fn(batch: np.ndarray) -> np.ndarray:
    """linear_model(TIE_BETA) plus a deterministic non-linear part that acts as noise: no number of samples
    orders the 5th and the 6th, the rest of the top 5 is clear after a few rounds."""
    p1 = linear_model(TIE_BETA).fn(batch)[:, 1] + 0.04 * np.sin(_visible(batch) @ FREQS)
    return np.stack([1.0 - p1, p1], axis=1)


def _noisy_fn(batch: np.ndarray) -> np.ndarray:
    """A weak linear signal under a strong deterministic non-linear part: the top 5 settles only slowly."""
    beta = np.zeros(GRID * GRID)
    beta[TOP5] = [0.05, 0.045, 0.04, 0.035, 0.03]
    vis = _visible(batch)
    p1 = 0.3 + vis @ beta + 0.15 * np.sin(vis @ FREQS)
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


def _units(n: int, scheme: str) -> int:
    """Resampling units of n rows: row 0 alone, then rows alone or (mask, complement) pairs."""
    return 1 + n // 2 if scheme in PAIRED_SCHEMES else n


def _first_round_allowed_to_stop(cfg: ExplainConfig, k: int) -> int:
    """The sample count of the first round with at least K + 1 + MIN_SPARE_UNITS resampling units."""
    return next(n for n in _rounds(int(cfg.max_samples)) if _units(n, cfg.sampling) >= k + 1 + MIN_SPARE_UNITS)


def _check_auto_run(run: SampleRun, cfg: ExplainConfig, seed: int, label: int = 1) -> None:
    """What every auto run promises: at most max_samples rows, rounds as _rounds says, and the stopping rule:
    it stops at the first round for which judge_round gives a reason (the rounds before gave none), or at
    max_samples; never at a round with fewer than K + 1 + MIN_SPARE_UNITS resampling units.

    The rounds are judged again here from the run's own samples with a generator of the same seed (the
    stream of max_samples masks is drawn first, then each round's refits), so the reasons are those the run saw.
    """
    n, k = run.masks.shape
    assert 2 <= n <= cfg.max_samples
    assert run.scores.shape[0] == run.distances.shape[0] == run.kernel_weights.shape[0] == n
    assert run.masks[0].all()
    counts = [m for m, _ in run.trace]
    assert counts == _rounds(int(cfg.max_samples))[: len(counts)] and counts[-1] == n
    stabilities = [s for _, s in run.trace]
    assert all(0.0 <= s <= 1.0 for s in stabilities)
    assert run.stop_reason in ("settled", "precise", "stable", "max_samples")
    per_count = count_kernel(cfg.kernel, cfg.kernel_width, k) if cfg.sampling == "stratified" else None
    rng = np.random.default_rng(seed)
    sample_masks(int(cfg.max_samples), k, rng, cfg.sampling, count_weights=per_count)
    judged = []
    for m in counts:
        _, w = weigh(run.masks[:m], cfg, per_count)
        judged.append(judge_round(run.masks[:m], run.scores[:m, label], w, cfg, rng))
    assert [s for s, _ in judged] == stabilities  # the trace is the judged stability of each round
    reasons = [why for _, why in judged]
    assert all(why == "" for why in reasons[:-1]), reasons  # no earlier round had a reason to stop
    if run.stop_reason == "max_samples":
        assert reasons[-1] == "" and n == cfg.max_samples
    else:
        assert reasons[-1] == run.stop_reason
        assert _units(n, cfg.sampling) >= k + 1 + MIN_SPARE_UNITS
        if run.stop_reason == "stable":
            assert stabilities[-1] >= cfg.target_stability
    for m, why in zip(counts, reasons, strict=True):
        if _units(m, cfg.sampling) < k + 1 + MIN_SPARE_UNITS:
            assert why == ""


def _status(run: SampleRun, cfg: ExplainConfig, label: int = 1, seed: int = 7) -> TopKStatus:
    """The top-5 status of the run's samples, from 200 fresh refits."""
    y, w, alpha = run.scores[:, label : label + 1], run.kernel_weights, float(cfg.ridge_alpha)
    fit = weighted_ridge(run.masks.astype(np.float64), y, w, alpha)[0]
    paired = cfg.sampling in PAIRED_SCHEMES
    draws = bootstrap_coefs(run.masks, y, w, alpha, np.random.default_rng(seed), paired=paired)[:, 0]
    return top_k_status(fit, draws, STABILITY_K, cfg.tie_tolerance)


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
def test_a_clear_top5_stops_as_soon_as_allowed_and_scores_each_sample_once(scheme):
    """A linear model with a clear top 5: its top 5 is settled (or every weight precise) at the first round
    with enough resampling units; which of the two depends only on how small the Ridge bias leaves the
    residuals."""
    model = Counting(_linear_fn(_clear_beta()))
    cfg = ExplainConfig(num_samples="auto", max_samples=800, sampling=scheme, target_stability=0.9)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1, batch_size=16)
    _check_auto_run(run, cfg, seed=0)
    assert run.stop_reason in ("settled", "precise")
    assert run.masks.shape[0] == _first_round_allowed_to_stop(cfg, GRID * GRID) < 800
    assert set(_status(run, cfg).top.tolist()) == set(TOP5)
    # forward passes: every round scores only its new rows, so the model saw exactly the samples kept
    assert model.images == run.masks.shape[0] and max(model.batches) <= 16
    np.testing.assert_allclose(run.scores[:, 1], 0.3 + run.masks.astype(float) @ _clear_beta(), atol=1e-12)


def test_a_noisy_model_runs_to_max_samples_and_never_past_it():
    model = Counting(_noisy_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=500, sampling="lime", target_stability=0.95)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(run, cfg, seed=0)
    assert run.stop_reason == "max_samples" and run.masks.shape[0] == 500 and model.images == 500
    assert [n for n, _ in run.trace] == _rounds(500)


@pytest.mark.parametrize("max_samples", [2, 3, 37, FIRST_ROUND, FIRST_ROUND + 1, 251])
def test_auto_never_exceeds_max_samples(max_samples):
    model = Counting(_noisy_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=max_samples, sampling="paired", target_stability=0.99)
    run = draw_samples(_composer(model), cfg, np.random.default_rng(1), lambda p: 1)
    _check_auto_run(run, cfg, seed=1)
    assert model.images == run.masks.shape[0] <= max_samples
    if _units(max_samples, "paired") < GRID * GRID + 1 + MIN_SPARE_UNITS:
        # too few samples for the refits to see the fit's noise: no round may stop, whatever it estimates
        assert run.stop_reason == "max_samples" and run.masks.shape[0] == max_samples


def test_the_stopping_rule_is_the_first_round_that_reaches_the_target():
    """With the same seed the rounds are the same, so a run with a lower target is the prefix of a run with a
    higher one, up to the first round whose estimate reaches the lower target."""
    full_cfg = ExplainConfig(num_samples="auto", max_samples=500, sampling="lime", target_stability=1.0)
    full = draw_samples(_composer(_noisy_fn), full_cfg, np.random.default_rng(3), lambda p: 1)
    _check_auto_run(full, full_cfg, seed=3)
    assert full.stop_reason == "max_samples"  # neither settled nor precise in any round
    values = [s for _, s in full.trace]
    assert len(values) >= 5, "the noisy model should need several rounds"
    target = max(values[: len(values) // 2])  # reached within the first half, not at round one
    first = next(i for i, s in enumerate(values) if s >= target)
    cfg = full_cfg.replace(target_stability=target)
    run = draw_samples(_composer(_noisy_fn), cfg, np.random.default_rng(3), lambda p: 1)
    _check_auto_run(run, cfg, seed=3)
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
    _check_auto_run(auto, cfg, seed=4)
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
    _check_auto_run(stable, cfg, seed=0, label=0)
    _check_auto_run(noisy, cfg, seed=0, label=1)
    assert stable.stop_reason in ("settled", "precise") and stable.masks.shape[0] < 400
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


def _planted_composer(cells: list[int]) -> Composer:
    img, seg = cue_image(cells), cell_segments()
    return Composer(img, seg, fill_image(img, seg, "gray"), planted_classifier(cells))


@pytest.mark.parametrize("scheme", ["lime", "stratified"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_planted_cue_stops_early_where_the_stability_alone_runs_to_max_samples(scheme, seed):
    """Two cue cells, 62 cells without effect of their own: the 3rd to 5th places of the top 5 go to weights near
    0 whose order the samples do not settle (the estimated stability stays near 0.4, below the target 0.9). Up to
    ties the top 5 is settled at once; without the tolerance only the stability could stop the run (the old rule),
    and it runs to max_samples."""
    cells = [9, 18]
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling=scheme, hide="gray")
    run = draw_samples(_planted_composer(cells), cfg, np.random.default_rng(seed), lambda p: 1)
    _check_auto_run(run, cfg, seed=seed)
    assert run.stop_reason in ("settled", "precise") and run.masks.shape[0] <= 160
    assert run.trace[-1][1] < cfg.target_stability  # the stability alone would not have stopped here
    status = _status(run, cfg)
    assert set(status.settled.tolist()) == set(cells) and status.decided
    assert status.text.startswith("top 5: 2 settled, the other 3 a tie among #")
    strict = cfg.replace(tie_tolerance=0.0)
    old = draw_samples(_planted_composer(cells), strict, np.random.default_rng(seed), lambda p: 1)
    _check_auto_run(old, strict, seed=seed)
    assert old.stop_reason == "max_samples" and old.masks.shape[0] == 300
    assert all(s < strict.target_stability for _, s in old.trace)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_practically_equal_weights_at_the_5th_place_stop_as_settled_with_a_tie(seed):
    """The 5th and 6th weights differ by 0.00005 under noise: their order is a coin toss in every round. With the
    default tolerance (a tenth of the largest weight) the top 5 is settled with a tie; with tolerance 0 the same
    run does not stop as settled then: it goes on (or stops on the stability estimate, not on a settled top 5)."""
    cfg = ExplainConfig(num_samples="auto", max_samples=600, sampling="lime")
    run = draw_samples(_composer(_tie_fn), cfg, np.random.default_rng(seed), lambda p: 1)
    _check_auto_run(run, cfg, seed=seed)
    assert run.stop_reason == "settled" and run.masks.shape[0] < 300
    text = _status(run, cfg).text
    assert text in (
        f"top 5: 4 settled, the 5th a tie between #{TOP5[4]} and #{SIXTH}",
        f"top 5: 4 settled, the 5th a tie between #{SIXTH} and #{TOP5[4]}",
    ), text
    strict_cfg = cfg.replace(tie_tolerance=0.0)
    strict = draw_samples(_composer(_tie_fn), strict_cfg, np.random.default_rng(seed), lambda p: 1)
    _check_auto_run(strict, strict_cfg, seed=seed)
    n, n_strict = run.masks.shape[0], strict.masks.shape[0]
    assert n_strict >= n
    assert strict.stop_reason != "settled" or n_strict > n
    assert strict.trace[: len(run.trace)] == run.trace  # the same rounds, judged against a stricter rule


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_larger_tie_tolerance_never_stops_later_and_never_changes_the_samples(scheme):
    """The tolerance enters only the decision: the rounds, their refits and their stability estimates are those
    of the same seed, and every round that stops with tolerance 0 stops with 0.1 too."""
    runs = {
        tol: _draw(_tie_fn, seed=5, num_samples="auto", max_samples=400, sampling=scheme, tie_tolerance=tol)
        for tol in (0.0, 0.1, 0.5)
    }
    for tol, run in runs.items():
        _check_auto_run(run, ExplainConfig(num_samples="auto", max_samples=400, sampling=scheme, tie_tolerance=tol), 5)
    sizes = [runs[t].masks.shape[0] for t in (0.0, 0.1, 0.5)]
    assert sizes == sorted(sizes, reverse=True)
    longest = runs[0.0]
    for run in runs.values():
        n = run.masks.shape[0]
        assert run.trace == longest.trace[: len(run.trace)]
        np.testing.assert_array_equal(run.masks, longest.masks[:n])


# --- judge_round: the stopping rule of one round ----------------------------------------------------------


def _round(fn: Callable[[np.ndarray], np.ndarray], n: int, k: int = 20, seed: int = 0, **cfg):
    """masks (n, k) of the configured design, one class's target and the weights, for judge_round."""
    config = ExplainConfig(num_samples="auto", **cfg)
    masks = sample_masks(n, k, np.random.default_rng(seed), config.sampling)
    _, w = weigh(masks, config, None)
    return masks, fn(masks.astype(np.float64)), w, config


def _linear_target(beta: np.ndarray, noise: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    freqs = np.random.default_rng(99).normal(0.0, 40.0, size=beta.size)
    return lambda x: 0.3 + x @ beta + noise * np.sin(x @ freqs)


@pytest.mark.parametrize("scheme", ["lime", "paired"])
def test_no_round_stops_with_fewer_than_k_plus_1_plus_min_spare_units(scheme):
    """An exactly linear target with ridge_alpha=0: the fit has no residual, so every refit is the fit and every
    weight is precise, and yet a round with one unit too few must go on."""
    k = 20
    beta = np.linspace(0.1, -0.1, k)
    need = k + 1 + MIN_SPARE_UNITS
    rows = {"lime": need, "paired": 2 * (need - 1)}[scheme]  # paired: row 0 and rows // 2 pairs (or a last row)
    short = rows - 1 if scheme == "lime" else rows - 2  # the largest round with one unit too few
    assert _units(rows, scheme) == need and _units(short, scheme) == need - 1
    for n, expected in ((short, ""), (rows, "precise")):
        masks, y, w, cfg = _round(_linear_target(beta), n, k, sampling=scheme, ridge_alpha=0.0)
        stability, why = judge_round(masks, y, w, cfg, np.random.default_rng(1))
        assert why == expected, (n, why)
        assert 0.0 <= stability <= 1.0  # the stability is estimated even when the round may not stop


def test_judge_round_reasons_in_their_order():
    """precise before settled before stable, each for what it says."""
    k = 20
    beta = np.zeros(k)
    beta[:6] = [0.2, 0.17, 0.14, 0.11, 0.07, 0.0699]  # the 5th and 6th practically equal
    # no noise and no penalty: every weight exact, and so precise (though also settled)
    masks, y, w, cfg = _round(_linear_target(beta), 200, k, ridge_alpha=0.0)
    assert judge_round(masks, y, w, cfg, np.random.default_rng(0))[1] == "precise"
    # noise: the weights are no longer precise to 0.02; the top 4 is clear and the 5th a tie
    masks, y, w, cfg = _round(_linear_target(beta, noise=0.15), 200, k, target_stability=1.0)
    stability, why = judge_round(masks, y, w, cfg, np.random.default_rng(0))
    assert why == "settled" and stability < 1.0
    # without a tolerance the tie is undecided: only a reachable stability target stops the round
    strict = cfg.replace(tie_tolerance=0.0)
    assert judge_round(masks, y, w, strict, np.random.default_rng(0)) == (stability, "")
    assert judge_round(masks, y, w, strict.replace(target_stability=stability), np.random.default_rng(0)) == (
        stability,
        "stable",
    )


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
    _check_auto_run(auto, cfg, seed=0)
    assert auto.masks.shape[1] == k and model.images == auto.masks.shape[0]
    assert np.isfinite(auto.kernel_weights).all() and (auto.kernel_weights >= 0).all()


def test_a_constant_model_gives_a_valid_run_within_the_bounds():
    model = Counting(_const_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling="balanced")
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(run, cfg, seed=0)
    assert model.images == run.masks.shape[0]
    np.testing.assert_array_equal(run.scores, np.tile([0.3, 0.7], (run.masks.shape[0], 1)))


def test_a_constant_model_is_precise_at_the_first_round():
    """Every weight of a constant model is 0 and so is every refit: every interval is 0 wide (precise), and the
    top 5 of positive weights is empty in every refit (stability 1)."""
    model = Counting(_const_fn)
    cfg = ExplainConfig(num_samples="auto", max_samples=300, sampling="lime")
    run = draw_samples(_composer(model), cfg, np.random.default_rng(0), lambda p: 1)
    _check_auto_run(run, cfg, seed=0)
    assert run.stop_reason == "precise" and run.trace == [(FIRST_ROUND, 1.0)]
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
