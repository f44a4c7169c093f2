"""How fast the app answers, in a real browser: first map paint and updates.

Starts the app as `make run` does, on a free localhost port, and drives Debian's Chromium:

- cold: from starting the server to the first map paint of the first session;
- first session: from opening the page to the first map paint, on a server that has just
  started (the first session pays for Python imports and the first load of the layers);
- warm session: the same in a fresh browser context once the server has served a session;
- toggle and date change: from the click to the map holding the new features.

    python benchmarks/app_timing.py [runs]      (default 5; medians are printed)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from chromium import EXECUTABLE, FLAGS, free_port
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def start_server() -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    return process, url, started


def map_count(page) -> int | None:
    for frame in page.frames:
        if frame.url == "about:srcdoc":
            try:
                return frame.evaluate(
                    "window.posture && window.posture.payload ? window.posture.payload.count : null"
                )
            except Exception:
                return None
    return None


def wait_until(page, predicate, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter()
        page.wait_for_timeout(5)
    raise TimeoutError("the map did not answer")


def first_paint(browser, url: str) -> tuple[float, object, object]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    painted = wait_until(page, lambda: map_count(page) is not None)
    return painted - started, context, page


def update(page, action) -> float:
    before = map_count(page)
    started = time.perf_counter()
    action()
    return wait_until(page, lambda: map_count(page) not in (None, before)) - started


def main(runs: int) -> None:
    results: dict[str, list[float]] = {
        k: [] for k in ("cold", "first session", "warm session", "toggle", "date change")
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        for _ in range(runs):
            process, url, server_started = start_server()
            try:
                paint, context, _ = first_paint(browser, url)
                results["first session"].append(paint)
                results["cold"].append(time.perf_counter() - server_started)
                context.close()
                paint, context, page = first_paint(browser, url)
                results["warm session"].append(paint)
                events = page.get_by_text("Strikes and other events", exact=False).first
                results["toggle"].append(update(page, events.click))
                results["toggle"].append(update(page, events.click))
                page.get_by_role("combobox", name="Step").click()
                page.get_by_role("option", name="year").click()
                page.wait_for_timeout(500)
                back = page.get_by_role("button", name="◀")
                results["date change"].append(update(page, back.click))
                context.close()
            finally:
                process.terminate()
                process.wait(timeout=10)
        browser.close()
    print(f"| measure | median of {runs} runs | min | max |")
    print("|---|---:|---:|---:|")
    for name, values in results.items():
        print(
            f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f} s | "
            f"{max(values):.2f} s |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
