"""Command line: ``lime-widget explain IMAGE``, ``lime-widget audit DIR`` and ``lime-widget lab``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import NoReturn

from ..core.images import SAMPLE_IMAGES


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2), like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lime-widget", description="LIME explanations of image classifiers.")
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
        type=num_samples_arg,
        default=None,
        help="perturbed images (default 1000), or 'auto': sample until the top 5 is settled up to ties",
    )
    e.add_argument("--max-samples", type=int, default=None, help="with --num-samples auto: at most this many (2000)")
    e.add_argument(
        "--target-stability",
        type=float,
        default=None,
        help="with --num-samples auto: also stop when the estimated top-5 stability reaches this (0.9)",
    )
    e.add_argument(
        "--tie-tolerance",
        type=float,
        default=None,
        help="weights closer than this share of the largest count as a tie (0.15); auto stops when the top 5 "
        "is settled up to such ties",
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
    e.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    a = sub.add_parser(
        "audit", help="explain every image of a folder on a Dask cluster; resumable; writes OUT/audit.parquet"
    )
    a.add_argument("folder", help="folder of images (searched recursively: png, jpg, jpeg, bmp, tif, webp)")
    a.add_argument("--out", required=True, help="output folder (rerun with the same one to resume)")
    a.add_argument("--model", default="efficientnet_lite0", help="efficientnet_lite0 (embedded) or a torchvision name")
    a.add_argument("--workers", type=int, default=None, help="worker processes of the embedded cluster (one per core)")
    a.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    a.add_argument(
        "--num-samples", type=num_samples_arg, default=None, help="perturbed images per photo (1000) or 'auto'"
    )
    a.add_argument(
        "--masks",
        default=None,
        help="folder of object masks with the same relative names (any image format; non-zero = object)",
    )
    a.add_argument("--segmentation", default=None, help="slic (default), quickshift, felzenszwalb, watershed or grid")
    a.add_argument("--n-segments", type=int, default=None, help="about how many superpixels")
    a.add_argument("--hide", default=None, help="mean (default), black, gray, blur or #rrggbb")
    a.add_argument("--preset", default=None, help="lime, matlab, walkthrough or paper")
    a.add_argument("--seed", type=int, default=0, help="random seed of every explanation (default 0)")
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    lab = sub.add_parser("lab", help="open the quickstart notebook in JupyterLab")
    lab.add_argument("--dir", default="lime_notebooks", help="folder to copy the notebook to (default lime_notebooks)")
    return p


def num_samples_arg(text: str) -> int | str:
    """The argparse type of ``--num-samples`` (here and in the ``%lime`` magic): an int or ``auto``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2 or 'auto'; got {text!r}") from None


