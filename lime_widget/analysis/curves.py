"""Deletion and insertion curves: how fast the model's score falls (or rises) as superpixels are hidden (or
revealed) in the order of an explanation.

An explanation ranks superpixels from most to least important. If the ranking is faithful, hiding the
superpixels in that order (deletion) makes the model's score fall fast, and revealing them in that order
on a blank canvas (insertion) makes it rise fast (RISE, Petsiuk et al., BMVC 2018). The area under the
curve summarises it: small for deletion, large for insertion; compare with a random ranking
(:func:`~lime_widget.core.rankings.random_ranking`). Draw curves with
:func:`~lime_widget.render.figures.curves_figure`.

Every masked image is composed exactly as during sampling (the explanation's fill: mean colour, black,
gray, blur...) and scored with :meth:`Explanation.rescore_many`, in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core._checks import positive_int
from ..core.rankings import ranking
from ..engine.explanation import Explanation
from ..models.classifiers import class_id

Mode = Literal["deletion", "insertion"]


@dataclass(frozen=True)
class Curve:
    """A deletion or insertion curve.

    fractions: float64 (s+1,) fraction of superpixels hidden (deletion) or revealed (insertion), from 0 to 1;
    scores: float64 (s+1,) the model's score of ``label`` at each step; area: the area under the curve
    (trapezoid rule over fractions in [0, 1], so it lies in [0, 1] for probabilities); mode; label and
    label_name: the class scored; ranking: int64 (K,) the superpixel order used, best first; counts:
    int64 (s+1,) number of superpixels hidden / revealed at each step.
    """

    fractions: np.ndarray
    scores: np.ndarray
    area: float
    mode: str
    label: int
    label_name: str
    ranking: np.ndarray
    counts: np.ndarray


def ranking_from_weights(weights: np.ndarray) -> np.ndarray:
    """Superpixel ids sorted by decreasing weight (ties keep id order; NaN last). (K,) -> int64 (K,)."""
    return ranking(weights)


def label_id(explanation: Explanation, label: int | str | None) -> int:
    """The class id of ``label`` (id or name); None: the explanation's first explained class."""
    return int(explanation.top_labels[0]) if label is None else class_id(label, explanation.class_names)


def check_ranking(ranking: Any, k: int, *, full: bool) -> np.ndarray:
    """``ranking`` as int64 (m,): distinct superpixel ids in 0..k-1, all k of them when ``full``; else ValueError."""
    r = np.asarray(ranking)
    if r.ndim != 1 or not np.issubdtype(r.dtype, np.integer):
        raise ValueError(f"ranking must be a 1-D array of superpixel ids; got dtype {r.dtype}, shape {r.shape}")
    r = r.astype(np.int64)
    if r.size and (r.min() < 0 or r.max() >= k):
        raise ValueError(f"ranking holds ids outside 0..{k - 1}")
    if len(np.unique(r)) != r.size:
        raise ValueError("ranking repeats a superpixel id")
    if full and r.size != k:
        raise ValueError(
            f"ranking must order all {k} superpixels (got {r.size}); use ranking_from_weights(weights) or "
            "append the missing ids"
        )
    return r


def deletion_curve(
    explanation: Explanation,
    ranking: Any,
    label: int | str | None = None,
    *,
    mode: Mode = "deletion",
    steps: int | None = None,
    batch_size: int | None = None,
) -> Curve:
    """Score the model while hiding (deletion) or revealing (insertion) superpixels in ranking order.

    explanation: with a model attached. ranking: int (K,) every superpixel id once, best first (e.g.
    :func:`ranking_from_weights` of LIME's weights, of Grad-CAM's superpixel scores, or
    :func:`random_ranking`). label: the class scored (id or name; default the first explained class).
    mode ``deletion``: start from the original image, hide the first n superpixels; ``insertion``: start
    from the fully hidden image (all fill), reveal the first n. steps: number of steps s (None = one per
    superpixel, s = K); step i changes round(i K / s) superpixels. batch_size: images per forward pass.
    Scores s + 1 masked images. Returns a :class:`Curve`.
    """
    k = explanation.n_segments
    order = check_ranking(ranking, k, full=True)
    cls = label_id(explanation, label)
    counts = curve_counts(k, steps)
    masks = prefix_masks(order, counts, mode)
    probs = explanation.rescore_many(masks, batch_size=batch_size)
    scores = probs[:, cls].astype(np.float64)
    return Curve(
        fractions=counts / k,
        scores=scores,
        area=curve_area(counts, k, scores),
        mode=mode,
        label=cls,
        label_name=explanation.class_names[cls],
        ranking=order,
        counts=counts,
    )


def curve_counts(n_segments: int, steps: int | None = None) -> np.ndarray:
    """How many superpixels a curve hides (or reveals) at each step: int64 (s+1,), from 0 to K, increasing.

    steps: s (None = one step per superpixel, s = K); step i changes round(i K / s) superpixels (repeats
    dropped, so a curve never has more than K + 1 points)."""
    k = int(n_segments)
    s = positive_int(steps, "steps", allow_none=True, hint="None: one step per superpixel")
    s = k if s is None else min(s, k)  # more steps than superpixels give the same K + 1 points; never allocate them
    return np.unique(np.round(np.arange(s + 1) * k / s).astype(np.int64))


def prefix_masks(order: np.ndarray, counts: np.ndarray, mode: Mode = "deletion") -> np.ndarray:
    """The masks of a curve: bool (s+1, K), True = visible.

    order: int (K,) every superpixel once, best first; counts: int (s+1,) prefix lengths. ``deletion``: row i
    hides the first counts[i] superpixels of the order; ``insertion``: row i shows only them."""
    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion'; got {mode!r}")
    o = np.asarray(order, dtype=np.int64)
    rank = np.empty(o.size, dtype=np.int64)  # rank[j] = position of superpixel j in the order
    rank[o] = np.arange(o.size)
    in_prefix = rank[None, :] < np.asarray(counts, dtype=np.int64)[:, None]
    return ~in_prefix if mode == "deletion" else in_prefix


def curve_area(counts: np.ndarray, n_segments: int, scores: np.ndarray) -> float:
    """Area under a curve (trapezoid rule over the fractions counts / K in [0, 1]); in [0, 1] for probabilities."""
    fractions = np.asarray(counts, dtype=np.float64) / int(n_segments)
    y = np.asarray(scores, dtype=np.float64)
    return float(np.sum(np.diff(fractions) * (y[1:] + y[:-1]) / 2.0))
