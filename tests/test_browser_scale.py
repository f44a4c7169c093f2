"""A big point layer in a real browser: drawn on one canvas (static/points.js), hit-tested
through its index, with each point's own popup; exact and approximate points look different.

What is checked is what the page shows: pixels of a screenshot and the popup's text.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from geo.catalog import Catalog, View, layer_from_document
from geo.render import export_html
from tests.helpers import feature, layer_doc

pytestmark = pytest.mark.browser

COLOR = (0xCC, 0x00, 0x00)
COLUMNS, ROWS = 200, 100  # 20,000 points on a grid
WEST, SOUTH, STEP = 36.0, 30.0, 0.05
STACK = (35.0, 29.0)  # three events reported at one place
STACKED_IDS = {"stack-a", "stack-b", "stack-c"}


def grid_point(column: int, row: int) -> tuple[float, float]:
    return WEST + column * STEP, SOUTH + row * STEP


def big_catalog() -> Catalog:
    """20,000 events on a grid (even columns exact, odd ones approximate) and three stacked."""
    features = []
    for row in range(ROWS):
        for column in range(COLUMNS):
            lon, lat = grid_point(column, row)
            features.append(
                feature(
                    f"ev-{column}-{row}",
                    lon,
                    lat,
                    name=f"Event {column}/{row}",
                    kind="airstrike",
                    start="2024-01-02",
                    country="SY",
                    location_precision="exact" if column % 2 == 0 else "approximate",
                )
            )
    for fid in sorted(STACKED_IDS):
        features.append(
            feature(fid, *STACK, name=f"Stacked {fid}", kind="airstrike", start="2024-01-03")
        )
    doc = layer_doc(*features, group="events", layer_id="big-events")
    doc["layer"]["style"] = {"color": "#cc0000", "marker": "circle"}
    return Catalog([layer_from_document(doc, Path("big-events.geojson"))])


@pytest.fixture(scope="module")
def export_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "big.html"
    path.write_text(export_html(big_catalog(), View()), encoding="utf-8")
    return path


# Records, at the moment the page says it is ready, how often each big layer has drawn.
WATCH_READY = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('[data-ready="1"]')) {
    window.drawsWhenReady = window.posture.pointLayers.map(p => p.drawCount || 0);
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
"""


def open_export(context, path: Path):
    page = context.new_page()
    page.add_init_script(WATCH_READY)
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready='1']", timeout=30000)
    return page


def look_at(page, lon: float, lat: float, zoom: int = 10) -> None:
    page.evaluate(
        f"window.posture.map.closePopup(); "
        f"window.posture.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}); null"
    )
    drawn(page)


def drawn(page) -> None:
    """Wait for the big layers' next draw (they draw once per animation frame)."""
    page.evaluate("new Promise(done => window.posture.whenDrawn(done))")


def screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) is on the page, in CSS pixels."""
    box = page.locator(".folium-map").bounding_box()
    point = page.evaluate(
        f"(() => {{ const p = window.posture.map.latLngToContainerPoint("
        f"[{lat}, {lon}]); return [p.x, p.y]; }})()"
    )
    return box["x"] + point[0], box["y"] + point[1]


def pixels(page):
    from PIL import Image

    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def is_layer_colour(rgb: tuple[int, int, int]) -> bool:
    """The layer's red, as an exact point's fill (80 % over the basemap) shows it."""
    r, g, b = rgb
    return r > 180 and g < 90 and b < 90


def test_every_point_is_drawn_on_one_canvas(context, export_path):
    page = open_export(context, export_path)
    # Ready means drawn: the canvas layer had drawn when the page said so.
    assert page.evaluate("window.drawsWhenReady") == [1]
    assert page.evaluate("window.posture.pointLayers.length") == 1
    assert page.get_attribute(".folium-map", "data-feature-count") == str(COLUMNS * ROWS + 3)
    # No Leaflet marker per point: the points pane holds our canvas, not 20,000 paths.
    assert page.evaluate("Object.keys(window.posture.groups[0]._layers).length") == 1
    for column, row in ((0, 0), (198, 99), (100, 50), (64, 2)):
        lon, lat = grid_point(column, row)
        look_at(page, lon, lat)
        image = pixels(page)
        x, y = screen_point(page, lon, lat)
        assert is_layer_colour(image.getpixel((round(x), round(y)))), (column, row)
        # Halfway to the next point there is only the basemap.
        gap = screen_point(page, lon + STEP / 2, lat + STEP / 2)
        assert not is_layer_colour(image.getpixel((round(gap[0]), round(gap[1])))), (column, row)


def test_exact_and_approximate_points_look_different(context, export_path):
    page = open_export(context, export_path)
    exact, loose = grid_point(40, 20), grid_point(41, 20)
    look_at(page, *exact)
    image = pixels(page)
    exact_centre = image.getpixel(tuple(round(v) for v in screen_point(page, *exact)))
    loose_centre = image.getpixel(tuple(round(v) for v in screen_point(page, *loose)))
    assert is_layer_colour(exact_centre)
    # A hollow marker: its centre is the basemap seen through a faint tint ...
    assert not is_layer_colour(loose_centre) and loose_centre[1] > 150, loose_centre
    # ... inside a ring of the layer's colour.
    x, y = screen_point(page, *loose)
    ring = [image.getpixel((round(x + dx), round(y))) for dx in range(5, 10)]
    assert any(is_layer_colour(rgb) for rgb in ring), ring


def test_a_click_opens_that_points_own_popup(context, export_path):
    page = open_export(context, export_path)
    for column, row in ((10, 10), (11, 10), (150, 77)):
        lon, lat = grid_point(column, row)
        look_at(page, lon, lat)
        page.mouse.click(*screen_point(page, lon, lat))
        # The last popup fades out for a moment; the one that opens must be this point's.
        popup = page.locator(".leaflet-popup").last.locator(".posture-popup")
        popup.wait_for()
        assert popup.get_attribute("data-feature-id") == f"ev-{column}-{row}"
        assert popup.locator("h3").inner_text() == f"Event {column}/{row}"
        precision = "exact" if column % 2 == 0 else "approximate"
        assert f"{precision} location" in popup.inner_text()
        assert page.get_attribute(".folium-map", "data-selected") == f"ev-{column}-{row}"


def test_features_at_returns_every_stacked_point(context, export_path):
    page = open_export(context, export_path)
    look_at(page, *STACK)
    found = page.evaluate(
        f"window.posture.pointLayers[0].featuresAt(L.latLng({STACK[1]}, {STACK[0]}), 8)"
        ".map(hit => [hit.layer.id, hit.feature.i, hit.feature.n])"
    )
    assert {fid for _, fid, _ in found} == STACKED_IDS
    assert all(layer == "big-events" and name == f"Stacked {fid}" for layer, fid, name in found)
    # A grid point nearby is not under the same spot.
    lon, lat = grid_point(0, 0)
    single = page.evaluate(
        f"window.posture.pointLayers[0].featuresAt(L.latLng({lat}, {lon}), 8)"
        ".map(hit => hit.feature.i)"
    )
    assert single == ["ev-0-0"]


def test_selecting_by_id_marks_the_point(context, export_path):
    page = open_export(context, export_path)
    lon, lat = grid_point(21, 30)  # approximate: hollow, until selected its ring grows
    look_at(page, lon, lat)
    x, y = screen_point(page, lon, lat)
    before = pixels(page)
    page.evaluate("window.posture.highlight('ev-21-30'); null")
    drawn(page)
    after = pixels(page)
    assert page.get_attribute(".folium-map", "data-selected") == "ev-21-30"

    # The selected marker is drawn with a thicker outline: more of the layer's red around it.
    def red_count(image) -> int:
        return sum(
            is_layer_colour(image.getpixel((round(x + dx), round(y + dy))))
            for dx in range(-11, 12)
            for dy in range(-11, 12)
        )

    assert red_count(after) > red_count(before)


def test_a_base_drawn_over_a_big_layers_point_is_named_first_and_opens(context, tmp_path):
    """Small layers keep their own markers, drawn above: a click where a base sits on a big
    layer's point lists both (the chooser asks the canvas layer through featuresAt), the base
    first, and picking it opens the base's own popup."""
    lon, lat = grid_point(10, 10)
    bases = layer_doc(feature("base-x", lon, lat, name="A base"), layer_id="bases")
    catalog = big_catalog()
    catalog = Catalog([*catalog.layers, layer_from_document(bases, Path("bases.geojson"))])
    path = tmp_path / "mixed.html"
    path.write_text(export_html(catalog, View()), encoding="utf-8")
    page = open_export(context, path)
    look_at(page, lon, lat)
    page.mouse.click(*screen_point(page, lon, lat))
    choices = page.locator(".posture-chooser button")
    choices.first.wait_for()
    ids = [choices.nth(n).get_attribute("data-feature-id") for n in range(choices.count())]
    assert ids[0] == "base-x"
    assert len(ids) >= 2 and all(fid != "base-x" for fid in ids[1:])  # the event under it
    choices.first.click()
    popup = page.locator(".leaflet-popup .posture-popup")
    popup.wait_for()
    assert popup.get_attribute("data-feature-id") == "base-x"


