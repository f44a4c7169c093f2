"""python -m geo import --format geoparquet, and -o NAME.parquet: a GeoParquet layer in and out,
through the CLI as an analyst runs it."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq

from tests.helpers import ROOT, feature, run_cli

ACLED = ROOT / "tests" / "data" / "acled_sample.csv"


def _plain_geoparquet(path, features):
    """A GeoParquet file as geopandas writes it from a plain FeatureCollection (no layer)."""
    import geopandas

    frame = geopandas.GeoDataFrame.from_features(features, crs="EPSG:4326")
    frame["sources"] = [json.dumps(f["properties"]["sources"]) for f in features]
    frame.to_parquet(path, index=False)
    return path


def test_an_acled_import_to_parquet_loads_everywhere_a_geojson_layer_does(tmp_path):
    folder = tmp_path / "layers"
    folder.mkdir()
    output = folder / "acled.parquet"
    result = run_cli("import", str(ACLED), "--format", "acled", "-o", str(output))
    assert result.returncode == 0, result.stderr
    geojson = tmp_path / "acled.geojson"
    assert run_cli("import", str(ACLED), "--format", "acled", "-o", str(geojson)).returncode == 0
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    table = pq.read_table(output)
    assert b"geo" in table.schema.metadata  # GeoParquet, not just Parquet
    assert table.num_rows == len(doc["features"]) > 0
    assert table.column("id").to_pylist() == [f["properties"]["id"] for f in doc["features"]]
    assert run_cli("validate", str(output)).returncode == 0
    listed = run_cli("layers", str(folder))
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(doc["layer"]["id"]))
    assert f" {len(doc['features'])} " in line
    html = tmp_path / "map.html"
    exported = run_cli("export", "html", "-o", str(html), "--layers-dir", str(folder))
    assert exported.returncode == 0, exported.stderr
    first_id = doc["features"][0]["properties"]["id"]
    assert first_id in html.read_text(encoding="utf-8")


def test_a_plain_geoparquet_file_imports_without_its_bad_features(tmp_path):
    good = feature("good-site")
    bad = feature("bad-site", start="2099")
    source = _plain_geoparquet(tmp_path / "points.parquet", [good, bad])
    result = run_cli("import", str(source), "--format", "geoparquet")
    assert result.returncode == 0, result.stderr
    assert "feature bad-site: left out: start:" in result.stderr
    output = tmp_path / "points.geojson"
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in doc["features"]] == ["good-site"]
    assert doc["features"][0]["properties"]["sources"] == good["properties"]["sources"]
    assert doc["features"][0]["geometry"] == good["geometry"]
    assert doc["layer"]["id"] == "geoparquet-points"
    assert run_cli("validate", str(output)).returncode == 0


def test_our_parquet_layer_round_trips_through_geoparquet_import(tmp_path):
    source = tmp_path / "acled.parquet"
    assert run_cli("import", str(ACLED), "--format", "acled", "-o", str(source)).returncode == 0
    again = tmp_path / "again.parquet"
    result = run_cli("import", str(source), "--format", "geoparquet", "-o", str(again))
    assert result.returncode == 0, result.stderr
    before, after = pq.read_table(source), pq.read_table(again)
    assert after.schema.metadata[b"layer"] == before.schema.metadata[b"layer"]
    assert after.select(["id", "sources", "fatalities"]).equals(
        before.select(["id", "sources", "fatalities"])
    )


def test_a_parquet_file_without_geometry_metadata_gets_one_line(tmp_path):
    import pyarrow as pa

    source = tmp_path / "table.parquet"
    pq.write_table(pa.table({"id": ["a"], "x": [1.0]}), source)
    result = run_cli("import", str(source), "--format", "geoparquet")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "without GeoParquet metadata" in lines[0]
    assert str(source) in lines[0] and "Traceback" not in result.stderr


def test_a_projected_geoparquet_file_is_refused_with_the_fix(tmp_path):
    import geopandas

    frame = geopandas.GeoDataFrame.from_features([feature()], crs="EPSG:4326").to_crs(3857)
    frame = frame.drop(columns=["sources"])
    source = tmp_path / "metres.parquet"
    frame.to_parquet(source, index=False)
    result = run_cli("import", str(source), "--format", "geoparquet")
    assert result.returncode == 1 and "to_crs(4326)" in result.stderr
    assert not (tmp_path / "metres.geojson").exists()


def test_a_geometry_column_that_is_not_wkb_gets_one_line_not_a_traceback(tmp_path):
    """GeoParquet metadata that says WKB over a column of WKT text."""
    import pyarrow as pa

    source = _plain_geoparquet(tmp_path / "wkt.parquet", [feature()])
    table = pq.read_table(source)
    where = table.column_names.index("geometry")
    pq.write_table(table.set_column(where, "geometry", pa.array(["POINT (51.3 25.1)"])), source)
    result = run_cli("import", str(source), "--format", "geoparquet")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not WKB" in lines[0] and str(source) in lines[0]
    assert not (tmp_path / "wkt.geojson").exists()


def test_a_failed_parquet_write_leaves_the_earlier_layer(tmp_path):
    output = tmp_path / "acled.parquet"
    assert run_cli("import", str(ACLED), "--format", "acled", "-o", str(output)).returncode == 0
    before = output.read_bytes()
    broken = tmp_path / "broken.csv"
    shutil.copy(ACLED, broken)
    broken.write_text("not,an,acled,header\n1,2,3,4\n", encoding="utf-8")
    result = run_cli("import", str(broken), "--format", "acled", "-o", str(output))
    assert result.returncode == 1
    assert output.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") or "tmp" in p.name]
