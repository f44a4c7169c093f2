"""Data exports: GeoJSON, CSV, KML and GeoPackage, read back as their users' tools read them."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from shapely.geometry import Point, shape

from geo.catalog import View, load_catalog
from geo.export.data import (
    KML_RENAMES,
    EmptyViewError,
    columns_for,
    csv_bytes,
    defuse,
    export_data,
)
from geo.fmt import canonical_text
from geo.validate import validate_paths
from tests.helpers import LAYERS, SOURCE, feature, layer_doc, write_doc

HOSTILE = {
    "name": 'A "quoted", name, with commas',
    "description": 'Line one\nline two, with a comma\r\nand "quotes" and a tab\there. '
    "Ürümqi – صنعاء",
    "location_note": '=HYPERLINK("https://evil.example/","click")',
    "outcome": "+1 more; -2 less",
    "operator": "@SUM(A1:A9)",
    "date_note": "-starts with a minus",
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LAYERS)


@pytest.fixture
def hostile_catalog(tmp_path):
    folder = tmp_path / "layers"
    folder.mkdir()
    second = copy.deepcopy(SOURCE)
    second.update(
        url="https://example.org/second-source",
        title='Second, "source"',
        publisher="=Publisher",
        quote='He said: "yes, we did"\nand left.',
    )
    hostile = feature(
        "hostile-site",
        location_precision="approximate",
        claims=[
            {"topic": "personnel", "value": "=1+1", "as_of": "2024", "source": SOURCE["url"]},
            {"topic": "aircraft", "value": "about 100", "source": second["url"]},
        ],
        **HOSTILE,
    )
    hostile["properties"]["sources"].append(second)
    plain = feature("plain-site", lon=50.6097, lat=26.2097, country="BH", name="Plain")
    area = feature(
        "area-site",
        name="Area",
        kind="other",
        location_precision="region",
        location_note="A drawn box.",
    )
    area["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[51.2, 25.0], [51.4, 25.0], [51.4, 25.2], [51.2, 25.2], [51.2, 25.0]]],
    }
    write_doc(folder / "test.geojson", layer_doc(hostile, plain, area))
    loaded = load_catalog(folder)
    assert not loaded.messages, [m.format() for m in loaded.messages]
    return loaded


def read_csv(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ---------------------------------------------------------------------------------------------
# CSV


def test_csv_round_trips_text_exactly(hostile_catalog, tmp_path):
    out = tmp_path / "out.csv"
    export_data(hostile_catalog, View(), out, "csv")
    rows = {row["id"]: row for row in read_csv(out)}
    row = rows["hostile-site"]
    assert row["name"] == HOSTILE["name"]
    assert row["description"] == HOSTILE["description"]
    # Cells a spreadsheet would run as formulas get a leading single quote, nothing else.
    assert row["location_note"] == "'" + HOSTILE["location_note"]
    assert row["outcome"] == "'" + HOSTILE["outcome"]
    assert row["operator"] == "'" + HOSTILE["operator"]
    assert row["date_note"] == "'" + HOSTILE["date_note"]
    assert row["source_1_url"] == SOURCE["url"]
    assert row["source_1_published"] == SOURCE["published"]
    assert row["source_2_title"] == 'Second, "source"'
    assert row["source_2_publisher"] == "'=Publisher"
    assert row["source_2_quote"] == 'He said: "yes, we did"\nand left.'
    assert row["claim_1_value"] == "'=1+1"
    assert row["claim_1_as_of"] == "2024"
    assert row["claim_2_source"] == "https://example.org/second-source"
    assert rows["plain-site"]["source_2_title"] == ""
    assert rows["plain-site"]["layer"] == "test-layer"


def test_csv_columns_and_coordinates(hostile_catalog, tmp_path):
    out = tmp_path / "out.csv"
    export_data(hostile_catalog, View(), out, "csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    for column in (
        "id",
        "layer",
        "name",
        "kind",
        "start",
        "end",
        "location_precision",
        "location_note",
        "country",
        "actor",
        "target",
        "claim_status",
        "description",
        "longitude",
        "latitude",
        "geometry_wkt",
        "source_1_title",
        "source_1_publisher",
        "source_1_url",
        "source_1_published",
        "source_1_accessed",
        "source_1_quote",
        "source_2_quote",
        "claim_2_topic",
    ):
        assert column in header, column
    assert "source_3_title" not in header
    rows = {row["id"]: row for row in read_csv(out)}
    assert (rows["plain-site"]["longitude"], rows["plain-site"]["latitude"]) == (
        "50.6097",
        "26.2097",
    )
    area = rows["area-site"]
    assert area["geometry_wkt"].startswith("POLYGON ((51.2 25")
    inside = Point(float(area["longitude"]), float(area["latitude"]))
    assert shape(json.loads(json.dumps(hostile_catalog.find("area-site")[1]["geometry"]))).contains(
        inside
    )


def test_defuse():
    assert defuse("=1") == "'=1"
    assert defuse("@x") == "'@x"
    assert defuse("\tx") == "'\tx"
    assert defuse("plain = text") == "plain = text"
    assert defuse("") == ""


def test_negative_coordinates_stay_numbers(hostile_catalog):
    pairs = list(hostile_catalog.features(View()))
    layer, feat = pairs[1]
    west = copy.deepcopy(feat)
    west["geometry"]["coordinates"] = [-5.5, 36.1]
    text = csv_bytes([(layer, west)]).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["longitude"] == "-5.5"


def test_real_layers_csv_has_a_row_per_feature(catalog, tmp_path):
    out = tmp_path / "all.csv"
    export_data(catalog, View(), out, "csv")
    rows = read_csv(out)
    pairs = list(catalog.features(View()))
    assert [row["id"] for row in rows] == [f["properties"]["id"] for _l, f in pairs]
    most = max(len(f["properties"]["sources"]) for _l, f in pairs)
    assert f"source_{most}_url" in rows[0]
    assert f"source_{most + 1}_url" not in rows[0]


# ---------------------------------------------------------------------------------------------
# GeoJSON


def test_geojson_is_a_valid_layer_with_the_features_unchanged(catalog, tmp_path):
    view = View(layers=("us-sites", "events"), as_of="2024-06-30")
    out = tmp_path / "export.geojson"
    export_data(catalog, view, out, "geojson", title="Sites and events")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["layer"]["id"] == "export"
    assert doc["layer"]["group"] == "user"
    assert doc["layer"]["title"] == "Sites and events"
    assert "30 Jun 2024" in doc["layer"]["description"]
    assert "US military sites" in doc["layer"]["description"]
    assert doc["features"] == [f for _l, f in catalog.features(view)]
    assert out.read_text(encoding="utf-8") == canonical_text(doc)
    assert [m for m in validate_paths([out]) if m.level == "error"] == []


# ---------------------------------------------------------------------------------------------
# KML and GeoPackage


def test_gpkg_reads_back(hostile_catalog, tmp_path):
    import pyogrio

    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "out.gpkg"
    export_data(hostile_catalog, View(), out, "gpkg")
    layers = pyogrio.list_layers(out)
    assert [name for name, _kind in layers] == ["posture_all"]
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == 3
    row = frame.set_index("id").loc["hostile-site"]
    assert row["name"] == HOSTILE["name"]
    assert row["description"] == HOSTILE["description"]
    assert row["source_2_quote"] == 'He said: "yes, we did"\nand left.'
    assert row["claim_1_value"] == "=1+1"  # not a spreadsheet: stored as written
    assert frame.crs.to_epsg() == 4326
    assert [p.name for p in out.parent.iterdir()] == ["out.gpkg"]


def test_kml_reads_back_with_name_and_description(catalog, tmp_path):
    import pyogrio

    view = View(layers=("us-sites", "hezbollah"))
    out = tmp_path / "out.kml"
    export_data(catalog, view, out, "kml")
    frame = pyogrio.read_dataframe(out)
    pairs = list(catalog.features(view))
    assert len(frame) == len(pairs)
    name = "Name" if "Name" in frame.columns else "name"
    described = "description" if "description" in frame.columns else "Description"
    by_id = frame.set_index(KML_RENAMES["id"])
    udeid = by_id.loc["al-udeid-air-base"]
    props = catalog.find("al-udeid-air-base")[1]["properties"]
    assert udeid[name] == props["name"]
    assert udeid[described] == props["description"]
    assert udeid[KML_RENAMES["start"]] == props["start"]
    assert udeid["source_1_url"] == props["sources"][0]["url"]
    text = out.read_text(encoding="utf-8")
    assert "<name>Al Udeid Air Base</name>" in text
    assert text.count("<Placemark") == len(pairs)


def test_columns_for_counts_the_most_sources(hostile_catalog):
    columns = columns_for(hostile_catalog.features(View()))
    assert "source_2_note" in columns and "source_3_note" not in columns
    assert "claim_2_source" in columns and "claim_3_source" not in columns


# ---------------------------------------------------------------------------------------------
# Failures leave nothing behind


@pytest.mark.parametrize("fmt", ["geojson", "csv", "kml", "gpkg"])
def test_unwritable_path_raises_and_leaves_nothing(catalog, tmp_path, fmt):
    with pytest.raises(OSError):
        export_data(catalog, View(), tmp_path / "missing" / f"out.{fmt}", fmt)
    assert list(tmp_path.iterdir()) == []


def test_empty_view_raises(catalog, tmp_path):
    with pytest.raises(EmptyViewError):
        export_data(catalog, View(as_of="1800-01-01", layers=("us-sites",)), tmp_path / "x", "csv")
    assert list(tmp_path.iterdir()) == []
