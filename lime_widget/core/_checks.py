"""The one check of a whole-number argument (a count, a size, a budget) at the boundary of the library."""

from __future__ import annotations

import numbers
from typing import Any


def positive_int(
    value: Any,
    name: str,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    allow_none: bool = False,
    hint: str = "",
    type_error: type[Exception] = ValueError,
) -> int | None:
    """``value`` as an int when it is an integer in ``minimum..maximum`` (or None when ``allow_none``).

    Anything else raises with a message naming the argument, the value and what is allowed, e.g.
    ``budget must be an integer >= 1; got 0``. A bool is not an integer here (``True`` is a mistake, not 1);
    numpy integers are. ``type_error``: what a value of the wrong type raises (ValueError, or TypeError where
    a caller's type errors are TypeErrors); a value out of range always raises ValueError. ``hint``: a few
    words on what the number means, put in parentheses after the allowed range.
    """
    if value is None and allow_none:
        return None
    if maximum is None:
        allowed = f"an integer >= {minimum}"
    else:
        allowed = f"an integer between {minimum} and {maximum}"
    if allow_none:
        allowed += " or None"
    if hint:
        allowed += f" ({hint})"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise type_error(f"{name} must be {allowed}; got {value!r} (a {type(value).__name__})")
    n = int(value)
    if n < minimum or (maximum is not None and n > maximum):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return n
