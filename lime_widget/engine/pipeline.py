"""``explain``: image + model -> :class:`Explanation`, running the layers in the data flow's order.

image -> segmentation -> fill -> sampling -> compose + classifier -> kernels -> surrogate -> Explanation.
Every argument is validated (in :class:`~lime_widget.engine.config.ExplainConfig` and here) before the first
forward pass.
"""

from __future__ import annotations

import functools
import platform
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core._checks import positive_int
from ..core.images import DEFAULT_MAX_PIXELS, to_rgb_uint8
from ..core.rankings import top_k
from ..core.sampling import PAIRED_SCHEMES
from ..core.segmentation import SegmentationFn, as_segments, segment
from ..core.surrogate import fit_surrogate
from ..core.uncertainty import bootstrap_coefs
from ..models.classifiers import class_id
from ..models.zoo import as_classifier
from ._adaptive import draw_samples
from .compose import Composer, HideSpec, fill_image
from .config import GIVEN, ExplainConfig
from .explanation import Explanation
from .limits import check_memory, explanation_parts
from .presets import resolve


def make_rng(random_state: int | np.random.Generator | None) -> tuple[np.random.Generator, int]:
    """One Generator for the whole explanation and the integer seed that reproduces it."""
    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(0, 2**63 - 1))
    elif random_state is None:
        seed = int(np.random.SeedSequence().entropy % (2**63 - 1))  # type: ignore[operator]
    elif isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0; got {random_state}")
        seed = int(random_state)
    else:
        raise TypeError(f"random_state must be an int, a numpy Generator or None; got {type(random_state).__name__}")
    return np.random.default_rng(seed), seed


def library_versions() -> dict[str, str]:
    """Versions of the libraries an explanation depends on (a new dict each call)."""
    return dict(_library_versions())


@functools.lru_cache(maxsize=1)
def _library_versions() -> dict[str, str]:
    # importlib.metadata reads and parses each package's METADATA file (~20 ms in all): once per process
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("lime-widget", "numpy", "torch", "torchvision", "scikit-image", "scikit-learn"):
        key = "lime_widget" if dist == "lime-widget" else dist
        try:
            out[key] = version(dist)
        except PackageNotFoundError:  # a source tree on sys.path without an install
            out[key] = "unknown"
    return out


