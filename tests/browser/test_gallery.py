"""Real browser (JupyterLab 4, Debian's chromium via Playwright): the audit gallery.

A notebook audits six small generated images (two predicted wrong, one without a true label, one that
fails) with a tiny colour classifier on an in-process Dask client and shows ``lw.AuditGallery``. In the
browser: one tile per table row; the sort menu and the order toggle reorder the tiles exactly as pandas
sorts the table (missing values last); the filter shows exactly the rows with correct == False (and the
error row); clicking a tile (and Enter on another) opens the explorer below the grid for that image, whose
score is the table's probability for that row; the page logs no errors.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, jupyter_server, kernel_probe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

GALLERY_CELL = """import numpy as np
import distributed
import lime_widget as lw

def colour_model(batch):
    x = batch.astype(np.float64) / 255.0
    z = 6.0 * (x[..., 0].mean(axis=(1, 2)) - x[..., 2].mean(axis=(1, 2)))
    p = 1.0 / (1.0 + np.exp(-z))
    return np.stack([p, 1.0 - p], axis=1)

def picture(seed, red):
    img = np.random.default_rng(seed).integers(40, 120, size=(48, 48, 3), dtype=np.uint8)
    img[..., 0 if red else 2] += np.uint8(60 + 25 * seed)
    return img

model = lw.FunctionClassifier(colour_model, class_names=["red", "blue"])
data = [(picture(0, True), "red"), (picture(1, False), "red"), (picture(2, True), "blue"),
        (picture(3, False), "blue"), (picture(4, True), None), np.zeros(5, dtype=np.uint8)]
with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address="127.0.0.1:0") as c:
    res = lw.audit(data, model, out="audit_out", client=c, progress=False, num_samples=60,
                   segmentation="grid", segmentation_params={"shape": (4, 4)}, hide="black")
g = lw.AuditGallery(res, sort_by="probability")
g"""

ROWS_JS = "els => els.map(e => Number(e.dataset.row))"
ITEMS = '[data-testid="gallery-item"]'


def write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(GALLERY_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "browser_gallery.ipynb")
    return "browser_gallery.ipynb"


def run_first_cell(page) -> None:
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    time.sleep(2.0)  # let the kernel connect before running the cell
    page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
    page.keyboard.press("Shift+Enter")


def shown_rows(page) -> list[int]:
    return page.eval_on_selector_all(ITEMS, ROWS_JS)


def wait_rows(page, rows: list[int], timeout_ms: int = 10_000) -> None:
    """Wait until the tiles show exactly ``rows``, in that order."""
    try:
        page.wait_for_function(
            f"rows => JSON.stringify([...document.querySelectorAll('{ITEMS}')].map(e => Number(e.dataset.row)))"
            " === JSON.stringify(rows)",
            arg=rows,
            timeout=timeout_ms,
        )
    except Exception as err:
        raise AssertionError(f"tiles show {shown_rows(page)}, expected {rows}") from err


def wait_kernel(kernel, expr: str, expected: Any, timeout: float = 20.0) -> None:
    """Poll the kernel until ``expr`` evaluates to ``expected`` (front-end writes arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = kernel.json(expr)
        if value == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"kernel: {expr} = {value!r}, expected {expected!r}")
        time.sleep(0.2)


def table_order(kernel, column: str, descending: bool) -> list[int]:
    """The table's row positions sorted by ``column`` in pandas: missing values last, ties by position."""
    return kernel.json(
        "(lambda t: [int(i) for i in t.assign(_row=range(len(t))).sort_values("
        f"[{column!r}, '_row'], ascending=[{not descending}, True], na_position='last')['_row']])(g.result.table)"
    )


def wait_score(page, expected: float, timeout_ms: int = 60_000) -> str:
    """Wait until the explorer's score shows ``expected``; returns its text."""
    page.wait_for_function(
        """p => { const el = document.querySelector('[data-testid="lime-score"]');
                  return el && el.dataset.rev === '0' && el.dataset.value !== '' && Number(el.dataset.value) === p; }""",
        arg=expected,
        timeout=timeout_ms,
    )
    return (page.text_content('[data-testid="lime-score"]') or "").strip()


