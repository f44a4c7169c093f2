"""A Parquet layer's payload built from Arrow columns equals the row path's, value for value."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

import geo.render.stored_columns as stored_columns
from geo.catalog import Catalog, View, load_catalog
from geo.model import Layer
from geo.render.payload import build_payload, decode_columns
from geo.store import write_parquet
from tests.helpers import layer_doc, write_doc

TODAY = dt.date(2026, 12, 3)
BIG = 40  # big_layer_points in these tests: a layer past it is sent as columns
DATASET = {
    "title": "Armed Conflict Location & Event Data (ACLED)",
    "publisher": "ACLED",
    "url": "https://acleddata.com/",
    "accessed": "2026-12-03",
}
PAGES = [
    {
        "title": "Ŝtormo en Bagdado — “citita” paĝo",
        "publisher": "Ĵurnalo",
        "url": "https://example.org/a",
        "published": "2024-03",
        "accessed": "2026-12-03",
    },
    {
        "title": "Page B",
        "publisher": "Publisher B",
        "url": "https://example.org/b",
        "archive_url": "https://web.archive.org/web/2024/https://example.org/b",
        "published": "2023-11-02",
        "accessed": "2026-11-30",
    },
    # The same url as the first page under another title: another work.
    {
        "title": "Another headline",
        "publisher": "Ĵurnalo",
        "url": "https://example.org/a",
        "accessed": "2026-12-03",
    },
]
DATES = ["2019", "2021-06", "2023-10-07", "2024-01-15", "2024-04", "2025-02-28"]


def _row(rng: random.Random, n: int, events: bool) -> dict[str, Any]:
    """One synthetic row: every optional field sometimes, several sources with shared works."""
    start = rng.choice(DATES)
    props: dict[str, Any] = {
        "id": f"row-{'e' if events else 's'}-{n}",
        # Repeated names at repeated places, so that framing sees duplicates.
        "name": f"Ereigniß {n % 7} in Sūq" if n % 3 else f"Site {n}",
        "kind": rng.choice(["airstrike", "ground-attack", "other", "militia-base", "stronghold"]),
        "start": start,
        "location_precision": rng.choice(["exact", "approximate", "stand-in"]),
        "description": f"Row {n}: «{rng.choice(['a', 'b', 'c'])}» described.",
        "actor": rng.choice(["Militia A", "Forces B and Militia A", "Group C"]),
    }
    if props["location_precision"] != "exact":
        props["location_note"] = rng.choice([f"Place note {n}", "Shared place note"])
    if rng.random() < 0.3:
        props["end"] = rng.choice([d for d in DATES if d > start] or [start])
    for key, values in (
        ("country", ["IQ"]),
        ("actor_note", ["Actor note ✓"]),
        ("target", ["Convoy"]),
        ("operator", ["Operator X"]),
        ("relation_to_iran", ["Backed by Iran"]),
        ("outcome", ["Destroyed"]),
        ("date_note", [f"Date note {n}", "Shared date note"]),
        ("icao", ["ORBI", "OSDI"]),
    ):
        if rng.random() < 0.4:
            props[key] = rng.choice(values)
    if events or rng.random() < 0.5:
        props["claim_status"] = rng.choice(["confirmed", "claimed", "reported"])
    if rng.random() < 0.3:
        props["event_type"] = "Battles: Armed clash"
    if rng.random() < 0.2:
        props["source_id"] = f"SYN{n}"
    if rng.random() < 0.4:
        props["fatalities"] = rng.choice(
            [0, 3, 1200, {"best": 4}, {"low": 2, "best": 4, "high": 9}, {"best": 5, "high": 7}]
        )
    if rng.random() < 0.1:
        props["units"] = rng.choice([["Unit 1"], ["Unit 1", "Unit 2"]])
    sources = []
    if events and rng.random() < 0.6:  # a dataset row: its own note (the sites share theirs)
        sources.append({**DATASET, "note": f"Source text of row {n}"})
    for page in rng.sample(PAGES, rng.randint(0, 3)):
        source = dict(page)
        if rng.random() < 0.3:
            source["quote"] = f"Quote {n % 5} «citation»"
        if rng.random() < 0.3:
            source["note"] = "A shared note"
        sources.append(source)
        if rng.random() < 0.1:  # the same work twice, with a second note
            sources.append({**page, "note": "A second note"})
    props["sources"] = sources or [dict(PAGES[1])]
    cited = [s["url"] for s in props["sources"]]
    if rng.random() < 0.15:
        props["claims"] = [
            {"topic": "people killed", "value": "4 killed", "as_of": "2024-01", "source": cited[0]},
            {"topic": "people killed", "value": "6 killed", "source": cited[-1]},
        ]
    lon, lat = round(42 + (n % 50) * 0.06, 6), round(31.5 + (n % 23) * 0.13, 6)
    geometry: dict[str, Any] = {"type": "Point", "coordinates": [lon, lat]}
    if n % 41 == 0:
        geometry = {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.2, lat + 0.1]]}
    elif n % 43 == 0:
        ring = [[lon, lat], [lon + 0.2, lat], [lon + 0.2, lat + 0.2], [lon, lat + 0.2], [lon, lat]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    elif n % 37 == 0:
        props["origin"] = {
            "name": "Launch site",
            "coordinates": [44.4, 33.3],
            "location_precision": "approximate",
        }
    if n == 5:  # one far away, for the frame's edge marks
        props.pop("country", None)
        geometry = {"type": "Point", "coordinates": [-93.5, 38.7]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _dataset_row(rng: random.Random, n: int, events: bool) -> dict[str, Any]:
    """A row as an import makes it: one dataset source with the row's own note (a few share
    one) and sometimes a quote, now and then a page cited beside it without either."""
    row = _row(rng, n, events)
    row["properties"]["id"] = f"row-d-{n}"
    source = {**DATASET, "note": f"Source text of row {n}" if n % 4 else "Shared source text"}
    if rng.random() < 0.5:
        source["quote"] = f"Row {n % 9} says «so»"
    row["properties"]["sources"] = [source] + ([dict(PAGES[n % 3])] if n % 5 == 0 else [])
    if n % 11 == 0:  # the same work cited twice, the second time bare
        row["properties"]["sources"].append(dict(DATASET))
    if n % 7 == 0:  # the dataset read on another day: another work
        row["properties"]["sources"].append({**DATASET, "accessed": "2026-11-30"})
    row["properties"].pop("claims", None)
    if n % 13 == 0:
        row["properties"]["claims"] = [{"topic": "t", "value": "v", "source": DATASET["url"]}]
    return row


def _two_quotes_row(rng: random.Random, n: int, events: bool) -> dict[str, Any]:
    """A dataset row that now and then quotes a page as well: two quotes in one row."""
    row = _dataset_row(rng, n, events)
    row["properties"]["id"] = f"row-q-{n}"
    if n % 17 == 0:
        row["properties"]["sources"].append({**PAGES[1], "quote": "A second quote"})
    return row


def _layer(folder: Path, name: str, group: str, rows: int, seed: int, make=_row) -> None:
    rng = random.Random(seed)
    doc = layer_doc(
        *[make(rng, n, group == "events") for n in range(rows)], group=group, layer_id=name
    )
    write_parquet(
        Layer(folder / f"{name}.parquet", doc["layer"], doc["features"]), folder / f"{name}.parquet"
    )


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Three Parquet layers (events, sites, an imported dataset) and a small GeoJSON one."""
    folder = tmp_path_factory.mktemp("stored")
    _layer(folder, "a-events", "events", 600, 1)
    rng = random.Random(3)
    small = layer_doc(*[_row(rng, n, False) for n in range(1000, 1006)], layer_id="b-small")
    write_doc(folder / "b-small.geojson", small)
    _layer(folder, "c-sites", "regional-actors", 500, 2)
    _layer(folder, "d-dataset", "events", 700, 4, _dataset_row)
    _layer(folder, "e-quoted", "events", 300, 5, _two_quotes_row)
    loaded = load_catalog(folder, TODAY)
    assert not loaded.messages, loaded.messages
    return loaded


