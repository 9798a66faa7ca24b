"""What an explorer view shows for an explanation: the synced state of a fresh view (the widget's and a saved
HTML file's), and the picture of a view as a PNG.

This layer sits below :mod:`lime_widget.engine`: it reads an explanation through the attributes and queries
of the :class:`ExplanationState` protocol only, so ``Explanation.to_html`` and the widget both build on it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..core.images import display_size, encode_png, resize_image, resize_nearest
from ..core.rankings import compare_rankings
from ..core.segmentation import boundary_mask
from ..core.settled import TopKStatus
from .overlay import weight_overlay

#: rows of the score table: the top 10 classes (plus every explained class and the original top 10)
N_TOP_ROWS = 10
#: the top-k of the hover's "in the top 5 in N% of refits" and the panel's stability
CONFIDENCE_K = 5
#: the heatmap's opacity over the photo when nobody chose one (the opacity slider, ``heatmap_opacity``)
DEFAULT_HEATMAP_OPACITY = 0.45
#: the colour of the superpixel boundaries in a view's picture (RGB in 0..1: pale yellow)
BOUNDARY_RGB = (1.0, 1.0, 0.6)


@runtime_checkable
class ExplanationState(Protocol):
    """What :func:`explanation_state` reads of an explanation (:class:`lime_widget.Explanation` has all of it)."""

    image: np.ndarray  # uint8 (H, W, 3)
    fill: np.ndarray  # uint8 (H, W, 3): what a hidden pixel looks like
    segments: np.ndarray  # int (H, W), ids 0..K-1
    probabilities: np.ndarray  # float (C,)
    class_names: list[str]
    top_labels: list[int]
    coef: np.ndarray  # (L, K)
    intercepts: np.ndarray  # (L,)
    r2_scores: np.ndarray  # (L,)
    local_predictions: np.ndarray  # (L,)
    coef_draws: np.ndarray | None

    @property
    def n_segments(self) -> int: ...
    def class_row(self, label: int | str | None = None) -> int: ...
    def weight_std(self, label: int | str | None = None) -> np.ndarray: ...
    def top_k_confidence(self, label: int | str | None = None, k: int = 5) -> np.ndarray: ...
    def stability(self, label: int | str | None = None, k: int = 5) -> float: ...
    def top_k_status(self, label: int | str | None = None, k: int | None = None) -> TopKStatus: ...


def explanation_state(
    exp: ExplanationState, *, max_display_side: int = 512, gradcam_scores: dict[int, np.ndarray] | None = None
) -> dict[str, Any]:
    """The synced traits of a fresh view of ``exp`` (all shown, nothing probed yet), as the view reads them.

    max_display_side: the longer side of the display copy in pixels. gradcam_scores: class id -> float (K,)
    Grad-CAM per superpixel, for the classes that have one."""
    cams = gradcam_scores or {}
    k = exp.n_segments
    h, w = display_size(exp.segments.shape[0], exp.segments.shape[1], max_display_side)
    seg_small = resize_nearest(exp.segments, (h, w))
    dtype = "uint16" if k <= 65535 else "uint32"
    original = exp.probabilities
    rows = score_rows(exp, original, original_top(original))
    return {
        "image_png": encode_png(resize_image(exp.image, (h, w))),
        "hidden_png": encode_png(resize_image(exp.fill, (h, w))),
        "segments_bytes": seg_small.astype("<u2" if dtype == "uint16" else "<u4").tobytes(),
        "segments_dtype": dtype,
        "width": w,
        "height": h,
        "classes": [class_info(exp, c, float(original[c]), cams.get(c)) for c in exp.top_labels],
        "original_scores": rows,
        "visible": [True] * k,
        "rev": 0,
        "selected_label": int(exp.top_labels[0]),
        "scores": rows,
        "surrogate": [float(x) for x in exp.local_predictions],
        "scored_rev": 0,
    }


def original_top(probs: np.ndarray) -> list[int]:
    """The ids of the N_TOP_ROWS best classes of the original image's scores (C,), best first."""
    return np.argsort(-probs, kind="stable")[:N_TOP_ROWS].tolist()


