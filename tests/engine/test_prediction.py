"""predict: one image through the explanation's own preprocessing."""

from __future__ import annotations

import numpy as np

import lime_widget as lw

from ..helpers import cell_segments


def test_predict_matches_the_explanations_original_scores(planted, embedded_model):
    img, clf, _ = planted
    exp = lw.explain(img, clf, segments=cell_segments(), hide="gray", num_samples=20, progress=False)
    np.testing.assert_array_equal(lw.predict(img, clf).probabilities, exp.probabilities)
    pred = lw.predict(lw.sample_image("chelsea"), embedded_model)
    assert pred.top(1)[0][0] == "Egyptian cat" and pred.class_names[pred.top_label] == "Egyptian cat"
    assert [name for name, _ in pred.top(3)] == ["Egyptian cat", "tabby", "tiger cat"]
