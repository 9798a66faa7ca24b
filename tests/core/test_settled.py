"""Is the top k settled? (lime_widget.core.settled): members in the top k in 90% of refits, ties between
practically equal weights, undecided places, and the status in words."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lime_widget.core.settled import MAX_NAMED, RIVAL_SHARE, TIE_TOLERANCE, TopKStatus, describe, top_k_status

K = 20
#: four clearly ranked members, best first, and the 5th place
FIRST4 = [7, 2, 11, 4]
FIFTH, SIXTH = 15, 9


def _weights(fifth: float = 0.2, sixth: float = 0.0) -> np.ndarray:
    """float (K,): 1.0, 0.8, 0.6, 0.4 at FIRST4, ``fifth`` at FIFTH, ``sixth`` at SIXTH, 0 elsewhere."""
    w = np.zeros(K)
    w[FIRST4] = [1.0, 0.8, 0.6, 0.4]
    w[FIFTH], w[SIXTH] = fifth, sixth
    return w


def _draws(w: np.ndarray, sd: float | np.ndarray, n: int = 400, seed: int = 0) -> np.ndarray:
    """float (n, K): refits scattered around the weights with standard deviation sd."""
    return w + np.random.default_rng(seed).normal(0.0, 1.0, size=(n, w.shape[0])) * sd


def test_a_clear_top_5_is_settled():
    w = _weights()
    s = top_k_status(w, _draws(w, 0.01), 5)
    assert isinstance(s, TopKStatus) and s.k == 5
    np.testing.assert_array_equal(s.top, [*FIRST4, FIFTH])
    np.testing.assert_array_equal(s.settled, s.top)
    assert s.contested.size == 0 and s.rivals.size == 0
    assert s.decided and s.tolerance == pytest.approx(TIE_TOLERANCE * 1.0)
    assert s.text == "top 5 settled" == describe(s)


def test_a_tie_at_the_5th_place_is_named():
    w = _weights(fifth=0.2, sixth=0.199)  # 0.001 apart, the tolerance is 0.1: practically equal
    s = top_k_status(w, _draws(w, 0.01), 5)
    np.testing.assert_array_equal(s.settled, FIRST4)
    np.testing.assert_array_equal(s.contested, [FIFTH])
    np.testing.assert_array_equal(s.rivals, [SIXTH])
    assert s.decided
    assert s.text == f"top 5: 4 settled, the 5th a tie between #{FIFTH} and #{SIXTH}"


def test_without_a_tolerance_the_same_tie_is_undecided():
    w = _weights(fifth=0.2, sixth=0.199)
    s = top_k_status(w, _draws(w, 0.01), 5, tie_tolerance=0.0)
    assert s.tolerance == 0.0 and not s.decided and not s.precise
    np.testing.assert_array_equal(s.contested, [FIFTH])
    assert s.text == f"top 5: 4 settled, the 5th undecided between #{FIFTH} and #{SIXTH} (more samples would decide)"


def test_a_gap_larger_than_the_tolerance_that_the_refits_cannot_resolve_is_undecided():
    """The 5th and 6th are 0.15 apart (more than the tolerance 0.1) but the refits scatter by 0.3: it is no
    tie, and the samples do not decide it yet."""
    w = _weights(fifth=0.3, sixth=0.15)
    s = top_k_status(w, _draws(w, 0.3), 5)
    assert not s.decided and s.contested.size >= 1
    assert s.text.startswith("top 5: ") and " undecided among #" in s.text
    assert s.text.endswith("(more samples would decide)")


def test_large_noise_leaves_the_top_5_undecided_and_names_at_most_max_named_ids():
    w = _weights()
    s = top_k_status(w, _draws(w, 0.5), 5)
    assert not s.decided and not s.precise
    ids = [*s.contested.tolist(), *s.rivals.tolist()]
    assert len(ids) > MAX_NAMED  # many candidates: the text is capped
    assert s.text == (
        f"top 5: {s.settled.size} settled, the other {s.contested.size} undecided among "
        + ", ".join(f"#{i}" for i in ids[:MAX_NAMED])
        + f" and {len(ids) - MAX_NAMED} more (more samples would decide)"
    )
    assert s.text.count("#") == MAX_NAMED
    # the rivals are the outsiders that enter the top 5 in at least RIVAL_SHARE of refits, best weight first
    assert all(i not in s.top for i in s.rivals)
    assert list(s.rivals) == sorted(s.rivals.tolist(), key=lambda i: -w[i])


def test_a_member_displaced_by_many_rare_outsiders_is_named_with_others():
    """Thirty outsiders each enter the top 5 rarely (no rival), together often: the 5th is not settled, and
    the text says that others than the one named compete for it."""
    w = _weights(fifth=0.2)
    crowd = np.arange(K, K + 30)
    w = np.concatenate([w, np.full(30, 0.15)])
    sd = np.where(np.isin(np.arange(w.size), crowd), 0.03, 0.01)
    s = top_k_status(w, _draws(w, sd), 5)
    assert s.rivals.size == 0 and s.contested.tolist() == [FIFTH] and s.decided
    assert s.text == f"top 5: 4 settled, the 5th a tie among #{FIFTH} and others"


def test_fewer_positive_weights_than_k():
    w = np.zeros(K)
    w[[3, 8]] = [0.5, 0.3]
    w[[1, 6]] = [-0.2, -0.4]
    s = top_k_status(w, _draws(w, 0.01), 5)
    np.testing.assert_array_equal(s.top, [3, 8])  # only positive weights are in a top k
    assert s.text == "top 5 (only 2 positive) settled"


def test_no_positive_weight_means_no_top_k():
    w = -np.abs(_weights())
    s = top_k_status(w, _draws(w, 0.01), 5)
    assert s.top.size == 0 and s.settled.size == 0 and s.contested.size == 0
    assert s.decided  # nothing to decide
    assert s.text == "no superpixel has a positive weight: no top 5"
    zero = top_k_status(np.zeros(K), np.zeros((50, K)), 3)
    assert zero.text == "no superpixel has a positive weight: no top 3" and zero.tolerance == 0.0


def test_precise_when_every_90_percent_interval_is_narrower_than_the_tolerance():
    w = _weights()
    # an interval of about 3.3 sd: 0.01 -> 0.033 < 0.1; 0.05 -> 0.16 > 0.1
    assert top_k_status(w, _draws(w, 0.01), 5).precise
    loose = top_k_status(w, _draws(w, 0.05), 5)
    assert not loose.precise and loose.text == "top 5 settled"  # settled, though not precise
    # a single loose weight, far from the top 5, is enough to make it imprecise
    sd = np.full(K, 0.01)
    sd[0] = 0.05
    assert not top_k_status(w, _draws(w, sd), 5).precise
    # a larger tolerance accepts wider intervals
    assert top_k_status(w, _draws(w, 0.05), 5, tie_tolerance=0.3).precise


def test_the_tolerance_is_a_share_of_the_largest_absolute_weight():
    w = _weights()
    w[0] = -2.0  # the largest |weight| is negative
    s = top_k_status(w, _draws(w, 0.01), 5, tie_tolerance=0.25)
    assert s.tolerance == pytest.approx(0.5)


def test_without_refits_the_top_k_is_reported_settled_and_never_precise():
    w = _weights()
    s = top_k_status(w, np.zeros((0, K)), 5)
    np.testing.assert_array_equal(s.settled, s.top)
    assert s.decided and not s.precise and s.text == "top 5 settled"
    assert not top_k_status(w, w[None, :], 5).precise  # one refit has no interval


def test_a_nan_weight_is_never_in_the_top_k_and_does_not_set_the_scale():
    w = _weights()
    w[0] = np.nan
    s = top_k_status(w, _draws(np.nan_to_num(w), 0.01), 5)
    assert 0 not in s.top.tolist() and s.tolerance == pytest.approx(TIE_TOLERANCE * np.nanmax(np.abs(w)))


@pytest.mark.parametrize(
    "shape",
    [(50, K + 1), (50, K - 1), (K,), (5, 1, K)],
    ids=["too-wide", "too-narrow", "1-D", "3-D"],
)
def test_draws_of_the_wrong_shape_are_refused_naming_the_shape(shape):
    with pytest.raises(ValueError, match=rf"draws must be \(R, {K}\).*got shape {re.escape(str(shape))}"):
        top_k_status(_weights(), np.zeros(shape), 5)


@pytest.mark.parametrize(
    ("n", "ordinal"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"),
     (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_the_open_place_is_named_by_its_ordinal(n, ordinal):
    s = TopKStatus(
        k=n,
        top=np.arange(n),
        settled=np.arange(n - 1),
        contested=np.array([n - 1]),
        rivals=np.array([500]),
        tolerance=0.1,
        decided=True,
        precise=False,
        text="",
    )
    assert describe(s) == f"top {n}: {n - 1} settled, the {ordinal} a tie between #{n - 1} and #500"


def test_rival_share_and_confidence_thresholds():
    """A member in the top 5 in 85% of refits is contested (below 90%); an outsider in it in 15% of refits is
    a rival (at least RIVAL_SHARE)."""
    w = _weights(fifth=0.2, sixth=0.1)
    draws = np.tile(w, (100, 1))
    draws[:15, SIXTH] = 0.35  # the 6th beats the 5th in 15 refits of 100, by 0.15: more than the tolerance
    s = top_k_status(w, draws, 5, tie_tolerance=0.1)
    assert RIVAL_SHARE <= 0.15
    np.testing.assert_array_equal(s.settled, FIRST4)
    np.testing.assert_array_equal(s.contested, [FIFTH])
    np.testing.assert_array_equal(s.rivals, [SIXTH])
    assert not s.decided  # an outsider ahead by more than the tolerance in 15% of refits: more than 10%
    assert s.text.endswith("(more samples would decide)")
    draws[:15, SIXTH] = 0.25  # ahead by 0.05 only: within the tolerance, a tie
    tie = top_k_status(w, draws, 5, tie_tolerance=0.1)
    assert tie.decided and tie.text == f"top 5: 4 settled, the 5th a tie between #{FIFTH} and #{SIXTH}"
