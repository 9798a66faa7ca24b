"""The CLI as a careless user drives it: every user error is one line and exit code 2, checked before the
model runs; finished work (the JSON) is saved first, atomically, and survives a failure to draw."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import lime_widget as lw
import lime_widget.models.zoo
from lime_widget.cli.commands import main

from .test_images import giant_png


@pytest.fixture
def no_model(monkeypatch):
    """Fail loudly if a case reaches the model: validation must come first."""

    def refuse(*a, **k):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr(lime_widget.models.zoo, "load_model", refuse)


def files(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "ok.png")
    good = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "giant.png").write_bytes(giant_png(20_000, 10_000))
    return tmp_path


CASES = [
    (["--style", "bogus"], "--style"),
    (["--out", "{tmp}/afile"], "is a file"),
    (["--n-segments", "0"], "n_segments"),
    (["--n-segments", "x"], "n-segments"),
    (["--top-k", "-1"], "--top-k"),
    (["--top-k", "0"], "--top-k"),
    (["--num-samples", "1"], "num_samples"),
    (["--num-samples", "abc"], "auto"),
    (["--num-samples", "2.5"], "auto"),
    (["--max-samples", "1"], "max_samples"),
    (["--target-stability", "2"], "target_stability"),
    (["--target-stability", "nan"], "target_stability"),
    (["--tie-tolerance", "-0.1"], "tie_tolerance"),
    (["--tie-tolerance", "1"], "tie_tolerance"),
    (["--tie-tolerance", "nan"], "tie_tolerance"),
    (["--tie-tolerance", "a tenth"], "tie-tolerance"),
    (["--hide", "purple"], "hide"),
    (["--hide", "#12"], "rrggbb"),
    (["--preset", "nope"], "preset"),
    (["--segmentation", "nope"], "segmentation"),
    (["--top-labels", "0"], "top_labels"),
    (["--seed", "-1"], "--seed"),
    (["--seed", "x"], "seed"),
    (["--bogus-flag"], "unrecognized"),
]


@pytest.mark.parametrize(("extra", "needle"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_arguments_fail_in_one_line_before_the_model_runs(tmp_path, capsys, no_model, extra, needle):
    files(tmp_path)
    argv = [
        "explain",
        "chelsea",
        "--out",
        str(tmp_path / "out"),
        "--no-progress",
        *[a.format(tmp=tmp_path) for a in extra],
    ]
    try:
        rc = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        rc = exit_.code
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and err.startswith("error:") and needle in err, err
    assert not list((tmp_path / "out").glob("*.json")) if (tmp_path / "out").exists() else True


IMAGES = [
    ("folder", "folder"),
    ("truncated.png", "truncated"),
    ("empty.png", "not an image"),
    ("text.jpg", "not an image"),
    ("giant.png", "limit"),
    ("missing.png", "not found"),
]


@pytest.mark.parametrize(("name", "needle"), IMAGES)
def test_bad_image_files_fail_in_one_line(tmp_path, capsys, no_model, name, needle):
    files(tmp_path)
    rc = main(["explain", str(tmp_path / name), "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and needle in err and name in err, err


def test_an_unknown_model_is_one_line(tmp_path, capsys):
    rc = main(["explain", "chelsea", "--model", "nope", "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "unknown model" in err


def test_the_json_is_saved_first_and_survives_a_failure_to_draw(tmp_path, capsys, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("no display")

    monkeypatch.setattr(lw.Explanation, "save_png", broken)
    rc = main(["explain", "chelsea", "--num-samples", "12", "--out", str(tmp_path), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1
    saved = tmp_path / "chelsea_lime.json"
    assert "could not draw" in captured.err and str(saved) in captured.err
    assert lw.Explanation.load_json(saved).n_samples == 12  # complete and valid
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind
    assert json.loads(saved.read_text())["format"] == "lime_widget.explanation"


def test_debug_shows_the_traceback(tmp_path, no_model):
    with pytest.raises(Exception):  # noqa: B017 - any exception: the point is that it is not swallowed
        main(["explain", str(tmp_path / "missing.png"), "--debug", "--out", str(tmp_path)])
