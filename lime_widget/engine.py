"""``explain``: image + model -> :class:`Explanation`, wiring the layers together."""

from __future__ import annotations

import functools
import platform
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import __version__
from .classifiers import Classifier, FunctionClassifier
from .explanation import Explanation
from .images import DEFAULT_MAX_PIXELS, to_rgb_uint8
from .kernels import sample_weights
from .perturb import Composer, HideSpec, describe_hide, fill_image
from .presets import resolve
from .sampling import sample_masks
from .segmentation import SegmentationFn, relabel, segment
from .surrogate import fit_surrogate


def as_classifier(model: Any) -> Classifier:
    """Accept a Classifier, a model name for :func:`load_model`, or a callable on uint8 (n, H, W, 3) batches."""
    if isinstance(model, Classifier):
        return model
    if isinstance(model, str):
        from .models import load_model

        return load_model(model)
    try:
        import torch

        if isinstance(model, torch.nn.Module):
            raise TypeError(
                "wrap a torch module so its preprocessing is known: lw.TorchClassifier(module, "
                "transform=weights.transforms(), labels=weights.meta['categories'])"
            )
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if callable(model):
        return FunctionClassifier(model)
    raise TypeError(f"model must be a lime_widget classifier, a model name or a callable; got {type(model).__name__}")


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
    from importlib.metadata import version

    out = {"lime_widget": __version__, "python": platform.python_version()}
    for dist in ("numpy", "torch", "torchvision", "scikit-image", "scikit-learn"):
        out[dist] = version(dist)
    return out


