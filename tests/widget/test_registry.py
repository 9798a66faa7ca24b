"""One cell, one set of widgets (``_registry``): a re-run cell closes the widgets its last run made; no cell id,
no bookkeeping."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from lime_widget.widget import _registry as widget_module

from .support import probe, slow_widget


class FakeCell:
    """Stands in for ``_current_cell``: a shell object, a cell id and the run of that cell."""

    def __init__(self) -> None:
        self.shell = types.SimpleNamespace()
        self.cell_id: str | None = "cell-a"
        self.run = 1

    def __call__(self) -> tuple[Any, str, object] | None:
        return None if self.cell_id is None else (self.shell, self.cell_id, self.run)


@pytest.fixture
def cell(monkeypatch: pytest.MonkeyPatch) -> FakeCell:
    fake = FakeCell()
    monkeypatch.setattr(widget_module, "_current_cell", fake)
    return fake


def test_rerun_of_a_cell_closes_the_old_widget_and_its_thread(explanation, cell):
    old = slow_widget(explanation)
    probe(old, 3)
    thread = old.scorer_thread
    assert thread is not None and thread.is_alive()
    cell.run = 2  # the same cell, run again
    new = slow_widget(explanation)
    assert not thread.is_alive()  # close() joined it
    assert old.comm is None and old.scorer_thread is None
    assert new.comm is not None
    probe(new, 4)  # the new one works
    registry = cell.shell._lime_widget_cells
    assert [r() for r in registry["cell-a"][1]] == [new]
    new.close()


def test_one_run_making_several_widgets_keeps_them_all(explanation, cell):
    ws = [slow_widget(explanation) for _ in range(3)]
    assert all(w.comm is not None for w in ws)
    other_cell = "cell-b"
    cell.cell_id = other_cell
    cell.run = 2
    b = slow_widget(explanation)  # another cell: the first cell's widgets stay
    assert all(w.comm is not None for w in ws)
    cell.cell_id = "cell-a"
    cell.run = 3
    slow_widget(explanation).close()
    assert all(w.comm is None for w in ws) and b.comm is not None
    b.close()


def test_no_cell_id_means_no_bookkeeping(explanation, cell):
    cell.cell_id = None
    a = slow_widget(explanation)
    b = slow_widget(explanation)
    assert a.comm is not None and b.comm is not None
    assert not hasattr(cell.shell, "_lime_widget_cells")
    a.close()
    b.close()


def test_current_cell_outside_ipython_and_from_the_kernel_parent(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert widget_module._current_cell() is None  # IPython never imported: nothing to do
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert widget_module._current_cell() is None  # plain Python with IPython installed
    parent = {"header": {"msg_id": "m1"}, "metadata": {"cellId": "c9"}}
    kernel_shell = types.SimpleNamespace(displayhook=types.SimpleNamespace(exec_result=None), get_parent=lambda: parent)
    fake.get_ipython = lambda: kernel_shell  # type: ignore[attr-defined]
    assert widget_module._current_cell() == (kernel_shell, "c9", "m1")  # ipykernel's parent message
    parent["metadata"] = {}
    assert widget_module._current_cell() is None  # a console: no cell id


def test_real_interactive_shell_cells(explanation):
    """The cell id the kernel gives ``run_cell`` (ipykernel passes the front end's ``metadata.cellId``)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["_make"] = lambda: slow_widget(explanation)
    shell.run_cell("_w = _make()", cell_id="real-cell", store_history=False)
    first = shell.user_ns["_w"]
    shell.run_cell("_w = _make()", cell_id="real-cell", store_history=False)
    second = shell.user_ns["_w"]
    assert first is not second and first.comm is None and second.comm is not None
    shell.run_cell("_x = _make()", cell_id="other-cell", store_history=False)
    assert second.comm is not None
    shell.run_cell("_y = _make()", store_history=False)  # no cell id (a console): nothing is closed
    assert shell.user_ns["_x"].comm is not None
    for name in ("_w", "_x", "_y"):
        shell.user_ns.pop(name).close()
    del shell.user_ns["_make"]
