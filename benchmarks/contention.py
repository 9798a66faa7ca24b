"""An explanation alone and beside another busy torch process, with the old fixed thread count and the fair
share (lime_widget.models._cpu_share), and what each does to the other process's throughput.

    python benchmarks/contention.py [--samples 200] [--repeats 2] [--out docs/contention.json]

The explanation: chelsea, the embedded EfficientNet-Lite0, library defaults, ``--samples`` samples, timed
around ``lw.explain`` only (the model is loaded first). Each run is a fresh subprocess. The other process runs
plain torch inference (EfficientNet-Lite0, batch 1, torch's own default threads, no lime_widget policy) in a
loop and reports images per second over the window of the explanation. Modes:

* ``fixed``: today's behaviour before the fair share, ``lw.set_threads(None)`` (the default count, never
  changed while running);
* ``fair``: the library's defaults (the fair share on).

Measure on an otherwise quiet machine: the figures are ratios against the run alone in the same script run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXPLAIN = r"""
import json, os, sys, time
import lime_widget as lw
mode, samples = sys.argv[1], int(sys.argv[2])
if mode == "fixed":
    lw.set_threads(None)
model = lw.load_model("efficientnet_lite0")
image = lw.sample_image("chelsea")
lw.explain(image, model, num_samples=20, random_state=1)  # warm up (first forward passes, allocations)
t0 = time.perf_counter()
lw.explain(image, model, num_samples=samples, random_state=0)
seconds = time.perf_counter() - t0
import torch
print(json.dumps({"seconds": seconds, "threads_at_end": torch.get_num_threads()}))
"""

# Plain torch, torch's own default thread count: the "other process" a user has running (no lime_widget policy).
OTHER = r"""
import sys, time, torch
from efficientnet_lite_pytorch import EfficientNet
net = EfficientNet.from_name("efficientnet-lite0").eval()  # random weights: the same work as trained ones
x = torch.rand(1, 3, 224, 224)
print("ready", torch.get_num_threads(), flush=True)
with torch.inference_mode():
    while True:
        net(x)
        print(time.monotonic(), flush=True)
"""


def run_explain(mode: str, samples: int) -> dict[str, float]:
    env = {**os.environ, "TQDM_DISABLE": "1"}
    env.pop("LIME_WIDGET_THREADS", None)
    out = subprocess.run(
        [sys.executable, "-c", EXPLAIN, mode, str(samples)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


class Other:
    """The busy process: start, read its completion times, stop."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", OTHER], stdout=subprocess.PIPE, text=True, env=env, bufsize=1
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().split()
        self.threads = int(first[1])
        self.times: list[float] = []
        import threading

        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        time.sleep(3.0)  # warm up

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.times.append(float(line))
            except ValueError:
                pass

    def rate(self, start: float, end: float) -> float:
        n = sum(1 for t in list(self.times) if start <= t <= end)
        return n / (end - start)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result: dict[str, object] = {"samples": args.samples, "cpus": os.cpu_count(), "modes": {}}
    alone: dict[str, list[float]] = {"fixed": [], "fair": []}
    for _ in range(args.repeats):  # alternate modes so drift hits both
        for mode in alone:
            alone[mode].append(run_explain(mode, args.samples)["seconds"])
    other = Other()
    try:
        t0 = time.monotonic()
        time.sleep(8.0)
        other_alone = other.rate(t0, time.monotonic())
        beside: dict[str, list[dict[str, float]]] = {"fixed": [], "fair": []}
        for _ in range(args.repeats):
            for mode in beside:
                t0 = time.monotonic()
                r = run_explain(mode, args.samples)
                t1 = time.monotonic()
                beside[mode].append({**r, "other_ips": other.rate(t0, t1)})
        threads_other = other.threads
    finally:
        other.stop()
    for mode in ("fixed", "fair"):
        a = min(alone[mode])
        b = min(x["seconds"] for x in beside[mode])
        result["modes"][mode] = {  # type: ignore[index]
            "alone_s": alone[mode],
            "beside_s": [x["seconds"] for x in beside[mode]],
            "threads_at_end_beside": [x["threads_at_end"] for x in beside[mode]],
            "other_ips_beside": [x["other_ips"] for x in beside[mode]],
            "best_alone_s": a,
            "best_beside_s": b,
        }
    result["other_alone_ips"] = other_alone
    result["other_threads"] = threads_other
    ref = min(alone["fixed"])
    print(
        f"{args.samples}-sample explanation of chelsea, {os.cpu_count()} CPUs; the other process: plain torch, "
        f"{threads_other} threads, {other_alone:.1f} img/s alone"
    )
    print(f"{'mode':6} {'alone':>8} {'beside':>8} {'beside/alone':>13} {'vs fixed alone':>15} {'other img/s':>12}")
    for mode in ("fixed", "fair"):
        m = result["modes"][mode]  # type: ignore[index]
        ips = statistics.median(m["other_ips_beside"])
        print(
            f"{mode:6} {m['best_alone_s']:7.2f}s {m['best_beside_s']:7.2f}s {m['best_beside_s'] / m['best_alone_s']:12.2f}x "
            f"{m['best_beside_s'] / ref:14.2f}x {ips:12.1f}"
        )
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
