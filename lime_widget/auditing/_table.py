"""The audit table (``audit.parquet``): its columns and their types, an image's empty row, reading and
(atomically) writing it, and the per-image row files (``rows/*.json``) it is rebuilt from.

A worker writes an image's explanation, then its row file; the client gathers rows into the table every few
seconds. While a run is on, ``audit.running`` exists: when a run ends without removing it (its process was
killed), the rows finished after the last table write are taken from the row files, and a corrupt table is
rebuilt from them. After a clean end (Ctrl-C included) the table is the record: a row file written later, by a
task that was cancelled but still finished, is not trusted over it (that image is explained again).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._files import atomic_path, atomic_write_text
from ._items import AuditItem

if TYPE_CHECKING:
    import pandas as pd

TABLE = "audit.parquet"
ROWS = "rows"
RUNNING = "audit.running"
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
    "same_file_as",
    "mask_sha",
)
#: The columns that hold text ("" where there is none).
TEXT_COLUMNS = (
    "path",
    "true_class",
    "predicted_class",
    "explained_class",
    "error",
    "warnings",
    "json",
    "worker",
    "same_file_as",
    "mask_sha",
)
# A table or row file without these is not one this package wrote.
_REQUIRED = ("index", "path", "error", "json")


class AuditOutputError(ValueError):
    """A file in an audit's ``out`` folder cannot be read as what the audit wrote there."""


def empty_row(item: AuditItem) -> dict[str, Any]:
    """The row of an image before (or without) its explanation: every column, none of the figures."""
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
        error=item.problem,
        warnings="",
        json="",
        worker="",
        same_file_as=item.same_file_as,
        mask_sha=item.mask_sha,
    )
    for name in ("probability", "stability", "object_share", "deletion_auc", "seconds"):
        row[name] = float("nan")
    return row


def row_key(row: dict[str, Any]) -> str:
    """The image a row is of (see :attr:`AuditItem.key`)."""
    return str(row["path"]) if row["path"] else f"#{row['index']}"


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table of ``rows`` (dicts of :data:`COLUMNS`), sorted by index, each column with its dtype."""
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
    for name in TEXT_COLUMNS:
        table[name] = table[name].fillna("").astype(str)
    table["index"] = table["index"].astype("int64")
    return table


def read_table(out: Path) -> list[dict[str, Any]]:
    """The rows of ``out/audit.parquet`` (none when there is no table yet), NA as None.

    Raises :class:`AuditOutputError` naming the file when it is not an audit table (corrupt, or another file).
    """
    import pandas as pd

    path = out / TABLE
    if not path.exists():
        return []
    try:
        table = pd.read_parquet(path)
        missing = [c for c in _REQUIRED if c not in table.columns]
        if missing:
            raise ValueError(f"it has no {', '.join(missing)} column")
        rows = [_clean(rec) for rec in table.to_dict("records")]
        frame(rows)  # every column converts to its type
    except Exception as err:  # pyarrow, pandas and OS errors differ; all mean: not a table we can use
        raise AuditOutputError(
            f"out: {str(path)!r} is not an audit table ({type(err).__name__}: {_first_line(err)}); delete it "
            f"(lw.audit rebuilds it from {ROWS}/), or choose another out="
        ) from None
    return rows


def _clean(rec: dict[str, Any]) -> dict[str, Any]:
    rec = {k: (None if _is_na(v) else v) for k, v in rec.items()}
    for name in ("top_segments", "top_weights"):
        rec[name] = [] if rec.get(name) is None else list(rec[name])
    return rec


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""


def _is_na(value: Any) -> bool:
    import pandas as pd

    return not isinstance(value, (list, np.ndarray)) and bool(pd.isna(value))


def write_table(out: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Write ``rows`` to ``out/audit.parquet`` atomically and return the table."""
    table = frame(rows)
    with atomic_path(out / TABLE) as tmp:
        table.to_parquet(tmp, index=False)
    return table


def write_row(out: Path, name: str, row: dict[str, Any]) -> None:
    """Record one finished row in ``out/rows/<name>`` (atomically), next to its explanation."""
    (out / ROWS).mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / ROWS / name, json.dumps(row, default=_plain))


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):  # arrays -> lists, numpy scalars -> Python numbers
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


# The types a row file may hold per column (None is always allowed): anything else is not a file we wrote.
_ROW_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("true_label", "predicted", "flip_k", "n_segments"), (int,)),
    **dict.fromkeys(("correct", "pointing_hit"), (bool,)),
    **dict.fromkeys(("probability", "stability", "object_share", "deletion_auc", "seconds"), (int, float)),
    **dict.fromkeys(TEXT_COLUMNS, (str,)),
}


def read_row(path: Path) -> dict[str, Any]:
    """One row file; :class:`AuditOutputError` naming it when it is not one this package wrote."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(row, dict) or any(c not in row for c in _REQUIRED):
            raise ValueError(f"not an object with the columns {', '.join(_REQUIRED)}")
        if isinstance(row["index"], bool) or not isinstance(row["index"], int) or not isinstance(row["path"], str):
            raise ValueError("index must be an int and path a string")
        if not isinstance(row["json"], str) or not row["json"] or row["error"]:
            raise ValueError("a row file records a finished explanation")
        for name, kinds in _ROW_TYPES.items():
            v = row.get(name)
            if v is not None and (not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds)):
                raise ValueError(f"{name} must be {' or '.join(k.__name__ for k in kinds)}; got {type(v).__name__}")
        for name in ("top_segments", "top_weights"):
            v = row.get(name)
            if v is not None and (
                not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)
            ):
                raise ValueError(f"{name} must be a list of numbers")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise AuditOutputError(f"out: {str(path)!r} is not an audit row file ({_first_line(err)})") from None
    full = dict.fromkeys(COLUMNS)
    full.update({k: v for k, v in row.items() if k in COLUMNS})
    for name in ("top_segments", "top_weights"):
        full[name] = list(full[name] or [])
    for name in ("probability", "stability", "object_share", "deletion_auc", "seconds"):
        value = full[name]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            full[name] = float("nan")
    return full


def load_rows(out: Path) -> list[dict[str, Any]]:
    """Every row recorded in ``out``: the table's, completed (or replaced) by the row files when the last run
    did not end cleanly. A corrupt table is rebuilt from the row files, and a corrupt row file ignored (its
    image is explained again), each with a warning naming the file; without row files a corrupt table is an
    :class:`AuditOutputError`."""
    folder = out / ROWS
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    try:
        rows = read_table(out)
    except AuditOutputError as err:
        if not files:
            raise
        warnings.warn(f"{err}; rebuilt from the {len(files)} files in {str(folder)!r}", UserWarning, stacklevel=3)
        rows = []
    else:
        if (out / TABLE).exists() and not (out / RUNNING).exists():
            return rows  # the last run ended cleanly: its table is the record
    by_key = {row_key(row): row for row in rows}
    for f in files:
        try:
            row = read_row(f)
        except AuditOutputError as err:
            warnings.warn(f"{err}; ignored (its image is explained again)", UserWarning, stacklevel=3)
            continue
        by_key[row_key(row)] = row
    return list(by_key.values())
