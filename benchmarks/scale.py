"""Scale benchmark: lw.audit's images per minute with 1 and 2 Dask workers against a plain in-process loop.

On the bundled photos (and their mirror images: 8 files), the embedded EfficientNet-Lite0, one torch thread
per process:

- plain loop: ``explain_item`` (exactly the work of one audit task: explain, deletion curve, flip search,
  JSON) image after image in this process;
- ``lw.audit`` with an embedded LocalCluster of 1 and of 2 single-threaded workers (wall time including the
  cluster's start and each worker loading the model, and the steady state from the tasks' own seconds);
- results: the audit's weights against the loop's (same seeds), exactly;
- growth: one image's seconds against samples and superpixels, and a cost model fitted on them.

    python benchmarks/scale.py            # writes docs/scale.json and docs/scale.md
    python benchmarks/scale.py --quick    # 4 images, 100 samples: a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def _photos(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    import lime_widget as lw
    from lime_widget.images import SAMPLE_IMAGES

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        img = lw.sample_image(SAMPLE_IMAGES[i % len(SAMPLE_IMAGES)])
        if (i // len(SAMPLE_IMAGES)) % 2:
            img = img[:, ::-1]
        path = folder / f"{i:02d}_{SAMPLE_IMAGES[i % len(SAMPLE_IMAGES)]}.png"
        Image.fromarray(np.ascontiguousarray(img)).save(path)
        out.append(path)
    return out


def _forward_seconds(clf: Any, batch: int = 32, repeats: int = 3) -> float:
    """Seconds per image of one forward pass of the model at its input size (batches of ``batch``)."""
    import torch

    x = torch.rand(batch, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    clf.predict(x[:4])
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        with torch.inference_mode():
            clf.predict(x)
        best = min(best, (time.perf_counter() - t0) / batch)
    return best


def _loop(paths: list[Path], clf: Any, kwargs: dict[str, Any], out: Path) -> tuple[float, list[dict[str, Any]]]:
    from lime_widget.auditing import AuditJob, collect_items, explain_item

    items = collect_items([str(p) for p in paths])
    job = AuditJob(out=str(out), plugin="", explain_kwargs={"random_state": 0, **kwargs}, k=5)
    t0 = time.perf_counter()
    rows = [explain_item(item, clf, job) for item in items]
    return time.perf_counter() - t0, rows


def _audit(paths: list[Path], workers: int, kwargs: dict[str, Any], out: Path) -> tuple[float, Any]:
    import lime_widget as lw

    t0 = time.perf_counter()
    res = lw.audit([str(p) for p in paths], "efficientnet_lite0", out=out, n_workers=workers, progress=False, **kwargs)
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 images, 100 samples: checks the script runs")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args()
    n_images = args.images or (4 if args.quick else 8)
    samples = args.samples or (100 if args.quick else 250)

    import torch

    import lime_widget as lw

    torch.set_num_threads(1)  # the loop runs like one single-threaded worker
    clf = lw.load_model()
    tmp = Path(tempfile.mkdtemp(prefix="lime_scale_"))
    try:
        paths = _photos(tmp / "photos", n_images)
        kwargs = {"num_samples": samples}
        t_fwd = _forward_seconds(clf)
        print(f"forward pass: {t_fwd * 1e3:.1f} ms per image (1 thread)", flush=True)

        t_loop, loop_rows = _loop(paths, clf, kwargs, tmp / "loop")
        print(f"plain loop: {t_loop:.1f} s for {n_images} images", flush=True)
        t_a1, res1 = _audit(paths, 1, kwargs, tmp / "a1")
        print(f"audit, 1 worker: {t_a1:.1f} s", flush=True)
        t_a2, res2 = _audit(paths, 2, kwargs, tmp / "a2")
        print(f"audit, 2 workers: {t_a2:.1f} s", flush=True)

        same = all(
            np.array_equal(res1.explanation(i).coef, lw.Explanation.load_json(tmp / "loop" / r["json"]).coef)
            and np.array_equal(res2.explanation(i).coef, res1.explanation(i).coef)
            for i, r in enumerate(loop_rows)
        )
        errors = int((res1.table["error"] != "").sum() + (res2.table["error"] != "").sum())

        # growth with samples and superpixels: one image (chelsea), plain loop; passes = samples + deletion + flip
        growth = []
        for n_seg, n_samp in ((50, samples // 2), (50, samples), (50, 2 * samples), (25, samples), (100, samples)):
            t, rows = _loop(paths[:1], clf, {"num_samples": n_samp, "n_segments": n_seg}, tmp / "growth")
            r = rows[0]
            k = int(r["n_segments"])
            passes = n_samp + (k + 1) + (int(r["flip_k"]) if r["flip_k"] is not None else k)
            growth.append({"n_segments": n_seg, "superpixels": k, "samples": n_samp, "passes": passes, "seconds": t})
            print(f"  {k} superpixels, {n_samp} samples: {t:.2f} s ({passes} forward passes)", flush=True)
        # cost model: seconds = fixed + passes * t_pass, least squares over the growth runs
        a = np.array([[1.0, g["passes"]] for g in growth])
        y = np.array([g["seconds"] for g in growth])
        (fixed, t_pass), *_ = np.linalg.lstsq(a, y, rcond=None)
        for g in growth:
            g["model_seconds"] = float(fixed + t_pass * g["passes"])

        per_image_loop = t_loop / n_images
        steady1 = float(res1.table["seconds"].sum()) / n_images
        result = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, torch {torch.__version__}",
            "images": n_images,
            "samples": samples,
            "forward_ms_per_image": t_fwd * 1e3,
            "loop_seconds": t_loop,
            "audit1_seconds": t_a1,
            "audit2_seconds": t_a2,
            "loop_images_per_minute": 60 * n_images / t_loop,
            "audit1_images_per_minute": 60 * n_images / t_a1,
            "audit2_images_per_minute": 60 * n_images / t_a2,
            "speedup_2_vs_1": t_a1 / t_a2,
            "overhead_1_worker": t_a1 / t_loop - 1.0,
            "task_seconds_1_worker": steady1,
            "task_time_vs_loop_1_worker": steady1 * n_images / t_loop - 1.0,
            "startup_seconds_1_worker": t_a1 - float(res1.table["seconds"].sum()),
            "identical_to_loop": bool(same),
            "errors": errors,
            "per_image_loop_seconds": per_image_loop,
            "cost_model": {"fixed_seconds": float(fixed), "seconds_per_pass": float(t_pass)},
            "growth": growth,
        }
        name = "scale_quick" if args.quick else "scale"
        (ROOT / "docs" / f"{name}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps({k: v for k, v in result.items() if k != "growth"}, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
