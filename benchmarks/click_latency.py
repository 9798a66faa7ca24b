"""Click-to-score latency of the widget in a real browser (JupyterLab + Debian chromium + Playwright).

One kernel, one explanation of chelsea with the embedded model, two widgets over it: the first with
pre-scoring off, the second with it on (``LimeWidget(exp, prescore=...)``). On each, the same sequence of
``--clicks`` (50) clicks on different superpixels, each hiding one more (so every mask is new), with a pause of
``--pause`` seconds (1.5) between clicks, as a person exploring would leave. Timed in the page itself, with
``performance.now()``, from the ``pointerup`` of the click (when the click happens) to:

- the model's score shown as current: ``data-rev`` of ``lime-score`` equals the click's rev and the value is
  there (``data-known="true"`` when the view knew it from pre-scoring);
- the surrogate's prediction for the new mask shown (``lime-surrogate`` changes).

For reference, in the same kernel: the bare forward pass of one masked image (``model.predict`` on a composed
batch of one) and ``exp.rescore(mask)`` (composition + forward), median of 20 back to back each (a warm
model); and the time the kernel spent scoring each click that missed the cache (``exp.rescore`` inside the
widget's scorer thread, timed by wrapping the widget's ``_score``): between clicks the machine does other
work (the browser draws), so a click's forward pass starts cold and takes longer. Writes
docs/click_latency.json and a screenshot of the second widget, docs/widget.png, and prints the table.

    python benchmarks/click_latency.py [--clicks 50] [--pause 1.5] [--out docs]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, jupyter_server, kernel_probe  # noqa: E402

SETUP = """import lime_widget as lw
exp = lw.explain(lw.sample_image("chelsea"), lw.load_model(), num_samples=200, random_state=0, progress=False)"""
WIDGET = """w{i} = lw.LimeWidget(exp, prescore={prescore})
w{i}"""

# The middle of each superpixel (its pixel farthest from its boundary and the image's edge), as fractions of the
# display size.
TARGETS = """(lambda np, ndi: [
    (lambda d: (lambda yx: {"seg": int(k), "fx": (float(yx[1]) + 0.5) / w0.width, "fy": (float(yx[0]) + 0.5) / w0.height})(
        np.unravel_index(np.argmax(d), d.shape)))(ndi.distance_transform_edt(
            np.pad(np.frombuffer(w0.segments_bytes, dtype="<u2").reshape(w0.height, w0.width) == k, 1))[1:-1, 1:-1])
    for k in range(w0.n_segments)
])(__import__("numpy"), __import__("scipy.ndimage", fromlist=["x"]))"""

# Time every forward pass a click causes, inside the kernel (the benchmark's own wrapper, not widget code).
TIME_SCORING = """import time as _time
def _timed(mask, _score=w{i}._score, _log=[]):
    t0 = _time.perf_counter()
    passes = w{i}.forward_passes
    out = _score(mask)
    if w{i}.forward_passes > passes:
        _log.append((_time.perf_counter() - t0) * 1000)
    return out
