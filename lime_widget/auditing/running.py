"""Audit a whole dataset: one LIME explanation per image on a Dask cluster, resumable, one table.

:func:`audit` sends one task per image to Dask distributed (an embedded ``LocalCluster`` by default, or any
``Client`` / scheduler address: Kubernetes, SLURM through dask-jobqueue, ...). Each worker loads the model
once (a worker plugin), reads its images itself from their paths, explains them with :func:`explain`,
saves each explanation as JSON in ``out/explanations/`` and returns one row of figures; the client writes
the rows to ``out/audit.parquet`` as they finish. Dask does the scheduling and re-runs the task of a worker
that dies; this module only describes the work and records it.

Workers write into ``out`` and read the image paths: on a multi-machine cluster both must be on a file
system every worker sees (as the images already are when workers read them by path).

The parts, by job: ``_items`` (the inputs), ``_work`` (what a worker does per image), ``_table`` (the
table), ``_manifest`` (the parameters a rerun must match); this module runs them on the cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._checks import positive_int
from ..engine.explanation import Explanation
from ..models.classifiers import Classifier
from ..models.zoo import as_classifier
from ._items import AuditItem, collect_items
from ._manifest import check_explain_kwargs, config_of, manifest_conflict, parameters_of, write_manifest
from ._table import TABLE, frame, read_table, write_table
from ._work import AuditJob, audit_classifier, audit_task, model_plugin_class

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client


class AuditParametersError(ValueError):
    """``out`` holds an audit made with other parameters: its rows cannot be mixed with this run's."""


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
        return cls(out=folder, table=frame(read_table(folder)), model=model)

    def classifier(self) -> Classifier | None:
        """The model as a classifier (loaded once, on first use), or None when the result has no model."""
        if self._classifier is None and self.model is not None:
            self._classifier = audit_classifier(self.model)
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
    positive_int(top_k, "top_k", hint="top superpixels recorded per row")
    positive_int(n_workers, "n_workers", allow_none=True, hint="None: one per core")
    if client is not None and n_workers is not None:
        raise ValueError("give n_workers only for the embedded cluster; an existing client= has its own workers")
    if client is not None and not isinstance(client, str) and type(client).__name__ != "Client":
        raise ValueError(
            f"client must be a dask.distributed.Client, a scheduler address or None; got {type(client).__name__}"
        )
    kwargs = check_explain_kwargs(explain_kwargs)
    config_of(kwargs)  # bad explain settings fail here, before any cluster starts
    if not isinstance(model, str):
        as_classifier(model)  # a model that cannot be a classifier fails here too
    items = collect_items(images, object_masks)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out: {str(folder)!r} is a file; give a folder")
    parameters = parameters_of(model, kwargs, top_k, items)
    conflict = manifest_conflict(folder, parameters)
    if conflict is not None:
        raise AuditParametersError(conflict)
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(folder, parameters)

    by_key = {item.key: item for item in items}
    done = [
        row
        for row in read_table(folder)
        if not row["error"] and _key_of(row) in by_key and (folder / str(row["json"])).exists()
    ]
    done_keys = {_key_of(row) for row in done}
    todo = [item for item in items if item.key not in done_keys]
    rows = [{**row, "index": by_key[_key_of(row)].index} for row in done]
    result = AuditResult(out=folder, table=frame(rows), model=model, skipped=len(done))
    if not todo:
        result.table = write_table(folder, rows)
        return result
    job = AuditJob(
        out=str(folder.resolve()), plugin=f"lime-widget-model-{os.urandom(6).hex()}", explain_kwargs=kwargs, k=top_k
    )
    with _connect(client, n_workers) as dask_client:
        if progress:
            print(f"Dask dashboard: {dask_client.dashboard_link}", flush=True)
        threads = 1 if client is None else None  # our workers are single-threaded; a user's cluster is theirs
        dask_client.register_plugin(model_plugin_class()(job.plugin, model, threads), name=job.plugin)
        try:
            rows = _run(dask_client, todo, job, rows, folder, progress=progress, total=len(items))
        finally:
            with contextlib.suppress(Exception):
                dask_client.unregister_worker_plugin(job.plugin)
    result.table = frame(rows)
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
                write_table(out, rows)
                last_write = time.monotonic()
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            client.cancel(list(done_iter.futures))
        write_table(out, rows)  # also on Ctrl-C or a lost cluster: what finished is kept
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
