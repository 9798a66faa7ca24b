"""The JSON file of an explanation (lime_widget.engine._explanation_file): format 2 written and read back
exactly, format 1 read and upgraded, a fixed format tag, and files that are not explanations refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core._json import MAX_CELLS, ExplanationFormatError
from lime_widget.core.images import DEFAULT_MAX_PIXELS
from lime_widget.engine._explanation_file import (
    FORMAT,
    FORMAT_VERSION,
    STOP_REASONS,
    explanation_fields,
    explanation_json,
)
from lime_widget.engine.config import ExplainConfig
from lime_widget.engine.explanation import AUTO_STOPS

from ..helpers import cell_image, cell_segments, linear_model

DATA = Path(__file__).parents[1] / "data"
LIMITS = {"max_pixels": DEFAULT_MAX_PIXELS, "max_cells": MAX_CELLS}


@pytest.fixture(scope="module")
def small() -> lw.Explanation:
    """A small explanation (64 superpixels, 40 samples, a function model): cheap to write and read."""
    beta = np.zeros(64)
    beta[5] = 0.2
    return lw.explain(
        cell_image(), linear_model(beta), segments=cell_segments(), hide="black", num_samples=40, progress=False
    )


def _data(exp: lw.Explanation) -> dict:
    return json.loads(explanation_json(exp))


# --- moved from tests/engine/test_explanation.py -------------------------------------------------------------


def test_json_round_trip_is_exact(planted, tmp_path):
    img, clf, _ = planted
    exp = lw.explain(img, clf, num_samples=60, segmentation="slic", n_segments=20, top_labels=2, progress=False)
    text = exp.to_json()
    back = lw.Explanation.from_json(text)
    for name in (
        "image",
        "segments",
        "fill",
        "probabilities",
        "coef",
        "intercepts",
        "r2_scores",
        "local_predictions",
        "masks",
        "sample_scores",
        "distances",
        "kernel_weights",
        "coef_draws",
    ):
        a, b = getattr(exp, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert back.config == exp.config
    assert back.seed == exp.seed and back.versions == exp.versions and back.top_labels == exp.top_labels
    assert back.stop_reason == exp.stop_reason and back.sampling_trace == exp.sampling_trace
    np.testing.assert_array_equal(back.weight_std(), exp.weight_std())
    assert back.stability() == exp.stability()
    assert back.to_json() == text
    with pytest.raises(RuntimeError, match="with_model"):
        back.rescore(np.ones(exp.n_segments, bool))
    again = back.with_model(clf)
    np.testing.assert_allclose(again.rescore(exp.masks[4]), exp.rescore(exp.masks[4]))
    path = exp.save_json(tmp_path / "e.json")
    assert lw.Explanation.load_json(path).to_json() == text
    with pytest.raises(ValueError, match="not a lime_widget"):
        lw.Explanation.from_json("{}")


def test_json_round_trip_keeps_an_auto_run(planted):
    img, clf, _ = planted
    exp = lw.explain(
        img, clf, segments=cell_segments(), num_samples="auto", max_samples=200, hide="gray", progress=False
    )
    back = lw.Explanation.from_json(exp.to_json())
    assert back.config.num_samples == "auto" and back.config.max_samples == 200
    assert back.stop_reason == exp.stop_reason and back.sampling_trace == exp.sampling_trace
    assert back.n_samples == exp.n_samples and len(exp.sampling_trace) >= 1
    np.testing.assert_array_equal(back.top_k_confidence(), exp.top_k_confidence())
    # two cue cells and zero weights around them: settled up to ties long before max_samples
    assert exp.stop_reason in ("settled", "precise") and exp.n_samples < 200
    assert back.config.tie_tolerance == exp.config.tie_tolerance == ExplainConfig().tie_tolerance
    assert back.top_k_status().text == exp.top_k_status().text
    assert f"(auto: {AUTO_STOPS[exp.stop_reason]})" in back.summary()


def test_a_format_1_file_from_lime_widget_0_1_still_loads():
    """tests/data/explanation_format1.json was written by lime_widget 0.1.0 (commit 8bc9195)."""
    from pathlib import Path

    exp = lw.Explanation.load_json(Path(__file__).parents[1] / "data" / "explanation_format1.json")
    assert exp.class_names == ["bright", "dark"] and exp.n_samples == 20 and exp.n_segments == 64
    assert exp.config.sampling == "lime" and exp.config.kernel == "lime" and exp.config.segmentation == "given"
    assert exp.coef_draws is None and exp.stop_reason == "fixed"
    assert exp.weights("bright").max() > 0


# --- the module's own functions ------------------------------------------------------------------------------


def test_the_format_tag_is_fixed_and_written(small):
    # the tag predates the package layout: it must not become "lime_widget.engine.explanation"
    assert FORMAT == "lime_widget.explanation"
    assert FORMAT_VERSION == 2
    data = _data(small)
    assert data["format"] == "lime_widget.explanation" and data["format_version"] == 2
    indented = explanation_json(small, indent=2)
    assert "\n" in indented and json.loads(indented) == data


def test_explanation_fields_gives_back_what_explanation_json_wrote(small):
    text = explanation_json(small)
    for given in (text, text.encode("utf-8")):  # str or bytes
        fields = explanation_fields(given, **LIMITS)
        back = lw.Explanation(**fields)
        assert explanation_json(back) == text
    assert fields["segments"].dtype == np.int32
    assert fields["class_names"] == ["no", "yes"] and fields["stop_reason"] == "fixed"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.pop("format"), id="missing"),
        pytest.param(lambda d: d.update(format="lime_widget.engine.explanation"), id="the-package-path"),
        pytest.param(lambda d: d.update(format="lime.explanation"), id="another-name"),
        pytest.param(lambda d: d.update(format=None), id="null"),
    ],
)
def test_a_wrong_or_missing_format_tag_is_refused(small, change):
    data = _data(small)
    change(data)
    with pytest.raises(ExplanationFormatError, match=r"^format: .*'format': 'lime_widget.explanation'"):
        explanation_fields(json.dumps(data), **LIMITS)


@pytest.mark.parametrize("text", ["{}", "[]", '"lime_widget.explanation"', "null", "3"])
def test_json_that_is_not_an_explanation_object_is_refused_on_format(text):
    with pytest.raises(ExplanationFormatError, match=r"^format: "):
        explanation_fields(text, **LIMITS)


@pytest.mark.parametrize("text", ["", "not json", "{", b"\xff\xfe\x00"])
def test_text_that_is_not_json_is_refused_on_file(text):
    with pytest.raises(ExplanationFormatError, match=r"^file: not JSON"):
        explanation_fields(text, **LIMITS)


@pytest.mark.parametrize("version", [3, 0, None, "2", 2.5])
def test_an_unknown_format_version_is_refused(small, version):
    data = _data(small)
    data["format_version"] = version
    with pytest.raises(ExplanationFormatError, match=r"^format_version: .* is not supported"):
        explanation_fields(json.dumps(data), **LIMITS)


def test_a_format_1_file_is_upgraded_to_format_2():
    raw = (DATA / "explanation_format1.json").read_bytes()
    assert json.loads(raw)["format_version"] == 1
    fields = explanation_fields(raw, **LIMITS)
    assert fields["class_names"] == ["bright", "dark"]  # format 1 called them label_names
    config = fields["config"]
    assert config.refits == 0 and config.max_samples == 2000 and config.classes is None
    assert config.tie_tolerance == ExplainConfig().tie_tolerance  # format 1 had no tolerance: the default
    assert fields["coef_draws"] is None and fields["sampling_trace"] == []
    # written again, it is a format-2 file that reads back the same
    text = explanation_json(lw.Explanation(**fields))
    assert json.loads(text)["format_version"] == FORMAT_VERSION
    assert explanation_json(lw.Explanation(**explanation_fields(text, **LIMITS))) == text


def test_a_broken_format_1_file_is_a_format_error():
    data = json.loads((DATA / "explanation_format1.json").read_bytes())
    del data["config"]
    with pytest.raises(ExplanationFormatError, match=r"^format_version 1 file: KeyError"):
        explanation_fields(json.dumps(data), **LIMITS)


def test_save_json_is_atomic_and_load_json_reads_it_back(small, tmp_path, monkeypatch):
    path = tmp_path / "sub" / "e.json"
    written = small.save_json(path)  # makes the folder
    assert written == path and path.read_text(encoding="utf-8") == small.to_json()
    assert lw.Explanation.load_json(path).to_json() == small.to_json()
    assert lw.Explanation.load_json(str(path)).to_json() == small.to_json()  # a str path too

    # a write that dies half-way leaves the old file whole and no temporary file behind
    path.write_text("old", encoding="utf-8")

    def dies_half_way(self: Path, data: bytes) -> int:
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", dies_half_way)
    with pytest.raises(OSError, match="disk full"):
        small.save_json(path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in path.parent.iterdir()] == ["e.json"]


def test_load_json_of_a_missing_or_foreign_file_is_a_format_error(tmp_path):
    with pytest.raises(ExplanationFormatError, match=r"^file: cannot read"):
        lw.Explanation.load_json(tmp_path / "nothing.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something.else"}), encoding="utf-8")
    with pytest.raises(ExplanationFormatError, match=r"^format: "):
        lw.Explanation.load_json(other)


# --- the tie tolerance and the stop reasons of an auto run ---------------------------------------------------


def test_a_config_without_tie_tolerance_loads_with_the_default(small):
    """Files written before the tie tolerance existed have none in their config: they load with the default tolerance, and are
    written back with it."""
    data = _data(small)
    assert data["config"]["tie_tolerance"] == ExplainConfig().tie_tolerance
    del data["config"]["tie_tolerance"]
    fields = explanation_fields(json.dumps(data), **LIMITS)
    assert fields["config"].tie_tolerance == ExplainConfig().tie_tolerance
    again = _data(lw.Explanation(**fields))
    assert again["config"]["tie_tolerance"] == ExplainConfig().tie_tolerance
    assert again == _data(small)


def test_a_stored_tie_tolerance_is_kept_not_replaced_by_the_default(small):
    data = _data(small)
    data["config"]["tie_tolerance"] = 0.25
    back = lw.Explanation(**explanation_fields(json.dumps(data), **LIMITS))
    assert back.config.tie_tolerance == 0.25
    assert back.top_k_status().tolerance == pytest.approx(0.25 * np.abs(back.weights()).max())


@pytest.mark.parametrize("value", [1.0, -0.1, "0.1", None, True])
def test_a_bad_stored_tie_tolerance_is_a_config_error_naming_it(small, value):
    data = _data(small)
    data["config"]["tie_tolerance"] = value
    with pytest.raises(ExplanationFormatError, match=r"^config: .*tie_tolerance"):
        explanation_fields(json.dumps(data), **LIMITS)


@pytest.mark.parametrize("reason", ["settled", "precise", "stable", "max_samples"])
def test_every_stop_reason_of_an_auto_run_round_trips(small, reason):
    assert reason in STOP_REASONS
    data = _data(small)
    data["stop_reason"] = reason
    data["config"]["num_samples"] = "auto"
    text = json.dumps(data)
    back = lw.Explanation(**explanation_fields(text, **LIMITS))
    assert back.stop_reason == reason
    assert json.loads(explanation_json(back)) == data
    assert f"(auto: {AUTO_STOPS[reason]})" in back.summary()
