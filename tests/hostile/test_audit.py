"""Hostile inputs to lw.audit: each is a clear error naming the argument or file, or the documented row.

No silently wrong result, no crash of the whole run, no lost finished result, no leaked threads or processes.
Classes of cases: bad arguments (fail before any work, nothing written), resume conflicts (AuditParametersError
naming the parameter, old and new), corrupt or foreign output files (an error naming the file and the fix, or a
rebuild with a warning), hostile folders (documented rows), models that kill their worker (an error row),
scripts without the __main__ guard, the audit extra missing, and the chaos test (a killed worker, a killed
parent, then a resume equal to an uninterrupted run).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lime_widget as lw
from lime_widget.auditing._table import COLUMNS, AuditOutputError

from ..helpers import GRID, cell_image, linear_model

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[2]
KW = dict(num_samples=48, hide="black", segmentation="grid", n_segments=16)
BETA = np.linspace(-0.02, 0.03, GRID * GRID)
MODEL = linear_model(BETA)
# Columns that differ between two runs of the same work (timing, which worker).
SAME = [c for c in COLUMNS if c not in ("seconds", "worker")]


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes shared by this module's tests that need a cluster."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _images(root: Path, n: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(cell_image(i)).save(root / f"img{i}.png")
    return root


@pytest.fixture(scope="module")
def base(tmp_path_factory, client):
    """A finished audit of six images (the folder and its out), copied by the tests that change it."""
    root = tmp_path_factory.mktemp("base")
    images = _images(root / "images")
    res = lw.audit(images, MODEL, out=root / "out", client=client, progress=False, **KW)
    assert (res.table["error"] == "").all()
    return images, root / "out", res


def _copy(base, tmp_path: Path) -> tuple[Path, Path]:
    images, out, _ = base
    shutil.copytree(out, tmp_path / "out")
    return images, tmp_path / "out"


def _children() -> set[int]:
    """Child processes, less multiprocessing's resource tracker (one per process, kept until it exits)."""
    out = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(p.cmdline()):
                out.add(p.pid)
        except psutil.Error:  # gone meanwhile
            pass
    return out


@pytest.fixture
def no_leaks():
    """No thread or child process outlives the test (beyond the module's own cluster)."""
    threads, children = set(threading.enumerate()), _children()
    yield
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        extra_threads = {t for t in set(threading.enumerate()) - threads if t.is_alive() and not t.daemon}
        extra_children = _children() - children
        if not extra_threads and not extra_children:
            return
        time.sleep(0.2)
    assert not extra_threads, f"threads left running: {extra_threads}"
    assert not extra_children, f"processes left running: {extra_children}"


