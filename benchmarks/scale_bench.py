"""Analysts' event data at scale, ours against pandas + geopandas ``explore()``, in one run.

    .venv/bin/python benchmarks/scale_bench.py [--sizes 1k,10k,100k] [--no-browser]
        [--import-only 1m] [--keep DIR]

For each size, seeded synthetic ACLED-shaped CSV exports (every value made up: 1-3 sources per
row from a shared pool, notes of 20-60 words, positions well inside Syria, Iraq, Yemen or Iran)
go through:

- ours: (a) ``python -m geo import FILE --format acled -o layers/acled.parquet``; (b) the app's
  update path, in process: the catalog loaded as the app loads it, then the payload the map is
  sent (``geo.render.payload.build_payload``, serialised as JSON; a big layer as a part held
  for every date, sent once) for the whole view, a layer toggled back on and a one-month date
  step; (c) ``python -m geo export html``.
- theirs: ``pandas.read_csv`` + ``geopandas.points_from_xy`` + ``GeoDataFrame.explore()``
  saved to HTML (no tiles, as our export), with the same Leaflet 1.9.3 inlined from
  ``geo.render.assets`` in place of its CDN tags and its other CDN tags (jQuery, Bootstrap,
  Font Awesome, awesome-markers, which circle markers do not use) removed, so neither page
  waits on a network.

Both HTML builds run as a fresh ``python`` process (start-up, imports and reading included).
In Debian's Chromium (flags in benchmarks/chromium.py, every request outside the file refused)
each page is timed from navigation to the drawn map: ours when the map container has
``data-ready="1"``, theirs when its GeoJSON layer's first path exists (Leaflet adds every
feature of a GeoJSON layer in one task, so the first path means all of them), each at the next
animation frame; then the JS heap in use after a garbage collection (CDP
``Runtime.getHeapUsage``). ``--import-only 1m`` times only the import at that size.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}

COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
# (country, ISO 3166 numeric, ISO alpha-3, a box well inside it: south, north, west, east)
COUNTRIES = (
    ("Syria", 760, "SYR", 34.5, 36.0, 37.0, 40.0),
    ("Iraq", 368, "IRQ", 32.0, 35.0, 41.8, 45.0),
    ("Yemen", 887, "YEM", 14.0, 16.0, 44.0, 47.0),
    ("Iran", 364, "IRN", 30.0, 35.0, 50.0, 57.0),
)
EVENT_TYPES = (
    ("Political violence", "Battles", "Armed clash"),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike"),
    ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Political violence", "Violence against civilians", "Attack"),
    ("Demonstrations", "Protests", "Peaceful protest"),
    ("Strategic developments", "Strategic developments", "Looting/property destruction"),
)
WORDS = tuple(
    [
        "forces",
        "clashed",
        "with",
        "fighters",
        "near",
        "the",
        "village",
        "after",
        "an",
        "attack",
        "on",
        "a",
        "checkpoint",
        "the",
        "previous",
        "night",
        "reported",
        "casualties",
        "among",
        "members",
        "of",
        "the",
        "group",
        "local",
        "sources",
        "said",
        "that",
        "a",
        "drone",
        "struck",
        "a",
        "vehicle",
        "on",
        "the",
        "road",
        "between",
        "the",
        "two",
        "towns",
        "security",
        "units",
        "deployed",
        "reinforcements",
        "to",
        "the",
        "area",
        "residents",
        "fled",
        "toward",
        "the",
        "district",
        "centre",
    ]
)
FIRST_DAY = dt.date(2018, 1, 1)
LAST_DAY = dt.date(2026, 11, 30)


# --- the synthetic export ------------------------------------------------------------------


def _pool(rng: random.Random, prefix: str, count: int) -> list[str]:
    return [
        f"{prefix} {' '.join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 3)))} {n}"
        for n in range(count)
    ]


def write_acled(path: Path, rows: int, seed: int = 2026) -> None:
    """Write ``rows`` synthetic ACLED rows to ``path``, as ACLED's export lays them out."""
    rng = random.Random(seed)
    sources = _pool(rng, "Synthetic", 80)  # the shared pool each row draws 1-3 from
    actors = _pool(rng, "Synthetic Group", 120)
    first, days = FIRST_DAY.toordinal(), (LAST_DAY - FIRST_DAY).days
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(1, rows + 1):
            country, iso, alpha, south, north, west, east = rng.choice(COUNTRIES)
            disorder, event_type, sub_type = rng.choice(EVENT_TYPES)
            day = dt.date.fromordinal(first + rng.randrange(days))
            notes = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
            writer.writerow(
                (
                    f"{alpha}{number}",
                    day.isoformat(),
                    day.year,
                    rng.choice((1, 1, 1, 2, 3)),
                    disorder,
                    event_type,
                    sub_type,
                    rng.choice(actors),
                    rng.choice(("", "", rng.choice(actors))),
                    rng.randint(1, 8),
                    rng.choice(("", rng.choice(actors))),
                    "",
                    rng.randint(0, 8),
                    rng.randint(10, 88),
                    "",
                    iso,
                    "Middle East",
                    country,
                    f"Synthetic Province {rng.randint(1, 12)}",
                    "",
                    "",
                    f"Synthetic Town {rng.randint(1, 4000)}",
                    f"{rng.uniform(south, north):.4f}",
                    f"{rng.uniform(west, east):.4f}",
                    rng.choice((1, 1, 1, 2, 3)),
                    "; ".join(rng.sample(sources, rng.randint(1, 3))),
                    rng.choice(("National", "Subnational", "Regional", "Other")),
                    f"Synthetic row: on {day.isoformat()}, {notes}.",
                    rng.choice((0, 0, 0, 1, 2, 3, 5, 12)),
                    "",
                    1700000000 + number,
                )
            )


