"""A big layer held for every date and narrowed by a view's mask (geo/render/held.py) shows
what the payload built for that view alone shows: the same rows with the same values and
citations, the same counts, frame and edge marks."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pytest

from geo.catalog import Catalog, View, stored_filter
from geo.render.held import (
    LONGEST_REACH,
    _filter,
    choose_span,
    count_in_span,
    covers,
    held_part,
    held_row_details,
    rows_text,
    unpack_mask,
    view_days,
)
from geo.render.payload import build_payload, decode_columns
from tests.test_stored_columns import BIG, catalog  # noqa: F401  (a fixture)

DATED_VIEWS = [
    View(),
    View(window_from="2023-10-07", window_to="2024-04-30"),
    View(as_of="2024-02"),
    View(as_of="2021-06-30", window_from="2019-01-01"),
    View(as_of="2019-12-31"),
    View(as_of="2024-02", countries=("IQ",), query="ereigniß"),
    View(layers=("d-dataset", "c-sites"), window_from="2024-01-01", window_to="2024-12-31"),
    View(layers=("e-quoted", "b-small"), as_of="2023-10-07"),
    View(as_of="2024-02", extent=(30.0, 25.0, 50.0, 40.0)),
]


def _parts(layers: Catalog, view: View, cap: int = 200_000) -> dict[str, Any]:
    found = {}
    for layer in layers.visible_layers(view):
        if layer.path.suffix == ".parquet":
            part = held_part(layer, view, max_held=cap, big_layer_points=BIG)
            if part is not None:
                found[layer.id] = part
    return found


def _cited(feature: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """A feature with each source number replaced by the work it names."""
    out = dict(feature)
    if "src" in out:
        out["src"] = [sources[n] for n in out["src"]]
    for key in ("q", "sn"):
        if key in out:
            out[key] = sorted((repr(sources[int(n)]), text) for n, text in out[key].items())
    if "cl" in out:
        out["cl"] = [[*claim[:3], sources[claim[3]]] for claim in out["cl"]]
    return out


def _rows(payload: dict[str, Any], parts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each layer's features and points, as the map ends up with them, citations resolved and
    in id order: a held layer's rows narrowed by its mask as static/posture.js narrowHeld
    does."""
    by_key = {part.key: part for part in parts.values()}
    found = {}
    for layer in payload["layers"]:
        sources = payload["sources"]
        points: list[dict[str, Any]] = []
        if "held" in layer:
            part = by_key[layer["held"]]
            sources = part.sources
            shown = np.flatnonzero(unpack_mask(layer["mask"], part.columns["rows"])).tolist()
            drawn = decode_columns(part.columns)
            # Each row's long text, as the app reads it for the row a user opens.
            texts = rows_text(part, shown)
            points = [{**drawn[row], **text} for row, text in zip(shown, texts, strict=True)]
        elif "columns" in layer:
            points = decode_columns(layer["columns"])
        rows = [_cited(f, sources) for f in [*layer["features"], *points]]
        # By id: a part is drawn on the canvas even where a view's own few rows would be
        # markers, listed in another order.
        found[layer["id"]] = sorted(rows, key=lambda row: row["i"])
    return found


def _frame(payload: dict[str, Any]) -> tuple[Any, ...]:
    return payload["count"], payload["total"], payload["bounds"], payload["edges"], payload["time"]


@pytest.mark.parametrize("view", DATED_VIEWS, ids=repr)
def test_a_held_layer_narrowed_shows_what_its_own_payload_shows(catalog, view):  # noqa: F811
    parts = _parts(catalog, view)
    assert parts, "the fixture's Parquet layers should have parts"
    held = build_payload(catalog, view, big_layer_points=BIG, held=parts)
    own = build_payload(catalog, view, big_layer_points=BIG)
    assert _frame(held) == _frame(own)
    assert _rows(held, parts) == _rows(own, {})
    assert [layer["shown"] for layer in held["layers"]] == [
        layer["shown"] for layer in own["layers"]
    ]
    assert any("held" in layer for layer in held["layers"])
    assert held["count"] > 0


