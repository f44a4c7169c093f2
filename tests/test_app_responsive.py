"""The app stays responsive while an upload is checked: a real `streamlit run` server, a real
Chromium session that uploads a hostile file, a second session that keeps working, and the
health endpoint polled throughout."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from geo.app.upload import CSV_REQUIRED, MAX_UPLOAD_FEATURES, SMALL_BYTES, SMALL_FEATURES
from tests.test_browser_app import open_app, page_count, upload

pytestmark = pytest.mark.browser
HEALTH_LIMIT_S = 1.0
VERDICT_TIMEOUT_S = 120


class HealthProbe:
    """Asks /_stcore/health every 100 ms in a thread and keeps each answer's latency."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/_stcore/health"
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._asked: float | None = None

    def worst(self) -> float:
        """The slowest answer so far, counting a question still waiting for one."""
        waiting = time.monotonic() - self._asked if self._asked else 0.0
        return max([waiting, *self.latencies])

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self._asked = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    response.read()
            except OSError as exc:
                self.failures.append(str(exc))
            self.latencies.append(time.monotonic() - started)
            self._asked = None
            self._stop.wait(0.1)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def hostile_geojson(path: Path) -> Path:
    """Just under the size up to which an upload in our own format is checked whole: a name of
    '<' and megabytes of spaces, the input that made a markup check take quadratic time."""
    skeleton = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [51.3, 25.1]},
                "properties": {"id": "slow-1", "name": "<"},
            }
        ],
    }
    text = json.dumps(skeleton)
    spaces = SMALL_BYTES - len(text) - 16
    path.write_text(text.replace('"<"', '"<' + " " * spaces + '"'), encoding="utf-8")
    assert SMALL_BYTES - 100 < path.stat().st_size <= SMALL_BYTES
    return path


def junk_csv(path: Path, rows: int) -> Path:
    header = ",".join(CSV_REQUIRED) + "\n"
    body = "junk\n" * rows
    path.write_text(header + body, encoding="utf-8")
    return path


def wait_responsive(probe: HealthProbe, page, text: re.Pattern[str], timeout_s: float) -> None:
    """Wait for ``text`` on ``page``, failing as soon as the server is slow to answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert probe.worst() < HEALTH_LIMIT_S, f"the server took {probe.worst():.1f} s to answer"
        if page.get_by_text(text).count():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{text.pattern!r} never appeared")


def events_label(page):
    return page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$"))


def test_a_hostile_upload_does_not_hold_the_server_or_other_sessions(
    browser, context, app_url, tmp_path
):
    path = hostile_geojson(tmp_path / "hostile.geojson")
    other_context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        other = open_app(other_context, app_url)
        before = page_count(other)
        page = open_app(context, app_url)
        with HealthProbe(app_url) as probe:
            started = time.monotonic()
            upload(page, path)
            # The second session works while the first one's file is being checked.
            wait_responsive(probe, page, re.compile(r"^Checking hostile\.geojson"), 60)
            events_label(other).click()
            other.wait_for_function(
                "n => { const m = document.body.innerText.match(/(\\d+) features shown/);"
                " return m && Number(m[1]) !== n; }",
                arg=before,
                timeout=30_000,
            )
            other_seconds = time.monotonic() - started
            wait_responsive(probe, page, re.compile(r"^The file was refused"), VERDICT_TIMEOUT_S)
            verdict_seconds = time.monotonic() - started
        print(
            f"\nhostile {path.stat().st_size:,} B upload: verdict after {verdict_seconds:.1f} s,"
            f" other session redrawn after {other_seconds:.1f} s, health polled"
            f" {len(probe.latencies)} times, slowest {max(probe.latencies):.3f} s"
        )
        assert probe.failures == []
        assert len(probe.latencies) >= 3
        assert max(probe.latencies) < HEALTH_LIMIT_S, sorted(probe.latencies)[-5:]
        assert page_count(other) != before
        code = page.locator("[data-testid='stCode']").first.inner_text()
        assert "hostile.geojson" in code
    finally:
        other_context.close()


def test_junk_csv_is_refused_by_its_row_count_before_any_check(context, app_url, tmp_path):
    path = junk_csv(tmp_path / "junk.csv", MAX_UPLOAD_FEATURES + 1)  # 5 MB of "junk" lines
    page = open_app(context, app_url)
    with HealthProbe(app_url) as probe:
        upload(page, path)
        page.get_by_text("The file was refused: 1 problem(s).").wait_for(timeout=60_000)
    code = page.locator("[data-testid='stCode']").first.inner_text()
    assert code.strip().startswith(f"junk.csv: more than {MAX_UPLOAD_FEATURES:,} rows")
    assert code.strip().endswith("split the file")
    assert max(probe.latencies) < HEALTH_LIMIT_S


def test_many_problems_are_shown_capped_and_counted(context, app_url, tmp_path):
    # A file checked whole (our CSV, up to SMALL_FEATURES rows) is refused with every problem.
    path = junk_csv(tmp_path / "junk.csv", SMALL_FEATURES)
    page = open_app(context, app_url)
    upload(page, path)
    page.get_by_text(f"The file was refused: {SMALL_FEATURES:,} problem(s).").wait_for(
        timeout=60_000
    )
    lines = page.locator("[data-testid='stCode']").first.inner_text().strip().splitlines()
    assert len(lines) == 51
    assert lines[0] == (
        "junk.csv:2: the row has fewer fields than the header - give every column its field"
    )
    assert lines[-1] == (
        f"... and {SMALL_FEATURES - 50:,} more problem(s): python -m geo validate lists them all"
    )
