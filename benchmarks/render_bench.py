"""Side by side: our compact render path against the usual folium way, in one run.

The usual way builds one folium object per feature (a CircleMarker with a Popup and a Tooltip);
ours puts each layer's data into the page once, as a compact payload, and builds popups in the
browser. Both draw the same synthetic events (made here, not real data) and the same page size
is reported with the build time, as a ratio.

    python benchmarks/render_bench.py [N ...]     (default: 1000 5000 20000)
"""

from __future__ import annotations

import html
import random
import statistics
import sys
import time
from pathlib import Path

import folium

from geo.catalog import Catalog, View
from geo.model import Layer
from geo.render import export_html

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


def main(counts: list[int]) -> None:
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


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 5000, 20000])
