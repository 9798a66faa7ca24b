"""ExplainConfig: one typed, frozen, validated set of parameters; JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.engine.config import ExplainConfig, Unstored


def test_defaults_are_the_documented_ones():
    cfg = ExplainConfig()
    assert (cfg.num_samples, cfg.segmentation, cfg.hide, cfg.sampling, cfg.kernel, cfg.ridge_alpha) == (
        1000,
        "slic",
        "mean",
        "balanced",
        "uniform",
        1.0,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.num_samples = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"num_samples": 1}, ValueError, "num_samples"),
        ({"num_samples": 2.9}, TypeError, "num_samples must be an integer"),
        ({"num_samples": True}, TypeError, "num_samples"),
        ({"segmentation": "slick"}, ValueError, "segmentation='slick'"),
        ({"segmentation": 3}, TypeError, "segmentation"),
        ({"segmentation_params": {"n_segments": 0}}, ValueError, "n_segments"),
        ({"segmentation_params": [1]}, TypeError, "segmentation_params"),
        ({"hide": "purple"}, ValueError, "hide mode"),
        ({"hide": (1, 2)}, ValueError, "three numbers"),
        ({"hide": "#12345"}, ValueError, "rrggbb"),
        ({"blur_sigma": -1.0}, ValueError, "blur_sigma"),
        ({"sampling": "sobol"}, ValueError, "sampling"),
        ({"kernel": "gauss"}, ValueError, "kernel"),
        ({"kernel_width": 0.0}, ValueError, "kernel_width"),
        ({"ridge_alpha": -1.0}, ValueError, "ridge_alpha"),
        ({"ridge_alpha": float("nan")}, ValueError, "ridge_alpha"),
        ({"ridge_alpha": "1"}, TypeError, "ridge_alpha"),
        ({"top_labels": 0}, ValueError, "top_labels"),
        ({"classes": "abc"}, TypeError, "classes must be a list"),
        ({"classes": ()}, ValueError, "classes"),
        ({"classes": (1, 1)}, ValueError, "repeats"),
        ({"classes": (1.5,)}, TypeError, "classes"),
        ({"figure_style": "fancy"}, ValueError, "figure_style"),
        ({"tie_tolerance": -0.1}, ValueError, r"tie_tolerance must be a finite number >= 0; got -0.1"),
        ({"tie_tolerance": 1}, ValueError, r"tie_tolerance is a share of the largest weight, in \[0, 1\); got 1 "),
        ({"tie_tolerance": 1.5}, ValueError, r"tie_tolerance .*in \[0, 1\); got 1.5"),
        ({"tie_tolerance": float("nan")}, ValueError, "tie_tolerance must be a finite number >= 0; got nan"),
        ({"tie_tolerance": float("inf")}, ValueError, "tie_tolerance must be a finite number"),
        ({"tie_tolerance": "0.1"}, TypeError, "tie_tolerance must be a number; got str"),
        ({"tie_tolerance": None}, TypeError, "tie_tolerance must be a number"),
        ({"tie_tolerance": True}, TypeError, "tie_tolerance must be a number; got bool"),
    ],
)
def test_every_field_is_validated_with_a_message_naming_it(changes, error, message):
    with pytest.raises(error, match=message):
        ExplainConfig(**changes)


def test_the_tie_tolerance_defaults_to_a_tenth_and_takes_0_up_to_below_1():
    assert ExplainConfig().tie_tolerance == 0.15
    for ok in (0, 0.0, 0.5, 0.999):
        assert ExplainConfig(tie_tolerance=ok).tie_tolerance == ok
    cfg = ExplainConfig(tie_tolerance=0.25)
    assert cfg.to_dict()["tie_tolerance"] == 0.25
    assert ExplainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_replace_validates_and_refuses_unknown_fields():
    cfg = ExplainConfig().replace(num_samples=50, hide="#ff0000")
    assert cfg.num_samples == 50 and cfg.hide == (255.0, 0.0, 0.0)
    with pytest.raises(TypeError, match="no field"):
        ExplainConfig().replace(n_samples=5)
    with pytest.raises(ValueError, match="num_samples"):
        ExplainConfig().replace(num_samples=0)


def test_dict_round_trip_and_unstored_values():
    cfg = ExplainConfig(segmentation_params={"n_segments": 30}, hide=(1, 2, 3), classes=(3, "cat"), preset=None)
    assert ExplainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg

    def my_segmenter(image):
        return np.zeros(image.shape[:2], int)

    custom = ExplainConfig(segmentation=my_segmenter, hide=np.zeros((4, 4, 3), np.uint8))
    back = ExplainConfig.from_dict(json.loads(json.dumps(custom.to_dict())))
    assert isinstance(back.segmentation, Unstored) and back.segmentation.name == "my_segmenter"
    assert isinstance(back.hide, Unstored) and back.hide.kind == "image"
    with pytest.raises(RuntimeError, match="cannot hold"):
        back.segmentation(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="unknown ExplainConfig field"):
        ExplainConfig.from_dict({"bogus": 1})


def test_explain_stores_the_config_it_used_and_accepts_one_as_preset():
    img = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    clf = lw.FunctionClassifier(lambda b: np.tile([0.25, 0.75], (len(b), 1)))
    base = ExplainConfig(num_samples=12, segmentation="grid", segmentation_params={"n_segments": 16}, hide="gray")
    exp = lw.explain(img, clf, preset=base, ridge_alpha=0.5, progress=False)
    assert exp.config == base.replace(ridge_alpha=0.5)
    assert exp.n_samples == 12 and exp.n_segments == 16


def test_explain_takes_the_tie_tolerance_and_its_status_uses_it():
    img = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    clf = lw.FunctionClassifier(lambda b: np.stack([b.mean(axis=(1, 2, 3)) / 255, 1 - b.mean(axis=(1, 2, 3)) / 255], 1))
    exp = lw.explain(
        img, clf, num_samples=40, segmentation="grid", n_segments=16, hide="gray", tie_tolerance=0.3, progress=False
    )
    assert exp.config.tie_tolerance == 0.3
    assert exp.top_k_status().tolerance == pytest.approx(0.3 * np.abs(exp.weights()).max())
    with pytest.raises(ValueError, match="tie_tolerance"):
        lw.explain(img, clf, num_samples=40, segmentation="grid", tie_tolerance=1.0, progress=False)