# ------------------------------------------------------------------------- bad arguments, before any work
class _Locked:
    """A model function that captures a lock: it cannot be pickled to the workers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return MODEL.fn(batch)


IMG = cell_image(0)
BAD_ARGUMENTS = [
    # (id, images, model, kwargs, error, match)
    ("missing-folder", "/nonexistent/folder", MODEL, {}, FileNotFoundError, "images: .* does not exist"),
    ("int-images", 12, MODEL, {}, ValueError, "images: expected a folder"),
    ("dict-images", {"a": 1}, MODEL, {}, ValueError, "images: expected a folder"),
    ("bytes-images", b"abc", MODEL, {}, ValueError, "images: expected a folder"),
    ("empty-list", [], MODEL, {}, ValueError, "images: the sequence is empty"),
    ("float-label", [(IMG, 1.5)], MODEL, {}, ValueError, r"images\[0\]: the label must be a class id"),
    ("bool-label", [(IMG, True)], MODEL, {}, ValueError, r"images\[0\]: the label must be a class id"),
    ("label-id-out-of-range", [(IMG, 7)], MODEL, {}, ValueError, r"images\[0\].*class id 7 is out of range"),
    ("label-unknown-name", [(IMG, "zebra")], MODEL, {}, ValueError, r"images\[0\].*unknown class name 'zebra'"),
    ("classes-unknown-name", [IMG], MODEL, {"classes": ["zebra"]}, ValueError, "classes: unknown class name"),
    ("classes-id-out-of-range", [IMG], MODEL, {"classes": [5]}, ValueError, "classes: class id 5 is out of range"),
    ("n_segments-1", [IMG], MODEL, {"n_segments": 1}, ValueError, "n_segments"),
    ("n_segments-0", [IMG], MODEL, {"n_segments": 0}, ValueError, "n_segments"),
    ("n_segments-text", [IMG], MODEL, {"n_segments": "many"}, TypeError, "n_segments must be an integer"),
    ("num_samples-negative", [IMG], MODEL, {"num_samples": -3}, ValueError, "num_samples"),
    ("hide-unknown", [IMG], MODEL, {"hide": "purple"}, ValueError, "hide"),
    ("segmentation-unknown", [IMG], MODEL, {"segmentation": "nope"}, ValueError, "segmentation"),
    ("top_k-0", [IMG], MODEL, {"top_k": 0}, ValueError, "top_k"),
    ("top_k-bool", [IMG], MODEL, {"top_k": True}, ValueError, "top_k"),
    ("n_workers-0", [IMG], MODEL, {"n_workers": 0}, ValueError, "n_workers"),
    ("client-int", [IMG], MODEL, {"client": 3}, ValueError, "client must be"),
    ("client-and-n_workers", [IMG], MODEL, {"client": "tcp://x:1", "n_workers": 2}, ValueError, "n_workers only"),
    ("progress-text", [IMG], MODEL, {"progress": "yes"}, ValueError, "progress must be"),
    ("seed-generator", [IMG], MODEL, {"random_state": np.random.default_rng(0)}, ValueError, "random_state"),
    ("unknown-argument", [IMG], MODEL, {"colour": 1}, TypeError, "colour"),
    ("segments-given", [IMG], MODEL, {"segments": np.zeros((64, 64), int)}, TypeError, "segments are per image"),
    ("masks-count", [IMG], MODEL, {"object_masks": [None, None]}, ValueError, "2 masks for 1 images"),
    ("masks-float", [IMG], MODEL, {"object_masks": [np.ones((64, 64))]}, ValueError, r"object_masks\[0\].*bool"),
    ("masks-text", [IMG], MODEL, {"object_masks": "masks/"}, ValueError, "object_masks: expected a sequence"),
    (
        "mask-wrong-shape",
        [IMG],
        MODEL,
        {"object_masks": [np.ones((32, 48), bool)]},
        ValueError,
        r"object_masks\[0\]: the mask has shape \(32, 48\) but the image '#0' is \(64, 64\)",
    ),
    ("box-inverted", [IMG], MODEL, {"object_masks": [(5, 5, 2, 9)]}, ValueError, "x0 < x1"),
    ("box-negative", [IMG], MODEL, {"object_masks": [(-5, 0, 2, 9)]}, ValueError, "x0 < x1"),
    ("box-nan", [IMG], MODEL, {"object_masks": [(np.nan, 0, 2, 9)]}, ValueError, "finite"),
    ("box-outside", [IMG], MODEL, {"object_masks": [(100, 100, 120, 120)]}, ValueError, "lies outside the image"),
    ("mask-key-unknown", [IMG], MODEL, {"object_masks": {"/x.png": None}}, ValueError, "match no image"),
    ("model-int", [IMG], 42, {}, TypeError, "int"),
    ("model-unknown-name", [IMG], "no_such_network", {}, lw.ModelUnavailableError, "no_such_network"),
    (
        "model-unpicklable",
        [IMG],
        lw.FunctionClassifier(_Locked(), class_names=["no", "yes"]),
        {},
        TypeError,
        r"model: the FunctionClassifier .*cannot be sent to the worker processes.*lock.*Fix:",
    ),
]


@pytest.mark.parametrize(
    ("images", "model", "kwargs", "error", "match"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_ARGUMENTS],
)
def test_bad_arguments_fail_before_any_work(tmp_path, no_leaks, images, model, kwargs, error, match):
    with pytest.raises(error, match=match):
        lw.audit(images, model, **{"out": tmp_path / "out", "progress": False, **kwargs})
    assert not (tmp_path / "out").exists()


def test_folder_checks(tmp_path, no_leaks):
    """A file as the folder, a folder without images, a path listed twice: refused, naming it."""
    root = _images(tmp_path / "images", 2)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is a file"):
        lw.audit(root / "img0.png", MODEL, out=tmp_path / "out", progress=False)
    with pytest.raises(ValueError, match="no png/jpg"):
        lw.audit(tmp_path / "empty", MODEL, out=tmp_path / "out", progress=False)
    with pytest.raises(ValueError, match=r"img0.png' is listed twice"):
        lw.audit([root / "img0.png", root / "sub" / ".." / "img0.png"], MODEL, out=tmp_path / "out", progress=False)
    with pytest.raises(ValueError, match=r"img1.png' is \(64, 64\)"):
        lw.audit(
            [root / "img0.png", root / "img1.png"],
            MODEL,
            out=tmp_path / "out",
            progress=False,
            object_masks={root / "img1.png": np.ones((8, 8), bool)},
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        pytest.param(lambda out: out.write_text("x"), "out: .* is a file", id="out-is-a-file"),
        pytest.param(
            lambda out: (out.mkdir(), (out / "explanations").write_text("x")),
            "explanations.* is a file",
            id="explanations-is-a-file",
        ),
        pytest.param(
            lambda out: (out.mkdir(), (out / "rows").write_text("x")), "rows.* is a file", id="rows-is-a-file"
        ),
        pytest.param(
            lambda out: (out.mkdir(), (out / "audit.parquet").write_text("x")),
            "audit.parquet but no audit.json",
            id="foreign-table-without-manifest",
        ),
        pytest.param(
            lambda out: (out.mkdir(), (out / "audit.json").mkdir()), "audit.json.* is not a file", id="manifest-dir"
        ),
    ],
)
def test_unusable_out_folders_are_refused_before_work(tmp_path, no_leaks, setup, match):
    out = tmp_path / "out"
    setup(out)
    with pytest.raises(ValueError, match=match):
        lw.audit([IMG], MODEL, out=out, progress=False)


# ----------------------------------------------------------------------------- resume: same parameters only
@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param(
            {"n_segments": 9}, r"segmentation_params: \{'n_segments': 16\} -> \{'n_segments': 9\}", id="n_segments"
        ),
        pytest.param({"num_samples": 64}, "num_samples: 48 -> 64", id="num_samples"),
        pytest.param({"hide": "gray"}, "hide: 'black' -> 'gray'", id="hide"),
        pytest.param({"segmentation": "slic"}, "segmentation: 'grid' -> 'slic'", id="segmentation"),
        pytest.param({"random_state": 1}, "random_state: 0 -> 1", id="random_state"),
        pytest.param({"top_k": 3}, "top_k: 5 -> 3", id="top_k"),
        pytest.param({"classes": [1]}, r"classes: None -> \[1\]", id="classes"),
        pytest.param({"refits": 10}, "refits: 200 -> 10", id="refits"),
        pytest.param({"max_pixels": 10_000}, "max_pixels: None -> 10000", id="max_pixels"),
        pytest.param({"model": linear_model(BETA * 2)}, "model:", id="other-weights"),
    ],
)
def test_a_resume_with_other_parameters_names_them(base, tmp_path, no_leaks, change, match):
    images, out = _copy(base, tmp_path)
    kwargs = {**KW, **change}
    model = kwargs.pop("model", MODEL)
    with pytest.raises(lw.AuditParametersError, match=match):
        lw.audit(images, model, out=out, progress=False, **kwargs)


def test_batch_size_does_not_change_a_row_and_may_differ(base, tmp_path, no_leaks):
    images, out = _copy(base, tmp_path)
    res = lw.audit(images, MODEL, out=out, progress=False, batch_size=7, **KW)
    assert res.skipped == 6


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        pytest.param("mask", "object_masks of .*img2.png: None -> 'mask ", id="new-mask"),
        pytest.param("box", "object_masks of .*img2.png: None -> 'box ", id="new-box"),
        pytest.param("label", "label of .*img2.png: None -> 'yes'", id="new-label"),
    ],
)
def test_a_resume_with_another_mask_or_label_for_a_finished_image_is_refused(base, tmp_path, no_leaks, kind, match):
    images, out = _copy(base, tmp_path)
    paths = sorted(images.glob("*.png"))
    kwargs: dict = {}
    if kind == "mask":
        kwargs["object_masks"] = {paths[2]: np.ones((64, 64), bool)}
    elif kind == "box":
        kwargs["object_masks"] = {paths[2]: (0, 0, 8, 8)}
    given = [(p, "yes") if kind == "label" and i == 2 else p for i, p in enumerate(paths)]
    with pytest.raises(lw.AuditParametersError, match=match):
        lw.audit(given, MODEL, out=out, progress=False, **kwargs, **KW)


def test_a_rerun_on_a_subset_keeps_every_other_row(base, tmp_path, client, no_leaks):
    import pandas as pd

    images, out = _copy(base, tmp_path)
    first = base[2].table
    paths = sorted(images.glob("*.png"))
    res = lw.audit([paths[4], paths[1]], MODEL, out=out, client=client, progress=False, **KW)
    t = res.table
    assert res.skipped == 2 and len(t) == 6
    assert list(t["path"][:2]) == [str(paths[4]), str(paths[1])]  # this run's images first, in its order
    assert t["index"].tolist() == list(range(6))
    assert sorted(t["path"]) == sorted(first["path"])
    cols = [c for c in SAME if c != "index"]
    by_path = t.sort_values("path")[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(by_path, first.sort_values("path")[cols].reset_index(drop=True))
    assert len(lw.AuditResult.open(out).table) == 6


# ------------------------------------------------------------------------------ corrupt or foreign outputs
MANIFESTS = {
    "garbage": b"\x00\xffnot json",
    "empty": b"",
    "list": b"[1, 2]",
    "no-parameters": b'{"format": 2}',
    "parameters-text": b'{"format": 2, "parameters": "x"}',
    "old-format": b'{"format": 1, "parameters": {}}',
    "zlib": __import__("zlib").compress(b'{"format": 2}'),
}


@pytest.mark.parametrize("content", list(MANIFESTS.values()), ids=list(MANIFESTS))
def test_a_corrupt_manifest_is_named_with_the_fix(base, tmp_path, no_leaks, content):
    images, out = _copy(base, tmp_path)
    (out / "audit.json").write_bytes(content)
    with pytest.raises(lw.AuditParametersError, match=r"audit.json.*(choose another out=|delete that folder)") as info:
        lw.audit(images, MODEL, out=out, progress=False, **KW)
    assert "Traceback" not in str(info.value)


TABLES = {
    "garbage": b"PAR1 garbage PAR1",
    "empty": b"",
    "csv": b"index,path\n0,a.png\n",
    "truncated": None,  # the real table, cut in half
    "other-parquet": "other",  # a parquet file of another table
}


@pytest.mark.parametrize("content", list(TABLES.values()), ids=list(TABLES))
def test_a_corrupt_table_is_rebuilt_from_the_row_files(base, tmp_path, client, no_leaks, content):
    import pandas as pd

    images, out = _copy(base, tmp_path)
    table = out / "audit.parquet"
    if content is None:
        table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    elif content == "other":
        pd.DataFrame({"a": [1, 2]}).to_parquet(table)
    else:
        table.write_bytes(content)
    with pytest.warns(UserWarning, match=r"audit.parquet' is not an audit table .* rebuilt from the 6 files"):
        opened = lw.AuditResult.open(out)
    assert opened.table[SAME].equals(base[2].table[SAME])
    with pytest.warns(UserWarning, match="rebuilt"):
        res = lw.audit(images, MODEL, out=out, client=client, progress=False, **KW)
    assert res.skipped == 6 and res.table[SAME].equals(base[2].table[SAME])
    shutil.rmtree(out / "rows")
    table.write_bytes(b"garbage")
    with pytest.raises(AuditOutputError, match=r"audit.parquet' is not an audit table .*delete it"):
        lw.AuditResult.open(out)


EXPLANATIONS = {
    "garbage": b"\x00\x01\x02",
    "empty": b"",
    "foreign-json": b'{"hello": "world"}',
    "truncated": None,
}


@pytest.mark.parametrize("content", list(EXPLANATIONS.values()), ids=list(EXPLANATIONS))
def test_a_corrupt_explanation_file_names_itself_and_the_fix(base, tmp_path, client, no_leaks, content):
    images, out = _copy(base, tmp_path)
    res = lw.AuditResult.open(out, model=MODEL)
    path = out / res.table["json"][3]
    path.write_bytes(path.read_bytes()[:100] if content is None else content)
    with pytest.raises(AuditOutputError, match=rf"{path.name}', the explanation of row 3 .*delete it and rerun"):
        res.explanation(3)
    path.unlink()  # the documented fix: only that image is explained again
    again = lw.audit(images, MODEL, out=out, client=client, progress=False, **KW)
    assert again.skipped == 5 and again.table[SAME].equals(base[2].table[SAME])


@pytest.mark.parametrize("content", [b"garbage", b"{}", b'{"index": "x", "path": 1, "error": "", "json": "a"}'])
def test_a_corrupt_row_file_after_a_killed_run_is_ignored_with_a_warning(base, tmp_path, no_leaks, content):
    _, out = _copy(base, tmp_path)
    (out / "audit.running").write_text("pid 1")  # as a killed run leaves it: the row files are read
    victim = sorted((out / "rows").glob("*.json"))[0]
    victim.write_bytes(content)
    with pytest.warns(UserWarning, match=rf"{victim.name}' is not an audit row file.*explained again"):
        opened = lw.AuditResult.open(out)
    assert len(opened.table) == 6  # the table still has that row


# ------------------------------------------------------------------------------------------ hostile folders
@pytest.fixture(scope="module")
def hostile(tmp_path_factory, client):
    """A folder with a link out of it, a dangling link, a link loop, a hard link, a link to a file inside, a
    link to a folder, a folder named like an image and an upper-case suffix; audited once."""
    root = tmp_path_factory.mktemp("hostile") / "images"
    _images(root, 3)
    (root / "sub").mkdir()
    Image.fromarray(cell_image(7)).save(root / "sub" / "UPPER.PNG")
    os.symlink("/etc/passwd", root / "leak.png")
    os.symlink(root / "gone.png", root / "dangling.png")
    os.symlink(root / "loop.png", root / "loop.png")
    os.link(root / "img0.png", root / "hard.png")
    os.symlink(root / "img1.png", root / "soft.png")
    os.symlink(root / "sub", root / "linked_dir")
    (root / "folder.png").mkdir()
    res = lw.audit(root, MODEL, out=root.parent / "out", client=client, progress=False, **KW)
    return root, res


def _row(res, name):
    t = res.table
    found = t[t["path"].str.endswith("/" + name)]
    assert len(found) == 1, list(t["path"])
    return found.iloc[0]


@pytest.mark.parametrize(
    ("name", "error", "same"),
    [
        pytest.param("leak.png", "ImageError", "", id="link-out-of-the-folder"),
        pytest.param("dangling.png", "FileNotFoundError: .*dangling link", "", id="dangling-link"),
        pytest.param("loop.png", "FileNotFoundError: .*dangling link", "", id="link-loop"),
        pytest.param("img0.png", "", "hard.png", id="hard-link"),  # the first name in path order is the one named
        pytest.param("hard.png", "", "", id="hard-link-first-name"),
        pytest.param("soft.png", "", "img1.png", id="link-to-a-file-inside"),
        pytest.param("UPPER.PNG", "", "", id="upper-case-suffix"),
        pytest.param("img2.png", "", "", id="plain-file"),
    ],
)
def test_hostile_folder_rows(hostile, name, error, same):
    import re

    root, res = hostile
    row = _row(res, name)
    assert row["path"] == (str(root / "sub" / name) if name == "UPPER.PNG" else str(root / name))
    assert "/etc/passwd" not in row["path"]
    assert re.search(error, row["error"]) if error else row["error"] == ""
    assert row["same_file_as"] == (str(root / same) if same else "")


def test_hostile_folder_lists_no_folder_and_follows_no_folder_link(hostile):
    _, res = hostile
    paths = list(res.table["path"])
    assert len(paths) == 9  # img0-2, UPPER, leak, dangling, loop, hard, soft; nothing under linked_dir
    assert not any("linked_dir" in p or p.endswith("folder.png") for p in paths)
    assert "same file: " in res.summary() and "dangling.png" in res.summary()


def test_unreadable_files_and_folders_give_error_rows(tmp_path, client, monkeypatch):
    """A file that cannot be read and a sub-folder that cannot be listed: error rows naming them (simulated
    through os.access and os.scandir, since the tests may run as root, who reads everything)."""
    root = _images(tmp_path / "images", 2)
    (root / "locked").mkdir()
    Image.fromarray(cell_image(5)).save(root / "locked" / "hidden.png")
    locked_file, locked_dir = str(root / "img1.png"), str(root / "locked")
    real_access, real_scandir = os.access, os.scandir
    monkeypatch.setattr(os, "access", lambda p, mode, **k: os.fspath(p) != locked_file and real_access(p, mode, **k))

    def scandir(path="."):
        if os.fspath(path) == locked_dir:
            raise PermissionError(13, "Permission denied", locked_dir)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    res = lw.audit(root, MODEL, out=tmp_path / "out", client=client, progress=False, **KW)
    monkeypatch.undo()
    assert "PermissionError: cannot read" in _row(res, "img1.png")["error"]
    assert "PermissionError: cannot list the folder" in _row(res, "locked")["error"]
    assert _row(res, "img0.png")["error"] == ""


# ------------------------------------------------------------------------------ a model that kills its worker
def _killer(how: str) -> lw.FunctionClassifier:
    inner = linear_model(BETA)

    def fn(batch: np.ndarray) -> np.ndarray:
        if (batch[:, 0, 0] == 7).all(axis=-1).any():  # the poisoned image: its corner pixel is (7, 7, 7)
            if how == "exit":
                os._exit(3)
            os.kill(os.getpid(), signal.SIGSEGV)
        return inner.fn(batch)

    return lw.FunctionClassifier(fn, class_names=["no", "yes"])


@pytest.mark.slow
@pytest.mark.parametrize("how", ["exit", "segfault"])
def test_an_image_that_kills_its_worker_becomes_an_error_row(tmp_path, no_leaks, how):
    root = _images(tmp_path / "images", 5)
    poisoned = cell_image(9)
    poisoned[0, 0] = 7
    Image.fromarray(poisoned).save(root / "poison.png")
    res = lw.audit(root, _killer(how), out=tmp_path / "out", n_workers=2, progress=False, **KW)
    bad = _row(res, "poison.png")
    assert bad["error"].startswith("KilledWorker") and str(root / "poison.png") in bad["error"]
    good = res.table[res.table["path"] != bad["path"]]
    assert len(good) == 5 and (good["error"] == "").all()


# ------------------------------------------------------------------------------------------ the script guard
SCRIPT = """
import numpy as np
import lime_widget as lw

