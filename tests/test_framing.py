"""geo/framing.py: the default frame fits the region, far places become marks, --extent."""

from __future__ import annotations

import pytest

from geo.catalog import View, load_catalog
from geo.framing import (
    ExtentError,
    default_frame,
    edge_point,
    frame_for,
    grouped,
    offstage,
    parse_extent,
)
from tests.helpers import LAYERS

FEB_2024 = View(as_of="2024-02-01", window_from="2022-01-01", window_to="2025-12-31")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LAYERS)


def test_parse_extent_reads_four_numbers():
    assert parse_extent("25,10,65,42") == (25.0, 10.0, 65.0, 42.0)
    assert parse_extent(" -180, -90 , 180,90 ") == (-180.0, -90.0, 180.0, 90.0)
    assert parse_extent("+1.5,.5,2.,3") == (1.5, 0.5, 2.0, 3.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("25,10,65", "four numbers"),
        ("25;10;65;42", "four numbers"),
        ("25,10,65,42,1", "four numbers"),
        ("nan,10,65,42", "four numbers"),
        ("65,10,25,42", "west 65 must be less than east 25"),
        ("25,10,25,42", "west 25 must be less than east 25"),
        ("25,42,65,10", "south 42 must be less than north 10"),
        ("-181,10,65,42", "west -181 is beyond ±180"),
        ("25,10,65,90.5", "north 90.5 is beyond ±90"),
    ],
)
def test_parse_extent_refuses_what_is_not_a_frame(text, words):
    with pytest.raises(ExtentError) as caught:
        parse_extent(text)
    message = str(caught.value)
    assert words in message and "e.g. --extent 25,10,65,42" in message
    assert "\n" not in message


def test_default_frame_fits_the_region_not_missouri_or_the_baltic(catalog):
    frame = default_frame(catalog.features(FEB_2024), catalog)
    west, south, east, north = frame.extent
    assert 20 < west < 30 and 55 < east < 65 and 5 < south < 15 and 35 < north < 45
    names = {mark.name: mark for mark in frame.offstage}
    b2 = names["Whiteman Air Force Base, Missouri (B-2 bombers)"]
    assert b2.kind == "origin" and b2.feature_id == "midnight-hammer-fordow-2025"
    assert 10_500 < b2.distance_km < 12_500
    nord = names["Nord Stream pipelines sabotage, Baltic Sea near Bornholm"]
    assert nord.kind == "feature" and nord.layer_id == "events"
    # Nearest first; nothing inside the frame is marked.
    distances = [mark.distance_km for mark in frame.offstage]
    assert distances == sorted(distances)
    assert not any(west <= m.lon <= east and south <= m.lat <= north for m in frame.offstage)


def test_an_events_only_view_is_framed_on_the_region_of_the_catalog(catalog):
    events = default_frame(catalog.features(View(layers=("events",))), catalog)
    everything = default_frame(catalog.features(View()), catalog)
    assert events.extent == everything.extent


def test_a_view_of_far_features_only_fits_them(catalog):
    view = View(layers=("events",), query="Nord Stream")
    pairs = list(catalog.features(view))
    assert pairs
    frame = default_frame(pairs, catalog)
    west, south, east, north = frame.extent
    assert west < 15.41 < east and south < 54.88 < north
    assert frame.offstage == ()


def test_an_extent_is_used_as_given(catalog):
    frame = frame_for(catalog.features(FEB_2024), (45.0, 22.0, 58.0, 30.0), catalog)
    assert frame.extent == (45.0, 22.0, 58.0, 30.0)
    assert any(mark.name.startswith("Incirlik") for mark in frame.offstage)


def test_edge_point_lies_on_the_frame_toward_the_place():
    extent = (20.0, 10.0, 60.0, 40.0)
    x, y = edge_point(extent, -93.5, 38.7)  # Missouri: due west-ish
    assert x == pytest.approx(20.0) and 25 < y < 40
    x, y = edge_point(extent, 15.4, 54.9)  # the Baltic: north-west, leaves by the top
    assert y == pytest.approx(40.0) and 20 <= x < 40
    assert edge_point(extent, 40.0, 25.0) == (40.0, 25.0)  # the centre stays put


