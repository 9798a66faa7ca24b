"""The live deletion/insertion curve (``_curve``): its job, its points and CurveBook, and through the widget the
curve equal to ``deletion_curve``, kept once done, pre-empted by clicks and stopped when hidden."""

from __future__ import annotations

import time

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget._curve import CurveBook, CurveJob, advance, curve_state, new_curve_job

from .support import K, click, sending_widget, sent_scores


class FakeJobs:
    """Stands in for the scheduler: the curve it scores (set_curve)."""

    def __init__(self) -> None:
        self.curve: CurveJob | None = None

    def set_curve(self, job: CurveJob | None) -> None:
        self.curve = job


def no_cache(_mask: np.ndarray) -> None:
    return None


# ---------------------------------------------------------------------- the job and its points
def test_a_new_job_fills_its_cached_points_and_advance_scores_a_batch_at_a_time(counted):
    exp, fn = counted
    label = exp.top_labels[0]
    all_shown = np.ones(K, dtype=bool)
    job = new_curve_job(exp, {}, (label, "lime", "deletion"), lambda m: exp.probabilities if m.all() else None)
    assert job.order.tolist() == lw.ranking_from_weights(exp.weights(label)).tolist()
    assert job.masks.shape == (K + 1, K) and job.masks[0].tolist() == all_shown.tolist()
    assert job.scores[0] == exp.probabilities[label] and np.isnan(job.scores[1:]).all()  # the cached point
    fn.images = 0
    masks, probs = advance(job, exp, no_cache, 5)
    assert fn.images == 5 and masks.tolist() == job.masks[1:6].tolist()
    np.testing.assert_array_equal(probs, exp.rescore_many(job.masks[1:6]))
    assert job.scores[1:6].tolist() == probs[:, label].tolist() and not job.done()
    cached = {m.tobytes(): p for m, p in zip(job.masks[6:], exp.rescore_many(job.masks[6:]), strict=True)}
    fn.images = 0
    masks, probs = advance(job, exp, lambda m: cached.get(m.tobytes()), 5)  # every point left is cached
    assert fn.images == 0 and masks.shape == (0, K) and probs.shape == (0, 2) and job.done()
    ref = lw.deletion_curve(exp, job.order, label)
    assert job.scores.tolist() == ref.scores.tolist()


def test_the_curve_state_of_a_running_and_a_finished_job(counted):
    exp, _ = counted
    label = exp.top_labels[1]
    job = new_curve_job(exp, {}, (label, "random", "insertion"), no_cache)
    running = curve_state(exp, job, "running")
    assert running["state"] == "running" and running["label_name"] == exp.class_names[label]
    assert running["order"] == lw.random_ranking(K, exp.seed).tolist()
    assert running["scores"] == [None] * (K + 1) and running["area"] is None and running["mode"] == "insertion"
    advance(job, exp, no_cache, K + 1)
    done = curve_state(exp, job, "done")
    ref = lw.deletion_curve(exp, job.order, label, mode="insertion")
    assert done["scores"] == ref.scores.tolist() and done["area"] == pytest.approx(ref.area, abs=1e-12)
    assert curve_state(exp, job, "error", "boom")["message"] == "boom"


def test_the_curve_book_keeps_finished_curves_and_the_newest_request_wins(counted):
    exp, _ = counted
    jobs = FakeJobs()
    book = CurveBook(jobs)  # type: ignore[arg-type]
    key = (exp.top_labels[0], "lime", "deletion")
    shown = book.request(key, exp, {}, no_cache)
    job = jobs.curve
    assert shown is not None and shown["state"] == "running" and job is not None and job.key == key
    assert book.request(key, exp, {}, no_cache) is None and jobs.curve is job  # already being scored
    advance(job, exp, no_cache, 10)
    job.published = time.monotonic()  # just published: a partial curve is not due yet
    assert book.progress(job, exp) is None and jobs.curve is job
    advance(job, exp, no_cache, K + 1)
    done = book.progress(job, exp)
    assert done is not None and done["state"] == "done" and jobs.curve is None and book.finished[key] == done
    other = (exp.top_labels[0], "lime", "insertion")
    book.request(other, exp, {}, no_cache)
    assert jobs.curve is not None and jobs.curve.key == other
    assert book.request(key, exp, {}, no_cache) == done and jobs.curve is None  # from memory, the other stopped
    book.request(other, exp, {}, no_cache)
    assert book.request(None, exp, {}, no_cache) is None and jobs.curve is None  # hidden: stop


def test_the_curve_book_shows_an_error_only_for_the_curve_on_show(counted):
    exp, _ = counted
    jobs = FakeJobs()
    book = CurveBook(jobs)  # type: ignore[arg-type]
    book.request((exp.top_labels[0], "lime", "deletion"), exp, {}, no_cache)
    old = jobs.curve
    assert old is not None
    book.request((exp.top_labels[1], "lime", "deletion"), exp, {}, no_cache)
    assert book.failed(old, exp, RuntimeError("late")) is None and jobs.curve is not old  # superseded: ignored
    assert book.progress(old, exp) is None  # nor published
    current = jobs.curve
    assert current is not None
    state = book.failed(current, exp, ZeroDivisionError("boom"))
    assert state is not None and state["state"] == "error" and state["message"] == "ZeroDivisionError: boom"
    assert jobs.curve is None


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