def fn(batch):
    p = batch.reshape(len(batch), -1).mean(axis=1) / 255.0
    return np.stack([1.0 - p, p], axis=1)

model = lw.FunctionClassifier(fn, class_names=["no", "yes"])
images = [np.random.default_rng(i).integers(0, 255, (32, 32, 3), dtype=np.uint8) for i in range(2)]
{call}
"""
CALL = "res = lw.audit(images, model, out={out!r}, n_workers=1, progress=False, num_samples=16, segmentation='grid', n_segments=4)"


def _script(tmp_path: Path, guarded: bool) -> Path:
    call = CALL.format(out=str(tmp_path / "out"))
    call = f'if __name__ == "__main__":\n    {call}\n    print("rows", len(res.table))' if guarded else call
    path = tmp_path / "script.py"
    path.write_text(SCRIPT.format(call=call))
    return path


def test_a_script_without_the_main_guard_gets_one_short_message(tmp_path):
    path = _script(tmp_path, guarded=False)
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr and "script.py' (line 11)" in done.stderr
    assert "Nanny failed" not in done.stderr and len(done.stderr.splitlines()) < 15, done.stderr
    assert time.monotonic() - t0 < 60 and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_guarded_script_runs(tmp_path):
    path = _script(tmp_path, guarded=True)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rows 2" in done.stdout


# ----------------------------------------------------------------------------------- without the audit extra
BLOCKED = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {blocked!r}:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
import numpy as np
import lime_widget as lw

def fn(batch):
    p = batch.reshape(len(batch), -1).mean(axis=1) / 255.0
    return np.stack([1.0 - p, p], axis=1)

image = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
exp = lw.explain(image, fn, num_samples=16, segmentation="grid", n_segments=4, progress=False)
print("explained", exp.n_segments)
lw.Explanation, lw.explore, lw.AuditResult  # names resolve without the extra
for call in (lambda: lw.audit([np.zeros((8, 8, 3), np.uint8)], "efficientnet_lite0", out="never"),
             lambda: lw.AuditResult.open("never")):
    try:
        call()
    except ImportError as err:
        print("error:", err)
    except Exception as err:
        print("other:", type(err).__name__)
from lime_widget.cli.commands import main
print("cli rc", main(["audit", ".", "--out", "never"]))
assert {blocked!r} not in sys.modules
"""


