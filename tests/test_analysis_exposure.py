"""The missile table, the exposure table for a fixed date, and the analyze command."""

from __future__ import annotations

import csv
import dataclasses
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
    by_name = {(w.name, w.actor): w for w in classes(figures)}
    assert {f.range_km for f in by_name["M-75", "Hamas"].figures} == {69.0, 80.0}
    assert {f.range_km for f in by_name["Burkan-2H", "Houthis (Ansar Allah)"].figures} == {
        900.0,
        2000.0,
    }


def test_a_broken_table_names_the_file_and_the_row(tmp_path):
    bad = tmp_path / "ranges.csv"
    text = RANGES_FILE.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",1304,", ",far,")
    bad.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(TableError, match=r"ranges\.csv:3: range_km 'far'"):
        read_table(bad)


# --- exposure, checked against rows computed by hand -----------------------------------------
# Distances: geographiclib's Inverse from the site to every vertex of the area's boundary
# sampled every 0.005 degrees (to the point itself for point areas), the least of them
# (computed once, outside this code). Classes: read off data/missile_ranges.csv by hand against
# those distances and the first-use dates; a class counts "in range" when its longest sourced
# figure reaches the site and "every source" when its shortest does. The table's classes and
# figures, in table order (first use in brackets, "?" where no source gives one):
#   Iran: Shahab-3 1287/1304/1300 [1998-07], Khorramshahr-4 (Kheibar) 2000 [2023-05],
#     Fattah 1400 [2023-06], Sejjil 1930/2000 [2008-11], Ghadr-1 1600/1800 [2007-09],
#     Emad 1000 [?], Kheibar Shekan 1450 [2022-02-09], Haj Qassem 1400 [2020-08-20],
#     Dezful 1000 [2019-02], Zolfaghar 700 [?], Paveh 1650 [?], Shahed-136B 4000 [2024-09-21],
#     Jihad 1000 [2024-09-21], Fateh-313 500 [2015-08]
#   Houthis: Burkan-2H 2000/900 [2017-07], Palestine-2 2150 [2024-09-16], Samad-3 1500 [?],
#     Shahed-136 2200 [?], Yafa 1800 [2024-07]
#   Hezbollah: Fateh-110 299 [?], Burkan 2 [?]
#   Kata'ib Hezbollah: Samad (Sammad/UAV-X) 1000 [?]
#   Hamas: M-75 80/69 [2012-11], Ayyash-250 250 [2021-05], R-160 (M-302) 160 [?]
# The table orders them Shahab-3, Khorramshahr-4, Burkan-2H, Fateh-110, Burkan, Fattah, Sejjil,
# Ghadr-1, Emad, Kheibar Shekan, Haj Qassem, Dezful, Zolfaghar, Paveh, Shahed-136B, Jihad,
# Fateh-313, Palestine-2, Samad-3, Shahed-136, Yafa, Samad (Sammad/UAV-X), M-75, Ayyash-250,
# R-160 (M-302).
HOUTHIS = "Houthis (Ansar Allah)"