# --- ours ------------------------------------------------------------------------------------


def _run(command: list[str]) -> float:
    """Seconds ``command`` takes as a fresh process from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return elapsed


def import_export(export: Path, layers: Path) -> float:
    layers.mkdir(parents=True, exist_ok=True)
    output = layers / "acled.parquet"
    return _run(
        [sys.executable, "-m", "geo", "import", str(export), "--format", "acled", "-o", str(output)]
    )


def app_updates(layers: Path) -> dict[str, float]:
    """The app's work on a rerun, in process: payloads built and serialised for three views,
    a big layer as a part held for every date, built when a view first needs it, as the app
    does (geo/app/map_component.py)."""
    from geo.app.map_component import view_parts
    from geo.catalog import load_catalog
    from geo.render.details import split_details
    from geo.render.payload import build_payload

    sent_parts: set[str] = set()

    def sent(catalog, view) -> tuple[float, int]:
        started = time.perf_counter()
        parts = view_parts(catalog, view)
        # The component is sent what the map draws from, as JSON; the long text stays; a part
        # goes once.
        drawn, _ = split_details(build_payload(catalog, view, held=parts))
        texts = [json.dumps(drawn)]
        for part in parts.values():
            if part.key not in sent_parts:
                sent_parts.add(part.key)
                texts.append(json.dumps(part.message()))
        return time.perf_counter() - started, sum(len(t.encode("utf-8")) for t in texts)

    started = time.perf_counter()
    catalog = load_catalog(layers)
    loaded = time.perf_counter() - started
    layer_ids = tuple(catalog.layer_ids())
    year = dict(as_of=LAST_DAY.isoformat(), window_from=f"{LAST_DAY.year - 1}-12-01")
    from geo.catalog import View

    everything, payload_bytes = sent(catalog, View(layers=layer_ids))
    sent(catalog, View(layers=(), **year))
    toggle, _ = sent(catalog, View(layers=layer_ids, **year))  # the layer switched back on
    step, _ = sent(
        catalog, View(layers=layer_ids, as_of="2026-10-31", window_from="2025-11-01")
    )  # one month back
    gc.collect()
    return {
        "load": loaded,
        "all": everything,
        "payload_bytes": payload_bytes,
        "toggle": toggle,
        "date_step": step,
    }


def export_ours(layers: Path, output: Path) -> float:
    return _run(
        [
            sys.executable,
            "-m",
            "geo",
            "export",
            "html",
            "-o",
            str(output),
            "--layers-dir",
            str(layers),
        ]
    )


# --- theirs ----------------------------------------------------------------------------------

CDN_TAG = re.compile(
    r"<(?:script|link)\b[^>]*\b(?:src|href)=\"https?://[^\"]+\"[^>]*>(?:</script>)?"
)


def explore_child(export: Path, output: Path) -> None:
    """What an analyst would write: read the CSV, make points, explore(), save the page."""
    import geopandas
    import pandas

    from geo.render.assets import leaflet_css, leaflet_js

    frame = pandas.read_csv(export)
    points = geopandas.GeoDataFrame(
        frame,
        geometry=geopandas.points_from_xy(frame["longitude"], frame["latitude"]),
        crs="EPSG:4326",
    )
    page = points.explore(tiles=None).get_root().render()

    def inline(match: re.Match[str]) -> str:
        tag = match.group(0)
        if "leaflet@" in tag and tag.startswith("<script"):
            return f"<script>{leaflet_js()}</script>"
        if "leaflet@" in tag:
            return f"<style>{leaflet_css()}</style>"
        return ""  # jQuery, Bootstrap, Font Awesome, awesome-markers: unused by circle markers

    output.write_text(CDN_TAG.sub(inline, page), encoding="utf-8")


def export_theirs(export: Path, output: Path) -> float:
    return _run([sys.executable, __file__, "--explore-child", str(export), str(output)])


# --- Chromium ----------------------------------------------------------------------------------

# Watches the page from its start: the first change that makes ``drawn`` true registers an
# animation frame at once (a MutationObserver, not a poll, so no task of the page's own can
# slip in between), and the frame's time is the page's drawn time.
WATCH = """
(() => {
  const drawn = () => %s;
  const observer = new MutationObserver(() => {
    if (!drawn()) { return; }
    observer.disconnect();
    requestAnimationFrame(() => { window.__drawnAt = performance.now(); });
  });
  observer.observe(document, {subtree: true, childList: true, attributes: true});
})();
"""
OURS_DRAWN = "!!document.querySelector('[data-ready=\"1\"]')"
THEIRS_DRAWN = "!!document.querySelector('.leaflet-overlay-pane path')"
ALL_READ = (
    "!document.getElementById('posture-details') || "
    "!!document.querySelector('[data-details=\"1\"]')"
)


def in_chromium(pages: dict[str, tuple[Path, str]], repeats: int) -> dict[str, dict[str, float]]:
    """Median seconds to the drawn map and JS heap in use (bytes), per page."""
    from chromium import EXECUTABLE, FLAGS
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=EXECUTABLE, args=[f for f in FLAGS if f != "--headless"]
        )
        for name, (path, condition) in pages.items():
            times, heaps = [], []
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1500, "height": 1000})
                context.route("http*://**", lambda route: route.abort())
                page = context.new_page()
                page.add_init_script(WATCH % condition)
                page.goto(path.as_uri(), wait_until="commit", timeout=900_000)
                page.wait_for_function("window.__drawnAt !== undefined", timeout=900_000)
                times.append(page.evaluate("window.__drawnAt") / 1000)
                # The heap once the page holds all its data: ours reads a big layer's long
                # text after the drawn frame (geo/render/details.py).
                page.wait_for_function(ALL_READ, timeout=900_000)
                cdp = context.new_cdp_session(page)
                cdp.send("HeapProfiler.collectGarbage")
                heaps.append(cdp.send("Runtime.getHeapUsage")["usedSize"])
                context.close()
            results[name] = {"drawn": statistics.median(times), "heap": statistics.median(heaps)}
        browser.close()
    return results


def chromium_version() -> str:
    from chromium import EXECUTABLE

    result = subprocess.run([EXECUTABLE, "--version"], capture_output=True, text=True)
    return result.stdout.strip()


# --- the run ---------------------------------------------------------------------------------


def machine() -> str:
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"{os.cpu_count()} cores (nproc), {int(memory) / 1024**2:.0f} GB RAM, "
        f"load average {load} at the start, "
        f"{platform.python_implementation()} {platform.python_version()}, {chromium_version()}"
    )


def bench(label: str, rows: int, folder: Path, browser: bool) -> dict[str, float]:
    export = folder / f"acled-{label}.csv"
    write_acled(export, rows)
    layers = folder / f"layers-{label}"
    result: dict[str, float] = {"rows": rows, "csv_bytes": export.stat().st_size}
    result["import"] = import_export(export, layers)
    result.update({f"app_{key}": value for key, value in app_updates(layers).items()})
    ours, theirs = folder / f"ours-{label}.html", folder / f"explore-{label}.html"
    result["ours_build"] = export_ours(layers, ours)
    result["theirs_build"] = export_theirs(export, theirs)
    result["ours_bytes"], result["theirs_bytes"] = ours.stat().st_size, theirs.stat().st_size
    if browser:
        repeats = 3 if rows <= 100_000 else 1
        drawn = in_chromium({"ours": (ours, OURS_DRAWN), "theirs": (theirs, THEIRS_DRAWN)}, repeats)
        for name in ("ours", "theirs"):
            result[f"{name}_drawn"] = drawn[name]["drawn"]
            result[f"{name}_heap"] = drawn[name]["heap"]
    return result


def table(results: list[dict[str, float]]) -> str:
    def ratio(ours: float | None, theirs: float | None) -> str:
        return f"{theirs / ours:.1f}x" if ours and theirs else "n/a"

    lines = [
        "| rows | import | app: load | app: toggle | app: date step | payload | "
        "export: ours / explore() | HTML: ours / explore() | drawn: ours / explore() | "
        "JS heap: ours / explore() |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        drawn = heap = "not run"
        if "ours_drawn" in r:
            drawn = (
                f"{r['ours_drawn']:.2f} s / {r['theirs_drawn']:.2f} s "
                f"({ratio(r['ours_drawn'], r['theirs_drawn'])})"
            )
            heap = (
                f"{r['ours_heap'] / 1e6:.0f} / {r['theirs_heap'] / 1e6:.0f} MB "
                f"({ratio(r['ours_heap'], r['theirs_heap'])})"
            )
        lines.append(
            f"| {int(r['rows']):,} | {r['import']:.1f} s | {r['app_load']:.2f} s | "
            f"{r['app_toggle']:.2f} s | {r['app_date_step']:.2f} s | "
            f"{r['app_payload_bytes'] / 1e6:.1f} MB | "
            f"{r['ours_build']:.1f} s / {r['theirs_build']:.1f} s "
            f"({ratio(r['ours_build'], r['theirs_build'])}) | "
            f"{r['ours_bytes'] / 1e6:.1f} / {r['theirs_bytes'] / 1e6:.1f} MB "
            f"({ratio(r['ours_bytes'], r['theirs_bytes'])}) | {drawn} | {heap} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="of 1k, 10k, 100k, 1m")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium")
    parser.add_argument("--import-only", default="", help="sizes whose import alone is timed")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--explore-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.explore_child:
        explore_child(*args.explore_child)
        return
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for label in [s for s in args.sizes.split(",") if s]:
            results.append(bench(label, SIZES[label], folder, not args.no_browser))
            print(table(results[-1:]).splitlines()[-1], flush=True)
        imports = {}
        for label in [s for s in args.import_only.split(",") if s]:
            export = folder / f"acled-{label}.csv"
            write_acled(export, SIZES[label])
            imports[label] = import_export(export, folder / f"layers-{label}")
            print(f"import of {SIZES[label]:,} rows: {imports[label]:.1f} s", flush=True)
        print()
        print(table(results))
        if args.json:
            args.json.write_text(
                json.dumps({"machine": machine(), "results": results, "imports": imports}),
                encoding="utf-8",
            )


if __name__ == "__main__":
    main()