def test_rows_rebuilt_in_the_browser_are_the_features_sent_with_hostile_text(context, tmp_path):
    """Each row the page rebuilds from the columns equals the feature the small path sends,
    and its popup shows the hostile text as text."""
    from geo.render.payload import BIG_LAYER_POINTS, build_payload
    from tests.hostile import HOSTILE_NAME, PAYLOADS, hostile_catalog

    [hostile] = hostile_catalog().layers
    template = hostile.features[0]
    features = []
    for n in range(BIG_LAYER_POINTS + 1):
        item = {**template, "properties": {**template["properties"]}}
        item["properties"]["id"] = f"hostile-{n}"
        item["properties"]["description"] = f"{PAYLOADS[n % len(PAYLOADS)]} #{n}"
        item["geometry"] = {"type": "Point", "coordinates": [40 + n * 0.001, 30.0]}
        features.append(item)
    catalog = Catalog([hostile.__class__(path=hostile.path, meta=hostile.meta, features=features)])
    expected = build_payload(catalog, View(), big_layer_points=len(features))
    sent = expected["layers"][0]["features"]
    path = tmp_path / "hostile-big.html"
    path.write_text(export_html(catalog, View()), encoding="utf-8")
    page = open_export(context, path)
    rows = page.evaluate(
        "(() => { const p = window.posture.pointLayers[0]; const out = [];"
        " for (let n = 0; n < p.columns.rows; n++) { out.push(p.rowFeature(n)); } return out; })()"
    )
    for item in sent:
        item["g"]["coordinates"] = [round(v, 5) for v in item["g"]["coordinates"]]
    assert rows == sent
    lon, lat = 40 + 7 * 0.001, 30.0
    look_at(page, lon, lat, zoom=17)
    page.mouse.click(*screen_point(page, lon, lat))
    popup = page.locator(".leaflet-popup").last.locator(".posture-popup")
    popup.wait_for()
    assert popup.get_attribute("data-feature-id") == "hostile-7"
    assert popup.locator("h3").inner_text() == HOSTILE_NAME
    assert popup.locator("p.posture-description").inner_text() == f"{PAYLOADS[7]} #7"
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img").count() == 0
    assert context.dialogs == []


def test_the_map_is_drawn_again_after_a_page_switch(context, app_url):
    """The app sends a payload once; a map frame made anew (back from another page) holds
    none, asks for it, and gets it."""
    from tests.test_browser_app import COMPONENT, map_frame, open_app

    page = open_app(context, app_url)
    before = map_frame(page).evaluate("window.posture.payload.count")
    assert before > 0
    page.get_by_role("link", name="Features").click()
    page.locator(COMPONENT).wait_for(state="detached", timeout=20000)
    page.get_by_role("link", name="Map").click()
    page.locator(COMPONENT).wait_for(timeout=20000)
    assert map_frame(page, timeout=20).evaluate("window.posture.payload.count") == before
    assert context.recorder.outside == []


def test_a_capped_view_says_n_of_m_shown(context, export_path):
    """Past the cap the legend and the caption say how many of the view's features are drawn."""
    from geo.render.payload import build_payload

    page = open_export(context, export_path)
    payload = build_payload(big_catalog(), View(), max_drawn=15_000)
    page.evaluate("payload => { window.posture.show(payload); }", payload)
    drawn(page)
    assert page.get_attribute(".folium-map", "data-feature-count") == "15000"
    legend = page.locator(".posture-legend li").first.inner_text()
    assert legend.endswith("(15,000 of 20,003 shown)"), legend
    assert page.locator(".posture-title p").inner_text().endswith("; 15,000 of 20,003 shown")
    assert page.evaluate("window.posture.pointLayers[0].columns.rows") == 15_000
