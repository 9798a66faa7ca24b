"""Hostile explanation files: every violation raises ExplanationFormatError naming the field, before any
large allocation; nothing else ever escapes from_json (fuzzed with hypothesis from valid files)."""

from __future__ import annotations

import base64
import copy
import io
import json
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import lime_widget as lw
from lime_widget.core._json import ExplanationFormatError
from lime_widget.engine.config import ExplainConfig

from ..helpers import cell_image, cell_segments

OPTIONAL = {"timings", "versions", "sampling_trace", "stop_reason", "coef_draws"}


@pytest.fixture(scope="module")
def valid() -> dict:
    clf = lw.FunctionClassifier(lambda b: np.stack([b.mean(axis=(1, 2, 3)) / 255, 1 - b.mean(axis=(1, 2, 3)) / 255], 1))
    exp = lw.explain(
        cell_image(),
        clf,
        segments=cell_segments(),
        hide="black",
        num_samples=40,
        top_labels=2,
        refits=20,
        progress=False,
    )
    return json.loads(exp.to_json())


def load(data) -> lw.Explanation:
    return lw.Explanation.from_json(json.dumps(data))


def pack(arr: np.ndarray) -> dict:
    return {
        "shape": list(arr.shape),
        "dtype": str(arr.dtype),
        "zlib": base64.b64encode(zlib.compress(arr.tobytes())).decode(),
    }