class UserError(Exception):
    """A problem with what the user asked for: reported in one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "explain":
            return _explain(args)
        if args.command == "audit":
            return _audit(args)
        return _lab(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # every failure is one line (and the traceback with --debug)
        if getattr(args, "debug", False):
            raise
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2 if isinstance(err, (UserError, ValueError, TypeError, OSError)) else 1


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if isinstance(err, UserError) else f"{text} ({type(err).__name__})" if text else type(err).__name__


def _explain(args: argparse.Namespace) -> int:
    from ..core.images import load_image, sample_image
    from ..engine.pipeline import explain
    from ..engine.presets import resolve
    from ..models.zoo import ModelUnavailableError, load_model
    from ..render.figures import STYLES

    # everything the user typed is checked before the first forward pass
    if args.style is not None and args.style not in STYLES:
        raise UserError(f"--style {args.style!r} is unknown; choose one of {', '.join(STYLES)}")
    if args.top_k < 1:
        raise UserError(f"--top-k must be at least 1; got {args.top_k}")
    settings = {
        "num_samples": args.num_samples,
        "max_samples": args.max_samples,
        "target_stability": args.target_stability,
        "tie_tolerance": args.tie_tolerance,
        "segmentation": args.segmentation,
        "n_segments": args.n_segments,
        "hide": args.hide,
        "top_labels": args.top_labels,
    }
    resolve(args.preset, **settings)
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0; got {args.seed}")
    if Path(args.image).exists() or args.image not in SAMPLE_IMAGES:
        image = load_image(args.image)
        stem = Path(args.image).stem
    else:
        image = sample_image(args.image)
        stem = args.image
    out = _output_dir(args.out)
    json_path, png_path = out / f"{stem}_lime.json", out / f"{stem}_lime.png"
    try:
        model = load_model(args.model)
    except ModelUnavailableError as err:
        raise UserError(str(err)) from err
    t0 = time.perf_counter()
    exp = explain(image, model, preset=args.preset, random_state=args.seed, progress=not args.no_progress, **settings)
    elapsed = time.perf_counter() - t0
    exp.save_json(json_path)  # atomically; finished work is saved before anything that can fail
    print(f"model {args.model}, {exp.n_segments} superpixels, {exp.n_samples} samples, {elapsed:.1f} s")
    print(exp.summary(k=args.top_k))
    print(f"wrote {json_path}")
    try:
        exp.save_png(png_path, style=args.style)
    except Exception as err:
        if getattr(args, "debug", False):
            raise
        print(
            f"error: could not draw the figure ({_one_line(err)}); the explanation is saved in {json_path}",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {png_path}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from ..auditing._extra import require_extra

    require_extra("lime-widget audit")  # without the audit extra: one line, before any work
    from ..auditing.running import audit
    from ..engine.presets import resolve

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1; got {args.workers}")
    if args.workers is not None and args.scheduler is not None:
        raise UserError("give --workers or --scheduler, not both (a running cluster has its own workers)")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0; got {args.seed}")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UserError(f"{args.folder!r} is not a folder of images")
    settings = {
        "num_samples": args.num_samples,
        "segmentation": args.segmentation,
        "n_segments": args.n_segments,
        "hide": args.hide,
    }
    resolve(args.preset, **settings)
    masks = _mask_folder(folder, Path(args.masks)) if args.masks is not None else None
    result = audit(
        folder,
        args.model,
        out=args.out,
        client=args.scheduler,
        n_workers=args.workers,
        object_masks=masks,
        progress=not args.no_progress,
        preset=args.preset,
        random_state=args.seed,
        **{k: v for k, v in settings.items() if v is not None},
    )
    print(result.summary(n=10))
    print(f"wrote {Path(args.out) / 'audit.parquet'}")
    return 0 if (result.table["error"] == "").all() else 1


def _mask_folder(images: Path, masks: Path) -> dict[str, object]:
    """Object masks for the images of ``images`` from same-named files under ``masks`` (non-zero = object)."""
    import numpy as np

    from ..auditing._items import IMAGE_SUFFIXES
    from ..core.images import load_image

    if not masks.is_dir():
        raise UserError(f"--masks {masks} is not a folder")
    found: dict[str, object] = {}
    for path in sorted(images.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        rel = path.relative_to(images).with_suffix("")
        for suffix in IMAGE_SUFFIXES:
            candidate = masks / rel.with_suffix(suffix)
            if candidate.is_file():
                found[str(path)] = np.asarray(load_image(candidate)).max(axis=2) > 0
                break
    if not found:
        raise UserError(f"--masks {masks}: no mask file matches an image of {images} (same relative name)")
    return found


def _output_dir(path: str) -> Path:
    """The output folder, created now (so a bad --out fails before the run) and checked to be writable."""
    import os

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for the PNG and the JSON")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"--out {out} cannot be created ({err.strerror or err})") from err
    if not os.access(out, os.W_OK):
        raise UserError(f"--out {out} is not writable")
    return out


def _lab(args: argparse.Namespace) -> int:
    import shutil
    import subprocess
    from importlib.util import find_spec

    from ._notebooks import quickstart_path

    if find_spec("jupyterlab") is None:
        raise UserError("JupyterLab is not installed in this environment; install it with: pip install jupyterlab")
    dest = Path(args.dir)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "quickstart.ipynb"
    if not target.exists():
        shutil.copy(quickstart_path(), target)
    print(f"opening {target} in JupyterLab (Ctrl-C to stop)")
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(target)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
