"""Two models, one map: linked explorers over the same superpixels (the two-network study of the
sensitivity-analysis recipe).

:func:`compare` explains one image with each model on the *same* superpixels, fill and seed, and shows
their explorers side by side: hiding a superpixel in one hides it in the other, both are re-scored, and
a panel below gives both score changes and how well the two models' weights agree.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets
import numpy as np

from ..core.images import DEFAULT_MAX_PIXELS, to_rgb_uint8
from ..core.rankings import compare_rankings
from ..core.segmentation import segment
from ..engine.explanation import Explanation
from ..engine.pipeline import explain
from ..engine.presets import resolve
from ..models.zoo import as_classifier, load_model
from ._static_view import picture_entries, side_by_side, with_static
from .explorer import LimeWidget


@dataclass(frozen=True)
class Agreement:
    """How two explanations' weights agree. rank_correlation: Spearman's rho of the weights of each model's
    top class over the K shared superpixels; top_k_overlap: the share of the top-k superpixels (by weight)
    they have in common; k."""

    rank_correlation: float
    top_k_overlap: float
    k: int


def agreement(a: Explanation, b: Explanation, k: int = 5) -> Agreement:
    """Agreement of the weights of a's and b's top classes (the two must share their superpixels): the one
    metric of :func:`lime_widget.core.rankings.compare_rankings` (NaN weights ranked last and left out of the
    correlation; equal constant weights agree fully)."""
    if a.segments.shape != b.segments.shape or not np.array_equal(a.segments, b.segments):
        raise ValueError("the two explanations must use the same superpixels (explain the second with segments=)")
    wa, wb = a.weights(), b.weights()
    cmp = compare_rankings(wa, wb, k=max(1, min(int(k), wa.size)))
    return Agreement(rank_correlation=cmp.spearman, top_k_overlap=cmp.top_k_overlap, k=cmp.k)


class ModelComparison(ipywidgets.VBox):  # type: ignore[misc]
    """Linked explorers of two (or more) models over the same superpixels, and a panel comparing them.

    ``explorers``: the :class:`~lime_widget.widget.explorer.LimeWidget` of each model; ``explanations``; ``names``;
    ``agreement``: :class:`Agreement` of the first two. Setting ``visible`` on any explorer (a click, or
    code) sets it on all of them. :meth:`wait_idle` waits until every explorer has scored the mask.
    """

    def __init__(
        self, explanations: Sequence[Explanation], names: Sequence[str], *, max_display_side: int = 384, k: int = 5
    ) -> None:
        self.explanations = list(explanations)
        self.names = list(names)
        self.explorers = [LimeWidget(e, max_display_side=max_display_side) for e in self.explanations]
        self.agreement = agreement(self.explanations[0], self.explanations[1], k=k)
        self.panel = ipywidgets.HTML()
        self._syncing = threading.Lock()
        # the panel is rendered by the kernel's thread and every explorer's scorer: the last to write it read last
        self._rendering = threading.Lock()
        titled = [
            ipywidgets.VBox([ipywidgets.HTML(f"<b>{html.escape(n)}</b>"), w])
            for n, w in zip(self.names, self.explorers, strict=True)
        ]
        super().__init__(children=[ipywidgets.HBox(titled, layout=ipywidgets.Layout(flex_flow="row wrap")), self.panel])
        for w in self.explorers:
            w.observe(self._on_visible, names="visible")
            w.observe(self._on_scores, names="scores")
        self._render()

    def _on_visible(self, change: dict[str, Any]) -> None:
        if not self._syncing.acquire(blocking=False):
            return  # this change is our own echo to the other explorers
        try:
            new = list(change["new"])
            for w in self.explorers:
                if w is not change["owner"] and list(w.visible) != new:
                    w.visible = new  # a Python write: the explorer gives it a new revision and scores it
        finally:
            self._syncing.release()
        self._render()

    def _on_scores(self, change: dict[str, Any]) -> None:
        self._render()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until every explorer has scored its newest mask."""
        return all(w.wait_idle(timeout) for w in self.explorers)

    def current_scores(self) -> list[tuple[str, float, float]]:
        """Per model: (class name, original score, score for the mask scored last) of its top class."""
        out = []
        for e, w in zip(self.explanations, self.explorers, strict=True):
            c = e.top_label
            out.append((e.class_names[c], float(e.probabilities[c]), float(w.probabilities[c])))
        return out

    def _render(self) -> None:
        with self._rendering:
            self.panel.value = self._panel()

    def _panel(self) -> str:
        """The comparison panel's HTML for the explorers as they are now."""
        hidden = len(self.explorers[0].visible) - int(np.sum(self.explorers[0].visible))
        rows = []
        for name, (cls, before, now) in zip(self.names, self.current_scores(), strict=True):
            rows.append(
                f"<tr><td>{html.escape(name)}</td><td>{html.escape(cls)}</td><td>{before:.4f}</td>"
                f"<td>{now:.4f}</td><td>{now - before:+.4f}</td></tr>"
            )
        a = self.agreement
        return (
            f"<div data-testid='lime-compare'><b>{hidden} superpixels hidden</b> (in both)"
            "<table><tr><th>model</th><th>top class</th><th>original</th><th>now</th><th>change</th></tr>"
            + "".join(rows)
            + "</table>"
            f"weights' rank correlation (Spearman): <b>{a.rank_correlation:.2f}</b>; "
            f"top-{a.k} superpixels in common: <b>{round(a.top_k_overlap * a.k)} of {a.k}</b></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widgets' display plus a static view of the explorers side by side and the comparison (see
        :meth:`LimeWidget._repr_mimebundle_`), for front ends that cannot run widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if not all(w.static_view for w in self.explorers):
            return bundle
        return with_static(bundle, self._static_entries, "lime_widget comparison")

    def _static_entries(self) -> dict[str, str]:
        hidden = len(self.explorers[0].visible) - int(np.sum(self.explorers[0].visible))
        a = self.agreement
        lines = [
            f"{hidden} superpixels hidden (in both); weights' rank correlation (Spearman) {a.rank_correlation:.2f}, "
            f"top-{a.k} superpixels in common: {round(a.top_k_overlap * a.k)} of {a.k}"
        ]
        pictures = [w._static_picture() for w in self.explorers]
        return picture_entries(side_by_side(pictures, self.names, lines))

    def close(self) -> None:
        for w in getattr(self, "explorers", []):
            w.close()
        super().close()


