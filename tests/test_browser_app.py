"""The app in a real browser (Debian's Chromium), served on localhost, with every request that
leaves the machine blocked and recorded."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest

from geo.catalog import View, load_catalog
from geo.model import PartialDate
from tests.helpers import LAYERS, choose_option, feature, layer_doc

pytestmark = pytest.mark.browser
COMPONENT = "iframe[title='geo.app.map_component.posture_map']"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def map_frame(page, timeout: float = 30.0):
    """The frame that runs the map page, once it has drawn a payload."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url == "about:srcdoc":
                try:
                    if frame.evaluate("!!(window.posture && window.posture.payload)"):
                        return frame
                except Exception:  # the frame is being replaced
                    pass
        page.wait_for_timeout(100)
    raise AssertionError("the map never drew")


def map_count(page) -> int:
    return int(map_frame(page).evaluate("window.posture.payload.count"))


def wait_for_count(page, expected: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if map_count(page) == expected and page_count(page) == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"count stayed {map_count(page)}/{page_count(page)}, not {expected}")


def page_count(page) -> int:
    text = page.get_by_text(re.compile(r"^\d+ features shown")).first.inner_text()
    return int(text.split()[0])


def open_app(context, url: str):
    page = context.new_page()
    page.goto(url)
    map_frame(page)
    return page


def shown(catalog, **view) -> int:
    return sum(1 for _ in catalog.features(View(**view)))


def test_sees_the_us_posture_markers(context, app_url, catalog):
    page = open_app(context, app_url)
    frame = map_frame(page)
    sites = frame.evaluate(
        "window.posture.payload.layers.find(l => l.id === 'us-sites').features.map(f => f.i)"
    )
    expected = {
        f["properties"]["id"]
        for layer, f in catalog.features(View(as_of=TODAY.isoformat()))
        if layer.id == "us-sites"
    }
    assert set(sites) == expected and "al-udeid-air-base" in sites
    # What is drawn where, pixel by pixel, is tested in test_browser_drawn.py.
    assert page_count(page) == shown(catalog, as_of=TODAY.isoformat())
    assert context.recorder.outside == []


def test_toggling_a_layer_changes_the_count(context, app_url, catalog):
    page = open_app(context, app_url)
    total = map_count(page)
    events = sum(
        1 for layer, _ in catalog.features(View(as_of=TODAY.isoformat())) if layer.id == "events"
    )
    page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$")).click()
    wait_for_count(page, total - events)
    page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$")).click()
    wait_for_count(page, total)
    assert context.recorder.outside == []


def test_a_layer_switched_off_and_on_is_drawn_from_what_the_map_holds(context, app_url, catalog):
    """The map's frame keeps the payloads it was sent last: switching a layer off and on
    again draws the held one, without asking the app to send it again."""
    page = open_app(context, app_url)
    total = map_count(page)
    events = sum(
        1 for layer, _ in catalog.features(View(as_of=TODAY.isoformat())) if layer.id == "events"
    )
    switch = page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$"))
    for expected in (total - events, total, total - events, total):
        switch.click()
        wait_for_count(page, expected)
    component = page.frame_locator(COMPONENT).locator("body")
    assert component.get_attribute("data-asks") is None  # never asked for a resend
    assert context.recorder.outside == []


def test_the_map_draws_again_after_another_page(context, app_url, catalog):
    """A new map frame after a page switch asks for the map page and the payload, which the
    session sends only once each; it draws them, and a toggle then still reaches it."""
    page = open_app(context, app_url)
    total = map_count(page)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Sources").click()
    page.get_by_role("heading", name="Sources").first.wait_for()
    page.wait_for_function("!document.querySelector(\"iframe[title*='posture_map']\")")
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Map").click()
    wait_for_count(page, total, timeout=30.0)
    events = sum(
        1 for layer, _ in catalog.features(View(as_of=TODAY.isoformat())) if layer.id == "events"
    )
    page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$")).click()
    wait_for_count(page, total - events)
    assert context.recorder.outside == []