def explain(
    image: Any,
    model: Any,
    *,
    num_samples: int | str | None = None,
    max_samples: int | None = None,
    target_stability: float | None = None,
    tie_tolerance: float | None = None,
    refits: int | None = None,
    segmentation: str | SegmentationFn | None = None,
    n_segments: int | None = None,
    segmentation_params: dict[str, Any] | None = None,
    segments: np.ndarray | None = None,
    hide: HideSpec | None = None,
    blur_sigma: float | None = None,
    sampling: str | None = None,
    kernel: str | None = None,
    kernel_width: float | None = None,
    ridge_alpha: float | None = None,
    top_labels: int | None = None,
    classes: Sequence[int | str] | None = None,
    random_state: int | np.random.Generator | None = 0,
    batch_size: int | None = None,
    progress: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    preset: str | ExplainConfig | None = None,
    labels: Sequence[int | str] | None = None,
) -> Explanation:
    """Explain a classifier's prediction on one image with LIME over superpixels.

    image: path, PIL image, numpy (H, W[, C]) or torch (C, H, W) (see :func:`to_rgb_uint8`); never modified.
    model: a :class:`TorchClassifier`, :class:`FunctionClassifier`, a name for :func:`load_model`, or a
    callable on uint8 (n, H, W, 3) batches returning probabilities (n, C).
    num_samples: perturbed images (default 1000), or ``auto``: draw in rounds until the top 5 of the first
    explained class is settled up to ties (weights closer than tie_tolerance, 0.15, times the largest weight count
    as equal), every weight is that precise, or the estimated top-5 stability reaches target_stability (0.9); at
    most max_samples (2000). ``exp.stop_reason`` says which (``settled``, ``precise``, ``stable``,
    ``max_samples``).
    refits: bootstrap refits of the surrogate behind ``weight_std``, ``top_k_confidence`` and ``stability``
    (200; 0 = none; no extra forward passes). segmentation: ``slic`` (default), ``quickshift``,
    ``felzenszwalb``, ``watershed``, ``grid`` or a callable; n_segments and segmentation_params go to it;
    segments: a precomputed integer (H, W) label map instead (relabelled to 0..K-1).
    hide: fill of hidden superpixels: ``mean`` (default), ``black``, ``gray``, ``blur`` (blur_sigma px), a
    colour (r, g, b) / ``#rrggbb``, or a background image. sampling: ``balanced`` (default: randomised
    foldover Hadamard designs), ``paired``, ``stratified``, ``lime`` (each superpixel on with probability
    1/2) or ``matlab`` (random keep threshold); see :mod:`lime_widget.core.sampling`. kernel: ``uniform``
    (default: equal weights), ``lime`` (cosine distance, sqrt(exp(-d²/w²)), w = 0.25) or ``matlab`` (hidden
    fraction, exp(-d²/σ²), σ = 0.35); kernel_width overrides w/σ. ridge_alpha: Ridge penalty (1.0; 0 = least squares). top_labels: explain the k most
    probable classes (5), or classes: explicit class ids or names (``labels`` is its deprecated old name).
    random_state: int seed, Generator or None (a fresh seed, recorded in the result). batch_size: images
    per forward pass (auto). progress: tqdm bar. preset: ``lime``, ``matlab``, ``walkthrough`` or
    ``paper`` (see :mod:`lime_widget.engine.presets`) or an :class:`ExplainConfig`; explicit arguments override it.
    Limits (:mod:`lime_widget.engine.limits`): each size argument has a cap, and the run's arrays must fit a
    memory budget (half the machine's memory, or ``LIME_WIDGET_MEMORY_BUDGET``), checked before they are
    allocated; above either a :class:`~lime_widget.engine.limits.LimitError` (a ValueError) names the argument.
    """
    t0 = time.perf_counter()
    if labels is not None:
        if classes is not None:
            raise TypeError("give classes only (labels is its deprecated old name)")
        warnings.warn("explain(labels=...) is deprecated; use classes=", DeprecationWarning, stacklevel=2)
        classes = labels
    if segments is not None and segmentation not in (None, GIVEN):
        raise ValueError(f"give either segments= (a label map) or segmentation={segmentation!r}, not both")
    cfg = resolve(
        preset,
        num_samples=num_samples,
        max_samples=max_samples,
        target_stability=target_stability,
        tie_tolerance=tie_tolerance,
        refits=refits,
        segmentation=GIVEN if segments is not None else segmentation,
        segmentation_params=segmentation_params,
        n_segments=n_segments,
        hide=hide,
        blur_sigma=blur_sigma,
        sampling=sampling,
        kernel=kernel,
        kernel_width=kernel_width,
        ridge_alpha=ridge_alpha,
        top_labels=top_labels,
        classes=tuple(classes) if isinstance(classes, list) else classes,
    )
    if cfg.segmentation == GIVEN and segments is None:
        raise ValueError("segmentation='given' needs the label map itself: pass segments=")
    positive_int(batch_size, "batch_size", allow_none=True, hint="None: automatic")
    clf = as_classifier(model)
    rng, seed = make_rng(random_state)
    img = to_rgb_uint8(image, max_pixels=max_pixels)
    if clf.class_names is not None and cfg.classes is not None:
        for c in cfg.classes:  # a misspelt class fails before any forward pass
            class_id(c, clf.class_names)

    t_seg = time.perf_counter()
    if segments is not None:
        seg = as_segments(segments, img.shape[:2])
    else:
        seg = segment(img, cfg.segmentation, dict(cfg.segmentation_params), seed=int(rng.integers(0, 2**31 - 1)))

    # the sizes of every large array are known now (C at least when the model names its classes; else it is
    # checked again at the first batch): refuse before the fill, the layers and the sampling allocate them
    n_rows = int(cfg.max_samples if cfg.num_samples == "auto" else cfg.num_samples)
    n_classes = len(clf.class_names) if clf.class_names is not None else 2
    n_explained = len(cfg.classes) if cfg.classes is not None else min(cfg.top_labels, n_classes)
    rows_arg = "max_samples" if cfg.num_samples == "auto" else "num_samples"
    check_memory(
        explanation_parts(n_rows, int(seg.max()) + 1, n_classes, int(cfg.refits), n_explained, cfg.sampling),
        what=f"{rows_arg}={n_rows:,} with {int(seg.max()) + 1:,} superpixels, refits={cfg.refits:,} and "
        f"{n_explained} explained classes",
        lower=f"{rows_arg}, refits, top_labels or the number of superpixels"
        + (" (or use sampling='lime', whose masks need no Hadamard matrix)" if cfg.sampling == "balanced" else ""),
    )

    t_fill = time.perf_counter()
    fill = fill_image(img, seg, cfg.hide, blur_sigma=cfg.blur_sigma)
    composer = Composer(img, seg, fill, clf)
    inert = composer.inert_segments()
    if inert.all():
        raise DegenerateExplanationError(
            "hiding any superpixel leaves the model's input unchanged, so every weight would be 0: the fill "
            f"equals the image ({_describe_hide(cfg)}) or the superpixels are finer than the model's input "
            f"{composer.input_size}; choose another hide= (e.g. 'gray'), a blur_sigma > 0, or fewer superpixels"
        )
    if inert.any():
        warnings.warn(
            f"{int(inert.sum())} of {inert.size} superpixels cannot change the model's input when hidden (the fill "
            f"equals the image there, or they are finer than the model's input {composer.input_size}); their "
            "weights are noise. They are flagged in exp.inert_segments; consider fewer superpixels or another hide=",
            DegenerateExplanationWarning,
            stacklevel=2,
        )

    if clf.class_names is None and cfg.classes is not None:
        # unnamed classes: one forward pass of the original tells how many there are, before the sampling
        names = clf.names(composer.score(np.ones((1, composer.n_segments), dtype=bool)).shape[1])
        for c in cfg.classes:
            class_id(c, names)

    def choose(probs: np.ndarray) -> list[int]:
        names = clf.names(probs.shape[0])
        if cfg.classes is not None:
            return [class_id(c, names) for c in cfg.classes]
        return [int(i) for i in top_k(probs, cfg.top_labels)]

    t_model = time.perf_counter()
    run = draw_samples(composer, cfg, rng, lambda p: choose(p)[0], batch_size=batch_size, progress=progress)
    masks, scores, kweights = run.masks, run.scores, run.kernel_weights

    t_fit = time.perf_counter()
    probs = scores[0].copy()
    names = clf.names(probs.shape[0])
    chosen = choose(probs)
    fit = fit_surrogate(masks, scores[:, chosen], kweights, alpha=float(cfg.ridge_alpha))
    draws = None
    if cfg.refits:
        refit_rng = rng
        if run.refit_state is not None:  # an auto run: the refits its stopping rule saw, for the first class
            refit_rng = np.random.default_rng()
            refit_rng.bit_generator.state = run.refit_state
        draws = bootstrap_coefs(
            masks,
            scores[:, chosen],
            kweights,
            float(cfg.ridge_alpha),
            refit_rng,
            draws=cfg.refits,
            paired=cfg.sampling in PAIRED_SCHEMES,
        )
    t_end = time.perf_counter()

    return Explanation(
        image=img,
        segments=seg,
        fill=fill,
        probabilities=probs,
        class_names=names,
        top_labels=chosen,
        coef=fit.coef,
        intercepts=fit.intercept,
        r2_scores=fit.r2,
        local_predictions=fit.local_prediction,
        masks=masks,
        sample_scores=scores[:, chosen].copy(),
        distances=run.distances,
        kernel_weights=kweights,
        coef_draws=draws,
        stop_reason=run.stop_reason,
        sampling_trace=list(run.trace),
        config=cfg,
        seed=seed,
        model_input_size=composer.input_size,
        model_output=clf.output,
        batch_size=batch_size or clf.auto_batch_size(*composer.input_size),
        versions=library_versions(),
        timings={
            "segmentation": t_fill - t_seg,
            "prepare": t_model - t_fill,
            "model": t_fit - t_model,
            "fit": t_end - t_fit,
            "total": t_end - t0,
        },
        composer=composer,
        inert_segments=inert,
    )


class DegenerateExplanationError(ValueError):
    """The settings make every weight zero: hiding a superpixel cannot change what the model sees."""


class DegenerateExplanationWarning(UserWarning):
    """Some superpixels cannot change what the model sees when hidden; their weights are noise."""


def _describe_hide(cfg: ExplainConfig) -> str:
    if cfg.hide == "blur":
        return f"hide='blur', blur_sigma={cfg.blur_sigma}"
    return f"hide={cfg.hide!r}" if isinstance(cfg.hide, str) else "the hide colour or image"