w{i}._score = _timed
_scoring_{i} = _timed.__defaults__[1]"""

REFERENCE = """(lambda time, np, statistics: (lambda m, t: {
    "forward_ms": statistics.median(t(lambda: exp.model.predict(exp.composer.compose(m[None]))) for _ in range(20)),
    "rescore_ms": statistics.median(t(lambda: exp.rescore(m)) for _ in range(20)),
})(np.arange(exp.n_segments) % 3 != 0, lambda f: (lambda t0: (f(), (time.perf_counter() - t0) * 1000)[1])(
    time.perf_counter())))(__import__("time"), __import__("numpy"), __import__("statistics"))"""

# Instrument one widget (its root element): the pointerup of a click starts a timer; the score and the
# surrogate cells stop theirs when they show the new values.
INSTRUMENT = """(root) => {
  const canvas = root.querySelector('[data-testid="lime-canvas"]');
  const score = root.querySelector('[data-testid="lime-score"]');
  const sur = root.querySelector('[data-testid="lime-surrogate"]');
  const st = { t: null, expect: -1, sur0: null, surMs: null, surFrames: null, f0: 0, frame: 0, clicks: [] };
  const tick = () => { st.frame++; requestAnimationFrame(tick); };  // counts the animation frames
  requestAnimationFrame(tick);
  canvas.addEventListener('pointerup', () => {
    st.t = performance.now(); st.f0 = st.frame; st.sur0 = sur.dataset.value; st.surMs = null;
  }, true);
  new MutationObserver(() => {
    if (st.t !== null && st.surMs === null && sur.dataset.value !== st.sur0) {
      st.surMs = performance.now() - st.t; st.surFrames = st.frame - st.f0;
    }
  }).observe(sur, { attributes: true, attributeFilter: ['data-value'] });
  const check = () => {
    if (st.t === null || score.dataset.value === '' || score.dataset.rev !== String(st.expect)) return;
    st.clicks.push({ ms: performance.now() - st.t, surrogateMs: st.surMs, surrogateFrames: st.surFrames,
                     known: score.dataset.known === 'true',
                     value: Number(score.dataset.value) });
    st.t = null;
  };
  new MutationObserver(check).observe(score, { attributes: true, attributeFilter: ['data-rev', 'data-value'] });
  root.__bench = st;
}"""


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, round(q * (len(v) - 1)))]


def run_clicks(page, root, order, box, pause: float) -> list[dict]:
    root.evaluate(INSTRUMENT)
    for rev, t in enumerate(order, start=1):
        root.evaluate("(r, rev) => { r.__bench.expect = rev; }", rev)
        x, y = box["x"] + t["fx"] * box["width"], box["y"] + t["fy"] * box["height"]
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_function(
            "([r, n]) => r.__bench.clicks.length >= n", arg=[root.element_handle(), rev], polling=5, timeout=60_000
        )
        time.sleep(pause)
    return root.evaluate("r => r.__bench.clicks")


def summary(clicks: list[dict]) -> dict:
    ms = [c["ms"] for c in clicks]
    sur = [c["surrogateMs"] for c in clicks if c["surrogateMs"] is not None]
    return {
        "clicks": len(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 0.95),
        "max_ms": max(ms),
        "known_in_view": sum(bool(c["known"]) for c in clicks),
        "surrogate_p50_ms": statistics.median(sur) if sur else None,
        "surrogate_p95_ms": percentile(sur, 0.95) if sur else None,
        "surrogate_max_ms": max(sur) if sur else None,
        # the surrogate was in the DOM by the first animation frame after the click (its rAF callback ran in
        # that frame: the frame counter moved at most once, depending on which callback ran first)
        "surrogate_in_first_frame": sum(c["surrogateFrames"] is not None and c["surrogateFrames"] <= 1 for c in clicks),
        "latencies_ms": ms,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clicks", type=int, default=50)
    ap.add_argument("--pause", type=float, default=1.5, help="seconds between clicks")
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        root_dir = Path(tmp)
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(SETUP),
            nbformat.v4.new_code_cell(WIDGET.format(i=0, prescore=False)),
            nbformat.v4.new_code_cell(WIDGET.format(i=1, prescore=True)),
        ]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root_dir / "latency.ipynb")
        with jupyter_server(root_dir, "lab") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console = ConsoleLog()
            console.attach(page)
            page.goto(server.page_url("lab", "latency.ipynb"))
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            time.sleep(2)
            page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
            for _ in range(3):
                page.keyboard.press("Shift+Enter")
            page.wait_for_function("() => document.querySelectorAll('.lime-widget').length === 2", timeout=300_000)
            time.sleep(2)
            with kernel_probe(server, "latency.ipynb") as kernel:
                targets = kernel.json(TARGETS)
                reference = kernel.json(REFERENCE)
                rng_order = sorted(targets, key=lambda t: (t["seg"] * 37) % len(targets))[: args.clicks]
                for i, name in enumerate(["without_prescoring", "with_prescoring"]):
                    widget = page.locator(".lime-widget").nth(i)
                    canvas = widget.locator('[data-testid="lime-canvas"]')
                    canvas.scroll_into_view_if_needed()
                    time.sleep(1)
                    box = canvas.bounding_box()
                    assert box is not None
                    kernel.run(TIME_SCORING.format(i=i))
                    clicks = run_clicks(page, widget, rng_order, box, args.pause)
                    results[name] = summary(clicks)
                    scoring = kernel.json(f"_scoring_{i}")
                    results[name]["kernel_forward_ms_in_clicks"] = {
                        "n": len(scoring),
                        "p50": statistics.median(scoring) if scoring else None,
                        "p95": percentile(scoring, 0.95) if scoring else None,
                        "all": scoring,
                    }
                    if len(scoring) == len(clicks):  # every click missed: the rest of each click's time
                        rest = [c["ms"] - f for c, f in zip(clicks, scoring, strict=True)]
                        results[name]["beyond_forward_ms"] = {
                            "p50": statistics.median(rest),
                            "p95": percentile(rest, 0.95),
                        }
                    results[name]["forward_passes"] = kernel.json(f"w{i}.forward_passes")
                    results[name]["background_passes"] = kernel.json(f"w{i}.background_passes")
                    shown = clicks[-1]["value"]
                    published = kernel.json(f"float(w{i}.probabilities[w{i}.selected_label])")
                    model = kernel.json(f"float(exp.rescore(w{i}.visible)[w{i}.selected_label])")
                    results[name]["final_score_shown"] = shown
                    results[name]["final_score_kernel"] = published
                    results[name]["final_score_rescored_alone"] = model
                    # pre-scored masks were scored two to a batch: float32 results move in the 7th digit
                    if shown != published or abs(shown - model) > 1e-5 * abs(model):
                        print(
                            f"{name}: the score shown ({shown}) is not the model's ({published}, {model})",
                            file=sys.stderr,
                        )
                        return 1
            page.locator(".lime-widget").nth(1).screenshot(path=str(out / "widget.png"))
            browser.close()
    result = {
        "pause_s": args.pause,
        "forward_ms_in_kernel": reference["forward_ms"],
        "rescore_ms_in_kernel": reference["rescore_ms"],
        **results,
        "console_errors": console.relevant(),
    }
    (out / "click_latency.json").write_text(json.dumps(result, indent=2))
    fwd = reference["forward_ms"]
    cold = results["without_prescoring"]["kernel_forward_ms_in_clicks"]["p50"]
    print(f"one forward pass in the kernel, warm: {fwd:.1f} ms (rescore: {reference['rescore_ms']:.1f} ms); ", end="")
    print(f"inside the clicks (p50): {cold:.1f} ms")
    print(
        f"{'':22s} {'p50':>8s} {'p95':>8s} {'max':>8s} {'known':>7s} {'surrogate p95':>14s} {'max':>6s} {'1st frame':>9s}"
    )
    for name in ("without_prescoring", "with_prescoring"):
        r = results[name]
        print(
            f"{name:22s} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f} "
            f"{r['known_in_view']:4d}/{r['clicks']:<2d} {r['surrogate_p95_ms']:14.1f} {r['surrogate_max_ms']:6.1f} "
            f"{r['surrogate_in_first_frame']:6d}/{r['clicks']:<2d}"
        )
    rest = results["without_prescoring"].get("beyond_forward_ms")
    if rest:
        print(
            f"without pre-scoring, each click's time beyond its own forward pass: p50 {rest['p50']:.1f} ms, "
            f"p95 {rest['p95']:.1f} ms"
        )
    p95 = results["without_prescoring"]["p95_ms"]
    print(
        f"goals: p95 without pre-scoring <= forward + 50 ms: {p95:.1f} <= {fwd + 50:.1f} (warm forward): "
        f"{p95 <= fwd + 50}; <= {cold + 50:.1f} (the clicks' own forward): {p95 <= cold + 50}; "
        f"p50 with pre-scoring < forward {fwd:.1f}: {results['with_prescoring']['p50_ms'] < fwd}; "
        f"surrogate < 20 ms: {max(results[n]['surrogate_max_ms'] for n in results) < 20}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