@pytest.mark.parametrize("blocked", ["distributed", "pandas", "pyarrow"])
def test_without_the_audit_extra_explain_works_and_audit_says_what_to_install(tmp_path, blocked):
    code = BLOCKED.format(blocked=blocked)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "explained 4"
    install = 'pip install "lime-widget[audit]"'
    assert lines[1] == f"error: lw.audit needs the audit extra ({blocked} not installed): {install}"
    if blocked != "distributed":
        assert lines[2] == f"error: lw.AuditResult.open needs the audit extra ({blocked} not installed): {install}"
    assert lines[-1] == "cli rc 1"
    assert done.stderr.strip().splitlines()[-1].startswith("error: lime-widget audit needs the audit extra")
    assert install in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


# ------------------------------------------------------------------------------------------- the chaos test
CHAOS = """
import sys, time
import numpy as np
import lime_widget as lw

BETA = np.linspace(-0.02, 0.03, 64)

def fn(batch):
    time.sleep(0.05)
    x = batch.astype(np.float64).reshape(len(batch), 8, 8, 8, 8, 3).mean(axis=(2, 4, 5)).reshape(len(batch), -1)
    p = np.clip(0.3 + (x / 255.0) @ BETA, 0.0, 1.0)
    return np.stack([1.0 - p, p], axis=1)

if __name__ == "__main__":
    model = lw.FunctionClassifier(fn, class_names=["no", "yes"])
    res = lw.audit(sys.argv[1], model, out=sys.argv[2], n_workers=2, progress=False, **{kw!r})
    print("done", len(res.table), res.skipped)
"""


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_chaos_killed_worker_and_killed_parent_then_resume_equals_an_uninterrupted_run(tmp_path):
    root = _images(tmp_path / "images", 16)
    script = tmp_path / "chaos.py"
    script.write_text(CHAOS.format(kw=KW))
    out = tmp_path / "out"
    rows = out / "rows"

    def finished() -> int:
        return len(list(rows.glob("*.json"))) if rows.is_dir() else 0

    proc = subprocess.Popen([sys.executable, str(script), str(root), str(out)], cwd=tmp_path)
    try:
        _wait(lambda: finished() >= 2, 240, "two finished rows")
        workers = [
            p for p in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
        ]
        assert workers, "no worker process found"
        os.kill(workers[0].pid, signal.SIGKILL)  # a worker dies with its in-flight image
        _wait(lambda: finished() >= 7, 240, "seven finished rows")
        family = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)  # the parent dies between two writes of the table
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, f"worker processes outlived their parent: {alive}"
    saved = {p.name: json.loads(p.read_text()) for p in rows.glob("*.json")}
    assert len(saved) >= 7 and (out / "audit.running").exists()

    def run(where: Path) -> tuple[int, int]:
        done = subprocess.run(
            [sys.executable, str(script), str(root), str(where)], capture_output=True, text=True, timeout=400
        )
        assert done.returncode == 0, done.stderr[-3000:]
        n, skipped = done.stdout.split()[-2:]
        return int(n), int(skipped)

    n, skipped = run(out)  # the resume
    assert n == 16 and skipped >= len(saved)  # nothing finished was lost: every saved row was kept, not redone
    resumed = lw.AuditResult.open(out)
    for name, row in saved.items():
        kept = resumed.table[resumed.table["path"] == row["path"]].iloc[0]
        assert kept["seconds"] == pytest.approx(row["seconds"]) and kept["worker"] == row["worker"], name
    assert not (out / "audit.running").exists()
    assert run(tmp_path / "whole") == (16, 0)  # an uninterrupted run: the same rows, the same explanations
    whole = lw.AuditResult.open(tmp_path / "whole")
    assert resumed.table[SAME].equals(whole.table[SAME])
    for i in range(16):
        np.testing.assert_array_equal(resumed.explanation(i).coef, whole.explanation(i).coef)
