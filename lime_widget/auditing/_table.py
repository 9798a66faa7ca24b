"""The audit table (``audit.parquet``): its columns and their types, an image's empty row, reading and
(atomically) writing it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._files import atomic_path
from ._items import AuditItem

if TYPE_CHECKING:
    import pandas as pd

TABLE = "audit.parquet"
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
        error="",
        warnings="",
        json="",
        worker="",
    )
    for name in ("probability", "stability", "object_share", "deletion_auc", "seconds"):
        row[name] = float("nan")
    return row


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
    for name in ("path", "true_class", "predicted_class", "explained_class", "error", "warnings", "json", "worker"):
        table[name] = table[name].fillna("").astype(str)
    table["index"] = table["index"].astype("int64")
    return table


def read_table(out: Path) -> list[dict[str, Any]]:
    """The rows of ``out/audit.parquet`` (none when there is no table yet), NA as None."""
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


def write_table(out: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Write ``rows`` to ``out/audit.parquet`` atomically and return the table."""
    table = frame(rows)
    with atomic_path(out / TABLE) as tmp:
        table.to_parquet(tmp, index=False)
    return table
