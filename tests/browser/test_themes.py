"""Real browser: the widget follows JupyterLab's light and dark themes and fits a narrow notebook column.

For each theme, JupyterLab starts with that theme in its user settings, runs the explorer on chelsea and
hides the top superpixels. The test then measures, in the page, the contrast of the widget's text against
the background it is drawn on (WCAG: at least 4.5 for text, 3 for the deliberately muted notes) and checks
that the text colour follows the theme (light text on the dark theme, dark on the light one). In a
600-pixel-wide window (a notebook column of about 230 pixels beside the file browser, then about 500 without
it) it checks that the panel wraps below the image, that nothing overflows the cell horizontally and that a
click still re-scores. Screenshots go to the test's folder and, when ``LIME_WIDGET_SCREENSHOT_DIR`` is set, there
too (docs/figures/widget-light.png, widget-dark.png, widget-narrow.png are made this way).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, jupyter_server
from .test_browser import run_first_cell, wait_scored, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

# Text in the widget and how much contrast it needs. Muted text (the legend's notes, the table header)
# is drawn at reduced opacity on purpose; it still needs WCAG's 3:1 for large/secondary text.
TEXT = {
    '[data-testid="lime-score"]': 4.5,
    '[data-testid="lime-original"]': 4.5,
    '[data-testid="lime-change"]': 4.5,
    ".lime-legend-title": 4.5,
    ".lime-legend-ticks": 4.5,
    ".lime-classes td": 4.5,
    ".lime-row-selected td": 4.5,
    ".lime-subtitle": 4.5,
    ".lime-probe-text": 4.5,
    '[data-testid="lime-reset"]': 4.5,
    '[data-testid="lime-class"]': 4.5,
    '[data-testid="lime-status"]': 4.5,
    ".lime-legend-note": 3.0,
    ".lime-classes th": 3.0,
}

# Contrast of an element's text against the first opaque background behind it, with the opacity of the
# element and its ancestors folded into the text colour (WCAG relative luminance).
CONTRAST_JS = """
selectors => {
  const parse = (c) => {  // "rgb(r, g, b)", "rgba(r, g, b, a)" or, from color-mix, "color(srgb r g b / a)"
    const srgb = c.startsWith("color(srgb");
    const m = srgb ? c.match(/color\\(srgb([^)]+)\\)/) : c.match(/rgba?\\(([^)]+)\\)/);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    const k = srgb ? 255 : 1;
    return { r: p[0] * k, g: p[1] * k, b: p[2] * k, a: p.length > 3 ? p[3] : 1 };
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const root = document.querySelector(".lime-widget");
  const out = {};
  for (const sel of selectors) {
    const el = root.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const fg = parse(getComputedStyle(el).color);
    const bg = background(el);
    let a = fg.a;
    for (let e = el; e; e = e.parentElement) a *= Number(getComputedStyle(e).opacity);
    const mix = { r: fg.r * a + bg.r * (1 - a), g: fg.g * a + bg.g * (1 - a), b: fg.b * a + bg.b * (1 - a) };
    const l1 = lum(mix), l2 = lum(bg);
    out[sel] = { ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), fg: l1, bg: l2 };
  }
  return out;
}
"""

LAYOUT_JS = """
() => {
  const root = document.querySelector(".lime-widget");
  const output = root.closest(".jp-OutputArea-output") || root.parentElement;
  const r = (el) => { const b = el.getBoundingClientRect(); return { left: b.left, right: b.right, top: b.top,
                                                                     bottom: b.bottom, width: b.width }; };
  return {
    widget: r(root), view: r(root.querySelector(".lime-view")), panel: r(root.querySelector(".lime-panel")),
    canvas: r(root.querySelector('[data-testid="lime-canvas"]')), output: r(output),
    widgetOverflow: root.scrollWidth - root.clientWidth, outputOverflow: output.scrollWidth - output.clientWidth,
  };
}
"""


def save(locator, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    locator.screenshot(path=str(path))
    dest = os.environ.get("LIME_WIDGET_SCREENSHOT_DIR")
    if dest:
        Path(dest).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(dest) / name)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_theme_contrast_and_narrow_layout(tmp_path, theme):
    from playwright.sync_api import sync_playwright

    dark = theme == "JupyterLab Dark"
    name = write_notebook(tmp_path)
    with jupyter_server(tmp_path, "lab", theme=theme) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console = ConsoleLog()
            console.attach(page)
            page.goto(server.page_url("lab", name))
            page.wait_for_function(
                "dark => document.body.dataset.jpThemeLight === String(!dark)", arg=dark, timeout=120_000
            )
            run_first_cell(page)
            page.wait_for_selector('[data-testid="lime-canvas"]', timeout=240_000)
            wait_scored(page, 0)
            page.click('[data-testid="lime-hide-topk"]')
            wait_scored(page, 1)
            page.mouse.move(0, 0)  # no hover tooltip in the picture

            contrast = page.evaluate(CONTRAST_JS, list(TEXT))
            missing = [sel for sel, c in contrast.items() if c is None]
            assert missing == [], f"not in the widget: {missing}"
            low = {sel: round(c["ratio"], 2) for sel, c in contrast.items() if c["ratio"] < TEXT[sel]}
            assert low == {}, f"{theme}: contrast too low: {low}"
            score = contrast['[data-testid="lime-score"]']
            if dark:  # the widget follows the theme: light text on a dark page
                assert score["bg"] < 0.1 and score["fg"] > 0.4, score
            else:
                assert score["bg"] > 0.8 and score["fg"] < 0.1, score

            wide = page.evaluate(LAYOUT_JS)
            assert wide["panel"]["left"] >= wide["view"]["right"], (
                f"on a wide page the panel sits beside the image: {wide}"
            )
            output = page.locator(".jp-OutputArea-output:has(.lime-widget)")
            save(output, tmp_path, "widget-dark.png" if dark else "widget-light.png")

            page.set_viewport_size({"width": 600, "height": 1400})
            page.wait_for_timeout(500)
            narrow = page.evaluate(LAYOUT_JS)
            assert narrow["output"]["width"] < 560, narrow  # the notebook column really is narrow
            assert narrow["panel"]["top"] >= narrow["view"]["bottom"], f"the panel wraps below the image: {narrow}"
            assert narrow["widgetOverflow"] <= 0 and narrow["outputOverflow"] <= 0, narrow
            for part in ("view", "panel", "canvas"):
                assert narrow[part]["right"] <= narrow["output"]["right"] + 0.5, (part, narrow)
            # still usable when narrow: a click on the image re-scores
            canvas = page.locator('[data-testid="lime-canvas"]')
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            assert box is not None and box["width"] <= narrow["output"]["width"]
            page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
            wait_scored(page, 2)
            # the same window with the file browser closed: a column of about 500 pixels
            page.keyboard.press("Control+b")
            page.wait_for_function(
                """() => { const o = document.querySelector(".jp-OutputArea-output:has(.lime-widget)");
                           return o && o.getBoundingClientRect().width > 400; }""",
                timeout=10_000,
            )
            page.wait_for_timeout(300)
            column = page.evaluate(LAYOUT_JS)
            assert column["output"]["width"] < 560, column
            assert column["panel"]["top"] >= column["view"]["bottom"], f"the panel wraps below the image: {column}"
            assert column["widgetOverflow"] <= 0 and column["outputOverflow"] <= 0, column
            page.mouse.move(0, 0)
            if not dark:
                save(output, tmp_path, "widget-narrow.png")
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
