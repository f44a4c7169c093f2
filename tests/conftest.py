"""Fixtures for the real parts: Debian's Chromium driven by Playwright, and the app served by
Streamlit on a free localhost port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost")
INERT_PREFIXES = ("data:", "blob:", "about:", "file:")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium. Skips with the reason where there is none, but never under CI."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium is missing: install Debian's chromium package")
        pytest.skip("Chromium not found (apt-get install chromium); browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Playwright is missing: pip install -e '.[test]'")
        pytest.skip("Playwright not installed; browser tests skipped")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class Recorder:
    """Blocks and records every request that leaves this machine."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.local: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_PREFIXES):
            self.local.append(url)
            route.continue_()
        elif url.startswith(INERT_PREFIXES):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


@pytest.fixture
def context(browser):
    """A fresh browser context whose requests outside localhost are blocked and recorded;
    any dialog (alert, confirm) is recorded as evidence that script ran."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    recorder = Recorder()
    ctx.route("**/*", recorder)
    ctx.recorder = recorder
    ctx.dialogs = []
    ctx.on(
        "page",
        lambda page: page.on("dialog", lambda d: (ctx.dialogs.append(d.message), d.dismiss())),
    )
    yield ctx
    ctx.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_app(env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """The app, started as a user starts it, on a free localhost port, with ``env`` added to
    its environment; the caller stops it (:func:`stop_app`)."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    log_path = Path(tempfile.gettempdir()) / f"posture-map-streamlit-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the app did not start within 60 s; see {log_path}")


def stop_app(process: subprocess.Popen) -> None:
    """Stop the app as a service manager does (SIGTERM), and wait for it to end."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """The app, started as a user starts it, on a free localhost port."""
    process, url = serve_app()
    yield url
    stop_app(process)
