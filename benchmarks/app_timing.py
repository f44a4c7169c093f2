"""How fast the app answers, in a real browser: first map paint and updates.

Starts the app as `make run` does, on a free localhost port, and drives Debian's Chromium:

- cold: from starting the server to the first map paint of the first session;
- first session: from opening the page to the first map paint, on a server that has just
  started (the first session pays for Python imports and the first load of the layers);
- warm session: the same in a fresh browser context once the server has served a session;
- revisit: the same in a new tab of that context, whose cache now holds Streamlit's scripts;
- toggle and date change: from the click to the map drawn with the new features.

Each ends when the map says it has drawn (its big layers' canvases included): posture.js sets a
``posture-drawn`` performance mark, read in the page, so the time is the browser's own and
not that of the script's polling.

    python benchmarks/app_timing.py [runs]      (default 5; medians are printed)
    python benchmarks/app_timing.py 3 --layers DIR --toggle "Layer title"
    python benchmarks/app_timing.py 3 --layers DIR --query window=1y --step month --steps 3
    python benchmarks/app_timing.py 3 --acled 100000     (makes DIR with a 100k Parquet layer)

``--layers`` points the app at another layers folder (GEO_LAYERS_DIR) and ``--toggle`` names
the layer whose checkbox is clicked. ``--acled N`` writes a seeded synthetic export of N rows
in ACLED's columns (every column, made-up actors, places and notes, 1-3 sources from a shared
pool, points inside their countries), imports it with ``python -m geo import --format acled``
as a GeoParquet layer, and times the app on it. Synthetic data: the figures measure the code.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from chromium import EXECUTABLE, FLAGS, free_port
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


# Every column of an ACLED export, in its order (the header of tests/data/acled_sample.csv).
ACLED_SAMPLE = ROOT / "tests" / "data" / "acled_sample.csv"
ACLED_COLUMNS = ACLED_SAMPLE.read_text(encoding="utf-8").splitlines()[0].split(",")
# ISO numeric code, ACLED country name, our code (for a point inside the country).
COUNTRIES = (
    (760, "Syria", "SY"),
    (368, "Iraq", "IQ"),
    (887, "Yemen", "YE"),
    (422, "Lebanon", "LB"),
    (364, "Iran", "IR"),
)
EVENT_TYPES = (
    ("Explosions/Remote violence", "Air/drone strike", "Synthetic Air Force"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Synthetic Army"),
    ("Battles", "Armed clash", "Synthetic Militia"),
    ("Violence against civilians", "Attack", "Synthetic Unidentified Group"),
)
PUBLISHERS = [f"Synthetic Outlet {n}" for n in range(60)]


def write_acled_export(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic ACLED-shaped export of ``rows`` rows (see the module's docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from store_bench import _points_in  # points well inside a country's outline

    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(COUNTRIES), rows)
    points = np.zeros((rows, 2))
    for number, (_iso, _name, code) in enumerate(COUNTRIES):
        mine = np.flatnonzero(which == number)
        points[mine] = _points_in(code, len(mine), rng)
    days = rng.integers(0, (dt.date(2026, 11, 30) - dt.date(2016, 1, 1)).days, rows)
    time_precision = rng.choice([1, 2, 3], rows, p=[0.85, 0.1, 0.05])
    geo_precision = rng.choice([1, 2, 3], rows, p=[0.7, 0.2, 0.1])
    kinds = rng.integers(0, len(EVENT_TYPES), rows)
    sources = rng.integers(0, len(PUBLISHERS), (rows, 3))
    counts = rng.integers(1, 4, rows)
    fatalities = rng.poisson(1.5, rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(ACLED_COLUMNS)
        for n in range(rows):
            iso, country, _code = COUNTRIES[which[n]]
            day = dt.date(2016, 1, 1) + dt.timedelta(days=int(days[n]))
            event_type, sub_type, actor = EVENT_TYPES[kinds[n]]
            place = f"Synthetic Place {n % 4000}"
            source = "; ".join(PUBLISHERS[k] for k in sources[n][: counts[n]])
            notes = (
                f"Synthetic row {n}: on {day:%d %B %Y}, {actor} was reported in {place}, "
                f"{country}; {fatalities[n]} fatalities reported. Not a real event."
            )
            out.writerow(
                [f"SYN{n}", day.isoformat(), day.year, int(time_precision[n]), "Political violence",
                 event_type, sub_type, actor, "", 8, "Synthetic Civilians", "", 7, 78, "", iso,
                 "Middle East", country, f"Synthetic Province {n % 40}", "", "", place,
                 f"{points[n][1]:.4f}", f"{points[n][0]:.4f}", int(geo_precision[n]), source,
                 "National", notes, int(fatalities[n]), "", 1700000000]
            )  # fmt: skip


def acled_layers(rows: int) -> Path:
    """A temporary layers folder holding one imported ACLED-shaped GeoParquet layer."""
    folder = Path(tempfile.mkdtemp(prefix="app-timing-"))
    export = folder / "acled-export.csv"
    started = time.perf_counter()
    write_acled_export(export, rows)
    (folder / "layers").mkdir()
    imported = folder / "acled.geojson"
    result = subprocess.run(
        [sys.executable, "-m", "geo", "import", str(export), "--format", "acled", "--title",
         ACLED_TITLE, "--accessed", "2026-12-03", "-o", str(imported)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"the import failed: {result.stderr.strip()}")
    # The importer writes GeoJSON; the app reads big layers as GeoParquet.
    sys.path.insert(0, str(ROOT))
    import orjson

    from geo.catalog import layer_from_document
    from geo.store import write_parquet

    document = orjson.loads(imported.read_bytes())
    write_parquet(layer_from_document(document, imported), folder / "layers" / "acled.parquet")
    print(f"wrote and imported {rows:,} ACLED-shaped rows in {time.perf_counter() - started:.1f} s")
    return folder / "layers"


ACLED_TITLE = "Synthetic ACLED events"


def start_server(layers: Path | None = None) -> tuple[subprocess.Popen, str, float]:
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
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            **({"GEO_LAYERS_DIR": str(layers)} if layers else {}),
        },
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


def map_shows(page) -> list | None:
    """The count, total and caption of the payload the map frame shows (other srcdoc frames,
    such as the app's small script components, hold no map): a date step past the drawing cap
    changes the caption's dates, not the count."""
    frame = map_frame(page)
    if frame is None:
        return None
    return frame.evaluate("(p => [p.count, p.total, p.caption])(window.posture.payload)")


def map_frame(page):
    """The frame whose map shows a payload, or None."""
    for frame in page.frames:
        if frame.url == "about:srcdoc":
            try:
                if frame.evaluate("!!(window.posture && window.posture.payload)"):
                    return frame
            except Exception:
                continue
    return None


# When the map last drew (posture.js marks it), in ms since the epoch, or null.
DRAWN_AT = """(() => { const marks = performance.getEntriesByName('posture-drawn');
  return marks.length ? performance.timeOrigin + marks[marks.length - 1].startTime : null; })()"""


def drawn_after(page, since_ms: float, timeout: float = 300.0) -> float:
    """When the map next drew after ``since_ms`` (epoch ms), as the map's own mark says: the
    page polls, but the time is the browser's, not the poll's."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        frame = map_frame(page)
        drawn = frame.evaluate(DRAWN_AT) if frame is not None else None
        if drawn is not None and drawn > since_ms:
            return drawn
        page.wait_for_timeout(20)
    raise TimeoutError("the map did not draw")


def wait_until(page, predicate, timeout: float = 300.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter()
        page.wait_for_timeout(5)
    raise TimeoutError("the map did not answer")


def first_paint(browser, url: str) -> tuple[float, object, object]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    started = time.time() * 1000
    page.goto(url)
    return (drawn_after(page, started) - started) / 1000, context, page


def revisit(context, url: str) -> float:
    """First paint of a new tab in a browser that has opened the app before (its cache holds
    Streamlit's scripts), as for an analyst who comes back to it."""
    page = context.new_page()
    started = time.time() * 1000
    page.goto(url)
    painted = drawn_after(page, started)
    page.close()
    return (painted - started) / 1000


def update(page, action) -> float:
    """From ``action`` (a click) to the map drawn with another payload."""
    before = map_shows(page)
    started = time.time() * 1000
    action()
    wait_until(page, lambda: map_shows(page) not in (None, before))
    return (drawn_after(page, started) - started) / 1000


def main(
    runs: int,
    layers: Path | None = None,
    toggle: str = "Strikes and other events",
    query: str = "",
    step: str = "year",
    steps: int = 1,
) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.helpers import choose_option

    results: dict[str, list[float]] = {
        k: [] for k in ("cold", "first session", "warm session", "revisit", "toggle", "date change")
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        for _ in range(runs):
            process, url, server_started = start_server(layers)
            url += f"/?{query}" if query else ""
            try:
                paint, context, _ = first_paint(browser, url)
                results["first session"].append(paint)
                results["cold"].append(time.perf_counter() - server_started)
                context.close()
                paint, context, page = first_paint(browser, url)
                results["warm session"].append(paint)
                results["revisit"].append(revisit(context, url))
                events = page.get_by_text(toggle, exact=False).first
                results["toggle"].append(update(page, events.click))
                results["toggle"].append(update(page, events.click))
                choose_option(page, "Step", step)
                page.wait_for_timeout(500)
                back = page.get_by_role("button", name="◀")
                for _ in range(steps):
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--layers", type=Path, help="a layers folder (GEO_LAYERS_DIR)")
    parser.add_argument("--toggle", default=None, help="the title of the layer to toggle")
    parser.add_argument("--acled", type=int, help="time a synthetic ACLED layer of N rows")
    parser.add_argument("--query", default="", help="the app's URL query, e.g. window=1y")
    parser.add_argument("--step", default="year", choices=("day", "month", "year"))
    parser.add_argument("--steps", type=int, default=1, help="date steps back timed per run")
    args = parser.parse_args()
    folder = acled_layers(args.acled) if args.acled else args.layers
    default = ACLED_TITLE if args.acled else "Strikes and other events"
    main(args.runs, folder, args.toggle or default, args.query, args.step, args.steps)
