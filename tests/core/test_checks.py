"""The one whole-number argument check: what it accepts, and messages that name the argument, value and range."""

from __future__ import annotations

import numpy as np
import pytest

from lime_widget.core._checks import positive_int


def test_integers_in_range_come_back_as_int():
    assert positive_int(3, "n") == 3
    value = positive_int(np.int64(7), "n")
    assert value == 7 and type(value) is int
    assert positive_int(0, "refits", minimum=0) == 0
    assert positive_int(5, "k", maximum=5) == 5
    assert positive_int(None, "max_size", allow_none=True) is None


@pytest.mark.parametrize(
    ("value", "kwargs", "error", "message"),
    [
        (0, {}, ValueError, r"budget must be an integer >= 1; got 0$"),
        (-3, {"allow_none": True}, ValueError, r"budget must be an integer >= 1 or None; got -3$"),
        (1, {"minimum": 2}, ValueError, r"budget must be an integer >= 2; got 1$"),
        (6, {"maximum": 5}, ValueError, r"budget must be an integer between 1 and 5; got 6$"),
        (True, {}, ValueError, r"budget must be an integer >= 1; got True \(a bool\)$"),
        (1.5, {}, ValueError, r"got 1\.5 \(a float\)$"),
        ("10", {}, ValueError, r"got '10' \(a str\)$"),
        (None, {}, ValueError, r"got None \(a NoneType\)$"),
        (2.0, {"type_error": TypeError}, TypeError, r"budget must be an integer"),
        (0, {"type_error": TypeError}, ValueError, r"got 0$"),  # out of range stays a ValueError
        (0, {"hint": "images scored"}, ValueError, r"budget must be an integer >= 1 \(images scored\); got 0$"),
    ],
)
def test_anything_else_is_refused_with_a_message_naming_it(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        positive_int(value, "budget", **kwargs)
