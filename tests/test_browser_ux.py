"""The map as a reader meets it, in Chromium at 1440×900 and on a 390×844 phone: every feature
reachable (the chooser, the keyboard), labels that are text and never overlap, one legend that
never covers a popup, and the app's layout."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from geo.catalog import View, load_catalog
from geo.render import export_html
from tests.helpers import LAYERS
from tests.test_browser_app import COMPONENT, map_frame, open_app

pytestmark = pytest.mark.browser
TODAY = dt.date.today().isoformat()
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TEHRAN = (51.3134, 35.6892)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


@pytest.fixture(scope="module")
def export_path(catalog, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ux") / "map.html"
    path.write_text(export_html(catalog, View(as_of=TODAY)), encoding="utf-8")
    return path


def open_export(browser, path: Path, viewport: dict[str, int]):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready='1']", timeout=20000)
    return context, page


def set_view(page, lat: float, lng: float, zoom: int) -> None:
    page.evaluate(
        "([lat, lng, zoom]) => { window.posture.map.setView([lat, lng], zoom, {animate: false}); }",
        [lat, lng, zoom],
    )
    page.wait_for_timeout(150)  # labels are placed on the next animation frame


def click_at(page, lng: float, lat: float) -> None:
    point = page.evaluate(
        """([lat, lng]) => { const p = window.posture.map.latLngToContainerPoint([lat, lng]);
                   const box = window.posture.map.getContainer().getBoundingClientRect();
                   return {x: box.left + p.x, y: box.top + p.y}; }""",
        [lat, lng],
    )
    page.mouse.click(point["x"], point["y"])


def box_of(locator) -> dict[str, float]:
    return locator.evaluate(
        "n => { const r = n.getBoundingClientRect();"
        " return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"
    )


def intersect(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def at_point(catalog, lng: float, lat: float) -> dict[str, str]:
    """id -> name of the features of today's view drawn at this point."""
    return {
        f["properties"]["id"]: f["properties"]["name"]
        for _, f in catalog.features(View(as_of=TODAY))
        if f["geometry"]["type"] == "Point"
        and abs(f["geometry"]["coordinates"][0] - lng) < 1e-4
        and abs(f["geometry"]["coordinates"][1] - lat) < 1e-4
    }


def test_the_chooser_lists_every_tehran_event_and_opens_each(browser, catalog, export_path):
    expected = at_point(catalog, *TEHRAN)
    assert len(expected) >= 3
    context, page = open_export(browser, export_path, DESKTOP)
    try:
        set_view(page, TEHRAN[1], TEHRAN[0], 8)
        for fid, name in expected.items():
            click_at(page, *TEHRAN)
            choices = page.locator(".posture-chooser button")
            choices.first.wait_for(timeout=5000)
            listed = choices.evaluate_all("ns => ns.map(n => n.dataset.featureId)")
            assert sorted(listed) == sorted(expected)
            choice = page.locator(f".posture-chooser button[data-feature-id='{fid}']")
            assert choice.inner_text().startswith(name + " (")
            choice.click()
            popup = page.locator(f".posture-popup[data-feature-id='{fid}']")
            popup.wait_for(timeout=5000)
            assert popup.locator("h3").inner_text() == name
            assert page.evaluate("window.posture.selected") == fid
            page.keyboard.press("Escape")
            page.locator(".posture-popup").wait_for(state="detached", timeout=5000)
    finally:
        context.close()


def test_a_click_on_al_udeid_at_zoom_12_opens_al_udeid(browser, catalog, export_path):
    base = catalog.find("al-udeid-air-base")[1]["geometry"]["coordinates"]
    context, page = open_export(browser, export_path, DESKTOP)
    try:
        set_view(page, base[1], base[0], 12)
        click_at(page, base[0], base[1])
        # Strikes on the base are drawn at its point: the chooser names the base first.
        first = page.locator(".posture-chooser button").first
        first.wait_for(timeout=5000)
        assert first.get_attribute("data-feature-id") == "al-udeid-air-base"
        first.click()
        popup = page.locator(".posture-popup")
        popup.wait_for(timeout=5000)
        assert popup.locator("h3").inner_text() == "Al Udeid Air Base"
        assert page.evaluate("window.posture.selected") == "al-udeid-air-base"
    finally:
        context.close()


