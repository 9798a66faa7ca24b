"""Named parameter sets that reproduce the reference recipes (see README, "Presets"), as
:class:`~lime_widget.engine.config.ExplainConfig` instances, and :func:`resolve`, which merges a preset with the
caller's explicit arguments."""

from __future__ import annotations

from typing import Any

from .config import ExplainConfig

#: The library defaults: what every parameter a preset and the caller leave unset takes.
DEFAULT = ExplainConfig()

# marcotcr/lime 0.2.0.1's LimeImageExplainer defaults.
_LIME = ExplainConfig(
    segmentation="quickshift",
    segmentation_params={"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
    hide="mean",
    sampling="lime",
    kernel="lime",
    kernel_width=0.25,
    ridge_alpha=1.0,
    num_samples=1000,
    top_labels=5,
    preset="lime",
)

PRESETS: dict[str, ExplainConfig] = {
    "lime": _LIME,
    # Recipe 1, the MATLAB demo: ~75 SLIC superpixels, 1000 samples with a random keep threshold, black
    # fill, fraction-hidden distance with exp(-d^2/0.35^2), plain weighted least squares, and a smoothed
    # positive-only jet heatmap with cyan boundaries.
    "matlab": ExplainConfig(
        segmentation="slic",
        segmentation_params={"n_segments": 75},
        hide="black",
        sampling="matlab",
        kernel="matlab",
        kernel_width=0.35,
        ridge_alpha=0.0,
        num_samples=1000,
        figure_style="matlab",
        preset="matlab",
    ),
    # Recipe 2, the Python walk-through: lime's quickshift(4, 200, 0.2) and cosine kernel sqrt(exp(-d^2/0.25^2)),
    # 150 samples with each superpixel on or off with probability 1/2, black fill (image * mask), plain
    # weighted linear regression, top 4 superpixels shown.
    "walkthrough": _LIME.replace(
        hide="black", ridge_alpha=0.0, num_samples=150, figure_style="top4", preset="walkthrough"
    ),
    # Recipe 3, the LIME paper's figures: lime's settings with a gray fill, top positive superpixels for each
    # of the top 3 classes.
    "paper": _LIME.replace(hide="gray", top_labels=3, figure_style="top", preset="paper"),
}


def preset(name: str) -> ExplainConfig:
    """The :class:`ExplainConfig` of a named preset: ``lime``, ``matlab``, ``walkthrough`` or ``paper``."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def resolve(preset_name: str | ExplainConfig | None = None, **explicit: Any) -> ExplainConfig:
    """The library defaults, then the preset (a name or an ExplainConfig), then every explicit argument
    that is not None. ``n_segments`` is merged into ``segmentation_params``."""
    base = (
        DEFAULT
        if preset_name is None
        else preset_name
        if isinstance(preset_name, ExplainConfig)
        else preset(preset_name)
    )
    changes = {key: value for key, value in explicit.items() if value is not None}
    n_segments = changes.pop("n_segments", None)
    if n_segments is not None:
        changes["segmentation_params"] = {**dict(changes.get("segmentation_params") or {}), "n_segments": n_segments}
    return base.replace(**changes)