def test_al_udeid_on_30_june_2025(rows):
    row = rows["al-udeid-air-base"]
    assert row["km_to_iran"] == pytest.approx(265.49, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(1075.54, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(1739.10, abs=0.1)
    # Kata'ib Hezbollah: Jurf al-Sakhar 1102.28, Al-Qaim 1419.68; Hamas (Gaza) 1788.23.
    assert row["km_to_kata_ib_hezbollah"] == pytest.approx(1102.28, abs=0.1)
    assert row["km_to_hamas"] == pytest.approx(1788.23, abs=0.1)
    assert row["km_to_syrian_government"] is None  # the government fell on 8 Dec 2024
    assert row["nearest_actor"] == "Iran"
    # Iran at 265.49: every Iranian class reaches (the shortest figure, Fateh-313's 500, is
    # more than 265.49), all in use by 30 June 2025. Houthis at 1075.54: Burkan-2H 2000 yes but
    # 900 no; Palestine-2 2150, Samad-3 1500, Shahed-136 2200, Yafa 1800 yes. Hezbollah at 1739.10:
    # Fateh-110 299 no. Kata'ib Hezbollah at 1102.28: Samad 1000 no. Hamas at 1788.23: none.
    assert row["classes_in_range"] == (
        "Shahab-3 (Iran); Khorramshahr-4 (Kheibar) (Iran); Burkan-2H (Houthis (Ansar Allah)); "
        "Fattah (Iran); Sejjil (Iran); Ghadr-1 (Iran); Emad (Iran); Kheibar Shekan (Iran); "
        "Haj Qassem (Iran); Dezful (Iran); Zolfaghar (Iran); Paveh (Iran); Shahed-136B (Iran); "
        "Jihad (Iran); Fateh-313 (Iran); Palestine-2 (Houthis (Ansar Allah)); "
        "Samad-3 (Houthis (Ansar Allah)); Shahed-136 (Houthis (Ansar Allah)); "
        "Yafa (Houthis (Ansar Allah))"
    )
    assert row["classes_in_range_count"] == 19  # 14 Iranian + 5 Houthi
    # Burkan-2H's shortest figure, Saudi Arabia's 900 km, falls short of 1075.54.
    every = row["classes_in_range_every_source"].split("; ")
    assert f"Burkan-2H ({HOUTHIS})" not in every and len(every) == 18
    assert row["classes_first_use_unknown"] == (
        "Emad (Iran); Zolfaghar (Iran); Paveh (Iran); Samad-3 (Houthis (Ansar Allah)); "
        "Shahed-136 (Houthis (Ansar Allah))"
    )
    assert row["strikes"] == "iran-missile-strike-al-udeid-2025 (2025-06-23)"


def test_tower_22_on_30_june_2025(rows):
    row = rows["tower-22"]
    assert row["km_to_iran"] == pytest.approx(623.58, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(217.85, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(1812.36, abs=0.1)
    # Kata'ib Hezbollah: Al-Qaim 253.87 (Jurf al-Sakhar 516.78); Hamas (Gaza) 436.83.
    assert row["km_to_kata_ib_hezbollah"] == pytest.approx(253.87, abs=0.1)
    assert row["km_to_hamas"] == pytest.approx(436.83, abs=0.1)
    # Syria's transitional government's area ends at the border, 1.68 km away.
    assert row["km_to_syrian_transitional_government"] == pytest.approx(1.68, abs=0.1)
    assert row["nearest_actor"] == "Syrian transitional government"
    # Iran at 623.58: 13 of the 14 Iranian classes (Zolfaghar's 700 reaches, Fateh-313's 500
    # does not). Houthis at 1812.36: Burkan-2H 2000, Palestine-2 2150, Shahed-136 2200 yes;
    # Samad-3 1500 and Yafa 1800 (12 km short) no. Hezbollah at 217.85: Fateh-110 299 yes.
    # Kata'ib Hezbollah at 253.87: Samad 1000 yes.
    # Hamas at 436.83: M-75 80, Ayyash-250 250, R-160 (M-302) 160 no. 13 + 3 + 1 + 1 = 18.
    assert row["classes_in_range_count"] == 18
    reach = row["classes_in_range"].split("; ")
    assert "Fateh-110 (Hezbollah)" in reach
    assert "Zolfaghar (Iran)" in reach  # 700 km reaches 623.58 km
    assert "Samad (Sammad/UAV-X) (Kata'ib Hezbollah)" in reach  # 1000 km reaches 253.87 km
    assert f"Samad-3 ({HOUTHIS})" not in reach  # 1500 km falls short of 1812.36 km
    assert f"Yafa ({HOUTHIS})" not in reach  # 1800 km falls short of 1812.36 km
    assert "Fateh-313 (Iran)" not in reach  # 500 km falls short of 623.58 km
    assert not [label for label in reach if label.endswith("(Hamas)")]
    assert row["strikes"] == "tower-22-drone-attack-2024 (2024-01-28)"


def test_izmir_on_30_june_2025(rows):
    row = rows["izmir-air-station"]
    assert row["km_to_iran"] == pytest.approx(1462.32, abs=0.1)
    assert row["km_to_hezbollah"] == pytest.approx(907.76, abs=0.1)
    assert row["km_to_houthis_ansar_allah"] == pytest.approx(2806.82, abs=0.1)
    # Kata'ib Hezbollah: Al-Qaim 1330.86; Hamas (Gaza) 1012.57.
    assert row["km_to_kata_ib_hezbollah"] == pytest.approx(1330.86, abs=0.1)
    assert row["km_to_hamas"] == pytest.approx(1012.57, abs=0.1)
    # Iran at 1462.32: beyond Shahab-3 (1287 to 1304), Fattah and Haj Qassem (1400), Kheibar
    # Shekan (1450, 12 km short), Emad, Dezful and Jihad (1000), Zolfaghar (700) and Fateh-313
    # (500); within
    # Khorramshahr-4 (2000), Sejjil (1930 and 2000), Ghadr-1 (1600 and 1800), Paveh (1650)
    # and Shahed-136B (4000). No other actor's class reaches (Houthis 2806.82 > 2200,
    # Hezbollah 907.76 > 299, Kata'ib Hezbollah 1330.86 > 1000, Hamas 1012.57 > 250).
    expected = (
        "Khorramshahr-4 (Kheibar) (Iran); Sejjil (Iran); Ghadr-1 (Iran); Paveh (Iran); "
        "Shahed-136B (Iran)"
    )
    assert row["classes_in_range"] == expected
    assert row["classes_in_range_every_source"] == expected  # both Sejjil and Ghadr-1 figures
    assert row["strikes"] == "" and row["strikes_count"] == 0


def test_hamas_classes_reach_the_thaad_battery_in_israel(rows):
    # Hamas (Gaza) lies 64.13 km from the THAAD battery and 213.42 km from Muwaffaq Salti:
    # both M-75 figures (69 and 80), the R-160 (M-302) (160) and the Ayyash-250 (250) reach the
    # battery; at Muwaffaq Salti only the Ayyash-250 does.
    thaad = rows["thaad-battery-israel"]
    assert thaad["km_to_hamas"] == pytest.approx(64.13, abs=0.1)
    hamas = [label for label in thaad["classes_in_range_every_source"].split("; ")]
    assert [label for label in hamas if label.endswith("(Hamas)")] == [
        "M-75 (Hamas)",
        "Ayyash-250 (Hamas)",
        "R-160 (M-302) (Hamas)",
    ]
    salti = rows["muwaffaq-salti-air-base"]
    assert salti["km_to_hamas"] == pytest.approx(213.42, abs=0.1)
    reach = salti["classes_in_range"].split("; ")
    assert [label for label in reach if label.endswith("(Hamas)")] == ["Ayyash-250 (Hamas)"]


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
    # Izmir (Iran 1462.32): Khorramshahr-4 (May 2023) and Shahed-136B (September 2024) do not
    # count yet; Sejjil (2008), Ghadr-1 (2007) and Paveh (first use unknown) do.
    assert before["izmir-air-station"]["classes_in_range"] == (
        "Sejjil (Iran); Ghadr-1 (Iran); Paveh (Iran)"
    )
    assert before["al-udeid-air-base"]["strikes"] == ""
    # Al Udeid (Iran 265.49, Houthis' Saada 1075.54 as in 2025, Kata'ib Hezbollah 1102.28):
    # Khorramshahr-4 (May 2023), Fattah (June 2023), Yafa (July 2024), Palestine-2, Shahed-136B
    # and Jihad (September 2024) do not count yet; Kheibar Shekan (February 2022), Fateh-313
    # (August 2015) and Burkan-2H (July 2017) do, as do the classes with no first use.
    assert before["al-udeid-air-base"]["classes_in_range"] == (
        "Shahab-3 (Iran); Burkan-2H (Houthis (Ansar Allah)); Sejjil (Iran); Ghadr-1 (Iran); "
        "Emad (Iran); Kheibar Shekan (Iran); Haj Qassem (Iran); Dezful (Iran); "
        "Zolfaghar (Iran); Paveh (Iran); Fateh-313 (Iran); Samad-3 (Houthis (Ansar Allah)); "
        "Shahed-136 (Houthis (Ansar Allah))"
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


@pytest.mark.parametrize(
    ("count", "title"),
    [
        (0, "0 classes"),
        (1, "1 to 4 classes"),
        (4, "1 to 4 classes"),
        (5, "5 to 9 classes"),
        (14, "10 to 14 classes"),
        (15, "15 or more classes"),
        (40, "15 or more classes"),
    ],
)
def test_sites_are_coloured_in_bands_of_how_many_classes_reach_them(catalog, count, title):
    item = exposure(catalog, DATE)[0]
    counted = dataclasses.replace(item, row={**item.row, "classes_in_range_count": count})
    (layer,) = exposure_layers([counted], DATE)
    assert layer.title == f"Exposure on {DATE.isoformat()}: in range of {title}"
