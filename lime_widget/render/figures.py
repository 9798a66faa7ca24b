"""Matplotlib figures. matplotlib is imported only when a figure is drawn.

This layer sits below :mod:`lime_widget.engine.explanation`: it reads an explanation through its public queries
only (the :class:`ExplanationView` protocol), so ``Explanation.figure`` can delegate here without a cycle.
Every figure starts from :func:`new_axes`, and every text from user data goes through :func:`plain_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..core.rankings import top_k
from ..core.segmentation import boundary_mask, n_segments_of
from ..core.settled import TopKStatus
from .overlay import CMAP, weight_limit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STYLES = ("default", "matlab", "top", "top4")


class CurveView(Protocol):
    """What :func:`curves_figure` reads of a deletion / insertion curve (``lime_widget.analysis.curves.Curve``)."""

    fractions: np.ndarray
    scores: np.ndarray
    area: float
    mode: str
    label_name: str


class ExplanationView(Protocol):
    """What :func:`explanation_figure` reads of an explanation."""

    image: np.ndarray
    segments: np.ndarray
    probabilities: np.ndarray
    class_names: list[str]
    top_labels: list[int]
    coef_draws: np.ndarray | None

    @property
    def config(self) -> Any: ...  # has .figure_style
    @property
    def n_segments(self) -> int: ...
    def class_row(self, label: int | str | None = None) -> int: ...
    def top_segments(self, label: int | str | None = None, k: int = 5, positive_only: bool = True) -> np.ndarray: ...
    def heatmap(
        self, label: int | str | None = None, positive_only: bool = False, smooth: float = 0.0
    ) -> np.ndarray: ...
    def masked_image(self, visible: Any) -> np.ndarray: ...
    def weights(self, label: int | str | None = None) -> np.ndarray: ...
    def weight_std(self, label: int | str | None = None) -> np.ndarray: ...
    def weight_interval(self, label: int | str | None = None, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]: ...
    def top_k_confidence(self, label: int | str | None = None, k: int | None = None) -> np.ndarray: ...
    def stability(self, label: int | str | None = None, k: int | None = None) -> float: ...
    def top_k_status(self, label: int | str | None = None, k: int | None = None) -> TopKStatus: ...


#: the k of the stability and top-k confidence a figure shows (clamped to the number of superpixels)
TOP_K = 5
#: an interval of this level containing 0 marks a weight as within noise (hatched in the figure)
NOISE_LEVEL = 0.9
#: colours of positive and negative weights in bar charts (the ends of RdBu)
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"


def plain_text(text: str) -> str:
    """Text drawn as is: a ``$`` in a class name would start matplotlib's mathtext otherwise."""
    return str(text).replace("$", r"\$")


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: ``ax``'s own figure, or a new figure of ``figsize`` inches."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax  # type: ignore[return-value]


def image_figsize(shape: tuple[int, ...], colorbar: bool) -> tuple[float, float]:
    """Figure size in inches for an image of shape (H, W[, C]) drawn 6 inches wide, with room for a colour bar."""
    height, width = shape[0], shape[1]
    return 6.0 * (1.18 if colorbar else 1.0), 6.0 * height / width + 0.6


def add_colorbar(fig: Figure, mappable: Any, ax: Axes, label: str) -> None:
    cb = fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)
    cb.set_label(label)


def _blend(base: np.ndarray, colour: tuple[float, float, float], where: np.ndarray) -> np.ndarray:
    out = base.astype(np.float64) / 255.0 if base.dtype == np.uint8 else base.astype(np.float64)
    out = out.copy()
    out[where] = colour
    return out


