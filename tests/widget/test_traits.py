"""One table of rules for the explorer's settings: assignments from Python are checked like front-end messages."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import lime_widget as lw
from lime_widget.widget._traits import Limits, check_switch, screen
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments

K = 64


@pytest.fixture(scope="module")
def exp() -> lw.Explanation:
    def fn(batch: np.ndarray) -> np.ndarray:
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)

    clf = lw.FunctionClassifier(fn, class_names=["dark", "bright"])
    return lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=60, top_labels=2, progress=False
    )


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("selected_label", 999, r"choose one of \[1, 0\]"),
        ("selected_label", True, r"choose one of"),
        ("top_k", 0, f"between 1 and {K}"),
        ("top_k", K + 1, f"between 1 and {K}"),
        ("top_k", True, f"between 1 and {K}"),
        ("heatmap_opacity", 1.5, "between 0 and 1"),
        ("heatmap_opacity", -0.1, "between 0 and 1"),
        ("heatmap_opacity", float("nan"), "between 0 and 1"),
        ("heatmap_method", "gradcam", r"one of \['lime'\].*gradcam=True"),
        ("heatmap_method", "shap", r"one of \['lime'\]"),
        ("curve_ranking", "gradcam", r"one of \['lime', 'random'\].*gradcam=True"),
        ("curve_mode", "removal", r"one of \['deletion', 'insertion'\]"),
        ("visible", [True] * 3, f"{K} entries"),
        ("rev", 2**53, "2\\*\\*53 - 1"),
        ("rev", -1, "0 or more"),
        ("cache_size", 0, "positive number"),
    ],
)
def test_a_bad_assignment_from_python_names_the_trait_the_value_and_what_is_allowed(exp, name, value, allowed):
    w = LimeWidget(exp, prescore=False)
    try:
        before = getattr(w, name)
        with pytest.raises(traitlets.TraitError, match=allowed) as err:
            setattr(w, name, value)
        assert name in str(err.value)
        described = "null" if value is None else repr(value)[:10]
        assert described in str(err.value) or f"a list of {len(value)}" in str(err.value)
        assert getattr(w, name) == before  # nothing changed
    finally:
        w.close()


def test_good_assignments_from_python_still_work(exp):
    w = LimeWidget(exp, prescore=False)
    try:
        w.selected_label = 0
        w.top_k = K
        w.heatmap_opacity = 1  # an int is a number
        w.curve_mode = "insertion"
        w.cache_size = 3
        assert (w.selected_label, w.top_k, w.heatmap_opacity, w.curve_mode, w.cache_size) == (0, K, 1.0, "insertion", 3)
    finally:
        w.close()


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"cache_size": 0}, "cache_size"), ({"max_display_side": 1}, "max_display_side")]
)
def test_bad_constructor_settings_fail_the_same_way(exp, kwargs, match):
    with pytest.raises(traitlets.TraitError, match=match):
        LimeWidget(exp, **kwargs)


def test_numpy_integers_are_integers_for_the_settings_given_from_python(exp):
    w = LimeWidget(exp, prescore=False, cache_size=np.int64(8), max_display_side=np.int32(32))
    try:
        assert w.cache_size == 8 and type(w.cache_size) is int
        assert max(w.width, w.height) <= 32
        w.cache_size = np.uint16(16)
        assert w.cache_size == 16 and type(w.cache_size) is int
        for flag in (True, np.bool_(True)):
            with pytest.raises(traitlets.TraitError, match="cache_size must be a positive number"):
                w.cache_size = flag
    finally:
        w.close()


def test_screen_splits_a_message_by_the_same_rules():
    limits = Limits(n_segments=4, labels=(1, 0))
    s = screen(
        {"top_k": 9, "selected_label": 0, "scores": [], "nope": 1},
        limits,
        keys=["scores", "top_k", "selected_label"],
        rev=0,
        visible=[True] * 4,
        view_count_on=False,
    )
    assert s.data == {"selected_label": 0}
    assert s.resend == {"top_k", "scores"}
    assert any("top_k must be an integer between 1 and 4; got 9" in p for p in s.problems)
    assert any("'nope' is not a field" in p for p in s.problems)


def test_limits_of_a_widget_with_and_without_gradcam():
    plain = Limits.of(4, [np.int64(2), 0], gradcam=False)
    assert plain == Limits(n_segments=4, labels=(2, 0), heatmap_methods=("lime",), rankings=("lime", "random"))
    assert all(type(c) is int for c in plain.labels)
    cam = Limits.of(4, [2, 0], gradcam=True)
    assert cam.heatmap_methods == ("lime", "gradcam") and cam.rankings == ("lime", "gradcam", "random")


@pytest.mark.parametrize(
    ("value", "automatic", "ok"),
    [
        (True, False, True),
        (False, True, True),
        (None, True, True),
        (None, False, False),
        (1, False, False),
        ("yes", True, False),
    ],
)
def test_a_switch_from_python_is_true_false_or_automatic(value, automatic, ok):
    if ok:
        check_switch("prescore", value, automatic=automatic)
        return
    allowed = "True, False or None" if automatic else "True or False"
    with pytest.raises(TypeError, match=f"prescore must be {allowed}.*got {value!r}"):
        check_switch("prescore", value, automatic=automatic)