def test_marks_at_one_place_are_grouped(catalog):
    everything = list(catalog.features(View()))
    frame = default_frame(everything, catalog)
    groups = grouped(frame.offstage)
    islamabad = [g for g in groups if round(g.first.lon, 1) == 73.1]
    assert len(islamabad) == 1 and len(islamabad[0].marks) == 3
    assert islamabad[0].label().endswith("and 2 more there")
    assert len(groups) < len(frame.offstage)


def test_offstage_names_each_origin_once(catalog):
    everything = list(catalog.features(View()))
    marks = offstage(everything, (20.0, 10.0, 65.0, 42.0))
    whiteman = [m for m in marks if m.name.startswith("Whiteman")]
    assert len(whiteman) == 1  # two strikes flew from it; one arrow


# --- a big layer's rows as arrays frame a view exactly as the pairs they stand for -----------


def _rows_and_pairs(seed: int, group: str, spread: float):
    """A synthetic big layer: plain points (some far off, some sharing a name and a place) and
    a few other rows (an area, a point with an origin), as PointRows and as the pairs."""
    import numpy as np

    from geo.framing import PointRows
    from geo.model import Layer

    rng = np.random.default_rng(seed)
    layer = Layer(path=LAYERS / "synthetic.parquet", meta={"id": "big", "group": group})
    count = 400
    plain = rng.random(count) > 0.05
    xs = rng.normal(45.0, spread, int(plain.sum()))
    xs = xs.clip(-179.0, 179.0)
    ys = rng.normal(30.0, spread / 2, int(plain.sum())).clip(-80.0, 80.0)
    xs[::37] = 5.0  # one place, far to the west, for many rows of one name
    ys[::37] = 45.0
    event = (rng.random(len(xs)) > 0.3) | (group == "events")  # as is_event says
    ids = [f"big-{n}" for n in range(len(xs))]
    names = [f"Place {n % 7}" if n % 37 else "Far place" for n in range(len(xs))]
    others, pairs = [], []
    point = 0
    for row, is_plain in enumerate(plain.tolist()):
        if is_plain:
            props = {"id": ids[point], "name": names[point]}
            if event[point]:
                props["claim_status"] = "reported"
            geometry = {"type": "Point", "coordinates": [float(xs[point]), float(ys[point])]}
            pairs.append((layer, {"type": "Feature", "geometry": geometry, "properties": props}))
            point += 1
            continue
        ring = [[60.0 + row % 5, 20.0], [61.0 + row % 5, 20.0], [61.0, 21.0], [60.0, 20.0]]
        feature = {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]}
            if row % 2
            else {"type": "Point", "coordinates": [44.0, 33.0]},
            "properties": {"id": f"other-{row}", "name": f"Other {row}"}
            | ({} if row % 2 else {"origin": {"name": "Base", "coordinates": [-93.5, 38.7]}}),
        }
        others.append(feature)
        pairs.append((layer, feature))
    rows = PointRows(layer, plain, xs, ys, event, ids, names, others)
    return rows, pairs


@pytest.mark.parametrize("group", ["events", "regional-actors"])
@pytest.mark.parametrize(("seed", "spread"), [(1, 3.0), (2, 12.0), (3, 40.0)])
def test_point_rows_frame_a_view_as_their_pairs_do(catalog, group, seed, spread):
    rows, pairs = _rows_and_pairs(seed, group, spread)
    site = next((layer, f) for layer, f in catalog.features(View()) if layer.group == "us-posture")
    for items, same in (([rows], pairs), ([site, rows], [site, *pairs])):
        framed = default_frame(items, catalog)
        assert framed == default_frame(same, catalog)
        assert framed is not None and framed.offstage  # far rows and origins became marks
        extent = (40.0, 25.0, 50.0, 35.0)
        assert frame_for(items, extent) == frame_for(same, extent)
        assert offstage(items, extent) == offstage(same, extent)