def explanation_figure(
    exp: ExplanationView,
    label: int | str | None = None,
    style: str | None = None,
    *,
    ax: Axes | None = None,
    alpha: float = 0.5,
    boundaries: bool = True,
    colorbar: bool = True,
    k: int | None = None,
    smooth: float | None = None,
    positive_only: bool | None = None,
    title: str | None = None,
    uncertainty: bool = True,
    bars: bool | None = None,
) -> Figure:
    """Draw an explanation.

    style ``default``: diverging heatmap (red negative, blue positive, symmetric around 0, colour-blind
    safe RdBu) over the image with boundaries and a colour bar; with ``uncertainty`` (and refits), the
    superpixels whose 90% interval contains 0 are hatched and faded, the title gives the top-5 stability
    (top-K with fewer than 5 superpixels), and (``bars``, default when no ``ax`` is given) a bar chart of the
    strongest weights with their 90% intervals and top-5 confidence sits beside the map. ``matlab``: the MATLAB demo's look: the positive
    weights only, Gaussian-smoothed (sigma 8 px), jet colormap at alpha 0.5, cyan boundaries, colour bar.
    ``top`` / ``top4``: lime's look: only the k (5 / 4) most positive superpixels shown, the rest hidden
    with the explanation's fill (k above the number of superpixels shows all the positive ones). Default: the
    style of the explanation's preset.
    """
    style = style or str(exp.config.figure_style)
    if style not in STYLES:
        raise ValueError(f"unknown figure style {style!r}; choose one of {', '.join(STYLES)}")
    cls = exp.top_labels[exp.class_row(label)]
    sure = uncertainty and exp.coef_draws is not None and style == "default"
    with_bars = (ax is None and sure) if bars is None else bool(bars and exp.coef_draws is not None)
    if with_bars and ax is None:
        import matplotlib.pyplot as plt

        width, height = image_figsize(exp.segments.shape, colorbar)
        fig = plt.figure(figsize=(width + 4.2, max(height, 4.0)))
        grid = fig.add_gridspec(1, 2, width_ratios=[width, 4.2], wspace=0.5)
        ax = fig.add_subplot(grid[0, 0])
        weight_bars(exp, cls, ax=fig.add_subplot(grid[0, 1]))
    fig, ax = new_axes(ax, image_figsize(exp.segments.shape, colorbar))
    name = exp.class_names[cls]
    default_title = f"{name} (p = {exp.probabilities[cls]:.3f})"
    if sure:
        kk = min(TOP_K, exp.n_segments)  # fewer superpixels than 5: the top K
        default_title += (
            f"\n{exp.top_k_status(cls, k=kk).text}"
            f"\nstability {exp.stability(cls, k=kk):.2f}; hatched: weight within noise"
        )
    ax.set_title(plain_text(title if title is not None else default_title), fontsize=10)
    ax.axis("off")
    edges = boundary_mask(exp.segments) if boundaries else None

    if style in ("top", "top4"):
        kk = k if k is not None else (4 if style == "top4" else 5)
        top = exp.top_segments(cls, k=kk, positive_only=True)
        visible = np.zeros(exp.n_segments, dtype=bool)
        visible[top] = True
        shown = exp.masked_image(visible)
        if edges is not None:
            keep_edges = edges & visible[exp.segments]
            ax.imshow(_blend(shown, (1.0, 1.0, 0.0), keep_edges))
        else:
            ax.imshow(shown)
        return fig

    if style == "matlab":
        pos = True if positive_only is None else positive_only
        sm = 8.0 if smooth is None else smooth
        heat = exp.heatmap(cls, positive_only=pos, smooth=sm)
        base = exp.image if edges is None else _blend(exp.image, (0.0, 1.0, 1.0), edges)
        ax.imshow(base)
        im = ax.imshow(heat, cmap="jet", alpha=alpha)
    else:
        pos = False if positive_only is None else positive_only
        sm = 0.0 if smooth is None else smooth
        heat = exp.heatmap(cls, positive_only=pos, smooth=sm)
        vmax = weight_limit(heat)
        base = exp.image if edges is None else _blend(exp.image, (1.0, 1.0, 0.6), edges)
        ax.imshow(base)
        im = ax.imshow(heat, cmap=CMAP, vmin=-vmax, vmax=vmax, alpha=alpha)
        if sure:
            _mark_noise(ax, exp, cls)
    if colorbar:
        add_colorbar(fig, im, ax, "superpixel weight (change in class score)")
    return fig


def within_noise(exp: ExplanationView, label: int | str | None = None, level: float = NOISE_LEVEL) -> np.ndarray:
    """bool (K,): superpixels whose ``level`` interval of refitted weights contains 0."""
    low, high = exp.weight_interval(label, level)
    return (low <= 0) & (high >= 0)


