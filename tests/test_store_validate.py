"""A Parquet layer with a mistake gets the message the same layer in GeoJSON gets."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.model import Layer, Message
from geo.store import write_parquet
from geo.validate import validate_paths
from geo.validate.table import check_table
from tests.helpers import SOURCE, feature, layer_doc, write_doc

TODAY = dt.date(2026, 12, 3)


def _doc() -> dict:
    return layer_doc(
        feature("site-a"),
        feature("site-b", lon=51.4, lat=25.2, end="2020-05"),
        feature(
            "area-c",
            location_precision="approximate",
            location_note="drawn from a map",
            country="QA",
        ),
    )


def _area(doc: dict) -> None:
    doc["features"][2]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[51.2, 25.0], [51.5, 25.0], [51.5, 25.3], [51.2, 25.3], [51.2, 25.0]]],
    }


def _props(n: int, **changes: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["features"][n]["properties"].update(changes)

    return change


def _point(n: int, lon: float, lat: float) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["features"][n]["geometry"]["coordinates"] = [lon, lat]

    return change


def _source(**changes: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["features"][1]["properties"]["sources"][0].update(changes)

    return change


def _bowtie(doc: dict) -> None:
    doc["features"][2]["geometry"]["coordinates"] = [
        [[51.2, 25.0], [51.5, 25.3], [51.5, 25.0], [51.2, 25.3], [51.2, 25.0]]
    ]


MISTAKES = {
    "enum": (_props(1, kind="air-bse"), "schema-enum"),
    "precision enum": (_props(0, location_precision="exactly"), "schema-enum"),
    "id pattern": (_props(1, id="Site_B"), "schema-pattern"),
    "country pattern": (_props(0, country="qa"), "schema-pattern"),
    "date shape": (_props(1, start="2020/01/02"), "schema-pattern"),
    "date whitespace": (_props(1, start="2020-01 "), "whitespace"),
    "date line break": (_props(1, start="2020-01\n"), "whitespace"),
    "country line break": (_props(0, country="QA\n"), "line-break"),
    "id line break": (_props(0, id="site-a\n"), "line-break"),
    "no such day": (_props(1, start="2023-02-29"), "no-such-date"),
    "no such month": (_props(1, end="2021-13"), "no-such-date"),
    "future": (_props(0, start="2027-01"), "future-date"),
    "backwards": (_props(1, start="2021-01-05", end="2020-12"), "end-before-start"),
    "latitude": (_point(1, 51.4, 95.0), "out-of-range"),
    "swapped": (_point(1, 25.2, 151.4), "out-of-range"),
    "longitude": (_point(1, 5140000.0, 25.2), "out-of-range"),
    "outside country": (_point(0, 44.4, 33.3), "outside-country"),
    "swapped into country": (_point(0, 25.1173, 51.315), "outside-country"),
    "unknown country": (_props(0, country="QQ"), "unknown-country"),
    "duplicate id": (_props(1, id="site-a"), "duplicate-id"),
    "markup": (_props(0, name="Base <b>bold</b>"), "markup"),
    "control character": (_props(0, description="A\x07 bell"), "control-character"),
    "line break in name": (_props(0, name="Two\nlines"), "line-break"),
    "bidi": (_props(0, description="abc \u202e cba"), "bidi-control"),
    "invisible in actor": (_props(0, actor="Iran\u200b"), "invisible-character"),
    "not nfc": (_props(0, name="Cafe\u0301"), "not-nfc"),
    "empty text": (_props(0, description=""), "schema-minLength"),
    "location note": (_props(0, location_precision="approximate"), "location-note"),
    "missing name": (_props(1, name=None), "schema-required"),
    "source url": (_source(url="javascript:alert(1)"), "schema-pattern"),
    "source mirror": (_source(url="https://wikimili.com/en/Al_Udeid_Air_Base"), None),
    "source date": (_source(accessed="2026-02-30"), "no-such-date"),
    "source markup": (_source(title="<script>x</script>"), "markup"),
    "source control character": (_source(note="A\x07 bell"), "control-character"),
    "source line break": (_source(publisher="Two\nlines"), "line-break"),
    "source bidi": (_source(quote="abc \u202e cba"), "bidi-control"),
    "unit not nfc": (_props(0, units=["Cafe\u0301 unit"]), "not-nfc"),
    "published after accessed": (_source(published="2026-11-20"), "published-after-accessed"),
    "claim source": (
        _props(0, claims=[{"topic": "x", "value": "1", "source": "https://example.org/x"}]),
        None,
    ),
    "invalid polygon": (lambda doc: (_area(doc), _bowtie(doc)), "invalid-polygon"),
}


def _without_nulls(doc: dict) -> dict:
    for item in doc["features"]:
        item["properties"] = {k: v for k, v in item["properties"].items() if v is not None}
    return doc


def _messages_both_ways(tmp_path: Path, doc: dict) -> tuple[list[Message], list[Message]]:
    geojson = write_doc(tmp_path / "layer.geojson", _without_nulls(copy.deepcopy(doc)))
    parquet = tmp_path / "layer.parquet"
    write_parquet(Layer(parquet, doc["layer"], doc["features"]), parquet)
    return validate_paths([geojson], TODAY), check_table(parquet, TODAY)


def _said(messages: list[Message]) -> list[tuple]:
    return sorted((m.level, m.code, m.feature, m.path[:2], m.text, m.fix) for m in messages)


def test_a_sound_layer_has_no_message(tmp_path: Path) -> None:
    doc = _doc()
    _area(doc)
    from_geojson, from_parquet = _messages_both_ways(tmp_path, doc)
    assert from_geojson == [] and from_parquet == []


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_gets_the_geojson_message(tmp_path: Path, mistake: str) -> None:
    change, code = MISTAKES[mistake]
    doc = _doc()
    _area(doc)
    change(doc)
    from_geojson, from_parquet = _messages_both_ways(tmp_path, doc)
    errors = [m for m in from_geojson if m.level == "error"]
    assert errors, "the mistake must be one the GeoJSON validator finds"
    if code is not None:
        assert code in {m.code for m in errors}
    assert _said(from_parquet) == _said(from_geojson)
    for message in from_parquet:
        assert message.file == str(tmp_path / "layer.parquet")
        assert message.feature and message.fix


def _rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table).replace_schema_metadata(table.schema.metadata), path)


def test_a_missing_or_unknown_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write_parquet(Layer(path, _doc()["layer"], _doc()["features"]), path)
    _rewrite(
        path,
        lambda t: t.drop_columns(["name"]).rename_columns(
            [("colour" if n == "icao" else n) for n in t.drop_columns(["name"]).column_names]
        ),
    )
    said = {(m.code, m.field) for m in check_table(path, TODAY)}
    assert said == {("missing-column", "name"), ("unknown-column", "colour")}


def test_a_bbox_that_is_not_the_geometry_bounds_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write_parquet(Layer(path, _doc()["layer"], _doc()["features"]), path)

    def shift(table: pa.Table) -> pa.Table:
        box = table.column("bbox").combine_chunks()
        xmin = box.field("xmin").to_pylist()
        xmin[1] += 0.5
        fields = [pa.array(xmin)] + [box.field(c) for c in ("ymin", "xmax", "ymax")]
        moved = pa.StructArray.from_arrays(fields, names=["xmin", "ymin", "xmax", "ymax"])
        return table.set_column(table.column_names.index("bbox"), "bbox", moved)

    _rewrite(path, shift)
    [message] = check_table(path, TODAY)
    assert (message.code, message.feature, message.field) == ("bbox", "site-b", "bbox")
    _rewrite(path, lambda t: t.drop_columns(["bbox"]))
    [message] = check_table(path, TODAY)
    assert (message.code, message.field) == ("missing-column", "bbox")
    assert "write_covering_bbox" in message.fix


def test_a_column_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write_parquet(Layer(path, _doc()["layer"], _doc()["features"]), path)
    _rewrite(
        path,
        lambda t: t.set_column(
            t.column_names.index("start"), "start", pa.array([2001, 2001, 2001])
        ),
    )
    [message] = check_table(path, TODAY)
    assert (message.code, message.field) == ("column-type", "start")
    assert "int64" in message.text and message.fix


def test_a_bad_layer_object_is_told_as_in_geojson(tmp_path: Path) -> None:
    doc = _doc()
    doc["layer"]["group"] = "event"
    doc["layer"]["title"] = "<i>Title</i>"
    from_geojson, from_parquet = _messages_both_ways(tmp_path, doc)
    assert _said(from_parquet) == _said(from_geojson)
    assert {m.field for m in from_parquet} == {"layer.group", "layer.title"}


def test_events_need_an_actor_in_parquet_too(tmp_path: Path) -> None:
    doc = layer_doc(
        feature("strike-a", kind="airstrike", actor="Israel", claim_status="confirmed"),
        feature("strike-b", kind="airstrike", claim_status="confirmed", lon=51.4),
        group="events",
    )
    from_geojson, from_parquet = _messages_both_ways(tmp_path, doc)
    assert [m.code for m in from_parquet] == ["required"]
    assert _said(from_parquet) == _said(from_geojson)


def test_ids_are_unique_across_geojson_and_parquet_files(tmp_path: Path) -> None:
    write_doc(tmp_path / "a.geojson", layer_doc(feature("shared-id"), layer_id="first"))
    doc = layer_doc(feature("shared-id"), layer_id="second")
    write_parquet(Layer(tmp_path / "b", doc["layer"], doc["features"]), tmp_path / "b.parquet")
    [message] = validate_paths([tmp_path], TODAY)
    assert message.code == "duplicate-id" and message.file.endswith("b.parquet")
    assert message.feature == "shared-id" and "a.geojson" in message.text


def test_a_source_shared_by_many_rows_is_told_for_each(tmp_path: Path) -> None:
    bad = {**SOURCE, "url": "ftp://example.org/x"}
    doc = layer_doc(*(feature(f"site-{n}", sources=[bad]) for n in range(4)))
    from_geojson, from_parquet = _messages_both_ways(tmp_path, doc)
    assert len(from_parquet) == 4
    assert _said(from_parquet) == _said(from_geojson)
