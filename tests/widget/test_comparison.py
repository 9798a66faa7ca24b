"""lw.compare: two models explained on the same superpixels and seed, linked explorers, agreement."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.core.rankings import compare_rankings
from lime_widget.widget.comparison import agreement

from ..helpers import cell_image, linear_model


def _models():
    a = np.zeros(64)
    a[[0, 1, 2]] = [0.2, 0.15, 0.1]
    b = np.zeros(64)
    b[[0, 1, 9]] = [0.1, 0.2, 0.15]
    return linear_model(a, base=0.4), linear_model(b, base=0.4)


def test_compare_links_the_explorers_and_scores_both_exactly():
    m1, m2 = _models()
    cmp = lw.compare(
        cell_image(),
        [m1, m2],
        names=["A", "B"],
        segmentation="grid",
        segmentation_params={"shape": (8, 8)},
        hide="black",
        num_samples=80,
        progress=False,
    )
    try:
        e1, e2 = cmp.explanations
        assert np.array_equal(e1.segments, e2.segments)  # one map
        assert e1.seed == e2.seed == 0
        assert np.array_equal(e1.masks, e2.masks)  # the same perturbations
        w1, w2 = cmp.explorers
        visible = list(w1.visible)
        visible[1] = False
        w1.visible = visible  # as a click on the first explorer
        assert list(w2.visible) == visible  # hidden in both
        assert cmp.wait_idle(30)
        for (_, before, now), exp, w in zip(cmp.current_scores(), cmp.explanations, cmp.explorers, strict=True):
            c = exp.top_label
            assert now == pytest.approx(float(exp.rescore(np.array(w.visible))[c]))
            assert before == pytest.approx(float(exp.probabilities[c]))
        assert "1 superpixels hidden" in cmp.panel.value and "data-testid='lime-compare'" in cmp.panel.value
        ag = cmp.agreement
        assert ag == agreement(e1, e2) and ag.k == 5 and 0.0 <= ag.top_k_overlap <= 1.0
        assert -1.0 <= ag.rank_correlation <= 1.0
    finally:
        cmp.close()


def test_two_threads_rendering_the_panel_never_leave_it_stale():
    m1, m2 = _models()
    cmp = lw.compare(
        cell_image(),
        [m1, m2],
        segmentation="grid",
        segmentation_params={"shape": (8, 8)},
        hide="black",
        num_samples=40,
        progress=False,
    )
    real = cmp.current_scores

    def current_scores() -> list[tuple[str, float, float]]:
        out = real()
        if threading.current_thread().name == "late":
            time.sleep(1.0)  # this render read the state before the click, then lost the CPU
        return out

    cmp.current_scores = current_scores  # type: ignore[method-assign]
    late = threading.Thread(target=cmp._render, name="late")
    try:
        late.start()
        time.sleep(0.1)
        visible = list(cmp.explorers[0].visible)
        visible[1] = False
        cmp.explorers[0].visible = visible  # a click: rendered from this thread and the scorers'
        assert cmp.wait_idle(30)
        late.join(5)
        assert "1 superpixels hidden" in cmp.panel.value
    finally:
        cmp.close()


def test_agreement_of_an_explanation_with_itself_is_perfect():
    m1, _ = _models()
    exp = lw.explain(
        cell_image(),
        m1,
        segmentation="grid",
        segmentation_params={"shape": (8, 8)},
        hide="black",
        num_samples=80,
        progress=False,
    )
    ag = agreement(exp, exp, k=3)
    assert ag.rank_correlation == pytest.approx(1.0) and ag.top_k_overlap == 1.0 and ag.k == 3


def test_compare_rejects_bad_arguments_before_any_work():
    m1, m2 = _models()
    with pytest.raises(ValueError, match="at least two"):
        lw.compare(cell_image(), [m1])
    with pytest.raises(ValueError, match="at least two"):
        lw.compare(cell_image(), "efficientnet_lite0")
    with pytest.raises(ValueError, match="names"):
        lw.compare(cell_image(), [m1, m2], names=["only one"])
    with pytest.raises(ValueError, match="random_state"):
        lw.compare(cell_image(), [m1, m2], random_state=None)


def test_agreement_is_compare_rankings_constant_weights_included():
    m1, _ = _models()
    exp = lw.explain(
        cell_image(),
        m1,
        segmentation="grid",
        segmentation_params={"shape": (8, 8)},
        hide="black",
        num_samples=80,
        progress=False,
    )
    flat = dataclasses.replace(exp, coef=np.zeros_like(exp.coef))  # constant weights for every class
    ag = agreement(flat, flat, k=3)
    ref = compare_rankings(flat.weights(), flat.weights(), k=3)
    assert ag.rank_correlation == ref.spearman == 1.0  # one metric: not NaN here and 1.0 there
    assert ag.top_k_overlap == ref.top_k_overlap and ag.k == ref.k == 3
    other = agreement(exp, flat, k=5)
    ref = compare_rankings(exp.weights(), flat.weights(), k=5)
    assert np.isnan(other.rank_correlation) and np.isnan(ref.spearman)
    assert other.top_k_overlap == ref.top_k_overlap
