"""Helpers for real-browser tests: a Jupyter server on 127.0.0.1, Debian's chromium via Playwright, and a
kernel client attached to the notebook's kernel (to ask the kernel what the model says)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("LIME_WIDGET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_available() -> str | None:
    """None when the browser tests can run, else the reason they cannot."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterServer:
    url: str
    token: str
    root: Path
    runtime: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str) -> Any:
        req = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def page_url(self, app: str, notebook: str) -> str:
        prefix = "/lab/tree/" if app == "lab" else "/notebooks/"
        return f"{self.url}{prefix}{notebook}?token={self.token}"


@contextmanager
def jupyter_server(root: Path, app: str = "lab", theme: str | None = None) -> Iterator[JupyterServer]:
    """Start ``jupyter lab`` (or ``jupyter notebook`` for app='notebook') on 127.0.0.1 serving ``root``.

    ``theme``: a JupyterLab theme name ("JupyterLab Light", "JupyterLab Dark") set in the user settings."""
    token = secrets.token_hex(16)
    port = _free_port()
    runtime = root / ".runtime"
    runtime.mkdir(exist_ok=True)
    log = root / f"jupyter-{app}.log"
    # User settings: no news/update pop-up over the page (the machine is offline anyway).
    settings = root / ".settings"
    notif = settings / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    if theme is not None:
        (notif / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        # A fresh workspace per server: JupyterLab saves the layout (sidebar sizes) in ~/.jupyter by default,
        # and one test's resized window would shape the next test's page.
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
        LIME_NUM_SAMPLES=os.environ.get("LIME_NUM_SAMPLES", "120"),
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab" if app == "lab" else "notebook",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = JupyterServer(f"http://127.0.0.1:{port}", token, root, runtime, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                server.api("/api/status")
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def marimo_server(notebook: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``marimo run NOTEBOOK`` on 127.0.0.1 (no token) and yield its URL."""
    port = _free_port()
    log = notebook.parent / "marimo.log"
    cmd = [sys.executable, "-m", "marimo", "run", str(notebook), "--headless", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-token", "--no-sandbox"]
    full_env = dict(os.environ, **(env or {}))
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=notebook.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"marimo did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class KernelProbe:
    """Runs code in the notebook's own kernel and returns what it prints."""

    client: Any

    def run(self, code: str, timeout: float = 60) -> str:
        out: list[str] = []
        self.client.execute_interactive(
            code, timeout=timeout, output_hook=lambda msg: _collect(msg, out), store_history=False
        )
        return "".join(out)

    def json(self, expr: str) -> Any:
        return json.loads(self.run(f"import json as _j; print(_j.dumps({expr}))").strip().splitlines()[-1])


def _collect(msg: dict[str, Any], out: list[str]) -> None:
    kind = msg["header"]["msg_type"]
    if kind == "stream":
        out.append(msg["content"]["text"])
    elif kind == "error":
        raise RuntimeError(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")


@contextmanager
def kernel_probe(server: JupyterServer, notebook: str) -> Iterator[KernelProbe]:
    """Attach a second client to the kernel that runs ``notebook`` in the server."""
    from jupyter_client import BlockingKernelClient

    sessions = [s for s in server.api("/api/sessions") if s["path"].endswith(notebook)]
    if not sessions:
        raise RuntimeError(f"no kernel session for {notebook}")
    kid = sessions[0]["kernel"]["id"]
    conn = next(server.runtime.glob(f"kernel-{kid}*.json"))
    client = BlockingKernelClient(connection_file=str(conn))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield KernelProbe(client)
    finally:
        client.stop_channels()


@dataclass
class ConsoleLog:
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e} @ {(e.stack or '')[:400]}"))

    def relevant(self) -> list[str]:
        # The machine is offline: failed requests to outside hosts are not the widget's fault.
        ignore = (
            "net::ERR_",
            "Failed to load resource",
            "favicon",
            "ERR_INTERNET_DISCONNECTED",
            "ERR_NAME_NOT_RESOLVED",
        )
        out = [e for e in self.errors if not any(s in e for s in ignore)]
        # Notebook 7.6 itself throws this at start-up with no widget at all (seen on an empty notebook).
        return [e for e in out if not ("reading 'schema'" in e and "notebook_core" in e)]


def copy_notebook(src: Path, dest_dir: Path, name: str | None = None) -> Path:
    dest = dest_dir / (name or src.name)
    shutil.copy(src, dest)
    return dest
