"""Real browser: the self-contained HTML of ``w.save_html`` / ``exp.to_html``, opened from file:// in chromium
with networking off. It shows the recorded state and probe history; a click toggles a superpixel and shows
the surrogate's prediction that Python computes for that mask, labelled as the surrogate's (there is no
model); the page requests nothing but its own file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.widget.explorer import LimeWidget

from ..helpers import cell_image, cell_segments
from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available

pytestmark = [pytest.mark.browser]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)


def brightness(batch: np.ndarray) -> np.ndarray:
    p1 = batch.mean(axis=(1, 2, 3)) / 255.0
    return np.stack([1 - p1, p1], axis=1)


def centre(w: LimeWidget, seg: int) -> tuple[float, float]:
    """An interior point of superpixel ``seg`` in the displayed image, as fractions of its width and height."""
    from scipy import ndimage

    segs = np.frombuffer(w.segments_bytes, dtype="<u2").reshape(w.height, w.width)
    d = ndimage.distance_transform_edt(segs == seg)
    y, x = np.unravel_index(np.argmax(d), d.shape)
    return (x + 0.5) / w.width, (y + 0.5) / w.height


def open_offline(pw, path: Path):
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    console = ConsoleLog()
    console.attach(page)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector('[data-testid="lime-canvas"]')
    return browser, page, requests, console


def value(page, testid: str) -> str | None:
    return page.get_attribute(f'[data-testid="{testid}"]', "data-value")


@pytest.mark.timeout(300)
def test_saved_widget_opens_offline_and_shows_the_surrogate_for_a_new_mask(tmp_path):
    from playwright.sync_api import sync_playwright

    clf = lw.FunctionClassifier(brightness, class_names=["dark", "bright"])
    exp = lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=80, top_labels=2, progress=False
    )
    w = LimeWidget(exp)
    try:
        vis = list(w.visible)
        vis[3] = False
        w.set_state({"visible": vis, "rev": 1})
        w.set_state({"show_curve": True})
        assert w.wait_idle(30, background=True)
        recorded = float(w.probabilities[w.selected_label])
        curve = dict(w.curve)
        assert curve["state"] == "done"
        path = w.save_html(tmp_path / "widget.html")
        label = int(w.selected_label)
        fx, fy = centre(w, 20)
    finally:
        w.close()
    html = path.read_text()
    assert "http://" not in html.split('<script type="application/json"')[0]  # nothing to fetch in the head

    with sync_playwright() as pw:
        browser, page, requests, console = open_offline(pw, path)
        try:
            assert page.text_content('[data-testid="lime-status"]').strip() == "saved file"
            # the recorded state: the probe's mask and its model score, and the history
            assert float(value(page, "lime-score") or "nan") == recorded
            assert page.locator('[data-testid="lime-history"] li').count() == 1
            canvas = page.locator('[data-testid="lime-canvas"]')
            box = canvas.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.wait_for_function(
                "() => document.querySelector('[data-testid=\"lime-score\"]').textContent.includes('no model')"
            )
            mask = np.ones(exp.n_segments, dtype=bool)
            mask[[3, 20]] = False
            shown = float(value(page, "lime-surrogate") or "nan")
            assert shown == pytest.approx(exp.surrogate_prediction(mask, label), abs=1e-12)
            assert page.text_content('[data-testid="lime-surrogate-label"]').strip() == "Surrogate (not the model)"
            assert page.text_content('[data-testid="lime-status"]').strip() == "saved file"
            page.click('[data-testid="lime-undo"]')  # back to the recorded mask: its model score again
            page.wait_for_function(
                f"() => document.querySelector('[data-testid=\"lime-score\"]').dataset.value === '{recorded!r}'"
            )
            # the curve, as scored before saving: drawn, and its points still set their masks
            plot = page.locator('[data-testid="lime-curve-plot"]')
            assert plot.get_attribute("data-state") == "done"
            assert float(plot.get_attribute("data-area")) == curve["area"]
            plot.focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")  # points 0, 1, 2, 3
            page.keyboard.press("Enter")
            mask = np.ones(exp.n_segments, dtype=bool)
            mask[curve["order"][:3]] = False
            page.wait_for_function(
                "() => document.querySelector('[data-testid=\"lime-curve-plot\"]').dataset.nowPoint === '3'"
            )
            assert float(value(page, "lime-surrogate") or "nan") == pytest.approx(
                exp.surrogate_prediction(mask, label), abs=1e-12
            )
            assert "no model" in page.text_content('[data-testid="lime-score"]')
            page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
            assert all(u.startswith("file:") for u in requests), requests
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()


@pytest.mark.timeout(300)
def test_explanation_to_html_opens_offline(tmp_path):
    from playwright.sync_api import sync_playwright

    exp = lw.explain(
        cell_image(),
        lw.FunctionClassifier(brightness, class_names=["dark", "bright"]),
        segments=cell_segments(),
        hide="black",
        num_samples=40,
        top_labels=1,
        progress=False,
    )
    path = exp.to_html(tmp_path / "exp.html")
    with sync_playwright() as pw:
        browser, page, requests, console = open_offline(pw, path)
        try:
            assert page.text_content('[data-testid="lime-status"]').strip() == "saved file"
            label = int(exp.top_labels[0])
            assert float(value(page, "lime-score") or "nan") == float(exp.probabilities[label])
            assert page.locator('[data-testid="lime-history"] li.lime-probe').count() == 0
            assert all(u.startswith("file:") for u in requests), requests
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
