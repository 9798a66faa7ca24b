"""Classroom benchmark: many Jupyter kernels on one CPU box, as on a shared teaching hub.

Starts real IPython kernels (jupyter_client), each loading the embedded EfficientNet-Lite0 and making one
explorer widget on the bundled cat photo, and measures:

- memory of one kernel: RSS, PSS (shared pages split between the processes sharing them) and USS (memory no
  other process shares) after start, after loading the model, and after one 250-sample explanation, one
  explorer and one click;
- the time of one 250-sample explanation (and of one click: one forward pass) when 1, 4 and 8 kernels run
  it at the same moment, with the library's default thread count and with ``LIME_WIDGET_THREADS=1``;
- how much memory 8 such kernels take together (their PSS summed) and each one alone (its USS): with many
  kernels the libraries' pages are shared, so one more kernel costs about its USS.

    python benchmarks/classroom.py            # writes docs/classroom.json and the tables in docs/classroom.md
    python benchmarks/classroom.py --quick    # 1 and 2 kernels, 60 samples: a smoke run
    python benchmarks/classroom.py --report   # re-write the tables from docs/classroom.json

Each finished row is saved to docs/classroom.partial.json; a run started again keeps those rows and
measures only the missing ones (delete that file to start afresh).

Run it on an otherwise idle machine: every kernel competes for the same cores, which is the point.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JSON_PATH = ROOT / "docs" / "classroom.json"
MD_PATH = ROOT / "docs" / "classroom.md"
HUB_VARS = ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN")
BEGIN, END = "<!-- classroom:begin -->", "<!-- classroom:end -->"

SETUP = """
import json, os, time, psutil
_proc = psutil.Process()
def _mem():
    info = _proc.memory_full_info()
    return {"rss_mb": info.rss / 2**20, "pss_mb": info.pss / 2**20, "uss_mb": info.uss / 2**20}
_mem_start = _mem()
import lime_widget as lw
import torch
model = lw.load_model("efficientnet_lite0")
image = lw.sample_image("chelsea")
lw.predict(image, model)  # the first call applies the default thread count and warms the model
_mem_model = _mem()
print(json.dumps({"pid": os.getpid(), "threads": torch.get_num_threads(), "start": _mem_start,
                  "model": _mem_model}))
"""

EXPLORER = """
_exp = lw.explain(image, model, num_samples={samples}, random_state=0, progress=False)
w = lw.LimeWidget(_exp)
_vis = list(w.visible); _vis[0] = not _vis[0]
w.set_state({{"visible": _vis, "rev": w.rev + 1}})
assert w.wait_idle(60) and w.scored_rev == w.rev
print(json.dumps({{"explorer": _mem()}}))
"""

# Every kernel waits for the same wall-clock moment, so the runs overlap as when a class presses Run together.
TIMED = """
while time.time() < {start}:
    time.sleep(0.001)
_t0 = time.perf_counter()
lw.explain(image, model, num_samples={samples}, random_state={seed}, progress=False)
_explain_s = time.perf_counter() - _t0
print(json.dumps({{"explain_s": _explain_s}}))
"""

CLICK = """
while time.time() < {start}:
    time.sleep(0.001)
