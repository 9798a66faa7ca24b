"""The live deletion/insertion curve (``_curve``): its job, its points and CurveBook, and through the widget the
curve equal to ``deletion_curve``, kept once done, pre-empted by clicks and stopped when hidden."""

from __future__ import annotations

import time

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget._curve import CurveBook, CurveJob, advance, curve_state, new_curve_job

from .support import K, click, sending_widget, sent_scores


def test_the_curve_equals_deletion_curve_and_is_kept(explained):
    w, _, sent = sending_widget(explained, prescore=False)
    try:
        assert w.curve == {}
        w.set_state({"show_curve": True})
        assert w.curve["state"] == "running" and w.curve["scores"][0] is not None  # all shown: cached
        assert w.wait_idle(20, background=True)
        exp = w.explanation
        label = w.selected_label
        ref = lw.deletion_curve(exp, lw.ranking_from_weights(exp.weights(label)), label)
        c = w.curve
        assert c["state"] == "done" and c["label"] == label and c["ranking"] == "lime" and c["mode"] == "deletion"
        assert c["order"] == ref.ranking.tolist() and c["counts"] == ref.counts.tolist()
        assert c["scores"] == ref.scores.tolist()
        assert c["area"] == pytest.approx(ref.area, abs=1e-12)
        assert w.background_passes == K  # K + 1 points, the first cached
        # every point's scores went to the view: clicking a point is answered at once
        got = sent_scores(sent)
        assert len(got) == K
        first5 = [bool(i not in c["order"][:5]) for i in range(K)]
        w.set_state({"visible": first5, "rev": w.rev + 1})
        assert w.scored_rev == w.rev and w.forward_passes == 0
        assert w.probabilities[label] == c["scores"][5]
        # insertion, then back: the finished deletion curve comes from memory
        w.set_state({"curve_mode": "insertion"})
        assert w.wait_idle(20, background=True)
        ins = lw.deletion_curve(exp, lw.ranking_from_weights(exp.weights(label)), label, mode="insertion")
        assert w.curve["mode"] == "insertion" and w.curve["scores"] == ins.scores.tolist()
        passes = w.background_passes
        w.set_state({"curve_mode": "deletion"})
        assert w.curve["state"] == "done" and w.curve["scores"] == c["scores"] and w.background_passes == passes
    finally:
        w.close()


def test_random_ranking_is_seeded_and_the_class_follows_the_selection(explained):
    w, _, _ = sending_widget(explained, prescore=False)
    try:
        w.show_curve = True
        w.curve_ranking = "random"
        assert w.wait_idle(20, background=True)
        exp = w.explanation
        assert w.curve["order"] == lw.random_ranking(K, exp.seed).tolist()
        other = exp.top_labels[1]
        w.set_state({"selected_label": other})
        assert w.wait_idle(20, background=True)
        assert w.curve["label"] == other and w.curve["state"] == "done"
        ref = lw.deletion_curve(exp, lw.random_ranking(K, exp.seed), other)
        assert w.curve["scores"] == ref.scores.tolist()
        with pytest.raises(Exception, match="gradcam=True"):
            w.curve_ranking = "gradcam"
    finally:
        w.close()


def test_a_click_preempts_the_curve_and_hiding_it_stops_the_work(explained):
    w, fn, _ = sending_widget(explained, prescore=False)
    try:
        fn.delay = 0.03
        w.set_state({"show_curve": True})
        time.sleep(0.2)
        click(w, 1, 2, 3)
        assert w.wait_idle(10)
        assert w.scored_rev == w.rev and w.curve["state"] == "running"
        assert any(x is None for x in w.curve["scores"])  # the click did not wait for the curve
        w.set_state({"show_curve": False})
        time.sleep(0.2)
        assert w._jobs.curve is None
        assert w.wait_idle(10, background=True)
        passes = w.background_passes
        assert passes < K
        w.set_state({"show_curve": True})  # resumes: what was scored is cached
        assert w.wait_idle(20, background=True)
        assert w.curve["state"] == "done" and None not in w.curve["scores"]
        assert w.background_passes <= K + 1
    finally:
        w.close()


def test_a_failing_model_makes_the_curve_an_error_not_a_hang(explained):
    w, _, _ = sending_widget(explained, prescore=False)
    try:
        w._exp = w.explanation.with_model(lw.FunctionClassifier(lambda b: 1 / 0, class_names=["dark", "bright"]))
        w.set_state({"show_curve": True})
        assert w.wait_idle(10, background=True)
        assert w.curve["state"] == "error" and "ZeroDivisionError" in w.curve["message"]
    finally:
        w.close()
