"""Audit a whole dataset: one LIME explanation per image on a Dask cluster, resumable, one table.

:func:`audit` sends one task per image to Dask distributed (an embedded ``LocalCluster`` by default, or any
``Client`` / scheduler address: Kubernetes, SLURM through dask-jobqueue, ...). Each worker loads the model
once (a worker plugin), reads its images itself from their paths, explains them with :func:`explain`,
saves each explanation as JSON in ``out/explanations/`` and returns one row of figures; the client writes
the rows to ``out/audit.parquet`` as they finish. Dask does the scheduling and re-runs the task of a worker
that dies; this module only describes the work and records it.

Workers write into ``out`` and read the image paths: on a multi-machine cluster both must be on a file
system every worker sees (as the images already are when workers read them by path).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.sensitivity import deletion_curve, flip_search, ranking_from_weights
from ..core.images import load_image, to_rgb_uint8
from ..engine.config import ExplainConfig
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..engine.presets import resolve
from ..models.classifiers import Classifier, TorchClassifier, class_id
from ..models.zoo import as_classifier, load_model

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
TABLE = "audit.parquet"
MANIFEST = "audit.json"
EXPLANATIONS = "explanations"
MANIFEST_FORMAT = 1
# Arguments of explain() that an audit cannot take per call: it sets them itself, or they are per image.
_NOT_FORWARDED = {"image", "model", "progress", "segments", "labels"}
COLUMNS = (
    "index",
    "path",
    "true_label",
    "true_class",
    "predicted",
    "predicted_class",
    "probability",
    "correct",
    "explained_class",
    "top_segments",
    "top_weights",
    "stability",
    "object_share",
    "pointing_hit",
    "deletion_auc",
    "flip_k",
    "n_segments",
    "seconds",
    "error",
    "warnings",
    "json",
    "worker",
)


class AuditParametersError(ValueError):
    """``out`` holds an audit made with other parameters: its rows cannot be mixed with this run's."""


@dataclass(frozen=True)
class AuditItem:
    """One image of an audit. index: position in the audit; path: absolute file path (None for in-memory
    images); image: the in-memory image (None for paths); label: true class id or name (None = unknown);
    object_mask: bool (H, W) where the object is, or None."""

    index: int
    path: str | None
    image: Any
    label: int | str | None
    object_mask: np.ndarray | None

    @property
    def key(self) -> str:
        """What identifies the image across runs: its path, or ``#index`` for in-memory images."""
        return self.path if self.path is not None else f"#{self.index}"


@dataclass(frozen=True)
class AuditJob:
    """What every task of one audit shares (small: pickled with each task). plugin: the name of the worker
    plugin holding the model; explain_kwargs: forwarded to :func:`explain`; k: top superpixels recorded."""

    out: str
    plugin: str
    explain_kwargs: dict[str, Any]
    k: int


# ---------------------------------------------------------------------------------------------- workers
def _model_plugin_class() -> type:
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
            self.classifier = _as_audit_classifier(self.model)

        def teardown(self, worker: Any) -> None:
            self.classifier = None

    return ModelPlugin


def _as_audit_classifier(model: Any) -> Classifier:
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
    bad image never stops an audit. The explanation is saved to ``job.out/explanations/`` before the row is
    returned, so a row in the table always has its file.
    """
    t0 = time.perf_counter()
    row = _empty_row(item)
    row["worker"] = _worker_name()
    try:
        image = load_image(item.path) if item.path is not None else to_rgb_uint8(item.image)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exp = explain(image, classifier, progress=False, **job.explain_kwargs)
        row["warnings"] = "; ".join(sorted({str(w.message) for w in caught}))
        row.update(_figures(exp, item, job.k))
        name = _json_name(item)
        _write_atomically(Path(job.out) / EXPLANATIONS / name, exp.to_json())
        row["json"] = f"{EXPLANATIONS}/{name}"
    except Exception as err:  # one bad image must not stop the audit: record it in its row
        row["error"] = f"{type(err).__name__}: {err}"
    row["seconds"] = time.perf_counter() - t0
    return row


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def _empty_row(item: AuditItem) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        index=item.index,
        path=item.path if item.path is not None else "",
        true_label=None,
        true_class="",
        predicted_class="",
        explained_class="",
        top_segments=[],
        top_weights=[],
        error="",
        warnings="",
        json="",
        worker="",
    )
    for name in ("probability", "stability", "object_share", "deletion_auc", "seconds"):
        row[name] = float("nan")
    return row


def _figures(exp: Explanation, item: AuditItem, k: int) -> dict[str, Any]:
    """The row's figures for one explanation (see :func:`audit` for their meaning)."""
    names = exp.class_names
    predicted = int(np.argmax(exp.probabilities))
    cls = int(exp.top_labels[0])
    weights = exp.weights(cls)
    top = np.argsort(-weights, kind="stable")[: min(k, weights.size)]
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
    ranking = ranking_from_weights(weights)
    out["deletion_auc"] = deletion_curve(exp, ranking, cls).area
    out["flip_k"] = flip_search(exp, ranking).k
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
    positive = np.clip(weights, 0.0, None)
    total = float(positive @ pixels)
    if total <= 0.0:
        return float("nan"), None
    best = int(np.argmax(weights))
    return float(positive @ inside) / total, bool(inside[best] >= 0.5 * pixels[best])


