"""The result of an explanation: data only, with helpers to query, re-score and serialise it."""

from __future__ import annotations

import base64
import dataclasses
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .images import decode_png, encode_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .classifiers import Classifier
    from .perturb import Composer

FORMAT = "lime_widget.explanation"
FORMAT_VERSION = 1
LabelRef = int | str | None


@dataclass(eq=False)
class Explanation:
    """A LIME explanation of one image for one model.

    Arrays: image uint8 (H, W, 3); segments int32 (H, W) with ids 0..K-1; fill uint8 (H, W, 3) (how hidden
    pixels look); probabilities float64 (C,) of the original image; top_labels: the L explained class ids,
    best first; coef (L, K), intercepts (L,), r2_scores (L,), local_predictions (L,) of the surrogate;
    masks bool (n, K) (row 0 = original); sample_scores (n, L) model scores of the explained classes;
    distances and kernel_weights (n,). config: every parameter used; seed: the integer seed that
    reproduces the run; versions of the libraries; timings in seconds.
    """

    image: np.ndarray
    segments: np.ndarray
    fill: np.ndarray
    probabilities: np.ndarray
    label_names: list[str]
    top_labels: list[int]
    coef: np.ndarray
    intercepts: np.ndarray
    r2_scores: np.ndarray
    local_predictions: np.ndarray
    masks: np.ndarray
    sample_scores: np.ndarray
    distances: np.ndarray
    kernel_weights: np.ndarray
    config: dict[str, Any]
    seed: int
    versions: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    _composer: Composer | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- basic facts
    @property
    def n_segments(self) -> int:
        """Number K of superpixels."""
        return int(self.coef.shape[1])

    @property
    def top_label(self) -> int:
        """The model's top class for the original image."""
        return int(np.argmax(self.probabilities))

    @property
    def model(self) -> Classifier | None:
        """The classifier used for re-scoring (None after ``from_json`` until ``with_model``)."""
        return None if self._composer is None else self._composer.classifier

    def label_name(self, label: int) -> str:
        return self.label_names[label]

    def _row(self, label: LabelRef) -> int:
        if label is None:
            return 0
        if isinstance(label, str):
            if label not in self.label_names:
                raise KeyError(f"unknown class name {label!r}")
            label = self.label_names.index(label)
        label = int(label)
        if label not in self.top_labels:
            names = ", ".join(f"{i} ({self.label_names[i]})" for i in self.top_labels)
            raise KeyError(
                f"class {label} ({self.label_names[label] if 0 <= label < len(self.label_names) else '?'}) was "
                f"not explained; explained classes: {names}. Explain it with labels=[{label}] or a larger top_labels"
            )
        return self.top_labels.index(label)

    # ----------------------------------------------------------------- surrogate
    def weights(self, label: LabelRef = None) -> np.ndarray:
        """Surrogate weight of every superpixel for a class (default: the top explained class). (K,)."""
        return self.coef[self._row(label)].copy()

    def intercept(self, label: LabelRef = None) -> float:
        return float(self.intercepts[self._row(label)])

    def r2(self, label: LabelRef = None) -> float:
        """Weighted R² of the surrogate on the samples (how well the linear model fits)."""
        return float(self.r2_scores[self._row(label)])

    def local_prediction(self, label: LabelRef = None) -> float:
        """The surrogate's prediction for the original image (compare with ``probabilities[label]``)."""
        return float(self.local_predictions[self._row(label)])

    def surrogate_prediction(self, visible: Any, label: LabelRef = None) -> float:
        """The surrogate's prediction for a mask: intercept + sum of the weights of visible superpixels."""
        v = self._visible(visible)
        row = self._row(label)
        return float(self.intercepts[row] + self.coef[row] @ v.astype(np.float64))

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
        if self._composer is None:
            raise RuntimeError(
                "this explanation has no model attached (it was loaded from JSON); use exp = exp.with_model(model)"
            )
        m = np.asarray(masks, dtype=bool)
        if m.ndim != 2 or m.shape[1] != self.n_segments:
            raise ValueError(f"masks must have shape (n, {self.n_segments}); got {m.shape}")
        return self._composer.score(m, batch_size=batch_size, progress=progress)

    def compose(self, visible: Any) -> np.ndarray:
        """The masked image as the model sees it, as uint8 (h, w, 3) at the model's input resolution."""
        if self._composer is None:
            raise RuntimeError("no model attached; use exp = exp.with_model(model)")
        import torch

        x = self._composer.compose(self._visible(visible)[None])[0]
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
        from .engine import as_classifier
        from .perturb import Composer

        clf: Classifier = as_classifier(model)
        return dataclasses.replace(self, _composer=Composer(self.image, self.segments, self.fill, clf))

    # ----------------------------------------------------------------- figures
    def figure(self, label: LabelRef = None, style: str | None = None, **kwargs: Any) -> Figure:
        """A matplotlib figure of the explanation; see :func:`lime_widget.figures.explanation_figure`."""
        from .figures import explanation_figure

        return explanation_figure(self, label=label, style=style, **kwargs)

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
            lines.append(f"  {self.label_names[c]:<30} {self.probabilities[c]:.4f}")
        label = self.top_labels[0]
        lines.append(
            f"top superpixels for {self.label_names[label]!r} (R2 {self.r2(label):.3f}, "
            f"local prediction {self.local_prediction(label):.4f}):"
        )
        w = self.weights(label)
        for s in self.top_segments(label, k=k, positive_only=False):
            lines.append(f"  superpixel {int(s):>4}  weight {w[s]:+.5f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        h, w = self.segments.shape
        top = self.top_labels[0]
        return (
            f"Explanation({h}x{w} image, {self.n_segments} superpixels, {self.masks.shape[0]} samples, "
            f"top class {self.label_names[top]!r} p={self.probabilities[top]:.3f})"
        )

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
            "label_names": list(self.label_names),
            "top_labels": [int(x) for x in self.top_labels],
            "coef": self.coef.tolist(),
            "intercepts": self.intercepts.tolist(),
            "r2_scores": self.r2_scores.tolist(),
            "local_predictions": self.local_predictions.tolist(),
            "masks": {"shape": list(self.masks.shape), "bits": _b64(np.packbits(self.masks, axis=None).tobytes())},
            "sample_scores": self.sample_scores.tolist(),
            "distances": self.distances.tolist(),
            "kernel_weights": self.kernel_weights.tolist(),
            "config": self.config,
            "seed": int(self.seed),
            "versions": dict(self.versions),
            "timings": dict(self.timings),
        }
        return json.dumps(data, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Explanation:
        """Rebuild an explanation from :meth:`to_json` output (attach a model with ``with_model`` to re-score)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("this JSON is not a lime_widget explanation (missing 'format': 'lime_widget.explanation')")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported explanation format version {data.get('format_version')!r}")
        shape = tuple(data["masks"]["shape"])
        bits = np.frombuffer(base64.b64decode(data["masks"]["bits"]), dtype=np.uint8)
        masks = np.unpackbits(bits, count=int(np.prod(shape))).astype(bool).reshape(shape)
        return cls(
            image=decode_png(base64.b64decode(data["image_png"])),
            segments=_unpack_array(data["segments"]),
            fill=decode_png(base64.b64decode(data["fill_png"])),
            probabilities=np.asarray(data["probabilities"], dtype=np.float64),
            label_names=list(data["label_names"]),
            top_labels=[int(x) for x in data["top_labels"]],
            coef=np.asarray(data["coef"], dtype=np.float64).reshape(len(data["top_labels"]), -1),
            intercepts=np.asarray(data["intercepts"], dtype=np.float64),
            r2_scores=np.asarray(data["r2_scores"], dtype=np.float64),
            local_predictions=np.asarray(data["local_predictions"], dtype=np.float64),
            masks=masks,
            sample_scores=np.asarray(data["sample_scores"], dtype=np.float64).reshape(shape[0], -1),
            distances=np.asarray(data["distances"], dtype=np.float64),
            kernel_weights=np.asarray(data["kernel_weights"], dtype=np.float64),
            config=data["config"],
            seed=int(data["seed"]),
            versions=dict(data["versions"]),
            timings=dict(data.get("timings", {})),
        )

    def save_json(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_json())
        return out

    @classmethod
    def load_json(cls, path: str | Path) -> Explanation:
        return cls.from_json(Path(path).read_text())


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _pack_array(a: np.ndarray) -> dict[str, Any]:
    return {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "zlib": _b64(zlib.compress(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes(), 6)),
    }


def _unpack_array(d: dict[str, Any]) -> np.ndarray:
    dt = np.dtype(d["dtype"]).newbyteorder("<")
    raw = zlib.decompress(base64.b64decode(d["zlib"]))
    return np.frombuffer(raw, dtype=dt).reshape(d["shape"]).astype(np.dtype(d["dtype"]))
