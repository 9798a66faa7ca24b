"""The explorer's messages from the front end (docs/protocol.md, "Validation of front-end messages").

State the view sends is screened by the rules of ``_traits`` before any of it is applied; the one request that
is not state is ``{"type": "minimal_flip"}``. Whatever is refused is shown in the widget's ``error`` (status
"error", kept until a newer mask is scored) and the kernel's true values are sent back, so the view never
keeps a value the kernel refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import traitlets

from ._traits import describe, screen, short, summary

if TYPE_CHECKING:
    from .explorer import LimeWidget


def apply_state(widget: LimeWidget, message: Any, apply: Callable[[dict[str, Any]], None]) -> None:
    """Apply the state ``message`` (trait name -> value) the front end sent to ``widget`` with ``apply``
    (ipywidgets' own ``set_state``): what the front end may not write, and any bad value, is dropped; the rest
    is applied and the problems are shown (:func:`reject`)."""
    if not isinstance(message, dict):
        reject(widget, [f"a widget message must be an object; got {describe(message)}"], set())
        return
    with widget._lock:
        s = screen(
            message,
            widget._limits,
            keys=widget.keys,
            rev=int(widget.rev),
            visible=list(widget.visible),
            view_count_on=widget._view_count is not None,
        )
        if s.data:
            # observers run inside apply: the flag tells them the front end wrote the change
            widget._from_front_end = True
            try:
                apply(s.data)
            except traitlets.TraitError as err:  # a check screen missed: still never a silent drop
                s.problems.append(str(err))
                s.resend.update(s.data)
            finally:
                widget._from_front_end = False
        if s.problems:
            reject(widget, s.problems, s.resend)


def is_flip_request(content: Any) -> bool:
    """Whether a custom message from the front end is its one request: ``{"type": "minimal_flip"}``."""
    return isinstance(content, dict) and content.get("type") == "minimal_flip" and len(content) == 1


def reject_request(widget: LimeWidget, content: Any) -> None:
    """Show that a custom message from the front end is not a request."""
    reject(widget, [f'{short(content)} is not a request; send {{"type": "minimal_flip"}}'], set())


def reject(widget: LimeWidget, problems: list[str], resend: set[str]) -> None:
    """Show why a front-end message was (partly) rejected, until a newer mask is scored, and re-send the
    kernel's values of the traits ``resend``."""
    with widget._lock:
        widget._rejected_rev = int(widget.rev)
        widget._report(summary(problems))
    if resend:
        widget.send_state(sorted(resend))
