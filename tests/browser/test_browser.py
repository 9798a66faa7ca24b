"""Real browser: JupyterLab 4 and Notebook 7 on 127.0.0.1, Debian's chromium driven by Playwright.

Run a notebook, click a superpixel of chelsea, and check that the score the widget displays is exactly
the model's score for that mask (asked from the notebook's own kernel), that undo restores the original
score, and that the page logged no errors.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, jupyter_server, kernel_probe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

WIDGET_CELL = """import lime_widget as lw
w = lw.explore(lw.sample_image("chelsea"), lw.load_model(), num_samples=48, random_state=0, progress=False)
w"""

# Where to click: an interior pixel of the most important superpixel, far from its boundary.
TARGET_EXPR = """(lambda np, ndi: (lambda seg, k: (lambda d: (lambda yx: {
    "seg": int(k), "fx": (float(yx[1]) + 0.5) / w.width, "fy": (float(yx[0]) + 0.5) / w.height
})(np.unravel_index(np.argmax(d), d.shape)))(ndi.distance_transform_edt(seg == k)))(
    np.frombuffer(w.segments_bytes, dtype="<u2").reshape(w.height, w.width), w.explanation.top_segments(k=1)[0]
))(__import__("numpy"), __import__("scipy.ndimage", fromlist=["x"]))"""


def write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WIDGET_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "browser_widget.ipynb")
    return "browser_widget.ipynb"


def score_attr(page, name: str) -> str | None:
    return page.get_attribute('[data-testid="lime-score"]', name)


def wait_scored(page, rev: int, timeout_ms: int = 60_000) -> float:
    """Wait until the view shows the score of ``rev`` as the kernel's answer (not only a score the view knew
    ahead, ``data-known="true"``, which it shows before the kernel has even applied the mask)."""
    page.wait_for_function(
        """rev => { const el = document.querySelector('[data-testid="lime-score"]');
                   return el && el.dataset.rev === String(rev) && el.dataset.value !== ''
                          && el.dataset.known !== 'true'; }""",
        arg=rev,
        polling="raf",
        timeout=timeout_ms,
    )
    return float(score_attr(page, "data-value") or "nan")


def run_first_cell(page) -> None:
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    # Wait until the kernel is connected before running the cell.
    time.sleep(2.0)
    page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
    page.keyboard.press("Shift+Enter")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_click_rescores_exactly_and_undo_restores(tmp_path, app):
    from playwright.sync_api import sync_playwright

    name = write_notebook(tmp_path)
    with jupyter_server(tmp_path, app) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console = ConsoleLog()
            console.attach(page)
            page.goto(server.page_url(app, name))
            run_first_cell(page)
            page.wait_for_selector('[data-testid="lime-canvas"]', timeout=240_000)
            original_shown = wait_scored(page, 0)
            with kernel_probe(server, name) as kernel:
                original = kernel.json("float(w.explanation.probabilities[w.selected_label])")
                assert original_shown == original
                assert kernel.json("w.explanation.class_names[w.selected_label]") == "Egyptian cat"
                # the panel shows the stability the kernel computed for the selected class
                stability = kernel.json("float(w.explanation.stability(w.selected_label))")
                shown_stability = page.get_attribute('[data-testid="lime-stability"]', "data-value")
                assert shown_stability is not None and float(shown_stability) == stability
                assert page.text_content('[data-testid="lime-stability"]').strip() == f"{stability:.2f}"
                # ... and says in words whether the top 5 is settled, as the kernel has it
                status = kernel.json("w.explanation.top_k_status(w.selected_label).text")
                assert status.startswith("top 5")
                assert page.is_visible('[data-testid="lime-top-k-status"]')
                assert page.text_content('[data-testid="lime-top-k-status"]').strip() == status
                target = kernel.json(TARGET_EXPR)

                # the hover names the weight's standard error and top-5 confidence, as the kernel has them
                canvas = page.locator('[data-testid="lime-canvas"]')
                canvas.scroll_into_view_if_needed()
                box = canvas.bounding_box()
                assert box is not None
                page.mouse.move(box["x"] + target["fx"] * box["width"], box["y"] + target["fy"] * box["height"])
                std = kernel.json(f"float(w.explanation.weight_std(w.selected_label)[{target['seg']}])")
                tip = page.wait_for_selector(
                    '[data-testid="lime-tooltip"]', state="visible", timeout=10_000
                ).text_content()
                assert f"± {std:.4f}" in tip and "of refits" in tip, tip

                canvas = page.locator('[data-testid="lime-canvas"]')
                canvas.scroll_into_view_if_needed()
                box = canvas.bounding_box()
                assert box is not None
                page.mouse.click(box["x"] + target["fx"] * box["width"], box["y"] + target["fy"] * box["height"])
                shown = wait_scored(page, 1)
                hidden = kernel.json("[i for i, v in enumerate(w.visible) if not v]")
                assert hidden == [target["seg"]]
                expected = kernel.json("float(w.explanation.rescore(w.visible)[w.selected_label])")
                assert shown == expected
                assert shown != original
                assert page.text_content('[data-testid="lime-status"]').strip() == "ready"

                page.click('[data-testid="lime-undo"]')
                restored = wait_scored(page, 2)
                assert restored == original
                assert kernel.json("all(w.visible)") is True
            page.screenshot(path=str(tmp_path / f"{app}.png"), full_page=True)
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
