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
table and the row files), ``_manifest`` (the parameters a rerun must match), ``_extra`` (the check that the
``audit`` extra is installed); this module checks everything it can before the cluster starts, then runs
them on it. An image that kills its worker process becomes an error row; the rest of the audit goes on.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._checks import positive_int
from ..core._files import atomic_write_text
from ..engine.explanation import Explanation
from ..models.classifiers import Classifier, ClassLookupError, class_id
from ..models.zoo import OFFLINE_MODELS, as_classifier, imagenet_categories
from ._extra import TABLE_ENGINE, require_extra
from ._items import AuditItem, collect_items
from ._manifest import MANIFEST, check_explain_kwargs, config_of, manifest_conflict, parameters_of, write_manifest
from ._table import ROWS, RUNNING, TABLE, AuditOutputError, empty_row, frame, load_rows, row_key, write_table
from ._work import EXPLANATIONS, AuditJob, audit_classifier, audit_task, model_plugin_class, row_file

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client


class AuditParametersError(ValueError):
    """``out`` holds an audit made with other parameters: its rows cannot be mixed with this run's."""


# ---------------------------------------------------------------------------------------------- results
@dataclass
class AuditResult:
    """The outcome of :func:`audit`.

    out: the folder (``audit.parquet``, ``audit.json``, ``explanations/*.json``, ``rows/*.json``); table: one
    row per image (see :func:`audit` for the columns); model: the model name or classifier, used to attach a
    model to the explanations it loads (None: they load without one and cannot re-score); skipped: how many
    images were already done in ``out`` and not explained again.
    """

    out: Path
    table: pd.DataFrame
    model: Any = None
    skipped: int = 0
    _classifier: Classifier | None = field(default=None, repr=False)

    @classmethod
    def open(cls, out: str | Path, model: Any = None) -> AuditResult:
        """Read a finished (or interrupted) audit from its folder (a corrupt or missing table is rebuilt
        from the row files, with a warning)."""
        require_extra("lw.AuditResult.open", TABLE_ENGINE)
        folder = Path(out)
        if not (folder / TABLE).exists() and not (folder / ROWS).is_dir():
            raise FileNotFoundError(f"out: no {TABLE} in {str(folder)!r}; is it the out= of an audit?")
        return cls(out=folder, table=frame(load_rows(folder)), model=model)

    def classifier(self) -> Classifier | None:
        """The model as a classifier (loaded once, on first use), or None when the result has no model."""
        if self._classifier is None and self.model is not None:
            self._classifier = audit_classifier(self.model)
        return self._classifier

    def explanation(self, i: int) -> Explanation:
        """The explanation of row i of :attr:`table` (position, not the ``index`` column), loaded from its JSON,
        with the model attached when the result has one. :class:`AuditOutputError` names a file that is
        missing or not an explanation."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < len(self.table):
            raise IndexError(f"row {i!r} is not in the table (0..{len(self.table) - 1})")
        row = self.table.iloc[int(i)]
        if row["error"]:
            raise ValueError(f"row {i} ({row['path'] or '#' + str(row['index'])}) has no explanation: {row['error']}")
        path = self.out / row["json"]
        try:
            exp = Explanation.load_json(path)
        except Exception as err:  # a deleted, truncated or foreign file: say which, and how to get it back
            raise AuditOutputError(
                f"out: {str(path)!r}, the explanation of row {i} ({_row_name(row)}), cannot be read "
                f"({type(err).__name__}: {str(err)[:200]}); delete it and rerun lw.audit with the same out= to "
                "explain that image again"
            ) from None
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
        same = t[t["same_file_as"] != ""]
        for _, r in same.head(n).iterrows():
            lines.append(f"  same file: {_row_name(r)} is {r['same_file_as']}")
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

    images: a folder (searched recursively for png/jpg/jpeg/bmp/tif/webp; links to files are named by their
    own path, links to folders not followed; dangling links and unreadable files or folders give error rows;
    two names of one file are both audited, the second with ``same_file_as``), a list of paths, or a sequence
    of (image, label) pairs such as a torchvision-style dataset (label: class id or name, used as the truth)
    or of images. Workers read paths themselves; in-memory images travel with their task.
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
    warnings, json (the explanation's file under ``out``), worker, same_file_as (the earlier path of the
    same file, or empty), mask_sha (a hash of the image's object mask, or empty).

    Everything that can be checked before the cluster starts is: the arguments, the settings, class names
    and ids, mask shapes where the image size is known, that the model pickles, and (in a script) that the
    call is under ``if __name__ == "__main__":``. An image that kills its worker process becomes an error
    row; the rest goes on. Rerunning with the same ``out`` skips images already explained (rows with an
    error are tried again) and keeps the rows of images not in this run; other parameters (or another mask
    or label for an image already done) are refused with :class:`AuditParametersError` naming them. Each
    finished row is saved with its explanation as it finishes and the table is rewritten (atomically) every
    few seconds and on Ctrl-C, so nothing finished is lost, even when this process is killed.
    Returns an :class:`AuditResult`.
    """
    require_extra("lw.audit")
    positive_int(top_k, "top_k", hint="top superpixels recorded per row")
    positive_int(n_workers, "n_workers", allow_none=True, hint="None: one per core")
    if client is not None and n_workers is not None:
        raise ValueError("give n_workers only for the embedded cluster; an existing client= has its own workers")
    if client is not None and not isinstance(client, str) and type(client).__name__ != "Client":
        raise ValueError(
            f"client must be a dask.distributed.Client, a scheduler address or None; got {type(client).__name__}"
        )
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False; got {progress!r}")
    kwargs = check_explain_kwargs(explain_kwargs)
    cfg = config_of(kwargs)  # bad explain settings (n_segments included) fail here, before any cluster starts
    with _environ_kept():  # importing torchvision sets TORCHINDUCTOR_CACHE_DIR: the caller's environment stays
        names = _class_names(model)  # a model that cannot be a classifier, or an unknown name, fails here too
    for c in cfg.classes or () if names is not None else ():  # a model without class names: the workers check
        try:
            class_id(c, names or [])
        except ClassLookupError as err:
            raise ValueError(f"classes: {err}") from None
    items = collect_items(images, object_masks)
    for item in items:
        if item.label is not None and names is not None:
            try:
                class_id(item.label, names)
            except ClassLookupError as err:
                raise ValueError(f"images[{item.index}] ({item.key}): the label {item.label!r}: {err}") from None
    folder = Path(out)
    _check_out(folder)
    if not isinstance(model, str):
        _check_picklable(model)
    if client is None:
        check_main_guard()
    parameters = parameters_of(model, kwargs, top_k)
    conflict = manifest_conflict(folder, parameters)
    if conflict is not None:
        raise AuditParametersError(conflict)
    by_key = {item.key: item for item in items}
    earlier = load_rows(folder) if folder.is_dir() else []
    _check_same_inputs(earlier, by_key)
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(folder, parameters)

    done = [
        {**row, "index": by_key[row_key(row)].index}
        for row in earlier
        if not row["error"] and row_key(row) in by_key and row["json"] and (folder / str(row["json"])).is_file()
    ]
    done_keys = {row_key(row) for row in done}
    rows = done + _kept(earlier, by_key, len(items))
    todo = [item for item in items if item.key not in done_keys and not item.problem]
    for item in items:
        if item.key not in done_keys and item.problem:  # found before any work: an error row, no task
            rows.append(empty_row(item))
            with contextlib.suppress(OSError):
                row_file(folder, item).unlink(missing_ok=True)
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
        atomic_write_text(folder / RUNNING, f"pid {os.getpid()}\n")  # removed once the table holds every row
        try:
            rows = _run(dask_client, todo, job, rows, folder, progress=progress, total=len(items))
        finally:
            with contextlib.suppress(Exception):
                dask_client.unregister_worker_plugin(job.plugin)
    result.table = frame(rows)
    return result


