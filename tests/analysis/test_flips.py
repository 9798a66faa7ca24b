"""Hide-top-k class flips (flip_search) and the smallest flip (minimal_flip)."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.analysis.curves import ranking_from_weights
from lime_widget.analysis.flips import flip_search

from ..helpers import cell_segments


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


# ----------------------------------------------------------------- minimal_flip (greedy + local search)
# An additive model over the 64 grid cells (hidden = black): p(yes) = 0.12 + 0.30 [A visible] + 0.12 each for
# B, C, D visible, so 0.78 on the original. Hiding A alone flips (0.48); hiding B, C and D flips (0.42); any
# two of B, C, D do not (0.54). The planted LIME weights rank B, C, D above A, so greedy needs 3, the optimum 1.
A_CELL, BCD_CELLS = 0, [1, 2, 3]


@pytest.fixture(scope="module")
def additive():
    """(explanation with the model's real LIME weights, the same with misleading planted weights, counter)."""
    import dataclasses

    from ..helpers import cell_image, linear_model

    beta = np.zeros(64)
    beta[A_CELL] = 0.30
    beta[BCD_CELLS] = 0.12
    inner = linear_model(beta, base=0.12)
    calls = {"images": 0}

    def counted(batch):
        calls["images"] += len(batch)
        return inner.fn(batch)

    clf = lw.FunctionClassifier(counted, class_names=["no", "yes"])
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=100, classes=[1], progress=False
    )
    coef = np.zeros((1, 64))
    coef[0, BCD_CELLS] = [0.30, 0.29, 0.28]
    coef[0, A_CELL] = 0.10
    return exp, dataclasses.replace(exp, coef=coef), calls


def _check_flip(exp, res, threshold=None):
    visible = np.ones(exp.n_segments, dtype=bool)
    visible[res.hidden] = False
    probs = exp.rescore(visible)
    assert res.label_score_after == pytest.approx(probs[res.label])
    assert res.new_class == int(np.argmax(probs)) and res.new_score == pytest.approx(probs.max())
    if threshold is None:
        assert res.new_class != res.label
    else:
        assert probs[res.label] < threshold


def test_minimal_flip_beats_a_misleading_greedy_order(additive):
    _, planted, _ = additive
    greedy = flip_search(planted, ranking_from_weights(planted.weights(1)))
    assert greedy.k == 3
    res = lw.minimal_flip(planted)
    assert isinstance(res, lw.MinimalFlip)
    assert res.flipped and res.size == 1 and res.hidden.tolist() == [A_CELL]
    assert res.greedy_size == greedy.k and res.size <= greedy.k
    assert res.label == 1 and res.label_name == "yes" and res.new_class_name == "no"
    assert res.label_score_before == pytest.approx(0.78) and res.label_score_after == pytest.approx(0.48)
    assert res.stop_reason == "optimal" and res.threshold is None
    assert 0 < res.greedy_passes <= res.forward_passes <= res.budget == 2000
    _check_flip(planted, res)
    again = lw.minimal_flip(planted)  # deterministic
    assert again.hidden.tolist() == res.hidden.tolist() and again.forward_passes == res.forward_passes


def test_minimal_flip_keeps_a_greedy_optimum(additive, planted_exp):
    exp, _, _ = additive
    res = lw.minimal_flip(exp, label="yes")
    assert res.greedy_size == 1 and res.hidden.tolist() == [A_CELL] and res.stop_reason == "optimal"
    pexp, cells = planted_exp
    res = lw.minimal_flip(pexp)
    greedy = flip_search(pexp, ranking_from_weights(pexp.weights(1)))
    assert res.greedy_size == greedy.k and res.size is not None and res.size <= greedy.k
    assert set(res.hidden.tolist()) <= set(cells)
    _check_flip(pexp, res)