_vis = list(w.visible); _vis[{seg}] = not _vis[{seg}]
_t0 = time.perf_counter()
w.set_state({{"visible": _vis, "rev": w.rev + 1}})
assert w.wait_idle(60) and w.scored_rev == w.rev
print(json.dumps({{"click_s": time.perf_counter() - _t0}}))
"""


class Kernel:
    """One IPython kernel of this Python, with extra environment variables."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client import KernelManager

        full = dict(os.environ)
        # "default" means the library default outside a hub: drop what a hub or a user set
        for var in ("LIME_WIDGET_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", *HUB_VARS):
            full.pop(var, None)
        full.update(env)
        full["TQDM_DISABLE"] = "1"
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=full)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def send(self, code: str) -> str:
        return str(self.kc.execute(code, store_history=False))

    def collect(self, msg_id: str, timeout: float = 900) -> dict[str, Any]:
        """The JSON the cell printed, once the kernel is idle again; raises with the traceback on an error."""
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
            except queue.Empty as err:
                raise TimeoutError(f"kernel gave no answer within {timeout} s") from err
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                raise RuntimeError("kernel error:\n" + "\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        merged: dict[str, Any] = {}
        for line in "".join(out).splitlines():
            if line.startswith("{"):
                merged.update(json.loads(line))
        return merged

    def run(self, code: str) -> dict[str, Any]:
        return self.collect(self.send(code))

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def _all(kernels: list[Kernel], codes: list[str]) -> list[dict[str, Any]]:
    ids = [k.send(c) for k, c in zip(kernels, codes, strict=True)]
    return [k.collect(i) for k, i in zip(kernels, ids, strict=True)]


def measure(n: int, env: dict[str, str], samples: int, rounds: int) -> dict[str, Any]:
    """n kernels with ``env``: setup, one explorer each, then ``rounds`` simultaneous explanations and clicks."""
    kernels = [Kernel(env) for _ in range(n)]
    try:
        setup = _all(kernels, [SETUP] * n)
        explorer = _all(kernels, [EXPLORER.format(samples=samples)] * n)
        explain_s: list[float] = []
        click_s: list[float] = []
        for r in range(rounds):
            start = time.time() + 1.0
            res = _all(kernels, [TIMED.format(start=start, samples=samples, seed=r + 1)] * n)
            explain_s += [x["explain_s"] for x in res]
            start = time.time() + 0.5
            res = _all(kernels, [CLICK.format(start=start, seg=r + 1)] * n)
            click_s += [x["click_s"] for x in res]
        return {
            "kernels": n,
            "env": env,
            "threads_per_kernel": setup[0]["threads"],
            "explain_s": {"median": statistics.median(explain_s), "max": max(explain_s), "all": explain_s},
            "click_s": {"median": statistics.median(click_s), "max": max(click_s), "all": click_s},
            "memory": {
                "start": setup[0]["start"],
                "model": setup[0]["model"],
                "explorer": explorer[0]["explorer"],
                "uss_sum_mb": sum(e["explorer"]["uss_mb"] for e in explorer),
                "pss_sum_mb": sum(e["explorer"]["pss_mb"] for e in explorer),
            },
        }
    finally:
        for k in kernels:
            k.stop()


def run(quick: bool, partial: Path | None) -> dict[str, Any]:
    """Every row; after each one the rows so far go to ``partial`` (when given), and rows already there are
    kept, not measured again, so an interrupted run resumes where it stopped."""
    import psutil
    import torch

    counts = [1, 2] if quick else [1, 4, 8]
    samples = 60 if quick else 250
    rounds = 1 if quick else 2
    settings = {"default": {}, "LIME_WIDGET_THREADS=1": {"LIME_WIDGET_THREADS": "1"}}
    data: dict[str, Any] = {
        "quick": quick,
        "samples": samples,
        "rounds": rounds,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "results": [],
    }
    if partial is not None and partial.exists():
        old = json.loads(partial.read_text())
        if (old.get("samples"), old.get("rounds")) == (samples, rounds):
            data["results"] = old["results"]
    for label, env in settings.items():
        for n in counts:
            if any(r["setting"] == label and r["kernels"] == n for r in data["results"]):
                print(f"{label:>22} x{n}: kept from {partial}", flush=True)
                continue
            t0 = time.perf_counter()
            row = measure(n, env, samples, rounds)
            row["setting"] = label
            data["results"].append(row)
            if partial is not None:
                partial.write_text(json.dumps(data, indent=1) + "\n")
            print(
                f"{label:>22} x{n}: {row['threads_per_kernel']} threads/kernel, explain median "
                f"{row['explain_s']['median']:.2f} s (max {row['explain_s']['max']:.2f}), click median "
                f"{row['click_s']['median'] * 1000:.0f} ms; {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    order = {(label, n): i for i, (label, n) in enumerate((lb, n) for lb in settings for n in counts)}
    data["results"].sort(key=lambda r: order[(r["setting"], r["kernels"])])
    return data


def report(data: dict[str, Any]) -> str:
    rows = data["results"]
    one = next(r for r in rows if r["kernels"] == 1 and r["setting"] == "default")
    mem = one["memory"]
    lines = [
        f"Measured by `python benchmarks/classroom.py` on {data['machine']['cpus']} CPUs, "
        f"{data['machine']['memory_gb']} GiB, torch {data['machine']['torch']}; {data['samples']}-sample "
        f"explanations of the bundled cat photo with the embedded EfficientNet-Lite0, {data['rounds']} rounds "
        "per row (every kernel starts its explanation at the same moment).",
        "",
        "**Memory of one kernel running alone** (RSS: resident; USS: pages no other process shares)",
        "",
        "| after | RSS | USS |",
        "|---|---:|---:|",
    ]
    stages = (("start", "kernel start"), ("model", "import + model"), ("explorer", "explanation, explorer, one click"))
    for key, name in stages:
        lines.append(f"| {name} | {mem[key]['rss_mb']:.0f} MiB | {mem[key]['uss_mb']:.0f} MiB |")
    lines += [
        "",
        "**Memory of N kernels together** (after the explanation, explorer and click in each; PSS summed is what "
        "they take together, USS per kernel what one more kernel adds)",
        "",
        "| setting | kernels | PSS summed | USS per kernel |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        m = r["memory"]
        lines.append(
            f"| {r['setting']} | {r['kernels']} | {m['pss_sum_mb']:.0f} MiB | {m['uss_sum_mb'] / r['kernels']:.0f} MiB |"
        )
    lines += [
        "",
        "**One explanation and one click with N kernels at once** (median over kernels and rounds; max in brackets)",
        "",
        "| setting | threads per kernel | kernels | explanation | click (one forward pass) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['threads_per_kernel']} | {r['kernels']} | {r['explain_s']['median']:.2f} s "
            f"({r['explain_s']['max']:.2f}) | {r['click_s']['median'] * 1000:.0f} ms ({r['click_s']['max'] * 1000:.0f}) |"
        )
    return "\n".join(lines)


def write_report(data: dict[str, Any]) -> None:
    text = MD_PATH.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{MD_PATH} has no {BEGIN} ... {END} block to fill")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    MD_PATH.write_text(head + BEGIN + "\n" + report(data) + "\n" + END + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 2 kernels, 60 samples, one round")
    parser.add_argument("--report", action="store_true", help="only re-write docs/classroom.md from the JSON")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here instead of docs/")
    args = parser.parse_args(argv)
    if args.report:
        write_report(json.loads(JSON_PATH.read_text()))
        return 0
    out = args.out or (None if args.quick else JSON_PATH)
    partial = None if out is None else out.with_suffix(".partial.json")
    data = run(args.quick, partial)
    if out is None:
        print(report(data))
        return 0
    out.write_text(json.dumps(data, indent=1) + "\n")
    if partial is not None:
        partial.unlink(missing_ok=True)
    if out == JSON_PATH:
        write_report(data)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
