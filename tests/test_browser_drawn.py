"""What the map draws, read back from Chromium's canvases.

Every expectation comes from the layer files (or from layers built here), never from the page's
own payload: a feature's colour and position are computed in Python, the page is asked only
where that position lands on screen (``map.latLngToContainerPoint``) and which colour the
canvas of the feature's pane holds there. The basemap has a pane and a canvas of its own, so
it cannot pass for a feature.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, shape

from geo.catalog import Catalog, View, is_event, load_catalog
from geo.model import Layer
from geo.render import build_map, export_html, map_html
from tests.helpers import LAYERS, feature
from tests.test_browser_app import map_frame, open_app

pytestmark = pytest.mark.browser
TODAY = dt.date.today().isoformat()
TOLERANCE = 40  # per colour channel: anti-aliasing and translucent fills round a little

# For each sample point: null when it is off the map, else the RGBA pixels of a 7 x 7 square
# around it, read from the canvas of the named pane. A segment (two points) is sampled along
# its screen-space line, as Leaflet draws it, so that a dashed line is found between dashes.
READ_PIXELS = """
({ map, samples }) => {
  const m = map ? window[map] : window.posture.map;
  const box = m.getContainer().getBoundingClientRect();
  return samples.map(({ pane, points }) => {
    const canvas = m.getPane(pane).querySelector('canvas');
    if (!canvas) { return []; }
    const rect = canvas.getBoundingClientRect();
    const ctx = canvas.getContext('2d');
    const screen = points.map(([lat, lng]) => m.latLngToContainerPoint([lat, lng]));
    const spots = screen.length === 1 ? screen : [...Array(41).keys()].map(k => {
      const t = 0.1 + 0.02 * k;
      return { x: screen[0].x + t * (screen[1].x - screen[0].x),
               y: screen[0].y + t * (screen[1].y - screen[0].y) };
    });
    const size = m.getSize();
    const pixels = [];
    for (const p of spots) {
      if (p.x < 10 || p.y < 10 || p.x > size.x - 10 || p.y > size.y - 10) { continue; }
      const x = Math.round((box.left + p.x - rect.left) * canvas.width / rect.width) - 3;
      const y = Math.round((box.top + p.y - rect.top) * canvas.height / rect.height) - 3;
      const data = ctx.getImageData(x, y, 7, 7).data;
      for (let i = 0; i < data.length; i += 4) { pixels.push(Array.from(data.slice(i, i + 4))); }
    }
    return pixels.length ? pixels : null;
  });
}
"""


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def shows(pixels: list[list[int]], colour: str, tolerance: int = TOLERANCE) -> bool:
    """Whether any pixel (not transparent) has the colour."""
    want = rgb(colour)
    return any(
        p[3] > 20 and all(abs(p[i] - want[i]) <= tolerance for i in range(3)) for p in pixels
    )


def samples(feat: dict[str, Any]) -> list[dict[str, Any]]:
    """Where a feature must show its layer's colour: its point, a point inside its area, a
    point on its line, and the line from a strike's origin."""
    geometry = shape(feat["geometry"])
    kind = feat["geometry"]["type"]
    if "Point" in kind:
        pane = "posture-points"
        at = geometry.geoms[0] if kind == "MultiPoint" else geometry
    else:
        pane = "posture-lines" if "Line" in kind else "posture-areas"
        at = geometry.representative_point()
    found = [{"pane": pane, "points": [[at.y, at.x]], "what": f"{feat['properties']['id']}"}]
    origin = feat["properties"].get("origin")
    if origin and kind == "Point":
        lon, lat = origin["coordinates"]
        end = feat["geometry"]["coordinates"]
        found.append(
            {
                "pane": "posture-lines",
                "points": [[lat, lon], [end[1], end[0]]],
                "what": f"{feat['properties']['id']} (line from its origin)",
            }
        )
    return found


DEFAULT_FILL_OPACITY = 0.3  # what the render layer gives an area whose layer names none
BLEND_TOLERANCE = 12  # inside overlapping fills there is no anti-aliasing to allow for


def composite(fills: list[tuple[str, float]]) -> tuple[int, int, int]:
    """The colour a canvas shows where translucent fills are painted one over another, in
    order (source-over compositing), as getImageData reports it (not premultiplied)."""
    red = green = blue = alpha = 0.0
    for colour, opacity in fills:
        r, g, b = rgb(colour)
        keep = alpha * (1 - opacity)
        total = opacity + keep
        red, green, blue = (
            (c * opacity + old * keep) / total for c, old in ((r, red), (g, green), (b, blue))
        )
        alpha = total
    return round(red), round(green), round(blue)


