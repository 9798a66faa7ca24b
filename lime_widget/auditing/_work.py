"""What a worker does: load the model once (a worker plugin), then for each image explain it, save its
explanation as JSON and return its row of the table."""

from __future__ import annotations

import hashlib
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.curves import deletion_curve
from ..analysis.flips import flip_search
from ..core.images import load_image, to_rgb_uint8
from ..core.rankings import ranking, top_k
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..models.classifiers import Classifier, class_id
from ..models.zoo import as_classifier, load_model
from ._items import AuditItem, mask_for
from ._table import ROWS, empty_row, write_row

EXPLANATIONS = "explanations"


@dataclass(frozen=True)
class AuditJob:
    """What every task of one audit shares (small: pickled with each task). plugin: the name of the worker
    plugin holding the model; explain_kwargs: forwarded to :func:`explain`; k: top superpixels recorded."""

    out: str
    plugin: str
    explain_kwargs: dict[str, Any]
    k: int


def model_plugin_class() -> type:
    """The worker plugin class (defined on first use: importing distributed is slow)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPlugin(WorkerPlugin):  # type: ignore[misc]
        """Loads the model once per worker process (and again on a restarted worker) and bounds torch's
        threads so that single-threaded workers do not oversubscribe the cores."""

        def __init__(self, name: str, model: Any, threads: int | None) -> None:
            self.name = name
            self.model = model
            self.threads = threads
            self.classifier: Classifier | None = None

        def setup(self, worker: Any) -> None:
            if self.threads is not None:
                import torch

                torch.set_num_threads(self.threads)
            self.classifier = audit_classifier(self.model)

        def teardown(self, worker: Any) -> None:
            self.classifier = None

    return ModelPlugin


def audit_classifier(model: Any) -> Classifier:
    """The classifier of an audit's model: loaded by name, or the model given as a classifier."""
    return load_model(model) if isinstance(model, str) else as_classifier(model)


def _worker_classifier(plugin: str) -> Classifier:
    from distributed import get_worker

    found: Any = get_worker().plugins.get(plugin)
    if found is None or found.classifier is None:  # pragma: no cover - Dask installs plugins before tasks run
        raise RuntimeError(f"the audit's model plugin {plugin!r} is not installed on this worker")
    return found.classifier  # type: ignore[no-any-return]


def audit_task(item: AuditItem, job: AuditJob) -> dict[str, Any]:
    """Run on a worker: explain one image, save its JSON, return its row (errors become the row's ``error``)."""
    return explain_item(item, _worker_classifier(job.plugin), job)


def explain_item(item: AuditItem, classifier: Classifier, job: AuditJob) -> dict[str, Any]:
    """Explain one image with ``classifier`` and return its table row (dict of :data:`COLUMNS`).

    Any error (an unreadable image, a model failure) is caught and recorded as text in ``error``, so one
    bad image never stops an audit. The explanation is saved to ``job.out/explanations/``, then the row to
    ``job.out/rows/`` (both atomically), before the row is returned: a row always has its file, and a finished
    row survives the client (the table is rebuilt from the row files).
    """
    t0 = time.perf_counter()
    row = empty_row(item)
    row["worker"] = _worker_name()
    if item.problem:
        row["seconds"] = time.perf_counter() - t0
        return row
    try:
        image = load_image(item.path) if item.path is not None else to_rgb_uint8(item.image)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exp = explain(image, classifier, progress=False, **job.explain_kwargs)
        row["warnings"] = "; ".join(sorted({str(w.message) for w in caught}))
        row.update(_figures(exp, item, job.k))
        name = json_name(item)
        exp.save_json(Path(job.out) / EXPLANATIONS / name)  # atomic: a row's file is always whole
        row["json"] = f"{EXPLANATIONS}/{name}"
        row["seconds"] = time.perf_counter() - t0
        write_row(Path(job.out), name, row)
    except Exception as err:  # one bad image must not stop the audit: record it in its row
        row.update(error=f"{type(err).__name__}: {err}", json="")
        row["seconds"] = time.perf_counter() - t0
    return row


def row_file(out: Path, item: AuditItem) -> Path:
    """Where the row file of ``item`` is (see :func:`explain_item`)."""
    return out / ROWS / json_name(item)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def _figures(exp: Explanation, item: AuditItem, k: int) -> dict[str, Any]:
    """The row's figures for one explanation (see :func:`audit` for their meaning)."""
    names = exp.class_names
    predicted = int(np.argmax(exp.probabilities))
    cls = int(exp.top_labels[0])
    weights = exp.weights(cls)
    top = top_k(weights, k)
    out: dict[str, Any] = {
        "predicted": predicted,
        "predicted_class": names[predicted],
        "probability": float(exp.probabilities[predicted]),
        "explained_class": names[cls],
        "top_segments": [int(i) for i in top],
        "top_weights": [float(weights[i]) for i in top],
        "stability": exp.stability(cls) if exp.coef_draws is not None else float("nan"),
        "n_segments": exp.n_segments,
    }
    if item.label is not None:
        truth = class_id(item.label, names)
        out.update(true_label=truth, true_class=names[truth], correct=bool(truth == predicted))
    if item.object_mask is not None:
        share, hit = object_scores(exp.segments, weights, mask_for(item.object_mask, exp.segments.shape))
        out.update(object_share=share, pointing_hit=hit)
    order = ranking(weights)
    out["deletion_auc"] = deletion_curve(exp, order, cls).area
    out["flip_k"] = flip_search(exp, order).k
    return out


def object_scores(segments: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> tuple[float, bool | None]:
    """How much of an explanation lies on the object.

    segments: int (H, W) superpixel ids 0..K-1; weights: float (K,); mask: bool (H, W), True on the object.
    Returns (share, hit). share: the fraction of the positive weight inside the mask, each pixel carrying
    its superpixel's weight (the "energy" form of the pointing game, NaN when no weight is positive);
    hit: whether at least half of the top-weighted superpixel's pixels lie on the object (the pointing game
    at superpixel resolution; None when no weight is positive).
    """
    k = weights.size
    pixels = np.bincount(segments.ravel(), minlength=k).astype(np.float64)
    inside = np.bincount(segments.ravel(), weights=mask.ravel().astype(np.float64), minlength=k)
    positive = np.clip(np.where(np.isnan(weights), 0.0, weights), 0.0, None)  # a NaN weight is no evidence
    total = float(positive @ pixels)
    if total <= 0.0:
        return float("nan"), None
    best = int(top_k(weights, 1)[0])
    return float(positive @ inside) / total, bool(inside[best] >= 0.5 * pixels[best])


def json_name(item: AuditItem) -> str:
    stem = Path(item.path).stem if item.path is not None else f"image{item.index}"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:60] or "image"
    digest = hashlib.sha1(item.key.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.json"
