"""One cell, one set of widgets: re-running a notebook cell closes the widgets its last run made.

The registry lives on the IPython shell (it ends with the kernel) and holds weak references only. Outside
IPython, or when no cell id is known, nothing happens.
"""

from __future__ import annotations

import logging
import sys
import weakref
from typing import Any, Protocol

log = logging.getLogger("lime_widget")
_CELL_REGISTRY_ATTR = "_lime_widget_cells"  # on the IPython shell: cell id -> (run key, weak refs to widgets)


class Closable(Protocol):
    def close(self) -> None: ...


def _current_cell() -> tuple[Any, str, object] | None:
    """``(shell, cell id, run key)`` of the IPython cell running now, or None (no IPython, no cell id known).

    The cell id is the front end's (``ExecutionInfo.cell_id``, which ipykernel fills from the request's
    ``metadata.cellId``; or that metadata itself). The run key tells one execution of a cell from the next."""
    ipython = sys.modules.get("IPython")  # never import IPython here: outside a shell there is nothing to do
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None:
        return None
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    cell_id = getattr(getattr(result, "info", None), "cell_id", None)
    run: object = id(result) if result is not None else None
    get_parent = getattr(shell, "get_parent", None)
    if callable(get_parent) and (not cell_id or run is None):
        try:
            parent = get_parent() or {}
            cell_id = cell_id or (parent.get("metadata") or {}).get("cellId")
            run = run if run is not None else (parent.get("header") or {}).get("msg_id")
        except Exception:  # a shell without a parent message: no cell id
            pass
    if not isinstance(cell_id, str) or not cell_id or run is None:
        return None
    return shell, cell_id, run


def replace_in_cell(widget: Closable) -> None:
    """Remember ``widget`` under the running cell; close the widgets an earlier run of that cell made."""
    try:
        cell = _current_cell()
    except Exception:  # never let bookkeeping break making a widget
        log.debug("could not read the current cell", exc_info=True)
        return
    if cell is None:
        return
    shell, cell_id, run = cell
    registry: dict[str, tuple[object, list[weakref.ReferenceType[Closable]]]] | None
    registry = getattr(shell, _CELL_REGISTRY_ATTR, None)
    if registry is None:
        registry = {}
        try:
            setattr(shell, _CELL_REGISTRY_ATTR, registry)
        except Exception:  # a shell that takes no attributes: nothing to remember
            return
    previous_run, refs = registry.get(cell_id, (None, []))
    if previous_run != run:  # a new run of this cell: the widgets of the last run are replaced
        old = [w for w in (r() for r in refs) if w is not None and w is not widget]
        refs = []
        for w in old:
            try:
                w.close()
            except Exception:
                log.debug("closing a replaced widget failed", exc_info=True)
    refs = [r for r in refs if r() is not None]
    refs.append(weakref.ref(widget))
    registry[cell_id] = (run, refs)
    for key in [k for k, (_, rs) in registry.items() if not any(r() is not None for r in rs)]:
        del registry[key]  # cells whose widgets are all gone
