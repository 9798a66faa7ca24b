from __future__ import annotations

import json

import numpy as np
from PIL import Image

from lime_widget.cli.commands import main


def test_cli_explains_chelsea(tmp_path, capsys):
    rc = main(["explain", "chelsea", "--num-samples", "24", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    # the first class listed under "top classes:" is the top class, wherever that block is printed
    lines = out.splitlines()
    first_class = lines[lines.index("top classes:") + 1]
    assert first_class.split()[:2] == ["Egyptian", "cat"] and float(first_class.split()[-1]) > 0.5
    assert any(line.strip().startswith("superpixel") and "weight" in line for line in lines)
    assert (tmp_path / "chelsea_lime.png").stat().st_size > 1000
    data = json.loads((tmp_path / "chelsea_lime.json").read_text())
    assert data["class_names"][data["top_labels"][0]] == "Egyptian cat"
    # the top 5 in words, and the warning that 24 samples cannot pin down 60-odd weights
    assert any(line.startswith("top 5") for line in lines)
    assert "samples are too few to pin down" in out


def test_cli_tie_tolerance_reaches_the_saved_config(tmp_path, capsys):
    argv = ["explain", "chelsea", "--num-samples", "24", "--tie-tolerance", "0.3", "--out", str(tmp_path)]
    assert main([*argv, "--no-progress"]) == 0
    data = json.loads((tmp_path / "chelsea_lime.json").read_text())
    assert data["config"]["tie_tolerance"] == 0.3


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


def test_cli_refuses_sizes_above_the_limits_in_one_line_before_any_work(tmp_path, capsys):
    for flag, value, needle in [
        ("--num-samples", "100000000000", "num_samples=100,000,000,000 is above the limit of 1,000,000"),
        ("--n-segments", "1000000000", "n_segments=1,000,000,000 is above the limit of 65,535"),
        ("--max-samples", "99999999999", "max_samples=99,999,999,999 is above the limit"),
    ]:
        out = tmp_path / flag.strip("-")
        assert main(["explain", "chelsea", flag, value, "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and needle in err and "lime_widget.engine.limits" in err
        assert len(err.strip().splitlines()) == 1
        assert not out.exists()  # refused before the output folder is made
