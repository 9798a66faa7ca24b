"""Sensitivity analysis of an explanation: deletion / insertion curves and hide-top-k class flips.

An explanation ranks superpixels from most to least important. If the ranking is faithful, hiding the
superpixels in that order (deletion) makes the model's score fall fast, and revealing them in that order
on a blank canvas (insertion) makes it rise fast (RISE, Petsiuk et al., BMVC 2018). The area under the
curve summarises it: small for deletion, large for insertion; compare with a random ranking. Hiding the
top superpixels one by one until the predicted class changes gives the smallest set of regions whose
removal flips the decision (a counterfactual, as in SEDC).

Every masked image is composed exactly as during sampling (the explanation's fill: mean colour, black,
gray, blur...) and scored with :meth:`Explanation.rescore_many`, in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .classifiers import class_id
from .explanation import Explanation
from .figures import plain_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Mode = Literal["deletion", "insertion"]
FLIP_CHUNK = 200


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


@dataclass(frozen=True)
class FlipResult:
    """The smallest prefix of a ranking whose hiding changes the model's top class.

    k: how many superpixels had to be hidden (None if hiding the whole ranking never changes the class);
    hidden: int64 (k,) their ids (empty when k is None); original_class / original_class_name: the class
    watched (by default the model's top class on the original image); new_class / new_class_name /
    new_score: the top class and its score once the first k are hidden (None when k is None);
    original_score: the watched class's score at that point; label_scores: float64 (m+1,) the watched class's
    score after hiding 0, 1, ..., m superpixels, for every prefix evaluated (up to the flip).
    """

    k: int | None
    hidden: np.ndarray
    original_class: int
    original_class_name: str
    new_class: int | None
    new_class_name: str | None
    new_score: float | None
    original_score: float | None
    label_scores: np.ndarray


def ranking_from_weights(weights: np.ndarray) -> np.ndarray:
    """Superpixel ids sorted by decreasing weight (ties keep id order; NaN last). (K,) -> int64 (K,)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights must be 1-D (K,); got shape {w.shape}")
    w = np.where(np.isnan(w), -np.inf, w)
    return np.argsort(-w, kind="stable").astype(np.int64)


def random_ranking(n_segments: int, rng: int | np.random.Generator | None = None) -> np.ndarray:
    """A random order of the superpixels 0..K-1 (a baseline ranking). rng: seed or Generator. int64 (K,)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return gen.permutation(int(n_segments)).astype(np.int64)


def _label_id(explanation: Explanation, label: int | str | None) -> int:
    return int(explanation.top_labels[0]) if label is None else class_id(label, explanation.class_names)


def _check_ranking(ranking: Any, k: int, *, full: bool) -> np.ndarray:
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
    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion'; got {mode!r}")
    k = explanation.n_segments
    order = _check_ranking(ranking, k, full=True)
    cls = _label_id(explanation, label)
    s = k if steps is None else int(steps)
    if not 1 <= s:
        raise ValueError(f"steps must be at least 1; got {steps}")
    counts = np.unique(np.round(np.arange(s + 1) * k / s).astype(np.int64))
    # rank[j] = position of superpixel j in the ranking; prefix of length n = {j : rank[j] < n}
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    in_prefix = rank[None, :] < counts[:, None]  # (s+1, K)
    masks = ~in_prefix if mode == "deletion" else in_prefix
    probs = explanation.rescore_many(masks, batch_size=batch_size)
    scores = probs[:, cls].astype(np.float64)
    fractions = counts / k
    area = float(np.sum(np.diff(fractions) * (scores[1:] + scores[:-1]) / 2.0))  # trapezoid rule
    return Curve(
        fractions=fractions,
        scores=scores,
        area=area,
        mode=mode,
        label=cls,
        label_name=explanation.class_names[cls],
        ranking=order,
        counts=counts,
    )


def flip_search(
    explanation: Explanation,
    ranking: Any,
    label: int | str | None = None,
    *,
    batch_size: int | None = None,
    chunk: int = FLIP_CHUNK,
) -> FlipResult:
    """Smallest k such that hiding the first k superpixels of ``ranking`` changes the model's top class.

    explanation: with a model attached. ranking: int (m,) superpixel ids, best first (all K or a prefix).
    label: the class watched (default: the model's top class on the original image); the search stops at
    the first prefix whose argmax class is not ``label``. Prefixes are scored ``chunk`` at a time (200),
    stopping at the first chunk that contains a flip. Returns a :class:`FlipResult`.
    """
    k_all = explanation.n_segments
    order = _check_ranking(ranking, k_all, full=False)
    cls = int(explanation.top_label) if label is None else _label_id(explanation, label)
    names = explanation.class_names
    scores_seen: list[float] = [float(explanation.probabilities[cls])]
    m = order.size
    chunk = max(1, int(chunk))
    for start in range(1, m + 1, chunk):
        lengths = np.arange(start, min(m, start + chunk - 1) + 1)
        masks = np.ones((lengths.size, k_all), dtype=bool)
        for i, length in enumerate(lengths):
            masks[i, order[:length]] = False
        probs = explanation.rescore_many(masks, batch_size=batch_size)
        top = np.argmax(probs, axis=1)
        flipped = np.flatnonzero(top != cls)
        if flipped.size:
            row = int(flipped[0])
            scores_seen.extend(probs[: row + 1, cls].tolist())
            n = int(lengths[row])
            new = int(top[row])
            return FlipResult(
                k=n,
                hidden=order[:n].copy(),
                original_class=cls,
                original_class_name=names[cls],
                new_class=new,
                new_class_name=names[new],
                new_score=float(probs[row, new]),
                original_score=float(probs[row, cls]),
                label_scores=np.asarray(scores_seen),
            )
        scores_seen.extend(probs[:, cls].tolist())
    return FlipResult(
        k=None,
        hidden=np.zeros(0, dtype=np.int64),
        original_class=cls,
        original_class_name=names[cls],
        new_class=None,
        new_class_name=None,
        new_score=None,
        original_score=None,
        label_scores=np.asarray(scores_seen),
    )


def curves_figure(curves: dict[str, Curve], *, title: str | None = None) -> Figure:
    """Plot deletion and/or insertion curves, one panel per mode, with each curve's area in the legend.

    curves: name -> :class:`Curve` (e.g. ``{"LIME": ..., "Grad-CAM": ..., "random": ...}``).
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves is empty")
    modes = [m for m in ("deletion", "insertion") if any(c.mode == m for c in curves.values())]
    fig, axes = plt.subplots(1, len(modes), figsize=(5.2 * len(modes), 3.8), squeeze=False)
    for ax, mode in zip(axes[0], modes, strict=True):
        names: set[str] = set()
        for name, c in curves.items():
            if c.mode != mode:
                continue
            names.add(c.label_name)
            marker = "." if c.fractions.size <= 40 else None
            ax.plot(c.fractions, c.scores, marker=marker, label=plain_text(f"{name} (area {c.area:.3f})"))
        verb = "hidden" if mode == "deletion" else "revealed"
        ax.set_xlabel(f"fraction of superpixels {verb}")
        ax.set_ylabel(plain_text(f"score of {' / '.join(sorted(names))}"))
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        better = "lower" if mode == "deletion" else "higher"
        ax.set_title(f"{mode} ({better} area = more faithful)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(plain_text(title))
    fig.tight_layout()
    return fig  # type: ignore[return-value]
