"""python -m geo import --format csv | geojson: our own formats, screened by the validator."""

from __future__ import annotations

import json

from tests.helpers import feature, run_cli, write_doc

HEADER = "name,latitude,longitude,start,source_title,source_publisher,source_url,source_accessed"
GOOD = (
    "Good point,33.5138,36.2765,2024-01-15,Some page,Some outlet,https://example.org/a,2026-12-01"
)


def test_our_csv_imports_its_good_rows_and_names_the_rest(tmp_path):
    export = tmp_path / "mine.csv"
    rows = [
        HEADER,
        GOOD,
        GOOD.replace("Good point", "Bad date").replace("2024-01-15", "2024-02-30"),
        GOOD.replace("Good point", "Markup").replace("Some page", "<b>x</b>"),
        GOOD.replace("33.5138", "north"),
    ]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "csv", "--layer-id", "mine")
    assert result.returncode == 0, result.stderr
    left_out = [line for line in result.stderr.splitlines() if "left out:" in line]
    assert left_out[0].startswith(f"{export}:3: feature mine-2: left out: start: date")
    assert left_out[1].startswith(f"{export}:4: feature mine-3: left out: sources[0].title")
    assert left_out[2].startswith(f"{export}:5: the row left out: latitude 'north'")
    assert len(left_out) == 3
    output = tmp_path / "mine.geojson"
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [f["properties"]["name"] for f in doc["features"]] == ["Good point"]
    assert run_cli("validate", str(output)).returncode == 0
    assert run_cli("fmt", "--check", str(output)).returncode == 0


def test_a_plain_feature_collection_becomes_a_layer_without_its_bad_features(tmp_path):
    good = feature("good-site")
    bad = feature("bad-site", start="2099")
    plain = {"type": "FeatureCollection", "name": "from-qgis", "features": [good, bad]}
    source = write_doc(tmp_path / "points.geojson", plain)
    result = run_cli("import", str(source), "--format", "geojson")
    assert result.returncode == 0, result.stderr
    assert "feature bad-site: left out: start:" in result.stderr
    output = tmp_path / "points-layer.geojson"  # never over its input
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in doc["features"]] == ["good-site"]
    assert doc["layer"]["id"] == "geojson-points" and "name" not in doc
    assert run_cli("validate", str(output)).returncode == 0


def test_a_file_that_is_not_geojson_gets_one_line(tmp_path):
    source = tmp_path / "broken.geojson"
    source.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    result = run_cli("import", str(source), "--format", "geojson")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_fast_writer_writes_exactly_the_canonical_form():
    """geo.ingest.write must agree with geo.fmt byte for byte, or fmt --check fails on imports:
    tiny coordinates (Python writes 1e-06, orjson 1e-6), unknown keys, text that JSON escapes."""
    from geo.fmt import canonical_text
    from geo.ingest.write import layer_bytes

    doc = {
        "type": "FeatureCollection",
        "layer": {
            "title": "T",
            "id": "x",
            "group": "events",
            "description": 'Quotes " and \\ and \u00e9 and \u0645',
            "visible": True,
            "style": {"color": "#000000", "marker": "circle"},
            "provenance": {"dataset": "D", "rows": 2},
        },
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [0.000001, -1e-05]},
                "properties": {
                    "zz": 1,
                    "sources": [{"url": "https://example.org/", "title": "t", "note": "a\nb"}],
                    "name": "n",
                    "id": "a",
                    "fatalities": {"low": 0, "best": 1, "high": 2},
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-180.0, 89.999999]},
                "properties": {"id": "b", "sources": []},
            },
        ],
    }
    assert layer_bytes(doc).decode("utf-8") == canonical_text(doc)
    assert layer_bytes({**doc, "features": []}).decode("utf-8") == canonical_text(
        {**doc, "features": []}
    )
