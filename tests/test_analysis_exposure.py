"""The missile table, the exposure table for a fixed date, and the analyze command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from geo.analysis.exposure import csv_text, exposure
from geo.analysis.layers import exposure_layers, layer_document, ring_layer
from geo.analysis.origins import OriginError, origin_areas
from geo.analysis.ranges import RANGES_FILE, TableError, classes, read_table
from geo.catalog import View, is_event, load_catalog
from geo.validate import check_document
from tests.helpers import LAYERS, feature, layer_doc, run_cli

DATE = dt.date(2025, 6, 30)
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def active_sites(catalog, day: dt.date) -> set[str]:
    """The US sites the catalog shows on ``day``, asked through the catalog's own View."""
    view = View(as_of=day.isoformat())
    return {
        f["properties"]["id"]
        for layer, f in catalog.features(view)
        if layer.group == "us-posture" and not is_event(f, layer)
    }


@pytest.fixture(scope="module")
def rows(catalog):
    return {item.row["site_id"]: item.row for item in exposure(catalog, DATE)}


# --- the table -------------------------------------------------------------------------------


def test_every_source_in_the_table_passes_the_validators_source_rules():
    """Each row's citation, put into a layer feature, passes geo.validate as it stands: the URL
    pattern, the mirror hosts, the dates and plain text."""
    for figure in read_table():
        doc = layer_doc(feature(sources=[figure.source]))
        messages = check_document(doc, str(RANGES_FILE), TODAY)
        assert not messages, (figure.weapon, [m.format() for m in messages])


def test_the_validator_check_used_above_does_refuse_a_mirror():
    source = {**read_table()[0].source, "url": "https://wikimili.com/en/Shahab-3"}
    messages = check_document(layer_doc(feature(sources=[source])), "x", TODAY)
    assert any(m.code == "mirror" for m in messages)


def test_every_row_has_a_quote_and_disagreeing_figures_are_kept():
    figures = read_table()
    assert all(f.source.get("quote") and f.source.get("accessed") for f in figures)
    shahab = next(w for w in classes(figures) if w.name == "Shahab-3")
    assert len({f.range_km for f in shahab.figures}) == 3
    assert len({f.source["url"] for f in shahab.figures}) == 3


def test_a_broken_table_names_the_file_and_the_row(tmp_path):
    bad = tmp_path / "ranges.csv"
    text = RANGES_FILE.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",1304,", ",far,")
    bad.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(TableError, match=r"ranges\.csv:3: range_km 'far'"):
        read_table(bad)


# --- exposure, checked against rows computed by hand -----------------------------------------
# Distances: geographiclib's Inverse from the site to every vertex of the area's boundary
# sampled every 0.005 degrees, the least of them (computed once, outside this code). Classes:
# read off data/missile_ranges.csv by hand against those distances and the first-use dates.


