"""lw.audit on a Dask LocalCluster: same numbers as lw.explain, resume, errors, a killed worker, object masks."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import lime_widget as lw
from lime_widget.auditing import running
from lime_widget.auditing._table import COLUMNS

from ..helpers import CELL, GRID, cell_image, cell_segments, cue_image, linear_model, planted_classifier

distributed = pytest.importorskip("distributed")

KW = dict(num_samples=64, hide="black", segmentation="grid", segmentation_params={"shape": (GRID, GRID)})
BETA = np.linspace(-0.02, 0.03, GRID * GRID)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, shared by the tests of this module (a cluster takes seconds)."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.png"))


def test_table_matches_explain_image_by_image(folder, tmp_path, client):
    model = linear_model(BETA)
    res = lw.audit(folder, model, out=tmp_path / "out", client=client, progress=False, **KW)
    t = res.table
    assert list(t.columns) == list(COLUMNS)
    assert len(t) == 8 and (t["error"] == "").all()
    assert list(t["path"]) == [str(p.resolve()) for p in _paths(folder)]
    assert set(t["worker"]) <= set(client.scheduler_info()["workers"])
    for i, path in enumerate(_paths(folder)):
        exp = lw.explain(path, model, progress=False, random_state=0, **KW)
        row = t.iloc[i]
        loaded = res.explanation(i)
        np.testing.assert_array_equal(loaded.coef, exp.coef)
        np.testing.assert_array_equal(loaded.masks, exp.masks)
        np.testing.assert_array_equal(loaded.probabilities, exp.probabilities)
        w = exp.weights()
        top = np.argsort(-w, kind="stable")[:5]
        assert list(row["top_segments"]) == top.tolist()
        np.testing.assert_array_equal(np.asarray(row["top_weights"]), w[top])
        assert row["predicted"] == int(np.argmax(exp.probabilities))
        assert row["probability"] == exp.probabilities.max()
        assert row["stability"] == exp.stability()
        ranking = lw.ranking_from_weights(w)
        assert row["deletion_auc"] == lw.deletion_curve(exp, ranking).area
        flip = lw.flip_search(exp, ranking).k
        assert pd.isna(row["flip_k"]) if flip is None else row["flip_k"] == flip
        assert row["n_segments"] == GRID * GRID and row["seconds"] > 0
        assert (tmp_path / "out" / row["json"]).exists()
    # the explanation comes back with the model attached: it re-scores
    assert res.explanation(0).rescore(np.ones(GRID * GRID, dtype=bool)).shape == (2,)


def test_rerun_skips_finished_images_and_other_parameters_are_refused(folder, tmp_path, client, monkeypatch):
    model = linear_model(BETA)
    out = tmp_path / "out"
    first = lw.audit(folder, model, out=out, client=client, progress=False, **KW)
    calls: list[int] = []
    monkeypatch.setattr(running, "_run", lambda *a, **k: calls.append(1) or [])
    again = lw.audit(folder, model, out=out, client=client, progress=False, **KW)
    assert again.skipped == 8 and not calls
    cols = [c for c in COLUMNS if c not in ("seconds", "worker")]
    assert again.table[cols].equals(first.table[cols])
    with pytest.raises(lw.AuditParametersError, match=r"num_samples: 64 -> 128"):
        lw.audit(folder, model, out=out, client=client, progress=False, **{**KW, "num_samples": 128})
    with pytest.raises(lw.AuditParametersError, match="model"):
        lw.audit(folder, linear_model(BETA * 2), out=out, client=client, progress=False, **KW)
    assert again.table.equals(lw.AuditResult.open(out).table)


def test_a_corrupt_image_gives_an_error_row_and_the_run_goes_on(folder, tmp_path, client):
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    (folder / "notes.txt").write_text("not an image: not listed")
    model = linear_model(BETA)
    res = lw.audit(folder, model, out=tmp_path / "out", client=client, progress=False, **KW)
    assert len(res.table) == 9
    bad = res.table[res.table["path"].str.endswith("broken.png")].iloc[0]
    assert bad["error"].startswith("ImageError") and bad["json"] == ""
    assert (res.table["error"] == "").sum() == 8
    with pytest.raises(ValueError, match="has no explanation"):
        res.explanation(int(bad.name))
    # fixed on disk, the failed image is tried again on the rerun; the others are skipped
    Image.fromarray(cell_image(99)).save(folder / "broken.png")
    again = lw.audit(folder, model, out=tmp_path / "out", client=client, progress=False, **KW)
    assert again.skipped == 8 and (again.table["error"] == "").all()
    assert "1 errors" in res.summary() and "broken.png" in res.summary()


def test_dataset_of_pairs_uses_true_labels(tmp_path, client):
    model = linear_model(BETA)
    images = [(cell_image(i), i % 2) for i in range(4)] + [(cell_image(9), "yes")]
    res = lw.audit(images, model, out=tmp_path / "out", client=client, progress=False, **KW)
    t = res.table
    assert list(t["true_label"]) == [0, 1, 0, 1, 1] and list(t["path"]) == [""] * 5
    assert list(t["correct"]) == [p == y for p, y in zip(t["predicted"], t["true_label"], strict=True)]
    assert res.accuracy == pytest.approx(np.mean(list(t["correct"])))
    exp = lw.explain(cell_image(2), model, progress=False, **KW)
    np.testing.assert_array_equal(res.explanation(2).coef, exp.coef)


def test_object_masks_score_a_planted_cue(tmp_path, client):
    cells = [9, 18]
    image = cue_image(cells)
    clf = planted_classifier(cells)
    on_cue = np.isin(cell_segments(), cells)
    far = np.zeros_like(on_cue)
    far[5 * CELL :, 5 * CELL :] = True  # the bottom-right corner: no cue there
    kw = {**KW, "num_samples": 200, "hide": "gray", "classes": [1]}
    res = lw.audit(
        [(image, 1), (image, 1), (image, 1)],
        clf,
        out=tmp_path / "out",
        client=client,
        progress=False,
        object_masks=[on_cue, far, (8, 8, 24, 32)],  # the last: a box around both cue cells
        **kw,
    )
    t = res.table
    assert t["object_share"][0] > 0.8 and bool(t["pointing_hit"][0])
    assert t["object_share"][1] < 0.2 and not bool(t["pointing_hit"][1])
    assert t["object_share"][2] > 0.8 and bool(t["pointing_hit"][2])
    summary = res.summary()
    assert summary.index("#1") < summary.index("#0")  # least weight on the object is listed first


def _slow_linear_model(delay: float) -> lw.FunctionClassifier:
    inner = linear_model(BETA)

    def fn(batch: np.ndarray) -> np.ndarray:
        time.sleep(delay)
        return inner.fn(batch)

    return lw.FunctionClassifier(fn, class_names=["no", "yes"])


@pytest.mark.slow
def test_killing_a_worker_mid_run_still_completes_the_table(folder, tmp_path):
    for i in range(8, 16):
        Image.fromarray(cell_image(i)).save(folder / f"extra{i}.png")
    model = _slow_linear_model(0.02)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as c,
    ):
        pids = c.run(os.getpid)
        out = tmp_path / "out"
        box: dict[str, object] = {}
        runner = threading.Thread(
            target=lambda: box.update(res=lw.audit(folder, model, out=out, client=c, progress=False, **KW))
        )
        runner.start()
        deadline = time.monotonic() + 60
        while not any((out / "explanations").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)  # the worker process dies with its in-flight image
        runner.join(timeout=240)
        assert not runner.is_alive()
        res = box["res"]
    t = res.table
    assert len(t) == 16 and (t["error"] == "").all(), t["error"].tolist()
    assert t["index"].tolist() == list(range(16))
    for i, path in enumerate(sorted(folder.rglob("*.png"))):
        np.testing.assert_array_equal(res.explanation(i).coef, lw.explain(path, model, progress=False, **KW).coef)


def test_ctrl_c_leaves_a_consistent_folder_and_the_rerun_finishes(folder, tmp_path, client, monkeypatch):
    from tqdm.auto import tqdm

    model = linear_model(BETA)
    out = tmp_path / "out"
    seen = {"n": 0}
    real_update = tqdm.update

    def interrupt_after_three(self, n=1):
        seen["n"] += 1
        if seen["n"] == 3:
            raise KeyboardInterrupt
        return real_update(self, n)

    monkeypatch.setattr(tqdm, "update", interrupt_after_three)
    with pytest.raises(KeyboardInterrupt):
        lw.audit(folder, model, out=out, client=client, progress=True, **KW)
    monkeypatch.setattr(tqdm, "update", real_update)
    partial = lw.AuditResult.open(out)
    assert 3 <= len(partial.table) < 8
    assert all((out / j).exists() for j in partial.table["json"])
    res = lw.audit(folder, model, out=out, client=client, progress=False, **KW)
    assert res.skipped == len(partial.table) and len(res.table) == 8 and (res.table["error"] == "").all()


def test_embedded_local_cluster_and_model_by_name(tmp_path):
    """The default path: no client, a model name each worker loads, one worker; the default cluster closes."""
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("chelsea", "coffee"):
        Image.fromarray(lw.sample_image(name)[::4, ::4]).save(root / f"{name}.jpg")
    environ = dict(os.environ)
    res = lw.audit(root, "efficientnet_lite0", out=tmp_path / "out", n_workers=1, progress=False, num_samples=40)
    # Dask sets its workers' OMP_NUM_THREADS=1 etc. in this process: they must not outlive the cluster
    assert dict(os.environ) == environ
    assert (res.table["error"] == "").all()
    assert "cat" in res.table["predicted_class"][0].lower()
    exp = res.explanation(0)
    assert exp.model is not None and exp.rescore(np.ones(exp.n_segments, dtype=bool)).shape == (1000,)


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "match"),
    [
        ("/nonexistent/folder", {}, FileNotFoundError, "does not exist"),
        (12, {}, ValueError, "expected a folder"),
        ([], {}, ValueError, "empty"),
        ([(cell_image(0), 1.5)], {}, ValueError, "label must be a class id"),
        ([cell_image(0)], {"segments": cell_segments()}, TypeError, "segments are per image"),
        ([cell_image(0)], {"random_state": np.random.default_rng(0)}, ValueError, "random_state must be an int"),
        ([cell_image(0)], {"num_samples": -3}, ValueError, "num_samples"),
        ([cell_image(0)], {"top_k": 0}, ValueError, "top_k"),
        ([cell_image(0)], {"n_workers": 0}, ValueError, "n_workers"),
        ([cell_image(0)], {"client": 3}, ValueError, "client must be"),
        ([cell_image(0)], {"object_masks": [None, None]}, ValueError, "2 masks for 1 images"),
        ([cell_image(0)], {"object_masks": [np.ones((4, 4))]}, ValueError, "bool"),
        ([cell_image(0)], {"object_masks": [(5, 5, 2, 9)]}, ValueError, "x0 < x1"),
        ([cell_image(0)], {"object_masks": {"/x.png": None}}, ValueError, "match no image"),
    ],
)
def test_bad_arguments_fail_before_any_work(tmp_path, images, kwargs, error, match):
    with pytest.raises(error, match=match):
        lw.audit(images, linear_model(BETA), out=tmp_path / "out", progress=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_cli_audit_prints_a_summary(folder, tmp_path, capsys):
    from lime_widget.cli.commands import main

    masks = tmp_path / "masks"
    (masks / "sub").mkdir(parents=True)
    for p in _paths(folder):
        m = np.zeros((64, 64), dtype=np.uint8)
        m[:32] = 255
        Image.fromarray(m).save(masks / p.relative_to(folder))
    rc = main(
        [
            "audit",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--num-samples",
            "40",
            "--no-progress",
            "--masks",
            str(masks),
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "8 images audited" in text and "least weight on the object" in text and "audit.parquet" in text
    table = lw.AuditResult.open(tmp_path / "out").table
    assert table["object_share"].notna().all()
    assert main(["audit", str(tmp_path / "nothing"), "--out", str(tmp_path / "o2")]) == 2
