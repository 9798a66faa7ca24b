"""Stability benchmark: how much does the top-5 of an explanation move when only the seed changes?

For every image (bundled photos and crops/flips of them), the same SLIC superpixels and mean fill, the
embedded EfficientNet-Lite0, and every seed, each sampling design draws 1000 masks once and the model scores
them once; every surrogate setting is then fitted on the first 100, 250, 500 and 1000 of those samples (all
designs are streams: a prefix is the design of that size). lime 0.2.0.1 runs its own sampling and fitting
(``LimeImageExplainer(random_state=seed)``; its ``random_seed`` argument does not control the sampling) on
the same superpixels with its mean fill. ``num_samples="auto"`` is run separately, per seed.

Reported: the mean pairwise top-5 Jaccard of the top class across seeds; the stability that each
explanation estimates of itself (``exp.stability``); the samples ``auto`` used; the deletion-curve area of
the top class for each ranking (lower = more faithful), 20 steps, seeds 0 and 1.

    python benchmarks/stability.py                 # full run: writes docs/stability.json + docs/figures/stability.png
    python benchmarks/stability.py --quick         # 2 images, 3 seeds: a smoke run (seconds to minutes)
    python benchmarks/stability.py --report        # re-write docs/stability.md from docs/stability.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SIZES = (100, 250, 500, 1000)
DESIGNS = ("lime", "paired", "balanced", "stratified")
#: surrogate settings fitted on every design's samples: (name, kernel, kernel_width, ridge_alpha, target)
SURROGATES = (
    ("lime kernel", "lime", 0.25, 1.0, "probability"),
    ("uniform", "uniform", None, 1.0, "probability"),
    ("lime kernel, logit", "lime", 0.25, 1.0, "logit"),
    ("uniform, logit", "uniform", None, 1.0, "logit"),
    ("kernel 1.0", "lime", 1.0, 1.0, "probability"),
)
#: images the test suite never uses (the goal is stated on these)
HELD_OUT = ("astronaut", "rocket", "motorcycle")


@dataclass
class Image:
    name: str
    base: str
    pixels: np.ndarray


def images(quick: bool) -> list[Image]:
    import skimage.data

    import lime_widget as lw

    photos = {name: lw.sample_image(name) for name in ("chelsea", "coffee", "astronaut", "rocket")}
    photos["motorcycle"] = np.ascontiguousarray(skimage.data.stereo_motorcycle()[0])
    out = [Image(name, name, img) for name, img in photos.items()]
    h, w = photos["coffee"].shape[:2]
    out.append(Image("coffee crop", "coffee", photos["coffee"][h // 8 : h - h // 8, w // 6 : w - w // 10].copy()))
    out.append(Image("chelsea flip", "chelsea", photos["chelsea"][:, ::-1].copy()))
    out.append(Image("astronaut flip", "astronaut", photos["astronaut"][:, ::-1].copy()))
    h, w = photos["rocket"].shape[:2]
    out.append(Image("rocket crop", "rocket", photos["rocket"][h // 10 :, w // 5 : w - w // 5].copy()))
    if quick:
        return [out[0], out[2]]
    return out


def jaccard(a: list[int], b: list[int]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / max(1, len(sa | sb))


def mean_pairwise(tops: list[list[int]]) -> float:
    return float(np.mean([jaccard(a, b) for a, b in itertools.combinations(tops, 2)]))


def top5(weights: np.ndarray) -> list[int]:
    order = np.argsort(-weights, kind="stable")
    return [int(i) for i in order[weights[order] > 0][:5]]


def fit_top(masks: np.ndarray, p: np.ndarray, weights: np.ndarray, alpha: float, target: str) -> np.ndarray:
    from lime_widget.surrogate import fit_surrogate

    y = p if target == "probability" else np.log(np.clip(p, 1e-7, 1 - 1e-7) / np.clip(1 - p, 1e-7, 1))
    return fit_surrogate(masks, y[:, None], weights, alpha=alpha).coef[0]


def deletion_area(composer: Any, label: int, ranking: np.ndarray, steps: int = 20) -> float:
    k = ranking.size
    counts = np.unique(np.round(np.arange(steps + 1) * k / steps).astype(np.int64))
    rank = np.empty(k, dtype=np.int64)
    rank[ranking] = np.arange(k)
    masks = ~(rank[None, :] < counts[:, None])
    scores = composer.score(masks)[:, label]
    fractions = counts / k
    return float(np.sum(np.diff(fractions) * (scores[1:] + scores[:-1]) / 2.0))


def full_ranking(weights: np.ndarray) -> np.ndarray:
    return np.argsort(-weights, kind="stable").astype(np.int64)


def run_image(img: Image, seeds: list[int], model: Any, with_lime: bool, with_auto: bool) -> dict[str, Any]:
    from lime_widget.compose import Composer, fill_image
    from lime_widget.kernels import count_kernel, sample_weights
    from lime_widget.pipeline import explain, make_rng
    from lime_widget.sampling import design_weights, sample_masks
    from lime_widget.segmentation import n_segments_of, segment

    seg = segment(img.pixels, "slic", {})
    k = n_segments_of(seg)
    fill = fill_image(img.pixels, seg, "mean")
    composer = Composer(img.pixels, seg, fill, model)
    original = composer.score(np.ones((1, k), dtype=bool))[0]
    label = int(np.argmax(original))
    n_max = max(SIZES)
    result: dict[str, Any] = {"image": img.name, "base": img.base, "k": k, "label": label, "p": float(original[label])}
    tops: dict[str, dict[int, list[list[int]]]] = {}
    rankings: dict[str, dict[int, list[np.ndarray]]] = {}
    t0 = time.perf_counter()
    for design in DESIGNS:
        per_count = count_kernel("lime", 0.25, k)
        samples = []
        for seed in seeds:
            rng, _ = make_rng(seed)
            masks = sample_masks(n_max, k, rng, design, count_weights=per_count)
            samples.append((masks, composer.score(masks)[:, label], design_weights(masks, design, per_count)))
        for name, kernel, width, alpha, target in SURROGATES:
            key = f"{design} / {name}"
            tops[key] = {n: [] for n in SIZES}
            rankings[key] = {n: [] for n in SIZES}
            for masks, p, dw in samples:
                kw = sample_weights(masks, kernel, width)[1] * dw
                for n in SIZES:
                    w = fit_top(masks[:n], p[:n], kw[:n], alpha, target)
                    tops[key][n].append(top5(w))
                    rankings[key][n].append(full_ranking(w))
    result["seconds_designs"] = time.perf_counter() - t0
    if with_lime:
        t0 = time.perf_counter()
        key = "lime 0.2.0.1"
        tops[key], rankings[key] = lime_runs(img, seg, composer, label, seeds, k)
        result["seconds_lime"] = time.perf_counter() - t0
    result["jaccard"] = {key: {str(n): mean_pairwise(v[n]) for n in SIZES} for key, v in tops.items()}
    # faithfulness: deletion area of the top class, seeds 0 and 1, at 250 and 1000 samples
    result["deletion"] = {
        key: {str(n): float(np.mean([deletion_area(composer, label, r) for r in v[n][:2]])) for n in (250, 1000)}
        for key, v in rankings.items()
    }
    result["deletion"]["random"] = {
        "any": float(
            np.mean([deletion_area(composer, label, np.random.default_rng(s).permutation(k)) for s in range(3)])
        )
    }
    if with_auto:
        result["auto"] = auto_runs(img, seg, model, seeds, explain)
    return result


def lime_runs(
    img: Image, seg: np.ndarray, composer: Any, label: int, seeds: list[int], k: int
) -> tuple[dict[int, list[list[int]]], dict[int, list[np.ndarray]]]:
    import sklearn.metrics
    from lime.lime_image import LimeImageExplainer

    import torch

    clf = composer.classifier

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        # the model's own path: lime's full-resolution uint8 images, resized and normalised by the model
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float().div(255.0)
        return clf.predict(clf.preprocess.geometry(x).clamp(0.0, 1.0))

    tops: dict[int, list[list[int]]] = {n: [] for n in SIZES}
    ranks: dict[int, list[np.ndarray]] = {n: [] for n in SIZES}
    for seed in seeds:
        explainer = LimeImageExplainer(random_state=seed)
        fudged = img.pixels.copy()
        for x in np.unique(seg):
            fudged[seg == x] = img.pixels[seg == x].mean(axis=0)
        data, labels = explainer.data_labels(img.pixels, fudged, seg, classifier_fn, max(SIZES), batch_size=50)
        for n in SIZES:
            d = sklearn.metrics.pairwise_distances(data[:n], data[0].reshape(1, -1), metric="cosine").ravel()
            _, local_exp, _, _ = explainer.base.explain_instance_with_data(data[:n], labels[:n], d, label, k)
            w = np.zeros(k)
            for feature, weight in local_exp:
                w[int(feature)] = weight
            tops[n].append(top5(w))
            ranks[n].append(full_ranking(w))
    return tops, ranks


def auto_runs(img: Image, seg: np.ndarray, model: Any, seeds: list[int], explain: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target in (0.8, 0.9):
        exps = [
            explain(img.pixels, model, segments=seg, num_samples="auto", target_stability=target, random_state=s, progress=False)
            for s in seeds
        ]
        label = exps[0].top_labels[0]
        out[str(target)] = {
            "samples": [int(e.n_samples) for e in exps],
            "estimated": [float(e.stability(label)) for e in exps],
            "jaccard": mean_pairwise([[int(i) for i in e.top_segments(label, k=5)] for e in exps]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 images, 3 seeds, no lime, no auto")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--no-lime", action="store_true")
    ap.add_argument("--no-auto", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "docs" / "stability.json"))
    ap.add_argument("--report", action="store_true", help="only re-write docs/stability.md from --out")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not args.report:
        import torch

        import lime_widget as lw

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        model = lw.load_model()
        seeds = list(range(3 if args.quick else args.seeds))
        rows = []
        for img in images(args.quick):
            t0 = time.perf_counter()
            row = run_image(img, seeds, model, with_lime=not (args.quick or args.no_lime), with_auto=not (args.quick or args.no_auto))
            row["seconds"] = time.perf_counter() - t0
            rows.append(row)
            print(f"{img.name}: {row['seconds']:.0f} s", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"seeds": seeds, "sizes": SIZES, "images": rows}, indent=1))
    data = json.loads(out.read_text())
    print(report(data))
    if not args.quick and not args.report:
        (ROOT / "docs" / "stability.md").write_text(report(data, markdown_page=True))
    return 0


def report(data: dict[str, Any], markdown_page: bool = False) -> str:
    rows = data["images"]
    keys = list(rows[0]["jaccard"])
    sizes = [str(n) for n in data["sizes"]]
    lines = ["| ranking | " + " | ".join(f"J@{n}" for n in sizes) + " | chelsea " + " / ".join(sizes) + " | deletion@250 | deletion@1000 |"]
    lines.append("|---|" + "---:|" * (len(sizes) + 3))
    for key in keys:
        mean = [np.mean([r["jaccard"][key][n] for r in rows]) for n in sizes]
        chelsea = [r for r in rows if r["image"] == "chelsea"]
        ch = " / ".join(f"{chelsea[0]['jaccard'][key][n]:.2f}" for n in sizes) if chelsea else "-"
        dele = [np.mean([r["deletion"][key][n] for r in rows]) for n in ("250", "1000")]
        lines.append(f"| {key} | " + " | ".join(f"{m:.3f}" for m in mean) + f" | {ch} | {dele[0]:.3f} | {dele[1]:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
