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
from tests.helpers import SOURCE, feature, layer_doc

pytestmark = pytest.mark.browser

COLOR = (0xCC, 0x00, 0x00)
COLUMNS, ROWS = 200, 100  # 20,000 points on a grid
WEST, SOUTH, STEP = 36.0, 30.0, 0.05
STACK = (35.0, 29.0)  # three events reported at one place
STACKED_IDS = {"stack-a", "stack-b", "stack-c"}


OTHER_ACCESS = "2026-11-02"


def row_note(column: int, row: int) -> str:
    return f"Row note {column}/{row}: as the dataset reports it"


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
                    # Every row cites one work with its own note, as an imported dataset does.
                    sources=[{**SOURCE, "note": row_note(column, row)}],
                )
            )
    for fid in sorted(STACKED_IDS):
        features.append(
            feature(
                fid,
                *STACK,
                name=f"Stacked {fid}",
                kind="airstrike",
                start="2024-01-03",
                sources=[{**SOURCE, "accessed": OTHER_ACCESS}],  # read another day: another work
            )
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


# --- the payload packed (gzip + base64) in a big export, notes per row, sources on demand ----


def write_export(path: Path, compress_over: int) -> Path:
    """The export of :func:`big_catalog`, its payload packed past ``compress_over`` chars."""
    from geo.render.maps import build_map, map_html

    path.write_text(
        map_html(build_map(big_catalog(), View(), embedded=True, compress_over=compress_over)),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def plain_and_packed(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("packed")
    return write_export(folder / "plain.html", 10**12), write_export(folder / "packed.html", 0)


def open_popup(page, column: int, row: int):
    lon, lat = grid_point(column, row)
    look_at(page, lon, lat)
    page.mouse.click(*screen_point(page, lon, lat))
    popup = page.locator(".leaflet-popup").last.locator(".posture-popup")
    popup.wait_for()
    assert popup.get_attribute("data-feature-id") == f"ev-{column}-{row}"
    return popup


def test_a_packed_export_draws_what_the_plain_one_draws(context, plain_and_packed):
    plain, packed = plain_and_packed
    plain_text, packed_text = (path.read_text(encoding="utf-8") for path in plain_and_packed)
    assert 'type="application/json" id="posture-payload"' in plain_text
    assert 'type="application/gzip;base64" id="posture-payload"' in packed_text
    assert len(packed_text) * 2 < len(plain_text)  # the pages share ~1 MB of script and basemap
    pages = [open_export(context, path) for path in (plain, packed)]
    for page in pages:
        assert page.evaluate("window.drawsWhenReady") == [1]  # ready means drawn, packed too
        assert page.get_attribute(".folium-map", "data-feature-count") == str(COLUMNS * ROWS + 3)
    places = ((0, 0), (100, 50), (151, 77))
    for column, row in places:  # pixels first: a click leaves a selection and a tooltip
        lon, lat = grid_point(column, row)
        shots = []
        for page in pages:
            look_at(page, lon, lat, zoom=9)
            shots.append(page.screenshot())
        assert shots[0] == shots[1], (column, row)
    for column, row in places:
        texts = [open_popup(page, column, row).inner_text() for page in pages]
        assert texts[0] == texts[1]
        assert f"Event {column}/{row}" in texts[0]


def test_a_rows_note_is_in_its_own_popup_only(context, plain_and_packed):
    page = open_export(context, plain_and_packed[1])
    for column, row in ((10, 10), (11, 10)):
        popup = open_popup(page, column, row)
        notes = popup.locator("li .posture-source-note").all_inner_texts()
        assert notes == [row_note(column, row)]
        other = row_note(11, 10) if column == 10 else row_note(10, 10)
        assert other not in popup.inner_text()
    assert page.evaluate("window.posture.payload.sources.length") == 2


def test_the_sources_panel_lists_each_work_once_when_opened(context, plain_and_packed):
    page = open_export(context, plain_and_packed[1])
    panel = page.locator(".posture-sources")
    assert panel.locator("summary").inner_text() == "Sources (2)"
    assert panel.locator("li").count() == 0  # not built at load
    panel.locator("summary").click()
    items = panel.locator("li")
    items.first.wait_for()
    assert items.count() == 2
    texts = items.all_inner_texts()
    assert all(text.startswith(SOURCE["title"]) for text in texts), texts
    assert texts[0].endswith("accessed 1 Nov 2026"), texts
    assert texts[1].endswith("accessed 2 Nov 2026"), texts
    assert "Row note" not in panel.inner_text()  # a row's note is its popup's, not the work's
    # A [n] link followed on a fresh page opens and fills the panel.
    page = open_export(context, plain_and_packed[1])
    page.evaluate("window.location.hash = '#posture-source-2'; null")
    item = page.locator("#posture-source-2")
    item.wait_for()
    assert page.evaluate("document.querySelector('.posture-sources details').open")
    assert page.locator(".posture-sources li").count() == 2


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


def test_the_app_sends_a_big_layers_long_text_for_the_opened_row_only(context, app_url, tmp_path):
    """An uploaded layer of 2,500 events is drawn from positions, ids, kinds and dates; its
    names and descriptions stay on the server until a point is opened, and then that point's
    popup shows its own."""
    import json

    from tests.test_browser_app import map_frame, open_app, upload

    features = [
        feature(
            f"up-{n}",
            37.0 + (n % 50) * 0.03,
            34.0 + (n // 50) * 0.03,
            name=f"Uploaded event {n}",
            description=f"What the analyst wrote of event {n}.",
            kind="airstrike",
            start="2024-03-04",
            country="SY",
            actor="A test actor",
            claim_status="claimed",
        )
        for n in range(2_500)
    ]
    path = tmp_path / "many.geojson"
    path.write_text(json.dumps(layer_doc(*features, group="events", layer_id="many")), "utf-8")
    page = open_app(context, app_url)
    upload(page, path)
    find = "window.posture.payload.layers.findIndex(l => l.id === 'many')"
    frame = map_frame(page)
    frame.wait_for_function(f"{find} >= 0", timeout=30000)
    frame = map_frame(page)
    sent = frame.evaluate(f"Object.keys(window.posture.payload.layers[{find}].columns)")
    assert "i" in sent and "x" in sent
    assert "de" not in sent and "n" not in sent  # the long text stayed on the server
    # Open event 1,234 with a real click on its point, centred on a map zoomed in on it.
    lon, lat = 37.0 + (1234 % 50) * 0.03, 34.0 + (1234 // 50) * 0.03
    frame.evaluate(f"window.posture.map.setView([{lat}, {lon}], 10, {{animate: false}}); null")
    container = frame.locator(".leaflet-container")
    point = frame.evaluate(
        f"(() => {{ const p = window.posture.map.latLngToContainerPoint([{lat}, {lon}]);"
        " return {x: p.x, y: p.y}; })()"
    )
    container.click(position=point)
    popup = frame.locator(".posture-popup[data-feature-id='up-1234']")
    popup.locator("p.posture-description").wait_for(timeout=20000)
    assert popup.locator("h3").inner_text() == "Uploaded event 1234"
    assert popup.locator("p.posture-description").inner_text() == (
        "What the analyst wrote of event 1234."
    )
    assert frame.locator(".posture-pending").count() == 0
    assert context.recorder.outside == []


def is_dark_red(rgb: tuple[int, int, int]) -> bool:
    """compare.js's 'struck' ring, #67000d."""
    r, g, b = rgb
    return 70 <= r <= 140 and g < 40 and b < 50


def test_a_big_layers_changed_rows_are_drawn_in_their_compare_style(context, tmp_path):
    """With --compare, the events of a big layer struck between the two dates (the only
    events such a view shows) get the dark red ring that compare.js gives a small layer's
    struck event; the same rows exported without --compare keep the layer's colour."""
    from tests.helpers import run_cli, write_doc

    def place(column: int, row: int) -> tuple[float, float]:
        return 37.0 + column * 0.04, 34.2 + row * 0.04  # inside Syria, as the validator asks

    features = [
        feature(
            f"cmp-{column}-{row}",
            *place(column, row),
            name=f"Event {column}/{row}",
            kind="airstrike",
            start="2024-06-10",
            country="SY",
            location_precision="exact" if column % 2 == 0 else "approximate",
            **({} if column % 2 == 0 else {"location_note": "Placed at the town's centre"}),
            actor="A test actor",
            claim_status="reported",
        )
        for row in range(50)
        for column in range(60)  # 3,000 events: a layer drawn on the canvas
    ]
    doc = layer_doc(*features, group="events", layer_id="big-events")
    doc["layer"]["style"] = {"color": "#cc0000", "marker": "circle"}
    folder = tmp_path / "layers"
    folder.mkdir()
    write_doc(folder / "big-events.geojson", doc)
    for compared in (True, False):
        out = tmp_path / f"compare-{compared}.html"
        span = ["--compare", "2024-03-01..2024-12-31"] if compared else []
        result = run_cli("export", "html", "-o", str(out), "--layers-dir", str(folder), *span)
        assert result.returncode == 0, result.stderr
        page = open_export(context, out)
        assert page.evaluate("window.posture.pointLayers.length") == 1  # drawn on the canvas
        for column in range(4):  # exact and approximate rows
            lon, lat = place(column, 20)
            look_at(page, lon, lat)
            image = pixels(page)
            x, y = screen_point(page, lon, lat)
            ring = [image.getpixel((round(x + dx), round(y))) for dx in range(5, 10)]
            assert any(is_dark_red(rgb) for rgb in ring) is compared, (compared, column, ring)
            if not compared:
                assert any(is_layer_colour(rgb) for rgb in ring), (column, ring)
        page.close()