@pytest.mark.timeout(300)
def test_gallery_sorts_filters_and_opens_the_explorer(tmp_path):
    from playwright.sync_api import sync_playwright

    name = write_notebook(tmp_path)
    with jupyter_server(tmp_path, "lab") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console = ConsoleLog()
            console.attach(page)
            page.goto(server.page_url("lab", name))
            run_first_cell(page)
            page.wait_for_selector('[data-testid="gallery-grid"]', timeout=180_000)
            with kernel_probe(server, name) as kernel:
                t = kernel.json(
                    "{'n': len(g.result.table), 'columns': list(g.grid.columns),"
                    " 'correct': [None if __import__('pandas').isna(v) else bool(v) for v in g.result.table['correct']],"
                    " 'error': [bool(e) for e in g.result.table['error']],"
                    " 'probability': [float(p) for p in g.result.table['probability']]}"
                )
                n = t["n"]
                assert n == 6
                wrong = [i for i, c in enumerate(t["correct"]) if c is False]
                errors = [i for i, e in enumerate(t["error"]) if e]
                assert len(wrong) == 2 and len(errors) == 1  # the notebook's data has both kinds

                # one tile per table row, sorted as the gallery was asked (probability, ascending)
                wait_rows(page, table_order(kernel, "probability", False))
                assert page.text_content('[data-testid="gallery-count"]').strip() == f"{n} of {n} shown"
                assert (
                    page.eval_on_selector_all('[data-testid="gallery-sort"] option', "os => os.map(o => o.value)")
                    == t["columns"]
                )
                # the error row shows its error instead of an image; the others show their thumbnail
                for row in range(n):
                    tile = page.locator(f'{ITEMS}[data-row="{row}"]')
                    assert tile.locator("img").count() == (0 if row in errors else 1)
                    assert tile.locator('[data-testid="gallery-error"]').count() == (1 if row in errors else 0)

                # sort by another column: the order of the table sorted in pandas, missing values last
                page.select_option('[data-testid="gallery-sort"]', "flip_k")
                wait_rows(page, table_order(kernel, "flip_k", False))
                wait_kernel(kernel, "g.grid.sort_by", "flip_k")
                page.select_option('[data-testid="gallery-sort"]', "deletion_auc")
                wait_rows(page, table_order(kernel, "deletion_auc", False))
                page.click('[data-testid="gallery-order"]')
                wait_rows(page, table_order(kernel, "deletion_auc", True))
                wait_kernel(kernel, "[g.grid.sort_by, g.grid.descending]", ["deletion_auc", True])

                # filters: exactly the rows with correct == False, then the error row
                page.select_option('[data-testid="gallery-filter"]', "wrong")
                order = table_order(kernel, "deletion_auc", True)
                wait_rows(page, [r for r in order if r in wrong])
                assert page.text_content('[data-testid="gallery-count"]').strip() == f"{len(wrong)} of {n} shown"
                wait_kernel(kernel, "g.grid.filter", "wrong")
                page.select_option('[data-testid="gallery-filter"]', "errors")
                wait_rows(page, errors)
                page.select_option('[data-testid="gallery-filter"]', "wrong")
                wait_rows(page, [r for r in order if r in wrong])

                # a click opens the explorer of that image below the grid, showing the table's probability
                row = wrong[0]
                page.click(f'{ITEMS}[data-row="{row}"]')
                wait_kernel(kernel, "[g.grid.selected, g._explorer_row]", [row, row], timeout=60)
                page.wait_for_selector('[data-testid="lime-canvas"]', timeout=60_000)
                shown = wait_score(page, t["probability"][row])
                assert shown == f"{t['probability'][row]:.4f}"
                assert kernel.json(f"bool(np.array_equal(g.explorer.explanation.image, data[{row}][0]))") is True
                assert page.get_attribute(f'{ITEMS}[data-row="{row}"]', "aria-pressed") == "true"
                grid_box = page.locator('[data-testid="gallery-grid"]').bounding_box()
                canvas_box = page.locator('[data-testid="lime-canvas"]').bounding_box()
                assert grid_box is not None and canvas_box is not None
                assert canvas_box["y"] >= grid_box["y"] + grid_box["height"], (grid_box, canvas_box)

                # Enter on another focused tile replaces the explorer with that image's
                other = wrong[1]
                page.focus(f'{ITEMS}[data-row="{other}"]')
                page.keyboard.press("Enter")
                wait_kernel(kernel, "[g.grid.selected, g._explorer_row]", [other, other], timeout=60)
                shown = wait_score(page, t["probability"][other])
                assert shown == f"{t['probability'][other]:.4f}"
                assert page.locator('[data-testid="lime-canvas"]').count() == 1
                assert page.get_attribute(f'{ITEMS}[data-row="{row}"]', "aria-pressed") == "false"
                assert page.get_attribute(f'{ITEMS}[data-row="{other}"]', "aria-pressed") == "true"
            page.screenshot(path=str(tmp_path / "gallery.png"), full_page=True)
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
