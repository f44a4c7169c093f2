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