def explain(
    image: Any,
    model: Any,
    *,
    num_samples: int | None = None,
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
    labels: Sequence[int | str] | None = None,
    random_state: int | np.random.Generator | None = 0,
    batch_size: int | None = None,
    progress: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    preset: str | None = None,
) -> Explanation:
    """Explain a classifier's prediction on one image with LIME over superpixels.

    image: path, PIL image, numpy (H, W[, C]) or torch (C, H, W) (see :func:`to_rgb_uint8`); never modified.
    model: a :class:`TorchClassifier`, :class:`FunctionClassifier`, a name for :func:`load_model`, or a
    callable on uint8 (n, H, W, 3) batches returning probabilities (n, C).
    num_samples: perturbed images (default 1000). segmentation: ``slic`` (default), ``quickshift``,
    ``felzenszwalb``, ``watershed``, ``grid`` or a callable; n_segments and segmentation_params go to it;
    segments: a precomputed integer (H, W) label map instead (relabelled to 0..K-1).
    hide: fill of hidden superpixels: ``mean`` (default), ``black``, ``gray``, ``blur`` (blur_sigma px), a
    colour (r, g, b) / ``#rrggbb``, or a background image. sampling: ``lime`` (each superpixel on with
    probability 1/2, default) or ``matlab`` (random keep threshold). kernel: ``lime`` (cosine distance,
    sqrt(exp(-d²/w²)), w = 0.25) or ``matlab`` (hidden fraction, exp(-d²/σ²), σ = 0.35); kernel_width
    overrides w/σ. ridge_alpha: Ridge penalty (1.0; 0 = least squares). top_labels: explain the k most
    probable classes (5), or labels: explicit class ids or names. random_state: int seed, Generator or None
    (a fresh seed, recorded in the result). batch_size: images per forward pass (auto). progress: tqdm bar.
    preset: ``lime``, ``matlab``, ``walkthrough`` or ``paper`` (see :mod:`lime_widget.presets`); explicit
    arguments override it.
    """
    t0 = time.perf_counter()
    seg_params = dict(segmentation_params or {})
    if n_segments is not None:
        seg_params["n_segments"] = int(n_segments)
    cfg = resolve(
        preset,
        {
            "num_samples": num_samples,
            "segmentation": segmentation,
            "segmentation_params": seg_params or None,
            "hide": hide,
            "sampling": sampling,
            "kernel": kernel,
            "kernel_width": kernel_width,
            "ridge_alpha": ridge_alpha,
            "top_labels": top_labels,
        },
    )
    n = int(cfg["num_samples"])
    if n < 2:
        raise ValueError(f"num_samples must be at least 2; got {n}")
    if labels is None and int(cfg["top_labels"]) < 1:
        raise ValueError(f"top_labels must be at least 1; got {cfg['top_labels']}")
    clf = as_classifier(model)
    rng, seed = make_rng(random_state)
    img = to_rgb_uint8(image, max_pixels=max_pixels)

    t_seg = time.perf_counter()
    if segments is not None:
        seg = _as_label_map(segments)
        if seg.shape != img.shape[:2]:
            raise ValueError(f"segments has shape {seg.shape} but the image is {img.shape[:2]}")
        seg_name: Any = "given"
    else:
        method = cfg["segmentation"]
        seg = segment(img, method, cfg["segmentation_params"], seed=int(rng.integers(0, 2**31 - 1)))
        seg_name = method if isinstance(method, str) else getattr(method, "__name__", "callable")
    k = int(seg.max()) + 1
    if k < 2:
        raise ValueError("the segmentation has a single superpixel; nothing can be switched off")

    t_fill = time.perf_counter()
    fill = fill_image(img, seg, cfg["hide"], blur_sigma=blur_sigma)
    composer = Composer(img, seg, fill, clf)
    masks = sample_masks(n, k, rng, cfg["sampling"])
    distances, kweights = sample_weights(masks, cfg["kernel"], cfg["kernel_width"])

    t_model = time.perf_counter()
    scores = composer.score(masks, batch_size=batch_size, progress=progress)

    t_fit = time.perf_counter()
    probs = scores[0].copy()
    names = clf.label_names(probs.shape[0])
    if labels is not None:
        chosen = [class_id(x, names) for x in labels]
        if not chosen:
            raise ValueError("labels must name at least one class")
    else:
        chosen = [int(i) for i in np.argsort(-probs, kind="stable")[: int(cfg["top_labels"])]]
    fit = fit_surrogate(masks, scores[:, chosen], kweights, alpha=float(cfg["ridge_alpha"]))
    t_end = time.perf_counter()

    config = {
        "num_samples": n,
        "segmentation": seg_name,
        "segmentation_params": _jsonable(cfg["segmentation_params"]),
        "n_segments": k,
        "hide": describe_hide(cfg["hide"]),
        "blur_sigma": blur_sigma,
        "sampling": cfg["sampling"],
        "kernel": cfg["kernel"] if isinstance(cfg["kernel"], str) else "callable",
        "kernel_width": cfg["kernel_width"],
        "ridge_alpha": float(cfg["ridge_alpha"]),
        "top_labels": len(chosen),
        "labels": chosen,
        "random_state": seed,
        "batch_size": batch_size or clf.auto_batch_size(*composer.input_size),
        "model_input_size": list(composer.input_size),
        "model_output": clf.output,
        "preset": preset,
        "figure_style": cfg["figure_style"],
    }
    timings = {
        "segmentation": t_fill - t_seg,
        "prepare": t_model - t_fill,
        "model": t_fit - t_model,
        "fit": t_end - t_fit,
        "total": t_end - t0,
    }
    return Explanation(
        image=img,
        segments=seg,
        fill=fill,
        probabilities=probs,
        label_names=names,
        top_labels=chosen,
        coef=fit.coef,
        intercepts=fit.intercept,
        r2_scores=fit.r2,
        local_predictions=fit.local_prediction,
        masks=masks,
        sample_scores=scores[:, chosen].copy(),
        distances=distances,
        kernel_weights=kweights,
        config=config,
        seed=seed,
        versions=library_versions(),
        timings=timings,
        _composer=composer,
    )


def _as_label_map(segments: np.ndarray) -> np.ndarray:
    """A new int32 copy of segments with ids 0..K-1: what :func:`relabel` returns, without its sort when the
    ids are already consecutive from 0 (always the case for lime_widget's own segmentations)."""
    arr = np.asarray(segments)
    if arr.ndim == 2 and arr.size and np.issubdtype(arr.dtype, np.integer):
        lo, hi = int(arr.min()), int(arr.max())
        if lo == 0 and hi < arr.size and np.all(np.bincount(arr.ravel().astype(np.intp, copy=False)) > 0):
            return arr.astype(np.int32)
    return relabel(arr)


def class_id(label: int | str, names: list[str]) -> int:
    """The class id of a name or an id, checked against the model's C class names."""
    if isinstance(label, str):
        if label not in names:
            raise ValueError(f"unknown class name {label!r}")
        return names.index(label)
    i = int(label)
    if not 0 <= i < len(names):
        raise ValueError(f"class id {i} is out of range; the model has {len(names)} classes")
    return i


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out