def compare(
    image: Any,
    models: Sequence[Any],
    *,
    names: Sequence[str] | None = None,
    max_display_side: int = 384,
    k: int = 5,
    **explain_kwargs: Any,
) -> ModelComparison:
    """Explain ``image`` with each of ``models`` on the same superpixels and show linked explorers.

    models: two or more models (names for :func:`load_model`, or classifiers). names: their labels (default:
    the names given, or "model 1", "model 2", ...). explain_kwargs: for :func:`explain` (same for all; the
    superpixels are computed once, from the first explanation, unless ``segments=`` is given). k: the top-k
    of the agreement. Returns a :class:`ModelComparison` (display it in a notebook).
    """
    if isinstance(models, (str, bytes)) or len(models) < 2:
        raise ValueError(
            "models must be a list of at least two models, e.g. ['efficientnet_lite0', 'efficientnet_lite2']"
        )
    if names is None:
        names = [m if isinstance(m, str) else f"model {i + 1}" for i, m in enumerate(models)]
    if len(names) != len(models):
        raise ValueError(f"names: {len(names)} names for {len(models)} models")
    classifiers = [load_model(m) if isinstance(m, str) else as_classifier(m) for m in models]  # all fail early
    explain_kwargs.setdefault("progress", True)
    seed = explain_kwargs.get("random_state", 0)
    if seed is None or isinstance(seed, np.random.Generator):
        raise ValueError("random_state must be an int for compare (every model sees the same masks)")
    explain_kwargs["random_state"] = seed
    if explain_kwargs.get("segments") is None:
        # the superpixels once, as explain would make them, so that every model is explained on the same ones
        cfg = resolve(
            explain_kwargs.get("preset"),
            segmentation=explain_kwargs.pop("segmentation", None),
            n_segments=explain_kwargs.pop("n_segments", None),
            segmentation_params=explain_kwargs.pop("segmentation_params", None),
        )
        img = to_rgb_uint8(image, max_pixels=explain_kwargs.get("max_pixels", DEFAULT_MAX_PIXELS))
        explain_kwargs["segments"] = segment(img, cfg.segmentation, dict(cfg.segmentation_params), seed=int(seed))
        image = img
    # the same segments and seed: every model is scored on exactly the same masks
    explanations = [explain(image, c, **explain_kwargs) for c in classifiers]
    return ModelComparison(explanations, names, max_display_side=max_display_side, k=k)
