"""The result of an explanation: data only, with queries, re-scoring and JSON.

Drawing is delegated to :mod:`lime_widget.render.figures` (a layer below this one, which reads an explanation
through its public queries only).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._checks import positive_int
from ..core._files import atomic_write_text
from ..core._json import MAX_CELLS, ExplanationFormatError
from ..core.images import DEFAULT_MAX_PIXELS
from ..core.rankings import top_k, top_k_positive, top_k_sets
from ..core.segmentation import n_segments_of
from ..core.settled import TopKStatus, top_k_status
from ..core.uncertainty import expected_jaccard
from ..models.classifiers import Classifier, ClassLookupError, class_id
from ._adaptive import enough_samples
from ._explanation_file import explanation_fields, explanation_json
from .compose import Composer
from .config import ExplainConfig
from .limits import check_sigma

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LabelRef = int | str | None
#: The default k of the top-k queries (clamped to the number of superpixels).
DEFAULT_K = 5
#: why an auto run stopped, in words (``Explanation.stop_reason``)
AUTO_STOPS = {
    "settled": "stopped when the top 5 was settled up to ties",
    "precise": "stopped when every weight was precise to the tie tolerance",
    "stable": "stopped at the target stability",
    "max_samples": "reached max_samples before the top 5 was settled",
}


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
    :meth:`weight_std`, :meth:`top_k_confidence`, :meth:`stability` and :meth:`top_k_status`; stop_reason:
    ``fixed``, or why an auto run stopped: ``settled`` (the top 5 decided up to ties), ``precise`` (every weight
    to within the tie tolerance), ``stable`` (the target stability) or ``max_samples``; sampling_trace: (samples, estimated stability)
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
    # the PNG of the notebook display, made once (not an argument: every copy makes its own)
    _static_png: bytes | None = field(default=None, init=False, repr=False)

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

    def top_k_confidence(self, label: LabelRef = None, k: int | None = None) -> np.ndarray:
        """For every superpixel (K,), the share of refits in which it is among the k most positive weights.

        k: None (default) = min(5, K), so an explanation with fewer than 5 superpixels works as is; an explicit
        k must be in 1..K (a ValueError naming k and K otherwise: a top-k set of more than K is meaningless).
        """
        return top_k_sets(self._draws(label), self.confidence_k(k)).mean(axis=0)

    def stability(self, label: LabelRef = None, k: int | None = None) -> float:
        """The expected top-k Jaccard index between two runs with different seeds (1 = the same k superpixels
        every time), estimated from the refits: no new forward passes. k: as in :meth:`top_k_confidence`
        (None = min(5, K); an explicit k in 1..K)."""
        return expected_jaccard(top_k_sets(self._draws(label), self.confidence_k(k)))

    def top_k_status(self, label: LabelRef = None, k: int | None = None) -> TopKStatus:
        """Whether the top k of a class is settled by the samples, in words and ids: which members are in the
        top k in at least 90% of refits, which places are a tie between practically equal weights (closer than
        the config's ``tie_tolerance`` times the largest weight) and which are still undecided; its ``text``
        reads e.g. "top 5: 4 settled, the 5th a tie between #23 and #17". k: as in :meth:`top_k_confidence`."""
        return top_k_status(self.weights(label), self._draws(label), self.confidence_k(k), self.config.tie_tolerance)

    def enough_samples(self) -> int:
        """The fewest samples with which every weight is identified and its uncertainty can be estimated from the
        samples: the superpixels plus ``MIN_SPARE_UNITS`` resampling units, a unit being a (mask, complement)
        pair for the paired designs. Below it (e.g. 100 samples of the default design for 60 superpixels) the fit
        cannot tell some weights apart, and no interval from the samples shows that error; auto never stops there."""
        return enough_samples(self.n_segments, self.config.sampling)

    def confidence_k(self, k: int | None = None) -> int:
        """The k of the top-k queries: ``k`` checked to be in 1..K, or min(5, K) when None."""
        if k is None:
            return min(DEFAULT_K, self.n_segments)
        n = positive_int(
            k, "k", maximum=self.n_segments, hint=f"this explanation has {self.n_segments} superpixels; None: min(5, K)"
        )
        assert n is not None
        return n

    def top_segments(self, label: LabelRef = None, k: int = DEFAULT_K, positive_only: bool = True) -> np.ndarray:
        """Ids of at most k superpixels with the largest weights, best first (only positive ones by default).

        A ranking cut at k: k >= 0, and a k above the number K of superpixels gives all of them (so the
        default 5 works with fewer superpixels). Returns int64 (<= min(k, K),)."""
        n = positive_int(k, "k", minimum=0, hint="how many superpixels at most")
        assert n is not None
        w = self.weights(label)
        return top_k_positive(w, n) if positive_only else top_k(w, n)

    def heatmap(self, label: LabelRef = None, positive_only: bool = False, smooth: float = 0.0) -> np.ndarray:
        """Per-pixel weight map (H, W) float64: each pixel gets its superpixel's weight.

        positive_only keeps max(weight, 0) (the MATLAB demo's map); smooth > 0 applies a Gaussian blur
        with that sigma in pixels (a display aid, not part of LIME).
        """
        w = self.weights(label)
        if positive_only:
            w = np.maximum(w, 0.0)
        if smooth:
            check_sigma(smooth, "smooth")  # before the filter of 8 sigma + 1 taps is built
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
        for c in top_k(self.probabilities, k):
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
        if self.config.num_samples == "auto":
            samples += f" (auto: {AUTO_STOPS.get(self.stop_reason, self.stop_reason)})"
        enough = self.enough_samples()
        if self.n_samples < enough:
            lines.append(
                f"note: {self.n_samples} samples are too few to pin down {self.n_segments} weights with this design "
                f"(at least {enough}); the uncertainty below understates the error"
            )
        if sure:
            lines.append(f"{self.top_k_status(label, k=kk).text}")
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

    # ----------------------------------------------------------------- notebook display
    def static_png(self) -> bytes:
        """A small PNG (longer side at most 320 px) of the first explained class's weights over the image, with
        the superpixel boundaries: what a notebook shows for an explanation. Made once, then cached."""
        if self._static_png is None:
            from ..render.figures import explanation_png

            self._static_png = explanation_png(self, self.top_labels[0])
        return self._static_png

    def _repr_png_(self) -> bytes | None:
        """The notebook's image of the explanation (:meth:`static_png`); None (the text repr) if it fails."""
        try:
            return self.static_png()
        except Exception:  # a display must never raise in a notebook: IPython then shows the text repr
            return None

    def _repr_html_(self) -> str | None:
        """The notebook's view: :meth:`static_png` and the text summary; None (the text repr) if it fails."""
        import base64
        import html

        try:
            png = base64.b64encode(self.static_png()).decode("ascii")
            text = f"{self!r}\n{self.summary()}"
        except Exception:  # a display must never raise in a notebook: IPython then shows the text repr
            return None
        label = html.escape(self.class_names[self.top_labels[0]])
        return (
            '<div class="lime-widget-explanation" style="display:flex;gap:1em;align-items:flex-start">'
            f'<img src="data:image/png;base64,{png}" alt="LIME weights for {label} (blue: for, red: against)">'
            f'<pre style="margin:0">{html.escape(text)}</pre></div>'
        )

    # ----------------------------------------------------------------- sharing
    def to_html(self, path: str | Path, *, max_display_side: int = 512) -> Path:
        """Write one self-contained HTML file that explores this explanation offline, without a kernel: the
        map, the heatmaps and the class scores; toggling superpixels shows the surrogate's prediction,
        labelled as such (the model is not in the file). max_display_side: the longer side of the image in
        the page, in pixels (>= 1; never enlarged). Returns the path written. See
        :meth:`lime_widget.LimeWidget.save_html` for a widget's current view and probe history."""
        from ..render.html import explanation_html

        positive_int(max_display_side, "max_display_side", hint="pixels of the longer side of the image shown")

        return explanation_html(self, path, max_display_side=max_display_side)

    # ----------------------------------------------------------------- JSON
    def to_json(self, indent: int | None = None) -> str:
        """Serialise everything (image, superpixels, weights, samples, config, seed, versions) to JSON."""
        return explanation_json(self, indent)

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
        return cls(**explanation_fields(text, max_pixels=max_pixels, max_cells=max_cells))

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (atomically: a crash never leaves half a file). Returns the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(out, self.to_json())

    @classmethod
    def load_json(cls, path: str | Path, **limits: Any) -> Explanation:
        """Read a file written by :meth:`save_json` (see :meth:`from_json` for the checks and ``limits``)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as err:
            raise ExplanationFormatError(f"file: cannot read {p} ({err.strerror or err})") from err
        return cls.from_json(raw, **limits)
