"""minimal_flip against flip_search on the bundled photos with the embedded EfficientNet-Lite0.

For each photo and seed: flip_search's k (the shortest flipping prefix of the LIME ranking) and how many
prefixes it evaluated, minimal_flip's own prefix scan (greedy size and passes), and minimal_flip's size,
forward passes in all and stop reason.

    python benchmarks/minimal_flip.py                 # chelsea, seeds 0-2, 1000 samples, budget 2000
    python benchmarks/minimal_flip.py --budgets 2000 8000 --out docs/minimal_flip.json
    python benchmarks/minimal_flip.py --images chelsea astronaut coffee --seeds 0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    import lime_widget as lw

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=["chelsea"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--budgets", nargs="+", type=int, default=[2000], help="minimal_flip budgets to run")
    parser.add_argument("--out", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    model = lw.load_model("efficientnet_lite0")
    rows = []
    for name in args.images:
        image = lw.sample_image(name)
        for seed in args.seeds:
            exp = lw.explain(image, model, num_samples=args.num_samples, random_state=seed, progress=False)
            label = int(exp.top_labels[0])
            t0 = time.perf_counter()
            greedy = lw.flip_search(exp, lw.ranking_from_weights(exp.weights(label)), label)
            t_greedy = time.perf_counter() - t0
            for budget in args.budgets:
                t0 = time.perf_counter()
                best = lw.minimal_flip(exp, label, budget=budget)
                t_best = time.perf_counter() - t0
                row = {
                    "image": name,
                    "seed": seed,
                    "segments": exp.n_segments,
                    "class": exp.class_names[label],
                    "flip_search_k": greedy.k,
                    "prefixes_evaluated": len(greedy.label_scores) - 1,
                    "greedy_size": best.greedy_size,  # minimal_flip's own prefix scan: equals flip_search's k
                    "greedy_passes": best.greedy_passes,
                    "flip_search_s": round(t_greedy, 2),
                    "budget": budget,
                    "minimal_flip_size": best.size,
                    "minimal_flip_passes": best.forward_passes,
                    "minimal_flip_stop": best.stop_reason,
                    "minimal_flip_new_class": best.new_class_name,
                    "minimal_flip_s": round(t_best, 2),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"num_samples": args.num_samples, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
