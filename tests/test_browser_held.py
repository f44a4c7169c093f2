"""A big Parquet layer in the app, stepped through dates in a real browser: the map is sent its
rows once (geo/render/held.py) and each date shows only that date's rows, drawn on the canvas
and opened with their own text.

What is checked is what the page shows: pixels of the map, the count the page prints and a
popup's text; and that the rows crossed to the browser once.
"""

from __future__ import annotations

import io
import re

import pytest

from geo.model import Layer
from geo.store import write_parquet
from tests.conftest import serve_app, stop_app
from tests.helpers import choose_option, feature, layer_doc, write_events_parquet

pytestmark = pytest.mark.browser

YEARS = (2023, 2024, 2025)
COLUMNS, ROWS = 20, 50  # per year: 1,000 events, 3,000 in all (drawn on the canvas)


def place(year: int, column: int, row: int) -> tuple[float, float]:
    """Each year's events in a block of their own, side by side, inside Syria."""
    return 37.0 + (YEARS.index(year) * COLUMNS + column) * 0.04, 34.2 + row * 0.04


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("held-layers")
    features = [
        feature(
            f"ev-{year}-{column}-{row}",
            *place(year, column, row),
            name=f"Event {year} {column}/{row}",
            description=f"What happened at {column}/{row} in {year}.",
            kind="airstrike",
            start=f"{year}-05-10",
            country="SY",
            actor="A test actor",
            claim_status="reported",
        )
        for year in YEARS
        for row in range(ROWS)
        for column in range(COLUMNS)
    ]
    doc = layer_doc(*features, group="events", layer_id="held-events")
    doc["layer"]["style"] = {"color": "#cc0000", "marker": "circle"}
    path = folder / "held-events.parquet"
    write_parquet(Layer(path, doc["layer"], doc["features"]), path)
    process, url = serve_app({"GEO_LAYERS_DIR": str(folder)})
    yield url
    stop_app(process)


def is_red(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return r > 180 and g < 90 and b < 90


def red_at(frame, year: int) -> list[bool]:
    """Whether each of a few of ``year``'s points is drawn red, on a screenshot of the map."""
    from PIL import Image

    frame.evaluate("new Promise(done => window.posture.whenDrawn(done))")
    image = Image.open(io.BytesIO(frame.locator(".folium-map").screenshot())).convert("RGB")
    found = []
    for column, row in ((2, 10), (10, 25), (16, 40)):
        lon, lat = place(year, column, row)
        x, y = frame.evaluate(
            f"(() => {{ const p = window.posture.map.latLngToContainerPoint([{lat}, {lon}]);"
            " return [p.x, p.y]; })()"
        )
        found.append(is_red(image.getpixel((round(x), round(y)))))
    return found


def test_a_date_step_draws_that_dates_rows_from_rows_sent_once(context, app):
    from tests.test_browser_app import COMPONENT, map_frame

    page = context.new_page()
    page.goto(f"{app}/?asof=2025-12-31&window=1y")
    frame = map_frame(page)
    # The whole of the three blocks in sight, at a zoom where the points stand apart.
    west, south = place(2023, 0, 0)
    east, north = place(2025, COLUMNS - 1, ROWS - 1)
    frame.evaluate(
        f"window.posture.map.fitBounds([[{south}, {west}], [{north}, {east}]], "
        "{animate: false}); null"
    )
    page.get_by_text(re.compile(r"^1,000 features shown")).wait_for(timeout=10000)
    assert red_at(frame, 2025) == [True] * 3
    assert red_at(frame, 2024) == [False] * 3
    component = page.frame_locator(COMPONENT).locator("body")
    parts_before = component.get_attribute("data-parts")
    assert parts_before is not None and int(parts_before) >= 1
    choose_option(page, "Step", "year")
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step\"]').value === 'year'"
    )
    page.get_by_role("button", name="◀").click()
    page.wait_for_function("() => /asof=2024-12-31/.test(location.search)", timeout=20000)
    frame.wait_for_function("window.posture.payload.time.asOf === '2024-12-31'", timeout=20000)
    assert red_at(frame, 2024) == [True] * 3
    assert red_at(frame, 2025) == [False] * 3
    assert red_at(frame, 2023) == [False] * 3
    page.get_by_text(re.compile(r"^1,000 features shown")).wait_for(timeout=10000)
    assert component.get_attribute("data-parts") == parts_before  # no rows crossed again
    assert component.get_attribute("data-asks") is None
    # A 2024 point opened with a real click shows its own name and text, sent for that row.
    lon, lat = place(2024, 7, 30)
    frame.evaluate(f"window.posture.map.setView([{lat}, {lon}], 10, {{animate: false}}); null")
    point = frame.evaluate(
        f"(() => {{ const p = window.posture.map.latLngToContainerPoint([{lat}, {lon}]);"
        " return {x: p.x, y: p.y}; })()"
    )
    frame.locator(".leaflet-container").click(position=point)
    popup = frame.locator(".posture-popup[data-feature-id='ev-2024-7-30']")
    popup.locator("p.posture-description").wait_for(timeout=20000)
    assert popup.locator("h3").inner_text() == "Event 2024 7/30"
    assert popup.locator("p.posture-description").inner_text() == ("What happened at 7/30 in 2024.")
    assert context.recorder.outside == []


