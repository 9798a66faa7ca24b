"""Rankings of superpixels by a score, and how much two rankings agree: the one place for top-k.

One NaN policy everywhere: a NaN score (for example a superpixel outside the model's centre crop) ranks
last and is never in a top k; ties keep the lower id first. Every function takes float (K,) scores, higher
meaning more important.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankComparison:
    """How much two per-superpixel importance scores agree.

    spearman: Spearman rank correlation over the superpixels where both scores are finite (1 = same order,
    0 = unrelated, -1 = reversed). top_k_overlap: |top_k(a) ∩ top_k(b)| / k. jaccard: |A ∩ B| / |A ∪ B| of
    the two top-k sets. top_a, top_b: the top-k superpixel ids of each, best first (int64 (k,)).
    """

    spearman: float
    top_k_overlap: float
    jaccard: float
    k: int
    top_a: np.ndarray
    top_b: np.ndarray


def ranking(scores: np.ndarray) -> np.ndarray:
    """Superpixel ids sorted by decreasing score (ties keep id order; NaN last). float (K,) -> int64 (K,)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D (K,); got shape {s.shape}")
    nan = np.isnan(s)
    order = np.argsort(-np.where(nan, -np.inf, s), kind="stable")
    # NaN after every number, -inf included (mapped to -inf alone, a NaN would tie with it)
    return np.concatenate([order[~nan[order]], order[nan[order]]]).astype(np.int64)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The k best superpixels, best first, NaN never among them. float (K,) -> int64 (<= k,)."""
    s = np.asarray(scores, dtype=np.float64)
    order = ranking(s)
    order = order[~np.isnan(s[order])]
    return order[: max(0, int(k))]


def top_k_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k largest strictly positive scores, largest first, ties to the lower id: the superpixels
    the view's *hide / keep top k* buttons pick (js/src/core/masks.ts topKPositive). (K,) -> int64 (<= k,)."""
    s = np.asarray(scores, dtype=np.float64)
    best = top_k(s, s.shape[0])
    return best[s[best] > 0][: max(0, int(k))]


def top_k_sets(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`top_k_positive` of every row at once, as membership: bool (D, K), True where a superpixel is
    among the k largest strictly positive scores of its row (NaN never is). scores: float (D, K), e.g. the
    bootstrap refits of the surrogate (the definition of ``Explanation.top_segments``, draw by draw)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"scores must be 2-D (D, K); got shape {s.shape}")
    order = np.argsort(-np.where(np.isnan(s), -np.inf, s), axis=1, kind="stable")[:, : max(0, int(k))]
    member = np.zeros(s.shape, dtype=bool)
    member[np.arange(s.shape[0])[:, None], order] = True
    return member & (s > 0)


def random_ranking(n_segments: int, rng: int | np.random.Generator | None = None) -> np.ndarray:
    """A random order of the superpixels 0..K-1 (a baseline ranking). rng: seed or Generator. int64 (K,)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return gen.permutation(int(n_segments)).astype(np.int64)


def compare_rankings(a: np.ndarray, b: np.ndarray, k: int = 5) -> RankComparison:
    """Agreement of two importance scores per superpixel (higher = more important), e.g. LIME weights
    and :func:`~lime_widget.analysis.class_activation.superpixel_scores` of a Grad-CAM map.

    a, b: float (K,). k: size of the top sets compared. NaN scores are left out of the Spearman
    correlation and ranked last for the top-k sets. Two scores that are equal where both are finite agree
    fully (Spearman 1.0), constant ones included. Returns a :class:`RankComparison`.
    """
    from scipy.stats import spearmanr

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D arrays of the same length (K,); got {a.shape} and {b.shape}")
    k = int(k)
    if not 1 <= k <= a.shape[0]:
        raise ValueError(f"k must be between 1 and K = {a.shape[0]}; got {k}")
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() >= 2 and np.ptp(a[both]) > 0 and np.ptp(b[both]) > 0:
        rho = float(spearmanr(a[both], b[both]).statistic)
    elif both.sum() >= 2 and np.array_equal(a[both], b[both]):
        rho = 1.0
    else:
        rho = float("nan")
    # Ranked with NaN last (not dropped), so both sets have k members as the overlap's k assumes.
    top_a, top_b = ranking(a)[:k], ranking(b)[:k]
    inter = len(set(top_a.tolist()) & set(top_b.tolist()))
    union = len(set(top_a.tolist()) | set(top_b.tolist()))
    return RankComparison(spearman=rho, top_k_overlap=inter / k, jaccard=inter / union, k=k, top_a=top_a, top_b=top_b)
