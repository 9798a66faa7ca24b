"""Real browser: the live curve, pre-scored clicks and zoom, in JupyterLab 4 and Notebook 7 (chromium, Playwright).

- a click onto a mask the kernel pre-scored shows the model's score in the view before the kernel answers
  (``data-known="true"``), equal to the kernel's, with no forward pass;
- opening the curve scores it in the background; the points and area drawn are the kernel's;
- clicking a point sets the mask to "first k hidden" of the ranking, shown at once, with the model's score
  for it; the arrow keys and Enter do the same without a mouse; the ranking and mode switches recompute;
- zoomed in, a click still hides the superpixel under the pointer; "0" fits the image again.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, jupyter_server, kernel_probe
from .test_browser import run_first_cell, wait_scored
from .test_workbench import wait_kernel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

WIDGET_CELL = """import lime_widget as lw
w = lw.explore(lw.sample_image("chelsea"), lw.load_model(), num_samples=150, random_state=0, progress=False,
               gradcam=True, prescore=True)
w"""

# The middle of every superpixel (farthest from its boundary and the image edge), as fractions of the display.
TARGETS = """(lambda np, ndi: [
    (lambda d: (lambda yx: {"seg": int(k), "fx": (float(yx[1]) + 0.5) / w.width, "fy": (float(yx[0]) + 0.5) / w.height,
                            "depth": float(d.max())})(np.unravel_index(np.argmax(d), d.shape)))(
        ndi.distance_transform_edt(np.pad(
            np.frombuffer(w.segments_bytes, dtype="<u2").reshape(w.height, w.width) == k, 1))[1:-1, 1:-1])
    for k in range(w.n_segments)
])(__import__("numpy"), __import__("scipy.ndimage", fromlist=["x"]))"""

# Record the first state the score cell shows for the next rev (before the kernel's answer replaces it).
WATCH_FIRST = """rev => {
  const el = document.querySelector('[data-testid="lime-score"]');
  window.__first = null;
  const obs = new MutationObserver(() => {
    if (window.__first === null && el.dataset.rev === String(rev) && el.dataset.value !== '') {
      window.__first = { known: el.dataset.known, value: el.dataset.value };
      obs.disconnect();
    }
  });
  obs.observe(el, { attributes: true, attributeFilter: ['data-rev', 'data-value', 'data-known'] });
}"""

PLOT = '[data-testid="lime-curve-plot"]'


def write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WIDGET_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "curves.ipynb")
    return "curves.ipynb"


def click_at(page, box: dict, fx: float, fy: float) -> None:
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def wait_curve(page, state: str = "done", timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "s => document.querySelector('[data-testid=\"lime-curve-plot\"]')?.dataset.state === s",
        arg=state,
        timeout=timeout_ms,
    )


def point_x(box: dict, count: int, k: int) -> float:
    """Page x of the curve point with ``count`` superpixels (the plot's own geometry: js/src/core/curve.ts)."""
    width, left, right = 320, 36, 10
    return box["x"] + (left + count / k * (width - left - right)) * box["width"] / width


def hidden(kernel) -> list[int]:
    return kernel.json("[i for i, v in enumerate(w.visible) if not v]")


def model_score(kernel) -> float:
    """The model's score of the mask on screen, computed again now (alone, not in a batch)."""
    return kernel.json("float(w.explanation.rescore(w.visible)[w.selected_label])")


def kernel_score(kernel) -> float:
    """The score the kernel published for the mask on screen (pre-scored masks: scored in a batch)."""
    return kernel.json("float(w.probabilities[w.selected_label])")


# A float32 model's output depends on the batch it was scored in, in about the 7th digit.
BATCH_REL = 1e-5


@pytest.mark.timeout(600)
@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_curve_prescored_clicks_and_zoom(tmp_path, app):
    from playwright.sync_api import sync_playwright

    name = write_notebook(tmp_path)
    with jupyter_server(tmp_path, app) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            console = ConsoleLog()
            console.attach(page)
            page.goto(server.page_url(app, name))
            run_first_cell(page)
            page.wait_for_selector('[data-testid="lime-canvas"]', timeout=240_000)
            wait_scored(page, 0)
            with kernel_probe(server, name) as kernel:
                k = kernel.json("w.n_segments")
                targets = sorted(kernel.json(TARGETS), key=lambda t: -t["depth"])  # the roomiest first
                canvas = page.locator('[data-testid="lime-canvas"]')
                canvas.scroll_into_view_if_needed()
                box = canvas.bounding_box()
                assert box is not None

                # ---- pre-scoring: the second click is answered in the view from the kernel's pre-scores
                a, b = targets[0], targets[1]
                click_at(page, box, a["fx"], a["fy"])
                wait_scored(page, 1)
                assert hidden(kernel) == [a["seg"]]
                assert kernel.json("w.wait_idle(120, background=True)") is True
                passes = kernel.json("w.forward_passes")
                assert kernel.json("w.background_passes") > 0
                page.evaluate(WATCH_FIRST, 2)
                click_at(page, box, b["fx"], b["fy"])
                score = wait_scored(page, 2)
                first = page.evaluate("window.__first")
                assert first is not None and first["known"] == "true", first
                assert float(first["value"]) == score == kernel_score(kernel)
                assert score == pytest.approx(model_score(kernel), rel=BATCH_REL)
                assert hidden(kernel) == sorted([a["seg"], b["seg"]])
                assert kernel.json("w.forward_passes") == passes  # no forward pass for this click
                assert kernel.json("w.scored_rev") == 2 and kernel.json("len(w.history)") == 2

                # ---- the curve: opened, scored in the background, drawn as the kernel has it
                page.click('[data-testid="lime-curve-toggle"]')
                assert wait_kernel(kernel, "w.show_curve", True) is True
                wait_curve(page)
                curve = kernel.json("w.curve")
                assert curve["state"] == "done" and curve["ranking"] == "lime" and curve["mode"] == "deletion"
                assert curve["label"] == kernel.json("w.selected_label")
                plot = page.locator(PLOT)
                assert float(plot.get_attribute("data-area")) == curve["area"]
                dots = page.eval_on_selector_all(
                    f"{PLOT} .lime-curve-dots circle",
                    "cs => cs.map(c => [Number(c.dataset.count), Number(c.dataset.score)])",
                )
                assert dots == [[c, s] for c, s in zip(curve["counts"], curve["scores"], strict=True)]
                assert curve["counts"] == list(range(k + 1))

                # ---- click a point: the mask becomes "first 5 hidden", shown at once with the model's score
                plot.scroll_into_view_if_needed()
                pbox = plot.bounding_box()
                assert pbox is not None
                rev = kernel.json("w.rev")
                page.evaluate(WATCH_FIRST, rev + 1)
                page.mouse.click(point_x(pbox, 5, k), pbox["y"] + pbox["height"] / 2)
                score = wait_scored(page, rev + 1)
                assert hidden(kernel) == sorted(curve["order"][:5])
                assert score == curve["scores"][5] == kernel_score(kernel)
                assert score == pytest.approx(model_score(kernel), rel=BATCH_REL)
                assert page.evaluate("window.__first")["known"] == "true"
                assert plot.get_attribute("data-now-point") == "5"
                shots = os.environ.get("LIME_WIDGET_SCREENSHOT_DIR")
                if shots and app == "lab":  # the docs' picture: LIME's deletion curve, the mask at its 5th point
                    page.locator(".lime-widget").screenshot(path=os.path.join(shots, "widget-curve.png"))

                # ---- without a mouse: the plot has the focus; End + Enter = every superpixel hidden
                assert page.evaluate("document.activeElement?.dataset?.testid") == "lime-curve-plot"
                page.keyboard.press("End")
                assert "hidden" in page.text_content('[data-testid="lime-curve-readout"]')
                page.keyboard.press("Enter")
                score = wait_scored(page, rev + 2)
                assert hidden(kernel) == list(range(k))
                assert score == curve["scores"][-1] == kernel_score(kernel)
                page.keyboard.press("Home")
                page.keyboard.press("Enter")
                wait_scored(page, rev + 3)
                assert hidden(kernel) == []

                # ---- another ranking and mode: recomputed by the kernel, drawn when done
                assert page.locator('[data-testid="lime-curve-ranking"] option[value="gradcam"]').count() == 1
                page.select_option('[data-testid="lime-curve-ranking"]', "random")
                assert wait_kernel(kernel, "w.curve_ranking", "random") == "random"
                assert kernel.json("w.wait_idle(120, background=True)") is True
                wait_curve(page)
                random_curve = kernel.json("w.curve")
                assert random_curve["ranking"] == "random"
                assert random_curve["order"] == kernel.json(
                    "lw.random_ranking(w.n_segments, w.explanation.seed).tolist()"
                )
                assert float(plot.get_attribute("data-area")) == random_curve["area"]
                page.select_option('[data-testid="lime-curve-mode"]', "insertion")
                assert wait_kernel(kernel, "w.curve_mode", "insertion") == "insertion"
                assert kernel.json("w.wait_idle(120, background=True)") is True
                wait_curve(page)
                insertion = kernel.json("w.curve")
                assert insertion["mode"] == "insertion" and insertion["ranking"] == "random"
                assert float(plot.get_attribute("data-area")) == insertion["area"]
                assert "superpixels shown" in page.text_content(PLOT)

                # ---- zoom: a click on the zoomed image hides the superpixel under the pointer
                canvas.focus()
                page.keyboard.press("r")  # show all
                rev = kernel.json("w.rev")
                wait_scored(page, rev)
                page.click('[data-testid="lime-zoom-in"]')
                page.click('[data-testid="lime-zoom-in"]')
                assert page.text_content('[data-testid="lime-zoom-reset"]') == "200%"
                viewport = page.locator('[data-testid="lime-viewport"]')
                assert viewport.evaluate("v => v.scrollWidth > v.clientWidth && v.scrollHeight > v.clientHeight")
                vbox = viewport.bounding_box()
                zbox = canvas.bounding_box()
                assert vbox is not None and zbox is not None
                assert zbox["width"] == pytest.approx(2 * box["width"], abs=2)
                inside = [
                    t
                    for t in targets
                    if vbox["x"] + 12 < zbox["x"] + t["fx"] * zbox["width"] < vbox["x"] + vbox["width"] - 12
                    and vbox["y"] + 12 < zbox["y"] + t["fy"] * zbox["height"] < vbox["y"] + vbox["height"] - 12
                ]
                assert inside, "no superpixel in the zoomed view"
                click_at(page, zbox, inside[0]["fx"], inside[0]["fy"])
                score = wait_scored(page, rev + 1)
                assert hidden(kernel) == [inside[0]["seg"]]
                assert score == kernel_score(kernel)
                assert score == pytest.approx(model_score(kernel), rel=BATCH_REL)
                page.keyboard.press("0")
                assert page.text_content('[data-testid="lime-zoom-reset"]') == "100%"
                assert canvas.bounding_box()["width"] == pytest.approx(box["width"], abs=2)
            page.screenshot(path=str(tmp_path / f"curves-{app}.png"), full_page=True)
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