def test_al_udeid_on_30_june_2025(rows):
    row = rows["al-udeid-air-base"]
    assert row["km_to_iran"] == pytest.approx(265.49, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(1075.54, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(1739.10, abs=0.1)
    assert row["km_to_syrian_government"] is None  # the government fell on 8 Dec 2024
    assert row["nearest_actor"] == "Iran"
    assert row["classes_in_range"] == (
        "Shahab-3 (Iran); Khorramshahr-4 (Kheibar) (Iran); Burkan-2H (Houthis (Ansar Allah)); "
        "Fattah (Iran)"
    )
    assert row["classes_in_range_count"] == 4
    assert row["strikes"] == "iran-missile-strike-al-udeid-2025 (2025-06-23)"


def test_tower_22_on_30_june_2025(rows):
    row = rows["tower-22"]
    assert row["km_to_iran"] == pytest.approx(623.58, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(217.85, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(1812.36, abs=0.1)
    # Syria's transitional government's area ends at the border, 1.68 km away.
    assert row["km_to_syrian_transitional_government"] == pytest.approx(1.68, abs=0.1)
    assert row["nearest_actor"] == "Syrian transitional government"
    assert row["classes_in_range_count"] == 5  # Fateh-110 at 299 km reaches 218 km
    assert "Fateh-110 (Hezbollah)" in row["classes_in_range"]
    assert row["strikes"] == "tower-22-drone-attack-2024 (2024-01-28)"


def test_izmir_on_30_june_2025(rows):
    row = rows["izmir-air-station"]
    assert row["km_to_iran"] == pytest.approx(1462.32, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(907.76, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(2806.82, abs=0.1)
    # Beyond every Shahab-3 figure (1,287 to 1,304 km) and Fattah's 1,400 km, within
    # Khorramshahr-4's 2,000 km.
    assert row["classes_in_range"] == "Khorramshahr-4 (Kheibar) (Iran)"
    assert row["classes_in_range_every_source"] == "Khorramshahr-4 (Kheibar) (Iran)"
    assert row["strikes"] == "" and row["strikes_count"] == 0


def test_a_class_whose_sources_disagree_counts_by_some_but_not_every_source(catalog):
    from geo.analysis.ranges import RangeFigure, WeaponClass

    source = read_table()[0].source
    figures = tuple(
        RangeFigure("Test class", "Iran", km, f"{km} km", None, source) for km in (200.0, 300.0)
    )
    rows = {
        i.row["site_id"]: i.row
        for i in exposure(catalog, DATE, [WeaponClass("Test class", "Iran", figures)])
    }
    # Al Udeid lies 265.5 km from Iran: within one source's figure, beyond the other's.
    assert rows["al-udeid-air-base"]["classes_in_range"] == "Test class (Iran)"
    assert rows["al-udeid-air-base"]["classes_in_range_every_source"] == ""
    assert rows["al-udeid-air-base"]["classes_first_use_unknown"] == "Test class (Iran)"
    assert rows["camp-buehring"]["classes_in_range_every_source"] == "Test class (Iran)"  # 101 km


def test_moving_the_date_changes_sites_areas_classes_and_strikes(catalog):
    before = {item.row["site_id"]: item.row for item in exposure(catalog, dt.date(2023, 1, 1))}
    assert before["izmir-air-station"]["classes_in_range"] == ""  # Khorramshahr-4 from May 2023
    assert before["al-udeid-air-base"]["strikes"] == ""
    # Khorramshahr-4 (May 2023) and Fattah (June 2023) do not count yet.
    assert before["al-udeid-air-base"]["classes_in_range"] == (
        "Shahab-3 (Iran); Burkan-2H (Houthis (Ansar Allah))"
    )
    assert before["al-tanf-garrison"]["km_to_syrian_government"] == 0.0  # inside Syria, 2023
    after = {item.row["site_id"] for item in exposure(catalog, dt.date(2026, 3, 1))}
    assert "ain-al-asad-air-base" not in after and "al-tanf-garrison" not in after


def test_origin_areas_follow_the_date(catalog):
    held_2013 = {area.id for area in origin_areas(catalog, "houthis", dt.date(2013, 1, 1))}
    assert held_2013 == {"houthis-saada-governorate"}
    with pytest.raises(OriginError):
        origin_areas(catalog, "houthis", dt.date(2010, 1, 1))


def test_csv_defuses_formula_cells(catalog):
    rows = exposure(catalog, DATE)
    rows[0].row["site_name"] = "=HYPERLINK(1)"
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert parsed[0]["site_name"] == "'=HYPERLINK(1)"


# --- layers the map and exports carry --------------------------------------------------------


def test_ring_and_exposure_layers_are_valid_layer_files(catalog):
    shahab = next(w for w in classes(read_table()) if w.name == "Shahab-3")
    layers = [
        ring_layer(catalog, "iran", shahab, DATE),
        *exposure_layers(exposure(catalog, DATE), DATE),
    ]
    for layer in layers:
        messages = check_document(layer_document(layer), layer.id, TODAY)
        assert not messages, [m.format() for m in messages]
    assert len(layers[0].features) == 3  # one ring per sourced Shahab-3 range
    assert sum(len(layer.features) for layer in layers[1:]) == len(active_sites(catalog, DATE))


def test_an_export_carries_the_rings(catalog):
    from geo.catalog import View
    from geo.export import export_bytes

    burkan = next(w for w in classes(read_table()) if w.name == "Burkan-2H")
    layer = ring_layer(catalog, "houthis", burkan, DATE)
    doc = json.loads(
        export_bytes(catalog.with_layer(layer), View(as_of=DATE.isoformat()), "geojson")
    )
    ids = [f["properties"]["id"] for f in doc["features"]]
    assert layer.features[0]["properties"]["id"] in ids


# --- the command -----------------------------------------------------------------------------


def test_cli_distance_prints_km_and_bearing():
    result = run_cli("analyze", "distance", "al-udeid-air-base", "country-ir")
    assert result.returncode == 0, result.stderr
    assert "265.5 km, initial bearing 43.4°" in result.stdout


def test_cli_unknown_feature_is_one_line_and_exit_1():
    result = run_cli("analyze", "distance", "no-such-site", "country-ir")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no-such-site" in result.stderr


def test_cli_exposure_writes_the_table_and_layers(tmp_path, catalog):
    out = tmp_path / "exposure.csv"
    result = run_cli(
        "analyze",
        "exposure",
        "--as-of",
        "2025-06-30",
        "-o",
        str(out),
        "--layers-out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["site_id"] for r in table} == active_sites(catalog, DATE)
    row = next(r for r in table if r["site_id"] == "al-udeid-air-base")
    assert float(row["km_to_iran"]) == pytest.approx(265.5)
    assert run_cli("validate", *map(str, tmp_path.glob("exposure-*.geojson"))).returncode == 0


def test_cli_rings_writes_a_valid_layer_and_refuses_a_date_with_no_origin(tmp_path):
    out = tmp_path / "rings.geojson"
    ok = run_cli("analyze", "rings", "--origin", "houthis", "--class", "Burkan-2H", "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert run_cli("validate", str(out)).returncode == 0
    out.write_text("untouched", encoding="utf-8")
    refused = run_cli(
        "analyze",
        "rings",
        "--origin",
        "houthis",
        "--class",
        "Burkan-2H",
        "--as-of",
        "2010",
        "-o",
        str(out),
    )
    assert refused.returncode == 1 and "no area is held" in refused.stderr
    assert out.read_text(encoding="utf-8") == "untouched"
