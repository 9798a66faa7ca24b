"""Real browser: the workbench's gestures in JupyterLab 4 and Notebook 7 (chromium, Playwright).

- the surrogate's prediction is shown for the mask on screen, equal to the one the kernel computes;
- a drag across the image paints several superpixels hidden in one probe (one rev, one forward pass), and
  the score shown is the model's for that mask;
- keys work on the focused image: hide the top k, undo, next class, heatmap off, help; the notebook's own
  command-mode shortcuts do not also fire (the cell stays a code cell);
- the opacity slider sets the kernel's ``heatmap_opacity``;
- the map switch shows Grad-CAM on the same superpixels, with the agreement the kernel computed, and the
  top-k buttons then rank by Grad-CAM.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, browser_available, jupyter_server, kernel_probe
from .test_browser import run_first_cell, wait_scored

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

WIDGET_CELL = """import lime_widget as lw
# 250 samples: with fewer, no prefix of LIME's ranking flips chelsea's class (minimal_flip: no_flip)
w = lw.explore(lw.sample_image("chelsea"), lw.load_model(), num_samples=250, random_state=0, progress=False,
               gradcam=True)
w"""


def write_notebook(root: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WIDGET_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "workbench.ipynb")
    return "workbench.ipynb"


# A horizontal drag through the image's middle row: from the middle of the first run of pixels of one
# superpixel to the middle of a run three superpixels further on (display pixels, as fractions).
ROW_EXPR = """(lambda np: (lambda seg: (lambda y, row: (lambda runs: {
    "fy": (y + 0.5) / w.height,
    "fx0": (runs[1][0] + runs[1][1]) / 2 / w.width,
    "fx1": (runs[4][0] + runs[4][1]) / 2 / w.width,
    "crossed": sorted({int(s) for s in row[int((runs[1][0] + runs[1][1]) / 2):int((runs[4][0] + runs[4][1]) / 2) + 1]}),
    "first": int(row[int((runs[1][0] + runs[1][1]) / 2)]),
    "last": int(row[int((runs[4][0] + runs[4][1]) / 2)]),
})([(a, b) for a, b in zip(
    [0, *list(np.flatnonzero(np.diff(row)) + 1)], [*list(np.flatnonzero(np.diff(row)) + 1), len(row)], strict=True
) if b - a >= 8]))(w.height // 2, seg[w.height // 2]))(
    np.frombuffer(w.segments_bytes, dtype="<u2").reshape(w.height, w.width)
))(__import__("numpy"))"""


def shown(page, testid: str) -> float:
    value = page.get_attribute(f'[data-testid="{testid}"]', "data-value")
    assert value not in (None, ""), testid
    return float(value)


def wait_kernel(kernel, expr: str, expected, timeout_s: float = 20.0):
    import time

    deadline = time.monotonic() + timeout_s
    value = kernel.json(expr)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = kernel.json(expr)
    return value


@pytest.mark.timeout(600)
@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_paint_keys_opacity_and_the_instant_surrogate(tmp_path, app):
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
            wait_scored(page, 0)
            with kernel_probe(server, name) as kernel:
                surrogate = "float(w.explanation.surrogate_prediction(w.visible, w.selected_label))"
                assert shown(page, "lime-surrogate") == pytest.approx(kernel.json(surrogate), abs=1e-12)

                # ---- paint: one drag, several superpixels, one probe
                row = kernel.json(ROW_EXPR)
                passes = kernel.json("w.forward_passes")
                canvas = page.locator('[data-testid="lime-canvas"]')
                canvas.scroll_into_view_if_needed()
                box = canvas.bounding_box()
                assert box is not None
                y = box["y"] + row["fy"] * box["height"]
                page.mouse.move(box["x"] + row["fx0"] * box["width"], y)
                page.mouse.down()
                page.mouse.move(box["x"] + row["fx1"] * box["width"], y, steps=12)
                page.mouse.up()
                score = wait_scored(page, 1)
                hidden = kernel.json("[i for i, v in enumerate(w.visible) if not v]")
                assert row["first"] in hidden and row["last"] in hidden and len(hidden) >= 3, (hidden, row)
                assert set(hidden) <= set(row["crossed"]), (hidden, row)
                assert kernel.json("w.rev") == 1 and kernel.json("len(w.history)") == 1  # one probe
                assert kernel.json("w.forward_passes") == passes + 1
                assert score == kernel.json("float(w.explanation.rescore(w.visible)[w.selected_label])")
                assert shown(page, "lime-surrogate") == pytest.approx(kernel.json(surrogate), abs=1e-12)

                # ---- keys on the focused image
                # the drag gave the image the keyboard focus (the cell editor had it before)
                assert page.evaluate("document.activeElement?.dataset?.testid") == "lime-canvas"
                page.keyboard.press("r")  # reset
                wait_scored(page, 2)
                assert kernel.json("all(w.visible)") is True
                page.keyboard.press("h")  # hide the top k (k = 5)
                wait_scored(page, 3)
                top = kernel.json("sorted(int(i) for i in w.explanation.top_segments(w.selected_label, k=w.top_k))")
                assert kernel.json("[i for i, v in enumerate(w.visible) if not v]") == top
                assert shown(page, "lime-surrogate") == pytest.approx(kernel.json(surrogate), abs=1e-12)
                page.keyboard.press("z")  # undo: back to all shown
                wait_scored(page, 4)
                assert kernel.json("all(w.visible)") is True
                second = kernel.json("int(w.explanation.top_labels[1])")
                page.keyboard.press("n")
                assert wait_kernel(kernel, "w.selected_label", second) == second
                code_cells = page.locator(".jp-Notebook .jp-CodeCell").count()
                page.keyboard.press("m")  # heatmap off (in command mode, m would make the cell markdown)
                assert wait_kernel(kernel, "w.show_heatmap", False) is False
                assert page.locator(".jp-Notebook .jp-MarkdownCell").count() == 0
                assert page.locator(".jp-Notebook .jp-CodeCell").count() == code_cells
                page.keyboard.press("m")
                assert wait_kernel(kernel, "w.show_heatmap", True) is True
                help_box = page.locator('[data-testid="lime-help"]')
                assert help_box.is_hidden()
                page.keyboard.press("?")
                assert help_box.is_visible() and "hide / keep the top k" in help_box.text_content()
                assert page.get_attribute('[data-testid="lime-help-button"]', "aria-expanded") == "true"
                page.keyboard.press("?")
                assert help_box.is_hidden()

                # ---- opacity slider
                slider = page.locator('[data-testid="lime-opacity"]')
                assert slider.input_value() == "45"
                slider.fill("80")
                assert wait_kernel(kernel, "w.heatmap_opacity", 0.8) == 0.8
                assert page.text_content('[data-testid="lime-status"]').strip() == "ready"

                # ---- Grad-CAM on the same superpixels
                canvas.focus()  # the slider had the focus: keys typed there stay the slider's
                page.keyboard.press("p")  # back to the top class
                first = kernel.json("int(w.explanation.top_labels[0])")
                assert wait_kernel(kernel, "w.selected_label", first) == first
                agreement = kernel.json("next(c['agreement'] for c in w.classes if c['id'] == w.selected_label)")
                text = page.text_content('[data-testid="lime-agreement"]').strip()
                rho = "—" if agreement["spearman"] is None else f"{agreement['spearman']:.2f}"
                assert text == f"ρ {rho} · top {agreement['k']} shared: {agreement['overlap']}"
                method = page.locator('[data-testid="lime-method"]')
                assert method.is_visible()
                method.select_option("gradcam")
                assert wait_kernel(kernel, "w.heatmap_method", "gradcam") == "gradcam"
                assert page.text_content(".lime-legend-title").startswith("Grad-CAM for")
                page.click('[data-testid="lime-hide-topk"]')
                wait_scored(page, 5)
                cam_top = kernel.json(
                    "(lambda g: sorted(sorted((i for i, x in enumerate(g) if x is not None and x > 0), "
                    "key=lambda i: (-g[i], i))[:w.top_k]))(next(c['gradcam'] for c in w.classes "
                    "if c['id'] == w.selected_label))"
                )
                assert kernel.json("[i for i, v in enumerate(w.visible) if not v]") == cam_top
                revs = kernel.json("[h['rev'] for h in w.history]")
                assert revs == sorted(set(revs)), revs  # one probe per mask, none recorded twice

                # ---- find the smallest flip, then hide it
                kernel.json("setattr(w, 'flip_budget', 300)")  # a short search for the test
                page.click('[data-testid="lime-flip-find"]')
                result = page.locator('[data-testid="lime-flip-result"]')
                page.wait_for_function(
                    "() => /makes it|no flip/.test(document.querySelector('[data-testid=\"lime-flip-result\"]')"
                    ".textContent)",
                    timeout=180_000,
                )
                flip = kernel.json("w.flip")
                assert flip["state"] == "done" and flip["flipped"] is True, flip
                assert result.text_content() == (
                    f"hiding {flip['size']} superpixels makes it “{flip['new_class_name']}” "
                    f"({flip['forward_passes']} forward passes; LIME's top {flip['greedy_size']} needed)"
                )
                assert flip["size"] <= flip["greedy_size"] and flip["forward_passes"] <= 300
                rev = kernel.json("w.rev")
                page.click('[data-testid="lime-flip-show"]')
                score = wait_scored(page, rev + 1)
                assert kernel.json("[i for i, v in enumerate(w.visible) if not v]") == flip["hidden"]
                probs = "w.explanation.rescore(w.visible)"
                assert score == kernel.json(f"float({probs}[w.selected_label])")
                assert kernel.json(f"w.explanation.class_names[int({probs}.argmax())]") == flip["new_class_name"]
            page.screenshot(path=str(tmp_path / f"workbench-{app}.png"), full_page=True)
            shots = os.environ.get("LIME_WIDGET_SCREENSHOT_DIR")
            if shots and app == "lab":
                page.locator(".lime-widget").screenshot(path=os.path.join(shots, "widget-workbench.png"))
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()
