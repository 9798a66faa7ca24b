"""Real browser: the marimo quickstart (notebooks/quickstart_marimo.py) served by ``marimo run`` on 127.0.0.1.

The test appends one cell to a copy of the quickstart. Through ``view.value`` marimo re-runs that cell after
every click, and it prints what the notebook's own kernel says: the hidden superpixels, the model's score for
the current mask and the explained score. The test clicks a superpixel of chelsea and checks that the score
the widget shows is exactly the kernel's. It then checks that undo restores the original and that the page
logged no errors.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, marimo_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason is None:
    try:
        import marimo  # noqa: F401
    except ImportError:
        reason = "marimo is not installed (pip install -e '.[dev]')"
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart_marimo.py"

# The kernel's side of the check, shown as JSON in the page. `target` is an interior pixel of the most
# important superpixel (far from its boundary), as a fraction of the image.
CHECK_CELL = """
@app.cell
def _(explorer, mo, view):
    import json as _json

    import numpy as _np
    from scipy import ndimage as _ndi

    _vis = list(view.value["visible"])
    _seg = _np.asarray(explorer.explanation.segments)
    _k = int(explorer.explanation.top_segments(k=1)[0])
    _d = _ndi.distance_transform_edt(_seg == _k)
    _y, _x = _np.unravel_index(_np.argmax(_d), _d.shape)
    _check = {
        "hidden": [i for i, v in enumerate(_vis) if not v],
        "score": float(explorer.explanation.rescore(_vis)[explorer.selected_label]),
        "original": float(explorer.explanation.probabilities[explorer.selected_label]),
        "class": explorer.explanation.class_names[explorer.selected_label],
        "target": {"seg": _k, "fx": (float(_x) + 0.5) / _seg.shape[1], "fy": (float(_y) + 0.5) / _seg.shape[0]},
    }
    mo.Html(f"<pre data-testid='kernel-check'>{_json.dumps(_check)}</pre>")
    return

"""


def write_notebook(root: Path) -> Path:
    text = QUICKSTART.read_text()
    marker = 'if __name__ == "__main__":'
    assert marker in text, "the quickstart must end with marimo's app.run() guard"
    dest = root / "quickstart_marimo_check.py"
    dest.write_text(text.replace(marker, CHECK_CELL.lstrip("\n") + "\n" + marker))
    return dest


def poll(read, done, timeout_s: float = 60.0):
    """Call ``read()`` until ``done(value)``. marimo draws widgets in a shadow root, which Playwright's
    locators pierce but ``document.querySelector`` (and so ``page.wait_for_function``) does not."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s; last value {value!r}")
        time.sleep(0.05)


def kernel_check(page, hidden: list[int]) -> dict:
    def read() -> dict | None:
        loc = page.locator('[data-testid="kernel-check"]')
        return json.loads(loc.text_content() or "{}") if loc.count() else None

    return poll(read, lambda c: c is not None and c.get("hidden") == hidden)


def wait_scored(page, rev: int) -> float:
    score = page.locator('[data-testid="lime-score"]')

    def read() -> tuple[str | None, str | None]:
        return score.get_attribute("data-rev"), score.get_attribute("data-value")

    _, value = poll(read, lambda rv: rv[0] == str(rev) and bool(rv[1]))
    return float(value)


@pytest.mark.timeout(600)
def test_marimo_click_rescores_exactly_and_undo_restores(tmp_path):
    from playwright.sync_api import sync_playwright

    notebook = write_notebook(tmp_path)
    env = {"LIME_NUM_SAMPLES": os.environ.get("LIME_NUM_SAMPLES", "48")}
    with marimo_server(notebook, env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console = ConsoleLog()
            console.attach(page)
            page.goto(url)
            page.wait_for_selector('[data-testid="lime-canvas"]', timeout=240_000)
            original_shown = wait_scored(page, 0)
            check = kernel_check(page, [])
            assert check["class"] == "Egyptian cat"
            assert original_shown == check["original"]
            target = check["target"]

            canvas = page.locator('[data-testid="lime-canvas"]')
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + target["fx"] * box["width"], box["y"] + target["fy"] * box["height"])
            shown = wait_scored(page, 1)
            check = kernel_check(page, [target["seg"]])
            assert shown == check["score"]
            assert shown != original_shown
            # marimo delivers the update twice; the repeat must not show as an error
            assert page.text_content('[data-testid="lime-status"]').strip() == "ready"

            page.click('[data-testid="lime-undo"]')
            restored = wait_scored(page, 2)
            assert restored == original_shown
            kernel_check(page, [])
            assert page.text_content('[data-testid="lime-status"]').strip() == "ready"
            page.screenshot(path=str(tmp_path / "marimo.png"), full_page=True)
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
