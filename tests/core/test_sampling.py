"""Sampling designs."""

from __future__ import annotations

import numpy as np
import pytest

from lime_widget.core.sampling import sample_masks


def test_sampling_row_zero_and_determinism():
    z1 = sample_masks(500, 40, np.random.default_rng(3))
    z2 = sample_masks(500, 40, np.random.default_rng(3))
    z3 = sample_masks(500, 40, np.random.default_rng(4))
    assert z1.dtype == bool and z1.shape == (500, 40)
    assert z1[0].all()
    np.testing.assert_array_equal(z1, z2)
    assert not np.array_equal(z1, z3)
    assert abs(z1[1:].mean() - 0.5) < 0.02


def test_matlab_sampling_keeps_between_20_and_100_percent():
    z = sample_masks(4000, 75, np.random.default_rng(0), "matlab")
    kept = z[1:].mean(axis=1)
    assert kept.min() > 0.05 and kept.mean() == pytest.approx(0.6, abs=0.03)


def test_sampling_errors():
    with pytest.raises(ValueError, match="num_samples"):
        sample_masks(1, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="scheme"):
        sample_masks(5, 5, np.random.default_rng(0), "other")


SCHEMES = ("lime", "matlab", "paired", "balanced", "stratified")


def _draw(scheme, n, k, seed):
    from lime_widget.core.kernels import count_kernel

    return sample_masks(n, k, np.random.default_rng(seed), scheme, count_weights=count_kernel("lime", None, k))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_design_repeats_for_a_seed_differs_across_seeds_and_starts_with_the_original(scheme):
    a, b, c = _draw(scheme, 300, 37, 5), _draw(scheme, 300, 37, 5), _draw(scheme, 300, 37, 6)
    assert a.shape == (300, 37) and a.dtype == bool and a[0].all()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("scheme", ["paired", "balanced", "stratified"])
def test_new_designs_are_streams(scheme):
    """The first n rows of a longer design are the design of n rows (what adaptive rounds rely on)."""
    np.testing.assert_array_equal(_draw(scheme, 1000, 30, 2)[:237], _draw(scheme, 237, 30, 2))


@pytest.mark.parametrize("scheme", ["paired", "balanced"])
def test_paired_designs_follow_each_mask_with_its_complement(scheme):
    z = _draw(scheme, 401, 23, 0)
    np.testing.assert_array_equal(z[2::2], ~z[1::2])


def test_balanced_design_blocks_are_orthogonal_arrays():
    k = 23  # m = 32: blocks of 64 rows after row 0
    z = _draw("balanced", 1 + 3 * 64, k, 1)[1:].astype(int)
    for block in z.reshape(3, 64, k):
        np.testing.assert_array_equal(block.sum(axis=0), 32)  # every superpixel on in exactly half
        together = block.T @ block  # every two superpixels on together in exactly a quarter
        off = ~np.eye(k, dtype=bool)
        np.testing.assert_array_equal(together[off], 16)
    # different blocks are randomised differently
    assert not np.array_equal(z[:64], z[64:128])


def test_stratified_design_matches_the_kernel_weighted_count_distribution_in_every_prefix():
    from scipy.stats import binom

    from lime_widget.core.kernels import count_kernel
    from lime_widget.core.sampling import design_weights

    k = 40
    w = count_kernel("matlab", None, k)  # strongly favours near-original masks
    z = sample_masks(2001, k, np.random.default_rng(0), "stratified", count_weights=w)
    q = binom.pmf(np.arange(k + 1), k, 0.5) * w
    q[0] = 0
    q /= q.sum()
    for n in (100, 500, 2000):
        counts = np.bincount(z[1 : n + 1].sum(axis=1), minlength=k + 1)
        assert np.abs(counts - n * q).max() <= 3, n  # stratified: within a few rows of n q in every prefix
    iid = sample_masks(2001, k, np.random.default_rng(0), "lime")
    assert z[1:].sum(axis=1).mean() > iid[1:].sum(axis=1).mean() + 1.5  # near-original masks are more common
    # the adjustment factors undo the change of distribution: weighted counts follow lime's Binomial * kernel
    dw = design_weights(z, "stratified", w)
    s = z[1:].sum(axis=1)
    reweighted = np.bincount(s, weights=dw[1:] * w[s], minlength=k + 1)
    expected = binom.pmf(np.arange(k + 1), k, 0.5) * w
    expected[0] = 0
    np.testing.assert_allclose(reweighted / reweighted.sum(), expected / expected.sum(), atol=2e-3)
    with pytest.raises(ValueError, match="count_weights"):
        sample_masks(10, k, np.random.default_rng(0), "stratified")