# Each part a layer of three rows, its ids named by the part; each view shows rows 0 and 2.
NARROW_STEPS = """
async (steps) => {
  const pm = window.posture;
  const gzip = async (value) => new Uint8Array(await new Response(
    new Blob([JSON.stringify(value)]).stream().pipeThrough(new CompressionStream('gzip'))
  ).arrayBuffer());
  const mask = btoa(String.fromCharCode(0b101));
  const shown = [];
  for (const keys of steps) {
    const packed = {};
    for (const key of keys) {
      packed[key] = await gzip({ columns: { rows: 3, x: [36, 37, 38], y: [34, 35, 36],
        i: [key + '/0', key + '/1', key + '/2'] }, sources: [], apart: false });
    }
    await pm.unpackParts(packed);
    const payload = { layers: keys.map((key, n) => ({ id: 'layer-' + n, held: key, mask })) };
    pm.narrowHeld(payload);
    shown.push(payload.layers.map((layer) => Array.from(layer.columns.i)));
  }
  return shown;
}
"""


def test_the_map_keeps_every_part_its_payload_names(context, app):
    """The map page (posture.js) keeps the parts a payload names, however many, and counts a
    part used again as recent: one big layer held for every date while another steps through
    spans, and then a view of five big layers, each narrow to their own parts' rows."""
    from tests.test_browser_app import map_frame

    page = context.new_page()
    page.goto(f"{app}/?asof=2025-12-31&window=1y")
    frame = map_frame(page)
    steps = [["A", "B1"], ["A", "B2"], ["A", "B3"], ["A", "B4"], ["C1", "C2", "C3", "C4", "C5"]]
    shown = frame.evaluate(NARROW_STEPS, steps)
    assert shown == [[[f"{key}/0", f"{key}/2"] for key in keys] for keys in steps]


def test_a_view_of_more_big_layers_than_the_frame_usually_keeps_is_drawn(context, tmp_path):
    """Five big Parquet layers, each held as a part: the app's frame keeps all five rather than
    its usual four, so the map draws the view, and a date step sends no part again."""
    from tests.test_browser_app import COMPONENT, map_frame

    for number in range(5):  # five blocks inside Syria, 2,200 events each: big layers, held
        write_events_parquet(
            tmp_path / f"layer-{number}.parquet",
            (2024, 2025),
            1100,
            place=lambda _year, n, number=number: (
                36.7 + number * 0.4 + (n % 50) * 0.006,
                34.6 + (n // 50) * 0.02,
            ),
            prefix=f"ev-{number}",
        )
    process, url = serve_app({"GEO_LAYERS_DIR": str(tmp_path)})
    try:
        page = context.new_page()
        page.goto(f"{url}/?asof=2025-12-31&window=1y")
        page.get_by_text(re.compile(r"^5,500 features shown")).wait_for(timeout=30000)
        frame = map_frame(page)
        drawn = "window.posture.pointLayers.map(layer => layer.columns.rows)"
        frame.wait_for_function(f"{drawn}.length === 5", timeout=20000)
        assert frame.evaluate(drawn) == [1100] * 5
        component = page.frame_locator(COMPONENT).locator("body")
        parts = component.get_attribute("data-parts")
        choose_option(page, "Step", "year")
        page.wait_for_function(
            "() => document.querySelector('input[aria-label=\"Step\"]').value === 'year'"
        )
        page.get_by_role("button", name="◀").click()
        frame.wait_for_function("window.posture.payload.time.asOf === '2024-12-31'", timeout=20000)
        assert frame.evaluate(drawn) == [1100] * 5
        assert component.get_attribute("data-parts") == parts  # no part crossed again
        assert frame.evaluate("window.posture.map.getContainer().dataset.error") is None
    finally:
        stop_app(process)
