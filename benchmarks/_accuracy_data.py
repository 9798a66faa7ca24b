"""The scored samples of the accuracy benchmark (benchmarks/accuracy.py): images, references, seeded runs.

Scoring is the expensive part (about 20,000 forward passes per image), so each image's samples are stored once
in ``build/accuracy/<image>.npz`` and every estimator, interval and stopping rule is evaluated on them. The
samples do not depend on the estimators: the masks come from the library's own designs and seeds, the scores
from the library's own composition and the embedded model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: i.i.d. uniform masks of the converged reference (the issue asks for at least 8192)
REFERENCE_MASKS = 8192
#: seeds of the default design (balanced stream) and the passes scored per seed
DEFAULT_SEEDS = tuple(range(6))
STREAM = 1000
#: seeds of lime 0.2.0.1 at 1000 passes
LIME_SEEDS = tuple(range(2))
LIME_PASSES = 1000
#: the reference's masks come from their own seed, far from the runs' seeds
REFERENCE_SEED = 2**20


@dataclass
class Image:
    name: str
    pixels: np.ndarray


def images() -> list[Image]:
    """12 photos: the four bundled with the library, two other scikit-image photos, six crops, flips and resizes."""
    import skimage.data
    from skimage.color import gray2rgb
    from skimage.transform import rescale

    import lime_widget as lw

    p = {name: lw.sample_image(name) for name in ("chelsea", "coffee", "astronaut", "rocket")}
    p["motorcycle"] = np.ascontiguousarray(skimage.data.stereo_motorcycle()[0])
    p["camera"] = np.ascontiguousarray(gray2rgb(skimage.data.camera()))
    out = [Image(n, v) for n, v in p.items()]
    ch, co, astro, ro, mo = p["chelsea"], p["coffee"], p["astronaut"], p["rocket"], p["motorcycle"]
    half = (rescale(ch, 0.5, channel_axis=-1, anti_aliasing=True) * 255).round().astype(np.uint8)
    out += [
        Image("chelsea flip", ch[:, ::-1].copy()),
        Image("chelsea half size", half),
        Image("coffee crop", co[co.shape[0] // 8 : -co.shape[0] // 8, co.shape[1] // 6 : -co.shape[1] // 10].copy()),
        Image("astronaut face", astro[:260, 120:380].copy()),
        Image("rocket flip", ro[:, ::-1].copy()),
        Image("motorcycle crop", mo[60:440, 100:640].copy()),
    ]
    return out


def setup(img: Image, model: Any) -> tuple[Any, np.ndarray, int, float]:
    """The library's default superpixels and fill for the image: (composer, segments, label, p(label))."""
    from lime_widget.core.segmentation import n_segments_of, segment
    from lime_widget.engine.compose import Composer, fill_image

    seg = segment(img.pixels, "slic", {})
    composer = Composer(img.pixels, seg, fill_image(img.pixels, seg, "mean"), model)
    original = composer.score(np.ones((1, n_segments_of(seg)), dtype=bool))[0]
    label = int(np.argmax(original))
    return composer, seg, label, float(original[label])


def score_column(composer: Any, masks: np.ndarray, label: int, chunk: int = 1024) -> np.ndarray:
    """The model's probability of ``label`` for each mask: float64 (n,)."""
    out = [composer.score(masks[i : i + chunk])[:, label] for i in range(0, masks.shape[0], chunk)]
    return np.concatenate(out).astype(np.float64)


def default_stream(k: int, seed: int, n: int) -> np.ndarray:
    """The first n masks of the default design (balanced) that ``lw.explain(random_state=seed)`` draws."""
    from lime_widget.core.sampling import sample_masks
    from lime_widget.engine.pipeline import make_rng

    rng, _ = make_rng(seed)
    return sample_masks(n, k, rng, "balanced")


def lime_run(img: Image, seg: np.ndarray, composer: Any, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """lime 0.2.0.1's own sampling on the image (``LimeImageExplainer(random_state=seed).data_labels``): its
    masks int (n, K) and the model's scores of its composed images, float (n, C). The fill is the library's (each
    superpixel's mean colour, rounded; lime's own truncates, a difference of at most one grey level) so that both
    estimands are fitted on the same scores."""
    import torch
    from lime.lime_image import LimeImageExplainer

    from lime_widget.engine.compose import fill_image

    clf = composer.classifier
    fill = fill_image(img.pixels, seg, "mean")

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float().div(255.0)
        return clf.predict(clf.preprocess.geometry(x).clamp(0.0, 1.0))

    explainer = LimeImageExplainer(random_state=seed)
    data, labels = explainer.data_labels(img.pixels, fill, seg, classifier_fn, n, batch_size=100)
    return data, labels


PARTS = ("reference", "lime", "default")


def score_part(img: Image, model: Any, part: str, path: Path) -> float:
    """Score one part of an image's samples and store it in ``path`` (npz): ``reference`` (the i.i.d. uniform
    masks), ``lime`` (lime 0.2.0.1's runs) or ``default`` (the default design's seeded streams). Returns the
    seconds it took."""
    from lime_widget.core.segmentation import n_segments_of

    composer, seg, label, p = setup(img, model)
    k = n_segments_of(seg)
    t0 = time.perf_counter()
    arrays: dict[str, np.ndarray] = {"segments": seg, "label": np.array(label), "p": np.array(p)}
    if part == "reference":
        masks = np.random.default_rng(REFERENCE_SEED).integers(0, 2, size=(REFERENCE_MASKS, k)).astype(bool)
        arrays["masks"] = masks
        arrays["scores"] = score_column(composer, masks, label)
    elif part == "default":
        for seed in DEFAULT_SEEDS:
            masks = default_stream(k, seed, STREAM)
            arrays[f"masks_{seed}"] = masks
            arrays[f"scores_{seed}"] = score_column(composer, masks, label)
    elif part == "lime":
        for seed in LIME_SEEDS:
            data, labels = lime_run(img, seg, composer, seed, LIME_PASSES)
            arrays[f"masks_{seed}"] = data.astype(bool)
            arrays[f"scores_{seed}"] = labels[:, label].astype(np.float64)
        # lime composes its own images: the same masks through the library's composition must score the same
        check = arrays["masks_0"][:50]
        diff = np.max(np.abs(score_column(composer, check, label) - arrays["scores_0"][:50]))
        arrays["composition_diff"] = np.array(float(diff))
    else:
        raise ValueError(f"unknown part {part!r}")
    seconds = time.perf_counter() - t0
    arrays["seconds"] = np.array(seconds)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    return seconds


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {key: f[key] for key in f.files}