def _class_names(model: Any) -> list[str] | None:
    """The model's class names (None when it has none), without loading a model given by name (its weights
    are the workers' job)."""
    if isinstance(model, str):
        if model in OFFLINE_MODELS:
            return imagenet_categories()
        import torchvision.models as tvm

        from ..models.zoo import ModelUnavailableError, load_model

        if model not in tvm.list_models(module=tvm):
            load_model(model)  # raises ModelUnavailableError naming the known models
            raise ModelUnavailableError(f"model: unknown model {model!r}")  # pragma: no cover
        return list(tvm.get_model_weights(model).DEFAULT.meta["categories"])  # type: ignore[attr-defined]
    names = as_classifier(model).class_names
    return None if names is None else list(names)


def _check_out(folder: Path) -> None:
    """ValueError naming ``out`` (or the file in it) when it cannot hold an audit."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out: {str(folder)!r} is a file; give a folder")
    for sub in (EXPLANATIONS, ROWS):
        if (folder / sub).exists() and not (folder / sub).is_dir():
            raise AuditOutputError(
                f"out: {str(folder / sub)!r} is a file, where the audit keeps its {sub}; move it away or choose "
                "another out="
            )
    if (folder / MANIFEST).exists() and not (folder / MANIFEST).is_file():
        raise AuditOutputError(f"out: {str(folder / MANIFEST)!r} is not a file; choose another out=")
    if (folder / TABLE).exists() and not (folder / MANIFEST).exists():
        raise AuditOutputError(
            f"out: {str(folder)!r} holds an {TABLE} but no {MANIFEST}: it is not an audit folder this version can "
            "resume; choose another out="
        )


def _check_picklable(model: Any) -> None:
    """TypeError naming the model's type when it cannot be sent to the workers (Dask pickles it)."""
    from distributed.protocol.pickle import dumps

    try:
        dumps(model)
    except Exception as err:
        fn = getattr(model, "fn", None)
        inner = f" (its function {getattr(fn, '__qualname__', type(fn).__name__)})" if fn is not None else ""
        raise TypeError(
            f"model: the {type(model).__name__}{inner} cannot be sent to the worker processes: it does not pickle "
            f"({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}). Dask pickles the model "
            "(with cloudpickle) once per worker: it must not hold a lock, a thread, an open file or a live "
            "connection. Fix: give a model name (each worker loads it), or build the classifier from picklable "
            "parts, e.g. a module-level function instead of a lambda or a local function that captures such "
            "objects"
        ) from None


