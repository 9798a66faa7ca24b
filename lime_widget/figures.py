"""Matplotlib figures of explanations. matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .explanation import Explanation, LabelRef

STYLES = ("default", "matlab", "top", "top4")


def boundary_mask(segments: np.ndarray) -> np.ndarray:
    """bool (H, W): True on pixels at the edge of a superpixel."""
    from skimage.segmentation import find_boundaries

    return find_boundaries(segments, mode="inner")


def _blend(base: np.ndarray, colour: tuple[float, float, float], where: np.ndarray) -> np.ndarray:
    out = base.astype(np.float64) / 255.0 if base.dtype == np.uint8 else base.astype(np.float64)
    out = out.copy()
    out[where] = colour
    return out


def explanation_figure(
    exp: Explanation,
    label: LabelRef = None,
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
) -> Figure:
    """Draw an explanation.

    style ``default``: diverging heatmap (red negative, blue positive, symmetric around 0, colour-blind
    safe RdBu) over the image with boundaries and a colour bar. ``matlab``: the MATLAB demo's look: the
    positive weights only, Gaussian-smoothed (sigma 8 px), jet colormap at alpha 0.5, cyan boundaries,
    colour bar. ``top`` / ``top4``: lime's look: only the k (5 / 4) most positive superpixels shown, the
    rest hidden with the explanation's fill. Default: the style of the explanation's preset.
    """
    import matplotlib.pyplot as plt

    style = style or str(exp.config.get("figure_style", "default"))
    if style not in STYLES:
        raise ValueError(f"unknown figure style {style!r}; choose one of {', '.join(STYLES)}")
    if label is None:
        label = exp.top_labels[0]
    row = exp._row(label)
    cls = exp.top_labels[row]
    if ax is None:
        h, w = exp.segments.shape
        fig, ax = plt.subplots(figsize=(6.0 * (1.18 if colorbar else 1.0), 6.0 * h / w + 0.6))
    else:
        fig = ax.figure  # type: ignore[assignment]
    name = exp.label_names[cls]
    ax.set_title(title if title is not None else f"{name} (p = {exp.probabilities[cls]:.3f})")
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
        return fig  # type: ignore[return-value]

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
        vmax = float(np.max(np.abs(heat))) or 1.0
        base = exp.image if edges is None else _blend(exp.image, (1.0, 1.0, 0.6), edges)
        ax.imshow(base)
        im = ax.imshow(heat, cmap="RdBu", vmin=-vmax, vmax=vmax, alpha=alpha)
    if colorbar:
        cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cb.set_label("superpixel weight (change in class score)")
    return fig  # type: ignore[return-value]


def kernel_curve_figure(kernel: str = "matlab", width: float | None = None, ax: Axes | None = None) -> Figure:
    """Plot a kernel's weight against distance (the MATLAB demo's kernel plot)."""
    import matplotlib.pyplot as plt

    from .kernels import DEFAULT_WIDTH, exponential_kernel, lime_kernel

    w = DEFAULT_WIDTH[kernel] if width is None else width
    d = np.linspace(0.0, 1.0, 201)
    y = exponential_kernel(d, w) if kernel == "matlab" else lime_kernel(d, w)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
    else:
        fig = ax.figure  # type: ignore[assignment]
    ax.plot(d, y)
    xlabel = "distance = fraction of superpixels hidden" if kernel == "matlab" else "cosine distance to the original"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("sample weight")
    formula = "exp(-d²/σ²)" if kernel == "matlab" else "sqrt(exp(-d²/w²))"
    ax.set_title(f"{kernel} kernel {formula}, width {w}")
    ax.grid(alpha=0.3)
    return fig  # type: ignore[return-value]


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
                ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig  # type: ignore[return-value]


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
    import matplotlib.pyplot as plt

    if ax is None:
        h, w = segments.shape
        fig, ax = plt.subplots(figsize=(6.0, 6.0 * h / w))
    else:
        fig = ax.figure  # type: ignore[assignment]
    ax.imshow(_blend(image, colour, boundary_mask(segments)))
    ax.axis("off")
    k = int(segments.max()) + 1
    ax.set_title(title if title is not None else f"{k} superpixels")
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
    return fig  # type: ignore[return-value]
