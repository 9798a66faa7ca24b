"""Real browser: where the explorer's static view shows, and where it does not (docs/troubleshooting.md, "Where
it runs").

- A notebook saved without widget state and converted to HTML (what nbviewer and GitHub show) shows the
  picture of the view, loaded, at the view's size, with the note that the interactive view needs a kernel.
- JupyterLab 4 with a live kernel renders the widget, never the picture beside it (the widget entry wins).
- JupyterLab 4 reopening that notebook (saved without widget state; the kernel's widgets are gone) shows
  its own "Error displaying widget" and not the picture: the widget renderer takes the output first.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from lime_widget.widget._static_view import NOTE

from .harness import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, JupyterServer, browser_available, jupyter_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

reason = browser_available()
if reason:
    if os.environ.get("LIME_WIDGET_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
        raise RuntimeError(f"browser tests required but cannot run: {reason}")
    pytest.skip(reason, allow_module_level=True)

# A small explanation (no network model): 4 x 8 superpixels of a 48 x 64 noise image.
WIDGET_CELL = """import numpy as np
import lime_widget as lw

image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
segments = (np.arange(48)[:, None] // 12) * 8 + np.arange(64)[None, :] // 8


def brightness(batch):
    p1 = batch.mean(axis=(1, 2, 3)) / 255.0
    return np.stack([1 - p1, p1], axis=1)


model = lw.FunctionClassifier(brightness, class_names=["dark", "bright"])
exp = lw.explain(image, model, segments=segments, hide="black", num_samples=40, progress=False)
w = lw.LimeWidget(exp, prescore=False)
w"""

PICTURE = 'img[alt^="lime_widget explorer"]'


def new_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WIDGET_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.timeout(300)
def test_a_saved_notebook_converted_to_html_shows_the_picture(tmp_path: Path) -> None:
    import nbclient
    import nbconvert
    from playwright.sync_api import sync_playwright

    nb = nbformat.read(new_notebook(tmp_path / "static.ipynb"), as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False).execute()
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    page_path = tmp_path / "static.html"
    page_path.write_text(body, encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            console = ConsoleLog()
            console.attach(page)
            page.goto(page_path.as_uri())
            img = page.wait_for_selector(PICTURE, timeout=30_000)
            assert img is not None
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img, timeout=30_000)
            size = img.evaluate("img => [img.naturalWidth, img.naturalHeight, img.width, img.height]")
            assert size == [64, 48, 64, 48]
            assert NOTE in (page.text_content("figure figcaption") or "")
            assert page.query_selector('[data-testid="lime-canvas"]') is None
            page.screenshot(path=str(tmp_path / "static.png"), full_page=True)
            assert console.relevant() == [], console.relevant()
        finally:
            browser.close()


def _delete_sessions(server: JupyterServer) -> None:
    for session in server.api("/api/sessions"):
        req = urllib.request.Request(
            f"{server.url}/api/sessions/{session['id']}",
            method="DELETE",
            headers={"Authorization": f"token {server.token}"},
        )
        urllib.request.urlopen(req, timeout=30).close()


@pytest.mark.timeout(600)
def test_jupyterlab_renders_the_widget_and_not_the_picture_and_a_reopened_notebook_shows_neither(
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    name = new_notebook(tmp_path / "live.ipynb").name
    with jupyter_server(tmp_path, "lab") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.page_url("lab", name))
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            time.sleep(2.0)  # the kernel connects
            page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector('[data-testid="lime-canvas"]', timeout=240_000)
            assert page.query_selector(PICTURE) is None  # the live widget, alone
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + 30
            saved: dict = {}
            while time.monotonic() < deadline:
                saved = json.loads((tmp_path / name).read_text(encoding="utf-8"))
                if saved["cells"][0].get("outputs"):
                    break
                time.sleep(0.5)
            data = saved["cells"][0]["outputs"][-1]["data"]
            assert "application/vnd.jupyter.widget-view+json" in data and "image/png" in data
            assert "widgets" not in saved["metadata"]  # JupyterLab saves no widget state by default

            _delete_sessions(server)  # the kernel and its widgets are gone, as after closing JupyterLab
            page.reload()
            page.wait_for_selector(".jp-Notebook .jp-Cell .jp-OutputArea-output", timeout=120_000)
            page.wait_for_function(
                "() => /Error displaying widget/.test(document.querySelector('.jp-OutputArea-output').textContent)",
                timeout=60_000,
            )
            assert page.query_selector(PICTURE) is None
            page.screenshot(path=str(tmp_path / "reopened.png"), full_page=True)
        finally:
            browser.close()