def _check_same_inputs(earlier: list[dict[str, Any]], by_key: dict[str, AuditItem]) -> None:
    """AuditParametersError when an image already done in ``out`` is given another object mask or label now:
    its row would silently keep the old one."""
    differ: list[str] = []
    for row in earlier:
        item = by_key.get(row_key(row))
        if item is None or row["error"]:
            continue
        old_mask = str(row.get("mask_sha") or "")
        if old_mask != item.mask_sha:
            differ.append(f"object_masks of {item.key}: {old_mask or None!r} -> {item.mask_sha or None!r}")
        label = item.label
        old = row.get("true_class") if isinstance(label, str) else row.get("true_label")
        old = None if old in (None, "") else old
        if old != label:
            differ.append(f"label of {item.key}: {old!r} -> {label!r}")
    if differ:
        more = f" (and {len(differ) - 3} more)" if len(differ) > 3 else ""
        raise AuditParametersError(
            f"out holds rows made with other per-image inputs ({'; '.join(differ[:3])}{more}); their rows cannot "
            "be mixed with this run's. Use another out= folder, or delete that one to start over"
        )


def _kept(earlier: list[dict[str, Any]], by_key: dict[str, AuditItem], n: int) -> list[dict[str, Any]]:
    """The rows of images that are not part of this run (a rerun on a subset keeps them), after this run's.

    In-memory images are identified by their position, so their rows keep their index; a row whose position
    is now a file of this run cannot keep it and is dropped with a warning. File rows are numbered after
    every other row, in their earlier order."""
    others = sorted((r for r in earlier if row_key(r) not in by_key), key=lambda r: int(r["index"]))
    kept = []
    for row in others:
        if not row["path"] and int(row["index"]) < n:
            warnings.warn(
                f"out: the row of in-memory image #{row['index']} was dropped: position {row['index']} is now "
                f"{next(k for k, it in by_key.items() if it.index == int(row['index']))!r}",
                UserWarning,
                stacklevel=3,
            )
            continue
        kept.append(row)
    start = max([n - 1] + [int(r["index"]) for r in kept if not r["path"]]) + 1
    out = []
    for row in kept:
        if row["path"]:
            row = {**row, "index": start}
            start += 1
        out.append(row)
    return out


