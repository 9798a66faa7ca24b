"""Named parameter sets that reproduce the reference recipes (see README, "Presets")."""

from __future__ import annotations

from typing import Any

#: Library defaults, used for every parameter a preset and the caller leave unset.
DEFAULTS: dict[str, Any] = {
    "num_samples": 1000,
    "segmentation": "slic",
    "segmentation_params": {},
    "hide": "mean",
    "sampling": "lime",
    "kernel": "lime",
    "kernel_width": None,
    "ridge_alpha": 1.0,
    "top_labels": 5,
    "figure_style": "default",
}

PRESETS: dict[str, dict[str, Any]] = {
    # marcotcr/lime 0.2.0.1's LimeImageExplainer defaults.
    "lime": {
        "segmentation": "quickshift",
        "segmentation_params": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
        "hide": "mean",
        "sampling": "lime",
        "kernel": "lime",
        "kernel_width": 0.25,
        "ridge_alpha": 1.0,
        "num_samples": 1000,
        "top_labels": 5,
    },
    # Recipe 1, the MATLAB demo: ~75 SLIC superpixels, 1000 samples with a random keep threshold, black
    # fill, fraction-hidden distance with exp(-d^2/0.35^2), plain weighted least squares, and a smoothed
    # positive-only jet heatmap with cyan boundaries.
    "matlab": {
        "segmentation": "slic",
        "segmentation_params": {"n_segments": 75},
        "hide": "black",
        "sampling": "matlab",
        "kernel": "matlab",
        "kernel_width": 0.35,
        "ridge_alpha": 0.0,
        "num_samples": 1000,
        "figure_style": "matlab",
    },
    # Recipe 2, the Python walk-through: quickshift(4, 200, 0.2), 150 samples with each superpixel on or
    # off with probability 1/2, black fill (image * mask), cosine distance with sqrt(exp(-d^2/0.25^2)),
    # plain weighted linear regression, top 4 superpixels shown.
    "walkthrough": {
        "segmentation": "quickshift",
        "segmentation_params": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
        "hide": "black",
        "sampling": "lime",
        "kernel": "lime",
        "kernel_width": 0.25,
        "ridge_alpha": 0.0,
        "num_samples": 150,
        "top_labels": 5,
        "figure_style": "top4",
    },
    # Recipe 3, the LIME paper's figures: gray fill, top positive superpixels for each of the top 3 classes.
    "paper": {
        "segmentation": "quickshift",
        "segmentation_params": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
        "hide": "gray",
        "sampling": "lime",
        "kernel": "lime",
        "kernel_width": 0.25,
        "ridge_alpha": 1.0,
        "num_samples": 1000,
        "top_labels": 3,
        "figure_style": "top",
    },
}


def preset(name: str) -> dict[str, Any]:
    """Parameters of a named preset (``lime``, ``matlab``, ``walkthrough``, ``paper``) as a new dict."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    out = dict(PRESETS[name])
    out["segmentation_params"] = dict(out.get("segmentation_params", {}))
    return out


def resolve(preset_name: str | None, explicit: dict[str, Any]) -> dict[str, Any]:
    """Merge library defaults, then the preset, then every explicit (non-None) argument."""
    merged = dict(DEFAULTS)
    merged["segmentation_params"] = {}
    if preset_name is not None:
        merged.update(preset(preset_name))
        chosen = explicit.get("segmentation")
        if chosen is not None and chosen != merged["segmentation"]:
            merged["segmentation_params"] = {}  # the preset's parameters belong to its own method
    for key, value in explicit.items():
        if value is None:
            continue
        if key == "segmentation_params":
            merged["segmentation_params"] = {**merged["segmentation_params"], **value}
        else:
            merged[key] = value
    return merged
