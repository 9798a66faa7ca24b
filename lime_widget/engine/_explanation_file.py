"""The JSON file of an explanation (format 2; format 1 is read and upgraded): writing it, and reading it back
without trusting it. :class:`~lime_widget.engine.explanation.Explanation` keeps ``to_json`` / ``from_json`` /
``save_json`` / ``load_json``; they call the two functions here."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np

from ..core._json import (
    MAX_DRAW_VALUES,
    ExplanationFormatError,
    fail,
    get,
    read_floats,
    read_int,
    read_mask_bits,
    read_packed,
    read_png,
    read_str,
)
from ..core.images import encode_png
from .config import ExplainConfig

# The format id of the file, written and checked as is: it predates the package layout and must not follow it.
FORMAT = "lime_widget.explanation"
FORMAT_VERSION = 2


def explanation_json(exp: Any, indent: int | None = None) -> str:
    """The JSON text of an explanation (every field; see ``Explanation.to_json``)."""
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "image_png": _b64(encode_png(exp.image)),
        "fill_png": _b64(encode_png(exp.fill)),
        "segments": _pack_array(exp.segments),
        "probabilities": exp.probabilities.tolist(),
        "class_names": list(exp.class_names),
        "top_labels": [int(x) for x in exp.top_labels],
        "coef": exp.coef.tolist(),
        "intercepts": exp.intercepts.tolist(),
        "r2_scores": exp.r2_scores.tolist(),
        "local_predictions": exp.local_predictions.tolist(),
        "masks": {"shape": list(exp.masks.shape), "bits": _b64(np.packbits(exp.masks, axis=None).tobytes())},
        "sample_scores": exp.sample_scores.tolist(),
        "distances": exp.distances.tolist(),
        "kernel_weights": exp.kernel_weights.tolist(),
        "coef_draws": None if exp.coef_draws is None else _pack_array(exp.coef_draws),
        "stop_reason": exp.stop_reason,
        "sampling_trace": [[int(n), float(v)] for n, v in exp.sampling_trace],
        "inert_segments": None if exp.inert_segments is None else [int(i) for i in np.flatnonzero(exp.inert_segments)],
        "config": exp.config.to_dict(),
        "seed": int(exp.seed),
        "model_input_size": [int(x) for x in exp.model_input_size],
        "model_output": exp.model_output,
        "batch_size": int(exp.batch_size),
        "versions": dict(exp.versions),
        "timings": dict(exp.timings),
    }
    return json.dumps(data, indent=indent)


def explanation_fields(text: str | bytes, *, max_pixels: int, max_cells: int) -> dict[str, Any]:
    """The fields of an explanation (``Explanation(**fields)``) read from its JSON text, each one checked
    (see ``Explanation.from_json``); raises :class:`~lime_widget.core._json.ExplanationFormatError`."""
    try:
        data = json.loads(text)
    except RecursionError as err:
        raise ExplanationFormatError("file: nested too deeply to be an explanation") from err
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as err:
        raise ExplanationFormatError(f"file: not JSON ({err})") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExplanationFormatError(
            "format: this JSON is not a lime_widget explanation (missing 'format': 'lime_widget.explanation')"
        )
    if data.get("format_version") == 1:
        try:
            data = _upgrade_v1(data)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise ExplanationFormatError(f"format_version 1 file: {type(err).__name__}: {err}") from err
    if data.get("format_version") != FORMAT_VERSION:
        raise ExplanationFormatError(
            f"format_version: {data.get('format_version')!r} is not supported (this version reads 1 and "
            f"{FORMAT_VERSION}); update lime_widget"
        )
    return _read_fields(data, max_pixels=max_pixels, max_cells=max_cells)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _pack_array(a: np.ndarray) -> dict[str, Any]:
    return {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "zlib": _b64(zlib.compress(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes(), 6)),
    }


STOP_REASONS = ("fixed", "settled", "precise", "stable", "max_samples")


def _read_fields(data: dict[str, Any], *, max_pixels: int, max_cells: int) -> dict[str, Any]:
    """Every field of a format-2 file, validated and consistent with the others (see ``from_json``)."""
    masks = read_mask_bits(get(data, "masks"), "masks", max_cells=max_cells)
    n, k = masks.shape
    image = read_png(get(data, "image_png"), "image_png", max_pixels=max_pixels)
    fill = read_png(get(data, "fill_png"), "fill_png", max_pixels=max_pixels)
    if fill.shape != image.shape:
        raise fail("fill_png", f"is {fill.shape[1]}x{fill.shape[0]} but the image is {image.shape[1]}x{image.shape[0]}")
    segments = read_packed(get(data, "segments"), "segments", max_values=image.shape[0] * image.shape[1], ndim=2)
    if segments.shape != image.shape[:2]:
        raise fail("segments", f"has shape {segments.shape} but the image is {image.shape[:2]}")
    if not np.issubdtype(segments.dtype, np.integer):
        raise fail("segments", f"must hold integer ids; got {segments.dtype}")
    if segments.min() < 0 or segments.max() != k - 1 or not np.all(np.bincount(segments.ravel().astype(np.intp)) > 0):
        raise fail("segments", f"must use every id 0..{k - 1} (the masks have {k} superpixels) and no other")
    names = get(data, "class_names")
    if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
        raise fail("class_names", "must be a non-empty list of strings")
    c = len(names)
    probabilities = read_floats(get(data, "probabilities"), "probabilities", (c,))
    if probabilities.min() < -1e-6 or probabilities.max() > 1 + 1e-6:
        raise fail("probabilities", "must lie in [0, 1]")
    labels = get(data, "top_labels")
    if not isinstance(labels, list) or not labels:
        raise fail("top_labels", "must be a non-empty list of class ids")
    top_labels = [read_int(x, "top_labels", minimum=0, maximum=c - 1) for x in labels]
    if len(set(top_labels)) != len(top_labels):
        raise fail("top_labels", "repeats a class")
    n_labels = len(top_labels)
    draws = None
    if data.get("coef_draws") is not None:
        draws = read_packed(data["coef_draws"], "coef_draws", max_values=MAX_DRAW_VALUES, ndim=3)
        if draws.shape[0] < 2 or draws.shape[1:] != (n_labels, k) or draws.dtype != np.float64:
            raise fail("coef_draws", f"must be float64 (refits >= 2, {n_labels}, {k}); got {draws.dtype} {draws.shape}")
    kernel_weights = read_floats(get(data, "kernel_weights"), "kernel_weights", (n,))
    if kernel_weights.min() < 0:
        raise fail("kernel_weights", "must be non-negative")
    trace = data.get("sampling_trace", [])
    if not isinstance(trace, list) or not all(isinstance(t, list) and len(t) == 2 for t in trace):
        raise fail("sampling_trace", "must be a list of [samples, stability] pairs")
    size = get(data, "model_input_size")
    if not isinstance(size, list) or len(size) != 2:
        raise fail("model_input_size", f"must be [height, width]; got {size!r}")
    versions, timings = data.get("versions", {}), data.get("timings", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise fail("versions", "must map library names to version strings")
    if not isinstance(timings, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in timings.values()
    ):
        raise fail("timings", "must map steps to seconds")
    try:
        stored_config = get(data, "config")
        if isinstance(stored_config, dict):
            # files written before the tie tolerance existed: the value their auto runs did not use
            stored_config = {"tie_tolerance": ExplainConfig.tie_tolerance, **stored_config}
        config = ExplainConfig.from_dict(stored_config, complete=True)
    except (TypeError, ValueError) as err:
        raise fail("config", str(err)) from err
    return {
        "image": image,
        "segments": segments.astype(np.int32),
        "fill": fill,
        "probabilities": probabilities,
        "class_names": list(names),
        "top_labels": top_labels,
        "coef": read_floats(get(data, "coef"), "coef", (n_labels, k)),
        "intercepts": read_floats(get(data, "intercepts"), "intercepts", (n_labels,)),
        "r2_scores": read_floats(get(data, "r2_scores"), "r2_scores", (n_labels,)),
        "local_predictions": read_floats(get(data, "local_predictions"), "local_predictions", (n_labels,)),
        "masks": masks,
        "sample_scores": read_floats(get(data, "sample_scores"), "sample_scores", (n, n_labels)),
        "distances": read_floats(get(data, "distances"), "distances", (n,)),
        "kernel_weights": kernel_weights,
        "coef_draws": draws,
        "stop_reason": read_str(data.get("stop_reason", "fixed"), "stop_reason", STOP_REASONS),
        "inert_segments": _read_inert(data.get("inert_segments"), k),
        "sampling_trace": [
            (read_int(t[0], "sampling_trace", minimum=1), float(read_floats([t[1]], "sampling_trace", (1,))[0]))
            for t in trace
        ],
        "config": config,
        "seed": read_int(get(data, "seed"), "seed", minimum=0),
        "model_input_size": (
            read_int(size[0], "model_input_size", minimum=1),
            read_int(size[1], "model_input_size", minimum=1),
        ),
        "model_output": read_str(get(data, "model_output"), "model_output", ("logits", "probabilities")),
        "batch_size": read_int(get(data, "batch_size"), "batch_size", minimum=1),
        "versions": dict(versions),
        "timings": {key: float(v) for key, v in timings.items()},
    }


def _read_inert(value: Any, k: int) -> np.ndarray | None:
    """The ids of inert superpixels (a list of ints in 0..K-1) as bool (K,)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise fail("inert_segments", "must be a list of superpixel ids")
    out = np.zeros(k, dtype=bool)
    out[[read_int(i, "inert_segments", minimum=0, maximum=k - 1) for i in value]] = True
    return out


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Read a format-1 file (lime_widget 0.1.0): its config was a flat dict with the run facts mixed in."""
    old = dict(data["config"])

    def stored(value: Any) -> Any:
        # format 1 wrote "callable" for a function and "image" for a background image
        if value == "callable":
            return {"unstored": "function", "name": "a function (format 1)"}
        if value == "image":
            return {"unstored": "image", "name": "a background image (format 1)"}
        return value

    config = {
        "num_samples": old["num_samples"],
        "max_samples": 2000,
        "target_stability": 0.9,
        "tie_tolerance": ExplainConfig.tie_tolerance,
        "refits": 0,  # format 1 had no refits
        "segmentation": stored(old["segmentation"]),
        "segmentation_params": old.get("segmentation_params") or {},
        "hide": stored(old["hide"]),
        "blur_sigma": old.get("blur_sigma"),
        "sampling": old["sampling"],
        "kernel": stored(old["kernel"]),
        "kernel_width": old.get("kernel_width"),
        "ridge_alpha": old["ridge_alpha"],
        "top_labels": max(1, int(old.get("top_labels", 5))),
        "classes": None,
        "figure_style": old.get("figure_style", "default"),
        "preset": old.get("preset"),
    }
    out = dict(data)
    out["format_version"] = FORMAT_VERSION
    out["class_names"] = data["label_names"]
    out["config"] = config
    out["model_input_size"] = old["model_input_size"]
    out["model_output"] = old["model_output"]
    out["batch_size"] = old["batch_size"]
    return out