def test_moving_the_date_to_2023_drops_the_2024_events(context, app_url, catalog):
    page = open_app(context, app_url)
    frame = map_frame(page)
    assert frame.evaluate("Object.keys(window.posture.byId).some(i => i.endsWith('-2024'))")
    choose_option(page, "Step", "year")
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step\"]').value === 'year'"
    )
    target = TODAY.replace(year=2023) if TODAY.year > 2023 else TODAY
    for _ in range(TODAY.year - 2023):
        current = page.locator("[data-testid='stDateInput'] input").first.input_value()
        page.get_by_role("button", name="◀").click()
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel).value !== old",
            arg=["[data-testid='stDateInput'] input", current],
        )
    wait_for_count(page, shown(catalog, as_of=target.isoformat()))
    frame = map_frame(page)
    ids = frame.evaluate("Object.keys(window.posture.byId)")
    later = [
        i
        for i in ids
        if PartialDate.parse(catalog.find(i)[1]["properties"]["start"]).first_day() > target
    ]
    assert ids and later == []
    assert "tower-22-drone-attack-2024" not in ids
    assert f"asof={target.isoformat()}" in page.url


def click_feature(page, feature_id: str) -> None:
    frame = map_frame(page)
    point = frame.evaluate(
        """id => { const e = window.posture.byId[id];
                   const p = window.posture.map.latLngToContainerPoint(e.drawn[0].getLatLng());
                   return {x: p.x, y: p.y}; }""",
        feature_id,
    )
    box = page.locator(COMPONENT).bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def choose(page, feature_id: str) -> None:
    """A click fell on several features (a base and the strike on it): pick one."""
    map_frame(page).locator(f".posture-chooser button[data-feature-id='{feature_id}']").click()


def test_clicking_a_base_shows_its_sources(context, app_url, catalog):
    page = open_app(context, app_url)
    click_feature(page, "prince-sultan-air-base")
    choose(page, "prince-sultan-air-base")
    frame = map_frame(page)
    popup = frame.locator(".posture-popup")
    popup.wait_for(timeout=10000)
    assert popup.locator("h3").inner_text() == "Prince Sultan Air Base"
    props = catalog.find("prince-sultan-air-base")[1]["properties"]
    link = popup.locator("a", has_text=props["sources"][0]["title"]).first
    assert link.get_attribute("href") == props["sources"][0]["url"]
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    page.get_by_role("heading", name="Prince Sultan Air Base").wait_for(timeout=15000)
    assert "sel=prince-sultan-air-base" in page.url
    # The sources are told once, in the popup; the page below the map does not repeat them.
    assert page.get_by_role("link", name=props["sources"][0]["title"]).count() == 0
    assert context.recorder.outside == []


def test_a_shared_url_opens_the_same_view(context, browser, app_url, catalog):
    page = open_app(context, app_url)
    page.get_by_text(re.compile(r"^Hezbollah \(\d+\)$")).click()
    wait_for_count(page, shown(catalog, as_of=TODAY.isoformat()) - 3)
    click_feature(page, "prince-sultan-air-base")
    choose(page, "prince-sultan-air-base")
    page.get_by_role("heading", name="Prince Sultan Air Base").wait_for(timeout=15000)
    map_frame(page).evaluate("window.posture.map.setView([26.2, 50.6], 8); null")
    page.wait_for_function(
        """() => { const v = new URLSearchParams(window.location.search).get('view');
                   if (!v) return false; const [lat, lng, zoom] = v.split(',').map(Number);
                   return zoom === 8 && Math.abs(lat - 26.2) < 0.01
                          && Math.abs(lng - 50.6) < 0.01; }"""
    )
    shared = page.url
    count = map_count(page)

    fresh = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(shared)
        frame = map_frame(other)
        assert map_count(other) == count
        assert not frame.evaluate(
            "'hezbollah' in Object.fromEntries(window.posture.payload.layers.map(l => [l.id, 1]))"
        )
        center = frame.evaluate(
            "[window.posture.map.getCenter().lat, "
            "window.posture.map.getCenter().lng, window.posture.map.getZoom()]"
        )
        assert center[2] == 8 and abs(center[0] - 26.2) < 0.01 and abs(center[1] - 50.6) < 0.01
        other.get_by_role("heading", name="Prince Sultan Air Base").wait_for(timeout=15000)
        assert frame.evaluate("window.posture.selected") == "prince-sultan-air-base"
        weights = frame.evaluate(
            "window.posture.byId['prince-sultan-air-base'].drawn.map(d => d.options.weight)"
        )
        assert set(weights) == {4}
    finally:
        fresh.close()


def upload(page, path: Path) -> None:
    page.get_by_text("Bring your own layer").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))


