"""Benchmark lime_widget against lime and captum, in one run.

    python benchmarks/run.py [--quick] [--device cpu|cuda] [--out docs]

Prints a table and writes ``<out>/benchmarks.json`` and ``<out>/benchmarks.md``.

Full run: scikit-image's chelsea at its own size (300x451) and upscaled to 2048x2048 (PIL bicubic),
EfficientNet-Lite0 (embedded weights) and ResNet-18 (random weights), 1000 samples, the same 75-segment
SLIC superpixels for every contender. ``--quick`` uses a tiny two-layer CNN, 50 samples and small images,
and runs every contender in this process (the smoke test); the full run measures each contender in a fresh
``spawn`` subprocess so peak-memory figures do not leak into each other.

lime and captum are benchmark-only dependencies (``pip install 'lime-widget[bench]'``); a contender whose
package is missing is skipped with a message.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from harness import Case, Contender, Options  # noqa: E402

LIME_BATCHES = [4, 10, 32, 64, 128]  # 10 is lime's default; 4 is where a forward pass is fastest on small CPUs
CAPTUM_BATCHES = [1, 4, 16, 32, 64]  # 1 is captum's default
FULL_RES_BATCH_LIMIT = 2 * 2**30  # bytes of full-resolution float32 input per batch allowed for lime / captum


# --------------------------------------------------------------------------- running things
def call(isolate: bool, fn: Any, *args: Any) -> Any:
    """fn(*args) in a fresh spawn subprocess (isolate) or here. Exceptions become {"error": ...}."""
    try:
        if not isolate:
            return fn(*args)
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
            return ex.submit(fn, *args).result()
    except Exception as err:  # a contender failing (e.g. out of memory) must not sink the whole table
        return {"error": f"{type(err).__name__}: {err}"}


def fit_batch(bs: int, image_shape: tuple[int, ...], candidates: list[int]) -> int:
    """Largest batch <= bs whose full-resolution float32 input stays under FULL_RES_BATCH_LIMIT."""
    per_image = 3 * image_shape[0] * image_shape[1] * 4
    ok = [c for c in sorted({*candidates, bs}) if c <= bs and c * per_image <= FULL_RES_BATCH_LIMIT]
    return ok[-1] if ok else 1


# --------------------------------------------------------------------------- cases
def build_cases(quick: bool) -> list[Case]:
    if quick:
        specs = [("chelsea-small", (120, 180), "toy", False), ("chelsea-384", (384, 384), "toy", True)]
    else:
        specs = [
            ("chelsea", None, "efficientnet_lite0", False),
            ("chelsea-2048", (2048, 2048), "efficientnet_lite0", True),
            ("chelsea", None, "resnet18", False),
            ("chelsea-2048", (2048, 2048), "resnet18", True),
        ]
    cases = []
    cache: dict[Any, Any] = {}
    for name, size, model, large in specs:
        if size not in cache:
            image = harness.make_image(size)
            t = time.perf_counter()
            segments = harness.make_segments(image, 75)
            cache[size] = (image, segments, time.perf_counter() - t)
        image, segments, seg_s = cache[size]
        h, w = image.shape[:2]
        cases.append(
            Case(
                name=f"{name} {h}x{w} / {model}",
                model=model,
                image=image,
                segments=segments,
                description=f"skimage chelsea {'at its own size' if size is None else 'resized (PIL bicubic)'} {h}x{w}",
                meta={
                    "image": name,
                    "height": h,
                    "width": w,
                    "n_superpixels": int(segments.max()) + 1,
                    "slic_s": round(seg_s, 3),
                    "large": large,
                },
            )
        )
    return cases


def contenders_for(
    case: Case, lime_best: int | None, captum_best: int | None, large_samples: tuple[int, int] | None, n: int
) -> list[Contender]:
    """The contenders of a case. On large images lime and captum are timed at two sample counts and extrapolated."""
    few = large_samples if case.meta.get("large") else None

    def counts(bs: int) -> tuple[int, int] | None:
        if few is None:
            return None
        # whole batches, so that both timed runs have the same per-batch cost
        a, b = (max(bs, bs * round(x / bs)) for x in few)
        b = b if b > a else a + bs
        return (a, b) if b < n else None

    out = [
        Contender("forward", "forward", None, "forward-only bound"),
        Contender("lime_widget", "lime_widget", None, "lime_widget"),
    ]
    lb = fit_batch(lime_best, case.image.shape, LIME_BATCHES) if lime_best is not None else None
    out.append(
        Contender(
            "lime_default", "lime", 10, "lime (batch 10, default" + (", also best)" if lb == 10 else ")"), counts(10)
        )
    )
    if lb is not None and lb != 10:
        out.append(Contender("lime_best", "lime", lb, f"lime (batch {lb}, best)", counts(lb)))
    cb = fit_batch(captum_best, case.image.shape, CAPTUM_BATCHES) if captum_best is not None else None
    out.append(
        Contender("captum_ppe1", "captum", 1, "captum Lime (ppe 1" + (", also best)" if cb == 1 else ")"), counts(1))
    )
    if cb is not None and cb != 1:
        out.append(Contender("captum_best", "captum", cb, f"captum Lime (ppe {cb}, best)", counts(cb)))
    return out


SAME_AS = {"lime_best": "lime_default", "captum_best": "captum_ppe1"}


# --------------------------------------------------------------------------- machine
def machine_info(device: str) -> dict[str, Any]:
    import psutil
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"torch": torch.__version__}
    for mod in ("torchvision", "numpy", "sklearn", "skimage", "lime", "captum"):
        try:
            from importlib.metadata import version

            dist = {"sklearn": "scikit-learn", "skimage": "scikit-image"}.get(mod, mod)
            versions[mod] = version(dist)
        except Exception:
            versions[mod] = "not installed"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "gpu": gpu,
        "device": device,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="toy CNN, 50 samples, small images, in-process (< 1 min)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--out", default=str(HERE.parent / "docs"), help="folder for benchmarks.json / benchmarks.md")
    ap.add_argument("--bf16", action="store_true", help="autocast to bfloat16 for every contender (off by default)")
    ap.add_argument(
        "--channels-last", action="store_true", help="model in channels_last memory format (off by default)"
    )
    ap.add_argument("--samples", type=int, help="samples per explanation (1000; --quick 50)")
    ap.add_argument("--lime-batch", default="auto", help=f"lime's best batch size, or 'auto' to sweep {LIME_BATCHES}")
    ap.add_argument(
        "--captum-batch", default="auto", help=f"captum's best perturbations_per_eval, or 'auto' ({CAPTUM_BATCHES})"
    )
    ap.add_argument(
        "--large-samples",
        default=None,
        help="on the upscaled photo, time lime and captum at these two sample counts and extrapolate linearly "
        "(default 20,60; --quick 10,30); 'full' runs them at the full sample count",
    )
    ap.add_argument("--repeats", type=int, help="timed runs per contender, fastest kept (2; --quick 1)")
    ap.add_argument("--no-stability", action="store_true", help="skip the seed-stability figure")
    ap.add_argument(
        "--inline", action="store_true", help="measure in this process instead of a subprocess per contender"
    )
    ap.add_argument("--cases", help="comma-separated substrings; only cases whose name contains one of them")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import report

    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("--device cuda: no CUDA device is available", file=sys.stderr)
            return 2
    isolate = not (args.quick or args.inline)
    n = args.samples or (50 if args.quick else 1000)
    opts = Options(
        device=args.device,
        bf16=args.bf16,
        channels_last=args.channels_last,
        num_samples=n,
        warmup_samples=n if args.quick else 100,
        rescore_repeats=5 if args.quick else 20,
        repeats=args.repeats or (1 if args.quick else 2),
    )
    spec = args.large_samples or ("10,30" if args.quick else "20,60")
    large_samples = None if spec == "full" else tuple(int(x) for x in spec.split(","))
    if large_samples is not None and (len(large_samples) != 2 or not 0 < large_samples[0] < large_samples[1]):
        print("--large-samples needs two increasing counts, e.g. 30,150, or 'full'", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    skipped = {tool: why for tool in ("lime", "captum") if (why := harness.available(tool)) is not None}
    for tool, why in skipped.items():
        print(f"skipping the {tool} contenders: {why}", file=sys.stderr)

    cases = build_cases(args.quick)
    if args.cases:
        wanted = [s.strip() for s in args.cases.split(",") if s.strip()]
        cases = [c for c in cases if any(w in c.name for w in wanted)]
    info = machine_info(args.device)
    print(f"# {info['cpu']}, {info['logical_cores']} cores, torch {info['versions']['torch']}, device {args.device}")
    print(f"# load average at start: {loadavg()}", flush=True)

    # Best batch sizes for lime and captum: measured once per model, on its smallest image.
    sweeps: dict[str, Any] = {}
    best: dict[tuple[str, str], int | None] = {}
    sweep_n = n if args.quick else 64
    for case in cases:
        for tool, setting, cands in (
            ("lime", args.lime_batch, LIME_BATCHES),
            ("captum", args.captum_batch, CAPTUM_BATCHES),
        ):
            if (tool, case.model) in best:
                continue
            if tool in skipped:
                best[(tool, case.model)] = None
            elif setting != "auto":
                best[(tool, case.model)] = int(setting)
            else:
                small = min((c for c in cases if c.model == case.model), key=lambda c: c.image.size)
                res = call(isolate, harness.run_sweep, small, tool, cands, sweep_n, opts)
                res["case"] = small.name
                sweeps[f"{tool}/{case.model}"] = res
                best[(tool, case.model)] = res.get("best", cands[0])
                print(
                    f"# {tool} batch sweep on {small.name}: {res.get('img_per_s', res)} -> best {best[(tool, case.model)]}",
                    flush=True,
                )

    results: list[dict[str, Any]] = []
    for case in cases:
        row: dict[str, Any] = {"name": case.name, "model": case.model, "description": case.description, **case.meta}
        row["load_before"] = loadavg()
        row["contenders"] = {}
        print(f"\n## {case.name} ({case.meta['n_superpixels']} superpixels, {n} samples)", flush=True)
        case_opts = opts
        for cont in contenders_for(case, best[("lime", case.model)], best[("captum", case.model)], large_samples, n):
            if cont.tool in skipped:
                row["contenders"][cont.key] = {"tool": cont.tool, "label": cont.label, "skipped": skipped[cont.tool]}
                continue
            res = call(isolate, harness.run_contender, case, cont, case_opts)
            if cont.tool == "forward" and "wall_s" in res:
                case_opts = replace(opts, bound=(res["layout"], int(res["batch_size"])))
            res.setdefault("label", cont.label)
            res.setdefault("tool", cont.tool)
            row["contenders"][cont.key] = res
            print(report.progress_line(res), flush=True)
        for key, same in SAME_AS.items():
            # the best batch is the default one: the same measurement stands for both
            if key not in row["contenders"] and "wall_s" in row["contenders"].get(same, {}):
                row["contenders"][key] = {**row["contenders"][same], "same_as": same}
        row["load_after"] = loadavg()
        report.add_ratios(row)
        results.append(row)

    stability: dict[str, Any] | None = None
    if not args.no_stability and cases:
        stab_case = cases[0]
        seeds = list(range(5))
        sizes = [20, 50] if args.quick else [250, 1000]
        stability = {"case": stab_case.name, "seeds": seeds, "sizes": sizes, "tools": {}}
        print(f"\n## stability on {stab_case.name}: seeds {seeds}, samples {sizes}", flush=True)
        for tool in ("lime_widget", "lime"):
            if tool in skipped:
                stability["tools"][tool] = {"skipped": skipped[tool]}
                continue
            res = call(isolate, harness.run_stability, stab_case, tool, seeds, sizes, replace(opts))
            if "runs" in res:
                res["jaccard"] = {k: round(harness.jaccard_mean(v), 3) for k, v in res["runs"].items()}
            stability["tools"][tool] = res
            print(
                f"{tool:12s} mean pairwise Jaccard of the top-5: {res.get('jaccard', res)}; "
                f"same seed repeats identically: {res.get('same_seed_repeat_identical')}",
                flush=True,
            )

    doc = {
        "quick": bool(args.quick),
        "machine": info,
        "options": {**harness.options_dict(opts), "large_samples": large_samples},
        "isolation": "fresh spawn subprocess per contender" if isolate else "one process (inline)",
        "sweeps": sweeps,
        "skipped": skipped,
        "cases": results,
        "stability": stability,
        "total_s": round(time.perf_counter() - t_start, 1),
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    doc["goals"] = report.goals(doc)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(doc, indent=2) + "\n")
    md = report.markdown(doc)
    (out / "benchmarks.md").write_text(md)
    print()
    print(report.tables(doc))
    print(f"wrote {out / 'benchmarks.json'} and {out / 'benchmarks.md'} in {doc['total_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