def test_one_part_serves_every_date(catalog):  # noqa: F811
    """The part is the same for two dates (its rows are built once), and only the masks
    differ: the date narrows them, not the part."""
    early, late = View(as_of="2019-12-31"), View(as_of="2025-06-30")
    parts = _parts(catalog, early)
    assert {p.key for p in parts.values()} == {p.key for p in _parts(catalog, late).values()}
    masks = {}
    for view in (early, late):
        payload = build_payload(catalog, view, big_layer_points=BIG, held=parts)
        masks[view.as_of] = [layer.get("mask") for layer in payload["layers"]]
        own = build_payload(catalog, view, big_layer_points=BIG)
        assert _rows(payload, parts) == _rows(own, {})
    assert masks["2019-12-31"] != masks["2025-06-30"]


def test_a_part_past_the_cap_is_not_made_and_the_view_is_built_as_before(catalog):  # noqa: F811
    view = View(as_of="2024-02")
    assert _parts(catalog, view, cap=100) == {}
    small_cap = {"max_drawn": 650, "big_layer_points": BIG}
    parts = _parts(catalog, view, cap=650)
    held = build_payload(catalog, view, held=parts, **small_cap)
    own = build_payload(catalog, view, **small_cap)
    assert _frame(held) == _frame(own)
    assert _rows(held, parts) == _rows(own, {})
    assert held["count"] < held["total"]  # the cap cut: a later layer fell back to its own rows


@pytest.mark.parametrize("max_drawn", [0, 1, 300, 650])
@pytest.mark.parametrize("view", DATED_VIEWS[:4], ids=repr)
def test_a_part_holding_more_than_the_map_draws_shows_what_a_capped_view_shows(
    catalog,  # noqa: F811
    view,
    max_drawn,
):
    """A part holds more rows than the map draws: past the drawing cap a view shows the
    first rows in the file's order, the rows, counts and frame of the view built alone."""
    parts = _parts(catalog, view)
    held = build_payload(catalog, view, max_drawn=max_drawn, big_layer_points=BIG, held=parts)
    own = build_payload(catalog, view, max_drawn=max_drawn, big_layer_points=BIG)
    assert held["count"] == min(max_drawn, held["total"]) and held["count"] < held["total"]
    assert _frame(held) == _frame(own)
    assert _rows(held, parts) == _rows(own, {})
    assert [(layer["shown"], layer["total"]) for layer in held["layers"]] == [
        (layer["shown"], layer["total"]) for layer in own["layers"]
    ]


def test_a_comparison_is_not_narrowed(catalog):  # noqa: F811
    view = View(as_of="2024-04-30", compare=("2021-06-30", "2024-04-30"))
    payload = build_payload(catalog, view, big_layer_points=BIG, held=_parts(catalog, view))
    assert not any("held" in layer for layer in payload["layers"])
    assert payload == build_payload(catalog, view, big_layer_points=BIG)


