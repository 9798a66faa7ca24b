from __future__ import annotations

import json

import numpy as np
from PIL import Image

from lime_widget.cli import main


def test_cli_explains_chelsea(tmp_path, capsys):
    rc = main(["explain", "chelsea", "--num-samples", "24", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    first = out.splitlines()[2]
    assert "Egyptian cat" in first
    assert "superpixel" in out
    assert (tmp_path / "chelsea_lime.png").stat().st_size > 1000
    data = json.loads((tmp_path / "chelsea_lime.json").read_text())
    assert data["label_names"][data["top_labels"][0]] == "Egyptian cat"


def test_cli_image_file_and_errors(tmp_path, capsys):
    p = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(p)
    assert (
        main(
            [
                "explain",
                str(p),
                "--num-samples",
                "8",
                "--segmentation",
                "grid",
                "--n-segments",
                "9",
                "--out",
                str(tmp_path),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (tmp_path / "img_lime.json").exists()
    assert main(["explain", str(tmp_path / "missing.png"), "--no-progress"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["explain", "chelsea", "--model", "nope", "--no-progress"]) == 2
