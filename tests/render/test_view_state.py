"""What a fresh view shows, read through the ExplanationState protocol (no widget, no engine import)."""

from __future__ import annotations

import numpy as np

import lime_widget as lw
from lime_widget.render.view_state import (
    BOUNDARY_RGB,
    ExplanationState,
    explanation_state,
    ranks,
    score_rows,
    view_png,
)

from ..helpers import cell_image, cell_segments


def test_explanation_state_is_a_fresh_view():
    def fn(batch: np.ndarray) -> np.ndarray:
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)

    exp = lw.explain(
        cell_image(), lw.FunctionClassifier(fn), segments=cell_segments(), hide="black", num_samples=40, progress=False
    )
    assert isinstance(exp, ExplanationState)
    state = explanation_state(exp, max_display_side=32)
    assert (state["width"], state["height"]) == (32, 32) and state["visible"] == [True] * 64
    assert state["rev"] == state["scored_rev"] == 0 and state["selected_label"] == exp.top_labels[0]
    assert [c["id"] for c in state["classes"]] == exp.top_labels
    assert state["scores"] == state["original_scores"] == score_rows(exp, exp.probabilities, [1, 0])


def test_ranks_are_one_for_the_top_class_ties_to_the_lower_id():
    assert ranks(np.array([0.2, 0.5, 0.2, 0.1])).tolist() == [2, 1, 3, 4]


def test_view_png_is_the_masked_image_with_the_heatmap_and_the_boundaries():
    import io

    from PIL import Image

    from lime_widget.core.segmentation import boundary_mask
    from lime_widget.render.overlay import weight_overlay

    def fn(batch: np.ndarray) -> np.ndarray:
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)

    exp = lw.explain(
        cell_image(), lw.FunctionClassifier(fn), segments=cell_segments(), hide="black", num_samples=40, progress=False
    )
    visible = np.arange(exp.n_segments) % 3 != 0
    label = exp.top_labels[0]
    edges = boundary_mask(exp.segments)

    def read(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    plain = exp.masked_image(visible).astype(np.float64) / 255.0
    plain[edges] = (1.0, 1.0, 0.6)
    np.testing.assert_array_equal(
        read(view_png(exp, visible, label, heatmap=False, alpha=0.5)), np.round(plain * 255).astype(np.uint8)
    )
    hot = weight_overlay(
        exp.masked_image(visible).astype(np.float64) / 255.0, exp.segments, exp.weights(label), alpha=0.3
    )
    hot[edges] = (1.0, 1.0, 0.6)
    np.testing.assert_array_equal(
        read(view_png(exp, visible, label, heatmap=True, alpha=0.3)), np.round(hot * 255).astype(np.uint8)
    )


def test_view_png_at_the_view_size_is_drawn_on_the_views_copies():
    import io

    from PIL import Image

    from lime_widget.core.images import resize_image, resize_nearest
    from lime_widget.core.segmentation import boundary_mask

    def fn(batch: np.ndarray) -> np.ndarray:
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)

    exp = lw.explain(
        cell_image(), lw.FunctionClassifier(fn), segments=cell_segments(), hide="black", num_samples=40, progress=False
    )

    def read(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    visible = np.ones(exp.n_segments, dtype=bool)
    label = exp.top_labels[0]
    full = view_png(exp, visible, label, heatmap=True, alpha=0.4)
    assert view_png(exp, visible, label, heatmap=True, alpha=0.4, size=exp.segments.shape) == full
    size = (exp.segments.shape[0] // 3, exp.segments.shape[1] // 2)  # not a divisor: any size the view has
    small = read(view_png(exp, visible, label, heatmap=False, alpha=0.4, size=size))
    assert small.shape == (*size, 3)
    edges = boundary_mask(resize_nearest(exp.segments, size))
    assert edges.any() and not edges.all()
    np.testing.assert_array_equal(small[~edges], resize_image(exp.image, size)[~edges])
    assert (small[edges] == np.round(np.array(BOUNDARY_RGB) * 255).astype(np.uint8)).all()
    hidden = read(view_png(exp, ~visible, label, heatmap=False, alpha=0.4, size=size))
    np.testing.assert_array_equal(hidden[~edges], resize_image(exp.fill, size)[~edges])
