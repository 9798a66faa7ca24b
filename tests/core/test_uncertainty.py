"""Uncertainty from wild-bootstrap refits (lime_widget.core.uncertainty): refits centred on the fit, standard
errors that match the analytic ones, shrink and cover, the leverage correction, paired units, top-k confidence,
stability, and the adaptive ("auto") sampling that stops when the top 5 is settled."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core.kernels import sample_weights
from lime_widget.core.rankings import top_k_sets
from lime_widget.core.sampling import sample_masks
from lime_widget.core.surrogate import fit_surrogate
from lime_widget.core.uncertainty import bootstrap_coefs, expected_jaccard, weighted_ridge

from ..helpers import CELL, GRID, cell_image, cell_segments, cue_image, planted_classifier

CENTRES = np.arange(GRID) * CELL + CELL // 2


def noisy_linear(beta: np.ndarray, noise: float, base: float = 0.3) -> lw.FunctionClassifier:
    """p1 = base + beta . visible + noise * sin(random high-order function of the mask): a deterministic
    model (same mask, same score) whose non-linear part acts as noise for the linear surrogate."""
    freqs = np.random.default_rng(99).normal(0.0, 40.0, size=GRID * GRID)

    def fn(batch: np.ndarray) -> np.ndarray:
        vis = (batch[:, CENTRES[:, None], CENTRES[None, :], :].reshape(len(batch), -1, 3).max(axis=2) > 0).astype(float)
        p1 = base + vis @ beta + noise * np.sin(vis @ freqs)
        return np.stack([1.0 - p1, p1], axis=1)

    return lw.FunctionClassifier(fn, class_names=["no", "yes"])


def image_noise(batch: np.ndarray) -> np.ndarray:
    """A score unrelated to what the image shows: a checksum of its bytes (deterministic per image)."""
    h = np.array([zlib.crc32(b.tobytes()) % 10_000 for b in batch]) / 10_000.0
    p = 0.4 + 0.2 * h
    return np.stack([1 - p, p], axis=1)


def _explain(clf, n, seed=0, **kw):
    kw.setdefault("sampling", "lime")
    return lw.explain(
        cell_image(),
        clf,
        segments=cell_segments(),
        hide="black",
        num_samples=n,
        classes=[1],
        random_state=seed,
        progress=False,
        **kw,
    )


def test_closed_form_refit_is_the_surrogate_fit():
    rng = np.random.default_rng(0)
    z = rng.random((300, 12)) < 0.5
    y = rng.normal(size=(300, 2))
    w = rng.random(300) + 0.2
    for alpha in (1.0, 0.0):
        np.testing.assert_allclose(
            weighted_ridge(z.astype(float), y, w, alpha), fit_surrogate(z, y, w, alpha=alpha).coef, atol=1e-10
        )


def test_weight_std_shrinks_with_samples_and_covers_the_truth():
    beta = np.random.default_rng(1).normal(0.0, 0.01, size=GRID * GRID)
    clf = noisy_linear(beta, noise=0.03)
    small, large = _explain(clf, 250), _explain(clf, 1000)
    assert large.weight_std(1).mean() < 0.7 * small.weight_std(1).mean()  # about 1/sqrt(4) = 0.5
    # 90% intervals (estimate +- 1.645 std) cover the true weights about 90% of the time, across seeds
    covered = []
    for seed in range(4):
        exp = _explain(clf, 600, seed=seed, kernel="uniform", ridge_alpha=0.0)
        covered.append(np.abs(exp.weights(1) - beta) <= 1.645 * exp.weight_std(1))
    rate = float(np.mean(covered))
    assert 0.8 <= rate <= 0.98, rate
    low, high = exp.weight_interval(1, level=0.9)
    assert np.all(low <= exp.weights(1) + 1e-12) and np.all(exp.weights(1) <= high + 1e-12)


def test_top_k_confidence_is_near_one_for_a_planted_cue(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=300, hide="gray", classes=[1], progress=False)
    conf = exp.top_k_confidence(1, k=2)
    assert conf.shape == (64,)
    assert conf[cells].min() > 0.95 and np.delete(conf, cells).max() < 0.05
    assert exp.stability(1, k=2) > 0.95


def test_top_k_confidence_is_spread_for_a_model_that_ignores_the_image():
    exp = _explain(lw.FunctionClassifier(image_noise), 300)
    conf = exp.top_k_confidence(1, k=5)
    assert conf.max() < 0.8 and (conf > 0.02).sum() > 15
    assert exp.stability(1) < 0.4


def test_stability_estimate_tracks_the_jaccard_between_seeds():
    beta = np.random.default_rng(1).normal(0.0, 0.01, size=GRID * GRID)
    clf = noisy_linear(beta, noise=0.03)
    exps = [_explain(clf, 400, seed=s) for s in range(6)]
    tops = [set(e.top_segments(1, k=5).tolist()) for e in exps]
    measured = np.mean([len(a & b) / len(a | b) for i, a in enumerate(tops) for b in tops[i + 1 :]])
    estimated = np.mean([e.stability(1) for e in exps])
    assert abs(estimated - measured) < 0.2, (estimated, measured)


def test_paired_refits_of_a_tiny_design_are_finite():
    rng = np.random.default_rng(0)
    masks = np.ones((5, 3), dtype=bool)
    masks[1:] = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]
    y = np.arange(5, dtype=float)[:, None]
    draws = bootstrap_coefs(masks, y, np.ones(5), 1.0, rng, draws=30, paired=True)
    assert draws.shape == (30, 1, 3) and np.isfinite(draws).all()


def test_expected_jaccard_and_top_k_sets():
    coefs = np.array([[3.0, 2.0, 1.0, -1.0], [3.0, 1.0, 2.0, -1.0], [3.0, 2.0, 1.0, -1.0]])
    member = top_k_sets(coefs, 2)
    np.testing.assert_array_equal(member.sum(axis=1), 2)
    # pairs: (0,1) 1/3, (0,2) 1, (1,2) 1/3
    assert expected_jaccard(member) == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)
    assert not top_k_sets(np.array([[-1.0, -2.0]]), 1).any()  # only positive weights count


def test_auto_stops_early_when_easy_and_runs_to_max_when_noisy():
    cells = [3, 12, 30, 45, 60]  # five cue cells: the top 5 is clear-cut
    easy = lw.explain(
        cue_image(cells),
        planted_classifier(cells),
        segments=cell_segments(),
        hide="gray",
        classes=[1],
        num_samples="auto",
        max_samples=1500,
        progress=False,
    )
    # the five cue cells are in the top 5 of (nearly) every refit: settled (every weight precise to a tenth of the
    # largest is not to be expected of a saturating logit this early)
    assert easy.stop_reason == "settled" and easy.n_samples < 500
    assert easy.sampling_trace[-1][1] >= 0.9 and easy.sampling_trace[-1][0] == easy.n_samples
    assert set(easy.top_segments(1, k=5).tolist()) == set(cells)
    assert easy.top_k_status(1).text == "top 5 settled"

    noisy = _explain(lw.FunctionClassifier(image_noise), "auto", max_samples=400)
    assert noisy.stop_reason == "max_samples" and noisy.n_samples == 400
    assert [n for n, _ in noisy.sampling_trace] == sorted({n for n, _ in noisy.sampling_trace})
    # an auto run's samples are a prefix of the fixed run with the same seed
    fixed = _explain(lw.FunctionClassifier(image_noise), 400)
    np.testing.assert_array_equal(noisy.masks, fixed.masks)


def test_refits_zero_means_no_uncertainty(planted):
    img, clf, _ = planted
    exp = lw.explain(img, clf, segments=cell_segments(), hide="gray", num_samples=50, refits=0, progress=False)
    assert exp.coef_draws is None
    with pytest.raises(RuntimeError, match="refits=0"):
        exp.weight_std()


def test_top_k_sets_never_count_a_nan_weight():
    member = top_k_sets(np.array([[np.nan, 0.5, 0.2, 0.2], [0.1, np.nan, np.nan, -1.0]]), 2)
    np.testing.assert_array_equal(member, [[False, True, True, False], [True, False, False, False]])


# --- the wild bootstrap ---------------------------------------------------------------------------------------


def _iid_linear(n: int, k: int, seed: int, sigma: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An i.i.d. design, bool (n, k) with P(on) = 0.5, a linear target with independent normal noise of sd
    sigma, float (n, 1), and its coefficients (k,)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, k)) < 0.5
    beta = rng.normal(0.0, 0.2, size=k)
    return x, (x @ beta + rng.normal(0.0, sigma, size=n))[:, None], beta


def _ols_se(x: np.ndarray, sigma: float) -> np.ndarray:
    """The analytic standard errors (k,) of the OLS slopes (intercept fitted) of a design x (n, k)."""
    xc = x - x.mean(axis=0)
    return sigma * np.sqrt(np.diag(np.linalg.inv(xc.T @ xc)))


@pytest.mark.parametrize("paired", [False, True])
def test_the_refits_are_centred_on_the_fit(paired):
    rng = np.random.default_rng(0)
    masks = sample_masks(301, 20, rng, "paired" if paired else "lime")
    w = sample_weights(masks, "lime")[1]
    beta = rng.normal(0.0, 0.1, size=20)
    y = np.stack([masks @ beta + 0.05 * np.sin(masks @ rng.normal(0, 9, 20)), rng.random(301)], axis=1)
    draws = bootstrap_coefs(masks, y, w, 1.0, np.random.default_rng(1), draws=4000, paired=paired)
    assert draws.shape == (4000, 2, 20) and draws.dtype == np.float64
    fit = weighted_ridge(masks.astype(float), y, w, 1.0)
    # the mean of the refits is the fit, within Monte Carlo error (4 standard errors of the mean)
    sem = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - fit) <= 4 * sem + 1e-12)
    assert np.all(draws.std(axis=0) > 0)


@pytest.mark.parametrize("paired", [False, True])
def test_a_constant_target_gives_exactly_zero_refits(paired):
    """A model whose score never changes has no weight and no spread: exact zeros, so no superpixel is ever in
    a refit's top k and the stability is 1 (two runs agree: no top 5), not the agreement of rounding noise."""
    rng = np.random.default_rng(0)
    masks = sample_masks(200, 30, rng, "paired" if paired else "lime")
    w = sample_weights(masks, "lime")[1]
    y = np.full((200, 2), [0.3, 0.7])
    draws = bootstrap_coefs(masks, y, w, 1.0, rng, draws=50, paired=paired)
    assert draws.shape == (50, 2, 30)
    np.testing.assert_array_equal(draws, 0.0)
    assert not top_k_sets(draws[:, 1], 5).any() and expected_jaccard(top_k_sets(draws[:, 1], 5)) == 1.0


