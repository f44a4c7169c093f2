"""Side by side: our compact render path against the usual folium way, in one run.

The usual way builds one folium object per feature (a CircleMarker with a Popup and a Tooltip);
ours puts each layer's data into the page once, as a compact payload, and builds popups in the
browser. Both draw the same synthetic events (made here, not real data) and the same page size
is reported with the build time, as a ratio.

    python benchmarks/render_bench.py [N ...]     (default: 1000 5000 20000)
    python benchmarks/render_bench.py --browser [N ...]

With --browser, both pages are also opened in Debian's Chromium (network blocked, Leaflet inlined
in both so that neither waits on a CDN) and timed from navigation to a drawn map.
"""

from __future__ import annotations

import html
import json
import random
import statistics
import sys
import time
from pathlib import Path

import folium

from geo.catalog import Catalog, View
from geo.countries import basemap_geojson
from geo.model import Layer
from geo.render import export_html
from geo.render.assets import inline_head
from geo.render.maps import Raw

SOURCE = {
    "title": "Synthetic source",
    "publisher": "Benchmark",
    "url": "https://example.org/",
    "accessed": "2026-11-01",
}


def synthetic_layer(count: int, seed: int = 7) -> Layer:
    rng = random.Random(seed)
    features = []
    for number in range(count):
        lon, lat = rng.uniform(35, 56), rng.uniform(15, 37)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
                "properties": {
                    "id": f"event-{number}",
                    "name": f"Event {number}",
                    "kind": "airstrike",
                    "start": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}",
                    "actor": "Synthetic",
                    "claim_status": "claimed",
                    "location_precision": "approximate",
                    "location_note": "Random point.",
                    "description": f"Synthetic event {number}.",
                    "sources": [dict(SOURCE, url=f"https://example.org/{number % 50}")],
                },
            }
        )
    meta = {
        "id": "bench",
        "title": "Synthetic events",
        "group": "events",
        "description": "Benchmark.",
        "visible": True,
        "style": {"color": "#c0392b"},
    }
    return Layer(Path("bench.geojson"), meta, features)


def ours(layer: Layer) -> str:
    return export_html(Catalog([layer]), View())


def per_feature_folium(layer: Layer) -> str:
    fmap = folium.Map(location=[28, 45], zoom_start=5, tiles=None)
    # The same offline Leaflet as ours, so that the browser timing compares drawing alone.
    fmap.default_js, fmap.default_css = [], []
    fmap.get_root().header.add_child(Raw(inline_head(), "assets"), name="assets")
    # ...and the same offline basemap, drawn the usual folium way.
    folium.GeoJson(
        json.loads(basemap_geojson()),
        style_function=lambda _: {
            "color": "#8a8a8a",
            "weight": 0.7,
            "fillColor": "#efece4",
            "fillOpacity": 1,
        },
        interactive=False,
    ).add_to(fmap)
    group = folium.FeatureGroup(name=layer.title).add_to(fmap)
    for feature in layer.features:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        popup = folium.Popup(
            f"<b>{html.escape(props['name'])}</b><br>{html.escape(props['description'])}<br>"
            f"<a href='{html.escape(props['sources'][0]['url'])}'>"
            f"{html.escape(props['sources'][0]['title'])}</a>",
            max_width=300,
        )
        folium.CircleMarker(
            [lat, lon], radius=6, color="#c0392b", popup=popup, tooltip=html.escape(props["name"])
        ).add_to(group)
    return fmap.get_root().render()


def timed(func, layer: Layer, repeats: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        page = func(layer)
        times.append(time.perf_counter() - started)
        size = len(page.encode("utf-8"))
    return statistics.median(times), size


def browser_times(pages: dict[str, str], repeats: int = 3) -> dict[str, float]:
    """Median seconds from navigation to a drawn map, per page, in Chromium."""
    import tempfile

    from chromium import EXECUTABLE, FLAGS
    from playwright.sync_api import sync_playwright

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        for name, page_html in pages.items():
            path = Path(folder) / f"{name}.html"
            path.write_text(page_html, encoding="utf-8")
            times = []
            for _ in range(repeats):
                page = browser.new_page()
                page.route("http*://**", lambda route: route.abort())
                started = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load", timeout=600_000)
                if name == "ours":
                    page.wait_for_selector("[data-ready='1']", timeout=600_000)
                page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
                times.append(time.perf_counter() - started)
                page.close()
            results[name] = statistics.median(times)
        browser.close()
    return results


def main(counts: list[int], browser: bool = False) -> None:
    print(
        "| features | ours: build | ours: page | folium per feature: build | page | "
        "time ratio | size ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for count in counts:
        layer = synthetic_layer(count)
        repeats = 3 if count <= 5000 else 1
        ours_time, ours_size = timed(ours, layer, repeats)
        peer_time, peer_size = timed(per_feature_folium, layer, repeats)
        print(
            f"| {count:,} | {ours_time:.2f} s | {ours_size / 1e6:.1f} MB | {peer_time:.2f} s | "
            f"{peer_size / 1e6:.1f} MB | {peer_time / ours_time:.1f}x | "
            f"{peer_size / ours_size:.1f}x |"
        )
        if browser:
            drawn = browser_times({"ours": ours(layer), "folium": per_feature_folium(layer)})
            print(
                f"| in Chromium, to a drawn map | {drawn['ours']:.2f} s | | "
                f"{drawn['folium']:.2f} s | | {drawn['folium'] / drawn['ours']:.1f}x | |"
            )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    in_browser = "--browser" in arguments
    numbers = [int(arg) for arg in arguments if arg != "--browser"]
    main(numbers or [1000, 5000, 20000], browser=in_browser)
