"""Messages from the front end (``_messages``): bad state is rejected and shown, the rest applied; the one
request that is not state starts the smallest-flip search. (Hostile messages: tests/hostile/test_widget_messages.py.)"""

from __future__ import annotations

import pytest

from lime_widget.widget._messages import is_flip_request

from .support import front_end_toggle, make_widget


@pytest.mark.parametrize(
    "bad",
    [
        {"visible": [True] * 3, "rev": 1},
        {"visible": [1] * 64, "rev": 1},
        {"visible": "all", "rev": 1},
        {"visible": [True] * 64, "rev": "one"},
    ],
)
def test_bad_front_end_messages_are_rejected_and_shown(bad):
    w, fn = make_widget()
    w.set_state(bad)
    assert w.visible == [True] * 64 and w.rev == 0
    assert w.status == "error" and "rejected" in w.error
    assert fn.calls == 0
    front_end_toggle(w, 0)  # the widget still works afterwards and clears the error
    w.wait_idle(10)
    assert w.error == "" and w.status == "ready"


def test_bad_selected_label_and_top_k_are_rejected():
    w, _ = make_widget()
    before = w.selected_label
    w.set_state({"selected_label": 99})
    assert w.selected_label == before and "not explained" in w.error
    w.set_state({"top_k": 0})
    assert w.top_k == 5 and "top_k" in w.error
    w.set_state({"selected_label": w.explanation.top_labels[1], "top_k": 3})
    assert w.selected_label == w.explanation.top_labels[1] and w.top_k == 3


def test_the_front_end_asks_for_a_flip_with_a_custom_message():
    w, _ = make_widget()
    try:
        w.flip_budget = 100
        w._handle_custom_msg({"type": "minimal_flip"}, [])
        thread = w._flip_thread
        assert thread is not None
        thread.join(60)
        assert w.flip["state"] == "done" and w.status != "error"
        w._handle_custom_msg({"type": "rm -rf"}, [])
        assert w.status == "error" and "not a request" in w.error
        w._handle_custom_msg(["minimal_flip"], [])
        assert "not a request" in w.error
    finally:
        w.close()


@pytest.mark.parametrize(
    ("content", "is_request"),
    [
        ({"type": "minimal_flip"}, True),
        ({"type": "minimal_flip", "budget": 5}, False),  # nothing else may ride along
        ({"type": "rm -rf"}, False),
        ({}, False),
        (["minimal_flip"], False),
        ("minimal_flip", False),
        (None, False),
    ],
)
def test_the_one_request_that_is_not_state(content, is_request):
    assert is_flip_request(content) is is_request


def test_a_rejected_value_is_sent_back_and_its_error_stays_until_a_newer_mask_is_scored():
    w, _ = make_widget()
    resent: list[list[str]] = []
    original = w.send_state
    w.send_state = lambda key=None: (resent.append(key), original(key))  # type: ignore[method-assign]
    try:
        w.set_state({"top_k": 0, "heatmap_opacity": 0.3})
        assert w.heatmap_opacity == 0.3 and w.top_k == 5  # the good part is applied
        assert [k for k in resent if k] == [["top_k"]] and w.status == "error" and "top_k" in w.error
        w.visible = list(w.visible)  # the same mask from Python: no new rev, nothing scored
        assert w.wait_idle(10) and w.status == "error"
        front_end_toggle(w, 1)
        assert w.wait_idle(10) and w.status == "ready" and w.error == ""
    finally:
        w.close()
