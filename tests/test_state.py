"""The view in the URL: parse and write back, without a browser."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from geo.app.state import UrlState, parse_params, step_date, to_params, to_view

LAYERS = ["us-sites", "hezbollah", "events"]
TILES = ["none", "openstreetmap"]


def test_round_trip_keeps_every_part_of_the_view():
    state = UrlState(
        layers=("us-sites", "events"),
        as_of=dt.date(2024, 1, 15),
        window="custom",
        window_from=dt.date(2023, 10, 1),
        window_to=dt.date(2024, 1, 15),
        filters={"country": ("IQ", "SY"), "actor": ("Kata'ib Hezbollah, et al.",)},
        query="ain al-asad",
        selected="ain-al-asad-air-base",
        center=(33.1, 43.2),
        zoom=7,
        tiles="openstreetmap",
        compare=(dt.date(2023, 10, 7), dt.date(2024, 1, 15)),
    )
    params = to_params(state, LAYERS)
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert parse_params(as_lists, LAYERS, TILES) == state


def test_defaults_stay_out_of_the_url():
    state = UrlState(layers=tuple(LAYERS), as_of=dt.date(2026, 1, 1))
    assert to_params(state, LAYERS) == {"asof": "2026-01-01"}


def test_malformed_values_are_dropped_not_errors():
    state = parse_params(
        {
            "layers": ["us-sites,nope"],
            "asof": ["2023-02-30"],
            "view": ["999,1,2"],
            "window": ["forever"],
            "tiles": ["evil"],
        },
        LAYERS,
        TILES,
    )
    assert state.layers == ("us-sites",)
    assert state.as_of is None and state.center is None and state.window == "upto"
    assert state.tiles == "none"


def test_view_windows():
    today = dt.date(2026, 11, 22)
    view = to_view(UrlState(as_of=dt.date(2024, 6, 1), window="1y"), LAYERS, today)
    assert (view.as_of, view.window_from, view.window_to) == ("2024-06-01", "2023-06-02", None)
    assert view.event_window() == (dt.date(2023, 6, 2), dt.date(2024, 6, 1))
    month = to_view(UrlState(as_of=dt.date(2024, 3, 30), window="30d"), LAYERS, today)
    start, end = month.event_window()
    assert (end - start).days + 1 == 30
    assert to_view(UrlState(), LAYERS, today).as_of == "2026-11-22"
    assert to_view(UrlState(all_dates=True), LAYERS, today).as_of is None


def test_step_date_clamps_to_month_end():
    assert step_date(dt.date(2024, 3, 31), "month", -1) == dt.date(2024, 2, 29)
    assert step_date(dt.date(2024, 2, 29), "year", 1) == dt.date(2025, 2, 28)
    assert step_date(dt.date(2024, 1, 1), "day", -1) == dt.date(2023, 12, 31)


def test_partial_dates_in_a_link_mean_what_they_mean_on_the_command_line():
    state = parse_params({"asof": ["2019"], "from": ["2024-02"], "to": ["2024"]}, LAYERS, TILES)
    assert state.as_of == dt.date(2019, 12, 31)
    assert state.window_from == dt.date(2024, 2, 1)
    assert state.window_to == dt.date(2024, 12, 31)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))
values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
states = st.builds(
    UrlState,
    layers=st.none() | st.lists(st.sampled_from(LAYERS), unique=True).map(tuple),
    as_of=st.none() | dates,
    all_dates=st.booleans(),
    window=st.sampled_from(["upto", "30d", "1y", "custom"]),
    window_from=st.none() | dates,
    window_to=st.none() | dates,
    filters=st.dictionaries(
        st.sampled_from(["country", "actor", "kind", "status"]),
        st.lists(values, min_size=1, max_size=3).map(tuple),
    ),
    query=st.text(max_size=50).map(str.strip),
    selected=st.none() | values,
    center=st.none()
    | st.tuples(st.integers(-89, 89), st.integers(-179, 179)).map(
        lambda p: (float(p[0]), float(p[1]))
    ),
    zoom=st.integers(1, 18),
    tiles=st.sampled_from(TILES),
    compare=st.none() | st.tuples(dates, dates).filter(lambda pair: pair[0] < pair[1]),
)


@given(states)
def test_any_state_survives_the_url(state):
    if state.all_dates:
        state = UrlState(**{**state.__dict__, "as_of": None})
    if state.window != "custom":
        state = UrlState(**{**state.__dict__, "window_from": None, "window_to": None})
    if state.center is None:
        state = UrlState(**{**state.__dict__, "zoom": None})
    if state.layers is not None and list(state.layers) == LAYERS:
        state = UrlState(**{**state.__dict__, "layers": None})
    params = to_params(state, LAYERS)
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert parse_params(as_lists, LAYERS, TILES) == state


def test_compare_is_in_the_url_and_shows_b_with_the_events_since_a():
    state = UrlState(as_of=dt.date(2020, 1, 1), compare=(dt.date(2024, 1, 1), dt.date(2025, 6, 30)))
    params = to_params(state, LAYERS)
    assert params["compare"] == "2024-01-01..2025-06-30"
    assert parse_params({"compare": ["2024-01-01..2025-06-30"]}, LAYERS, TILES).compare == (
        dt.date(2024, 1, 1),
        dt.date(2025, 6, 30),
    )
    view = to_view(state, LAYERS, dt.date(2026, 12, 3))
    assert view.compare == ("2024-01-01", "2025-06-30")
    assert (view.as_of, view.window_from, view.window_to) == (
        "2025-06-30",
        "2024-01-02",
        "2025-06-30",
    )
    assert to_view(UrlState(as_of=dt.date(2020, 1, 1)), LAYERS, dt.date(2026, 1, 1)).compare is None


def test_a_partial_compare_means_whole_periods_and_a_bad_one_is_dropped():
    span = parse_params({"compare": ["2024..2025-06"]}, LAYERS, TILES).compare
    assert span == (dt.date(2024, 1, 1), dt.date(2025, 6, 30))
    for bad in ("2025..2024", "2024-02-30..2025", "2024", "..", "x" * 500):
        assert parse_params({"compare": [bad]}, LAYERS, TILES).compare is None


# The sidebar's compare controls write the URL (Streamlit's AppTest: the real script, no browser)


def _app(**params: str):
    from streamlit.testing.v1 import AppTest

    from tests.helpers import ROOT

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_compare_controls_put_a_and_b_in_the_url():
    app = _app(asof="2025-01-01")
    assert "compare" not in app.query_params
    app.checkbox(key="compare_on").check().run()
    app.date_input(key="compare_a").set_value(dt.date(2024, 11, 1))
    app.date_input(key="compare_b").set_value(dt.date(2026, 2, 1)).run()
    assert not app.exception, app.exception
    assert app.query_params["compare"] in ("2024-11-01..2026-02-01", ["2024-11-01..2026-02-01"])
    assert any(
        block.value.startswith("**Changes from 1 Nov 2024 to 1 Feb 2026**")
        for block in app.markdown
    )
    app.date_input(key="compare_a").set_value(dt.date(2026, 3, 1)).run()
    assert "compare" not in app.query_params
    assert any("A must be before B" in warning.value for warning in app.warning)


def test_a_compare_link_ticks_the_box_and_fills_the_dates():
    app = _app(compare="2024-11-01..2026-02-01")
    assert app.checkbox(key="compare_on").value is True
    assert app.date_input(key="compare_a").value == dt.date(2024, 11, 1)
    assert app.date_input(key="compare_b").value == dt.date(2026, 2, 1)
