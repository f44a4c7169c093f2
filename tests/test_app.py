"""The app's logic through Streamlit's AppTest: toggles, dates, filters and the URL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.catalog import View, load_catalog
from geo.model import PartialDate
from tests.helpers import LAYERS, ROOT, map_args

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


# --- every URL parameter reaches what the user sees ------------------------------------------


def drawn_ids(app: AppTest) -> set[str]:
    return {f["i"] for layer in map_args(app)["payload"]["layers"] for f in layer["features"]}


def test_asof_all_in_the_url_shows_every_date(catalog):
    everything, today = expected(catalog), expected(catalog, as_of=TODAY.isoformat())
    assert everything != today  # else this test could not tell them apart
    app = start(asof="all")
    assert app.checkbox(key="all_dates").value is True
    assert shown_count(app) == everything == len(drawn_ids(app))
    assert param(app, "asof") == ["all"]


def test_q_in_the_url_searches(catalog):
    hits = {f["properties"]["id"] for _, f in catalog.features(View(query="udeid"))}
    app = start(asof="all", q="udeid")
    assert app.text_input(key="query").value == "udeid"
    assert shown_count(app) == len(hits) > 0
    assert drawn_ids(app) == hits
    assert param(app, "q") == ["udeid"]


def test_from_and_to_in_the_url_set_the_event_window(catalog):
    window = {"window_from": "2024-01-01", "window_to": "2024-06-30"}
    today = TODAY.isoformat()
    in_window = expected(catalog, as_of=today, **window)
    assert in_window != expected(catalog, as_of=today, window_to=window["window_to"])
    app = start(window="custom", **{"from": "2024-01-01", "to": "2024-06-30"})
    assert app.selectbox(key="window").value == "custom"
    assert app.date_input(key="window_from").value == dt.date(2024, 1, 1)
    assert app.date_input(key="window_to").value == dt.date(2024, 6, 30)
    assert shown_count(app) == in_window
    events = {i for i in drawn_ids(app) if catalog.find(i)[0].id == "events"}
    assert events and all(_overlaps(catalog.find(i)[1], "2024-01-01", "2024-06-30") for i in events)
    assert param(app, "from") == ["2024-01-01"]


def _overlaps(feature: dict, first: str, last: str) -> bool:
    """Whether an event's days (a campaign runs from start to end) meet the window's."""
    props = feature["properties"]
    start = PartialDate.parse(props["start"]).first_day()
    end = PartialDate.parse(props.get("end") or props["start"]).last_day()
    return start <= dt.date.fromisoformat(last) and end >= dt.date.fromisoformat(first)


def test_tiles_in_the_url_put_tiles_on_the_map():
    offline = map_args(start())["shell"]
    assert "tile.openstreetmap.org" not in offline
    app = start(tiles="openstreetmap")
    assert app.selectbox(key="tiles").value == "openstreetmap"
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in map_args(app)["shell"]
    assert param(app, "tiles") == ["openstreetmap"]


# --- a broken layer file is left out with one line, on every page ---------------------------


def test_a_broken_layer_file_is_left_out_with_one_line(tmp_path, monkeypatch):
    import os
    import shutil

    folder = tmp_path / "layers"
    folder.mkdir()
    shutil.copy(LAYERS / "us-sites.geojson", folder)
    (folder / "not-json.geojson").write_text("{ this is not json", encoding="utf-8")
    (folder / "many-problems.geojson").write_text(
        '{"type": "FeatureCollection", "layer": {"id": "x"}, "features": [{}, {}]}',
        encoding="utf-8",
    )
    os.symlink(tmp_path / "gone.geojson", folder / "dangling.geojson")
    monkeypatch.setenv("GEO_LAYERS_DIR", str(folder))
    app = start()
    errors = [e.value for e in app.error]
    assert len(errors) == 2, errors
    assert all(e.startswith("A layer file was left out: ") for e in errors)
    assert any("not\\-json\\.geojson\\:1\\: not valid JSON" in e for e in errors)
    many = next(e for e in errors if "many\\-problems" in e)
    assert "more problem\\(s\\)\\: run python \\-m geo validate" in many
    assert app.checkbox(key="layer:us-sites").value is True
    assert shown_count(app) > 0


def test_a_session_keeps_at_most_five_uploaded_layers():
    from geo.app.main import MAX_USER_LAYERS, add_user_layer
    from geo.model import Layer

    def user(n: int) -> Layer:
        return Layer(Path(f"u{n}.csv"), {"id": f"user-u{n}", "title": f"U{n}"}, [])

    layers: list[Layer] = []
    for n in range(MAX_USER_LAYERS):
        layers, dropped = add_user_layer(layers, user(n))
        assert dropped == []
    layers, dropped = add_user_layer(layers, user(0))  # the same id replaces, drops nothing
    assert dropped == [] and [item.id for item in layers][-1] == "user-u0"
    layers, dropped = add_user_layer(layers, user(9))
    assert [item.id for item in dropped] == ["user-u1"]
    assert len(layers) == MAX_USER_LAYERS and layers[-1].id == "user-u9"


def test_loading_file_by_file_gives_the_same_catalog_and_names_each_bad_file(tmp_path):
    """The app's fallback when loading the folder at once fails: same layers, same order."""
    import shutil

    from geo.app.main import _load_each

    folder = tmp_path / "layers"
    shutil.copytree(LAYERS, folder)
    (folder / "broken.geojson").write_text("[", encoding="utf-8")
    twin = (folder / "hamas.geojson").read_text(encoding="utf-8")
    (folder / "twin.geojson").write_text(twin, encoding="utf-8")
    whole, each = load_catalog(folder), _load_each(folder)
    assert [layer.id for layer in each.layers] == [layer.id for layer in whole.layers]
    assert sorted(Path(m.file).name for m in each.messages) == ["broken.geojson", "twin.geojson"]
    assert {Path(m.file).name for m in whole.messages} == {"broken.geojson", "twin.geojson"}