def area_fills_at(
    catalog: Catalog, view: View, lat: float, lon: float
) -> list[tuple[str, str, float]]:
    """(feature id, colour, opacity) of every area the view draws over a point, in the order
    they are drawn."""
    spot = Point(lon, lat)
    return [
        (
            feat["properties"]["id"],
            layer.meta["style"]["color"],
            layer.meta["style"].get("fill_opacity", DEFAULT_FILL_OPACITY),
        )
        for layer, feat in catalog.features(view)
        if "Polygon" in feat["geometry"]["type"] and shape(feat["geometry"]).covers(spot)
    ]


def expected_area_colour(fills: list[tuple[str, str, float]], own: str) -> str | None:
    """The colour a sample inside overlapping areas must show, or None when the feature's own
    fill changes it too little to tell (other fills stacked over it hide it)."""
    with_own = composite([(colour, opacity) for _, colour, opacity in fills])
    without = composite([(colour, opacity) for fid, colour, opacity in fills if fid != own])
    if max(abs(a - b) for a, b in zip(with_own, without, strict=True)) <= 2 * BLEND_TOLERANCE:
        return None
    return "#{:02x}{:02x}{:02x}".format(*with_own)


def too_small_to_paint(feat: dict[str, Any], zoom: float) -> bool:
    """Whether an area is under about four pixels across at ``zoom`` (Web Mercator), so that
    anti-aliasing, not its fill, decides the pixels there. A band's width is what counts, not
    its length: twice the area over the perimeter, in screen pixels."""
    if "Polygon" not in feat["geometry"]["type"]:
        return False
    scale = 256 * 2**zoom / 360

    def to_pixels(lon_lat: np.ndarray) -> np.ndarray:
        mercator_lat = np.degrees(np.arcsinh(np.tan(np.radians(lon_lat[:, 1]))))
        return np.column_stack([lon_lat[:, 0] * scale, mercator_lat * scale])

    on_screen = shapely.transform(shape(feat["geometry"]), to_pixels)
    return 2 * on_screen.area / on_screen.length < 4


MARKER_COVER_PX = 10  # a marker's radius is 7 px; one drawn over it this close hides its colour


def hidden_points(catalog: Catalog, view: View, zoom: float) -> set[str]:
    """Point features with another marker drawn over them, nearer than MARKER_COVER_PX. Sites
    are drawn last (a click on a base must reach the base), the rest in layer order."""
    pairs = [(layer, feat) for layer, feat in catalog.features(view)]
    order = sorted(
        range(len(pairs)), key=lambda n: (pairs[n][0].group == "us-posture", n)
    )  # stable: the drawing order
    points = [
        (pairs[n][1]["properties"]["id"], shape(pairs[n][1]["geometry"]))
        for n in order
        if pairs[n][1]["geometry"]["type"] == "Point"
    ]
    pixels_per_degree = 256 * 2**zoom / 360
    hidden = set()
    for number, (fid, here) in enumerate(points):
        for _, later in points[number + 1 :]:
            if here.distance(later) * pixels_per_degree < MARKER_COVER_PX:
                hidden.add(fid)
                break
    return hidden


def check_drawn(frame, catalog: Catalog, view: View, map_name: str | None = None) -> dict:
    """For each layer: how many of its samples on screen show its colour, out of how many.

    Where areas overlap, a sample must show the composite of every fill over it, so that a
    layer drawn under another still has to be there."""
    wanted = [
        (layer, feat, sample) for layer, feat in catalog.features(view) for sample in samples(feat)
    ]
    found = frame.evaluate(
        READ_PIXELS,
        {"map": map_name, "samples": [{k: s[k] for k in ("pane", "points")} for *_, s in wanted]},
    )
    zoom = frame.evaluate("m => (m ? window[m] : window.posture.map).getZoom()", map_name)
    covered = hidden_points(catalog, view, zoom)
    tally: dict[str, list[int]] = {}
    missing: list[str] = []
    for (layer, feat, sample), pixels in zip(wanted, found, strict=True):
        if pixels is None or too_small_to_paint(feat, zoom):  # off screen, or under a pixel
            continue
        if sample["pane"] == "posture-points" and feat["properties"]["id"] in covered:
            continue  # another marker is drawn over it
        fills = (
            area_fills_at(catalog, view, *sample["points"][0])
            if sample["pane"] == "posture-areas"
            else []
        )
        if len(fills) > 1:
            blend = expected_area_colour(fills, feat["properties"]["id"])
            if blend is None:  # hidden under other fills: only the map's layers can tell
                continue
            counts = tally.setdefault(layer.id, [0, 0])
            counts[1] += 1
            matched = shows(pixels, blend, BLEND_TOLERANCE)
        else:
            counts = tally.setdefault(layer.id, [0, 0])
            counts[1] += 1
            matched = shows(pixels, layer.meta["style"]["color"])
        if matched:
            counts[0] += 1
        else:
            missing.append(f"{layer.id}: {sample['what']}")
    return {"tally": tally, "missing": missing}