def _json_name(item: AuditItem) -> str:
    stem = Path(item.path).stem if item.path is not None else f"image{item.index}"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:60] or "image"
    digest = hashlib.sha1(item.key.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.json"


def _write_atomically(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(text, str):
        tmp.write_text(text, encoding="utf-8")
    else:
        tmp.write_bytes(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- inputs
def collect_items(images: Any, object_masks: Any = None) -> list[AuditItem]:
    """Turn ``images`` (see :func:`audit`) into :class:`AuditItem` s, in order, with their object masks.

    Folders are searched recursively for png/jpg/jpeg/bmp/tif/webp files (sorted by path). Raises
    ValueError (or FileNotFoundError) naming the argument when ``images`` cannot be read as a set of images.
    """
    entries: list[tuple[str | None, Any, Any]] = []  # (path, image, label)
    if isinstance(images, (str, os.PathLike)):
        root = Path(images)
        if not root.exists():
            raise FileNotFoundError(
                f"images: {str(root)!r} does not exist; give a folder, a list of paths or a dataset"
            )
        if not root.is_dir():
            raise ValueError(f"images: {str(root)!r} is a file; give its folder, or a list: images=[{str(root)!r}]")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"images: no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} files in {str(root)!r}")
        entries = [(str(p.resolve()), None, None) for p in files]
    else:
        if not hasattr(images, "__len__") or not hasattr(images, "__getitem__") or isinstance(images, (bytes, dict)):
            raise ValueError(
                f"images: expected a folder, a list of paths or a sequence of (image, label) pairs; got "
                f"{type(images).__name__}"
            )
        if len(images) == 0:
            raise ValueError("images: the sequence is empty")
        for i in range(len(images)):
            entry = images[i]
            if isinstance(entry, (str, os.PathLike)):
                entries.append((str(Path(entry).resolve()), None, None))
            elif isinstance(entry, tuple) and len(entry) == 2:
                image, label = entry
                if isinstance(image, (str, os.PathLike)):
                    entries.append((str(Path(image).resolve()), None, _label(label, i)))
                else:
                    entries.append((None, image, _label(label, i)))
            else:
                entries.append((None, entry, None))
    paths = [p for p, _, _ in entries if p is not None]
    if len(set(paths)) != len(paths):
        raise ValueError("images: the same path is listed twice; each image must appear once")
    masks = _object_masks(object_masks, entries)
    return [
        AuditItem(index=i, path=p, image=img, label=lab, object_mask=m)
        for i, ((p, img, lab), m) in enumerate(zip(entries, masks, strict=True))
    ]


def _label(label: Any, i: int) -> int | str | None:
    if label is None or isinstance(label, str):
        return label
    if hasattr(label, "item"):  # numpy / torch scalars
        label = label.item()
    if isinstance(label, bool) or not isinstance(label, int):
        raise ValueError(f"images[{i}]: the label must be a class id (int) or name (str); got {label!r}")
    return label


def _object_masks(object_masks: Any, entries: list[tuple[str | None, Any, Any]]) -> list[np.ndarray | None]:
    n = len(entries)
    if object_masks is None:
        return [None] * n
    if isinstance(object_masks, Mapping):
        by_key: dict[Any, Any] = {}
        for key, value in object_masks.items():
            by_key[str(Path(key).resolve()) if isinstance(key, (str, os.PathLike)) else key] = value
        found = [by_key.get(p if p is not None else i, by_key.get(i)) for i, (p, _, _) in enumerate(entries)]
        unknown = set(by_key) - {p for p, _, _ in entries} - set(range(n))
        if unknown:
            raise ValueError(f"object_masks: {len(unknown)} keys match no image, e.g. {sorted(map(str, unknown))[0]!r}")
    else:
        found = list(object_masks)
        if len(found) != n:
            raise ValueError(f"object_masks: {len(found)} masks for {n} images; give one per image (None for none)")
    return [None if m is None else _as_mask(m, i) for i, m in enumerate(found)]


def _as_mask(value: Any, i: int) -> np.ndarray:
    """A bool (H, W) mask, or a box (x0, y0, x1, y1) in pixels (x1, y1 exclusive) kept as int64 (4,)."""
    arr = np.asarray(value)
    if arr.ndim == 1 and arr.size == 4 and np.issubdtype(arr.dtype, np.number):
        box = np.round(arr).astype(np.int64)
        if box[2] <= box[0] or box[3] <= box[1] or box.min() < 0:
            raise ValueError(f"object_masks[{i}]: a box is (x0, y0, x1, y1) with x0 < x1, y0 < y1; got {value!r}")
        return box
    if arr.ndim != 2 or arr.dtype != np.bool_:
        raise ValueError(
            f"object_masks[{i}]: expected a bool (H, W) mask or a box (x0, y0, x1, y1); got dtype {arr.dtype}, "
            f"shape {arr.shape}"
        )
    return arr


def mask_for(item_mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The bool (H, W) object mask of an image of ``shape`` from a mask or a box (see :func:`collect_items`)."""
    if item_mask.dtype == np.bool_:
        if item_mask.shape != shape:
            raise ValueError(f"object mask: shape {item_mask.shape} does not match the image's {shape}")
        return item_mask
    x0, y0, x1, y1 = (int(v) for v in item_mask)
    out = np.zeros(shape, dtype=bool)
    out[y0:y1, x0:x1] = True
    if not out.any():
        raise ValueError(f"object mask: the box {tuple(item_mask)} lies outside the {shape[1]}x{shape[0]} image")
    return out


# ---------------------------------------------------------------------------------------------- parameters
def _check_explain_kwargs(explain_kwargs: dict[str, Any]) -> dict[str, Any]:
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


def _config_of(kwargs: dict[str, Any]) -> ExplainConfig:
    names = set(inspect.signature(resolve).parameters) | set(ExplainConfig.__dataclass_fields__)
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
    if isinstance(clf, TorchClassifier):
        h = hashlib.sha256()
        for name, tensor in sorted(clf.module.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        text += f" weights sha256 {h.hexdigest()[:16]}"
    fn = getattr(clf, "fn", None)
    if fn is not None:
        text += f" fn {getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
        try:  # the function with what it captured (e.g. a closure's weights), as Dask would send it
            import cloudpickle

            text += f" sha256 {hashlib.sha256(cloudpickle.dumps(fn)).hexdigest()[:16]}"
        except Exception:  # unpicklable: Dask will say so when it sends the model; the name must do here
            pass
    return text


def _parameters(model: Any, kwargs: dict[str, Any], k: int, items: list[AuditItem]) -> dict[str, Any]:
    cfg = _config_of(kwargs)
    other = {
        key: v
        for key, v in sorted(kwargs.items())
        if key not in cfg.to_dict() and key not in ("preset", "n_segments", "batch_size")
    }
    h = hashlib.sha256()
    for item in items:
        if item.object_mask is not None:
            h.update(str(item.index).encode())
            h.update(
                np.packbits(item.object_mask).tobytes()
                if item.object_mask.dtype == np.bool_
                else item.object_mask.tobytes()
            )
    return json.loads(
        json.dumps(
            {
                "model": model_fingerprint(model),
                "config": cfg.to_dict(),
                "explain": {
                    key: repr(v) if not isinstance(v, (int, float, str, bool, type(None))) else v
                    for key, v in other.items()
                },
                "top_k": k,
                "object_masks": h.hexdigest()[:16],
            }
        )
    )


def _check_manifest(out: Path, parameters: dict[str, Any]) -> None:
    path = out / MANIFEST
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))["parameters"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise AuditParametersError(
            f"out: {str(path)!r} is not readable as an audit manifest ({err}); choose another out= or remove it"
        ) from err
    if old != parameters:
        differ = sorted(k for k in set(old) | set(parameters) if old.get(k) != parameters.get(k))
        detail = []
        for key in differ:
            a, b = old.get(key), parameters.get(key)
            if isinstance(a, dict) and isinstance(b, dict):
                sub = sorted(s for s in set(a) | set(b) if a.get(s) != b.get(s))
                detail.append(", ".join(f"{key}.{s}: {a.get(s)!r} -> {b.get(s)!r}" for s in sub))
            else:
                detail.append(f"{key}: {a!r} -> {b!r}")
        raise AuditParametersError(
            f"out: {str(out)!r} holds an audit made with other parameters ({'; '.join(detail)}); its rows cannot "
            "be mixed with this run's. Use another out= folder, or delete that one to start over"
        )


# ---------------------------------------------------------------------------------------------- table
def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if len(table):
        table = table.sort_values("index", kind="stable").reset_index(drop=True)
    for name in ("true_label", "predicted", "flip_k", "n_segments"):
        table[name] = pd.array(table[name].tolist(), dtype="Int64")
    for name in ("correct", "pointing_hit"):
        table[name] = pd.array(table[name].tolist(), dtype="boolean")
    for name in ("probability", "stability", "object_share", "deletion_auc", "seconds"):
        table[name] = pd.to_numeric(
            table[name].astype(object).where(table[name].notna(), np.nan), errors="coerce"
        ).astype("float64")
    for name in ("path", "true_class", "predicted_class", "explained_class", "error", "warnings", "json", "worker"):
        table[name] = table[name].fillna("").astype(str)
    table["index"] = table["index"].astype("int64")
    return table


def _read_table(out: Path) -> list[dict[str, Any]]:
    import pandas as pd

    path = out / TABLE
    if not path.exists():
        return []
    frame = pd.read_parquet(path)
    rows = []
    for rec in frame.to_dict("records"):
        rec = {k: (None if _is_na(v) else v) for k, v in rec.items()}
        for name in ("top_segments", "top_weights"):
            rec[name] = [] if rec[name] is None else list(rec[name])
        rows.append(rec)
    return rows


def _is_na(value: Any) -> bool:
    import pandas as pd

    return not isinstance(value, (list, np.ndarray)) and bool(pd.isna(value))


def _write_table(out: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = _frame(rows)
    tmp = out / f".{TABLE}.{os.getpid()}.tmp"
    table.to_parquet(tmp, index=False)
    os.replace(tmp, out / TABLE)
    return table


# ---------------------------------------------------------------------------------------------- results
@dataclass
class AuditResult:
    """The outcome of :func:`audit`.

    out: the folder (``audit.parquet``, ``audit.json``, ``explanations/*.json``); table: one row per image
    (see :func:`audit` for the columns); model: the model name or classifier, used to attach a model to the
    explanations it loads (None: they load without one and cannot re-score); skipped: how many images were
    already done in ``out`` and not explained again.
    """

    out: Path
    table: pd.DataFrame
    model: Any = None
    skipped: int = 0
    _classifier: Classifier | None = field(default=None, repr=False)

    @classmethod
    def open(cls, out: str | Path, model: Any = None) -> AuditResult:
        """Read a finished (or interrupted) audit from its folder."""
        folder = Path(out)
        if not (folder / TABLE).exists():
            raise FileNotFoundError(f"out: no {TABLE} in {str(folder)!r}; is it the out= of an audit?")
        return cls(out=folder, table=_frame(_read_table(folder)), model=model)

    def classifier(self) -> Classifier | None:
        """The model as a classifier (loaded once, on first use), or None when the result has no model."""
        if self._classifier is None and self.model is not None:
            self._classifier = _as_audit_classifier(self.model)
        return self._classifier

    def explanation(self, i: int) -> Explanation:
        """The explanation of row i of :attr:`table` (position, not the ``index`` column), loaded from its JSON,
        with the model attached when the result has one."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < len(self.table):
            raise IndexError(f"row {i!r} is not in the table (0..{len(self.table) - 1})")
        row = self.table.iloc[int(i)]
        if row["error"]:
            raise ValueError(f"row {i} ({row['path'] or '#' + str(row['index'])}) has no explanation: {row['error']}")
        exp = Explanation.load_json(self.out / row["json"])
        clf = self.classifier()
        return exp.with_model(clf) if clf is not None else exp

    @property
    def accuracy(self) -> float:
        """Share of correct predictions among the rows with a true label (NaN without labels)."""
        known = self.table["correct"].dropna()
        return float(known.mean()) if len(known) else float("nan")

    def summary(self, n: int = 10) -> str:
        """A few lines: images, errors, accuracy, and the n images with the least positive weight on the object."""
        t = self.table
        errors = t[t["error"] != ""]
        lines = [f"{len(t)} images audited in {self.out} ({len(errors)} errors, {self.skipped} already done)"]
        if t["correct"].notna().any():
            lines.append(
                f"accuracy: {self.accuracy:.3f} ({int(t['correct'].sum())} of {int(t['correct'].notna().sum())})"
            )
        shares = t[t["object_share"].notna()].sort_values("object_share", kind="stable").head(n)
        if len(shares):
            lines.append(
                f"least weight on the object (share of positive weight inside the mask), lowest {len(shares)}:"
            )
            for _, r in shares.iterrows():
                lines.append(
                    f"  {r['object_share']:.3f}  {_row_name(r)}  predicted {r['predicted_class']} {r['probability']:.3f}"
                )
        for _, r in errors.head(n).iterrows():
            lines.append(f"  error: {_row_name(r)}: {r['error']}")
        return "\n".join(lines)


def _row_name(row: Any) -> str:
    return str(row["path"]) if row["path"] else f"#{row['index']}"


# ---------------------------------------------------------------------------------------------- the run
def audit(
    images: Any,
    model: Any,
    *,
    out: str | Path,
    client: Client | str | None = None,
    n_workers: int | None = None,
    object_masks: Any = None,
    top_k: int = 5,
    progress: bool = True,
    **explain_kwargs: Any,
) -> AuditResult:
    """Explain every image of a dataset with LIME on a Dask cluster; resumable; one row per image.

    images: a folder (searched recursively for png/jpg/jpeg/bmp/tif/webp), a list of paths, or a sequence of
    (image, label) pairs such as a torchvision-style dataset (label: class id or name, used as the truth) or
    of images. Workers read paths themselves; in-memory images travel with their task.
    model: a name for :func:`load_model` (each worker loads it once) or a picklable classifier (sent once
    per worker, never per task). out: the folder of results (created). client: a
    ``dask.distributed.Client`` or a scheduler address; default an embedded ``LocalCluster`` with
    ``n_workers`` (default: one per core) single-threaded worker processes, torch limited to one thread
    each. object_masks: per image (a sequence in image order, or a mapping from path / position) a bool
    (H, W) mask of the object or a box (x0, y0, x1, y1), or None. top_k: top superpixels recorded per row.
    progress: a tqdm bar and the Dask dashboard link. explain_kwargs: for :func:`explain` (num_samples,
    preset, segmentation, hide, ...; random_state 0 by default: every image is explained with that seed,
    so each row repeats ``lw.explain(image, model, random_state=...)``).

    Table columns: index, path (empty for in-memory images), true_label / true_class, predicted /
    predicted_class / probability (the model's top class on the image), correct, explained_class (the
    class whose weights are scored; the top class unless ``classes=`` says otherwise), top_segments /
    top_weights (the top_k superpixels by weight), stability (top-5, from bootstrap refits), object_share
    (share of the positive weight inside the object; see :func:`object_scores`) and pointing_hit,
    deletion_auc (deletion curve area, hiding superpixels by decreasing weight), flip_k (how many of them
    must be hidden to change the top class; NA if none), n_segments, seconds, error (empty when fine),
    warnings, json (the explanation's file under ``out``), worker.

    Rerunning with the same ``out`` skips images already explained (rows with an error are tried again);
    other parameters are refused with :class:`AuditParametersError`. The table is rewritten (atomically) as
    rows finish and on Ctrl-C, so ``out`` is always consistent. Returns an :class:`AuditResult`.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int; got {top_k!r}")
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
        raise ValueError(f"n_workers must be a positive int or None (one per core); got {n_workers!r}")
    if client is not None and n_workers is not None:
        raise ValueError("give n_workers only for the embedded cluster; an existing client= has its own workers")
    if client is not None and not isinstance(client, str) and type(client).__name__ != "Client":
        raise ValueError(
            f"client must be a dask.distributed.Client, a scheduler address or None; got {type(client).__name__}"
        )
    kwargs = _check_explain_kwargs(explain_kwargs)
    _config_of(kwargs)  # bad explain settings fail here, before any cluster starts
    if not isinstance(model, str):
        as_classifier(model)  # a model that cannot be a classifier fails here too
    items = collect_items(images, object_masks)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out: {str(folder)!r} is a file; give a folder")
    parameters = _parameters(model, kwargs, top_k, items)
    _check_manifest(folder, parameters)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder / MANIFEST, json.dumps({"format": MANIFEST_FORMAT, "parameters": parameters}, indent=1))

    by_key = {item.key: item for item in items}
    done = [
        row
        for row in _read_table(folder)
        if not row["error"] and _key_of(row) in by_key and (folder / str(row["json"])).exists()
    ]
    done_keys = {_key_of(row) for row in done}
    todo = [item for item in items if item.key not in done_keys]
    rows = [{**row, "index": by_key[_key_of(row)].index} for row in done]
    result = AuditResult(out=folder, table=_frame(rows), model=model, skipped=len(done))
    if not todo:
        result.table = _write_table(folder, rows)
        return result
    job = AuditJob(
        out=str(folder.resolve()), plugin=f"lime-widget-model-{os.urandom(6).hex()}", explain_kwargs=kwargs, k=top_k
    )
    with _connect(client, n_workers) as dask_client:
        if progress:
            print(f"Dask dashboard: {dask_client.dashboard_link}", flush=True)
        threads = 1 if client is None else None  # our workers are single-threaded; a user's cluster is theirs
        dask_client.register_plugin(_model_plugin_class()(job.plugin, model, threads), name=job.plugin)
        try:
            rows = _run(dask_client, todo, job, rows, folder, progress=progress, total=len(items))
        finally:
            with contextlib.suppress(Exception):
                dask_client.unregister_worker_plugin(job.plugin)
    result.table = _frame(rows)
    return result


def _key_of(row: Mapping[str, Any]) -> str:
    return str(row["path"]) if row["path"] else f"#{row['index']}"


def _run(
    client: Client,
    todo: list[AuditItem],
    job: AuditJob,
    rows: list[dict[str, Any]],
    out: Path,
    *,
    progress: bool,
    total: int,
) -> list[dict[str, Any]]:
    """Submit the tasks in a bounded window, collect rows as they finish, rewrite the table as they come."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    rows = list(rows)
    window = max(8, 4 * max(1, sum(client.nthreads().values())))
    pending = iter(todo)
    futures = [client.submit(audit_task, item, job, pure=False) for item in _take(pending, window)]
    done_iter = as_completed(futures)
    bar = tqdm(total=total, initial=total - len(todo), desc="audit", unit="image", disable=not progress)
    last_write = 0.0
    try:
        for future in done_iter:
            rows.append(future.result())
            future.release()
            for item in _take(pending, 1):
                done_iter.add(client.submit(audit_task, item, job, pure=False))
            bar.update(1)
            if time.monotonic() - last_write > 2.0:
                _write_table(out, rows)
                last_write = time.monotonic()
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            client.cancel(list(done_iter.futures))
        _write_table(out, rows)  # also on Ctrl-C or a lost cluster: what finished is kept
    return rows


def _take(it: Iterator[AuditItem], n: int) -> list[AuditItem]:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


@contextlib.contextmanager
def _connect(client: Client | str | None, n_workers: int | None) -> Iterator[Client]:
    """The client to use: the caller's (left open), one for an address, or an embedded LocalCluster."""
    from distributed import Client, LocalCluster

    if isinstance(client, Client):
        yield client
        return
    if isinstance(client, str):
        with Client(client) as c:
            yield c
        return
    if client is not None:
        raise ValueError(
            f"client must be a dask.distributed.Client, a scheduler address or None; got {type(client).__name__}"
        )
    import dask

    workers = n_workers or os.cpu_count() or 1
    # Dask's default MALLOC_TRIM_THRESHOLD_ (64 KiB) fixes glibc's mmap threshold, so every large tensor is
    # mmap'd and unmapped again: torch ran three times slower in such workers (docs/scale.md). Unset it.
    # Dask's nannies set the workers' variables (OMP_NUM_THREADS=1, PYTHONHASHSEED, ...) in this process's own
    # environment before spawning them, and leave them there: every process started afterwards (a notebook's
    # kernel, a subprocess) would run single-threaded. The caller's environment is put back when the cluster
    # closes.
    saved = dict(os.environ)
    try:
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
                # torch, numpy and OpenMP in each worker start single-threaded, like the worker itself
                env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
            ) as cluster,
            Client(cluster) as c,
        ):
            yield c
    finally:
        for name in [k for k in os.environ if k not in saved]:
            del os.environ[name]
        os.environ.update(saved)