def png_b64(img: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_the_valid_file_loads(valid):
    assert load(valid).n_segments == 64


FIELDS = [
    "image_png", "fill_png", "segments", "probabilities", "class_names", "top_labels", "coef", "intercepts",
    "r2_scores", "local_predictions", "masks", "sample_scores", "distances", "kernel_weights", "coef_draws",
    "stop_reason", "sampling_trace", "config", "seed", "model_input_size", "model_output", "batch_size",
    "versions", "timings",
]  # fmt: skip


@pytest.mark.parametrize("field", FIELDS)
def test_a_missing_field_is_named(valid, field):
    data = copy.deepcopy(valid)
    del data[field]
    if field in OPTIONAL:
        load(data)  # optional: defaults
    else:
        with pytest.raises(ExplanationFormatError, match=field):
            load(data)


@pytest.mark.parametrize("field", [f for f in FIELDS if f not in OPTIONAL])
@pytest.mark.parametrize("value", [None, 7, -1, 1.5, "x", [], {}, [[1, 2], [3]], True], ids=repr)
def test_a_field_of_the_wrong_type_is_named(valid, field, value):
    data = copy.deepcopy(valid)
    data[field] = value
    try:
        load(data)
    except ExplanationFormatError as err:
        assert field in str(err) or field == "config" or "config" in str(err)
    else:  # a few values are valid for a few fields (e.g. seed 7, batch_size 7)
        assert (field, value) in [("seed", 7), ("batch_size", 7)]


ATTACKS = {
    "zlib bomb in segments": lambda d: d["segments"].update(
        zlib=base64.b64encode(zlib.compress(bytes(50_000_000))).decode()
    ),
    "huge declared masks": lambda d: d["masks"].update(shape=[2_000_000, 100]),
    "masks bits too short": lambda d: d["masks"].update(bits=base64.b64encode(b"\x00").decode()),
    "masks bits not base64": lambda d: d["masks"].update(bits="%%%"),
    "segment id -1": lambda d: d.update(
        segments=pack(np.where(cell_segments() == 63, -1, cell_segments()).astype(np.int32))
    ),
    "segment id above K-1": lambda d: d.update(
        segments=pack(np.where(cell_segments() == 0, 64, cell_segments()).astype(np.int32))
    ),
    "segments of another shape": lambda d: d.update(segments=pack(cell_segments()[:32].copy())),
    "segments float dtype": lambda d: d.update(segments=pack(cell_segments().astype(np.float64))),
    "segments bad dtype name": lambda d: d["segments"].update(dtype="object"),
    "segments wrong ndim": lambda d: d["segments"].update(shape=[64]),
    "fill of another size": lambda d: d.update(fill_png=png_b64(np.zeros((32, 64, 3), np.uint8))),
    "image not a png": lambda d: d.update(image_png=base64.b64encode(b"GIF89a....").decode()),
    "image truncated": lambda d: d.update(image_png=d["image_png"][: len(d["image_png"]) // 2]),
    "probabilities NaN": lambda d: d["probabilities"].__setitem__(0, float("nan")),
    "probabilities above 1": lambda d: d["probabilities"].__setitem__(0, 3.0),
    "top label out of range": lambda d: d["top_labels"].__setitem__(0, 5),
    "top labels repeated": lambda d: d.update(top_labels=[0, 0]),
    "coef wrong width": lambda d: d["coef"][0].pop(),
    "sample scores wrong rows": lambda d: d["sample_scores"].pop(),
    "negative kernel weight": lambda d: d["kernel_weights"].__setitem__(1, -1.0),
    "coef draws wrong shape": lambda d: d.update(coef_draws=pack(np.zeros((3, 1, 64)))),
    "coef draws bomb": lambda d: d["coef_draws"].update(shape=[10_000_000, 2, 64]),
    "unknown stop reason": lambda d: d.update(stop_reason="bored"),
    "trace not pairs": lambda d: d.update(sampling_trace=[[1, 2, 3]]),
    "config unknown field": lambda d: d["config"].update(bogus=1),
    "config bad sampling": lambda d: d["config"].update(sampling="sobol"),
    "config bad samples": lambda d: d["config"].update(num_samples=-5),
    "config tie tolerance 1": lambda d: d["config"].update(tie_tolerance=1),
    "config tie tolerance negative": lambda d: d["config"].update(tie_tolerance=-0.5),
    "config tie tolerance a string": lambda d: d["config"].update(tie_tolerance="0.1"),
    "config tie tolerance a list": lambda d: d["config"].update(tie_tolerance=[0.1]),
    "model input size bad": lambda d: d.update(model_input_size=[0, 10]),
    "model output bad": lambda d: d.update(model_output="scores"),
    "version from the future": lambda d: d.update(format_version=99),
    "not an explanation": lambda d: d.update(format="something else"),
    "class names not strings": lambda d: d.update(class_names=[1, 2]),
    "versions not strings": lambda d: d.update(versions={"numpy": 2}),
    "timings not numbers": lambda d: d.update(timings={"total": "fast"}),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attacks_are_refused_quickly_with_a_named_field(valid, attack):
    data = copy.deepcopy(valid)
    ATTACKS[attack](data)
    t0 = time.perf_counter()
    with pytest.raises(ExplanationFormatError) as info:
        load(data)
    assert time.perf_counter() - t0 < 5  # refused before any large allocation or work
    assert ":" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"\xff\xfe", "[" * 100_000 + "]" * 100_000, "null", "[]", '"x"', "{}", '{"format": 3}'],
    ids=["empty", "truncated", "not utf8", "deep nesting", "null", "list", "string", "empty object", "bad format"],
)
def test_not_an_explanation_at_all(text):
    with pytest.raises(ExplanationFormatError):
        lw.Explanation.from_json(text)


def test_png_size_is_checked_from_the_header_before_decoding(valid):
    big = np.zeros((3000, 3000, 3), np.uint8)  # 9 Mpx of black: a few kB compressed
    data = copy.deepcopy(valid)
    data["image_png"] = png_b64(big)
    with pytest.raises(ExplanationFormatError, match=r"image_png.*limit"):
        lw.Explanation.from_json(json.dumps(data), max_pixels=1_000_000)


def test_a_config_without_tie_tolerance_loads_with_the_default(valid):
    """Files from before the tie tolerance: the config has no such key, and it loads with the default tolerance."""
    data = copy.deepcopy(valid)
    del data["config"]["tie_tolerance"]
    exp = load(data)
    assert exp.config.tie_tolerance == ExplainConfig().tie_tolerance
    assert json.loads(exp.to_json())["config"] == valid["config"]


@pytest.mark.parametrize("value", [1, 1.5, -0.5, "0.1", [0.1], None, True, float("nan"), float("inf")])
def test_a_bad_tie_tolerance_is_refused_naming_it(valid, value):
    data = copy.deepcopy(valid)
    data["config"]["tie_tolerance"] = value  # NaN and inf are written as NaN and Infinity
    with pytest.raises(ExplanationFormatError, match=r"^config: .*tie_tolerance"):
        load(data)


@pytest.mark.parametrize("reason", ["settled", "precise"])
def test_the_new_stop_reasons_load_and_round_trip(valid, reason):
    data = copy.deepcopy(valid)
    data["stop_reason"] = reason
    exp = load(data)
    assert exp.stop_reason == reason
    assert json.loads(exp.to_json())["stop_reason"] == reason


def test_load_json_of_a_missing_file_or_a_directory(tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        with pytest.raises(ExplanationFormatError, match="cannot read"):
            lw.Explanation.load_json(path)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list) and value and len(value) < 80:
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*prefix, i))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_files_never_raise_anything_but_a_format_error(valid, data):
    doc = copy.deepcopy(valid)
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if data.draw(st.booleans()) and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = data.draw(json_values)
    try:
        exp = load(doc)
    except ExplanationFormatError:
        return
    # accepted: then it is a consistent explanation
    assert exp.segments.shape == exp.image.shape[:2] and exp.coef.shape == (len(exp.top_labels), exp.n_segments)