def test_minimal_flip_respects_the_budget(additive):
    _, planted, calls = additive
    for budget in (1, 3, 8, 12, 60, 200):
        calls["images"] = 0
        res = lw.minimal_flip(planted, budget=budget)
        assert res.forward_passes == calls["images"] <= budget, budget
        assert res.budget == budget
        if res.flipped:
            assert res.size is not None and res.size <= 3
            _check_flip(planted, res)
    assert not lw.minimal_flip(planted, budget=2).flipped  # greedy saw prefixes 1 and 2 only
    assert lw.minimal_flip(planted, budget=2).stop_reason == "budget"
    cut = lw.minimal_flip(planted, budget=3)  # the greedy set, no budget left to improve it
    assert cut.size == 3 and cut.stop_reason == "budget" and cut.forward_passes == 3


def test_minimal_flip_threshold_mode(additive):
    _, planted, _ = additive
    # p(yes) < 0.45: A alone (0.48) is not enough, A + one of B/C/D (0.36) is, greedy B, C, D (0.42) too
    res = lw.minimal_flip(planted, threshold=0.45)
    assert res.flipped and res.size == 2 and A_CELL in res.hidden.tolist() and res.greedy_size == 3
    assert res.threshold == 0.45 and res.stop_reason == "local_optimum"
    _check_flip(planted, res, threshold=0.45)
    # a threshold reached without changing the top class: new_class may still be the watched one
    mild = lw.minimal_flip(planted, threshold=0.7)
    assert mild.size == 1 and mild.new_class == 1 and mild.label_score_after is not None
    assert mild.label_score_after < 0.7


def test_minimal_flip_max_size(additive):
    _, planted, calls = additive
    # the greedy prefixes of length <= 2 never flip: swaps from the 2-prefix find A, then drop to it
    calls["images"] = 0
    res = lw.minimal_flip(planted, max_size=2)
    assert res.flipped and res.hidden.tolist() == [A_CELL] and res.greedy_size is None
    assert res.forward_passes == calls["images"]
    # no set of one cell brings p(yes) under 0.45
    none = lw.minimal_flip(planted, threshold=0.45, max_size=1)
    assert not none.flipped and none.size is None and none.hidden.size == 0
    assert none.stop_reason == "local_optimum"
    res = lw.minimal_flip(planted, threshold=0.45, max_size=3)
    assert res.size == 2


def test_minimal_flip_reports_no_flip():
    from ..helpers import cell_image, linear_model

    beta = np.zeros(64)
    beta[5] = 0.1
    clf = linear_model(beta, base=0.7)  # p(yes) >= 0.7 whatever is hidden
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=40, classes=[1], progress=False
    )
    res = lw.minimal_flip(exp)
    assert not res.flipped and res.stop_reason == "no_flip" and res.greedy_size is None
    assert res.size is None and res.new_class is None and res.label_score_after is None
    assert res.greedy_passes == res.forward_passes == 64


def test_minimal_flip_rejects_bad_arguments(additive):
    exp, _, _ = additive
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="budget"):
            lw.minimal_flip(exp, budget=bad)
    for bad in (0, 2.0, False):
        with pytest.raises(ValueError, match="max_size"):
            lw.minimal_flip(exp, max_size=bad)
    with pytest.raises(ValueError, match="batch_size"):
        lw.minimal_flip(exp, batch_size=0)
    for bad in (0.0, 1.5, -0.1, "0.5", True):
        with pytest.raises(ValueError, match="threshold"):
            lw.minimal_flip(exp, threshold=bad)
    with pytest.raises(ValueError, match="not the model's top class"):
        lw.minimal_flip(exp, label="no")
    with pytest.raises(ValueError, match="already"):
        lw.minimal_flip(exp, threshold=0.5, label="no")  # p(no) = 0.22 < 0.5 already
    with pytest.raises(lw.ClassLookupError, match="not explained"):
        lw.minimal_flip(exp, threshold=0.1, label="no")  # only class 1 was explained
    with pytest.raises(lw.ClassLookupError, match="unknown class"):
        lw.minimal_flip(exp, label="cat")
    with pytest.raises(RuntimeError, match="with_model"):
        lw.minimal_flip(lw.Explanation.from_json(exp.to_json()))
    with pytest.raises(TypeError, match="Explanation"):
        lw.minimal_flip("exp")  # type: ignore[arg-type]