def _mark_noise(ax: Axes, exp: ExplanationView, label: int) -> None:
    """Fade and hatch the superpixels whose weight is within noise."""
    noisy = within_noise(exp, label)[exp.segments]
    veil = np.zeros((*noisy.shape, 4))
    veil[noisy] = (1.0, 1.0, 1.0, 0.35)
    ax.imshow(veil)
    if noisy.any() and not noisy.all():
        import matplotlib.pyplot as plt

        with plt.rc_context({"hatch.color": (1.0, 1.0, 1.0, 0.8), "hatch.linewidth": 0.8}):
            ax.contourf(noisy.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"])


def weight_bars(
    exp: ExplanationView,
    label: int | str | None = None,
    *,
    ax: Axes | None = None,
    k: int = 12,
    level: float = NOISE_LEVEL,
) -> Figure:
    """Bar chart of the k strongest weights of a class with their ``level`` intervals (from the refits);
    each bar is labelled with its superpixel id and how often it is in the top 5 (the top K when there are
    fewer superpixels). k: at most this many bars (>= 1; more than K draws all K)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1 (the most bars drawn); got {k!r}")
    w = exp.weights(label)
    low, high = exp.weight_interval(label, level)
    kk = min(TOP_K, w.size)
    conf = exp.top_k_confidence(label, k=kk)
    strongest = top_k(np.abs(w), k)
    order = strongest[top_k(w[strongest], strongest.size)]  # drawn from the most positive down
    fig, ax = new_axes(ax, (4.6, 0.32 * order.size + 1.2))
    y = np.arange(order.size)[::-1]
    ax.barh(
        y,
        w[order],
        color=[POSITIVE if v > 0 else NEGATIVE for v in w[order]],
        # a percentile interval need not contain the estimate when samples are few: clip to the bar
        xerr=np.clip(np.vstack([w[order] - low[order], high[order] - w[order]]), 0.0, None),
        ecolor="0.25",
        capsize=2,
        height=0.7,
    )
    ax.set_yticks(y, [f"#{i}  ({conf[i]:.0%})" for i in order], fontsize=8)
    ax.axvline(0.0, color="0.4", linewidth=0.8)
    ax.set_xlabel(f"weight, {level:.0%} interval", fontsize=9)
    ax.set_title(plain_text(f"strongest superpixels (in top {kk}: % of refits)"), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


#: the longer side in pixels of an explanation's static view (:func:`explanation_png`)
STATIC_SIDE = 320


def explanation_png(exp: ExplanationView, label: int | str | None = None, *, max_side: int = STATIC_SIDE) -> bytes:
    """A small PNG of the explanation figure's map without a matplotlib figure (fast enough for a notebook's
    display of an explanation): the image with the red-blue weight overlay of a class (default: the first
    explained) and yellow superpixel boundaries, its longer side at most ``max_side`` pixels (never
    enlarged). Returns the PNG bytes of an (h, w, 3) image, (h, w) = ``display_size(H, W, max_side)``."""
    from ..core.images import display_size, encode_png, resize_image, resize_nearest
    from .overlay import weight_overlay

    side = int(max_side)
    if side < 1:
        raise ValueError(f"max_side must be a positive number of pixels; got {max_side!r}")
    h, w = display_size(exp.segments.shape[0], exp.segments.shape[1], side)
    image = resize_image(np.ascontiguousarray(exp.image), (h, w))
    segments = resize_nearest(exp.segments, (h, w))
    rgb = weight_overlay(image, segments, exp.weights(label), alpha=0.5)
    rgb[boundary_mask(segments)] = (1.0, 1.0, 0.6)  # the boundary colour of the default figure
    return encode_png(np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8))


def kernel_curve_figure(kernel: str = "matlab", width: float | None = None, ax: Axes | None = None) -> Figure:
    """Plot a kernel's weight against distance (the MATLAB demo's kernel plot)."""
    from ..core.kernels import DEFAULT_WIDTH, KERNELS, exponential_kernel, lime_kernel

    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    w = DEFAULT_WIDTH[kernel] if width is None else width
    d = np.linspace(0.0, 1.0, 201)
    y = exponential_kernel(d, w) if kernel == "matlab" else lime_kernel(d, w)
    fig, ax = new_axes(ax, (5, 3.2))
    ax.plot(d, y)
    xlabel = "distance = fraction of superpixels hidden" if kernel == "matlab" else "cosine distance to the original"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("sample weight")
    formula = "exp(-d²/σ²)" if kernel == "matlab" else "sqrt(exp(-d²/w²))"
    ax.set_title(f"{kernel} kernel {formula}, width {w}")
    ax.grid(alpha=0.3)
    return fig


def image_grid(images: list[np.ndarray], titles: list[str] | None = None, cols: int = 4, size: float = 2.6) -> Figure:
    """A grid of uint8 (H, W, 3) images with optional titles."""
    import matplotlib.pyplot as plt

    rows = max(1, -(-len(images) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i])
            if titles is not None:
                ax.set_title(plain_text(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def segments_figure(
    image: np.ndarray,
    segments: np.ndarray,
    *,
    ids: bool = False,
    colour: tuple[float, float, float] = (1.0, 1.0, 0.0),
    ax: Axes | None = None,
    title: str | None = None,
    fontsize: float = 7.0,
) -> Figure:
    """Draw superpixel boundaries over an image, optionally with each superpixel's id at its centre.

    image: uint8 (H, W, 3); segments: int (H, W) with ids 0..K-1; colour: boundary colour (RGB in 0..1).
    """
    fig, ax = new_axes(ax, image_figsize(segments.shape, colorbar=False))
    ax.imshow(_blend(image, colour, boundary_mask(segments)))
    ax.axis("off")
    k = n_segments_of(segments)
    ax.set_title(plain_text(title if title is not None else f"{k} superpixels"))
    if ids:
        yy, xx = np.indices(segments.shape)
        counts = np.maximum(np.bincount(segments.ravel(), minlength=k), 1)
        cy = np.bincount(segments.ravel(), weights=yy.ravel(), minlength=k) / counts
        cx = np.bincount(segments.ravel(), weights=xx.ravel(), minlength=k) / counts
        for i in range(k):
            ax.text(
                cx[i],
                cy[i],
                str(i),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="black",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
            )
    return fig


def curves_figure(curves: Mapping[str, CurveView], *, title: str | None = None) -> Figure:
    """Plot deletion and/or insertion curves, one panel per mode, with each curve's area in the legend.

    curves: name -> curve (a :class:`~lime_widget.analysis.curves.Curve`, e.g. ``{"LIME": ..., "Grad-CAM": ...,
    "random": ...}``): fractions float (s+1,) in 0..1, scores float (s+1,), area, mode, label_name.
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