def placed_labels(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.posture-maplabel')).filter(n =>
             n.offsetParent !== null).map(n => { const r = n.getBoundingClientRect();
             return {text: n.textContent, left: r.left, top: r.top, right: r.right,
                     bottom: r.bottom}; })"""
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_labels_are_text_on_screen_apart_and_switch_off(browser, catalog, export_path, viewport):
    context, page = open_export(browser, export_path, viewport)
    try:
        for lat, lng, zoom in ((28.5, 44.5, 5), (29.2, 47.9, 8), (26.0, 51.0, 6)):
            set_view(page, lat, lng, zoom)
            labels = placed_labels(page)
            texts = [label["text"] for label in labels]
            assert len(labels) >= 3, texts
            frame = box_of(page.locator(".leaflet-container"))
            for label in labels:
                assert label["left"] >= frame["left"] and label["right"] <= frame["right"]
                assert label["top"] >= frame["top"] and label["bottom"] <= frame["bottom"]
            for i, a in enumerate(labels):
                for b in labels[i + 1 :]:
                    assert not intersect(a, b), (a, b)
        set_view(page, 28.5, 44.5, 5)
        texts = [label["text"] for label in placed_labels(page)]
        if viewport == DESKTOP:
            assert {"Saudi Arabia", "Iran", "Al Udeid Air Base"} <= set(texts), texts
        else:
            page.locator(".posture-legend summary").first.click()
        page.locator(".posture-labels-switch input").click()
        page.wait_for_timeout(100)
        assert placed_labels(page) == []
        page.locator(".posture-labels-switch input").click()
        page.wait_for_timeout(100)
        assert len(placed_labels(page)) >= 3
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_the_legend_never_covers_an_open_popup(browser, catalog, export_path, viewport):
    context, page = open_export(browser, export_path, viewport)
    try:
        set_view(page, 28.5, 44.5, 5)
        legend = page.locator(".posture-legend")
        if not page.evaluate("window.posture.legendDetails.open"):
            legend.locator("summary").first.click()
        ids = [f["properties"]["id"] for _, f in catalog.features(View(as_of=TODAY))]
        checked = 0
        for fid in ids[::3]:
            page.evaluate(
                "id => { const e = window.posture.byId[id];"
                " window.posture.openFeature(e.layer, e.feature); }",
                fid,
            )
            popup = page.locator(f".leaflet-popup:has(.posture-popup[data-feature-id='{fid}'])")
            popup.wait_for(timeout=5000)
            page.wait_for_timeout(300)  # the popup pans the map into view
            if legend.evaluate("n => getComputedStyle(n).visibility") == "visible":
                assert not intersect(box_of(legend), box_of(popup)), fid
            checked += 1
            page.keyboard.press("Escape")
        assert checked >= 10
        # With no popup open, the legend is back as the reader left it.
        page.evaluate("window.posture.map.closePopup(); null")
        assert legend.evaluate("n => getComputedStyle(n).visibility") == "visible"
        assert page.evaluate("window.posture.legendDetails.open")
    finally:
        context.close()


def test_the_export_has_one_legend_whose_rows_switch_layers(browser, catalog, export_path):
    context, page = open_export(browser, export_path, DESKTOP)
    try:
        assert page.locator(".leaflet-control-layers").count() == 0
        assert page.locator(".posture-legend").count() == 1
        assert page.evaluate("window.posture.legendDetails.open")
        counts = {}
        for _, f in catalog.features(View(as_of=TODAY)):
            layer = catalog.find(f["properties"]["id"])[0]
            counts[layer.title] = counts.get(layer.title, 0) + 1
        rows = page.locator(".posture-legend label:has(input[data-layer-id])")
        shown = {}
        for i in range(rows.count()):
            match = re.fullmatch(r"(.+) \((\d+)\)", rows.nth(i).inner_text().strip())
            shown[match.group(1)] = int(match.group(2))
        assert {k: v for k, v in shown.items() if v} == counts
        events = page.locator(".posture-legend label", has_text="Strikes and other events")
        strike = (
            "window.posture.map.hasLayer(window.posture.byId['tower-22-drone-attack-2024']"
            ".drawn[0])"
        )
        assert page.evaluate(strike)
        events.locator("input").click()
        assert not page.evaluate(strike)
        events.locator("input").click()
        assert page.evaluate(strike)
    finally:
        context.close()


def test_the_legend_starts_folded_on_a_phone(browser, export_path):
    context, page = open_export(browser, export_path, PHONE)
    try:
        assert not page.evaluate("window.posture.legendDetails.open")
        legend = box_of(page.locator(".posture-legend"))
        frame = box_of(page.locator(".leaflet-container"))
        share = (
            (legend["right"] - legend["left"])
            * (legend["bottom"] - legend["top"])
            / ((frame["right"] - frame["left"]) * (frame["bottom"] - frame["top"]))
        )
        assert share < 0.05, share
    finally:
        context.close()


def test_the_keyboard_reaches_a_feature_and_escape_brings_it_back(browser, export_path):
    context, page = open_export(browser, export_path, DESKTOP)
    try:
        set_view(page, 25.1173, 51.315, 9)
        summary = page.locator(".posture-reach summary")
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.posture-reach') !== null"):
                break
        else:
            raise AssertionError("Tab never reached the list of features in view")
        assert summary.evaluate("n => n === document.activeElement")
        ring = summary.evaluate("n => getComputedStyle(n).outlineColor")
        assert ring == "rgb(26, 95, 180)"  # our focus ring, not the browser's faint default
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        button = page.locator(".posture-reach button[data-feature-id='al-udeid-air-base']")
        while not button.evaluate("n => n === document.activeElement"):
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.closest('.posture-reach') !== null")
        page.keyboard.press("Enter")
        popup = page.locator(".posture-popup[data-feature-id='al-udeid-air-base']")
        popup.wait_for(timeout=5000)
        assert page.evaluate("document.activeElement.closest('.posture-popup') !== null")
        page.keyboard.press("Escape")
        popup.wait_for(state="detached", timeout=5000)
        # The focus goes back at once, or a frame later if a pan rebuilt the list under it.
        page.wait_for_function(
            "document.activeElement && document.activeElement.matches("
            "\".posture-reach button[data-feature-id='al-udeid-air-base']\")",
            timeout=2000,
        )
    finally:
        context.close()


# The app --------------------------------------------------------------------------------------


def test_the_map_takes_most_of_the_width_at_1440(browser, app_url):
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = open_app(context, app_url)
        box = page.locator(COMPONENT).bounding_box()
        print(f"\nmap at 1440x900: {box['width']:.0f} x {box['height']:.0f} px")
        assert box["width"] / DESKTOP["width"] >= 0.7
        assert box["height"] >= 0.7 * DESKTOP["height"]
        assert box["y"] + box["height"] <= DESKTOP["height"]
    finally:
        context.close()


def test_on_a_phone_the_map_comes_first_and_the_sidebar_is_folded(browser, app_url):
    context = browser.new_context(viewport=PHONE)
    try:
        page = open_app(context, app_url)
        box = page.locator(COMPONENT).bounding_box()
        assert box["y"] < 100 and box["y"] + box["height"] <= PHONE["height"]
        texts = page.locator("[data-testid='stMainBlockContainer'] p").all()
        above = [
            t.inner_text() for t in texts if t.is_visible() and t.bounding_box()["y"] < box["y"]
        ]
        assert above == []
        sidebar = page.locator("[data-testid='stSidebar']")
        assert (
            sidebar.bounding_box() is None
            or sidebar.bounding_box()["width"] < 10
            or (sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0)
        )
        # The controls are one tap away.
        opener = "[data-testid='stExpandSidebarButton'], [data-testid='stSidebarCollapsedControl']"
        page.locator(opener).first.click()
        page.get_by_text(re.compile(r"^Strikes and other events \(\d+\)$")).wait_for(timeout=10000)
    finally:
        context.close()


def test_the_sidebar_counts_what_the_legend_counts(browser, app_url):
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = open_app(context, app_url)
        frame = map_frame(page)
        legend = frame.evaluate(
            "window.posture.payload.layers.map(l => [l.title, l.features.length])"
        )
        rows = frame.locator(".posture-legend li").all_inner_texts()
        for title, count in legend:
            assert f"{title} ({count})" in rows
            page.get_by_text(f"{title} ({count})", exact=True).wait_for(timeout=5000)
    finally:
        context.close()


def test_the_sidebar_label_switch_hides_the_labels_and_is_kept_in_the_url(browser, app_url):
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = open_app(context, app_url)
        frame = map_frame(page)
        frame.wait_for_function(
            "document.querySelectorAll('.posture-maplabel[data-placed]').length > 3"
        )
        page.get_by_text("Labels (site and country names)").click()
        page.wait_for_function("() => window.location.search.includes('labels=0')")
        frame.wait_for_function(
            "document.querySelectorAll('.posture-maplabel[data-placed]').length === 0"
        )
        again = context.new_page()
        again.goto(page.url)
        frame = map_frame(again)
        frame.wait_for_function(
            "document.querySelector('.leaflet-container').getAttribute('data-labels') === '0'"
        )
        assert frame.locator(".posture-maplabel[data-placed]").count() == 0
        # The switch in the map's legend turns them back on, and the sidebar and URL follow.
        frame.locator(".posture-labels-switch input").click()
        again.wait_for_function("() => !window.location.search.includes('labels=0')")
        switch = again.get_by_role("checkbox", name="Labels (site and country names)")
        expect(switch).to_be_checked(timeout=15000)
        # The app's rerun tells the map the same switch again; the names stay (or come back).
        frame.wait_for_function(
            "document.querySelectorAll('.posture-maplabel[data-placed]').length > 3"
        )
        again.wait_for_timeout(1500)  # past the map's own rerun after it rested
        assert frame.locator(".posture-maplabel[data-placed]").count() > 3
    finally:
        context.close()


def test_hostile_names_stay_text_in_labels_chooser_and_list(context, tmp_path):
    from geo.catalog import Catalog
    from geo.model import Layer
    from tests.hostile import HOSTILE_NAME, hostile_catalog

    hostile = hostile_catalog().layers[0]
    site = copy.deepcopy(hostile.features[0])
    site["properties"].update(id="hostile-site", kind="air-base", start="2001")
    meta = {**hostile.meta, "id": "hostile-sites", "group": "us-posture"}
    catalog = Catalog([Layer(Path("sites.geojson"), meta, [site]), hostile])
    path = tmp_path / "hostile.html"
    path.write_text(export_html(catalog, View(center=(25.1173, 51.315), zoom=8)), "utf-8")
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready='1']", timeout=20000)
    page.wait_for_timeout(200)
    label = page.locator(".posture-maplabel-site[data-placed]")
    assert label.inner_text() == HOSTILE_NAME
    click_at(page, 51.315, 25.1173)
    choices = page.locator(".posture-chooser button")
    choices.first.wait_for(timeout=5000)
    assert choices.evaluate_all("ns => ns.map(n => n.dataset.featureId)") == [
        "hostile-site",
        "hostile-one",
    ]
    assert all(text.startswith(HOSTILE_NAME + " (") for text in choices.all_inner_texts())
    page.keyboard.press("Escape")
    page.locator(".posture-reach summary").click()
    listed = page.locator(".posture-reach button").all_inner_texts()
    assert len(listed) == 2 and all(text.startswith(HOSTILE_NAME) for text in listed)
    assert page.locator("img, b").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert context.dialogs == []
    assert context.recorder.outside == []
