"""The exported HTML in a real browser, with the network blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.catalog import View, load_catalog
from geo.render import export_html
from tests.helpers import LAYERS
from tests.hostile import HOSTILE_NAME, PAYLOADS, hostile_catalog

pytestmark = pytest.mark.browser


def open_export(context, path: Path):
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready='1']", timeout=20000)
    return page


def test_whole_view_draws_every_feature_with_no_request(context, tmp_path):
    catalog = load_catalog(Path(LAYERS))
    path = tmp_path / "map.html"
    path.write_text(export_html(catalog, View()), encoding="utf-8")
    page = open_export(context, path)
    expected = sum(len(layer.features) for layer in catalog.layers)
    assert page.get_attribute(".folium-map", "data-feature-count") == str(expected)
    assert page.evaluate("window.posture.groups.length") == len(catalog.layers)
    assert page.locator(".posture-legend input[data-layer-id]").count() == len(catalog.layers)
    assert context.recorder.outside == []


def test_popup_shows_text_exactly_and_runs_no_script(context, tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(export_html(hostile_catalog(), View()), encoding="utf-8")
    page = open_export(context, path)
    page.evaluate(
        "window.posture.select('hostile-one'); "
        "window.posture.byId['hostile-one'].drawn[0].openPopup(); null"
    )
    popup = page.locator(".posture-popup")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == HOSTILE_NAME
    description = popup.locator("p.posture-description").inner_text()
    assert description == " | ".join(PAYLOADS)
    links = popup.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "javascript:alert(1)" not in hrefs
    assert "https://example.org/a?b=1&c=2" in hrefs
    assert "#posture-source-1" in hrefs  # the claim's citation, into the list of sources
    real = popup.locator("a[href^='https://example.org']")
    assert real.get_attribute("target") == "_blank"
    assert real.get_attribute("rel") == "noopener noreferrer"
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img").count() == 0
    assert context.dialogs == []
    assert context.recorder.outside == []


def test_each_popup_shows_its_own_citation_and_the_review_date_is_visible(context, tmp_path):
    """Two features cite one page under different titles: each popup names its own; the
    sources panel says to which date the data was reviewed."""
    from tests.helpers import run_cli
    from tests.test_export_hardening import REVIEWED_OLDEST_LABEL, write_layers

    layers = write_layers(tmp_path / "layers")
    path = tmp_path / "map.html"
    result = run_cli("export", "html", "-o", str(path), "--layers-dir", str(layers))
    assert result.returncode == 0, result.stderr
    page = open_export(context, path)
    for fid, title in (
        ("every-field", "First title Quebec"),
        ("same-page-other-title", "Second title Uniform"),
    ):
        page.evaluate(
            f"window.posture.select('{fid}'); "
            f"window.posture.byId['{fid}'].drawn[0].openPopup(); null"
        )
        popup = page.locator(f".posture-popup[data-feature-id='{fid}']")
        popup.wait_for()
        assert popup.locator(f"a:text-is('{title}')").count() == 1, popup.inner_text()
    footer = page.locator(".posture-footer")
    assert footer.is_visible()
    assert f"Data reviewed to {REVIEWED_OLDEST_LABEL}." in footer.inner_text()
    assert context.recorder.outside == []


def _click_feature(page, feature_id: str) -> None:
    point = page.evaluate(
        """id => { const e = window.posture.byId[id];
                   const p = window.posture.map.latLngToContainerPoint(e.drawn[0].getLatLng());
                   const box = window.posture.map.getContainer().getBoundingClientRect();
                   return {x: box.left + p.x, y: box.top + p.y}; }""",
        feature_id,
    )
    page.mouse.click(point["x"], point["y"])


def test_a_base_under_a_strike_opens_the_base_even_after_the_events_are_switched_back_on(
    context, tmp_path
):
    # The 2026 strike on Prince Sultan is drawn at the base's own point: a click there lists
    # both, the base first, and the base stays first after the events are switched back on.
    catalog = load_catalog(Path(LAYERS))
    base = catalog.find("prince-sultan-air-base")[1]["geometry"]["coordinates"]
    strike = catalog.find("iran-strike-prince-sultan-2026")[1]["geometry"]["coordinates"]
    assert base[:2] == strike[:2]
    path = tmp_path / "map.html"
    path.write_text(export_html(catalog, View()), encoding="utf-8")
    page = open_export(context, path)
    page.evaluate("window.posture.map.setView([24.06, 47.58], 12, {animate: false}); null")
    events = page.locator(".posture-legend label", has_text="Strikes and other")
    for _ in range(2):  # off, then on again: the events layer is now added after the sites
        events.locator("input").click()
    _click_feature(page, "prince-sultan-air-base")
    choices = page.locator(".posture-chooser button")
    choices.first.wait_for(timeout=10000)
    assert choices.first.get_attribute("data-feature-id") == "prince-sultan-air-base"
    assert "iran-strike-prince-sultan-2026" in [
        choices.nth(i).get_attribute("data-feature-id") for i in range(choices.count())
    ]
    choices.first.click()
    popup = page.locator(".posture-popup")
    popup.wait_for(timeout=10000)
    assert popup.locator("h3").inner_text() == "Prince Sultan Air Base"


# ---------------------------------------------------------------------------------------------
# Framing: the region at load, arrows toward what lies beyond, no edge of the basemap in view

FEB_2024 = View(as_of="2024-02-01", window_from="2022-01-01", window_to="2025-12-31")
SEA = (0xCF, 0xE3, 0xEF)
LAND = (0xEF, 0xEC, 0xE4)


@pytest.fixture
def feb_page(context, tmp_path):
    path = tmp_path / "feb.html"
    path.write_text(export_html(load_catalog(Path(LAYERS)), FEB_2024), encoding="utf-8")
    page = open_export(context, path)
    yield page
    assert context.recorder.outside == []


def basemap_pixels(page):
    """The map container's pixels with only the basemap drawn: features, labels, the timeline,
    controls, panels and
    arrows hidden."""
    import io

    import matplotlib.image as mpimg
    import numpy as np

    page.add_style_tag(
        content=".leaflet-control-container, .posture-edges, .posture-timeline, "
        ".leaflet-overlay-pane, "
        ".leaflet-marker-pane, .leaflet-shadow-pane, .leaflet-popup-pane, "
        ".leaflet-posture-areas-pane, .leaflet-posture-lines-pane, "
        ".leaflet-posture-points-pane, .leaflet-posture-labels-pane { display: none !important; }"
    )
    shot = page.locator(".folium-map").screenshot()
    return (mpimg.imread(io.BytesIO(shot), format="png")[:, :, :3] * 255).round().astype(np.uint8)


def near(pixels, colour, tolerance=6):
    import numpy as np

    return np.abs(pixels.astype(int) - colour).max(axis=2) <= tolerance


def test_export_opens_on_the_region_with_arrows_toward_far_places(feb_page):
    page = feb_page
    west, south, east, north = page.evaluate(
        "(() => { const b = window.posture.map.getBounds(); "
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    # The Gulf and the Levant fill the map; Missouri and the Baltic are not in it.
    assert 5 < west < 30 and 55 < east < 90 and 0 < south < 20 and 35 < north < 50
    arrows = page.locator(".posture-edge")
    names = [arrows.nth(i).inner_text() for i in range(arrows.count())]
    assert any("Whiteman Air Force Base, Missouri (B-2 bombers), launch point" in n for n in names)
    assert any("Nord Stream pipelines sabotage" in n for n in names)
    box = page.locator(".folium-map").bounding_box()
    for i in range(arrows.count()):
        arrow = arrows.nth(i).bounding_box()
        assert arrow["x"] >= box["x"] and arrow["x"] + arrow["width"] <= box["x"] + box["width"]
        assert arrow["y"] >= box["y"] and arrow["y"] + arrow["height"] <= box["y"] + box["height"]
    # No arrow hides under the layer list, the legend or the title.
    hidden = page.evaluate(
        """() => { const boxes = [...document.querySelectorAll('.leaflet-control')]
                     .map(n => n.getBoundingClientRect());
                   return [...document.querySelectorAll('.posture-edge')].filter(a => {
                     const r = a.getBoundingClientRect();
                     return boxes.some(b => r.left < b.right && r.right > b.left
                                         && r.top < b.bottom && r.bottom > b.top); }).length; }"""
    )
    assert hidden == 0
    # An arrow is a button: it takes you there, and is no longer needed once you are.
    page.locator(".posture-edge", has_text="Nord Stream").click()
    inside = page.evaluate("window.posture.map.getBounds().contains(L.latLng(54.876667, 15.41))")
    assert inside
    assert page.locator(".posture-edge", has_text="Nord Stream").count() == 0


def test_no_edge_of_the_basemap_in_view_at_load_or_zoomed_out(feb_page):
    page = feb_page
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    at_load = basemap_pixels(page)
    # Nothing but sea, land and the borders between them: no page background beyond the basemap.
    assert near(at_load, (255, 255, 255), 3).sum() == 0
    page.evaluate("window.posture.map.setZoom(0, {animate: false}); null")
    page.evaluate("window.posture.map.panTo([80, 170], {animate: false}); null")
    zoomed_out = basemap_pixels(page)
    assert near(zoomed_out, (255, 255, 255), 3).sum() == 0
    # The view stays on the world: held at a zoom where the world fills the map, and inside it.
    zoom, min_zoom, north, east = page.evaluate(
        "(() => { const m = window.posture.map, b = m.getBounds(); "
        "return [m.getZoom(), m.getMinZoom(), b.getNorth(), b.getEast()]; })()"
    )
    assert zoom == min_zoom >= 2
    assert north <= 85.06 and east <= 180.0001
    # Land reaches every edge of the zoomed-out view (Siberia, the Pacific coasts), so the
    # outlines go on beyond it rather than stopping in a straight line inside.
    height, width = zoomed_out.shape[:2]
    land = near(zoomed_out, LAND)
    assert land[: height // 8].sum() > 500  # the far north: Siberia, Alaska, Canada
    assert land[:, width - width // 10 :].sum() > 200  # the far east: Kamchatka, Alaska
    assert near(zoomed_out, SEA).sum() > land.sum() * 0.2


def test_app_downloads_are_framed_as_the_map_on_screen(context, app_url, tmp_path):
    """Zoom the app's map onto Bahrain: the SVG download shows that frame at that scale, not
    the whole region; and it follows the map when it moves again, with no reload."""
    import re
    import xml.etree.ElementTree as ET

    from tests.test_browser_app import map_frame, open_app

    def download_texts() -> list[str]:
        with page.expect_download() as download:
            page.get_by_role("button", name="SVG image").click()
        svg = Path(download.value.path()).read_bytes()
        return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]

    def move_to(lat: float, lng: float, zoom: int) -> None:
        # The app reruns once the map has rested and reported its frame.
        map_frame(page).evaluate(
            f"window.posture.map.setView([{lat}, {lng}], {zoom}, {{animate: false}}); null"
        )
        page.wait_for_timeout(2500)
        page.wait_for_load_state("networkidle")

    page = open_app(context, app_url)
    move_to(26.1, 50.55, 9)
    texts = download_texts()
    assert "QATAR" in texts  # across the Gulf of Bahrain from the centre
    assert "EGYPT" not in texts and "IRAQ" not in texts
    scale = [t for t in texts if re.fullmatch(r"\d[\d.]* km", t)]
    assert scale and float(scale[0].split()[0]) <= 50, scale
    move_to(33.3, 44.4, 7)  # Baghdad
    texts = download_texts()
    assert "IRAQ" in texts and "QATAR" not in texts
    assert context.recorder.outside == []


def test_a_download_clicked_as_the_map_reports_its_frame_is_not_lost(context, app_url):
    """The map reports its frame to Python about 0.4 s after it rests. A download clicked
    just before, during or after that report still arrives, each time."""
    from tests.test_browser_app import map_frame, open_app

    page = open_app(context, app_url)
    page.wait_for_load_state("networkidle")
    places = [(26.1, 50.55, 8), (33.3, 44.4, 7), (25.3, 51.2, 9), (29.3, 47.9, 8), (24.4, 54.5, 8)]
    for (lat, lng, zoom), delay in zip(places, (300, 420, 550, 700, 1000), strict=True):
        map_frame(page).evaluate(
            f"window.posture.map.setView([{lat}, {lng}], {zoom}, {{animate: false}}); null"
        )
        page.wait_for_timeout(delay)
        with page.expect_download(timeout=20000) as download:
            page.get_by_role("button", name="SVG image").click()
        assert Path(download.value.path()).read_bytes().startswith(b"<?xml"), delay


SVG = "{http://www.w3.org/2000/svg}"


def test_an_edge_arrow_shows_a_hostile_name_as_text(context, tmp_path):
    # Framed on France, the hostile feature in Qatar lies beyond the map: its name is an arrow's.
    path = tmp_path / "hostile-edge.html"
    view = View(extent=(0.0, 40.0, 10.0, 50.0))
    path.write_text(export_html(hostile_catalog(), view), encoding="utf-8")
    page = open_export(context, path)
    arrow = page.locator(".posture-edge")
    assert arrow.count() == 1
    assert arrow.locator(".posture-edge-name").inner_text() == HOSTILE_NAME
    arrow.click()
    assert page.evaluate("window.__pwned === undefined && window.top.__pwned === undefined")
    assert page.locator(".posture-edges img").count() == 0
    assert context.dialogs == []
    assert context.recorder.outside == []
