"""Smoke test of the benchmark script: ``benchmarks/run.py --quick`` runs end to end and reports every contender.

It never asserts on wall-clock time, only that every case and contender produced a result (or was skipped
with a reason when lime / captum are not installed).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
TOOLS = {"lime": ["lime_default", "lime_best"], "captum": ["captum_ppe1", "captum_best"]}
ALWAYS = ["forward", "lime_widget"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _installed(mod: str) -> bool:
    return importlib.util.find_spec(mod) is not None


def _check(doc: dict, present: list[str], skipped: list[str]) -> None:
    assert doc["quick"] is True
    assert doc["cases"], "no case was run"
    for case in doc["cases"]:
        cs = case["contenders"]
        for key in present:
            assert key in cs, f"{case['name']}: contender {key} missing"
            r = cs[key]
            assert "error" not in r, f"{case['name']} / {key} failed: {r.get('error')}"
            assert r["wall_s"] > 0 and r["x_bound"] is not None, (case["name"], key, r)
            assert r["peak_rss_extra_mb"] is not None
        for key in skipped:
            if key.endswith("_best") and key not in cs:
                continue  # without the tool there is no best batch size, so no "best" row at all
            assert "skipped" in cs[key] and "not installed" in cs[key]["skipped"], cs[key]
        lw = cs["lime_widget"]
        assert lw["top5"] and lw["rescore"]["rescore_ms"] > 0 and lw["rescore"]["bare_forward_ms"] > 0
        assert set(lw["timings"]) >= {"segmentation", "prepare", "model", "fit", "total"}


def test_quick_benchmark_reports_every_contender(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((tmp_path / "benchmarks.json").read_text())
    present = list(ALWAYS)
    skipped = []
    for tool, keys in TOOLS.items():
        (present if _installed(tool) else skipped).extend(keys)
        if not _installed(tool):
            assert f"skipping the {tool} contenders" in proc.stderr
    _check(doc, present, skipped)
    assert {c["name"].split()[0] for c in doc["cases"]} == {"chelsea-small", "chelsea-384"}
    large = [c for c in doc["cases"] if c["large"]]
    assert large and any(r.get("extrapolated") for r in large[0]["contenders"].values() if "wall_s" in r) == bool(
        [t for t in TOOLS if _installed(t)]
    )
    stab = doc["stability"]["tools"]
    assert stab["lime_widget"]["same_seed_repeat_identical"] is True
    assert set(stab["lime_widget"]["jaccard"]) == {"20", "50"}
    if _installed("lime"):
        assert set(stab["lime"]["jaccard"]) == {"20", "50"}
    md = (tmp_path / "benchmarks.md").read_text()
    assert "| case | contender |" in md and "CPU:" in md and "torch" in md
    assert "lime_widget" in proc.stdout


BLOCK = """
import runpy, sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("lime", "captum"):
            raise ImportError("hidden by the smoke test: " + name)
        return None
sys.meta_path.insert(0, _Block())
sys.argv = [{run!r}, "--quick", "--no-stability", "--cases", "chelsea-small", "--out", {out!r}]
runpy.run_path({run!r}, run_name="__main__")
"""


def test_quick_benchmark_without_lime_and_captum(tmp_path: Path) -> None:
    """With lime and captum unimportable, their contenders are skipped with a message and the rest still runs."""
    code = BLOCK.format(run=str(RUN), out=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "skipping the lime contenders" in proc.stderr and "skipping the captum contenders" in proc.stderr
    doc = json.loads((tmp_path / "benchmarks.json").read_text())
    _check(doc, ALWAYS, ["lime_default", "captum_ppe1"])
    assert set(doc["skipped"]) == {"lime", "captum"}
    assert "Skipped contenders" in (tmp_path / "benchmarks.md").read_text()


@pytest.mark.skipif(not _installed("lime"), reason="the stability benchmark compares against lime 0.2.0.1")
def test_stability_benchmark_smoke_runs_every_code_path(tmp_path: Path) -> None:
    out = tmp_path / "stability.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "stability.py"), "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    row = json.loads(out.read_text())["images"][0]
    assert "lime 0.2.0.1" in row["jaccard"] and "balanced / uniform" in row["jaccard"]
    assert set(row["auto"]) == {"0.8", "0.9"} and row["estimated"]
    # the replay of num_samples="auto" on the scored stream agrees with a real auto run
    assert all(c["matches_simulation"] for c in row["auto_check"].values())
    assert "| ranking |" in proc.stdout
