"""Widget protocol in Python, no browser: traits, rev/scored_rev, latest click wins, cache, validation."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments
from .support import SlowCounting, front_end_toggle, make_widget, sending_widget, slow_widget


def test_initial_state_is_complete_and_consistent():
    w, _ = make_widget()
    exp = w.explanation
    assert w.n_segments == 64 and len(w.visible) == 64 and all(w.visible)
    assert w.width == 64 and w.height == 64
    seg = np.frombuffer(w.segments_bytes, dtype="<u2").reshape(w.height, w.width)
    np.testing.assert_array_equal(seg, cell_segments())
    assert w.image_png.startswith(b"\x89PNG") and w.hidden_png.startswith(b"\x89PNG")
    assert [lab["id"] for lab in w.classes] == exp.top_labels
    assert w.classes[0]["weights"] == pytest.approx(list(exp.weights(exp.top_labels[0])))
    assert w.rev == 0 and w.scored_rev == 0 and w.status == "ready" and w.error == ""
    assert w.selected_label == exp.top_labels[0]
    assert {r["id"] for r in w.scores} == {0, 1}


def test_click_scores_exactly_that_mask():
    w, fn = make_widget()
    front_end_toggle(w, 5)
    assert w.wait_idle(10)
    assert fn.calls == 1
    assert w.scored_rev == w.rev == 1 and w.status == "ready"
    mask = np.ones(64, bool)
    mask[5] = False
    expected = w.explanation.rescore(mask)
    got = {r["id"]: r["prob"] for r in w.scores}
    assert got[1] == expected[1] and got[0] == expected[0]
    assert w.surrogate[w.explanation.top_labels.index(1)] == pytest.approx(w.explanation.surrogate_prediction(mask, 1))
    assert w.history[-1]["hidden"] == [5] and w.history[-1]["rev"] == 1
    assert w.history[-1]["score"] == pytest.approx(expected[w.selected_label])


def test_toggling_back_and_undo_use_the_cache():
    w, fn = make_widget()
    front_end_toggle(w, 3)
    w.wait_idle(10)
    front_end_toggle(w, 3)  # back to the original: cached from the start
    w.wait_idle(10)
    front_end_toggle(w, 3)  # hidden again: cached
    w.wait_idle(10)
    assert fn.calls == 1 and w.forward_passes == 1
    assert w.scored_rev == 3


def test_burst_of_200_toggles_settles_on_the_final_mask_without_backlog():
    w, fn = make_widget(delay=0.05)
    rng = np.random.default_rng(0)
    seen: list[tuple[int, int]] = []
    w.observe(lambda c: seen.append((w.scored_rev, w.rev)), names=["scored_rev"])
    for seg in rng.integers(0, 64, size=200):
        front_end_toggle(w, int(seg))
    assert w.rev == 200
    assert w.wait_idle(30)
    final = np.array(w.visible, dtype=bool)
    expected = w.explanation.rescore(final)
    got = {r["id"]: r["prob"] for r in w.scores}
    assert got[1] == expected[1]
    assert w.scored_rev == w.rev == 200
    assert w.forward_passes < 200 and fn.calls < 200
    # Nothing stale was ever published as current: a published scored_rev never goes backwards.
    revs = [s for s, _ in seen]
    assert revs == sorted(revs)


def test_visible_set_from_python_bumps_rev_and_is_scored():
    w, _ = make_widget()
    vis = [True] * 64
    vis[10] = vis[11] = False
    w.visible = vis
    assert w.rev == 1
    assert w.wait_idle(10)
    assert w.scored_rev == 1
    np.testing.assert_array_equal(w.probabilities, w.explanation.rescore(np.array(vis)))
    with pytest.raises(Exception, match="64 entries"):
        w.visible = [True] * 3


def test_model_errors_become_messages_in_the_widget():
    fn = SlowCounting()
    state = {"fail": False}

    def flaky(batch):
        if state["fail"]:
            raise RuntimeError("GPU on fire")
        return fn(batch)

    exp = lw.explain(
        cell_image(),
        lw.FunctionClassifier(flaky),
        segments=cell_segments(),
        hide="black",
        num_samples=40,
        progress=False,
    )
    w = LimeWidget(exp)
    state["fail"] = True
    front_end_toggle(w, 1)
    w.wait_idle(10)
    assert w.status == "error" and "GPU on fire" in w.error
    assert w.scored_rev == 0  # the failed mask is never shown as scored


def test_to_png_and_explore():
    import io

    from PIL import Image

    from lime_widget.core.segmentation import boundary_mask

    w, _ = make_widget()
    exp = w.explanation
    hidden = 9
    w.visible = [i != hidden for i in range(w.n_segments)]
    assert w.wait_idle()
    view = np.asarray(Image.open(io.BytesIO(w.to_png(alpha=0.45))).convert("RGB")).astype(float)
    assert view.shape == exp.image.shape
    edges = boundary_mask(exp.segments)
    np.testing.assert_array_equal(view[edges], np.tile([255, 255, 153], (int(edges.sum()), 1)))
    inside = (exp.segments == hidden) & ~edges
    # the hidden cell shows the fill (black) under the heatmap: darker than where the image is visible
    assert view[inside].mean() < view[(exp.segments == 0) & ~edges].mean() - 20
    # the heatmap colours follow the weights' signs (RdBu: blue for positive, red for negative): every
    # visible cell makes "bright" more likely (positive weights) and "dark" less likely (negative ones)
    plain = exp.image.astype(float)
    where = (exp.segments == int(np.argmax(exp.weights("bright")))) & ~edges
    assert exp.weights("bright").min() > 0 and exp.weights("dark").max() < 0
    for name, sign in (("bright", 1), ("dark", -1)):
        w.selected_label = exp.class_names.index(name)
        view = np.asarray(Image.open(io.BytesIO(w.to_png(alpha=0.45))).convert("RGB")).astype(float)
        overlay = ((view[where] - 0.55 * plain[where]) / 0.45).mean(axis=0)  # undo the alpha blend
        assert sign * (overlay[2] - overlay[0]) > 50, (name, overlay)
    w2 = lw.explore(
        cell_image(),
        lw.FunctionClassifier(SlowCounting()),
        segments=cell_segments(),
        hide="black",
        num_samples=20,
        progress=False,
        max_display_side=32,
    )
    assert (w2.width, w2.height) == (32, 32) and len(w2.segments_bytes) == 32 * 32 * 2


def test_explanation_without_model_is_refused():
    w, _ = make_widget()
    loaded = lw.Explanation.from_json(w.explanation.to_json())
    with pytest.raises(ValueError, match="with_model"):
        LimeWidget(loaded)
    with pytest.raises(TypeError):
        LimeWidget("not an explanation")  # type: ignore[arg-type]


def test_classes_carry_the_uncertainty_of_each_weight():
    w, _ = make_widget()
    exp = w.explanation
    for info in w.classes:
        c = info["id"]
        assert info["std"] == pytest.approx(list(exp.weight_std(c)))
        assert info["confidence"] == pytest.approx(list(exp.top_k_confidence(c, k=5)))
        assert info["confidence_k"] == 5 and info["stability"] == pytest.approx(exp.stability(c))
    bare = LimeWidget(
        lw.explain(
            cell_image(),
            lw.FunctionClassifier(SlowCounting()),
            segments=cell_segments(),
            hide="black",
            num_samples=20,
            refits=0,
            progress=False,
        )
    )
    assert bare.classes[0]["std"] is None and bare.classes[0]["stability"] is None


# ---------------------------------------------------------------------- sharing without a kernel
def _saved_state(path):
    import base64
    import json
    import re

    text = path.read_text()
    data = json.loads(re.search(r'id="lime-widget-state">(.*?)</script>', text, re.S).group(1))
    return text, {
        k: base64.b64decode(v["$bytes"]) if isinstance(v, dict) and "$bytes" in v else v for k, v in data.items()
    }


def test_save_html_holds_the_view_as_it_is_and_nothing_to_fetch(tmp_path):
    w, _ = make_widget()
    try:
        vis = list(w.visible)
        vis[2] = False
        w.set_state({"visible": vis, "rev": 1, "heatmap_opacity": 0.7})
        assert w.wait_idle(10)
        path = w.save_html(tmp_path / "w.html")
        text, state = _saved_state(path)
        for name in ("visible", "rev", "scored_rev", "history", "scores", "classes", "heatmap_opacity", "width"):
            assert state[name] == getattr(w, name), name
        assert state["image_png"] == w.image_png and state["segments_bytes"] == w.segments_bytes
        assert "default-src 'none'" in text  # the page may not load anything
        assert "limeWidgetStandalone.mount" in text
        assert not list(tmp_path.glob("*.tmp"))  # written atomically
    finally:
        w.close()


def test_save_html_refuses_a_folder_or_a_missing_folder(tmp_path):
    w, _ = make_widget()
    try:
        with pytest.raises(IsADirectoryError, match="file name"):
            w.save_html(tmp_path)
        with pytest.raises(FileNotFoundError, match="does not exist"):
            w.save_html(tmp_path / "nope" / "w.html")
    finally:
        w.close()


def test_explanation_to_html_is_a_fresh_view(tmp_path):
    w, _ = make_widget()
    try:
        exp = w.explanation
        _, state = _saved_state(exp.to_html(tmp_path / "e.html"))
        assert state["visible"] == [True] * exp.n_segments and state["rev"] == 0 and state["history"] == []
        assert state["classes"] == w.classes and state["original_scores"] == w.original_scores
    finally:
        w.close()


# ---------------------------------------------------------------------- smallest flip
def test_find_flip_runs_minimal_flip_in_the_background_and_publishes_it():
    w, _ = make_widget()
    try:
        w.flip_budget = 150
        res = w.find_flip(wait=True, timeout=60)
        assert res is not None
        expected = lw.minimal_flip(w.explanation, w.selected_label, budget=150)
        assert w.flip["state"] == "done" and w.flip["label"] == w.selected_label
        assert w.flip["hidden"] == [int(i) for i in expected.hidden] == [int(i) for i in res.hidden]
        assert w.flip["flipped"] == expected.flipped and w.flip["forward_passes"] == expected.forward_passes
        assert w.flip["forward_passes"] <= 150
    finally:
        w.close()


# ---------------------------------------------------------------------- masks and their revs
def test_a_mask_set_from_python_goes_to_the_view_with_its_rev(explained):
    """One message holds the new mask and its rev: the view never holds the new mask with the old rev (whose
    scores it would otherwise take, and remember, for the new mask)."""
    w, _, _ = sending_widget(explained, prescore=False)
    calls: list[set[str]] = []
    original = w.send_state

    def send_state(key: Any = None) -> None:
        calls.append({key} if isinstance(key, str) else set(key or ["<all>"]))
        original(key)

    w.send_state = send_state  # type: ignore[method-assign]
    try:
        rev = w.rev
        vis = list(w.visible)
        vis[5] = False
        w.visible = vis
        with_visible = [c for c in calls if "visible" in c]
        assert len(with_visible) == 1 and "rev" in with_visible[0], calls
        assert not [c for c in calls if "rev" in c and "visible" not in c], calls
        assert w.rev == rev + 1
        assert w.wait_idle(10) and w.scored_rev == w.rev
    finally:
        w.close()


def test_a_setting_assigned_from_another_thread_is_never_lost_from_a_held_message(explained):
    """ipywidgets keeps one set of held traits per widget: an assignment from one thread while another holds the
    sync (the scorer publishing) must not add to it after that thread sent it."""
    w, _, _ = sending_widget(explained, prescore=False)
    main = threading.current_thread()
    adding = threading.Event()

    class SlowSet(set):
        def add(self, item: Any) -> None:
            if threading.current_thread() is not main:
                adding.set()
                time.sleep(0.3)  # the other thread saw the sync held; now it loses the CPU before adding
            super().add(item)

    w._trait_values["_states_to_send"] = SlowSet()
    sent: list[set[str]] = []
    original = w.send_state

    def send_state(key: Any = None) -> None:
        sent.append({key} if isinstance(key, str) else set(key or ["<all>"]))
        original(key)

    w.send_state = send_state  # type: ignore[method-assign]
    other = threading.Thread(target=lambda: setattr(w, "top_k", 3))
    try:
        with w._lock, w.hold_sync():  # as the scorer publishing
            w.status = "scoring"
            other.start()
            adding.wait(1)
        other.join(5)
        assert w.top_k == 3 and any("top_k" in keys for keys in sent), sent
    finally:
        w.close()


def test_every_front_end_mask_is_recorded_once_even_from_the_cache(explanation, monkeypatch):
    # A message changes visible and rev together and both observers fire; when the first job is a cache hit
    # the scorer could publish it before the second observer ran, which then scored and recorded it again.
    # A pause after each observer call gives the scorer thread that chance every time.
    observer = LimeWidget._on_mask_change

    def slow_observer(self: LimeWidget, change: dict[str, Any]) -> None:
        observer(self, change)
        time.sleep(0.01)

    monkeypatch.setattr(LimeWidget, "_on_mask_change", slow_observer)
    w = slow_widget(explanation)
    try:
        masks = [list(w.visible), [not v if i == 0 else v for i, v in enumerate(w.visible)]]
        for rev in range(1, 31):
            w.set_state({"visible": masks[rev % 2], "rev": rev})
            assert w.wait_idle(10)
        revs = [h["rev"] for h in w.history]
        assert revs == sorted(set(revs)) and revs[-1] == 30, revs
        assert w.status == "ready" and w.scored_rev == 30
    finally:
        w.close()
