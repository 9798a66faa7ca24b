"""Hostile front-end messages: nothing bad gets into the widget, every rejection shows, the scorer thread ends.

Each case sends one bad message through ``LimeWidget.set_state`` (what ipywidgets calls for a front-end
``update``) and checks that it is rejected as a whole: the kernel's state is unchanged, ``error`` names the
field, the status is "error" (never left on "scoring"), the true values are re-sent, nothing is scored, and
a following good click still works and clears the error.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from ipywidgets.widgets import widget as ipywidget

import lime_widget as lw
from lime_widget.widget.explorer import FRONT_END_TRAITS, LimeWidget

from ..helpers import cell_image, cell_segments
from ..widget.test_explorer import SlowCounting

K = 64  # superpixels of cell_segments()
START_REV = 2  # every widget starts after two clicks, so that "backwards" and "equal" revs exist
LABELS = [1, 0]  # the explained classes, best first ("bright", "dark")
OWNED = [
    "_anywidget_id",
    "_css",
    "_dom_classes",
    "_esm",
    "_model_module",
    "_model_module_version",
    "_model_name",
    "_view_count",
    "_view_module",
    "_view_module_version",
    "_view_name",
    "classes",
    "curve",
    "flip",
    "error",
    "height",
    "hidden_png",
    "history",
    "image_png",
    "layout",
    "original_scores",
    "scored_rev",
    "scores",
    "segments_bytes",
    "segments_dtype",
    "status",
    "surrogate",
    "tabbable",
    "tooltip",
    "width",
]
HOSTILE_OWNED_VALUES: dict[str, Any] = {
    "classes": [{"id": 0, "name": "evil", "weights": [1e9] * K}],
    "error": "",
    "height": 10**6,
    "hidden_png": b"\x00" * 16,
    "history": [{"rev": 999}] * 10_000,
    "image_png": b"<script>",
    "layout": None,
    "original_scores": [],
    "scored_rev": START_REV + 1,
    "scores": [{"id": 1, "name": "bright", "prob": 1.0, "rank": 1}],
    "segments_bytes": b"\xff" * 8,
    "segments_dtype": "float64",
    "status": "scoring",
    "surrogate": [float("nan")],
    "width": -1,
}


def toggled(seg: int = 0) -> list[bool]:
    vis = [True] * K
    vis[seg] = False
    return vis


def cases() -> list[Any]:
    """(message, the field the error must name, the traits that must be re-sent)."""
    out: list[Any] = []

    def case(name: str, message: Any, field: str, resend: set[str]) -> None:
        out.append(pytest.param(message, field, resend, id=name))

    # ---- every trait the kernel owns, alone and riding along with nothing else bad
    for trait in OWNED:
        case(f"owned-{trait}", {trait: HOSTILE_OWNED_VALUES.get(trait, "hostile")}, trait, {trait})
    case("owned-scored_rev-with-bad-rev", {"scored_rev": START_REV, "rev": START_REV}, "scored_rev", {"scored_rev"})
    # ---- bad revisions (with a good mask)
    bad_revs: dict[str, Any] = {
        "negative": -1,
        "zero": 0,
        "backwards": START_REV - 1,
        "equal": START_REV,
        "above-safe": 2**53,
        "2**70": 2**70,
        "10**400": 10**400,
        "float": float(START_REV + 1),
        "fraction": START_REV + 0.5,
        "nan": float("nan"),
        "inf": float("inf"),
        "string": str(START_REV + 1),
        "null": None,
        "bool": True,
        "list": [START_REV + 1],
        "dict": {"rev": START_REV + 1},
    }
    for name, rev in bad_revs.items():
        case(f"rev-{name}", {"visible": toggled(), "rev": rev}, "rev", {"visible", "rev"})
    case("rev-alone-backwards", {"rev": START_REV - 1}, "rev", {"visible", "rev"})
    case("rev-alone-string", {"rev": "3"}, "rev", {"visible", "rev"})
    # ---- bad masks (with a good rev)
    bad_visible: dict[str, Any] = {
        "short": [True] * (K - 1),
        "long": [True] * (K + 1),
        "empty": [],
        "huge": [True] * 1_000_000,
        "ints": [1] * K,
        "zeros": [0] * K,
        "strings": ["true"] * K,
        "nulls": [None] * K,
        "one-null": [*toggled()[:-1], None],
        "one-float": [*toggled()[:-1], 1.0],
        "nested": [[True]] * K,
        "null": None,
        "dict": {str(i): True for i in range(K)},
        "string": "all",
        "int": K,
        "bool": True,
    }
    for name, vis in bad_visible.items():
        case(f"visible-{name}", {"visible": vis, "rev": START_REV + 1}, "visible", {"visible", "rev"})
    case("visible-changed-without-rev", {"visible": toggled()}, "visible", {"visible", "rev"})
    # ---- bad view settings
    bad_labels: dict[str, Any] = {
        "not-explained": 99,
        "negative": -1,
        "no-such-class": 2,
        "bool-true": True,
        "bool-false": False,
        "float": 1.0,
        "string-id": "1",
        "name": "bright",
        "null": None,
        "list": [1],
        "dict": {"id": 1},
        "2**70": 2**70,
    }
    for name, label in bad_labels.items():
        case(f"selected_label-{name}", {"selected_label": label}, "selected_label", {"selected_label"})
    bad_top_k: dict[str, Any] = {
        "zero": 0,
        "negative": -3,
        "above-K": K + 1,
        "huge": 10**9,
        "bool": True,
        "float": 3.0,
        "string": "3",
        "null": None,
        "list": [3],
    }
    for name, k in bad_top_k.items():
        case(f"top_k-{name}", {"top_k": k}, "top_k", {"top_k"})
    bad_heatmap: dict[str, Any] = {
        "one": 1,
        "zero": 0,
        "string-false": "false",
        "string-true": "true",
        "null": None,
        "list": [],
        "dict": {},
    }
    for name, on in bad_heatmap.items():
        case(f"show_heatmap-{name}", {"show_heatmap": on}, "show_heatmap", {"show_heatmap"})
    bad_opacity: dict[str, Any] = {
        "negative": -0.1,
        "above-one": 1.5,
        "nan": float("nan"),
        "inf": float("inf"),
        "bool": True,
        "string": "0.5",
        "null": None,
        "list": [0.5],
    }
    for name, o in bad_opacity.items():
        case(f"heatmap_opacity-{name}", {"heatmap_opacity": o}, "heatmap_opacity", {"heatmap_opacity"})
    # this widget was made without gradcam=True: only "lime" is available
    bad_method: dict[str, Any] = {
        "gradcam-unavailable": "gradcam",
        "upper": "LIME",
        "int": 3,
        "null": None,
        "list": ["lime"],
    }
    for name, m in bad_method.items():
        case(f"heatmap_method-{name}", {"heatmap_method": m}, "heatmap_method", {"heatmap_method"})
    bad_curve_flag: dict[str, Any] = {"one": 1, "string": "true", "null": None, "list": [True]}
    for name, on in bad_curve_flag.items():
        case(f"show_curve-{name}", {"show_curve": on}, "show_curve", {"show_curve"})
    # no gradcam=True: "lime" and "random" only
    bad_ranking: dict[str, Any] = {
        "gradcam-unavailable": "gradcam",
        "upper": "LIME",
        "unknown": "shap",
        "int": 0,
        "null": None,
        "list": ["lime"],
    }
    for name, r in bad_ranking.items():
        case(f"curve_ranking-{name}", {"curve_ranking": r}, "curve_ranking", {"curve_ranking"})
    bad_mode: dict[str, Any] = {"unknown": "removal", "upper": "Deletion", "int": 1, "null": None, "dict": {}}
    for name, m in bad_mode.items():
        case(f"curve_mode-{name}", {"curve_mode": m}, "curve_mode", {"curve_mode"})
    # ---- fields that do not exist
    for key in ["n_segments", "foo", "", "__class__", "_trait_values", "keys", "comm", "_jobs", "explanation"]:
        case(f"unknown-{key or 'empty'}", {key: 1}, repr(key), set())
    case("unknown-long-name", {"x" * 10_000: 1}, "'xxxxxxxxxx", set())
    case("unknown-thousand-keys", {f"k{i}": i for i in range(1000)}, "'k0'", set())
    return out


CASES = cases()


@pytest.fixture(scope="module")
def explanation() -> tuple[lw.Explanation, SlowCounting]:
    fn = SlowCounting()
    clf = lw.FunctionClassifier(fn, class_names=["dark", "bright"])
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=80, top_labels=2, progress=False
    )
    assert exp.top_labels == LABELS
    return exp, fn


@pytest.fixture
def widget(explanation: tuple[lw.Explanation, SlowCounting]) -> Iterator[tuple[LimeWidget, SlowCounting]]:
    exp, fn = explanation
    w = LimeWidget(exp, prescore=False)
    w.set_state({"visible": toggled(5), "rev": 1})
    w.set_state({"visible": [True] * K, "rev": START_REV})
    assert w.wait_idle(10)
    assert w.rev == w.scored_rev == START_REV and w.status == "ready" and w.error == ""
    fn.delay = 0.0
    fn.calls = 0
    yield w, fn
    w.close()


def kernel_state(w: LimeWidget) -> dict[str, Any]:
    """Every synced trait but the two a rejection writes (error, status)."""
    state = w.get_state()
    del state["error"], state["status"]
    return state


def record_resends(w: LimeWidget) -> list[str]:
    sent: list[str] = []
    original = w.send_state

    def send_state(key: Any = None) -> None:
        sent.extend([key] if isinstance(key, str) else list(key or ["<all>"]))
        original(key)

    w.send_state = send_state  # type: ignore[method-assign]
    return sent


def good_click_still_works(w: LimeWidget, fn: SlowCounting) -> None:
    vis = toggled(7)
    w.set_state({"visible": vis, "rev": w.rev + 1})
    assert w.wait_idle(10)
    assert w.error == "" and w.status == "ready"
    assert w.scored_rev == w.rev and w.visible == vis
    np.testing.assert_array_equal(w.probabilities, w.explanation.rescore(np.array(vis)))


def test_there_are_many_cases_and_every_owned_trait_is_one(widget):
    w, _ = widget
    assert len(CASES) >= 60
    assert set(w.keys) - FRONT_END_TRAITS == set(OWNED)


@pytest.mark.parametrize(("message", "field", "resend"), CASES)
def test_hostile_message_is_rejected_shown_and_resent(widget, message, field, resend):
    w, fn = widget
    before = kernel_state(w)
    passes = w.forward_passes
    sent = record_resends(w)
    w.set_state(message)
    assert w.wait_idle(10)
    assert kernel_state(w) == before  # nothing of the message got in
    assert w.status == "error" and w.status != "scoring"
    assert "rejected" in w.error and field in w.error, w.error
    assert len(w.error) < 2000  # a huge message never becomes a huge error line
    assert resend <= set(sent)  # the true values go back to the view
    assert fn.calls == 0 and w.forward_passes == passes  # nothing was scored
    good_click_still_works(w, fn)


@pytest.mark.parametrize("message", [None, [1, 2], "visible", 5])
def test_a_message_that_is_not_an_object_is_rejected(widget, message):
    w, fn = widget
    before = kernel_state(w)
    w.set_state(message)
    assert kernel_state(w) == before
    assert w.status == "error" and "rejected" in w.error and "object" in w.error
    good_click_still_works(w, fn)


def test_good_values_at_the_edges_are_accepted(widget):
    w, _ = widget
    w.set_state({"top_k": 1})
    w.set_state({"top_k": K})
    w.set_state({"show_heatmap": False})
    w.set_state({"heatmap_opacity": 0})  # JSON has no int/float distinction: an integer 0 or 1 is fine
    assert w.heatmap_opacity == 0.0
    w.set_state({"heatmap_opacity": 1})
    w.set_state({"selected_label": 0})
    w.set_state({"visible": toggled(3), "rev": 2**53 - 1})  # the largest safe integer, any jump forwards
    assert w.wait_idle(10)
    assert (w.top_k, w.show_heatmap, w.heatmap_opacity, w.selected_label) == (K, False, 1.0, 0)
    assert w.rev == w.scored_rev == 2**53 - 1 and w.status == "ready" and w.error == ""
    w.set_state({"rev": 2**53})  # one more is out of range
    assert w.rev == 2**53 - 1 and w.status == "error" and "rev" in w.error
    w.set_state({"visible": toggled(3)})  # an unchanged visible without rev: nothing to do
    assert w.rev == 2**53 - 1 and w.visible == toggled(3)


def test_a_message_with_a_good_mask_and_an_owned_trait_applies_the_mask_and_keeps_the_error(widget):
    w, fn = widget
    sent = record_resends(w)
    n_history = len(w.history)
    w.set_state({"visible": toggled(9), "rev": START_REV + 1, "scored_rev": 12345, "history": []})
    assert w.wait_idle(10)
    assert w.rev == w.scored_rev == START_REV + 1 and w.visible == toggled(9)  # the mask was scored
    assert len(w.history) == n_history + 1  # the history was not wiped
    assert w.status == "error" and "scored_rev" in w.error and "history" in w.error  # scoring kept the error
    assert {"scored_rev", "history"} <= set(sent)
    good_click_still_works(w, fn)


def test_the_front_ends_top_k_action_with_a_bad_top_k_still_applies_its_mask(widget):
    w, fn = widget
    w.set_state({"top_k": 0, "visible": toggled(2), "rev": START_REV + 1})
    assert w.wait_idle(10)
    assert w.top_k == 5 and w.visible == toggled(2) and w.scored_rev == START_REV + 1
    assert w.status == "error" and "top_k" in w.error
    w.set_state({"top_k": 3, "visible": toggled(2), "rev": START_REV})  # a good k with a stale rev
    assert w.top_k == 3 and w.rev == START_REV + 1 and "rev" in w.error
    good_click_still_works(w, fn)


def test_many_problems_are_summed_up(widget):
    w, _ = widget
    w.set_state({"scores": [], "width": 1, "height": 1, "status": "ready", "top_k": -1, "show_heatmap": "x", "foo": 1})
    assert w.status == "error" and "and 2 more problems" in w.error


def test_view_count_is_written_by_the_front_end_only_once_python_turned_it_on(widget):
    w, _ = widget
    w.set_state({"_view_count": 1})
    assert w._view_count is None and "_view_count" in w.error
    w._view_count = 0
    w.set_state({"_view_count": 2})
    assert w._view_count == 2
    w.set_state({"_view_count": -1})
    assert w._view_count == 2 and "_view_count" in w.error


def test_a_rejection_while_scoring_does_not_leave_the_status_on_scoring(widget):
    w, fn = widget
    fn.delay = 0.3
    w.set_state({"visible": toggled(4), "rev": START_REV + 1})
    assert w.status == "scoring"
    w.set_state({"rev": -5})
    assert w.status == "error" and "rev" in w.error
    assert w.wait_idle(10)
    assert w.scored_rev == w.rev == START_REV + 1 and w.status == "error" and "rev" in w.error
    fn.delay = 0.0
    good_click_still_works(w, fn)


# ---------------------------------------------------------------------- the scorer thread


def wait_until(predicate: Any, timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        gc.collect()
        time.sleep(0.02)
    return predicate()


def test_close_stops_the_thread_and_wait_idle_returns_at_once(explanation):
    exp, fn = explanation
    w = LimeWidget(exp, prescore=False)
    fn.delay = 0.5
    try:
        w.set_state({"visible": toggled(11), "rev": 1})
        thread = w.scorer_thread
        assert thread is not None and thread.is_alive()
        t0 = time.monotonic()
        w.close()
        assert w.wait_idle(10)
        assert time.monotonic() - t0 < 0.2  # not waiting for the score in flight
        thread.join(2.0)
        assert not thread.is_alive() and w.scorer_thread is None
        w.set_state({"visible": toggled(12), "rev": 2})  # after close: no thread starts
        assert w.scorer_thread is None and w.wait_idle(0)
    finally:
        fn.delay = 0.0


def forget(w: LimeWidget) -> None:
    """Drop the kernel's own references without calling ``close()``. An open widget is held by ipywidgets'
    registry and by its comm (so that a displayed widget keeps working after its variable is gone): it can only
    be collected once those let go."""
    ipywidget._instances.pop(w.model_id, None)
    w.comm.close()


def test_a_closed_widget_can_be_collected(explanation):
    exp, _ = explanation
    w = LimeWidget(exp, prescore=False)
    w.set_state({"visible": toggled(14), "rev": 1})
    assert w.wait_idle(10)
    w.close()
    ref = weakref.ref(w)
    del w
    assert wait_until(lambda: ref() is None), "something keeps a closed widget alive"


@pytest.mark.parametrize("in_flight", [False, True])
def test_a_garbage_collected_widget_stops_its_thread(explanation, in_flight):
    exp, fn = explanation
    fn.delay = 0.3 if in_flight else 0.0
    try:
        w = LimeWidget(exp, prescore=False)
        w.set_state({"visible": toggled(13), "rev": 1})
        if not in_flight:
            assert w.wait_idle(10)
        thread = w.scorer_thread
        assert thread is not None and thread.is_alive()
        ref = weakref.ref(w)
        forget(w)
        del w
        assert wait_until(lambda: ref() is None), "the scorer thread keeps the widget alive"
        assert wait_until(lambda: not thread.is_alive(), timeout=1.5)
    finally:
        fn.delay = 0.0


def test_a_rerun_cell_leaves_no_thread_behind(explanation):
    """Re-running a cell drops the old widget, which ipywidgets keeps open: its idle thread still ends."""
    exp, _ = explanation
    before = {t for t in threading.enumerate() if t.name == "lime-widget-scorer"}
    widgets = []
    for i in range(5):
        w = LimeWidget(exp, prescore=False)
        w.scorer_idle_s = 0.2
        w.set_state({"visible": toggled(i), "rev": 1})
        assert w.wait_idle(10)
        widgets.append(w)
    assert wait_until(lambda: all(w.scorer_thread is None for w in widgets))
    assert wait_until(lambda: {t for t in threading.enumerate() if t.name == "lime-widget-scorer"} <= before)
    w = widgets[-1]
    w.set_state({"visible": toggled(20), "rev": 2})  # an idle widget starts a new thread on the next click
    assert w.wait_idle(10) and w.scorer_thread is not None
    assert w.scored_rev == 2 and w.status == "ready"
    np.testing.assert_array_equal(w.probabilities, exp.rescore(np.array(toggled(20))))
    for w in widgets:
        w.close()


def test_a_repeated_update_is_a_silent_no_op(widget):
    """marimo delivers each front-end update twice (comm, then the UI element's value): not an error."""
    w, fn = widget
    vis = toggled(3)
    message = {"visible": vis, "rev": w.rev + 1}
    w.set_state(dict(message))
    assert w.wait_idle(10)
    calls = fn.calls
    w.set_state(dict(message))
    w.set_state({"rev": message["rev"]})
    assert w.wait_idle(10)
    assert w.error == "" and w.status == "ready"
    assert w.rev == w.scored_rev == message["rev"] and w.visible == vis
    assert fn.calls == calls  # nothing re-scored
    # the same rev with another mask is still refused
    w.set_state({"visible": toggled(4), "rev": message["rev"]})
    assert "not newer" in w.error and w.visible == vis
