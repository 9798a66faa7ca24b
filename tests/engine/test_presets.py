"""Presets are ExplainConfig instances; resolve merges them with explicit arguments."""

from __future__ import annotations

import pytest

import lime_widget as lw
from lime_widget.engine.presets import DEFAULT, PRESETS, resolve


def test_presets_resolve_and_explicit_arguments_win():
    cfg = resolve("matlab", num_samples=50, hide=None)
    assert cfg.num_samples == 50 and cfg.hide == "black" and cfg.kernel == "matlab" and cfg.preset == "matlab"
    # the preset's quickshift parameters belong to quickshift: another method starts from its own defaults
    assert resolve("lime", segmentation="slic").segmentation_params == {}
    assert resolve("lime").segmentation_params == {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}
    assert resolve("matlab", n_segments=30).segmentation_params == {"n_segments": 30}
    assert resolve(None) == DEFAULT and resolve(PRESETS["paper"]) == PRESETS["paper"]
    with pytest.raises(ValueError, match="unknown preset"):
        lw.preset("nope")


def test_presets_reproduce_the_reference_recipes():
    lime = lw.preset("lime")
    assert (lime.segmentation, lime.hide, lime.kernel_width, lime.ridge_alpha, lime.num_samples) == (
        "quickshift",
        "mean",
        0.25,
        1.0,
        1000,
    )
    matlab = lw.preset("matlab")
    assert (matlab.sampling, matlab.kernel, matlab.kernel_width, matlab.ridge_alpha, matlab.hide) == (
        "matlab",
        "matlab",
        0.35,
        0.0,
        "black",
    )
    assert lw.preset("walkthrough").num_samples == 150 and lw.preset("paper").top_labels == 3


def test_indexing_a_preset_like_a_dict_is_deprecated():
    with pytest.warns(DeprecationWarning, match="ExplainConfig"):
        assert lw.preset("lime")["hide"] == "mean"
