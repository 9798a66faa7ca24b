"""Rankings and top-k (lime_widget.core.rankings): one NaN policy (NaN last, never in a top k; ties to the
lower id), constant and equal inputs, k bounds, and how two rankings are compared."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import spearmanr

import lime_widget as lw
from lime_widget.core.rankings import (
    RankComparison,
    compare_rankings,
    random_ranking,
    ranking,
    top_k,
    top_k_positive,
    top_k_sets,
)

NAN = float("nan")

#: scores with NaN, infinities and many ties (few distinct values)
values_st = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, 0.5, NAN]), st.floats(-1e6, 1e6), st.just(math.inf), st.just(-math.inf)
)
scores_st = st.lists(values_st, max_size=30).map(lambda v: np.array(v, dtype=np.float64))


def _by_policy(s: np.ndarray) -> list[int]:
    """The policy written out plainly: the finite-or-inf ids by decreasing score, ties to the lower id, then the
    NaN ids in id order."""
    ids = [i for i in range(s.size) if not math.isnan(s[i])]
    return sorted(ids, key=lambda i: (-s[i], i)) + [i for i in range(s.size) if math.isnan(s[i])]


# --- ranking -------------------------------------------------------------------------------------------------


def test_ranking_orders_by_decreasing_score_with_nan_last_and_ties_by_id():
    s = np.array([0.2, NAN, 0.9, 0.2, -1.0, NAN, 0.9])
    out = ranking(s)
    assert out.dtype == np.int64
    assert out.tolist() == [2, 6, 0, 3, 4, 1, 5]


def test_ranking_of_constant_and_empty_scores_is_the_id_order():
    assert ranking(np.full(5, 3.0)).tolist() == [0, 1, 2, 3, 4]
    assert ranking(np.full(4, NAN)).tolist() == [0, 1, 2, 3]
    assert ranking(np.array([0.0, -0.0, 0.0])).tolist() == [0, 1, 2]  # -0.0 == 0.0: a tie
    assert ranking(np.array([])).tolist() == []


def test_ranking_takes_lists_and_ints_and_refuses_other_shapes():
    assert ranking([1, 3, 2]).tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match=r"scores must be 1-D \(K,\); got shape \(2, 2\)"):
        ranking(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1-D"):
        ranking(np.float64(1.0))


@given(scores_st)
def test_ranking_follows_the_one_policy(s):
    out = ranking(s)
    assert sorted(out.tolist()) == list(range(s.size))  # a permutation
    assert out.tolist() == _by_policy(s)


def test_nan_ranks_after_minus_infinity():
    assert ranking(np.array([NAN, -math.inf, 1.0])).tolist() == [2, 1, 0]


def test_ranking_does_not_change_its_input():
    s = np.array([1.0, NAN, 3.0])
    ranking(s)
    top_k(s, 2)
    np.testing.assert_array_equal(s, [1.0, NAN, 3.0])


# --- top k ---------------------------------------------------------------------------------------------------


def test_top_k_never_holds_nan_and_is_cut_at_k():
    s = np.array([NAN, 0.1, NAN, 0.7, -0.3])
    assert top_k(s, 2).tolist() == [3, 1]
    assert top_k(s, 10).tolist() == [3, 1, 4]  # k beyond the finite ones: all of them, no NaN
    assert top_k(s, 0).tolist() == [] and top_k(s, -3).tolist() == []
    assert top_k(np.full(3, NAN), 2).tolist() == []
    assert top_k(s, 2).dtype == np.int64


def test_top_k_positive_takes_strictly_positive_scores_only():
    s = np.array([0.0, 0.5, NAN, -0.2, 0.5, 1e-300, math.inf])
    assert top_k_positive(s, 10).tolist() == [6, 1, 4, 5]
    assert top_k_positive(s, 2).tolist() == [6, 1]
    assert top_k_positive(np.zeros(4), 3).tolist() == []  # a constant zero score has no top
    assert top_k_positive(-np.ones(4), 3).tolist() == []
    assert top_k_positive(s, 0).tolist() == []


@given(scores_st, st.integers(-2, 35))
def test_top_k_and_top_k_positive_are_prefixes_of_the_ranking(s, k):
    order = ranking(s)
    assert top_k(s, k).tolist() == [i for i in order.tolist() if not math.isnan(s[i])][: max(k, 0)]
    assert top_k_positive(s, k).tolist() == [i for i in order.tolist() if s[i] > 0][: max(k, 0)]


@given(st.lists(st.lists(values_st, min_size=6, max_size=6), min_size=1, max_size=5), st.integers(0, 8))
def test_top_k_sets_are_top_k_positive_row_by_row(rows, k):
    s = np.array(rows, dtype=np.float64)
    member = top_k_sets(s, k)
    assert member.shape == s.shape and member.dtype == bool
    for d in range(s.shape[0]):
        assert np.flatnonzero(member[d]).tolist() == sorted(top_k_positive(s[d], k).tolist())


def test_top_k_sets_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"scores must be 2-D \(D, K\); got shape \(4,\)"):
        top_k_sets(np.zeros(4), 2)


# --- random ranking ------------------------------------------------------------------------------------------


def test_random_ranking_is_a_reproducible_permutation():
    a = random_ranking(20, 3)
    assert a.dtype == np.int64 and sorted(a.tolist()) == list(range(20))
    np.testing.assert_array_equal(a, random_ranking(20, 3))
    assert not np.array_equal(a, random_ranking(20, 4))
    assert random_ranking(0, 1).tolist() == []
    assert lw.random_ranking is random_ranking


def test_random_ranking_draws_from_a_given_generator():
    gen = np.random.default_rng(7)
    first, second = random_ranking(15, gen), random_ranking(15, gen)
    assert not np.array_equal(first, second)  # the generator moved on
    np.testing.assert_array_equal(first, random_ranking(15, np.random.default_rng(7)))


def test_random_ranking_without_a_seed_still_permutes():
    assert sorted(random_ranking(9).tolist()) == list(range(9))


# --- comparing two rankings ----------------------------------------------------------------------------------


def test_the_same_scores_agree_fully_and_reversed_ones_do_not():
    a = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2])
    same = compare_rankings(a, a.copy(), k=3)
    assert isinstance(same, RankComparison) and lw.compare_rankings is compare_rankings
    assert same.spearman == pytest.approx(1.0) and same.top_k_overlap == 1.0 and same.jaccard == 1.0
    assert same.k == 3 and same.top_a.tolist() == same.top_b.tolist() == [2, 4, 0]
    rev = compare_rankings(a, -a, k=3)
    assert rev.spearman == pytest.approx(-1.0) and rev.top_k_overlap == 0.0 and rev.jaccard == 0.0


def test_equal_and_constant_scores():
    const = np.full(5, 0.3)
    assert compare_rankings(const, const.copy(), k=2).spearman == 1.0  # equal where finite: full agreement
    # one constant, one not: no rank correlation is defined
    assert math.isnan(compare_rankings(const, np.arange(5.0), k=2).spearman)
    assert math.isnan(compare_rankings(np.arange(5.0), const, k=2).spearman)
    # constant scores rank by id: the top sets are the lowest ids
    c = compare_rankings(const, np.full(5, 9.0), k=2)
    assert c.top_a.tolist() == c.top_b.tolist() == [0, 1] and c.jaccard == 1.0


def test_nan_is_left_out_of_spearman_and_ranked_last_in_the_top_sets():
    a = np.array([NAN, 0.4, 0.3, 0.2, 0.1])
    b = np.array([0.9, 0.4, 0.3, 0.2, NAN])
    c = compare_rankings(a, b, k=2)
    assert c.spearman == pytest.approx(1.0)  # ids 1..3, where both are finite, agree
    assert c.top_a.tolist() == [1, 2] and c.top_b.tolist() == [0, 1]
    assert c.top_k_overlap == 0.5 and c.jaccard == pytest.approx(1 / 3)
    # with k = K the NaN ids are in the sets, last: both sets have k members
    full = compare_rankings(a, b, k=5)
    assert full.top_a.tolist() == [1, 2, 3, 4, 0] and full.top_b.tolist() == [0, 1, 2, 3, 4]
    assert full.top_k_overlap == 1.0
    # fewer than two superpixels finite in both: no correlation
    assert math.isnan(compare_rankings(np.array([NAN, 1.0, 2.0]), np.array([1.0, NAN, 2.0]), k=1).spearman)


@pytest.mark.parametrize("k", [0, -1, 6])
def test_k_must_be_between_1_and_k(k):
    with pytest.raises(ValueError, match=rf"k must be between 1 and K = 5; got {k}"):
        compare_rankings(np.arange(5.0), np.arange(5.0), k=k)


def test_the_scores_must_be_1d_of_one_length():
    with pytest.raises(ValueError, match=r"same length \(K,\); got \(5,\) and \(4,\)"):
        compare_rankings(np.arange(5.0), np.arange(4.0))
    with pytest.raises(ValueError, match="1-D"):
        compare_rankings(np.zeros((2, 3)), np.zeros((2, 3)))


@given(
    st.integers(2, 25).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(-10, 10) | st.just(NAN), min_size=n, max_size=n),
            st.lists(st.floats(-10, 10) | st.just(NAN), min_size=n, max_size=n),
            st.integers(1, n),
        )
    )
)
def test_compare_rankings_properties(args):
    a, b, k = np.array(args[0]), np.array(args[1]), args[2]
    c = compare_rankings(a, b, k=k)
    assert c.k == k and c.top_a.tolist() == ranking(a)[:k].tolist() and c.top_b.tolist() == ranking(b)[:k].tolist()
    inter = len(set(c.top_a.tolist()) & set(c.top_b.tolist()))
    assert c.top_k_overlap == inter / k and c.jaccard == inter / (2 * k - inter)
    assert 0.0 <= c.jaccard <= c.top_k_overlap <= 1.0
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() >= 2 and np.ptp(a[both]) > 0 and np.ptp(b[both]) > 0:
        assert c.spearman == pytest.approx(spearmanr(a[both], b[both]).statistic, nan_ok=True)
    # symmetric in its two arguments
    swapped = compare_rankings(b, a, k=k)
    assert swapped.jaccard == c.jaccard and swapped.top_k_overlap == c.top_k_overlap
    assert swapped.spearman == pytest.approx(c.spearman, nan_ok=True)
