"""Deletion / insertion curves on the planted-cue model (and their figure)."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.analysis.curves import deletion_curve, ranking_from_weights
from lime_widget.analysis.flips import flip_search
from lime_widget.core.rankings import random_ranking
from lime_widget.render.figures import curves_figure


def test_ranking_helpers():
    np.testing.assert_array_equal(ranking_from_weights(np.array([0.1, 0.5, np.nan, 0.5, -1.0])), [1, 3, 0, 4, 2])
    r = random_ranking(10, 3)
    np.testing.assert_array_equal(np.sort(r), np.arange(10))
    np.testing.assert_array_equal(r, random_ranking(10, np.random.default_rng(3)))
    assert r.dtype == np.int64


def test_deletion_of_the_true_ranking_drops_faster_than_random(planted_exp):
    exp, cells = planted_exp
    truth = ranking_from_weights(exp.weights(1))
    assert set(truth[:2].tolist()) == set(cells)
    curve = deletion_curve(exp, truth, label=1)
    k = exp.n_segments
    assert curve.fractions.shape == curve.scores.shape == (k + 1,)
    assert curve.fractions[0] == 0.0 and curve.fractions[-1] == 1.0
    assert curve.scores[0] == pytest.approx(exp.probabilities[1])
    assert curve.mode == "deletion" and curve.label == 1 and curve.label_name == "cue"
    randoms = [deletion_curve(exp, random_ranking(k, seed), label=1).area for seed in range(4)]
    assert curve.area < 0.2 < np.mean(randoms)
    assert curve.area < min(randoms)


def test_insertion_of_the_true_ranking_rises_faster_than_random(planted_exp):
    exp, _ = planted_exp
    k = exp.n_segments
    truth = deletion_curve(exp, ranking_from_weights(exp.weights(1)), label="cue", mode="insertion", steps=16)
    assert truth.fractions.shape == (17,) and truth.mode == "insertion"
    assert truth.scores[-1] == pytest.approx(exp.probabilities[1])  # everything revealed = the original
    assert truth.counts[1] == 4
    randoms = [deletion_curve(exp, random_ranking(k, s), label=1, mode="insertion", steps=16).area for s in range(4)]
    assert truth.area > 0.8 > np.mean(randoms)


def test_curve_scores_equal_rescore_of_the_same_masks(planted_exp):
    exp, _ = planted_exp
    order = random_ranking(exp.n_segments, 0)
    curve = deletion_curve(exp, order, label=1, steps=4)
    visible = np.ones(exp.n_segments, dtype=bool)
    visible[order[: curve.counts[2]]] = False
    assert curve.scores[2] == pytest.approx(exp.rescore(visible)[1])


def test_bad_rankings_are_rejected(planted_exp):
    exp, _ = planted_exp
    with pytest.raises(ValueError, match="all 64"):
        deletion_curve(exp, np.arange(10))
    with pytest.raises(ValueError, match="repeats"):
        deletion_curve(exp, np.zeros(64, dtype=int))
    with pytest.raises(ValueError, match="outside"):
        flip_search(exp, np.array([64]))
    with pytest.raises(ValueError, match="mode"):
        deletion_curve(exp, np.arange(64), mode="sideways")  # type: ignore[arg-type]


def test_curves_figure_puts_areas_in_the_legend(planted_exp):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exp, _ = planted_exp
    truth = ranking_from_weights(exp.weights(1))
    rnd = random_ranking(exp.n_segments, 0)
    curves = {
        "LIME": deletion_curve(exp, truth, label=1, steps=8),
        "random": deletion_curve(exp, rnd, label=1, steps=8),
        "LIME ins": deletion_curve(exp, truth, label=1, steps=8, mode="insertion"),
    }
    fig = curves_figure(curves, title="planted")
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == f"LIME (area {curves['LIME'].area:.3f})"
    plt.close(fig)


def test_public_names_are_exported():
    for name in (
        "gradcam",
        "superpixel_scores",
        "compare_rankings",
        "deletion_curve",
        "flip_search",
        "ranking_from_weights",
        "random_ranking",
        "curves_figure",
    ):
        assert callable(getattr(lw, name)), name
