"""The Analysis page through Streamlit's AppTest: distance, rings onto the map, exposure table.

AppTest cannot switch to a page given as a function, so the script below builds the same
Context the app builds (the repository's layers plus this session's layers) and runs the page.
"""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from geo.analysis.exposure import exposure
from geo.analysis.layers import exposure_layers
from geo.app.main import repository_catalog
from geo.catalog import View
from geo.export import export_bytes

DAY = dt.date(2025, 6, 30)


def script() -> None:
    import streamlit as st

    from geo.app.analysis_page import analysis_page
    from geo.app.main import Context, repository_catalog
    from geo.catalog import View

    catalog = repository_catalog()
    for layer in st.session_state.get("user_layers", []):
        catalog = catalog.with_layer(layer)
    analysis_page(Context(catalog, View(as_of=st.session_state["test:as_of"]), "none"))


def start(as_of: str = "2025-06-30") -> AppTest:
    app = AppTest.from_function(script, default_timeout=120)
    app.session_state["test:as_of"] = as_of
    app.run()
    assert not app.exception, app.exception
    return app


def test_distance_between_two_picked_features():
    app = start()
    app.selectbox(key="analysis:from").set_value("al-udeid-air-base")
    app.selectbox(key="analysis:to").set_value("country-ir").run()
    assert not app.exception
    assert any("**265.5 km**" in block.value for block in app.markdown)


def test_rings_go_onto_the_map_and_into_its_exports():
    app = start()
    app.selectbox(key="analysis:origin").set_value("houthis")
    app.selectbox(key="analysis:class").set_value("Burkan-2H|Houthis (Ansar Allah)")
    app.button(key="analysis:draw").click().run()
    assert not app.exception, app.exception
    layers = app.session_state["user_layers"]
    assert [layer.id for layer in layers] == ["rings-burkan-2h-houthis"]
    assert app.session_state["layer:rings-burkan-2h-houthis"] is True
    # The same session layer through the map's export path:
    catalog = repository_catalog().with_layer(layers[0])
    html = export_bytes(catalog, View(as_of="2025-06-30"), "html").decode("utf-8")
    assert "rings-burkan-2h-houthis" in html


def test_exposure_table_follows_the_date():
    app = start("2025-06-30")
    table = app.dataframe[0].value
    expected = {item.row["site_id"] for item in exposure(repository_catalog(), DAY)}
    assert set(table["site_id"]) == expected and "ain-al-asad-air-base" in expected
    later = start("2026-03-01").dataframe[0].value
    assert "ain-al-asad-air-base" not in set(later["site_id"])


def test_exposure_layers_go_onto_the_map():
    app = start("2025-06-30")
    app.button(key="analysis:expose").click().run()
    assert not app.exception
    ids = {layer.id for layer in app.session_state["user_layers"]}
    expected = exposure_layers(exposure(repository_catalog(), DAY), DAY)
    assert ids == {layer.id for layer in expected} and len(ids) > 1
    assert all(app.session_state[f"layer:{layer_id}"] for layer_id in ids)
