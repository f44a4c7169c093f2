"""The app's logic through Streamlit's AppTest: toggles, dates, filters and the URL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.catalog import View, load_catalog
from tests.helpers import LAYERS, ROOT

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def start(**params: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def shown_count(app: AppTest) -> int:
    for block in app.markdown:
        match = re.match(r"\*\*(\d+)\*\* features shown", block.value)
        if match:
            return int(match.group(1))
    raise AssertionError("no feature count on the page")


def param(app: AppTest, key: str) -> list[str]:
    """A URL parameter as a list (AppTest gives one value as a string)."""
    value = app.query_params[key]
    return value if isinstance(value, list) else [value]


def expected(catalog, **view) -> int:
    return sum(1 for _ in catalog.features(View(**view)))


def test_opens_on_todays_posture(catalog):
    app = start()
    assert shown_count(app) == expected(catalog, as_of=TODAY.isoformat())
    assert param(app, "asof") == [TODAY.isoformat()]


def test_toggling_a_layer_changes_the_count_and_the_url(catalog):
    app = start()
    total = shown_count(app)
    app.checkbox(key="layer:events").uncheck().run()
    events = sum(
        1 for layer, _ in catalog.features(View(as_of=TODAY.isoformat())) if layer.id == "events"
    )
    assert shown_count(app) == total - events
    assert "events" not in param(app, "layers")[0].split(",")
    app.checkbox(key="layer:events").check().run()
    assert shown_count(app) == total
    assert "layers" not in app.query_params


def test_moving_the_date_back_drops_later_events_and_sites(catalog):
    app = start()
    app.date_input(key="as_of").set_value(dt.date(2023, 6, 1)).run()
    assert shown_count(app) == expected(catalog, as_of="2023-06-01")
    assert param(app, "asof") == ["2023-06-01"]


def test_step_buttons_move_by_the_chosen_unit():
    app = start(asof="2024-03-31")
    app.selectbox(key="step_unit").set_value("month").run()
    app.button(key="step_back").click().run()
    assert app.date_input(key="as_of").value == dt.date(2024, 2, 29)
    app.selectbox(key="step_unit").set_value("year").run()
    app.button(key="step_forward").click().run()
    assert app.date_input(key="as_of").value == dt.date(2025, 2, 28)


def test_filters_and_search_drive_the_count(catalog):
    app = start(asof="all")
    app.multiselect(key="filter:country").set_value(["KW"]).run()
    assert shown_count(app) == expected(catalog, countries=("KW",))
    assert param(app, "country") == ["KW"]
    app.multiselect(key="filter:country").set_value([]).run()
    app.text_input(key="query").set_value("udeid").run()
    assert shown_count(app) == expected(catalog, query="udeid") > 0
    assert param(app, "q") == ["udeid"]


def test_a_shared_url_restores_the_view(catalog):
    app = start(
        layers="us-sites,events",
        asof="2020-06-01",
        window="1y",
        actor="United States",
        sel="al-udeid-air-base",
        view="25.1,51.3,7",
        q="",
    )
    assert app.checkbox(key="layer:us-sites").value is True
    assert app.checkbox(key="layer:hezbollah").value is False
    assert app.date_input(key="as_of").value == dt.date(2020, 6, 1)
    assert app.selectbox(key="window").value == "1y"
    assert app.multiselect(key="filter:actor").value == ["United States"]
    view = View(
        layers=("us-sites", "events"),
        as_of="2020-06-01",
        window_from="2019-06-02",
        actors=("United States",),
    )
    assert shown_count(app) == expected(catalog, **view.__dict__)
    assert param(app, "sel") == ["al-udeid-air-base"]
    assert param(app, "view") == ["25.1000,51.3000,7"]
    assert app.subheader[0].value == "Al Udeid Air Base"


def test_the_every_date_switch(catalog):
    app = start()
    app.checkbox(key="all_dates").check().run()
    assert shown_count(app) == expected(catalog)
    assert param(app, "asof") == ["all"]


def test_play_steps_forward_until_today():
    start_date = TODAY - dt.timedelta(days=40)
    app = start(asof=start_date.isoformat())
    app.selectbox(key="step_unit").set_value("month").run()
    app.toggle(key="playing").set_value(True).run(timeout=60)
    assert not app.exception
    assert app.date_input(key="as_of").value == TODAY


@pytest.mark.parametrize("asof", ["2099-01-01", "1850-01-01"])
def test_a_link_dated_outside_the_date_widgets_range_opens(asof):
    app = start(asof=asof)
    value = app.date_input(key="as_of").value
    assert dt.date(1900, 1, 1) <= value <= TODAY
