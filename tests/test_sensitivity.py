"""Sensitivity analysis (deletion / insertion curves, hide-top-k flips) on the planted-cue model."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.sensitivity import curves_figure, deletion_curve, flip_search, random_ranking, ranking_from_weights

from .helpers import cell_segments


@pytest.fixture
def planted_exp(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=300, hide="gray", classes=[1], progress=False)
    return exp, cells


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


def test_flip_search_finds_the_planted_cells(planted_exp):
    exp, cells = planted_exp
    assert exp.top_label == 1
    res = flip_search(exp, ranking_from_weights(exp.weights(1)))
    assert res.k is not None and res.k <= 2
    assert set(res.hidden.tolist()) <= set(cells)
    assert res.original_class == 1 and res.original_class_name == "cue"
    assert res.new_class == 0 and res.new_class_name == "other"
    assert res.new_score is not None and res.new_score > 0.5
    assert res.label_scores.shape == (res.k + 1,)
    visible = np.ones(exp.n_segments, dtype=bool)
    visible[res.hidden] = False
    assert np.argmax(exp.rescore(visible)) == 0


def test_flip_search_reports_no_flip_and_scans_in_chunks(planted_exp):
    exp, cells = planted_exp
    others = np.array([i for i in range(exp.n_segments) if i not in cells])
    res = flip_search(exp, others, chunk=16)
    assert res.k is None and res.new_class is None and res.hidden.size == 0
    assert res.label_scores.shape == (others.size + 1,)
    # chunked search finds the same k as one big chunk (hiding one of the two cue cells already flips)
    order = np.concatenate([others[:20], cells, others[20:]])
    assert flip_search(exp, order, chunk=7).k == flip_search(exp, order).k == 21


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