def test_an_upload_with_markup_is_refused_with_the_validators_words(context, app_url, tmp_path):
    doc = layer_doc(feature("mine-1", name='<img src=x onerror="window.top.__pwned=1">'))
    path = tmp_path / "mine.geojson"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    page = open_app(context, app_url)
    upload(page, path)
    page.get_by_text("The file was refused: 1 problem(s).").wait_for(timeout=15000)
    code = page.locator("[data-testid='stCode']").first.inner_text()
    assert "feature mine-1: name: text holds HTML markup" in code
    assert "<img src=x" in code
    assert page.evaluate("window.__pwned === undefined")
    assert context.dialogs == []


def test_an_upload_with_script_like_text_is_shown_as_text(context, app_url, tmp_path, catalog):
    payload = "${window.top.__pwned=1} `;window.top.__pwned=2;` \"quotes\" & 'apostrophes'"
    doc = layer_doc(
        feature("mine-2", name=payload, description=payload, lon=47.58, lat=24.06, country="SA")
    )
    title = "**Bold** [link](javascript:window.top.__pwned=3) `code` _x_"
    doc["layer"]["title"] = title
    path = tmp_path / "mine2.geojson"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    page = open_app(context, app_url)
    before = map_count(page)
    upload(page, path)
    wait_for_count(page, before + 1)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Your layers\n\n{title} (1)" in sidebar.inner_text()
    assert sidebar.locator("a[href^='javascript']").count() == 0
    assert (
        sidebar.locator("strong, i, code").filter(has_text=re.compile("Bold|x|code")).count() == 0
    )
    map_frame(page).evaluate("window.posture.byId['mine-2'].drawn[0].openPopup(); null")
    popup = map_frame(page).locator(".posture-popup")
    assert popup.locator("h3").inner_text() == payload
    assert popup.locator("p.posture-description").inner_text() == payload
    map_frame(page).evaluate("window.posture.select('mine-2'); null")
    heading = page.locator("h3").filter(has_text="window.top.__pwned=1")
    heading.wait_for(timeout=15000)
    assert heading.inner_text() == payload
    assert page.evaluate("window.__pwned === undefined")
    assert map_frame(page).evaluate("window.__pwned === undefined")
    assert context.dialogs == []
    assert context.recorder.outside == []


def test_no_request_leaves_the_machine_for_code_or_styles(context, app_url, catalog):
    from geo.catalog import bibliography

    page = open_app(context, app_url)
    today = View(as_of=TODAY.isoformat())
    page.get_by_role("link", name="Features").first.click()
    page.get_by_text(f"{shown(catalog, as_of=TODAY.isoformat())} features shown").wait_for()
    page.get_by_role("link", name="Sources").first.click()
    works = len(bibliography(catalog.features(today)))
    page.get_by_text(f"{works} cited works behind").wait_for()
    page.get_by_role("link", name="About").first.click()
    page.get_by_text("Data licence.").wait_for()
    reviewed = catalog.reviewed_to()
    assert reviewed
    page.get_by_text(f"Data reviewed to {reviewed}.").wait_for()
    page.get_by_role("link", name="Map").first.click()
    map_frame(page)
    assert context.recorder.outside == []
    assert any("/component/" in url for url in context.recorder.local)


def test_downloads_carry_the_view_on_screen(context, app_url, catalog, tmp_path):
    from geo.render import export_html

    page = open_app(context, app_url)
    page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$")).click()
    wait_for_count(
        page,
        shown(catalog, as_of=TODAY.isoformat())
        - sum(
            1
            for layer, _ in catalog.features(View(as_of=TODAY.isoformat()))
            if layer.id == "events"
        ),
    )
    # The frame reports the map's frame on screen once the map has rested (0.4 s), and the app
    # reruns with it; the download must carry that frame, as the map itself has it.
    page.wait_for_timeout(2500)
    west, south, east, north = map_frame(page).evaluate(
        "() => { const b = window.posture.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    frame = (max(west, -180), max(south, -90), min(east, 180), min(north, 90))
    with page.expect_download() as html_download:
        page.get_by_role("button", name="HTML map").click()
    html = Path(html_download.value.path()).read_text(encoding="utf-8")
    on_screen = View(
        layers=tuple(layer.id for layer in catalog.layers if layer.id != "events"),
        as_of=TODAY.isoformat(),
        extent=tuple(float(f"{value:.6f}") for value in frame),
    )
    assert html == export_html(catalog, on_screen)
    with page.expect_download() as png_download:
        page.get_by_role("button", name="PNG image").click()
    png = Path(png_download.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 1920
    assert context.recorder.outside == []
