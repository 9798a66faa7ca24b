"""The result of an explanation: data only, with queries, re-scoring and JSON.

Drawing is delegated to :mod:`lime_widget.render.figures` (a layer below this one, which reads an explanation
through its public queries only).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._json import (
    MAX_CELLS,
    MAX_DRAW_VALUES,
    ExplanationFormatError,
    fail,
    get,
    read_floats,
    read_int,
    read_mask_bits,
    read_packed,
    read_png,
    read_str,
)
from ..core.images import DEFAULT_MAX_PIXELS, encode_png
from ..core.segmentation import n_segments_of
from ..core.uncertainty import expected_jaccard, top_k_sets
from ..models.classifiers import Classifier, ClassLookupError, class_id
from .compose import Composer
from .config import ExplainConfig

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMAT = "lime_widget.engine.explanation"
FORMAT_VERSION = 2
LabelRef = int | str | None


@dataclass(eq=False)
class Explanation:
    """A LIME explanation of one image for one model.

    Arrays: image uint8 (H, W, 3); segments int32 (H, W) with ids 0..K-1; fill uint8 (H, W, 3) (how hidden
    pixels look); probabilities float64 (C,) of the original image; class_names: the C class names;
    top_labels: the L explained class ids, best first; coef (L, K), intercepts (L,), r2_scores (L,),
    local_predictions (L,) of the surrogate; masks bool (n, K) (row 0 = original); sample_scores (n, L)
    model scores of the explained classes; distances and kernel_weights (n,).
    config: the :class:`~lime_widget.engine.config.ExplainConfig` used; seed: the integer seed that reproduces the
    run; model_input_size (h, w) at which masked images were composed; model_output (``logits`` or
    ``probabilities``); batch_size used; versions of the libraries; timings in seconds; composer: makes and
    scores masked images (None after ``from_json`` until ``with_model``).
    coef_draws: float64 (R, L, K) bootstrap refits of the surrogate (None when ``refits=0``), behind
    :meth:`weight_std`, :meth:`top_k_confidence` and :meth:`stability`; stop_reason: ``fixed``, ``stable``
    (an auto run reached its target) or ``max_samples``; sampling_trace: (samples, estimated stability)
    after each round of an auto run. inert_segments: bool (K,) superpixels whose hiding cannot change the
    model's input (their weights are noise; None when unknown).
    """

    image: np.ndarray
    segments: np.ndarray
    fill: np.ndarray
    probabilities: np.ndarray
    class_names: list[str]
    top_labels: list[int]
    coef: np.ndarray
    intercepts: np.ndarray
    r2_scores: np.ndarray
    local_predictions: np.ndarray
    masks: np.ndarray
    sample_scores: np.ndarray
    distances: np.ndarray
    kernel_weights: np.ndarray
    config: ExplainConfig
    seed: int
    model_input_size: tuple[int, int]
    model_output: str
    batch_size: int
    versions: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    composer: Composer | None = field(default=None, repr=False)
    coef_draws: np.ndarray | None = field(default=None, repr=False)
    stop_reason: str = "fixed"
    sampling_trace: list[tuple[int, float]] = field(default_factory=list)
    inert_segments: np.ndarray | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- basic facts
    @property
    def n_segments(self) -> int:
        """Number K of superpixels."""
        return n_segments_of(self.segments)

    @property
    def n_samples(self) -> int:
        """Number n of samples the surrogate was fitted on (row 0 = the original)."""
        return int(self.masks.shape[0])

    @property
    def top_label(self) -> int:
        """The model's top class for the original image."""
        return int(np.argmax(self.probabilities))

    @property
    def model(self) -> Classifier | None:
        """The classifier used for re-scoring (None after ``from_json`` until ``with_model``)."""
        return None if self.composer is None else self.composer.classifier

    @property
    def label_names(self) -> list[str]:
        """Deprecated alias of :attr:`class_names`."""
        warnings.warn("Explanation.label_names is deprecated; use class_names", DeprecationWarning, stacklevel=2)
        return self.class_names

    def class_name(self, label: int | str) -> str:
        """The name of a class given by id or name."""
        return self.class_names[class_id(label, self.class_names)]

    def class_row(self, label: LabelRef = None) -> int:
        """Row of an explained class in the per-class arrays (coef, intercepts, ...); None = the first.

        Raises :class:`~lime_widget.models.classifiers.ClassLookupError` for an unknown class or one that was not
        explained.
        """
        if label is None:
            return 0
        cid = class_id(label, self.class_names)
        if cid not in self.top_labels:
            names = ", ".join(f"{i} ({self.class_names[i]})" for i in self.top_labels)
            raise ClassLookupError(
                f"class {cid} ({self.class_names[cid]}) was not explained; explained classes: {names}. "
                f"Explain it with classes=[{cid}] or a larger top_labels"
            )
        return self.top_labels.index(cid)

    # ----------------------------------------------------------------- surrogate
    def weights(self, label: LabelRef = None) -> np.ndarray:
        """Surrogate weight of every superpixel for a class (default: the top explained class). (K,)."""
        return self.coef[self.class_row(label)].copy()

    def intercept(self, label: LabelRef = None) -> float:
        return float(self.intercepts[self.class_row(label)])

    def r2(self, label: LabelRef = None) -> float:
        """Weighted R² of the surrogate on the samples (how well the linear model fits)."""
        return float(self.r2_scores[self.class_row(label)])

    def local_prediction(self, label: LabelRef = None) -> float:
        """The surrogate's prediction for the original image (compare with ``probabilities[label]``)."""
        return float(self.local_predictions[self.class_row(label)])

    def surrogate_prediction(self, visible: Any, label: LabelRef = None) -> float:
        """The surrogate's prediction for a mask: intercept + sum of the weights of visible superpixels."""
        v = self._visible(visible)
        row = self.class_row(label)
        return float(self.intercepts[row] + self.coef[row] @ v.astype(np.float64))

    # ----------------------------------------------------------------- uncertainty
    def _draws(self, label: LabelRef) -> np.ndarray:
        if self.coef_draws is None:
            raise RuntimeError("this explanation has no bootstrap refits (it was made with refits=0); explain again")
        return self.coef_draws[:, self.class_row(label)]

    def weight_std(self, label: LabelRef = None) -> np.ndarray:
        """Standard error of every superpixel's weight (K,), from bootstrap refits of the surrogate."""
        return self._draws(label).std(axis=0, ddof=1)

    def weight_interval(self, label: LabelRef = None, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """(low, high), each (K,): the central ``level`` percentile interval of the refitted weights."""
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1; got {level!r}")
        draws = self._draws(label)
        tail = (1.0 - level) / 2.0
        return np.quantile(draws, tail, axis=0), np.quantile(draws, 1.0 - tail, axis=0)

    def top_k_confidence(self, label: LabelRef = None, k: int = 5) -> np.ndarray:
        """For every superpixel (K,), the share of refits in which it is among the k most positive weights."""
        return top_k_sets(self._draws(label), _top_k(k, self.n_segments)).mean(axis=0)

    def stability(self, label: LabelRef = None, k: int = 5) -> float:
        """The expected top-k Jaccard index between two runs with different seeds (1 = the same k superpixels
        every time), estimated from the refits: no new forward passes."""
        return expected_jaccard(top_k_sets(self._draws(label), _top_k(k, self.n_segments)))

    def top_segments(self, label: LabelRef = None, k: int = 5, positive_only: bool = True) -> np.ndarray:
        """Ids of the k superpixels with the largest weights, best first (only positive ones by default)."""
        w = self.weights(label)
        order = np.argsort(-w, kind="stable")
        if positive_only:
            order = order[w[order] > 0]
        return order[: max(0, int(k))].astype(np.int64)

    def heatmap(self, label: LabelRef = None, positive_only: bool = False, smooth: float = 0.0) -> np.ndarray:
        """Per-pixel weight map (H, W) float64: each pixel gets its superpixel's weight.

        positive_only keeps max(weight, 0) (the MATLAB demo's map); smooth > 0 applies a Gaussian blur
        with that sigma in pixels (a display aid, not part of LIME).
        """
        w = self.weights(label)
        if positive_only:
            w = np.maximum(w, 0.0)
        out = w[self.segments]
        if smooth and smooth > 0:
            from scipy.ndimage import gaussian_filter

            out = gaussian_filter(out, sigma=float(smooth), mode="nearest")
        return out

    # ----------------------------------------------------------------- re-scoring
    def _visible(self, visible: Any) -> np.ndarray:
        v = np.asarray(visible)
        if v.shape != (self.n_segments,):
            raise ValueError(f"visible must have one entry per superpixel, shape ({self.n_segments},); got {v.shape}")
        if v.dtype != np.bool_:
            if not np.issubdtype(v.dtype, np.number) or not np.all((v == 0) | (v == 1)):
                raise ValueError("visible must hold booleans (True = shown, False = hidden) or 0/1")
            v = v.astype(bool)
        return v

    def rescore(self, visible: Any) -> np.ndarray:
        """The model's class probabilities (C,) for the image with the superpixels where visible is False hidden.

        Uses exactly the composition used for sampling.
        """
        v = self._visible(visible)
        return self.rescore_many(v[None])[0]

    def rescore_many(self, masks: np.ndarray, *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """Probabilities (n, C) for masks bool (n, K) (True = visible), scored in batches."""
        composer = self._require_composer()
        m = np.asarray(masks, dtype=bool)
        if m.ndim != 2 or m.shape[1] != self.n_segments:
            raise ValueError(f"masks must have shape (n, {self.n_segments}); got {m.shape}")
        probs = composer.score(m, batch_size=batch_size, progress=progress)
        if probs.shape[1] != self.probabilities.shape[0]:
            raise ValueError(
                f"the attached model returns {probs.shape[1]} classes but this explanation has "
                f"{self.probabilities.shape[0]}; attach the model it was made with (exp.with_model(model))"
            )
        return probs

    def _require_composer(self) -> Composer:
        if self.composer is None:
            raise RuntimeError(
                "this explanation has no model attached (it was loaded from JSON); use exp = exp.with_model(model)"
            )
        return self.composer

    def compose(self, visible: Any) -> np.ndarray:
        """The masked image as the model sees it, as uint8 (h, w, 3) at the model's input resolution."""
        composer = self._require_composer()
        import torch

        x = composer.compose(self._visible(visible)[None])[0]
        if x.dtype != torch.uint8:
            x = (x * 255.0).round().clamp(0, 255).to(torch.uint8)
        return x.permute(1, 2, 0).cpu().numpy()

    def masked_image(self, visible: Any) -> np.ndarray:
        """The masked image at full resolution, uint8 (H, W, 3): hidden superpixels replaced by the fill."""
        v = self._visible(visible)
        keep = v[self.segments]
        return np.where(keep[..., None], self.image, self.fill)

    def with_model(self, model: Any) -> Explanation:
        """A copy of this explanation that re-scores with ``model`` (e.g. after ``from_json``)."""
        from ..models.zoo import as_classifier

        clf = as_classifier(model)
        return dataclasses.replace(self, composer=Composer(self.image, self.segments, self.fill, clf))

    # ----------------------------------------------------------------- figures
    def figure(self, label: LabelRef = None, style: str | None = None, **kwargs: Any) -> Figure:
        """A matplotlib figure of the explanation; see :func:`lime_widget.render.figures.explanation_figure`."""
        from ..render.figures import explanation_figure

        return explanation_figure(self, label=label, style=style, **kwargs)

    def weights_figure(self, label: LabelRef = None, k: int = 12, **kwargs: Any) -> Figure:
        """Bar chart of the k strongest weights with their 90% intervals and top-5 confidence."""
        from ..render.figures import weight_bars

        self._draws(label)  # a clear error without refits
        return weight_bars(self, label, k=k, **kwargs)

    def save_png(
        self, path: str | Path, label: LabelRef = None, style: str | None = None, dpi: int = 120, **kwargs: Any
    ) -> Path:
        """Write the figure to a PNG file and return its path."""
        import matplotlib.pyplot as plt

        fig = self.figure(label=label, style=style, **kwargs)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        return out

    def summary(self, k: int = 5) -> str:
        """Plain-text summary: top classes, and the top superpixels of the top explained class."""
        lines = ["top classes:"]
        for c in np.argsort(-self.probabilities)[:k]:
            lines.append(f"  {self.class_names[c]:<30} {self.probabilities[c]:.4f}")
        label = self.top_labels[0]
        lines.append(
            f"top superpixels for {self.class_names[label]!r} (R2 {self.r2(label):.3f}, "
            f"local prediction {self.local_prediction(label):.4f}):"
        )
        w = self.weights(label)
        sure = self.coef_draws is not None
        if sure:
            kk = min(5, self.n_segments)
            std, conf = self.weight_std(label), self.top_k_confidence(label, k=kk)
        for s in self.top_segments(label, k=k, positive_only=False):
            line = f"  superpixel {int(s):>4}  weight {w[s]:+.5f}"
            if sure:
                line += f" ± {std[s]:.5f}  in the top {kk} in {conf[s]:4.0%} of refits"
            lines.append(line)
        samples = f"{self.n_samples} samples"
        if self.stop_reason == "stable":
            samples += f" (auto: stopped at the target stability {self.config.target_stability})"
        elif self.stop_reason == "max_samples" and self.config.num_samples == "auto":
            samples += f" (auto: reached max_samples before the target stability {self.config.target_stability})"
        if sure:
            lines.append(
                f"stability of the top {kk} (expected Jaccard between two seeds): {self.stability(label, k=kk):.2f}; "
                f"{samples}"
            )
        else:
            lines.append(samples)
        return "\n".join(lines)

    def __repr__(self) -> str:
        h, w = self.segments.shape
        top = self.top_labels[0]
        return (
            f"Explanation({h}x{w} image, {self.n_segments} superpixels, {self.masks.shape[0]} samples, "
            f"top class {self.class_names[top]!r} p={self.probabilities[top]:.3f})"
        )

    # ----------------------------------------------------------------- sharing
    def to_html(self, path: str | Path, *, max_display_side: int = 512) -> Path:
        """Write one self-contained HTML file that explores this explanation offline, without a kernel: the
        map, the heatmaps and the class scores; toggling superpixels shows the surrogate's prediction,
        labelled as such (the model is not in the file). Returns the path written. See
        :meth:`lime_widget.LimeWidget.save_html` for a widget's current view and probe history."""
        # The one import of a higher layer (declared in pyproject's import-linter contract): the HTML is the
        # widget's own view, and this is the method users look for on an explanation.
        from ..widget.explorer import explanation_html

        return explanation_html(self, path, max_display_side=max_display_side)

    # ----------------------------------------------------------------- JSON
    def to_json(self, indent: int | None = None) -> str:
        """Serialise everything (image, superpixels, weights, samples, config, seed, versions) to JSON."""
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "image_png": _b64(encode_png(self.image)),
            "fill_png": _b64(encode_png(self.fill)),
            "segments": _pack_array(self.segments),
            "probabilities": self.probabilities.tolist(),
            "class_names": list(self.class_names),
            "top_labels": [int(x) for x in self.top_labels],
            "coef": self.coef.tolist(),
            "intercepts": self.intercepts.tolist(),
            "r2_scores": self.r2_scores.tolist(),
            "local_predictions": self.local_predictions.tolist(),
            "masks": {"shape": list(self.masks.shape), "bits": _b64(np.packbits(self.masks, axis=None).tobytes())},
            "sample_scores": self.sample_scores.tolist(),
            "distances": self.distances.tolist(),
            "kernel_weights": self.kernel_weights.tolist(),
            "coef_draws": None if self.coef_draws is None else _pack_array(self.coef_draws),
            "stop_reason": self.stop_reason,
            "sampling_trace": [[int(n), float(v)] for n, v in self.sampling_trace],
            "inert_segments": None
            if self.inert_segments is None
            else [int(i) for i in np.flatnonzero(self.inert_segments)],
            "config": self.config.to_dict(),
            "seed": int(self.seed),
            "model_input_size": [int(x) for x in self.model_input_size],
            "model_output": self.model_output,
            "batch_size": int(self.batch_size),
            "versions": dict(self.versions),
            "timings": dict(self.timings),
        }
        return json.dumps(data, indent=indent)

    @classmethod
    def from_json(
        cls, text: str | bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_cells: int = MAX_CELLS
    ) -> Explanation:
        """Rebuild an explanation from :meth:`to_json` output (attach a model with ``with_model`` to re-score).

        The file is not trusted: every field is checked (types, shapes consistent with each other, superpixel
        ids in 0..K-1, image sizes read from the PNG headers, decompressed sizes bounded by the declared
        shapes, at most ``max_pixels`` per image and ``max_cells`` mask cells) before anything large is
        allocated; any violation raises :class:`~lime_widget.core._json.ExplanationFormatError` naming the
        field.
        """
        try:
            data = json.loads(text)
        except RecursionError as err:
            raise ExplanationFormatError("file: nested too deeply to be an explanation") from err
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as err:
            raise ExplanationFormatError(f"file: not JSON ({err})") from err
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ExplanationFormatError(
                "format: this JSON is not a lime_widget explanation (missing 'format': 'lime_widget.engine.explanation')"
            )
        if data.get("format_version") == 1:
            try:
                data = _upgrade_v1(data)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
                raise ExplanationFormatError(f"format_version 1 file: {type(err).__name__}: {err}") from err
        if data.get("format_version") != FORMAT_VERSION:
            raise ExplanationFormatError(
                f"format_version: {data.get('format_version')!r} is not supported (this version reads 1 and "
                f"{FORMAT_VERSION}); update lime_widget"
            )
        return cls(**_read_fields(data, max_pixels=max_pixels, max_cells=max_cells))

    def save_json(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_json())
        return out

    @classmethod
    def load_json(cls, path: str | Path, **limits: Any) -> Explanation:
        """Read a file written by :meth:`save_json` (see :meth:`from_json` for the checks and ``limits``)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as err:
            raise ExplanationFormatError(f"file: cannot read {p} ({err.strerror or err})") from err
        return cls.from_json(raw, **limits)


def _top_k(k: Any, n_segments: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_segments:
        raise ValueError(f"k must be an integer between 1 and the number of superpixels ({n_segments}); got {k!r}")
    return int(k)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _pack_array(a: np.ndarray) -> dict[str, Any]:
    return {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "zlib": _b64(zlib.compress(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes(), 6)),
    }


STOP_REASONS = ("fixed", "stable", "max_samples")


def _read_fields(data: dict[str, Any], *, max_pixels: int, max_cells: int) -> dict[str, Any]:
    """Every field of a format-2 file, validated and consistent with the others (see ``from_json``)."""
    masks = read_mask_bits(get(data, "masks"), "masks", max_cells=max_cells)
    n, k = masks.shape
    image = read_png(get(data, "image_png"), "image_png", max_pixels=max_pixels)
    fill = read_png(get(data, "fill_png"), "fill_png", max_pixels=max_pixels)
    if fill.shape != image.shape:
        raise fail("fill_png", f"is {fill.shape[1]}x{fill.shape[0]} but the image is {image.shape[1]}x{image.shape[0]}")
    segments = read_packed(get(data, "segments"), "segments", max_values=image.shape[0] * image.shape[1], ndim=2)
    if segments.shape != image.shape[:2]:
        raise fail("segments", f"has shape {segments.shape} but the image is {image.shape[:2]}")
    if not np.issubdtype(segments.dtype, np.integer):
        raise fail("segments", f"must hold integer ids; got {segments.dtype}")
    if segments.min() < 0 or segments.max() != k - 1 or not np.all(np.bincount(segments.ravel().astype(np.intp)) > 0):
        raise fail("segments", f"must use every id 0..{k - 1} (the masks have {k} superpixels) and no other")
    names = get(data, "class_names")
    if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
        raise fail("class_names", "must be a non-empty list of strings")
    c = len(names)
    probabilities = read_floats(get(data, "probabilities"), "probabilities", (c,))
    if probabilities.min() < -1e-6 or probabilities.max() > 1 + 1e-6:
        raise fail("probabilities", "must lie in [0, 1]")
    labels = get(data, "top_labels")
    if not isinstance(labels, list) or not labels:
        raise fail("top_labels", "must be a non-empty list of class ids")
    top_labels = [read_int(x, "top_labels", minimum=0, maximum=c - 1) for x in labels]
    if len(set(top_labels)) != len(top_labels):
        raise fail("top_labels", "repeats a class")
    n_labels = len(top_labels)
    draws = None
    if data.get("coef_draws") is not None:
        draws = read_packed(data["coef_draws"], "coef_draws", max_values=MAX_DRAW_VALUES, ndim=3)
        if draws.shape[0] < 2 or draws.shape[1:] != (n_labels, k) or draws.dtype != np.float64:
            raise fail("coef_draws", f"must be float64 (refits >= 2, {n_labels}, {k}); got {draws.dtype} {draws.shape}")
    kernel_weights = read_floats(get(data, "kernel_weights"), "kernel_weights", (n,))
    if kernel_weights.min() < 0:
        raise fail("kernel_weights", "must be non-negative")
    trace = data.get("sampling_trace", [])
    if not isinstance(trace, list) or not all(isinstance(t, list) and len(t) == 2 for t in trace):
        raise fail("sampling_trace", "must be a list of [samples, stability] pairs")
    size = get(data, "model_input_size")
    if not isinstance(size, list) or len(size) != 2:
        raise fail("model_input_size", f"must be [height, width]; got {size!r}")
    versions, timings = data.get("versions", {}), data.get("timings", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise fail("versions", "must map library names to version strings")
    if not isinstance(timings, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in timings.values()
    ):
        raise fail("timings", "must map steps to seconds")
    try:
        config = ExplainConfig.from_dict(get(data, "config"), complete=True)
    except (TypeError, ValueError) as err:
        raise fail("config", str(err)) from err
    return {
        "image": image,
        "segments": segments.astype(np.int32),
        "fill": fill,
        "probabilities": probabilities,
        "class_names": list(names),
        "top_labels": top_labels,
        "coef": read_floats(get(data, "coef"), "coef", (n_labels, k)),
        "intercepts": read_floats(get(data, "intercepts"), "intercepts", (n_labels,)),
        "r2_scores": read_floats(get(data, "r2_scores"), "r2_scores", (n_labels,)),
        "local_predictions": read_floats(get(data, "local_predictions"), "local_predictions", (n_labels,)),
        "masks": masks,
        "sample_scores": read_floats(get(data, "sample_scores"), "sample_scores", (n, n_labels)),
        "distances": read_floats(get(data, "distances"), "distances", (n,)),
        "kernel_weights": kernel_weights,
        "coef_draws": draws,
        "stop_reason": read_str(data.get("stop_reason", "fixed"), "stop_reason", STOP_REASONS),
        "inert_segments": _read_inert(data.get("inert_segments"), k),
        "sampling_trace": [
            (read_int(t[0], "sampling_trace", minimum=1), float(read_floats([t[1]], "sampling_trace", (1,))[0]))
            for t in trace
        ],
        "config": config,
        "seed": read_int(get(data, "seed"), "seed", minimum=0),
        "model_input_size": (
            read_int(size[0], "model_input_size", minimum=1),
            read_int(size[1], "model_input_size", minimum=1),
        ),
        "model_output": read_str(get(data, "model_output"), "model_output", ("logits", "probabilities")),
        "batch_size": read_int(get(data, "batch_size"), "batch_size", minimum=1),
        "versions": dict(versions),
        "timings": {key: float(v) for key, v in timings.items()},
    }


def _read_inert(value: Any, k: int) -> np.ndarray | None:
    """The ids of inert superpixels (a list of ints in 0..K-1) as bool (K,)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise fail("inert_segments", "must be a list of superpixel ids")
    out = np.zeros(k, dtype=bool)
    out[[read_int(i, "inert_segments", minimum=0, maximum=k - 1) for i in value]] = True
    return out


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Read a format-1 file (lime_widget 0.1.0): its config was a flat dict with the run facts mixed in."""
    old = dict(data["config"])

    def stored(value: Any) -> Any:
        # format 1 wrote "callable" for a function and "image" for a background image
        if value == "callable":
            return {"unstored": "function", "name": "a function (format 1)"}
        if value == "image":
            return {"unstored": "image", "name": "a background image (format 1)"}
        return value

    config = {
        "num_samples": old["num_samples"],
        "max_samples": 2000,
        "target_stability": 0.9,
        "refits": 0,  # format 1 had no refits
        "segmentation": stored(old["segmentation"]),
        "segmentation_params": old.get("segmentation_params") or {},
        "hide": stored(old["hide"]),
        "blur_sigma": old.get("blur_sigma"),
        "sampling": old["sampling"],
        "kernel": stored(old["kernel"]),
        "kernel_width": old.get("kernel_width"),
        "ridge_alpha": old["ridge_alpha"],
        "top_labels": max(1, int(old.get("top_labels", 5))),
        "classes": None,
        "figure_style": old.get("figure_style", "default"),
        "preset": old.get("preset"),
    }
    out = dict(data)
    out["format_version"] = FORMAT_VERSION
    out["class_names"] = data["label_names"]
    out["config"] = config
    out["model_input_size"] = old["model_input_size"]
    out["model_output"] = old["model_output"]
    out["batch_size"] = old["batch_size"]
    return out
