"""The audit manifest (``audit.json``): the parameters of an audit, with a fingerprint of the model, so that
a rerun in the same folder resumes only a run made with the same parameters.

The parameters are everything that changes a row and is the same for every image: the model, every setting
of :func:`explain` (segmentation and its ``n_segments`` included), the seed and ``top_k``. What is per image
(the object mask, the label) is checked per row on a resume (``running``)."""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..core._files import atomic_write_text
from ..engine.config import ExplainConfig
from ..engine.pipeline import explain
from ..engine.presets import resolve
from ..models.classifiers import TorchClassifier
from ..models.zoo import as_classifier

MANIFEST = "audit.json"
MANIFEST_FORMAT = 2  # 2: the object masks moved from the manifest to a column (mask_sha)
# Arguments of explain() that an audit cannot take per call: it sets them itself, or they are per image.
_NOT_FORWARDED = {"image", "model", "progress", "segments", "labels"}


def check_explain_kwargs(explain_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments an audit forwards to :func:`explain`, with ``random_state`` 0 by default; TypeError for an
    argument explain() does not take here, ValueError for a seed that is not an int."""
    allowed = set(inspect.signature(explain).parameters) - _NOT_FORWARDED
    unknown = sorted(set(explain_kwargs) - allowed)
    if unknown:
        hint = " (segments are per image: use segmentation=)" if "segments" in unknown else ""
        raise TypeError(f"audit() got arguments explain() does not take here: {', '.join(unknown)}{hint}")
    kwargs = dict(explain_kwargs)
    seed = kwargs.setdefault("random_state", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(
            f"random_state must be an int for an audit (every image is explained with that seed, so each row "
            f"repeats lw.explain(image, model, random_state=...)); got {seed!r}"
        )
    return kwargs


def config_of(kwargs: dict[str, Any]) -> ExplainConfig:
    """The :class:`ExplainConfig` the forwarded arguments give (bad settings fail here, before any work)."""
    # resolve() takes n_segments through **explicit (merged into segmentation_params): name it here, or it is lost
    names = set(inspect.signature(resolve).parameters) | set(ExplainConfig.__dataclass_fields__) | {"n_segments"}
    explicit = {k: v for k, v in kwargs.items() if k in names and k != "preset"}
    if isinstance(explicit.get("classes"), list):
        explicit["classes"] = tuple(explicit["classes"])
    return resolve(kwargs.get("preset"), **explicit)


def model_fingerprint(model: Any) -> str:
    """A text naming the model: its name, or its class and a hash of a torch module's weights (so two runs
    with differently trained models of one class are not mixed)."""
    if isinstance(model, str):
        return model
    clf = as_classifier(model)
    text = f"{type(clf).__module__}.{type(clf).__qualname__}"
    # what changes every row besides the weights: the preprocessing, the output kind, the class names
    settings = {k: getattr(clf, k, None) for k in ("class_names", "output", "preprocess", "input_size")}
    text += f" settings sha256 {hashlib.sha256(repr(settings).encode()).hexdigest()[:16]}"
    if isinstance(clf, TorchClassifier):
        h = hashlib.sha256(repr(clf.module).encode())  # the architecture (same weights, another layer)
        transform = getattr(clf, "_callable_transform", None)
        if transform is not None:
            h.update(_function_hash(transform).encode())
        for name, tensor in sorted(clf.module.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        text += f" weights sha256 {h.hexdigest()[:16]}"
    fn = getattr(clf, "fn", None)
    if fn is not None:
        text += f" fn {_function_hash(fn)}"
    return text


def _function_hash(fn: Any) -> str:
    """A function's name and a hash of it with what it captured (e.g. a closure's weights), as Dask would send
    it; the name alone when it cannot be pickled (Dask says so when it sends the model)."""
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    try:
        import cloudpickle

        return f"{name} sha256 {hashlib.sha256(cloudpickle.dumps(fn)).hexdigest()[:16]}"
    except Exception:
        return name


def parameters_of(model: Any, kwargs: dict[str, Any], k: int) -> dict[str, Any]:
    """What the manifest records (JSON-ready): model fingerprint, config (n_segments is in its
    segmentation_params), other explain arguments and top_k. Two runs may share a folder only when these are
    equal. batch_size is left out: it changes how fast, never what a row holds."""
    cfg = config_of(kwargs)
    config = cfg.to_dict()
    # to_dict names a background image by its shape and a function by its name: two of them must not match
    if isinstance(cfg.hide, np.ndarray):
        px = np.ascontiguousarray(cfg.hide)
        config["hide"] = {
            "image": config["hide"],
            "sha256": hashlib.sha256(px.tobytes() + repr(px.shape).encode()).hexdigest()[:16],
        }
    for key in ("segmentation", "kernel"):
        if callable(getattr(cfg, key)):
            config[key] = {"function": config[key], "sha256": _function_hash(getattr(cfg, key))}
    other = {
        key: v
        for key, v in sorted(kwargs.items())
        if key not in cfg.to_dict() and key not in ("preset", "n_segments", "batch_size")
    }
    return json.loads(
        json.dumps(
            {
                "model": model_fingerprint(model),
                "config": config,
                "explain": {
                    key: repr(v) if not isinstance(v, (int, float, str, bool, type(None))) else v
                    for key, v in other.items()
                },
                "top_k": k,
            }
        )
    )


def manifest_conflict(out: Path, parameters: dict[str, Any]) -> str | None:
    """Why ``out`` cannot take an audit with ``parameters`` (its manifest is unreadable or records other
    parameters), or None when it can (no manifest yet, or the same parameters)."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fmt, old = data["format"], data["parameters"]
        if not isinstance(old, dict):
            raise TypeError("parameters is not an object")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        what = "cannot be read" if isinstance(err, OSError) else "is not an audit manifest"
        return (
            f"out: {str(path)!r} {what} ({type(err).__name__}: {str(err)[:200]}); choose another out=, or delete "
            "that folder to start over"
        )
    if fmt != MANIFEST_FORMAT:
        return (
            f"out: {str(path)!r} was written by another version of lime-widget (manifest format {fmt!r}, this one "
            f"writes {MANIFEST_FORMAT}); its rows cannot be resumed: choose another out=, or delete that folder"
        )
    if old == parameters:
        return None
    differ = sorted(k for k in set(old) | set(parameters) if old.get(k) != parameters.get(k))
    detail = []
    for key in differ:
        a, b = old.get(key), parameters.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            sub = sorted(s for s in set(a) | set(b) if a.get(s) != b.get(s))
            detail.append(", ".join(f"{key}.{s}: {a.get(s)!r} -> {b.get(s)!r}" for s in sub))
        else:
            detail.append(f"{key}: {a!r} -> {b!r}")
    return (
        f"out: {str(out)!r} holds an audit made with other parameters ({'; '.join(detail)}); its rows cannot "
        "be mixed with this run's. Use another out= folder, or delete that one to start over"
    )


def write_manifest(out: Path, parameters: dict[str, Any]) -> None:
    """Record ``parameters`` in ``out/audit.json`` (atomically)."""
    atomic_write_text(out / MANIFEST, json.dumps({"format": MANIFEST_FORMAT, "parameters": parameters}, indent=1))
