"""The audit manifest: forwarded arguments, the parameters and model fingerprint, resume conflicts, the file
(no cluster: the functions are called directly, on tmp_path)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.auditing._manifest import (
    MANIFEST,
    MANIFEST_FORMAT,
    check_explain_kwargs,
    config_of,
    manifest_conflict,
    model_fingerprint,
    parameters_of,
    write_manifest,
)

from ..helpers import GRID, linear_model

BETA = np.linspace(-0.02, 0.03, GRID * GRID)
MODEL = linear_model(BETA)
BASE = dict(num_samples=48, hide="black", segmentation="grid", n_segments=16)


def _params(model=MODEL, top_k: int = 5, **change) -> dict:
    return parameters_of(model, check_explain_kwargs({**BASE, **change}), top_k)


def _two_classes(batch: np.ndarray) -> np.ndarray:
    return np.tile([0.3, 0.7], (len(batch), 1))


def _torch(seed: int, *extra: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2), *extra).eval()


# ------------------------------------------------------------------------------- what an audit forwards
def test_forwarded_arguments_get_seed_0_and_are_not_changed_in_place():
    given = {"num_samples": 10}
    assert check_explain_kwargs(given) == {"num_samples": 10, "random_state": 0}
    assert given == {"num_samples": 10}
    assert check_explain_kwargs({"random_state": 7})["random_state"] == 7


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"colour": 1, "bogus": 2}, TypeError, "explain\\(\\) does not take here: bogus, colour$"),
        ({"segments": np.zeros((4, 4), int)}, TypeError, "segments are per image: use segmentation="),
        ({"progress": True}, TypeError, "progress"),  # the audit sets it itself
        ({"labels": [1]}, TypeError, "labels"),  # per image, in the dataset
        ({"random_state": np.random.default_rng(0)}, ValueError, "random_state must be an int"),
        ({"random_state": True}, ValueError, "random_state must be an int"),
        ({"random_state": None}, ValueError, "random_state must be an int"),
    ],
)
def test_arguments_an_audit_cannot_forward_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        check_explain_kwargs(kwargs)


def test_the_config_keeps_n_segments_and_makes_classes_a_tuple():
    cfg = config_of(check_explain_kwargs({**BASE, "classes": [1, "yes"]}))
    assert cfg.segmentation_params == {"n_segments": 16} and cfg.num_samples == 48
    assert cfg.classes == (1, "yes")
    with pytest.raises(ValueError, match="n_segments"):
        config_of(check_explain_kwargs({**BASE, "n_segments": 1}))


# ------------------------------------------------------------------------------------------- the fingerprint
def test_parameters_are_json_ready_and_name_model_config_explain_and_top_k():
    p = _params()
    assert set(p) == {"model", "config", "explain", "top_k"}
    assert json.loads(json.dumps(p)) == p
    assert p["config"]["segmentation_params"] == {"n_segments": 16}
    assert p["explain"] == {"random_state": 0} and p["top_k"] == 5
    assert _params() == p  # the same call, the same parameters


@pytest.mark.parametrize(
    "change",
    [
        {"num_samples": 64},
        {"max_samples": 500},
        {"target_stability": 0.5},
        {"refits": 10},
        {"segmentation": "slic"},
        {"n_segments": 9},
        {"segmentation_params": {"shape": (4, 4)}},
        {"hide": "gray"},
        {"blur_sigma": 2.0},
        {"sampling": "lime"},
        {"kernel": "lime"},
        {"kernel_width": 0.3},
        {"ridge_alpha": 0.5},
        {"top_labels": 2},
        {"classes": [1]},
        {"random_state": 1},
        {"max_pixels": 10_000},
        {"preset": "paper"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_parameter_that_changes_a_row_changes_the_parameters(change):
    assert _params(**change) != _params()


def test_top_k_and_the_model_change_the_parameters():
    assert _params(top_k=3) != _params()
    assert _params(model=linear_model(BETA * 2)) != _params()
    assert _params(model="efficientnet_lite0")["model"] == "efficientnet_lite0"


def test_n_segments_is_recorded_once_however_it_is_given():
    without = {k: v for k, v in BASE.items() if k != "n_segments"}
    given_in_params = parameters_of(
        MODEL, check_explain_kwargs({**without, "segmentation_params": {"n_segments": 16}}), 5
    )
    assert given_in_params == _params()
    assert "n_segments" not in _params()["explain"]


def test_batch_size_does_not_change_the_parameters():
    assert _params(batch_size=7) == _params() == _params(batch_size=None)


def test_a_torch_model_is_fingerprinted_by_its_weights():
    a, same, other = _torch(0), _torch(0), _torch(1)
    fa = model_fingerprint(lw.TorchClassifier(a))
    assert fa.startswith("lime_widget.models.classifiers.TorchClassifier ") and " weights sha256 " in fa
    assert model_fingerprint(lw.TorchClassifier(same)) == fa  # equal weights, another object: the same
    assert model_fingerprint(lw.TorchClassifier(other)) != fa
    with torch.no_grad():
        a[1].bias[0] += 1e-6  # one weight, by a hair
    assert model_fingerprint(lw.TorchClassifier(a)) != fa


def test_a_function_model_is_fingerprinted_by_its_name_and_what_it_captured():
    pytest.importorskip("cloudpickle")
    f = model_fingerprint(MODEL)
    assert "fn tests.helpers.linear_model.<locals>.fn sha256 " in f
    assert model_fingerprint(linear_model(BETA)) == f  # the same closure, made again
    assert model_fingerprint(linear_model(BETA * 2)) != f  # another captured weight vector
    assert model_fingerprint(_two_classes) != f


UNSEEN_MODEL_CHANGES = {
    # (model, the same model with one setting that changes every row's numbers or class names)
    "torch-preprocess": (
        lambda: lw.TorchClassifier(_torch(0)),
        lambda: lw.TorchClassifier(_torch(0), transform=lw.Preprocess(mean=(0.5,) * 3, std=(0.2,) * 3)),
    ),
    "torch-output": (
        lambda: lw.TorchClassifier(_torch(0)),
        lambda: lw.TorchClassifier(_torch(0), output="probabilities"),
    ),
    "torch-architecture": (
        lambda: lw.TorchClassifier(_torch(0)),
        lambda: lw.TorchClassifier(_torch(0, torch.nn.Tanh())),
    ),
    "function-output": (
        lambda: lw.FunctionClassifier(_two_classes),
        lambda: lw.FunctionClassifier(_two_classes, output="logits"),
    ),
    "function-class-names": (
        lambda: lw.FunctionClassifier(_two_classes, class_names=["no", "yes"]),
        lambda: lw.FunctionClassifier(_two_classes, class_names=["cat", "dog"]),
    ),
}


@pytest.mark.parametrize("case", list(UNSEEN_MODEL_CHANGES.values()), ids=list(UNSEEN_MODEL_CHANGES))
def test_every_model_setting_that_changes_a_row_changes_the_fingerprint(case):
    make, changed = case
    assert model_fingerprint(make()) == model_fingerprint(make())
    assert model_fingerprint(changed()) != model_fingerprint(make())


def test_another_background_image_changes_the_parameters():
    black, white = np.zeros((64, 64, 3), np.uint8), np.full((64, 64, 3), 255, np.uint8)
    assert _params(hide=black) != _params(hide=white)


# ---------------------------------------------------------------------------------- the file and conflicts
def test_write_manifest_writes_format_2_and_the_same_parameters_resume(tmp_path):
    p = _params()
    assert manifest_conflict(tmp_path, p) is None  # no manifest yet
    write_manifest(tmp_path, p)
    data = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert MANIFEST == "audit.json" and MANIFEST_FORMAT == 2
    assert data == {"format": 2, "parameters": p}
    assert manifest_conflict(tmp_path, _params()) is None
    assert manifest_conflict(tmp_path, _params(batch_size=3)) is None
    write_manifest(tmp_path, _params(num_samples=64))  # rewritten in place, no temporary left
    assert json.loads((tmp_path / MANIFEST).read_text())["parameters"]["config"]["num_samples"] == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"num_samples": 64}, "config.num_samples: 48 -> 64"),
        (
            {"n_segments": 9},
            "config.segmentation_params: {'n_segments': 16} -> {'n_segments': 9}",
        ),
        ({"hide": "gray"}, "config.hide: 'black' -> 'gray'"),
        ({"classes": [1]}, "config.classes: None -> [1]"),
        ({"random_state": 1}, "explain.random_state: 0 -> 1"),
        ({"max_pixels": 10_000}, "explain.max_pixels: None -> 10000"),
        ({"top_k": 3}, "top_k: 5 -> 3"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_a_conflict_names_the_parameter_old_and_new(tmp_path, change, detail):
    write_manifest(tmp_path, _params())
    message = manifest_conflict(tmp_path, _params(**change))
    assert message is not None and detail in message
    assert message.startswith(f"out: {str(tmp_path)!r} holds an audit made with other parameters (")
    assert "Use another out= folder, or delete that one to start over" in message
    assert "\n" not in message


def test_a_conflict_lists_every_changed_parameter_and_the_model(tmp_path):
    write_manifest(tmp_path, _params())
    message = manifest_conflict(tmp_path, _params(model=linear_model(BETA * 2), num_samples=64, top_k=3))
    assert message is not None
    assert "config.num_samples: 48 -> 64" in message and "top_k: 5 -> 3" in message
    assert "model: 'lime_widget.models.classifiers.FunctionClassifier " in message
    assert message.index("config.") < message.index("model:") < message.index("top_k:")  # sorted


MANIFESTS = {
    "garbage": b"\x00\xffnot json",
    "empty": b"",
    "truncated": b'{"format": 2, "parameters": {"mo',
    "list": b"[1, 2]",
    "null": b"null",
    "text": b'"audit"',
    "no-format": b'{"parameters": {}}',
    "no-parameters": b'{"format": 2}',
    "parameters-text": b'{"format": 2, "parameters": "x"}',
    "zlib": zlib.compress(b'{"format": 2}'),
}


@pytest.mark.parametrize("content", list(MANIFESTS.values()), ids=list(MANIFESTS))
def test_a_corrupt_or_foreign_manifest_is_named_with_the_fix(tmp_path, content):
    (tmp_path / MANIFEST).write_bytes(content)
    message = manifest_conflict(tmp_path, _params())
    assert message is not None
    assert message.startswith(f"out: {str(tmp_path / MANIFEST)!r} is not an audit manifest (")
    assert message.endswith("choose another out=, or delete that folder to start over")
    assert "\n" not in message and "Traceback" not in message


def test_an_unreadable_manifest_is_named(tmp_path):
    (tmp_path / MANIFEST).mkdir()  # reading it is an OSError (IsADirectoryError)
    message = manifest_conflict(tmp_path, _params())
    assert message is not None
    assert message.startswith(f"out: {str(tmp_path / MANIFEST)!r} cannot be read (IsADirectoryError")


@pytest.mark.parametrize("fmt", [1, 3, "2", None])
def test_another_manifest_format_is_refused_with_its_message(tmp_path, fmt):
    p = _params()
    (tmp_path / MANIFEST).write_text(json.dumps({"format": fmt, "parameters": p}))
    message = manifest_conflict(tmp_path, p)
    assert message == (
        f"out: {str(tmp_path / MANIFEST)!r} was written by another version of lime-widget (manifest format "
        f"{fmt!r}, this one writes 2); its rows cannot be resumed: choose another out=, or delete that folder"
    )


def test_a_manifest_of_an_older_version_without_a_key_names_it_as_none(tmp_path):
    p = _params()
    old = {k: v for k, v in p.items() if k != "top_k"}
    (tmp_path / MANIFEST).write_text(json.dumps({"format": 2, "parameters": old}))
    message = manifest_conflict(tmp_path, p)
    assert message is not None and "top_k: None -> 5" in message


def test_manifest_paths_are_taken_as_given(tmp_path: Path):
    out = tmp_path / "a folder with 'quotes'"
    out.mkdir()
    write_manifest(out, _params())
    message = manifest_conflict(out, _params(top_k=2))
    assert message is not None and repr(str(out)) in message
