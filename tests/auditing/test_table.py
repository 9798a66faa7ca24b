"""The audit table and its row files: columns and types, round trips, safe reading, the rebuild from row files
(no cluster: small in-memory rows on tmp_path)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lime_widget.auditing._items import AuditItem
from lime_widget.auditing._table import (
    COLUMNS,
    ROWS,
    RUNNING,
    TABLE,
    AuditOutputError,
    empty_row,
    frame,
    load_rows,
    read_row,
    read_table,
    row_key,
    write_row,
    write_table,
)

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

INTS = ("true_label", "predicted", "flip_k", "n_segments")
BOOLS = ("correct", "pointing_hit")
FLOATS = ("probability", "stability", "object_share", "deletion_auc", "seconds")
LISTS = ("top_segments", "top_weights")
TEXTS = tuple(c for c in COLUMNS if c not in ("index", *INTS, *BOOLS, *FLOATS, *LISTS))


def _item(index: int = 0, path: str | None = None, **kw) -> AuditItem:
    return AuditItem(**{"index": index, "path": path, "image": None, "label": None, "object_mask": None, **kw})


def _row(index: int, path: str = "", **change) -> dict:
    """A finished row, as a worker records it (numpy scalars included)."""
    row = empty_row(_item(index, path or None))
    row.update(
        true_label=1,
        true_class="yes",
        predicted=np.int64(1),
        predicted_class="yes",
        probability=np.float64(0.75),
        correct=True,
        explained_class="yes",
        top_segments=[3, 1, 2],
        top_weights=[0.5, 0.25, -0.125],
        stability=0.875,
        object_share=float("nan"),
        pointing_hit=None,
        deletion_auc=0.3125,
        flip_k=None,
        n_segments=np.int64(16),
        seconds=1.5,
        json=f"explanations/{index:06d}.json",
        worker="tcp://127.0.0.1:1",
    )
    row.update(change)
    return row


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _assert_rows_equal(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(COLUMNS)
        diff = {c: (g[c], w[c]) for c in COLUMNS if not _same(g[c], w[c])}
        assert not diff, diff


# ----------------------------------------------------------------------------------------- columns and types
def test_an_empty_row_has_every_column_and_none_of_the_figures():
    row = empty_row(_item(3, "/data/a.png", problem="ImageError: broken", same_file_as="/data/b.png"))
    assert list(row) == list(COLUMNS)
    assert row["index"] == 3 and row["path"] == "/data/a.png" and row["error"] == "ImageError: broken"
    assert row["same_file_as"] == "/data/b.png" and row["mask_sha"] == "" and row["json"] == ""
    assert row["top_segments"] == [] and row["top_weights"] == []
    assert all(math.isnan(row[c]) for c in FLOATS)
    assert all(row[c] is None for c in (*INTS, *BOOLS))
    in_memory = empty_row(_item(5, None, object_mask=np.ones((2, 2), bool)))
    assert in_memory["path"] == "" and in_memory["mask_sha"].startswith("mask ")
    assert empty_row(_item(5)) is not empty_row(_item(5))  # fresh lists each time
    empty_row(_item(5))["top_segments"].append(1)
    assert empty_row(_item(5))["top_segments"] == []


@pytest.mark.parametrize("rows", [[], "empty-row"], ids=["no-rows", "one-empty-row"])
def test_every_column_has_its_type(rows):
    table = frame([empty_row(_item(0))] if rows == "empty-row" else [])
    assert list(table.columns) == list(COLUMNS)
    assert table["index"].dtype == np.int64
    for name in INTS:
        assert str(table[name].dtype) == "Int64", name
    for name in BOOLS:
        assert str(table[name].dtype) == "boolean", name
    for name in FLOATS:
        assert table[name].dtype == np.float64, name
    for name in TEXTS:
        assert pd.api.types.is_string_dtype(table[name].dtype), name
        assert all(isinstance(v, str) for v in table[name]), name
    if rows:
        assert table[list(INTS)].isna().all().all() and table[list(BOOLS)].isna().all().all()
        assert table[list(FLOATS)].isna().all().all()
        assert list(table["top_segments"][0]) == [] and table["path"][0] == ""


def test_the_table_is_sorted_by_index_and_none_becomes_na_or_empty_text():
    table = frame([_row(2, "/c.png"), _row(0, "/a.png", worker=None, flip_k=4), _row(1, "/b.png")])
    assert table["index"].tolist() == [0, 1, 2] and table["path"].tolist() == ["/a.png", "/b.png", "/c.png"]
    assert table["worker"][0] == "" and table["flip_k"][0] == 4 and pd.isna(table["flip_k"][1])
    assert table["probability"].tolist() == [0.75] * 3 and bool(table["correct"][0])


def test_row_key_is_the_path_or_the_index():
    assert row_key(_row(4, "/x/y.png")) == "/x/y.png"
    assert row_key(_row(4)) == "#4"
    assert row_key(empty_row(_item(7, "/z.png"))) == _item(7, "/z.png").key
    assert row_key(empty_row(_item(7))) == _item(7).key


# ------------------------------------------------------------------------------------------------ round trips
def test_write_and_read_table_round_trip(tmp_path):
    rows = [_row(1, "/b.png"), _row(0, "/a.png", flip_k=2, pointing_hit=False), empty_row(_item(2, "/c.png"))]
    written = write_table(tmp_path, rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == [TABLE]  # atomically: no temporary left behind
    back = read_table(tmp_path)
    assert [r["index"] for r in back] == [0, 1, 2]
    assert back[0]["flip_k"] == 2 and back[0]["pointing_hit"] is False and back[1]["flip_k"] is None
    assert back[0]["top_segments"] == [3, 1, 2] and isinstance(back[0]["top_weights"], list)
    assert back[2]["true_label"] is None and back[2]["top_segments"] == []
    pd.testing.assert_frame_equal(frame(back), written)
    write_table(tmp_path, back)  # what was read writes back the same
    pd.testing.assert_frame_equal(frame(read_table(tmp_path)), written)


def test_no_table_yet_reads_as_no_rows(tmp_path):
    assert read_table(tmp_path) == [] and load_rows(tmp_path) == []


def test_write_and_read_row_round_trip_with_numpy_scalars(tmp_path):
    row = _row(3, "/d.png", correct=np.bool_(False), seconds=np.float32(2.5), flip_k=np.int32(2))
    write_row(tmp_path, "000003.json", row)
    path = tmp_path / ROWS / "000003.json"
    assert sorted(p.name for p in path.parent.iterdir()) == ["000003.json"]
    back = read_row(path)
    want = {**row, "predicted": 1, "n_segments": 16, "probability": 0.75, "correct": False, "seconds": 2.5, "flip_k": 2}
    _assert_rows_equal([back], [want])
    assert math.isnan(back["object_share"]) and back["pointing_hit"] is None  # NaN and None come back
    pd.testing.assert_frame_equal(frame([back]), frame([want]))


def test_write_row_writes_numpy_arrays_as_lists(tmp_path):
    write_row(tmp_path, "a.json", _row(0, top_segments=np.array([5, 4]), top_weights=np.array([0.5])))
    back = read_row(tmp_path / ROWS / "a.json")
    assert back["top_segments"] == [5, 4] and back["top_weights"] == [0.5]


def test_a_row_file_without_some_columns_gets_them_empty(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"index": 0, "path": "/a.png", "error": "", "json": "e.json", "extra": 1}))
    row = read_row(path)
    assert list(row) == list(COLUMNS) and "extra" not in row
    assert row["top_segments"] == [] and math.isnan(row["probability"]) and row["predicted"] is None


def test_write_row_refuses_what_is_not_json(tmp_path):
    with pytest.raises(TypeError, match="object is not JSON"):
        write_row(tmp_path, "x.json", {**_row(0), "worker": object()})
    assert not (tmp_path / ROWS / "x.json").exists()


# ------------------------------------------------------------------------------------------------ safe reading
TABLES = {
    "garbage": b"PAR1 garbage PAR1",
    "empty": b"",
    "csv": b"index,path\n0,a.png\n",
}


@pytest.mark.parametrize("content", list(TABLES.values()), ids=list(TABLES))
def test_a_corrupt_table_is_an_audit_output_error_naming_it(tmp_path, content):
    (tmp_path / TABLE).write_bytes(content)
    with pytest.raises(AuditOutputError, match=r"is not an audit table") as info:
        read_table(tmp_path)
    message = str(info.value)
    assert message.startswith(f"out: {str(tmp_path / TABLE)!r} is not an audit table (")
    assert message.endswith(f"delete it (lw.audit rebuilds it from {ROWS}/), or choose another out=")
    assert "\n" not in message and isinstance(info.value, ValueError)


def test_a_truncated_table_is_an_error(tmp_path):
    write_table(tmp_path, [_row(0, "/a.png"), _row(1, "/b.png")])
    path = tmp_path / TABLE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AuditOutputError, match=r"audit\.parquet' is not an audit table"):
        read_table(tmp_path)


def test_a_foreign_parquet_names_the_missing_columns(tmp_path):
    pd.DataFrame({"a": [1, 2], "path": ["x", "y"]}).to_parquet(tmp_path / TABLE)
    with pytest.raises(AuditOutputError, match=r"\(ValueError: it has no index, error, json column\)"):
        read_table(tmp_path)


def test_a_table_whose_columns_do_not_convert_is_an_error(tmp_path):
    bad = frame([_row(0, "/a.png")]).astype({"n_segments": object})
    bad["n_segments"] = ["many"]
    bad.to_parquet(tmp_path / TABLE)
    with pytest.raises(AuditOutputError, match="is not an audit table"):
        read_table(tmp_path)


ROW_FILES = {
    "garbage": (b"\x00\xffgarbage", ""),
    "empty": (b"", "Expecting value"),
    "list": (b"[1, 2]", "not an object with the columns index, path, error, json"),
    "no-columns": (b"{}", "not an object with the columns"),
    "index-text": (b'{"index": "x", "path": "/a.png", "error": "", "json": "a"}', "index must be an int"),
    "index-bool": (b'{"index": true, "path": "/a.png", "error": "", "json": "a"}', "index must be an int"),
    "path-number": (b'{"index": 0, "path": 1, "error": "", "json": "a"}', "path a string"),
    "error-row": (b'{"index": 0, "path": "", "error": "ImageError", "json": ""}', "a finished explanation"),
    "no-explanation": (b'{"index": 0, "path": "", "error": "", "json": ""}', "a finished explanation"),
}


@pytest.mark.parametrize(("content", "why"), list(ROW_FILES.values()), ids=list(ROW_FILES))
def test_a_corrupt_row_file_is_an_audit_output_error_naming_it(tmp_path, content, why):
    path = tmp_path / "000000.json"
    path.write_bytes(content)
    with pytest.raises(AuditOutputError) as info:
        read_row(path)
    assert str(info.value).startswith(f"out: {str(path)!r} is not an audit row file (")
    assert why in str(info.value) and "\n" not in str(info.value)


# -------------------------------------------------------------------------------------- load_rows, the rebuild
def _finished(out: Path, rows: list[dict], table: bool = True, running: bool = False) -> None:
    """An out folder as an audit leaves it: a row file per finished row, the table, audit.running if killed."""
    for row in rows:
        write_row(out, f"{row['index']:06d}.json", row)
    if table:
        write_table(out, rows)
    if running:
        (out / RUNNING).write_text("pid 1")


def test_after_a_clean_end_the_table_is_the_record(tmp_path):
    rows = [_row(0, "/a.png"), _row(1, "/b.png")]
    _finished(tmp_path, rows)
    write_row(tmp_path, "000002.json", _row(2, "/c.png"))  # a cancelled task that finished after the end
    write_row(tmp_path, "000000.json", _row(0, "/a.png", seconds=9.0))
    got = load_rows(tmp_path)
    assert [r["path"] for r in got] == ["/a.png", "/b.png"] and got[0]["seconds"] == 1.5


def test_after_a_killed_run_the_row_files_complete_the_table(tmp_path):
    _finished(tmp_path, [_row(0, "/a.png"), _row(1, "/b.png")], running=True)
    write_row(tmp_path, "000002.json", _row(2, "/c.png"))  # finished after the last table write
    write_row(tmp_path, "000000.json", _row(0, "/a.png", seconds=9.0))  # redone after it: the newer row wins
    got = {r["path"]: r for r in load_rows(tmp_path)}
    assert sorted(got) == ["/a.png", "/b.png", "/c.png"] and got["/a.png"]["seconds"] == 9.0


def test_row_files_without_a_table_are_read(tmp_path):
    rows = [_row(0, "/a.png"), _row(1)]
    _finished(tmp_path, rows, table=False, running=True)
    _assert_rows_equal(
        sorted(load_rows(tmp_path), key=lambda r: r["index"]),
        [read_row(p) for p in sorted((tmp_path / ROWS).iterdir())],
    )
    assert {row_key(r) for r in load_rows(tmp_path)} == {"/a.png", "#1"}


@pytest.mark.parametrize("running", [False, True], ids=["clean-end", "killed"])
@pytest.mark.parametrize("content", list(TABLES.values()), ids=list(TABLES))
def test_a_corrupt_table_is_rebuilt_from_the_row_files_with_a_warning(tmp_path, content, running):
    rows = [_row(0, "/a.png"), _row(1, "/b.png"), _row(2)]
    _finished(tmp_path, rows, running=running)
    (tmp_path / TABLE).write_bytes(content)
    folder = tmp_path / ROWS
    with pytest.warns(
        UserWarning, match=r"audit\.parquet' is not an audit table .*; rebuilt from the 3 files in "
    ) as w:
        got = load_rows(tmp_path)
    assert repr(str(folder)) in str(w[0].message)
    pd.testing.assert_frame_equal(frame(got), frame(rows))


def test_a_corrupt_table_without_row_files_is_an_audit_output_error(tmp_path):
    (tmp_path / TABLE).write_bytes(b"garbage")
    with pytest.raises(
        AuditOutputError, match=re.escape(f"out: {str(tmp_path / TABLE)!r} is not an audit table (") + ".*delete it"
    ):
        load_rows(tmp_path)
    (tmp_path / ROWS).mkdir()  # an empty rows folder holds nothing to rebuild from
    (tmp_path / ROWS / "notes.txt").write_text("not a row file")
    with pytest.raises(AuditOutputError, match="is not an audit table"):
        load_rows(tmp_path)


def test_a_corrupt_row_file_is_ignored_with_a_warning_naming_it(tmp_path):
    rows = [_row(0, "/a.png"), _row(1, "/b.png"), _row(2, "/c.png")]
    _finished(tmp_path, rows, table=False, running=True)
    victim = tmp_path / ROWS / "000001.json"
    victim.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="is not an audit row file") as w:
        got = load_rows(tmp_path)
    assert str(w[0].message).startswith(f"out: {str(victim)!r} is not an audit row file (")
    assert str(w[0].message).endswith("; ignored (its image is explained again)")
    assert sorted(r["path"] for r in got) == ["/a.png", "/c.png"]


BAD_VALUES = {
    "top_segments-number": {"top_segments": 5},
    "n_segments-text": {"n_segments": "many"},
    "n_segments-fraction": {"n_segments": 1.5},
    "correct-text": {"correct": "yes"},
}


@pytest.mark.parametrize("bad", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_a_row_file_with_a_value_of_the_wrong_type_is_ignored_with_a_warning(tmp_path, bad):
    _finished(tmp_path, [_row(0, "/a.png")], table=False, running=True)
    victim = tmp_path / ROWS / "000001.json"
    victim.write_text(json.dumps({"index": 1, "path": "/b.png", "error": "", "json": "e.json", **bad}))
    with pytest.warns(UserWarning, match=r"000001\.json' is not an audit row file"):
        got = load_rows(tmp_path)
    assert [r["path"] for r in got] == ["/a.png"] and len(frame(got)) == 1


def test_a_corrupt_row_file_after_a_killed_run_leaves_the_table_row(tmp_path):
    rows = [_row(0, "/a.png"), _row(1, "/b.png")]
    _finished(tmp_path, rows, running=True)
    (tmp_path / ROWS / "000000.json").write_bytes(b"{}")
    with pytest.warns(UserWarning, match=r"000000\.json' is not an audit row file"):
        got = load_rows(tmp_path)
    pd.testing.assert_frame_equal(frame(got), frame(rows))