def test_the_standard_error_of_an_iid_design_is_the_analytic_ols_one():
    """n = 400 samples of K = 10 superpixels, a linear model plus independent noise: the refits' spread is the
    textbook OLS standard error sigma * sqrt(diag((X'X)^-1)), weight by weight, within 15%."""
    for seed in range(2):
        x, y, _ = _iid_linear(400, 10, seed)
        draws = bootstrap_coefs(x, y, np.ones(400), 0.0, np.random.default_rng(seed + 10), draws=2000)[:, 0]
        ratio = draws.std(axis=0) / _ols_se(x, 0.1)
        assert np.all((ratio > 0.85) & (ratio < 1.15)), ratio


def test_the_leverage_correction_widens_the_spread_when_superpixels_are_many_per_sample():
    """K / n = 30 / 60: raw residuals are shrunk by the fit (by sqrt(1 - leverage), about 0.7 here), so a plain
    wild bootstrap under-states the standard error; the corrected one matches the analytic value."""
    ours, plain = [], []
    for seed in range(4):
        x, y, _ = _iid_linear(60, 30, seed)
        w = np.ones(60)
        se = _ols_se(x, 0.1)
        draws = bootstrap_coefs(x, y, w, 0.0, np.random.default_rng(seed + 10), draws=2000)[:, 0]
        # the plain wild bootstrap, without the correction: refit the raw residuals times random signs
        fit = weighted_ridge(x.astype(float), y, w, 0.0)[0]
        resid = y[:, 0] - (y[:, 0].mean() - x.mean(axis=0) @ fit) - x @ fit
        signs = np.random.default_rng(seed + 20).choice([-1.0, 1.0], size=(2000, 60))
        raw = weighted_ridge(x.astype(float), (signs * resid).T, w, 0.0)  # (2000, 30): one refit per column
        ours.append(draws.std(axis=0) / se)
        plain.append(raw.std(axis=0) / se)
    ours_mean, plain_mean = float(np.mean(ours)), float(np.mean(plain))
    assert ours_mean > 1.3 * plain_mean, (ours_mean, plain_mean)
    assert 0.85 < ours_mean < 1.15 and plain_mean < 0.8, (ours_mean, plain_mean)