def _row_path(catalog: Catalog, view: View, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> dict:
    with monkeypatch.context() as patch:
        patch.setattr(stored_columns, "stored_part", lambda *args: None)
        return build_payload(catalog, view, **kw)


VIEWS = [
    View(),
    View(window_from="2023-10-07", window_to="2024-04-30"),
    View(as_of="2024-02"),
    View(as_of="2021-06-30", window_from="2019-01-01"),
    View(countries=("IQ",)),
    View(actors=("Militia A",)),
    View(kinds=("airstrike", "ground-attack", "other")),
    View(statuses=("claimed",)),
    View(query="ereigniß"),
    View(query="ĵurnalo"),
    View(layers=("c-sites",)),
    View(layers=("d-dataset",)),
    View(layers=("d-dataset",), window_from="2024-01-01"),
    View(layers=("e-quoted", "d-dataset")),
    View(extent=(30.0, 25.0, 50.0, 40.0)),
]


@pytest.mark.parametrize("view", VIEWS, ids=repr)
def test_arrow_payload_equals_row_payload(catalog, view, monkeypatch):
    fast = build_payload(catalog, view, big_layer_points=BIG)
    slow = _row_path(catalog, view, monkeypatch, big_layer_points=BIG)
    assert fast == slow
    assert fast["count"] > 0


def test_the_arrow_path_is_taken_and_sends_columns(catalog, monkeypatch):
    calls = []
    real = stored_columns.stored_part

    def spy(*args: Any) -> Any:
        calls.append(real(*args))
        return calls[-1]

    monkeypatch.setattr(stored_columns, "stored_part", spy)
    payload = build_payload(catalog, View(), big_layer_points=BIG)
    assert [part is not None for part in calls] == [True, True, True, True]
    [events] = [layer for layer in payload["layers"] if layer["id"] == "a-events"]
    # Both encodings occur: a dictionary for few values, plain arrays for mostly distinct ones.
    assert isinstance(events["columns"]["k"], dict) and isinstance(events["columns"]["i"], list)
    assert {f["g"]["type"] for f in events["features"]} >= {"LineString", "Polygon", "Point"}
    rows = decode_columns(events["columns"])
    assert len(rows) == events["columns"]["rows"] == events["shown"] - len(events["features"])
    assert {"q", "sn", "cl", "fa", "u", "s1", "dn", "ic"} <= set(events["columns"])


@pytest.mark.parametrize("cap", [0, 100, 650, 900, 10_000])
def test_a_cap_cuts_the_layers_as_the_row_path_does(catalog, cap, monkeypatch):
    view = View()
    fast = build_payload(catalog, view, max_drawn=cap, big_layer_points=BIG)
    assert fast == _row_path(catalog, view, monkeypatch, max_drawn=cap, big_layer_points=BIG)
    assert fast["count"] == min(cap, fast["total"])


def test_a_layer_of_few_points_keeps_the_row_path(catalog, monkeypatch):
    view = View(window_from="2019-01-01", window_to="2019-12-31", countries=("IQ",))
    fast = build_payload(catalog, view, big_layer_points=10_000)
    assert all("columns" not in layer for layer in fast["layers"])
    assert fast == _row_path(catalog, view, monkeypatch, big_layer_points=10_000)


def test_a_comparison_keeps_the_row_path(catalog, monkeypatch):
    view = View(as_of="2024-04-30", compare=("2021-06-30", "2024-04-30"))
    fast = build_payload(catalog, view, big_layer_points=BIG)
    # Changes in the Parquet layers, whose features then carry "ch".
    assert any(change["i"].startswith("row-") for change in fast["changes"])
    assert fast == _row_path(catalog, view, monkeypatch, big_layer_points=BIG)


def _as_codes(values: list[Any]) -> tuple[Any, list[Any]]:
    """Values as (code per row, distinct values) the way a column's dictionary gives them."""
    import numpy as np

    index: dict[str, int] = {}
    table: list[Any] = []
    codes = []
    for value in values:
        key = json.dumps(value)
        if key not in index:
            index[key] = len(table)
            table.append(value)
        codes.append(index[key])
    return np.array(codes, dtype=np.int64), table


def _columns(seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    n = 45_000
    return [
        [rng.choice(["a", "b", None]) for _ in range(n)],
        [f"v{i}" for i in range(n)],  # all distinct: plain
        [f"v{i // 3}" if i < 30_000 else "x" for i in range(n)],  # a third distinct
        [f"v{i // 2}" if rng.random() < 0.9 else None for i in range(n)],  # about half
        [f"v{i // 2 + (i > 20_000)}" for i in range(n)],  # past 20,000 rows, over half
        [None] * 10 + ["only"],
        [[1], [0, 2], None, [1], {"1": "q", "0": "r"}, {"0": "r", "1": "q"}, "[1]"] * 9,
        [None, "x", "y", "z"],  # three distinct of three: the half-limit
        [f"d{i}" if i < 10_000 else "x" for i in range(n)],  # distinct early, then one value
        [f"v{i // 2}" if i < 20_000 else f"w{i}" if i < 23_000 else "x" for i in range(n)],
    ]


@pytest.mark.parametrize("column", range(10))
def test_encode_decides_as_encode_column_does(column):
    from geo.render.payload import _encode_column

    values = _columns(7)[column]
    codes, table = _as_codes(values)
    merged = stored_columns._merge(codes, table)
    assert stored_columns.encode(*merged) == _encode_column(values)


def test_columns_begin_one_point_past_big_layer_points(catalog, monkeypatch):
    view = View(layers=("c-sites",))
    whole = _row_path(catalog, view, monkeypatch, big_layer_points=10**9)
    [layer] = whole["layers"]
    points = sum(f["g"]["type"] == "Point" and "or" not in f for f in layer["features"])
    for big in (points - 1, points):
        fast = build_payload(catalog, view, big_layer_points=big)
        assert ("columns" in fast["layers"][0]) == (big < points)
        assert fast == _row_path(catalog, view, monkeypatch, big_layer_points=big)


def test_a_dataset_layer_takes_the_columnar_citations(catalog, monkeypatch):
    taken = []
    real = stored_columns._cite_columns

    def spy(*args: Any) -> Any:
        cited = real(*args)
        taken.append(cited is not None)
        return cited

    monkeypatch.setattr(stored_columns, "_cite_columns", spy)
    build_payload(catalog, View(layers=("d-dataset", "a-events")), big_layer_points=BIG)
    assert taken == [False, True]  # a-events cites two quotes in a row; d-dataset never


def test_a_file_of_many_row_groups_keeps_its_order_under_a_cap(tmp_path, monkeypatch):
    """DuckDB reads the row groups in parallel; the rows drawn, and those a cap keeps, are
    still the first ones in file order, as the row path (which sorts) has them."""
    import pyarrow.parquet as pq

    _layer(tmp_path, "a-events", "events", 1_500, 7)
    path = tmp_path / "a-events.parquet"
    pq.write_table(pq.read_table(path), path, row_group_size=37)
    assert pq.ParquetFile(path).metadata.num_row_groups > 30
    split = load_catalog(tmp_path, TODAY)
    assert not split.messages, split.messages
    for cap in (10_000, 700):
        fast = build_payload(split, View(), max_drawn=cap, big_layer_points=BIG)
        assert fast == _row_path(split, View(), monkeypatch, max_drawn=cap, big_layer_points=BIG)
