"""Command line: ``lime-widget explain IMAGE`` and ``lime-widget lab``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .images import SAMPLE_IMAGES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lime-widget", description="LIME explanations of image classifiers.")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("explain", help="explain a model's prediction on an image; print and save the result")
    e.add_argument("image", help=f"image file, or a bundled photo: {', '.join(SAMPLE_IMAGES)}")
    e.add_argument(
        "--model",
        default="efficientnet_lite0",
        help="efficientnet_lite0 (embedded, offline) or a torchvision model name",
    )
    e.add_argument(
        "--num-samples",
        type=_samples,
        default=None,
        help="perturbed images (default 1000), or 'auto': sample until the top 5 is stable",
    )
    e.add_argument("--max-samples", type=int, default=None, help="with --num-samples auto: at most this many (2000)")
    e.add_argument(
        "--target-stability",
        type=float,
        default=None,
        help="with --num-samples auto: the top-5 stability to reach (0.9)",
    )
    e.add_argument("--segmentation", default=None, help="slic (default), quickshift, felzenszwalb, watershed or grid")
    e.add_argument("--n-segments", type=int, default=None, help="about how many superpixels (slic, watershed, grid)")
    e.add_argument("--hide", default=None, help="mean (default), black, gray, blur or #rrggbb")
    e.add_argument("--preset", default=None, help="lime, matlab, walkthrough or paper")
    e.add_argument("--top-labels", type=int, default=None, help="explain the k most probable classes (default 5)")
    e.add_argument("--top-k", type=int, default=5, help="how many classes and superpixels to print")
    e.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    e.add_argument("--out", default="lime_output", help="output folder for the PNG and JSON (default lime_output)")
    e.add_argument("--style", default=None, help="figure style: default, matlab, top, top4")
    e.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    lab = sub.add_parser("lab", help="open the quickstart notebook in JupyterLab")
    lab.add_argument("--dir", default="lime_notebooks", help="folder to copy the notebook to (default lime_notebooks)")
    return p


def _samples(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}") from err


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "explain":
        return _explain(args)
    return _lab(args)


def _explain(args: argparse.Namespace) -> int:
    from .images import ImageError, load_image, sample_image
    from .models import ModelUnavailableError, load_model
    from .pipeline import explain

    try:
        if Path(args.image).exists() or args.image not in SAMPLE_IMAGES:
            image = load_image(args.image)
            stem = Path(args.image).stem
        else:
            image = sample_image(args.image)
            stem = args.image
        model = load_model(args.model)
    except (FileNotFoundError, ImageError, ModelUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        exp = explain(
            image,
            model,
            num_samples=args.num_samples,
            max_samples=args.max_samples,
            target_stability=args.target_stability,
            segmentation=args.segmentation,
            n_segments=args.n_segments,
            hide=args.hide,
            preset=args.preset,
            top_labels=args.top_labels,
            random_state=args.seed,
            progress=not args.no_progress,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t0
    print(f"model {args.model}, {exp.n_segments} superpixels, {exp.masks.shape[0]} samples, {elapsed:.1f} s")
    print(exp.summary(k=args.top_k))
    out = Path(args.out)
    png = exp.save_png(out / f"{stem}_lime.png", style=args.style)
    js = exp.save_json(out / f"{stem}_lime.json")
    print(f"wrote {png}")
    print(f"wrote {js}")
    return 0


def _lab(args: argparse.Namespace) -> int:
    import shutil
    import subprocess

    from .notebooks import quickstart_path

    dest = Path(args.dir)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "quickstart.ipynb"
    if not target.exists():
        shutil.copy(quickstart_path(), target)
    print(f"opening {target} in JupyterLab (Ctrl-C to stop)")
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(target)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