def score_rows(exp: ExplanationState, probs: np.ndarray, top: list[int]) -> list[dict[str, Any]]:
    """Rows of the ``scores`` trait for class scores ``probs`` (C,): the top 10, every explained class and the
    original top 10 (``top``), ordered by rank."""
    rank = ranks(probs)
    order = np.argsort(-probs, kind="stable")
    ids = list(dict.fromkeys([*order[:N_TOP_ROWS].tolist(), *exp.top_labels, *top]))
    ids.sort(key=lambda c: rank[c])
    return [{"id": int(c), "name": exp.class_names[c], "prob": float(probs[c]), "rank": int(rank[c])} for c in ids]


def ranks(probs: np.ndarray) -> np.ndarray:
    """Rank of every class (1 = highest score). (C,) -> int64 (C,)."""
    order = np.argsort(-probs, kind="stable")
    out = np.empty(len(probs), dtype=np.int64)
    out[order] = np.arange(1, len(probs) + 1)
    return out


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def class_info(exp: ExplanationState, label: int, original: float, cam: np.ndarray | None = None) -> dict[str, Any]:
    """An entry of the ``classes`` trait: the surrogate of one explained class and how sure it is, and its
    Grad-CAM scores per superpixel (float (K,)) with their agreement with LIME's weights when ``cam`` is given."""
    row = exp.class_row(label)
    sure = exp.coef_draws is not None
    k = min(CONFIDENCE_K, exp.n_segments)
    extra: dict[str, Any] = {}
    if cam is not None:
        agree = compare_rankings(exp.coef[row], cam, k=k)
        extra = {
            # NaN (a superpixel outside the model's centre crop) cannot travel as JSON: None, drawn uncoloured
            "gradcam": [_finite_or_none(x) for x in cam],
            "agreement": {
                "spearman": _finite_or_none(agree.spearman),
                "overlap": round(agree.top_k_overlap * agree.k),
                "k": int(agree.k),
            },
        }
    return {
        **extra,
        "id": int(label),
        "name": exp.class_names[label],
        "weights": [float(x) for x in exp.coef[row]],
        "intercept": float(exp.intercepts[row]),
        "r2": float(exp.r2_scores[row]),
        "original": original,
        "std": [float(x) for x in exp.weight_std(label)] if sure else None,
        "confidence": [float(x) for x in exp.top_k_confidence(label, k=k)] if sure else None,
        "confidence_k": k,
        "stability": float(exp.stability(label, k=k)) if sure else None,
        "top_k_status": exp.top_k_status(label, k=k).text if sure else None,
    }


def view_png(
    exp: ExplanationState,
    visible: np.ndarray,
    label: int,
    *,
    heatmap: bool,
    alpha: float,
    size: tuple[int, int] | None = None,
) -> bytes:
    """PNG of a view: the image with the superpixels where ``visible`` bool (K,) is False replaced by the fill,
    the weights of class ``label`` over it when ``heatmap`` (opacity ``alpha`` in 0..1), and the superpixel
    boundaries.

    size: (h, w) to draw it at, as the view shows it (its ``height``, ``width``): the image and fill resized
    (antialiased), the superpixels by nearest neighbour, as the view's own copies are; None: full resolution."""
    image, fill, segments = exp.image, exp.fill, exp.segments
    if size is not None and tuple(size) != segments.shape:
        # resized first, so a large photo costs what the view's copy costs; the boundaries stay one pixel wide
        size = (int(size[0]), int(size[1]))
        image, fill, segments = resize_image(image, size), resize_image(fill, size), resize_nearest(segments, size)
    keep = np.asarray(visible, dtype=bool)[segments]
    img = np.where(keep[..., None], image, fill).astype(np.float64) / 255.0
    if heatmap:
        img = weight_overlay(img, segments, exp.coef[exp.class_row(label)], alpha=alpha)
    img[boundary_mask(segments)] = BOUNDARY_RGB
    return encode_png(np.round(img * 255).astype(np.uint8))
