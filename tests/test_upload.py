"""Bring your own layer: uploads go through the validator and say exactly what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.app.upload import CSV_REQUIRED, MAX_UPLOAD_BYTES, load_upload
from geo.catalog import load_catalog
from tests.helpers import LAYERS, SOURCE, feature, layer_doc

HEADER = ",".join(CSV_REQUIRED) + ",country,kind"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def csv_row(name="Site", lat="25.1173", lon="51.315", start="2020", country="QA"):
    return (
        f'"{name}",{lat},{lon},{start},"{SOURCE["title"]}",{SOURCE["publisher"]},'
        f"{SOURCE['url']},{SOURCE['accessed']},{country},air-base"
    )


def test_a_good_csv_becomes_a_user_layer(catalog):
    raw = "\n".join([HEADER, csv_row("One"), csv_row("Two, with a comma")]).encode()
    layer, messages = load_upload("my sites.csv", raw, catalog)
    assert messages == []
    assert layer.group == "user" and layer.id == "user-my-sites"
    assert [f["properties"]["name"] for f in layer.features] == ["One", "Two, with a comma"]
    assert layer.features[0]["geometry"]["coordinates"] == [51.315, 25.1173]


def test_csv_missing_columns_are_named(catalog):
    layer, messages = load_upload("x.csv", b"name,latitude\nA,1\n", catalog)
    assert layer is None
    assert "missing column(s) longitude, start, source_title" in messages[0].format()


def test_csv_errors_point_at_the_row(catalog):
    raw = "\n".join(
        [
            HEADER,
            csv_row(),
            csv_row(lat="north"),
            csv_row(start="2023-02-29"),
            csv_row(name="<script>x</script>"),
        ]
    ).encode()
    layer, messages = load_upload("x.csv", raw, catalog)
    assert layer is None
    texts = [m.format() for m in messages]
    assert "x.csv:3: latitude and longitude must be numbers" in texts[0]
    assert any(t.startswith("x.csv:4: ") and "does not exist" in t for t in texts)
    assert any(t.startswith("x.csv:5: ") and "HTML markup" in t for t in texts)


def test_a_csv_row_short_of_fields_is_named_not_filled_with_blanks(catalog):
    short = ",".join(csv_row("Short").split(",")[:-2])
    raw = "\n".join([HEADER, csv_row("Whole"), short]).encode()
    layer, messages = load_upload("x.csv", raw, catalog)
    assert layer is None
    assert [m.format() for m in messages] == [
        "x.csv:3: the row has fewer fields than the header - give every column its field"
    ]


def test_a_csv_of_a_header_alone_is_not_a_layer(catalog):
    layer, messages = load_upload("x.csv", (HEADER + "\n").encode(), catalog)
    assert layer is None
    assert [m.format() for m in messages] == [
        "x.csv: the file holds a header and no rows - add its rows"
    ]


def test_a_csv_separated_by_semicolons_is_told_so(catalog, tmp_path):
    from geo.app.upload import Taken, load_upload_file

    semicolons = HEADER.replace(",", ";") + "\n" + csv_row("One").replace(",", ";") + "\n"
    layer, messages = load_upload("x.csv", semicolons.encode(), catalog)
    assert layer is None and "separated by semicolons, not commas" in messages[0].format()
    path = tmp_path / "x.csv"
    path.write_text(semicolons, encoding="utf-8")  # the format found by sniffing
    layer, messages = load_upload_file("x.csv", path, Taken.of(catalog), tmp_path)
    assert layer is None and "separated by semicolons, not commas" in messages[0].format()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    layer, messages = load_upload_file("empty.csv", empty, Taken.of(catalog), tmp_path)
    assert layer is None and messages[0].format().startswith("empty.csv: the file is empty")


def test_swapped_csv_coordinates_are_caught(catalog):
    raw = "\n".join([HEADER, csv_row(lat="51.315", lon="25.1173")]).encode()
    _, messages = load_upload("x.csv", raw, catalog)
    assert "latitude and longitude look swapped" in messages[0].format()


def test_a_plain_feature_collection_gets_layer_metadata(catalog):
    doc = layer_doc(feature("mine-1"))
    del doc["layer"]
    layer, messages = load_upload("drawn.geojson", json.dumps(doc).encode(), catalog)
    assert messages == [] and layer.id == "user-drawn" and layer.group == "user"


def test_ids_that_clash_with_the_repository_are_refused(catalog):
    doc = layer_doc(feature("al-udeid-air-base"))
    layer, messages = load_upload("x.geojson", json.dumps(doc).encode(), catalog)
    assert layer is None
    assert "'al-udeid-air-base' is already used by the layer 'us-sites'" in messages[0].format()


def test_size_limit(catalog):
    layer, messages = load_upload("big.geojson", b" " * (MAX_UPLOAD_BYTES + 1), catalog)
    assert layer is None and "over the upload limit" in messages[0].format()


def test_broken_json_gets_the_validators_message(catalog):
    layer, messages = load_upload("x.geojson", b'{"type": "FeatureCollection",', catalog)
    assert layer is None and "not valid JSON" in messages[0].format()


def test_duplicate_ids_in_a_csv_are_refused(catalog):
    header = HEADER + ",id"
    raw = "\n".join([header, csv_row() + ",same", csv_row() + ",same"]).encode()
    layer, messages = load_upload("x.csv", raw, catalog)
    assert layer is None
    assert messages[0].format().startswith("x.csv:3: feature same: id: id 'same' is already used")


def test_a_plain_feature_collection_keeps_its_own_line_numbers(catalog):
    doc = layer_doc(feature("mine-1", start="2023-02-29"))
    del doc["layer"]
    text = json.dumps(doc, indent=2)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "2023-02-29" in t)
    layer, messages = load_upload("drawn.geojson", text.encode(), catalog)
    assert layer is None
    assert messages[0].format().startswith(f"drawn.geojson:{line}: feature mine-1: start:")


def test_a_layer_id_of_the_map_is_refused(catalog):
    doc = layer_doc(feature("mine-1"), layer_id="us-sites")
    layer, messages = load_upload("x.geojson", json.dumps(doc).encode(), catalog)
    assert layer is None
    assert "layer id 'us-sites' is already used by a layer of the map" in messages[0].format()


def test_csv_rows_are_counted_as_lines_across_quoted_line_breaks(catalog):
    raw = "\n".join([HEADER, csv_row(name="Two\nlines"), csv_row(lat="north")]).encode()
    _, messages = load_upload("x.csv", raw, catalog)
    assert messages[0].format().startswith("x.csv:4: latitude and longitude must be numbers")


def test_csv_rows_with_extra_fields_or_huge_fields_get_a_message(catalog):
    extra = "\n".join([HEADER, csv_row() + ",extra,more"]).encode()
    _, messages = load_upload("x.csv", extra, catalog)
    assert "x.csv:2: the row has more fields than the header" in messages[0].format()
    huge = "\n".join([HEADER, '"' + "x" * 200_000 + '"' + csv_row()[csv_row().index(",") :]])
    _, messages = load_upload("x.csv", huge.encode(), catalog)
    assert "the row cannot be read" in messages[0].format()


# --- limits first, every line ending, ids that fit ------------------------------------------


def test_csv_with_cr_only_line_endings_is_read(catalog):
    """Excel for Mac ends rows with a lone carriage return."""
    raw = "\r".join([HEADER, csv_row("One"), csv_row("Two, with a comma")]).encode()
    layer, messages = load_upload("mac.csv", raw, catalog)
    assert messages == []
    assert [f["properties"]["name"] for f in layer.features] == ["One", "Two, with a comma"]
    raw = "\r".join([HEADER, csv_row("One"), csv_row(lat="north")]).encode()
    _, messages = load_upload("mac.csv", raw, catalog)
    assert messages[0].format().startswith("mac.csv:3: latitude and longitude must be numbers")


@pytest.mark.parametrize(
    "name", ["x" * 300 + ".csv", "a-" * 150 + ".csv", "Küste Ölhafen " * 20 + ".csv", "ملف.csv"]
)
def test_ids_made_from_a_file_name_fit_the_schema(catalog, name):
    import re

    rows = [HEADER] + [csv_row(f"Site {n}") for n in range(12)]
    layer, messages = load_upload(name, "\n".join(rows).encode(), catalog)
    assert messages == [], messages
    ids = [layer.id] + [f["properties"]["id"] for f in layer.features]
    if name.startswith("Küste"):
        assert layer.id.startswith("user-kuste-olhafen-kuste")  # accents dropped, not letters
    for fid in ids:
        assert len(fid) <= 80 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fid), fid


# --- the check in its own process ----------------------------------------------------------


def test_the_child_process_keeps_the_first_messages_and_counts_the_rest(catalog):
    from geo.app.upload import SMALL_FEATURES, Taken
    from geo.app.upload_check import MAX_MESSAGES, check_upload

    rows = [HEADER] + ["junk"] * SMALL_FEATURES
    seen: list[str] = []
    outcome = check_upload(
        "junk.csv", "\n".join(rows).encode(), Taken.of(catalog), lambda s, _t: seen.append(s)
    )
    assert outcome.layer is None
    assert outcome.total == SMALL_FEATURES and len(outcome.messages) == MAX_MESSAGES
    assert outcome.messages[0].format().startswith("junk.csv:2: the row has fewer fields")
    assert seen and seen[0] == "starting the check"


def test_a_good_file_comes_back_from_the_child_as_a_layer(catalog):
    from geo.app.upload import Taken
    from geo.app.upload_check import check_upload

    raw = "\n".join([HEADER, csv_row("One")]).encode()
    outcome = check_upload("mine.csv", raw, Taken.of(catalog))
    assert outcome.messages == [] and outcome.layer.features[0]["properties"]["name"] == "One"
    assert "reading" in " ".join(outcome.stages)


def test_a_check_that_runs_too_long_is_stopped(catalog):
    from geo.app.upload import Taken
    from geo.app.upload_check import check_upload

    raw = "\n".join([HEADER, csv_row("One")]).encode()
    outcome = check_upload("slow.csv", raw, Taken.of(catalog), timeout=0.01)
    assert outcome.layer is None
    assert (
        outcome.messages[0]
        .format()
        .startswith("slow.csv: the check took longer than 0 s and was stopped")
    )
