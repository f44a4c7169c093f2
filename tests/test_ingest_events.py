"""Imported events stay events in any group: a 2016 UCDP event does not show as a lasting
thing "since 2016" in a window of November 2026, whether its layer is uploaded by a user or
filed under another group."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from geo.app.upload import load_upload
from geo.catalog import View, is_event, load_catalog
from geo.render.payload import dates_label
from tests.helpers import LAYERS, ROOT, feature, layer_doc, run_cli, write_doc

UCDP = ROOT / "tests" / "data" / "ucdp_sample.csv"
NOVEMBER_2026 = View(as_of="2026-11-30", window_from="2026-11-01", window_to="2026-11-30")


@pytest.fixture(scope="module")
def ucdp_layer(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("ucdp") / "ucdp.geojson"
    result = run_cli("import", str(UCDP), "--format", "ucdp", "-o", str(output))
    assert result.returncode == 0, result.stderr
    return output


def test_an_uploaded_ucdp_layer_keeps_its_events_in_their_window(ucdp_layer):
    catalog = load_catalog(LAYERS)
    layer, messages = load_upload("ucdp.geojson", ucdp_layer.read_bytes(), catalog)
    assert layer is not None, [m.format() for m in messages]
    assert layer.group == "user"  # the upload path files every upload under "user"
    with_upload = catalog.with_layer(layer)
    ids = {f["properties"]["id"] for _, f in with_upload.features(NOVEMBER_2026)}
    assert not any(i.startswith("ucdp-ged-") for i in ids)
    in_2016 = View(as_of="2016-12-31", window_from="2016-05-01", window_to="2016-05-31")
    shown = {f["properties"]["id"] for _, f in with_upload.features(in_2016)}
    assert {"ucdp-ged-900001", "ucdp-ged-900002"} <= shown
    assert "ucdp-ged-900004" not in shown  # July 2016


def test_an_imported_event_is_labelled_by_its_dates_not_since(ucdp_layer):
    catalog = load_catalog(LAYERS)
    layer, _ = load_upload("ucdp.geojson", ucdp_layer.read_bytes(), catalog)
    assert layer is not None
    first = next(f for f in layer.features if f["properties"]["id"] == "ucdp-ged-900001")
    assert is_event(first, layer)
    assert dates_label(first["properties"], is_event(first, layer)) == "1 May 2016"


def test_events_in_another_group_follow_the_window_in_an_export(tmp_path, ucdp_layer):
    folder = tmp_path / "layers"
    folder.mkdir()
    doc = json.loads(ucdp_layer.read_text(encoding="utf-8"))
    doc["layer"]["group"] = "user"
    write_doc(folder / "ucdp.geojson", doc)
    write_doc(folder / "sites.geojson", layer_doc(feature()))  # a base, lasting since 2001
    output = tmp_path / "view.csv"
    result = run_cli(
        "export", "csv", "-o", str(output), "--layers-dir", str(folder),
        "--as-of", "2026-11-30", "--from", "2026-11-01", "--to", "2026-11-30",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with output.open(encoding="utf-8-sig", newline="") as handle:
        ids = {row["id"] for row in csv.DictReader(handle)}
    assert "test-site" in ids
    assert not any(i.startswith("ucdp-ged-") for i in ids)


def test_imported_events_stay_events_in_a_parquet_layer_too(tmp_path, ucdp_layer):
    from geo.model import Layer
    from geo.store import write_parquet

    doc = json.loads(ucdp_layer.read_text(encoding="utf-8"))
    doc["layer"]["group"] = "user"  # only their fields say these rows are events
    as_geojson = tmp_path / "geojson"
    as_parquet = tmp_path / "parquet"
    as_geojson.mkdir()
    as_parquet.mkdir()
    write_doc(as_geojson / "ucdp.geojson", doc)
    write_parquet(Layer(as_parquet / "ucdp.parquet", doc["layer"], doc["features"]),
                  as_parquet / "ucdp.parquet")  # fmt: skip
    in_2016 = View(as_of="2016-12-31", window_from="2016-05-01", window_to="2016-05-31")
    for view in (NOVEMBER_2026, in_2016):
        answers = [
            sorted(f["properties"]["id"] for _, f in load_catalog(folder).features(view))
            for folder in (as_geojson, as_parquet)
        ]
        assert answers[0] == answers[1], view
    assert not list(load_catalog(as_parquet).features(NOVEMBER_2026))