def _pairs_with_noise(odd: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A paired design (row 0 the original, weight 0; rows 2i+1 and 2i+2 a mask and its complement), a linear
    target plus noise that is the same on both rows of a pair (even) or opposite (odd), and uniform weights."""
    rng = np.random.default_rng(3)
    half = rng.random((150, 12)) < 0.5
    masks = np.ones((301, 12), dtype=bool)
    masks[1::2], masks[2::2] = half, ~half
    noise = rng.normal(0.0, 0.1, size=150)
    e = np.zeros(301)
    e[1::2], e[2::2] = noise, -noise if odd else noise
    y = (masks @ rng.normal(0.0, 0.2, size=12) + e)[:, None]
    w = np.ones(301)
    w[0] = 0.0  # the original out of the fit: the complement of each column is then exactly its mirror
    return masks, y, w


def test_both_rows_of_a_pair_get_the_same_sign():
    """A mask and its complement pull the slopes in opposite directions, so residuals that are equal on both
    rows cancel when the pair's sign is shared (no spread), and residuals of opposite signs add up (twice the
    variance of independent signs)."""
    masks, y, w = _pairs_with_noise(odd=False)
    together = bootstrap_coefs(masks, y, w, 0.0, np.random.default_rng(0), draws=500, paired=True)[:, 0]
    apart = bootstrap_coefs(masks, y, w, 0.0, np.random.default_rng(0), draws=500, paired=False)[:, 0]
    assert apart.std(axis=0).min() > 1e-3
    assert together.std(axis=0).max() < 1e-9 * apart.std(axis=0).min()
    masks, y, w = _pairs_with_noise(odd=True)
    together = bootstrap_coefs(masks, y, w, 0.0, np.random.default_rng(0), draws=2000, paired=True)[:, 0]
    apart = bootstrap_coefs(masks, y, w, 0.0, np.random.default_rng(0), draws=2000, paired=False)[:, 0]
    assert np.mean(together.std(axis=0)) > 1.3 * np.mean(apart.std(axis=0))