# ------------------------------------------------------------------------------------------ script guard
_GUARD = (
    "lw.audit was called at the top level of the script {where}: its worker processes start by re-importing "
    'the script, which would start the audit again in each of them. Put the call under `if __name__ == "__main__":`'
)


def check_main_guard() -> None:
    """RuntimeError when the embedded cluster would re-run the caller's script in each worker process: the
    call comes from the top level of a ``__main__`` script, not under ``if __name__ == "__main__":``
    (workers start with ``spawn`` or ``forkserver``, which import the main script), or this process is such
    a worker still importing it."""
    import multiprocessing

    import dask

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(_GUARD.format(where="that started this process"))
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or not os.path.isfile(path):
        return  # a notebook, python -c, an interactive session: nothing is re-imported
    if dask.config.get("distributed.worker.multiprocessing-method", "spawn") == "fork":
        return
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is vars(main) and frame.f_code.co_name == "<module>":
            if not _under_main_guard(path, frame.f_lineno):
                raise RuntimeError(_GUARD.format(where=f"{path!r} (line {frame.f_lineno})"))
            return
        frame = frame.f_back  # type: ignore[assignment]


def _under_main_guard(path: str, line: int) -> bool:
    """Whether ``line`` of the script at ``path`` lies in the body of an ``if __name__ == "__main__":``
    (True when the script cannot be read or parsed: no false alarm)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or node.body[-1].lineno):
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


# ------------------------------------------------------------------------------------------- the cluster
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
    """Submit the tasks in a bounded window, collect rows as they finish, rewrite the table as they come.

    A task whose worker process died too often (Dask's ``KilledWorker``: the image crashes the process) gives
    that image an error row; the other tasks go on (the nanny restarts the worker)."""
    from distributed import KilledWorker, as_completed
    from tqdm.auto import tqdm

    rows = list(rows)
    window = max(8, 4 * max(1, sum(client.nthreads().values())))
    pending = iter(todo)
    of_key: dict[Any, AuditItem] = {}

    def submit(item: AuditItem) -> Any:
        future = client.submit(audit_task, item, job, pure=False)
        of_key[future.key] = item
        return future

    done_iter = as_completed([submit(item) for item in _take(pending, window)])
    bar = tqdm(total=total, initial=total - len(todo), desc="audit", unit="image", disable=not progress)
    last_write = 0.0
    try:
        for future in done_iter:
            item = of_key.pop(future.key)
            try:
                row = future.result()
            except KilledWorker as err:
                row = empty_row(item)
                row["error"] = (
                    f"KilledWorker: the worker process died each time it explained {item.key!r} (a crash in the "
                    f"model: a segfault, os._exit or out of memory?); the other images went on ({err})"
                )
            if row["error"]:
                with contextlib.suppress(OSError):
                    row_file(out, item).unlink(missing_ok=True)  # an earlier success of this image is stale
            rows.append(row)
            future.release()
            for nxt in _take(pending, 1):
                done_iter.add(submit(nxt))
            bar.update(1)
            if time.monotonic() - last_write > 2.0:
                write_table(out, rows)
                last_write = time.monotonic()
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            client.cancel(list(done_iter.futures))
        write_table(out, rows)  # also on Ctrl-C or a lost cluster: what finished is kept
        (out / RUNNING).unlink(missing_ok=True)
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
    # One task at a time per worker (saturation 1.0), so a worker that dies takes the blame for the one image it
    # was explaining only; that image is tried once more (a chance death, say of memory, is survived) and
    # then becomes an error row (allowed-failures 1: an image that crashes the process costs two restarts).
    with (
        _environ_kept(),
        dask.config.set(
            {
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                "distributed.scheduler.allowed-failures": 1,
                "distributed.scheduler.worker-saturation": 1.0,
            }
        ),
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


@contextlib.contextmanager
def _environ_kept() -> Iterator[None]:
    """Put the process's environment back as it was on leaving (variables set inside are removed)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in [k for k in os.environ if k not in saved]:
            del os.environ[name]
        os.environ.update(saved)
