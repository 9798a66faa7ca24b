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
    python benchmarks/scale.py --report   # re-write docs/scale.md from docs/scale.json
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
# One thread for everything in this process, before numpy loads: the plain loop is then the work of one
# single-threaded worker. With the default, numpy's BLAS used the second core for the surrogate's bootstrap
# fits, and the "plain loop at one worker" was really a loop on two cores.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def _photos(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    import lime_widget as lw
    from lime_widget.core.images import SAMPLE_IMAGES

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
    from lime_widget.auditing._items import collect_items
    from lime_widget.auditing._work import AuditJob, explain_item

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
    ap.add_argument("--report", action="store_true", help="only re-write docs/scale.md from docs/scale.json")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--samples", type=int, default=None)
    args = ap.parse_args()
    if args.report:
        report(json.loads((ROOT / "docs" / "scale.json").read_text()))
        return
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

        # Alternating order, best of two: the machine is shared and noisy, and a run's neighbour in time
        # should not decide the ratio (loop, 1, 2, 2, 1, loop).
        times: dict[str, list[float]] = {"loop": [], "a1": [], "a2": []}
        for rep, order in enumerate((("loop", "a1", "a2"), ("a2", "a1", "loop"))):
            for what in order:
                if what == "loop":
                    t, loop_rows = _loop(paths, clf, kwargs, tmp / f"loop{rep}")
                else:
                    t, res = _audit(paths, 1 if what == "a1" else 2, kwargs, tmp / f"{what}_{rep}")
                    # keep the table of the faster run, so that its task seconds match the reported wall time
                    if what == "a1" and t <= min(times["a1"], default=float("inf")):
                        res1 = res
                    elif what == "a2" and t <= min(times["a2"], default=float("inf")):
                        res2 = res
                times[what].append(t)
                print(f"{what}: {t:.1f} s for {n_images} images", flush=True)
        t_loop, t_a1, t_a2 = (min(times[k]) for k in ("loop", "a1", "a2"))
        loop_json = tmp / "loop1"
        same = all(
            np.array_equal(res1.explanation(i).coef, lw.Explanation.load_json(loop_json / r["json"]).coef)
            and np.array_equal(res2.explanation(i).coef, res1.explanation(i).coef)
            for i, r in enumerate(loop_rows)
        )
        errors = int((res1.table["error"] != "").sum() + (res2.table["error"] != "").sum())

        # growth with samples and superpixels: one image (chelsea), plain loop; passes = samples + deletion + flip
        growth = []
        for n_seg, n_samp in ((50, samples // 2), (50, samples), (50, 2 * samples), (25, samples), (100, samples)):
            runs = [_loop(paths[:1], clf, {"num_samples": n_samp, "n_segments": n_seg}, tmp / "growth") for _ in (0, 1)]
            t, rows = min(runs, key=lambda run: run[0])  # best of two, as above
            r = rows[0]
            k = int(r["n_segments"])
            passes = n_samp + (k + 1) + k  # samples, deletion curve (K + 1), flip search (all K prefixes, one batch)
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
            "runs_seconds": times,
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
        if not args.quick:
            report(result)
        print(json.dumps({k: v for k, v in result.items() if k != "growth"}, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict[str, Any]) -> None:
    """docs/scale.md from the figures of one run."""
    cm = r["cost_model"]
    k_typ = 50
    passes_1000 = 1000 + 2 * k_typ + 1
    speed_goal = "met" if r["speedup_2_vs_1"] >= 1.8 else "**not met**"
    over_goal = "met" if r["overhead_1_worker"] <= 0.10 else "**not met**"
    lines = [
        "# Scale: auditing a dataset on Dask",
        "",
        "`benchmarks/scale.py`, one run: "
        f"{r['images']} photos (the bundled ones and their mirror images), {r['samples']} samples each, the embedded "
        f"EfficientNet-Lite0, one thread per process (torch, numpy's BLAS and OpenMP, as in each worker); {r['machine']}. Each configuration ran twice in "
        "alternating order (loop, 1 worker, 2 workers, 2, 1, loop) and the faster run is reported, since the "
        "machine is shared. Raw figures: `docs/scale.json`.",
        "",
        "## Throughput",
        "",
        "| run | seconds | images per minute |",
        "|---|---|---|",
        f"| plain loop in one single-threaded process (the audit's per-image work, no Dask) | {r['loop_seconds']:.1f} | {r['loop_images_per_minute']:.2f} |",
        f"| `lw.audit`, embedded LocalCluster, 1 worker | {r['audit1_seconds']:.1f} | {r['audit1_images_per_minute']:.2f} |",
        f"| `lw.audit`, embedded LocalCluster, 2 workers | {r['audit2_seconds']:.1f} | {r['audit2_images_per_minute']:.2f} |",
        "",
        f"- 2 workers against 1: **{r['speedup_2_vs_1']:.2f}x** (goal >= 1.8x: {speed_goal}).",
        f"- Dask's overhead at 1 worker, wall time against the plain loop: **{100 * r['overhead_1_worker']:+.1f}%** "
        f"(goal <= 10%: {over_goal}). It includes starting the cluster and loading the model in the worker, "
        "and each worker's first task runs in a cold process (imports, first forward passes).",
        f"- The tasks' own time at 1 worker against the loop: {100 * r['task_time_vs_loop_1_worker']:+.1f}%.",
        f"- Results: the weights of every image are {'identical' if r['identical_to_loop'] else '**not identical**'} "
        "to the plain loop's (same seeds), with 1 and with 2 workers; errors: " + str(r["errors"]) + ".",
        "",
        "Before the fix in `lime_widget.auditing.running._connect`, workers ran torch three times slower than the plain "
        "loop: Dask sets `MALLOC_TRIM_THRESHOLD_=65536` in its workers, which fixes glibc's mmap threshold, so "
        "every large tensor was mapped and unmapped again (a 100-sample explanation of chelsea took 18 s in a "
        "worker, 6 s in the loop). The embedded cluster unsets it; see [auditing](audit.md) for your own workers.",
        "",
        "## How the cost grows",
        "",
        "One photo (chelsea) in the plain loop, best of two runs. Forward passes per image = samples + (K + 1) for the deletion "
        "curve + K for the flip search (all prefixes in one batch), K = superpixels.",
        "",
        "| superpixels | samples | forward passes | seconds | cost model |",
        "|---|---|---|---|---|",
    ]
    for g in r["growth"]:
        lines.append(
            f"| {g['superpixels']} | {g['samples']} | {g['passes']} | {g['seconds']:.2f} | {g['model_seconds']:.2f} |"
        )
    lines += [
        "",
        f"Cost model, fitted by least squares on these runs: seconds per image = {cm['fixed_seconds']:.2f} s "
        f"(segmentation, set-up, surrogate and bootstrap fits, JSON) + {1e3 * cm['seconds_per_pass']:.1f} ms per "
        f"forward pass. A bare forward pass measured {r['forward_ms_per_image']:.1f} ms per image (batches of 32, "
        "one thread); the rest of a pass is composing the masked image. Cost is linear in images (each is "
        "independent), linear in samples, and grows with superpixels through the deletion and flip passes "
        "(and the composition of each mask).",
        "",
        "## On more machines (on paper)",
        "",
        "Forward passes dominate, and images are independent, so throughput is the sum over workers:",
        "",
        "    images per minute ≈ 60 · N · G / (t_fixed + P · t_pass)",
        "",
        f"with N machines, G workers each (one per GPU, or one per core on CPUs), P = samples + 2K + 1 passes per "
        f"image (about {passes_1000} at 1000 samples and K = {k_typ}) and t_pass the time of one pass on one worker. "
        f"Here (CPU, one thread) t_pass = {1e3 * cm['seconds_per_pass']:.1f} ms and t_fixed = {cm['fixed_seconds']:.2f} s: "
        f"{60 / (cm['fixed_seconds'] + passes_1000 * cm['seconds_per_pass']):.2f} images per minute per core at "
        "1000 samples. On a GPU t_pass is not measured here (no GPU on this machine); at an assumed 0.5 ms per "
        "image in large batches, one GPU worker would do about "
        f"{60 / (cm['fixed_seconds'] + passes_1000 * 0.0005):.0f} images per minute, and t_fixed (CPU work: "
        "segmentation, fits) would be a third of the time, so several CPU cores per GPU keep it busy. The "
        "scheduler's own cost per task is milliseconds, negligible against seconds per image; the table is "
        "rewritten every 2 s at most.",
        "",
    ]
    (ROOT / "docs" / "scale.md").write_text("\n".join(lines))
    print("wrote docs/scale.md")


if __name__ == "__main__":
    main()