def test_the_app_draws_every_layer_where_its_features_are(context, app_url):
    catalog = load_catalog(Path(LAYERS))
    view = View(as_of=TODAY)
    page = open_app(context, app_url)
    frame = map_frame(page)
    frame.wait_for_function("document.querySelector('.leaflet-container[data-ready]')")
    result = check_drawn(frame, catalog, view)
    tally = result["tally"]
    print("\ndrawn (matched, on screen) per layer:", tally)
    drawn_kinds = {
        feat["geometry"]["type"] for layer, feat in catalog.features(view) if layer.id in tally
    }
    assert {"Point", "Polygon"} <= drawn_kinds  # points and areas are both on screen
    assert "events" in tally and any(
        is_event(f, layer) for layer, f in catalog.features(view) if layer.id == "events"
    )
    for layer_id, (matched, on_screen) in tally.items():
        # Features of other layers may lie on top of a few; most must show their colour.
        assert matched >= max(1, on_screen * 0.6), (layer_id, matched, on_screen, result)
    # Each feature is a Leaflet layer on the map, not only a record in the page.
    ids = [feat["properties"]["id"] for _, feat in catalog.features(view)]
    on_map = frame.evaluate(
        """ids => ids.filter(id => { const e = window.posture.byId[id];
                 const map = window.posture.map;
                 return e && e.drawn.length && e.drawn.every(d => map.hasLayer(d)); })""",
        ids,
    )
    assert on_map == ids
    assert context.recorder.outside == []


def built_catalog() -> Catalog:
    """Three layers made here: points, lines and areas, in three colours, plus a strike
    with the line from where it was launched."""

    def layer(layer_id: str, colour: str, group: str, *features: dict) -> Layer:
        meta = {
            "id": layer_id,
            "title": f"Layer {layer_id}",
            "group": group,
            "description": "Built for a test.",
            "visible": True,
            "style": {"color": colour, "fill_opacity": 0.5, "marker": "square"},
        }
        return Layer(Path(f"{layer_id}.geojson"), meta, list(features))

    line = feature("a-line", kind="supply-route", location_precision="approximate")
    line["geometry"] = {"type": "LineString", "coordinates": [[44.0, 30.0], [48.0, 30.0]]}
    area = feature("an-area", kind="area-of-control", location_precision="region")
    area["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[36.0, 31.0], [39.0, 31.0], [39.0, 33.0], [36.0, 33.0], [36.0, 31.0]]],
    }
    strike = feature("a-strike", lon=47.0, lat=26.0, kind="airstrike", start="2024-01-01")
    strike["properties"]["origin"] = {"name": "Somewhere", "coordinates": [52.0, 27.5]}
    return Catalog(
        [
            layer("points", "#1f77b4", "us-posture", feature("a-point", lon=50.0, lat=25.0)),
            layer("lines", "#2ca02c", "regional-actors", line),
            layer("areas", "#9467bd", "regional-actors", area),
            layer("strikes", "#d62728", "events", strike),
        ]
    )


def test_an_exported_page_draws_points_lines_areas_and_origins(browser):
    catalog = built_catalog()
    view = View(center=(28.5, 44.0), zoom=5)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.set_content(export_html(catalog, view))
        page.wait_for_function("document.querySelector('.leaflet-container[data-ready]')")
        result = check_drawn(page, catalog, view)
        lines = [s for _, f in catalog.features(view) for s in samples(f)]
        assert len(lines) == 5  # four features and one origin line, all on screen
        assert result["tally"] == {
            "points": [1, 1],
            "lines": [1, 1],
            "areas": [1, 1],
            "strikes": [2, 2],
        }, result
    finally:
        page.close()


HOSTILE_TITLE = "<img src=x onerror=\"window.__pwned='title';alert('title')\"> & <b>bold</b>"


def hostile_title_catalog() -> Catalog:
    catalog = built_catalog()
    layers = [copy.deepcopy(item) for item in catalog.layers[:1]]
    layers[0].meta["title"] = HOSTILE_TITLE
    return Catalog(layers)


@pytest.mark.parametrize("embedded", [True, False], ids=["export", "app-map"])
def test_a_layer_title_is_text_in_the_legend(browser, embedded):
    catalog = hostile_title_catalog()
    view = View(center=(28.5, 44.0), zoom=5)
    html = map_html(build_map(catalog, view, embedded=embedded))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.set_content(html)
        page.wait_for_function("document.querySelector('.leaflet-container[data-ready]')")
        page.wait_for_timeout(500)  # a broken image fires its error event by now
        box = page.locator(".posture-legend")
        assert HOSTILE_TITLE + " (1)" in box.inner_text()
        assert box.locator("img, b").count() == 0
        assert page.locator(".leaflet-control-layers").count() == 0  # merged into the legend
        assert page.evaluate("window.__pwned === undefined")
        assert dialogs == []
    finally:
        context.close()