def test_a_held_rows_text_is_found_by_its_row_among_those_shown(catalog):  # noqa: F811
    view = View(layers=("d-dataset",), window_from="2024-01-01")
    parts = _parts(catalog, view)
    payload = build_payload(catalog, view, big_layer_points=BIG, held=parts)
    by_key = {part.key: part for part in parts.values()}
    [layer] = payload["layers"]
    part = by_key[layer["held"]]
    shown = unpack_mask(layer["mask"], part.columns["rows"])
    assert 0 < shown.sum() < len(shown)
    ids = decode_columns(
        {
            "rows": part.columns["rows"],
            "x": part.columns["x"],
            "y": part.columns["y"],
            "i": part.columns["i"],
        }
    )
    shown_ids = [row["i"] for row, keep in zip(ids, shown, strict=True) if keep]
    hidden = next(row["i"] for row, keep in zip(ids, shown, strict=True) if not keep)
    wanted = shown_ids[len(shown_ids) // 2]
    detail = held_row_details(payload, by_key, wanted)
    assert detail is not None and detail["row"] == len(shown_ids) // 2
    assert detail["layer"] == 0 and detail["id"] == wanted
    # The text the part's columns lack, as the view's own payload gives that row.
    [own] = [
        row
        for row in _rows(build_payload(catalog, view, big_layer_points=BIG), {})["d-dataset"]
        if row["i"] == wanted
    ]
    missing = {key: value for key, value in own.items() if key not in part.columns}
    assert {"n", "de", "sn"} <= set(missing) and "g" in missing
    del missing["g"]
    assert _cited(detail["values"], part.sources) == missing
    assert held_row_details(payload, by_key, hidden) is None  # not shown at this date
    assert held_row_details(copy.deepcopy(payload), by_key, None) is None


SPAN_VIEWS = [
    View(layers=("a-events",), as_of="2024-02-29", window_from="2023-10-07"),
    View(layers=("a-events",), as_of="2023-12-31", window_from="2023-11-01", countries=("IQ",)),
    View(layers=("c-sites",), as_of="2024-01-15", window_from="2024-01-01"),
]


@pytest.mark.parametrize("view", SPAN_VIEWS, ids=repr)
def test_a_layer_past_the_cap_is_held_for_a_span_around_the_view(catalog, view):  # noqa: F811
    """With fewer rows allowed than the layer has, a part holds the rows of a span of dates
    around the view's; it shows what the view's own payload shows, for the view and for
    another view whose dates lie inside the span, and it is not taken for one outside."""
    [layer] = catalog.visible_layers(view)
    every = layer.features.table.count(
        stored_filter(layer, view.with_(as_of=None, window_from=None))
    )
    cap = every - 50
    span = choose_span(layer, view, cap)
    assert span not in (None, False)
    days = view_days(view)
    assert span[0] <= days[0] and days[1] <= span[1] and span != days  # reaches beyond
    part = held_part(layer, view, max_held=cap, big_layer_points=BIG, span=span)
    assert part is not None and 0 < len(part.file_rows) <= cap
    # The widest that fits, as SQL counts: a day more on either side passes the cap (or the
    # side reaches as far as a span may).
    table = layer.features.table
    earlier = (span[0] - dt.timedelta(days=1), span[1])
    later = (span[0], span[1] + dt.timedelta(days=1))
    assert (days[0] - span[0]).days < LONGEST_REACH  # the rows before the view limit it
    assert table.count(_filter(layer, view, earlier)) > cap
    if (span[1] - days[1]).days < LONGEST_REACH:
        assert table.count(_filter(layer, view, later)) > cap
    inside = view.with_(as_of=span[1].isoformat(), window_from=span[0].isoformat())
    outside = view.with_(as_of=(span[1] + dt.timedelta(days=400)).isoformat())
    assert covers(span, view) and covers(span, inside) and not covers(span, outside)
    for seen in (view, inside):
        held = build_payload(
            catalog, seen, max_drawn=cap, big_layer_points=BIG, held={layer.id: part}
        )
        own = build_payload(catalog, seen, max_drawn=cap, big_layer_points=BIG)
        assert "held" in held["layers"][0]
        assert _frame(held) == _frame(own)
        assert _rows(held, {layer.id: part}) == _rows(own, {})


def test_a_views_days_read_a_partial_as_of_date_as_the_sql_does():
    view = View(as_of="2024-02", window_from="2023-12-01")
    assert view_days(view) == (dt.date(2023, 12, 1), dt.date(2024, 2, 1))
    assert covers((dt.date(2023, 12, 1), dt.date(2024, 2, 1)), view)


def test_an_open_ended_view_past_the_cap_gets_no_part(catalog):  # noqa: F811
    [layer] = catalog.visible_layers(View(layers=("a-events",)))
    for view in (View(layers=("a-events",), as_of="2024-02-29"), View(layers=("a-events",))):
        assert view_days(view) is None
        assert choose_span(layer, view, 100) is False
    # Not even the view's own dates fit: no span either.
    year = View(layers=("a-events",), as_of="2024-12-31", window_from="2019-01-01")
    assert choose_span(layer, year, 10) is False
    assert choose_span(layer, year, 100_000) is None  # every date fits


@pytest.mark.parametrize("layer_id", ["a-events", "c-sites", "d-dataset"])
def test_rows_counted_in_a_span_are_those_sql_selects(catalog, layer_id):  # noqa: F811
    """choose_span sizes a span by counting in numpy; the part's rows come from SQL: both
    must count the same rows, events and lasting things, ended or not."""
    view = View(layers=(layer_id,))
    [layer] = catalog.visible_layers(view)
    table = layer.features.table
    days = table.days(_filter(layer, view, None))
    assert len(days["first"]) == table.count(_filter(layer, view, None))
    if layer_id == "c-sites":  # events by kind or field among lasting sites
        assert days["event"].any() and (~days["event"]).any()
    starts = ["2018-06-01", "2019-12-31", "2021-06-01", "2023-10-07", "2024-02-01", "2025-01-01"]
    for n, first in enumerate(starts):
        for last in starts[n:]:
            span = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
            assert count_in_span(days, span) == table.count(_filter(layer, view, span)), span


def _in_syria(_year: int, n: int) -> tuple[float, float]:
    """A grid of 60 points a row inside Syria."""
    return 37.0 + (n % 60) * 0.04, 34.2 + (n // 60) * 0.04


def test_the_app_sends_a_part_once_and_then_only_which_rows_a_date_shows(tmp_path, monkeypatch):
    """Through the app (AppTest): the first view sends the part and a payload naming it; a
    date step sends a new payload and no part; another filter sends another part; a
    comparison sends none."""
    from streamlit.testing.v1 import AppTest

    from tests.helpers import ROOT, map_args, write_events_parquet

    write_events_parquet(
        tmp_path / "held-events.parquet",
        (2023, 2024, 2025),
        1500,  # past the 2,000 points of a big layer, even with one kind of two
        place=_in_syria,
        kind=lambda n: "airstrike" if n % 2 else "ground-attack",
    )
    monkeypatch.setenv("GEO_LAYERS_DIR", str(tmp_path))
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["asof"] = "2025-12-31"
    app.query_params["window"] = "1y"
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    first = map_args(app)
    [part] = first["parts"]
    [layer] = first["payload"]["layers"]
    assert first["part_keys"] == first["payload_parts"] == [layer["held"]]
    assert part["columns"]["rows"] == 4500 and "columns" not in layer
    assert first["payload"]["count"] == 1500
    assert unpack_mask(layer["mask"], 4500).sum() == 1500

    app.session_state["as_of"] = dt.date(2024, 12, 31)
    app.run()
    stepped = map_args(app)
    assert stepped["parts"] is None and stepped["part_keys"] == []
    assert stepped["payload_parts"] == first["payload_parts"]
    assert stepped["payload"] is not None and stepped["payload"]["count"] == 1500
    assert stepped["payload"]["layers"][0]["mask"] != layer["mask"]

    app.multiselect(key="filter:kind").select("airstrike").run()
    filtered = map_args(app)
    [narrower] = filtered["parts"]
    assert filtered["part_keys"] != first["part_keys"]
    assert narrower["columns"]["rows"] == 2250
    assert filtered["payload"]["count"] == 750

    app.checkbox(key="compare_on").check().run()
    compared = map_args(app)
    assert compared["payload_parts"] == [] and compared["parts"] is None
    assert all("held" not in entry for entry in compared["payload"]["layers"])


def test_a_view_built_again_on_another_part_is_held_by_the_frame_under_another_key(
    catalog,  # noqa: F811
    monkeypatch,
):
    """Once the payload of a view has left the cache, building it again may narrow another
    part that covers it: the frame must not take its old bytes, whose masks are of the first
    part's rows, for the new payload."""
    from geo.app import map_component as mc
    from geo.render import payload as payload_module

    layer = catalog.layer("a-events")
    base = View(layers=("a-events",))
    cap = layer.features.table.count(stored_filter(layer, base)) // 3
    build = payload_module.build_payload
    monkeypatch.setattr(mc, "HELD_ROWS", cap)
    monkeypatch.setattr(mc, "BIG_LAYER_POINTS", BIG)
    monkeypatch.setattr(
        mc,
        "build_payload",
        lambda c, v, held=None: build(c, v, max_drawn=cap, big_layer_points=BIG, held=held),
    )
    for name in ("_BUILT", "_PARTS", "_SPANS", "_PACKED", "_PACKED_PARTS"):
        monkeypatch.setattr(mc, name, {})  # empty caches for this test alone

    def view(day: str) -> View:
        first = dt.date.fromisoformat(day) - dt.timedelta(days=30)
        return base.with_(as_of=day, window_from=first.isoformat())

    first = mc._built(catalog, view("2020-04-15"))
    mc._built(catalog, view("2021-07-15"))  # another session's steps push it out
    mc._built(catalog, view("2024-10-15"))
    again = mc._built(catalog, view("2020-04-15"))
    key = mc.payload_key(catalog, view("2020-04-15"))
    assert list(first.parts) != list(again.parts)  # the case this guards
    assert mc.frame_key(key, first.parts) != mc.frame_key(key, again.parts)
    assert mc.frame_key(key, {}) == key


def test_a_kept_value_used_again_outlives_one_not_used():
    """The app's caches drop the least recently used: a part every view of one layer uses
    stays while another layer's parts come and go."""
    from geo.app.map_component import _kept

    cache: dict[str, Any] = {}
    made: list[str] = []

    def get(key: str) -> str:
        return _kept(cache, key, lambda: made.append(key) or key.upper(), 2)

    assert [get("a"), get("b"), get("a"), get("c"), get("a")] == ["A", "B", "A", "C", "A"]
    assert made == ["a", "b", "c"]  # "a", used again, was never made twice
    assert list(cache) == ["c", "a"]


def test_a_capped_view_says_which_features_it_draws_and_offers_a_year(tmp_path, monkeypatch):
    """Past the drawing cap (made small here) the page says which features the map draws, and
    a button narrows the window to one year, whose events are all drawn."""
    from streamlit.testing.v1 import AppTest

    from geo.app import map_component as mc
    from geo.render import payload as payload_module
    from tests.helpers import ROOT, map_args, write_events_parquet

    cap = 2_500
    build = payload_module.build_payload
    monkeypatch.setattr(
        mc, "build_payload", lambda c, v, held=None: build(c, v, max_drawn=cap, held=held)
    )
    write_events_parquet(tmp_path / "capped-events.parquet", (2023, 2024, 2025), 2100, _in_syria)
    monkeypatch.setenv("GEO_LAYERS_DIR", str(tmp_path))
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["asof"] = "2025-12-31"
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    texts = [element.value for element in app.markdown]
    assert any(text.startswith("**2,500** of 6,300 features shown") for text in texts), texts
    assert any("the first in the order of the layers" in c.value for c in app.caption)
    app.button(key="one_year").click().run()
    assert app.session_state["window"] == "1y"
    texts = [element.value for element in app.markdown]
    assert any(text.startswith("**2,100** features shown") for text in texts), texts
    assert not any("the first in the order of the layers" in c.value for c in app.caption)
    assert map_args(app)["payload"]["count"] == 2_100
